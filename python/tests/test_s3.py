"""Files in S3 (a moto server on loopback): a table registered on the Python side with its
object store is segmented; a quoted s3:// path inside segql's functions is a documented limit
with a clear error."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from datafusion.object_store import AmazonS3

import segql


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def bucket(sales_parquet: Path):
    port = free_port()
    moto = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    assert moto, "moto_server is missing from the test venv (python/requirements-test.txt)"
    server = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline, "moto did not start"
            time.sleep(0.1)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    s3.create_bucket(Bucket="shop")
    s3.upload_file(str(sales_parquet), "shop", "sales/sales.parquet")
    yield endpoint
    server.terminate()
    server.wait()


def s3_context(endpoint: str) -> segql.SessionContext:
    ctx = segql.SessionContext()
    store = AmazonS3(bucket_name="shop", region="us-east-1", access_key_id="test",
                     secret_access_key="test", endpoint=endpoint, allow_http=True)
    ctx.register_object_store("s3://", store, "shop")
    return ctx


def test_a_file_in_s3_named_in_the_query_is_segmented(
    bucket: str, sales_parquet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": bucket}.items():
        monkeypatch.setenv(name, value)
    query = "SELECT * FROM kmeans_fit(rfm({}), 3, seed => 1) ORDER BY segment"
    remote = segql.SessionContext().sql(query.format("'s3://shop/sales/sales.parquet'"))
    local = segql.SessionContext()
    local.register_parquet("sales", str(sales_parquet))
    same = local.sql(query.format("sales"))
    assert remote.to_pydict() == same.to_pydict()


def test_a_table_in_s3_registered_in_python_says_what_to_do(bucket: str) -> None:
    ctx = s3_context(bucket)
    ctx.register_parquet("sales", "s3://shop/sales/sales.parquet")
    # datafusion-python itself reads it
    assert ctx.sql("SELECT count(*) AS n FROM sales").to_pydict()["n"][0] > 0
    # segql's session cannot reach the context's object store, and says what works instead
    with pytest.raises(Exception) as caught:
        ctx.sql("SELECT * FROM rfm(sales)").collect()
    text = str(caught.value)
    assert "segql cannot read s3://shop/sales/sales.parquet" in text
    assert "rfm('s3://shop/sales/sales.parquet')" in text


def test_a_location_segql_cannot_reach_from_python_says_what_works() -> None:
    with pytest.raises(Exception) as caught:
        segql.SessionContext().sql("SELECT * FROM rfm('gs://shop/sales.parquet')").collect()
    text = str(caught.value)
    assert "gs://shop/sales.parquet" in text
    assert "segql reads remote files from S3 only" in text
