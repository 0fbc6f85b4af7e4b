#!/usr/bin/env python3
"""DBSCAN, hierarchical clustering and cohorts beside their peers, each side in its own process
timed and measured by /usr/bin/time (wall time, peak RSS), on generated online-retail data:

- dbscan on the RFM table of the transactions (400k customers for 10M rows) against
  scikit-learn's DBSCAN (its default tree). Both read the same Parquet file of the customers'
  coordinates in segql's fitted space (pca(rfm(tx), components => 3): all three components, an
  orthogonal rotation of the Box-Cox transformed and standardised features, so every distance
  is the fitted space's), with no further preprocessing;
- hclust_tree Ward on the first 20,000 of those customers against
  scipy.cluster.hierarchy.linkage(method='ward'), and segql alone on 100,000;
- cohorts(tx) by month against DuckDB's query of tests/fixtures/make_cohorts_reference.py.

Each peer process times its own work after reading the file (printed as "fit"); the ratio
uses the whole segql process against the peer's fit alone, as the other rows of BENCHMARKS.md.
Run after `cargo build --profile dist --bin segql`:

    benchmarks/.venv/bin/python benchmarks/other_methods.py --rows 10000000 --eps 0.05 0.1 --min-samples 20
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEGQL = ROOT / "target" / "dist" / "segql"
DATA = ROOT / "benchmarks" / ".data"

PEER_DBSCAN = """
import sys, time, pyarrow.parquet as pq, numpy as np
from sklearn.cluster import DBSCAN
t = pq.read_table(sys.argv[1]); x = np.column_stack([t.column(c).to_numpy() for c in ('pc1', 'pc2', 'pc3')])
start = time.perf_counter(); labels = DBSCAN(eps=float(sys.argv[2]), min_samples=int(sys.argv[3])).fit(x).labels_
print(f"fit {time.perf_counter() - start:.3f} clusters {labels.max() + 1} noise {(labels == -1).sum()}")
"""

PEER_WARD = """
import sys, time, pyarrow.parquet as pq, numpy as np
from scipy.cluster.hierarchy import linkage
t = pq.read_table(sys.argv[1]); x = np.column_stack([t.column(c).to_numpy() for c in ('pc1', 'pc2', 'pc3')])[: int(sys.argv[2])]
start = time.perf_counter(); z = linkage(x, method='ward')
print(f"fit {time.perf_counter() - start:.3f} top {z[-1, 2]:.6f}")
"""

PEER_COHORTS = """
import sys, time, duckdb
sys.path.insert(0, sys.argv[2])
from make_cohorts_reference import query
import make_cohorts_reference as m
m.SOURCE = sys.argv[1]
start = time.perf_counter(); rows = duckdb.sql(query('month', False)).fetchall()
print(f"fit {time.perf_counter() - start:.3f} rows {len(rows)} revenue {sum(r[5] for r in rows):.2f}")
"""


def measured(command: list) -> tuple:
    """Wall seconds, peak RSS in MiB and the output of `command` (the output is
    "failed: ..." when it did not finish)."""
    run = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", *command],
                         capture_output=True, text=True, cwd=DATA)
    seconds, kib = re.search(r"TIME ([\d.]+) (\d+)", run.stderr).groups()
    if run.returncode != 0:
        why = "killed (out of memory)" if run.returncode in (137, -9) else f"exit {run.returncode}"
        return float(seconds), int(kib) / 1024, f"failed: {why}"
    return float(seconds), int(kib) / 1024, run.stdout.strip()


def segql(sql: str, *files: Path) -> tuple:
    return measured([str(SEGQL), "--quiet", *map(str, files), "-c", sql])


def peer(code: str, *args) -> tuple:
    return measured([sys.executable, "-c", code, *map(str, args)])


def fit_time(output: str) -> float:
    return float(re.search(r"fit ([\d.]+)", output).group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--eps", type=float, nargs="+", default=[0.05, 0.1])
    parser.add_argument("--min-samples", type=int, default=20)
    parser.add_argument("--ward-rows", type=int, nargs="+", default=[20_000, 100_000])
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    tx = DATA / f"tx_{args.rows}.parquet"
    if not tx.exists():
        subprocess.run([str(SEGQL), "generate", "--rows", str(args.rows), "--out", str(tx)], check=True)
    fitted = DATA / f"rfm_fitted_{args.rows}.parquet"
    if not fitted.exists():
        segql(f"COPY (SELECT pc1, pc2, pc3 FROM pca(rfm({tx.stem}), components => 3) "
              f"ORDER BY \"CustomerID\") TO '{fitted}'", tx)
    rows = []

    # DBSCAN
    for eps in args.eps:
        ours = segql(f"SELECT max(segment) + 1 AS clusters, sum(CAST(segment = -1 AS INT)) AS noise "
                     f"FROM dbscan({fitted.stem}, {eps}, {args.min_samples}, transform => 'none', "
                     f"scale => 'none')", fitted)
        theirs = peer(PEER_DBSCAN, fitted, eps, args.min_samples)
        rows.append((f"dbscan eps {eps}, min_samples {args.min_samples}", ours,
                     "scikit-learn DBSCAN", theirs))

    # Ward
    for n in args.ward_rows:
        ours = segql(f"SELECT max(distance) FROM hclust_tree((SELECT * FROM {fitted.stem} LIMIT {n}), "
                     f"linkage => 'ward', transform => 'none', scale => 'none')", fitted)
        theirs = peer(PEER_WARD, fitted, n) if n <= 20_000 else None
        rows.append((f"hclust ward, {n} rows", ours, "SciPy linkage ward", theirs))

    # cohorts
    ours = segql(f"SELECT count(*), round(sum(revenue), 2) FROM cohorts({tx.stem})", tx)
    theirs = peer(PEER_COHORTS, tx, ROOT / "tests" / "fixtures")
    rows.append((f"cohorts by month, {args.rows} rows", ours, "DuckDB query", theirs))

    print("| job | segql (whole process) | peak RSS | peer | peer fit | peer peak RSS | time ratio | memory ratio |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for job, (t, m, out), name, peer_result in rows:
        print(f"<!-- segql: {out!r} -->", file=sys.stderr)
        if peer_result is None:
            print(f"| {job} | {t:.2f} s | {m:.0f} MiB | (none) | | | | |")
            continue
        pt, pm, pout = peer_result
        print(f"<!-- peer: {pout!r} -->", file=sys.stderr)
        if pout.startswith("failed"):
            print(f"| {job} | {t:.2f} s | {m:.0f} MiB | {name} | {pout} after {pt:.0f} s | "
                  f"{pm:.0f} MiB | | |")
            continue
        fit = fit_time(pout)
        print(f"| {job} | {t:.2f} s | {m:.0f} MiB | {name} | {fit:.2f} s | {pm:.0f} MiB | "
              f"**{t / fit:.2f}** | {m / pm:.2f} |")


if __name__ == "__main__":
    main()
