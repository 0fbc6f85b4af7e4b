//! The SQL layer: one file per SQL function, named after it.
//!
//! Table functions implement [`crate::planner::SegqlTableFunction`] and are planned by the
//! relation planner; scalar and aggregate functions are ordinary DataFusion UDFs. Functions
//! that use models share one [`ModelStore`].

pub mod assign_segment;
pub mod assign_segment_udf;
pub mod demo_transactions;
pub mod drop_model;
pub mod feature_columns;
pub mod fit_observer;
pub mod kmeans_fit;
pub mod kmeans_fit_exec;
pub mod rfm;
pub mod rfm_aggregate;
pub mod rfm_measures_groups;
pub mod rfm_ranks;
pub mod rfm_runs;
pub mod rfm_single_stage;
pub mod rfm_totals;
pub mod segql_check_finite;
pub mod segql_models;
pub mod segql_rfm_cell;
pub mod segql_rfm_measures;
pub mod segql_rfm_segment;
pub mod segql_timestamp;

use std::sync::{Arc, LazyLock};

use datafusion::logical_expr::{DocSection, Documentation};

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

use crate::model::ModelStore;
use crate::planner::SegqlTableFunction;

/// Every segql table function, with models in `store`.
pub fn table_functions(store: &Arc<dyn ModelStore>) -> Vec<Arc<dyn SegqlTableFunction>> {
    vec![
        Arc::new(rfm::Rfm),
        Arc::new(kmeans_fit::KMeansFitFunction::new(Arc::clone(store))),
        Arc::new(assign_segment::AssignSegmentFunction::new(Arc::clone(
            store,
        ))),
        Arc::new(segql_models::SegqlModelsFunction::new(Arc::clone(store))),
        Arc::new(demo_transactions::DemoTransactions),
    ]
}

/// The declarations of every segql table function, in reference order.
///
/// ```sql
/// SELECT * FROM rfm(sales);   -- rfm is the first of them
/// ```
pub fn table_function_specs() -> Vec<&'static crate::planner::FunctionSpec> {
    vec![
        &rfm::SPEC,
        &kmeans_fit::SPEC,
        &assign_segment::SPEC,
        &segql_models::SPEC,
        &demo_transactions::SPEC,
    ]
}

/// Every segql scalar function, with models in `store`.
pub fn scalar_functions(store: &Arc<dyn ModelStore>) -> Vec<Arc<ScalarUDF>> {
    vec![
        segql_timestamp::udf(),
        segql_check_finite::udf(),
        segql_rfm_segment::udf(),
        segql_rfm_cell::udf(),
        assign_segment_udf::udf(Arc::clone(store)),
        drop_model::udf(Arc::clone(store)),
    ]
}

/// Every segql aggregate function.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![rfm_aggregate::udaf(), segql_rfm_measures::udaf()]
}

/// The section segql's functions are documented under.
pub const DOC_SECTION: DocSection = DocSection {
    include: true,
    label: "Customer segmentation (segql)",
    description: Some("RFM analysis and K-Means segments"),
};

/// A scalar or aggregate function's documentation, built once.
pub(crate) type LazyDoc = LazyLock<Documentation>;

/// Documentation in segql's section: what the function does, its syntax, an example and its
/// arguments.
pub(crate) fn documentation(
    description: &str,
    syntax: &str,
    example: &str,
    arguments: &[(&str, &str)],
) -> Documentation {
    let mut builder = Documentation::builder(DOC_SECTION, description, syntax)
        .with_sql_example(format!("```sql\n{example}\n```"));
    for (name, doc) in arguments {
        builder = builder.with_argument(*name, *doc);
    }
    builder.build()
}

/// Every segql scalar and aggregate function's documentation, by name, in reference order.
pub fn expression_docs() -> Vec<(&'static str, &'static Documentation)> {
    vec![
        (rfm_aggregate::NAME, &*rfm_aggregate::DOC),
        (assign_segment_udf::NAME, &*assign_segment_udf::DOC),
        (drop_model::NAME, &*drop_model::DOC),
        (segql_timestamp::NAME, &*segql_timestamp::DOC),
        (segql_check_finite::NAME, &*segql_check_finite::DOC),
        (segql_rfm_segment::NAME, &*segql_rfm_segment::DOC),
        (segql_rfm_cell::NAME, &*segql_rfm_cell::DOC),
        (segql_rfm_measures::NAME, &*segql_rfm_measures::DOC),
    ]
}

/// The one input of a single-input operator rebuilt by `with_new_children`; an error naming
/// `function` and `operator` for any other number of children.
///
/// ```sql
/// EXPLAIN SELECT * FROM rfm(sales);  -- every segql operator there has one input
/// ```
pub(crate) fn only_child(
    mut children: Vec<Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
    function: &'static str,
    operator: &str,
) -> datafusion::common::Result<Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
    match (children.pop(), children.is_empty()) {
        (Some(input), true) => Ok(input),
        _ => Err(crate::error::arg_err(
            function,
            format!("{operator} takes exactly one input"),
        )),
    }
}

/// The argument types of a function of three integers named `names`: three `BIGINT`s, or an
/// error naming the argument that is not an integer.
///
/// ```sql
/// SELECT segql_rfm_cell(5, 4, 3);  -- '543'; segql_rfm_cell(5, 'x', 3) names f_score
/// ```
pub(crate) fn three_integers(
    function: &'static str,
    names: [&str; 3],
    arg_types: &[datafusion::arrow::datatypes::DataType],
) -> datafusion::common::Result<Vec<datafusion::arrow::datatypes::DataType>> {
    use datafusion::arrow::datatypes::DataType;
    if arg_types.len() != 3 {
        return Err(crate::error::arg_err(
            function,
            format!("expects ({})", names.join(", ")),
        ));
    }
    for (name, t) in names.iter().zip(arg_types) {
        if !(t.is_integer() || t == &DataType::Null) {
            return Err(crate::error::arg_err(
                function,
                format!("{name} must be an integer, got {t}"),
            ));
        }
    }
    Ok(vec![DataType::Int64; 3])
}

/// A scalar function's `result` (one value per row), returned as a scalar when every argument
/// was one.
///
/// ```sql
/// SELECT segql_rfm_segment(5, 5, 5);  -- constant arguments give a constant
/// ```
pub(crate) fn shaped_like_args(
    args: &[datafusion::logical_expr::ColumnarValue],
    result: datafusion::arrow::array::ArrayRef,
) -> datafusion::common::Result<datafusion::logical_expr::ColumnarValue> {
    use datafusion::logical_expr::ColumnarValue;
    Ok(
        if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
            ColumnarValue::Scalar(datafusion::common::ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(result)
        },
    )
}
