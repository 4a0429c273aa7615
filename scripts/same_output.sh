#!/usr/bin/env bash
# Whether two usimc binaries behave identically: every fixture, example,
# bench model and (when ../shared is there) conformance case, each under four
# option sets (seed 1; seed 2 with random tie order; --trace; seed 3 with a
# JSON report of 2 replications), comparing stdout, stderr and the exit code
# byte for byte. For performance work, which must not change what any run
# prints (docs/performance.md, "How the output was kept identical").
#
#   scripts/same_output.sh OLD_USIMC NEW_USIMC
#
# Name both binaries `usimc` (in different directories): usage errors print
# the binary's name. Bench models run with `--until 200` and without
# `--trace` (pingpong's 10 million steps all happen at time 0). Prints each
# differing run and a count; exits 1 if any differ.
set -uo pipefail
old=$1 new=$2
cd "$(dirname "$0")/.."
runs=0 differ=0
for model in tests/fixtures/*/*.usim examples/*.usim benches/models/*.usim ../shared/conformance/*/*.usim; do
    [[ -f $model ]] || continue
    flags=$(head -1 "$model" | sed -n 's|^// run: ||p')
    for opts in "--seed 1" "--seed 2 --tie-order random" "--seed 1 --trace" "--seed 3 --report json --reps 2"; do
        extra=()
        case $model in
        benches/*)
            [[ $opts == *--trace* ]] && continue
            extra=(--until 200)
            ;;
        esac
        # shellcheck disable=SC2086 # the flags are words
        a=$(timeout 60 "$old" run "$model" $flags $opts "${extra[@]}" 2>&1; echo "exit $?")
        # shellcheck disable=SC2086
        b=$(timeout 60 "$new" run "$model" $flags $opts "${extra[@]}" 2>&1; echo "exit $?")
        runs=$((runs + 1))
        if [[ $a != "$b" ]]; then
            differ=$((differ + 1))
            echo "differs: $model $flags $opts ${extra[*]}"
        fi
    done
done
echo "$runs runs, $differ differ"
((differ == 0))
