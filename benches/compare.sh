#!/usr/bin/env bash
# The old entry point of the run-time comparison, kept for the commands in
# docs/performance.md's earlier sections:
#
#   benches/compare.sh [RUNS] [MODEL...]
#
# is `benches/run --runs RUNS --no-curve [MODEL...]`: usimc, the Rust floor
# (benches/baseline.rs) and SimPy side by side, with wall time, CPU time and
# peak RSS, as markdown. With no model it times the issue-9 suite (timers,
# pingpong, fanout, mm1_record, tandem); any model of benches/models/ can be
# named (mm1_spawn, tickers, fib_compute and mm1_lock too). `benches/run
# --help` has the rest (the cost-per-event curve, SimPy runs, compile
# latency).
set -euo pipefail
runs=${1:-5}
exec python3 "$(dirname "$0")/run" --runs "$runs" --no-curve "${@:2}"
