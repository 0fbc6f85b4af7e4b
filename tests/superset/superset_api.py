"""A real Superset, driven through its REST API the way its web UI drives it, against a running
`segql serve`:

    python superset_api.py SUPERSET_URL SEGQL_PORT USER PASSWORD

1. log in (admin / admin, made by run.sh) and test the connection to segql;
2. add segql as a database, then `sales` as a dataset (Superset reflects its columns with
   SQLAlchemy 1.4's inspector: columns, keys, indexes, constraints);
3. run `SELECT * FROM kmeans_fit(rfm(sales), 4)` and a query with a named option
   (`seed => 1`) through SQL Lab;
4. ask for chart data on the dataset (count of rows per country).

Any answer other than success fails with the response body. Prints one line per step.
"""

import sys

import requests

SUPERSET, SEGQL_PORT, USER, PASSWORD = sys.argv[1:5]
SEGQL_URI = f"postgresql+psycopg2://{USER}:{PASSWORD}@127.0.0.1:{SEGQL_PORT}/datafusion"

session = requests.Session()


def call(method, path, expect=(200, 201), **kwargs):
    response = session.request(method, f"{SUPERSET}{path}", timeout=120, **kwargs)
    if response.status_code not in expect:
        sys.exit(f"{method} {path}: HTTP {response.status_code}\n{response.text[:4000]}")
    return response.json()


def log_in():
    token = call("POST", "/api/v1/security/login", json={
        "username": "admin", "password": "admin", "provider": "db", "refresh": True,
    })["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    session.headers["Referer"] = SUPERSET


def add_database():
    call("POST", "/api/v1/database/test_connection/", json={
        "database_name": "segql", "sqlalchemy_uri": SEGQL_URI,
    })
    print("test connection: ok")
    database = call("POST", "/api/v1/database/", json={
        "database_name": "segql", "sqlalchemy_uri": SEGQL_URI, "expose_in_sqllab": True,
    })
    print("database added: id", database["id"])
    return database["id"]


def check_schema_browser(database_id):
    schemas = call("GET", f"/api/v1/database/{database_id}/schemas/")["result"]
    assert "public" in schemas, schemas
    tables = call("GET", f"/api/v1/database/{database_id}/tables/",
                  params={"q": "(schema_name:public)"})["result"]
    names = [t["value"] for t in tables]
    assert "sales" in names, names
    metadata = call("GET", f"/api/v1/database/{database_id}/table_metadata/",
                    params={"name": "sales", "schema": "public"})
    columns = [c["name"] for c in metadata["columns"]]
    assert "CustomerID" in columns, metadata
    print("SQL Lab's schema browser: schemas", schemas, "tables", names,
          "sales columns", len(columns))


def add_dataset(database_id):
    dataset = call("POST", "/api/v1/dataset/", json={
        "database": database_id, "schema": "public", "table_name": "sales",
    })
    detail = call("GET", f"/api/v1/dataset/{dataset['id']}")["result"]
    columns = sorted(c["column_name"] for c in detail["columns"])
    assert columns == sorted(["InvoiceNo", "StockCode", "Description", "Quantity",
                              "InvoiceDate", "UnitPrice", "CustomerID", "Country"]), columns
    temporal = [c["column_name"] for c in detail["columns"] if c["is_dttm"]]
    assert temporal == ["InvoiceDate"], temporal
    print("dataset sales: id", dataset["id"], "columns", len(columns),
          "temporal", temporal)
    return dataset["id"]


def sql_lab(database_id, sql):
    result = call("POST", "/api/v1/sqllab/execute/", json={
        "database_id": database_id, "sql": sql, "schema": "public",
        "runAsync": False, "queryLimit": 1000,
    })
    assert result["status"] == "success", result
    return result


def run_queries(database_id):
    fit = sql_lab(database_id, "SELECT * FROM kmeans_fit(rfm(sales), 4)")
    columns = [c["column_name"] for c in fit["columns"]]
    assert "segment" in columns and "size" in columns, columns
    assert len(fit["data"]) == 4, fit["data"]
    assert sum(row["size"] for row in fit["data"]) == 8000, fit["data"]
    print("SQL Lab kmeans_fit(rfm(sales), 4):", len(fit["data"]), "segments, columns", columns)
    seeded = sql_lab(database_id,
                     "SELECT segment, size FROM kmeans_fit(rfm(sales), 3, seed => 1) "
                     "ORDER BY segment")
    again = sql_lab(database_id,
                    "SELECT segment, size FROM kmeans_fit(rfm(sales), 3, seed => 1) "
                    "ORDER BY segment")
    assert seeded["data"] == again["data"] and len(seeded["data"]) == 3, (seeded, again)
    print("SQL Lab with seed => 1:", seeded["data"])


def chart_data(dataset_id):
    result = call("POST", "/api/v1/chart/data", json={
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [{
            "columns": ["Country"],
            "metrics": [{"expressionType": "SQL", "sqlExpression": "COUNT(*)",
                         "label": "rows"}],
            "orderby": [[{"expressionType": "SQL", "sqlExpression": "COUNT(*)",
                          "label": "rows"}, False]],
            "row_limit": 5,
        }],
        "result_format": "json",
        "result_type": "full",
    })
    query = result["result"][0]
    assert query["status"] == "success" and query["data"], query
    top = query["data"][0]
    assert top["Country"] == "United Kingdom", query["data"]
    print("chart data, rows per country (top 5):",
          [(row["Country"], row["rows"]) for row in query["data"]])


log_in()
database_id = add_database()
check_schema_browser(database_id)
dataset_id = add_dataset(database_id)
run_queries(database_id)
chart_data(dataset_id)
print("superset: every step answered")
