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
                eprintln!("an executor stopped: {e}");
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

    // executors register within a second or two; run rfm() until both have run tasks
    // of it (each then has a job directory under its work dir)
    let worked = |w: &PathBuf| std::fs::read_dir(w).map(|d| d.count() > 0).unwrap_or(false);
    let mut tries = 0;
    while !work.iter().all(worked) {
        tries += 1;
        assert!(tries < 60, "both executors never ran tasks");
        let _ = sorted_rows(&cluster, "SELECT * FROM rfm(sales)").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        sorted_rows(&cluster, "SELECT count(*) FROM rfm(sales)").await?,
        sorted_rows(&local, "SELECT count(*) FROM rfm(sales)").await?
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

    // a function only the client knows cannot run on the cluster, and says so
    cluster.register_udf(datafusion::logical_expr::create_udf(
        "client_only",
        vec![datafusion::arrow::datatypes::DataType::Float64],
        datafusion::arrow::datatypes::DataType::Float64,
        datafusion::logical_expr::Volatility::Immutable,
        Arc::new(|args: &[datafusion::logical_expr::ColumnarValue]| Ok(args[0].clone())),
    ));
    let refused = sorted_rows(&cluster, "SELECT client_only(monetary) FROM rfm(sales)")
        .await
        .expect_err("a client-only function ran on the cluster");
    assert!(
        refused
            .to_string()
            .contains("client_only is neither DataFusion's nor segql's"),
        "{refused}"
    );

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

/// The S3 settings of every process of the test: a moto server on loopback, test keys.
static S3_ENV: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();

/// A moto S3 server (from `.venv-test`, which scripts/test-deps.sh installs) on a free loopback
/// port, with bucket `shop` holding the 20k-row fixture at `sales/transactions.parquet`.
fn moto_bucket() -> (std::process::Child, Vec<(String, String)>) {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-test/bin");
    let port = free_port();
    let server = std::process::Command::new(venv.join("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto_server (run bash scripts/test-deps.sh)");
    let endpoint = format!("http://127.0.0.1:{port}");
    let script = format!(
        "import boto3, time\n\
         s3 = boto3.client('s3', endpoint_url='{endpoint}', aws_access_key_id='test', \
         aws_secret_access_key='test', region_name='us-east-1')\n\
         for _ in range(100):\n    \
             try:\n        s3.create_bucket(Bucket='shop'); break\n    \
             except Exception:\n        time.sleep(0.2)\n\
         s3.upload_file('tests/fixtures/transactions_20k.parquet', 'shop', 'sales/transactions.parquet')\n"
    );
    let filled = std::process::Command::new(venv.join("python"))
        .args(["-c", &script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("python");
    assert!(filled.success(), "could not fill the bucket");
    let env = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (server, env)
}

/// Child processes killed when the test ends, however it ends.
struct Children(Vec<std::process::Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `segql` with `args`: its standard output, or a panic with its standard error.
fn segql(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_segql"))
        .args(args)
        .envs(S3_ENV.get().into_iter().flatten().map(|(k, v)| (k, v)))
        .output()
        .expect("segql runs");
    assert!(
        out.status.success(),
        "segql {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The lines of `text`, sorted.
fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

/// The same through the `segql` binary, as a user starts it: `segql scheduler`, two `segql
/// executor` processes and the shell with `--cluster`, against the shell in one process.
#[test]
fn separate_processes_give_the_same_rows() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let (moto, env) = moto_bucket();
    let mut children = Children(vec![moto]);
    S3_ENV.set(env).expect("one test sets the S3 settings");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (tx, csv) = (path("tx.parquet"), path("tx.csv"));
    segql(&["generate", "--rows", "30000", "--out", &tx]);
    segql(&["generate", "--rows", "30000", "--out", &csv]);

    let bin = env!("CARGO_BIN_EXE_segql");
    let models = path("models_cluster");
    let s3_env = S3_ENV.get().expect("set above");
    let mut scheduler = Command::new(bin)
        .args(["scheduler", "--port", "0", "--models", &models])
        .envs(s3_env.iter().map(|(k, v)| (k, v)))
        .stderr(Stdio::piped())
        .spawn()
        .expect("segql scheduler starts");
    let mut banner = String::new();
    BufReader::new(scheduler.stderr.take().expect("its stderr"))
        .read_line(&mut banner)
        .expect("the scheduler says where it listens");
    children.0.push(scheduler);
    let port = banner
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap_or_else(|| panic!("no port in: {banner}"))
        .to_string();
    for i in 0..2 {
        let (flight, grpc) = (free_port().to_string(), free_port().to_string());
        let work = path(&format!("work{i}"));
        std::fs::create_dir_all(&work).expect("a work dir");
        children.0.push(
            Command::new(bin)
                .args(["executor", "--scheduler", &format!("127.0.0.1:{port}")])
                .args([
                    "--port",
                    &flight,
                    "--grpc-port",
                    &grpc,
                    "--concurrent-tasks",
                    "1",
                ])
                .args(["--work-dir", &work, "--models", &models])
                .envs(s3_env.iter().map(|(k, v)| (k, v)))
                .spawn()
                .expect("segql executor starts"),
        );
    }

    let cluster = format!("df://127.0.0.1:{port}");
    let queries = [
        format!("SELECT * FROM kmeans_fit(rfm('{tx}'), 4, seed => 2, model => 'seg')"),
        format!("SELECT * FROM assign_segment('seg', rfm('{csv}'))"),
        format!(
            "SELECT segment, count(*) AS n, round(sum(monetary), 4) AS m FROM rfm('{csv}') GROUP BY segment"
        ),
        "SELECT name, kind, k, rows FROM segql_models()".to_string(),
        // the executors open the bucket from the URL and their environment
        "SELECT * FROM rfm('s3://shop/sales/transactions.parquet')".to_string(),
    ];
    let run = |cluster: Option<&str>, models: &str| -> Vec<String> {
        let mut args = vec!["--models", models, "--format", "csv", "--quiet"];
        if let Some(address) = cluster {
            args.extend(["--cluster", address]);
        }
        queries
            .iter()
            .map(|q| {
                let mut all = args.clone();
                all.extend(["-c", q.as_str()]);
                segql(&all)
            })
            .collect()
    };
    // the executors register within seconds; wait for the first query to go through
    let probe = format!("SELECT count(*) FROM rfm('{tx}')");
    let ready = (0..60).any(|_| {
        let ok = Command::new(bin)
            .args([
                "--cluster",
                &cluster,
                "--models",
                &models,
                "-q",
                "-c",
                &probe,
            ])
            .envs(s3_env.iter().map(|(k, v)| (k, v)))
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            std::thread::sleep(Duration::from_millis(500));
        }
        ok
    });
    assert!(ready, "the cluster never ran a query");

    let on_cluster = run(Some(&cluster), &models);
    let in_process = run(None, &path("models_local"));
    for ((a, b), q) in on_cluster.iter().zip(&in_process).zip(&queries) {
        assert!(a.lines().count() > 1, "{q} returned nothing: {a}");
        assert_eq!(sorted_lines(a), sorted_lines(b), "{q}");
    }

    // segql serve --cluster: a BI tool's driver (psql here) gets the cluster too
    let serve_port = free_port();
    children.0.push(
        Command::new(bin)
            .args([
                "serve",
                "--port",
                &serve_port.to_string(),
                "--cluster",
                &cluster,
            ])
            .args(["--models", &models, &tx])
            .envs(s3_env.iter().map(|(k, v)| (k, v)))
            .stderr(Stdio::null())
            .spawn()
            .expect("segql serve starts"),
    );
    let psql = |sql: &str| -> Option<String> {
        let out = Command::new("psql")
            .arg(format!(
                "host=127.0.0.1 port={serve_port} user=analyst dbname=datafusion sslmode=disable"
            ))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .env("PGCONNECT_TIMEOUT", "5")
            .output()
            .expect("psql runs (scripts/test-deps.sh installs it)");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let counts = "SELECT segment, count(*) FROM assign_segment('seg', rfm(tx)) GROUP BY segment";
    let served = (0..50)
        .find_map(|_| {
            psql(counts).or_else(|| {
                std::thread::sleep(Duration::from_millis(200));
                None
            })
        })
        .expect("segql serve --cluster answered");
    let local = segql(&[
        "--models", &models, "--format", "csv", "--quiet", &tx, "-c", counts,
    ]);
    let local: Vec<String> = local.lines().skip(1).map(|l| l.replace(',', "|")).collect();
    let mut local = local;
    local.sort();
    assert_eq!(sorted_lines(&served), local);
    drop(children);
}
