#!/usr/bin/env bash
# Runs a usimc experiment (replications, a sweep, or both) as SHARDS shards
# with GNU parallel, on this machine or, with PARALLEL_FLAGS="--sshlogin
# ...", on several, then merges them. See docs/experiments.md, "Shards and
# merge".
#
#   scripts/parallel_sweep.sh SHARDS MODEL [usimc run flags...]
#
# for example
#
#   scripts/parallel_sweep.sh 8 examples/mm1.usim --set LAMBDA=0.5,0.7,0.9 --reps 200
#
# runs, for k = 1..8, as many at once as there are CPUs,
#
#   usimc run MODEL FLAGS... --jobs 1 --shard k/8 --out DIR/part-k.json
#
# and then
#
#   usimc merge DIR/part-1.json ... DIR/part-8.json --report REPORT --out DIR/report.REPORT
#
# Environment:
#   USIMC          the usimc binary (default: usimc on PATH)
#   DIR            where the parts and the report go (default: usimc-sweep)
#   REPORT         json, table or csv (default: json)
#   SHARD_JOBS     --jobs of each shard (default: 1)
#   PARALLEL_FLAGS more flags for parallel, e.g. "--jobs 4" or "--sshlogin host1,host2"
#
# The models' `print` output goes to DIR/shard-K.out. The report is byte for
# byte the one a single `usimc run MODEL FLAGS...` would write. A failed
# shard stops the others and the script (exit code of parallel).
set -euo pipefail

usage() {
    echo "usage: $0 SHARDS MODEL [usimc run flags...]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
shards=$1
model=$2
shift 2
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: SHARDS must be a whole number of at least 1, not '$shards'" >&2
    exit 2
fi
usimc=${USIMC:-usimc}
dir=${DIR:-usimc-sweep}
report=${REPORT:-json}
mkdir -p "$dir"

# -q passes each argument as it is; {} is the shard number.
# shellcheck disable=SC2086 # PARALLEL_FLAGS is a list of flags
parallel -q --halt now,fail=1 ${PARALLEL_FLAGS:-} \
    sh -c 'exec "$@" > "$0"' "$dir/shard-{}.out" \
    "$usimc" run "$model" "$@" --jobs "${SHARD_JOBS:-1}" --shard "{}/$shards" --out "$dir/part-{}.json" \
    ::: $(seq 1 "$shards")

parts=()
for k in $(seq 1 "$shards"); do
    parts+=("$dir/part-$k.json")
done
"$usimc" merge "${parts[@]}" --report "$report" --out "$dir/report.$report"
echo "merged $shards shards into $dir/report.$report"
