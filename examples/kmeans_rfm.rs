//! Fit K-Means on an RFM table with the preprocessing of ../shared/bench/peers_kmeans.py
//! (recency, ln(1 + frequency), ln(1 + max(monetary, 0)), population-std scaling), and print
//! the inertia and fit time, to compare with scikit-learn on the same features.
//!
//! ```text
//! cargo run --profile dist --example kmeans_rfm -- rfm_10000000.parquet [k] [threads]
//! ```

use std::time::Instant;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Float64Type;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use ndarray::Array2;
use segql::kmeans::{KMeansParams, fit};

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        eprintln!("usage: kmeans_rfm RFM_PARQUET [k] [threads]");
        std::process::exit(2)
    });
    let k: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(3);
    let threads: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(1);
    let ctx = SessionContext::new().enable_url_table();
    let sql = format!(
        "SELECT CAST(recency_days AS DOUBLE) AS r, ln(1 + CAST(frequency AS DOUBLE)) AS f, \
         ln(1 + greatest(monetary, 0)) AS m FROM '{path}'"
    );
    let batches = ctx.sql(&sql).await?.collect().await?;
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut data = Array2::zeros((n, 3));
    let mut row = 0;
    for batch in &batches {
        for j in 0..3 {
            let col = batch.column(j).as_primitive::<Float64Type>();
            for (i, v) in col.values().iter().enumerate() {
                data[[row + i, j]] = *v;
            }
        }
        row += batch.num_rows();
    }
    for j in 0..3 {
        let mut column = data.column_mut(j);
        let mean = column.mean().unwrap_or(0.0);
        let std = column.std(0.0);
        column.mapv_inplace(|v| (v - mean) / std);
    }
    let params = KMeansParams::new(k)
        .n_init(10)
        .seed(0)
        .threads(threads)
        .check()
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    if std::env::var_os("KMEANS_TRACE").is_some() {
        let iters = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(usize, usize)>::new()));
        let seen = iters.clone();
        let monitor = segql::kmeans::Monitor::new().with_progress(move |p| {
            seen.lock().unwrap().push((p.run, p.iteration));
        });
        segql::kmeans::fit_monitored(&params, data.view(), &monitor)
            .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        let mut last = std::collections::BTreeMap::new();
        for (run, it) in iters.lock().unwrap().iter() {
            last.insert(*run, *it);
        }
        eprintln!("iterations per run: {last:?}");
    }
    let started = Instant::now();
    let model = fit(&params, data.view())
        .map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    println!(
        "{{\"k\": {k}, \"threads\": {threads}, \"rows\": {n}, \"fit_s\": {:.3}, \"inertia\": {:.4}, \"n_iter\": {}}}",
        started.elapsed().as_secs_f64(),
        model.inertia,
        model.n_iter
    );
    Ok(())
}
