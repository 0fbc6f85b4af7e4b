"""Real Postgres clients against a running `segql serve`, one scenario per call.

    python clients.py SCENARIO HOST PORT USER PASSWORD

tests/server.rs starts the server (tables `orders` from tests/fixtures/shell/orders.csv and the
demo `sales`), then runs each scenario; a scenario prints what it checked and exits 0, or fails
with a traceback. Expected values are hand-computed from orders.csv:
customer 1: last order 2024-01-05, 2 orders, 40.0; customer 2: 2024-01-03, 1, 5.5;
customer 3: 2024-01-02, 1 order (two lines), 120.0; as of 2024-01-06.
"""

import sys
import threading
import time

import psycopg
from psycopg import errors as pgerrors

SCENARIO, HOST, PORT, USER, PASSWORD = sys.argv[1:6]

INT4, INT8, FLOAT8, TEXT, TIMESTAMP = 23, 20, 701, 25, 1114


def connect(**extra):
    params = dict(host=HOST, port=PORT, user=USER, password=PASSWORD, dbname="datafusion",
                  sslmode="disable", connect_timeout=10)
    params.update(extra)
    return psycopg.connect(**params, autocommit=True)


def engine():
    import sqlalchemy
    return sqlalchemy.create_engine(
        f"postgresql+psycopg://{USER}:{PASSWORD}@{HOST}:{PORT}/datafusion?sslmode=disable")


def expect_error(fn, sqlstate, text):
    try:
        fn()
    except psycopg.Error as e:
        # libpq reports a refused login as text only: psycopg has no sqlstate for it.
        if not isinstance(e, psycopg.OperationalError) or e.sqlstate is not None:
            assert e.sqlstate == sqlstate, (e.sqlstate, str(e))
        assert text in str(e), str(e)
        return str(e)
    raise AssertionError(f"expected error {sqlstate} '{text}'")


def psycopg_parameters():
    with connect() as conn:
        # psycopg 3 binds parameters on the server (extended protocol): Parse/Bind/Execute.
        cur = conn.execute(
            "SELECT customer_id, recency_days, frequency, monetary, last_purchase "
            "FROM rfm(orders) WHERE frequency >= %s OR monetary > %s ORDER BY customer_id",
            (2, 100.0))
        rows = cur.fetchall()
        assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(1, 1, 2, 40.0), (3, 4, 1, 120.0)], rows
        assert str(rows[0][4]) == "2024-01-05 00:00:00", rows[0][4]
        types = [d.type_code for d in cur.description]
        assert types == [INT8, INT8, INT8, FLOAT8, TIMESTAMP], types
        # A named prepared statement, executed twice with different values, in binary.
        with conn.cursor(binary=True) as bcur:
            for threshold, expected in ((50.0, [3]), (6.0, [1, 3])):
                bcur.execute("SELECT customer_id FROM rfm(orders) WHERE monetary > %s "
                             "ORDER BY 1", (threshold,), prepare=True)
                assert [r[0] for r in bcur.fetchall()] == expected
        # Segments, labels and scores arrive typed, not as records.
        # A struct made by the query arrives as typed columns (extended protocol here).
        cur = conn.execute("SELECT named_struct('n', 1, 'label', %s::VARCHAR) AS s", ("x",))
        assert [(d.name, d.type_code) for d in cur.description] == [("s_n", INT8), ("s_label", TEXT)]
        assert cur.fetchall() == [(1, "x")]
        # Table function arguments are planned before binding: a parameter there is a clear
        # error, and client-side binding (a ClientCursor) is the way to pass them.
        expect_error(lambda: conn.execute("SELECT * FROM kmeans_fit(rfm(sales), %s)", (3,)),
                     "XX000", "(a bound parameter)")
        cur = psycopg.ClientCursor(conn)
        cur.execute("SELECT * FROM kmeans_fit(rfm(sales), %s, seed => 7)", (3,))
        names = [d.name for d in cur.description]
        types = dict(zip(names, [d.type_code for d in cur.description]))
        assert types["segment"] == INT4 and types["size"] == INT8, types
        assert types["share"] == FLOAT8 and types["label"] == TEXT, types
        rows = cur.fetchall()
        assert len(rows) == 3 and abs(sum(r[names.index("share")] for r in rows) - 1) < 1e-9
    print("psycopg: server-side parameters, prepared binary statements and types ok")


def sqlalchemy_inspect():
    import sqlalchemy
    eng = engine()
    inspector = sqlalchemy.inspect(eng)
    tables = inspector.get_table_names()
    assert "orders" in tables and "sales" in tables, tables
    columns = {c["name"]: c["type"] for c in inspector.get_columns("orders")}
    assert list(columns) == ["customer_id", "order_id", "order_date", "amount"], columns
    assert isinstance(columns["customer_id"], sqlalchemy.BigInteger), columns
    assert isinstance(columns["amount"], sqlalchemy.Float), columns
    assert "public" in inspector.get_schema_names()
    # What Superset asks of every table it adds as a dataset.
    assert inspector.get_pk_constraint("orders")["constrained_columns"] == []
    assert inspector.get_foreign_keys("orders") == []
    assert inspector.get_indexes("orders") == []
    assert inspector.get_unique_constraints("orders") == []
    assert inspector.get_view_names() == []
    assert inspector.get_table_comment("orders") == {"text": None}
    with eng.connect() as conn:
        version = conn.execute(sqlalchemy.text("SELECT version()")).scalar()
        assert version, version
    print(f"sqlalchemy: tables {sorted(tables)}; orders columns {list(columns)} ok")


def pandas_read_sql():
    import pandas as pd
    eng = engine()
    customers = pd.read_sql("SELECT count(*) AS n FROM rfm(sales)", eng)["n"][0]
    fit = pd.read_sql("SELECT * FROM kmeans_fit(rfm(sales), 4)", eng)
    assert len(fit) == 4, fit
    assert fit["size"].sum() == customers, (fit["size"].sum(), customers)
    assert str(fit["segment"].dtype).startswith("int"), fit.dtypes
    assert str(fit["share"].dtype) == "float64", fit.dtypes
    assert fit["label"].map(type).eq(str).all(), fit["label"]
    print(f"pandas: kmeans_fit of {customers} customers into 4 segments ok\n{fit[['segment', 'size', 'label']]}")


# What Superset (SQLAlchemy's dialect) and Metabase (pgjdbc) send when they connect and list
# tables; written from those clients' documented start-up sequences.
CATALOG_QUERIES = [
    "SET extra_float_digits = 3",
    "SET application_name = 'Metabase v0.55'",
    "SHOW TRANSACTION ISOLATION LEVEL",
    "SHOW standard_conforming_strings",
    "SELECT current_schema()",
    "SELECT pg_catalog.version()",
    "show timezone",
    "SELECT nspname AS \"TABLE_SCHEM\", current_database() AS \"TABLE_CATALOG\" "
    "FROM pg_catalog.pg_namespace WHERE nspname <> 'pg_toast' "
    "AND (nspname !~ '^pg_temp_' OR nspname = (pg_catalog.current_schemas(true))[1]) "
    "ORDER BY \"TABLE_SCHEM\"",
    "SELECT n.nspname AS schema, c.relname AS name, "
    "CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'v' THEN 'VIEW' ELSE NULL END AS type, "
    "d.description AS description "
    "FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid "
    "LEFT JOIN pg_catalog.pg_description AS d ON c.oid = d.objoid AND d.objsubid = 0 "
    "AND d.classoid = 'pg_class'::regclass "
    "WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' "
    "AND c.relkind IN ('r', 'p', 'v', 'f', 'm') AND n.nspname IN ('public') "
    "ORDER BY type, schema, name",
    "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull "
    "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON a.attrelid = c.oid "
    "WHERE c.relname = 'orders' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
]


def catalog_queries():
    with connect() as conn:
        results = {}
        for sql in CATALOG_QUERIES:
            cur = conn.execute(sql)
            results[sql] = cur.fetchall() if cur.description else None
        listed = [r[1] for r in results[CATALOG_QUERIES[8]]]
        assert "orders" in listed and "sales" in listed, listed
        columns = [r[0] for r in results[CATALOG_QUERIES[9]]]
        assert columns == ["customer_id", "order_id", "order_date", "amount"], columns
    print(f"catalog: {len(CATALOG_QUERIES)} Superset/Metabase start-up queries ok; tables {listed}")


def wrong_password():
    msg = expect_error(lambda: connect(password=PASSWORD + "x"), "28P01", "password authentication failed")
    missing = expect_error(lambda: connect(user="nobody"), "28P01", "password authentication failed")
    with connect() as conn:  # the server keeps serving
        assert conn.execute("SELECT 1").fetchone() == (1,)
    print(f"wrong password: {msg.strip()}; missing user: {missing.strip()}")


def sandbox():
    with connect() as conn:
        checks = [
            ("CREATE EXTERNAL TABLE pw (line TEXT) STORED AS CSV LOCATION '/etc/passwd'", "42501",
             "CREATE EXTERNAL TABLE is not allowed"),
            ("COPY orders TO '/tmp/segql_stolen.csv'", "42501", "COPY"),
            ("DROP TABLE orders", "42501", "DROP TABLE is not allowed"),
            ("CREATE TABLE t AS SELECT 1", "42501", "CREATE TABLE is not allowed"),
            ("SELECT * FROM rfm('/etc/passwd')", None, "not a file under the served data directory"),
            ("SELECT * FROM \"../../../../../etc/passwd\"", None, "not a file under the served data directory"),
        ]
        for sql, state, text in checks:
            try:
                conn.execute(sql)
            except psycopg.Error as e:
                assert text in str(e), (sql, str(e))
                if state:
                    assert e.sqlstate == state, (sql, e.sqlstate)
                continue
            raise AssertionError(f"not refused: {sql}")
        # A quoted path under --data is a table.
        n = conn.execute("SELECT count(*) FROM rfm('orders.csv')").fetchone()[0]
        assert n == 3, n
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (5,)
    print("sandbox: writes, files outside --data and URLs refused; --data paths readable")


def read_only():
    with connect() as conn:
        try:
            conn.execute("SELECT * FROM kmeans_fit(rfm(orders), 2, model => 'ro')")
            raise AssertionError("model saved on a read-only server")
        except psycopg.Error as e:
            assert "read-only" in str(e) or "read only" in str(e), str(e)
    print("read-only: model writes refused")


def long_query(conn):
    # Many restarts of a fit over the demo customers: seconds of work that only a stop can end early.
    return conn.execute("SELECT * FROM kmeans_fit(rfm(sales), 8, n_init => 1000, max_iter => 300)")


def timeout():
    with connect() as conn:
        conn.execute("SET statement_timeout = '300ms'")
        started = time.monotonic()
        msg = expect_error(lambda: long_query(conn), "57014", "statement timeout")
        took = time.monotonic() - started
        assert took < 5, took
        assert conn.execute("SELECT 1").fetchone() == (1,)
    print(f"timeout: stopped after {took:.2f} s: {msg.strip()}")


def cancel():
    with connect() as conn:
        timer = threading.Timer(0.5, conn.cancel_safe)
        started = time.monotonic()
        timer.start()
        msg = expect_error(lambda: long_query(conn), "57014", "user request")
        took = time.monotonic() - started
        assert took < 5, took
        assert conn.execute("SELECT 1").fetchone() == (1,)
    print(f"cancel: stopped after {took:.2f} s: {msg.strip()}")


def oversize():
    with connect() as conn:
        big = "SELECT 1 -- " + "x" * (2 << 20)
        msg = expect_error(lambda: conn.execute(big), "54000", "--max-query-bytes")
        assert conn.execute("SELECT 2").fetchone() == (2,)
    print(f"oversize: {msg.strip()}")


def memory():
    with connect() as conn:
        # A sort of every demo line with a wide string, held in a tiny --memory-limit.
        try:
            conn.execute('SELECT repeat("Description", 40) AS s, * FROM sales '
                         'ORDER BY s DESC, "InvoiceDate"').fetchall()
        except psycopg.Error as e:
            assert "Resources exhausted" in str(e) or "memory" in str(e).lower(), str(e)
            print(f"memory: {str(e).splitlines()[0][:160]}")
        else:
            print("memory: the sort spilled to disk and completed")
        assert conn.execute("SELECT 1").fetchone() == (1,)


def tls_required():
    msg = expect_error(lambda: connect(sslmode="disable"), "28000", "requires an encrypted connection")
    with connect(sslmode="require") as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("SELECT count(*) FROM rfm(orders)").fetchone() == (3,)
    print(f"tls: plaintext refused ({msg.strip()}); TLS login ok")


def max_connections():
    held = [connect() for _ in range(2)]
    msg = expect_error(lambda: connect(), "53300", "too many clients")
    held.pop().close()
    time.sleep(0.3)
    with connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    for c in held:
        c.close()
    print(f"max connections: {msg.strip()}")


def drop_mid_query():
    """With --max-connections 1: a client that vanishes during a long fit must free its slot
    (the fit is stopped at once), so the next client gets in while the fit would still run."""
    conn = connect()
    worker = threading.Thread(target=lambda: _swallow(lambda: long_query(conn)))
    worker.start()
    time.sleep(1.0)
    # Close the socket under psycopg, as a killed client would.
    import socket
    sock = socket.socket(fileno=conn.pgconn.socket)
    sock.shutdown(socket.SHUT_RDWR)
    sock.detach()
    started = time.monotonic()
    while True:
        try:
            with connect() as other:
                assert other.execute("SELECT 1").fetchone() == (1,)
            break
        except psycopg.OperationalError as e:
            if time.monotonic() - started > 5:
                raise AssertionError(f"slot not freed after 5 s: {e}")
            time.sleep(0.2)
    print(f"drop: slot free again after {time.monotonic() - started:.2f} s")
    worker.join(timeout=30)


def _swallow(fn):
    try:
        fn()
    except Exception:
        pass


def concurrent():
    """50 clients for a bounded time, mixing rfm, kmeans_fit (saving models) and scoring: each
    client runs until the time is up, and at least one statement of each kind."""
    clients, seconds = int(sys.argv[6]), float(sys.argv[7])
    errors, counts = [], [0] * clients
    deadline = time.monotonic() + seconds
    with connect() as setup:
        setup.execute("SELECT * FROM kmeans_fit(rfm(orders), 2, model => 'shared_k2')").fetchall()

    def client(i):
        try:
            with connect() as conn:
                n = 0
                while n < 3 or time.monotonic() < deadline:
                    kind = (i + n) % 3
                    if kind == 0:
                        rows = conn.execute("SELECT customer_id, frequency, monetary "
                                            "FROM rfm(orders) ORDER BY 1").fetchall()
                        assert rows == [(1, 2, 40.0), (2, 1, 5.5), (3, 1, 120.0)], rows
                    elif kind == 1:
                        rows = conn.execute(
                            f"SELECT * FROM kmeans_fit(rfm(orders), 2, model => 'c{i % 10}')").fetchall()
                        assert len(rows) == 2, rows
                    else:
                        rows = conn.execute(
                            "SELECT customer_id, segment FROM assign_segment('shared_k2', rfm(orders)) "
                            "ORDER BY 1").fetchall()
                        assert len(rows) == 3, rows
                    n += 1
                counts[i] = n
        except Exception as e:  # noqa: BLE001 - every failure is reported
            errors.append(f"client {i}: {e!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    assert all(c >= 3 for c in counts), counts
    with connect() as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM segql_models()").fetchall()}
        statuses = {r[0] for r in conn.execute("SELECT status FROM segql_models()").fetchall()}
    expected = {"shared_k2"} | {f"c{i}" for i in range(min(clients, 10))}
    assert expected <= names, (expected - names)
    assert statuses == {"ok"}, statuses
    print(f"concurrent: {clients} clients, {sum(counts)} statements in {seconds} s, no errors, "
          f"{len(names)} models all readable")


SCENARIOS = {f.__name__: f for f in [
    psycopg_parameters, sqlalchemy_inspect, pandas_read_sql, catalog_queries, wrong_password,
    sandbox, read_only, timeout, cancel, oversize, memory, tls_required, max_connections,
    drop_mid_query, concurrent]}

if __name__ == "__main__":
    SCENARIOS[SCENARIO]()
