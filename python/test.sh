#!/usr/bin/env bash
# The Python package's tests, as CI runs them: builds the wheel (the dev
# profile: a release build of Cranelift takes minutes), installs it into a
# fresh virtual environment, and runs pytest from outside the source tree,
# so that the installed package is what is tested. The tests compare it
# with the usimc binary cargo builds (USIMC_BIN).
#
# pandas, polars, matplotlib and mypy are installed too when they can be;
# a test that needs one that could not be installed is skipped, saying so.
# PYTHON names the interpreter (default: python3, CPython >= 3.9).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
target="${CARGO_TARGET_DIR:-$repo/target}"
python="${PYTHON:-python3}"
venv="$target/python-test/venv"
wheels="$target/python-test/wheels"

MATURIN="maturin==1.16.0"
PYTEST="pytest==9.2.0"
EXTRAS=("pandas==3.1.1" "polars==2.1.0" "matplotlib==3.11.2" "mypy==2.4.1")

rm -rf "$venv" "$wheels"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" "$MATURIN" "$PYTEST"
for extra in "${EXTRAS[@]}"; do
    "${pip[@]}" "$extra" || echo "test.sh: could not install $extra; the tests that need it are skipped"
done

(cd "$here" && "$venv/bin/maturin" build --quiet --interpreter "$venv/bin/python" --out "$wheels")
(cd "$repo" && cargo build --quiet --bin usimc)
"${pip[@]}" --no-deps --force-reinstall "$wheels"/usimc-*.whl

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
USIMC_BIN="$target/debug/usimc" USIMC_REPO="$repo" \
    "$venv/bin/python" -m pytest -p no:cacheprovider --rootdir "$here/tests" "$here/tests" "$@"
