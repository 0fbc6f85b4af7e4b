"""segql's SQL, verbatim, on segql.SessionContext: hand-computed RFM, the same rows as the
segql binary on the same Parquet file, and results that behave as datafusion DataFrames."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import datafusion
import pyarrow as pa

import segql

# Three customers; C's order o4 has two lines. Latest purchase 2024-01-10, so as_of is
# 2024-01-11 and, by hand: A recency 1, 2 orders, 30.0; B 6, 1, 5.0; C 2, 2, 11.0.
TRANSACTIONS = {
    "customer_id": ["A", "A", "B", "C", "C", "C"],
    "invoice_no": ["o1", "o2", "o3", "o4", "o4", "o5"],
    "invoice_date": [
        dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 10), dt.datetime(2024, 1, 5),
        dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 9),
    ],
    "amount": [10.0, 20.0, 5.0, 7.0, 3.0, 1.0],
}


def small_context() -> segql.SessionContext:
    ctx = segql.SessionContext()
    ctx.from_pydict(TRANSACTIONS, name="sales")
    return ctx


def test_rfm_on_a_pydict_table_matches_the_hand_computed_table() -> None:
    ctx = small_context()
    df = ctx.sql(
        "SELECT customer_id, recency_days, frequency, monetary, tenure_days "
        "FROM rfm(sales) ORDER BY customer_id"
    )
    assert isinstance(df, datafusion.DataFrame)
    assert df.to_pydict() == {
        "customer_id": ["A", "B", "C"],
        "recency_days": [1, 6, 2],
        "frequency": [2, 1, 2],
        "monetary": [30.0, 5.0, 11.0],
        "tenure_days": [9, 0, 7],
    }


def test_named_options_and_nested_calls_work_verbatim() -> None:
    ctx = small_context()
    rows = ctx.sql(
        "SELECT customer_id, recency_days FROM rfm(sales, as_of => DATE '2024-02-01') "
        "ORDER BY customer_id"
    ).to_pydict()
    # as_of 2024-02-01: A last bought 2024-01-10 (22 days), B 2024-01-05 (27), C 2024-01-09 (23)
    assert rows["recency_days"] == [22, 27, 23]
    fit = ctx.sql(
        "SELECT segment, size FROM kmeans_fit(rfm(sales), 2, seed => 1, transform => 'none') "
        "ORDER BY segment"
    ).to_pydict()
    assert sum(fit["size"]) == 3
    assert fit["segment"] == [0, 1]


def test_the_issue_example_returns_a_dataframe_like_the_segql_binary(
    sales_parquet: Path, segql_binary: Path, tmp_path: Path
) -> None:
    query = "SELECT * FROM kmeans_fit(rfm(sales), 4, seed => 1, model => 'seg') ORDER BY segment"
    ctx = segql.SessionContext()
    ctx.register_parquet("sales", str(sales_parquet))
    python_rows = ctx.sql(query).to_pylist()

    run = subprocess.run(
        [str(segql_binary), str(sales_parquet), "--quiet", "--models", str(tmp_path / "m"),
         "--format", "ndjson", "-c", query],
        check=True, capture_output=True, text=True,
    )
    binary_rows = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert len(python_rows) == 4
    assert python_rows == binary_rows


def test_the_rfm_of_a_parquet_file_matches_pandas(sales_parquet: Path) -> None:
    import pandas as pd

    ctx = segql.SessionContext()
    ctx.register_parquet("sales", str(sales_parquet))
    ours = ctx.sql(
        "SELECT \"CustomerID\", frequency, monetary FROM rfm(sales) ORDER BY \"CustomerID\""
    ).to_pandas()

    # returns => 'include' (the default): cancellations count as orders and their negative
    # amounts are summed; lines without a customer are left out.
    tx = pd.read_parquet(sales_parquet).dropna(subset=["CustomerID"])
    lines = tx.assign(amount=tx["Quantity"] * tx["UnitPrice"])
    theirs = (
        lines.groupby("CustomerID")
        .agg(frequency=("InvoiceNo", "nunique"), monetary=("amount", "sum"))
        .reset_index()
        .sort_values("CustomerID", ignore_index=True)
    )
    assert len(ours) == len(theirs) > 100
    assert ours["CustomerID"].astype("int64").tolist() == theirs["CustomerID"].astype("int64").tolist()
    assert ours["frequency"].tolist() == theirs["frequency"].tolist()
    assert (ours["monetary"] - theirs["monetary"]).abs().max() < 1e-6


def test_results_join_the_users_own_tables() -> None:
    ctx = small_context()
    ctx.from_pydict({"customer_id": ["A", "C"], "country": ["FR", "DE"]}, name="customers")
    rfm = ctx.sql("SELECT customer_id, monetary FROM rfm(sales)")
    joined = (
        rfm.join(ctx.table("customers"), on="customer_id")
        .sort(datafusion.col("customer_id"))
        .to_pydict()
    )
    assert joined["country"] == ["FR", "DE"]
    assert joined["monetary"] == [30.0, 11.0]


def test_order_by_and_limit_reach_python_in_order(sales_parquet: Path) -> None:
    ctx = segql.SessionContext()
    ctx.register_parquet("sales", str(sales_parquet))
    top = ctx.sql(
        "SELECT \"CustomerID\", monetary FROM rfm(sales) ORDER BY monetary DESC LIMIT 25"
    ).to_pydict()["monetary"]
    assert len(top) == 25
    assert top == sorted(top, reverse=True)


def test_param_values_and_named_params_fill_placeholders() -> None:
    ctx = small_context()
    by_value = ctx.sql(
        "SELECT customer_id FROM rfm(sales) WHERE monetary > $low ORDER BY customer_id",
        param_values={"low": 6.0},
    ).to_pydict()
    assert by_value["customer_id"] == ["A", "C"]
    other = ctx.from_pydict(TRANSACTIONS)
    by_name = ctx.sql("SELECT count(*) AS n FROM rfm($tx)", tx=other).to_pydict()
    assert by_name["n"] == [3]
    as_of = ctx.sql(
        "SELECT recency_days FROM rfm(sales, as_of => $day) WHERE customer_id = 'B'",
        param_values={"day": dt.date(2024, 1, 15)},
    ).to_pydict()
    assert as_of["recency_days"] == [10]


def test_plain_queries_still_go_to_datafusion() -> None:
    ctx = small_context()
    assert ctx.sql("SELECT count(*) AS n FROM sales").to_pydict() == {"n": [6]}
    assert ctx.sql("SELECT $x + 1 AS y", param_values={"x": 41}).to_pydict() == {"y": [42]}


def test_attach_gives_segql_to_an_existing_context() -> None:
    plain = datafusion.SessionContext()
    plain.from_pydict(TRANSACTIONS, name="sales")
    ctx = segql.SessionContext.attach(plain)
    assert ctx.sql("SELECT count(*) AS n FROM rfm(sales)").to_pydict() == {"n": [3]}
    # the tables are the plain context's own
    plain.from_pydict({"x": [1]}, name="later")
    assert ctx.sql("SELECT x FROM later").to_pydict() == {"x": [1]}


def test_arrow_types_come_through(sales_parquet: Path) -> None:
    ctx = segql.SessionContext()
    ctx.register_parquet("sales", str(sales_parquet))
    table = ctx.sql("SELECT * FROM rfm(sales)").to_arrow_table()
    assert table.schema.field("frequency").type == pa.int64()
    assert table.schema.field("monetary").type == pa.float64()
    assert table.num_rows > 100


def test_explain_shows_segqls_plan() -> None:
    ctx = small_context()
    plan = ctx.sql("EXPLAIN SELECT * FROM kmeans_fit(rfm(sales), 2, seed => 1)").to_pydict()
    text = "\n".join(plan["plan"])
    assert "KMeansFitExec" in text


def test_a_file_named_in_the_query_matches_the_registered_table(sales_parquet: Path) -> None:
    """rfm('<file>') is segql's own (parallel) scan; rfm(sales) reads the table registered in
    Python (on datafusion-python's thread): the same rows."""
    ctx = segql.SessionContext()
    ctx.register_parquet("sales", str(sales_parquet))
    query = "SELECT * FROM kmeans_fit(rfm({}), 3, seed => 2) ORDER BY segment"
    by_path = ctx.sql(query.format(f"'{sales_parquet}'")).to_pydict()
    by_table = ctx.sql(query.format("sales")).to_pydict()
    assert by_path == by_table
    assert sum(by_path["size"]) > 100
