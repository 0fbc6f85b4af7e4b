//! Every fit under a session memory limit smaller than its input: DataFusion's
//! resources-exhausted error, naming the function and the limit, instead of memory that grows
//! until the process is killed. The same fits run with no limit.

use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

/// A session whose memory pool holds 4 MiB, with `pts`: `rows` rows of two features (at
/// 400,000 rows, 6.4 MB of values and more with the fits' working copies).
async fn session(rows: usize) -> SessionContext {
    let runtime = RuntimeEnvBuilder::new().with_memory_limit(4 << 20, 1.0);
    let config = SessionConfig::new().with_target_partitions(2);
    let ctx = SessionContext::new_with_config_rt(config, runtime.build_arc().unwrap());
    segql::register_all(&ctx).unwrap();
    ctx.sql(&format!(
        "CREATE VIEW pts AS SELECT CAST(value % 1000 AS DOUBLE) AS x, \
         CAST(value % 977 AS DOUBLE) AS y FROM generate_series(1, {rows})"
    ))
    .await
    .unwrap();
    ctx
}

const FITS: &[&str] = &[
    "SELECT * FROM kmeans_fit(pts, 3, n_init => 1)",
    "SELECT * FROM kmeans_search(pts, ks => '2..3', n_init => 1)",
    "SELECT * FROM feature_skewness(pts)",
    "SELECT * FROM pca(pts, components => 2)",
    "SELECT * FROM dbscan(pts, 0.5, 5)",
    "SELECT * FROM hclust_fit(pts, 3)",
    "SELECT * FROM dbscan_eps(pts, 5)",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fits_over_the_memory_limit_fail_with_the_limit_named() {
    let ctx = session(400_000).await;
    for sql in FITS {
        let result = match ctx.sql(sql).await {
            Ok(df) => df.collect().await,
            Err(e) => Err(e),
        };
        let error = result.expect_err(sql);
        let message = error.to_string();
        assert!(
            matches!(error.find_root(), DataFusionError::ResourcesExhausted(_)),
            "{sql}: {message}"
        );
        let function = sql
            .split(" FROM ")
            .nth(1)
            .unwrap()
            .split('(')
            .next()
            .unwrap();
        assert!(
            message.contains(&format!(
                "{function}: the fit keeps its input's rows in memory, and they pass the memory limit of 4.0 MiB"
            )),
            "{sql}: {message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_fits_run_on_an_input_within_the_limit() {
    let ctx = session(5_000).await;
    for sql in FITS {
        ctx.sql(sql)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}
