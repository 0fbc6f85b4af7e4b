//! segql's own functions in `pg_catalog.pg_proc`, so that a BI user can find them where their
//! tool looks: psql's `\df`, JDBC's `getFunctions`, a SQL editor's function list.
//!
//! datafusion-postgres's `pg_proc` holds PostgreSQL's built-in functions (in `pg_catalog`).
//! [`list_segql_functions`] puts a schema in front of its `pg_catalog` that answers `pg_proc`
//! with those rows plus one per segql function, in schema `public`, and every other table as
//! before. The rows come from the functions' own declarations (the same that make the README
//! reference), so the listing cannot drift from the code.
//!
//! ```sql
//! -- psql: \df
//! SELECT proname, pg_get_function_arguments(oid) FROM pg_catalog.pg_proc WHERE proname = 'rfm';
//! ```

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float32Array, Int16Array, Int32Array, RecordBatch, StringArray,
    new_null_array,
};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use super::catalog_override::{catalog_table, replace_catalog_table};
use crate::functions::{aggregate_functions, expression_docs, table_function_specs};

/// The first oid given to segql's functions (PostgreSQL's own stay far below).
const FIRST_OID: i32 = 1_000_000;
/// `record`, what a table function returns a set of.
const RECORD: i32 = 2249;

/// The result types of segql's scalar and aggregate functions, as PostgreSQL names them,
/// with their type oids. A function missing here is listed as returning `record`; a unit test
/// keeps this complete.
const RESULT_TYPES: &[(&str, &str, i32)] = &[
    ("rfm", "record", RECORD),
    ("assign_segment", "integer", 23),
    ("drop_model", "boolean", 16),
    ("segql_timestamp", "timestamp without time zone", 1114),
    ("segql_check_finite", "double precision", 701),
    ("segql_rfm_segment", "text", 25),
    ("segql_rfm_cell", "text", 25),
    ("segql_rfm_measures", "record", RECORD),
    ("rename_segments", "text", 25),
    ("segql_elbow", "double precision", 701),
];

/// One segql function as `pg_proc` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcEntry {
    /// Its oid in `pg_proc`.
    pub oid: i32,
    /// The SQL name.
    pub name: String,
    /// `f` (function) or `a` (aggregate).
    pub kind: &'static str,
    /// Whether it returns a set of rows (a table function).
    pub returns_set: bool,
    /// What `pg_get_function_arguments` shows: the arguments as the reference writes them.
    pub arguments: String,
    /// What `pg_get_function_result` shows.
    pub result: String,
    /// The result type's oid.
    pub result_oid: i32,
    /// The number of arguments and how many of them may be left out.
    pub arity: (i16, i16),
}

/// Every segql function, table functions first, in the reference's order.
pub fn proc_entries() -> &'static [ProcEntry] {
    static ENTRIES: LazyLock<Vec<ProcEntry>> = LazyLock::new(build_entries);
    &ENTRIES
}

fn build_entries() -> Vec<ProcEntry> {
    let aggregates: Vec<String> = aggregate_functions()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let aggregates: Vec<&str> = aggregates.iter().map(String::as_str).collect();
    let mut entries = Vec::new();
    for spec in table_function_specs() {
        let optional = spec.params.iter().filter(|p| !p.required).count();
        entries.push(ProcEntry {
            oid: 0,
            name: spec.name.to_string(),
            kind: "f",
            returns_set: true,
            arguments: inside_parentheses(&spec.signature()),
            result: "SETOF record".to_string(),
            result_oid: RECORD,
            arity: (spec.params.len() as i16, optional as i16),
        });
    }
    for (name, doc) in expression_docs() {
        let (result, result_oid) = RESULT_TYPES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or(("record", RECORD), |(_, text, oid)| (*text, *oid));
        let arguments = doc.arguments.as_ref().map_or(0, Vec::len);
        let optional = doc
            .arguments
            .iter()
            .flatten()
            .filter(|(_, text)| text.starts_with("optional"))
            .count();
        entries.push(ProcEntry {
            oid: 0,
            name: name.to_string(),
            kind: if aggregates.contains(&name) { "a" } else { "f" },
            returns_set: false,
            arguments: inside_parentheses(&doc.syntax_example),
            result: result.to_string(),
            result_oid,
            arity: (arguments as i16, optional as i16),
        });
    }
    for (i, entry) in entries.iter_mut().enumerate() {
        entry.oid = FIRST_OID + i as i32;
    }
    entries
}

/// `"f(a [, b])"` -> `"a [, b]"`.
fn inside_parentheses(signature: &str) -> String {
    let start = signature.find('(').map_or(0, |i| i + 1);
    let end = signature.rfind(')').unwrap_or(signature.len());
    signature[start..end.max(start)].to_string()
}

/// Make `catalog`'s `pg_catalog.pg_proc` (set up by datafusion-postgres) also list segql's
/// functions, in schema `public`.
pub async fn list_segql_functions(ctx: &SessionContext, catalog: &str) -> Result<()> {
    let missing = || DataFusionError::Internal("pg_catalog is not set up".into());
    let builtin = catalog_table(ctx, catalog, "pg_proc").await?;
    let batches = ctx.read_table(builtin)?.collect().await?;
    let public = ctx
        .sql("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public'")
        .await?
        .collect()
        .await?
        .first()
        .and_then(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<Int32Array>()
                .map(|a| a.value(0))
        })
        .ok_or_else(missing)?;

    // Every column nullable, so that rows of ours may leave out what segql has no value for.
    let schema: SchemaRef = Arc::new(Schema::new(
        batches
            .first()
            .map(|b| b.schema())
            .ok_or_else(missing)?
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), f.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let mut rows: Vec<RecordBatch> = batches
        .iter()
        .map(|b| RecordBatch::try_new(Arc::clone(&schema), b.columns().to_vec()))
        .collect::<std::result::Result<_, _>>()?;
    rows.push(segql_rows(&schema, proc_entries(), public)?);
    let table = Arc::new(MemTable::try_new(schema, vec![rows])?);
    replace_catalog_table(ctx, catalog, "pg_proc", table)
}

/// `pg_proc` rows for `entries`, in namespace `public`: the columns clients read, NULL for
/// the others.
fn segql_rows(schema: &SchemaRef, entries: &[ProcEntry], public: i32) -> Result<RecordBatch> {
    let n = entries.len();
    let ints = |f: &dyn Fn(&ProcEntry) -> i32| -> ArrayRef {
        Arc::new(entries.iter().map(f).collect::<Int32Array>())
    };
    let texts = |f: &dyn Fn(&ProcEntry) -> String| -> ArrayRef {
        Arc::new(entries.iter().map(|e| Some(f(e))).collect::<StringArray>())
    };
    let flags = |f: &dyn Fn(&ProcEntry) -> bool| -> ArrayRef {
        Arc::new(entries.iter().map(f).collect::<BooleanArray>())
    };
    let columns = schema
        .fields()
        .iter()
        .map(|field| -> ArrayRef {
            match field.name().as_str() {
                "oid" => ints(&|e| e.oid),
                "proname" | "prosrc" => texts(&|e| e.name.clone()),
                "pronamespace" => ints(&|_| public),
                "proowner" => ints(&|_| 10),
                "prolang" => ints(&|_| 12),
                "provariadic" => ints(&|_| 0),
                "prorettype" => ints(&|e| e.result_oid),
                "procost" => Arc::new(Float32Array::from(vec![1.0; n])),
                "prorows" => Arc::new(
                    entries
                        .iter()
                        .map(|e| if e.returns_set { 1000.0 } else { 0.0 })
                        .collect::<Float32Array>(),
                ),
                "prosupport" => texts(&|_| "-".to_string()),
                "prokind" => texts(&|e| e.kind.to_string()),
                "prosecdef" | "proleakproof" | "proisstrict" => flags(&|_| false),
                "proretset" => flags(&|e| e.returns_set),
                // table functions may save models; the others read them
                "provolatile" => texts(&|e| if e.returns_set { "v" } else { "s" }.to_string()),
                "proparallel" => texts(&|_| "u".to_string()),
                "pronargs" => Arc::new(entries.iter().map(|e| e.arity.0).collect::<Int16Array>()),
                "pronargdefaults" => {
                    Arc::new(entries.iter().map(|e| e.arity.1).collect::<Int16Array>())
                }
                "proargtypes" => texts(&|_| String::new()),
                _ => new_null_array(field.data_type(), n),
            }
        })
        .collect::<Vec<_>>();
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(array, field)| {
            if array.data_type() == field.data_type() {
                Ok(array)
            } else {
                datafusion::arrow::compute::cast(&array, field.data_type())
            }
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_listed_once_with_its_result_type() {
        let entries = proc_entries();
        let specs = table_function_specs();
        let docs = expression_docs();
        assert_eq!(entries.len(), specs.len() + docs.len());
        for (name, _) in docs {
            assert!(
                RESULT_TYPES.iter().any(|(n, _, _)| *n == name),
                "{name} needs an entry in RESULT_TYPES"
            );
        }
        let kmeans = entries.iter().find(|e| e.name == "kmeans_fit").unwrap();
        assert!(kmeans.returns_set);
        assert!(kmeans.arguments.starts_with("input, k"), "{kmeans:?}");
        let scalar = entries
            .iter()
            .find(|e| e.name == "assign_segment" && !e.returns_set)
            .unwrap();
        assert_eq!((scalar.result.as_str(), scalar.result_oid), ("integer", 23));
        let aggregates: Vec<&str> = entries
            .iter()
            .filter(|e| e.kind == "a")
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(aggregates, ["rfm", "segql_rfm_measures", "segql_elbow"]);
        let mut oids: Vec<i32> = entries.iter().map(|e| e.oid).collect();
        oids.dedup();
        assert_eq!(oids.len(), entries.len());
    }

    #[test]
    fn arguments_are_the_inside_of_the_signature() {
        assert_eq!(inside_parentheses("f(a [, b => ...])"), "a [, b => ...]");
        assert_eq!(inside_parentheses("segql_models()"), "");
    }
}
