//! The table functions the package registers on a datafusion-python context.
//!
//! - [`QueryFunction`] (`segql_query(sql)`), the hidden one `segql.SessionContext.sql` sends
//!   segql's queries through: it plans the whole query with segql's relation planner;
//! - [`FlatFunction`], one per segql table function, for plain `datafusion.SessionContext`s:
//!   `rfm(sales)` or `kmeans_fit('rfm(sales)', 3)`, the forms DataFusion's own table-function
//!   path accepts (positional table names and literals), replanned the same way;
//! - [`ReportFunction`] (`segql_report(...)`), the report's HTML as a one-row table.

use std::sync::Arc;

use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl};
use datafusion::common::{DataFusionError, Result, ScalarValue, plan_datafusion_err, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::logical_expr::Expr;
use datafusion::sql::unparser::expr_to_sql;
use segql::model::ModelStore;

use crate::plan_table::{DeferredTable, Work};
use crate::remote_files::register_s3_stores;
use crate::report::{ReportArgs, report_schema};
use crate::runtime::block_on;
use crate::segql_session::segql_context;

/// `sql` as a table: planned now with segql's planner over `caller`'s catalogs, for its
/// schema (and its errors), and again by each scan.
fn query_table(
    caller: &dyn Session,
    store: &Arc<dyn ModelStore>,
    sql: &str,
) -> Result<DeferredTable> {
    let ctx = segql_context(caller, store)?;
    register_s3_stores(&ctx, sql)?;
    let state = ctx.state();
    let plan = block_on(state.create_logical_plan(sql)).map_err(|e| explain_remote(e, sql))?;
    let schema = Arc::new(plan.schema().as_arrow().clone());
    Ok(DeferredTable::new(
        Work::Query(sql.to_string()),
        Arc::clone(store),
        schema,
    ))
}

/// URL schemes of object stores, which only the Python context knows how to reach.
const REMOTE_SCHEMES: &[&str] = &[
    "s3://", "s3a://", "gs://", "gcs://", "az://", "abfs://", "http://", "https://",
];

/// A planning error about a quoted remote location, with what to do instead: segql reaches
/// S3 with its own store (crate::remote_files), other remote schemes not at all from Python.
fn explain_remote(error: DataFusionError, sql: &str) -> DataFusionError {
    let text = match &error {
        DataFusionError::Plan(message) => message.clone(),
        other => other.to_string(),
    };
    let remote = sql.split('\'').skip(1).step_by(2).find(|quoted| {
        REMOTE_SCHEMES
            .iter()
            .any(|s| quoted.to_ascii_lowercase().starts_with(s))
            && text.contains(*quoted)
    });
    match remote {
        Some(url) => DataFusionError::Plan(format!(
            "{text}. From Python, segql reads remote files from S3 only ('s3://bucket/path', \
             with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and, for S3-compatible \
             stores, AWS_ENDPOINT_URL set); copy '{url}' to a local file or to S3 and name \
             that in the query"
        )),
        None => error,
    }
}

/// The text of a string literal argument, or `None`.
fn text_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Some(s),
        _ => None,
    }
}

/// `segql_query('SELECT ...')`: the query, planned by segql.
#[derive(Debug)]
pub struct QueryFunction {
    store: Arc<dyn ModelStore>,
}

impl QueryFunction {
    /// The function, with models in `store`.
    pub fn new(store: Arc<dyn ModelStore>) -> Self {
        Self { store }
    }
}

impl TableFunctionImpl for QueryFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let sql = match args.exprs() {
            [one] => text_literal(one),
            _ => None,
        }
        .ok_or_else(|| {
            plan_datafusion_err!("segql_query(sql) takes one argument, the query as a string")
        })?;
        Ok(Arc::new(query_table(args.session(), &self.store, sql)?))
    }
}

/// A segql table function called the way DataFusion's own table-function path allows.
#[derive(Debug)]
pub struct FlatFunction {
    name: String,
    store: Arc<dyn ModelStore>,
}

impl FlatFunction {
    /// segql's table function `name`, with models in `store`.
    pub fn new(name: &str, store: Arc<dyn ModelStore>) -> Self {
        Self {
            name: name.to_string(),
            store,
        }
    }

    /// The call as SQL text: each argument a table name or a literal.
    fn call_text(&self, args: &[Expr]) -> Result<String> {
        let rendered = args
            .iter()
            .map(|arg| match arg {
                // A relation written as text: rfm('sales') is a table, kmeans_fit('rfm(sales)')
                // a nested call or a subquery, given to segql's planner as SQL.
                _ if text_literal(arg).is_some_and(is_relation_text) => {
                    Ok(text_literal(arg).unwrap_or_default().to_string())
                }
                Expr::Column(_) | Expr::Literal(..) | Expr::Negative(_) => {
                    Ok(expr_to_sql(arg)?.to_string())
                }
                other => plan_err!(
                    "{}(): on a plain datafusion.SessionContext each argument must be a table \
                     name or a literal, not {other}; nested calls and named options \
                     (name => value) need segql.SessionContext, or pass the input as a \
                     string: {}('rfm(sales)', ...)",
                    self.name,
                    self.name
                ),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(format!(
            "SELECT * FROM {}({})",
            self.name,
            rendered.join(", ")
        ))
    }
}

impl TableFunctionImpl for FlatFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let sql = self.call_text(args.exprs())?;
        Ok(Arc::new(query_table(args.session(), &self.store, &sql)?))
    }
}

/// Whether a string argument of a flat call is a relation in SQL (a call such as
/// `rfm(sales)` or a `(SELECT ...)` subquery) rather than a name or a path.
fn is_relation_text(text: &str) -> bool {
    let text = text.trim();
    let call = text.split_once('(').is_some_and(|(name, _)| {
        !name.is_empty() && name.trim().chars().all(|c| c.is_alphanumeric() || c == '_')
    });
    (text.starts_with('(') || call) && text.ends_with(')')
}

/// `segql_report(input, k, ks, model, seed, options)`: one row, `html`.
#[derive(Debug)]
pub struct ReportFunction {
    store: Arc<dyn ModelStore>,
}

impl ReportFunction {
    /// The function, with models in `store`.
    pub fn new(store: Arc<dyn ModelStore>) -> Self {
        Self { store }
    }
}

impl TableFunctionImpl for ReportFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let texts = args
            .exprs()
            .iter()
            .map(|e| text_literal(e).map(str::to_string))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| {
                plan_datafusion_err!(
                    "segql_report(input, k, ks, model, seed, options) takes six strings"
                )
            })?;
        let report_args = ReportArgs::from_texts(&texts)?;
        Ok(Arc::new(DeferredTable::new(
            Work::Report(report_args),
            Arc::clone(&self.store),
            report_schema(),
        )))
    }
}
