//! The lines of one order, collapsed to one row before `rfm()`'s per-customer aggregate.
//!
//! Transactions arrive invoice by invoice: the five or so lines of an order share the
//! customer, the time and the order id, and differ only in the amount. `segql_rfm_measures`
//! gets the same answer from one row carrying the lines' summed amount: first and last
//! purchase, distinct order ids and purchase days depend only on the shared columns, and the
//! amounts are added up either way. [`CollapseOrderLinesExec`] sits between the scan and the hash
//! repartition and replaces each run of consecutive rows equal in those columns with such a
//! row, so the repartition, the group lookup and the accumulator each handle an order once
//! instead of once per line.
//!
//! Only consecutive rows are merged, within one batch, so the operator streams and holds
//! nothing; input not grouped by order passes through unchanged (a batch whose runs would
//! save less than a tenth of its rows is forwarded as it is).
//!
//! ```sql
//! EXPLAIN ANALYZE SELECT * FROM rfm(sales);  -- CollapseOrderLinesExec: output_rows = the orders
//! ```

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, RecordBatch, UInt32Array,
};
use datafusion::arrow::buffer::{BooleanBuffer, ScalarBuffer};
use datafusion::arrow::compute::kernels::cmp::distinct;
use datafusion::arrow::compute::{filter_record_batch, take_record_batch};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
};
use futures::StreamExt;

use crate::error::internal_err;
use crate::functions::common::one_input_operator;

const NAME: &str = "rfm";

/// A batch is collapsed only if its runs are at most this share of its rows.
const WORTH_IT: f64 = 0.9;

/// Collapses runs of consecutive rows equal in the `keys` columns to their first row, with
/// the `amount` column (`DOUBLE`) summed over the run (NULL amounts count as nothing).
///
/// ```sql
/// SELECT * FROM rfm(sales);  -- planned with CollapseOrderLinesExec under the aggregate
/// ```
#[derive(Debug)]
pub struct CollapseOrderLinesExec {
    input: Arc<dyn ExecutionPlan>,
    keys: Vec<usize>,
    amount: usize,
    not_null: Vec<usize>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl CollapseOrderLinesExec {
    /// The same operator over a new `input` (for `with_new_children`).
    fn with_input(&self, input: Arc<dyn ExecutionPlan>) -> Result<Self> {
        Self::try_new(input, self.keys.clone(), self.amount, self.not_null.clone())
    }

    /// The operator over `input`; `keys` and `amount` are column indices of its schema, and
    /// `amount` must be a `DOUBLE` column that is not a key. Rows with a NULL in any of the
    /// `not_null` columns are dropped (the `IS NOT NULL` filter the operator replaces).
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        keys: Vec<usize>,
        amount: usize,
        not_null: Vec<usize>,
    ) -> Result<Self> {
        let schema = input.schema();
        let width = schema.fields().len();
        if keys.is_empty()
            || keys.iter().any(|&k| k >= width || k == amount)
            || not_null.iter().any(|&c| c >= width)
            || schema.fields().get(amount).map(|f| f.data_type()) != Some(&DataType::Float64)
        {
            return Err(internal_err(
                NAME,
                "CollapseOrderLinesExec needs key columns and a separate DOUBLE amount column",
            ));
        }
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema),
            input.output_partitioning().clone(),
            input.pipeline_behavior(),
            input.boundedness(),
        ));
        Ok(Self {
            input,
            keys,
            amount,
            not_null,
            properties,
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }
}

impl crate::functions::common::wire::Shipped for CollapseOrderLinesExec {
    const WIRE_NAME: &'static str = "collapse_order_lines";
    /// Keys, amount, not-null columns.
    type Settings = (Vec<usize>, usize, Vec<usize>);

    fn settings(&self) -> Self::Settings {
        (self.keys.clone(), self.amount, self.not_null.clone())
    }

    fn rebuild(
        (keys, amount, not_null): Self::Settings,
        input: Arc<dyn ExecutionPlan>,
        _store: Arc<dyn crate::model::ModelStore>,
    ) -> Result<Self> {
        Self::try_new(input, keys, amount, not_null)
    }
}

impl DisplayAs for CollapseOrderLinesExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let schema = self.input.schema();
        let keys: Vec<&str> = self
            .keys
            .iter()
            .map(|&k| schema.field(k).name().as_str())
            .collect();
        let amount = schema.field(self.amount).name();
        let not_null: Vec<&str> = self
            .not_null
            .iter()
            .map(|&c| schema.field(c).name().as_str())
            .collect();
        match t {
            DisplayFormatType::TreeRender => write!(f, "keys={}", keys.join(", ")),
            _ if not_null.is_empty() => {
                write!(
                    f,
                    "CollapseOrderLinesExec: keys=[{}], sum={amount}",
                    keys.join(", ")
                )
            }
            _ => write!(
                f,
                "CollapseOrderLinesExec: keys=[{}], sum={amount}, not_null=[{}]",
                keys.join(", "),
                not_null.join(", ")
            ),
        }
    }
}

impl ExecutionPlan for CollapseOrderLinesExec {
    one_input_operator!("CollapseOrderLinesExec", NAME);

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context)?;
        let metrics = BaselineMetrics::new(&self.metrics, partition);
        let keys = self.keys.clone();
        let amount = self.amount;
        let not_null = self.not_null.clone();
        let out = input.map(move |batch| {
            let batch = batch?;
            let timer = metrics.elapsed_compute().timer();
            let collapsed = collapse(&batch, &keys, amount, &not_null);
            timer.done();
            if let Ok(b) = &collapsed {
                metrics.record_output(b.num_rows());
                metrics.output_batches().add(1);
            }
            collapsed
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema(), out)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// `batch` without the rows that have a NULL in a `not_null` column, and with each run of rows
/// equal (NULL equal to NULL) in every `keys` column replaced by its first row, `amount` summed
/// over the run. When runs would save little, only the NULL rows are dropped.
pub fn collapse(
    batch: &RecordBatch,
    keys: &[usize],
    amount: usize,
    not_null: &[usize],
) -> Result<RecordBatch> {
    let n = batch.num_rows();
    let valid = validity(batch, not_null);
    let kept_rows = valid.as_ref().map_or(n, BooleanBuffer::count_set_bits);
    let only_valid = || -> Result<RecordBatch> {
        Ok(match &valid {
            Some(v) => filter_record_batch(batch, &BooleanArray::new(v.clone(), None))?,
            None => batch.clone(),
        })
    };
    let Some(boundaries) = boundaries(batch, keys)? else {
        return only_valid();
    };
    // run i covers rows starts[i]..starts[i + 1] (the last one up to n)
    let starts: Vec<u32> = std::iter::once(0)
        .chain(
            boundaries
                .iter()
                .enumerate()
                .filter(|&(_, &differs)| differs)
                .map(|(i, _)| (i + 1) as u32),
        )
        .collect();
    let ends: Vec<usize> = starts
        .iter()
        .skip(1)
        .map(|&s| s as usize)
        .chain([n])
        .collect();
    // a run is all NULL or all valid in the `not_null` columns: they are keys of the run
    let runs: Vec<(u32, usize)> = match &valid {
        Some(v) => starts
            .into_iter()
            .zip(ends)
            .filter(|&(s, _)| v.value(s as usize))
            .collect(),
        None => starts.into_iter().zip(ends).collect(),
    };
    if runs.len() as f64 > kept_rows as f64 * WORTH_IT {
        return only_valid();
    }
    let amounts = batch.column(amount).as_primitive::<Float64Type>();
    let values = amounts.values();
    let sums: Float64Array = match amounts.nulls().filter(|nulls| nulls.null_count() > 0) {
        None => runs
            .iter()
            .map(|&(s, e)| values[s as usize..e].iter().sum::<f64>())
            .collect(),
        Some(nulls) => runs
            .iter()
            .map(|&(s, e)| {
                (s as usize..e)
                    .filter(|&i| nulls.is_valid(i))
                    .map(|i| values[i])
                    .sum::<f64>()
            })
            .collect(),
    };
    let heads = UInt32Array::from_iter_values(runs.iter().map(|&(s, _)| s));
    let heads = take_record_batch(batch, &heads)?;
    let mut columns: Vec<ArrayRef> = heads.columns().to_vec();
    columns[amount] = Arc::new(sums);
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// Set where every `not_null` column is valid; `None` when none has a NULL in `batch`.
fn validity(batch: &RecordBatch, not_null: &[usize]) -> Option<BooleanBuffer> {
    not_null
        .iter()
        .filter_map(|&c| batch.column(c).logical_nulls())
        .filter(|nulls| nulls.null_count() > 0)
        .map(|nulls| nulls.inner().clone())
        .reduce(|a, b| &a & &b)
}

/// `true` at `i` where row `i + 1` differs from row `i` in some key column; `None` for batches
/// of fewer than two rows.
fn boundaries(batch: &RecordBatch, keys: &[usize]) -> Result<Option<Vec<bool>>> {
    let n = batch.num_rows();
    if n < 2 {
        return Ok(None);
    }
    let mut differs = vec![false; n - 1];
    for &k in keys {
        let column = batch.column(k);
        if !mark_differences(column, &mut differs) {
            // NULLs or an uncommon type: Arrow's kernel (NULL equals NULL, never NULL)
            let kernel = distinct(&column.slice(1, n - 1), &column.slice(0, n - 1))?;
            for (d, bit) in differs.iter_mut().zip(kernel.values()) {
                *d |= bit;
            }
        }
    }
    Ok(Some(differs))
}

/// Set `differs[i]` where row `i + 1` of `column` differs from row `i`, in one tight loop, for
/// columns without NULLs of 8-byte values (integers, timestamps) or short-string views; false
/// (nothing marked) for any other column.
///
/// Values are compared by their bits. Equal bits are equal values, so rows merged are always
/// rows a `GROUP BY` puts together; the rare values that are equal with different bits (a
/// float's `-0.0` and `0.0`) only end a run early.
fn mark_differences(column: &ArrayRef, differs: &mut [bool]) -> bool {
    if column.null_count() > 0 {
        return false;
    }
    if column.data_type().primitive_width() == Some(8) {
        let data = column.to_data();
        let values: ScalarBuffer<u64> =
            ScalarBuffer::new(data.buffers()[0].clone(), data.offset(), data.len());
        for (d, pair) in differs.iter_mut().zip(values.windows(2)) {
            *d |= pair[0] != pair[1];
        }
        return true;
    }
    if let Some(texts) = column.as_string_view_opt() {
        let views = texts.views();
        for (i, (d, pair)) in differs.iter_mut().zip(views.windows(2)).enumerate() {
            if *d || pair[0] == pair[1] {
                // equal views: equal inline texts, or the same bytes of the same buffer
                continue;
            }
            // the low 64 bits hold the length and the first four bytes
            let short = (pair[0] as u32) <= 12;
            *d = short || pair[0] as u64 != pair[1] as u64 || texts.value(i) != texts.value(i + 1);
        }
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringViewArray, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::{Field, Schema, TimeUnit};

    fn batch(
        customers: Vec<Option<i64>>,
        times: Vec<Option<i64>>,
        amounts: Vec<Option<f64>>,
        orders: Vec<Option<&str>>,
    ) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("c", DataType::Int64, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Microsecond, None), true),
            Field::new("a", DataType::Float64, true),
            Field::new("o", DataType::Utf8View, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(customers)),
                Arc::new(TimestampMicrosecondArray::from(times)),
                Arc::new(Float64Array::from(amounts)),
                Arc::new(StringViewArray::from(orders)),
            ],
        )
        .unwrap()
    }

    /// Row boundaries from Arrow's `distinct` kernel alone.
    fn kernel_boundaries(batch: &RecordBatch, keys: &[usize]) -> Vec<bool> {
        let n = batch.num_rows();
        let mut any = vec![false; n - 1];
        for &k in keys {
            let column = batch.column(k);
            let differs = distinct(&column.slice(1, n - 1), &column.slice(0, n - 1)).unwrap();
            for (a, d) in any.iter_mut().zip(differs.values()) {
                *a |= d;
            }
        }
        any
    }

    #[test]
    fn the_fast_comparisons_find_the_kernels_boundaries() {
        let long = "INVOICE-0000000000001";
        let same_prefix = "INVOICE-0000000000002";
        let orders = vec![
            Some("A1"),
            Some("A1"),
            Some("A12345678901"),
            Some("A12345678901"),
            Some(long),
            Some(long),
            Some(same_prefix),
            Some(same_prefix),
            Some("A1"),
            Some(long),
            Some(long),
        ];
        let n = orders.len();
        // the same long text at two places in the data buffer: equal, with different views
        let mut builder = datafusion::arrow::array::StringViewBuilder::new();
        for o in &orders {
            builder.append_value(o.unwrap());
        }
        let copied: ArrayRef = Arc::new(builder.finish());
        let customers = (0..n as i64).map(|i| Some(i / 4)).collect::<Vec<_>>();
        let times = (0..n as i64).map(|i| Some(i / 2)).collect::<Vec<_>>();
        let b = batch(customers, times, vec![Some(1.0); n], orders);
        let with_copies = RecordBatch::try_new(
            b.schema(),
            vec![
                Arc::clone(b.column(0)),
                Arc::clone(b.column(1)),
                Arc::clone(b.column(2)),
                copied,
            ],
        )
        .unwrap();
        for batch in [&b, &with_copies] {
            for keys in [&[3][..], &[0, 3], &[0, 1, 3], &[1]] {
                let fast: Vec<bool> = boundaries(batch, keys).unwrap().unwrap();
                assert_eq!(fast, kernel_boundaries(batch, keys), "keys {keys:?}");
            }
        }
        let only_orders = boundaries(&with_copies, &[3]).unwrap().unwrap();
        assert_eq!(
            only_orders,
            [
                false, true, false, true, false, true, false, true, true, false
            ]
        );
        // NULLs go to the kernel: NULL equals NULL
        let nulls = batch(
            vec![Some(1), None, None, Some(1)],
            vec![Some(0); 4],
            vec![Some(1.0); 4],
            vec![Some("x"); 4],
        );
        let with_nulls = boundaries(&nulls, &[0, 3]).unwrap().unwrap();
        assert_eq!(with_nulls, [true, false, true]);
    }

    #[test]
    fn runs_equal_in_every_key_become_one_row_with_the_summed_amount() {
        let input = batch(
            vec![
                Some(1),
                Some(1),
                Some(1),
                Some(2),
                Some(2),
                None,
                None,
                Some(1),
            ],
            vec![
                Some(5),
                Some(5),
                Some(5),
                Some(5),
                Some(6),
                Some(7),
                Some(7),
                Some(5),
            ],
            vec![
                Some(1.0),
                Some(2.0),
                None,
                Some(4.0),
                Some(8.0),
                Some(16.0),
                Some(32.0),
                Some(64.0),
            ],
            vec![
                Some("A"),
                Some("A"),
                Some("A"),
                Some("A"),
                Some("A"),
                None,
                None,
                Some("A"),
            ],
        );
        let out = collapse(&input, &[0, 1, 3], 2, &[]).unwrap();
        // runs: rows 0-2 (customer 1), 3 (customer 2, t=5), 4 (t=6), 5-6 (NULL customer and
        // order), 7 (customer 1 again: not consecutive with the first run)
        let expected = batch(
            vec![Some(1), Some(2), Some(2), None, Some(1)],
            vec![Some(5), Some(5), Some(6), Some(7), Some(5)],
            vec![Some(3.0), Some(4.0), Some(8.0), Some(48.0), Some(64.0)],
            vec![Some("A"), Some("A"), Some("A"), None, Some("A")],
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn rows_with_a_null_in_a_not_null_column_are_dropped_whether_or_not_runs_pay() {
        let input = batch(
            vec![Some(1), Some(1), None, None, Some(2), Some(2)],
            vec![Some(5), Some(5), Some(5), Some(5), Some(5), None],
            vec![
                Some(1.0),
                Some(2.0),
                Some(4.0),
                Some(8.0),
                Some(16.0),
                Some(32.0),
            ],
            vec![
                Some("A"),
                Some("A"),
                Some("A"),
                Some("A"),
                Some("B"),
                Some("B"),
            ],
        );
        let collapsed = collapse(&input, &[0, 1, 3], 2, &[0]).unwrap();
        let expected = batch(
            vec![Some(1), Some(2), Some(2)],
            vec![Some(5), Some(5), None],
            vec![Some(3.0), Some(16.0), Some(32.0)],
            vec![Some("A"), Some("B"), Some("B")],
        );
        assert_eq!(collapsed, expected);
        // no runs worth collapsing: the NULL customer rows still go
        let distinct = batch(
            vec![Some(1), None, Some(3), None],
            vec![Some(1), Some(2), Some(3), Some(4)],
            vec![Some(1.0), Some(2.0), Some(4.0), Some(8.0)],
            vec![Some("A"), Some("B"), Some("C"), Some("D")],
        );
        let expected = batch(
            vec![Some(1), Some(3)],
            vec![Some(1), Some(3)],
            vec![Some(1.0), Some(4.0)],
            vec![Some("A"), Some("C")],
        );
        assert_eq!(collapse(&distinct, &[0, 1, 3], 2, &[0]).unwrap(), expected);
        let one = distinct.slice(1, 1);
        assert_eq!(collapse(&one, &[0, 1, 3], 2, &[0]).unwrap().num_rows(), 0);
    }

    #[test]
    fn a_batch_without_long_runs_passes_through_unchanged() {
        let input = batch(
            (0..20).map(Some).collect(),
            (0..20).map(|_| Some(1)).collect(),
            (0..20).map(|i| Some(i as f64)).collect(),
            (0..20).map(|_| Some("A")).collect(),
        );
        // one run of two rows in twenty: 19 runs is more than 90 % of the rows
        let mut customers: Vec<Option<i64>> = (0..20).map(Some).collect();
        customers[1] = Some(0);
        let almost = batch(
            customers,
            (0..20).map(|_| Some(1)).collect(),
            (0..20).map(|i| Some(i as f64)).collect(),
            (0..20).map(|_| Some("A")).collect(),
        );
        assert_eq!(collapse(&input, &[0, 1, 3], 2, &[]).unwrap(), input);
        assert_eq!(collapse(&almost, &[0, 1, 3], 2, &[]).unwrap(), almost);
        let empty = input.slice(0, 0);
        assert_eq!(collapse(&empty, &[0, 1, 3], 2, &[]).unwrap(), empty);
    }

    #[test]
    fn columns_out_of_range_or_an_amount_that_is_not_a_double_are_refused() {
        use datafusion::physical_plan::empty::EmptyExec;
        let input = batch(vec![], vec![], vec![], vec![]);
        let scan = Arc::new(EmptyExec::new(input.schema()));
        assert!(CollapseOrderLinesExec::try_new(scan.clone(), vec![0, 1], 3, vec![]).is_err());
        assert!(CollapseOrderLinesExec::try_new(scan.clone(), vec![0, 2], 2, vec![]).is_err());
        assert!(CollapseOrderLinesExec::try_new(scan.clone(), vec![0, 1, 3], 2, vec![9]).is_err());
        assert!(CollapseOrderLinesExec::try_new(scan, vec![0, 1, 3], 2, vec![0]).is_ok());
    }

    /// The operator on its own over an in-memory input of two partitions: each run of lines
    /// with the same customer, time and order becomes one row with the amounts summed, and
    /// lines with a NULL customer are dropped.
    #[tokio::test]
    async fn runs_of_an_orders_lines_become_one_row() {
        let first = batch(
            vec![Some(1), Some(1), Some(1), None],
            vec![Some(10), Some(10), Some(10), Some(10)],
            vec![Some(2.0), Some(3.0), Some(1.0), Some(9.0)],
            vec![Some("A"), Some("A"), Some("B"), Some("B")],
        );
        let second = batch(
            vec![Some(2), Some(2)],
            vec![Some(20), Some(20)],
            vec![Some(1.5), Some(2.5)],
            vec![Some("C"), Some("C")],
        );
        let input = datafusion::datasource::memory::MemorySourceConfig::try_new_exec(
            &[vec![first.clone()], vec![second]],
            first.schema(),
            None,
        )
        .unwrap();
        let exec =
            Arc::new(CollapseOrderLinesExec::try_new(input, vec![0, 1, 3], 2, vec![0]).unwrap());
        let batches = datafusion::physical_plan::collect(exec, Arc::new(TaskContext::default()))
            .await
            .unwrap();
        let shown = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        let mut rows: Vec<&str> = shown
            .lines()
            .filter(|l| l.starts_with("| "))
            .skip(1)
            .collect();
        rows.sort();
        assert_eq!(
            rows,
            [
                "| 1 | 1970-01-01T00:00:00.000010 | 1.0 | B |",
                "| 1 | 1970-01-01T00:00:00.000010 | 5.0 | A |",
                "| 2 | 1970-01-01T00:00:00.000020 | 4.0 | C |",
            ],
            "{shown}"
        );
    }
}
