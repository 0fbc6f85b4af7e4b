//! The ranks `rfm()` scores customers by: each customer's position (from 1) in several
//! orderings of the whole customer table, computed side by side.
//!
//! `row_number() OVER (ORDER BY ..)` for three different orderings is three window operators,
//! each behind its own full sort of all customers on a single partition, run one after the
//! other. [`RfmRanksExec`] gathers the customers once (counted against the memory pool),
//! sorts the orderings' columns on one thread each with Arrow's `lexsort_to_indices` (the same
//! comparison as DataFusion's sort: same direction, NULL placement and float order), and emits
//! the batches as they came with one `UInt64` rank column per ordering appended. A rank is
//! either SQL's `row_number()` (every row its own position) or SQL's `rank()` (rows equal on
//! the whole ordering share the lowest position of their run), as each [`Ranking`] asks.
//!
//! ```sql
//! EXPLAIN SELECT * FROM rfm(sales);   -- RfmRanksExec between the measures and the scores
//! ```

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, RecordBatch, UInt64Array, new_empty_array,
};
use datafusion::arrow::compute::{SortColumn, cast, concat, lexsort_to_indices};
use datafusion::arrow::datatypes::{
    DataType, Field, Float64Type, Int64Type, Schema, SchemaRef, UInt64Type,
};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, internal_err};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, SortExpr};
use datafusion::physical_expr::{LexOrdering, create_physical_sort_exprs};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{StreamExt, TryStreamExt, stream};

use super::totals::held_bytes;
use crate::error::internal_err;
use crate::functions::common::over_input::{InputOperator, OverInput, Scan, projected};
use crate::functions::common::{
    execute_only_partition, final_single_partition, one_input_operator, one_partition,
};

const NAME: &str = "rfm";

/// The name the ranked customer table shows under in logical plans.
pub const TABLE_NAME: &str = "rfm_ranked";

/// One rank column: its name, the ordering, and whether equal rows share a rank.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// The column's name.
    pub name: String,
    /// The ordering of all rows the rank is a position in.
    pub ordering: Vec<SortExpr>,
    /// `rank()` when true (rows equal on the whole ordering share the lowest position of
    /// their run), `row_number()` when false.
    pub peers_share: bool,
}

/// `input` with one `UInt64` column per [`Ranking`] appended: every row's position, from 1,
/// when all rows are sorted by the ordering (`row_number()` or `rank()` over a window ordered
/// so).
///
/// ```sql
/// SELECT * FROM rfm(sales);   -- r, f and m ranks, then the scores from them
/// ```
pub fn with_ranks(input: LogicalPlan, rankings: Vec<Ranking>) -> Result<LogicalPlanBuilder> {
    let mut fields: Vec<Arc<Field>> = input.schema().as_arrow().fields().iter().cloned().collect();
    fields.extend(
        rankings
            .iter()
            .map(|r| Arc::new(Field::new(&r.name, DataType::UInt64, false))),
    );
    let schema = Arc::new(Schema::new(fields));
    let operator = RanksOperator {
        orderings: rankings
            .into_iter()
            .map(|r| (r.ordering, r.peers_share))
            .collect(),
        schema: Arc::clone(&schema),
    };
    OverInput::new(Arc::new(input), schema, operator).scan(TABLE_NAME)
}

/// What the table behind [`with_ranks`] puts on its planned input: [`RfmRanksExec`] computing
/// the rankings the query reads, or only a projection when it reads none.
#[derive(Debug)]
struct RanksOperator {
    /// Each ordering, and whether its equal rows share a rank.
    orderings: Vec<(Vec<SortExpr>, bool)>,
    schema: SchemaRef,
}

impl InputOperator for RanksOperator {
    fn wrap(&self, scan: Scan<'_>) -> Result<Arc<dyn ExecutionPlan>> {
        let Scan {
            state,
            logical_input,
            input,
            projection,
        } = scan;
        let width = logical_input.schema().fields().len();
        let wanted: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        // Only the ranks the query reads are computed (kmeans_fit(rfm(..)) reads none).
        let used: Vec<usize> = (0..self.orderings.len())
            .filter(|r| wanted.contains(&(width + r)))
            .collect();
        if used.is_empty() {
            return projected(input, Some(&wanted));
        }
        let mut fields: Vec<Arc<Field>> = self.schema.fields()[..width].to_vec();
        fields.extend(
            used.iter()
                .map(|&r| Arc::clone(&self.schema.fields()[width + r])),
        );
        // the rank columns renumbered among the used ones (every projected rank is used)
        let projection: Vec<usize> = wanted
            .iter()
            .map(|&i| match i.checked_sub(width) {
                None => i,
                Some(r) => width + used.partition_point(|&u| u < r),
            })
            .collect();
        let mut orderings = Vec::with_capacity(used.len());
        let peers_share: Vec<bool> = used.iter().map(|&r| self.orderings[r].1).collect();
        for ordering in used.iter().map(|&r| &self.orderings[r].0) {
            let exprs = create_physical_sort_exprs(
                ordering,
                logical_input.schema(),
                state.execution_props(),
                &PhysicalPlanningContext::default(),
            )?;
            let Some(ordering) = LexOrdering::new(exprs) else {
                return Err(internal_err(NAME, "a rank needs an ordering"));
            };
            orderings.push(ordering);
        }
        Ok(Arc::new(RfmRanksExec::try_new(
            input,
            orderings,
            peers_share,
            Arc::new(Schema::new(fields)),
            Some(projection),
        )?))
    }
}

/// Gathers all rows, then emits the same batches with one rank column per ordering appended.
#[derive(Debug)]
pub struct RfmRanksExec {
    input: Arc<dyn ExecutionPlan>,
    orderings: Vec<LexOrdering>,
    /// Per ordering: `rank()` (true) or `row_number()` (false).
    peers_share: Vec<bool>,
    full_schema: SchemaRef,
    projection: Option<Vec<usize>>,
    properties: Arc<PlanProperties>,
}

impl RfmRanksExec {
    /// The same operator over a new `input` (for `with_new_children`).
    fn with_input(&self, input: Arc<dyn ExecutionPlan>) -> Result<Self> {
        Self::try_new(
            input,
            self.orderings.clone(),
            self.peers_share.clone(),
            Arc::clone(&self.full_schema),
            self.projection.clone(),
        )
    }

    /// The operator over `input` (coalesced to one partition if needed): `full_schema` is the
    /// input's schema plus one rank per ordering, of which `projection` is emitted;
    /// `peers_share[i]` makes the i-th rank SQL's `rank()` rather than `row_number()`.
    pub fn try_new(
        input: Arc<dyn ExecutionPlan>,
        orderings: Vec<LexOrdering>,
        peers_share: Vec<bool>,
        full_schema: SchemaRef,
        projection: Option<Vec<usize>>,
    ) -> Result<Self> {
        if peers_share.len() != orderings.len() {
            return internal_err!("RfmRanksExec needs one rank kind per ordering");
        }
        let input = one_partition(input);
        if full_schema.fields().len() != input.schema().fields().len() + orderings.len() {
            return Err(internal_err(
                NAME,
                "RfmRanksExec's schema must be its input's plus one rank per ordering",
            ));
        }
        let (_schema, properties) = final_single_partition(&full_schema, projection.as_ref())?;
        Ok(Self {
            input,
            orderings,
            peers_share,
            full_schema,
            projection,
            properties,
        })
    }
}

impl crate::functions::common::wire::Shipped for RfmRanksExec {
    const WIRE_NAME: &'static str = "rfm_ranks";
    type Settings = RfmRanksSettings;

    fn settings(&self) -> Self::Settings {
        let key = |e: &datafusion::physical_expr::PhysicalSortExpr| SortKey {
            column: e
                .expr
                .downcast_ref::<datafusion::physical_expr::expressions::Column>()
                .map(|c| c.index()),
            descending: e.options.descending,
            nulls_first: e.options.nulls_first,
        };
        RfmRanksSettings {
            orderings: self
                .orderings
                .iter()
                .map(|o| o.iter().map(key).collect())
                .collect(),
            peers_share: self.peers_share.clone(),
            full_schema: Arc::clone(&self.full_schema),
            projection: self.projection.clone(),
        }
    }

    fn rebuild(
        s: Self::Settings,
        input: Arc<dyn ExecutionPlan>,
        _store: Arc<dyn crate::model::ModelStore>,
    ) -> Result<Self> {
        use datafusion::arrow::compute::SortOptions;
        use datafusion::physical_expr::PhysicalSortExpr;
        use datafusion::physical_expr::expressions::Column;
        let schema = input.schema();
        let mut orderings = Vec::with_capacity(s.orderings.len());
        for keys in s.orderings {
            let mut exprs = Vec::with_capacity(keys.len());
            for key in keys {
                let Some(index) = key.column.filter(|&i| i < schema.fields().len()) else {
                    return Err(internal_err(
                        NAME,
                        "a rank ordering arrived without its column",
                    ));
                };
                exprs.push(PhysicalSortExpr::new(
                    Arc::new(Column::new(schema.field(index).name(), index)),
                    SortOptions::new(key.descending, key.nulls_first),
                ));
            }
            orderings.push(
                LexOrdering::new(exprs)
                    .ok_or_else(|| internal_err(NAME, "a rank ordering arrived without keys"))?,
            );
        }
        Self::try_new(input, orderings, s.peers_share, s.full_schema, s.projection)
    }
}

#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
/// What rebuilds an [`RfmRanksExec`] elsewhere: its orderings are over plain input columns.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct RfmRanksSettings {
    orderings: Vec<Vec<SortKey>>,
    peers_share: Vec<bool>,
    #[serde(with = "crate::functions::common::wire::schema")]
    full_schema: SchemaRef,
    projection: Option<Vec<usize>>,
}

#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
/// One key of a rank ordering: an input column (`None` if the key is not a plain column,
/// which the rebuild refuses) and its direction.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct SortKey {
    column: Option<usize>,
    descending: bool,
    nulls_first: bool,
}

impl DisplayAs for RfmRanksExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let first_rank = self.full_schema.fields().len() - self.orderings.len();
        let ranks: Vec<String> = self
            .orderings
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let kind = if self.peers_share[i] {
                    "rank"
                } else {
                    "row_number"
                };
                format!(
                    "{}={kind}[{o}]",
                    self.full_schema.field(first_rank + i).name()
                )
            })
            .collect();
        match t {
            DisplayFormatType::TreeRender => write!(f, "ranks={}", ranks.len()),
            _ => write!(f, "RfmRanksExec: {}", ranks.join(", ")),
        }
    }
}

impl ExecutionPlan for RfmRanksExec {
    one_input_operator!("RfmRanksExec", NAME);

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = execute_only_partition(&self.input, partition, &context, NAME, "RfmRanksExec")?;
        let reservation = MemoryConsumer::new("RfmRanksExec").register(context.memory_pool());
        let orderings = self.orderings.clone();
        let peers_share = self.peers_share.clone();
        let schema = Arc::clone(&self.full_schema);
        let projection = self.projection.clone();
        let ranked = stream::once(rank(input, orderings, peers_share, reservation));
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
    peers_share: Vec<bool>,
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
            .zip(&peers_share)
            .map(|(columns, &peers)| scope.spawn(move || positions(columns, rows, peers)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(internal_err(NAME, "a rank thread panicked")))
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

/// Every row's position, from 1, in the order of `columns` (all `rows` long); with
/// `peers_share`, rows equal on every column share the position of the first of them.
///
/// Up to three number or time columns without NULLs (rfm()'s case) become fixed-width
/// unsigned keys that order as the columns do, and rows are sorted by those; anything else is
/// sorted by Arrow's `lexsort_to_indices`.
fn positions(columns: &[SortColumn], rows: usize, peers_share: bool) -> Result<UInt64Array> {
    let keys: Option<Vec<Vec<u64>>> = columns.iter().map(ordered_keys).collect();
    let packed = keys.as_deref().and_then(|keys| packed_order(keys, rows));
    let order: Vec<u32> = match (packed, keys.as_deref()) {
        (Some(order), _) => order,
        (None, Some([a])) => sorted_rows([a]),
        (None, Some([a, b])) => sorted_rows([a, b]),
        (None, Some([a, b, c])) => sorted_rows([a, b, c]),
        _ => lexsort_to_indices(columns, None)?.values().to_vec(),
    };
    let same = if peers_share {
        Some(same_as_previous(columns, keys.as_deref(), &order)?)
    } else {
        None
    };
    let mut ranks = vec![0u64; rows];
    let mut current = 0;
    for (position, &row) in order.iter().enumerate() {
        if !same.as_ref().is_some_and(|same| same[position]) {
            current = position as u64 + 1;
        }
        ranks[row as usize] = current;
    }
    Ok(UInt64Array::from(ranks))
}

/// For each position of `order`, whether its row equals the previous one on every column
/// (false for the first). Compared by the ordered keys when there are some, else by Arrow's
/// row format (which, like the sort, tells -0.0 from 0.0 and makes NULLs equal).
fn same_as_previous(
    columns: &[SortColumn],
    keys: Option<&[Vec<u64>]>,
    order: &[u32],
) -> Result<Vec<bool>> {
    let pairs = |equal: &dyn Fn(usize, usize) -> bool| -> Vec<bool> {
        std::iter::once(false)
            .chain(
                order
                    .windows(2)
                    .map(|w| equal(w[0] as usize, w[1] as usize)),
            )
            .take(order.len())
            .collect()
    };
    if let Some(keys) = keys {
        return Ok(pairs(&|a, b| keys.iter().all(|k| k[a] == k[b])));
    }
    let converter = RowConverter::new(
        columns
            .iter()
            .map(|c| {
                SortField::new_with_options(
                    c.values.data_type().clone(),
                    c.options.unwrap_or_default(),
                )
            })
            .collect(),
    )?;
    let values: Vec<ArrayRef> = columns.iter().map(|c| Arc::clone(&c.values)).collect();
    let converted = converter.convert_columns(&values)?;
    Ok(pairs(&|a, b| converted.row(a) == converted.row(b)))
}

/// Row numbers sorted by their keys, column by column, when every key's range (max - min)
/// and the row number fit together in 128 bits: each row becomes one integer, the keys'
/// offsets from their minimum side by side, most significant column first, and the row number
/// last. Sorting those plain integers is several times faster than sorting tuples. rfm()'s
/// orderings fit: a day count or a small frequency, or a `DOUBLE` amount, with a customer id.
fn packed_order(keys: &[Vec<u64>], rows: usize) -> Option<Vec<u32>> {
    let width = |range: u64| u64::BITS - range.leading_zeros();
    let row_bits = width(rows.saturating_sub(1) as u64);
    let spans: Vec<(u64, u32)> = keys
        .iter()
        .map(|k| {
            let min = k.iter().copied().min().unwrap_or(0);
            let max = k.iter().copied().max().unwrap_or(0);
            (min, width(max - min))
        })
        .collect();
    let total = row_bits + spans.iter().map(|&(_, bits)| bits).sum::<u32>();
    if total > u128::BITS {
        return None;
    }
    let mut packed: Vec<u128> = (0..rows as u128).collect();
    let mut shift = total;
    for (k, &(min, bits)) in keys.iter().zip(&spans) {
        shift -= bits;
        if bits > 0 {
            for (p, &v) in packed.iter_mut().zip(k) {
                *p |= u128::from(v - min) << shift;
            }
        }
    }
    let row_mask = (1u128 << row_bits) - 1;
    if total <= u64::BITS {
        let mut narrow: Vec<u64> = packed.into_iter().map(|p| p as u64).collect();
        narrow.sort_unstable();
        Some(
            narrow
                .into_iter()
                .map(|p| (u128::from(p) & row_mask) as u32)
                .collect(),
        )
    } else {
        packed.sort_unstable();
        Some(packed.into_iter().map(|p| (p & row_mask) as u32).collect())
    }
}

/// Row numbers sorted by their keys, column by column.
fn sorted_rows<const N: usize>(columns: [&[u64]; N]) -> Vec<u32> {
    let rows = columns[0].len();
    let mut keyed: Vec<([u64; N], u32)> = (0..rows)
        .map(|row| (std::array::from_fn(|c| columns[c][row]), row as u32))
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, row)| row).collect()
}

/// `column`'s values as unsigned integers in the column's sort order (direction included),
/// or `None` when it has NULLs or is not a number or time type (or has more than 2^32 rows).
fn ordered_keys(column: &SortColumn) -> Option<Vec<u64>> {
    let values = &column.values;
    if values.null_count() > 0 || u32::try_from(values.len()).is_err() {
        return None;
    }
    let descending = column.options.is_some_and(|o| o.descending);
    let flip = if descending { u64::MAX } else { 0 };
    let keys: Vec<u64> = match values.data_type() {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(_, _) => {
            let ints = cast(values, &DataType::Int64).ok()?;
            let ints = ints.as_primitive::<Int64Type>();
            ints.values()
                .iter()
                .map(|&v| ((v as u64) ^ (1 << 63)) ^ flip)
                .collect()
        }
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
            let ints = cast(values, &DataType::UInt64).ok()?;
            let ints = ints.as_primitive::<UInt64Type>();
            ints.values().iter().map(|&v| v ^ flip).collect()
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let floats = cast(values, &DataType::Float64).ok()?;
            let floats = floats.as_primitive::<Float64Type>();
            floats
                .values()
                .iter()
                .map(|&v| float_key(v) ^ flip)
                .collect()
        }
        _ => return None,
    };
    Some(keys)
}

/// An unsigned key ordering as `f64::total_cmp` (Arrow's and DataFusion's float sort order):
/// negative values have every bit flipped, the others only the sign bit.
fn float_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    }
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
        let ranks = positions(&columns, 6, false).unwrap();
        assert_eq!(ranks.values().to_vec(), vec![3, 6, 1, 2, 5, 4]);
    }

    /// The fixed-width keys give exactly the positions `lexsort_to_indices` gives, on numbers,
    /// times and floats (negative zero, infinities, NaN), in both directions.
    #[test]
    fn keyed_positions_match_arrows_sort() {
        let floats = [
            3.5,
            -0.0,
            0.0,
            f64::NAN,
            -f64::INFINITY,
            f64::INFINITY,
            -2.25,
            3.5,
            1e-300,
            -1e-300,
            f64::MIN,
            f64::MAX,
        ];
        let n = floats.len();
        let candidates: Vec<ArrayRef> = vec![
            Arc::new(Float64Array::from(floats.to_vec())),
            Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| {
                (i * 7919 % 13) - 6 + if i == 3 { i64::MIN } else { 0 }
            }))),
            Arc::new(datafusion::arrow::array::UInt32Array::from_iter_values(
                (0..n as u32).map(|i| (i * 31) % 5 + if i == 1 { u32::MAX - 5 } else { 0 }),
            )),
            Arc::new(
                datafusion::arrow::array::TimestampMicrosecondArray::from_iter_values(
                    (0..n as i64).map(|i| (i % 4) * -86_400_000_000),
                ),
            ),
        ];
        // the key column: distinct, so every ordering is total
        let key: ArrayRef = Arc::new(Int64Array::from_iter_values((0..n as i64).map(|i| 100 - i)));
        for first in &candidates {
            for descending in [false, true] {
                let columns = [
                    SortColumn {
                        values: Arc::clone(first),
                        options: Some(SortOptions {
                            descending,
                            nulls_first: false,
                        }),
                    },
                    SortColumn {
                        values: Arc::clone(&key),
                        options: Some(SortOptions::default()),
                    },
                ];
                assert!(columns.iter().all(|c| ordered_keys(c).is_some()));
                assert_ranks_match_arrow(&columns, &format!("{} {descending}", first.data_type()));
                // two wide columns and the key: more than 128 bits, so not packed
                let three = [
                    columns[0].clone(),
                    SortColumn {
                        values: Arc::clone(&candidates[0]),
                        options: Some(SortOptions::default()),
                    },
                    columns[1].clone(),
                ];
                let keys: Vec<Vec<u64>> = three.iter().filter_map(ordered_keys).collect();
                assert_eq!(keys.len(), 3);
                assert_ranks_match_arrow(&three, &format!("three, {descending}"));
            }
        }
    }

    fn assert_ranks_match_arrow(columns: &[SortColumn], what: &str) {
        let n = columns[0].values.len();
        let expected = lexsort_to_indices(columns, None).unwrap();
        let mut by_arrow = vec![0u64; n];
        for (position, &row) in expected.values().iter().enumerate() {
            by_arrow[row as usize] = position as u64 + 1;
        }
        let ranks = positions(columns, n, false).unwrap();
        assert_eq!(ranks.values().to_vec(), by_arrow, "{what}");
    }

    /// Packing uses the fewest bits each key needs: narrow keys pack into 64 bits, wide ones
    /// into 128, and keys that do not fit are left to the tuple sort.
    #[test]
    fn keys_are_packed_when_they_fit() {
        let rows = 1000usize;
        let small: Vec<u64> = (0..rows as u64)
            .map(|i| 1_000_000 + (i * 37) % 50)
            .collect();
        let ids: Vec<u64> = (0..rows as u64).map(|i| 5_000_000 - i * 3).collect();
        let wide: Vec<u64> = (0..rows as u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let reference = |keys: &[&Vec<u64>]| {
            let mut order: Vec<u32> = (0..rows as u32).collect();
            order.sort_by_key(|&r| (keys.iter().map(|k| k[r as usize]).collect::<Vec<_>>(), r));
            order
        };
        for keys in [
            vec![&small, &ids],
            vec![&wide, &ids],
            vec![&wide],
            vec![&small, &small, &ids],
        ] {
            let owned: Vec<Vec<u64>> = keys.iter().map(|k| k.to_vec()).collect();
            assert_eq!(packed_order(&owned, rows), Some(reference(&keys)));
        }
        let too_wide = vec![wide.clone(), wide.clone()];
        assert_eq!(packed_order(&too_wide, rows), None);
        assert_eq!(packed_order(&[vec![7u64]], 1), Some(vec![0]));
    }

    #[test]
    fn no_rows_no_ranks() {
        let columns = [SortColumn {
            values: Arc::new(Int64Array::from(Vec::<i64>::new())),
            options: None,
        }];
        assert_eq!(positions(&columns, 0, false).unwrap().len(), 0);
        assert_eq!(positions(&columns, 0, true).unwrap().len(), 0);
    }

    #[test]
    fn equal_rows_share_the_lowest_position_like_sql_rank() {
        let ascending = Some(SortOptions {
            descending: false,
            nulls_first: false,
        });
        // number keys: 1.0 is first, the two 2.0 share position 2, 5.0 is fourth
        let numbers = [SortColumn {
            values: Arc::new(Float64Array::from(vec![2.0, 5.0, 2.0, 1.0])),
            options: ascending,
        }];
        let ranks = positions(&numbers, 4, true).unwrap();
        assert_eq!(ranks.values().to_vec(), vec![2, 4, 2, 1]);
        // text (Arrow's row format), descending: c, then the two b, then a
        let texts = [SortColumn {
            values: Arc::new(StringArray::from(vec!["b", "a", "c", "b"])),
            options: Some(SortOptions {
                descending: true,
                nulls_first: false,
            }),
        }];
        let ranks = positions(&texts, 4, true).unwrap();
        assert_eq!(ranks.values().to_vec(), vec![2, 4, 1, 2]);
        // without sharing, the same rows get distinct positions
        let ranks = positions(&numbers, 4, false).unwrap();
        let mut distinct = ranks.values().to_vec();
        distinct.sort_unstable();
        assert_eq!(distinct, vec![1, 2, 3, 4]);
    }

    /// The operator on its own over two in-memory partitions: values 3, 1 | 3, 2 ranked
    /// descending, once as SQL's rank() (the two 3s share rank 1, then 3 and 4) and once as
    /// row_number() with the customer as tie-break (customer 1's 3 first).
    #[tokio::test]
    async fn ranks_span_all_partitions_and_ties_share_only_with_rank() {
        use crate::functions::common::test_partitions::{partitions, run};
        use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema, UInt64Type};
        use datafusion::physical_expr::PhysicalSortExpr;
        use datafusion::physical_expr::expressions::Column;

        let schema = Arc::new(Schema::new(vec![
            Field::new("customer", DataType::Int64, false),
            Field::new("value", DataType::Float64, false),
        ]));
        let part = |customers: Vec<i64>, values: Vec<f64>| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(Int64Array::from(customers)),
                    Arc::new(Float64Array::from(values)),
                ],
            )
            .unwrap()
        };
        let input = partitions(
            &schema,
            vec![
                part(vec![2, 4], vec![3.0, 1.0]),
                part(vec![1, 3], vec![3.0, 2.0]),
            ],
        );
        let sort = |column: &str, index: usize, descending: bool| {
            PhysicalSortExpr::new(
                Arc::new(Column::new(column, index)),
                SortOptions {
                    descending,
                    nulls_first: false,
                },
            )
        };
        let by_value = LexOrdering::new(vec![sort("value", 1, true)]).unwrap();
        let by_value_then_customer =
            LexOrdering::new(vec![sort("value", 1, true), sort("customer", 0, false)]).unwrap();
        let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
        fields.push(Arc::new(Field::new("rank", DataType::UInt64, false)));
        fields.push(Arc::new(Field::new("row_number", DataType::UInt64, false)));
        let exec = RfmRanksExec::try_new(
            input,
            vec![by_value, by_value_then_customer],
            vec![true, false],
            Arc::new(Schema::new(fields)),
            None,
        )
        .unwrap();
        let out = run(Arc::new(exec)).await;
        let customers = out.column(0).as_primitive::<Int64Type>();
        let mut rows: Vec<(i64, u64, u64)> = (0..out.num_rows())
            .map(|i| {
                (
                    customers.value(i),
                    out.column(2).as_primitive::<UInt64Type>().value(i),
                    out.column(3).as_primitive::<UInt64Type>().value(i),
                )
            })
            .collect();
        rows.sort();
        assert_eq!(rows, [(1, 1, 1), (2, 1, 2), (3, 3, 3), (4, 4, 4)]);
    }
}
