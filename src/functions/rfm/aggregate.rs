//! `rfm(time, amount, as_of [, order_id])` as an aggregate: the RFM measures of each group, as a
//! struct, so customers can be grouped by anything.
//!
//! ```sql
//! SELECT CustomerID, Country,
//!        rfm(InvoiceDate, Quantity * UnitPrice, '2011-12-10', InvoiceNo) AS r
//! FROM sales GROUP BY CustomerID, Country;
//!
//! SELECT CustomerID, rfm(InvoiceDate, Quantity * UnitPrice, '2011-12-10')['recency_days']
//! FROM sales GROUP BY CustomerID;
//! ```
//!
//! The definitions match the table function: rows with a NULL time (or a time after `as_of`)
//! are left out, NULL amounts count as nothing, frequency counts distinct order ids (rows when no
//! order id is given), recency is whole days from the last purchase to `as_of`. The struct has
//! `recency_days`, `frequency`, `monetary`, `first_purchase`, `last_purchase`.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, StringArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Fields, Float64Type, Int64Type, TimestampMicrosecondType,
};
use datafusion::common::scalar::ScalarStructBuilder;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

use super::segql_timestamp::{self, MICROS_PER_DAY, TIMESTAMP_US};
use crate::error::{arg_err, data_err};
use crate::functions::common::{function_doc, udf_identity};

function_doc!("rfm", "aggregate.md");

/// The UDAF singleton.
pub fn udaf() -> Arc<AggregateUDF> {
    static UDAF: LazyLock<Arc<AggregateUDF>> =
        LazyLock::new(|| Arc::new(AggregateUDF::from(RfmAggregate::new())));
    Arc::clone(&UDAF)
}

/// The fields of the struct `rfm(...)` returns.
pub fn result_fields() -> Fields {
    Fields::from(vec![
        Field::new("recency_days", DataType::Int64, true),
        Field::new("frequency", DataType::Int64, false),
        Field::new("monetary", DataType::Float64, false),
        Field::new("first_purchase", TIMESTAMP_US, true),
        Field::new("last_purchase", TIMESTAMP_US, true),
    ])
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct RfmAggregate {
    signature: Signature,
}

impl RfmAggregate {
    fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

const USAGE: &str = "usage: rfm(time, amount, as_of [, order_id])";

impl AggregateUDFImpl for RfmAggregate {
    udf_identity!(NAME, DOC);

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(3..=4).contains(&arg_types.len()) {
            return Err(arg_err(
                NAME,
                format!("takes 3 or 4 arguments, got {}; {USAGE}", arg_types.len()),
            ));
        }
        let (time, amount, as_of) = (&arg_types[0], &arg_types[1], &arg_types[2]);
        if !segql_timestamp::accepts(time) {
            return Err(arg_err(
                NAME,
                format!("time must be a date, timestamp or ISO-8601 text, got {time}; {USAGE}"),
            ));
        }
        if !(amount.is_numeric() || amount == &DataType::Null) {
            return Err(arg_err(
                NAME,
                format!("amount must be a number, got {amount}; {USAGE}"),
            ));
        }
        if !segql_timestamp::accepts(as_of) || as_of == &DataType::Null {
            return Err(arg_err(
                NAME,
                format!("as_of must be a date, timestamp or ISO-8601 text, got {as_of}; {USAGE}"),
            ));
        }
        let mut out = vec![time.clone(), DataType::Float64, as_of.clone()];
        if arg_types.len() == 4 {
            out.push(DataType::Utf8);
        }
        Ok(out)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if args.is_distinct {
            return Err(arg_err(NAME, "DISTINCT is not supported"));
        }
        Ok(Box::new(RfmAccumulator::new(args.exprs.len() == 4)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let name = |s: &str| format!("{}[{s}]", args.name);
        Ok(vec![
            Arc::new(Field::new(name("first"), TIMESTAMP_US, true)),
            Arc::new(Field::new(name("last"), TIMESTAMP_US, true)),
            Arc::new(Field::new(name("sum"), DataType::Float64, true)),
            Arc::new(Field::new(name("rows"), DataType::Int64, true)),
            Arc::new(Field::new(
                name("orders"),
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
                true,
            )),
            Arc::new(Field::new(name("as_of"), TIMESTAMP_US, true)),
        ])
    }
}

/// The running RFM measures of one group; pure Rust, merged across partitions.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RfmState {
    /// Earliest purchase, microseconds since the epoch.
    pub first: Option<i64>,
    /// Latest purchase.
    pub last: Option<i64>,
    /// Sum of the amounts.
    pub sum: f64,
    /// Rows counted (used as frequency when there are no order ids).
    pub rows: i64,
    /// Distinct order ids, when order ids are given.
    pub orders: HashSet<String>,
    /// The snapshot, microseconds since the epoch.
    pub as_of: Option<i64>,
}

impl RfmState {
    /// Count one purchase row.
    pub fn add(&mut self, ts: i64, amount: Option<f64>, order: Option<&str>) {
        self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
        self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
        self.sum += amount.unwrap_or(0.0);
        self.rows += 1;
        if let Some(order) = order
            && !self.orders.contains(order)
        {
            self.orders.insert(order.to_string());
        }
    }

    /// Fold another partial state into this one.
    pub fn merge(&mut self, other: &RfmState) -> Result<()> {
        self.set_as_of(other.as_of)?;
        if let Some(f) = other.first {
            self.first = Some(self.first.map_or(f, |s| s.min(f)));
        }
        if let Some(l) = other.last {
            self.last = Some(self.last.map_or(l, |s| s.max(l)));
        }
        self.sum += other.sum;
        self.rows += other.rows;
        self.orders.extend(other.orders.iter().cloned());
        Ok(())
    }

    fn set_as_of(&mut self, as_of: Option<i64>) -> Result<()> {
        match (self.as_of, as_of) {
            (_, None) => Ok(()),
            (None, Some(v)) => {
                self.as_of = Some(v);
                Ok(())
            }
            (Some(a), Some(b)) if a == b => Ok(()),
            _ => Err(data_err(
                NAME,
                "as_of must be the same for every row (a constant such as '2011-12-10')",
            )),
        }
    }

    /// Frequency: distinct orders if ids were given, else rows.
    pub fn frequency(&self, with_orders: bool) -> i64 {
        if with_orders {
            self.orders.len() as i64
        } else {
            self.rows
        }
    }

    /// Whole days from the last purchase to the snapshot.
    pub fn recency_days(&self) -> Option<i64> {
        Some((self.as_of? - self.last?).div_euclid(MICROS_PER_DAY))
    }
}

#[derive(Debug)]
struct RfmAccumulator {
    state: RfmState,
    with_orders: bool,
}

impl RfmAccumulator {
    fn new(with_orders: bool) -> Self {
        Self {
            state: RfmState::default(),
            with_orders,
        }
    }
}

impl Accumulator for RfmAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let times = segql_timestamp::to_micros(&values[0], "time")?;
        let times = times.as_primitive::<TimestampMicrosecondType>();
        let amounts = values[1].as_primitive::<Float64Type>();
        let as_of = segql_timestamp::to_micros(&values[2], "as_of")?;
        let as_of = as_of.as_primitive::<TimestampMicrosecondType>();
        if as_of.null_count() > 0 {
            return Err(data_err(NAME, "as_of must not be NULL"));
        }
        if !as_of.is_empty() {
            let (lo, hi) = as_of
                .values()
                .iter()
                .fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            if lo != hi {
                return Err(data_err(
                    NAME,
                    "as_of must be the same for every row (a constant such as '2011-12-10')",
                ));
            }
            self.state.set_as_of(Some(lo))?;
        }
        let orders = values.get(3).map(|a| a.as_string::<i32>());
        let limit = self.state.as_of.unwrap_or(i64::MAX);
        for i in 0..times.len() {
            if times.is_null(i) || times.value(i) > limit {
                continue;
            }
            let amount = amounts.is_valid(i).then(|| amounts.value(i));
            if let Some(a) = amount
                && !a.is_finite()
            {
                return Err(data_err(
                    NAME,
                    format!("amount has a non-finite value ({a}); filter such rows out"),
                ));
            }
            let order = orders.and_then(|o| o.is_valid(i).then(|| o.value(i)));
            self.state.add(times.value(i), amount, order);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let s = &self.state;
        let ts = |v: Option<i64>| ScalarValue::TimestampMicrosecond(v, None);
        let fields = result_fields();
        ScalarStructBuilder::new()
            .with_scalar(Arc::clone(&fields[0]), ScalarValue::Int64(s.recency_days()))
            .with_scalar(
                Arc::clone(&fields[1]),
                ScalarValue::Int64(Some(s.frequency(self.with_orders))),
            )
            .with_scalar(Arc::clone(&fields[2]), ScalarValue::Float64(Some(s.sum)))
            .with_scalar(Arc::clone(&fields[3]), ts(s.first))
            .with_scalar(Arc::clone(&fields[4]), ts(s.last))
            .build()
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self
                .state
                .orders
                .iter()
                .map(|o| o.capacity() + size_of::<String>())
                .sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let s = &self.state;
        let mut orders: Vec<&str> = s.orders.iter().map(String::as_str).collect();
        orders.sort_unstable();
        let list = ScalarValue::List(Arc::new(string_list(&orders)));
        Ok(vec![
            ScalarValue::TimestampMicrosecond(s.first, None),
            ScalarValue::TimestampMicrosecond(s.last, None),
            ScalarValue::Float64(Some(s.sum)),
            ScalarValue::Int64(Some(s.rows)),
            list,
            ScalarValue::TimestampMicrosecond(s.as_of, None),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let first = states[0].as_primitive::<TimestampMicrosecondType>();
        let last = states[1].as_primitive::<TimestampMicrosecondType>();
        let sums = states[2].as_primitive::<Float64Type>();
        let rows = states[3].as_primitive::<Int64Type>();
        let orders = states[4].as_list::<i32>();
        let as_of = states[5].as_primitive::<TimestampMicrosecondType>();
        for i in 0..first.len() {
            let mut other = RfmState {
                first: first.is_valid(i).then(|| first.value(i)),
                last: last.is_valid(i).then(|| last.value(i)),
                sum: if sums.is_valid(i) { sums.value(i) } else { 0.0 },
                rows: if rows.is_valid(i) { rows.value(i) } else { 0 },
                orders: HashSet::new(),
                as_of: as_of.is_valid(i).then(|| as_of.value(i)),
            };
            if orders.is_valid(i) {
                let ids = orders.value(i);
                let ids = ids.as_string::<i32>();
                other.orders = ids.iter().flatten().map(str::to_string).collect();
            }
            self.state.merge(&other)?;
        }
        Ok(())
    }
}

/// A one-row `List<Utf8>` holding `values`.
fn string_list(values: &[&str]) -> ListArray {
    let strings: ArrayRef = Arc::new(StringArray::from(values.to_vec()));
    ListArray::new(
        Arc::new(Field::new_list_field(DataType::Utf8, true)),
        OffsetBuffer::from_lengths([values.len()]),
        strings,
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, StringArray, TimestampMicrosecondArray};

    const DAY: i64 = MICROS_PER_DAY;

    fn batch(ts: Vec<Option<i64>>, amounts: Vec<Option<f64>>, orders: Vec<&str>) -> Vec<ArrayRef> {
        let n = ts.len();
        vec![
            Arc::new(TimestampMicrosecondArray::from(ts)),
            Arc::new(Float64Array::from(amounts)),
            Arc::new(TimestampMicrosecondArray::from(vec![10 * DAY; n])),
            Arc::new(StringArray::from(orders)),
        ]
    }

    fn fields(v: ScalarValue) -> Vec<ScalarValue> {
        let ScalarValue::Struct(s) = v else {
            panic!("not a struct: {v:?}")
        };
        (0..s.num_columns())
            .map(|c| ScalarValue::try_from_array(s.column(c), 0).unwrap())
            .collect()
    }

    #[test]
    fn two_partial_states_merge_to_the_single_pass_result() {
        // Customer: orders A (day 1, two lines), B (day 3), C (day 7); snapshot day 10.
        let all = batch(
            vec![Some(DAY), Some(DAY), Some(3 * DAY), Some(7 * DAY + 5), None],
            vec![Some(10.0), Some(2.5), None, Some(-1.0), Some(100.0)],
            vec!["A", "A", "B", "C", "D"],
        );
        let mut single = RfmAccumulator::new(true);
        single.update_batch(&all).unwrap();

        let mut left = RfmAccumulator::new(true);
        let mut right = RfmAccumulator::new(true);
        left.update_batch(&all.iter().map(|a| a.slice(0, 2)).collect::<Vec<_>>())
            .unwrap();
        right
            .update_batch(&all.iter().map(|a| a.slice(2, 3)).collect::<Vec<_>>())
            .unwrap();
        let state: Vec<ArrayRef> = right
            .state()
            .unwrap()
            .iter()
            .map(|s| s.to_array().unwrap())
            .collect();
        left.merge_batch(&state).unwrap();

        let expected = vec![
            ScalarValue::Int64(Some(2)), // day 10 - (day 7 + 5us) = 2 whole days
            ScalarValue::Int64(Some(3)), // A, B, C (D has no time)
            ScalarValue::Float64(Some(11.5)),
            ScalarValue::TimestampMicrosecond(Some(DAY), None),
            ScalarValue::TimestampMicrosecond(Some(7 * DAY + 5), None),
        ];
        assert_eq!(fields(single.evaluate().unwrap()), expected);
        assert_eq!(fields(left.evaluate().unwrap()), expected);
    }

    #[test]
    fn without_order_ids_rows_are_counted() {
        let mut acc = RfmAccumulator::new(false);
        let b = batch(
            vec![Some(DAY), Some(DAY)],
            vec![Some(1.0), Some(1.0)],
            vec!["A", "A"],
        );
        acc.update_batch(&b[..3]).unwrap();
        assert_eq!(
            fields(acc.evaluate().unwrap())[1],
            ScalarValue::Int64(Some(2))
        );
    }

    #[test]
    fn nan_amounts_are_an_error() {
        let mut acc = RfmAccumulator::new(true);
        let b = batch(vec![Some(DAY)], vec![Some(f64::NAN)], vec!["A"]);
        assert!(
            acc.update_batch(&b)
                .unwrap_err()
                .to_string()
                .contains("non-finite")
        );
    }
}
