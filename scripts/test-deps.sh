#!/usr/bin/env bash
# What the server tests (tests/server.rs) need besides Rust: psql, openssl, Java with the
# Postgres JDBC driver, a Python venv with SQLAlchemy 1.4 (.venv-sa14), and a Python venv
# (.venv-test) with psycopg 3, SQLAlchemy 2, pandas, moto and RangeHTTPServer. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# the Postgres JDBC driver (Debian's, as BI tools bundle it) and a JDK to run it from source
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
[ -f /usr/share/java/postgresql.jar ] || missing+=(libpostgresql-jdbc-java)
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

# SQLAlchemy 1.4 + psycopg2 (what Superset 6 installs) in its own venv: SQLAlchemy 2 and 1.4
# cannot share one.
stamp=.venv-sa14/.requirements
if [ ! -x .venv-sa14/bin/python ] || ! cmp -s tests/server/requirements-sqlalchemy14.txt "$stamp"; then
  echo "creating .venv-sa14 (SQLAlchemy 1.4, psycopg2)" >&2
  python3 -m venv .venv-sa14
  .venv-sa14/bin/pip install -q --disable-pip-version-check -r tests/server/requirements-sqlalchemy14.txt
  cp tests/server/requirements-sqlalchemy14.txt "$stamp"
fi
