//! The package's own tokio runtime, and the plan node that enters it.
//!
//! The wheel carries its own copy of tokio, separate from datafusion-python's. DataFusion's
//! operators spawn tasks (repartitioning, spilling, parallel fits) through *this* copy, which
//! finds no runtime on the threads datafusion-python polls our streams from. So every plan we
//! hand across the FFI is wrapped in [`InRuntimeExec`], which enters our runtime when it starts
//! a partition and around every poll of its stream, and planning work runs on [`runtime`].

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, internal_err};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::Stream;
use tokio::runtime::Runtime;

use crate::remote_files::explain_missing_store;

/// The runtime every segql plan and planning step of this package runs on, started on first
/// use with one worker per core.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("segql")
            .enable_all()
            .build()
            .expect("the segql runtime cannot start: the process cannot create threads")
    })
}

/// Run `future` on the package's runtime and wait for it from a thread outside it (the Python
/// thread that plans a query).
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

/// `input`, executed inside the package's runtime wherever it is polled from, with the task
/// context of the segql session that planned it (its object stores, memory pool, functions),
/// whatever context the caller passes.
#[derive(Debug)]
pub struct InRuntimeExec {
    input: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
}

impl InRuntimeExec {
    /// Wrap `input`, planned by the session of `context`.
    pub fn new(input: Arc<dyn ExecutionPlan>, context: Arc<TaskContext>) -> Self {
        Self { input, context }
    }
}

impl DisplayAs for InRuntimeExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let inner = datafusion::physical_plan::displayable(self.input.as_ref()).indent(false);
        match t {
            DisplayFormatType::TreeRender => write!(f, "segql"),
            _ => write!(f, "SegqlRuntimeExec: segql's plan:\n{inner}"),
        }
    }
}

impl ExecutionPlan for InRuntimeExec {
    fn name(&self) -> &str {
        "SegqlRuntimeExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    /// None: to the session that runs it (datafusion-python's) the segql plan is one opaque
    /// leaf. Its optimizer must not rewrite the plan inside (it would put its own
    /// repartitioning, which runs on its runtime, between segql's operators).
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            internal_err!("SegqlRuntimeExec is a leaf")
        }
    }

    fn execute(
        &self,
        partition: usize,
        _caller: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let _entered = runtime().enter();
        let inner = self
            .input
            .execute(partition, Arc::clone(&self.context))
            .map_err(explain_missing_store)?;
        Ok(Box::pin(InRuntimeStream { inner }))
    }
}

/// A stream polled inside the package's runtime.
struct InRuntimeStream {
    inner: SendableRecordBatchStream,
}

impl Stream for InRuntimeStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let _entered = runtime().enter();
        self.inner
            .as_mut()
            .poll_next(cx)
            .map(|item| item.map(|batch| batch.map_err(explain_missing_store)))
    }
}

impl RecordBatchStream for InRuntimeStream {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}
