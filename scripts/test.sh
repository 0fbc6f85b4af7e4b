#!/usr/bin/env bash
# README's test command: the tests' client tools, servers and browser, every cargo test, the
# Python package's tests, then a real Superset against segql serve. Each part has a budget in
# minutes (2 cores, from an empty target/, measured 2026-12-06: the tools and venvs 1.5, or 6
# on a machine without them, cargo test 14, the Python package 2, Superset 0.5); a part over
# budget fails the run instead of hanging it.
set -euo pipefail
cd "$(dirname "$0")/.."

part() {
  local minutes=$1 name=$2
  shift 2
  local start=$SECONDS
  echo "-- $name (budget ${minutes} min)" >&2
  timeout "$((minutes * 60))" "$@"
  echo "-- $name: $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s" >&2
}

part 10 "test tools and venvs" bash scripts/test-deps.sh
# every feature, the cluster's (`ballista`) included: one build of DataFusion for the tests, the
# lint and the Python wheel (a plain `cargo test` leaves the cluster out and builds less)
part 45 "cargo test" cargo test --features ballista "$@"
part 10 "python" bash scripts/test-python.sh
part 8 "superset" bash tests/superset/run.sh
