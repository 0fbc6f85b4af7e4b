"""One peer measurement per call, printed as one JSON line, so that each engine runs in its own
process and its peak RSS is its own.

    python peers.py rfm duckdb FILE [--repeat N]
    python peers.py rfm polars FILE [--repeat N]
    python peers.py kmeans FILE --k K --algorithm lloyd|elkan --threads T [--repeat N]

RFM is the same aggregate segql's rfm() computes at its core: per customer, days since the
last purchase (as of the day after the last purchase in the file), distinct invoices, and the
summed line amounts; the whole result is materialised (Arrow). K-Means takes an RFM Parquet
table (recency_days, frequency, monetary), log1p-transforms frequency and monetary, scales to
unit population variance, and fits with n_init=10, random_state=0, BLAS limited to one thread.
"""

import argparse
import json
import resource
import statistics
import sys
import time


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeat):
    fn()  # warm-up
    times = []
    result = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def rfm_duckdb(path, repeat):
    import duckdb
    con = duckdb.connect()
    reader = "read_parquet" if path.endswith(".parquet") else "read_csv_auto"
    sql = f"""
        WITH t AS (SELECT * FROM {reader}('{path}') WHERE "CustomerID" IS NOT NULL),
             as_of AS (SELECT max("InvoiceDate") + INTERVAL 1 DAY AS d FROM t)
        SELECT "CustomerID" AS customer_id,
               date_diff('day', max("InvoiceDate"), (SELECT d FROM as_of)) AS recency_days,
               count(DISTINCT "InvoiceNo") AS frequency,
               sum("Quantity" * "UnitPrice") AS monetary
        FROM t GROUP BY "CustomerID"
    """
    median, table = timed(lambda: con.sql(sql).to_arrow_table(), repeat)
    return median, table.num_rows, duckdb.__version__


def rfm_polars(path, repeat):
    import polars as pl
    scan = pl.scan_parquet(path) if path.endswith(".parquet") else pl.scan_csv(path, try_parse_dates=True)

    def run():
        t = scan.filter(pl.col("CustomerID").is_not_null())
        as_of = t.select(pl.col("InvoiceDate").max()).collect().item()
        return (t.group_by("CustomerID").agg(
            ((pl.lit(as_of) - pl.col("InvoiceDate").max()).dt.total_days() + 1).alias("recency_days"),
            pl.col("InvoiceNo").n_unique().alias("frequency"),
            (pl.col("Quantity") * pl.col("UnitPrice")).sum().alias("monetary"),
        ).collect().to_arrow())

    median, table = timed(run, repeat)
    return median, table.num_rows, pl.__version__


def kmeans(path, k, algorithm, threads, repeat):
    import numpy as np
    import pyarrow.parquet as pq
    import sklearn
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    table = pq.read_table(path, columns=["recency_days", "frequency", "monetary"])
    x = np.column_stack([
        table["recency_days"].to_numpy().astype(float),
        np.log1p(table["frequency"].to_numpy().astype(float)),
        np.log1p(np.maximum(table["monetary"].to_numpy().astype(float), 0)),
    ])
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    import os
    os.environ["OMP_NUM_THREADS"] = str(threads)
    with threadpool_limits(limits=1, user_api="blas"), threadpool_limits(limits=threads, user_api="openmp"):
        median, model = timed(
            lambda: KMeans(k, n_init=10, random_state=0, algorithm=algorithm).fit(x), repeat)
    return median, float(model.inertia_), sklearn.__version__


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["rfm", "kmeans"])
    parser.add_argument("args", nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--algorithm", default="lloyd")
    parser.add_argument("--threads", type=int, default=1)
    a = parser.parse_args()
    if a.task == "rfm":
        engine, path = a.args
        fn = {"duckdb": rfm_duckdb, "polars": rfm_polars}[engine]
        median, rows, version = fn(path, a.repeat)
        out = dict(task="rfm", engine=engine, version=version, file=path, median_s=median, rows=rows)
    else:
        (path,) = a.args
        median, inertia, version = kmeans(path, a.k, a.algorithm, a.threads, a.repeat)
        out = dict(task="kmeans", engine=f"scikit-learn {a.algorithm} {a.threads}t", version=version,
                   file=path, k=a.k, median_s=median, inertia=inertia)
    out["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(out))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
