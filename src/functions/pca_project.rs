//! `pca_project('p', input)`: the input's rows with their coordinates on a saved PCA model's
//! components, the model's preprocessing repeated exactly — `pca`'s rows view for new data.
//!
//! ```sql
//! SELECT "CustomerID", pc1, pc2 FROM pca_project('p', rfm(new_sales));
//! ```

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use crate::functions::common::fit_options::INPUT;
use crate::functions::common::fit_options::input_indices;
use crate::functions::common::model_table::{MODEL_NAME, named_model_of};
use crate::functions::common::store_function;
use crate::functions::pca::{PcaOutput, PcaPlan, rows_schema, scan};
use crate::model::{ModelKind, TrainOptions};
use crate::planner::{Args, FunctionSpec, SegqlTableFunction};

const NAME: &str = "pca_project";

/// The declaration of `pca_project()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[MODEL_NAME, INPUT],
    description: "The input's rows with pc1..pcN, their coordinates on the components of a PCA \
                  model saved by pca(..., model => 'name'): each feature (found by name) is \
                  transformed and scaled as in the fit, centred and projected. A row with a \
                  NULL feature gets NULL coordinates.",
    example: "SELECT pc1, pc2 FROM pca_project('p', rfm(sales))",
    columns: &[(
        "<input columns>, pc1..pcN",
        "every input column (one named pc1... becomes input_pc1...) and the coordinates (DOUBLE)",
    )],
};

store_function!(PcaProjectFunction, "projects rows on a saved PCA");

impl SegqlTableFunction for PcaProjectFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let model = named_model_of(
            NAME,
            self.store.as_ref(),
            args.text("model"),
            ModelKind::Pca,
        )?;
        let features: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
        let indices = input_indices(NAME, &features, input.schema())?;
        let components = model.pca.as_ref().map_or(0, |p| p.components.len());
        let plan = Arc::new(PcaPlan {
            function: NAME,
            features,
            indices,
            options: TrainOptions::new(1),
            components,
            model: None,
            schema: rows_schema(input.schema(), components),
            output: PcaOutput::Project(Arc::clone(&model)),
        });
        scan(plan, Arc::clone(&self.store), input)
    }
}
