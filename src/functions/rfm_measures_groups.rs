//! The groups accumulator behind [`segql_rfm_measures`](super::segql_rfm_measures): one pass
//! over a batch updates every customer's first and last purchase, row count, summed amount and
//! distinct order ids and purchase days.
//!
//! Per-customer values live in plain vectors indexed by DataFusion's group index; distinct
//! values in a small [`KeySet`] (integers) or [`TextSet`] (order id text) per customer. A row
//! repeating the previous row's customer and order id or day skips the set entirely (the lines
//! of one invoice arrive together), so most rows cost no hashing beyond the group lookup
//! DataFusion already did. Partial states carry the distinct values as lists, so
//! states from different partitions, or spilled to disk, merge exactly.
//!
//! ```sql
//! SELECT "CustomerID", segql_rfm_measures("InvoiceDate", "Quantity" * "UnitPrice", "InvoiceNo")
//! FROM sales GROUP BY "CustomerID";
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, GenericListArray, Int64Array,
    LargeStringArray, ListArray, StringArray, StringViewArray, StructArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Float64Type, Int64Type, TimestampMicrosecondType,
};
use datafusion::common::{Result, internal_err};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};

use super::segql_rfm_measures::result_fields;
use super::segql_timestamp::MICROS_PER_DAY;
use crate::rfm::distinct::{KeySet, Strings, TextHasher, TextSet, text_hash};

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

/// Running RFM measures for every group.
#[derive(Debug)]
pub struct RfmMeasuresGroups {
    kind: OrderKind,
    /// Earliest purchase (µs), `i64::MAX` before the first row.
    first: Vec<i64>,
    /// Latest purchase (µs), `i64::MIN` before the first row.
    last: Vec<i64>,
    sum: Vec<f64>,
    rows: Vec<i64>,
    /// Distinct order ids (integers, or interned text); empty when there are none.
    orders: Vec<KeySet>,
    /// Distinct order id texts; empty unless the ids are text.
    texts: Vec<TextSet>,
    /// Distinct purchase days since the epoch.
    days: Vec<KeySet>,
    strings: Strings,
    hasher: TextHasher,
    /// Keys held in all sets, for [`GroupsAccumulator::size`].
    stored: usize,
    /// Strings of the arena still used by a group's text set.
    live_strings: usize,
}

impl RfmMeasuresGroups {
    /// An empty accumulator for order ids of `kind`.
    pub fn new(kind: OrderKind) -> Self {
        Self {
            kind,
            first: Vec::new(),
            last: Vec::new(),
            sum: Vec::new(),
            rows: Vec::new(),
            orders: Vec::new(),
            texts: Vec::new(),
            days: Vec::new(),
            strings: Strings::default(),
            hasher: TextHasher::default(),
            stored: 0,
            live_strings: 0,
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

    fn resize(&mut self, groups: usize) {
        self.first.resize(groups, i64::MAX);
        self.last.resize(groups, i64::MIN);
        self.sum.resize(groups, 0.0);
        self.rows.resize(groups, 0);
        match self.kind {
            OrderKind::None => {}
            OrderKind::Int => self.orders.resize_with(groups, KeySet::default),
            OrderKind::Text => self.texts.resize_with(groups, TextSet::default),
        }
        self.days.resize_with(groups, KeySet::default);
    }

    #[inline]
    fn add_order_key(&mut self, group: usize, key: u64) {
        if self.orders[group].insert(key) {
            self.stored += 1;
        }
    }

    #[inline]
    fn add_order_text(&mut self, group: usize, text: &str) {
        let hash = text_hash(&self.hasher, text);
        if self.texts[group].insert(hash, text, &mut self.strings) {
            self.stored += 1;
            self.live_strings += 1;
        }
    }

    #[inline]
    fn add_day(&mut self, group: usize, day: i64) {
        if self.days[group].insert(day as u64) {
            self.stored += 1;
        }
    }

    /// The first `emit_to` groups' vectors, removed from the accumulator.
    fn take(&mut self, emit_to: EmitTo) -> Taken {
        let taken = Taken {
            first: emit_to.take_needed(&mut self.first),
            last: emit_to.take_needed(&mut self.last),
            sum: emit_to.take_needed(&mut self.sum),
            rows: emit_to.take_needed(&mut self.rows),
            orders: if self.kind == OrderKind::Int {
                emit_to.take_needed(&mut self.orders)
            } else {
                Vec::new()
            },
            texts: if self.kind == OrderKind::Text {
                emit_to.take_needed(&mut self.texts)
            } else {
                Vec::new()
            },
            days: emit_to.take_needed(&mut self.days),
        };
        let released: usize = taken
            .orders
            .iter()
            .chain(&taken.days)
            .map(KeySet::len)
            .sum::<usize>()
            + taken.texts.iter().map(TextSet::len).sum::<usize>();
        self.stored -= released;
        self.live_strings -= taken.texts.iter().map(TextSet::len).sum::<usize>();
        taken
    }

    /// Drop from the string arena what only emitted groups used: everything when no group is
    /// left, else (once most of the arena is unused) the remaining groups' strings are copied
    /// to a fresh arena. Without this the arena would keep every order id ever seen, and an
    /// aggregate that emits early to stay within a memory limit could never get below it.
    fn release_strings(&mut self) {
        if self.kind != OrderKind::Text || self.live_strings * 2 > self.strings.len() {
            return;
        }
        let mut kept = Strings::default();
        for set in &mut self.texts {
            set.rehome(&self.strings, &mut kept);
        }
        self.strings = kept;
    }

    /// A list array of the order ids of the taken groups.
    fn order_list(&self, taken: &Taken) -> ArrayRef {
        if self.kind == OrderKind::Text {
            let offsets = OffsetBuffer::from_lengths(taken.texts.iter().map(TextSet::len));
            let texts: Vec<&str> = taken
                .texts
                .iter()
                .flat_map(TextSet::ids)
                .map(|id| self.strings.get(id))
                .collect();
            Arc::new(ListArray::new(
                Arc::new(Field::new_list_field(DataType::Utf8, true)),
                offsets,
                Arc::new(StringArray::from_iter_values(texts)),
                None,
            ))
        } else {
            int_list(&taken.orders)
        }
    }
}

/// The vectors of the groups being emitted.
struct Taken {
    first: Vec<i64>,
    last: Vec<i64>,
    sum: Vec<f64>,
    rows: Vec<i64>,
    orders: Vec<KeySet>,
    texts: Vec<TextSet>,
    days: Vec<KeySet>,
}

impl Taken {
    /// Distinct orders per group (rows when there are no order ids).
    fn frequency(&self, kind: OrderKind) -> Int64Array {
        match kind {
            OrderKind::None => Int64Array::from(self.rows.clone()),
            OrderKind::Int => {
                Int64Array::from_iter_values(self.orders.iter().map(|s| s.len() as i64))
            }
            OrderKind::Text => {
                Int64Array::from_iter_values(self.texts.iter().map(|s| s.len() as i64))
            }
        }
    }
}

impl Taken {
    /// Valid where the group counted at least one row.
    fn counted(&self) -> NullBuffer {
        NullBuffer::from(self.rows.iter().map(|&r| r > 0).collect::<Vec<bool>>())
    }
}

fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, true)))
}

fn int_keys(sets: &[KeySet]) -> Int64Array {
    let keys: Vec<i64> = sets
        .iter()
        .flat_map(KeySet::keys)
        .map(|k| k as i64)
        .collect();
    Int64Array::from(keys)
}

fn int_list(sets: &[KeySet]) -> ArrayRef {
    let offsets = OffsetBuffer::from_lengths(sets.iter().map(KeySet::len));
    Arc::new(ListArray::new(
        Arc::new(Field::new_list_field(DataType::Int64, true)),
        offsets,
        Arc::new(int_keys(sets)),
        None,
    ))
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
        self.resize(total_num_groups);
        let times = values[0].as_primitive::<TimestampMicrosecondType>();
        let amounts = values[1].as_primitive::<Float64Type>();
        let orders = Orders::new(self.kind, values.get(2))?;
        // The previous row's (group, order id text), (group, day) and (group, integer id):
        // a repeat (the next line of the same order) needs no set lookup at all.
        let mut previous: Option<(usize, &str)> = None;
        let mut previous_day = (usize::MAX, 0i64);
        let mut previous_id = (usize::MAX, 0i64);
        for (row, &group) in group_indices.iter().enumerate() {
            if times.is_null(row) || !passes(opt_filter, row) {
                continue;
            }
            let t = times.value(row);
            self.first[group] = self.first[group].min(t);
            self.last[group] = self.last[group].max(t);
            self.rows[group] += 1;
            if amounts.is_valid(row) {
                self.sum[group] += amounts.value(row);
            }
            let day = (group, day_of(t));
            if day != previous_day {
                self.add_day(group, day.1);
                previous_day = day;
            }
            match &orders {
                Orders::None => {}
                Orders::Int(ids) => {
                    let id = (group, ids.value(row));
                    if ids.is_valid(row) && id != previous_id {
                        self.add_order_key(group, id.1 as u64);
                        previous_id = id;
                    }
                }
                _ => {
                    if let Some(text) = orders.text(row)
                        && previous != Some((group, text))
                    {
                        self.add_order_text(group, text);
                        previous = Some((group, text));
                    }
                }
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let taken = self.take(emit_to);
        self.release_strings();
        let counted = taken.counted();
        let frequency = taken.frequency(self.kind);
        let days = Int64Array::from_iter_values(taken.days.iter().map(|s| s.len() as i64));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(TimestampMicrosecondArray::new(
                taken.first.into(),
                Some(counted.clone()),
            )),
            Arc::new(TimestampMicrosecondArray::new(
                taken.last.into(),
                Some(counted),
            )),
            Arc::new(frequency),
            Arc::new(Float64Array::from(taken.sum)),
            Arc::new(days),
        ];
        Ok(Arc::new(StructArray::try_new(
            result_fields(),
            columns,
            None,
        )?))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let taken = self.take(emit_to);
        let counted = taken.counted();
        let orders = (self.kind != OrderKind::None).then(|| self.order_list(&taken));
        self.release_strings();
        let days = int_list(&taken.days);
        let mut state: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::new(taken.first.into(), Some(counted.clone()))),
            Arc::new(Int64Array::new(taken.last.into(), Some(counted))),
            Arc::new(Float64Array::from(taken.sum)),
            Arc::new(Int64Array::from(taken.rows)),
        ];
        state.extend(orders);
        state.push(days);
        Ok(state)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
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
            if first.is_valid(row) {
                self.first[group] = self.first[group].min(first.value(row));
            }
            if last.is_valid(row) {
                self.last[group] = self.last[group].max(last.value(row));
            }
            if sum.is_valid(row) {
                self.sum[group] += sum.value(row);
            }
            if rows.is_valid(row) {
                self.rows[group] += rows.value(row);
            }
            let span = days.value_offsets();
            for i in span[row] as usize..span[row + 1] as usize {
                self.add_day(group, day_values.value(i));
            }
            if let Some(list) = orders {
                let span = list.value_offsets();
                for i in span[row] as usize..span[row + 1] as usize {
                    match &order_ids {
                        Orders::Int(ids) => {
                            if ids.is_valid(i) {
                                self.add_order_key(group, ids.value(i) as u64);
                            }
                        }
                        _ => {
                            if let Some(text) = order_ids.text(i) {
                                self.add_order_text(group, text);
                            }
                        }
                    }
                }
            }
        }
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
        let per_group = 8 * 4 + 2 * std::mem::size_of::<KeySet>();
        self.first.capacity() * per_group + self.stored * 24 + self.strings.heap_bytes()
    }
}
