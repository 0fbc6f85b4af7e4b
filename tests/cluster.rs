//! segql on a Ballista cluster: a scheduler and two executors started in this process on
//! 127.0.0.1, every kind of segql query run through the cluster and in one process with the
//! same settings, and the results compared row for row (sorted). Also: both executors did
//! work, a model an executor saved is the one a one-process fit saves, and it scores on the
//! cluster.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::common::Result;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use segql::cluster::executor::{ExecutorOptions, run_executor};
use segql::cluster::scheduler::run_scheduler;
use segql::model::{DirectoryStore, ModelStore};

/// A port nobody listens on now.
fn free_port() -> u16 {
    let listener = StdListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Transactions as four Parquet files under `dir/tx/` (four scan tasks) and one CSV.
async fn write_data(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let config = segql::demo::DemoConfig::new(20_000);
    let batches = segql::demo::transactions(&config, 1, 5_000)?;
    let ctx = SessionContext::new();
    let table = MemTable::try_new(segql::demo::schema(), batches)?;
    let parquet = dir.join("tx");
    std::fs::create_dir_all(&parquet)?;
    let df = ctx.read_table(Arc::new(table))?;
    for part in 0..4 {
        let path = parquet.join(format!("part-{part}.parquet"));
        df.clone()
            .limit(part * 5_000, Some(5_000))?
            .write_parquet(
                &path.to_string_lossy(),
                DataFrameWriteOptions::new().with_single_file_output(true),
                None,
            )
            .await?;
    }
    let csv = dir.join("tx.csv");
    df.write_csv(
        &csv.to_string_lossy(),
        DataFrameWriteOptions::new().with_single_file_output(true),
        None,
    )
    .await?;
    Ok((parquet, csv))
}

/// A scheduler and two executors on 127.0.0.1 sharing `models`; the scheduler's port.
async fn start_cluster(models: &Path, work: &[PathBuf; 2]) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port for the scheduler");
    let port = listener.local_addr().expect("its address").port();
    let store: Arc<dyn ModelStore> = Arc::new(DirectoryStore::new(models));
    tokio::spawn(run_scheduler(listener, "127.0.0.1", Arc::clone(&store)));
    for dir in work {
        let options = ExecutorOptions {
            scheduler_host: "127.0.0.1".into(),
            scheduler_port: port,
            bind_host: "127.0.0.1".into(),
            external_host: "127.0.0.1".into(),
            port: free_port(),
            grpc_port: free_port(),
            // one task slot each, so a stage of four tasks is shared between the two
            concurrent_tasks: 1,
            work_dir: Some(dir.clone()),
        };
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            if let Err(e) = run_executor(options, store).await {
                eprintln!("EXECUTOR FAILED: {e}");
            }
        });
    }
    port
}

/// The rows of `sql` in `ctx`, sorted, as a table.
async fn sorted_rows(ctx: &SessionContext, sql: &str) -> Result<String> {
    let batches: Vec<RecordBatch> = ctx.sql(sql).await?.collect().await?;
    let text = pretty_format_batches(&batches)?.to_string();
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() > 4 {
        let end = lines.len() - 1;
        lines[3..end].sort_unstable();
    }
    Ok(lines.join("\n"))
}

/// The settings of both contexts: Ballista's, four partitions.
fn cluster_config() -> SessionConfig {
    segql::cluster::cluster_config(
        SessionConfig::new()
            .with_information_schema(true)
            .with_target_partitions(4),
    )
}

/// The one-process context with the cluster's settings.
async fn local_context(models: &Path, tx: &Path, csv: &Path) -> Result<SessionContext> {
    let ctx = SessionContext::new_with_config(cluster_config()).enable_url_table();
    segql::register_with_store(&ctx, Arc::new(DirectoryStore::new(models)))?;
    register_tables(&ctx, tx, csv).await?;
    Ok(ctx)
}

async fn register_tables(ctx: &SessionContext, tx: &Path, csv: &Path) -> Result<()> {
    let sql = [
        format!(
            "CREATE EXTERNAL TABLE sales STORED AS PARQUET LOCATION '{}/'",
            tx.display()
        ),
        format!(
            "CREATE EXTERNAL TABLE sales_csv STORED AS CSV LOCATION '{}' OPTIONS ('format.has_header' 'true')",
            csv.display()
        ),
    ];
    for statement in sql {
        ctx.sql(&statement).await?.collect().await?;
    }
    Ok(())
}

/// Every kind of segql query, in an order where models exist before they are used.
fn queries(tx: &Path) -> Vec<String> {
    let tx = tx.display();
    vec![
        "SELECT * FROM rfm(sales)".into(),
        format!("SELECT * FROM rfm('{tx}/')"),
        "SELECT * FROM rfm(sales_csv)".into(),
        // the aggregate's monetary is a plain float sum, whose last bits depend on the order
        // partial sums meet in (in one process too), so it is compared to the cent's millionth
        "SELECT \"CustomerID\", r['recency_days'], r['frequency'], round(r['monetary'], 6), \
         r['first_purchase'], r['last_purchase'] FROM (SELECT \"CustomerID\", \
         rfm(\"InvoiceDate\", \"Quantity\" * \"UnitPrice\", TIMESTAMP '2011-12-10', \"InvoiceNo\") AS r \
         FROM sales GROUP BY \"CustomerID\")".into(),
        "SELECT * FROM kmeans_fit(rfm(sales), 3, seed => 1, model => 'm')".into(),
        "SELECT * FROM assign_segment('m', rfm(sales))".into(),
        "SELECT \"CustomerID\", assign_segment('m', recency_days, frequency, monetary) AS s FROM rfm(sales)".into(),
        "SELECT name, kind, k, rows FROM segql_models()".into(),
        "SELECT * FROM model_segments('m')".into(),
        "SELECT k, inertia, silhouette, recommended FROM kmeans_search(rfm(sales), ks => '2..4', seed => 1, n_init => 2)".into(),
        "SELECT * FROM kmeans_evaluate('m', rfm(sales))".into(),
        "SELECT * FROM feature_skewness(rfm(sales))".into(),
        "SELECT * FROM pca(rfm(sales), components => 2, model => 'p')".into(),
        "SELECT * FROM pca_project('p', rfm(sales))".into(),
        "SELECT * FROM dbscan((SELECT recency_days, frequency FROM rfm(sales)), 0.3, 5)".into(),
        "SELECT * FROM dbscan_eps((SELECT recency_days, frequency FROM rfm(sales)), 5)".into(),
        "SELECT * FROM hclust_fit(rfm(sales), 3, linkage => 'ward', model => 'h')".into(),
        "SELECT * FROM hclust_tree('h')".into(),
        "SELECT * FROM cohorts(sales)".into(),
        "SELECT count(*) FROM demo_transactions(rows => 1000)".into(),
    ]
}

/// The two results are the same, or the first line where they differ.
fn assert_same(on_cluster: &str, in_process: &str, sql: &str) {
    if on_cluster.len() + in_process.len() < 8_000 {
        assert_eq!(on_cluster, in_process, "{sql}");
    }
    let a: Vec<&str> = on_cluster.lines().collect();
    let b: Vec<&str> = in_process.lines().collect();
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "line {i} of {sql}");
    }
    assert_eq!(a.len(), b.len(), "rows of {sql}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_query_gives_the_same_rows_on_a_cluster() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (tx, csv) = write_data(dir.path()).await?;
    let work = [dir.path().join("work1"), dir.path().join("work2")];
    for w in &work {
        std::fs::create_dir_all(w)?;
    }
    let cluster_models = dir.path().join("models_cluster");
    let local_models = dir.path().join("models_local");
    let port = start_cluster(&cluster_models, &work).await;

    let store: Arc<dyn ModelStore> = Arc::new(DirectoryStore::new(&cluster_models));
    let address = format!("df://127.0.0.1:{port}");
    let state = segql::cluster::session_state(&address, cluster_config(), Arc::clone(&store))?;
    let cluster = SessionContext::new_with_state(state).enable_url_table();
    segql::register_with_store(&cluster, store)?;
    register_tables(&cluster, &tx, &csv).await?;
    let local = local_context(&local_models, &tx, &csv).await?;

    // executors register within a second or two; the first query waits for them
    let mut first = Err(datafusion::error::DataFusionError::Plan("not run".into()));
    for _ in 0..60 {
        first = sorted_rows(&cluster, "SELECT count(*) FROM sales").await;
        if first.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        first?,
        sorted_rows(&local, "SELECT count(*) FROM sales").await?
    );

    for sql in queries(&tx) {
        let on_cluster = sorted_rows(&cluster, &sql)
            .await
            .unwrap_or_else(|e| panic!("on the cluster, {sql}: {e}"));
        let in_process = sorted_rows(&local, &sql).await?;
        assert_same(&on_cluster, &in_process, &sql);
    }

    // the plans went to the cluster: the query plan shows the scheduler
    let plan = sorted_rows(&cluster, "EXPLAIN SELECT * FROM kmeans_fit(rfm(sales), 3)").await?;
    assert!(plan.contains("ClusterExec"), "{plan}");
    assert!(plan.contains("KMeansFitExec"), "{plan}");

    // both executors ran tasks: each wrote shuffle files under its work dir
    for w in &work {
        let jobs = std::fs::read_dir(w)?.count();
        assert!(
            jobs > 0,
            "executor with work dir {} ran nothing",
            w.display()
        );
    }

    // the models the executors saved are the ones one process saves
    let from_cluster = DirectoryStore::new(&cluster_models);
    let from_local = DirectoryStore::new(&local_models);
    for name in ["m", "p", "h"] {
        let a = from_cluster
            .load(name)
            .expect("the cluster saved the model");
        let b = from_local.load(name).expect("one process saved the model");
        assert_eq!(a.fingerprint, b.fingerprint, "{name}");
        assert_eq!(
            serde_json::to_value(&a.segments).expect("json"),
            serde_json::to_value(&b.segments).expect("json"),
            "{name}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_cluster_address_is_checked() {
    let store: Arc<dyn ModelStore> = Arc::new(DirectoryStore::new("unused"));
    let Err(e) = segql::cluster::connect("df://nowhere", store).await else {
        panic!("an address without a port was accepted");
    };
    assert!(e.to_string().contains("df://127.0.0.1:50050"), "{e}");
}
