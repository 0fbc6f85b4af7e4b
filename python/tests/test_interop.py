"""Results are datafusion DataFrames: pandas, pyarrow and polars read them as they are."""

from __future__ import annotations

from pathlib import Path

import datafusion
import pandas as pd
import polars as pl
import pyarrow as pa

import segql

QUERY = "SELECT \"CustomerID\", frequency, monetary FROM rfm(sales) ORDER BY \"CustomerID\""


def context(sales_parquet: Path) -> segql.SessionContext:
    ctx = segql.SessionContext()
    ctx.register_parquet("sales", str(sales_parquet))
    return ctx


def test_pandas_pyarrow_and_polars_agree(sales_parquet: Path) -> None:
    df = context(sales_parquet).sql(QUERY)
    frame = df.to_pandas()
    table = df.to_arrow_table()
    polars_frame = df.to_polars()
    streamed = pa.table(df)  # through __arrow_c_stream__
    assert isinstance(frame, pd.DataFrame)
    assert isinstance(polars_frame, pl.DataFrame)
    assert frame["monetary"].tolist() == table.column("monetary").to_pylist()
    assert polars_frame["monetary"].to_list() == table.column("monetary").to_pylist()
    assert streamed.equals(table)


def test_a_result_feeds_another_context(sales_parquet: Path) -> None:
    table = context(sales_parquet).sql(QUERY).to_arrow_table()
    other = datafusion.SessionContext()
    other.from_arrow(table, name="scored")
    n = other.sql("SELECT count(*) AS n FROM scored").to_pydict()["n"][0]
    assert n == table.num_rows


def test_a_pandas_frame_is_segmented(sales_parquet: Path) -> None:
    ctx = segql.SessionContext()
    frame = pd.read_parquet(sales_parquet)
    ctx.from_pandas(frame, name="sales")
    rows = ctx.sql("SELECT sum(size) AS n FROM kmeans_fit(rfm(sales), 3, seed => 1)").to_pydict()
    assert rows["n"] == [frame["CustomerID"].nunique()]
