//! The `segql` binary, run for real.

use std::process::Command;

fn segql(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_segql"))
        .args(args)
        .output()
        .expect("the segql binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// README's first command: the segment summary of the demo data, every segment of the R/F
/// map that has customers, with counts adding up to the customers of the demo data.
#[test]
fn demo_prints_the_segment_summary() {
    let (ok, out, err) = segql(&["--demo", "--demo-rows", "50000"]);
    assert!(ok, "{err}");
    assert!(out.contains("| segment "), "{out}");
    for segment in ["Champions", "Loyal Customers", "Hibernating", "At Risk"] {
        assert!(out.contains(segment), "{segment} missing:\n{out}");
    }
    let total: u64 = out
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| segment"))
        .map(|l| l.split('|').nth(2).unwrap().trim().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 2000, "50000 rows hold 2000 customers:\n{out}");
}

#[test]
fn commands_and_files_run_against_registered_files() {
    let (ok, out, err) = segql(&[
        "tests/fixtures/transactions_20k.parquet",
        "-c",
        "SELECT count(*) AS customers FROM rfm(transactions_20k)",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("| 800       |"), "{out}");
}

#[test]
fn scripts_run_with_dash_f() {
    let (ok, out, err) = segql(&[
        "--demo",
        "--demo-rows",
        "20000",
        "-f",
        "sql/rfm_top_customers.sql",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("rfm_cell") && out.contains("r_score"), "{out}");
}

#[test]
fn errors_are_one_clear_line_and_a_failing_exit() {
    let (ok, _, err) = segql(&["--demo", "-c", "SELECT * FROM rfm(sales, bins => 0)"]);
    assert!(!ok);
    assert_eq!(
        err.trim(),
        "Error: Error during planning: rfm: 'bins' must be between 1 and 1000, got 0"
    );
    let (ok, _, err) = segql(&["no/such/file.parquet", "-c", "SELECT 1"]);
    assert!(!ok);
    assert!(
        err.contains("no such file or directory: no/such/file.parquet"),
        "{err}"
    );
    let (ok, _, err) = segql(&["Cargo.toml", "-c", "SELECT 1"]);
    assert!(!ok);
    assert!(err.contains("unknown format 'toml'"), "{err}");
}

/// `generate` writes a file that reads back with the requested rows and customers.
#[test]
fn generate_writes_parquet_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["tx.parquet", "tx.csv"] {
        let path = dir.path().join(name);
        let path = path.to_str().unwrap();
        let (ok, _, err) = segql(&[
            "generate",
            "--rows",
            "5000",
            "--customers",
            "50",
            "--out",
            path,
        ]);
        assert!(ok, "{err}");
        let (ok, out, err) = segql(&[
            path,
            "-c",
            "SELECT count(*) AS n, count(DISTINCT \"CustomerID\") AS c FROM tx",
        ]);
        assert!(ok, "{err}");
        assert!(out.contains("| 5000 | 50 |"), "{name}: {out}");
    }
}
