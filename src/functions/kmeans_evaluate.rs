//! `kmeans_evaluate('m', input [, view => 'segments'])`: how well a saved model segments any
//! data (the training data, next quarter's customers): one overall row, or one row per
//! segment. BigQuery's `ML.EVALUATE`, with the silhouette and per-segment detail.
//!
//! ```sql
//! SELECT * FROM kmeans_evaluate('seg', rfm(sales));
//! SELECT segment, size, mean_distance, silhouette, nearest_segment
//! FROM kmeans_evaluate('seg', rfm(new_sales), view => 'segments');
//! ```
//!
//! The rows are read by the fit operator ([`KMeansFitExec`](super::kmeans_fit::exec::KMeansFitExec)),
//! which places each in its nearest segment and measures the placement ([`crate::model::evaluate`]).

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{Column, Result};
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};

use super::common::feature_columns::find_feature;
use super::common::fit_options::{INPUT, SILHOUETTE_SAMPLE};
use super::common::model_table::{MODEL_NAME, named_segment_model};
use super::common::result_columns::{bigints, doubles, ints, texts};
use super::common::store_function;
use super::kmeans_fit::{FitOutput, FitPlan, scan};
use crate::model::{Evaluation, SegmentEvaluation, TrainOptions};
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};

const NAME: &str = "kmeans_evaluate";

/// The declaration of `kmeans_evaluate()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        MODEL_NAME,
        INPUT,
        Param {
            name: "view",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "'overall' (default: one row) or 'segments' (one row per segment)",
        },
        SILHOUETTE_SAMPLE,
        Param {
            name: "seed",
            kind: ParamKind::Integer,
            positional: false,
            required: false,
            doc: "the seed of the silhouette's sample (default 0)",
        },
    ],
    description: "Judges a saved model on any input with its feature columns: every row is placed \
                  in its segment as assign_segment places it (in the model's fitted space; rows \
                  with a NULL feature are counted and left out). Any model with segments: \
                  K-Means, hierarchical (rows placed by their nearest segment centre) and DBSCAN \
                  (rows placed by their nearest core row within eps; noise rows, in no segment, \
                  are left out of every measure and of rows). Distances are to the segment's \
                  centre (the members' mean for hierarchical and DBSCAN models). The overall view is one row: rows, k, inertia, \
                  mean_squared_distance, silhouette, davies_bouldin, calinski_harabasz, \
                  silhouette_method and skipped_rows. view => 'segments' gives one row per \
                  segment: segment, label, size, share, mean_distance and max_distance (to its \
                  centroid), silhouette (of its rows) and nearest_segment (whose centroid is \
                  nearest).",
    example: "SELECT * FROM kmeans_evaluate('seg', rfm(sales))",
    columns: &[
        (
            "rows, k",
            "BIGINT, INT: rows judged and the model's segments",
        ),
        (
            "inertia, mean_squared_distance",
            "DOUBLE: squared distances to the nearest centroid, summed and averaged",
        ),
        (
            "silhouette, davies_bouldin, calinski_harabasz",
            "DOUBLE: as in kmeans_search (NULL with fewer than two segments present)",
        ),
        ("silhouette_method", "TEXT: 'exact' or 'sample N'"),
        ("skipped_rows", "BIGINT: rows with a NULL feature"),
    ],
};

store_function!(KMeansEvaluateFunction, "judges a saved model on some data");

impl SegqlTableFunction for KMeansEvaluateFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let model = named_segment_model(NAME, self.store.as_ref(), args.text("model"))?;
        let segments = args.choice("view", &["overall", "segments"], "overall")? == "segments";
        let silhouette_sample =
            args.integer_in("silhouette_sample", 2..=10_000_000, 10_000)? as usize;
        let seed = args.integer_in("seed", 0..=i64::MAX, 0)? as u64;
        let schema = input.schema();
        let columns: Vec<Expr> = model
            .features
            .iter()
            .map(|f| {
                let i = find_feature(NAME, schema, &f.name)?;
                Ok(Expr::Column(Column::from(schema.qualified_field(i))))
            })
            .collect::<Result<_>>()?;
        let input = LogicalPlanBuilder::from(input).project(columns)?.build()?;
        let features: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
        let mut options = TrainOptions::new(model.k());
        options.kmeans.seed = seed;
        let fit = Arc::new(FitPlan {
            function: NAME,
            indices: (0..features.len()).collect(),
            features,
            options,
            model: None,
            schema: if segments {
                segments_schema()
            } else {
                overall_schema()
            },
            search: None,
            output: FitOutput::Evaluate {
                model,
                segments,
                silhouette_sample,
            },
        });
        scan(fit, Arc::clone(&self.store), input)
    }
}

fn overall_schema() -> SchemaRef {
    let double = |name: &str| Field::new(name, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        Field::new("rows", DataType::Int64, false),
        Field::new("k", DataType::Int32, false),
        double("inertia"),
        double("mean_squared_distance"),
        double("silhouette"),
        double("davies_bouldin"),
        double("calinski_harabasz"),
        Field::new("silhouette_method", DataType::Utf8, false),
        Field::new("skipped_rows", DataType::Int64, false),
    ]))
}

fn segments_schema() -> SchemaRef {
    let double = |name: &str| Field::new(name, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        Field::new("segment", DataType::Int32, false),
        Field::new("label", DataType::Utf8, false),
        Field::new("size", DataType::Int64, false),
        double("share"),
        double("mean_distance"),
        double("max_distance"),
        double("silhouette"),
        Field::new("nearest_segment", DataType::Int32, true),
    ]))
}

/// The evaluation as the table its view asks for.
pub(crate) fn evaluation_table(
    schema: &SchemaRef,
    evaluation: &Evaluation,
    labels: &[String],
    segments: bool,
) -> Result<RecordBatch> {
    let columns = if segments {
        let rows: Vec<(usize, &SegmentEvaluation)> =
            evaluation.segments.iter().enumerate().collect();
        vec![
            ints(&rows, |(c, _)| Some(*c as i32)),
            texts(&rows, |(c, _)| labels.get(*c)),
            bigints(&rows, |(_, s)| Some(s.size as i64)),
            doubles(&rows, |(_, s)| Some(s.share)),
            doubles(&rows, |(_, s)| s.mean_distance),
            doubles(&rows, |(_, s)| s.max_distance),
            doubles(&rows, |(_, s)| s.silhouette),
            ints(&rows, |(_, s)| s.nearest_segment.map(|j| j as i32)),
        ]
    } else {
        let e = std::slice::from_ref(evaluation);
        vec![
            bigints(e, |e| Some(e.rows as i64)),
            ints(e, |e| Some(e.segments.len() as i32)),
            doubles(e, |e| Some(e.inertia)),
            doubles(e, |e| (e.rows > 0).then(|| e.inertia / e.rows as f64)),
            doubles(e, |e| e.scores.silhouette),
            doubles(e, |e| e.scores.davies_bouldin),
            doubles(e, |e| e.scores.calinski_harabasz),
            texts(e, |e| Some(e.silhouette_method.clone())),
            bigints(e, |e| Some(e.skipped_rows as i64)),
        ]
    };
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
