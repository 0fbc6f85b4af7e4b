//! One aggregation stage for `rfm()`'s per-customer aggregate, over rows hash-partitioned by
//! customer.
//!
//! DataFusion aggregates in two stages: a partial aggregate in every input partition, then a
//! final one that merges the partial states after a hash repartition. For sum or count that
//! shrinks the data early. `segql_rfm_measures` keeps each customer's distinct order ids and
//! purchase days, so its partial states are as large as its input's distinct values: every
//! partition builds sets for nearly every customer, serialises them as lists, and the final
//! stage builds them again. Here the rows themselves are hash-partitioned by customer and each
//! partition aggregates its own customers once (`AggregateMode::SinglePartitioned`), with half
//! the hash table per partition on two cores.
//!
//! ```sql
//! EXPLAIN SELECT * FROM rfm(sales);  -- AggregateExec: mode=SinglePartitioned over a hash repartition
//! ```

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, Partitioning};

use super::segql_rfm_measures;

/// `plan` with every two-stage `segql_rfm_measures` aggregate (partial, hash repartition,
/// final) replaced by a hash repartition of its input rows and a single aggregate stage.
/// Other aggregates are left as they are.
///
/// ```sql
/// SELECT * FROM rfm(sales);  -- planned through this rewrite
/// ```
pub fn single_stage(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_down(|node| {
        Ok(match rewrite(&node)? {
            Some(single) => Transformed::new(single, true, TreeNodeRecursion::Jump),
            None => Transformed::no(node),
        })
    })
    .map(|t| t.data)
}

fn rewrite(node: &Arc<dyn ExecutionPlan>) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(last) = node.downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    if *last.mode() != AggregateMode::FinalPartitioned {
        return Ok(None);
    }
    let Some(exchange) = last.input().downcast_ref::<RepartitionExec>() else {
        return Ok(None);
    };
    let Partitioning::Hash(_, partitions) = exchange.partitioning() else {
        return Ok(None);
    };
    let Some(partial) = exchange.input().downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    let ours = |a: &AggregateExec| {
        a.aggr_expr()
            .iter()
            .all(|e| e.fun().name() == segql_rfm_measures::NAME)
    };
    if *partial.mode() != AggregateMode::Partial
        || !partial.group_expr().is_single()
        || partial.group_expr().expr().is_empty()
        || !ours(partial)
        || !ours(last)
    {
        return Ok(None);
    }
    let keys = partial.group_expr().input_exprs();
    let rows = Arc::new(RepartitionExec::try_new(
        Arc::clone(partial.input()),
        Partitioning::Hash(keys, *partitions),
    )?);
    let single = AggregateExec::try_new(
        AggregateMode::SinglePartitioned,
        partial.group_expr().clone(),
        partial.aggr_expr().to_vec(),
        partial.filter_expr().to_vec(),
        rows,
        partial.input_schema(),
    )?;
    Ok(Some(Arc::new(single)))
}
