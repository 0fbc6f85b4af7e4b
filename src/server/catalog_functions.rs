//! Postgres functions that drivers call while connecting or listing tables, where
//! datafusion-postgres has none: `version()` worded as Postgres words it, the visibility and
//! constraint helpers of SQLAlchemy's reflection queries, and the function helpers of psql's
//! `\df`. segql serves one schema of plain tables (no domains, no constraints), so the answers
//! are simple and true; the functions listed are segql's own ([`super::pg_proc`]).
//!
//! ```sql
//! SELECT version();                          -- PostgreSQL 16.6 (segql 0.1.0 on Apache DataFusion 55.2.0)
//! SELECT pg_type_is_visible(23);             -- true
//! SELECT pg_get_constraintdef(1, true);      -- NULL: there are no constraints
//! SELECT pg_get_function_arguments(p.oid) FROM pg_proc p WHERE proname = 'kmeans_fit';
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, StringArray, new_null_array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility, create_udf,
};

use super::pg_proc::{ProcEntry, proc_entries};

/// The functions, ready to register.
pub fn catalog_functions() -> Vec<ScalarUDF> {
    vec![
        version(),
        always_true("pg_type_is_visible"),
        always_true("pg_function_is_visible"),
        null_text("pg_get_constraintdef", &[1, 2]),
        null_text("pg_get_indexdef", &[1, 3]),
        // segql's tables and columns carry no comments
        null_text("col_description", &[2]),
        function_text("pg_get_function_arguments", Answer::Arguments),
        function_text("pg_get_function_identity_arguments", Answer::Arguments),
        function_text("pg_get_function_result", Answer::Result),
        like_backslash_pattern(),
    ]
}

/// `version()`, which drivers parse (SQLAlchemy reads the number after "PostgreSQL").
fn version() -> ScalarUDF {
    let text = format!(
        "PostgreSQL 16.6 (segql {} on Apache DataFusion {})",
        env!("CARGO_PKG_VERSION"),
        datafusion::DATAFUSION_VERSION
    );
    create_udf(
        "version",
        vec![],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(move |_: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text.clone()))))
        }),
    )
}

/// Every type and function is visible: there is one schema search path.
fn always_true(name: &str) -> ScalarUDF {
    ScalarUDF::new_from_impl(CatalogHelper::new(
        name,
        &[1],
        DataType::Boolean,
        Answer::True,
    ))
}

/// A function with nothing to report here (no constraints, no indexes): NULL text, for any
/// of `arities` arguments of any type (drivers pass oids as int4 or int8).
fn null_text(name: &str, arities: &[usize]) -> ScalarUDF {
    ScalarUDF::new_from_impl(CatalogHelper::new(
        name,
        arities,
        DataType::Utf8,
        Answer::Null,
    ))
}

/// A text column of segql's own functions in `pg_proc`, looked up by oid; NULL for others.
fn function_text(name: &str, answer: Answer) -> ScalarUDF {
    ScalarUDF::new_from_impl(CatalogHelper::new(name, &[1], DataType::Utf8, answer))
}

/// What a helper answers.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Answer {
    True,
    Null,
    /// A segql function's argument list.
    Arguments,
    /// A segql function's result type.
    Result,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CatalogHelper {
    name: String,
    signature: Signature,
    returns: DataType,
    answer: Answer,
}

impl CatalogHelper {
    fn new(name: &str, arities: &[usize], returns: DataType, answer: Answer) -> Self {
        let signatures = arities.iter().map(|&n| TypeSignature::Any(n)).collect();
        Self {
            name: name.to_string(),
            signature: Signature::one_of(signatures, Volatility::Stable),
            returns,
            answer,
        }
    }
}

impl ScalarUDFImpl for CatalogHelper {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.returns.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let array: ArrayRef = match &self.answer {
            Answer::True => Arc::new(BooleanArray::from(vec![true; rows])),
            Answer::Null => new_null_array(&DataType::Utf8, rows),
            Answer::Arguments | Answer::Result => {
                let text = |entry: &ProcEntry| match self.answer {
                    Answer::Result => entry.result.clone(),
                    _ => entry.arguments.clone(),
                };
                let oids = cast(&args.args[0].to_array(rows)?, &DataType::Int64)?;
                let oids = oids.as_primitive::<Int64Type>();
                let entries = proc_entries();
                Arc::new(
                    oids.iter()
                        .map(|oid| {
                            oid.and_then(|oid| entries.iter().find(|e| i64::from(e.oid) == oid))
                                .map(text)
                        })
                        .collect::<StringArray>(),
                )
            }
        };
        let scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?)
        } else {
            ColumnarValue::Array(array)
        })
    }
}

/// `pattern` (escaped with the one-character `escape`) in the backslash escape DataFusion's
/// LIKE takes; see `sql_compat`.
fn like_backslash_pattern() -> ScalarUDF {
    create_udf(
        "like_backslash_pattern",
        vec![DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let patterns = arrays[0].as_string::<i32>();
            let escapes = arrays[1].as_string::<i32>();
            let converted: StringArray = patterns
                .iter()
                .zip(escapes.iter())
                .map(|(pattern, escape)| {
                    let escape = escape.and_then(|e| e.chars().next()).unwrap_or('\\');
                    pattern.map(|p| super::sql_compat::with_backslash_escape(p, escape))
                })
                .collect();
            let scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
            Ok(if scalar {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&converted, 0)?)
            } else {
                ColumnarValue::Array(Arc::new(converted))
            })
        }),
    )
}
