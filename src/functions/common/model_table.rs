//! Table functions that read one saved model (`model_segments('m')`, `model_search('m')`,
//! `kmeans_evaluate('m', ...)`): the model named by the call, read when the query is planned,
//! and a table made of batches computed from it.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::common::{Result, TableReference};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};

use crate::error::arg_err;
use crate::model::{ModelKind, ModelStore, SegmentModel};
use crate::planner::{Param, ParamKind};

/// The `model` argument: the name of a saved model, first and by position.
pub(crate) const MODEL_NAME: Param = Param {
    name: "model",
    kind: ParamKind::Text,
    positional: true,
    required: true,
    doc: "the name of a model saved with kmeans_fit(..., model => 'name')",
};

/// The model a call names, or an error naming the function and listing the saved models.
pub(crate) fn named_model(
    function: &'static str,
    store: &dyn ModelStore,
    name: Option<String>,
) -> Result<Arc<SegmentModel>> {
    let Some(name) = name else {
        return Err(arg_err(function, "the model name is required"));
    };
    store
        .load(&name)
        .map_err(|e| arg_err(function, e.to_string()))
}

/// [`named_model`], which must be of `kind` (a PCA has no segments, a K-Means model no
/// components): the error names the function that takes it.
pub(crate) fn named_model_of(
    function: &'static str,
    store: &dyn ModelStore,
    name: Option<String>,
    kind: ModelKind,
) -> Result<Arc<SegmentModel>> {
    let model = named_model(function, store, name)?;
    model
        .expect_kind(kind, function)
        .map_err(|e| arg_err(function, e))?;
    Ok(model)
}

/// [`named_model`], which must have segments (K-Means, hierarchical or DBSCAN; not a PCA).
pub(crate) fn named_segment_model(
    function: &'static str,
    store: &dyn ModelStore,
    name: Option<String>,
) -> Result<Arc<SegmentModel>> {
    let model = named_model(function, store, name)?;
    model
        .expect_segments(function)
        .map_err(|e| arg_err(function, e))?;
    Ok(model)
}

/// `batch` as a table scanned under `name`.
pub(crate) fn batch_plan(name: &str, batch: RecordBatch) -> Result<LogicalPlan> {
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
    LogicalPlanBuilder::scan(
        TableReference::bare(name),
        provider_as_source(Arc::new(table)),
        None,
    )?
    .build()
}
