#!/usr/bin/env bash
# Wall-clock comparison of `usimc run` with the hand-written Rust baseline
# (benches/baseline.rs) and SimPy (benches/simpy/*.py) on the models in
# benches/models/. Prints a markdown table.
#
#   benches/compare.sh [RUNS] [MODEL...]
#
# RUNS timed runs per command (default 5), on the named models (default all).
#
# Each figure is the median wall time of whole processes (start-up, and for
# usimc parsing and JIT compilation, included) and their mean CPU time (user +
# system; steadier than wall time on a busy machine), measured with hyperfine
# when it is installed (`apt-get install hyperfine`), else with /usr/bin/time.
# SimPy is skipped when `python3 -c 'import simpy'` fails (`pip install simpy`).
# SimPy on tandem takes about 80 s a run, so it is timed once, with no
# warm-up (its row says so).
# "wall per event" is the median wall time over each implementation's own
# count of process steps (usimc's `events`, read from the last timed run); for
# fib_compute, whose 11 events surround 26.9 million `fn` calls, it is per call
# of `fib` instead. A usimc run whose event count or end time differs from the
# baseline's is reported on stderr and makes the script exit 1 at the end (the
# baseline checks its own figures against usimc's, as recorded in
# benches/baseline.rs).
set -euo pipefail

runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
models=(mm1_spawn tickers fib_compute pingpong mm1_lock tandem)
if (($# > 1)); then
    models=("${@:2}")
fi
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
# $n runs (default $runs) after $warmup warm-up runs (default 1), and the
# mean CPU time (user + system) per run. The last run's stdout is left in
# $work/out.
timing() {
    local n=${n:-$runs} warmup=${warmup:-1}
    if command -v hyperfine >/dev/null; then
        hyperfine -N --warmup "$warmup" --runs "$n" --output "$work/out" --export-json "$work/h.json" "$*" \
            >/dev/null 2>&1 ||
            hyperfine --warmup "$warmup" --runs "$n" --output "$work/out" --export-json "$work/h.json" "$*" >/dev/null
        python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.1f %.1f" % (r["median"] * 1e3, (r["user"] + r["system"]) * 1e3))' "$work/h.json"
    else
        for _ in $(seq "$warmup"); do
            "$@" >/dev/null
        done
        : >"$work/t.all"
        # Wall time from bash's microsecond clock; CPU time from /usr/bin/time
        # (10 ms resolution).
        local start end
        for _ in $(seq "$n"); do
            start=$EPOCHREALTIME
            /usr/bin/time -f "%U %S" -o "$work/t" "$@" >"$work/out"
            end=$EPOCHREALTIME
            echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }') $(cat "$work/t")" >>"$work/t.all"
        done
        sort -g "$work/t.all" | awk '{ w[NR] = $1; cpu += $2 + $3 }
            END { printf "%.1f %.1f\n", w[int((NR + 1) / 2)] * 1000, cpu / NR * 1000 }'
    fi
}

# figure NAME: the value of the last timed run's `NAME ...` line (`events`,
# `end time`).
figure() {
    awk -v name="$1" 'index($0, name) == 1 { print $NF; exit }' "$work/out"
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
differ=0
for model in "${models[@]}"; do
    echo "timing $model..." >&2
    simpy="" simpy_events="" simpy_name=SimPy
    if ((have_simpy)); then
        if [[ $model == tandem ]]; then
            simpy=$(n=1 warmup=0 timing python3 "benches/simpy/$model.py")
            simpy_name="SimPy (1 run)"
        else
            simpy=$(timing python3 "benches/simpy/$model.py")
        fi
        simpy_events=$(figure events)
    fi
    usimc_t=$(timing "$usimc" run "benches/models/$model.usim")
    usimc_events=$(figure events) usimc_end=$(figure "end time")
    base_t=$(timing "$baseline" "$model")
    base_events=$(figure events) base_end=$(figure "end time")
    if [[ "$usimc_events $usimc_end" != "$base_events $base_end" ]]; then
        echo "$model: usimc has $usimc_events events to end time $usimc_end," \
            "the baseline $base_events to $base_end" >&2
        differ=1
    fi
    row "$model" usimc "$usimc_t" "$usimc_events" "${simpy% *}"
    row "$model" "Rust baseline" "$base_t" "$base_events" "${simpy% *}"
    if ((have_simpy)); then
        row "$model" "$simpy_name" "$simpy" "$simpy_events" "${simpy% *}"
    fi
done
exit "$differ"
