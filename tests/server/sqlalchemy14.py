"""SQLAlchemy 1.4 with psycopg2, as Superset 6 installs them, against a running `segql serve`.

    python sqlalchemy14.py HOST PORT USER PASSWORD

Every inspector method on every served table (Superset calls them when a dataset is added and
when SQL Lab shows a table), and pandas.read_sql with bound parameters. segql's tables have no
keys, indexes, constraints or comments: the answers are the empty ones PostgreSQL gives for
such a table. Prints what it checked and exits 0, or fails with a traceback.
"""

import sys

import pandas as pd
import sqlalchemy as sa

HOST, PORT, USER, PASSWORD = sys.argv[1:5]
assert sa.__version__.startswith("1.4."), sa.__version__

engine = sa.create_engine(
    f"postgresql+psycopg2://{USER}:{PASSWORD}@{HOST}:{PORT}/datafusion?sslmode=disable")
inspector = sa.inspect(engine)

assert inspector.get_schema_names() == ["public"], inspector.get_schema_names()
tables = inspector.get_table_names()
assert "sales" in tables and "orders" in tables, tables
assert inspector.get_view_names() == [], inspector.get_view_names()
for table in tables:
    columns = inspector.get_columns(table)
    assert columns and all(c["default"] is None for c in columns), columns
    assert inspector.get_pk_constraint(table) == {"constrained_columns": [], "name": None}
    assert inspector.get_foreign_keys(table) == []
    assert inspector.get_indexes(table) == [], inspector.get_indexes(table)
    assert inspector.get_unique_constraints(table) == []
    assert inspector.get_check_constraints(table) == []
    assert inspector.get_table_comment(table) == {"text": None}
    print(f"{table}: {len(columns)} columns, no keys, indexes or constraints")
names = [c["name"] for c in inspector.get_columns("orders")]
assert names == ["customer_id", "order_id", "order_date", "amount"], names

frame = pd.read_sql(
    sa.text("SELECT customer_id, frequency, monetary FROM rfm(orders) "
            "WHERE monetary > :low ORDER BY customer_id"),
    engine, params={"low": 10.0})
assert frame.to_dict("list") == {"customer_id": [1, 3], "frequency": [2, 1],
                                 "monetary": [40.0, 120.0]}, frame
print("pandas.read_sql with a bound parameter:", len(frame), "rows")
