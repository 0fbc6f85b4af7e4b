#!/usr/bin/env bash
# Long fuzz runs (cargo test runs the same harnesses briefly). The SQL fuzzer composes random
# calls of every segql function over random tables; the mutation fuzzer mutates the committed
# corpus (tests/fuzz_corpus/) into model files and statements. Any panic or internal error
# fails the run and prints the input that caused it.
#
#   bash scripts/fuzz.sh                    # 5,000 SQL sessions (60,000 statements), 1,000,000 mutations
#   SESSIONS=500 ITERATIONS=100000 SEED=7 bash scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${SEED:-$RANDOM}
echo "fuzz: seed $seed" >&2
SEGQL_FUZZ_SEED=$seed SEGQL_FUZZ_CASES=${SESSIONS:-5000} SEGQL_FUZZ_ITERATIONS=${ITERATIONS:-1000000} \
  RUST_BACKTRACE=0 cargo test --features ballista --test integration -- sql_fuzz mutation_fuzz --nocapture
