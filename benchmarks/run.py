"""The benchmark runner: generate the data, time segql and its peers on the same files in one
run (alternating engines, one warm-up, the median of --repeat runs, each engine in its own
process for its peak RSS), and write BENCHMARKS.md.

    bash benchmarks/run.sh [--rows 1000000,10000000] [--repeat 3] [--scale-rows 100000000]
        [--huge-rows 1000000000]

Rows: rfm() over Parquet (every --rows) and CSV (--csv-rows) against DuckDB and Polars;
kmeans_fit on the RFM table of the largest --rows against scikit-learn (lloyd and elkan, 1 and 2
threads); the whole job against DuckDB's RFM handed to scikit-learn; scaling to --scale-rows
(per-row cost against the largest --rows) and the same rfm() under a --spill-mib memory limit;
assign_segment scoring --scoring-rows customers against a plain scan of the same columns;
kmeans_search over --search-ks on the RFM table against the scikit-learn loop an analyst writes
(with and without stability), and the exact silhouette of --silhouette-rows points.
--huge-rows (off by default: it takes about half an hour, most of it generating ~7 GB of
Parquet once) runs rfm() once over that many rows in segql and DuckDB, each under
--huge-memory-mib, and compares their counts and sums.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / ".data"
SEGQL = ROOT / "target" / "dist" / "segql"
BENCH_RFM = ROOT / "target" / "dist" / "examples" / "bench_rfm"
BENCH_SILHOUETTE = ROOT / "target" / "dist" / "examples" / "bench_silhouette"
PY = sys.executable


def time_process(command, repeat):
    """Wall time (median after one warm-up) and peak RSS of a whole process; its last stdout."""
    import time
    times, rss, out = [], 0.0, ""
    for run in range(repeat + 1):
        began = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        stdout = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        took = time.perf_counter() - began
        if child.returncode != 0:
            raise RuntimeError(f"{command} failed with {child.returncode}")
        if run > 0:
            times.append(took)
        rss = max(rss, usage.ru_maxrss / 1024)
        out = stdout
    return statistics.median(times), rss, out


def segql_scalar(command, repeat):
    median, rss, out = time_process(command, repeat)
    value = float(out.strip().splitlines()[-1])
    return median, rss, value


def run_json(command):
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def generate(rows, fmt="parquet"):
    path = DATA / f"tx_{rows}.{fmt}"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(SEGQL), "generate", "--rows", str(rows), "--out", str(path)], check=True)
    return path


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(open("/proc/meminfo").readline().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--k", type=lambda v: [int(x) for x in v.split(",")], default=[3, 8])
    parser.add_argument("--csv-rows", type=int, default=1000000)
    parser.add_argument("--scale-rows", type=int, default=100000000, help="0 to skip")
    parser.add_argument("--scale-repeat", type=int, default=1)
    parser.add_argument("--spill-mib", type=int, default=2048)
    parser.add_argument("--scoring-rows", type=int, default=10000000, help="0 to skip")
    parser.add_argument("--search-ks", default="2..10", help="'' to skip")
    parser.add_argument("--search-sample", type=int, default=10000)
    parser.add_argument("--search-repeat", type=int, default=1)
    parser.add_argument("--silhouette-rows", type=int, default=20000, help="0 to skip")
    parser.add_argument("--huge-rows", type=int, default=0,
                        help="e.g. 1000000000: rfm() once under --huge-memory-mib; 0 to skip")
    parser.add_argument("--huge-memory-mib", type=int, default=4096)
    parser.add_argument("--only", default="", help="comma-separated tasks to run (rfm, kmeans, "
                        "job, scale, huge, scoring, search, silhouette, customers, methods, "
                        "report); default all")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--report-from", help="rewrite the report from a saved results file")
    args = parser.parse_args()
    if args.report_from:
        lines = Path(args.report_from).read_text().splitlines()
        results = [json.loads(line) for line in lines if line.startswith("{")]
        write_report(results, args.out)
        return
    results = []
    only = set(filter(None, args.only.split(",")))
    wanted = lambda task: not only or task in only
    all_rows = [int(r) for r in args.rows.split(",")]
    if wanted("rfm"):
        for rows in all_rows:
            rfm_rows(results, generate(rows), rows, args.repeat, "parquet")
        if args.csv_rows:
            rfm_rows(results, generate(args.csv_rows, "csv"), args.csv_rows, args.repeat, "csv")
    rows = max(all_rows)
    path = generate(rows)
    rel = str(path.relative_to(ROOT))
    rfm_table = DATA / f"rfm_{rows}.parquet"
    if not rfm_table.exists():
        subprocess.run([str(SEGQL), "-q", "-c",
                        f"COPY (SELECT recency_days, frequency, monetary FROM rfm('{rel}')) "
                        f"TO '{rfm_table}' STORED AS PARQUET"], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
    for k in (args.k if wanted("kmeans") else []):
        fit = (f"SELECT sum(sse) FROM kmeans_fit((SELECT CAST(recency_days AS DOUBLE) AS r, "
               f"ln(1 + frequency) AS f, ln(1 + greatest(monetary, 0)) AS m "
               f"FROM '{rfm_table}'), {k}, transform => 'none', seed => 0)")
        median, rss, inertia = segql_scalar(
            [str(SEGQL), "-q", "--format", "csv", "-c", fit], args.repeat)
        r = dict(task="kmeans", engine="segql", k=k, median_s=median, peak_rss_mib=rss,
                 inertia=inertia, rows_in=rows)
        results.append(r)
        print(json.dumps(r), flush=True)
        for algorithm in ["lloyd", "elkan"]:
            for threads in [1, 2]:
                r = run_json([PY, "benchmarks/peers.py", "kmeans", str(rfm_table), "--k", str(k),
                              "--algorithm", algorithm, "--threads", str(threads),
                              "--repeat", str(args.repeat)])
                r["rows_in"] = rows
                results.append(r)
                print(json.dumps(r), flush=True)
    if wanted("job"):
        job_rows(results, rel, rows, args.repeat)
    if args.scale_rows and wanted("scale"):
        scale(results, args, rows)
    if args.huge_rows and wanted("huge"):
        huge(results, args)
    if args.scoring_rows and wanted("scoring"):
        scoring(results, args, DATA / f"rfm_{rows}.parquet")
    if args.search_ks and wanted("search"):
        search(results, args, rfm_table, rows)
    if args.silhouette_rows and wanted("silhouette"):
        silhouette(results, args)
    for name in SCRIPTS:
        if wanted(name):
            script(results, name)
    saved = DATA / "results.jsonl"
    saved.write_text("".join(json.dumps(r) + "\n" for r in results))
    print(f"results saved in {saved} (rewrite the report with --report-from)")
    write_report(results, args.out)


def rfm_rows(results, path, rows, repeat, fmt, engines=("segql", "duckdb", "polars", "segql")):
    """rfm() by each engine, alternating: segql, DuckDB, Polars, then segql again."""
    rel = str(path.relative_to(ROOT))
    for engine in engines:
        if engine == "segql":
            r = run_json([str(BENCH_RFM), rel, "--repeat", str(repeat)])
            r.update(task="rfm", engine="segql")
        else:
            r = run_json([PY, "benchmarks/peers.py", "rfm", engine, rel, "--repeat", str(repeat)])
        r.update(rows_in=rows, format=fmt)
        results.append(r)
        print(json.dumps(r), flush=True)


def job_rows(results, rel, rows, repeat):
    """The whole job, kmeans_fit(rfm(file), 3), against DuckDB's RFM handed to scikit-learn."""
    job = f"SELECT sum(sse) FROM kmeans_fit(rfm('{rel}'), 3)"
    median, rss, _ = segql_scalar([str(SEGQL), "-q", "--format", "csv", "-c", job], repeat)
    r = dict(task="job", engine="segql", k=3, median_s=median, peak_rss_mib=rss, rows_in=rows)
    results.append(r)
    print(json.dumps(r), flush=True)
    r = run_json([PY, "benchmarks/peers.py", "job", rel, "--k", "3", "--threads", "2",
                  "--repeat", str(repeat)])
    r["rows_in"] = rows
    results.append(r)
    print(json.dumps(r), flush=True)


def scale(results, args, base_rows):
    """rfm() at --scale-rows (per-row cost against base_rows), then under a memory limit."""
    rows = args.scale_rows
    path = generate(rows)
    rel = str(path.relative_to(ROOT))
    rfm_rows(results, path, rows, args.scale_repeat, "parquet", ("segql", "duckdb"))
    job_rows(results, str(path.relative_to(ROOT)), rows, args.scale_repeat)
    command = [str(BENCH_RFM), rel, "--repeat", str(args.scale_repeat),
               "--memory-limit-mib", str(args.spill_mib)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode == 0:
        r = json.loads(done.stdout.strip().splitlines()[-1])
    else:  # reported, not hidden: the row says what failed
        r = dict(memory_limit_mib=args.spill_mib, error=(done.stderr.strip().splitlines() or ["?"])[-1])
    r.update(task="spill", engine="segql", rows_in=rows, base_rows=base_rows)
    results.append(r)
    print(json.dumps(r), flush=True)


def generate_parts(rows):
    """A data set larger than memory, as a directory of Parquet parts of up to 100M rows each
    (disjoint customers and invoice numbers), generated one part at a time."""
    path = DATA / f"tx_{rows}"
    if not (path / ".complete").exists():
        DATA.mkdir(parents=True, exist_ok=True)
        parts = max(1, -(-rows // 100_000_000))
        subprocess.run([str(SEGQL), "generate", "--rows", str(rows), "--parts", str(parts),
                        "--out", str(path)], check=True)
        (path / ".complete").write_text("")
    return path


SUMS = ("SELECT count(*) AS customers, sum(recency_days) AS recency_days, "
        "sum(frequency) AS frequency, sum(monetary) AS monetary FROM rfm(tx)")


def huge(results, args):
    """rfm() once over --huge-rows rows in segql and DuckDB, each under the same memory limit
    (both spill), their counts and sums compared."""
    rows = args.huge_rows
    path = generate_parts(rows)
    rel = str(path.relative_to(ROOT))
    spill = DATA / "spill"
    spill.mkdir(exist_ok=True)
    r = run_json([str(BENCH_RFM), rel, "--repeat", "0", "--memory-limit-mib",
                  str(args.huge_memory_mib),
                  "--setup", "CREATE EXTERNAL TABLE tx STORED AS PARQUET LOCATION '{path}/'",
                  "--query", SUMS])
    r["sums"] = {k: float(v) for k, v in (kv.split("=") for kv in r.pop("checksum").split("/"))}
    r.update(task="huge", engine="segql", rows_in=rows)
    results.append(r)
    print(json.dumps(r), flush=True)
    try:
        r = run_json([PY, "benchmarks/peers.py", "rfm_sums", "duckdb", f"{rel}/*.parquet",
                      "--memory-limit-mib", str(args.huge_memory_mib), "--spill-dir", str(spill)])
    except subprocess.CalledProcessError as failed:  # reported, not hidden
        r = dict(task="huge", engine="duckdb", memory_limit_mib=args.huge_memory_mib,
                 error=(failed.stderr.strip().splitlines() or ["?"])[-1])
    r["rows_in"] = rows
    results.append(r)
    print(json.dumps(r), flush=True)


def scoring(results, args, rfm_table):
    """assign_segment over --scoring-rows customers against a plain scan of the same columns."""
    rows = args.scoring_rows
    path = DATA / f"customers_{rows}.parquet"
    if not path.exists():
        subprocess.run([str(SEGQL), "-q", "-c",
                        f"COPY (SELECT value AS customer_id, CAST(value * 7919 % 365 AS BIGINT) AS recency_days, "
                        f"1 + value * 31 % 40 AS frequency, CAST(value * 104729 % 500000 AS DOUBLE) / 100 AS monetary "
                        f"FROM generate_series(1, {rows})) TO '{path}' STORED AS PARQUET"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    rel = str(path.relative_to(ROOT))
    fit = (f"SELECT count(*) FROM kmeans_fit((SELECT recency_days, frequency, monetary FROM "
           f"'{rfm_table}'), 8, model => 'bench')")
    queries = {
        "scan": "SELECT count(*) AS n, sum(recency_days) AS r, sum(frequency) AS f, "
                "sum(monetary) AS m FROM '{path}'",
        "assign_segment": "SELECT count(*) AS n, sum(assign_segment('bench', recency_days, "
                          "frequency, monetary)) AS s FROM '{path}'",
    }
    for name in ["scan", "assign_segment", "scan", "assign_segment"]:
        r = run_json([str(BENCH_RFM), rel, "--repeat", str(args.repeat), "--setup", fit,
                      "--query", queries[name]])
        r.update(task="scoring", engine=name, rows_in=rows)
        results.append(r)
        print(json.dumps(r), flush=True)


def search(results, args, rfm_table, rows_in):
    """kmeans_search over the RFM table, without and with stability, against the scikit-learn
    loop (KMeans(n_init=10), sampled silhouette, Davies-Bouldin, Calinski-Harabasz per k)."""
    for stability in [0, 3]:
        sql = (f"SELECT sum(silhouette) FROM kmeans_search((SELECT CAST(recency_days AS DOUBLE) AS r, "
               f"ln(1 + frequency) AS f, ln(1 + greatest(monetary, 0)) AS m FROM '{rfm_table}'), "
               f"ks => '{args.search_ks}', transform => 'none', seed => 0, stability => {stability}, "
               f"silhouette_sample => {args.search_sample})")
        median, rss, total = segql_scalar([str(SEGQL), "-q", "--format", "csv", "-c", sql],
                                          args.search_repeat)
        r = dict(task="search", engine=f"segql (stability => {stability})", median_s=median,
                 peak_rss_mib=rss, silhouette_sum=total, rows_in=rows_in, ks=args.search_ks)
        results.append(r)
        print(json.dumps(r), flush=True)
    r = run_json([PY, "benchmarks/peers.py", "search", str(rfm_table), "--ks", args.search_ks,
                  "--sample", str(args.search_sample), "--repeat", str(args.search_repeat)])
    r["rows_in"] = rows_in
    r["silhouette_sum"] = sum(r.pop("silhouette"))
    results.append(r)
    print(json.dumps(r), flush=True)


def silhouette(results, args):
    """The exact silhouette of the same generated points: segql's kernel against scikit-learn's."""
    rows = str(args.silhouette_rows)
    r = run_json([str(BENCH_SILHOUETTE), "--rows", rows, "--repeat", str(args.repeat)])
    results.append(r)
    print(json.dumps(r), flush=True)
    r = run_json([PY, "benchmarks/peers.py", "silhouette", rows, "--repeat", str(args.repeat)])
    results.append(r)
    print(json.dumps(r), flush=True)


# The newer functions' own benchmark scripts, run as they are and reported as they print:
# name -> (section title, what the issue set as the target, the script and its arguments).
SCRIPTS = {
    "customers": ("Beyond RFM: demo_customers, the eight-feature fit and pca",
                  "targets: the fit ≤ 0.33×, pca ≤ 0.5× scikit-learn",
                  ["benchmarks/customers.py", "--rows", "1000000"]),
    "methods": ("DBSCAN, hierarchical clustering, cohorts",
                "targets: dbscan ≤ 0.3× scikit-learn with memory ≤ its own; Ward on 20k ≤ 1.0× "
                "SciPy, 100k finishing; cohorts ≤ 1.0× DuckDB",
                ["benchmarks/other_methods.py", "--rows", "10000000", "--eps", "0.05",
                 "--min-samples", "20"]),
    "report": ("The report",
               "targets: `segql report` ≤ 1.5× the SQL it runs, the file < 2 MiB",
               ["benchmarks/report.py", "--rows", "10000000", "--repeat", "3"]),
}


def script(results, name):
    """One of SCRIPTS, its printed lines kept for the report."""
    _, _, command = SCRIPTS[name]
    done = subprocess.run([PY, *command], capture_output=True, text=True, cwd=ROOT)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0:
        lines.append(f"failed ({done.returncode}): {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    r = dict(task="script", name=name, command=" ".join(command), lines=lines)
    results.append(r)
    print(json.dumps(r), flush=True)


def write_report(results, out):
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `bash benchmarks/run.sh` on {machine()}.",
        "Each engine runs in its own process: one warm-up, then the median of the timed runs; "
        "engines alternate (segql, DuckDB, Polars, segql); peak RSS is the process's. "
        "Ratios are segql / best peer: below 1 segql is faster (or smaller).",
        "",
        "## rfm()",
        "",
        "segql's full rfm() table (14 columns: dates, recency, frequency, monetary, averages, "
        "periodicity, three scores, segment) against the peers' core aggregate (recency, "
        "distinct invoices, summed amount).",
        "",
        "| input | rows | engine | median | peak RSS | time ratio | memory ratio |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    groups = {}
    for r in results:
        if r["task"] == "rfm":
            groups.setdefault((r["format"], r["rows_in"]), []).append(r)
    for (fmt, rows), rs in groups.items():
        peers = [r for r in rs if r["engine"] != "segql"]
        best = min(r["median_s"] for r in peers)
        duck = next((r for r in peers if r["engine"] == "duckdb"), None)
        segql = [r for r in rs if r["engine"] == "segql"]
        for r in rs:
            name = "segql" if r["engine"] == "segql" else f'{r["engine"]} {r.get("version", "")}'
            lines.append(f"| {fmt} | {rows:,} | {name} | {r['median_s']:.3f} s | "
                         f"{r.get('peak_rss_mib', 0):.0f} MiB | | |")
        seg_median = statistics.median(r["median_s"] for r in segql)
        seg_rss = max(r.get("peak_rss_mib", 0) for r in segql)
        memory = f"{seg_rss / duck['peak_rss_mib']:.2f} (vs DuckDB)" if duck else ""
        lines.append(f"| {fmt} | {rows:,} | **segql / best peer** | | | "
                     f"**{seg_median / best:.2f}** | {memory} |")
    lines += ["", "## kmeans_fit on the RFM table (n_init = 10, seed 0)", "",
              "Whole segql process (reads the RFM Parquet file) against scikit-learn's fit alone "
              "(features prepared beforehand, BLAS limited to 1 thread).", "",
              "| customers from | k | engine | median | peak RSS | inertia | segql / best peer |",
              "|---:|---:|---|---:|---:|---:|---:|"]
    fits = {}
    for r in results:
        if r["task"] == "kmeans":
            fits.setdefault((r["rows_in"], r["k"]), []).append(r)
    for (rows, k), rs in fits.items():
        best = min(r["median_s"] for r in rs if r["engine"] != "segql")
        for r in rs:
            ratio = f"**{r['median_s'] / best:.2f}**" if r["engine"] == "segql" else ""
            name = r["engine"]
            lines.append(f"| {rows:,} | {k} | {name} | {r['median_s']:.3f} s | "
                         f"{r['peak_rss_mib']:.0f} MiB | {r['inertia']:.2f} | {ratio} |")
    lines += ["", "## The whole job: transactions to segments (k = 3)", "",
              "`SELECT * FROM kmeans_fit(rfm('tx.parquet'), 3)` as one segql process against DuckDB's "
              "RFM handed to scikit-learn (lloyd, 2 threads) as NumPy arrays.", "",
              "| rows | engine | median | peak RSS | segql / peer |", "|---:|---|---:|---:|---:|"]
    for r in results:
        if r["task"] == "job":
            peer = min(p["median_s"] for p in results
                       if p["task"] == "job" and p["engine"] != "segql" and p["rows_in"] == r["rows_in"])
            ratio = f"**{r['median_s'] / peer:.2f}**" if r["engine"] == "segql" else ""
            lines.append(f"| {r['rows_in']:,} | {r['engine']} | {r['median_s']:.3f} s | "
                         f"{r['peak_rss_mib']:.0f} MiB | {ratio} |")
    spill = [r for r in results if r["task"] == "spill"]
    if spill:
        lines += ["", "## Scaling and spilling (rfm() over Parquet)", "",
                  "| rows | engine | median | ns per row | per-row cost vs the smaller file | peak RSS |",
                  "|---:|---|---:|---:|---:|---:|"]
        for engine in ["segql", "duckdb"]:
            runs = {}
            for r in results:
                if r["task"] == "rfm" and r["engine"] == engine and r["format"] == "parquet":
                    runs.setdefault(r["rows_in"], []).append(r)
            sizes = sorted(runs)
            for rows in sizes[-2:]:
                t = statistics.median(r["median_s"] for r in runs[rows])
                per = t / rows * 1e9
                base_rows = sizes[-2] if len(sizes) > 1 else rows
                base = statistics.median(r["median_s"] for r in runs[base_rows]) / base_rows * 1e9
                rss = max(r.get("peak_rss_mib", 0) for r in runs[rows])
                lines.append(f"| {rows:,} | {engine} | {t:.2f} s | {per:.1f} | "
                             f"{per / base:.2f} | {rss:.0f} MiB |")
        for r in spill:
            if "error" in r:
                lines += ["", f"With a {r['memory_limit_mib']} MiB memory pool, rfm() over "
                          f"{r['rows_in']:,} rows **failed**: `{r['error'][:400]}`"]
                continue
            free = [x for x in results if x["task"] == "rfm" and x["engine"] == "segql"
                    and x["rows_in"] == r["rows_in"]]
            same = free and all(x.get("checksum") == r.get("checksum") for x in free)
            lines += ["", f"With a {r['memory_limit_mib']} MiB memory pool, rfm() over "
                      f"{r['rows_in']:,} rows took {r['median_s']:.2f} s, peak RSS "
                      f"{r['peak_rss_mib']:.0f} MiB, spilled {r['spills']} times "
                      f"({r['spilled_mib']:.0f} MiB), and gave "
                      f"{'the same answer (column sums equal)' if same else 'a DIFFERENT answer'} "
                      f"as without a limit."]
    huge_runs = [r for r in results if r["task"] == "huge"]
    if huge_runs:
        rows = huge_runs[0]["rows_in"]
        limit = huge_runs[0]["memory_limit_mib"]
        lines += ["", f"## {rows:,} rows under a {limit:,} MiB memory limit", "",
                  f"rfm() once over {rows:,} generated rows (a directory of Parquet parts, "
                  "`--huge-rows`), each engine in its own process under the same memory limit "
                  "(both spill to disk), reduced to the customer count and the sums of recency, "
                  "frequency and monetary.", "",
                  "| engine | time | peak RSS | spilled | customers | sum recency | sum frequency "
                  "| sum monetary |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in huge_runs:
            if "error" in r:
                lines.append(f"| {r['engine']} | **failed**: `{r['error'][:300]}` | | | | | | |")
                continue
            s = r["sums"]
            spilled = f"{r['spilled_mib']:,.0f} MiB" if "spilled_mib" in r else ""
            name = "segql" if r["engine"] == "segql" else f"{r['engine']} {r.get('version', '')}"
            lines.append(f"| {name} | {r['median_s']:.1f} s | {r.get('peak_rss_mib', 0):,.0f} MiB | "
                         f"{spilled} | {s['customers']:,.0f} | {s['recency_days']:,.0f} | "
                         f"{s['frequency']:,.0f} | {s['monetary']:,.2f} |")
        if len(huge_runs) == 2 and not any("error" in r for r in huge_runs):
            a, b = (r["sums"] for r in huge_runs)
            same = all(abs(a[k] - b[k]) <= 1e-9 * max(1.0, abs(b[k])) for k in b)
            t = huge_runs[0]["median_s"] / huge_runs[1]["median_s"]
            m = huge_runs[0]["peak_rss_mib"] / huge_runs[1]["peak_rss_mib"]
            lines += ["", f"segql / DuckDB: time **{t:.2f}**, peak RSS **{m:.2f}**; the answers are "
                      f"{'the same (counts equal, sums equal to 1e-9)' if same else '**DIFFERENT**'}."]
    scores = [r for r in results if r["task"] == "scoring"]
    if scores:
        lines += ["", "## assign_segment scoring", "",
                  "A k = 8 model fitted beforehand; each query reads the same three columns of the "
                  "same Parquet file.", "",
                  "| customers | query | median | rows/s | share of the scan's rate |",
                  "|---:|---|---:|---:|---:|"]
        by = {}
        for r in scores:
            by.setdefault(r["engine"], []).append(r["median_s"])
        rows = scores[0]["rows_in"]
        scan = statistics.median(by["scan"])
        for name, times in by.items():
            t = statistics.median(times)
            lines.append(f"| {rows:,} | {name} | {t:.3f} s | {rows / t / 1e6:.1f} M | "
                         f"{scan / t:.2f} |")
    searches = [r for r in results if r["task"] == "search"]
    if searches:
        peer = next(r for r in searches if not r["engine"].startswith("segql"))
        lines += ["", "## Choosing k: kmeans_search against the scikit-learn loop", "",
                  f"ks {peer['ks']} on the RFM table of {peer['rows_in']:,} transactions (the same "
                  "features as the kmeans rows); per k, scikit-learn runs KMeans(n_init=10), "
                  f"silhouette_score(sample_size={peer['sample']}), davies_bouldin_score and "
                  "calinski_harabasz_score; segql one kmeans_search call with the same sample size "
                  "(whole process, one run).", "",
                  "| engine | time | peak RSS | sum of silhouettes | segql / scikit-learn |",
                  "|---|---:|---:|---:|---:|"]
        for r in searches:
            ratio = (f"**{r['median_s'] / peer['median_s']:.2f}**"
                     if r["engine"].startswith("segql") else "")
            lines.append(f"| {r['engine']} | {r['median_s']:.2f} s | "
                         f"{r.get('peak_rss_mib', 0):.0f} MiB | {r['silhouette_sum']:.4f} | {ratio} |")
    sil = [r for r in results if r["task"] == "silhouette"]
    if sil:
        peer = next(r for r in sil if r["engine"] != "segql")
        lines += ["", "## Exact silhouette", "",
                  f"{peer['rows']:,} generated points in five clusters (the same rows on both "
                  "sides), all pairs; scikit-learn's silhouette_score with 2 threads.", "",
                  "| engine | median | silhouette | segql / scikit-learn |", "|---|---:|---:|---:|"]
        for r in sil:
            ratio = f"**{r['median_s'] / peer['median_s']:.2f}**" if r["engine"] == "segql" else ""
            lines.append(f"| {r['engine']} | {r['median_s']:.3f} s | {r['silhouette']:.6f} | {ratio} |")
    for r in results:
        if r["task"] != "script":
            continue
        title, target, _ = SCRIPTS[r["name"]]
        lines += ["", f"## {title}", "", f"`benchmarks/.venv/bin/python {r['command']}` ({target}):", ""]
        table = [line for line in r["lines"] if line.startswith("|")]
        if table and not table[0].startswith("| job"):
            lines += ["| job | segql | peer | ratio |", "|---|---:|---:|---:|"]
        lines += table
        rest = [f"- {line}" for line in r["lines"] if not line.startswith("|")]
        lines += ([""] if table and rest else []) + rest
    notes = ROOT / "benchmarks" / "notes.md"
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    Path(out).write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
