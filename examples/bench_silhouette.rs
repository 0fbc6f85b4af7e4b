//! Times segql's exact silhouette (all pairs, every thread) on generated data, for the
//! benchmark runner's comparison with scikit-learn's `silhouette_score` on the same rows.
//!
//! ```sh
//! cargo run --profile dist --example bench_silhouette -- --rows 20000 --repeat 3
//! ```
//!
//! The rows are five clusters of uniform noise drawn with the 64-bit LCG that
//! `benchmarks/peers.py silhouette` and tests/fixtures/make_quality_reference.py use, so both
//! sides measure the same points and labels. Prints one JSON line: the median seconds and the
//! silhouette.

use std::time::Instant;

use segql::quality::{Points, silhouette};

/// The `segql` binary's allocator, so the timings are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str, default: usize| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a whole number"))
    };
    let (rows, repeat) = (value("--rows", 20_000), value("--repeat", 3));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (x, labels) = segql::demo::lcg_blobs(rows);
    let points = Points::new(&x, 2, &labels);
    let mut times = Vec::new();
    let mut score = 0.0;
    for run in 0..=repeat {
        let began = Instant::now();
        score = silhouette(&points, threads).expect("five clusters");
        if run > 0 {
            times.push(began.elapsed().as_secs_f64());
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{{\"task\": \"silhouette\", \"engine\": \"segql\", \"rows\": {rows}, \"threads\": {threads}, \"median_s\": {median}, \"silhouette\": {score}}}"
    );
}
