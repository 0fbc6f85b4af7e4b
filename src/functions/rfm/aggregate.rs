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

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, StructArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Fields, Float64Type, TimestampMicrosecondType,
};
use datafusion::common::{Result, internal_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};

use super::measures_groups::{OrderKind, RfmMeasuresGroups};
use super::segql_rfm_measures::order_type;
use super::segql_timestamp::{self, MICROS_PER_DAY, TIMESTAMP_US};
use crate::error::{arg_err, data_err};
use crate::functions::common::single_group::SingleGroup;
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
const ONE_AS_OF: &str = "as_of must be the same for every row (a constant such as '2011-12-10')";

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
        if let Some(order) = arg_types.get(3) {
            out.push(order_type(order));
        }
        Ok(out)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let groups = RfmGroups::for_args(&args)?;
        Ok(Box::new(SingleGroup::new(groups, args.expr_fields)?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let kind = OrderKind::of(args.input_fields.get(3).map(|f| f.data_type()));
        let mut fields = RfmMeasuresGroups::state_fields(args.name, kind);
        fields.push(Arc::new(Field::new(
            format!("{}[as_of]", args.name),
            TIMESTAMP_US,
            true,
        )));
        Ok(fields)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        !args.is_distinct
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(RfmGroups::for_args(&args)?))
    }
}

/// `rfm(...)`'s measures of every group: [`segql_rfm_measures`](super::segql_rfm_measures)'
/// accumulator fed the purchases up to the snapshot, whose last purchase gives the recency.
/// The snapshot is one value for the whole query, carried in the partial states.
#[derive(Debug)]
struct RfmGroups {
    measures: RfmMeasuresGroups,
    as_of: Option<i64>,
}

impl RfmGroups {
    fn for_args(args: &AccumulatorArgs) -> Result<Self> {
        if args.is_distinct {
            return Err(arg_err(NAME, "DISTINCT is not supported"));
        }
        let kind = OrderKind::of(args.expr_fields.get(3).map(|f| f.data_type()));
        Ok(Self {
            measures: RfmMeasuresGroups::new(kind),
            as_of: None,
        })
    }

    /// Take `as_of` as the snapshot, or check it is the one already taken.
    fn set_as_of(&mut self, as_of: i64) -> Result<()> {
        match self.as_of {
            None => self.as_of = Some(as_of),
            Some(taken) if taken != as_of => return Err(data_err(NAME, ONE_AS_OF)),
            Some(_) => {}
        }
        Ok(())
    }

    /// The snapshot, if `values` have one: the `as_of` argument, the same on every row.
    fn batch_as_of(values: &[ArrayRef]) -> Result<Option<i64>> {
        let as_of = segql_timestamp::to_micros(&values[2], "as_of", "rfm")?;
        let as_of = as_of.as_primitive::<TimestampMicrosecondType>();
        if as_of.null_count() > 0 {
            return Err(data_err(NAME, "as_of must not be NULL"));
        }
        let Some(&first) = as_of.values().first() else {
            return Ok(None);
        };
        if as_of.values().iter().any(|&v| v != first) {
            return Err(data_err(NAME, ONE_AS_OF));
        }
        Ok(Some(first))
    }

    /// The measures' arguments for a batch (time in µs, the amounts, the order ids) and the
    /// rows they count: those `opt_filter` keeps, bought no later than the snapshot. A
    /// non-finite amount among them is an error, as in the table function.
    fn measures_batch(
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
        as_of: Option<i64>,
    ) -> Result<(Vec<ArrayRef>, BooleanArray)> {
        let times = segql_timestamp::to_micros(&values[0], "time", "rfm")?;
        let limit = as_of.unwrap_or(i64::MAX);
        let counted: BooleanArray = {
            let t = times.as_primitive::<TimestampMicrosecondType>();
            (0..t.len())
                .map(|row| {
                    let kept = opt_filter.is_none_or(|f| f.is_valid(row) && f.value(row));
                    Some(kept && t.is_valid(row) && t.value(row) <= limit)
                })
                .collect()
        };
        let amounts = values[1].as_primitive::<Float64Type>();
        let non_finite = (0..amounts.len()).find(|&row| {
            counted.value(row) && amounts.is_valid(row) && !amounts.value(row).is_finite()
        });
        if let Some(row) = non_finite {
            let a = amounts.value(row);
            return Err(data_err(
                NAME,
                format!("amount has a non-finite value ({a}); filter such rows out"),
            ));
        }
        let mut inputs = vec![times, Arc::clone(&values[1])];
        inputs.extend(values.get(3).cloned());
        Ok((inputs, counted))
    }

    /// The `as_of` state column for `groups` groups.
    fn as_of_column(&self, groups: usize) -> ArrayRef {
        Arc::new(TimestampMicrosecondArray::from(vec![self.as_of; groups]))
    }
}

impl GroupsAccumulator for RfmGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        if let Some(as_of) = Self::batch_as_of(values)? {
            self.set_as_of(as_of)?;
        }
        let (inputs, counted) = Self::measures_batch(values, opt_filter, self.as_of)?;
        self.measures
            .update_batch(&inputs, group_indices, Some(&counted), total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let measures = self.measures.evaluate(emit_to)?;
        let measures = measures.as_struct();
        let column = |name: &str| match measures.column_by_name(name) {
            Some(column) => Ok(Arc::clone(column)),
            None => internal_err!("{NAME}: segql_rfm_measures has no {name}"),
        };
        let last = column("last_purchase")?;
        let recency: Int64Array = last
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .map(|last| Some((self.as_of? - last?).div_euclid(MICROS_PER_DAY)))
            .collect();
        let columns = vec![
            Arc::new(recency) as ArrayRef,
            column("frequency")?,
            column("monetary")?,
            column("first_purchase")?,
            last,
        ];
        Ok(Arc::new(StructArray::try_new(
            result_fields(),
            columns,
            None,
        )?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let mut state = self.measures.state(emit_to)?;
        let groups = state.first().map_or(0, |s| s.len());
        state.push(self.as_of_column(groups));
        Ok(state)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        let Some((as_of, measures)) = values.split_last() else {
            return internal_err!("{NAME}: a partial state without columns");
        };
        for snapshot in as_of
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .flatten()
        {
            self.set_as_of(snapshot)?;
        }
        self.measures
            .merge_batch(measures, group_indices, total_num_groups)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let as_of = Self::batch_as_of(values)?;
        let (inputs, counted) = Self::measures_batch(values, opt_filter, as_of)?;
        let mut state = self.measures.convert_to_state(&inputs, Some(&counted))?;
        state.push(Arc::new(TimestampMicrosecondArray::from(vec![
            as_of;
            counted.len()
        ])));
        Ok(state)
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.measures.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, StringArray};
    use datafusion::common::ScalarValue;

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

    fn groups(with_orders: bool) -> RfmGroups {
        let kind = if with_orders {
            OrderKind::Text
        } else {
            OrderKind::None
        };
        RfmGroups {
            measures: RfmMeasuresGroups::new(kind),
            as_of: None,
        }
    }

    fn single(with_orders: bool) -> SingleGroup<RfmGroups> {
        let mut fields = vec![
            Arc::new(Field::new("t", TIMESTAMP_US, true)),
            Arc::new(Field::new("a", DataType::Float64, true)),
            Arc::new(Field::new("as_of", TIMESTAMP_US, true)),
        ];
        if with_orders {
            fields.push(Arc::new(Field::new("o", DataType::Utf8, true)));
        }
        SingleGroup::new(groups(with_orders), &fields).unwrap()
    }

    fn fields(v: ScalarValue) -> Vec<ScalarValue> {
        let ScalarValue::Struct(s) = v else {
            panic!("not a struct: {v:?}")
        };
        (0..s.num_columns())
            .map(|c| ScalarValue::try_from_array(s.column(c), 0).unwrap())
            .collect()
    }

    fn slice(columns: &[ArrayRef], offset: usize, len: usize) -> Vec<ArrayRef> {
        columns.iter().map(|a| a.slice(offset, len)).collect()
    }

    /// Customer: orders A (day 1, two lines), B (day 3), C (day 7 + 5 µs), D (no time) and
    /// E (day 11, after the snapshot on day 10).
    fn one_customer() -> Vec<ArrayRef> {
        batch(
            vec![
                Some(DAY),
                Some(DAY),
                Some(3 * DAY),
                Some(7 * DAY + 5),
                None,
                Some(11 * DAY),
            ],
            vec![
                Some(10.0),
                Some(2.5),
                None,
                Some(-1.0),
                Some(100.0),
                Some(50.0),
            ],
            vec!["A", "A", "B", "C", "D", "E"],
        )
    }

    fn expected() -> Vec<ScalarValue> {
        vec![
            ScalarValue::Int64(Some(2)), // day 10 - (day 7 + 5 µs) = 2 whole days
            ScalarValue::Int64(Some(3)), // A, B, C (D has no time, E is after the snapshot)
            ScalarValue::Float64(Some(11.5)),
            ScalarValue::TimestampMicrosecond(Some(DAY), None),
            ScalarValue::TimestampMicrosecond(Some(7 * DAY + 5), None),
        ]
    }

    #[test]
    fn two_partial_states_merge_to_the_single_pass_result() {
        let all = one_customer();
        let mut one_pass = single(true);
        one_pass.update_batch(&all).unwrap();

        let mut left = single(true);
        let mut right = single(true);
        left.update_batch(&slice(&all, 0, 2)).unwrap();
        right.update_batch(&slice(&all, 2, 4)).unwrap();
        let state: Vec<ArrayRef> = right
            .state()
            .unwrap()
            .iter()
            .map(|s| s.to_array().unwrap())
            .collect();
        left.merge_batch(&state).unwrap();

        assert_eq!(fields(one_pass.evaluate().unwrap()), expected());
        assert_eq!(fields(left.evaluate().unwrap()), expected());
    }

    #[test]
    fn grouped_customers_keep_their_own_measures() {
        // rows 0..4 are customer 1's, the rest customer 0's (with E after the snapshot)
        let all = one_customer();
        let mut acc = groups(true);
        acc.update_batch(&all, &[1, 1, 1, 1, 0, 0], None, 2)
            .unwrap();
        let out = acc.evaluate(EmitTo::All).unwrap();
        let row = |r| fields(ScalarValue::try_from_array(&out, r).unwrap());
        assert_eq!(row(1), expected());
        assert_eq!(
            row(0),
            vec![
                ScalarValue::Int64(None),
                ScalarValue::Int64(Some(0)),
                ScalarValue::Float64(Some(0.0)),
                ScalarValue::TimestampMicrosecond(None, None),
                ScalarValue::TimestampMicrosecond(None, None),
            ]
        );
    }

    #[test]
    fn no_rows_is_one_empty_group() {
        let mut acc = single(true);
        assert_eq!(
            fields(acc.evaluate().unwrap())[1],
            ScalarValue::Int64(Some(0))
        );
    }

    #[test]
    fn without_order_ids_rows_are_counted() {
        let mut acc = single(false);
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
    fn nan_amounts_and_two_snapshots_are_errors() {
        let mut acc = single(true);
        let b = batch(vec![Some(DAY)], vec![Some(f64::NAN)], vec!["A"]);
        let error = acc.update_batch(&b).unwrap_err().to_string();
        assert!(error.contains("non-finite"), "{error}");

        let mut acc = single(true);
        let mut b = batch(vec![Some(DAY), Some(DAY)], vec![None, None], vec!["A", "B"]);
        b[2] = Arc::new(TimestampMicrosecondArray::from(vec![DAY, 2 * DAY]));
        let error = acc.update_batch(&b).unwrap_err().to_string();
        assert!(error.contains("as_of must be the same"), "{error}");
    }
}
