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
use datafusion::common::{Column, Result, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::ExecutionPlan;

use crate::error::arg_err;
use crate::functions::common::feature_columns::{
    RFM_FEATURES, find_feature, is_numeric, looks_like_key,
};
use crate::functions::common::over_input::{InputOperator, OverInput, Scan};
use crate::kmeans::Init;
use crate::kmeans::preprocess::TransformKind;
use crate::model::store::check_name;
use crate::model::{ModelStore, NullPolicy, TrainOptions};
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};
use exec::KMeansFitExec;

const NAME: &str = "kmeans_fit";

/// Largest k accepted.
pub const MAX_K: i64 = 1000;

/// Output columns that come before and after the per-feature ones.
const FIXED_COLUMNS: [&str; 5] = ["segment", "size", "share", "sse", "label"];

/// The declaration of `kmeans_fit()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        Param {
            name: "input",
            kind: ParamKind::Relation,
            positional: true,
            required: true,
            doc: "one row per customer: rfm(...), a table, (SELECT ...), CTE or quoted file path",
        },
        Param {
            name: "k",
            kind: ParamKind::Integer,
            positional: true,
            required: true,
            doc: "number of segments, 1 to 1000 and at most the number of distinct points",
        },
        Param {
            name: "features",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "comma-separated numeric columns (default: recency_days, frequency, monetary when present, else every numeric column that is not an id)",
        },
        Param {
            name: "transform",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "'auto' (default: Box-Cox for features with skewness above 1), 'none', 'log' or 'boxcox'; non-positive values are shifted first",
        },
        Param {
            name: "standardize",
            kind: ParamKind::Boolean,
            positional: false,
            required: false,
            doc: "scale each feature to mean 0 and population standard deviation 1 after the transform (default true)",
        },
        Param {
            name: "nulls",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "'skip' (default) leaves out rows with a NULL feature and records how many; 'error' fails on the first",
        },
        Param {
            name: "init",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "'k-means++' (default, greedy as scikit-learn) or 'random'",
        },
        Param {
            name: "n_init",
            kind: ParamKind::Integer,
            positional: false,
            required: false,
            doc: "restarts; the lowest inertia wins (default 10). Restarts run side by side, \
                  one per thread; on 160,000 rows or more each one seeds and first converges on a \
                  1-in-8 sample of the rows, then iterates on all of them to the same tolerance",
        },
        Param {
            name: "max_iter",
            kind: ParamKind::Integer,
            positional: false,
            required: false,
            doc: "iterations per restart (default 300)",
        },
        Param {
            name: "tol",
            kind: ParamKind::Float,
            positional: false,
            required: false,
            doc: "convergence tolerance relative to the mean feature variance (default 1e-4)",
        },
        Param {
            name: "seed",
            kind: ParamKind::Integer,
            positional: false,
            required: false,
            doc: "random seed (default 0); the same seed gives the same model on any partitioning",
        },
        Param {
            name: "model",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "save the fit in the model store under this name, for assign_segment",
        },
    ],
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

/// The `kmeans_fit` table function, saving models to `store`.
#[derive(Debug)]
pub struct KMeansFitFunction {
    store: Arc<dyn ModelStore>,
}

impl KMeansFitFunction {
    /// The function, saving `model => ...` fits into `store`.
    pub fn new(store: Arc<dyn ModelStore>) -> Self {
        Self { store }
    }
}

/// A planned fit: which columns, which options, where to save.
#[derive(Debug, Clone)]
pub struct FitPlan {
    /// Feature names, as spelled in the input.
    pub features: Vec<String>,
    /// Their column indices in the input the fit reads.
    pub indices: Vec<usize>,
    /// Training options (threads are set at execution from the session).
    pub options: TrainOptions,
    /// Save under this name.
    pub model: Option<String>,
    /// The output schema (before any projection).
    pub schema: SchemaRef,
}

impl SegqlTableFunction for KMeansFitFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let Some(k) = args.integer("k") else {
            return Err(arg_err(NAME, "k (the number of segments) is required"));
        };
        if !(1..=MAX_K).contains(&k) {
            return Err(arg_err(
                NAME,
                format!("k must be between 1 and {MAX_K}, got {k}"),
            ));
        }
        let mut options = TrainOptions::new(k as usize);
        options.transform = choose(
            &args,
            "transform",
            &["auto", "none", "log", "boxcox"],
            "auto",
            TransformKind::parse,
        )?;
        options.standardize = args.boolean("standardize").unwrap_or(true);
        options.nulls = choose(
            &args,
            "nulls",
            &["skip", "error"],
            "skip",
            NullPolicy::parse,
        )?;
        options.init = choose(
            &args,
            "init",
            &["k-means++", "random"],
            "k-means++",
            Init::parse,
        )?;
        options.n_init = args.integer_in("n_init", 1..=1000, 10)? as usize;
        options.max_iter = args.integer_in("max_iter", 1..=100_000, 300)? as usize;
        options.seed = args.integer_in("seed", 0..=i64::MAX, 0)? as u64;
        if let Some(tol) = args.float("tol") {
            if !(tol.is_finite() && tol >= 0.0) {
                return Err(arg_err(
                    NAME,
                    format!("tol must be a finite number >= 0, got {tol}"),
                ));
            }
            options.tol = tol;
        }
        let model = args.text("model");
        if let Some(name) = &model {
            check_name(name).map_err(|e| arg_err(NAME, format!("model: {e}")))?;
        }

        let schema = input.schema();
        let features: Vec<String> = match args.text("features") {
            Some(list) => {
                let names: Vec<String> = list
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if names.is_empty() {
                    return Err(arg_err(
                        NAME,
                        "features must name at least one column, e.g. features => 'recency_days, monetary'",
                    ));
                }
                names
            }
            None => default_features(schema)?,
        };
        let mut indices = Vec::with_capacity(features.len());
        let mut resolved = Vec::with_capacity(features.len());
        for name in &features {
            let i = find_feature(NAME, schema, name)?;
            if indices.contains(&i) {
                return Err(arg_err(NAME, format!("feature '{name}' is listed twice")));
            }
            indices.push(i);
            resolved.push(schema.field(i).name().clone());
        }
        // The fit reads only its features: projecting the input onto them lets DataFusion
        // skip whatever else the input computes (rfm()'s scores and segment names).
        let columns: Vec<Expr> = indices
            .iter()
            .map(|&i| Expr::Column(Column::from(schema.qualified_field(i))))
            .collect();
        let input = LogicalPlanBuilder::from(input).project(columns)?.build()?;
        let plan = FitPlan {
            schema: output_schema(&resolved),
            features: resolved,
            indices: (0..indices.len()).collect(),
            options,
            model,
        };
        let seed = plan.options.seed;
        let plan = Arc::new(plan);
        let operator = FitOperator {
            plan: Arc::clone(&plan),
            store: Arc::clone(&self.store),
        };
        let provider = OverInput::new(Arc::new(input), Arc::clone(&plan.schema), operator);
        // Every call gets its own scan name: DataFusion compares scans by name.
        static CALLS: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "kmeans_fit(k={k}, seed={}, call={})",
            seed,
            CALLS.fetch_add(1, Ordering::Relaxed)
        );
        LogicalPlanBuilder::scan(
            TableReference::bare(name),
            provider_as_source(Arc::new(provider)),
            None,
        )?
        .build()
    }
}

/// A string option from a fixed list, parsed into its Rust value.
fn choose<T>(
    args: &Args,
    name: &str,
    choices: &[&'static str],
    default: &'static str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T> {
    let text = args.choice(name, choices, default)?;
    parse(text).ok_or_else(|| arg_err(NAME, format!("'{name}' cannot be '{text}'")))
}

/// recency_days, frequency, monetary when all present; else every numeric non-id column.
fn default_features(schema: &datafusion::common::DFSchema) -> Result<Vec<String>> {
    let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
    if RFM_FEATURES
        .iter()
        .all(|want| names.iter().any(|n| n.as_str() == *want))
    {
        return Ok(RFM_FEATURES.iter().map(|s| s.to_string()).collect());
    }
    let numeric: Vec<String> = schema
        .fields()
        .iter()
        .filter(|f| is_numeric(f.data_type()) && !looks_like_key(f.name()))
        .map(|f| f.name().clone())
        .collect();
    if numeric.is_empty() {
        return Err(arg_err(
            NAME,
            format!(
                "the input has no numeric columns to use as features (columns: {}); \
                 convert some to numbers in a subquery first, as in \
                 (SELECT CAST(<column> AS DOUBLE) AS <column> FROM <table>)",
                crate::functions::common::feature_columns::column_list(schema)
            ),
        ));
    }
    Ok(numeric)
}

/// The result columns for these features.
fn output_schema(features: &[String]) -> SchemaRef {
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
