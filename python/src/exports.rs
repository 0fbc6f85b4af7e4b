//! The objects datafusion-python imports: each exposes the PyCapsule method
//! datafusion-python looks for (`__datafusion_scalar_udf__`, `__datafusion_aggregate_udf__`,
//! `__datafusion_table_function__`), holding datafusion-ffi's struct for the function.

use std::sync::{Arc, OnceLock};

use datafusion::catalog::TableFunctionImpl;
use datafusion::execution::TaskContextProvider;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udtf::FFI_TableFunction;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use segql::model::{DirectoryStore, MemoryStore, ModelStore};

use crate::routing::QUERY_FUNCTION;
use crate::table_functions::{FlatFunction, QueryFunction, ReportFunction};

/// The name of the hidden table function behind `segql.report`.
const REPORT_FUNCTION: &str = "segql_report";

/// Every segql function for one context, sharing one model store.
#[pyclass(frozen, module = "segql._segql")]
pub struct Functions {
    store: Arc<dyn ModelStore>,
}

#[pymethods]
impl Functions {
    /// Models in the directory `models` (created when missing), else in memory.
    #[new]
    #[pyo3(signature = (models = None))]
    fn new(models: Option<std::path::PathBuf>) -> PyResult<Self> {
        let store: Arc<dyn ModelStore> = match models {
            Some(dir) => {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    PyValueError::new_err(format!(
                        "models: cannot use {} as the model directory: {e}",
                        dir.display()
                    ))
                })?;
                Arc::new(DirectoryStore::new(dir))
            }
            None => Arc::new(MemoryStore::new()),
        };
        Ok(Self { store })
    }

    /// segql's scalar functions.
    fn scalar_functions(&self) -> Vec<ScalarFunction> {
        segql::scalar_functions(&self.store)
            .into_iter()
            .map(|udf| ScalarFunction { udf })
            .collect()
    }

    /// segql's aggregate functions.
    fn aggregate_functions(&self) -> Vec<AggregateFunction> {
        segql::aggregate_functions()
            .into_iter()
            .map(|udaf| AggregateFunction { udaf })
            .collect()
    }

    /// segql's table functions by name, with the hidden `segql_query` and `segql_report`.
    fn table_functions(&self) -> Vec<(String, TableFunction)> {
        let store = &self.store;
        let flat = segql::table_function_names().into_iter().map(|name| {
            let function: Arc<dyn TableFunctionImpl> =
                Arc::new(FlatFunction::new(name, Arc::clone(store)));
            (name.to_string(), TableFunction { function })
        });
        let hidden: [(&str, Arc<dyn TableFunctionImpl>); 2] = [
            (
                QUERY_FUNCTION,
                Arc::new(QueryFunction::new(Arc::clone(store))),
            ),
            (
                REPORT_FUNCTION,
                Arc::new(ReportFunction::new(Arc::clone(store))),
            ),
        ];
        flat.chain(
            hidden
                .into_iter()
                .map(|(name, function)| (name.to_string(), TableFunction { function })),
        )
        .collect()
    }
}

/// A scalar function, for `datafusion.udf(...)`.
#[pyclass(frozen, module = "segql._segql")]
pub struct ScalarFunction {
    udf: Arc<ScalarUDF>,
}

#[pymethods]
impl ScalarFunction {
    /// The function's SQL name.
    #[getter]
    fn name(&self) -> &str {
        self.udf.name()
    }

    fn __datafusion_scalar_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let exported = FFI_ScalarUDF::from(Arc::clone(&self.udf));
        PyCapsule::new_with_value(py, exported, c"datafusion_scalar_udf")
    }
}

/// An aggregate function, for `datafusion.udaf(...)`.
#[pyclass(frozen, module = "segql._segql")]
pub struct AggregateFunction {
    udaf: Arc<AggregateUDF>,
}

#[pymethods]
impl AggregateFunction {
    /// The function's SQL name.
    #[getter]
    fn name(&self) -> &str {
        self.udaf.name()
    }

    fn __datafusion_aggregate_udf__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let exported = FFI_AggregateUDF::from(Arc::clone(&self.udaf));
        PyCapsule::new_with_value(py, exported, c"datafusion_aggregate_udf")
    }
}

/// The task context the table functions' codec decodes expressions with: a session of our
/// own with segql's functions, kept for the life of the process (datafusion-ffi holds it
/// weakly).
fn task_context() -> &'static Arc<SessionContext> {
    static CONTEXT: OnceLock<Arc<SessionContext>> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let ctx = SessionContext::new();
        // segql's functions by name, for filters that datafusion-python decodes with it.
        let registered = segql::register_all(&ctx);
        debug_assert!(registered.is_ok());
        Arc::new(ctx)
    })
}

/// A table function, for `datafusion.TableFunction(name, function, ctx)`.
#[pyclass(frozen, module = "segql._segql")]
pub struct TableFunction {
    function: Arc<dyn TableFunctionImpl>,
}

#[pymethods]
impl TableFunction {
    fn __datafusion_table_function__<'py>(
        &self,
        py: Python<'py>,
        _session: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        // datafusion-python reads this handle back out of the function's private data and
        // hands it to the session it passes in; with none, that read is not reliably `None`
        // across the two builds (memory was corrupted in our tests), with ours it is sound.
        // The session is only used to plan; plans run with the session of the scan
        // (crate::plan_table), which carries no handle of ours.
        let runtime = Some(crate::runtime::runtime().handle().clone());
        // The arguments (table names and literals) are decoded with a task context of our own
        // that lives as long as the process: one from the Python context would die with it,
        // and a DataFrame can outlive its context.
        let provider: Arc<dyn TaskContextProvider> = task_context().clone();
        let exported = FFI_TableFunction::new(Arc::clone(&self.function), runtime, &provider, None);
        PyCapsule::new_with_value(py, exported, c"datafusion_table_function")
    }
}
