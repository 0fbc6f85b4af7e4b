"""Models persist across ctx.sql calls, and across contexts with a directory store."""

from __future__ import annotations

from pathlib import Path

import segql

POINTS = {"x": [0.0, 0.2, 0.1, 9.0, 9.2, 9.1], "y": [1.0, 1.1, 0.9, 4.0, 4.2, 4.1]}
FIT = ("SELECT * FROM kmeans_fit(points, 2, seed => 3, transform => 'none', "
       "model => 'seg')")


def test_a_model_saved_by_one_query_scores_in_the_next() -> None:
    ctx = segql.SessionContext()
    ctx.from_pydict(POINTS, name="points")
    ctx.sql(FIT).collect()
    listed = ctx.sql("SELECT name, k, rows FROM segql_models()").to_pydict()
    assert listed == {"name": ["seg"], "k": [2], "rows": [6]}
    scored = ctx.sql(
        "SELECT x, segment FROM assign_segment('seg', points) ORDER BY x"
    ).to_pydict()["segment"]
    low, high = scored[:3], scored[3:]
    assert len(set(low)) == 1 and len(set(high)) == 1 and low[0] != high[0]
    by_scalar = ctx.sql(
        "SELECT assign_segment('seg', x, y) AS s FROM points ORDER BY x"
    ).to_pydict()["s"]
    assert by_scalar == scored


def test_a_directory_store_outlives_the_context(tmp_path: Path) -> None:
    models = tmp_path / "models"
    first = segql.SessionContext(models=models)
    first.from_pydict(POINTS, name="points")
    first.sql(FIT).collect()
    assert [p.name for p in models.iterdir() if not p.name.startswith(".")]
    expected = first.sql(
        "SELECT x, segment FROM assign_segment('seg', points) ORDER BY x"
    ).to_pydict()
    del first

    second = segql.SessionContext(models=str(models))
    second.from_pydict(POINTS, name="points")
    assert second.sql("SELECT name FROM segql_models()").to_pydict() == {"name": ["seg"]}
    again = second.sql(
        "SELECT x, segment FROM assign_segment('seg', points) ORDER BY x"
    ).to_pydict()
    assert again == expected


def test_contexts_without_a_directory_do_not_share_models() -> None:
    a = segql.SessionContext()
    a.from_pydict(POINTS, name="points")
    a.sql(FIT).collect()
    b = segql.SessionContext()
    assert b.sql("SELECT count(*) AS n FROM segql_models()").to_pydict() == {"n": [0]}
