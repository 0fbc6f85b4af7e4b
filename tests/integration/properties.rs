//! Invariants that must hold for any data, checked on generated inputs (proptest, seeded by its
//! defaults and bounded so the module runs in seconds):
//! - `rfm()` equals a naive per-customer computation written here from the column definitions,
//!   on any partitioning and batch size;
//! - `kmeans_fit` gives the same table on any partitioning and batch size;
//! - scoring the training rows with the trained model reproduces the training labels;
//! - inertia never increases from one Lloyd iteration to the next within a restart;
//! - a saved model reloads bit for bit and scores the same.
//!
//! A failing case is shrunk to a small one and printed by proptest.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use proptest::prelude::*;
use segql::kmeans::{FitProgress, KMeansParams, Monitor, fit_monitored};
use segql::model::train::{FeatureData, TrainOptions, prepare, train_prepared};
use segql::model::{DirectoryStore, ModelStore};

const MICROS_PER_DAY: i64 = 86_400_000_000;
/// `as_of` for the generated purchases: day 2001 after the epoch, after every purchase.
const AS_OF_DAY: i64 = 2001;
const BINS: usize = 5;

/// One purchase line: customer, microseconds since the epoch, amount in cents (or NULL), order.
type Line = (u8, i64, Option<i64>, i64);

fn lines() -> impl Strategy<Value = Vec<Line>> {
    prop::collection::vec(
        (
            0u8..12,
            (0i64..2000, 0i64..86_400).prop_map(|(d, s)| d * MICROS_PER_DAY + s * 1_000_000),
            prop::option::weighted(0.9, 1i64..200_000),
            0i64..40,
        ),
        1..120,
    )
}

/// `rows` split into `partitions` partitions (round robin) of batches of at most `batch` rows.
fn table(batch: RecordBatch, partitions: usize, rows_per_batch: usize) -> MemTable {
    let schema = batch.schema();
    let mut parts: Vec<Vec<RecordBatch>> = vec![vec![]; partitions];
    let mut start = 0;
    let mut i = 0;
    while start < batch.num_rows() {
        let len = rows_per_batch.min(batch.num_rows() - start);
        parts[i % partitions].push(batch.slice(start, len));
        start += len;
        i += 1;
    }
    MemTable::try_new(schema, parts).unwrap()
}

fn session(target_partitions: usize, batch_size: usize) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(target_partitions)
        .with_batch_size(batch_size);
    let ctx = SessionContext::new_with_config(config);
    segql::register_all(&ctx).unwrap();
    ctx
}

fn run(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
        .block_on(async { ctx.sql(sql).await?.collect().await })
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The purchase lines as a table, with the `order_id` column only when `by_order` (rfm() finds
/// a column of that name by itself).
fn purchases(lines: &[Line], by_order: bool) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, false),
        Field::new(
            "invoice_date",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        ),
        Field::new("amount", DataType::Float64, true),
        Field::new("order_id", DataType::Int64, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            lines.iter().map(|l| format!("c{}", l.0)),
        )),
        Arc::new(TimestampMicrosecondArray::from_iter_values(
            lines.iter().map(|l| l.1),
        )),
        Arc::new(Float64Array::from_iter(
            lines.iter().map(|l| l.2.map(|c| c as f64 / 100.0)),
        )),
        Arc::new(Int64Array::from_iter_values(lines.iter().map(|l| l.3))),
    ];
    let batch = RecordBatch::try_new(schema, columns).unwrap();
    if by_order {
        batch
    } else {
        batch.project(&[0, 1, 2]).unwrap()
    }
}

/// One customer's row of `rfm()`, computed naively.
#[derive(Debug, PartialEq)]
struct Naive {
    first: i64,
    last: i64,
    recency: i64,
    frequency: i64,
    cents: i64,
    tenure: i64,
    scores: [usize; 3],
}

/// `rfm(t, as_of => day 2001)` from its column definitions: recency in whole days to as_of,
/// frequency as distinct order ids (or lines), monetary as the sum of the non-NULL amounts,
/// and each score 1 + bins × (rank − 1) / n with SQL's rank (recency descending, the others
/// ascending).
fn naive_rfm(lines: &[Line], by_order: bool) -> BTreeMap<String, Naive> {
    let mut per: BTreeMap<u8, Vec<&Line>> = BTreeMap::new();
    for line in lines {
        per.entry(line.0).or_default().push(line);
    }
    let mut out: BTreeMap<String, Naive> = per
        .iter()
        .map(|(customer, lines)| {
            let first = lines.iter().map(|l| l.1).min().unwrap();
            let last = lines.iter().map(|l| l.1).max().unwrap();
            let frequency = if by_order {
                lines.iter().map(|l| l.3).collect::<BTreeSet<_>>().len() as i64
            } else {
                lines.len() as i64
            };
            let naive = Naive {
                first,
                last,
                recency: (AS_OF_DAY * MICROS_PER_DAY - last) / MICROS_PER_DAY,
                frequency,
                cents: lines.iter().filter_map(|l| l.2).sum(),
                tenure: (last - first) / MICROS_PER_DAY,
                scores: [0; 3],
            };
            (format!("c{customer}"), naive)
        })
        .collect();
    let n = out.len();
    let values: Vec<[i64; 3]> = out
        .values()
        .map(|c| [c.recency, c.frequency, c.cents])
        .collect();
    for (i, customer) in out.values_mut().enumerate() {
        for m in 0..3 {
            let ahead = values
                .iter()
                .filter(|v| {
                    if m == 0 {
                        v[0] > values[i][0]
                    } else {
                        v[m] < values[i][m]
                    }
                })
                .count();
            customer.scores[m] = 1 + BINS * ahead / n;
        }
    }
    out
}

fn segql_rfm(ctx: &SessionContext, by_order: bool) -> BTreeMap<String, Naive> {
    let order = if by_order {
        ", order_id => 'order_id'"
    } else {
        ""
    };
    let sql = format!(
        "SELECT customer_id, CAST(first_purchase AS BIGINT), CAST(last_purchase AS BIGINT), \
         recency_days, frequency, monetary, tenure_days, r_score, f_score, m_score \
         FROM rfm(t, as_of => '1975-06-25'{order})"
    );
    let mut out = BTreeMap::new();
    for batch in run(ctx, &sql) {
        let int = |c: usize, r: usize| {
            let column = batch.column(c);
            datafusion::arrow::compute::cast(column, &DataType::Int64)
                .unwrap()
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .value(r)
        };
        let names = datafusion::arrow::compute::cast(batch.column(0), &DataType::Utf8).unwrap();
        let names = names.as_any().downcast_ref::<StringArray>().unwrap();
        let monetary = batch
            .column(5)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        for r in 0..batch.num_rows() {
            let naive = Naive {
                first: int(1, r),
                last: int(2, r),
                recency: int(3, r),
                frequency: int(4, r),
                cents: (monetary.value(r) * 100.0).round() as i64,
                tenure: int(6, r),
                scores: [int(7, r) as usize, int(8, r) as usize, int(9, r) as usize],
            };
            out.insert(names.value(r).to_string(), naive);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rfm_equals_a_naive_computation_on_any_partitioning(
        lines in lines(),
        partitions in 1usize..5,
        rows_per_batch in 1usize..40,
        target_partitions in 1usize..5,
        by_order in any::<bool>(),
    ) {
        // 1975-06-25 is day 2001 after the epoch
        let ctx = session(target_partitions, rows_per_batch.max(2));
        ctx.register_table("t", Arc::new(table(purchases(&lines, by_order), partitions, rows_per_batch)))
            .unwrap();
        prop_assert_eq!(segql_rfm(&ctx, by_order), naive_rfm(&lines, by_order));
    }
}

/// `n` points of `d` features, some repeated, as (x0, x1, x2) with a row id.
fn points() -> impl Strategy<Value = Vec<[f64; 3]>> {
    prop::collection::vec(prop::array::uniform3(-1000.0f64..1000.0), 8..150)
        .prop_flat_map(|points| {
            let n = points.len();
            (Just(points), prop::collection::vec(0..n, 0..n / 3))
        })
        .prop_map(|(mut points, repeats)| {
            for i in repeats {
                points.push(points[i]);
            }
            points
        })
}

fn points_batch(points: &[[f64; 3]]) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("x0", DataType::Float64, false),
        Field::new("x1", DataType::Float64, false),
        Field::new("x2", DataType::Float64, false),
    ]));
    let mut columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from_iter_values(
        0..points.len() as i64,
    ))];
    for j in 0..3 {
        columns.push(Arc::new(Float64Array::from_iter_values(
            points.iter().map(|p| p[j]),
        )));
    }
    RecordBatch::try_new(schema, columns).unwrap()
}

fn feature_data(points: &[[f64; 3]]) -> FeatureData {
    FeatureData {
        names: vec!["x0".into(), "x1".into(), "x2".into()],
        columns: (0..3)
            .map(|j| points.iter().map(|p| p[j]).collect())
            .collect(),
        ..FeatureData::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_fit_is_the_same_on_any_partitioning_and_batch_size(
        points in points(),
        k in 1usize..5,
        layouts in prop::collection::vec((1usize..5, 1usize..50, 1usize..5), 2),
    ) {
        let sql = format!(
            "SELECT * FROM kmeans_fit(t, {k}, features => 'x0, x1, x2', seed => 3, n_init => 3)"
        );
        let mut tables = vec![];
        for (partitions, rows_per_batch, target_partitions) in layouts {
            let ctx = session(target_partitions, rows_per_batch.max(2));
            ctx.register_table(
                "t",
                Arc::new(table(points_batch(&points), partitions, rows_per_batch)),
            )
            .unwrap();
            tables.push(pretty_format_batches(&run(&ctx, &sql)).unwrap().to_string());
        }
        prop_assert_eq!(&tables[0], &tables[1]);
    }

    #[test]
    fn scoring_the_training_rows_reproduces_their_labels(
        points in points(),
        k in 1usize..6,
        seed in 0u64..1000,
    ) {
        prop_assume!(k <= distinct(&points));
        let mut options = TrainOptions::new(k);
        options.kmeans = KMeansParams::new(k).seed(seed).n_init(2);
        let prepared = prepare(feature_data(&points), &options).unwrap();
        let trained = train_prepared("m", &prepared, &options, &Monitor::new()).unwrap();
        let mut scorer = trained.model.scorer();
        for (i, label) in trained.labels.iter().enumerate() {
            let raw: Vec<f64> = prepared.columns.iter().map(|c| c[i]).collect();
            prop_assert_eq!(scorer.assign(&raw).0, *label as usize, "row {}", i);
        }
    }

    #[test]
    fn inertia_never_increases_within_a_restart(
        points in points(),
        k in 1usize..8,
        seed in 0u64..1000,
    ) {
        prop_assume!(k <= distinct(&points));
        let seen: Arc<Mutex<Vec<FitProgress>>> = Arc::default();
        let log = Arc::clone(&seen);
        let monitor = Monitor::new().with_progress(move |p| log.lock().unwrap().push(*p));
        let data = ndarray::Array2::from_shape_fn((points.len(), 3), |(i, j)| points[i][j]);
        let params = KMeansParams::new(k).seed(seed).n_init(3).check().unwrap();
        fit_monitored(&params, data.view(), &monitor).unwrap();
        let seen = seen.lock().unwrap();
        for pair in seen.windows(2) {
            let (before, after) = (&pair[0], &pair[1]);
            if before.run == after.run && before.refining == after.refining {
                prop_assert!(
                    after.inertia <= before.inertia * (1.0 + 1e-12) + 1e-9,
                    "{before:?} then {after:?}"
                );
            }
        }
    }

    #[test]
    fn a_saved_model_reloads_bit_for_bit(
        points in points(),
        k in 1usize..5,
        seed in 0u64..1000,
        transform in prop::sample::select(vec!["none", "auto", "yeojohnson", "cbrt"]),
    ) {
        prop_assume!(k <= distinct(&points));
        let mut options = TrainOptions::new(k);
        options.kmeans = KMeansParams::new(k).seed(seed).n_init(2);
        options.transform = segql::preprocess::TransformSpec::parse(transform).unwrap();
        let prepared = prepare(feature_data(&points), &options).unwrap();
        let trained = train_prepared("m", &prepared, &options, &Monitor::new()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        DirectoryStore::new(dir.path()).save(&trained.model).unwrap();
        let back = DirectoryStore::new(dir.path()).load("m").unwrap();
        prop_assert_eq!(&*back, &trained.model);
        let bits = |m: &segql::model::SegmentModel| -> Vec<u64> {
            m.segments.iter().flat_map(|s| s.centroid.iter().map(|v| v.to_bits())).collect()
        };
        prop_assert_eq!(bits(&back), bits(&trained.model));
        let (mut a, mut b) = (back.scorer(), trained.model.scorer());
        for p in &points {
            prop_assert_eq!(a.assign(p), b.assign(p));
        }
    }
}

fn distinct(points: &[[f64; 3]]) -> usize {
    points
        .iter()
        .map(|p| p.map(f64::to_bits))
        .collect::<BTreeSet<_>>()
        .len()
}
