#!/usr/bin/env bash
# What the server, object-store and report tests need besides Rust: psql, openssl,
# PostgreSQL's server (the catalog answers are compared with it), Java with the Postgres JDBC
# driver, a Python venv (.venv-test) with psycopg 3, SQLAlchemy 2, pandas, moto and
# RangeHTTPServer, Debian's Chromium with Playwright and pypdf (.venv-report) for the report's
# browser test, and a real Superset in its own venv (.venv-superset, which also has
# SQLAlchemy 1.4 + psycopg2). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# the Postgres JDBC driver (Debian's, as BI tools bundle it) and a JDK to run it from source
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
[ -f /usr/share/java/postgresql.jar ] || missing+=(libpostgresql-jdbc-java)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || missing+=(python3-venv)
# the report's browser tests: Debian's Chromium, driven by Playwright from .venv-report
[ -x /usr/bin/chromium ] || missing+=(chromium)
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

stamp=.venv-report/.requirements
if [ ! -x .venv-report/bin/python ] || ! cmp -s tests/report/requirements.txt "$stamp"; then
  echo "creating .venv-report (Playwright, pypdf)" >&2
  python3 -m venv .venv-report
  .venv-report/bin/pip install -q --disable-pip-version-check -r tests/report/requirements.txt
  cp tests/report/requirements.txt "$stamp"
fi

# Superset 6.1 pins SQLAlchemy 1.4 and connects with psycopg2: its own venv (SQLAlchemy 2 and
# 1.4 cannot share one), also used for the SQLAlchemy 1.4 inspector checks.
stamp=.venv-superset/.requirements
if [ ! -x .venv-superset/bin/superset ] || ! cmp -s tests/superset/requirements.txt "$stamp"; then
  echo "creating .venv-superset (apache-superset 6.1.0, SQLAlchemy 1.4, psycopg2)" >&2
  rm -rf .venv-superset
  python3 -m venv .venv-superset
  .venv-superset/bin/pip install -q --disable-pip-version-check -r tests/superset/requirements.txt
  cp tests/superset/requirements.txt "$stamp"
fi
