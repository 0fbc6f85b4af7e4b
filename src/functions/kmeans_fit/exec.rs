//! `KMeansFitExec`: the physical operator of `kmeans_fit`. It reads every input partition
//! (through DataFusion's `CoalescePartitionsExec`, which runs them in parallel), collects the
//! feature columns as `f64`, trains on a blocking thread with the session's `target_partitions`
//! threads, saves the model when asked, and emits one row per segment.
//!
//! ```sql
//! EXPLAIN SELECT * FROM kmeans_fit(rfm(sales), 3);   -- KMeansFitExec over the rfm aggregate
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

use super::FitPlan;
use super::fit_observer::{FitObserver, FitStart};
use crate::error::data_err;
use crate::functions::common::feature_columns::as_f64;
use crate::functions::common::{
    execute_only_partition, final_single_partition, one_input_operator, one_partition,
};
use crate::kmeans::{CancelOnDrop, Monitor};
use crate::model::train::train_monitored;
use crate::model::{FeatureData, ModelStore, NullPolicy, SegmentModel};

const NAME: &str = "kmeans_fit";

/// Fits K-Means over its input and emits the segment table.
#[derive(Debug)]
pub struct KMeansFitExec {
    input: Arc<dyn ExecutionPlan>,
    plan: Arc<FitPlan>,
    store: Arc<dyn ModelStore>,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl KMeansFitExec {
    /// The same operator over a new `input` (for `with_new_children`).
    fn with_input(&self, input: Arc<dyn ExecutionPlan>) -> Result<Self> {
        Self::try_new(
            input,
            Arc::clone(&self.plan),
            Arc::clone(&self.store),
            self.projection.clone(),
        )
    }

    /// The operator over `input` (coalesced to one partition if needed), emitting the
    /// `projection` of the segment table.
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        plan: Arc<FitPlan>,
        store: Arc<dyn ModelStore>,
        projection: Option<Vec<usize>>,
    ) -> Result<Self> {
        let input = one_partition(input);
        let (schema, properties) = final_single_partition(&plan.schema, projection.as_ref())?;
        Ok(Self {
            input,
            plan,
            store,
            projection,
            schema,
            properties,
        })
    }
}

impl DisplayAs for KMeansFitExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let o = &self.plan.options;
        match t {
            DisplayFormatType::TreeRender => write!(f, "k={}", o.k),
            _ => {
                write!(
                    f,
                    "KMeansFitExec: k={}, features=[{}], transform={}, standardize={}, init={}, n_init={}, seed={}",
                    o.k,
                    self.plan.features.join(", "),
                    o.transform.name(),
                    o.standardize,
                    o.init.name(),
                    o.n_init,
                    o.seed
                )?;
                if let Some(model) = &self.plan.model {
                    write!(f, ", model={model}")?;
                }
                Ok(())
            }
        }
    }
}

impl ExecutionPlan for KMeansFitExec {
    one_input_operator!("KMeansFitExec", NAME);

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input =
            execute_only_partition(&self.input, partition, &context, NAME, "KMeansFitExec")?;
        let plan = Arc::clone(&self.plan);
        let store = Arc::clone(&self.store);
        let projection = self.projection.clone();
        let threads = context.session_config().target_partitions().max(1);
        let observer = context.session_config().get_extension::<FitObserver>();
        // Dropping the stream (a cancelled query) stops the fit on its blocking thread.
        let cancel = Arc::new(AtomicBool::new(false));
        let stop_when_dropped = CancelOnDrop(Arc::clone(&cancel));
        let fut = async move {
            let _stop_when_dropped = stop_when_dropped;
            let data = collect_features(input, &plan).await?;
            let mut options = plan.options.clone();
            options.threads = threads;
            let mut monitor = Monitor::new().with_cancel(cancel);
            if let Some(observer) = observer {
                let watcher = observer.start(&FitStart {
                    k: options.k,
                    n_init: options.n_init,
                    rows: data.columns.first().map_or(0, Vec::len),
                    features: data.names.clone(),
                });
                monitor = monitor.with_progress(watcher);
            }
            let name = plan.model.clone().unwrap_or_default();
            let model = run_blocking(move || train_monitored(&name, data, &options, &monitor))
                .await?
                .map_err(|e| data_err(NAME, e.to_string()))?;
            if plan.model.is_some() {
                store
                    .save(&model)
                    .map_err(|e| data_err(NAME, format!("saving the model: {e}")))?;
            }
            let batch = segment_table(&plan, &model)?;
            match projection {
                Some(p) => Ok(batch.project(&p)?),
                None => Ok(batch),
            }
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            futures::stream::once(fut),
        )))
    }
}

/// Run CPU-heavy work off the async threads when there is a Tokio runtime.
async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(work)
            .await
            .map_err(|e| data_err(NAME, format!("the fit did not finish: {e}"))),
        Err(_) => Ok(work()),
    }
}

/// Read the feature columns of every input batch as `f64`, applying the NULL policy.
async fn collect_features(
    mut input: SendableRecordBatchStream,
    plan: &FitPlan,
) -> Result<FeatureData> {
    let d = plan.features.len();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); d];
    let mut skipped = 0u64;
    let mut seen = 0u64;
    while let Some(batch) = input.next().await {
        let batch = batch?;
        let arrays: Vec<Float64Array> = plan
            .indices
            .iter()
            .map(|&i| as_f64(NAME, batch.column(i)))
            .collect::<Result<_>>()?;
        let any_null = arrays.iter().any(|a| a.null_count() > 0);
        if !any_null {
            for (column, array) in columns.iter_mut().zip(&arrays) {
                column.extend_from_slice(array.values());
            }
        } else {
            for row in 0..batch.num_rows() {
                if let Some(j) = arrays.iter().position(|a| a.is_null(row)) {
                    if plan.options.nulls == NullPolicy::Error {
                        return Err(data_err(
                            NAME,
                            format!(
                                "feature '{}' is NULL in input row {}; pass nulls => 'skip' to leave such rows out",
                                plan.features[j],
                                seen + row as u64 + 1
                            ),
                        ));
                    }
                    skipped += 1;
                    continue;
                }
                for (column, array) in columns.iter_mut().zip(&arrays) {
                    column.push(array.value(row));
                }
            }
        }
        seen += batch.num_rows() as u64;
    }
    Ok(FeatureData {
        names: plan.features.clone(),
        columns,
        skipped_rows: skipped,
    })
}

/// One row per segment, in the order of the plan's output schema.
fn segment_table(plan: &FitPlan, model: &SegmentModel) -> Result<RecordBatch> {
    let k = model.k();
    let d = plan.features.len();
    let segs = &model.segments;
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from_iter_values(0..k as i32)),
        Arc::new(Int64Array::from_iter_values(
            segs.iter().map(|s| s.size as i64),
        )),
        Arc::new(Float64Array::from_iter_values(segs.iter().map(|s| s.share))),
    ];
    for j in 0..d {
        columns.push(Arc::new(Float64Array::from_iter_values(
            segs.iter().map(|s| s.centroid_original[j]),
        )));
    }
    for j in 0..d {
        columns.push(Arc::new(Float64Array::from_iter_values(
            segs.iter().map(|s| s.mean_original[j]),
        )));
    }
    columns.push(Arc::new(Float64Array::from_iter_values(
        segs.iter().map(|s| s.sse),
    )));
    columns.push(Arc::new(StringArray::from_iter_values(
        segs.iter().map(|s| s.label.as_str()),
    )));
    Ok(RecordBatch::try_new(Arc::clone(&plan.schema), columns)?)
}
