//! Mutation fuzzing of the two parsers that take arbitrary bytes from users: the model-file
//! loader (`directory_store::decode`, what every model read goes through) and the SQL
//! arguments and option texts of every function (planned and run). Inputs are made from the
//! committed corpus in tests/fuzz_corpus/ (a real model of each kind, one statement per
//! function with its options) by stacked random mutations: bit flips, byte insertions and
//! deletions, repeated and spliced ranges, truncation, and numbers or words swapped for edge
//! values. Every input must give a model or an error, a result or a user's error: never a
//! panic, never an internal error.
//!
//! cargo-fuzz was not used: it needs segql and DataFusion rebuilt on nightly with sanitizer
//! instrumentation (about 45 minutes on two cores, a second DataFusion build in CI); this
//! harness reuses the test build. `cargo test` runs a bounded number of iterations;
//! `scripts/fuzz.sh` runs as many as asked:
//!
//! ```text
//! SEGQL_FUZZ_ITERATIONS=1000000 cargo test --test integration mutation_fuzz -- --nocapture
//! ```

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use segql::model::MemoryStore;
use segql::model::ModelStore;
use segql::model::directory_store::decode;

use super::sql_fuzz::{is_internal, judge};

const CORPUS: &str = "tests/fuzz_corpus";

fn iterations(default: usize) -> usize {
    std::env::var("SEGQL_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn corpus(kind: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(Path::new(CORPUS).join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let inputs: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(inputs.len() >= 5, "the {kind} corpus is missing");
    inputs
}

/// Edge values a number or word may be swapped for.
const EDGES: &[&str] = &[
    "0",
    "-1",
    "1e999",
    "-1e999",
    "NaN",
    "null",
    "9223372036854775807",
    "18446744073709551616",
    "-0",
    "1e-400",
    "\"\"",
    "[]",
    "{}",
    "\"x\"",
    "true",
    "'",
    "''",
    "\\u0000",
    "é",
    "2..1",
    ":",
    ",",
];

/// `input` changed by one to four stacked mutations; `others` give splices.
fn mutate(rng: &mut ChaCha8Rng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..5) {
        let len = out.len();
        let at = |rng: &mut ChaCha8Rng| rng.random_range(0..=len);
        match rng.random_range(0..8) {
            0 if len > 0 => {
                let i = rng.random_range(0..len);
                out[i] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let i = at(rng);
                out.insert(i, rng.random());
            }
            2 if len > 0 => {
                let i = rng.random_range(0..len);
                let n = rng.random_range(1..=(len - i).min(64));
                out.drain(i..i + n);
            }
            3 if len > 0 => {
                let i = rng.random_range(0..len);
                let n = rng.random_range(1..=(len - i).min(256));
                let copy = out[i..i + n].to_vec();
                let j = at(rng);
                out.splice(j..j, copy);
            }
            4 => {
                let other = &others[rng.random_range(0..others.len())];
                if !other.is_empty() {
                    let i = rng.random_range(0..other.len());
                    let n = rng.random_range(1..=(other.len() - i).min(512));
                    let j = at(rng);
                    out.splice(j..j, other[i..i + n].iter().copied());
                }
            }
            5 => out.truncate(at(rng)),
            _ => swap_token(rng, &mut out),
        }
    }
    out
}

/// `sql` with the text of one of its quoted literals mutated and quoted again, so the
/// statement still parses and the mutation reaches the function's own option parsing.
fn mutate_a_literal(rng: &mut ChaCha8Rng, sql: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let text = String::from_utf8_lossy(sql);
    let quotes: Vec<usize> = text.match_indices('\'').map(|(i, _)| i).collect();
    if quotes.len() < 2 {
        return mutate(rng, sql, others);
    }
    let pair = rng.random_range(0..quotes.len() / 2);
    let (open, close) = (quotes[2 * pair], quotes[2 * pair + 1]);
    let inner = mutate(rng, &sql[open + 1..close], others);
    let inner = String::from_utf8_lossy(&inner).replace('\'', "''");
    let mut out = sql[..=open].to_vec();
    out.extend_from_slice(inner.as_bytes());
    out.extend_from_slice(&sql[close..]);
    out
}

/// A number, or a word between quotes, swapped for an edge value.
fn swap_token(rng: &mut ChaCha8Rng, out: &mut Vec<u8>) {
    if out.is_empty() {
        return;
    }
    let start = rng.random_range(0..out.len());
    let Some(offset) = out[start..]
        .iter()
        .position(|b| b.is_ascii_digit() || b.is_ascii_alphabetic())
    else {
        return;
    };
    let i = start + offset;
    let end = out[i..]
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+')))
        .map_or(out.len(), |n| i + n);
    let edge = EDGES[rng.random_range(0..EDGES.len())].as_bytes().to_vec();
    out.splice(i..end, edge);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A session with the corpus' tables and a model of each kind.
fn session(runtime: &tokio::runtime::Runtime, store: Arc<dyn ModelStore>) -> SessionContext {
    let ctx = SessionContext::new();
    segql::register_with_store(&ctx, store).unwrap();
    runtime.block_on(async {
        for sql in [
            "CREATE TABLE pts (id INT, x DOUBLE, y DOUBLE) AS VALUES (1, 0, 0), (2, 0, 1), \
             (3, 1, 0), (4, 10, 10), (5, 10, 11), (6, 11, 10), (7, 20, 0), (8, 21, 0), (9, 20, 1)",
            "CREATE TABLE sales (customer_id VARCHAR, invoice_date VARCHAR, invoice INT, \
             quantity INT, price DOUBLE, amount DOUBLE) AS VALUES \
             ('c1', '01/12/2011 08:26', 1, 2, 3.5, 7.0), ('c1', '03/12/2011 09:00', 2, 1, 10.0, 10.0), \
             ('c2', '05/11/2011 10:30', 3, 4, 1.25, 5.0), ('c3', '09/12/2011 12:00', 4, -1, 2.0, -2.0)",
            "SELECT * FROM kmeans_fit(pts, 3, features => 'x, y', model => 'm')",
            "SELECT * FROM pca(pts, features => 'x, y', model => 'p')",
            "SELECT * FROM hclust_fit(pts, 3, features => 'x, y', model => 'h')",
            "SELECT * FROM dbscan(pts, 0.8, 2, features => 'x, y', model => 'd')",
        ] {
            ctx.sql(sql).await?.collect().await?;
        }
        Ok::<_, DataFusionError>(())
    })
    .unwrap();
    ctx
}

#[test]
fn mutated_model_files_load_or_say_what_is_wrong() {
    let seeds = corpus("models");
    let runtime = runtime();
    let store = Arc::new(MemoryStore::new());
    let ctx = session(&runtime, store.clone());
    for (i, seed) in seeds.iter().enumerate() {
        decode("seed", Path::new("seed"), seed).unwrap_or_else(|e| panic!("seed {i}: {e}"));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0x5e91);
    let (runs, mut loaded, mut failures) = (iterations(20_000), 0, vec![]);
    for i in 0..runs {
        let bytes = mutate(&mut rng, &seeds[i % seeds.len()], &seeds);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let Ok(mut model) = decode("fuzzed", Path::new("fuzzed.segql-model"), &bytes) else {
                return Ok(false);
            };
            // a model that loads must be usable: scored, re-encoded, and read by SQL
            if model.kind.has_segments() {
                let width = model.features.len();
                model.scorer().assign(&vec![1.0; width]);
            }
            serde_json::to_vec(&model).unwrap();
            model.name = "fuzzed".into();
            store.save(&model).unwrap();
            runtime.block_on(async {
                for sql in [
                    "SELECT * FROM model_features('fuzzed')",
                    "SELECT * FROM model_segments('fuzzed')",
                    "SELECT * FROM assign_segment('fuzzed', pts)",
                    "SELECT * FROM pca_project('fuzzed', pts)",
                    "SELECT * FROM segql_models()",
                ] {
                    // user errors are fine here: the model may not be of the kind asked for
                    let ran = match ctx.sql(sql).await {
                        Ok(df) => df.collect().await.map(|_| ()),
                        Err(e) => Err(e),
                    };
                    if let Err(e) = ran
                        && is_internal(&e)
                    {
                        return Err(e);
                    }
                }
                Ok(true)
            })
        }));
        let outcome = match outcome {
            Ok(Ok(ok)) => {
                loaded += ok as usize;
                Ok(Ok(()))
            }
            Ok(Err(e)) => Ok(Err(e)),
            Err(panic) => Err(panic),
        };
        if let Some(failure) = judge(outcome) {
            failures.push(format!(
                "iteration {i}: {failure}\n  input: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
    }
    eprintln!(
        "mutation_fuzz models: {runs} inputs, {loaded} loaded, {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mutated_statements_end_in_a_result_or_a_user_error() {
    let seeds = corpus("statements");
    let runtime = runtime();
    let ctx = session(&runtime, Arc::new(MemoryStore::new()));
    let mut rng = ChaCha8Rng::seed_from_u64(0x0b7e);
    let (runs, mut results, mut failures) = (iterations(3_000), 0, vec![]);
    for i in 0..runs {
        let seed = &seeds[i % seeds.len()];
        let bytes = if rng.random_bool(0.7) {
            mutate_a_literal(&mut rng, seed, &seeds)
        } else {
            mutate(&mut rng, seed, &seeds)
        };
        let sql = String::from_utf8_lossy(&bytes).into_owned();
        if std::env::var_os("SEGQL_FUZZ_PRINT").is_some() {
            eprintln!("{sql}");
        }
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async { ctx.sql(&sql).await?.collect().await.map(|_| ()) })
        }));
        results += matches!(outcome, Ok(Ok(()))) as usize;
        if let Some(failure) = judge(outcome) {
            failures.push(format!("iteration {i}: {sql}\n  {failure}"));
        }
    }
    eprintln!(
        "mutation_fuzz statements: {runs} statements, {results} results, {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
