#!/usr/bin/env python3
"""The report against the SQL it runs: `segql report FILE` (k = 'auto' over 2..10 on rfm(tx))
beside the same fit alone, `kmeans_fit(rfm(tx), 'auto', ks => '2..10')`, each a whole segql
process, alternating, on generated online-retail transactions. Prints each run, the medians,
their ratio (target: at most 1.5) and the report's size (target: under 2 MiB). Run after
`cargo build --profile dist --bin segql`:

    python3 benchmarks/report.py --rows 10000000 --repeat 3
"""
import argparse
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEGQL = ROOT / "target" / "dist" / "segql"


def timed(args: list, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(SEGQL), *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = ROOT / "benchmarks" / ".data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"tx_{args.rows}.parquet"
    if not path.exists():
        subprocess.run([str(SEGQL), "generate", "--rows", str(args.rows), "--out", str(path)],
                       check=True)
    table = path.stem
    fit = ["--quiet", str(path), "--models", "report_models", "-c",
           f"SELECT count(*) FROM kmeans_fit(rfm({table}), 'auto', ks => '2..10')"]
    report = ["report", str(path), "--models", "report_models", "-o", "report.html"]
    sql_runs, report_runs = [], []
    for _ in range(args.repeat):
        sql_runs.append(timed(fit, data))
        report_runs.append(timed(report, data))
        print(f"sql {sql_runs[-1]:.2f} s, report {report_runs[-1]:.2f} s", flush=True)
    sql, rep = statistics.median(sql_runs), statistics.median(report_runs)
    size = (data / "report.html").stat().st_size
    print(f"{args.rows} rows: the SQL alone {sql:.2f} s, the report {rep:.2f} s, "
          f"ratio {rep / sql:.2f} (target <= 1.5); report {size / 1024:.0f} KiB (target < 2048)")


if __name__ == "__main__":
    main()
