"""Which queries go through segql's planner, and how they are rewritten."""

from segql import _segql


def test_queries_reading_segql_functions_are_routed() -> None:
    assert _segql.uses_segql("SELECT * FROM kmeans_fit(rfm(sales), 3, seed => 1)")
    assert _segql.uses_segql("select segment, count(*) from RFM(sales) group by 1")
    assert _segql.uses_segql("EXPLAIN SELECT * FROM rfm(sales)")
    assert _segql.uses_segql(
        "WITH r AS (SELECT * FROM rfm(sales)) SELECT * FROM r JOIN x USING (id)"
    )


def test_other_statements_are_left_to_datafusion() -> None:
    # the rfm aggregate is an ordinary function call, not a relation
    assert not _segql.uses_segql("SELECT rfm(ts, amount) FROM sales GROUP BY customer")
    assert not _segql.uses_segql("SELECT * FROM sales")
    assert not _segql.uses_segql("CREATE TABLE t AS SELECT 1")
    # text that does not parse is DataFusion's to report
    assert not _segql.uses_segql("SELEC nonsense")


def test_placeholders_are_filled_outside_strings_only() -> None:
    routed = _segql.route("SELECT '$k', $k, $other FROM rfm(s)", {"k": "3"})
    assert routed == "SELECT * FROM segql_query('SELECT ''$k'', 3, $other FROM rfm(s)')"


def test_quotes_survive_the_rewrite() -> None:
    assert (
        _segql.route("SELECT * FROM rfm('it''s.csv');")
        == "SELECT * FROM segql_query('SELECT * FROM rfm(''it''''s.csv'')')"
    )
