//! The ranks `rfm()` scores customers by: each customer's position (from 1) in several
//! orderings of the whole customer table, computed side by side.
//!
//! `row_number() OVER (ORDER BY ..)` for three different orderings is three window operators,
//! each behind its own full sort of all customers on a single partition, run one after the
//! other. [`RfmRanksExec`] gathers the customers once (counted against the memory pool),
//! sorts the orderings' columns on one thread each with Arrow's `lexsort_to_indices` (the same
//! comparison as DataFusion's sort: same direction, NULL placement and float order), and emits
//! the batches as they came with one `UInt64` rank column per ordering appended.
//!
//! ```sql
//! EXPLAIN SELECT * FROM rfm(sales);   -- RfmRanksExec between the measures and the scores
//! ```

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, UInt64Array, new_empty_array};
use datafusion::arrow::compute::{SortColumn, concat, lexsort_to_indices};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::{TableType, provider_as_source};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, SortExpr};
use datafusion::physical_expr::{
    EquivalenceProperties, LexOrdering, PhysicalExpr, create_physical_sort_exprs,
};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    PlanProperties,
};
use futures::{StreamExt, TryStreamExt, stream};

use crate::error::arg_err;

const NAME: &str = "rfm";

/// The name the ranked customer table shows under in logical plans.
pub const TABLE_NAME: &str = "rfm_ranked";

/// `input` with one `UInt64` column per `(name, ordering)` appended: every row's position,
/// from 1, when all rows are sorted by the ordering (the `row_number()` of a window ordered so).
///
/// ```sql
/// SELECT * FROM rfm(sales);   -- r, f and m ranks, then NTILE from them
/// ```
pub fn with_ranks(
    input: LogicalPlan,
    orderings: Vec<(String, Vec<SortExpr>)>,
) -> Result<LogicalPlanBuilder> {
    let mut fields: Vec<Arc<Field>> = input.schema().as_arrow().fields().iter().cloned().collect();
    fields.extend(
        orderings
            .iter()
            .map(|(name, _)| Arc::new(Field::new(name, DataType::UInt64, false))),
    );
    let table = RfmRanksTable {
        input: Arc::new(input),
        orderings: orderings.into_iter().map(|(_, o)| o).collect(),
        schema: Arc::new(Schema::new(fields)),
    };
    LogicalPlanBuilder::scan(TABLE_NAME, provider_as_source(Arc::new(table)), None)
}

/// The table behind [`with_ranks`]: plans its input when scanned and puts [`RfmRanksExec`] on
/// top.
#[derive(Debug)]
struct RfmRanksTable {
    input: Arc<LogicalPlan>,
    orderings: Vec<Vec<SortExpr>>,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for RfmRanksTable {
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
        let input = state.create_physical_plan(&self.input).await?;
        let mut orderings = Vec::with_capacity(self.orderings.len());
        for ordering in &self.orderings {
            let exprs = create_physical_sort_exprs(
                ordering,
                self.input.schema(),
                state.execution_props(),
                &PhysicalPlanningContext::default(),
            )?;
            let Some(ordering) = LexOrdering::new(exprs) else {
                return Err(arg_err(NAME, "internal: a rank needs an ordering"));
            };
            orderings.push(ordering);
        }
        Ok(Arc::new(RfmRanksExec::try_new(
            input,
            orderings,
            Arc::clone(&self.schema),
            projection.cloned(),
        )?))
    }
}

/// Gathers all rows, then emits the same batches with one rank column per ordering appended.
#[derive(Debug)]
pub struct RfmRanksExec {
    input: Arc<dyn ExecutionPlan>,
    orderings: Vec<LexOrdering>,
    full_schema: SchemaRef,
    projection: Option<Vec<usize>>,
    properties: Arc<PlanProperties>,
}

impl RfmRanksExec {
    /// The operator over `input` (coalesced to one partition if needed): `full_schema` is the
    /// input's schema plus one rank per ordering, of which `projection` is emitted.
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        orderings: Vec<LexOrdering>,
        full_schema: SchemaRef,
        projection: Option<Vec<usize>>,
    ) -> Result<Self> {
        let input: Arc<dyn ExecutionPlan> = if input.output_partitioning().partition_count() > 1 {
            Arc::new(CoalescePartitionsExec::new(input))
        } else {
            input
        };
        if full_schema.fields().len() != input.schema().fields().len() + orderings.len() {
            return Err(arg_err(
                NAME,
                "internal: RfmRanksExec's schema must be its input's plus one rank per ordering",
            ));
        }
        let schema = match &projection {
            Some(p) => Arc::new(full_schema.project(p)?),
            None => Arc::clone(&full_schema),
        };
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        Ok(Self {
            input,
            orderings,
            full_schema,
            projection,
            properties,
        })
    }
}

impl DisplayAs for RfmRanksExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let first_rank = self.full_schema.fields().len() - self.orderings.len();
        let ranks: Vec<String> = self
            .orderings
            .iter()
            .enumerate()
            .map(|(i, o)| format!("{}=[{o}]", self.full_schema.field(first_rank + i).name()))
            .collect();
        match t {
            DisplayFormatType::TreeRender => write!(f, "ranks={}", ranks.len()),
            _ => write!(f, "RfmRanksExec: {}", ranks.join(", ")),
        }
    }
}

impl ExecutionPlan for RfmRanksExec {
    fn name(&self) -> &str {
        "RfmRanksExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        for sort in self.orderings.iter().flat_map(|o| o.iter()) {
            if f(&sort.expr)? == TreeNodeRecursion::Stop {
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(input) = children.pop().filter(|_| children.is_empty()) else {
            return Err(arg_err(NAME, "RfmRanksExec takes exactly one input"));
        };
        Ok(Arc::new(Self::try_new(
            input,
            self.orderings.clone(),
            Arc::clone(&self.full_schema),
            self.projection.clone(),
        )?))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(arg_err(
                NAME,
                format!("RfmRanksExec has one partition, asked for {partition}"),
            ));
        }
        let input = self.input.execute(0, Arc::clone(&context))?;
        let reservation = MemoryConsumer::new("RfmRanksExec").register(context.memory_pool());
        let orderings = self.orderings.clone();
        let schema = Arc::clone(&self.full_schema);
        let projection = self.projection.clone();
        let ranked = stream::once(rank(input, orderings, reservation));
        let out = ranked
            .map_ok(move |ranked| {
                let schema = Arc::clone(&schema);
                let projection = projection.clone();
                let Ranked {
                    batches,
                    ranks,
                    reservation,
                } = ranked;
                let mut offset = 0;
                stream::iter(batches).map(move |batch| {
                    let n = batch.num_rows();
                    let mut columns = batch.columns().to_vec();
                    columns.extend(
                        ranks
                            .iter()
                            .map(|r| Arc::new(r.slice(offset, n)) as ArrayRef),
                    );
                    offset += n;
                    reservation.shrink(held_bytes(&batch)?.min(reservation.size()));
                    let full = RecordBatch::try_new(Arc::clone(&schema), columns)?;
                    match &projection {
                        Some(p) => Ok(full.project(p)?),
                        None => Ok(full),
                    }
                })
            })
            .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(self.properties.eq_properties.schema()),
            out,
        )))
    }
}

/// Every input batch, one rank array per ordering over their concatenated rows, and the
/// memory the batches hold.
struct Ranked {
    batches: Vec<RecordBatch>,
    ranks: Vec<UInt64Array>,
    reservation: MemoryReservation,
}

async fn rank(
    mut input: SendableRecordBatchStream,
    orderings: Vec<LexOrdering>,
    reservation: MemoryReservation,
) -> Result<Ranked> {
    let schema = input.schema();
    let mut batches = Vec::new();
    while let Some(batch) = input.next().await {
        let batch = batch?;
        if batch.num_rows() == 0 {
            continue;
        }
        reservation.try_grow(held_bytes(&batch)?)?;
        batches.push(batch);
    }
    // the sort columns of all rows, per ordering
    let mut sort_columns = Vec::with_capacity(orderings.len());
    for ordering in &orderings {
        let mut columns = Vec::with_capacity(ordering.len());
        for sort in ordering.iter() {
            let parts = batches
                .iter()
                .map(|b| sort.expr.evaluate(b)?.into_array(b.num_rows()))
                .collect::<Result<Vec<_>>>()?;
            let parts: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
            let values = if parts.is_empty() {
                new_empty_array(&sort.expr.data_type(&schema)?)
            } else {
                concat(&parts)?
            };
            columns.push(SortColumn {
                values,
                options: Some(sort.options),
            });
        }
        sort_columns.push(columns);
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    // the sorts' columns and ranks are held until the batches are emitted
    let extra: usize = sort_columns
        .iter()
        .flatten()
        .map(|c| c.values.get_array_memory_size())
        .sum::<usize>()
        + rows * 12 * orderings.len();
    reservation.try_grow(extra)?;
    let ranks = std::thread::scope(|scope| {
        let handles: Vec<_> = sort_columns
            .iter()
            .map(|columns| scope.spawn(move || positions(columns, rows)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(arg_err(NAME, "internal: a rank thread panicked")))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    reservation.shrink(extra.min(reservation.size()));
    reservation.try_grow(rows * 8 * orderings.len())?;
    Ok(Ranked {
        batches,
        ranks,
        reservation,
    })
}

/// Every row's position, from 1, in the order of `columns` (all `rows` long).
fn positions(columns: &[SortColumn], rows: usize) -> Result<UInt64Array> {
    let order = lexsort_to_indices(columns, None)?;
    let mut ranks = vec![0u64; rows];
    for (position, &row) in order.values().iter().enumerate() {
        ranks[row as usize] = position as u64 + 1;
    }
    Ok(UInt64Array::from(ranks))
}

/// The bytes of `batch`'s own rows (the batches may be slices of larger arrays).
fn held_bytes(batch: &RecordBatch) -> Result<usize> {
    let mut bytes = 0;
    for column in batch.columns() {
        bytes += column.to_data().get_slice_memory_size()?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray};
    use datafusion::arrow::compute::SortOptions;

    #[test]
    fn positions_follow_the_ordering_with_ties_broken_by_the_next_column() {
        // value descending with NULLs last, then key ascending
        let value: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(2.0),
            None,
            Some(5.0),
            Some(2.0),
            Some(-0.0),
            Some(0.0),
        ]));
        let key: ArrayRef = Arc::new(StringArray::from(vec!["b", "a", "c", "a", "e", "d"]));
        let columns = [
            SortColumn {
                values: value,
                options: Some(SortOptions {
                    descending: true,
                    nulls_first: false,
                }),
            },
            SortColumn {
                values: key,
                options: Some(SortOptions {
                    descending: false,
                    nulls_first: false,
                }),
            },
        ];
        // order: c(5), a(2), b(2), d(0.0), e(-0.0), NULL
        let ranks = positions(&columns, 6).unwrap();
        assert_eq!(ranks.values().to_vec(), vec![3, 6, 1, 2, 5, 4]);
    }

    #[test]
    fn no_rows_no_ranks() {
        let columns = [SortColumn {
            values: Arc::new(Int64Array::from(Vec::<i64>::new())),
            options: None,
        }];
        assert_eq!(positions(&columns, 0).unwrap().len(), 0);
    }
}
