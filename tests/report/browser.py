"""Open a segql report in headless Chromium, as a reader would, and say what it saw.

    python browser.py REPORT.html OUT_DIR

Loads the page from its file:// URL with JavaScript off (the page has no script), records
every console message, page error and network request, counts the marks of each chart,
reads the segments table as shown, takes a full-page screenshot (OUT_DIR/report.png) and
prints the page to PDF (OUT_DIR/report.pdf). Prints one JSON object on stdout.
"""

import json
import pathlib
import sys

from playwright.sync_api import sync_playwright
from pypdf import PdfReader

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# selector -> what it counts
MARKS = {
    "size_bars": "#chart-size-share g.marks .mark",
    "revenue_bars": "#chart-revenue-share g.marks .mark",
    "profile_lines": "#chart-profile g.marks .mark",
    "scatter_points": "#chart-scatter g.points > *",
    "scatter_centroids": "#chart-scatter g.centroids > *",
    "rf_cells": "#chart-rf-map g.marks .mark",
    "inertia_points": "#chart-inertia g.marks .mark",
    "silhouette_points": "#chart-silhouette g.marks .mark",
    "davies_bouldin_points": "#chart-davies-bouldin g.marks .mark",
    "histograms": "svg[id^=chart-feature-]",
    "charts": "svg.chart",
    "segment_rows": "#segments-table tbody tr",
    "k_rows": "#k-table tbody tr",
}


def main(report: str, out_dir: str) -> None:
    path = pathlib.Path(report).resolve()
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    url = path.as_uri()
    console, errors, requests = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("console", lambda m: console.append({"type": m.type, "text": m.text}))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.goto(url, wait_until="load")
        counts = {name: page.locator(selector).count() for name, selector in MARKS.items()}
        # every chart drawn with a real size (not collapsed, not overflowing the page)
        sizes = [
            [el.get_attribute("id"), el.bounding_box()["width"], el.bounding_box()["height"]]
            for el in page.locator("svg.chart").all()
        ]
        segments = [
            [cell.inner_text() for cell in row.locator("td").all()]
            for row in page.locator("#segments-table tbody tr").all()
        ]
        headings = [h.inner_text() for h in page.locator("section > h2").all()]
        page.screenshot(path=str(out / "report.png"), full_page=True)
        page.emulate_media(media="print")
        page.pdf(path=str(out / "report.pdf"), format="A4", print_background=True)
        browser.close()
    pdf_pages = len(PdfReader(str(out / "report.pdf")).pages)
    result = {
        "url": url,
        "console": console,
        "errors": errors,
        "requests": requests,
        "counts": counts,
        "chart_sizes": sizes,
        "segments_table": segments,
        "headings": headings,
        "pdf_pages": pdf_pages,
        "screenshot": str(out / "report.png"),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
