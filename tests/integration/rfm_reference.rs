//! rfm() against an independent reference: RFM tables computed by DuckDB from the same
//! transactions (see `tests/fixtures/make_rfm_reference.py`), compared customer by customer and
//! column by column, over Parquet and CSV input, at 1 and 4 target partitions. Scores are
//! checked under both tie rules: the default (`ties => 'same'`, DuckDB's `rank()`) and
//! `ties => 'split'` (DuckDB's NTILE over value and customer), on generated transactions and on
//! a data set where most customers share their history exactly.

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::error::Result;
use datafusion::prelude::{CsvReadOptions, SessionConfig, SessionContext};

const TRANSACTIONS: &str = "tests/fixtures/transactions_20k.parquet";

async fn context(partitions: usize) -> Result<SessionContext> {
    let config = SessionConfig::new().with_target_partitions(partitions);
    let ctx = SessionContext::new_with_config(config).enable_url_table();
    segql::register_all(&ctx)?;
    Ok(ctx)
}

/// Compare `rfm_call` with the reference CSV; returns the mismatching rows, formatted.
async fn mismatches(ctx: &SessionContext, rfm_call: &str, reference: &str) -> Result<String> {
    ctx.register_csv("reference", reference, CsvReadOptions::new())
        .await?;
    ctx.sql(&format!("CREATE VIEW ours AS SELECT * FROM {rfm_call}"))
        .await?;
    let sql = r#"
        SELECT coalesce(r."CustomerID", o."CustomerID") AS customer,
               r.recency_days AS ref_r, o.recency_days AS our_r,
               r.frequency AS ref_f, o.frequency AS our_f,
               r.monetary AS ref_m, o.monetary AS our_m,
               r.rfm_cell AS ref_cell, o.rfm_cell AS our_cell,
               r.segment AS ref_segment, o.segment AS our_segment
        FROM reference r FULL OUTER JOIN ours o ON r."CustomerID" = o."CustomerID"
        WHERE r."CustomerID" IS NULL OR o."CustomerID" IS NULL
           OR r.first_purchase_us <> CAST(o.first_purchase AS BIGINT)
           OR r.last_purchase_us <> CAST(o.last_purchase AS BIGINT)
           OR r.recency_days <> o.recency_days
           OR r.frequency <> o.frequency
           OR abs(r.monetary - o.monetary) > 1e-9 * greatest(1.0, abs(r.monetary))
           OR abs(r.avg_order_value - o.avg_order_value) > 1e-9 * greatest(1.0, abs(r.avg_order_value))
           OR r.tenure_days <> o.tenure_days
           OR (r.periodicity_days IS NULL) <> (o.periodicity_days IS NULL)
           OR abs(r.periodicity_days - o.periodicity_days) > 1e-9
           OR r.r_score <> o.r_score OR r.f_score <> o.f_score OR r.m_score <> o.m_score
           OR CAST(r.rfm_cell AS VARCHAR) <> o.rfm_cell
           OR r.segment <> o.segment
        ORDER BY customer
        LIMIT 10"#;
    let batches = ctx.sql(sql).await?.collect().await?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let counts = ctx
        .sql("SELECT (SELECT count(*) FROM reference) AS reference, (SELECT count(*) FROM ours) AS ours")
        .await?
        .collect()
        .await?;
    let counts = pretty_format_batches(&counts)?.to_string();
    if rows == 0 {
        Ok(String::new())
    } else {
        Ok(format!("{}\n{counts}", pretty_format_batches(&batches)?))
    }
}

async fn check(rfm_call: &str, reference: &str) -> Result<()> {
    for partitions in [1, 4] {
        let ctx = context(partitions).await?;
        let diff = mismatches(&ctx, rfm_call, reference).await?;
        assert!(
            diff.is_empty(),
            "{rfm_call} differs from {reference} at {partitions} partitions:\n{diff}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfm_of_parquet_matches_duckdb() -> Result<()> {
    check(
        &format!("rfm('{TRANSACTIONS}')"),
        "tests/fixtures/rfm_reference_same.csv",
    )
    .await?;
    check(
        &format!("rfm('{TRANSACTIONS}', ties => 'split')"),
        "tests/fixtures/rfm_reference.csv",
    )
    .await
}

/// 600 customers, nine in ten with one order of the same amount on one of four days: equal
/// histories get equal scores and segments by default, and NTILE's split still matches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfm_of_heavily_tied_customers_matches_duckdb_under_both_rules() -> Result<()> {
    const TIES: &str = "tests/fixtures/heavy_ties.csv";
    check(
        &format!("rfm('{TIES}')"),
        "tests/fixtures/rfm_reference_heavy_ties_same.csv",
    )
    .await?;
    check(
        &format!("rfm('{TIES}', ties => 'split')"),
        "tests/fixtures/rfm_reference_heavy_ties_split.csv",
    )
    .await?;
    // no two customers with the same (recency, frequency, monetary) differ in score or segment
    let ctx = context(4).await?;
    let batches = ctx
        .sql(&format!(
            "SELECT recency_days, frequency, monetary FROM rfm('{TIES}') \
             GROUP BY recency_days, frequency, monetary \
             HAVING count(DISTINCT rfm_cell) > 1 OR count(DISTINCT segment) > 1"
        ))
        .await?
        .collect()
        .await?;
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfm_of_a_filtering_subquery_matches_duckdb() -> Result<()> {
    check(
        &format!(
            "rfm((SELECT * FROM '{TRANSACTIONS}' WHERE \"Country\" = 'France'), ties => 'split')"
        ),
        "tests/fixtures/rfm_reference_france.csv",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfm_excluding_returns_matches_duckdb() -> Result<()> {
    check(
        &format!("rfm('{TRANSACTIONS}', returns => 'exclude', ties => 'split')"),
        "tests/fixtures/rfm_reference_exclude.csv",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfm_of_a_registered_table_matches_duckdb() -> Result<()> {
    for partitions in [1, 4] {
        let ctx = context(partitions).await?;
        ctx.register_parquet("sales", TRANSACTIONS, Default::default())
            .await?;
        let diff = mismatches(&ctx, "rfm(sales)", "tests/fixtures/rfm_reference_same.csv").await?;
        assert!(
            diff.is_empty(),
            "rfm(sales) at {partitions} partitions:\n{diff}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfm_of_the_same_data_as_csv_matches_duckdb() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("transactions.csv");
    let ctx = context(1).await?;
    ctx.sql(&format!(
        "COPY (SELECT * FROM '{TRANSACTIONS}') TO '{}' STORED AS CSV",
        csv.display()
    ))
    .await?
    .collect()
    .await?;
    check(
        &format!("rfm('{}')", csv.display()),
        "tests/fixtures/rfm_reference_same.csv",
    )
    .await
}
