"""segql.register on a plain datafusion.SessionContext: scalar and aggregate functions as
they are, table functions in the flat forms DataFusion's own table-function path allows."""

from __future__ import annotations

import datetime as dt

import datafusion
import pytest

import segql

SALES = {
    "customer_id": ["A", "A", "B"],
    "invoice_no": ["o1", "o2", "o3"],
    "invoice_date": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 10), dt.datetime(2024, 1, 5)],
    "amount": [10.0, 20.0, 5.0],
}


def plain_context() -> datafusion.SessionContext:
    ctx = datafusion.SessionContext()
    segql.register(ctx)
    ctx.from_pydict(SALES, name="sales")
    return ctx


def test_the_rfm_aggregate_groups_like_any_aggregate() -> None:
    ctx = plain_context()
    rows = ctx.sql(
        "SELECT customer_id, rfm(invoice_date, amount, TIMESTAMP '2024-01-11') AS r "
        "FROM sales GROUP BY customer_id ORDER BY customer_id"
    ).to_pydict()
    # by hand: A last bought 2024-01-10 (1 day before as_of), 2 rows, 30.0; B 6 days, 1, 5.0
    assert [r["recency_days"] for r in rows["r"]] == [1, 6]
    assert [r["frequency"] for r in rows["r"]] == [2, 1]
    assert [r["monetary"] for r in rows["r"]] == [30.0, 5.0]


def test_flat_table_function_calls() -> None:
    ctx = plain_context()
    by_name = ctx.sql("SELECT customer_id, frequency FROM rfm(sales) ORDER BY customer_id")
    assert by_name.to_pydict() == {"customer_id": ["A", "B"], "frequency": [2, 1]}
    by_string = ctx.sql("SELECT count(*) AS n FROM rfm('sales')").to_pydict()
    assert by_string == {"n": [2]}
    # a nested call or a subquery as text, the one way DataFusion lets it through
    nested = ctx.sql("SELECT sum(size) AS n FROM kmeans_fit('rfm(sales)', 2)").to_pydict()
    assert nested == {"n": [2]}
    # options are named in segql; a third positional argument says so
    with pytest.raises(Exception, match="too many positional arguments"):
        ctx.sql("SELECT * FROM kmeans_fit('rfm(sales)', 2, 'k-means++')")


def test_fit_and_score_with_the_table_functions() -> None:
    ctx = plain_context()
    ctx.from_pydict(
        {"x": [0.0, 0.1, 0.2, 10.0, 10.1, 10.2], "y": [0.0, 0.1, 0.0, 5.0, 5.1, 5.0]},
        name="points",
    )
    ctx.sql("SELECT * FROM segql_query('SELECT * FROM kmeans_fit(points, 2, seed => 1, "
            "transform => ''none'', model => ''p'')')").collect()
    scored = ctx.sql(
        "SELECT x, segment FROM assign_segment('p', points) ORDER BY x"
    ).to_pydict()["segment"]
    assert scored[0] == scored[1] == scored[2]
    assert scored[3] == scored[4] == scored[5]
    assert scored[0] != scored[3]


def test_named_options_on_a_plain_context_are_refused_by_datafusion() -> None:
    ctx = plain_context()
    with pytest.raises(Exception, match="Unsupported function argument type"):
        ctx.sql("SELECT * FROM rfm(sales, as_of => DATE '2024-02-01')")
    # the same SQL works on segql.SessionContext
    attached = segql.SessionContext.attach(ctx)
    rows = attached.sql(
        "SELECT recency_days FROM rfm(sales, as_of => DATE '2024-02-01') ORDER BY 1"
    ).to_pydict()
    assert rows == {"recency_days": [22, 27]}
