//! The relation planner that makes segql's table functions composable.
//!
//! DataFusion's plain table functions only see literal arguments. segql registers a
//! [`RelationPlanner`] instead: it receives the raw `FROM` item, so nested calls
//! (`kmeans_fit(rfm(sales), 3)`), subqueries and named options (`bins => 4`) arrive intact, and
//! each function returns an ordinary logical plan that `EXPLAIN` shows operator by operator.

pub mod args;
pub mod option_expr;
pub mod relation_arg;

use std::fmt::Debug;
use std::sync::Arc;

use datafusion::common::Result;
use datafusion::logical_expr::planner::{
    PlannedRelation, RelationPlanner, RelationPlannerContext, RelationPlanning,
};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::sql::sqlparser::ast::{ObjectName, TableFactor};

pub use args::{Args, FunctionSpec, Param, ParamKind};
pub use relation_arg::RelationResolver;

use crate::error::arg_err;

/// A segql table function: a declared signature and a planner from arguments to a plan.
pub trait SegqlTableFunction: Debug + Send + Sync {
    /// The name, parameters and documentation of the function.
    fn spec(&self) -> &'static FunctionSpec;

    /// Build the logical plan for one call. `ctx` plans SQL expressions given as option strings.
    fn plan(&self, args: Args, ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan>;
}

/// Plans `FROM f(...)` for every segql table function; other relations pass through untouched.
#[derive(Debug)]
pub struct SegqlRelationPlanner {
    functions: Vec<Arc<dyn SegqlTableFunction>>,
    resolver: RelationResolver,
}

impl SegqlRelationPlanner {
    /// A planner for `functions`, resolving bare table names through `resolver`.
    pub fn new(functions: Vec<Arc<dyn SegqlTableFunction>>, resolver: RelationResolver) -> Self {
        Self {
            functions,
            resolver,
        }
    }

    fn lookup(&self, name: &ObjectName) -> Option<&Arc<dyn SegqlTableFunction>> {
        let [part] = name.0.as_slice() else {
            return None;
        };
        let ident = part.as_ident()?;
        // Quoted names are case-sensitive, unquoted ones are not (as for every SQL function).
        self.functions.iter().find(|f| {
            let spec_name = f.spec().name;
            if ident.quote_style.is_some() {
                ident.value == spec_name
            } else {
                ident.value.eq_ignore_ascii_case(spec_name)
            }
        })
    }
}

impl RelationPlanner for SegqlRelationPlanner {
    fn plan_relation(
        &self,
        relation: TableFactor,
        context: &mut dyn RelationPlannerContext,
    ) -> Result<RelationPlanning> {
        let function = match &relation {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            }
            | TableFactor::Function { name, .. } => self.lookup(name).cloned(),
            _ => None,
        };
        let Some(function) = function else {
            return Ok(RelationPlanning::Original(Box::new(relation)));
        };
        let spec = function.spec();
        match relation {
            TableFactor::Table {
                alias,
                args: Some(call),
                with_ordinality,
                ..
            } => {
                if call.settings.is_some() {
                    return Err(arg_err(spec.name, "SETTINGS clauses are not supported"));
                }
                if with_ordinality {
                    return Err(arg_err(
                        spec.name,
                        "WITH ORDINALITY is not supported; use row_number() OVER ()",
                    ));
                }
                let args = Args::parse(spec, call.args, context, &self.resolver)?;
                let plan = function.plan(args, context)?;
                // Name the result after the function, so `rfm.recency_days` works without
                // an alias; an explicit alias still wins.
                let plan = LogicalPlanBuilder::from(plan).alias(spec.name)?.build()?;
                Ok(RelationPlanning::Planned(Box::new(PlannedRelation::new(
                    plan, alias,
                ))))
            }
            // The LATERAL form: DataFusion would drop the option names, so refuse it.
            _ => Err(arg_err(
                spec.name,
                format!(
                    "the LATERAL form is not supported (it would drop the names of \
                     options); write FROM {}(...) without LATERAL",
                    spec.name
                ),
            )),
        }
    }
}
