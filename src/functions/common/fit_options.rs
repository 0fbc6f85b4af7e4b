//! The options every fit shares (`features`, `transform`, `shift`, `scale`/`standardize`, `nulls`, the K-Means
//! settings, `model`): declared once, parsed once, so `kmeans_fit` and `kmeans_search` (and the
//! fits that follow) accept the same words with the same meanings and errors.

use datafusion::common::{Column, DFSchema, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};

use crate::error::arg_err;
use crate::functions::common::feature_columns::{
    RFM_FEATURES, column_list, find_feature, is_numeric, looks_like_key,
};
use crate::kmeans::Init;
use crate::model::store::check_name;
use crate::model::{NullPolicy, TrainOptions};
use crate::planner::{Args, Param, ParamKind};
use crate::preprocess::{ScaleKind, TransformKind, TransformSpec};

/// The parameters of a fit, for its `FunctionSpec`: `[$first]` (the input and what comes
/// before the options), every shared option in the same order everywhere, then `[$last]`.
macro_rules! fit_params {
    ([$($first:expr),* $(,)?], [$($last:expr),* $(,)?]) => {{
        use $crate::functions::common::fit_options as shared;
        &[
            $($first,)*
            shared::FEATURES,
            shared::TRANSFORM,
            shared::SHIFT,
            shared::SCALE,
            shared::STANDARDIZE,
            shared::NULLS,
            shared::INIT,
            shared::N_INIT,
            shared::MAX_ITER,
            shared::TOL,
            shared::SEED,
            $($last,)*
        ]
    }};
}
pub(crate) use fit_params;

/// A named option of a fit.
const fn option(name: &'static str, kind: ParamKind, doc: &'static str) -> Param {
    Param {
        name,
        kind,
        positional: false,
        required: false,
        doc,
    }
}

/// The input relation, the first argument of every fit.
pub(crate) const INPUT: Param = Param {
    name: "input",
    kind: ParamKind::Relation,
    positional: true,
    required: true,
    doc: "one row per customer: rfm(...), a table, (SELECT ...), CTE or quoted file path",
};

/// `features => 'a, b'`.
pub(crate) const FEATURES: Param = option(
    "features",
    ParamKind::Text,
    "comma-separated numeric columns (default: recency_days, frequency, monetary when present, else every numeric column that is not an id)",
);

/// The preprocessing options, then K-Means' own.
pub(crate) const TRANSFORM: Param = option(
    "transform",
    ParamKind::Text,
    "one word for every feature, or a map 'recency_days: boxcox, monetary: cbrt' (features it does not name take 'auto', or a leading word: 'none, monetary: log'): 'auto' (default: Box-Cox for features whose biased skewness is above 1), 'none', 'log', 'log1p', 'sqrt', 'cbrt', 'boxcox' or 'yeojohnson' (λ by maximum likelihood, as SciPy)",
);
pub(crate) const SHIFT: Param = option(
    "shift",
    ParamKind::Boolean,
    "shift a feature into its transform's domain first (default true): by 1 - min for log and Box-Cox when some value is not positive, by -min for log1p and sqrt when some value is negative; false makes such values an error",
);
pub(crate) const SCALE: Param = option(
    "scale",
    ParamKind::Text,
    "the scaler after the transform: 'standard' (default: mean 0, population standard deviation 1), 'robust' (median 0, interquartile range 1), 'minmax' (0 to 1) or 'none'",
);
pub(crate) const STANDARDIZE: Param = option(
    "standardize",
    ParamKind::Boolean,
    "the older switch for scale: true is scale => 'standard', false is scale => 'none'",
);
pub(crate) const NULLS: Param = option(
    "nulls",
    ParamKind::Text,
    "'skip' (default) leaves out rows with a NULL feature and records how many; 'error' fails on the first",
);
pub(crate) const INIT: Param = option(
    "init",
    ParamKind::Text,
    "'k-means++' (default, greedy as scikit-learn) or 'random'",
);
pub(crate) const N_INIT: Param = option(
    "n_init",
    ParamKind::Integer,
    "restarts; the lowest inertia wins (default 10). Restarts run side by side, one per thread; \
     on 160,000 rows or more each one seeds and first converges on its own 1-in-8 sample of \
     the rows, and the 4 whose centres fit one more (shared) sample best then iterate on all \
     rows to the same tolerance",
);
pub(crate) const MAX_ITER: Param = option(
    "max_iter",
    ParamKind::Integer,
    "iterations per restart (default 300)",
);
pub(crate) const TOL: Param = option(
    "tol",
    ParamKind::Float,
    "convergence tolerance relative to the mean feature variance (default 1e-4)",
);
pub(crate) const SEED: Param = option(
    "seed",
    ParamKind::Integer,
    "random seed (default 0); the same seed gives the same model on any partitioning",
);
/// `model => 'name'`.
pub(crate) const MODEL: Param = option(
    "model",
    ParamKind::Text,
    "save the fit in the model store under this name, for assign_segment",
);

/// `ks => '2..10'`: the candidates (also an option of `kmeans_fit(input, 'auto')`).
pub(crate) const KS: Param = option(
    "ks",
    ParamKind::Text,
    "the candidate ks: a range '2..10' (default), a list '2,3,5,8' or both '1..4,6'; increasing, each 1 to 1000 and at most the number of distinct points",
);
/// The options that judge the candidates (also options of `kmeans_fit(input, 'auto')`).
pub(crate) const MIN_SHARE: Param = option(
    "min_share",
    ParamKind::Float,
    "a recommended k's smallest segment holds at least this share of the rows (default 0.05)",
);
pub(crate) const STABILITY: Param = option(
    "stability",
    ParamKind::Integer,
    "resamples per k for the stability (default 3; 0 turns it off): each fits 80% of the rows, drawn without replacement with the seed, labels every row by its nearest centre and is compared with the full fit by the adjusted Rand index",
);
pub(crate) const SILHOUETTE_SAMPLE: Param = option(
    "silhouette_sample",
    ParamKind::Integer,
    "the silhouette is exact (all pairs) up to this many rows (default 10000); above, it is the silhouette of a seeded uniform sample of this many rows, measured within the sample as scikit-learn's silhouette_score(sample_size=...)",
);
/// The training options a call asks for, for `k` segments.
pub(crate) fn train_options(args: &Args, k: usize) -> Result<TrainOptions> {
    let mut options = preprocessing_options(args)?;
    options.kmeans.k = k;
    let kmeans = &mut options.kmeans;
    kmeans.init = choose(
        args,
        "init",
        &["k-means++", "random"],
        "k-means++",
        Init::parse,
    )?;
    kmeans.n_init = args.integer_in("n_init", 1..=1000, 10)? as usize;
    kmeans.max_iter = args.integer_in("max_iter", 1..=100_000, 300)? as usize;
    kmeans.seed = args.integer_in("seed", 0..=i64::MAX, 0)? as u64;
    if let Some(tol) = args.float("tol") {
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(arg_err(
                args.function(),
                format!("tol must be a finite number >= 0, got {tol}"),
            ));
        }
        kmeans.tol = tol;
    }
    Ok(options)
}

/// The preprocessing a call asks for (`transform`, `shift`, `scale`/`standardize`, `nulls`),
/// for fits without K-Means' own options (`pca`).
pub(crate) fn preprocessing_options(args: &Args) -> Result<TrainOptions> {
    let mut options = TrainOptions::new(1);
    options.transform = transform_spec(args)?;
    options.shift = args.boolean("shift").unwrap_or(true);
    options.scale = scale(args)?;
    options.nulls = choose(args, "nulls", &["skip", "error"], "skip", NullPolicy::parse)?;
    Ok(options)
}

/// `transform => ...`, parsed.
fn transform_spec(args: &Args) -> Result<TransformSpec> {
    match args.text("transform") {
        None => Ok(TransformSpec::all(TransformKind::Auto)),
        Some(text) => TransformSpec::parse(&text)
            .map_err(|e| arg_err(args.function(), format!("transform: {e}"))),
    }
}

/// `scale => ...` or its older switch `standardize => true|false`; both only when they agree.
fn scale(args: &Args) -> Result<Option<ScaleKind>> {
    let function = args.function();
    let scale = match args.text("scale") {
        None => None,
        Some(text) => Some(ScaleKind::parse(&text).map_err(|e| arg_err(function, e.to_string()))?),
    };
    match (scale, args.boolean("standardize")) {
        (Some(scale), None) => Ok(scale),
        (None, standardize) => Ok(standardize.unwrap_or(true).then_some(ScaleKind::Standard)),
        (Some(scale), Some(standardize)) if scale.is_some() == standardize => Ok(scale),
        (Some(scale), Some(standardize)) => Err(arg_err(
            function,
            format!(
                "scale => '{}' and standardize => {standardize} disagree; pass only scale",
                scale.map_or("none", ScaleKind::name)
            ),
        )),
    }
}

/// The model name a call saves under, checked.
pub(crate) fn model_name(args: &Args) -> Result<Option<String>> {
    let model = args.text("model");
    if let Some(name) = &model {
        check_name(name).map_err(|e| arg_err(args.function(), format!("model: {e}")))?;
    }
    Ok(model)
}

/// A fit's input cut down to its features.
#[derive(Debug)]
pub(crate) struct FitInput {
    /// The features, spelled as in the input.
    pub features: Vec<String>,
    /// The input projected onto them, in that order: DataFusion then skips whatever else the
    /// input computes (rfm()'s scores and segment names).
    pub plan: LogicalPlan,
}

/// The features a call names (or the default ones) and the input projected onto them; every
/// feature `transform`'s map names must be one of them.
pub(crate) fn fit_input(
    args: &Args,
    input: LogicalPlan,
    transform: &TransformSpec,
) -> Result<FitInput> {
    let function = args.function();
    let schema = input.schema();
    let named = match args.text("features") {
        Some(list) => listed_features(function, &list)?,
        None => default_features(function, schema)?,
    };
    let mut indices = Vec::with_capacity(named.len());
    for name in &named {
        let i = find_feature(function, schema, name)?;
        if indices.contains(&i) {
            return Err(arg_err(
                function,
                format!("feature '{name}' is listed twice"),
            ));
        }
        indices.push(i);
    }
    let features: Vec<String> = indices
        .iter()
        .map(|&i| schema.field(i).name().clone())
        .collect();
    if let Some(name) = transform.unknown_feature(&features) {
        return Err(arg_err(
            function,
            format!(
                "transform names '{name}', which is not a feature (features: {}); add it to features => or leave it out of the map",
                features.join(", ")
            ),
        ));
    }
    let columns: Vec<Expr> = indices
        .iter()
        .map(|&i| Expr::Column(Column::from(schema.qualified_field(i))))
        .collect();
    let plan = LogicalPlanBuilder::from(input).project(columns)?.build()?;
    Ok(FitInput { features, plan })
}

impl FitInput {
    /// What the fit's operator reads and where the features are in it: the whole `input` for
    /// a rows view (which passes every column through), else the input cut down to the
    /// features.
    pub(crate) fn operator_input(
        &self,
        function: &'static str,
        rows: bool,
        input: LogicalPlan,
    ) -> Result<(LogicalPlan, Vec<usize>)> {
        if rows {
            let indices = input_indices(function, &self.features, input.schema())?;
            Ok((input, indices))
        } else {
            Ok((self.plan.clone(), (0..self.features.len()).collect()))
        }
    }
}

/// The features' column indices in the full input.
pub(crate) fn input_indices(
    function: &'static str,
    features: &[String],
    schema: &DFSchema,
) -> Result<Vec<usize>> {
    features
        .iter()
        .map(|f| find_feature(function, schema, f))
        .collect()
}

/// The names in `features => 'a, b'`.
fn listed_features(function: &'static str, list: &str) -> Result<Vec<String>> {
    let names: Vec<String> = list
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Err(arg_err(
            function,
            "features must name at least one column, e.g. features => 'recency_days, monetary'",
        ));
    }
    Ok(names)
}

/// recency_days, frequency, monetary when all present; else every numeric non-id column.
fn default_features(function: &'static str, schema: &DFSchema) -> Result<Vec<String>> {
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
            function,
            format!(
                "the input has no numeric columns to use as features (columns: {}); \
                 convert some to numbers in a subquery first, as in \
                 (SELECT CAST(<column> AS DOUBLE) AS <column> FROM <table>)",
                column_list(schema)
            ),
        ));
    }
    Ok(numeric)
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
    parse(text).ok_or_else(|| arg_err(args.function(), format!("'{name}' cannot be '{text}'")))
}
