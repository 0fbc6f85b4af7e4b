"""The notebook-style example runs start to end on a Parquet file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "segment.py"


def test_the_example_segments_scores_and_reports(sales_parquet: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), str(sales_parquet)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "report: segments.html" in run.stdout
    page = (tmp_path / "segments.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert any((tmp_path / "segql_models").iterdir())
