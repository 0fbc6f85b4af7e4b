//! Planning the relational argument of a segql table function.
//!
//! Accepted forms: a table name (`rfm(sales)`), a CTE name, a `(SELECT ...)` subquery, a quoted
//! file path when the session allows URL tables (`rfm('sales.parquet')`), and any table function
//! call, segql's own included (`kmeans_fit(rfm(sales), 3)`).
//!
//! DataFusion resolves table names before planning, but only those its visitor sees as
//! relations; a name inside function arguments is not among them. So a name the planner does not
//! know is looked up in the session's catalogs here. That lookup is async (a file path infers a
//! schema from disk); it is driven to completion on the current multi-threaded runtime, or on a
//! helper thread when there is none.

use std::future::Future;
use std::sync::Arc;

use datafusion::catalog::CatalogProviderList;
use datafusion::common::{DataFusionError, Result, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::sql::sqlparser::ast::{
    self as ast, FunctionArguments, Ident, ObjectName, ObjectNamePart, TableFactor,
    TableFunctionArgs, Value,
};
use futures::FutureExt;

use super::args::first_line;
use crate::error::arg_err;

/// Looks up tables the SQL planner did not pre-resolve, in the session's catalogs.
#[derive(Debug, Clone)]
pub struct RelationResolver {
    catalogs: Arc<dyn CatalogProviderList>,
}

impl RelationResolver {
    /// A resolver over the session's catalog list (with URL tables if the session enabled them).
    pub fn new(catalogs: Arc<dyn CatalogProviderList>) -> Self {
        Self { catalogs }
    }

    /// Plan a scan of `reference`, or `None` if no catalog has it.
    fn scan(
        &self,
        reference: &TableReference,
        ctx: &dyn RelationPlannerContext,
    ) -> Result<Option<LogicalPlan>> {
        let options = &ctx.context_provider().options().catalog;
        let catalog_name = reference.catalog().unwrap_or(&options.default_catalog);
        let schema_name = reference.schema().unwrap_or(&options.default_schema);
        let Some(catalog) = self.catalogs.catalog(catalog_name) else {
            return Ok(None);
        };
        let Some(schema) = catalog.schema(schema_name) else {
            return Ok(None);
        };
        let table = reference.table().to_string();
        let Some(provider) = drive(async move { schema.table(&table).await })? else {
            return Ok(None);
        };
        let plan = LogicalPlanBuilder::scan(reference.clone(), provider_as_source(provider), None)?
            .build()?;
        Ok(Some(plan))
    }
}

/// Run a catalog lookup to completion from synchronous planning code.
fn drive<T, F>(future: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send,
    T: Send,
{
    use tokio::runtime::{Builder, Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| handle.block_on(future))
        }
        _ => {
            let mut future = Box::pin(future);
            if let Some(value) = (&mut future).now_or_never() {
                return value;
            }
            // No multi-threaded runtime to borrow: finish the lookup on a helper thread with
            // its own small runtime (file-system object stores need one).
            std::thread::scope(|scope| {
                scope
                    .spawn(move || {
                        Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map_err(|e| DataFusionError::External(Box::new(e)))?
                            .block_on(future)
                    })
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        }
    }
}

/// Plan `expr`, the relational argument `param` of `function`.
pub fn plan_relation_arg(
    function: &'static str,
    param: &'static str,
    expr: ast::Expr,
    ctx: &mut dyn RelationPlannerContext,
    resolver: &RelationResolver,
) -> Result<LogicalPlan> {
    match expr {
        ast::Expr::Identifier(ident) => {
            plan_table_name(function, ObjectName::from(vec![ident]), ctx, resolver)
        }
        ast::Expr::CompoundIdentifier(idents) => {
            plan_table_name(function, ObjectName::from(idents), ctx, resolver)
        }
        ast::Expr::Value(v) => match v.value {
            Value::SingleQuotedString(path) | Value::DoubleQuotedString(path) => {
                let name = ObjectName(vec![ObjectNamePart::Identifier(Ident::with_quote(
                    '\'', path,
                ))]);
                plan_table_name(function, name, ctx, resolver)
            }
            other => Err(not_a_relation(function, param, &other.to_string())),
        },
        ast::Expr::Subquery(query) => ctx.plan(TableFactor::Derived {
            lateral: false,
            subquery: query,
            alias: None,
            sample: None,
        }),
        ast::Expr::Nested(inner) => plan_relation_arg(function, param, *inner, ctx, resolver),
        ast::Expr::Function(call) => {
            let shown = call.to_string();
            let args = match call.args {
                FunctionArguments::List(list) => list.args,
                FunctionArguments::None => vec![],
                FunctionArguments::Subquery(_) => {
                    return Err(not_a_relation(function, param, &shown));
                }
            };
            ctx.plan(table_function_factor(call.name, args))
        }
        other => Err(not_a_relation(function, param, &other.to_string())),
    }
}

/// The table factor `name(args)`, as if it had been written in a FROM clause.
fn table_function_factor(name: ObjectName, args: Vec<ast::FunctionArg>) -> TableFactor {
    TableFactor::Table {
        name,
        alias: None,
        args: Some(TableFunctionArgs {
            args,
            settings: None,
        }),
        with_hints: vec![],
        version: None,
        with_ordinality: false,
        partitions: vec![],
        json_path: None,
        sample: None,
        index_hints: vec![],
    }
}

fn plan_table_name(
    function: &'static str,
    name: ObjectName,
    ctx: &mut dyn RelationPlannerContext,
    resolver: &RelationResolver,
) -> Result<LogicalPlan> {
    let factor = TableFactor::Table {
        name: name.clone(),
        alias: None,
        args: None,
        with_hints: vec![],
        version: None,
        with_ordinality: false,
        partitions: vec![],
        json_path: None,
        sample: None,
        index_hints: vec![],
    };
    // CTEs and tables named elsewhere in the statement are known to the planner already.
    let planner_error = match ctx.plan(factor) {
        Ok(plan) => return Ok(plan),
        Err(e) => e,
    };
    let reference = ctx.object_name_to_table_reference(name)?;
    if let Some(plan) = resolver.scan(&reference, ctx)? {
        return Ok(plan);
    }
    let message = first_line(&planner_error.to_string()).to_string();
    let is_path = reference.table().contains(['/', '.', '\\']);
    let hint = if is_path {
        "; a quoted file path must name an existing CSV, Parquet, JSON or Avro file \
         (and the session must allow file paths as tables)"
    } else {
        ""
    };
    Err(arg_err(
        function,
        format!("table '{reference}' not found{hint} ({message})"),
    ))
}

fn not_a_relation(function: &'static str, param: &str, shown: &str) -> DataFusionError {
    arg_err(
        function,
        format!(
            "'{param}' must be a relation: a table name, a (SELECT ...) subquery, a quoted file \
             path or a table function call; got {}",
            crate::text::echo(shown)
        ),
    )
}
