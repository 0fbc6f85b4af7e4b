//! A table that plans its input when scanned and puts one of segql's operators on top: how the
//! table functions and rfm()'s stages (totals, ranks, the K-Means fit) enter a logical plan as a
//! scan while their work stays a physical operator that `EXPLAIN` shows.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Result, TableReference};
use datafusion::datasource::{TableType, provider_as_source};
use datafusion::execution::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};

/// The physical plan of a table's nested input, made by DataFusion's own planner after the
/// session's optimizer rather than through the session's query planner: a session whose
/// query planner sends each plan elsewhere (a cluster client) must still plan a nested input
/// in place, as one part of the query it is planning. Sessions that are not a `SessionState`
/// (a host's across datafusion-ffi) plan it their own way.
async fn plan_input(state: &dyn Session, input: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>> {
    let Some(session) = state.as_any().downcast_ref::<SessionState>() else {
        return state.create_physical_plan(input).await;
    };
    let optimized = session.optimize(input)?;
    DefaultPhysicalPlanner::default()
        .create_physical_plan(&optimized, session)
        .await
}

/// `plan` cut down to the columns of `projection` (all of them when `None`), for an operator
/// that has no projection of its own.
pub(crate) fn projected(
    plan: Arc<dyn ExecutionPlan>,
    projection: Option<&Vec<usize>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let Some(columns) = projection else {
        return Ok(plan);
    };
    let schema = plan.schema();
    let exprs: Vec<(Arc<dyn PhysicalExpr>, String)> = columns
        .iter()
        .map(|&i| {
            let name = schema.field(i).name().clone();
            (
                Arc::new(Column::new(&name, i)) as Arc<dyn PhysicalExpr>,
                name,
            )
        })
        .collect();
    Ok(Arc::new(ProjectionExec::try_new(exprs, plan)?))
}

/// The operator an [`OverInput`] table puts on its planned input.
pub(crate) trait InputOperator: std::fmt::Debug + Send + Sync + 'static {
    /// The operator over the scan's planned input.
    fn wrap(&self, scan: Scan<'_>) -> Result<Arc<dyn ExecutionPlan>>;
}

/// One scan of an [`OverInput`] table.
pub(crate) struct Scan<'a> {
    /// The session planning the scan.
    pub state: &'a dyn Session,
    /// The table's logical input.
    pub logical_input: &'a LogicalPlan,
    /// Its physical plan.
    pub input: Arc<dyn ExecutionPlan>,
    /// The table's columns the scan produces (all of them when `None`).
    pub projection: Option<&'a Vec<usize>>,
}

/// A view with `schema` over `input`, executed by `operator`.
#[derive(Debug)]
pub(crate) struct OverInput<O> {
    input: Arc<LogicalPlan>,
    schema: SchemaRef,
    operator: O,
}

impl<O: InputOperator> OverInput<O> {
    pub(crate) fn new(input: Arc<LogicalPlan>, schema: SchemaRef, operator: O) -> Self {
        Self {
            input,
            schema,
            operator,
        }
    }

    /// The table as a scan named `name`, ready to build on.
    pub(crate) fn scan(self, name: impl Into<TableReference>) -> Result<LogicalPlanBuilder> {
        LogicalPlanBuilder::scan(name, provider_as_source(Arc::new(self)), None)
    }
}

#[async_trait]
impl<O: InputOperator> TableProvider for OverInput<O> {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = plan_input(state, &self.input).await?;
        self.operator.wrap(Scan {
            state,
            logical_input: &self.input,
            input,
            projection,
        })
    }
}
