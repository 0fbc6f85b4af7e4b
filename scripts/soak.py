#!/usr/bin/env python3
"""Soak `segql serve`: many clients running a mix of statements for minutes, with the server's
memory sampled throughout. Not a test (it takes ten minutes); it prints what it measured and
exits 1 if any statement failed or the memory at the end is more than 10% above the memory
after warm-up.

    .venv-test/bin/python scripts/soak.py                      # 50 clients, 10 minutes
    .venv-test/bin/python scripts/soak.py --clients 8 --minutes 1

The server is target/dist/segql when built (cargo build --profile dist --features ballista),
else target/debug/segql; it serves the demo sales table, orders.csv and a model store in a
temporary directory, and runs with its default limits (64 connections, 2 GiB per query).
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import psycopg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, SQL, parameters): what BI tools, notebooks and the shell send, in one mix
STATEMENTS = [
    ("rfm", "SELECT segment, count(*) FROM rfm(sales) GROUP BY segment", None),
    # table function arguments are planned before parameters are bound: the name is in the text
    ("fit", "SELECT * FROM kmeans_fit(rfm(orders), 2, n_init => 3, model => 'soak_{i}')", "model"),
    ("score", "SELECT \"CustomerID\", segment FROM assign_segment('soak_base', rfm(sales)) "
              "ORDER BY 1 LIMIT 50", None),
    ("score_scalar", "SELECT count(DISTINCT assign_segment('soak_base', recency_days, frequency, "
                     "monetary)) FROM rfm(sales)", None),
    ("profile", "SELECT * FROM model_segments('soak_base')", None),
    ("models", "SELECT name, k FROM segql_models() ORDER BY name", None),
    ("search", "SELECT k, inertia FROM kmeans_search(rfm(orders), ks => '1..3')", None),
    ("param", "SELECT \"CustomerID\", monetary FROM rfm(sales) WHERE monetary > %s "
              "ORDER BY monetary DESC LIMIT 5", "number"),
    ("catalog", "SELECT table_name FROM information_schema.tables ORDER BY 1", None),
    ("pg_catalog", "SELECT c.relname FROM pg_catalog.pg_class c "
                   "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace LIMIT 20", None),
    ("scan", "SELECT count(*), sum(\"Quantity\" * \"UnitPrice\") FROM sales", None),
    ("error", "SELECT * FROM kmeans_fit(rfm(orders), 0)", "expect_error"),
]


def server_binary():
    for profile in ("dist", "debug"):
        path = os.path.join(ROOT, "target", profile, "segql")
        if os.path.exists(path):
            return path
    sys.exit("no segql binary: cargo build --profile dist --features ballista")


def start_server(workdir):
    data = os.path.join(workdir, "data")
    os.makedirs(data)
    shutil.copy(os.path.join(ROOT, "tests/fixtures/shell/orders.csv"), data)
    env = {k: v for k, v in os.environ.items() if k not in ("SEGQL_USER", "SEGQL_PASSWORD")}
    proc = subprocess.Popen(
        [server_binary(), "serve", "--port", "0", "--demo", "--data", data,
         "--models", os.path.join(workdir, "models")],
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, text=True,
        env=env)
    for line in proc.stderr:
        found = re.search(r"listening on [^;]*:(\d+);", line)
        if found:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, int(found.group(1))
    sys.exit("the server did not start")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the RSS baseline")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="segql-soak-")
    proc, port = start_server(workdir)
    dsn = f"host=127.0.0.1 port={port} user=soak dbname=segql"
    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute("SELECT * FROM kmeans_fit(rfm(sales), 4, seed => 1, model => 'soak_base')")

    deadline = time.monotonic() + args.minutes * 60
    latencies = {name: [] for name, _, _ in STATEMENTS}
    errors = []
    lock = threading.Lock()

    def client(i):
        rng = random.Random(i)
        with psycopg.connect(dsn, autocommit=True) as conn:
            while time.monotonic() < deadline:
                name, sql, kind = rng.choice(STATEMENTS)
                params = (rng.uniform(0, 500),) if kind == "number" else None
                if kind == "model":
                    sql = sql.replace("{i}", str(i % 8))
                started = time.monotonic()
                try:
                    try:
                        conn.execute(sql, params).fetchall()
                        if kind == "expect_error":
                            raise AssertionError("no error for k = 0")
                    except psycopg.Error as e:
                        if kind != "expect_error" or "kmeans_fit" not in str(e):
                            raise
                    with lock:
                        latencies[name].append(time.monotonic() - started)
                except Exception as e:  # noqa: BLE001 - every failure is counted and shown
                    with lock:
                        errors.append(f"client {i}, {name}: {e!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    samples = []
    started = time.monotonic()
    while any(t.is_alive() for t in threads):
        samples.append((time.monotonic() - started, rss_kib(proc.pid)))
        time.sleep(5)
    for t in threads:
        t.join()
    proc.terminate()
    proc.wait()
    shutil.rmtree(workdir, ignore_errors=True)

    warm = [rss for at, rss in samples if at >= args.warmup] or [rss for _, rss in samples]
    baseline, end, peak = warm[0], warm[-1], max(rss for _, rss in samples)
    every = [x for values in latencies.values() for x in values]
    print(f"soak: {args.clients} clients x {args.minutes:g} min against {server_binary()}")
    print(f"statements: {len(every)} ({len(every) / (args.minutes * 60):.0f}/s), errors: {len(errors)}")
    print(f"RSS after warm-up {baseline / 1024:.0f} MiB, at the end {end / 1024:.0f} MiB "
          f"({(end - baseline) / baseline:+.1%}), peak {peak / 1024:.0f} MiB")
    print(f"latency p50 {percentile(every, 50) * 1000:.0f} ms, p99 {percentile(every, 99) * 1000:.0f} ms")
    for name, values in latencies.items():
        if values:
            print(f"  {name:>12}: {len(values):6d} runs, p50 {percentile(values, 50) * 1000:7.1f} ms, "
                  f"p99 {percentile(values, 99) * 1000:7.1f} ms")
    for e in errors[:5]:
        print(e)
    ok = not errors and end <= baseline * 1.10
    print("soak: ok" if ok else "soak: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
