//! Criterion microbenchmarks of the K-Means kernel: the nearest-centre search every pass and
//! every scored row goes through, and whole fits (one restart, Hamerly-bounded Lloyd) on
//! RFM-shaped data.
//!
//! ```text
//! cargo bench --bench kmeans_kernel
//! ```

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use segql::kmeans::{KMeansParams, fit, nearest};

const ROWS: usize = 100_000;

/// `n` points × 3 features in a few skewed blobs, like log-scaled RFM values (deterministic).
fn points(n: usize) -> Array2<f64> {
    let mut uniform = segql_microbench::uniform(0x9E37_79B9_7F4A_7C15);
    Array2::from_shape_fn((n, 3), |(i, j)| {
        let blob = (i % 5) as f64;
        blob * (j as f64 + 1.0) + uniform() * 2.0 + uniform() * uniform()
    })
}

fn nearest_centre(c: &mut Criterion) {
    let data = points(ROWS);
    let x = data.as_slice().expect("contiguous");
    for k in [3, 8] {
        let centres: Vec<f64> = x[..k * 3].to_vec();
        c.bench_function(&format!("nearest/k={k}/{ROWS} rows x 3"), |b| {
            b.iter(|| {
                let mut total = 0.0;
                for row in x.chunks_exact(3) {
                    total += nearest(black_box(row), &centres).1;
                }
                total
            })
        });
    }
}

fn whole_fit(c: &mut Criterion) {
    let data = points(ROWS);
    let mut group = c.benchmark_group("fit");
    group.sample_size(10);
    for k in [3, 8] {
        let params = KMeansParams::new(k)
            .n_init(1)
            .seed(0)
            .threads(1)
            .check()
            .expect("valid parameters");
        group.bench_function(format!("k={k}/{ROWS} rows x 3/n_init=1/1 thread"), |b| {
            b.iter(|| fit(&params, data.view()).expect("fits").inertia)
        });
    }
    group.finish();
}

criterion_group!(benches, nearest_centre, whole_fit);
criterion_main!(benches);
