"""A notebook's segmentation, cell by cell, with segql from Python.

    python examples/segment.py [transactions.parquet]

Without a file it writes segql's demo transactions to demo_sales.parquet first. It builds the
RFM table, lets segql choose k, fits and saves the model, scores the customers, names the
segments, writes segql's HTML report and, when matplotlib is installed, draws the customers
on the first two principal components coloured by segment (segment.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

import segql

# --- load: any Parquet file of order lines (customer, invoice date, amount or quantity × price)
if len(sys.argv) > 1:
    path = Path(sys.argv[1])
else:
    path = Path("demo_sales.parquet")
    segql.SessionContext().sql(
        "SELECT * FROM demo_transactions(rows => 200000)"
    ).write_parquet(str(path))

ctx = segql.SessionContext(models="segql_models")
ctx.register_parquet("sales", str(path))

# --- the RFM table, one row per customer
rfm = ctx.sql("SELECT * FROM rfm(sales)")
print(rfm.limit(5).to_pandas())

# --- choose k: inertia, silhouette and Davies-Bouldin for k = 2..8, and segql's pick
search = ctx.sql("SELECT * FROM kmeans_search(rfm(sales), ks => '2..8', seed => 1)")
print(search.to_pandas())

# --- fit the recommended k and keep the model as 'customers'
segments = ctx.sql(
    "SELECT * FROM kmeans_fit(rfm(sales), 'auto', ks => '2..8', seed => 1, model => 'customers')"
).to_pandas()
print(segments)

# --- score every customer; the scores are a pandas DataFrame from here on
scored = ctx.sql(
    "SELECT * FROM assign_segment('customers', rfm(sales))"
).to_pandas()
print(scored.groupby("label")["monetary"].agg(["count", "mean", "sum"]))

# --- the whole segmentation as one HTML page
segql.report(ctx, "rfm(sales)", model="customers").save("segments.html")
print("report: segments.html")

# --- a picture, if matplotlib is around (it is not a dependency of segql)
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no segment.png")
else:
    ctx.sql(
        "SELECT * FROM pca(rfm(sales), components => 2, model => 'rfm_pca')"
    ).collect()
    points = ctx.sql(
        "SELECT pc1, pc2, segment "
        "FROM assign_segment('customers', pca_project('rfm_pca', rfm(sales)))"
    ).to_pandas()
    fig, ax = plt.subplots(figsize=(7, 5))
    for segment, group in points.groupby("segment"):
        ax.scatter(group["pc1"], group["pc2"], s=4, label=f"segment {segment}")
    ax.set_xlabel("first principal component")
    ax.set_ylabel("second principal component")
    ax.legend()
    fig.savefig("segment.png", dpi=120)
    print("chart: segment.png")
