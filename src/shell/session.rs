//! The shell's DataFusion session: segql registered with a model store on disk, files as
//! tables, quoted paths as tables, and a progress bar for long fits.
//!
//! ```sql
//! -- segql sales.parquet --models ./models
//! SELECT * FROM rfm(sales) LIMIT 5;
//! SELECT * FROM rfm('other/sales.csv') LIMIT 5;   -- quoted paths are tables too
//! ```

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use datafusion::common::Result;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_cli::cli_context::CliSessionContext;
use datafusion_cli::object_storage::instrumented::InstrumentedObjectStoreRegistry;
use datafusion_cli::print_format::PrintFormat;
use datafusion_cli::print_options::{MaxRows, PrintOptions};

use super::files::register_file;
use super::progress::progress_bars;
use super::report_command::LastFit;
use super::url_tables::enable_path_tables;
use crate::model::{DirectoryStore, ModelStore};

/// How to set up a shell session.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Files or directories registered as tables named after their stem.
    pub files: Vec<PathBuf>,
    /// Register `rows` demo transactions as table `sales`.
    pub demo_rows: Option<usize>,
    /// The model store directory (created on the first save).
    pub models: PathBuf,
    /// Draw progress bars for long fits on stderr.
    pub progress: bool,
    /// Output format.
    pub format: PrintFormat,
    /// Rows shown per result in table format.
    pub maxrows: MaxRows,
    /// Leave out the "N row(s) fetched. Elapsed ..." line.
    pub quiet: bool,
    /// Highlight SQL at the prompt.
    pub color: bool,
    /// Run queries over data on the Ballista cluster whose scheduler is at this address
    /// (`df://host:port`; feature `ballista`).
    pub cluster: Option<String>,
}

impl SessionOptions {
    /// The defaults of `segql` with no options.
    pub fn new() -> Self {
        Self {
            files: Vec::new(),
            demo_rows: None,
            models: PathBuf::from("segql_models"),
            progress: false,
            format: PrintFormat::Table,
            maxrows: MaxRows::Limited(40),
            quiet: false,
            color: false,
            cluster: None,
        }
    }
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// A context with `config`: in this process, or with its queries over data run on the
/// Ballista cluster at `cluster` (models in `store`, which every machine must share).
pub fn session_context(
    config: SessionConfig,
    cluster: Option<&str>,
    store: &Arc<dyn ModelStore>,
) -> Result<SessionContext> {
    match cluster {
        None => Ok(SessionContext::new_with_config(config)),
        #[cfg(feature = "ballista")]
        Some(address) => Ok(SessionContext::new_with_state(
            crate::cluster::session_state(address, config, Arc::clone(store))?,
        )),
        #[cfg(not(feature = "ballista"))]
        Some(_) => {
            let _ = store;
            datafusion::common::plan_err!(
                "this segql was built without clusters; build it with \
                 `cargo install --path . --features ballista` to use --cluster"
            )
        }
    }
}

/// A ready session: the context and how results are printed.
pub struct ShellSession {
    /// The DataFusion context, with segql registered.
    pub ctx: SessionContext,
    /// Output format, `--maxrows`, quiet mode.
    pub print: PrintOptions,
    /// The model store.
    pub store: Arc<dyn ModelStore>,
    /// Where the store keeps its files.
    pub models_dir: PathBuf,
    /// The last `kmeans_fit` a statement ran, for `\report`.
    last_fit: Mutex<Option<LastFit>>,
}

impl ShellSession {
    /// Build the session: register segql with a [`DirectoryStore`] at `options.models`, then
    /// every file, then the demo table. A missing, unreadable or unknown-format file is an
    /// error naming it.
    pub async fn new(options: &SessionOptions) -> Result<Self> {
        let mut config = SessionConfig::new().with_information_schema(true);
        if options.progress {
            config = config.with_extension(Arc::new(progress_bars()));
        }
        let store: Arc<dyn ModelStore> = Arc::new(DirectoryStore::new(&options.models));
        let ctx = session_context(config, options.cluster.as_deref(), &store)?;
        let ctx = enable_path_tables(ctx);
        // `aws.*` and `gcp.*` options of CREATE EXTERNAL TABLE and COPY, as in datafusion-cli.
        for scheme in ["s3", "gs"] {
            ctx.register_table_options_extension_from_scheme(scheme);
        }
        crate::register_with_store(&ctx, Arc::clone(&store))?;
        for file in &options.files {
            register_file(&ctx, file).await?;
        }
        if let Some(rows) = options.demo_rows {
            crate::demo::register_demo_table(&ctx, "sales", rows)?;
        }
        let print = PrintOptions {
            format: options.format,
            quiet: options.quiet,
            maxrows: options.maxrows,
            color: options.color,
            instrumented_registry: Arc::new(InstrumentedObjectStoreRegistry::new()),
        };
        Ok(Self {
            ctx,
            print,
            store,
            models_dir: options.models.clone(),
            last_fit: Mutex::new(None),
        })
    }

    /// Remember `statement`'s `kmeans_fit` call, if it has one (it has just run).
    pub fn remember_fit(&self, statement: &str) {
        if let Some(fit) = LastFit::from_statement(statement)
            && let Ok(mut last) = self.last_fit.lock()
        {
            *last = Some(fit);
        }
    }

    /// The last `kmeans_fit` the session ran.
    pub fn last_fit(&self) -> Option<LastFit> {
        self.last_fit.lock().ok().and_then(|l| l.clone())
    }
}
