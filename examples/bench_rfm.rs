//! Time `rfm()` over a transactions file: one warm-up, then the median of `--repeat` runs, each
//! planning the query, reading the file and materialising every output row (as DuckDB's
//! `to_arrow_table()` does in benchmarks/peers.py). Prints one JSON line with the times, the
//! peak RSS, what was spilled to disk, and a checksum of the answer (so runs with and without a
//! memory limit can be compared).
//!
//! ```text
//! cargo run --profile dist --example bench_rfm -- tx_10000000.parquet [--repeat 3] [--partitions N]
//!     [--memory-limit-mib M] [--setup SQL]... [--query 'SELECT ... FROM rfm(''{path}'')']
//! ```
//!
//! `--setup` statements run once before the timed runs (for example fitting a model that the
//! query then scores with `assign_segment`).

use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::error::Result;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::{SessionConfig, SessionContext};

/// The `segql` binary's allocator, so the timings are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut repeat = 3;
    let mut partitions = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut memory_limit_mib: Option<usize> = None;
    let mut query = "SELECT * FROM rfm('{path}')".to_string();
    let mut setup = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => repeat = args.next().and_then(|v| v.parse().ok()).unwrap_or(3),
            "--partitions" => {
                partitions = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(partitions)
            }
            "--memory-limit-mib" => memory_limit_mib = args.next().and_then(|v| v.parse().ok()),
            "--query" => query = args.next().unwrap_or(query),
            "--setup" => setup.extend(args.next()),
            other => path = Some(other.to_string()),
        }
    }
    let Some(path) = path else {
        eprintln!(
            "usage: bench_rfm FILE [--repeat N] [--partitions N] [--memory-limit-mib M] [--setup SQL] [--query SQL]"
        );
        std::process::exit(2);
    };
    let sql = query.replace("{path}", &path.replace('\'', "''"));
    let config = SessionConfig::new().with_target_partitions(partitions);
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(mib) = memory_limit_mib {
        runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(mib * 1024 * 1024)));
    }
    let ctx = SessionContext::new_with_config_rt(config, runtime.build_arc()?).enable_url_table();
    segql::register_all(&ctx)?;
    for statement in &setup {
        ctx.sql(&statement.replace("{path}", &path.replace('\'', "''")))
            .await?
            .collect()
            .await?;
    }

    let mut times = Vec::new();
    let mut rows = 0;
    let mut checksum = String::new();
    let (mut spills, mut spilled_bytes) = (0, 0);
    for run in 0..=repeat {
        let started = Instant::now();
        let plan = ctx.sql(&sql).await?.create_physical_plan().await?;
        let batches = collect(Arc::clone(&plan), ctx.task_ctx()).await?;
        let elapsed = started.elapsed().as_secs_f64();
        rows = batches.iter().map(|b| b.num_rows()).sum::<usize>();
        // `--repeat 0`: one run, no warm-up (for data sets that take minutes)
        if run > 0 || repeat == 0 {
            times.push(elapsed);
        }
        checksum = column_sums(&batches)?;
        (spills, spilled_bytes) = spill_metrics(&plan);
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let peak_rss_mib = peak_rss_mib();
    println!(
        "{{\"engine\": \"segql\", \"file\": \"{path}\", \"partitions\": {partitions}, \
         \"rows_out\": {rows}, \"median_s\": {median:.4}, \"times\": {times:?}, \
         \"peak_rss_mib\": {peak_rss_mib:.0}, \"memory_limit_mib\": {}, \"spills\": {spills}, \
         \"spilled_mib\": {:.0}, \"checksum\": \"{checksum}\"}}",
        memory_limit_mib.map_or("null".to_string(), |m| m.to_string()),
        spilled_bytes as f64 / 1024.0 / 1024.0,
    );
    Ok(())
}

/// The sum of every numeric column to 11 significant digits, joined with `/`: equal answers
/// give equal checksums whatever the row order (the values are summed in sorted order, since a
/// floating-point sum depends on the order of its terms).
fn column_sums(batches: &[RecordBatch]) -> Result<String> {
    let Some(first) = batches.first() else {
        return Ok(String::new());
    };
    let mut sums = Vec::new();
    for (i, field) in first.schema().fields().iter().enumerate() {
        if !field.data_type().is_numeric() {
            continue;
        }
        let mut all = Vec::new();
        for batch in batches {
            let values = cast(batch.column(i), &DataType::Float64)?;
            let values = values.as_primitive::<Float64Type>();
            all.extend(
                (0..values.len())
                    .filter(|&r| values.is_valid(r))
                    .map(|r| values.value(r)),
            );
        }
        all.sort_unstable_by(f64::total_cmp);
        let total: f64 = all.iter().sum();
        // column names go into a JSON string: no quotes or backslashes
        let name = field.name().replace(['"', '\\'], "'");
        sums.push(format!("{name}={total:.10e}"));
    }
    Ok(sums.join("/"))
}

/// Spill files written and bytes spilled, over every operator of the plan.
fn spill_metrics(plan: &Arc<dyn ExecutionPlan>) -> (usize, usize) {
    let own = plan.metrics().map_or((0, 0), |m| {
        (m.spill_count().unwrap_or(0), m.spilled_bytes().unwrap_or(0))
    });
    plan.children().into_iter().fold(own, |(c, b), child| {
        let (cc, cb) = spill_metrics(child);
        (c + cc, b + cb)
    })
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
