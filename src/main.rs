//! The `segql` command: run segmentation SQL over CSV/Parquet/JSON files or the built-in demo
//! data, and generate demo transaction files.
//!
//! ```text
//! segql --demo                                  # the RFM segment summary of demo transactions
//! segql sales.parquet -c 'SELECT * FROM rfm(sales) LIMIT 10'
//! segql --demo -f sql/rfm_top_customers.sql
//! segql generate --rows 10000000 --out tx.parquet
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::common::{DataFusionError, Result};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::prelude::{
    CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionConfig, SessionContext,
};
use segql::demo::{DEMO_ROWS, DemoConfig};

/// The main job of `segql --demo`.
const DEMO_SCRIPT: &str = include_str!("../sql/segmentation.sql");

#[derive(Debug, Parser)]
#[command(
    name = "segql",
    version,
    about = "Customer segmentation (RFM) in plain SQL over CSV/Parquet/JSON files",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Files or directories to register as tables, named after the file stem
    /// (sales.parquet -> sales).
    files: Vec<PathBuf>,
    /// Load the built-in demo transactions as table `sales`; alone, print their RFM segment
    /// summary.
    #[arg(long)]
    demo: bool,
    /// Rows of demo transactions to generate with --demo.
    #[arg(long, default_value_t = DEMO_ROWS)]
    demo_rows: usize,
    /// Run these SQL statements and exit (repeatable).
    #[arg(short = 'c', long = "command")]
    commands: Vec<String>,
    /// Run the SQL statements of this file and exit (repeatable).
    #[arg(short = 'f', long = "file")]
    scripts: Vec<PathBuf>,
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Write generated online-retail transactions to a Parquet or CSV file.
    Generate {
        /// Number of transaction lines.
        #[arg(long)]
        rows: usize,
        /// Output file; `.csv` writes CSV, anything else Parquet.
        #[arg(long)]
        out: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of distinct customers (default: rows / 25).
        #[arg(long)]
        customers: Option<usize>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {}", error_message(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error as one readable message, without DataFusion's nesting of contexts.
fn error_message(e: &DataFusionError) -> String {
    e.find_root().to_string()
}

async fn run(cli: Cli) -> Result<()> {
    if let Some(Action::Generate {
        rows,
        out,
        seed,
        customers,
    }) = cli.action
    {
        let config = DemoConfig {
            rows,
            seed,
            customers: customers.unwrap_or((rows / 25).max(1)),
            ..DemoConfig::new(rows)
        };
        return generate(&config, &out).await;
    }

    let ctx = SessionContext::new_with_config(SessionConfig::new().with_information_schema(true))
        .enable_url_table();
    segql::register_all(&ctx)?;
    for file in &cli.files {
        register_file(&ctx, file).await?;
    }
    if cli.demo {
        segql::demo::register_demo_table(&ctx, "sales", cli.demo_rows)?;
    }

    let mut scripts: Vec<(String, String)> = cli
        .commands
        .iter()
        .map(|c| ("-c".to_string(), c.clone()))
        .collect();
    for path in &cli.scripts {
        let text = std::fs::read_to_string(path).map_err(|e| {
            DataFusionError::Execution(format!("cannot read script {}: {e}", path.display()))
        })?;
        scripts.push((path.display().to_string(), text));
    }
    if scripts.is_empty() {
        if cli.demo {
            println!(
                "Segmentation of {} demo transactions (table `sales`)\n",
                cli.demo_rows
            );
            scripts.push(("--demo".to_string(), DEMO_SCRIPT.to_string()));
        } else {
            let text = std::io::read_to_string(std::io::stdin())?;
            scripts.push(("stdin".to_string(), text));
        }
    }
    for (_, script) in &scripts {
        for (heading, section) in sections(script) {
            if let Some(heading) = heading {
                println!("{heading}");
            }
            for result in segql::script::run_script(&ctx, &section).await? {
                if !result.batches.is_empty() && result.batches[0].num_columns() > 0 {
                    println!("{}\n", pretty_format_batches(&result.batches)?);
                }
            }
        }
    }
    Ok(())
}

/// Split a script at its `-- ## heading` lines: each heading with the SQL that follows it.
fn sections(script: &str) -> Vec<(Option<String>, String)> {
    let mut out: Vec<(Option<String>, String)> = vec![(None, String::new())];
    for line in script.lines() {
        if let Some(heading) = line.trim_start().strip_prefix("-- ##") {
            out.push((Some(heading.trim().to_string()), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out.retain(|(heading, text)| heading.is_some() || !text.trim().is_empty());
    out
}

/// Register a CSV, Parquet or (ND)JSON file, or a directory of them, as a table named after
/// its stem.
async fn register_file(ctx: &SessionContext, path: &Path) -> Result<()> {
    let missing =
        || DataFusionError::Plan(format!("no such file or directory: {}", path.display()));
    let meta = std::fs::metadata(path).map_err(|_| missing())?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(missing)?
        .to_string();
    let extension = if meta.is_dir() {
        dominant_extension(path)?
    } else {
        path.extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let location = path.to_string_lossy();
    match extension.as_str() {
        "parquet" => {
            ctx.register_parquet(&name, &location, ParquetReadOptions::default())
                .await
        }
        "csv" => {
            ctx.register_csv(&name, &location, CsvReadOptions::new())
                .await
        }
        "json" | "ndjson" => {
            let options = JsonReadOptions::default().file_extension(&extension);
            ctx.register_json(&name, &location, options).await
        }
        other => Err(DataFusionError::Plan(format!(
            "cannot register {}: unknown format '{other}' (expected .csv, .parquet, .json or .ndjson)",
            path.display()
        ))),
    }
}

/// The extension shared by the files of a directory.
fn dominant_extension(dir: &Path) -> Result<String> {
    let mut found: Option<String> = None;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            let ext = ext.to_ascii_lowercase();
            if ["parquet", "csv", "json", "ndjson"].contains(&ext.as_str()) {
                match &found {
                    Some(f) if f != &ext => {
                        return Err(DataFusionError::Plan(format!(
                            "directory {} mixes .{f} and .{ext} files",
                            dir.display()
                        )));
                    }
                    _ => found = Some(ext),
                }
            }
        }
    }
    found.ok_or_else(|| {
        DataFusionError::Plan(format!(
            "directory {} holds no .csv, .parquet or .json files",
            dir.display()
        ))
    })
}

/// Write demo transactions to `out` (CSV for a `.csv` name, else Parquet).
async fn generate(config: &DemoConfig, out: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    let batches = segql::demo::transactions(config, 1, 1 << 16)?;
    let ctx = SessionContext::new();
    let table = MemTable::try_new(segql::demo::schema(), batches)?;
    let df = ctx.read_table(Arc::new(table))?;
    let options = DataFrameWriteOptions::new().with_single_file_output(true);
    let location = out.to_string_lossy();
    let is_csv = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        df.write_csv(&location, options, None).await?;
    } else {
        df.write_parquet(&location, options, None).await?;
    }
    eprintln!(
        "{}: {} rows, {} customers, seed {} ({:.1}s)",
        out.display(),
        config.rows,
        config.customers,
        config.seed,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
