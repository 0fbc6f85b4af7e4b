#!/usr/bin/env python3
"""segql from Python against the segql binary and against DuckDB + scikit-learn, on the same
Parquet file of generated transactions (issue #25's performance check). Each is timed where
its user would time it: in Python from `ctx.sql` to `to_pandas()` (the wheel built with
`maturin build --profile dist`), the binary's own "Elapsed" for the same query, and the
analyst's notebook alternative (peers.py job: DuckDB's RFM, numpy features, scikit-learn's
KMeans) in the benchmarks venv. Medians of --repeat runs, each in a fresh process.

    python3 benchmarks/python.py --python VENV/bin/python --rows 10000000 --repeat 3
"""
import argparse
import json
import re
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEGQL = ROOT / "target" / "dist" / "segql"
PEERS = ROOT / "benchmarks" / ".venv" / "bin" / "python"

PYTHON_RUN = """
import sys, time, segql
path, form = sys.argv[1], sys.argv[2]
ctx = segql.SessionContext()
ctx.register_parquet("tx", path)
source = "tx" if form == "table" else "'" + path + "'"
start = time.perf_counter()
frame = ctx.sql(f"SELECT * FROM kmeans_fit(rfm({source}), 3)").to_pandas()
print(time.perf_counter() - start, len(frame))
"""


def python_seconds(python: str, path: Path, form: str) -> float:
    out = subprocess.run([python, "-c", PYTHON_RUN, str(path), form], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0])


def binary_seconds(path: Path) -> float:
    out = subprocess.run(
        [str(SEGQL), str(path), "--models", "/tmp/segql_bench_models", "-c",
         f"SELECT * FROM kmeans_fit(rfm({path.stem}), 3)"],
        check=True, capture_output=True, text=True).stdout
    return float(re.findall(r"Elapsed ([0-9.]+) seconds", out)[-1])


def peer_seconds(path: Path, repeat: int) -> float:
    out = subprocess.run([str(PEERS), str(ROOT / "benchmarks" / "peers.py"), "job", str(path),
                          "--k", "3", "--threads", "2", "--repeat", str(repeat)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["median_s"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", required=True, help="a venv's python with the dist wheel")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = ROOT / "benchmarks" / ".data" / f"tx_{args.rows}.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(SEGQL), "generate", "--rows", str(args.rows), "--out", str(path)],
                       check=True)
    runs = {"binary": [], "python, table registered in Python": [],
            "python, file named in the query": []}
    for _ in range(args.repeat):
        runs["binary"].append(binary_seconds(path))
        runs["python, table registered in Python"].append(python_seconds(args.python, path, "table"))
        runs["python, file named in the query"].append(python_seconds(args.python, path, "path"))
    medians = {name: statistics.median(times) for name, times in runs.items()}
    peer = peer_seconds(path, args.repeat)
    for name, times in runs.items():
        print(f"{name}: {' / '.join(f'{t:.2f}' for t in times)} s, median {medians[name]:.2f} s, "
              f"{medians[name] / medians['binary']:.2f}x the binary, "
              f"{medians[name] / peer:.2f}x DuckDB + scikit-learn")
    print(f"DuckDB + scikit-learn (2 threads): median {peer:.2f} s")


if __name__ == "__main__":
    main()
