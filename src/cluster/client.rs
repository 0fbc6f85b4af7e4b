//! The client side: plans every statement here, as one process would, and sends the finished
//! physical plan of each query over data to the scheduler, which cuts it into stages at its
//! shuffles and runs them on the executors. Statements that read no data (catalog queries,
//! `segql_models()`, `SELECT 1`) are answered here.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use ballista_core::execution_plans::execute_physical_plan;
use ballista_core::extension::SessionConfigExt;
use datafusion::catalog::Session;
use datafusion::common::display::{PlanType, StringifiedPlan, ToStringifiedPlan};
use datafusion::common::format::ExplainFormat;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, exec_datafusion_err};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Explain, LogicalPlan};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::displayable;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::explain::ExplainExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties,
};
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};
use datafusion_proto::protobuf::PhysicalPlanNode;
use futures::TryStreamExt;

use super::codec::SegqlCodec;
use crate::functions::common::wire::encode_operator;

/// The query planner of a session on a cluster.
#[derive(Debug)]
pub struct ClusterPlanner {
    scheduler: String,
    codec: Arc<SegqlCodec>,
}

impl ClusterPlanner {
    /// Sends plans to the scheduler at `scheduler` (`http://host:port`).
    pub fn new(scheduler: String, codec: Arc<SegqlCodec>) -> Self {
        Self { scheduler, codec }
    }
}

#[async_trait]
impl QueryPlanner for ClusterPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if let LogicalPlan::Explain(explain) = logical_plan
            && explain.explain_format == ExplainFormat::Indent
            && explain.logical_optimization_succeeded
            && !explain.verbose
        {
            return self.explain(explain, session).await;
        }
        let plan = DefaultPhysicalPlanner::default()
            .create_physical_plan(logical_plan, session)
            .await?;
        if !reads_data(&plan)? {
            return Ok(plan);
        }
        let plan: Arc<dyn ExecutionPlan> = if plan.output_partitioning().partition_count() > 1 {
            Arc::new(CoalescePartitionsExec::new(plan))
        } else {
            plan
        };
        Ok(Arc::new(ClusterExec::new(
            plan,
            self.scheduler.clone(),
            Arc::clone(&self.codec),
        )))
    }
}

impl ClusterPlanner {
    /// `EXPLAIN`: the logical plans as DataFusion shows them and the physical plan as this
    /// planner makes it, so the plan shows what runs on the cluster and what here.
    async fn explain(
        &self,
        explain: &Explain,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let options = &session.config_options().explain;
        let mut plans = Vec::new();
        if !options.physical_plan_only {
            plans.clone_from(&explain.stringified_plans);
            plans.push(explain.plan.to_stringified(PlanType::FinalLogicalPlan));
        }
        if !options.logical_plan_only {
            let physical = self.create_physical_plan(&explain.plan, session).await?;
            plans.push(StringifiedPlan::new(
                PlanType::FinalPhysicalPlan,
                displayable(physical.as_ref()).indent(false).to_string(),
            ));
        }
        Ok(Arc::new(ExplainExec::new(
            Arc::clone(explain.schema.inner()),
            plans,
            false,
        )))
    }
}

/// Whether `plan` scans files or runs one of segql's operators: the work a cluster is for.
fn reads_data(plan: &Arc<dyn ExecutionPlan>) -> Result<bool> {
    let mut found = false;
    plan.apply(|node| {
        let scans_files = node.downcast_ref::<DataSourceExec>().is_some_and(|source| {
            source
                .data_source()
                .downcast_ref::<FileScanConfig>()
                .is_some()
        });
        found = scans_files || encode_operator(node.as_ref()).is_some();
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    })?;
    Ok(found)
}

/// A query planned here and run on the cluster: one partition, the stream of the job's
/// result. `EXPLAIN` shows the plan it sends.
#[derive(Debug)]
pub struct ClusterExec {
    plan: Arc<dyn ExecutionPlan>,
    scheduler: String,
    codec: Arc<SegqlCodec>,
    properties: Arc<PlanProperties>,
}

impl ClusterExec {
    fn new(plan: Arc<dyn ExecutionPlan>, scheduler: String, codec: Arc<SegqlCodec>) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(plan.schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Self {
            plan,
            scheduler,
            codec,
            properties,
        }
    }
}

impl DisplayAs for ClusterExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        match t {
            DisplayFormatType::TreeRender => write!(f, "scheduler={}", self.scheduler),
            _ => {
                let sent = displayable(self.plan.as_ref()).indent(false).to_string();
                write!(
                    f,
                    "ClusterExec: scheduler={}, runs:\n{sent}",
                    self.scheduler
                )
            }
        }
    }
}

impl ExecutionPlan for ClusterExec {
    fn name(&self) -> &str {
        "ClusterExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(
            &Arc<dyn datafusion::physical_expr::PhysicalExpr>,
        ) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return datafusion::common::internal_err!(
                "ClusterExec has one partition, asked for {partition}"
            );
        }
        let config = context.session_config().clone();
        let session_id = context.session_id();
        let plan = Arc::clone(&self.plan);
        let codec = Arc::clone(&self.codec);
        let scheduler = self.scheduler.clone();
        let schema = plan.schema();
        let result = futures::stream::once(async move {
            let ballista = config.ballista_config();
            let address = scheduler.clone();
            execute_physical_plan::<PhysicalPlanNode>(
                scheduler,
                &ballista,
                plan,
                codec.as_ref(),
                session_id,
                config,
            )
            .await
            .map_err(|e| {
                exec_datafusion_err!(
                    "the cluster's scheduler at {address} did not take the query (is `segql \
                     scheduler` running there, with executors?): {e}"
                )
            })
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, result)))
    }
}
