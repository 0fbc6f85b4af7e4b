//! A segql query (or report) as a table the Python context can scan, planned again with the
//! session of each scan.
//!
//! The table function that creates it sees the caller's session only while planning, and that
//! session carries a runtime handle of ours (see `exports::TableFunction`), which must not end
//! up inside the plans of datafusion-python's own tables. So the table keeps the query text and
//! its schema, and its `scan` plans the query again in a segql session over the scanning
//! session's catalogs: the plan that runs reads datafusion-python's tables exactly as
//! datafusion-python would. Not a `ViewTable` either: a view hands its logical plan to the
//! scanning session, back across the FFI, where segql's operators do not exist.
//!
//! The plan runs in the caller's partitions on the package's runtime, scans of
//! datafusion-python's tables included: those scans (files on local disk, views, record
//! batches, pyarrow datasets) need nothing from datafusion-python's runtime, and object stores
//! registered in Python are out of segql's reach anyway (crate::remote_files).
//! python/tests/test_parallel.py reads each kind.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::{DataFusionError, Result, exec_err};
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::limit::GlobalLimitExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::prelude::SessionContext;
use segql::model::ModelStore;

use crate::remote_files::{explain_missing_store, register_s3_stores};
use crate::report::{ReportArgs, report_table};
use crate::runtime::{InRuntimeExec, runtime};
use crate::segql_session::segql_context;

/// What a scan of the table runs.
#[derive(Debug, Clone)]
pub enum Work {
    /// A SQL query, planned by segql.
    Query(String),
    /// segql's report, a one-row table.
    Report(ReportArgs),
}

/// A query or report, with its schema found when it was first planned.
#[derive(Debug)]
pub struct DeferredTable {
    work: Work,
    store: Arc<dyn ModelStore>,
    schema: SchemaRef,
}

impl DeferredTable {
    /// The table of `work`, whose result has `schema`.
    pub fn new(work: Work, store: Arc<dyn ModelStore>, schema: SchemaRef) -> Self {
        Self {
            work,
            store,
            schema,
        }
    }
}

/// `plan` narrowed to a scan's projection and limit.
fn narrowed(
    plan: LogicalPlan,
    projection: Option<&Vec<usize>>,
    limit: Option<usize>,
) -> Result<LogicalPlan> {
    let columns = plan.schema().columns();
    let mut builder = LogicalPlanBuilder::from(plan);
    if let Some(chosen) = projection {
        builder = builder.project(chosen.iter().map(|i| Expr::Column(columns[*i].clone())))?;
    }
    if let Some(fetch) = limit {
        builder = builder.limit(0, Some(fetch))?;
    }
    builder.build()
}

/// The physical plan of `work` in `ctx`.
async fn plan_work(
    ctx: SessionContext,
    work: Work,
    store: Arc<dyn ModelStore>,
    projection: Option<Vec<usize>>,
    limit: Option<usize>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let plan = match work {
        Work::Query(sql) => ctx.state().create_logical_plan(&sql).await?,
        Work::Report(args) => {
            let table: MemTable = report_table(&ctx, &store, &args).await?;
            LogicalPlanBuilder::scan(
                "report",
                datafusion::datasource::provider_as_source(Arc::new(table)),
                None,
            )?
            .build()?
        }
    };
    if matches!(plan, LogicalPlan::Explain(_)) {
        // EXPLAIN describes the query only as the root of its plan: narrow it afterwards.
        let physical = ctx.state().create_physical_plan(&plan).await?;
        return narrowed_physical(physical, projection.as_ref(), limit);
    }
    let plan = narrowed(plan, projection.as_ref(), limit)?;
    ctx.state().create_physical_plan(&plan).await
}

/// `plan` (physical) narrowed to a scan's projection and limit.
fn narrowed_physical(
    plan: Arc<dyn ExecutionPlan>,
    projection: Option<&Vec<usize>>,
    limit: Option<usize>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let mut plan = plan;
    if let Some(chosen) = projection {
        let schema = plan.schema();
        let exprs = chosen.iter().map(|i| {
            let expr: Arc<dyn PhysicalExpr> = Arc::new(Column::new(schema.field(*i).name(), *i));
            (expr, schema.field(*i).name().clone())
        });
        plan = Arc::new(ProjectionExec::try_new(exprs, plan)?);
    }
    if let Some(fetch) = limit {
        plan = Arc::new(GlobalLimitExec::new(plan, 0, Some(fetch)));
    }
    Ok(plan)
}

impl DeferredTable {
    /// The task context of a segql session over `caller`'s catalogs, and the physical plan of
    /// the work in it.
    async fn planned(
        &self,
        caller: &dyn Session,
        projection: Option<&Vec<usize>>,
        limit: Option<usize>,
    ) -> Result<(Arc<TaskContext>, Arc<dyn ExecutionPlan>)> {
        let ctx = segql_context(caller, &self.store)?;
        if let Work::Query(sql) = &self.work {
            register_s3_stores(&ctx, sql)?;
        }
        let context = ctx.task_ctx();
        let job = plan_work(
            ctx,
            self.work.clone(),
            Arc::clone(&self.store),
            projection.cloned(),
            limit,
        );
        // Planning may do I/O (file listings, footers, a whole report) through our tokio.
        let physical = runtime()
            .spawn(job)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?
            .map_err(explain_missing_store)?;
        Ok((context, physical))
    }
}

#[async_trait]
impl TableProvider for DeferredTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        caller: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (context, physical) = self.planned(caller, projection, limit).await?;
        let expected = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        if !same_columns(&physical.schema(), &expected) {
            return exec_err!(
                "the tables behind this segql query changed between planning and running it; \
                 run ctx.sql(...) again"
            );
        }
        // One partition, so an ORDER BY in the query reaches Python in order.
        let single: Arc<dyn ExecutionPlan> = if physical
            .properties()
            .output_partitioning()
            .partition_count()
            > 1
        {
            Arc::new(CoalescePartitionsExec::new(physical))
        } else {
            physical
        };
        Ok(Arc::new(InRuntimeExec::new(single, context)))
    }
}

/// Whether a plan made at scan time gives the columns planned: the same names and types, and
/// no NULLs where none were promised (the optimizer may learn that a column cannot be NULL,
/// e.g. a function of constants folded into a literal, but not the reverse).
fn same_columns(physical: &Schema, expected: &Schema) -> bool {
    physical.fields().len() == expected.fields().len()
        && physical
            .fields()
            .iter()
            .zip(expected.fields())
            .all(|(p, e)| {
                p.name() == e.name()
                    && p.data_type() == e.data_type()
                    && (e.is_nullable() || !p.is_nullable())
            })
}
