//! Criterion microbenchmark of the scoring path behind `assign_segment`: a batch of raw RFM
//! columns through the model's preprocessing (log, standardisation) to the nearest centroid.
//!
//! ```text
//! cargo bench --bench scoring
//! ```

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{ArrayRef, Float64Array};
use segql::model::train::{FeatureData, TrainOptions, train};
use segql::score;

const ROWS: usize = 100_000;

/// RFM-like raw columns: recency 0-365 days, frequency 1-40 orders, monetary 0-5000.
fn columns(n: usize) -> Vec<Vec<f64>> {
    let mut uniform = segql_microbench::uniform(0x2545_F491_4F6C_DD1D);
    let mut out = vec![
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    ];
    for _ in 0..n {
        out[0].push((uniform() * 365.0).floor());
        out[1].push(1.0 + (uniform() * uniform() * 40.0).floor());
        out[2].push(uniform() * uniform() * 5000.0);
    }
    out
}

fn scoring(c: &mut Criterion) {
    let raw = columns(ROWS);
    for k in [3, 8] {
        let data = FeatureData {
            names: vec!["recency".into(), "frequency".into(), "monetary".into()],
            columns: raw.clone(),
            skipped_rows: 0,
            nulls: Vec::new(),
        };
        let mut options = TrainOptions::new(k);
        options.kmeans.n_init = 1;
        let model = train("bench", data, &options).expect("trains");
        let arrays: Vec<ArrayRef> = raw
            .iter()
            .map(|col| Arc::new(Float64Array::from(col.clone())) as ArrayRef)
            .collect();
        let mut group = c.benchmark_group("score");
        group.throughput(Throughput::Elements(ROWS as u64));
        group.bench_function(format!("k={k}/{ROWS} rows x 3"), |b| {
            b.iter(|| score(&model, &arrays, ROWS).expect("scores"))
        });
        group.finish();
    }
}

criterion_group!(benches, scoring);
criterion_main!(benches);
