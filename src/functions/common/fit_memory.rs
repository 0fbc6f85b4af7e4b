//! The memory a fit holds, counted against the session's memory pool.
//!
//! Every fit keeps its training rows in memory (K-Means, PCA, DBSCAN and the hierarchical
//! fits need all of them at once). Counting them in the pool makes an input larger than the
//! session's memory limit fail with DataFusion's resources-exhausted error, saying which limit
//! and what to do, instead of growing until the operating system kills the process.

use datafusion::arrow::array::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryLimit, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use futures::StreamExt;

/// Copies of each feature value a fit holds at its peak: the values read, their transformed
/// and scaled copy, and the fit's own working rows.
pub(crate) const COPIES_PER_VALUE: usize = 3;

/// A fit's reservation in the session's memory pool.
#[derive(Debug)]
pub(crate) struct FitMemory {
    reservation: MemoryReservation,
    function: &'static str,
    /// The pool's limit in bytes, when it has one.
    limit: Option<usize>,
}

impl FitMemory {
    /// An empty reservation of `operator` (the name the pool reports) for `function`.
    pub(crate) fn new(function: &'static str, operator: &str, context: &TaskContext) -> Self {
        let pool = context.memory_pool();
        Self {
            reservation: MemoryConsumer::new(operator).register(pool),
            function,
            limit: match pool.memory_limit() {
                MemoryLimit::Finite(bytes) => Some(bytes),
                MemoryLimit::Infinite | MemoryLimit::Unknown => None,
            },
        }
    }

    /// Room for `values` more feature values (with their working copies).
    pub(crate) fn grow_values(&mut self, values: usize) -> Result<()> {
        self.grow(values.saturating_mul(8 * COPIES_PER_VALUE))
    }

    /// Room for `bytes` more bytes, or a resources-exhausted error naming the limit.
    pub(crate) fn grow(&mut self, bytes: usize) -> Result<()> {
        self.reservation.try_grow(bytes).map_err(|error| match error {
            DataFusionError::ResourcesExhausted(detail) => {
                DataFusionError::ResourcesExhausted(format!(
                    "{}: the fit keeps its input's rows in memory, and they pass the memory limit{} \
                     ({detail}); fit a sample, e.g. {}((SELECT * FROM <input> ORDER BY random() \
                     LIMIT 100000), ...), or raise the limit \
                     (SET datafusion.runtime.memory_limit = '8G', or segql serve --memory-limit 8GiB)",
                    self.function,
                    self.limit
                        .map(|bytes| format!(" of {}", human_bytes(bytes)))
                        .unwrap_or_default(),
                    self.function,
                ))
            }
            other => other,
        })
    }
}

/// Every batch of `input`, each counted in `memory` as it arrives: the batch itself and
/// working room for its `features` feature values. The reservation lives as long as the
/// batches do.
pub(crate) async fn collect_counted(
    mut input: SendableRecordBatchStream,
    mut memory: FitMemory,
    features: usize,
) -> Result<CountedBatches> {
    let mut batches = Vec::new();
    while let Some(batch) = input.next().await {
        let batch = batch?;
        memory.grow(batch.get_array_memory_size())?;
        memory.grow_values(batch.num_rows() * features)?;
        batches.push(batch);
    }
    Ok(CountedBatches {
        batches,
        _memory: memory,
    })
}

/// Batches whose memory is counted in the pool until they are dropped.
#[derive(Debug)]
pub(crate) struct CountedBatches {
    /// The batches, in arrival order.
    pub batches: Vec<RecordBatch>,
    _memory: FitMemory,
}

impl std::ops::Deref for CountedBatches {
    type Target = [RecordBatch];

    fn deref(&self) -> &[RecordBatch] {
        &self.batches
    }
}

/// `bytes` in the largest binary unit that keeps it at 1 or more, e.g. `4.0 MiB`.
fn human_bytes(bytes: usize) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", units[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_at_a_glance() {
        assert_eq!(human_bytes(512), "512.0 B");
        assert_eq!(human_bytes(4 << 20), "4.0 MiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }
}
