//! Plumbing every SQL function shares: documentation in segql's section, the one-input rule of
//! segql's operators, argument checks and result shaping of scalar functions, and the feature
//! columns K-Means and scoring read.

pub mod feature_columns;

use std::sync::{Arc, LazyLock};

use datafusion::logical_expr::{DocSection, Documentation};

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
