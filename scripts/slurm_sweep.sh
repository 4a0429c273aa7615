#!/usr/bin/env bash
# Runs a usimc experiment (replications, a sweep, or both) as a Slurm job
# array: one array task per shard, then a merge job that starts once every
# task has succeeded. See docs/experiments.md, "Shards and merge".
#
#   scripts/slurm_sweep.sh SHARDS MODEL [usimc run flags...]
#
# for example
#
#   scripts/slurm_sweep.sh 20 examples/mm1.usim --set LAMBDA=0.5,0.7,0.9 --reps 200
#
# submits `sbatch --array=1-20`, whose task k runs
#
#   usimc run MODEL FLAGS... --jobs 1 --shard k/20 --out DIR/part-k.json
#
# and a job with `--dependency=afterok:<the array>` that runs
#
#   usimc merge DIR/part-1.json ... DIR/part-20.json --report REPORT --out DIR/report.REPORT
#
# Environment:
#   USIMC        the usimc binary (default: usimc on PATH); every node must reach it
#   DIR          where the parts, the logs and the report go (default: usimc-sweep);
#                a folder every node can write, like the model
#   REPORT       json, table or csv (default: json)
#   SHARD_JOBS   --jobs of each task (default: 1, one CPU per task)
#   SBATCH_FLAGS more sbatch flags for both jobs, e.g. "--partition=short --time=01:00:00"
#
# It prints the two job ids. The report is byte for byte the one a single
# `usimc run MODEL FLAGS...` would write.
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

# Every argument quoted for the shell that runs each job's --wrap; the
# task's index is expanded there.
q() {
    printf '%q' "$1"
    shift
    [ $# -eq 0 ] || printf ' %q' "$@"
}
run="$(q "$usimc" run "$model" "$@" --jobs "${SHARD_JOBS:-1}") --shard \$SLURM_ARRAY_TASK_ID/$shards"
run="$run --out $(q "$dir")/part-\$SLURM_ARRAY_TASK_ID.json"
merge="$(q "$usimc" merge)"
for k in $(seq 1 "$shards"); do
    merge="$merge $(q "$dir/part-$k.json")"
done
merge="$merge $(q --report "$report" --out "$dir/report.$report")"

# shellcheck disable=SC2086 # SBATCH_FLAGS is a list of flags
array=$(sbatch --parsable ${SBATCH_FLAGS:-} --array="1-$shards" --job-name=usimc-shard \
    --output="$dir/shard-%a.log" --wrap="$run")
array=${array%%;*}
# shellcheck disable=SC2086
merged=$(sbatch --parsable ${SBATCH_FLAGS:-} --dependency="afterok:$array" --job-name=usimc-merge \
    --output="$dir/merge.log" --wrap="$merge")
merged=${merged%%;*}
echo "shards: job array $array (1-$shards), logs in $dir/shard-K.log"
echo "merge:  job $merged, writes $dir/report.$report when every shard has succeeded"
