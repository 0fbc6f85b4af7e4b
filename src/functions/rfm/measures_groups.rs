//! The groups accumulator behind [`segql_rfm_measures`](super::segql_rfm_measures): one pass
//! over a batch updates every customer's first and last purchase, row count, summed amount and
//! distinct order ids and purchase days.
//!
//! A customer's totals sit together in one [`Totals`] record, so a run of rows touches one
//! cache line of them. Distinct values are not looked up per customer while rows stream in: a
//! row whose (customer, order id) or (customer, day) differs from the previous row's appends
//! the pair to a log ([`GroupedKeys`]), and repeats are dropped in bulk by sorting the log
//! per customer when it has doubled and when groups are emitted. The lines of one invoice
//! arrive together, so most rows append nothing. Partial states carry the distinct values as
//! lists, so states from different partitions, or spilled to disk, merge exactly.
//!
//! ```sql
//! SELECT "CustomerID", segql_rfm_measures("InvoiceDate", "Quantity" * "UnitPrice", "InvoiceNo")
//! FROM sales GROUP BY "CustomerID";
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, GenericListArray, Int64Array,
    LargeStringArray, ListArray, StringArray, StringBuilder, StringViewArray, StructArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Float64Type, Int64Type, TimestampMicrosecondType,
};
use datafusion::common::{Result, exec_err, internal_err};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};

use super::segql_rfm_measures::result_fields;
use super::segql_timestamp::MICROS_PER_DAY;
use crate::rfm::distinct::{GroupedKeys, KEY_TEXT_BYTES, LongTexts, TextKey, is_long};

/// What the order id argument is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    /// No order id: frequency counts rows.
    None,
    /// `BIGINT` ids.
    Int,
    /// Text ids.
    Text,
}

impl OrderKind {
    /// The kind for an (already coerced) argument type.
    pub fn of(data_type: Option<&DataType>) -> Self {
        match data_type {
            None => OrderKind::None,
            Some(DataType::Int64) => OrderKind::Int,
            Some(_) => OrderKind::Text,
        }
    }
}

/// The order id column of a batch.
enum Orders<'a> {
    None,
    Int(&'a Int64Array),
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Orders<'a> {
    fn new(kind: OrderKind, array: Option<&'a ArrayRef>) -> Result<Self> {
        Ok(match (kind, array) {
            (OrderKind::None, _) => Orders::None,
            (OrderKind::Int, Some(a)) => Orders::Int(a.as_primitive::<Int64Type>()),
            (OrderKind::Text, Some(a)) => match a.data_type() {
                DataType::Utf8 => Orders::Utf8(a.as_string::<i32>()),
                DataType::LargeUtf8 => Orders::Large(a.as_string::<i64>()),
                DataType::Utf8View => Orders::View(a.as_string_view()),
                other => return internal_err!("segql_rfm_measures: order id of type {other}"),
            },
            (_, None) => return internal_err!("segql_rfm_measures: missing order id column"),
        })
    }

    /// The text id in row `row`, if the column is text and the value not NULL.
    #[inline]
    fn text(&self, row: usize) -> Option<&'a str> {
        match self {
            Orders::Utf8(a) => a.is_valid(row).then(|| a.value(row)),
            Orders::Large(a) => a.is_valid(row).then(|| a.value(row)),
            Orders::View(a) => a.is_valid(row).then(|| a.value(row)),
            Orders::None | Orders::Int(_) => None,
        }
    }
}

/// One group's totals, kept together so a row touches one cache line of them.
#[derive(Debug, Clone, Copy)]
struct Totals {
    /// Earliest purchase (µs), `i64::MAX` before the first row.
    first: i64,
    /// Latest purchase (µs), `i64::MIN` before the first row.
    last: i64,
    sum: f64,
    rows: i64,
}

impl Default for Totals {
    fn default() -> Self {
        Self {
            first: i64::MAX,
            last: i64::MIN,
            sum: 0.0,
            rows: 0,
        }
    }
}

/// Running RFM measures for every group.
#[derive(Debug)]
pub struct RfmMeasuresGroups {
    kind: OrderKind,
    totals: Vec<Totals>,
    /// (group, integer order id) pairs; empty unless the ids are integers.
    int_orders: GroupedKeys<i64>,
    /// (group, order id text) pairs; empty unless the ids are text.
    text_orders: GroupedKeys<TextKey>,
    /// The order id texts too long to be their own keys.
    long_texts: LongTexts,
    /// (group, purchase day since the epoch) pairs.
    days: GroupedKeys<i32>,
}

impl RfmMeasuresGroups {
    /// An empty accumulator for order ids of `kind`.
    pub fn new(kind: OrderKind) -> Self {
        Self {
            kind,
            totals: Vec::new(),
            int_orders: GroupedKeys::default(),
            text_orders: GroupedKeys::default(),
            long_texts: LongTexts::default(),
            days: GroupedKeys::default(),
        }
    }

    /// The partial state's fields: first, last, sum, rows, [orders,] days.
    pub fn state_fields(name: &str, kind: OrderKind) -> Vec<FieldRef> {
        let field = |part: &str, data_type: DataType| {
            Arc::new(Field::new(format!("{name}[{part}]"), data_type, true))
        };
        let mut fields = vec![
            field("first", DataType::Int64),
            field("last", DataType::Int64),
            field("sum", DataType::Float64),
            field("rows", DataType::Int64),
        ];
        match kind {
            OrderKind::None => {}
            OrderKind::Int => fields.push(field("orders", list_of(DataType::Int64))),
            OrderKind::Text => fields.push(field("orders", list_of(DataType::Utf8))),
        }
        fields.push(field("days", list_of(DataType::Int64)));
        fields
    }

    /// Room for `groups` groups; an error past the 2^32 groups the pair logs can number.
    fn resize(&mut self, groups: usize) -> Result<()> {
        if u32::try_from(groups).is_err() {
            return exec_err!(
                "segql_rfm_measures: more than {} customers in one partition",
                u32::MAX
            );
        }
        self.totals.resize(groups, Totals::default());
        Ok(())
    }

    /// Compact the pair logs that have grown enough since they last were.
    fn compact_grown(&mut self) {
        let groups = self.totals.len();
        for log in [
            &mut self.int_orders as &mut dyn Compact,
            &mut self.text_orders,
            &mut self.days,
        ] {
            if log.wants() {
                log.run(groups);
            }
        }
    }

    /// The first `emit_to` groups' totals and pairs, removed from the accumulator (the
    /// remaining groups renumbered from 0). Their long order ids stay readable until
    /// [`release_texts`](Self::release_texts).
    fn take(&mut self, emit_to: EmitTo) -> Taken {
        let groups = self.totals.len();
        let totals = emit_to.take_needed(&mut self.totals);
        let n = totals.len();
        Taken {
            int_orders: self.int_orders.take_first(n, groups),
            text_orders: self.text_orders.take_first(n, groups),
            days: self.days.take_first(n, groups),
            totals,
        }
    }

    /// Drop the long order id texts only emitted groups used, once they are most of the
    /// store (everything when no group is left). Without this the store would keep every
    /// order id ever seen, and an aggregate that emits early to stay within a memory limit
    /// could never get below it.
    fn release_texts(&mut self) {
        if self.long_texts.len() < 1024 {
            if self.totals.is_empty() {
                self.long_texts = LongTexts::default();
            }
            return;
        }
        let live = self
            .text_orders
            .keys_mut()
            .iter()
            .filter(|&&k| is_long(k))
            .count();
        if live * 2 <= self.long_texts.len() {
            self.long_texts
                .retain(self.text_orders.keys_mut().iter_mut());
        }
    }

    /// Distinct orders per taken group (rows when there are no order ids).
    fn frequency(&self, taken: &Taken) -> Int64Array {
        match self.kind {
            OrderKind::None => Int64Array::from_iter_values(taken.totals.iter().map(|t| t.rows)),
            OrderKind::Int => counts(&taken.int_orders, taken.totals.len()),
            OrderKind::Text => counts(&taken.text_orders, taken.totals.len()),
        }
    }

    /// A list array of the order ids of the taken groups.
    fn order_list(&self, taken: &Taken) -> ArrayRef {
        let groups = taken.totals.len();
        if self.kind == OrderKind::Text {
            let mut buffer = [0u8; KEY_TEXT_BYTES];
            let mut texts = StringBuilder::with_capacity(taken.text_orders.len(), 0);
            for &(_, key) in &taken.text_orders {
                texts.append_value(self.long_texts.text_into(key, &mut buffer));
            }
            list(
                offsets(&taken.text_orders, groups),
                Arc::new(texts.finish()),
            )
        } else {
            let ids = Int64Array::from_iter_values(taken.int_orders.iter().map(|e| e.1));
            list(offsets(&taken.int_orders, groups), Arc::new(ids))
        }
    }
}

/// A pair log, whatever its key type (so the logs can be walked together).
trait Compact {
    fn wants(&self) -> bool;
    fn run(&mut self, groups: usize);
}

impl<K: Copy + Ord + Default> Compact for GroupedKeys<K> {
    fn wants(&self) -> bool {
        self.wants_compaction()
    }
    fn run(&mut self, groups: usize) {
        self.compact(groups)
    }
}

/// The totals and distinct pairs of the groups being emitted, pairs in group order.
struct Taken {
    totals: Vec<Totals>,
    int_orders: Vec<(u32, i64)>,
    text_orders: Vec<(u32, TextKey)>,
    days: Vec<(u32, i32)>,
}

impl Taken {
    /// Valid where the group counted at least one row.
    fn counted(&self) -> NullBuffer {
        NullBuffer::from_iter(self.totals.iter().map(|t| t.rows > 0))
    }

    fn first(&self) -> ScalarBuffer<i64> {
        self.totals.iter().map(|t| t.first).collect()
    }

    fn last(&self) -> ScalarBuffer<i64> {
        self.totals.iter().map(|t| t.last).collect()
    }

    fn sum(&self) -> Float64Array {
        Float64Array::from_iter_values(self.totals.iter().map(|t| t.sum))
    }
}

/// An error when a customer's amounts, each finite (`rfm()` checks them on the way in), add up
/// past the largest DOUBLE: an infinite monetary value would sort first and score every other
/// customer against it.
fn check_totals_finite(totals: &[Totals]) -> Result<()> {
    match totals.iter().find(|t| !t.sum.is_finite()) {
        Some(t) => Err(crate::error::data_err(
            "rfm",
            format!(
                "a customer's amounts add up to {} (past the largest DOUBLE, about 1.8e308), so \
                 monetary overflows; the amounts are in the wrong unit or damaged: scale them, \
                 as in amount => 'amount / 1e6', or filter the extreme rows out in a subquery",
                t.sum
            ),
        )),
        None => Ok(()),
    }
}

/// How many pairs each of `groups` groups has, from pairs in group order.
fn counts<K>(pairs: &[(u32, K)], groups: usize) -> Int64Array {
    let mut counts = vec![0i64; groups];
    for (group, _) in pairs {
        counts[*group as usize] += 1;
    }
    Int64Array::from(counts)
}

/// List offsets over pairs in group order: one list per group, empty where it has none.
fn offsets<K>(pairs: &[(u32, K)], groups: usize) -> OffsetBuffer<i32> {
    let mut lengths = vec![0usize; groups];
    for (group, _) in pairs {
        lengths[*group as usize] += 1;
    }
    OffsetBuffer::from_lengths(lengths)
}

fn list(offsets: OffsetBuffer<i32>, values: ArrayRef) -> ArrayRef {
    let item = Arc::new(Field::new_list_field(values.data_type().clone(), true));
    Arc::new(ListArray::new(item, offsets, values, None))
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, true)))
}

/// Whether row `row` passes the aggregate's FILTER clause.
#[inline]
fn passes(filter: Option<&BooleanArray>, row: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(row) && f.value(row))
}

/// The day number (days since 1970-01-01, UTC) of a timestamp in microseconds.
#[inline]
fn day_of(micros: i64) -> i64 {
    micros.div_euclid(MICROS_PER_DAY)
}

impl GroupsAccumulator for RfmMeasuresGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups)?;
        let times = values[0].as_primitive::<TimestampMicrosecondType>();
        let amounts = values[1].as_primitive::<Float64Type>();
        let orders = Orders::new(self.kind, values.get(2))?;
        // The previous row's (group, day), (group, integer id) and (group, text): a repeat
        // (the next line of the same order) appends nothing.
        let mut previous_day = (u32::MAX, 0i32);
        let mut previous_id = (u32::MAX, 0i64);
        let mut previous_text: (u32, &str) = (u32::MAX, "");
        for (row, &group) in group_indices.iter().enumerate() {
            if times.is_null(row) || !passes(opt_filter, row) {
                continue;
            }
            let t = times.value(row);
            let totals = &mut self.totals[group];
            totals.first = totals.first.min(t);
            totals.last = totals.last.max(t);
            totals.rows += 1;
            if amounts.is_valid(row) {
                totals.sum += amounts.value(row);
            }
            // `resize` checked that every group number fits in 32 bits
            let group = group as u32;
            // a day number fits in 32 bits: |i64 µs| / 86.4e9 < 1.1e8
            let day = (group, day_of(t) as i32);
            if day != previous_day {
                self.days.push(group, day.1);
                previous_day = day;
            }
            match &orders {
                Orders::None => {}
                Orders::Int(ids) => {
                    let id = (group, ids.value(row));
                    if ids.is_valid(row) && id != previous_id {
                        self.int_orders.push(group, id.1);
                        previous_id = id;
                    }
                }
                _ => {
                    if let Some(text) = orders.text(row)
                        && previous_text != (group, text)
                    {
                        self.text_orders.push(group, self.long_texts.key(text));
                        previous_text = (group, text);
                    }
                }
            }
        }
        self.compact_grown();
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = self.take(emit_to);
        check_totals_finite(&taken.totals)?;
        let groups = taken.totals.len();
        let counted = taken.counted();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(TimestampMicrosecondArray::new(
                taken.first(),
                Some(counted.clone()),
            )),
            Arc::new(TimestampMicrosecondArray::new(taken.last(), Some(counted))),
            Arc::new(self.frequency(&taken)),
            Arc::new(taken.sum()),
            Arc::new(counts(&taken.days, groups)),
        ];
        self.release_texts();
        Ok(Arc::new(StructArray::try_new(
            result_fields(),
            columns,
            None,
        )?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let taken = self.take(emit_to);
        let groups = taken.totals.len();
        let counted = taken.counted();
        let orders = (self.kind != OrderKind::None).then(|| self.order_list(&taken));
        self.release_texts();
        let days = Int64Array::from_iter_values(taken.days.iter().map(|e| i64::from(e.1)));
        let mut state: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::new(taken.first(), Some(counted.clone()))),
            Arc::new(Int64Array::new(taken.last(), Some(counted))),
            Arc::new(taken.sum()),
            Arc::new(Int64Array::from_iter_values(
                taken.totals.iter().map(|t| t.rows),
            )),
        ];
        state.extend(orders);
        state.push(list(offsets(&taken.days, groups), Arc::new(days)));
        Ok(state)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups)?;
        let first = values[0].as_primitive::<Int64Type>();
        let last = values[1].as_primitive::<Int64Type>();
        let sum = values[2].as_primitive::<Float64Type>();
        let rows = values[3].as_primitive::<Int64Type>();
        let days = values[values.len() - 1].as_list::<i32>();
        let day_values = days.values().as_primitive::<Int64Type>();
        let orders: Option<&GenericListArray<i32>> =
            (self.kind != OrderKind::None).then(|| values[4].as_list::<i32>());
        let order_values = orders.map(|o| o.values());
        let order_ids = match order_values {
            Some(v) => Orders::new(self.kind, Some(v))?,
            None => Orders::None,
        };
        for (row, &group) in group_indices.iter().enumerate() {
            let totals = &mut self.totals[group];
            if first.is_valid(row) {
                totals.first = totals.first.min(first.value(row));
            }
            if last.is_valid(row) {
                totals.last = totals.last.max(last.value(row));
            }
            if sum.is_valid(row) {
                totals.sum += sum.value(row);
            }
            if rows.is_valid(row) {
                totals.rows += rows.value(row);
            }
            let group = group as u32;
            let span = days.value_offsets();
            for i in span[row] as usize..span[row + 1] as usize {
                if let Ok(day) = i32::try_from(day_values.value(i)) {
                    self.days.push(group, day);
                }
            }
            if let Some(list) = orders {
                let span = list.value_offsets();
                for i in span[row] as usize..span[row + 1] as usize {
                    match &order_ids {
                        Orders::Int(ids) => {
                            if ids.is_valid(i) {
                                self.int_orders.push(group, ids.value(i));
                            }
                        }
                        _ => {
                            if let Some(text) = order_ids.text(i) {
                                self.text_orders.push(group, self.long_texts.key(text));
                            }
                        }
                    }
                }
            }
        }
        self.compact_grown();
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let times = values[0].as_primitive::<TimestampMicrosecondType>();
        let amounts = values[1].as_primitive::<Float64Type>();
        let orders = Orders::new(self.kind, values.get(2))?;
        let n = times.len();
        let counted: Vec<bool> = (0..n)
            .map(|row| times.is_valid(row) && passes(opt_filter, row))
            .collect();
        let counted_rows = || (0..n).filter(|&row| counted[row]);
        let time_values = Int64Array::new(
            times.values().clone(),
            Some(NullBuffer::from(counted.clone())),
        );
        let sum = Float64Array::from_iter_values((0..n).map(|row| {
            if counted[row] && amounts.is_valid(row) {
                amounts.value(row)
            } else {
                0.0
            }
        }));
        let rows = Int64Array::from_iter_values(counted.iter().map(|&c| i64::from(c)));
        let mut state: Vec<ArrayRef> = vec![
            Arc::new(time_values.clone()),
            Arc::new(time_values),
            Arc::new(sum),
            Arc::new(rows),
        ];
        let one_each = |keep: &dyn Fn(usize) -> bool| {
            OffsetBuffer::from_lengths((0..n).map(|row| usize::from(keep(row))))
        };
        match &orders {
            Orders::None => {}
            Orders::Int(ids) => {
                let keep = |row: usize| counted[row] && ids.is_valid(row);
                let values: Vec<i64> = counted_rows()
                    .filter(|&r| ids.is_valid(r))
                    .map(|r| ids.value(r))
                    .collect();
                let values = Int64Array::from(values);
                state.push(Arc::new(ListArray::new(
                    Arc::new(Field::new_list_field(DataType::Int64, true)),
                    one_each(&keep),
                    Arc::new(values),
                    None,
                )));
            }
            _ => {
                let keep = |row: usize| counted[row] && orders.text(row).is_some();
                let values =
                    StringArray::from_iter_values(counted_rows().filter_map(|r| orders.text(r)));
                state.push(Arc::new(ListArray::new(
                    Arc::new(Field::new_list_field(DataType::Utf8, true)),
                    one_each(&keep),
                    Arc::new(values),
                    None,
                )));
            }
        }
        let days: Vec<i64> = counted_rows().map(|r| day_of(times.value(r))).collect();
        let days = Int64Array::from(days);
        state.push(Arc::new(ListArray::new(
            Arc::new(Field::new_list_field(DataType::Int64, true)),
            one_each(&|row| counted[row]),
            Arc::new(days),
            None,
        )));
        Ok(state)
    }

    fn size(&self) -> usize {
        self.totals.capacity() * std::mem::size_of::<Totals>()
            + self.int_orders.heap_bytes()
            + self.text_orders.heap_bytes()
            + self.days.heap_bytes()
            + self.long_texts.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, StringArray};

    /// Lines of three customers (groups 0, 1, 2), in the order they are fed: customer 0 buys
    /// order 7 on one day in both halves (one order, one day), customer 1 has a repeated
    /// order across the halves plus a new one on a later day, customer 2 only appears in the
    /// second half.
    const DAY: i64 = 86_400_000_000;
    const GROUPS: [usize; 8] = [0, 1, 0, 1, 0, 1, 2, 1];
    const TIMES: [i64; 8] = [
        DAY,
        2 * DAY,
        DAY + 5,
        2 * DAY,
        DAY + 9,
        5 * DAY,
        3 * DAY,
        2 * DAY,
    ];
    const AMOUNTS: [f64; 8] = [1.0, 10.0, 2.0, 20.0, 4.0, 40.0, 100.0, -5.0];
    const ORDERS: [i64; 8] = [7, 8, 7, 8, 7, 9, 11, 8];

    fn columns(range: std::ops::Range<usize>, text_ids: bool) -> Vec<ArrayRef> {
        let orders: ArrayRef = if text_ids {
            Arc::new(StringArray::from_iter_values(
                ORDERS[range.clone()].iter().map(|o| format!("order-{o}")),
            ))
        } else {
            Arc::new(Int64Array::from(ORDERS[range.clone()].to_vec()))
        };
        vec![
            Arc::new(TimestampMicrosecondArray::from(
                TIMES[range.clone()].to_vec(),
            )),
            Arc::new(Float64Array::from(AMOUNTS[range].to_vec())),
            orders,
        ]
    }

    fn one_pass(kind: OrderKind, text_ids: bool) -> ArrayRef {
        let mut all = RfmMeasuresGroups::new(kind);
        all.update_batch(&columns(0..8, text_ids), &GROUPS, None, 3)
            .unwrap();
        all.evaluate(EmitTo::All).unwrap()
    }

    fn two_halves_merged(kind: OrderKind, text_ids: bool) -> ArrayRef {
        let mut states = Vec::new();
        for half in [0..4, 4..8] {
            let mut part = RfmMeasuresGroups::new(kind);
            part.update_batch(&columns(half.clone(), text_ids), &GROUPS[half], None, 3)
                .unwrap();
            states.push(part.state(EmitTo::All).unwrap());
        }
        let mut merged = RfmMeasuresGroups::new(kind);
        for state in &states {
            merged.merge_batch(state, &[0, 1, 2], 3).unwrap();
        }
        merged.evaluate(EmitTo::All).unwrap()
    }

    #[test]
    fn two_halves_merged_equal_one_pass() {
        for (kind, text_ids) in [(OrderKind::Int, false), (OrderKind::Text, true)] {
            let whole = one_pass(kind, text_ids);
            assert_eq!(
                whole.as_ref(),
                two_halves_merged(kind, text_ids).as_ref(),
                "{kind:?}"
            );
            // and the one pass is the hand-computed answer: frequency 1, 2 and 1 orders,
            // monetary 7, 65 and 100, days 1, 2 and 1
            let record = whole.as_struct();
            let frequency = record.column(2).as_primitive::<Int64Type>();
            assert_eq!(frequency.values().to_vec(), [1, 2, 1], "{kind:?}");
            let monetary = record.column(3).as_primitive::<Float64Type>();
            assert_eq!(monetary.values().to_vec(), [7.0, 65.0, 100.0], "{kind:?}");
            let days = record.column(4).as_primitive::<Int64Type>();
            assert_eq!(days.values().to_vec(), [1, 2, 1], "{kind:?}");
        }
    }
}
