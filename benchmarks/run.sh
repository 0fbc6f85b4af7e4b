#!/usr/bin/env bash
# One command: the peers' venv, the fully optimised (dist) build of segql, the data, the runs, BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x benchmarks/.venv/bin/python ] || ! cmp -s benchmarks/requirements.txt benchmarks/.venv/.requirements; then
  python3 -m venv benchmarks/.venv
  benchmarks/.venv/bin/pip install -q --disable-pip-version-check -r benchmarks/requirements.txt
  cp benchmarks/requirements.txt benchmarks/.venv/.requirements
fi
# with the cluster feature, so the same build serves benchmarks/cluster.py
cargo build --profile dist --features ballista --bin segql --example bench_rfm --example bench_silhouette
benchmarks/.venv/bin/python benchmarks/run.py "$@"
