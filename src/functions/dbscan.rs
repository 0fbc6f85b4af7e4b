//! `dbscan(input, eps, min_samples [, options])`: density-based segments and noise in SQL —
//! the input's rows with `segment` (−1 for noise, as scikit-learn's labels; segments numbered
//! 0.. by descending size), `is_core`, `distance` (to the nearest core point) and `label`; or
//! with `view => 'segments'` one row per segment plus the noise row. Preprocessing as
//! `kmeans_fit`'s; `eps` is a radius in that fitted (transformed and scaled) space.
//!
//! ```sql
//! SELECT segment, count(*) FROM dbscan(rfm(sales), 0.3, 10, model => 'd') GROUP BY segment;
//! SELECT * FROM dbscan(rfm(sales), 0.3, 10, view => 'segments');
//! SELECT k_distance FROM dbscan_eps(rfm(sales), 10) WHERE knee;   -- an eps to start from
//! ```
//!
//! The algorithm is [`crate::dbscan`]; the operator, shared with `hclust_fit`, is
//! [`crate::functions::common::labelled_fit`].

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
use crate::functions::common::labelled_tables::{dbscan_segments_schema, rows_schema};
use crate::functions::common::store_function;
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};

const NAME: &str = "dbscan";

/// Largest `min_samples` accepted.
pub(crate) const MAX_MIN_SAMPLES: i64 = 100_000;

/// `min_samples`, shared with `dbscan_eps`.
pub(crate) const MIN_SAMPLES: Param = Param {
    name: "min_samples",
    kind: ParamKind::Integer,
    positional: true,
    required: true,
    doc: "rows within eps of a row, itself included, that make it a core row (1 to 100000; scikit-learn's min_samples)",
};

/// The declaration of `dbscan()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        INPUT,
        Param {
            name: "eps",
            kind: ParamKind::Float,
            positional: true,
            required: true,
            doc: "the neighbourhood radius, a number above 0, in the fitted space (after transform and scale; with the default scale one unit is one standard deviation); dbscan_eps(input, min_samples) suggests one",
        },
        MIN_SAMPLES,
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
            doc: "'rows' (default: the input's rows with their segment) or 'segments' (one row per segment, then the noise row)",
        },
    ],
    description: "DBSCAN: rows with at least min_samples rows within eps (themselves included) are \
                  core rows; core rows within eps of each other share a segment; any other row \
                  joins the segment of its nearest core row when that is within eps (a border row), \
                  else it is noise (segment -1). Features are prepared as kmeans_fit prepares them \
                  and eps is measured in that fitted space (Euclidean). Core rows and noise are \
                  scikit-learn's DBSCAN's exactly; a border row within eps of two segments goes to \
                  its nearest core row, where scikit-learn takes the segment it expands first. \
                  Segments are numbered 0.. by descending size. The rows view is every input \
                  column plus segment, is_core, distance (to the nearest core row) and label \
                  (NULL for a row with a NULL feature; input columns with those names become \
                  input_<name>); view => 'segments' is kmeans_fit's segment table plus a noise row \
                  (segment -1, no centroid, avg_<feature> over the noise rows). A saved model \
                  scores new rows with assign_segment by the same rule: the segment of the nearest \
                  core row within eps, else -1. A k-d tree finds neighbours; the result does not \
                  depend on the input's partitioning.",
    example: "SELECT * FROM dbscan(rfm(sales), 0.5, 10, view => 'segments')",
    columns: &[
        (
            "<input columns>, segment, is_core, distance, label",
            "the rows view: INT (-1 noise), BOOLEAN, DOUBLE (fitted space), TEXT ('noise' for noise)",
        ),
        (
            "segment, size, share, <feature>, avg_<feature>, sse, label",
            "view => 'segments': as kmeans_fit, plus the noise row",
        ),
    ],
};

store_function!(DbscanFunction, "runs DBSCAN, saving `model => ...` fits");

impl SegqlTableFunction for DbscanFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let eps = eps_argument(&args)?;
        let min_samples = min_samples_argument(&args)?;
        let options = preprocessing_options(&args)?;
        let model = model_name(&args)?;
        let view = args.choice("view", &["rows", "segments"], "rows")?;
        let fit = fit_input(&args, input.clone(), &options.transform)?;
        let features = fit.features.clone();
        let rows = view == "rows";
        let (schema, emit) = if rows {
            (rows_schema(input.schema(), true), Emit::Rows)
        } else {
            (dbscan_segments_schema(&features), Emit::Segments)
        };
        let (input, indices) = fit.operator_input(NAME, rows, input)?;
        let plan = LabelledPlan {
            function: NAME,
            features,
            indices,
            options,
            method: Method::Dbscan { eps, min_samples },
            model,
            schema,
            emit,
        };
        scan(Arc::new(plan), Arc::clone(&self.store), input)
    }
}

/// `eps`: a finite number above 0.
fn eps_argument(args: &Args) -> Result<f64> {
    let eps = args.float("eps");
    match eps {
        Some(eps) if eps.is_finite() && eps > 0.0 => Ok(eps),
        _ => Err(arg_err(
            NAME,
            format!(
                "eps must be a number above 0 (a radius in the fitted space), got {}; \
                 dbscan_eps(input, min_samples) suggests one",
                eps.map_or("NULL".to_string(), |e| e.to_string())
            ),
        )),
    }
}

/// `min_samples`: 1 to [`MAX_MIN_SAMPLES`].
pub(crate) fn min_samples_argument(args: &Args) -> Result<usize> {
    let value = args.integer("min_samples");
    match value {
        Some(m) if (1..=MAX_MIN_SAMPLES).contains(&m) => Ok(m as usize),
        _ => Err(arg_err(
            args.function(),
            format!(
                "min_samples must be an integer from 1 to {MAX_MIN_SAMPLES}, got {}",
                value.map_or("NULL".to_string(), |m| m.to_string())
            ),
        )),
    }
}
