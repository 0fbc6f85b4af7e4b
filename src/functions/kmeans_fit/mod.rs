//! `kmeans_fit(input, k [, options])`: train a K-Means segmentation and return it as a table,
//! one row per segment.
//!
//! The input stays an ordinary DataFusion plan; the fit is one operator on top of it
//! ([`exec::KMeansFitExec`]), so `EXPLAIN` shows the whole pipeline.
//!
//! ```sql
//! SELECT * FROM kmeans_fit(rfm(sales), 4, seed => 1);
//! SELECT * FROM kmeans_fit(rfm(sales), k => 5, transform => 'log', model => 'seg');
//! SELECT * FROM kmeans_fit((SELECT age, income FROM people), 3, features => 'age, income');
//! ```

pub mod exec;
pub mod fit_observer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{Result, TableReference};
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::physical_plan::ExecutionPlan;

use crate::error::arg_err;
use crate::functions::common::fit_options::{
    FitInput, INPUT, KS, MIN_SHARE, MODEL, SILHOUETTE_SAMPLE, STABILITY, fit_input, fit_params,
    model_name, train_options,
};
use crate::functions::common::over_input::{InputOperator, OverInput, Scan};
use crate::functions::common::store_function;
use crate::functions::kmeans_search::ks::KsText;
use crate::functions::kmeans_search::{names_search_options, search_options};
use crate::model::{ModelStore, SearchOptions, SegmentModel, TrainOptions};
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};
use exec::KMeansFitExec;
pub(crate) use exec::segment_table;

const NAME: &str = "kmeans_fit";

/// Largest k accepted.
pub const MAX_K: i64 = 1000;

/// Output columns that come before and after the per-feature ones.
const FIXED_COLUMNS: [&str; 5] = ["segment", "size", "share", "sse", "label"];

/// The declaration of `kmeans_fit()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: fit_params!(
        [
            INPUT,
            Param {
                name: "k",
                kind: ParamKind::IntegerOrAuto,
                positional: true,
                required: true,
                doc: "number of segments, 1 to 1000 and at most the number of distinct points; or 'auto': run kmeans_search (with ks, min_share, stability, silhouette_sample) and fit the recommended k, recording the search in the model",
            },
        ],
        [MODEL, KS, MIN_SHARE, STABILITY, SILHOUETTE_SAMPLE]
    ),
    description: "K-Means segmentation of the input rows. One row per segment, numbered 0.. by \
                  descending size: segment, size, share, the centroid of each feature in original \
                  units (a column named after the feature), avg_<feature> (the mean over members), \
                  sse (within-segment sum of squares in the fitted space; the total is the inertia) \
                  and label (the R/F map name for RFM features, else the most deviating features).",
    example: "SELECT * FROM kmeans_fit(rfm(sales), 4, seed => 1, model => 'seg')",
    columns: &[
        ("segment", "INT: segment id, 0 = largest"),
        ("size", "BIGINT: training rows in the segment"),
        ("share", "DOUBLE: size / rows"),
        (
            "<feature>",
            "DOUBLE: the centroid of each feature in original units (`centroid_<feature>` if the name clashes)",
        ),
        (
            "avg_<feature>",
            "DOUBLE: the mean of each feature over the segment's members",
        ),
        (
            "sse",
            "DOUBLE: sum of squared distances in the fitted space (the sum over segments is the inertia)",
        ),
        (
            "label",
            "TEXT: for RFM features, the R/F map segment of the centroid; else the most deviating features ('high monetary, low recency_days')",
        ),
    ],
};

store_function!(
    KMeansFitFunction,
    "fits K-Means, saving `model => ...` fits into the store"
);

/// What the fit operator emits.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum FitOutput {
    /// One row per segment of the model (`kmeans_fit`).
    Segments,
    /// One row per candidate k (`kmeans_search`).
    Search,
    /// No fit: each feature's skewness under every transform (`feature_skewness`); NULLs are
    /// left out feature by feature rather than row by row.
    Skewness,
    /// No fit: a saved model judged on the rows (`kmeans_evaluate`).
    Evaluate {
        /// The model.
        #[serde(with = "crate::functions::common::wire::shared_model")]
        model: Arc<SegmentModel>,
        /// One row per segment rather than one overall.
        segments: bool,
        /// The silhouette's exact-or-sample threshold.
        silhouette_sample: usize,
    },
}

/// A planned fit: which columns, which options, where to save.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FitPlan {
    /// The SQL function planned (errors are in its name).
    /// (Travels beside the plan: see `Shipped`.)
    #[serde(skip)]
    pub function: &'static str,
    /// Feature names, as spelled in the input.
    pub features: Vec<String>,
    /// Their column indices in the input the fit reads.
    pub indices: Vec<usize>,
    /// Training options (threads are set at execution from the session).
    pub options: TrainOptions,
    /// Save under this name.
    pub model: Option<String>,
    /// The output schema (before any projection).
    #[serde(with = "crate::functions::common::wire::schema")]
    pub schema: SchemaRef,
    /// Search these ks and keep the recommended fit (`kmeans_search`, `k => 'auto'`).
    pub search: Option<SearchOptions>,
    /// What the operator emits.
    pub output: FitOutput,
}

impl SegqlTableFunction for KMeansFitFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let (k, search) = match k_argument(&args)? {
            K::Fixed(k) => (k, None),
            K::Auto => {
                let search = search_options(&args)?;
                (search.ks[0], Some(search))
            }
        };
        let options = train_options(&args, k)?;
        let model = model_name(&args)?;
        let FitInput { features, plan } = fit_input(&args, input, &options.transform)?;
        let fit = Arc::new(FitPlan {
            function: NAME,
            schema: output_schema(&features),
            indices: (0..features.len()).collect(),
            features,
            options,
            model,
            search,
            output: FitOutput::Segments,
        });
        scan(fit, Arc::clone(&self.store), plan)
    }
}

/// A fit as a scan of its own table over `input`, run by [`KMeansFitExec`].
pub(crate) fn scan(
    fit: Arc<FitPlan>,
    store: Arc<dyn ModelStore>,
    input: LogicalPlan,
) -> Result<LogicalPlan> {
    let options = &fit.options.kmeans;
    let k = match &fit.search {
        Some(search) => KsText(&search.ks).to_string(),
        None => options.k.to_string(),
    };
    // Every call gets its own scan name: DataFusion compares scans by name.
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "kmeans_fit(k={k}, seed={}, call={})",
        options.seed,
        CALLS.fetch_add(1, Ordering::Relaxed)
    );
    let operator = FitOperator {
        plan: Arc::clone(&fit),
        store,
    };
    OverInput::new(Arc::new(input), Arc::clone(&fit.schema), operator)
        .scan(TableReference::bare(name))?
        .build()
}

/// The `k` argument.
enum K {
    /// 1 to [`MAX_K`].
    Fixed(usize),
    /// `'auto'`: searched.
    Auto,
}

/// The `k` argument, checked; the search's options only go with `'auto'`.
fn k_argument(args: &Args) -> Result<K> {
    if args.text("k").is_some() {
        return Ok(K::Auto);
    }
    let Some(k) = args.integer("k") else {
        return Err(arg_err(NAME, "k (the number of segments) is required"));
    };
    if !(1..=MAX_K).contains(&k) {
        return Err(arg_err(
            NAME,
            format!("k must be between 1 and {MAX_K}, got {k}"),
        ));
    }
    if let Some(option) = names_search_options(args) {
        return Err(arg_err(
            NAME,
            format!(
                "{option} => only applies with k => 'auto', as in kmeans_fit(input, 'auto', {option} => ...)"
            ),
        ));
    }
    Ok(K::Fixed(k as usize))
}

/// The result columns for these features.
pub(crate) fn output_schema(features: &[String]) -> SchemaRef {
    let centroid_name = |f: &String| {
        if FIXED_COLUMNS.contains(&f.as_str()) || f.starts_with("avg_") {
            format!("centroid_{f}")
        } else {
            f.clone()
        }
    };
    let mut fields = vec![
        Field::new("segment", DataType::Int32, false),
        Field::new("size", DataType::Int64, false),
        Field::new("share", DataType::Float64, false),
    ];
    fields.extend(
        features
            .iter()
            .map(|f| Field::new(centroid_name(f), DataType::Float64, false)),
    );
    fields.extend(
        features
            .iter()
            .map(|f| Field::new(format!("avg_{f}"), DataType::Float64, false)),
    );
    fields.push(Field::new("sse", DataType::Float64, false));
    fields.push(Field::new("label", DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

/// What the table behind a `kmeans_fit(...)` call puts on its planned input: the fit.
#[derive(Debug)]
struct FitOperator {
    plan: Arc<FitPlan>,
    store: Arc<dyn ModelStore>,
}

impl InputOperator for FitOperator {
    fn wrap(&self, scan: Scan<'_>) -> Result<Arc<dyn ExecutionPlan>> {
        let (input, projection) = (scan.input, scan.projection);
        Ok(Arc::new(KMeansFitExec::try_new(
            input,
            Arc::clone(&self.plan),
            Arc::clone(&self.store),
            projection.cloned(),
        )?))
    }
}
