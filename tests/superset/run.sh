#!/usr/bin/env bash
# A real Superset (pinned in tests/superset/requirements.txt) against a real `segql serve`, both
# on loopback: Superset's metadata database set up from scratch, an admin user, the web server,
# then superset_api.py driving its REST API (add the database, a dataset, SQL Lab, chart data).
#
#   bash tests/superset/run.sh [SEGQL_BINARY]   # default $CARGO_TARGET_DIR/debug/segql (cargo test builds it)
#
# The venv is .venv-superset (scripts/test-deps.sh makes it). Exits non-zero, with both logs,
# when any step fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
segql=${1:-${CARGO_TARGET_DIR:-target}/debug/segql}
python=.venv-superset/bin/python
[ -x "$python" ] || { echo "run bash scripts/test-deps.sh first (it makes .venv-superset)" >&2; exit 1; }
[ -x "$segql" ] || { echo "$segql is missing: cargo build first" >&2; exit 1; }

run=$(mktemp -d)
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
segql_port=$(free_port)
superset_port=$(free_port)
pids=()
finish() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    echo "--- segql serve log ---" >&2; tail -n 40 "$run/segql.log" >&2 || true
    echo "--- superset log ---" >&2; grep -v '"GET /static' "$run/superset.log" | tail -n 60 >&2 || true
  fi
  rm -rf "$run"
  exit "$status"
}
trap finish EXIT

printf 'analyst:segql-superset-test\n' > "$run/users.txt"
mkdir "$run/data"
"$segql" serve --demo --port "$segql_port" --users "$run/users.txt" --data "$run/data" \
  --models "$run/models" >"$run/segql.log" 2>&1 &
pids+=($!)

export SEGQL_SUPERSET_DIR=$run SUPERSET_CONFIG_PATH=$PWD/tests/superset/superset_config.py
export FLASK_APP=superset SUPERSET_LOAD_EXAMPLES=no
superset=.venv-superset/bin/superset
start=$SECONDS
"$superset" db upgrade >"$run/setup.log" 2>&1
"$superset" fab create-admin --username admin --firstname Ada --lastname Admin \
  --email admin@example.invalid --password admin >>"$run/setup.log" 2>&1
"$superset" init >>"$run/setup.log" 2>&1
echo "superset metadata database and admin: $((SECONDS - start)) s" >&2

"$superset" run -h 127.0.0.1 -p "$superset_port" --with-threads >"$run/superset.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do
  if curl -sf "http://127.0.0.1:$superset_port/health" >/dev/null \
    && grep -q "listening on" "$run/segql.log"; then
    break
  fi
  sleep 1
done
"$python" tests/superset/superset_api.py "http://127.0.0.1:$superset_port" "$segql_port" \
  analyst segql-superset-test
echo "superset check: $((SECONDS - start)) s in all" >&2
