//! kmeans_fit, assign_segment and the model store used as a library: determinism across
//! partitioning, visible plans, models on disk surviving a restart.

use std::sync::Arc;

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};
use segql::model::{DirectoryStore, ModelStore};

async fn table(ctx: &SessionContext, sql: &str) -> Result<String> {
    let batches = ctx.sql(sql).await?.collect().await?;
    Ok(pretty_format_batches(&batches)?.to_string())
}

fn context(
    partitions: usize,
    batch_size: usize,
    store: Option<Arc<dyn ModelStore>>,
) -> Result<SessionContext> {
    let config = SessionConfig::new()
        .with_target_partitions(partitions)
        .with_batch_size(batch_size);
    let ctx = SessionContext::new_with_config(config);
    match store {
        Some(store) => segql::register_with_store(&ctx, store)?,
        None => segql::register_all(&ctx)?,
    }
    segql::demo::register_demo_table(&ctx, "sales", 20_000)?;
    Ok(ctx)
}

/// The same seed gives the same table on 1, 2 and 8 partitions and any batch size: the
/// rows reach the fit in a different order each time, and the fit threads differ too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_model_on_any_partitioning() -> Result<()> {
    let sql = "SELECT * FROM kmeans_fit(rfm(sales), 3, seed => 1)";
    let reference = table(&context(1, 8192, None)?, sql).await?;
    for (partitions, batch_size) in [(2, 8192), (8, 8192), (8, 333), (3, 1000)] {
        let other = table(&context(partitions, batch_size, None)?, sql).await?;
        assert_eq!(
            reference, other,
            "{partitions} partitions, batches of {batch_size}"
        );
    }
    Ok(())
}

/// EXPLAIN shows the fit operator over DataFusion's own aggregate plan of rfm().
#[tokio::test(flavor = "multi_thread")]
async fn explain_shows_the_fit_over_the_rfm_plan() -> Result<()> {
    let ctx = context(2, 8192, None)?;
    let plan = table(
        &ctx,
        "EXPLAIN SELECT * FROM kmeans_fit(rfm(sales), 3, model => 'm')",
    )
    .await?;
    let fit = plan
        .find("KMeansFitExec: k=3, features=[recency_days, frequency, monetary], transform=auto, scale=standard, init=k-means++, n_init=10, seed=0, model=m")
        .unwrap_or_else(|| panic!("no fit operator:\n{plan}"));
    let aggregate = plan
        .find("AggregateExec")
        .unwrap_or_else(|| panic!("no aggregate:\n{plan}"));
    assert!(
        fit < aggregate,
        "the fit is not above the aggregate:\n{plan}"
    );
    // EXPLAIN plans but does not run: nothing is saved
    assert!(
        table(&ctx, "SELECT name FROM segql_models()")
            .await?
            .lines()
            .count()
            <= 4
    );
    let scoring = table(
        &ctx,
        "EXPLAIN SELECT * FROM kmeans_fit(rfm(sales), 2, model => 'm')",
    )
    .await?;
    assert!(scoring.contains("KMeansFitExec"));
    Ok(())
}

/// A directory store keeps models across restarts, and damaged files are clear errors.
#[tokio::test(flavor = "multi_thread")]
async fn models_on_disk_survive_a_restart() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let open = || -> Result<SessionContext> {
        context(
            2,
            8192,
            Some(Arc::new(DirectoryStore::new(dir.path().join("models")))),
        )
    };
    let ctx = open()?;
    let fitted = table(
        &ctx,
        "SELECT segment, size FROM kmeans_fit(rfm(sales), 4, seed => 3, model => 'seg') ORDER BY segment",
    )
    .await?;
    assert!(dir.path().join("models/seg.segql-model").exists());
    drop(ctx);

    // a new session on the same directory scores with the saved model
    let ctx = open()?;
    let scored = table(
        &ctx,
        "SELECT segment, count(*) AS size FROM assign_segment('seg', rfm(sales)) GROUP BY segment ORDER BY segment",
    )
    .await?;
    assert_eq!(fitted, scored);
    let listed = table(&ctx, "SELECT name, k, status FROM segql_models()").await?;
    assert!(listed.contains("| seg  | 4 | ok     |"), "{listed}");

    // a truncated file: a clear error, the listing shows why, nothing panics
    let path = dir.path().join("models/seg.segql-model");
    let text = std::fs::read_to_string(&path)?;
    std::fs::write(&path, &text[..text.len() / 3])?;
    let err = ctx
        .sql("SELECT * FROM assign_segment('seg', rfm(sales))")
        .await
        .expect_err("a truncated model must not load")
        .to_string();
    assert!(
        err.contains("model 'seg' cannot be read from") && err.contains("truncated or damaged"),
        "{err}"
    );
    let listed = table(&ctx, "SELECT name, status FROM segql_models()").await?;
    assert!(listed.contains("truncated or damaged"), "{listed}");

    // dropping removes the file
    table(&ctx, "SELECT drop_model('seg')").await?;
    assert!(!path.exists());
    Ok(())
}
