"""Tables registered in Python are read by segql's plan in parallel, whatever kind they are,
with the same RFM table as segql's own scan of the file."""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from datafusion import SessionConfig

import segql

RFM = (
    "SELECT \"CustomerID\", frequency, recency_days, monetary, r_score, f_score, m_score "
    "FROM rfm({}) ORDER BY \"CustomerID\""
)


def two_partitions() -> segql.SessionContext:
    return segql.SessionContext(SessionConfig().with_target_partitions(2))


def rows(ctx: segql.SessionContext, source: str) -> list[tuple]:
    table = ctx.sql(RFM.format(source)).to_pydict()
    return list(zip(*table.values()))


def assert_same_rfm(got: list[tuple], expected: list[tuple]) -> None:
    assert len(got) == len(expected) > 0
    for g, e in zip(got, expected):
        # monetary is a float sum, added in another order by another partitioning
        assert g[:3] == e[:3] and g[4:] == e[4:], (g, e)
        assert g[3] == pytest.approx(e[3], rel=1e-12)


@pytest.mark.parametrize("kind", ["parquet", "csv", "view", "record_batches", "dataset", "pydict"])
def test_each_kind_of_python_table_gives_the_rfm_of_its_file(
    kind: str, sales_parquet: Path, tmp_path: Path
) -> None:
    expected = rows(two_partitions(), f"'{sales_parquet}'")
    ctx = two_partitions()
    table = pq.read_table(sales_parquet)
    if kind == "parquet":
        ctx.register_parquet("sales", str(sales_parquet))
    elif kind == "csv":
        csv = tmp_path / "sales.csv"
        ctx.register_parquet("raw", str(sales_parquet))
        ctx.sql("SELECT * FROM raw").write_csv(str(csv), with_header=True)
        ctx.register_csv("sales", str(csv))
    elif kind == "view":
        ctx.register_parquet("raw", str(sales_parquet))
        ctx.register_view("sales", ctx.sql("SELECT * FROM raw WHERE \"Quantity\" IS NOT NULL"))
    elif kind == "record_batches":
        # several batches in each of two partitions
        batches = table.to_batches(max_chunksize=1000)
        ctx.register_record_batches("sales", [batches[::2], batches[1::2]])
    elif kind == "dataset":
        ctx.register_dataset("sales", ds.dataset(str(sales_parquet)))
    else:
        ctx.from_pydict(table.to_pydict(), name="sales")
    assert_same_rfm(rows(ctx, "sales"), expected)


def test_a_python_table_is_aggregated_in_parallel(sales_parquet: Path) -> None:
    ctx = two_partitions()
    ctx.register_parquet("sales", str(sales_parquet))
    plan = "\n".join(ctx.sql("EXPLAIN SELECT * FROM rfm(sales)").to_pydict()["plan"])
    # the orders are hashed by customer into two partitions, each aggregated on its own
    assert "Hash([CustomerID@0], 2)" in plan, plan
    assert "mode=SinglePartitioned" in plan, plan


def test_a_fit_over_a_python_table_equals_the_fit_over_its_file(sales_parquet: Path) -> None:
    query = "SELECT segment, size, recency_days, frequency, monetary FROM " \
            "kmeans_fit(rfm({}), 3, seed => 5) ORDER BY segment"
    ctx = two_partitions()
    ctx.register_parquet("sales", str(sales_parquet))
    got = ctx.sql(query.format("sales")).to_pydict()
    expected = two_partitions().sql(query.format(f"'{sales_parquet}'")).to_pydict()
    assert got["size"] == expected["size"]
    for column in ("recency_days", "frequency", "monetary"):
        assert got[column] == pytest.approx(expected[column], rel=1e-9)
