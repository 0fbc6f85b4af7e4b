#!/usr/bin/env bash
# Debian's PostgreSQL server on loopback, for the tests that compare segql serve's catalog
# answers with PostgreSQL's own.
#
#   bash tests/server/postgres.sh start DIR PORT   # initdb in DIR, start, create the sales table
#   bash tests/server/postgres.sh stop DIR
#
# Logins are trusted (loopback only); the user is `segql`, the database `datafusion` (the
# name segql serve gives its database), with a `sales` table of the demo table's shape.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/postgres" ] || { echo "no PostgreSQL server: run bash scripts/test-deps.sh" >&2; exit 1; }

# PostgreSQL refuses to run as root; CI runs as root, so the server runs as Debian's postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$1" in
start)
  dir=$2 port=$3
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U segql --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  as_owner "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U segql -d postgres \
    -c "CREATE DATABASE datafusion"
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U segql -d datafusion -c '
    CREATE TABLE sales ("InvoiceNo" text NOT NULL, "StockCode" text NOT NULL,
      "Description" text NOT NULL, "Quantity" bigint NOT NULL,
      "InvoiceDate" timestamp NOT NULL, "UnitPrice" double precision NOT NULL,
      "CustomerID" bigint, "Country" text NOT NULL)'
  ;;
stop)
  as_owner "$bin/pg_ctl" -D "$2/data" -m immediate stop >/dev/null
  ;;
*)
  echo "usage: postgres.sh start DIR PORT | stop DIR" >&2
  exit 2
  ;;
esac
