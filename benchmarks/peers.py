"""One peer measurement per call, printed as one JSON line, so that each engine runs in its own
process and its peak RSS is its own.

    python peers.py rfm duckdb FILE [--repeat N]
    python peers.py rfm polars FILE [--repeat N]
    python peers.py kmeans FILE --k K --algorithm lloyd|elkan --threads T [--repeat N]
    python peers.py job FILE --k K --threads T [--repeat N]

RFM is the same aggregate segql's rfm() computes at its core: per customer, days since the
last purchase (as of the day after the last purchase in the file), distinct invoices, and the
summed line amounts; the whole result is materialised (Arrow). K-Means takes an RFM Parquet
table (recency_days, frequency, monetary), log1p-transforms frequency and monetary, scales to
unit population variance, and fits with n_init=10, random_state=0, BLAS limited to one thread.
The whole job is DuckDB's RFM handed to scikit-learn (lloyd) as NumPy arrays, timed together.
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


RFM_SQL = """
    WITH t AS (SELECT * FROM {reader}('{path}') WHERE "CustomerID" IS NOT NULL),
         as_of AS (SELECT max("InvoiceDate") + INTERVAL 1 DAY AS d FROM t)
    SELECT "CustomerID" AS customer_id,
           date_diff('day', max("InvoiceDate"), (SELECT d FROM as_of)) AS recency_days,
           count(DISTINCT "InvoiceNo") AS frequency,
           sum("Quantity" * "UnitPrice") AS monetary
    FROM t GROUP BY "CustomerID"
"""


def rfm_duckdb(path, repeat):
    import duckdb
    con = duckdb.connect()
    reader = "read_parquet" if path.endswith(".parquet") else "read_csv_auto"
    sql = RFM_SQL.format(reader=reader, path=path)
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


def features(table):
    import numpy as np
    x = np.column_stack([
        table["recency_days"].to_numpy().astype(float),
        np.log1p(table["frequency"].to_numpy().astype(float)),
        np.log1p(np.maximum(table["monetary"].to_numpy().astype(float), 0)),
    ])
    return (x - x.mean(axis=0)) / x.std(axis=0)


def kmeans(path, k, algorithm, threads, repeat):
    import pyarrow.parquet as pq
    import sklearn
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    x = features(pq.read_table(path, columns=["recency_days", "frequency", "monetary"]))
    with threadpool_limits(limits=1, user_api="blas"), threadpool_limits(limits=threads, user_api="openmp"):
        median, model = timed(
            lambda: KMeans(k, n_init=10, random_state=0, algorithm=algorithm).fit(x), repeat)
    return median, float(model.inertia_), sklearn.__version__


def job(path, k, threads, repeat):
    import duckdb
    import sklearn
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    con = duckdb.connect()

    def run():
        table = con.sql(RFM_SQL.format(reader="read_parquet", path=path)).to_arrow_table()
        x = features(table)
        return KMeans(k, n_init=10, random_state=0, algorithm="lloyd").fit(x)

    with threadpool_limits(limits=1, user_api="blas"), threadpool_limits(limits=threads, user_api="openmp"):
        median, model = timed(run, repeat)
    return median, float(model.inertia_), f"duckdb {duckdb.__version__} + scikit-learn {sklearn.__version__}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["rfm", "kmeans", "job"])
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
    elif a.task == "job":
        (path,) = a.args
        median, inertia, version = job(path, a.k, a.threads, a.repeat)
        out = dict(task="job", engine=f"duckdb + scikit-learn lloyd {a.threads}t", version=version,
                   file=path, k=a.k, median_s=median, inertia=inertia)
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
