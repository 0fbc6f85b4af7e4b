//! The `segql` command: an SQL shell for customer segmentation over CSV/Parquet/JSON files or
//! the built-in demo data, a Postgres-protocol server for BI tools, and the generator of demo
//! transaction files.
//!
//! ```text
//! segql demo                                   # the whole segmentation of demo transactions
//! segql sales.parquet                          # a prompt with table `sales`
//! segql --demo -f sql/01_rfm.sql               # a script over the demo data
//! segql sales.parquet -c 'SELECT * FROM rfm(sales) LIMIT 10' --format csv
//! segql generate --rows 10000000 --out tx.parquet
//! segql report --demo -o report.html             # the segmentation as one HTML page
//! segql serve --data demo/ --users users.txt     # Postgres wire protocol for BI tools
//! ```

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use datafusion::common::{DataFusionError, Result};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use datafusion_cli::print_format::PrintFormat;
use datafusion_cli::print_options::MaxRows;
use segql::demo::{DEMO_ROWS, DemoConfig};
use segql::shell::repl::run_repl;
use segql::shell::{Outcome, SessionOptions, ShellSession, describe_error, run_script};

/// The main job of `segql demo`.
const DEMO_SCRIPT: &str = include_str!("../sql/segmentation.sql");

/// mimalloc, as datafusion-cli: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "segql",
    version,
    about = "Customer segmentation (RFM, K-Means) in plain SQL over CSV/Parquet/JSON files",
    long_about = "Customer segmentation (RFM, K-Means) in plain SQL over CSV/Parquet/JSON files.\n\n\
                  With no -c or -f, opens a prompt (or, when standard input is not a terminal, \
                  runs the statements it reads from it).",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Files or directories to register as tables, named after the file stem
    /// (sales.parquet -> sales).
    files: Vec<PathBuf>,
    /// Load the built-in demo transactions as table `sales`.
    #[arg(long)]
    demo: bool,
    /// Rows of demo transactions to generate with --demo.
    #[arg(long, default_value_t = DEMO_ROWS)]
    demo_rows: usize,
    /// Run these SQL statements and exit (repeatable; stops at the first failing one).
    #[arg(short = 'c', long = "command")]
    commands: Vec<String>,
    /// Run the SQL statements of this file and exit (repeatable; stops at the first failing one).
    #[arg(short = 'f', long = "file")]
    scripts: Vec<PathBuf>,
    /// Output format: table, csv, tsv, json, ndjson or automatic.
    #[arg(long, default_value = "table", value_parser = parse_format)]
    format: PrintFormat,
    /// Rows shown per result in table format ('inf' for all).
    #[arg(long, default_value = "40", value_parser = parse_maxrows)]
    maxrows: MaxRows,
    /// The model store directory (created on the first saved model).
    #[arg(long, default_value = "segql_models")]
    models: PathBuf,
    /// Do not print the row count and timing after each result.
    #[arg(short, long)]
    quiet: bool,
    /// Run queries over data on the Ballista cluster whose scheduler is at this address
    /// (df://host:port); the model store directory must be one every executor sees.
    #[arg(long, value_name = "df://HOST:PORT")]
    cluster: Option<String>,
    #[command(subcommand)]
    action: Option<Action>,
}

fn parse_format(text: &str) -> std::result::Result<PrintFormat, String> {
    let normalised = match text.to_ascii_lowercase().as_str() {
        "ndjson" => "nd-json".to_string(),
        other => other.to_string(),
    };
    normalised.parse::<PrintFormat>().map_err(|_| {
        format!("unknown format '{text}' (expected table, csv, tsv, json, ndjson or automatic)")
    })
}

fn parse_maxrows(text: &str) -> std::result::Result<MaxRows, String> {
    text.parse()
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Run the whole segmentation (RFM, K-Means, profiles, scoring) on built-in demo data.
    Demo {
        /// Rows of demo transactions.
        #[arg(long, default_value_t = DEMO_ROWS)]
        rows: usize,
        /// The model store directory.
        #[arg(long, default_value = "segql_models")]
        models: PathBuf,
    },
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
        /// Generate in this many parts, one at a time, into the directory OUT
        /// (`part-000.parquet`, ...): each part is held in memory while it is written (100M
        /// rows take about 21 GB), so more than 100,000,000 rows need parts, and smaller
        /// machines smaller parts. Both segql and DuckDB read the directory as one table.
        #[arg(long, default_value_t = 1)]
        parts: usize,
    },
    /// Print the SQL function reference (Markdown, as in README.md).
    Reference,
    /// Write the segmentation as one self-contained HTML page: the data, each feature before
    /// and after its transform, choosing k, the segments, their profiles and a map of the
    /// customers, and the model's settings.
    Report(Box<ReportArgs>),
    /// Serve the tables and segql's functions over the Postgres wire protocol (psql, psycopg,
    /// SQLAlchemy, Superset, Metabase...).
    #[cfg(feature = "server")]
    Serve(Box<ServeArgs>),
    /// Start a cluster scheduler (Apache Ballista) that runs segql's queries on executors.
    #[cfg(feature = "ballista")]
    Scheduler(SchedulerArgs),
    /// Start a cluster executor (Apache Ballista) that works for a scheduler.
    #[cfg(feature = "ballista")]
    Executor(Box<ExecutorArgs>),
}

/// `segql scheduler` options.
#[cfg(feature = "ballista")]
#[derive(Debug, clap::Args)]
struct SchedulerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind_host: String,
    /// The name executors and clients reach this scheduler by (default: --bind-host).
    #[arg(long)]
    external_host: Option<String>,
    /// Port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = 50050)]
    port: u16,
    /// The model store directory, the same one the executors and clients use.
    #[arg(long, default_value = "segql_models")]
    models: PathBuf,
}

/// `segql executor` options.
#[cfg(feature = "ballista")]
#[derive(Debug, clap::Args)]
struct ExecutorArgs {
    /// The scheduler's address.
    #[arg(long, default_value = "127.0.0.1:50050", value_name = "HOST:PORT")]
    scheduler: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind_host: String,
    /// The name the scheduler and other executors reach this executor by (default:
    /// --bind-host).
    #[arg(long)]
    external_host: Option<String>,
    /// Port other executors and clients fetch results from (Arrow Flight).
    #[arg(long, default_value_t = 50051)]
    port: u16,
    /// Port the scheduler sends tasks to (gRPC).
    #[arg(long, default_value_t = 50052)]
    grpc_port: u16,
    /// Tasks to run at once (0: one per core).
    #[arg(long, default_value_t = 0)]
    concurrent_tasks: usize,
    /// Directory for shuffle files (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// The model store directory, the same one the scheduler and clients use.
    #[arg(long, default_value = "segql_models")]
    models: PathBuf,
}

/// `segql report` options.
#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Files or directories to register as tables, named after the file stem.
    files: Vec<PathBuf>,
    /// Load the built-in demo transactions as table `sales` (then --input defaults to
    /// rfm(sales)).
    #[arg(long)]
    demo: bool,
    /// Rows of demo transactions to generate with --demo.
    #[arg(long, default_value_t = DEMO_ROWS)]
    demo_rows: usize,
    /// The rows to segment, one per customer: a table, rfm(table), (SELECT ...), a quoted
    /// path (default: rfm(sales) with --demo, rfm(<stem>) for one file).
    #[arg(long, value_name = "SQL")]
    input: Option<String>,
    /// Score the input with this saved model instead of fitting one.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["k", "save"])]
    model: Option<String>,
    /// Segments to fit: a number, or 'auto' to pick k by kmeans_search.
    #[arg(short, long, default_value = "auto", value_name = "N|auto")]
    k: String,
    /// The candidate ks searched (default 2..10): for 'auto', and charted around a given k.
    #[arg(long, value_name = "RANGE")]
    ks: Option<String>,
    /// The seed of the fit, the search and the scatter's sample.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// More kmeans_fit options, as SQL: "transform => 'none', n_init => 5".
    #[arg(long, value_name = "SQL")]
    options: Option<String>,
    /// Keep the fitted model in the store under this name.
    #[arg(long, value_name = "NAME")]
    save: Option<String>,
    /// The model store directory.
    #[arg(long, default_value = "segql_models")]
    models: PathBuf,
    /// The HTML file to write.
    #[arg(short, long, default_value = "report.html")]
    output: PathBuf,
}

impl ReportArgs {
    /// The input relation: --input, else rfm(sales) with --demo or rfm(<stem>) for one file.
    fn input(&self) -> Result<String> {
        if let Some(input) = &self.input {
            return Ok(input.clone());
        }
        if self.demo {
            return Ok("rfm(sales)".into());
        }
        match self.files.as_slice() {
            [file] => {
                let stem = segql::shell::files::table_name(file)?;
                Ok(format!("rfm({stem})"))
            }
            _ => Err(DataFusionError::Plan(
                "segql report: say which rows to segment with --input, e.g. --input 'rfm(sales)' \
                 (or give --demo, or one file)"
                    .into(),
            )),
        }
    }

    fn request(&self) -> Result<segql::report::ReportRequest> {
        let input = self.input()?;
        let mut request = match &self.model {
            Some(name) => segql::report::ReportRequest::saved(&input, name),
            None => segql::report::ReportRequest::fit(&input, &self.k),
        };
        request.ks = self.ks.clone();
        request.seed = self.seed;
        request.options = self.options.clone().unwrap_or_default();
        request.save_as = self.save.clone();
        Ok(request)
    }
}

/// Write the report `args` ask for.
async fn report(args: &ReportArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let request = args.request()?;
    segql::report::check_output(&args.output)?;
    let options = SessionOptions {
        files: args.files.clone(),
        demo_rows: args.demo.then_some(args.demo_rows),
        models: args.models.clone(),
        progress: std::io::stderr().is_terminal(),
        ..SessionOptions::new()
    };
    let session = ShellSession::new(&options).await?;
    let html = segql::report::report_html(&session.ctx, &session.store, &request).await?;
    segql::report::write_report(&args.output, &html)?;
    eprintln!(
        "wrote {} ({} KiB) in {:.1} s",
        args.output.display(),
        html.len().div_ceil(1024),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `segql serve` options.
#[cfg(feature = "server")]
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Files or directories to serve as tables, named after the file stem.
    files: Vec<PathBuf>,
    /// Address to listen on; any non-loopback address needs users (--users or SEGQL_USER).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = 5432)]
    port: u16,
    /// Serve every CSV/Parquet/JSON file directly under DIR as a table; quoted file paths in
    /// queries may name files under DIR and nothing else.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Also serve the built-in demo transactions as table `sales`.
    #[arg(long)]
    demo: bool,
    /// The model store directory.
    #[arg(long, default_value = "segql_models")]
    models: PathBuf,
    /// Users allowed in, one `user:password` per line (SCRAM-SHA-256). Without it,
    /// SEGQL_USER and SEGQL_PASSWORD name one user; with neither, clients log in without a
    /// password, which is only allowed on loopback.
    #[arg(long, value_name = "FILE")]
    users: Option<PathBuf>,
    /// PEM certificate (chain) for TLS; the server will not start if it cannot use it.
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Refuse clients that do not use TLS.
    #[arg(long)]
    require_tls: bool,
    /// Refuse model writes too (kmeans_fit(..., model => ...) and drop_model).
    #[arg(long)]
    read_only: bool,
    /// Memory one query may use before spilling to disk or failing (e.g. 512MiB, 2GiB).
    #[arg(long, default_value = "2GiB", value_parser = segql::server::parse_size)]
    memory_limit: usize,
    /// Longest a statement may run (e.g. 30s, 5min; 0 for no limit). Clients may lower it
    /// with SET statement_timeout.
    #[arg(long, default_value = "5min", value_parser = segql::server::parse_timeout)]
    statement_timeout: std::time::Duration,
    /// Most clients connected at once.
    #[arg(long, default_value_t = 64)]
    max_connections: usize,
    /// Longest a client may take to connect and log in (e.g. 10s); slower ones are
    /// disconnected so they cannot hold connection slots.
    #[arg(long, default_value = "10s", value_parser = segql::server::parse_timeout)]
    startup_timeout: std::time::Duration,
    /// Longest statement text accepted (e.g. 1MiB).
    #[arg(long, default_value = "1MiB", value_parser = segql::server::parse_size)]
    max_query_bytes: usize,
    /// Run queries over data on the Ballista cluster whose scheduler is at this address
    /// (df://host:port); catalog queries are answered here.
    #[arg(long, value_name = "df://HOST:PORT")]
    cluster: Option<String>,
}

#[cfg(feature = "server")]
impl ServeArgs {
    fn options(self) -> segql::server::ServeOptions {
        segql::server::ServeOptions {
            host: self.host,
            port: self.port,
            files: self.files,
            data: self.data,
            demo_rows: self.demo.then_some(DEMO_ROWS),
            models: self.models,
            users_file: self.users,
            tls_cert: self.tls_cert,
            tls_key: self.tls_key,
            require_tls: self.require_tls,
            read_only: self.read_only,
            memory_limit: self.memory_limit,
            statement_timeout: Some(self.statement_timeout).filter(|t| !t.is_zero()),
            max_connections: self.max_connections.max(1),
            startup_timeout: self
                .startup_timeout
                .max(std::time::Duration::from_millis(100)),
            max_query_bytes: self.max_query_bytes,
            cluster: self.cluster,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(Outcome::Completed) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{}", describe_error(&e, &SessionContext::new()));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<Outcome> {
    match cli.action {
        Some(Action::Generate {
            rows,
            out,
            seed,
            customers,
            parts,
        }) => {
            let config = DemoConfig {
                rows,
                seed,
                customers: customers.unwrap_or((rows / 25).max(1)),
                ..DemoConfig::new(rows)
            };
            generate_parts(&config, parts, &out).await?;
            return Ok(Outcome::Completed);
        }
        Some(Action::Report(args)) => {
            report(&args).await?;
            return Ok(Outcome::Completed);
        }
        Some(Action::Reference) => {
            print!("{}", segql::reference::markdown());
            return Ok(Outcome::Completed);
        }
        #[cfg(feature = "server")]
        Some(Action::Serve(args)) => {
            return match segql::server::serve(&args.options()).await {
                Ok(()) => Ok(Outcome::Completed),
                Err(e) => {
                    eprintln!("segql serve: {e}");
                    Ok(Outcome::Failed)
                }
            };
        }
        #[cfg(feature = "ballista")]
        Some(Action::Scheduler(args)) => {
            scheduler(args).await?;
            return Ok(Outcome::Completed);
        }
        #[cfg(feature = "ballista")]
        Some(Action::Executor(args)) => {
            executor(*args).await?;
            return Ok(Outcome::Completed);
        }
        Some(Action::Demo { rows, models }) => {
            let options = SessionOptions {
                demo_rows: Some(rows),
                models,
                progress: std::io::stderr().is_terminal(),
                format: PrintFormat::Table,
                maxrows: MaxRows::Unlimited,
                quiet: true,
                ..SessionOptions::new()
            };
            let session = ShellSession::new(&options).await?;
            println!("Segmentation of {rows} demo transactions (table `sales`)\n");
            let started = std::time::Instant::now();
            let outcome = run_script(&session, "segmentation.sql", DEMO_SCRIPT).await;
            if outcome == Outcome::Completed {
                println!(
                    "Done in {:.2} s. Open a prompt on the same data with: segql --demo",
                    started.elapsed().as_secs_f64()
                );
            }
            return Ok(outcome);
        }
        None => {}
    }

    let options = SessionOptions {
        files: cli.files,
        demo_rows: cli.demo.then_some(cli.demo_rows),
        models: cli.models,
        progress: std::io::stderr().is_terminal(),
        format: cli.format,
        maxrows: cli.maxrows,
        quiet: cli.quiet,
        color: std::io::stdout().is_terminal(),
        cluster: cli.cluster,
    };
    let mut session = ShellSession::new(&options).await?;

    if cli.commands.is_empty() && cli.scripts.is_empty() {
        if std::io::stdin().is_terminal() {
            run_repl(&mut session).await?;
            return Ok(Outcome::Completed);
        }
        let text = std::io::read_to_string(std::io::stdin())?;
        return Ok(run_script(&session, "standard input", &text).await);
    }
    for command in &cli.commands {
        if run_script(&session, "-c", command).await == Outcome::Failed {
            return Ok(Outcome::Failed);
        }
    }
    for path in &cli.scripts {
        let text = std::fs::read_to_string(path).map_err(|e| {
            DataFusionError::Plan(format!("cannot read script {}: {e}", path.display()))
        })?;
        if run_script(&session, &path.display().to_string(), &text).await == Outcome::Failed {
            return Ok(Outcome::Failed);
        }
    }
    Ok(Outcome::Completed)
}

/// Ballista's log on stderr: warnings and errors, or what RUST_LOG asks for
/// (`RUST_LOG=info` shows registrations and tasks).
#[cfg(feature = "ballista")]
fn init_cluster_log() {
    let env = env_logger::Env::default().default_filter_or("warn");
    let _ = env_logger::Builder::from_env(env).try_init();
}

/// Run a cluster scheduler until the process is stopped.
#[cfg(feature = "ballista")]
async fn scheduler(args: SchedulerArgs) -> Result<()> {
    init_cluster_log();
    let listener = tokio::net::TcpListener::bind((args.bind_host.as_str(), args.port))
        .await
        .map_err(|e| {
            DataFusionError::Plan(format!(
                "segql scheduler: cannot listen on {}:{}: {e}",
                args.bind_host, args.port
            ))
        })?;
    let address = listener.local_addr()?;
    let external = args.external_host.unwrap_or(args.bind_host);
    eprintln!(
        "segql scheduler listening on {address}; connect with: segql --cluster df://{external}:{} --models {}",
        address.port(),
        args.models.display()
    );
    let store = Arc::new(segql::model::DirectoryStore::new(&args.models));
    segql::cluster::scheduler::run_scheduler(listener, &external, store).await
}

/// Run a cluster executor until the process is stopped.
#[cfg(feature = "ballista")]
async fn executor(args: ExecutorArgs) -> Result<()> {
    init_cluster_log();
    let (host, port) = segql::cluster::scheduler_address(&args.scheduler)?;
    eprintln!(
        "segql executor on {}:{} (tasks on {}), working for the scheduler at {host}:{port}",
        args.bind_host, args.port, args.grpc_port
    );
    let options = segql::cluster::executor::ExecutorOptions {
        scheduler_host: host,
        scheduler_port: port,
        external_host: args.external_host.unwrap_or_else(|| args.bind_host.clone()),
        bind_host: args.bind_host,
        port: args.port,
        grpc_port: args.grpc_port,
        concurrent_tasks: args.concurrent_tasks,
        work_dir: args.work_dir,
    };
    let store = Arc::new(segql::model::DirectoryStore::new(&args.models));
    segql::cluster::executor::run_executor(options, store).await
}

/// The most rows generated in memory at once (100M rows peak at about 21 GB while written).
const MAX_ROWS_PER_PART: usize = 100_000_000;

/// Write demo transactions to `out`, or with `parts` > 1 into the directory `out`, one part
/// at a time.
async fn generate_parts(config: &DemoConfig, parts: usize, out: &Path) -> Result<()> {
    let parts = parts.max(1);
    if config.rows.div_ceil(parts) > MAX_ROWS_PER_PART {
        let needed = config.rows.div_ceil(MAX_ROWS_PER_PART);
        return Err(DataFusionError::Plan(format!(
            "generate: --rows {} would be held in memory at once; generate it in parts into a \
             directory, e.g. --parts {needed} (at most {MAX_ROWS_PER_PART} rows per part)",
            config.rows
        )));
    }
    if parts == 1 {
        return generate(config, out).await;
    }
    std::fs::create_dir_all(out).map_err(|e| {
        DataFusionError::Plan(format!("generate: cannot create {}: {e}", out.display()))
    })?;
    for (i, part) in config.parts(parts).iter().enumerate() {
        generate(part, &out.join(format!("part-{i:03}.parquet"))).await?;
    }
    Ok(())
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
