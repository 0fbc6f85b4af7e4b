#!/usr/bin/env bash
# The Python package's tests: a venv from the pinned python/requirements-test.txt, the wheel
# built by maturin in the dev profile into the same target/ as `cargo test` (so DataFusion is
# not compiled again: scripts/one_build.py checks the features agree), installed, then pytest.
# The tests compare with the segql binary that `cargo test` built (target/debug/segql).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
venv=.venv-py
stamp=$venv/.requirements
if [ ! -x $venv/bin/python ] || ! cmp -s python/requirements-test.txt "$stamp"; then
  echo "creating $venv (maturin, pytest, datafusion 55, pyarrow, pandas, polars, moto)" >&2
  rm -rf $venv
  python3 -m venv $venv
  $venv/bin/pip install -q --disable-pip-version-check -r python/requirements-test.txt
  cp python/requirements-test.txt "$stamp"
fi

python3 scripts/one_build.py
# the segql binary the tests compare with, as `cargo test` builds it (a no-op after it)
cargo test --locked --features ballista --no-run
rm -rf "$target/wheels"
$venv/bin/maturin build --locked -m python/Cargo.toml --profile dev --compatibility linux \
  -i $venv/bin/python -o "$target/wheels"
$venv/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps "$target"/wheels/segql-*.whl
# pytest exits 5 when it collects nothing, which fails this script like any other failure
SEGQL_BIN="$target/debug/segql" $venv/bin/pytest -q -p no:cacheprovider python/tests
