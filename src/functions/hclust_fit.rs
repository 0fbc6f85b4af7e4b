//! `hclust_fit(input, k [, linkage => 'ward', options])`: agglomerative hierarchical
//! clustering cut into k segments, with `kmeans_fit`'s output (one row per segment) or with
//! `view => 'rows'` the input's rows and their segment. Preprocessing as `kmeans_fit`'s.
//!
//! ```sql
//! SELECT * FROM hclust_fit(rfm(sales), 4, linkage => 'ward', model => 'h');
//! SELECT * FROM hclust_tree('h');                 -- the dendrogram's merges
//! SELECT * FROM assign_segment('h', rfm(new_sales));  -- nearest segment centroid
//! ```
//!
//! The algorithm is [`crate::hclust`] (SciPy's `linkage`); the operator, shared with `dbscan`,
//! is [`crate::functions::common::labelled_fit`].

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use crate::error::arg_err;
use crate::functions::common::fit_options::{
    FEATURES, INPUT, MODEL, NULLS, SCALE, SHIFT, STANDARDIZE, TRANSFORM, fit_input, model_name,
    preprocessing_options,
};
use crate::functions::common::labelled_fit::{Emit, LabelledPlan, Method, scan};
use crate::functions::common::labelled_tables::rows_schema;
use crate::functions::common::store_function;
use crate::functions::kmeans_fit::{MAX_K, output_schema};
use crate::hclust::Linkage;
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};

const NAME: &str = "hclust_fit";

/// `linkage => 'ward'`, shared with `hclust_tree`.
pub(crate) const LINKAGE: Param = Param {
    name: "linkage",
    kind: ParamKind::Text,
    positional: false,
    required: false,
    doc: "'ward' (default: the merge that least increases the within-segment sum of squares), 'complete' (largest distance between members), 'average' (mean distance) or 'single' (smallest distance)",
};

/// The declaration of `hclust_fit()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        INPUT,
        Param {
            name: "k",
            kind: ParamKind::Integer,
            positional: true,
            required: true,
            doc: "number of segments, 1 to 1000 and at most the number of distinct rows",
        },
        LINKAGE,
        FEATURES,
        TRANSFORM,
        SHIFT,
        SCALE,
        STANDARDIZE,
        NULLS,
        MODEL,
        Param {
            name: "view",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "'segments' (default: one row per segment) or 'rows' (the input's rows with their segment)",
        },
    ],
    description: "Agglomerative hierarchical clustering of the input rows, cut into k segments: \
                  SciPy's linkage (Euclidean distances in the fitted space, features prepared as \
                  kmeans_fit prepares them) and fcluster(..., k, 'maxclust'). One row per segment, \
                  kmeans_fit's columns (centroids are the members' means), numbered 0.. by \
                  descending size; view => 'rows' is every input column plus segment, distance \
                  (to the segment's centroid) and label. Exact up to 100,000 rows for ward and \
                  single linkage (memory grows with the rows, time with their square: about a \
                  minute at the limit) and 20,000 rows for complete and average linkage (they \
                  keep every pairwise distance, 1.6 GB at the limit); above that the call fails \
                  and says how to cluster a sample. A saved model scores new rows by their nearest \
                  segment centroid (assign_segment), and keeps its merge tree for hclust_tree. The \
                  result does not depend on the input's partitioning.",
    example: "SELECT * FROM hclust_fit(rfm(sales), 4, linkage => 'ward', model => 'h')",
    columns: &[
        (
            "segment, size, share, <feature>, avg_<feature>, sse, label",
            "as kmeans_fit",
        ),
        (
            "<input columns>, segment, distance, label",
            "view => 'rows'",
        ),
    ],
};

store_function!(
    HclustFitFunction,
    "fits hierarchical segments, saving `model => ...` fits"
);

impl SegqlTableFunction for HclustFitFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let k = match args.integer("k") {
            Some(k) if (1..=MAX_K).contains(&k) => k as usize,
            other => {
                return Err(arg_err(
                    NAME,
                    format!(
                        "k must be an integer from 1 to {MAX_K}, got {}",
                        other.map_or("NULL".to_string(), |k| k.to_string())
                    ),
                ));
            }
        };
        let linkage = linkage_argument(&args)?;
        let options = preprocessing_options(&args)?;
        let model = model_name(&args)?;
        let view = args.choice("view", &["segments", "rows"], "segments")?;
        let fit = fit_input(&args, input.clone(), &options.transform)?;
        let features = fit.features.clone();
        let rows = view == "rows";
        let (schema, emit) = if rows {
            (rows_schema(input.schema(), false), Emit::Rows)
        } else {
            (output_schema(&features), Emit::Segments)
        };
        let (input, indices) = fit.operator_input(NAME, rows, input)?;
        let plan = LabelledPlan {
            function: NAME,
            features,
            indices,
            options,
            method: Method::Hclust { k, linkage },
            model,
            schema,
            emit,
        };
        scan(Arc::new(plan), Arc::clone(&self.store), input)
    }
}

/// `linkage => ...`, parsed (default Ward).
pub(crate) fn linkage_argument(args: &Args) -> Result<Linkage> {
    let text = args.choice(
        "linkage",
        &["ward", "complete", "average", "single"],
        "ward",
    )?;
    Linkage::parse(text)
        .ok_or_else(|| arg_err(args.function(), format!("unknown linkage '{text}'")))
}
