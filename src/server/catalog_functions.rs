//! Postgres functions that drivers call while connecting or listing tables, where
//! datafusion-postgres has none: `version()` worded as Postgres words it, and the visibility
//! and constraint helpers of SQLAlchemy's reflection queries. segql serves one schema of plain
//! tables (no domains, no constraints), so the answers are simple and true.
//!
//! ```sql
//! SELECT version();                          -- PostgreSQL 16.6 (segql 0.1.0 on Apache DataFusion 55.2.0)
//! SELECT pg_type_is_visible(23);             -- true
//! SELECT pg_get_constraintdef(1, true);      -- NULL: there are no constraints
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{AsArray, BooleanArray, StringArray, new_null_array};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

/// The functions, ready to register.
pub fn catalog_functions() -> Vec<ScalarUDF> {
    vec![
        version(),
        pg_type_is_visible(),
        pg_get_constraintdef(vec![DataType::Int64]),
        pg_get_constraintdef(vec![DataType::Int64, DataType::Boolean]),
        null_text("pg_get_indexdef", vec![DataType::Int64]),
        null_text(
            "pg_get_indexdef",
            vec![DataType::Int64, DataType::Int64, DataType::Boolean],
        ),
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

/// Every type is visible: there is one schema search path.
fn pg_type_is_visible() -> ScalarUDF {
    create_udf(
        "pg_type_is_visible",
        vec![DataType::Int64],
        DataType::Boolean,
        Volatility::Stable,
        Arc::new(|args: &[ColumnarValue]| {
            Ok(match &args[0] {
                ColumnarValue::Scalar(_) => ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))),
                ColumnarValue::Array(oids) => {
                    ColumnarValue::Array(Arc::new(BooleanArray::from(vec![true; oids.len()])))
                }
            })
        }),
    )
}

/// No constraints exist, so there is no definition to show.
fn pg_get_constraintdef(arguments: Vec<DataType>) -> ScalarUDF {
    null_text("pg_get_constraintdef", arguments)
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

/// A function with nothing to report here: always NULL text.
fn null_text(name: &str, arguments: Vec<DataType>) -> ScalarUDF {
    create_udf(
        name,
        arguments,
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(|args: &[ColumnarValue]| {
            Ok(match &args[0] {
                ColumnarValue::Scalar(_) => ColumnarValue::Scalar(ScalarValue::Utf8(None)),
                ColumnarValue::Array(oids) => {
                    ColumnarValue::Array(new_null_array(&DataType::Utf8, oids.len()))
                }
            })
        }),
    )
}
