//! `dbscan_eps(input, min_samples [, options])`: help choosing DBSCAN's `eps` — every row's
//! distance to its `min_samples`-th nearest row (itself included), sorted: the k-distance
//! curve, with its knee flagged. A row is a core row for an `eps` exactly when its k-distance
//! is at most `eps`, so the knee, where the curve turns steep, separates dense rows from
//! sparse ones.
//!
//! ```sql
//! SELECT k_distance FROM dbscan_eps(rfm(sales), 10) WHERE knee;
//! ```

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use crate::functions::common::fit_options::{
    FEATURES, FitInput, INPUT, NULLS, SCALE, SHIFT, STANDARDIZE, TRANSFORM, fit_input,
    preprocessing_options,
};
use crate::functions::common::labelled_fit::{Emit, LabelledPlan, Method, scan};
use crate::functions::common::labelled_tables::curve_schema;
use crate::functions::common::store_function;
use crate::functions::dbscan::{MIN_SAMPLES, min_samples_argument};
use crate::planner::{Args, FunctionSpec, SegqlTableFunction};

const NAME: &str = "dbscan_eps";

/// The declaration of `dbscan_eps()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        INPUT,
        MIN_SAMPLES,
        FEATURES,
        TRANSFORM,
        SHIFT,
        SCALE,
        STANDARDIZE,
        NULLS,
    ],
    description: "The k-distance curve for choosing dbscan's eps: each row's Euclidean distance, in \
                  the fitted space dbscan uses (the same features and preprocessing options), to \
                  its min_samples-th nearest row counting itself, sorted ascending. A row is a core \
                  row of dbscan(input, eps, min_samples) exactly when its k-distance is at most \
                  eps. knee marks the point farthest below the straight line from the curve's first \
                  to its last point (both axes scaled to 0-1), where it turns steep: its k_distance \
                  is a suggested eps. At most 1000 points of the curve are returned, evenly spaced \
                  by rank, the knee among them.",
    example: "SELECT k_distance AS eps FROM dbscan_eps(rfm(sales), 10) WHERE knee",
    columns: &[
        ("rank", "BIGINT: the row's place on the sorted curve, 1.."),
        (
            "share",
            "DOUBLE: rank / rows: the share of rows with this k-distance or less",
        ),
        (
            "k_distance",
            "DOUBLE: the distance to the min_samples-th nearest row",
        ),
        ("knee", "BOOLEAN: true on the suggested eps"),
    ],
};

store_function!(
    DbscanEpsFunction,
    "draws the k-distance curve that suggests DBSCAN's eps"
);

impl SegqlTableFunction for DbscanEpsFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let min_samples = min_samples_argument(&args)?;
        let options = preprocessing_options(&args)?;
        let FitInput { features, plan } = fit_input(&args, input, &options.transform)?;
        let plan_of_fit = LabelledPlan {
            function: NAME,
            indices: (0..features.len()).collect(),
            features,
            options,
            method: Method::KDistance { min_samples },
            model: None,
            schema: curve_schema(),
            emit: Emit::Curve,
        };
        scan(Arc::new(plan_of_fit), Arc::clone(&self.store), plan)
    }
}
