//! Criterion microbenchmarks of segql's hot loops, kept in a crate of their own so that
//! criterion's dependencies leave segql's dependency tree untouched. Run them with
//! `cargo bench -p segql-microbench`; the benchmarks live in `benches/`:
//!
//! - `kmeans_kernel`: the nearest-centre search and whole single-restart fits;
//! - `scoring`: `assign_segment`'s batch scoring (preprocessing and nearest centroid).
//!
//! ```sql
//! -- what the scoring benchmark measures, in SQL terms
//! SELECT assign_segment('model', recency_days, frequency, monetary) FROM customers;
//! ```

/// A deterministic uniform generator on [0, 1) (xorshift64), so every run benchmarks the same
/// data without a random-number dependency.
///
/// ```
/// let mut u = segql_microbench::uniform(7);
/// assert!((0.0..1.0).contains(&u()));
/// ```
pub fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed.max(1);
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}
