//! `kmeans_search(input [, ks => '2..10', options])`: fit K-Means for every candidate k and
//! judge each fit, one row per k, so the number of segments is chosen in SQL rather than from
//! an elbow plot in a notebook.
//!
//! ```sql
//! SELECT k, inertia, silhouette, davies_bouldin, stability, elbow, recommended
//! FROM kmeans_search(rfm(sales), ks => '1..10', seed => 1);
//! ```
//!
//! The data is read and prepared once (canonical row order, transforms, scaling) and every k
//! is fitted on the same prepared rows by the same operator as `kmeans_fit`
//! ([`KMeansFitExec`](super::kmeans_fit::exec::KMeansFitExec)), which also serves
//! `kmeans_fit(input, 'auto')`.

pub mod ks;
pub mod segql_elbow;

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use super::kmeans_fit::{FitOutput, FitPlan, MAX_K};
use crate::error::arg_err;
use crate::functions::common::fit_options::{
    FitInput, INPUT, KS, MIN_SHARE, SILHOUETTE_SAMPLE, STABILITY, fit_input, fit_params,
    train_options,
};
use crate::functions::common::result_columns::{doubles, flags, ints, texts};
use crate::functions::common::store_function;
use crate::model::{KScore, SearchOptions};
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};
use ks::parse_ks;

const NAME: &str = "kmeans_search";

const MODEL_REFUSED: Param = Param {
    name: "model",
    kind: ParamKind::Text,
    positional: false,
    required: false,
    doc: "not accepted: the search saves nothing; kmeans_fit(input, 'auto', model => 'name') saves the recommended fit",
};

/// The declaration of `kmeans_search()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: fit_params!(
        [INPUT, KS],
        [MIN_SHARE, STABILITY, SILHOUETTE_SAMPLE, MODEL_REFUSED]
    ),
    description: "Fits K-Means for every candidate k on the same prepared rows and judges each \
                  fit: one row per k. Recommended is the best silhouette among the ks whose \
                  smallest segment holds at least min_share of the rows and whose stability, \
                  when measured, is at least 0.8; ties go to the elbow, then to the smaller k \
                  (when no k passes, the best silhouette of all). The elbow is the knee of the \
                  inertia curve as kneed's KneeLocator(curve='convex', direction='decreasing', \
                  S=1) finds it. Metrics are measured in the fitted (transformed and scaled) \
                  space, with scikit-learn's definitions; k = 1 has its inertia only.",
    example: "SELECT k, inertia, silhouette, stability, elbow, recommended FROM kmeans_search(rfm(sales), ks => '1..10')",
    columns: &[
        ("k", "INT: the number of segments"),
        (
            "inertia",
            "DOUBLE: sum of squared distances to the centroids",
        ),
        (
            "inertia_drop",
            "DOUBLE: share of the previous k's inertia this k removes (NULL on the first k)",
        ),
        (
            "silhouette",
            "DOUBLE: mean silhouette, -1 to 1, higher is better (NULL for k = 1)",
        ),
        (
            "davies_bouldin",
            "DOUBLE: Davies-Bouldin index, lower is better (NULL for k = 1)",
        ),
        (
            "calinski_harabasz",
            "DOUBLE: Calinski-Harabasz index, higher is better (NULL for k = 1)",
        ),
        (
            "smallest_share",
            "DOUBLE: the smallest segment's share of the rows",
        ),
        (
            "stability",
            "DOUBLE: mean adjusted Rand index to fits on resamples, 1 = the same segments (NULL when stability => 0, and for k = 1)",
        ),
        ("elbow", "BOOLEAN: the knee of the inertia curve"),
        ("recommended", "BOOLEAN: the k the rule picks (one row)"),
        ("silhouette_method", "TEXT: 'exact' or 'sample N'"),
        (
            "fit_seconds",
            "DOUBLE: time spent fitting this k (not judging it)",
        ),
    ],
};

store_function!(
    KMeansSearchFunction,
    "fits and judges K-Means for every candidate k"
);

impl SegqlTableFunction for KMeansSearchFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        if args.text("model").is_some() {
            return Err(arg_err(
                NAME,
                "model => is not accepted: the search saves nothing; save the recommended fit \
                 with kmeans_fit(input, 'auto', model => 'name')",
            ));
        }
        let input = args.take_relation("input")?;
        let search = search_options(&args)?;
        let options = train_options(&args, search.ks[0])?;
        let FitInput { features, plan } = fit_input(&args, input, &options.transform)?;
        let fit = Arc::new(FitPlan {
            function: NAME,
            indices: (0..features.len()).collect(),
            features,
            options,
            model: None,
            schema: search_schema(),
            search: Some(search),
            output: FitOutput::Search,
        });
        super::kmeans_fit::scan(fit, Arc::clone(&self.store), plan)
    }
}

/// The search a call asks for: `ks`, `min_share`, `stability`, `silhouette_sample`.
pub(crate) fn search_options(args: &Args) -> Result<SearchOptions> {
    let function = args.function();
    let mut options = SearchOptions::default();
    if let Some(text) = args.text("ks") {
        options.ks =
            parse_ks(&text, MAX_K as usize).map_err(|e| arg_err(function, e.to_string()))?;
    }
    if let Some(share) = args.float("min_share") {
        if !(0.0..=1.0).contains(&share) {
            return Err(arg_err(
                function,
                format!("min_share must be between 0 and 1, got {share}"),
            ));
        }
        options.min_share = share;
    }
    options.resamples = args.integer_in("stability", 0..=100, 3)? as usize;
    options.silhouette_sample =
        args.integer_in("silhouette_sample", 2..=10_000_000, 10_000)? as usize;
    Ok(options)
}

/// Whether a call names any of the search's own options.
pub(crate) fn names_search_options(args: &Args) -> Option<&'static str> {
    ["ks", "min_share", "stability", "silhouette_sample"]
        .into_iter()
        .find(|name| args.is_given(name))
}

/// The columns of the search table.
pub(crate) fn search_schema() -> SchemaRef {
    let double = |name: &str, nullable: bool| Field::new(name, DataType::Float64, nullable);
    Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int32, false),
        double("inertia", false),
        double("inertia_drop", true),
        double("silhouette", true),
        double("davies_bouldin", true),
        double("calinski_harabasz", true),
        double("smallest_share", false),
        double("stability", true),
        Field::new("elbow", DataType::Boolean, false),
        Field::new("recommended", DataType::Boolean, false),
        Field::new("silhouette_method", DataType::Utf8, false),
        double("fit_seconds", false),
    ]))
}

/// A search's scores as a table (rows in `ks` order).
pub(crate) fn search_table(
    schema: &SchemaRef,
    scores: &[KScore],
    silhouette_method: &str,
) -> Result<RecordBatch> {
    let columns = vec![
        ints(scores, |s| Some(s.k as i32)),
        doubles(scores, |s| Some(s.inertia)),
        doubles(scores, |s| s.inertia_drop),
        doubles(scores, |s| s.scores.silhouette),
        doubles(scores, |s| s.scores.davies_bouldin),
        doubles(scores, |s| s.scores.calinski_harabasz),
        doubles(scores, |s| Some(s.smallest_share)),
        doubles(scores, |s| s.stability),
        flags(scores, |s| Some(s.elbow)),
        flags(scores, |s| Some(s.recommended)),
        texts(scores, |_| Some(silhouette_method)),
        doubles(scores, |s| Some(s.fit_seconds)),
    ];
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
