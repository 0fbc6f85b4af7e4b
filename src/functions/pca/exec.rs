//! `PcaExec`: the physical operator of `pca` and `pca_project`. A fit reads every input
//! partition (coalesced), prepares the feature columns as a K-Means fit does, fits the PCA,
//! saves it when asked, and emits either the input's rows with their coordinates or the
//! component table; a projection with a saved model streams through each partition.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Float64Array, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
};
use futures::{StreamExt, TryStreamExt};

use super::{PcaOutput, PcaPlan, components_table};
use crate::error::data_err;
use crate::functions::common::feature_columns::as_f64;
use crate::functions::common::fit_memory::{FitMemory, collect_counted};
use crate::functions::common::{final_single_partition, one_input_operator, one_partition};
use crate::functions::kmeans_fit::exec::run_blocking;
use crate::model::{FeatureData, ModelStore, NullPolicy, SegmentModel, prepare, train_pca};

const NAME: &str = "pca";

/// Fits or applies a PCA over its input.
#[derive(Debug)]
pub struct PcaExec {
    input: Arc<dyn ExecutionPlan>,
    plan: Arc<PcaPlan>,
    store: Arc<dyn ModelStore>,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl PcaExec {
    fn with_input(&self, input: Arc<dyn ExecutionPlan>) -> Result<Self> {
        Self::try_new(
            input,
            Arc::clone(&self.plan),
            Arc::clone(&self.store),
            self.projection.clone(),
        )
    }

    /// The operator over `input` emitting the `projection` of the plan's schema: one partition
    /// for a fit (it needs every row first), the input's partitions for a projection.
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        plan: Arc<PcaPlan>,
        store: Arc<dyn ModelStore>,
        projection: Option<Vec<usize>>,
    ) -> Result<Self> {
        let (input, schema, properties) = match plan.output {
            PcaOutput::Project(_) => {
                let schema = match &projection {
                    Some(p) => Arc::new(plan.schema.project(p)?),
                    None => Arc::clone(&plan.schema),
                };
                let partitions = input.output_partitioning().partition_count();
                let properties = Arc::new(PlanProperties::new(
                    EquivalenceProperties::new(Arc::clone(&schema)),
                    datafusion::physical_plan::Partitioning::UnknownPartitioning(partitions),
                    EmissionType::Incremental,
                    Boundedness::Bounded,
                ));
                (input, schema, properties)
            }
            _ => {
                let (schema, properties) =
                    final_single_partition(&plan.schema, projection.as_ref())?;
                (one_partition(input), schema, properties)
            }
        };
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

crate::functions::common::wire::shipped_fit_operator!(PcaExec, "pca", PcaPlan);

impl DisplayAs for PcaExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let what = match &self.plan.output {
            PcaOutput::Rows => "rows",
            PcaOutput::Components => "components",
            PcaOutput::Project(_) => "project",
        };
        match t {
            DisplayFormatType::TreeRender => write!(f, "components={}", self.plan.components),
            _ => write!(
                f,
                "PcaExec: {what}, components={}, features=[{}]",
                self.plan.components,
                self.plan.features.join(", ")
            ),
        }
    }
}

impl ExecutionPlan for PcaExec {
    one_input_operator!("PcaExec", NAME);

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, Arc::clone(&context))?;
        let plan = Arc::clone(&self.plan);
        let projection = self.projection.clone();
        let schema = Arc::clone(&self.schema);
        if let PcaOutput::Project(model) = &plan.output {
            let model = Arc::clone(model);
            let stream = input.map(move |batch| {
                let batch = batch?;
                let rows = RowFeatures::read(&plan, &batch)?;
                let out = with_coordinates(&plan, &batch, &rows, &model)?;
                project(out, projection.as_ref())
            });
            return Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)));
        }
        let store = Arc::clone(&self.store);
        let threads = context.session_config().target_partitions().max(1);
        let memory = FitMemory::new(plan.function, "PcaExec", &context);
        let features = plan.features.len();
        let fut = async move {
            let batches = collect_counted(input, memory, features).await?;
            let reads = batches
                .iter()
                .map(|b| RowFeatures::read(&plan, b))
                .collect::<Result<Vec<_>>>()?;
            let work = Arc::clone(&plan);
            let data = training_data(&plan, &reads)?;
            let model = run_blocking(plan.function, move || fit(&work, data, threads)).await??;
            if plan.model.is_some() {
                store
                    .save(&model)
                    .map_err(|e| data_err(plan.function, format!("saving the model: {e}")))?;
            }
            let out: Vec<RecordBatch> = match plan.output {
                PcaOutput::Components => vec![components_table(&plan.schema, &model)?],
                _ => batches
                    .iter()
                    .zip(&reads)
                    .map(|(b, r)| with_coordinates(&plan, b, r, &model))
                    .collect::<Result<_>>()?,
            };
            let out: Vec<Result<RecordBatch>> = out
                .into_iter()
                .map(|b| project(b, projection.as_ref()))
                .collect();
            Ok::<_, datafusion::error::DataFusionError>(futures::stream::iter(out))
        };
        let stream = futures::stream::once(fut).try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

fn project(batch: RecordBatch, projection: Option<&Vec<usize>>) -> Result<RecordBatch> {
    match projection {
        Some(p) => Ok(batch.project(p)?),
        None => Ok(batch),
    }
}

/// One batch's feature columns as numbers, and which rows have every feature.
struct RowFeatures {
    columns: Vec<Float64Array>,
    complete: Vec<bool>,
}

impl RowFeatures {
    fn read(plan: &PcaPlan, batch: &RecordBatch) -> Result<Self> {
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
}

/// The complete rows of every batch as training data, under the NULL policy.
fn training_data(plan: &PcaPlan, reads: &[RowFeatures]) -> Result<FeatureData> {
    let d = plan.features.len();
    let mut data = FeatureData {
        names: plan.features.clone(),
        columns: vec![Vec::new(); d],
        skipped_rows: 0,
        nulls: vec![0; d],
    };
    for read in reads {
        for (j, column) in read.columns.iter().enumerate() {
            data.nulls[j] += column.null_count() as u64;
        }
        for (row, &complete) in read.complete.iter().enumerate() {
            if !complete {
                if plan.options.nulls == NullPolicy::Error {
                    let j = read
                        .columns
                        .iter()
                        .position(|c| c.is_null(row))
                        .unwrap_or(0);
                    return Err(data_err(
                        plan.function,
                        format!(
                            "feature '{}' is NULL; pass nulls => 'skip' to leave such rows out",
                            plan.features[j]
                        ),
                    ));
                }
                data.skipped_rows += 1;
                continue;
            }
            for (values, column) in data.columns.iter_mut().zip(&read.columns) {
                values.push(column.value(row));
            }
        }
    }
    Ok(data)
}

/// Prepare the data (canonical order, transforms, scaler) and fit the PCA.
fn fit(plan: &PcaPlan, data: FeatureData, threads: usize) -> Result<SegmentModel> {
    let mut options = plan.options.clone();
    options.kmeans.threads = threads;
    let prepared = prepare(data, &options).map_err(|e| data_err(plan.function, e.to_string()))?;
    let name = plan.model.as_deref().unwrap_or_default();
    train_pca(name, &prepared, &options, plan.components)
        .map_err(|e| data_err(plan.function, e.to_string()))
}

/// `batch` with each row's coordinates appended (NULL for rows missing a feature).
fn with_coordinates(
    plan: &PcaPlan,
    batch: &RecordBatch,
    rows: &RowFeatures,
    model: &SegmentModel,
) -> Result<RecordBatch> {
    let k = plan.components;
    let mut coordinates: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(batch.num_rows()); k];
    let mut raw = vec![0.0; rows.columns.len()];
    for (row, &complete) in rows.complete.iter().enumerate() {
        let point = complete
            .then(|| {
                for (x, column) in raw.iter_mut().zip(&rows.columns) {
                    *x = column.value(row);
                }
                model.principal_coordinates(&raw)
            })
            .flatten();
        for (j, values) in coordinates.iter_mut().enumerate() {
            values.push(point.as_ref().map(|p| p[j]));
        }
    }
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns.extend(
        coordinates
            .into_iter()
            .map(|values| Arc::new(Float64Array::from(values)) as ArrayRef),
    );
    Ok(RecordBatch::try_new(Arc::clone(&plan.schema), columns)?)
}
