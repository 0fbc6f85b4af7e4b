//! `model_segments('m')`: a saved model's segments, the table `kmeans_fit` returned when it
//! saved the model (size, share, centroids and member means in original units, sse, label),
//! so a report or a BI tool can show a model without refitting it.
//!
//! ```sql
//! SELECT segment, size, share, label FROM model_segments('seg');
//! ```

use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use crate::functions::common::model_table::{MODEL_NAME, batch_plan, named_segment_model};
use crate::functions::common::store_function;
use crate::functions::kmeans_fit::{output_schema, segment_table};
use crate::planner::{Args, FunctionSpec, SegqlTableFunction};

const NAME: &str = "model_segments";

/// The declaration of `model_segments()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[MODEL_NAME],
    description: "A saved model's segments, one row each, as kmeans_fit returned them: segment, \
                  size, share, the centroid of each feature in original units, avg_<feature>, \
                  sse and label (the analyst's name after rename_segments).",
    example: "SELECT segment, size, share, label FROM model_segments('seg')",
    columns: &[
        ("segment, size, share", "as in kmeans_fit"),
        (
            "<feature>, avg_<feature>",
            "DOUBLE: each feature's centroid and member mean, in original units",
        ),
        ("sse, label", "as in kmeans_fit"),
    ],
};

store_function!(ModelSegmentsFunction, "lists a saved model's segments");

impl SegqlTableFunction for ModelSegmentsFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let model = named_segment_model(NAME, self.store.as_ref(), args.text("model"))?;
        let features: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
        let batch = segment_table(&output_schema(&features), &model)?;
        batch_plan(NAME, batch)
    }
}
