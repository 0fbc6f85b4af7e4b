//! cohorts() against DuckDB, value for value, on the committed 20,000 transactions: every
//! period (month, ISO week, quarter) with returns included and excluded. Fixtures:
//! tests/fixtures/make_cohorts_reference.py (a DuckDB query written on its own).

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Date32Type, Float64Type, Int32Type, Int64Type};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

/// One row of the table: cohort, period_number, cohort_customers, active_customers,
/// retention, revenue, orders.
type Row = (String, i64, i64, i64, f64, f64, i64);

fn ours(batches: &[RecordBatch]) -> Vec<Row> {
    let mut rows = Vec::new();
    for b in batches {
        let cohort = b.column(0);
        assert!(cohort.as_primitive_opt::<Date32Type>().is_some());
        for i in 0..b.num_rows() {
            rows.push((
                array_value_to_string(cohort, i).unwrap(),
                b.column(1).as_primitive::<Int32Type>().value(i) as i64,
                b.column(2).as_primitive::<Int64Type>().value(i),
                b.column(3).as_primitive::<Int64Type>().value(i),
                b.column(4).as_primitive::<Float64Type>().value(i),
                b.column(5).as_primitive::<Float64Type>().value(i),
                b.column(6).as_primitive::<Int64Type>().value(i),
            ));
        }
    }
    rows
}

fn duckdb(path: &str) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
                f[4].parse().unwrap(),
                f[5].parse().unwrap(),
                f[6].parse().unwrap(),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-8 * b.abs().max(1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cohorts_match_duckdb() -> Result<()> {
    let ctx = SessionContext::new();
    segql::register_all(&ctx)?;
    ctx.register_parquet(
        "tx",
        "tests/fixtures/transactions_20k.parquet",
        Default::default(),
    )
    .await?;
    for period in ["month", "week", "quarter"] {
        for returns in ["include", "exclude"] {
            let sql = format!(
                "SELECT * FROM cohorts(tx, period => '{period}', returns => '{returns}') ORDER BY cohort, period_number"
            );
            let got = ours(&ctx.sql(&sql).await?.collect().await?);
            let want = duckdb(&format!("tests/fixtures/cohorts/{period}_{returns}.csv"));
            assert_eq!(got.len(), want.len(), "{period} {returns}: rows");
            for (g, w) in got.iter().zip(&want) {
                let same = g.0 == w.0
                    && (g.1, g.2, g.3, g.6) == (w.1, w.2, w.3, w.6)
                    && close(g.4, w.4)
                    && close(g.5, w.5);
                assert!(same, "{period} {returns}: segql {g:?} against DuckDB {w:?}");
            }
        }
    }
    Ok(())
}
