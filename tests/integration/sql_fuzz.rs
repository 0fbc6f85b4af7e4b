//! A SQL-level fuzzer: random calls of every segql function (table functions with every
//! declared option, read from `segql::reference`, plus unknown and repeated ones; the scalar
//! and aggregate functions with random arguments), nested in each other, over random small
//! tables (NULLs, NaN, ±Inf, extreme integers and dates, empty tables, wide tables, unicode,
//! mis-cased and duplicate column names). Every statement must end in a result or in a
//! planning or execution error that a user can act on: never a panic, never an internal error.
//!
//! `cargo test` runs a bounded number of cases from a fixed seed (a few seconds);
//! `scripts/fuzz-sql.sh` runs as many as asked from any seed:
//!
//! ```text
//! SEGQL_FUZZ_CASES=20000 SEGQL_FUZZ_SEED=7 cargo test --test integration sql_fuzz -- --nocapture
//! ```

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use segql::model::MemoryStore;
use segql::reference::{Argument, expression_function_names, table_function_arguments};

/// Statements per session: later ones read the models earlier ones saved.
const STATEMENTS_PER_CASE: usize = 12;

const MODEL_NAMES: &[&str] = &["m", "seg", "p", "h", "d", "nope"];

const COLUMN_NAMES: &[&str] = &[
    "customer_id",
    "invoice_date",
    "amount",
    "order_id",
    "x",
    "y",
    "z",
    "Amount",
    "CUSTOMER_ID",
    "naïve 顧客",
    "größe",
    "a b",
    "quote\"d",
    "recency_days",
    "frequency",
    "monetary",
];

/// The words options take, valid for some option or other.
const WORDS: &[&str] = &[
    "",
    "x",
    "x, y",
    "x, y, z",
    "amount",
    "customer_id",
    "invoice_date",
    "recency_days, frequency, monetary",
    "auto",
    "none",
    "log",
    "log1p",
    "sqrt",
    "cbrt",
    "boxcox",
    "yeojohnson",
    "x: log, y: boxcox",
    "none, x: log",
    "standard",
    "robust",
    "minmax",
    "k-means++",
    "random",
    "include",
    "exclude",
    "skip",
    "error",
    "share",
    "split",
    "ward",
    "single",
    "complete",
    "average",
    "2..5",
    "1..3",
    "2, 3, 9",
    "5..2",
    "2..100000",
    "month",
    "week",
    "day",
    "quarter",
    "m",
    "0: Champions, 1: At risk",
    "顧客 ✓",
    "'; DROP TABLE t; --",
    "1e309",
    "-0",
    "%d/%m/%Y",
    "to_timestamp(invoice_date)",
    "amount * 2",
    "CAST(x AS DOUBLE)",
];

fn pick<'a, T: ?Sized>(rng: &mut ChaCha8Rng, items: &'a [&'a T]) -> &'a T {
    items[rng.random_range(0..items.len())]
}

fn quote_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A random value of any kind, as SQL.
fn any_value(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..8) {
        0 => integer(rng),
        1 => number(rng),
        2 => text(rng),
        3 => boolean(rng),
        4 => timestamp(rng),
        5 => "NULL".into(),
        6 => format!("repeat('é', {})", pick(rng, &["0", "1", "10000"])),
        _ => format!("[1, 2, {}]", integer(rng)),
    }
}

fn integer(rng: &mut ChaCha8Rng) -> String {
    pick(
        rng,
        &[
            "-1",
            "0",
            "1",
            "2",
            "3",
            "4",
            "5",
            "10",
            "300",
            "2147483648",
            "9223372036854775807",
            "-9223372036854775808",
            "NULL",
            "2.5",
            "'3'",
            "CAST(NULL AS BIGINT)",
        ],
    )
    .to_string()
}

fn number(rng: &mut ChaCha8Rng) -> String {
    pick(
        rng,
        &[
            "0",
            "-1",
            "0.5",
            "1",
            "2.5",
            "1e-300",
            "1e308",
            "-1e308",
            "5e-324",
            "CAST('NaN' AS DOUBLE)",
            "CAST('inf' AS DOUBLE)",
            "CAST('-inf' AS DOUBLE)",
            "NULL",
            "'0.3'",
        ],
    )
    .to_string()
}

fn text(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..10) {
        0 => quote_text(pick(rng, COLUMN_NAMES)),
        1 => "NULL".into(),
        2 => "repeat('x', 10000)".into(),
        _ => quote_text(pick(rng, WORDS)),
    }
}

fn boolean(rng: &mut ChaCha8Rng) -> String {
    pick(rng, &["true", "false", "NULL", "'yes'", "1"]).to_string()
}

fn timestamp(rng: &mut ChaCha8Rng) -> String {
    pick(
        rng,
        &[
            "'2011-12-10'",
            "DATE '1900-01-01'",
            "TIMESTAMP '2200-01-01 00:00:00'",
            "'0001-01-01'",
            "'9999-12-31T23:59:59+14:00'",
            "'not a date'",
            "'01/02/2011'",
            "NULL",
            "5",
            "now()",
        ],
    )
    .to_string()
}

struct Fuzzer {
    rng: ChaCha8Rng,
    functions: Vec<(&'static str, Vec<Argument>)>,
    expressions: Vec<&'static str>,
    tables: Vec<String>,
    /// Each table's column names.
    columns: Vec<Vec<String>>,
}

impl Fuzzer {
    /// A value for an argument that accepts `accepts`, sometimes of the wrong kind on purpose.
    fn value(&mut self, name: &str, accepts: &str, depth: usize) -> String {
        if self.rng.random_bool(0.1) {
            return any_value(&mut self.rng);
        }
        match accepts {
            "a relation" => self.relation(depth),
            "a relation or a model name" if self.rng.random_bool(0.5) => {
                quote_text(pick(&mut self.rng, MODEL_NAMES))
            }
            "a relation or a model name" => self.relation(depth),
            "an integer" => integer(&mut self.rng),
            "an integer or 'auto'" if self.rng.random_bool(0.3) => "'auto'".into(),
            "an integer or 'auto'" => integer(&mut self.rng),
            "a number" => number(&mut self.rng),
            "a boolean" => boolean(&mut self.rng),
            "a date or timestamp" => timestamp(&mut self.rng),
            _ if name == "model" || self.rng.random_bool(0.1) => {
                quote_text(pick(&mut self.rng, MODEL_NAMES))
            }
            _ if name == "features" && self.rng.random_bool(0.7) => quote_text(pick(
                &mut self.rng,
                &[
                    "x, y",
                    "x, y, z",
                    "x",
                    "recency_days, frequency, monetary",
                    "amount",
                    "z, x",
                ],
            )),
            _ => text(&mut self.rng),
        }
    }

    /// A table, a subquery, a quoted path, or (while `depth` allows) a table function call.
    fn relation(&mut self, depth: usize) -> String {
        match self.rng.random_range(0..10) {
            0..=3 => self.tables[self.rng.random_range(0..self.tables.len())].clone(),
            4 => format!(
                "(SELECT * FROM {} LIMIT {})",
                self.tables[0],
                self.rng.random_range(0..5)
            ),
            5 => quote_text(pick(
                &mut self.rng,
                &["missing.csv", "tests/fixtures/transactions_20k.parquet", ""],
            )),
            _ if depth < 2 => self.call(depth + 1),
            _ => self.tables[0].clone(),
        }
    }

    /// A call of a random table function with random arguments and options.
    fn call(&mut self, depth: usize) -> String {
        let (name, arguments) =
            self.functions[self.rng.random_range(0..self.functions.len())].clone();
        let mut parts = vec![];
        // a bounded demo table: the fuzzer is after wrong answers to odd input, not size
        let demo = name.starts_with("demo_");
        if demo {
            parts.push(format!("rows => {}", self.rng.random_range(0..400)));
        }
        let mut given = 0;
        for a in arguments.iter().filter(|a| a.positional && !demo) {
            if !a.required && self.rng.random_bool(0.5) {
                break;
            }
            if a.required && self.rng.random_bool(0.03) {
                break; // a required argument left out
            }
            parts.push(self.value(a.name, a.accepts, depth));
            given += 1;
        }
        // the options not given by position (now and then one that was: given twice)
        for (i, a) in arguments.iter().enumerate() {
            let twice = a.positional && i < given && self.rng.random_bool(0.02);
            if (demo && a.name == "rows") || (a.positional && i < given && !twice) {
                continue;
            }
            if twice || self.rng.random_bool(0.15) {
                let value = self.value(a.name, a.accepts, depth);
                parts.push(format!("{} => {value}", a.name));
            }
        }
        if self.rng.random_bool(0.05) {
            parts.push(format!(
                "{} => {}",
                pick(&mut self.rng, &["Seed", "colour", "k", "x y"]),
                any_value(&mut self.rng)
            ));
        }
        if self.rng.random_bool(0.05) && !parts.is_empty() {
            let i = self.rng.random_range(0..parts.len());
            parts.push(parts[i].clone()); // the same argument twice
        }
        format!("{name}({})", parts.join(", "))
    }

    /// A fit on the points or the customers' RFM saved under one of the model names, with one
    /// or two options, so that the functions that read models have some to read.
    fn save_a_model(&mut self) -> String {
        let input = pick(&mut self.rng, &["t1", "rfm(t0)", "(SELECT x, y FROM t1)"]).to_string();
        let model = pick(&mut self.rng, MODEL_NAMES);
        let k = self.rng.random_range(1..5);
        let fit = match self.rng.random_range(0..5) {
            0 => format!("kmeans_fit({input}, 'auto', ks => '1..4'"),
            1 => format!("pca({input}, components => {}", k.min(2)),
            2 => format!("hclust_fit({input}, {k}"),
            3 => format!("dbscan({input}, 0.5, 2"),
            _ => format!("kmeans_fit({input}, {k}"),
        };
        let (_, arguments) = self
            .functions
            .iter()
            .find(|(name, _)| fit.starts_with(&format!("{name}(")))
            .cloned()
            .unwrap();
        let options: Vec<Argument> = arguments.into_iter().filter(|a| !a.positional).collect();
        let mut call = fit;
        if !options.is_empty() && self.rng.random_bool(0.3) {
            let a = options[self.rng.random_range(0..options.len())];
            if a.name != "model" {
                let value = self.value(a.name, a.accepts, 2);
                call += &format!(", {} => {value}", a.name);
            }
        }
        format!("SELECT * FROM {call}, model => '{model}')")
    }

    /// A statement: a table function's rows or count, a fit saved as a model, or an expression
    /// function over a table.
    fn statement(&mut self) -> String {
        match self.rng.random_range(0..12) {
            0..=1 => self.save_a_model(),
            2..=5 => format!("SELECT * FROM {}", self.call(0)),
            6 => format!("SELECT count(*) FROM {}", self.call(0)),
            _ => {
                let name = pick(&mut self.rng, &self.expressions.clone()).to_string();
                let t = self.rng.random_range(0..self.tables.len());
                let (table, columns) = (self.tables[t].clone(), self.columns[t].clone());
                let n = self.rng.random_range(0..5);
                let mut args: Vec<String> = (0..n)
                    .map(|_| {
                        if self.rng.random_bool(0.6) {
                            quote_ident(&columns[self.rng.random_range(0..columns.len())])
                        } else {
                            any_value(&mut self.rng)
                        }
                    })
                    .collect();
                if name == "assign_segment" || name == "drop_model" || name == "rename_segments" {
                    args.insert(0, quote_text(pick(&mut self.rng, MODEL_NAMES)));
                }
                format!("SELECT {name}({}) FROM {table}", args.join(", "))
            }
        }
    }
}

/// A random table of 0 to 24 rows: 1 to 6 columns with names from a pool (so sometimes the
/// ones rfm() looks for, sometimes mis-cased or repeated) and values at the edges.
fn random_table(rng: &mut ChaCha8Rng) -> RecordBatch {
    let rows = *[0usize, 1, 2, 3, 7, 24].choose(rng).unwrap();
    let columns = rng.random_range(1..7);
    let mut fields = vec![];
    let mut arrays: Vec<ArrayRef> = vec![];
    for _ in 0..columns {
        let name = pick(rng, COLUMN_NAMES).to_string();
        let null = |rng: &mut ChaCha8Rng| rng.random_bool(0.1);
        let (kind, array): (DataType, ArrayRef) = match rng.random_range(0..6) {
            0 => (
                DataType::Int64,
                Arc::new(Int64Array::from_iter((0..rows).map(|_| {
                    (!null(rng)).then(|| {
                        *[0, 1, 2, 3, -5, 1000, i64::MAX, i64::MIN, 42]
                            .choose(rng)
                            .unwrap()
                    })
                }))),
            ),
            1 => (
                DataType::Float64,
                Arc::new(Float64Array::from_iter((0..rows).map(|_| {
                    (!null(rng)).then(|| {
                        *[
                            0.0,
                            -0.0,
                            1.5,
                            -2.0,
                            1e308,
                            -1e308,
                            5e-324,
                            f64::NAN,
                            f64::INFINITY,
                            3.0,
                            7.25,
                        ]
                        .choose(rng)
                        .unwrap()
                    })
                }))),
            ),
            2 => (
                DataType::Utf8,
                Arc::new(StringArray::from_iter((0..rows).map(|_| {
                    (!null(rng)).then(|| {
                        pick(
                            rng,
                            &[
                                "c1",
                                "c2",
                                "2011-01-01",
                                "01/02/2011 10:00",
                                "2011-01-01T10:00:00+05:30",
                                "",
                                "顧客",
                                "12.5",
                                "x",
                            ],
                        )
                        .to_string()
                    })
                }))),
            ),
            3 => (
                DataType::Timestamp(TimeUnit::Microsecond, None),
                Arc::new(TimestampMicrosecondArray::from_iter((0..rows).map(|_| {
                    (!null(rng)).then(|| {
                        *[
                            0,
                            1_293_840_000_000_000,
                            -2_208_988_800_000_000,
                            7_258_118_400_000_000,
                            i64::MAX,
                            i64::MIN,
                            -62_135_596_800_000_000,
                        ]
                        .choose(rng)
                        .unwrap()
                    })
                }))),
            ),
            4 => (
                DataType::Date32,
                Arc::new(Date32Array::from_iter((0..rows).map(|_| {
                    (!null(rng)).then(|| {
                        *[0, 14975, -25567, 2_932_896, i32::MAX, i32::MIN]
                            .choose(rng)
                            .unwrap()
                    })
                }))),
            ),
            _ => (
                DataType::Boolean,
                Arc::new(BooleanArray::from_iter(
                    (0..rows).map(|_| (!null(rng)).then(|| rng.random_bool(0.5))),
                )),
            ),
        };
        fields.push(Field::new(name, kind, true));
        arrays.push(array);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

/// Purchases as rfm() and cohorts() find them by name, mostly ordinary, sometimes at the edges.
fn transactions(rng: &mut ChaCha8Rng) -> RecordBatch {
    let rows = *[0usize, 1, 5, 40, 40].choose(rng).unwrap();
    let edge = rng.random_bool(0.3);
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::Utf8, true),
        Field::new(
            "invoice_date",
            DataType::Timestamp(TimeUnit::Microsecond, None),
            true,
        ),
        Field::new("amount", DataType::Float64, true),
    ]));
    let day = 86_400_000_000i64;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter((0..rows).map(|_| {
            (!(edge && rng.random_bool(0.1))).then(|| format!("c{}", rng.random_range(0..8)))
        }))),
        Arc::new(TimestampMicrosecondArray::from_iter((0..rows).map(|_| {
            if edge && rng.random_bool(0.2) {
                [
                    None,
                    Some(i64::MAX),
                    Some(i64::MIN),
                    Some(-62_135_596_800_000_000),
                ]
                .choose(rng)
                .copied()
                .flatten()
            } else {
                Some(1_293_840_000_000_000 + rng.random_range(0..400) * day)
            }
        }))),
        Arc::new(Float64Array::from_iter((0..rows).map(|_| {
            if edge && rng.random_bool(0.2) {
                [None, Some(f64::NAN), Some(-5.0), Some(0.0), Some(1e308)]
                    .choose(rng)
                    .copied()
                    .flatten()
            } else {
                Some(rng.random_range(1..50_000) as f64 / 100.0)
            }
        }))),
    ];
    RecordBatch::try_new(schema, columns).unwrap()
}

/// Three numeric features x, y, z in a few clusters, with repeated rows and, sometimes, an
/// edge value.
fn points(rng: &mut ChaCha8Rng) -> RecordBatch {
    let rows = *[0usize, 1, 2, 12, 60, 60].choose(rng).unwrap();
    let edge = rng.random_bool(0.3);
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("x", DataType::Float64, true),
        Field::new("y", DataType::Float64, true),
        Field::new("z", DataType::Float64, true),
    ]));
    let mut columns: Vec<ArrayRef> = vec![Arc::new(Int64Array::from_iter_values(0..rows as i64))];
    for _ in 0..3 {
        columns.push(Arc::new(Float64Array::from_iter((0..rows).map(|i| {
            if edge && rng.random_bool(0.05) {
                [None, Some(f64::NAN), Some(f64::INFINITY), Some(-1e308)]
                    .choose(rng)
                    .copied()
                    .flatten()
            } else {
                Some((i % 3) as f64 * 10.0 + rng.random_range(0..100) as f64 / 10.0)
            }
        }))));
    }
    RecordBatch::try_new(schema, columns).unwrap()
}

/// What a statement did: fine (a result, or an error for the user), or a failure to report.
pub(crate) fn judge(outcome: std::thread::Result<Result<(), DataFusionError>>) -> Option<String> {
    match outcome {
        Err(panic) => Some(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
        Ok(Ok(())) => None,
        Ok(Err(e)) => is_internal(&e).then(|| format!("internal error or panic: {e}")),
    }
}

/// An error that is segql's or DataFusion's fault, not the input's.
pub(crate) fn is_internal(e: &DataFusionError) -> bool {
    let message = e.to_string();
    matches!(e.find_root(), DataFusionError::Internal(_))
        || message.contains("a bug in segql")
        || message.to_lowercase().contains("panic")
}

/// What a run did.
#[derive(Debug, Default)]
struct Tally {
    statements: usize,
    results: usize,
    failures: Vec<String>,
}

/// Runs `cases` sessions from `seed` (`SEGQL_FUZZ_PRINT=1` prints each statement).
fn fuzz(seed: u64, cases: usize) -> Tally {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let print = std::env::var_os("SEGQL_FUZZ_PRINT").is_some();
    let mut tally = Tally::default();
    for case in 0..cases {
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(case as u64));
        let config = SessionConfig::new()
            .with_target_partitions(rng.random_range(1..4))
            .with_batch_size(rng.random_range(1..9));
        let ctx = SessionContext::new_with_config(config).enable_url_table();
        segql::register_with_store(&ctx, Arc::new(MemoryStore::new())).unwrap();
        let (mut tables, mut columns) = (vec![], vec![]);
        for t in 0..3 {
            let batch = match t {
                0 => transactions(&mut rng),
                1 => points(&mut rng),
                _ => random_table(&mut rng),
            };
            let name = format!("t{t}");
            columns.push(
                batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect(),
            );
            let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
            ctx.register_table(name.as_str(), Arc::new(table)).unwrap();
            tables.push(name);
        }
        let mut fuzzer = Fuzzer {
            rng,
            functions: table_function_arguments(),
            expressions: expression_function_names(),
            tables,
            columns,
        };
        for _ in 0..STATEMENTS_PER_CASE {
            let sql = fuzzer.statement();
            tally.statements += 1;
            if print {
                eprintln!("{sql}");
            }
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                runtime.block_on(async {
                    let df = ctx.sql(&sql).await?;
                    df.collect().await.map(|_| ())
                })
            }));
            if print {
                match &outcome {
                    Ok(Ok(())) => eprintln!("  -> ok"),
                    Ok(Err(e)) => eprintln!("  -> {}", e.to_string().lines().next().unwrap_or("")),
                    Err(_) => eprintln!("  -> panic"),
                }
            }
            tally.results += matches!(outcome, Ok(Ok(()))) as usize;
            if let Some(failure) = judge(outcome) {
                tally
                    .failures
                    .push(format!("seed {seed} case {case}: {sql}\n  {failure}"));
            }
        }
    }
    tally
}

#[test]
fn random_calls_end_in_a_result_or_a_user_error() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seed = env("SEGQL_FUZZ_SEED", 28);
    let cases = env("SEGQL_FUZZ_CASES", 60) as usize;
    let tally = fuzz(seed, cases);
    eprintln!(
        "sql_fuzz: seed {seed}, {cases} sessions, {} statements: {} results, {} user errors, {} failures",
        tally.statements,
        tally.results,
        tally.statements - tally.results - tally.failures.len(),
        tally.failures.len()
    );
    assert!(tally.failures.is_empty(), "{}", tally.failures.join("\n"));
}
