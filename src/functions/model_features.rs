//! `model_features('m')`: what a saved model did with each feature — BigQuery's
//! `ML.FEATURE_INFO` and the preprocessing: the transform with its λ and shift, the scaler with
//! its centre and scale, and the training values' summary before and after the transform.
//!
//! ```sql
//! SELECT feature, transform, lambda, skew, skew_after FROM model_features('seg');
//! ```

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use crate::functions::common::model_table::{MODEL_NAME, batch_plan, named_model};
use crate::functions::common::result_columns::{bigints, doubles, ints, texts};
use crate::functions::common::store_function;
use crate::model::{FeatureModel, FeatureStats};
use crate::planner::{Args, FunctionSpec, SegqlTableFunction};

const NAME: &str = "model_features";

/// The declaration of `model_features()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[MODEL_NAME],
    description: "A saved model's features, one row each in the model's order: the kind, the \
                  fitted transform with its λ and shift, the scaler with its centre and scale, \
                  and the training values' mean, std, min, max, skewness before and after the \
                  transform (pandas' skew()) and NULL count (NULL for models saved before \
                  segql recorded them).",
    example: "SELECT feature, transform, lambda, skew, skew_after FROM model_features('seg')",
    columns: &[
        (
            "feature, position",
            "TEXT, INT: the column and its place in every centroid (from 0)",
        ),
        ("kind", "TEXT: 'numeric'"),
        (
            "transform, lambda, shift, transform_detail",
            "TEXT, DOUBLE, DOUBLE, TEXT: the fitted transform (lambda for boxcox and yeojohnson)",
        ),
        (
            "scaler, scaler_center, scaler_scale",
            "TEXT, DOUBLE, DOUBLE: standard, robust, minmax or none; z = (value - center) / scale",
        ),
        (
            "mean, std, min, max",
            "DOUBLE: the training values in original units (population std)",
        ),
        (
            "skew, skew_after",
            "DOUBLE: skewness before and after the transform",
        ),
        ("nulls", "BIGINT: training rows where the feature was NULL"),
    ],
};

store_function!(ModelFeaturesFunction, "lists a saved model's features");

impl SegqlTableFunction for ModelFeaturesFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let model = named_model(NAME, self.store.as_ref(), args.text("model"))?;
        batch_plan(NAME, features_table(&model.features)?)
    }
}

fn schema() -> SchemaRef {
    let double = |name: &str| Field::new(name, DataType::Float64, true);
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("feature", DataType::Utf8, false),
        Field::new("position", DataType::Int32, false),
        text("kind"),
        text("transform"),
        double("lambda"),
        double("shift"),
        text("transform_detail"),
        text("scaler"),
        double("scaler_center"),
        double("scaler_scale"),
        double("mean"),
        double("std"),
        double("min"),
        double("max"),
        double("skew"),
        double("skew_after"),
        Field::new("nulls", DataType::Int64, true),
    ]))
}

fn features_table(features: &[FeatureModel]) -> Result<RecordBatch> {
    let rows: Vec<(usize, &FeatureModel)> = features.iter().enumerate().collect();
    let stat = |f: fn(&FeatureStats) -> Option<f64>| {
        doubles(&rows, move |(_, m): &(usize, &FeatureModel)| {
            m.stats.as_ref().and_then(f)
        })
    };
    let columns = vec![
        texts(&rows, |(_, m)| Some(m.name.as_str())),
        ints(&rows, |(j, _)| Some(*j as i32)),
        texts(&rows, |_| Some("numeric")),
        texts(&rows, |(_, m)| Some(m.transform.name())),
        doubles(&rows, |(_, m)| m.transform.lambda()),
        doubles(&rows, |(_, m)| Some(m.transform.shift())),
        texts(&rows, |(_, m)| Some(m.transform.describe())),
        texts(&rows, |(_, m)| {
            Some(m.scaler.map_or("none", |s| s.kind.name()))
        }),
        doubles(&rows, |(_, m)| m.scaler.map(|s| s.center)),
        doubles(&rows, |(_, m)| m.scaler.map(|s| s.scale)),
        stat(|s| Some(s.mean)),
        stat(|s| Some(s.std)),
        stat(|s| Some(s.min)),
        stat(|s| Some(s.max)),
        stat(|s| s.skew),
        stat(|s| s.skew_after),
        bigints(&rows, |(_, m)| m.stats.map(|s| s.nulls as i64)),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}
