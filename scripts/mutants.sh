#!/usr/bin/env bash
# Mutation testing: how many small wrong changes to the code generator,
# the lowering and the runtime's primitives the test suite catches.
#
#   scripts/mutants.sh compiler [K/N]   # compiler/src/lower and codegen
#   scripts/mutants.sh runtime  [K/N]   # the runtime's primitives
#
# K/N runs every N-th mutant starting at K (cargo-mutants' round-robin
# shard): a whole run is about 420 (compiler) and 565 (runtime) mutants at
# 1.5-2 minutes each on a 2-core machine, so a sample is the practical
# measure. Results land in mutants-<part>/mutants.out/{caught,missed,
# unviable,timeout}.txt. Needs `cargo install --locked cargo-mutants`.
#
# Each mutant is judged by the tests that can see it: the fixtures (IR,
# output and diagnostics snapshots), the examples, and the oracle — the
# JIT-versus-interpreter comparison of the shipped models (corpus) and of
# generated ones with their books (differential); for the runtime also its
# unit tests. It runs in place on a clean clone: never point it at a tree
# with uncommitted work.
set -euo pipefail
part=${1:?usage: scripts/mutants.sh compiler|runtime [K/N]}
shard=${2:-0/16}
case $part in
compiler)
    files=(-f 'compiler/src/lower/**' -f 'compiler/src/codegen/**')
    tests=(--test-package usimc --test-package usim-oracle
        --cargo-test-arg=--test=fixtures --cargo-test-arg=--test=corpus --cargo-test-arg=--test=examples)
    ;;
runtime)
    files=(-f runtime/src/objects.rs -f runtime/src/wait.rs -f runtime/src/conditions.rs
        -f runtime/src/lifecycle.rs -f runtime/src/timing.rs -f runtime/src/events.rs)
    tests=(--test-package usimc --test-package usim-oracle --test-package usim-runtime
        --cargo-test-arg=--test=fixtures --cargo-test-arg=--test=examples
        --cargo-test-arg=--test=differential --cargo-test-arg=--lib)
    ;;
*)
    echo "unknown part $part: compiler or runtime" >&2
    exit 2
    ;;
esac
exec cargo mutants --workspace --in-place "${files[@]}" --shard "$shard" --sharding round-robin \
    "${tests[@]}" --baseline skip --timeout 900 --build-timeout 900 -o "mutants-$part"
