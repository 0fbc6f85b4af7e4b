//! segql used as a library: plans, runtimes, scripts.

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

fn context() -> Result<SessionContext> {
    let ctx = SessionContext::new().enable_url_table();
    segql::register_all(&ctx)?;
    segql::demo::register_demo_table(&ctx, "sales", 20_000)?;
    Ok(ctx)
}

async fn explain(ctx: &SessionContext, sql: &str) -> Result<String> {
    let batches = ctx.sql(&format!("EXPLAIN {sql}")).await?.collect().await?;
    Ok(pretty_format_batches(&batches)?.to_string())
}

/// rfm() is an ordinary DataFusion plan: EXPLAIN shows one hash aggregate grouped by customer
/// (segql_rfm_measures computes both distinct counts in it, so there is no DISTINCT count and
/// no join), in a single stage over rows partitioned by customer, segql's totals and ranks
/// operators (no window that gathers every customer into one batch), and a single scan with
/// only the columns rfm needs.
#[tokio::test(flavor = "multi_thread")]
async fn explain_shows_datafusion_operators() -> Result<()> {
    let ctx = context()?;
    let plan = explain(
        &ctx,
        "SELECT * FROM rfm('tests/fixtures/transactions_20k.parquet')",
    )
    .await?;
    for expected in [
        "TableScan: rfm_ranked",
        // one aggregation stage over rows hash-partitioned by customer (rfm_single_stage)
        "AggregateExec: mode=SinglePartitioned, gby=[CustomerID@",
        "RepartitionExec: partitioning=Hash([CustomerID@",
        "aggr=[segql_rfm_measures(__rfm_ts,__rfm_amount,__rfm_order)]",
        "RfmTotalsExec: __rfm_latest_us=max(last_purchase), __rfm_customers=count(*)",
        // the three score orderings ranked side by side by one operator (rfm_ranks), equal
        // values sharing a rank (ties => 'same')
        "RfmRanksExec: __rfm_r_rank=rank[recency_days@3 DESC NULLS LAST], \
         __rfm_f_rank=rank[frequency@4 ASC NULLS LAST], \
         __rfm_m_rank=rank[monetary@5 ASC NULLS LAST]",
        "projection=[InvoiceNo, Quantity, InvoiceDate, UnitPrice, CustomerID]",
        // the lines of an order collapsed to one row before the repartition (rfm_runs),
        // the NULL customers dropped on the way
        "CollapseOrderLinesExec: keys=[CustomerID, __rfm_ts, __rfm_order], sum=__rfm_amount, \
         not_null=[CustomerID]",
    ] {
        assert!(
            plan.contains(expected),
            "EXPLAIN lacks {expected:?}:\n{plan}"
        );
    }
    assert!(
        !plan.contains("count(DISTINCT") && !plan.contains("Join"),
        "rfm() should need no DISTINCT count and no join:\n{plan}"
    );
    assert!(
        !plan.lines().any(|l| l
            .trim_start_matches([' ', '|'])
            .starts_with("WindowAggExec")),
        "no unbounded window (it would gather every customer into one batch):\n{plan}"
    );
    assert_eq!(
        plan.matches("DataSourceExec").count(),
        1,
        "rfm() reads its input once:\n{plan}"
    );
    Ok(())
}

/// A query computes only the score rankings it reads: kmeans_fit(rfm(..)) reads the three
/// features, so no ranking at all; f_score alone needs the frequency ranking only. The scores
/// are the same as when every column is computed.
#[tokio::test(flavor = "multi_thread")]
async fn only_the_rankings_a_query_reads_are_computed() -> Result<()> {
    let ctx = context()?;
    let path = "tests/fixtures/transactions_20k.parquet";
    let fit = explain(&ctx, &format!("SELECT * FROM kmeans_fit(rfm('{path}'), 3)")).await?;
    assert!(
        fit.contains("KMeansFitExec") && fit.contains("RfmTotalsExec"),
        "{fit}"
    );
    assert!(
        !fit.contains("RfmRanksExec"),
        "the fit ranks nothing:\n{fit}"
    );
    let one = explain(&ctx, &format!("SELECT f_score FROM rfm('{path}')")).await?;
    assert!(
        one.contains("RfmRanksExec: __rfm_f_rank=rank[frequency@4 ASC"),
        "{one}"
    );
    assert!(
        !one.contains("__rfm_r_rank=") && !one.contains("__rfm_m_rank="),
        "{one}"
    );

    let scores = |sql: String| {
        let ctx = ctx.clone();
        async move {
            let batches = ctx.sql(&sql).await?.collect().await?;
            Ok::<_, datafusion::error::DataFusionError>(
                pretty_format_batches(&batches)?.to_string(),
            )
        }
    };
    let alone = scores(format!(
        "SELECT \"CustomerID\", f_score FROM rfm('{path}') ORDER BY 1"
    ))
    .await?;
    let with_all = scores(format!(
        "SELECT \"CustomerID\", f_score FROM (SELECT *, r_score + m_score AS rm \
         FROM rfm('{path}')) WHERE rm > 0 AND segment IS NOT NULL OR segment IS NULL ORDER BY 1"
    ))
    .await?;
    assert!(alone.lines().count() > 100, "{alone}");
    assert_eq!(alone, with_all);
    Ok(())
}

/// Bare table names and file paths resolve whatever runtime runs the planner: a
/// current-thread tokio runtime, or none at all.
#[tokio::test(flavor = "current_thread")]
async fn table_names_and_paths_resolve_on_a_current_thread_runtime() -> Result<()> {
    let ctx = context()?;
    for sql in [
        "SELECT count(*) FROM rfm(sales)",
        "SELECT count(*) FROM rfm('tests/fixtures/transactions_20k.parquet')",
    ] {
        let batches = ctx.sql(sql).await?.collect().await?;
        assert_eq!(batches[0].num_rows(), 1, "{sql}");
    }
    Ok(())
}

#[test]
fn table_names_and_paths_resolve_without_a_runtime() -> Result<()> {
    let ctx = context()?;
    let plan = futures::executor::block_on(ctx.state().create_logical_plan(
        "SELECT count(*) FROM rfm('tests/fixtures/transactions_20k.parquet')",
    ))?;
    assert!(plan.display_indent().to_string().contains("Aggregate"));
    Ok(())
}

/// Registering twice (say, after enabling URL tables) is harmless.
#[tokio::test(flavor = "multi_thread")]
async fn register_all_twice_still_works() -> Result<()> {
    let ctx = SessionContext::new();
    segql::register_all(&ctx)?;
    let ctx = ctx.enable_url_table();
    segql::register_all(&ctx)?;
    let batches = ctx
        .sql("SELECT count(*) AS n FROM rfm('tests/fixtures/transactions_20k.parquet')")
        .await?
        .collect()
        .await?;
    assert_eq!(
        pretty_format_batches(&batches)?.to_string().lines().nth(3),
        Some("| 800 |")
    );
    Ok(())
}

/// Every script under sql/ runs on the demo data, and each statement returns rows.
#[tokio::test(flavor = "multi_thread")]
async fn every_sql_script_runs_on_the_demo_data() -> Result<()> {
    let mut scripts: Vec<_> = std::fs::read_dir("sql")?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    scripts.retain(|p| p.extension().is_some_and(|e| e == "sql"));
    scripts.sort();
    assert!(
        scripts.len() >= 3,
        "expected the sql/ scripts, found {scripts:?}"
    );
    for script in scripts {
        let ctx = context()?;
        let text = std::fs::read_to_string(&script)?;
        let results = segql::script::collect_script(&ctx, &text).await?;
        assert!(
            !results.is_empty(),
            "{} has no statements",
            script.display()
        );
        for result in results {
            let rows: usize = result.batches.iter().map(|b| b.num_rows()).sum();
            assert!(
                rows > 0,
                "{}: no rows from {}",
                script.display(),
                result.sql
            );
        }
    }
    Ok(())
}
