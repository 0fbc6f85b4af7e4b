//! `model_search('m')`: the search behind a `kmeans_fit(input, 'auto', model => 'm')` fit, the
//! table `kmeans_search` returned, kept in the model so the choice of k can be read back.
//!
//! ```sql
//! SELECT k, silhouette, stability, recommended FROM model_search('seg');
//! ```

use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use crate::error::arg_err;
use crate::functions::common::model_table::{MODEL_NAME, batch_plan, named_model_of};
use crate::functions::common::store_function;
use crate::functions::kmeans_search::{search_schema, search_table};
use crate::model::ModelKind;
use crate::planner::{Args, FunctionSpec, SegqlTableFunction};

const NAME: &str = "model_search";

/// The declaration of `model_search()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[MODEL_NAME],
    description: "The search that chose a saved 'auto' model's k, one row per candidate k, with \
                  the columns of kmeans_search (recommended is the k the model has).",
    example: "SELECT k, silhouette, stability, recommended FROM model_search('seg')",
    columns: &[("k, inertia, ..., fit_seconds", "as in kmeans_search")],
};

store_function!(
    ModelSearchFunction,
    "shows the search behind an 'auto' model"
);

impl SegqlTableFunction for ModelSearchFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let model = named_model_of(
            NAME,
            self.store.as_ref(),
            args.text("model"),
            ModelKind::Kmeans,
        )?;
        let Some(search) = &model.search else {
            return Err(arg_err(
                NAME,
                format!(
                    "model '{}' was fitted with k => {}, not 'auto', so it has no search; fit it with kmeans_fit(input, 'auto', model => '{}')",
                    model.name,
                    model.k(),
                    model.name
                ),
            ));
        };
        let batch = search_table(&search_schema(), &search.scores, &search.silhouette_method)?;
        batch_plan(NAME, batch)
    }
}
