//! `segql._segql`: the Rust half of the `segql` Python package.
//!
//! Python users get segql's functions on datafusion-python's own `SessionContext`, across
//! datafusion-ffi: scalar and aggregate functions as they are, table functions through
//! [`table_functions`], and whole queries that need segql's planner through the hidden
//! `segql_query` table function (see [`routing`]). Everything below is a thin layer over the
//! `segql` library: no segmentation logic lives here.

mod exports;
mod plan_table;
mod remote_files;
mod report;
mod routing;
mod runtime;
mod segql_session;
mod table_functions;

use std::collections::HashMap;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Whether `sql` reads from one of segql's table functions (and so needs segql's planner).
#[pyfunction]
fn uses_segql(sql: &str) -> bool {
    routing::uses_segql(sql)
}

/// `sql` rewritten to go through segql's planner, `$name` placeholders filled from `values`
/// (SQL text) first.
#[pyfunction]
#[pyo3(signature = (sql, values = HashMap::new()))]
fn route(sql: &str, values: HashMap<String, String>) -> PyResult<String> {
    let filled = routing::fill_placeholders(sql, &values).map_err(PyValueError::new_err)?;
    Ok(routing::routed(&filled))
}

/// The major version of datafusion-ffi the package was built with (datafusion-python accepts
/// objects of its own major only).
#[pyfunction]
fn datafusion_ffi_major() -> u64 {
    datafusion_ffi::version()
}

/// The names of segql's table functions.
#[pyfunction]
fn table_function_names() -> Vec<&'static str> {
    segql::table_function_names()
}

#[pymodule]
fn _segql(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(uses_segql, m)?)?;
    m.add_function(wrap_pyfunction!(route, m)?)?;
    m.add_function(wrap_pyfunction!(datafusion_ffi_major, m)?)?;
    m.add_function(wrap_pyfunction!(table_function_names, m)?)?;
    m.add_class::<exports::Functions>()?;
    m.add_class::<exports::ScalarFunction>()?;
    m.add_class::<exports::AggregateFunction>()?;
    m.add_class::<exports::TableFunction>()?;
    Ok(())
}
