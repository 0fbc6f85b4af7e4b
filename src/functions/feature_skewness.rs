//! `feature_skewness(input [, features => 'a, b'])`: the skewness table an analyst draws up
//! before choosing transforms — each numeric feature's skewness raw and after log, sqrt, cbrt,
//! Box-Cox and Yeo-Johnson, and what `transform => 'auto'` would choose — in one call.
//!
//! ```sql
//! SELECT feature, skew, skew_log, skew_boxcox, auto_transform FROM feature_skewness(rfm(sales));
//! ```
//!
//! Skewness is pandas' `skew()` (the adjusted Fisher–Pearson estimator); `auto_statistic` is
//! the biased skewness `auto` decides on (Box-Cox above 1). NULLs are left out feature by
//! feature, as pandas does. The rows are read by the fit operator
//! ([`KMeansFitExec`](super::kmeans_fit::exec::KMeansFitExec)).

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::planner::RelationPlannerContext;

use super::common::fit_options::{FEATURES, FitInput, INPUT, fit_input};
use super::common::result_columns::{bigints, doubles, texts};
use super::common::store_function;
use super::kmeans_fit::{FitOutput, FitPlan, scan};
use crate::error::data_err;
use crate::model::{FeatureData, TrainOptions};
use crate::planner::{Args, FunctionSpec, SegqlTableFunction};
use crate::preprocess::{Diagnosis, TransformKind, TransformSpec, diagnose};

const NAME: &str = "feature_skewness";

/// The declaration of `feature_skewness()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[INPUT, FEATURES],
    description: "One row per feature: its skewness (pandas' skew(), the adjusted Fisher-Pearson \
                  estimator) raw and after log, sqrt, cbrt, Box-Cox and Yeo-Johnson, each fitted \
                  as a fit would fit it (shifted into its domain when needed, λ by maximum \
                  likelihood), the two λs, the biased skewness transform => 'auto' decides on \
                  and the transform it would choose (Box-Cox above 1). NULLs are left out feature \
                  by feature; skewness needs three values (NULL otherwise).",
    example: "SELECT feature, skew, skew_log, skew_boxcox, auto_transform FROM feature_skewness(rfm(sales))",
    columns: &[
        ("feature", "TEXT: the column"),
        ("rows, nulls", "BIGINT: values used and NULLs left out"),
        (
            "skew, skew_log, skew_sqrt, skew_cbrt, skew_boxcox, skew_yeojohnson",
            "DOUBLE: skewness raw and after each transform",
        ),
        (
            "boxcox_lambda, yeojohnson_lambda",
            "DOUBLE: the fitted exponents",
        ),
        (
            "auto_statistic, auto_transform",
            "DOUBLE, TEXT: the biased skewness and what transform => 'auto' applies ('boxcox' or 'none')",
        ),
    ],
};

store_function!(
    FeatureSkewnessFunction,
    "compares each feature's skewness under every transform"
);

impl SegqlTableFunction for FeatureSkewnessFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, _ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("input")?;
        let no_map = TransformSpec::all(TransformKind::Auto);
        let FitInput { features, plan } = fit_input(&args, input, &no_map)?;
        let fit = Arc::new(FitPlan {
            function: NAME,
            indices: (0..features.len()).collect(),
            features,
            options: TrainOptions::new(1),
            model: None,
            schema: skewness_schema(),
            search: None,
            output: FitOutput::Skewness,
        });
        scan(fit, Arc::clone(&self.store), plan)
    }
}

fn skewness_schema() -> SchemaRef {
    let double = |name: &str| Field::new(name, DataType::Float64, true);
    Arc::new(Schema::new(vec![
        Field::new("feature", DataType::Utf8, false),
        Field::new("rows", DataType::Int64, false),
        Field::new("nulls", DataType::Int64, false),
        double("skew"),
        double("skew_log"),
        double("skew_sqrt"),
        double("skew_cbrt"),
        double("skew_boxcox"),
        double("skew_yeojohnson"),
        double("boxcox_lambda"),
        double("yeojohnson_lambda"),
        double("auto_statistic"),
        Field::new("auto_transform", DataType::Utf8, true),
    ]))
}

/// One feature's row: its name, values used, NULLs and diagnosis (none without values).
struct Row<'a> {
    feature: &'a str,
    rows: usize,
    nulls: u64,
    diagnosis: Option<Diagnosis>,
}

/// `values` in ascending order: the statistics are sums, whose last bits would otherwise
/// depend on the order the rows arrived in (the partitioning, a cluster's tasks).
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    sorted
}

/// The table of `data`'s features (columns of their non-NULL values).
pub(crate) fn skewness_table(schema: &SchemaRef, data: &FeatureData) -> Result<RecordBatch> {
    for (name, values) in data.names.iter().zip(&data.columns) {
        if values.iter().any(|v| !v.is_finite()) {
            return Err(data_err(
                NAME,
                format!(
                    "feature '{name}' is NaN or infinite in the input; filter such rows out first"
                ),
            ));
        }
    }
    let rows: Vec<Row> = data
        .names
        .iter()
        .zip(&data.columns)
        .enumerate()
        .map(|(j, (feature, values))| Row {
            feature,
            rows: values.len(),
            nulls: data.nulls.get(j).copied().unwrap_or(0),
            diagnosis: (!values.is_empty()).then(|| diagnose(&sorted(values))),
        })
        .collect();
    let of = |f: fn(&Diagnosis) -> Option<f64>| {
        doubles(&rows, move |r: &Row| r.diagnosis.as_ref().and_then(f))
    };
    let columns = vec![
        texts(&rows, |r| Some(r.feature)),
        bigints(&rows, |r| Some(r.rows as i64)),
        bigints(&rows, |r| Some(r.nulls as i64)),
        of(|d| d.skew),
        of(|d| d.skew_log),
        of(|d| d.skew_sqrt),
        of(|d| d.skew_cbrt),
        of(|d| d.skew_boxcox),
        of(|d| d.skew_yeojohnson),
        of(|d| Some(d.boxcox_lambda)),
        of(|d| Some(d.yeojohnson_lambda)),
        of(|d| Some(d.auto_statistic)),
        texts(&rows, |r| r.diagnosis.as_ref().map(|d| d.auto_transform)),
    ];
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
