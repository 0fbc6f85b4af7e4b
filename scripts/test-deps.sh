#!/usr/bin/env bash
# What the server tests (tests/server.rs) need besides Rust: psql, openssl, and a Python venv
# (.venv-test) with psycopg 3, SQLAlchemy 2, pandas, moto and RangeHTTPServer. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

stamp=.venv-test/.requirements
if [ ! -x .venv-test/bin/python ] || ! cmp -s tests/server/requirements.txt "$stamp"; then
  echo "creating .venv-test (psycopg, SQLAlchemy, pandas, moto, RangeHTTPServer)" >&2
  python3 -m venv .venv-test
  .venv-test/bin/pip install -q --disable-pip-version-check -r tests/server/requirements.txt
  cp tests/server/requirements.txt "$stamp"
fi
