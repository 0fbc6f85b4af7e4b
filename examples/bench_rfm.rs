//! Time `rfm()` over a transactions file: one warm-up, then the median of `--repeat` runs, each
//! planning the query, reading the file and materialising every output row (as DuckDB's
//! `to_arrow_table()` does in ../shared/bench/peers_rfm.py). Prints one JSON line.
//!
//! ```text
//! cargo run --release --example bench_rfm -- tx_10000000.parquet [--repeat 3] [--partitions N]
//!     [--query 'SELECT ... FROM rfm(''{path}'')']
//! ```

use std::time::Instant;

use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut repeat = 3;
    let mut partitions = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut query = "SELECT * FROM rfm('{path}')".to_string();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => repeat = args.next().and_then(|v| v.parse().ok()).unwrap_or(3),
            "--partitions" => {
                partitions = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(partitions)
            }
            "--query" => query = args.next().unwrap_or(query),
            other => path = Some(other.to_string()),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: bench_rfm FILE [--repeat N] [--partitions N] [--query SQL]");
        std::process::exit(2);
    };
    let sql = query.replace("{path}", &path.replace('\'', "''"));
    let config = SessionConfig::new().with_target_partitions(partitions);
    let ctx = SessionContext::new_with_config(config).enable_url_table();
    segql::register_all(&ctx)?;

    let mut times = Vec::new();
    let mut rows = 0;
    for run in 0..=repeat {
        let started = Instant::now();
        let batches = ctx.sql(&sql).await?.collect().await?;
        let elapsed = started.elapsed().as_secs_f64();
        rows = batches.iter().map(|b| b.num_rows()).sum::<usize>();
        if run > 0 {
            times.push(elapsed);
        }
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let peak_rss_mib = peak_rss_mib();
    println!(
        "{{\"engine\": \"segql\", \"file\": \"{path}\", \"partitions\": {partitions}, \
         \"rows_out\": {rows}, \"median_s\": {median:.4}, \"times\": {times:?}, \
         \"peak_rss_mib\": {peak_rss_mib:.0}}}"
    );
    Ok(())
}

/// Peak resident set size of this process (Linux; 0 elsewhere).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
