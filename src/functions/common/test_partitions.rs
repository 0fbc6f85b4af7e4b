//! For operator tests: an operator fed small in-memory partitions on its own, and its output
//! gathered into one batch.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::{ExecutionPlan, collect};

/// A scan of `partitions` (one batch each) of `schema`.
pub(crate) fn partitions(
    schema: &SchemaRef,
    partitions: Vec<RecordBatch>,
) -> Arc<dyn ExecutionPlan> {
    let partitions: Vec<Vec<RecordBatch>> = partitions.into_iter().map(|b| vec![b]).collect();
    MemorySourceConfig::try_new_exec(&partitions, Arc::clone(schema), None)
        .expect("an in-memory scan")
}

/// Everything `plan` emits, as one batch.
pub(crate) async fn run(plan: Arc<dyn ExecutionPlan>) -> RecordBatch {
    let schema = plan.schema();
    let batches = collect(plan, Arc::new(TaskContext::default()))
        .await
        .expect("the operator runs");
    concat_batches(&schema, &batches).expect("batches of one schema")
}
