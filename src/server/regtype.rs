//! `to_regtype(name)`: the OID of a type by name, or NULL when there is no such type, as
//! Postgres answers it. Drivers probe optional types with it on connect (psycopg's
//! `TypeInfo.fetch`, which SQLAlchemy runs for `hstore`); the names and OIDs are those of
//! datafusion-postgres's `pg_catalog.pg_type`.
//!
//! ```sql
//! SELECT to_regtype('int4'), to_regtype('double precision'), to_regtype('hstore');
//! -- 23, 701, NULL
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int64Array, Int64Builder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{DataFusionError, Result};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::prelude::SessionContext;

/// SQL spellings Postgres accepts for the catalog names.
const ALIASES: &[(&str, &str)] = &[
    ("integer", "int4"),
    ("int", "int4"),
    ("bigint", "int8"),
    ("smallint", "int2"),
    ("real", "float4"),
    ("double precision", "float8"),
    ("boolean", "bool"),
    ("character varying", "varchar"),
    ("character", "bpchar"),
    ("decimal", "numeric"),
    ("timestamp without time zone", "timestamp"),
    ("timestamp with time zone", "timestamptz"),
    ("time without time zone", "time"),
    ("time with time zone", "timetz"),
];

/// Build `to_regtype` from the context's `pg_catalog.pg_type`.
pub async fn to_regtype_udf(ctx: &SessionContext) -> Result<ScalarUDF> {
    let batches = ctx
        .sql("SELECT typname, CAST(oid AS BIGINT) AS oid FROM pg_catalog.pg_type")
        .await?
        .collect()
        .await?;
    let mut oids = HashMap::new();
    for batch in &batches {
        let names = datafusion::arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        let names = names.as_string::<i32>();
        let values = batch.column(1).as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            if names.is_valid(row) && values.is_valid(row) {
                oids.insert(names.value(row).to_string(), values.value(row));
            }
        }
    }
    if oids.is_empty() {
        return Err(DataFusionError::Internal(
            "pg_catalog.pg_type is empty".to_string(),
        ));
    }
    let oids = Arc::new(oids);
    Ok(create_udf(
        "to_regtype",
        vec![DataType::Utf8],
        DataType::Int64,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let names = datafusion::arrow::compute::cast(&arrays[0], &DataType::Utf8)?;
            let names = names.as_string::<i32>();
            let mut out = Int64Builder::with_capacity(names.len());
            for name in names.iter() {
                out.append_option(name.and_then(|n| lookup(&oids, n)));
            }
            let out: Int64Array = out.finish();
            let scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
            Ok(if scalar {
                ColumnarValue::Scalar(datafusion::common::ScalarValue::try_from_array(&out, 0)?)
            } else {
                ColumnarValue::Array(Arc::new(out))
            })
        }),
    ))
}

fn lookup(oids: &HashMap<String, i64>, name: &str) -> Option<i64> {
    let name = name.trim().trim_matches('"').to_ascii_lowercase();
    let name = name.strip_prefix("pg_catalog.").unwrap_or(&name);
    let canonical = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, canonical)| canonical);
    oids.get(canonical).copied()
}
