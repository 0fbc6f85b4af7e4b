"""One peer measurement per call, printed as one JSON line, so that each engine runs in its own
process and its peak RSS is its own.

    python peers.py rfm duckdb FILE [--repeat N]
    python peers.py rfm polars FILE [--repeat N]
    python peers.py kmeans FILE --k K --algorithm lloyd|elkan --threads T [--repeat N]
    python peers.py job FILE --k K --threads T [--repeat N]
    python peers.py search FILE --ks 2..10 --sample N [--repeat N]
    python peers.py silhouette ROWS [--repeat N]
    python peers.py rfm_sums duckdb PATH --memory-limit-mib M [--spill-dir DIR]

RFM is the same aggregate segql's rfm() computes at its core: per customer, days since the
last purchase (as of the day after the last purchase in the file), distinct invoices, and the
summed line amounts; the whole result is materialised (Arrow). K-Means takes an RFM Parquet
table (recency_days, frequency, monetary), log1p-transforms frequency and monetary, scales to
unit population variance, and fits with n_init=10, random_state=0, BLAS limited to one thread.
The whole job is DuckDB's RFM handed to scikit-learn (lloyd) as NumPy arrays, timed together.
The search is the loop an analyst writes to choose k: per k, KMeans(n_init=10) then
silhouette_score(sample_size=N), davies_bouldin_score and calinski_harabasz_score. The
silhouette row is silhouette_score on ROWS generated points (five clusters, the 64-bit LCG of
examples/bench_silhouette.rs), exact.
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


SUMS_SQL = """
    SELECT count(*) AS customers, sum(recency_days) AS recency_days,
           sum(frequency) AS frequency, sum(monetary) AS monetary
    FROM ({rfm})
"""


def rfm_sums_duckdb(path, memory_limit_mib, spill_dir):
    """The RFM aggregate over a data set too large to repeat (a billion rows), once, under a
    memory limit (DuckDB spills to spill_dir), reduced to counts and sums to compare."""
    import duckdb
    con = duckdb.connect()
    con.sql(f"SET memory_limit = '{memory_limit_mib}MiB'")
    con.sql(f"SET temp_directory = '{spill_dir}'")
    con.sql("SET preserve_insertion_order = false")
    began = time.perf_counter()
    row = con.execute(SUMS_SQL.format(rfm=RFM_SQL.format(reader="read_parquet", path=path))).fetchone()
    took = time.perf_counter() - began
    sums = dict(zip(["customers", "recency_days", "frequency", "monetary"], row))
    return took, {k: float(v) for k, v in sums.items()}, duckdb.__version__


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


def search(path, ks, sample, repeat):
    import pyarrow.parquet as pq
    import sklearn
    from sklearn.cluster import KMeans
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score
    from threadpoolctl import threadpool_limits

    x = features(pq.read_table(path, columns=["recency_days", "frequency", "monetary"]))

    def run():
        rows = []
        for k in ks:
            labels = KMeans(k, n_init=10, random_state=0).fit(x).labels_
            rows.append((k, silhouette_score(x, labels, sample_size=sample, random_state=0),
                         davies_bouldin_score(x, labels), calinski_harabasz_score(x, labels)))
        return rows

    with threadpool_limits(limits=1, user_api="blas"), threadpool_limits(limits=2, user_api="openmp"):
        median, rows = timed(run, repeat)
    return median, rows, sklearn.__version__


def lcg_blobs(rows):
    """examples/bench_silhouette.rs's points: five clusters of uniform noise from a 64-bit LCG."""
    import numpy as np
    mask = (1 << 64) - 1
    state = 20261202
    centres = [(0.0, 0.0), (6.0, 0.0), (0.0, 6.0), (6.0, 6.0), (3.0, 3.0)]
    x = np.empty((rows, 2))
    for i in range(rows):
        for j in range(2):
            state = (state * 6364136223846793005 + 1442695040888963407) & mask
            x[i, j] = centres[i % 5][j] + ((state >> 11) / float(1 << 53) - 0.5) * 4.0
    return x, np.arange(rows) % 5


def silhouette(rows, repeat):
    import sklearn
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    x, labels = lcg_blobs(rows)
    with threadpool_limits(limits=2):
        median, score = timed(lambda: silhouette_score(x, labels), repeat)
    return median, float(score), sklearn.__version__


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["rfm", "rfm_sums", "kmeans", "job", "search", "silhouette"])
    parser.add_argument("args", nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--algorithm", default="lloyd")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ks", default="2..10")
    parser.add_argument("--sample", type=int, default=10000)
    parser.add_argument("--memory-limit-mib", type=int, default=4096)
    parser.add_argument("--spill-dir", default="/tmp")
    a = parser.parse_args()
    if a.task == "rfm":
        engine, path = a.args
        fn = {"duckdb": rfm_duckdb, "polars": rfm_polars}[engine]
        median, rows, version = fn(path, a.repeat)
        out = dict(task="rfm", engine=engine, version=version, file=path, median_s=median, rows=rows)
    elif a.task == "rfm_sums":
        engine, path = a.args
        took, sums, version = rfm_sums_duckdb(path, a.memory_limit_mib, a.spill_dir)
        out = dict(task="huge", engine=engine, version=version, file=path, median_s=took,
                   memory_limit_mib=a.memory_limit_mib, sums=sums)
    elif a.task == "job":
        (path,) = a.args
        median, inertia, version = job(path, a.k, a.threads, a.repeat)
        out = dict(task="job", engine=f"duckdb + scikit-learn lloyd {a.threads}t", version=version,
                   file=path, k=a.k, median_s=median, inertia=inertia)
    elif a.task == "search":
        (path,) = a.args
        lo, hi = (int(v) for v in a.ks.split(".."))
        median, rows, version = search(path, list(range(lo, hi + 1)), a.sample, a.repeat)
        out = dict(task="search", engine="scikit-learn loop", version=version, file=path,
                   ks=a.ks, sample=a.sample, median_s=median,
                   silhouette=[float(r[1]) for r in rows])
    elif a.task == "silhouette":
        (rows,) = a.args
        median, score, version = silhouette(int(rows), a.repeat)
        out = dict(task="silhouette", engine="scikit-learn silhouette_score", version=version,
                   rows=int(rows), median_s=median, silhouette=score)
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
