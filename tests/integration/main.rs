//! segql's integration tests, as one test binary (one link instead of eleven, which matters on
//! two cores; DataFusion's `core_integration` does the same). Each module is one area, run
//! with `cargo test --test integration MODULE`. Three keep their own binaries: the
//! sqllogictest specs (`tests/slt/`, their own harness), the server tests (`tests/server.rs`,
//! their own client tools) and `tests/demo_then_scripts.rs` (it changes the working directory).

mod cli;
mod cohorts_reference;
mod dbscan_reference;
mod fit_memory_limit;
mod hclust_reference;
mod hints;
mod kmeans_library;
mod kmeans_reference;
mod library;
mod model_files;
mod model_format;
mod model_store_crash;
mod mutation_fuzz;
mod object_stores;
mod pca_reference;
mod properties;
mod quality_reference;
mod readme;
mod report;
mod rfm_memory_limit;
mod rfm_reference;
mod shell_pty;
mod sql_fuzz;
