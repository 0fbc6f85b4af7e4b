//! `model_components('p')`: a saved PCA model's components, the table
//! `pca(..., view => 'components')` returned when it saved the model.
//!
//! ```sql
//! SELECT component, explained_variance_ratio, cumulative_ratio FROM model_components('p');
//! ```

use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use crate::functions::common::model_table::{MODEL_NAME, batch_plan, named_model_of};
use crate::functions::common::store_function;
use crate::functions::pca::{components_schema, components_table};
use crate::model::ModelKind;
use crate::planner::{Args, FunctionSpec, SegqlTableFunction};

const NAME: &str = "model_components";

/// The declaration of `model_components()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[MODEL_NAME],
    description: "A saved PCA model's components, one row each: component, explained_variance, \
                  explained_variance_ratio, cumulative_ratio and each feature's loading, as \
                  pca(..., view => 'components') returned them.",
    example: "SELECT component, explained_variance_ratio, cumulative_ratio FROM model_components('p')",
    columns: &[(
        "component, explained_variance, explained_variance_ratio, cumulative_ratio, <feature>...",
        "as in pca's components view",
    )],
};

store_function!(ModelComponentsFunction, "lists a saved PCA's components");

impl SegqlTableFunction for ModelComponentsFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let model = named_model_of(
            NAME,
            self.store.as_ref(),
            args.text("model"),
            ModelKind::Pca,
        )?;
        let features: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
        batch_plan(
            NAME,
            components_table(&components_schema(&features), &model)?,
        )
    }
}
