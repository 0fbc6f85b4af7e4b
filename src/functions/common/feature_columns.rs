//! Finding model features among a relation's columns and reading them as `f64`, shared by
//! `kmeans_fit` and `assign_segment`.

use datafusion::arrow::array::{Array, ArrayRef, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, Result};

use crate::error::arg_err;
use crate::planner::option_expr::ambiguous_column;

/// The features `kmeans_fit` uses when `features =>` is not given and they are all present.
pub const RFM_FEATURES: [&str; 3] = ["recency_days", "frequency", "monetary"];

/// Whether a column of this type can be a feature.
pub fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric()
}

/// The index of column `name` in `schema`: an exact match first, else the only
/// case-insensitive one. The error lists the columns there are.
pub fn find_feature(function: &'static str, schema: &DFSchema, name: &str) -> Result<usize> {
    let fields = schema.fields();
    if let Some(i) = fields.iter().position(|f| f.name() == name) {
        return check_numeric(function, schema, i);
    }
    let loose: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name().eq_ignore_ascii_case(name))
        .map(|(i, _)| i)
        .collect();
    match loose.as_slice() {
        [i] => check_numeric(function, schema, *i),
        [_, _, ..] => {
            let names: Vec<&str> = loose.iter().map(|&i| fields[i].name().as_str()).collect();
            Err(ambiguous_column(function, "features", &names))
        }
        [] => Err(arg_err(
            function,
            format!(
                "feature column '{name}' not found; the input has columns: {}",
                column_list(schema)
            ),
        )),
    }
}

fn check_numeric(function: &'static str, schema: &DFSchema, i: usize) -> Result<usize> {
    let field = schema.field(i);
    if is_numeric(field.data_type()) {
        return Ok(i);
    }
    let numeric: Vec<&str> = schema
        .fields()
        .iter()
        .filter(|f| is_numeric(f.data_type()) && !looks_like_key(f.name()))
        .map(|f| f.name().as_str())
        .collect();
    let fix = if numeric.is_empty() {
        "; the input has no numeric columns: convert one in a subquery first".to_string()
    } else {
        format!(
            "; the numeric columns are {}, e.g. features => '{}'",
            numeric.join(", "),
            numeric.join(", ").replace('\'', "''")
        )
    };
    Err(arg_err(
        function,
        format!(
            "feature '{}' has type {}, but features must be numeric (integer, float or decimal){fix}",
            field.name(),
            field.data_type()
        ),
    ))
}

/// The columns of `schema`, comma-separated.
pub fn column_list(schema: &DFSchema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a numeric column looks like an identifier (`CustomerID`, `customer_key`), which is
/// never a default feature.
pub fn looks_like_key(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "id" || lower.ends_with("id") || lower.ends_with("_key") || lower == "key"
}

/// A feature column as `Float64` (integers and decimals are converted).
pub fn as_f64(function: &'static str, array: &ArrayRef) -> Result<Float64Array> {
    let converted = cast(array, &DataType::Float64).map_err(|e| {
        arg_err(
            function,
            format!("cannot read a {} column as numbers: {e}", array.data_type()),
        )
    })?;
    Ok(converted
        .as_any()
        .downcast_ref::<Float64Array>()
        .cloned()
        .unwrap_or_else(|| Float64Array::new_null(array.len())))
}
