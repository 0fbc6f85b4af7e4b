"""The benchmark runner: generate the data, time segql and its peers on the same files in one
run (alternating engines, one warm-up, the median of --repeat runs, each engine in its own
process for its peak RSS), and write BENCHMARKS.md.

    bash benchmarks/run.sh [--rows 1000000,10000000] [--repeat 3]

Rows measured so far: rfm() over Parquet against DuckDB and Polars. (Issue 6 adds the
K-Means, whole-job, CSV, scaling and scoring rows.)
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
    Path(out).write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
