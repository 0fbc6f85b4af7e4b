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

use super::fit_observer::{FitObserver, FitStart};
use super::{FitOutput, FitPlan};
use crate::error::data_err;
use crate::functions::common::feature_columns::as_f64;
use crate::functions::common::fit_memory::FitMemory;
use crate::functions::common::{
    execute_only_partition, final_single_partition, one_input_operator, one_partition,
};
use crate::functions::feature_skewness::skewness_table;
use crate::functions::kmeans_evaluate::evaluation_table;
use crate::functions::kmeans_search::search_table;
use crate::kmeans::{CancelOnDrop, Monitor};
use crate::model::train::train_monitored;
use crate::model::{
    FeatureData, ModelStore, NullPolicy, Search, SegmentModel, TrainOptions, evaluate, prepare,
    search,
};

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

crate::functions::common::wire::shipped_fit_operator!(KMeansFitExec, "kmeans_fit", FitPlan);

impl DisplayAs for KMeansFitExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let o = &self.plan.options;
        let kmeans = &o.kmeans;
        match t {
            DisplayFormatType::TreeRender => write!(f, "k={}", kmeans.k),
            _ => {
                write!(
                    f,
                    "KMeansFitExec: k={}, features=[{}], transform={}, scale={}, init={}, n_init={}, seed={}",
                    kmeans.k,
                    self.plan.features.join(", "),
                    o.transform.text(),
                    o.scale.map_or("none", |s| s.name()),
                    kmeans.init.name(),
                    kmeans.n_init,
                    kmeans.seed
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
        let mut memory = FitMemory::new(plan.function, "KMeansFitExec", &context);
        let fut = async move {
            let _stop_when_dropped = stop_when_dropped;
            let data = collect_features(input, &plan, &mut memory).await?;
            let mut options = plan.options.clone();
            options.kmeans.threads = threads;
            let mut monitor = Monitor::new().with_cancel(cancel);
            if let Some(observer) = observer {
                let largest_k = plan.search.as_ref().and_then(|s| s.ks.last().copied());
                let watcher = observer.start(&FitStart {
                    k: largest_k.unwrap_or(options.kmeans.k),
                    n_init: options.kmeans.n_init,
                    rows: data.columns.first().map_or(0, Vec::len),
                    features: data.names.clone(),
                });
                monitor = monitor.with_progress(watcher);
            }
            if let FitOutput::Skewness = &plan.output {
                let batch =
                    run_blocking(plan.function, move || skewness_table(&plan.schema, &data))
                        .await??;
                return match projection {
                    Some(p) => Ok(batch.project(&p)?),
                    None => Ok(batch),
                };
            }
            if let FitOutput::Evaluate {
                model,
                segments,
                silhouette_sample,
            } = &plan.output
            {
                let (model, segments, sample) = (Arc::clone(model), *segments, *silhouette_sample);
                let seed = options.kmeans.seed;
                let evaluation = run_blocking(plan.function, move || {
                    evaluate(&model, &data, sample, seed, threads)
                })
                .await?;
                let labels: Vec<String> = plan_labels(&plan);
                let batch = evaluation_table(&plan.schema, &evaluation, &labels, segments)?;
                return match projection {
                    Some(p) => Ok(batch.project(&p)?),
                    None => Ok(batch),
                };
            }
            let work = Arc::clone(&plan);
            let (model, search) = run_blocking(plan.function, move || {
                run_fit(&work, data, &options, &monitor)
            })
            .await?
            .map_err(|e| data_err(plan.function, e))?;
            if plan.model.is_some() {
                store
                    .save(&model)
                    .map_err(|e| data_err(plan.function, format!("saving the model: {e}")))?;
            }
            let batch = match (&plan.output, &search) {
                (FitOutput::Search, Some(search)) => {
                    search_table(&plan.schema, &search.scores, &search.silhouette_method)?
                }
                _ => segment_table(&plan.schema, &model)?,
            };
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

/// The model a plan trains (for a search, the recommended fit's, with the search recorded)
/// and the search, if it ran one; the error as text.
fn run_fit(
    plan: &FitPlan,
    data: FeatureData,
    options: &TrainOptions,
    monitor: &Monitor,
) -> std::result::Result<(SegmentModel, Option<Search>), String> {
    let name = plan.model.as_deref().unwrap_or_default();
    let Some(search_options) = &plan.search else {
        let model = train_monitored(name, data, options, monitor).map_err(|e| e.to_string())?;
        return Ok((model, None));
    };
    let prepared = prepare(data, options).map_err(|e| e.to_string())?;
    let found = search(&prepared, options, search_options, monitor).map_err(|e| e.to_string())?;
    let model = found.recommended_model(name, search_options);
    Ok((model, Some(found)))
}

/// The labels of the model an evaluation judges.
fn plan_labels(plan: &FitPlan) -> Vec<String> {
    match &plan.output {
        FitOutput::Evaluate { model, .. } => {
            model.segments.iter().map(|s| s.label.clone()).collect()
        }
        _ => Vec::new(),
    }
}

/// Run CPU-heavy work off the async threads when there is a Tokio runtime; an error is in
/// `function`'s name.
pub(crate) async fn run_blocking<T: Send + 'static>(
    function: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(work)
            .await
            .map_err(|e| data_err(function, format!("the fit did not finish: {e}"))),
        Err(_) => Ok(work()),
    }
}

/// Read the feature columns of every input batch as `f64`, applying the NULL policy (for
/// `feature_skewness`, leaving NULLs out of each column on its own), counting them in
/// `memory`.
async fn collect_features(
    mut input: SendableRecordBatchStream,
    plan: &FitPlan,
    memory: &mut FitMemory,
) -> Result<FeatureData> {
    let d = plan.features.len();
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); d];
    let mut skipped = 0u64;
    let mut nulls = vec![0u64; d];
    let by_feature = matches!(plan.output, FitOutput::Skewness);
    let mut seen = 0u64;
    while let Some(batch) = input.next().await {
        let batch = batch?;
        memory.grow_values(batch.num_rows() * d)?;
        let arrays: Vec<Float64Array> = plan
            .indices
            .iter()
            .map(|&i| as_f64(plan.function, batch.column(i)))
            .collect::<Result<_>>()?;
        for (count, array) in nulls.iter_mut().zip(&arrays) {
            *count += array.null_count() as u64;
        }
        let any_null = arrays.iter().any(|a| a.null_count() > 0);
        if any_null && by_feature {
            for (column, array) in columns.iter_mut().zip(&arrays) {
                column.extend(array.iter().flatten());
            }
        } else if !any_null {
            for (column, array) in columns.iter_mut().zip(&arrays) {
                column.extend_from_slice(array.values());
            }
        } else {
            for row in 0..batch.num_rows() {
                if let Some(j) = arrays.iter().position(|a| a.is_null(row)) {
                    if plan.options.nulls == NullPolicy::Error {
                        return Err(data_err(
                            plan.function,
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
        nulls,
    })
}

/// One row per segment of `model`, in the columns of `schema` ([`super::output_schema`] of
/// its features).
pub(crate) fn segment_table(schema: &SchemaRef, model: &SegmentModel) -> Result<RecordBatch> {
    let k = model.k();
    let d = model.features.len();
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
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::common::test_partitions::{partitions, run};
    use crate::model::MemoryStore;
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};

    /// The operator on its own over two in-memory partitions of 1, 10, NULL | 2, 12, 3 with
    /// k = 2 and no preprocessing: by hand, segment 0 is {1, 2, 3} (centroid 2, sse 2), segment
    /// 1 is {10, 12} (centroid 11, sse 2), the NULL row skipped and the model saved.
    #[tokio::test]
    async fn the_fit_reads_every_partition_and_saves_the_model() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, true)]));
        let part = |values: Vec<Option<f64>>| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(Float64Array::from(values))],
            )
            .unwrap()
        };
        let input = partitions(
            &schema,
            vec![
                part(vec![Some(1.0), Some(10.0), None]),
                part(vec![Some(2.0), Some(12.0), Some(3.0)]),
            ],
        );
        let options = TrainOptions::new(2).without_preprocessing();
        let plan = Arc::new(FitPlan {
            function: "kmeans_fit",
            features: vec!["x".into()],
            indices: vec![0],
            options,
            model: Some("m".into()),
            schema: super::super::output_schema(&["x".to_string()]),
            search: None,
            output: FitOutput::Segments,
        });
        let store = Arc::new(MemoryStore::default());
        let exec = KMeansFitExec::try_new(input, plan, store.clone(), None).unwrap();
        let out = run(Arc::new(exec)).await;

        let column = |name: &str| Arc::clone(out.column_by_name(name).unwrap());
        let floats = |name: &str| column(name).as_primitive::<Float64Type>().values().to_vec();
        assert_eq!(
            column("size").as_primitive::<Int64Type>().values().to_vec(),
            [3, 2]
        );
        assert_eq!(floats("x"), [2.0, 11.0]);
        assert_eq!(floats("sse"), [2.0, 2.0]);
        assert_eq!(floats("share"), [0.6, 0.4]);
        let saved = store.load("m").unwrap();
        assert_eq!(saved.skipped_rows, 1);
        assert_eq!(saved.inertia, 4.0);
    }
}
