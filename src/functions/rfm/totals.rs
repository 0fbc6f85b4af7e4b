//! The population totals `rfm()` scores against: the latest purchase over all customers (the
//! default snapshot is one day after it) and the number of customers (the n the scores divide by).
//!
//! DataFusion's `max(..) OVER ()` and `NTILE` are unbounded windows: each gathers every
//! customer into one record batch, and the sort after it then has to reserve memory for that
//! whole batch at once, which fails under a session memory limit long before the data is large.
//! [`RfmTotalsExec`] instead keeps its input as the batches it arrived in (counted against the
//! memory pool), and emits them unchanged with two constant columns appended; the scores are then
//! computed from ranks ([`super::ranks`]) and the customer count.
//!
//! ```sql
//! EXPLAIN SELECT * FROM rfm(sales);   -- RfmTotalsExec between the aggregate and the sorts
//! ```

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimestampMicrosecondType};
use datafusion::common::Result;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{StreamExt, TryStreamExt, stream};

use crate::error::internal_err;
use crate::functions::common::over_input::{InputOperator, OverInput, Scan};
use crate::functions::common::{
    execute_only_partition, final_single_partition, one_input_operator, one_partition,
};

const NAME: &str = "rfm";

/// The name the per-customer table shows under in logical plans.
pub const TABLE_NAME: &str = "rfm_customers";

/// The appended column holding the latest purchase over all customers, in microseconds since
/// the epoch (NULL when no customer has one).
pub const LATEST: &str = "__rfm_latest_us";

/// The appended column holding the number of customers.
pub const CUSTOMERS: &str = "__rfm_customers";

/// `per_customer` (one row per customer, with a `time_column` timestamp) as a plan node that
/// also carries the [`LATEST`] and [`CUSTOMERS`] totals on every row.
///
/// ```sql
/// SELECT * FROM rfm(sales);   -- recency and scores read the totals
/// ```
pub fn with_totals(per_customer: LogicalPlan, time_column: &str) -> Result<LogicalPlanBuilder> {
    let input_schema = per_customer.schema().as_arrow().clone();
    let time_index = input_schema.index_of(time_column).map_err(|_| {
        internal_err(
            NAME,
            format!("the per-customer plan has no column {time_column}"),
        )
    })?;
    let mut fields: Vec<Arc<Field>> = input_schema.fields().iter().cloned().collect();
    fields.push(Arc::new(Field::new(LATEST, DataType::Int64, true)));
    fields.push(Arc::new(Field::new(CUSTOMERS, DataType::Int64, false)));
    let schema = Arc::new(Schema::new(fields));
    let operator = TotalsOperator {
        time_index,
        schema: Arc::clone(&schema),
    };
    OverInput::new(Arc::new(per_customer), schema, operator).scan(TABLE_NAME)
}

/// What the table behind [`with_totals`] puts on its planned input: [`RfmTotalsExec`].
#[derive(Debug)]
struct TotalsOperator {
    time_index: usize,
    schema: SchemaRef,
}

impl InputOperator for TotalsOperator {
    fn wrap(&self, scan: Scan<'_>) -> Result<Arc<dyn ExecutionPlan>> {
        let (input, projection) = (scan.input, scan.projection);
        Ok(Arc::new(RfmTotalsExec::try_new(
            input,
            self.time_index,
            Arc::clone(&self.schema),
            projection.cloned(),
        )?))
    }
}

/// Buffers one row per customer, then emits the same batches with the latest purchase and the
/// customer count appended.
#[derive(Debug)]
pub struct RfmTotalsExec {
    input: Arc<dyn ExecutionPlan>,
    time_index: usize,
    full_schema: SchemaRef,
    projection: Option<Vec<usize>>,
    properties: Arc<PlanProperties>,
}

impl RfmTotalsExec {
    /// The same operator over a new `input` (for `with_new_children`).
    fn with_input(&self, input: Arc<dyn ExecutionPlan>) -> Result<Self> {
        Self::try_new(
            input,
            self.time_index,
            Arc::clone(&self.full_schema),
            self.projection.clone(),
        )
    }

    /// The operator over `input` (coalesced to one partition if needed): `full_schema` is the
    /// input's schema plus the two totals, of which `projection` is emitted.
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        time_index: usize,
        full_schema: SchemaRef,
        projection: Option<Vec<usize>>,
    ) -> Result<Self> {
        let input = one_partition(input);
        if full_schema.fields().len() != input.schema().fields().len() + 2 {
            return Err(internal_err(
                NAME,
                "RfmTotalsExec's schema must be its input's plus two totals",
            ));
        }
        let (_schema, properties) = final_single_partition(&full_schema, projection.as_ref())?;
        Ok(Self {
            input,
            time_index,
            full_schema,
            projection,
            properties,
        })
    }
}

impl crate::functions::common::wire::Shipped for RfmTotalsExec {
    const WIRE_NAME: &'static str = "rfm_totals";
    type Settings = RfmTotalsSettings;

    fn settings(&self) -> Self::Settings {
        RfmTotalsSettings {
            time_index: self.time_index,
            full_schema: Arc::clone(&self.full_schema),
            projection: self.projection.clone(),
        }
    }

    fn rebuild(
        s: Self::Settings,
        input: Arc<dyn ExecutionPlan>,
        _store: Arc<dyn crate::model::ModelStore>,
    ) -> Result<Self> {
        Self::try_new(input, s.time_index, s.full_schema, s.projection)
    }
}

#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
/// What rebuilds an [`RfmTotalsExec`] elsewhere.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct RfmTotalsSettings {
    time_index: usize,
    #[serde(with = "crate::functions::common::wire::schema")]
    full_schema: SchemaRef,
    projection: Option<Vec<usize>>,
}

impl DisplayAs for RfmTotalsExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let time = self.full_schema.field(self.time_index).name();
        match t {
            DisplayFormatType::TreeRender => write!(f, "latest={time}"),
            _ => write!(
                f,
                "RfmTotalsExec: {LATEST}=max({time}), {CUSTOMERS}=count(*)"
            ),
        }
    }
}

impl ExecutionPlan for RfmTotalsExec {
    one_input_operator!("RfmTotalsExec", NAME);

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input =
            execute_only_partition(&self.input, partition, &context, NAME, "RfmTotalsExec")?;
        let reservation = MemoryConsumer::new("RfmTotalsExec").register(context.memory_pool());
        let time_index = self.time_index;
        let schema = Arc::clone(&self.full_schema);
        let projection = self.projection.clone();
        let gathered = stream::once(gather(input, time_index, reservation));
        let out = gathered
            .map_ok(move |gathered| {
                let schema = Arc::clone(&schema);
                let projection = projection.clone();
                let Gathered {
                    batches,
                    totals,
                    reservation,
                } = gathered;
                stream::iter(batches).map(move |batch| {
                    let held = held_bytes(&batch)?;
                    reservation.shrink(held.min(reservation.size()));
                    let full = totals.append(&schema, &batch)?;
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

/// The latest purchase and the number of customers.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Totals {
    latest: Option<i64>,
    customers: i64,
}

impl Totals {
    /// Count the rows of `batch`, whose `time` column is a microsecond timestamp.
    fn add(&mut self, time: &ArrayRef) -> Result<()> {
        let Some(time) = time.as_primitive_opt::<TimestampMicrosecondType>() else {
            return Err(internal_err(
                NAME,
                format!(
                    "the last purchase must be a microsecond timestamp, got {}",
                    time.data_type()
                ),
            ));
        };
        if let Some(max) = datafusion::arrow::compute::max(time) {
            self.latest = Some(self.latest.map_or(max, |l| l.max(max)));
        }
        self.customers += time.len() as i64;
        Ok(())
    }

    /// `batch` with the two totals appended as constant columns.
    fn append(&self, schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch> {
        let n = batch.num_rows();
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(Int64Array::from(vec![self.latest; n])));
        columns.push(Arc::new(Int64Array::from_value(self.customers, n)));
        Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
    }
}

/// The bytes of `batch`'s own rows. The aggregate's output batches are slices of larger
/// arrays, whose full size `get_array_memory_size` would count once per slice.
pub(crate) fn held_bytes(batch: &RecordBatch) -> Result<usize> {
    let mut bytes = 0;
    for column in batch.columns() {
        bytes += column.to_data().get_slice_memory_size()?;
    }
    Ok(bytes)
}

/// Every input batch, the totals, and the memory they hold.
struct Gathered {
    batches: Vec<RecordBatch>,
    totals: Totals,
    reservation: MemoryReservation,
}

async fn gather(
    mut input: SendableRecordBatchStream,
    time_index: usize,
    reservation: MemoryReservation,
) -> Result<Gathered> {
    let mut batches = Vec::new();
    let mut totals = Totals {
        latest: None,
        customers: 0,
    };
    while let Some(batch) = input.next().await {
        let batch = batch?;
        if batch.num_rows() == 0 {
            continue;
        }
        reservation.try_grow(held_bytes(&batch)?)?;
        totals.add(batch.column(time_index))?;
        batches.push(batch);
    }
    Ok(Gathered {
        batches,
        totals,
        reservation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::TimestampMicrosecondArray;

    #[test]
    fn totals_are_the_latest_time_and_the_row_count_over_all_batches() {
        let mut totals = Totals {
            latest: None,
            customers: 0,
        };
        let a: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![
            Some(5),
            None,
            Some(9),
        ]));
        let b: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![Some(7)]));
        totals.add(&a).unwrap();
        totals.add(&b).unwrap();
        assert_eq!(
            totals,
            Totals {
                latest: Some(9),
                customers: 4
            }
        );
    }

    #[test]
    fn a_time_column_of_another_type_is_an_error_not_a_panic() {
        let mut totals = Totals {
            latest: None,
            customers: 0,
        };
        let wrong: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let err = totals.add(&wrong).unwrap_err().to_string();
        assert!(err.contains("microsecond timestamp"), "{err}");
    }

    /// The operator on its own over two in-memory partitions: the partitions are merged, every
    /// row keeps its columns and gains the latest purchase (9) and the customer count (4).
    #[tokio::test]
    async fn every_row_gains_the_totals_over_all_partitions() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("customer", DataType::Int64, false),
            Field::new(
                "last",
                DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, None),
                true,
            ),
        ]));
        let part = |customers: Vec<i64>, times: Vec<Option<i64>>| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(Int64Array::from(customers)),
                    Arc::new(TimestampMicrosecondArray::from(times)),
                ],
            )
            .unwrap()
        };
        let input = datafusion::datasource::memory::MemorySourceConfig::try_new_exec(
            &[
                vec![part(vec![1, 2], vec![Some(5), None])],
                vec![part(vec![3, 4], vec![Some(9), Some(7)])],
            ],
            Arc::clone(&schema),
            None,
        )
        .unwrap();
        let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
        fields.push(Arc::new(Field::new(LATEST, DataType::Int64, true)));
        fields.push(Arc::new(Field::new(CUSTOMERS, DataType::Int64, false)));
        let exec = Arc::new(
            RfmTotalsExec::try_new(input, 1, Arc::new(Schema::new(fields)), None).unwrap(),
        );
        let batches = datafusion::physical_plan::collect(exec, Arc::new(TaskContext::default()))
            .await
            .unwrap();
        let all =
            datafusion::arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let customers = all
            .column(0)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let mut seen: Vec<i64> = customers.values().to_vec();
        seen.sort();
        assert_eq!(seen, [1, 2, 3, 4]);
        let latest = all
            .column(2)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        let count = all
            .column(3)
            .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        assert!(latest.iter().all(|v| v == Some(9)), "{latest:?}");
        assert!(count.iter().all(|v| v == Some(4)), "{count:?}");
    }
}
