"""Throughput and latency of `segql serve` under 1, 10 and 50 concurrent clients.

Start a server first (release build), e.g.

    segql serve --demo --port 5439 --models /tmp/segql_bench_models
    .venv-test/bin/python bench/serve_load.py --port 5439 --clients 1,10,50 --seconds 20

Each client holds one psycopg connection and loops over a mix of statements on the demo
`sales` table (200 000 transactions, 8 000 customers): an RFM segment count, a K-Means fit (k=4,
3 restarts) and a scoring query with a saved model. Printed per client count: statements per
second, and p50/p99 latency per statement kind and overall.
"""

import argparse
import statistics
import threading
import time

import psycopg

MIX = {
    "rfm": "SELECT segment, count(*) FROM rfm(sales) GROUP BY segment",
    "kmeans_fit": "SELECT segment, size, label FROM kmeans_fit(rfm(sales), 4, n_init => 3)",
    "assign_segment": "SELECT segment, count(*) FROM assign_segment('bench_k4', rfm(sales)) "
                      "GROUP BY segment",
}


def percentile(values, q):
    values = sorted(values)
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return values[index]


def run(dsn, clients, seconds):
    latencies = {kind: [] for kind in MIX}
    errors = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(i):
        kinds = list(MIX)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                start.wait()
                n = i
                while time.monotonic() < stop_at[0]:
                    kind = kinds[n % len(kinds)]
                    began = time.perf_counter()
                    conn.execute(MIX[kind]).fetchall()
                    took = time.perf_counter() - began
                    with lock:
                        latencies[kind].append(took)
                    n += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
            try:
                start.abort()
            except threading.BrokenBarrierError:
                pass

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    start.wait()
    began = time.monotonic()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    return latencies, errors, elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="bench")
    parser.add_argument("--password", default="")
    parser.add_argument("--clients", default="1,10,50")
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    dsn = (f"host={args.host} port={args.port} user={args.user} password={args.password} "
           f"dbname=datafusion sslmode=disable")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT * FROM kmeans_fit(rfm(sales), 4, model => 'bench_k4')").fetchall()
        for sql in MIX.values():  # warm up
            conn.execute(sql).fetchall()
    print("| clients | statements/s | p50 | p99 | rfm p50/p99 | kmeans_fit p50/p99 | assign_segment p50/p99 | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for clients in [int(c) for c in args.clients.split(",")]:
        latencies, errors, elapsed = run(dsn, clients, args.seconds)
        every = [x for values in latencies.values() for x in values]
        ms = lambda v: f"{v * 1000:.0f} ms"  # noqa: E731
        per_kind = [f"{ms(percentile(latencies[k], 50))} / {ms(percentile(latencies[k], 99))}" for k in MIX]
        print(f"| {clients} | {len(every) / elapsed:.1f} | {ms(percentile(every, 50))} | "
              f"{ms(percentile(every, 99))} | " + " | ".join(per_kind) + f" | {len(errors)} |",
              flush=True)
        if errors:
            print("errors:", errors[:3])


if __name__ == "__main__":
    main()
