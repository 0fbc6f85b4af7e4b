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

/// Five clusters of uniform noise around fixed centres, labelled by cluster.
fn lcg_blobs(rows: usize) -> (Vec<f64>, Vec<u32>) {
    let centres = [(0.0, 0.0), (6.0, 0.0), (0.0, 6.0), (6.0, 6.0), (3.0, 3.0)];
    let mut state: u64 = 20261202;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Vec::with_capacity(rows * 2);
    let mut labels = Vec::with_capacity(rows);
    for i in 0..rows {
        let (cx, cy): (f64, f64) = centres[i % 5];
        x.push(cx + (uniform() - 0.5) * 4.0);
        x.push(cy + (uniform() - 0.5) * 4.0);
        labels.push((i % 5) as u32);
    }
    (x, labels)
}

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
    let (x, labels) = lcg_blobs(rows);
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
