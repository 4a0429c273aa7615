#!/usr/bin/env bash
# Wall-clock comparison of `usimc run` with the hand-written Rust baseline
# (benches/baseline.rs) and SimPy (benches/simpy/*.py) on the models in
# benches/models/. Prints a markdown table.
#
#   benches/compare.sh [RUNS]        RUNS timed runs per command (default 5)
#
# Each figure is the median wall time of whole processes (start-up, and for
# usimc parsing and JIT compilation, included) and their mean CPU time (user +
# system; steadier than wall time on a busy machine), measured with hyperfine
# when it is installed (`apt-get install hyperfine`), else with /usr/bin/time.
# SimPy is skipped when `python3 -c 'import simpy'` fails (`pip install simpy`).
# "wall per event" is the median wall time over each implementation's own
# count of process steps (usimc's `events`); for fib_compute, whose 11 events
# surround 26.9 million `fn` calls, it is per call of `fib` instead.
set -euo pipefail

runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
models=(mm1_spawn tickers fib_compute pingpong mm1_lock)
fib_calls=26925370 # 10 * fib(30)'s 2,692,537 calls

echo "building release binaries..." >&2
cargo build --release --quiet
usimc="$root/target/release/usimc"
baseline=$(cargo bench --bench baseline --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "baseline" and m.get("executable"):
        print(m["executable"])')
if [[ -z "$baseline" ]]; then
    echo "could not build benches/baseline.rs" >&2
    exit 1
fi
have_simpy=1
python3 -c 'import simpy' 2>/dev/null || {
    have_simpy=0
    echo "SimPy is not installed (pip install simpy): skipping it" >&2
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# timing COMMAND...: "WALL CPU" in milliseconds: the median wall time of
# $runs runs, and the mean CPU time (user + system) per run.
timing() {
    if command -v hyperfine >/dev/null; then
        hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/h.json" "$*" >/dev/null 2>&1 ||
            hyperfine --warmup 1 --runs "$runs" --export-json "$work/h.json" "$*" >/dev/null
        python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.1f %.1f" % (r["median"] * 1e3, (r["user"] + r["system"]) * 1e3))' "$work/h.json"
    else
        "$@" >/dev/null # warm-up
        : >"$work/t.all"
        # Wall time from bash's microsecond clock; CPU time from /usr/bin/time
        # (10 ms resolution).
        local start end
        for _ in $(seq "$runs"); do
            start=$EPOCHREALTIME
            /usr/bin/time -f "%U %S" -o "$work/t" "$@" >/dev/null
            end=$EPOCHREALTIME
            echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }') $(cat "$work/t")" >>"$work/t.all"
        done
        sort -g "$work/t.all" | awk '{ w[NR] = $1; cpu += $2 + $3 }
            END { printf "%.1f %.1f\n", w[int((NR + 1) / 2)] * 1000, cpu / NR * 1000 }'
    fi
}

# events COMMAND...: the `events N` line of one run's output.
events() {
    "$@" | awk '/^events/ { print $NF; exit }'
}

row() { # model implementation "wall cpu" events simpy_wall
    local model=$1 impl=$2 wall=${3% *} cpu=${3#* } events=$4 simpy_wall=$5 per speedup
    if [[ $model == fib_compute ]]; then
        per=$(awk -v ms="$wall" -v n="$fib_calls" 'BEGIN { printf "%.2f ns/call", ms * 1e6 / n }')
    else
        per=$(awk -v ms="$wall" -v n="$events" 'BEGIN { printf "%.1f ns/event", ms * 1e6 / n }')
    fi
    if [[ -n $simpy_wall ]]; then
        speedup=$(awk -v a="$simpy_wall" -v b="$wall" 'BEGIN { printf "%.1f×", a / b }')
    else
        speedup="–"
    fi
    echo "| $model | $impl | $wall | $cpu | $events | $per | $speedup |"
}

echo
echo "| model | implementation | median wall (ms) | CPU (ms) | events | wall per event | speed-up vs SimPy |"
echo "|---|---|---:|---:|---:|---:|---:|"
for model in "${models[@]}"; do
    echo "timing $model..." >&2
    simpy="" simpy_events=""
    if ((have_simpy)); then
        simpy=$(timing python3 "benches/simpy/$model.py")
        simpy_events=$(events python3 "benches/simpy/$model.py")
    fi
    usimc_t=$(timing "$usimc" run "benches/models/$model.usim")
    usimc_events=$(events "$usimc" run "benches/models/$model.usim")
    base_t=$(timing "$baseline" "$model")
    base_events=$(events "$baseline" "$model")
    row "$model" usimc "$usimc_t" "$usimc_events" "${simpy% *}"
    row "$model" "Rust baseline" "$base_t" "$base_events" "${simpy% *}"
    if ((have_simpy)); then
        row "$model" SimPy "$simpy" "$simpy_events" "${simpy% *}"
    fi
done
