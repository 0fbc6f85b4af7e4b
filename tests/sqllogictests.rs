//! Runs every `tests/**/*.slt` file against a session with segql registered.
//!
//! Each file runs twice, with 1 and with 4 target partitions, in a fresh session holding:
//! - `sales`: 20 000 demo transactions (`demo_transactions(rows => 20000)`);
//! - URL tables enabled, so files under `tests/data/` can be queried by quoted path.
//!
//! Set `SEGQL_SLT=<substring>` to run only the files whose path contains it.
//! Floats print with at most 6 decimals (trailing zeros trimmed); NULL prints as `NULL` and
//! the empty string as `(empty)`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};

/// Rows of the `sales` table every test file sees.
const SALES_ROWS: usize = 20_000;

struct Session {
    ctx: SessionContext,
}

impl Session {
    fn new(partitions: usize) -> Result<Self, DataFusionError> {
        let config = SessionConfig::new()
            .with_target_partitions(partitions)
            .with_information_schema(true);
        let ctx = SessionContext::new_with_config(config).enable_url_table();
        segql::register_all(&ctx)?;
        segql::demo::register_demo_table(&ctx, "sales", SALES_ROWS)?;
        Ok(Self { ctx })
    }
}

#[async_trait]
impl AsyncDB for Session {
    type Error = DataFusionError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let df = self.ctx.sql(sql).await?;
        let fields = df.schema().fields().clone();
        let batches = df.collect().await?;
        if fields.is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = fields.iter().map(|f| column_type(f.data_type())).collect();
        let mut rows = Vec::new();
        for batch in &batches {
            rows.extend(format_batch(batch)?);
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "segql"
    }
}

fn column_type(dt: &DataType) -> DefaultColumnType {
    if dt.is_integer() {
        DefaultColumnType::Integer
    } else if dt.is_floating() || matches!(dt, DataType::Decimal128(..) | DataType::Decimal256(..))
    {
        DefaultColumnType::FloatingPoint
    } else if matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) {
        DefaultColumnType::Text
    } else {
        DefaultColumnType::Any
    }
}

fn format_batch(batch: &RecordBatch) -> Result<Vec<Vec<String>>, DataFusionError> {
    let options = FormatOptions::default().with_null("NULL");
    let columns: Vec<Box<dyn Fn(usize) -> String>> = batch
        .columns()
        .iter()
        .map(|array| column_formatter(array, &options))
        .collect::<Result<_, _>>()?;
    Ok((0..batch.num_rows())
        .map(|row| columns.iter().map(|f| f(row)).collect())
        .collect())
}

fn column_formatter(
    array: &ArrayRef,
    options: &FormatOptions<'static>,
) -> Result<Box<dyn Fn(usize) -> String>, DataFusionError> {
    let array = Arc::clone(array);
    match array.data_type() {
        DataType::Float64 | DataType::Float32 => Ok(Box::new(move |row| {
            if array.is_null(row) {
                return "NULL".to_string();
            }
            let v = match array.data_type() {
                DataType::Float64 => array.as_primitive::<Float64Type>().value(row),
                _ => f64::from(array.as_primitive::<Float32Type>().value(row)),
            };
            format_float(v)
        })),
        _ => {
            let formatter = ArrayFormatter::try_new(array.as_ref(), options)?;
            let rendered: Vec<String> = (0..array.len())
                .map(|row| {
                    let s = formatter.value(row).to_string();
                    if s.is_empty() {
                        "(empty)".to_string()
                    } else {
                        s
                    }
                })
                .collect();
            Ok(Box::new(move |row| rendered[row].clone()))
        }
    }
}

fn format_float(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn slt_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            slt_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "slt") {
            out.push(path);
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let filter = std::env::var("SEGQL_SLT").unwrap_or_default();
    let mut files = Vec::new();
    slt_files(Path::new("tests"), &mut files);
    files.sort();
    files.retain(|f| f.to_string_lossy().contains(&filter));
    assert!(
        !files.is_empty(),
        "no .slt files under tests/ match '{filter}'"
    );

    let mut failures = Vec::new();
    for file in &files {
        for partitions in [1, 4] {
            let started = std::time::Instant::now();
            let mut runner = Runner::new(move || async move { Session::new(partitions) });
            let result = runner.run_file_async(file).await;
            let status = if result.is_ok() { "ok" } else { "FAILED" };
            println!(
                "{} (target_partitions = {partitions}) ... {status} ({:.1}s)",
                file.display(),
                started.elapsed().as_secs_f64()
            );
            if let Err(e) = result {
                failures.push(format!(
                    "{} (target_partitions = {partitions}):\n{}",
                    file.display(),
                    e.display(true)
                ));
            }
        }
    }
    if !failures.is_empty() {
        eprintln!(
            "\n{} failure(s):\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
        std::process::exit(1);
    }
    println!("{} file(s) passed", files.len());
}
