"""SQLAlchemy 1.4's inspector (as Superset 6 runs it) on the `sales` table of `segql serve` and
of a PostgreSQL server holding a table of the same shape; the answers must be the same.

    python compare_sqlalchemy14.py SEGQL_URL POSTGRES_URL

Columns are compared by name, type, nullability and default; keys, indexes, constraints and
the comment as whole answers (both tables have none). Exits 1 listing every difference.
"""

import sys

import sqlalchemy as sa


def reflect(url):
    inspector = sa.inspect(sa.create_engine(url))
    return {
        "columns": [(c["name"], str(c["type"]), c["nullable"], c["default"])
                    for c in inspector.get_columns("sales", schema="public")],
        "pk_constraint": inspector.get_pk_constraint("sales", schema="public"),
        "foreign_keys": inspector.get_foreign_keys("sales", schema="public"),
        "indexes": inspector.get_indexes("sales", schema="public"),
        "unique_constraints": inspector.get_unique_constraints("sales", schema="public"),
        "check_constraints": inspector.get_check_constraints("sales", schema="public"),
        "table_comment": inspector.get_table_comment("sales", schema="public"),
        "has_table": inspector.has_table("sales", schema="public"),
        "sales_listed": "sales" in inspector.get_table_names(schema="public"),
        "view_names": inspector.get_view_names(schema="public"),
    }


segql, postgres = (reflect(url) for url in sys.argv[1:3])
differences = [f"{key}:\n  segql:      {segql[key]}\n  PostgreSQL: {postgres[key]}"
               for key in postgres if segql[key] != postgres[key]]
if differences:
    sys.exit("SQLAlchemy 1.4 sees segql and PostgreSQL differently:\n" + "\n".join(differences))
for key, value in segql.items():
    print(f"{key}: {value}")
