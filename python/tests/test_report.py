"""segql.report: the library's HTML page, from Python, shown inline by Jupyter."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

import segql


def test_the_report_of_a_fit_holds_its_segments(sales_parquet: Path, tmp_path: Path) -> None:
    ctx = segql.SessionContext()
    ctx.register_parquet("sales", str(sales_parquet))
    sizes = ctx.sql(
        "SELECT size FROM kmeans_fit(rfm(sales), 3, seed => 0) ORDER BY segment"
    ).to_pydict()["size"]
    page = segql.report(ctx, "rfm(sales)", 3)
    assert page.html.startswith("<!DOCTYPE html>")
    assert "<script" not in page.html
    # the segments table lists the same sizes as the SQL fit with the same seed
    for size in sizes:
        assert f"{size:,}" in page.html or str(size) in page.html
    out = page.save(tmp_path / "report.html")
    assert out.read_text(encoding="utf-8") == page.html
    inline = page._repr_html_()
    assert inline.startswith("<iframe")
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', inline).group(1)) == page.html


def test_the_report_of_a_saved_model(sales_parquet: Path) -> None:
    ctx = segql.SessionContext()
    ctx.register_parquet("sales", str(sales_parquet))
    ctx.sql("SELECT * FROM kmeans_fit(rfm(sales), 4, seed => 1, model => 'seg')").collect()
    page = segql.report(ctx, "rfm(sales)", model="seg")
    assert "seg" in page.html


def test_an_unknown_model_is_an_error_naming_it(sales_parquet: Path) -> None:
    ctx = segql.SessionContext()
    ctx.register_parquet("sales", str(sales_parquet))
    with pytest.raises(Exception, match="nope"):
        segql.report(ctx, "rfm(sales)", model="nope")
