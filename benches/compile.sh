#!/usr/bin/env bash
# Compile latency of usimc (issue 9, benchmark 6): whole-process wall time,
# CPU time (user + system) and peak RSS of
#
#   check    `usimc check MODEL`: parse, check and lower to IR (no Cranelift)
#   compile  `usimc run MODEL --until 0 --out /dev/null`: all of `check`, then
#            Cranelift compiles every callable to native code (the full JIT,
#            as before any run), then the runtime starts and runs only the
#            events due at time 0 (the roots' first steps, up to their first
#            wait) and writes its report to /dev/null. There is no
#            compile-only flag; `emit clif` would add the cost of printing
#            Cranelift's text, which for a large body is more than the JIT.
#
# of every examples/*.usim, of a generated model of 10,000 lines (many
# modules of params, consts, structs, objects, vars, fns and processes:
# benches/gen_big.py model) and of one process of 20,000 statements (int and
# float arithmetic, ifs, lets, global writes and awaits: gen_big.py process).
# `--scaling` adds the same statement repeated 5,000 to 40,000 times in one
# body (`x += 1` on an int or float local, in a process or a fn).
#
# Usage (from anywhere; builds the release binary first):
#
#   benches/compile.sh                     the table, 10 runs a cell
#   benches/compile.sh --runs 3 --scaling  3 runs a cell, with the scaling rows
#   benches/compile.sh --usimc PATH        measure another usimc binary (no build)
#
# Wall time is hyperfine's median and CPU time (user + system) its mean (it
# keeps no per-run CPU times; /usr/bin/time's 10 ms steps are too coarse for
# the examples); peak RSS is the median of /usr/bin/time -f '%e %U %S %M'
# over as many runs, which also give wall and CPU medians when hyperfine is
# missing. The generated models go to a temporary
# directory, removed at the end. The load of the machine (uptime) is
# printed with the table: other work on the CPUs inflates wall times, not
# CPU times.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=10
scaling=0
usimc=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --scaling) scaling=1; shift ;;
        --usimc) usimc=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--scaling] [--usimc PATH]" >&2; exit 2 ;;
    esac
done

built=0
if [ -z "$usimc" ]; then
    built=1
    (cd "$root" && cargo build --release --quiet --bin usimc)
    usimc="${CARGO_TARGET_DIR:-$root/target}/release/usimc"
fi
[ -x /usr/bin/time ] || { echo "$0: needs /usr/bin/time (GNU time)" >&2; exit 2; }
have_hyperfine=0
command -v hyperfine > /dev/null && have_hyperfine=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gen="$root/benches/gen_big.py"
python3 "$gen" model 10000 > "$work/model_10k_lines.usim"
python3 "$gen" process 20000 > "$work/process_20k_statements.usim"
models=("$root"/examples/*.usim "$work/model_10k_lines.usim" "$work/process_20k_statements.usim")
if [ "$scaling" = 1 ]; then
    for ty in int float; do
        for in in process fn; do
            for n in 5000 10000 20000 40000; do
                python3 "$gen" repeat "$n" "$ty" "$in" local > "$work/repeat_${n}_${ty}_${in}.usim"
                models+=("$work/repeat_${n}_${ty}_${in}.usim")
            done
        done
    done
fi

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# measure MODEL MODE: prints "wall_ms cpu_ms rss_mb" (medians).
measure() {
    local model=$1 mode=$2
    local -a cmd
    if [ "$mode" = check ]; then
        cmd=("$usimc" check "$model")
    else
        cmd=("$usimc" run "$model" --until 0 --out /dev/null)
    fi
    "${cmd[@]}" > /dev/null 2>&1 || { echo "$0: failed: ${cmd[*]}" >&2; exit 1; }
    local times="$work/times"
    : > "$times"
    for _ in $(seq "$runs"); do
        /usr/bin/time -o "$times" -a -f '%e %U %S %M' "${cmd[@]}" > /dev/null 2>&1
    done
    local wall cpu rss
    if [ "$have_hyperfine" = 1 ]; then
        hyperfine --style none --warmup 1 --runs "$runs" --export-json "$work/h.json" "$(printf '%q ' "${cmd[@]}")" > /dev/null 2>&1
        read -r wall cpu <<< "$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(r["median"] * 1000, (r["user"] + r["system"]) * 1000)' "$work/h.json")"
    else
        wall=$(awk '{ print $1 * 1000 }' "$times" | median)
        cpu=$(awk '{ print ($2 + $3) * 1000 }' "$times" | median)
    fi
    rss=$(awk '{ print $4 / 1024 }' "$times" | median)
    printf '%s %s %s\n' "$wall" "$cpu" "$rss"
}

if [ "$built" = 1 ]; then
    echo "usimc: $usimc, built from $(cd "$root" && git describe --always --dirty 2>/dev/null || echo '?')"
else
    echo "usimc: $usimc"
fi
echo "load before: $(uptime)"
echo "runs a cell: $runs; wall and CPU from $([ "$have_hyperfine" = 1 ] && echo 'hyperfine (median, mean)' || echo '/usr/bin/time (medians)'), RSS from /usr/bin/time (median)"
echo
echo "| model | lines | check wall | check CPU | check RSS | compile wall | compile CPU | compile RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for model in "${models[@]}"; do
    name=$(basename "$model" .usim)
    lines=$(wc -l < "$model")
    read -r cw cc cr <<< "$(measure "$model" check)"
    read -r jw jc jr <<< "$(measure "$model" compile)"
    printf '| %s | %s | %.1f ms | %.0f ms | %.1f MB | %.1f ms | %.0f ms | %.1f MB |\n' \
        "$name" "$lines" "$cw" "$cc" "$cr" "$jw" "$jc" "$jr"
done
echo
echo "load after: $(uptime)"
