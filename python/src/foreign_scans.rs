//! Tables of the Python context, read on datafusion-python's threads.
//!
//! A table registered on the Python side reaches segql's plan as datafusion-python's own plan
//! behind the FFI. Its code may start tasks on datafusion-python's tokio runtime, which exists
//! only on the threads datafusion-python polls from, so such a plan must never be polled from
//! a task that segql's operators spawn onto the package's runtime (it panics there: "no
//! reactor running"). So a plan that reads such a table ([`reads_foreign_tables`]) runs its
//! relational operators in one partition (nothing repartitions or merges partitions on other
//! threads), and [`SerialForeignScans`] reads each such table's partitions one after the other
//! in one stream. Everything is then polled on the thread that polls the query's result:
//! datafusion-python's. The fits still use every core for their own arithmetic; plans over
//! files named in the query (segql's own scans) run in parallel as usual.

use std::fmt;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, internal_err};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
};
use datafusion_ffi::execution_plan::ForeignExecutionPlan;
use futures::{StreamExt, TryStreamExt};

/// Whether `plan` reads a table of datafusion-python's (segql's operators expose their inputs
/// as children, so nested inputs count too).
pub fn reads_foreign_tables(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<ForeignExecutionPlan>() || plan.children().into_iter().any(reads_foreign_tables)
}

/// Puts [`SerialExec`] over every plan of datafusion-python's that has several partitions.
#[derive(Debug, Default)]
pub struct SerialForeignScans;

impl PhysicalOptimizerRule for SerialForeignScans {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_down(|node| {
            if !node.is::<ForeignExecutionPlan>() {
                return Ok(Transformed::no(node));
            }
            let wrapped: Arc<dyn ExecutionPlan> =
                if node.output_partitioning().partition_count() > 1 {
                    Arc::new(SerialExec::new(node))
                } else {
                    node
                };
            // The foreign plan's own children are datafusion-python's business.
            Ok(Transformed::new(wrapped, true, TreeNodeRecursion::Jump))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "segql_serial_foreign_scans"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// All partitions of `input`, read one after the other as one partition, on the polling
/// thread.
#[derive(Debug)]
pub struct SerialExec {
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl SerialExec {
    /// Read `input`'s partitions in turn.
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        let properties = PlanProperties::new(
            EquivalenceProperties::new(input.schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Self {
            input,
            properties: Arc::new(properties),
        }
    }
}

impl DisplayAs for SerialExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "SegqlSerialExec")
    }
}

impl ExecutionPlan for SerialExec {
    fn name(&self) -> &str {
        "SegqlSerialExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match (children.pop(), children.is_empty()) {
            (Some(input), true) => Ok(Arc::new(Self::new(input))),
            _ => internal_err!("SegqlSerialExec takes exactly one input"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("SegqlSerialExec has one partition, not {partition}");
        }
        let input = Arc::clone(&self.input);
        let count = input.output_partitioning().partition_count();
        let batches = futures::stream::iter(0..count)
            .map(move |p| input.execute(p, Arc::clone(&context)))
            .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            batches,
        )))
    }
}
