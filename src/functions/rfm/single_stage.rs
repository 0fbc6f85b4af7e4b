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
//! the hash table per partition on two cores. Before the repartition,
//! [`CollapseOrderLinesExec`](super::collapse_order_lines::CollapseOrderLinesExec) collapses each order's lines to one row.
//!
//! ```sql
//! EXPLAIN SELECT * FROM rfm(sales);  -- AggregateExec: mode=SinglePartitioned over a hash repartition
//! ```

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{Column, IsNotNullExpr};
use datafusion::physical_expr::utils::split_conjunction;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ExecutionPlan, Partitioning};

use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};

use super::collapse_order_lines::CollapseOrderLinesExec;
use super::segql_rfm_measures;
use crate::functions::common::over_input::{InputOperator, OverInput, Scan, projected};

/// The scan name of the per-customer stage.
const TABLE_NAME: &str = "rfm_per_customer";

/// `per_customer`, the plan of rfm()'s per-customer aggregate, as a scan whose physical plan
/// is [`single_stage`]: the stage that plans the aggregate is the one that decides how it runs.
pub fn single_stage_scan(per_customer: LogicalPlan) -> Result<LogicalPlanBuilder> {
    let schema = Arc::new(per_customer.schema().as_arrow().clone());
    OverInput::new(Arc::new(per_customer), schema, SingleStage).scan(TABLE_NAME)
}

/// What the table behind [`single_stage_scan`] puts on its planned input.
#[derive(Debug)]
struct SingleStage;

impl InputOperator for SingleStage {
    fn wrap(&self, scan: Scan<'_>) -> Result<Arc<dyn ExecutionPlan>> {
        projected(single_stage(scan.input)?, scan.projection)
    }
}

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
    let input = match run_columns(partial) {
        Some((run_keys, amount)) => {
            // an `IS NOT NULL` filter right below is done by the operator as it collapses
            let (input, not_null) = match not_null_filter(partial.input()) {
                Some((below, columns)) => (below, columns),
                None => (Arc::clone(partial.input()), Vec::new()),
            };
            Arc::new(CollapseOrderLinesExec::try_new(
                input, run_keys, amount, not_null,
            )?) as Arc<dyn ExecutionPlan>
        }
        None => Arc::clone(partial.input()),
    };
    let rows = Arc::new(RepartitionExec::try_new(
        input,
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

/// The columns [`CollapseOrderLinesExec`] can collapse the aggregate's input by: the group keys, the time
/// and the order id as keys, the amount as the sum. `None` (no collapse) unless every one of
/// them is a plain input column, an order id is given (without one, frequency counts rows),
/// the amount is a `DOUBLE` and no FILTER clause is used.
fn run_columns(partial: &AggregateExec) -> Option<(Vec<usize>, usize)> {
    let column = |e: &Arc<dyn PhysicalExpr>| e.downcast_ref::<Column>().map(Column::index);
    let mut keys = Vec::new();
    for (expr, _) in partial.group_expr().expr() {
        keys.push(column(expr)?);
    }
    let [measures] = partial.aggr_expr() else {
        return None;
    };
    if partial.filter_expr().iter().any(Option::is_some) {
        return None;
    }
    let args = measures.expressions();
    let [time, amount, order] = args.as_slice() else {
        return None;
    };
    let (time, amount, order) = (column(time)?, column(amount)?, column(order)?);
    let schema = partial.input_schema();
    if schema.field(amount).data_type() != &DataType::Float64
        || [time, order].contains(&amount)
        || keys.contains(&amount)
    {
        return None;
    }
    keys.extend([time, order]);
    Some((keys, amount))
}

/// The input of `plan` and the columns it requires to be non-NULL, if `plan` is a filter that
/// only drops rows with a NULL in some columns (`a IS NOT NULL AND b IS NOT NULL`) and passes
/// every column through.
fn not_null_filter(plan: &Arc<dyn ExecutionPlan>) -> Option<(Arc<dyn ExecutionPlan>, Vec<usize>)> {
    let filter = plan.downcast_ref::<FilterExec>()?;
    if filter.projection().is_some() || filter.fetch().is_some() {
        return None;
    }
    let mut columns = Vec::new();
    for conjunct in split_conjunction(filter.predicate()) {
        let not_null = conjunct.downcast_ref::<IsNotNullExpr>()?;
        let column = not_null.arg().downcast_ref::<Column>()?;
        if !columns.contains(&column.index()) {
            columns.push(column.index());
        }
    }
    Some((Arc::clone(filter.input()), columns))
}
