//! Running the report's SQL and reading its results into plain vectors.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{Result, internal_datafusion_err};
use datafusion::prelude::SessionContext;

/// The batches of one query.
pub async fn query(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    ctx.sql(sql).await?.collect().await
}

/// An SQL identifier, quoted (`"monetary"`, `"a""b"`).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An SQL string literal (`'seg'`, `'it''s'`).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn column(
    batches: &[RecordBatch],
    index: usize,
    to: &DataType,
) -> Result<Vec<std::sync::Arc<dyn Array>>> {
    batches
        .iter()
        .map(|b| {
            if index >= b.num_columns() {
                return Err(internal_datafusion_err!(
                    "segql report: a query returned {} columns, column {index} was read",
                    b.num_columns()
                ));
            }
            Ok(cast(b.column(index), to)?)
        })
        .collect()
}

/// Column `index` as numbers (NULL as `None`).
pub fn floats(batches: &[RecordBatch], index: usize) -> Result<Vec<Option<f64>>> {
    let mut out = Vec::new();
    for array in column(batches, index, &DataType::Float64)? {
        let values = array.as_primitive::<Float64Type>();
        out.extend(values.iter());
    }
    Ok(out)
}

/// Column `index` as integers (NULL as `None`).
pub fn integers(batches: &[RecordBatch], index: usize) -> Result<Vec<Option<i64>>> {
    let mut out = Vec::new();
    for array in column(batches, index, &DataType::Int64)? {
        out.extend(array.as_primitive::<Int64Type>().iter());
    }
    Ok(out)
}

/// Column `index` as text (NULL as `None`).
pub fn texts(batches: &[RecordBatch], index: usize) -> Result<Vec<Option<String>>> {
    let mut out = Vec::new();
    for array in column(batches, index, &DataType::Utf8)? {
        out.extend(
            array
                .as_string::<i32>()
                .iter()
                .map(|s| s.map(str::to_string)),
        );
    }
    Ok(out)
}

/// Column `index` as booleans (NULL as false).
pub fn booleans(batches: &[RecordBatch], index: usize) -> Result<Vec<bool>> {
    let mut out = Vec::new();
    for array in column(batches, index, &DataType::Boolean)? {
        out.extend(array.as_boolean().iter().map(|b| b.unwrap_or(false)));
    }
    Ok(out)
}

/// The one integer a `SELECT count(*) ...` returns.
pub async fn scalar_count(ctx: &SessionContext, sql: &str) -> Result<u64> {
    let batches = query(ctx, sql).await?;
    Ok(integers(&batches, 0)?
        .into_iter()
        .next()
        .flatten()
        .unwrap_or(0)
        .max(0) as u64)
}
