//! The `segql` binary run for real, in batch mode (`-c`, `-f`, standard input): output formats
//! compared with snapshots (timings scrubbed) of hand-computed results, the walkthrough
//! scripts, the model store directory, and every kind of bad input.
//!
//! `SEGQL_BLESS=1 cargo test --test cli` rewrites the snapshots; review the diff by hand.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Run {
    ok: bool,
    code: Option<i32>,
    out: String,
    err: String,
}

fn segql_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_segql"));
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the segql binary runs");
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn segql(args: &[&str]) -> Run {
    segql_in(&root(), args, None)
}

/// Timings vary; everything else must match the snapshot.
fn scrub(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("Elapsed ") {
            Some(i) => format!("{}Elapsed <t> seconds.", &line[..i]),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_snapshot(name: &str, actual: &str) {
    let path = root().join("tests/snapshots").join(format!("{name}.txt"));
    let actual = scrub(actual);
    if std::env::var_os("SEGQL_BLESS").is_some() {
        std::fs::write(&path, format!("{actual}\n")).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {}", path.display()));
    assert_eq!(
        actual.trim_end_matches('\n'),
        expected.trim_end_matches('\n'),
        "snapshot {name}"
    );
}

const ORDERS: &str = "tests/fixtures/shell/orders.csv";
/// By hand from orders.csv: as_of = 2024-01-05 + 1 day; customer 1 bought on 01-01 and 01-05
/// (orders A1, A2: 10 + 30), customer 2 on 01-03 (5.5), customer 3 once on 01-02 (order C1, two
/// lines: 100 + 20).
const ORDERS_RFM: &str =
    "SELECT customer_id, recency_days, frequency, monetary FROM rfm(orders) ORDER BY customer_id";

#[test]
fn every_output_format_prints_the_hand_computed_rfm() {
    for format in ["table", "csv", "tsv", "json", "ndjson"] {
        let run = segql(&[ORDERS, "--format", format, "-c", ORDERS_RFM]);
        assert!(run.ok, "{format}: {}", run.err);
        assert_snapshot(&format!("orders_rfm_{format}"), &run.out);
    }
    // quiet: no timing line; maxrows limits a table
    let run = segql(&[ORDERS, "--quiet", "--format", "csv", "-c", ORDERS_RFM]);
    assert_eq!(
        run.out,
        "customer_id,recency_days,frequency,monetary\n1,1,2,40.0\n2,3,1,5.5\n3,4,1,120.0\n"
    );
    let run = segql(&[
        ORDERS,
        "--maxrows",
        "2",
        "--format",
        "table",
        "-c",
        ORDERS_RFM,
    ]);
    assert_snapshot("orders_rfm_maxrows", &run.out);
}

#[test]
fn statements_run_from_commands_files_and_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("two.sql");
    std::fs::write(
        &script,
        "-- ## Customers\nSELECT count(*) AS customers FROM rfm(orders);\n-- ## Orders\nSELECT count(*) AS lines FROM orders;\n",
    )
    .unwrap();
    let orders = root().join(ORDERS);
    let orders = orders.to_str().unwrap();
    let run = segql_in(
        dir.path(),
        &[orders, "--quiet", "-c", "SELECT 1 AS one", "-f", "two.sql"],
        None,
    );
    assert!(run.ok, "{}", run.err);
    assert_snapshot("commands_then_files", &run.out);
    // statements on standard input when it is not a terminal
    let run = segql_in(
        dir.path(),
        &[orders, "--quiet", "--format", "csv"],
        Some("SELECT max(monetary) AS top FROM rfm(orders);\nSELECT 'done' AS status;\n"),
    );
    assert!(run.ok, "{}", run.err);
    assert_eq!(run.out, "top\n120.0\nstatus\ndone\n");
}

#[test]
fn the_first_failing_statement_stops_the_run_with_its_error_on_stderr() {
    let run = segql(&[
        ORDERS,
        "--quiet",
        "--format",
        "csv",
        "-c",
        "SELECT 1 AS first; SELECT nope FROM orders; SELECT 3 AS third",
    ]);
    assert!(!run.ok);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.out, "first\n1\n", "nothing after the failure runs");
    assert_snapshot("error_unknown_column", &run.err);
}

/// Bad input of every kind: one clear message naming the problem, exit code 1, no panic, no
/// Rust debug output.
#[test]
fn bad_input_gets_one_clear_message() {
    let cases: &[(&str, &[&str])] = &[
        ("missing_file", &["no/such/file.parquet", "-c", "SELECT 1"]),
        (
            "corrupt_file",
            &["tests/fixtures/shell/corrupt.parquet", "-c", "SELECT 1"],
        ),
        ("unknown_format", &["Cargo.toml", "-c", "SELECT 1"]),
        (
            "empty_file",
            &["tests/fixtures/shell/empty.csv", "-c", "SELECT 1"],
        ),
        ("syntax_error", &[ORDERS, "-c", "SELEC * FROM orders"]),
        (
            "unknown_table_function",
            &[ORDERS, "-c", "SELECT * FROM kmeans_fti(rfm(orders), 2)"],
        ),
        ("unknown_table", &[ORDERS, "-c", "SELECT * FROM rfm(order)"]),
        ("unknown_scalar_function", &[ORDERS, "-c", "SELECT rfmm(1)"]),
        (
            "bad_option",
            &[ORDERS, "-c", "SELECT * FROM rfm(orders, bins => 0)"],
        ),
        (
            "k_out_of_range",
            &[ORDERS, "-c", "SELECT * FROM kmeans_fit(rfm(orders), 5)"],
        ),
        (
            "missing_quoted_file",
            &["-c", "SELECT * FROM rfm('no/such/sales.parquet')"],
        ),
        ("missing_script", &["-f", "no/such/script.sql"]),
        (
            "unknown_model",
            &[
                ORDERS,
                "-c",
                "SELECT * FROM assign_segment('nope', rfm(orders))",
            ],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in cases {
        let mut args: Vec<&str> = args.to_vec();
        let models = dir.path().to_str().unwrap();
        args.extend(["--models", models]);
        let run = segql(&args);
        assert!(!run.ok, "{name} should fail: {}", run.out);
        assert_eq!(run.code, Some(1), "{name}");
        for debug in [
            "panicked",
            "DataFusionError",
            "ParserError(",
            "Plan(",
            "backtrace",
        ] {
            assert!(!run.err.contains(debug), "{name}: {}", run.err);
        }
        assert!(run.err.starts_with("Error: "), "{name}: {}", run.err);
        assert_snapshot(&format!("error_{name}"), &run.err);
    }
    // a bad option value is a usage error naming the accepted values
    let run = segql(&["--format", "xml", "-c", "SELECT 1"]);
    assert_eq!(run.code, Some(2));
    assert!(run.err.contains("unknown format 'xml'"), "{}", run.err);
}

/// The rows of the table printed under the heading that starts with `prefix`, as cells.
fn section(out: &str, prefix: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip_while(|l| !l.starts_with(prefix))
        .skip(1)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("| "))
        .skip(1) // the header
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// README's first command: the whole segmentation of the demo data. The R/F map summary
/// covers every customer; K-Means segments, the profile scored with the saved model and the
/// scalar scoring all agree on the segment sizes.
#[test]
fn demo_runs_the_whole_segmentation() {
    let dir = tempfile::tempdir().unwrap();
    let run = segql_in(dir.path(), &["demo", "--rows", "50000"], None);
    assert!(run.ok, "{}", run.err);
    let out = &run.out;
    let rfm = section(out, "1. RFM");
    for segment in ["Champions", "Loyal Customers", "Hibernating", "At Risk"] {
        assert!(
            rfm.iter().any(|r| r[0] == segment),
            "{segment} missing:\n{out}"
        );
    }
    let count = |rows: &[Vec<String>], column: usize| -> Vec<u64> {
        rows.iter().map(|r| r[column].parse().unwrap()).collect()
    };
    assert_eq!(
        count(&rfm, 1).iter().sum::<u64>(),
        2000,
        "50000 rows hold 2000 customers:\n{out}"
    );
    let fitted = section(out, "2. K-Means");
    let profile = section(out, "3. Segment profile");
    let scored = section(out, "4. Scoring");
    assert_eq!(fitted.len(), 4, "k = 4:\n{out}");
    assert_eq!(count(&fitted, 2).iter().sum::<u64>(), 2000, "{out}");
    assert_eq!(count(&fitted, 2), count(&profile, 2), "{out}");
    assert_eq!(count(&fitted, 2), count(&scored, 1), "{out}");
    assert!(count(&fitted, 2).windows(2).all(|w| w[0] >= w[1]), "{out}");
    for (f, p) in fitted.iter().zip(&profile) {
        assert_eq!(f[1], p[1], "{out}");
    }
    // the model was saved in ./segql_models
    assert!(
        dir.path()
            .join("segql_models/customer_segments.segql-model")
            .exists()
    );
}

/// Every walkthrough script runs with `segql --demo -f sql/NAME.sql`, and models saved by
/// one process are read by the next.
#[test]
fn walkthrough_scripts_run_and_models_outlive_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(root().join("sql"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 6, "{scripts:?}");
    // nothing is created before the first save
    let run = segql_in(
        dir.path(),
        &[
            "--demo",
            "--demo-rows",
            "20000",
            "-c",
            "SELECT * FROM segql_models()",
        ],
        None,
    );
    assert!(run.ok, "{}", run.err);
    assert!(!dir.path().join("segql_models").exists());
    for script in &scripts {
        let run = segql_in(
            dir.path(),
            &[
                "--demo",
                "--demo-rows",
                "20000",
                "-f",
                script.to_str().unwrap(),
            ],
            None,
        );
        assert!(run.ok, "{}: {}", script.display(), run.err);
        assert!(run.out.contains("row(s) fetched"), "{}", script.display());
    }
    let store = dir.path().join("segql_models");
    assert!(store.join("rfm_log5.segql-model").exists());
    assert!(
        !store.join("rfm_k3.segql-model").exists(),
        "05 drops rfm_k3"
    );
    // a later process scores with the saved model; --models points elsewhere
    let run = segql_in(
        dir.path(),
        &[
            "--demo",
            "--demo-rows",
            "20000",
            "--quiet",
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS n, count(DISTINCT segment) AS segments FROM assign_segment('rfm_log5', rfm(sales))",
        ],
        None,
    );
    assert!(run.ok, "{}", run.err);
    assert_eq!(run.out, "n,segments\n800,5\n");
    let other = dir.path().join("elsewhere");
    let run = segql_in(
        dir.path(),
        &[
            "--demo",
            "--demo-rows",
            "20000",
            "--models",
            other.to_str().unwrap(),
            "-c",
            "SELECT * FROM assign_segment('rfm_log5', rfm(sales))",
        ],
        None,
    );
    assert!(!run.ok);
    assert!(run.err.contains("rfm_log5"), "{}", run.err);
}

/// `generate` writes a file that reads back with the requested rows and customers.
#[test]
fn generate_writes_parquet_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["tx.parquet", "tx.csv"] {
        let path = dir.path().join(name);
        let path = path.to_str().unwrap();
        let run = segql(&[
            "generate",
            "--rows",
            "5000",
            "--customers",
            "50",
            "--out",
            path,
        ]);
        assert!(run.ok, "{}", run.err);
        let run = segql(&[
            path,
            "--quiet",
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS n, count(DISTINCT \"CustomerID\") AS c FROM tx",
        ]);
        assert!(run.ok, "{}", run.err);
        assert_eq!(run.out, "n,c\n5000,50\n", "{name}");
    }
}

/// A CSV table (no quoted fields) as rows of header -> value.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

/// segql's RFM of an export, printed as CSV by the shell, equals DuckDB's (the fixture made by
/// tests/fixtures/online_retail/make_online_retail.py) customer for customer.
fn assert_same_rfm(segql_csv: &str, duckdb_csv: &str, key: &str) {
    let ours = csv_rows(segql_csv);
    let theirs = csv_rows(duckdb_csv);
    assert_eq!(ours.len(), theirs.len(), "customer count\n{segql_csv}");
    let number = |s: &str| -> Option<f64> { (!s.is_empty()).then(|| s.parse().unwrap()) };
    for (row, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(number(&a[key]), number(&b["customer"]), "row {row}");
        for (mine, reference) in [
            ("first_us", "first_purchase_us"),
            ("last_us", "last_purchase_us"),
            ("recency_days", "recency_days"),
            ("frequency", "frequency"),
            ("tenure_days", "tenure_days"),
            ("r_score", "r_score"),
            ("f_score", "f_score"),
            ("m_score", "m_score"),
            ("rfm_cell", "rfm_cell"),
            ("segment", "segment"),
        ] {
            assert_eq!(a[mine], b[reference], "{key} {}: {mine}", a[key]);
        }
        for column in ["monetary", "avg_order_value", "periodicity_days"] {
            let (x, y) = (number(&a[column]), number(&b[column]));
            let close = match (x, y) {
                (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * y.abs().max(1.0),
                (None, None) => true,
                _ => false,
            };
            assert!(close, "{key} {}: {column} {x:?} vs {y:?}", a[key]);
        }
    }
}

/// The two Online Retail shapes analysts download, through the shell: the classic export (text
/// dates) needs only the option its own error suggests; the newer one (ISO dates, `Customer ID`
/// with a space, `Invoice`, `Price`) needs none. Both give DuckDB's RFM.
#[test]
fn online_retail_exports_give_duckdbs_rfm_with_only_the_hinted_options() {
    let data = root().join("tests/fixtures/online_retail");
    let select = |call: &str| {
        format!(
            "SELECT *, CAST(first_purchase AS BIGINT) AS first_us, \
             CAST(last_purchase AS BIGINT) AS last_us FROM {call} ORDER BY 1"
        )
    };
    let classic = data.join("classic.csv");
    let classic = classic.to_str().unwrap();

    let first = segql(&[classic, "-c", "SELECT * FROM rfm(classic)"]);
    assert!(!first.ok);
    let start = first.err.find("time => '").expect(&first.err);
    let rest = &first.err[start..];
    let end = rest.find(")'").expect(&first.err) + 2;
    let hint = &rest[..end];
    assert_eq!(
        hint,
        "time => 'to_timestamp(InvoiceDate, ''%m/%d/%Y %H:%M'')'"
    );

    let run = segql(&[
        classic,
        "--format",
        "csv",
        "-q",
        "--maxrows",
        "inf",
        "-c",
        &select(&format!("rfm(classic, {hint})")),
    ]);
    assert!(run.ok, "{}", run.err);
    let reference = std::fs::read_to_string(data.join("classic_rfm.csv")).unwrap();
    assert_same_rfm(&run.out, &reference, "CustomerID");

    let newer = data.join("newer.csv");
    let run = segql(&[
        newer.to_str().unwrap(),
        "--format",
        "csv",
        "-q",
        "-c",
        &select("rfm(newer)"),
    ]);
    assert!(run.ok, "{}", run.err);
    let reference = std::fs::read_to_string(data.join("newer_rfm.csv")).unwrap();
    assert_same_rfm(&run.out, &reference, "Customer ID");
}
