//! The operator of the fits that label every row (`hclust_fit`, `hclust_tree`, `dbscan`,
//! `dbscan_eps`): it reads every input partition (coalesced), prepares the feature columns as
//! a K-Means fit does (same options, same canonical row order, so the result does not depend
//! on the partitioning), fits on a blocking thread, saves the model when asked, and emits what
//! the call asked for: the input's rows with their segment, the segment table, the merge tree
//! or the k-distance curve.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int32Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::{Result, TableReference};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{StreamExt, TryStreamExt};

use crate::dbscan::{NOISE, k_distances};
use crate::error::data_err;
use crate::functions::common::feature_columns::as_f64;
use crate::functions::common::fit_memory::{FitMemory, collect_counted};
use crate::functions::common::over_input::{InputOperator, OverInput, Scan};
use crate::functions::common::{final_single_partition, one_partition};
use crate::functions::kmeans_fit::exec::run_blocking;
use crate::hclust::{Linkage, Tree};
use crate::kmeans::CancelOnDrop;
use crate::model::{
    FeatureData, ModelStore, NullPolicy, PreparedData, SegmentModel, TrainOptions, prepare,
    train_dbscan, train_hclust,
};

/// Which fit.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub(crate) enum Method {
    /// Hierarchical clustering cut into `k` segments (`k` is unused for the tree alone).
    Hclust { k: usize, linkage: Linkage },
    /// DBSCAN.
    Dbscan { eps: f64, min_samples: usize },
    /// No fit: the k-distance curve for `min_samples`.
    KDistance { min_samples: usize },
}

/// What the operator emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Emit {
    /// The input's rows, each with `segment`, `distance`, `label` (and `is_core` for DBSCAN).
    Rows,
    /// One row per segment (and one for DBSCAN's noise).
    Segments,
    /// The merge tree.
    Tree,
    /// The sorted k-distance curve.
    Curve,
}

/// A planned labelled fit.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct LabelledPlan {
    /// The SQL function planned (errors are in its name).
    /// (Travels beside the plan: see `Shipped`.)
    #[serde(skip)]
    pub function: &'static str,
    /// Feature names, as spelled in the input.
    pub features: Vec<String>,
    /// Their column indices in the operator's input.
    pub indices: Vec<usize>,
    /// The preprocessing.
    pub options: TrainOptions,
    /// The fit.
    pub method: Method,
    /// Save under this name.
    pub model: Option<String>,
    /// The output schema (before any projection).
    #[serde(with = "crate::functions::common::wire::schema")]
    pub schema: SchemaRef,
    /// What to emit.
    pub emit: Emit,
}

/// The fit as a scan of its own table over `input`.
pub(crate) fn scan(
    plan: Arc<LabelledPlan>,
    store: Arc<dyn ModelStore>,
    input: LogicalPlan,
) -> Result<LogicalPlan> {
    // every call gets its own scan name: DataFusion compares scans by name
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "{}(call={})",
        plan.function,
        CALLS.fetch_add(1, Ordering::Relaxed)
    );
    let operator = Operator {
        plan: Arc::clone(&plan),
        store,
    };
    OverInput::new(Arc::new(input), Arc::clone(&plan.schema), operator)
        .scan(TableReference::bare(name))?
        .build()
}

#[derive(Debug)]
struct Operator {
    plan: Arc<LabelledPlan>,
    store: Arc<dyn ModelStore>,
}

impl InputOperator for Operator {
    fn wrap(&self, scan: Scan<'_>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(LabelledFitExec::try_new(
            scan.input,
            Arc::clone(&self.plan),
            Arc::clone(&self.store),
            scan.projection.cloned(),
        )?))
    }
}

/// Fits DBSCAN or a hierarchical clustering over its input.
#[derive(Debug)]
pub struct LabelledFitExec {
    input: Arc<dyn ExecutionPlan>,
    plan: Arc<LabelledPlan>,
    store: Arc<dyn ModelStore>,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl LabelledFitExec {
    fn with_input(&self, input: Arc<dyn ExecutionPlan>) -> Result<Self> {
        Self::try_new(
            input,
            Arc::clone(&self.plan),
            Arc::clone(&self.store),
            self.projection.clone(),
        )
    }

    fn try_new(
        input: Arc<dyn ExecutionPlan>,
        plan: Arc<LabelledPlan>,
        store: Arc<dyn ModelStore>,
        projection: Option<Vec<usize>>,
    ) -> Result<Self> {
        let (schema, properties) = final_single_partition(&plan.schema, projection.as_ref())?;
        Ok(Self {
            input: one_partition(input),
            plan,
            store,
            projection,
            schema,
            properties,
        })
    }
}

crate::functions::common::wire::shipped_fit_operator!(
    LabelledFitExec,
    "labelled_fit",
    LabelledPlan
);

impl DisplayAs for LabelledFitExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let method = match self.plan.method {
            Method::Hclust { k, linkage } => format!("hclust k={k}, linkage={}", linkage.name()),
            Method::Dbscan { eps, min_samples } => {
                format!("dbscan eps={eps}, min_samples={min_samples}")
            }
            Method::KDistance { min_samples } => format!("k-distance min_samples={min_samples}"),
        };
        match t {
            DisplayFormatType::TreeRender => write!(f, "{method}"),
            _ => write!(
                f,
                "LabelledFitExec: {method}, features=[{}], emit={:?}",
                self.plan.features.join(", "),
                self.plan.emit
            ),
        }
    }
}

impl ExecutionPlan for LabelledFitExec {
    one_input_operator!("LabelledFitExec", "segql");

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, Arc::clone(&context))?;
        let plan = Arc::clone(&self.plan);
        let store = Arc::clone(&self.store);
        let projection = self.projection.clone();
        let threads = context.session_config().target_partitions().max(1);
        let cancel = Arc::new(AtomicBool::new(false));
        let stop_when_dropped = CancelOnDrop(Arc::clone(&cancel));
        let memory = FitMemory::new(plan.function, "LabelledFitExec", &context);
        let features = plan.features.len();
        let fut = async move {
            let _stop_when_dropped = stop_when_dropped;
            let batches = collect_counted(input, memory, features).await?;
            let reads = batches
                .iter()
                .map(|b| RowFeatures::read(&plan, b))
                .collect::<Result<Vec<_>>>()?;
            let data = training_data(&plan, &reads)?;
            let work = Arc::clone(&plan);
            let fitted =
                run_blocking(plan.function, move || fit(&work, data, threads, &cancel)).await??;
            if let (Some(model), Some(_)) = (&fitted.model, &plan.model) {
                store
                    .save(model)
                    .map_err(|e| data_err(plan.function, format!("saving the model: {e}")))?;
            }
            let out = emit(&plan, &batches, &reads, &fitted)?;
            let out: Vec<Result<RecordBatch>> = out
                .into_iter()
                .map(|b| match &projection {
                    Some(p) => Ok(b.project(p)?),
                    None => Ok(b),
                })
                .collect();
            Ok::<_, datafusion::error::DataFusionError>(futures::stream::iter(out))
        };
        let stream = futures::stream::once(fut).try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            stream.boxed(),
        )))
    }
}

/// One batch's feature columns as numbers, and which rows have every feature.
struct RowFeatures {
    columns: Vec<Float64Array>,
    complete: Vec<bool>,
}

impl RowFeatures {
    fn read(plan: &LabelledPlan, batch: &RecordBatch) -> Result<Self> {
        let columns: Vec<Float64Array> = plan
            .indices
            .iter()
            .map(|&i| as_f64(plan.function, batch.column(i)))
            .collect::<Result<_>>()?;
        let complete = (0..batch.num_rows())
            .map(|row| columns.iter().all(|c| c.is_valid(row)))
            .collect();
        Ok(Self { columns, complete })
    }

    fn row(&self, i: usize) -> Vec<f64> {
        self.columns.iter().map(|c| c.value(i)).collect()
    }
}

/// The complete rows of every batch as training data, under the NULL policy.
fn training_data(plan: &LabelledPlan, reads: &[RowFeatures]) -> Result<FeatureData> {
    let d = plan.features.len();
    let mut data = FeatureData {
        names: plan.features.clone(),
        columns: vec![Vec::new(); d],
        skipped_rows: 0,
        nulls: vec![0; d],
    };
    let mut seen = 0u64;
    for read in reads {
        for (j, column) in read.columns.iter().enumerate() {
            data.nulls[j] += column.null_count() as u64;
        }
        for (row, &complete) in read.complete.iter().enumerate() {
            if complete {
                for (values, column) in data.columns.iter_mut().zip(&read.columns) {
                    values.push(column.value(row));
                }
                continue;
            }
            if plan.options.nulls == NullPolicy::Error {
                let j = read
                    .columns
                    .iter()
                    .position(|c| c.is_null(row))
                    .unwrap_or(0);
                return Err(data_err(
                    plan.function,
                    format!(
                        "feature '{}' is NULL in input row {}; pass nulls => 'skip' to leave such rows out",
                        plan.features[j],
                        seen + row as u64 + 1
                    ),
                ));
            }
            data.skipped_rows += 1;
        }
        seen += read.complete.len() as u64;
    }
    Ok(data)
}

/// What a fit produced.
struct Fitted {
    prepared: PreparedData,
    /// The model (none for the k-distance curve).
    model: Option<SegmentModel>,
    /// The merge tree of a hierarchical fit.
    tree: Option<Tree>,
    /// Each training row's segment (canonical order), noise negative.
    labels: Vec<i32>,
    /// The sorted k-distances.
    curve: Vec<f64>,
}

/// Prepare the data and fit.
fn fit(
    plan: &LabelledPlan,
    data: FeatureData,
    threads: usize,
    cancel: &AtomicBool,
) -> Result<Fitted> {
    let function = plan.function;
    let mut options = plan.options.clone();
    options.kmeans.threads = threads;
    let prepared = prepare(data, &options).map_err(|e| data_err(function, e.to_string()))?;
    let name = plan.model.as_deref().unwrap_or_default();
    let mut fitted = Fitted {
        model: None,
        tree: None,
        labels: Vec::new(),
        curve: Vec::new(),
        prepared,
    };
    let prepared = &fitted.prepared;
    match plan.method {
        Method::Hclust { k, linkage } => {
            let cancelled = || cancel.load(Ordering::Relaxed);
            let (model, tree, labels) =
                train_hclust(name, prepared, &options, k, linkage, &cancelled)
                    .map_err(|e| data_err(function, hclust_error(plan, e)))?;
            fitted.labels = labels;
            fitted.model = Some(model);
            fitted.tree = Some(tree);
        }
        Method::Dbscan { eps, min_samples } => {
            let (model, fit) = train_dbscan(name, prepared, &options, eps, min_samples, threads);
            fitted.labels = fit.labels;
            fitted.model = Some(model);
        }
        Method::KDistance { min_samples } => {
            let points: Vec<f64> = prepared.x.iter().copied().collect();
            let mut curve = k_distances(&points, prepared.x.ncols(), min_samples, threads);
            curve.sort_by(f64::total_cmp);
            fitted.curve = curve;
        }
    }
    Ok(fitted)
}

/// The error of a hierarchical fit, with what to do about too many rows.
fn hclust_error(
    plan: &LabelledPlan,
    error: crate::model::hclust_model::HclustTrainError,
) -> String {
    use crate::hclust::HclustError;
    use crate::model::hclust_model::HclustTrainError;
    match error {
        HclustTrainError::Tree(HclustError::TooManyRows { rows, max, linkage }) => format!(
            "{rows} rows are more than the {max} that {} linkage clusters exactly (its time grows \
             as rows squared{}); cluster a sample, e.g. {}((SELECT * FROM <input> ORDER BY \
             <key> LIMIT {max}), ...), or segment every row with kmeans_fit",
            linkage.name(),
            if linkage == Linkage::Ward || linkage == Linkage::Single {
                ""
            } else {
                ", its memory too"
            },
            plan.function
        ),
        other => other.to_string(),
    }
}

/// The batches the call asked for.
fn emit(
    plan: &LabelledPlan,
    batches: &[RecordBatch],
    reads: &[RowFeatures],
    fitted: &Fitted,
) -> Result<Vec<RecordBatch>> {
    match plan.emit {
        Emit::Rows => {
            let rows = RowLabels::new(plan, fitted);
            batches
                .iter()
                .zip(reads)
                .map(|(batch, read)| rows.batch(plan, batch, read))
                .collect()
        }
        Emit::Segments => Ok(vec![super::labelled_tables::segments_batch(
            &plan.schema,
            fitted.model.as_ref().expect("a fit has a model"),
            &fitted.prepared,
            &fitted.labels,
        )?]),
        Emit::Tree => Ok(vec![super::labelled_tables::tree_batch(
            &plan.schema,
            &fitted.tree.as_ref().expect("a tree").merges,
        )?]),
        Emit::Curve => Ok(vec![super::labelled_tables::curve_batch(
            &plan.schema,
            &fitted.curve,
        )?]),
    }
}

/// The segment of each input row: a DBSCAN model places it (nearest core point within eps); a
/// hierarchical fit looks its values up among the training rows (equal rows share a segment).
struct RowLabels<'a> {
    model: &'a SegmentModel,
    by_values: HashMap<Vec<u64>, i32>,
}

impl<'a> RowLabels<'a> {
    fn new(plan: &LabelledPlan, fitted: &'a Fitted) -> Self {
        let model = fitted.model.as_ref().expect("a fit has a model");
        let mut by_values = HashMap::new();
        if matches!(plan.method, Method::Hclust { .. }) {
            let columns = &fitted.prepared.columns;
            for (i, &label) in fitted.labels.iter().enumerate() {
                by_values.insert(key(columns.iter().map(|c| c[i])), label);
            }
        }
        Self { model, by_values }
    }

    /// `batch` with segment, distance, (is_core,) label appended.
    fn batch(
        &self,
        plan: &LabelledPlan,
        batch: &RecordBatch,
        read: &RowFeatures,
    ) -> Result<RecordBatch> {
        let n = batch.num_rows();
        let mut segment = Vec::with_capacity(n);
        let mut distance = Vec::with_capacity(n);
        let mut core = Vec::with_capacity(n);
        for i in 0..n {
            if !read.complete[i] {
                segment.push(None);
                distance.push(None);
                core.push(None);
                continue;
            }
            let raw = read.row(i);
            let point: Vec<f64> = self
                .model
                .features
                .iter()
                .zip(&raw)
                .map(|(f, &x)| f.prepare(x))
                .collect();
            let (s, d) = match &self.model.dbscan {
                Some(record) => record.place(&point),
                None => {
                    let s = self.by_values.get(&key(raw.iter().copied())).copied();
                    let d = s.and_then(|s| usize::try_from(s).ok()).map(|s| {
                        crate::kmeans::squared_distance(&point, &self.model.segments[s].centroid)
                            .sqrt()
                    });
                    (s.unwrap_or(NOISE), d)
                }
            };
            segment.push(Some(s));
            distance.push(d);
            core.push(Some(d == Some(0.0) && self.model.dbscan.is_some()));
        }
        let labels: StringArray = segment
            .iter()
            .map(|s| {
                s.map(|s| match usize::try_from(s) {
                    Ok(s) => self.model.segments[s].label.clone(),
                    Err(_) => "noise".to_string(),
                })
            })
            .collect();
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        columns.push(Arc::new(Int32Array::from(segment)));
        if plan.method_is_dbscan() {
            columns.push(Arc::new(BooleanArray::from(core)));
        }
        columns.push(Arc::new(Float64Array::from(distance)));
        columns.push(Arc::new(labels));
        Ok(RecordBatch::try_new(Arc::clone(&plan.schema), columns)?)
    }
}

impl LabelledPlan {
    fn method_is_dbscan(&self) -> bool {
        matches!(self.method, Method::Dbscan { .. })
    }
}

/// A row's values as hashable bits (−0 as 0, as the canonical order treats it).
fn key(values: impl Iterator<Item = f64>) -> Vec<u64> {
    values.map(|v| (v + 0.0).to_bits()).collect()
}
