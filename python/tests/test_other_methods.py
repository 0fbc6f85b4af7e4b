"""DBSCAN, hierarchical clustering and cohorts from Python, on tables registered in Python:
the same hand-worked numbers as their SQL specs (tests/slt/dbscan.slt, hclust_fit.slt,
cohorts.slt)."""

from __future__ import annotations

import datetime as dt

import segql

LINE = {"v": [0.0, 0.5, 1.0, 1.8, 5.0, 5.5, 6.0, 6.5, 7.0, 9.0]}
PLAIN = "transform => 'none', scale => 'none'"


def test_dbscan_rows_segments_and_the_saved_model() -> None:
    ctx = segql.SessionContext()
    ctx.from_pydict(LINE, name="line")
    rows = ctx.sql(
        f"SELECT v, segment, is_core FROM dbscan(line, 1, 3, {PLAIN}, model => 'd') ORDER BY v"
    ).to_pydict()
    # 0 .. 1.8 is segment 1 (1.8 a border row), 5 .. 7 segment 0 (larger), 9 noise
    assert rows["segment"] == [1, 1, 1, 1, 0, 0, 0, 0, 0, -1]
    assert rows["is_core"] == [True, True, True, False, True, True, True, True, True, False]
    segments = ctx.sql(
        f"SELECT segment, size FROM dbscan(line, 1, 3, {PLAIN}, view => 'segments')"
    ).to_pydict()
    assert segments == {"segment": [0, 1, -1], "size": [5, 4, 1]}
    scored = ctx.sql("SELECT assign_segment('d', 8.5) AS s, assign_segment('d', 4.5) AS t")
    assert scored.to_pydict() == {"s": [-1], "t": [0]}


def test_hierarchical_segments_and_tree() -> None:
    ctx = segql.SessionContext()
    ctx.from_pydict({"v": [0.0, 1.0, 2.0, 10.0, 11.0, 30.0]}, name="pts")
    sizes = ctx.sql(
        f"SELECT size FROM hclust_fit(pts, 2, {PLAIN}, model => 'h') ORDER BY segment"
    ).to_pydict()["size"]
    assert sizes == [5, 1]
    tree = ctx.sql("SELECT left_child, right_child, size FROM hclust_tree('h') ORDER BY step")
    assert tree.to_pandas()["size"].tolist() == [2, 2, 3, 5, 6]


def test_cohorts_by_month() -> None:
    ctx = segql.SessionContext()
    day = dt.datetime
    ctx.from_pydict(
        {
            "CustomerID": ["c1", "c1", "c1", "c2", "c2"],
            "InvoiceDate": [day(2011, 1, 5), day(2011, 1, 20), day(2011, 3, 2),
                            day(2011, 1, 31), day(2011, 2, 1)],
            "amount": [10.0, 5.0, 7.0, 3.0, 4.0],
            "InvoiceNo": ["1001", "1002", "1003", "2001", "2002"],
        },
        name="tx",
    )
    table = ctx.sql(
        "SELECT period_number, active_customers, retention, revenue, orders "
        "FROM cohorts(tx) ORDER BY period_number"
    ).to_pydict()
    assert table == {
        "period_number": [0, 1, 2],
        "active_customers": [2, 1, 1],
        "retention": [1.0, 0.5, 0.5],
        "revenue": [18.0, 4.0, 7.0],
        "orders": [3, 1, 1],
    }
