"""The benchmark runner: generate the data, time segql and its peers on the same files in one
run (alternating engines, one warm-up, the median of --repeat runs, each engine in its own
process for its peak RSS), and write BENCHMARKS.md.

    bash benchmarks/run.sh [--rows 1000000,10000000] [--repeat 3]

Rows measured so far: rfm() over Parquet against DuckDB and Polars; kmeans_fit on the RFM
table against scikit-learn (lloyd and elkan, 1 and 2 threads); the whole job against DuckDB's
RFM handed to scikit-learn. (Still to come: CSV, scaling to 100M rows, scoring.)
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
SEGQL = ROOT / "target" / "release" / "segql"
BENCH_RFM = ROOT / "target" / "release" / "examples" / "bench_rfm"
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


def generate(rows):
    path = DATA / f"tx_{rows}.parquet"
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
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args()
    results = []
    for rows in [int(r) for r in args.rows.split(",")]:
        path = generate(rows)
        rel = str(path.relative_to(ROOT))
        # Alternate: segql, DuckDB, Polars, then segql again; the median of each engine's runs.
        for engine in ["segql", "duckdb", "polars", "segql"]:
            if engine == "segql":
                r = run_json([str(BENCH_RFM), rel, "--repeat", str(args.repeat)])
                r.update(task="rfm", engine="segql")
            else:
                r = run_json([PY, "benchmarks/peers.py", "rfm", engine, rel, "--repeat", str(args.repeat)])
            r["rows_in"] = rows
            results.append(r)
            print(json.dumps(r), flush=True)
        rfm_table = DATA / f"rfm_{rows}.parquet"
        if not rfm_table.exists():
            subprocess.run([str(SEGQL), "-q", "-c",
                            f"COPY (SELECT recency_days, frequency, monetary FROM rfm('{rel}')) "
                            f"TO '{rfm_table}' STORED AS PARQUET"], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
        for k in args.k:
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
        job = f"SELECT sum(sse) FROM kmeans_fit(rfm('{rel}'), 3)"
        median, rss, inertia = segql_scalar([str(SEGQL), "-q", "--format", "csv", "-c", job], args.repeat)
        r = dict(task="job", engine="segql", k=3, median_s=median, peak_rss_mib=rss, rows_in=rows)
        results.append(r)
        print(json.dumps(r), flush=True)
        r = run_json([PY, "benchmarks/peers.py", "job", rel, "--k", "3", "--threads", "2",
                      "--repeat", str(args.repeat)])
        r["rows_in"] = rows
        results.append(r)
        print(json.dumps(r), flush=True)
    write_report(results, args.out)


def write_report(results, out):
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `bash benchmarks/run.sh` on {machine()}.",
        "Each engine runs in its own process: one warm-up, then the median of the timed runs; "
        "engines alternate (segql, DuckDB, Polars, segql); peak RSS is the process's.",
        "",
        "## rfm() over Parquet",
        "",
        "| rows | engine | median | peak RSS | segql / best peer |",
        "|---:|---|---:|---:|---:|",
    ]
    by_rows = {}
    for r in results:
        if r["task"] == "rfm":
            by_rows.setdefault(r["rows_in"], []).append(r)
    for rows, rs in by_rows.items():
        peers = [r for r in rs if r["engine"] != "segql"]
        best = min(r["median_s"] for r in peers)
        segql = [r for r in rs if r["engine"] == "segql"]
        seg_median = statistics.median(r["median_s"] for r in segql)
        for r in rs:
            name = r["engine"] if r["engine"] == "segql" else f'{r["engine"]} {r.get("version", "")}'
            ratio = f"{r['median_s'] / best:.2f}" if r["engine"] == "segql" else ""
            rss = r.get("peak_rss_mib")
            lines.append(f"| {rows:,} | {name} | {r['median_s']:.3f} s | "
                         f"{rss:.0f} MiB | {ratio} |" if rss else
                         f"| {rows:,} | {name} | {r['median_s']:.3f} s | | {ratio} |")
        lines.append(f"| {rows:,} | **segql (median of its runs) / best peer** | | | "
                     f"**{seg_median / best:.2f}** |")
    lines += ["", "## kmeans_fit on the RFM table (n_init = 10, seed 0)", "",
              "Whole segql process (reads the RFM Parquet file) against scikit-learn's fit alone "
              "(features prepared beforehand, BLAS limited to 1 thread).", "",
              "| rows | k | engine | median | peak RSS | inertia | segql / best peer |",
              "|---:|---:|---|---:|---:|---:|---:|"]
    fits = {}
    for r in results:
        if r["task"] == "kmeans":
            fits.setdefault((r["rows_in"], r["k"]), []).append(r)
    for (rows, k), rs in fits.items():
        best = min(r["median_s"] for r in rs if r["engine"] != "segql")
        for r in rs:
            ratio = f"{r['median_s'] / best:.2f}" if r["engine"] == "segql" else ""
            lines.append(f"| {rows:,} | {k} | {r['engine']} | {r['median_s']:.3f} s | "
                         f"{r['peak_rss_mib']:.0f} MiB | {r['inertia']:.2f} | {ratio} |")
    lines += ["", "## The whole job: transactions to segments (k = 3)", "",
              "| rows | engine | median | peak RSS | segql / peer |", "|---:|---|---:|---:|---:|"]
    jobs = {}
    for r in results:
        if r["task"] == "job":
            jobs.setdefault(r["rows_in"], []).append(r)
    for rows, rs in jobs.items():
        peer = min(r["median_s"] for r in rs if r["engine"] != "segql")
        for r in rs:
            ratio = f"{r['median_s'] / peer:.2f}" if r["engine"] == "segql" else ""
            lines.append(f"| {rows:,} | {r['engine']} | {r['median_s']:.3f} s | "
                         f"{r['peak_rss_mib']:.0f} MiB | {ratio} |")
    Path(out).write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
