"""Shared fixtures: demo transactions written once as Parquet, and the segql binary built
from the same sources (to compare the Python package with the Rust run of the same query)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import segql

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sales_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20,000 demo transactions (segql's seeded generator) as one Parquet file."""
    path = tmp_path_factory.mktemp("data") / "sales.parquet"
    ctx = segql.SessionContext()
    ctx.sql("SELECT * FROM demo_transactions(rows => 20000, seed => 7)").write_parquet(str(path))
    return path


@pytest.fixture(scope="session")
def segql_binary() -> Path:
    """The `segql` binary: $SEGQL_BIN, else target/debug/segql (under $CARGO_TARGET_DIR if
    set). The CI step builds it before the Python tests."""
    if "SEGQL_BIN" in os.environ:
        path = Path(os.environ["SEGQL_BIN"])
    else:
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        path = target / "debug" / "segql"
    if not path.exists():
        found = shutil.which("segql")
        assert found, f"the segql binary is missing at {path}: run `cargo build` first"
        path = Path(found)
    return path
