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
