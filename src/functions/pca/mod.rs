//! `pca(input [, components => 2, options])`: principal component analysis in SQL — the input's
//! rows with their coordinates `pc1..pcN` (for a 2-D scatter of many features), or with
//! `view => 'components'` one row per component: explained variance, its ratio, the cumulative
//! ratio and each feature's loading. Preprocessing as `kmeans_fit`'s (same options, same
//! defaults), recorded in the model when `model => 'p'` saves it.
//!
//! ```sql
//! SELECT "CustomerID", pc1, pc2 FROM pca(rfm(sales), components => 2, model => 'p');
//! SELECT * FROM pca(rfm(sales), view => 'components');
//! SELECT pc1, pc2 FROM pca_project('p', rfm(new_sales));
//! ```
//!
//! The numbers are scikit-learn's `PCA` on the prepared features ([`crate::pca`]).

pub mod exec;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{DFSchema, Result, TableReference};
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::physical_plan::ExecutionPlan;

use crate::error::arg_err;
use crate::functions::common::fit_options::{
    FEATURES, INPUT, MODEL, NULLS, SCALE, SHIFT, STANDARDIZE, TRANSFORM, fit_input, model_name,
    preprocessing_options,
};
use crate::functions::common::over_input::{InputOperator, OverInput, Scan};
use crate::functions::common::store_function;
use crate::model::{ModelStore, SegmentModel, TrainOptions};
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};
use exec::PcaExec;

const NAME: &str = "pca";

/// `components => 2`.
const COMPONENTS: Param = Param {
    name: "components",
    kind: ParamKind::Integer,
    positional: false,
    required: false,
    doc: "how many components (default 2, at most the number of features)",
};

/// `view => 'rows' | 'components'`.
const VIEW: Param = Param {
    name: "view",
    kind: ParamKind::Text,
    positional: false,
    required: false,
    doc: "'rows' (default: the input's rows with pc1..pcN) or 'components' (one row per component)",
};

/// The declaration of `pca()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        INPUT,
        COMPONENTS,
        FEATURES,
        TRANSFORM,
        SHIFT,
        SCALE,
        STANDARDIZE,
        NULLS,
        MODEL,
        VIEW,
    ],
    description: "Principal component analysis of the input's features, prepared as kmeans_fit \
                  prepares them (transform, shift, scale: the same options and defaults). The \
                  rows view is every input column plus pc1..pcN, each row's coordinate on each \
                  component (NULL for a row with a NULL feature; an input column named pc1 \
                  becomes input_pc1); view => 'components' is one row per component: component \
                  (1..N), explained_variance (n - 1 in the denominator), \
                  explained_variance_ratio, cumulative_ratio and the loading of each feature \
                  (a column named after it). The numbers are scikit-learn's PCA on the prepared \
                  matrix; each component is signed so its largest loading is positive, as \
                  scikit-learn's. The result does not depend on the input's partitioning.",
    example: "SELECT * FROM pca(rfm(sales), components => 2, view => 'components')",
    columns: &[
        (
            "<input columns>, pc1..pcN",
            "the rows view: the input and each row's coordinates (DOUBLE)",
        ),
        (
            "component, explained_variance, explained_variance_ratio, cumulative_ratio, <feature>...",
            "the components view",
        ),
    ],
};

store_function!(PcaFunction, "fits a PCA, saving `model => ...` fits");

/// What the PCA operator emits.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum PcaOutput {
    /// The input's rows with their coordinates (`pca`).
    Rows,
    /// One row per component (`pca(..., view => 'components')`).
    Components,
    /// No fit: the input's rows projected on a saved model's components (`pca_project`).
    Project(#[serde(with = "crate::functions::common::wire::shared_model")] Arc<SegmentModel>),
}

/// A planned PCA: which columns, which options, what to emit.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PcaPlan {
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
    /// Components to fit (or the saved model's).
    pub components: usize,
    /// Save under this name.
    pub model: Option<String>,
    /// The output schema (before any projection).
    #[serde(with = "crate::functions::common::wire::schema")]
    pub schema: SchemaRef,
    /// What the operator emits.
    pub output: PcaOutput,
}

impl SegqlTableFunction for PcaFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let options = preprocessing_options(&args)?;
        let components = args.integer_in("components", 1..=1000, 2)? as usize;
        let model = model_name(&args)?;
        let view = args.choice("view", &["rows", "components"], "rows")?;
        let fit = fit_input(&args, input.clone(), &options.transform)?;
        let features = fit.features.clone();
        if components > features.len() {
            return Err(arg_err(
                NAME,
                format!(
                    "components => {components} is more than the {} feature(s) ({}); choose 1 to {}",
                    features.len(),
                    features.join(", "),
                    features.len()
                ),
            ));
        }
        let rows = view == "rows";
        let (schema, output) = if rows {
            (rows_schema(input.schema(), components), PcaOutput::Rows)
        } else {
            (components_schema(&features), PcaOutput::Components)
        };
        let (input, indices) = fit.operator_input(NAME, rows, input)?;
        let pca = Arc::new(PcaPlan {
            function: NAME,
            features,
            indices,
            options,
            components,
            model,
            schema,
            output,
        });
        scan(pca, Arc::clone(&self.store), input)
    }
}

/// The input's columns (one named like a coordinate becomes `input_<name>`), then pc1..pcN.
pub(crate) fn rows_schema(input: &DFSchema, components: usize) -> SchemaRef {
    let added: Vec<String> = (1..=components).map(|i| format!("pc{i}")).collect();
    let mut fields: Vec<Field> = input
        .fields()
        .iter()
        .map(|f| {
            let clashes = added.iter().any(|a| a.eq_ignore_ascii_case(f.name()));
            let name = if clashes {
                format!("input_{}", f.name())
            } else {
                f.name().clone()
            };
            f.as_ref().clone().with_name(name)
        })
        .collect();
    fields.extend(added.iter().map(|a| Field::new(a, DataType::Float64, true)));
    Arc::new(Schema::new(fields))
}

/// The component table's columns for these features.
pub(crate) fn components_schema(features: &[String]) -> SchemaRef {
    const FIXED: [&str; 4] = [
        "component",
        "explained_variance",
        "explained_variance_ratio",
        "cumulative_ratio",
    ];
    let mut fields = vec![Field::new("component", DataType::Int32, false)];
    fields.extend(
        FIXED[1..]
            .iter()
            .map(|n| Field::new(*n, DataType::Float64, false)),
    );
    fields.extend(features.iter().map(|f| {
        let name = if FIXED.contains(&f.as_str()) {
            format!("loading_{f}")
        } else {
            f.clone()
        };
        Field::new(name, DataType::Float64, false)
    }));
    Arc::new(Schema::new(fields))
}

/// A PCA model's components as a table in `schema`'s columns.
pub(crate) fn components_table(schema: &SchemaRef, model: &SegmentModel) -> Result<RecordBatch> {
    let Some(pca) = &model.pca else {
        return Err(arg_err(
            NAME,
            format!("model '{}' has no components", model.name),
        ));
    };
    let k = pca.components.len();
    let mut cumulative = 0.0;
    let cumulative_ratio: Vec<f64> = pca
        .explained_variance_ratio
        .iter()
        .map(|r| {
            cumulative += r;
            cumulative
        })
        .collect();
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from_iter_values(1..=k as i32)),
        Arc::new(Float64Array::from(pca.explained_variance.clone())),
        Arc::new(Float64Array::from(pca.explained_variance_ratio.clone())),
        Arc::new(Float64Array::from(cumulative_ratio)),
    ];
    for j in 0..model.features.len() {
        columns.push(Arc::new(Float64Array::from_iter_values(
            pca.components.iter().map(|c| c[j]),
        )));
    }
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

/// A PCA as a scan of its own table over `input`, run by [`PcaExec`].
pub(crate) fn scan(
    pca: Arc<PcaPlan>,
    store: Arc<dyn ModelStore>,
    input: LogicalPlan,
) -> Result<LogicalPlan> {
    // every call gets its own scan name: DataFusion compares scans by name
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "{}(components={}, call={})",
        pca.function,
        pca.components,
        CALLS.fetch_add(1, Ordering::Relaxed)
    );
    let operator = PcaOperator {
        plan: Arc::clone(&pca),
        store,
    };
    OverInput::new(Arc::new(input), Arc::clone(&pca.schema), operator)
        .scan(TableReference::bare(name))?
        .build()
}

#[derive(Debug)]
struct PcaOperator {
    plan: Arc<PcaPlan>,
    store: Arc<dyn ModelStore>,
}

impl InputOperator for PcaOperator {
    fn wrap(&self, scan: Scan<'_>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(PcaExec::try_new(
            scan.input,
            Arc::clone(&self.plan),
            Arc::clone(&self.store),
            scan.projection.cloned(),
        )?))
    }
}
