//! Plumbing every SQL function shares: documentation in segql's section, the one-input rule of
//! segql's operators, argument checks and result shaping of scalar functions, and the feature
//! columns K-Means and scoring read.

/// The `ExecutionPlan` methods every one-input segql operator writes the same way: its `name`,
/// its `properties` and `input` fields as properties and only child, no expressions of its
/// own, and `with_new_children` rebuilding it over the one new child with its `with_input`
/// (any other number of children is an error naming `function`).
macro_rules! one_input_operator {
    ($name:literal, $function:expr) => {
        fn name(&self) -> &str {
            $name
        }

        fn properties(&self) -> &::std::sync::Arc<::datafusion::physical_plan::PlanProperties> {
            &self.properties
        }

        fn children(
            &self,
        ) -> Vec<&::std::sync::Arc<dyn ::datafusion::physical_plan::ExecutionPlan>> {
            vec![&self.input]
        }

        fn apply_expressions(
            &self,
            _f: &mut dyn FnMut(
                &::std::sync::Arc<dyn ::datafusion::physical_expr::PhysicalExpr>,
            ) -> ::datafusion::common::Result<
                ::datafusion::common::tree_node::TreeNodeRecursion,
            >,
        ) -> ::datafusion::common::Result<::datafusion::common::tree_node::TreeNodeRecursion> {
            Ok(::datafusion::common::tree_node::TreeNodeRecursion::Continue)
        }

        fn with_new_children(
            self: ::std::sync::Arc<Self>,
            children: Vec<::std::sync::Arc<dyn ::datafusion::physical_plan::ExecutionPlan>>,
        ) -> ::datafusion::common::Result<
            ::std::sync::Arc<dyn ::datafusion::physical_plan::ExecutionPlan>,
        > {
            let input = $crate::functions::common::only_child(children, $function, $name)?;
            Ok(::std::sync::Arc::new(self.with_input(input)?))
        }
    };
}
pub(crate) use one_input_operator;

/// A table function that reads or writes the model store: the struct holding the store and
/// its constructor (`store_function!(KMeansFitFunction, "fits, saving models into the store")`).
macro_rules! store_function {
    ($name:ident, $what:literal) => {
        #[doc = concat!("The table function that ", $what, ".")]
        #[derive(Debug)]
        pub struct $name {
            store: ::std::sync::Arc<dyn $crate::model::ModelStore>,
        }

        impl $name {
            /// The function over `store`.
            pub fn new(store: ::std::sync::Arc<dyn $crate::model::ModelStore>) -> Self {
                Self { store }
            }
        }
    };
}
pub(crate) use store_function;

/// The identity methods of a scalar or aggregate UDF impl holding a `signature` field: its
/// SQL `$name`, its `$doc` and that signature.
macro_rules! udf_identity {
    ($name:expr, $doc:expr) => {
        fn name(&self) -> &str {
            $name
        }

        fn documentation(&self) -> Option<&::datafusion::logical_expr::Documentation> {
            Some(&$doc)
        }

        fn signature(&self) -> &::datafusion::logical_expr::Signature {
            &self.signature
        }
    };
}
pub(crate) use udf_identity;

/// A scalar or aggregate function's `NAME` and `DOC`, the documentation read from its
/// Markdown page beside the file (`$page`, by default the name with `.md`).
macro_rules! function_doc {
    ($name:literal) => {
        $crate::functions::common::function_doc!($name, concat!($name, ".md"));
    };
    ($name:literal, $page:expr) => {
        /// The function's SQL name.
        pub const NAME: &str = $name;

        /// The function's documentation (`\\h` in the shell, the README reference).
        pub static DOC: $crate::functions::common::LazyDoc =
            $crate::functions::common::LazyDoc::new(|| {
                $crate::functions::common::markdown_doc(include_str!($page))
            });
    };
}
pub(crate) use function_doc;

pub(crate) mod by_address;
pub mod feature_columns;
pub(crate) mod fit_memory;
pub(crate) mod fit_options;
pub(crate) mod labelled_fit;
pub(crate) mod labelled_tables;
pub(crate) mod model_table;
pub(crate) mod money;
pub(crate) mod over_input;
pub(crate) mod result_columns;
pub(crate) mod scalar;
pub(crate) mod single_group;
#[cfg(test)]
pub(crate) mod test_partitions;
// only the cluster front end ships operators
#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
pub(crate) mod wire;

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

/// Documentation in segql's section, read from a function's Markdown page (the `.md` file
/// beside its code): the signature on the first line, the description, one ```` ```sql ````
/// example, then one `` - `argument`: meaning `` line per argument.
///
/// ```text
/// drop_model(name)
///
/// Removes a model from the model store and returns true; ...
///
/// ```sql
/// SELECT drop_model('seg');
/// ```
///
/// - `name`: the model name, a string literal
/// ```
pub(crate) fn markdown_doc(page: &str) -> Documentation {
    let mut lines = page.lines();
    let syntax = lines.next().unwrap_or_default().trim();
    let mut description = Vec::new();
    let mut example = Vec::new();
    let mut in_example = false;
    let mut arguments = Vec::new();
    for line in lines {
        match (in_example, line.trim_end()) {
            (false, "```sql") => in_example = true,
            (true, "```") => in_example = false,
            (true, code) => example.push(code),
            (false, item) if item.starts_with("- `") => {
                if let Some((name, meaning)) = item[3..].split_once("`: ") {
                    arguments.push((name, meaning));
                }
            }
            (false, "") => {}
            (false, text) if example.is_empty() => description.push(text),
            (false, _) => {}
        }
    }
    let description = description.join(" ");
    let mut doc = Documentation::builder(DOC_SECTION, description, syntax)
        .with_sql_example(format!("```sql\n{}\n```", example.join("\n")));
    for (name, meaning) in arguments {
        doc = doc.with_argument(name, meaning);
    }
    doc.build()
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
        _ => Err(crate::error::internal_err(
            function,
            format!("{operator} takes exactly one input"),
        )),
    }
}

/// `input` as one partition (merged by a `CoalescePartitionsExec` when it has several), for
/// the operators that see every row at once.
pub(crate) fn one_partition(
    input: Arc<dyn datafusion::physical_plan::ExecutionPlan>,
) -> Arc<dyn datafusion::physical_plan::ExecutionPlan> {
    use datafusion::physical_plan::ExecutionPlanProperties;
    if input.output_partitioning().partition_count() > 1 {
        Arc::new(datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec::new(input))
    } else {
        input
    }
}

/// The output schema (the `projection` of `full_schema`) and plan properties of an operator
/// that emits one partition once its input is done.
pub(crate) fn final_single_partition(
    full_schema: &datafusion::arrow::datatypes::SchemaRef,
    projection: Option<&Vec<usize>>,
) -> datafusion::common::Result<(
    datafusion::arrow::datatypes::SchemaRef,
    Arc<datafusion::physical_plan::PlanProperties>,
)> {
    use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
    let schema = match projection {
        Some(p) => Arc::new(full_schema.project(p)?),
        None => Arc::clone(full_schema),
    };
    let properties = Arc::new(datafusion::physical_plan::PlanProperties::new(
        datafusion::physical_expr::EquivalenceProperties::new(Arc::clone(&schema)),
        datafusion::physical_plan::Partitioning::UnknownPartitioning(1),
        EmissionType::Final,
        Boundedness::Bounded,
    ));
    Ok((schema, properties))
}

/// The stream of an operator's one input partition, for an operator that has exactly one
/// partition itself; asking it for another is a planner bug.
pub(crate) fn execute_only_partition(
    input: &Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    partition: usize,
    context: &Arc<datafusion::execution::TaskContext>,
    function: &'static str,
    operator: &str,
) -> datafusion::common::Result<datafusion::execution::SendableRecordBatchStream> {
    if partition != 0 {
        return Err(crate::error::internal_err(
            function,
            format!("{operator} has one partition, asked for {partition}"),
        ));
    }
    input.execute(0, Arc::clone(context))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_markdown_page_gives_a_whole_documentation() {
        for (name, doc) in crate::functions::expression_docs() {
            assert!(doc.syntax_example.starts_with(name), "{name}: {doc:?}");
            assert!(doc.description.len() > 20, "{name}: {doc:?}");
            let example = doc.sql_example.as_deref().unwrap_or_default();
            assert!(
                example.starts_with("```sql\nSELECT") && example.ends_with(";\n```"),
                "{name}: {example}"
            );
            let arguments = doc.arguments.as_deref().unwrap_or_default();
            assert!(
                !arguments.is_empty()
                    && arguments
                        .iter()
                        .all(|(n, m)| !n.is_empty() && !m.is_empty()),
                "{name}: {arguments:?}"
            );
        }
    }

    #[test]
    fn a_page_reads_into_its_parts() {
        let doc = markdown_doc(
            "f(a, b)\n\nDoes f,\nin two lines.\n\n```sql\nSELECT f(1, 2);\n```\n\n- `a`: the first\n- `b`: the second: with a colon\n",
        );
        assert_eq!(doc.syntax_example, "f(a, b)");
        assert_eq!(doc.description, "Does f, in two lines.");
        assert_eq!(
            doc.sql_example.as_deref(),
            Some("```sql\nSELECT f(1, 2);\n```")
        );
        assert_eq!(
            doc.arguments,
            Some(vec![
                ("a".to_string(), "the first".to_string()),
                ("b".to_string(), "the second: with a colon".to_string())
            ])
        );
    }
}
