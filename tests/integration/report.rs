//! `segql report` as a reader meets it: the demo report opened in a real headless Chromium
//! (no console error, no network request, every chart with the marks it should have, a
//! screenshot and a PDF kept in `target/tmp/report/`), its tables parsed back and compared with
//! the SQL they come from, the library call, and bad input that leaves no file behind.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;
use segql::demo::DEMO_ROWS;
use segql::model::{MemoryStore, ModelStore};
use segql::report::{ReportRequest, report_html};

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Run {
    ok: bool,
    code: Option<i32>,
    err: String,
}

fn segql(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_segql"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the segql binary runs");
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The demo report, made once per test run by the binary as README shows it.
fn demo_report() -> &'static (PathBuf, String) {
    static REPORT: OnceLock<(PathBuf, String)> = OnceLock::new();
    REPORT.get_or_init(|| {
        let dir = artifacts();
        let _ = std::fs::remove_dir_all(dir.join("models"));
        let run = segql(
            &dir,
            &[
                "report",
                "--demo",
                "--models",
                "models",
                "-o",
                "report.html",
            ],
        );
        assert!(run.ok, "segql report --demo failed: {}", run.err);
        assert!(run.err.contains("wrote report.html"), "{}", run.err);
        let path = dir.join("report.html");
        let html = std::fs::read_to_string(&path).unwrap();
        (path, html)
    })
}

/// The reference: the same fit by the library, in a session of its own.
async fn reference() -> (SessionContext, Arc<dyn ModelStore>) {
    let ctx = SessionContext::new();
    let store: Arc<dyn ModelStore> = Arc::new(MemoryStore::new());
    segql::register_with_store(&ctx, Arc::clone(&store)).unwrap();
    segql::demo::register_demo_table(&ctx, "sales", DEMO_ROWS).unwrap();
    sql(
        &ctx,
        "SELECT * FROM kmeans_fit(rfm(sales), 'auto', seed => 0, model => 'm')",
    )
    .await;
    (ctx, store)
}

async fn sql(ctx: &SessionContext, query: &str) -> Vec<RecordBatch> {
    ctx.sql(query).await.unwrap().collect().await.unwrap()
}

/// Every value of a result as text (NULL as ""), row by row.
fn rows(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for batch in batches {
        let columns: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| cast(c, &DataType::Utf8).unwrap())
            .collect();
        for i in 0..batch.num_rows() {
            out.push(
                columns
                    .iter()
                    .map(|c| {
                        let c = c
                            .as_any()
                            .downcast_ref::<datafusion::arrow::array::StringArray>()
                            .unwrap();
                        if c.is_valid(i) {
                            c.value(i).to_string()
                        } else {
                            String::new()
                        }
                    })
                    .collect(),
            );
        }
    }
    out
}

/// A cell of a page table: its exact `data-value` (numbers) and its text as shown.
#[derive(Debug, Clone)]
struct PageCell {
    value: Option<String>,
    text: String,
}

/// The body rows of the page's table `id`.
fn page_table(html: &str, id: &str) -> Vec<Vec<PageCell>> {
    let start = html
        .find(&format!(r#"<table id="{id}">"#))
        .unwrap_or_else(|| panic!("no table {id} in the page"));
    let body = &html[start..];
    let body = &body[body.find("<tbody>").unwrap() + 7..body.find("</tbody>").unwrap()];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let (attrs, rest) = cell.split_once('>').unwrap();
                    let content = &rest[..rest.find("</td>").unwrap()];
                    let value = attrs
                        .split_once(r#"data-value=""#)
                        .map(|(_, v)| v[..v.find('"').unwrap()].to_string());
                    PageCell {
                        value,
                        text: unescape(&strip_tags(content)),
                    }
                })
                .collect()
        })
        .collect()
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn close(page: &PageCell, expected: &str, what: &str) {
    let got: f64 = page.value.as_deref().unwrap_or("NaN").parse().unwrap();
    let want: f64 = expected.parse().unwrap();
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: the page says {got}, the SQL {want}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_the_numbers_of_the_sql_it_comes_from() {
    let (_, html) = demo_report();
    let (ctx, _) = reference().await;

    // the segments: centres and labels from model_segments, members from assign_segment
    let saved = rows(&sql(&ctx, "SELECT segment, label, recency_days, frequency, monetary FROM model_segments('m') ORDER BY segment").await);
    let members = rows(
        &sql(
            &ctx,
            "SELECT segment, count(*), sum(monetary) / (SELECT sum(monetary) FROM rfm(sales)), \
                avg(CAST(recency_days AS DOUBLE)), avg(CAST(frequency AS DOUBLE)), avg(monetary) \
         FROM assign_segment('m', rfm(sales)) GROUP BY segment ORDER BY segment",
        )
        .await,
    );
    let customers: f64 = members.iter().map(|r| r[1].parse::<f64>().unwrap()).sum();
    let page = page_table(html, "segments-table");
    assert_eq!(page.len(), saved.len(), "one table row per segment");
    for ((row, s), m) in page.iter().zip(&saved).zip(&members) {
        assert_eq!(
            row[0].value.as_deref(),
            Some(s[0].as_str()),
            "segment number"
        );
        assert_eq!(row[1].text, s[1], "label");
        assert_eq!(row[2].value.as_deref(), Some(m[1].as_str()), "customers");
        assert_eq!(row[2].text.replace(',', ""), m[1], "customers as shown");
        let share = m[1].parse::<f64>().unwrap() / customers;
        close(&row[3], &share.to_string(), "share");
        assert_eq!(
            row[3].text,
            format!("{:.1}%", share * 100.0),
            "share as shown"
        );
        close(&row[4], &m[2], "revenue share");
        for j in 0..3 {
            close(&row[5 + 2 * j], &s[2 + j], "centroid");
            close(&row[6 + 2 * j], &m[3 + j], "member mean");
        }
    }

    // choosing k: the search the 'auto' fit recorded
    let search = rows(&sql(&ctx, "SELECT k, inertia, silhouette, davies_bouldin, smallest_share, stability, recommended FROM model_search('m') ORDER BY k").await);
    let page = page_table(html, "k-table");
    assert_eq!(page.len(), search.len());
    for (row, s) in page.iter().zip(&search) {
        assert_eq!(row[0].value.as_deref(), Some(s[0].as_str()));
        for j in 1..=5 {
            close(&row[j], &s[j], "k-table");
        }
        assert_eq!(row[6].text.contains("recommended"), s[6] == "true");
    }

    // the data
    let counts = rows(&sql(&ctx, "SELECT count(*) FROM rfm(sales)").await);
    let page = page_table(html, "overview-table");
    assert_eq!(page[0][1].value.as_deref(), Some(counts[0][0].as_str()));
    assert!(html.contains(&format!(
        "{}</span><span class=\"name\">transaction rows in sales",
        segql_count(DEMO_ROWS as u64)
    )));

    // the settings, so the page is reproducible
    let models = rows(
        &sql(
            &ctx,
            "SELECT fingerprint, seed, n_init FROM segql_models() WHERE name = 'm'",
        )
        .await,
    );
    let settings = page_table(html, "settings-table");
    let setting = |name: &str| {
        settings
            .iter()
            .find(|r| r[0].text == name)
            .map(|r| r[1].text.clone())
            .unwrap_or_else(|| panic!("no setting {name}"))
    };
    assert_eq!(setting("fingerprint"), models[0][0]);
    assert_eq!(setting("seed"), models[0][1]);
    assert_eq!(setting("n_init"), models[0][2]);
    assert!(html.contains("kmeans_fit(rfm(sales), &#39;auto&#39;, seed =&gt; 0"));
}

fn segql_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_page_is_one_small_file_that_needs_nothing_else() {
    let (path, html) = demo_report();
    let bytes = std::fs::metadata(path).unwrap().len();
    assert!(bytes < 2 * 1024 * 1024, "the report is {bytes} bytes");
    for outside in [
        "<script", "<link", "http://", "https://", "src=", "@import", "url(",
    ] {
        let found = html
            .match_indices(outside)
            .filter(|(i, _)| !html[..*i].ends_with("xmlns=\""))
            .count();
        assert_eq!(
            found, 0,
            "the page refers to something outside it: {outside}"
        );
    }
    // the report's own temporary model is gone from the store
    let models = artifacts().join("models");
    let left: Vec<_> = std::fs::read_dir(&models)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "the report left models behind: {left:?}");
}

#[test]
fn the_page_renders_in_a_real_browser() {
    let (path, _) = demo_report();
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv-report/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run bash scripts/test-deps.sh (README's test command does)",
        python.display()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/report/browser.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(path)
        .arg(artifacts())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the browser check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    // what the marks must number, from the page's tables (which the test above checks
    // against the SQL)
    let (_, html) = demo_report();
    let k = page_table(html, "segments-table").len() as u64;
    let ks = page_table(html, "k-table").len() as u64;
    let scored: u64 = page_table(html, "overview-table")[1][1]
        .value
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    let transformed = page_table(html, "settings-table")
        .iter()
        .find(|r| r[0].text == "transforms")
        .unwrap()[1]
        .text
        .split("; ")
        .filter(|t| !t.ends_with(": none"))
        .count() as u64;
    assert!(
        k >= 2 && ks == 9 && scored == 8000,
        "k {k}, ks {ks}, scored {scored}"
    );

    assert_eq!(seen["errors"], serde_json::json!([]), "page errors");
    let console_errors: Vec<_> = seen["console"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "error" || m["type"] == "warning")
        .collect();
    assert!(console_errors.is_empty(), "console: {console_errors:?}");
    assert_eq!(
        seen["requests"],
        serde_json::json!([seen["url"]]),
        "only the page itself is loaded"
    );
    let counts = &seen["counts"];
    let count = |name: &str| counts[name].as_u64().unwrap();
    assert_eq!(count("size_bars"), k);
    assert_eq!(count("revenue_bars"), k);
    assert_eq!(count("profile_lines"), k);
    assert_eq!(count("segment_rows"), k);
    assert_eq!(count("scatter_centroids"), k);
    assert_eq!(count("scatter_points"), scored.min(5000));
    assert_eq!(count("rf_cells"), 25);
    assert_eq!(count("k_rows"), ks);
    for chart in [
        "inertia_points",
        "silhouette_points",
        "davies_bouldin_points",
    ] {
        assert_eq!(count(chart), ks, "{chart}");
    }
    assert_eq!(count("histograms"), 3 + transformed);
    for size in seen["chart_sizes"].as_array().unwrap() {
        assert!(
            size[1].as_f64().unwrap() > 150.0 && size[2].as_f64().unwrap() > 100.0,
            "a chart is drawn too small to read: {size}"
        );
    }
    let headings: Vec<&str> = seen["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(headings.len(), 6, "{headings:?}");
    assert!(
        seen["pdf_pages"].as_u64().unwrap() >= 3,
        "the printed report has pages"
    );
    let shot = std::fs::metadata(seen["screenshot"].as_str().unwrap()).unwrap();
    assert!(
        shot.len() > 50_000,
        "the screenshot is {} bytes",
        shot.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_library_returns_the_page_for_a_saved_or_a_new_model() {
    let ctx = SessionContext::new();
    let store: Arc<dyn ModelStore> = Arc::new(MemoryStore::new());
    segql::register_with_store(&ctx, Arc::clone(&store)).unwrap();
    segql::demo::register_demo_table(&ctx, "sales", 20_000).unwrap();
    sql(
        &ctx,
        "SELECT * FROM kmeans_fit(rfm(sales), 4, seed => 1, model => 'four')",
    )
    .await;

    let html = report_html(&ctx, &store, &ReportRequest::saved("rfm(sales)", "four"))
        .await
        .unwrap();
    assert_eq!(page_table(&html, "segments-table").len(), 4);
    assert!(html.contains("k = 4 was given when model &#39;four&#39; was fitted"));
    assert!(
        !html.contains(r#"<table id="k-table">"#),
        "a given k has no search to show"
    );

    let mut request = ReportRequest::fit("rfm(sales)", "3");
    request.ks = Some("2..5".into());
    let html = report_html(&ctx, &store, &request).await.unwrap();
    assert_eq!(page_table(&html, "segments-table").len(), 3);
    let ks: Vec<String> = page_table(&html, "k-table")
        .iter()
        .map(|r| r[0].value.clone().unwrap())
        .collect();
    assert_eq!(ks, ["2", "3", "4", "5"]);
    let names: Vec<String> = store.list().unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        ["four"],
        "the report's own fit is not left in the store"
    );
    // the hidden input table is gone from the session too
    let tables = ctx
        .catalog("datafusion")
        .unwrap()
        .schema("public")
        .unwrap()
        .table_names();
    assert!(
        tables.iter().all(|t| !t.starts_with("segql_report")),
        "{tables:?}"
    );
}

/// A hierarchical model's page shows the top of its tree with the cut at k; a DBSCAN model's
/// page counts its noise as assign_segment does (segment -1) and draws it grey.
#[tokio::test(flavor = "multi_thread")]
async fn hierarchical_and_dbscan_models_show_their_tree_and_noise() {
    let ctx = SessionContext::new();
    let store: Arc<dyn ModelStore> = Arc::new(MemoryStore::new());
    segql::register_with_store(&ctx, Arc::clone(&store)).unwrap();
    segql::demo::register_demo_table(&ctx, "sales", 20_000).unwrap();
    sql(
        &ctx,
        "SELECT * FROM hclust_fit(rfm(sales), 4, model => 'tree4')",
    )
    .await;
    let html = report_html(&ctx, &store, &ReportRequest::saved("rfm(sales)", "tree4"))
        .await
        .unwrap();
    assert_eq!(page_table(&html, "segments-table").len(), 4);
    assert!(html.contains(r#"id="chart-dendrogram""#));
    // the last 29 merges (the demo has more than 30 customers), the cut under the top three
    assert_eq!(html.matches(r#"class="mark merge""#).count(), 29);
    assert!(html.contains("cut: k = 4"));
    assert!(html.contains("ward linkage tree of model &#39;tree4&#39; was cut"));

    sql(
        &ctx,
        "SELECT * FROM dbscan(rfm(sales), 0.4, 8, model => 'dense')",
    )
    .await;
    let noise = rows(
        &sql(
            &ctx,
            "SELECT count(*) FROM assign_segment('dense', rfm(sales)) WHERE segment = -1",
        )
        .await,
    )[0][0]
        .clone();
    assert_ne!(noise, "0", "the case needs some noise");
    let html = report_html(&ctx, &store, &ReportRequest::saved("rfm(sales)", "dense"))
        .await
        .unwrap();
    let line = strip_tags(&html[html.find(r#"id="noise-share""#).expect("the noise line")..]);
    assert!(
        line.contains(&format!(
            "{} customers",
            segql_count(noise.parse().unwrap())
        )),
        "{}",
        &line[..200.min(line.len())]
    );
    assert!(html.contains("DBSCAN found k = "));
    assert!(
        html.contains("-1 noise"),
        "the scatter's legend has the noise"
    );
    assert!(!html.contains(r#"id="chart-dendrogram""#));
}

#[test]
fn bad_input_is_one_line_exit_1_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["--model", "nope"], "nope"),
        (
            &[
                "--input",
                "sales",
                "--options",
                "features => 'recency_days'",
            ],
            "recency_days",
        ),
        (
            &["--input", "(SELECT * FROM rfm(sales) WHERE frequency < 0)"],
            "has no rows",
        ),
        (&["-k", "0"], "k must be between 1 and 1000, got 0"),
        (
            &["-o", "missing/dir/r.html"],
            "cannot write the report to missing/dir/r.html: the directory missing/dir does not exist",
        ),
        (
            &["-o", "."],
            "cannot write the report to .: it is a directory",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec![
            "report",
            "--demo",
            "--demo-rows",
            "5000",
            "--models",
            "models",
        ];
        if !args.contains(&"-o") {
            all.extend(["-o", "r.html"]);
        }
        all.extend(args);
        let run = segql(dir.path(), &all);
        assert!(
            !run.ok && run.code == Some(1),
            "{args:?} should fail: {}",
            run.err
        );
        assert!(run.err.contains(expected), "{args:?}: {}", run.err);
        assert_eq!(
            run.err.trim().lines().count(),
            1,
            "{args:?}: one line, got {}",
            run.err
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "models")
            .collect();
        assert!(left.is_empty(), "{args:?} left files: {left:?}");
    }
}
