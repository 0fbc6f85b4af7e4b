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

/// The rows of the table printed under the heading that starts with `prefix`, as cells.
fn section(out: &str, prefix: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip_while(|l| !l.starts_with(prefix))
        .skip(1)
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
    let (ok, out, err) = segql(&["--demo", "--demo-rows", "50000"]);
    assert!(ok, "{err}");
    let rfm = section(&out, "1. RFM");
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
    let fitted = section(&out, "2. K-Means");
    let profile = section(&out, "3. Segment profile");
    let scored = section(&out, "4. Scoring");
    assert_eq!(fitted.len(), 4, "k = 4:\n{out}");
    assert_eq!(count(&fitted, 2).iter().sum::<u64>(), 2000, "{out}");
    assert_eq!(count(&fitted, 2), count(&profile, 2), "{out}");
    assert_eq!(count(&fitted, 2), count(&scored, 1), "{out}");
    // sizes descend, labels carry over from the model
    assert!(count(&fitted, 2).windows(2).all(|w| w[0] >= w[1]), "{out}");
    for (f, p) in fitted.iter().zip(&profile) {
        assert_eq!(f[1], p[1], "{out}");
    }
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
