//! `assign_segment('model', input)`: the input's rows with the segment each falls in under a
//! saved model, its distance to the segment's centroid (in the fitted space) and the label.
//!
//! The model is read once, when the query is planned; the plan is two ordinary projections,
//! so scoring streams through every partition in parallel. Input columns called `segment`,
//! `distance` or `label` (such as `rfm()`'s `segment`) are kept as `input_segment`, etc.
//!
//! ```sql
//! SELECT segment, label, count(*) FROM assign_segment('seg', rfm(sales)) GROUP BY 1, 2;
//! SELECT CustomerID, segment, distance FROM assign_segment('seg', 'new_customers.parquet');
//! ```

pub mod udf;

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, Result};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, cast, col, lit, when};

use crate::error::arg_err;
use crate::functions::common::feature_columns::find_feature;
use crate::functions::common::store_function;
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};
use udf::{explain_udf, snapshot_udf};

const NAME: &str = "assign_segment";
const ASSIGNMENT: &str = "__segql_assignment";
const EXPLANATION: &str = "__segql_explanation";
/// The columns scoring adds; input columns of these names become `input_<name>`.
const ADDED: [&str; 7] = [
    "segment",
    "distance",
    "label",
    "second_segment",
    "second_distance",
    "margin",
    "simple_silhouette",
];

/// The declaration of the `assign_segment` table function.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        Param {
            name: "model",
            kind: ParamKind::Text,
            positional: true,
            required: true,
            doc: "the name of a model saved with kmeans_fit(..., model => 'name')",
        },
        Param {
            name: "input",
            kind: ParamKind::Relation,
            positional: true,
            required: true,
            doc: "rows with the model's feature columns (found by name): rfm(...), a table, (SELECT ...), CTE or file path",
        },
    ],
    description: "Scores every input row with a saved model: the input's columns plus segment \
                  (INT, NULL when a feature is NULL), distance (to the segment's centroid, in the \
                  fitted space), label, and why: second_segment, second_distance, margin and \
                  simple_silhouette, computed only when the query reads them. Input columns named \
                  like an added column (segment, distance, label, ...) are renamed input_segment, \
                  input_distance, input_label, ...",
    example: "SELECT segment, label, count(*) FROM assign_segment('seg', rfm(sales)) GROUP BY segment, label ORDER BY segment",
    columns: &[
        (
            "<input columns>",
            "every input column (one named segment, distance or label becomes input_segment, ...)",
        ),
        (
            "segment",
            "INT: the nearest centroid's segment (NULL when a feature is NULL)",
        ),
        (
            "distance",
            "DOUBLE: Euclidean distance to that centroid in the fitted space",
        ),
        (
            "label",
            "TEXT: the segment's label (the analyst's name after rename_segments)",
        ),
        (
            "second_segment, second_distance",
            "INT, DOUBLE: the next nearest segment and its distance (NULL for k = 1); computed only when selected",
        ),
        (
            "margin",
            "DOUBLE: 1 - distance / second_distance: 0 on the border between the two segments, near 1 deep inside",
        ),
        (
            "simple_silhouette",
            "DOUBLE: (second_distance - distance) / max(distance, second_distance), MADlib's per-row silhouette",
        ),
    ],
};

store_function!(
    AssignSegmentFunction,
    "scores rows with a model from the store"
);

impl SegqlTableFunction for AssignSegmentFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let Some(name) = args.text("model") else {
            return Err(arg_err(NAME, "the model name is required"));
        };
        let model = self
            .store
            .load(&name)
            .map_err(|e| arg_err(NAME, e.to_string()))?;
        model.expect_segments(NAME).map_err(|e| arg_err(NAME, e))?;
        let schema = Arc::clone(input.schema());
        let features: Vec<Expr> = model
            .features
            .iter()
            .map(|f| {
                let i = find_feature(NAME, &schema, &f.name)?;
                let (qualifier, field) = schema.qualified_field(i);
                Ok(cast(
                    Expr::Column(Column::from((qualifier, field))),
                    DataType::Float64,
                ))
            })
            .collect::<Result<_>>()?;

        // Input columns, with the names we add moved aside.
        let passthrough: Vec<Expr> = schema
            .iter()
            .map(|(qualifier, field)| {
                let column = Expr::Column(Column::from((qualifier, field)));
                if ADDED.contains(&field.name().as_str()) {
                    column.alias(format!("input_{}", field.name()))
                } else {
                    column
                }
            })
            .collect();
        let kept: Vec<Expr> = passthrough
            .iter()
            .map(|e| match e {
                Expr::Alias(alias) => col(alias.name.as_str()),
                Expr::Column(c) => Expr::Column(c.clone()),
                other => other.clone(),
            })
            .collect();

        let explanation = explain_udf(Arc::clone(&model)).call(features.clone());
        let score = snapshot_udf(Arc::clone(&model)).call(features);
        let segment = get_field(col(ASSIGNMENT), "segment");
        // DBSCAN's noise is segment -1, labelled 'noise'
        let mut label = when(segment.clone().eq(lit(-1)), lit("noise"));
        for (i, s) in model.segments.iter().enumerate() {
            label = label.when(segment.clone().eq(lit(i as i32)), lit(s.label.clone()));
        }
        let label = label.end()?;

        let mut first = passthrough;
        first.push(score.alias(ASSIGNMENT));
        first.push(explanation.alias(EXPLANATION));
        let mut second = kept;
        second.push(segment.alias("segment"));
        second.push(get_field(col(ASSIGNMENT), "distance").alias("distance"));
        second.push(label.alias("label"));
        for field in [
            "second_segment",
            "second_distance",
            "margin",
            "simple_silhouette",
        ] {
            second.push(get_field(col(EXPLANATION), field).alias(field));
        }
        LogicalPlanBuilder::from(input)
            .project(first)?
            .project(second)?
            .build()
    }
}
