#!/usr/bin/env python3
"""Side by side on demo_customers: segql's K-Means fit on the eight-feature recipe's encoding
(seven numeric features plus product_category one-hot encoded in SQL, all standardised, k = 5,
n_init 10) and its pca() against scikit-learn's OneHotEncoder + StandardScaler + KMeans(n_init=10)
and PCA on the same Parquet file. One run each, whole segql process against the peers' fit
alone (after reading the file). Run after `cargo build --profile dist --bin segql`:

    benchmarks/.venv/bin/python benchmarks/customers.py --rows 1000000
"""
import argparse
import subprocess
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parent.parent
SEGQL = ROOT / "target" / "dist" / "segql"
NUMERIC = ["annual_income", "spending_score", "number_of_purchases", "age",
           "years_with_company", "average_order_value", "activity_per_week"]
CATEGORIES = ["electronics", "fashion", "home_goods", "beauty"]
ENCODED = ", ".join(f"CAST(product_category = '{c}' AS DOUBLE) AS cat_{c}" for c in CATEGORIES)
FEATURES = ", ".join(NUMERIC + [f"cat_{c}" for c in CATEGORIES])


def segql(sql: str, path: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(SEGQL), "--quiet", str(path), "-c", sql], check=True,
                   stdout=subprocess.DEVNULL, cwd=path.parent)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    path = ROOT / "benchmarks" / ".data" / f"customers_{args.rows}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        subprocess.run([str(SEGQL), "--quiet", "-c",
                        f"COPY (SELECT * FROM demo_customers({args.rows})) TO '{path}'"],
                       check=True, stdout=subprocess.DEVNULL)
    table = path.stem
    fit_sql = (f"SELECT sum(sse) FROM kmeans_fit((SELECT *, {ENCODED} FROM {table}), 5, "
               f"transform => 'none', seed => 0, features => '{FEATURES}')")
    pca_sql = (f"SELECT count(*) FROM pca({table}, components => 2, transform => 'none', "
               f"features => '{', '.join(NUMERIC)}', view => 'components')")
    ours_fit = segql(fit_sql, path)
    ours_pca = segql(pca_sql, path)

    data = pq.read_table(path)
    numeric = np.column_stack([data.column(c).to_numpy().astype(float) for c in NUMERIC])
    category = data.column("product_category").to_numpy(zero_copy_only=False).reshape(-1, 1)
    start = time.perf_counter()
    onehot = OneHotEncoder(categories=[CATEGORIES], sparse_output=False)
    x = np.hstack([numeric, onehot.fit_transform(category)])
    KMeans(n_clusters=5, n_init=10, random_state=0).fit(StandardScaler().fit_transform(x))
    theirs_fit = time.perf_counter() - start
    start = time.perf_counter()
    PCA(n_components=2).fit(StandardScaler().fit_transform(numeric))
    theirs_pca = time.perf_counter() - start
    print(f"| eight-feature fit, k = 5, {args.rows} rows | {ours_fit:.2f} s | scikit-learn {theirs_fit:.2f} s | {ours_fit / theirs_fit:.2f} |")
    print(f"| pca, 7 features, {args.rows} rows | {ours_pca:.2f} s | scikit-learn {theirs_pca:.2f} s | {ours_pca / theirs_pca:.2f} |")


if __name__ == "__main__":
    main()
