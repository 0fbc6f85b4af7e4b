//! rfm() under a session memory limit: the sorts after the aggregate spill to disk and the
//! answer is the one computed without a limit.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::concat_batches;
use datafusion::error::Result;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{SessionConfig, SessionContext};

/// 50,000 customers with two lines each, so that the per-customer table, not the raw lines,
/// is what has to fit in memory.
async fn context(memory_limit: Option<usize>) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_target_partitions(2)
        .with_batch_size(4096)
        // the default (10 MB per sort, kept for merging its spill files) is more than this
        // test's whole pool
        .with_sort_spill_reservation_bytes(256 << 10);
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(bytes) = memory_limit {
        runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(bytes)));
    }
    let ctx = SessionContext::new_with_config_rt(config, runtime.build_arc()?);
    segql::register_all(&ctx)?;
    ctx.sql(
        "CREATE TABLE sales AS SELECT \
           value % 50000 AS \"CustomerID\", \
           CAST(value AS VARCHAR) AS \"InvoiceNo\", \
           to_timestamp(1293840000 + value * 7919 % 31536000) AS \"InvoiceDate\", \
           value % 7 + 1 AS \"Quantity\", \
           CAST(value % 1000 AS DOUBLE) / 100 AS \"UnitPrice\" \
         FROM generate_series(1, 100000)",
    )
    .await?
    .collect()
    .await?;
    Ok(ctx)
}

/// The rfm() table in customer order, and the spill files its plan wrote.
async fn run(ctx: &SessionContext, options: &str) -> Result<(RecordBatch, usize)> {
    let sql = format!("SELECT * FROM rfm(sales{options}) ORDER BY \"CustomerID\"");
    let plan = ctx.sql(&sql).await?.create_physical_plan().await?;
    let batches = collect(Arc::clone(&plan), ctx.task_ctx()).await?;
    Ok((
        concat_batches(&plan.schema(), &batches)?,
        spill_count(&plan),
    ))
}

fn spill_count(plan: &Arc<dyn ExecutionPlan>) -> usize {
    let own = plan
        .metrics()
        .and_then(|m| m.spill_count())
        .unwrap_or_default();
    own + plan.children().into_iter().map(spill_count).sum::<usize>()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfm_spills_under_a_memory_limit_and_gives_the_same_answer() -> Result<()> {
    for options in ["", ", as_of => '2011-12-10'"] {
        let (expected, unlimited_spills) = run(&context(None).await?, options).await?;
        assert_eq!(unlimited_spills, 0, "no limit, no spill ({options})");
        assert_eq!(expected.num_rows(), 50_000, "{}", expected.num_rows());

        let (limited, spills) = run(&context(Some(20 << 20)).await?, options).await?;
        assert!(
            spills > 0,
            "a 20 MiB limit should make rfm() spill ({options})"
        );
        assert_eq!(limited, expected, "spilled run differs ({options})");
    }
    Ok(())
}
