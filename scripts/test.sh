#!/usr/bin/env bash
# README's test command: the server tests' client tools, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh
cargo test "$@"
