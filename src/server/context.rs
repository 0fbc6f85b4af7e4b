//! The DataFusion context behind `segql serve`: segql's functions over the model store (read
//! only with `--read-only`), the `--data` files and named files as tables, quoted paths
//! confined to `--data`, Postgres's `pg_catalog` for BI tools, and one runtime per connection
//! so that `--memory-limit` bounds each query (one statement runs at a time per connection).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{
    CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionConfig, SessionContext,
};
use datafusion_postgres::datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;

use super::error::ServeError;
use super::options::ServeOptions;
use crate::model::store::ReadOnlyStore;
use crate::model::{DirectoryStore, ModelStore};
use crate::shell::files::{FORMATS, register_file};
use crate::shell::object_stores::{files_under, register_store_for, remote_scheme};
use crate::shell::session::session_context;
use crate::shell::url_tables::enable_path_tables_under;

/// The catalog name clients see as the database (`current_database()`).
pub const DATABASE: &str = "datafusion";

/// The shared context, and a fresh one per connection.
pub struct Contexts {
    base: SessionContext,
    memory_limit: usize,
    /// The tables served, sorted.
    pub tables: Vec<String>,
}

impl Contexts {
    /// Build the shared context from the options. A missing, unreadable or unknown-format
    /// file is an error naming it.
    pub async fn new(options: &ServeOptions) -> Result<Self, ServeError> {
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema(DATABASE, "public");
        let store: Arc<dyn ModelStore> = Arc::new(DirectoryStore::new(&options.models));
        let store = if options.read_only {
            Arc::new(ReadOnlyStore(store)) as Arc<dyn ModelStore>
        } else {
            store
        };
        let plain = session_context(config, options.cluster.as_deref(), &store)?;
        let ctx = enable_path_tables_under(plain, options.data.as_deref()).map_err(|e| {
            ServeError::Data {
                path: options.data.clone().unwrap_or_default(),
                reason: e.to_string(),
            }
        })?;
        crate::register_with_store(&ctx, store)?;
        if let Some(dir) = &options.data {
            match dir.to_str().filter(|d| remote_scheme(d).is_some()) {
                Some(prefix) => {
                    register_remote_data(&ctx, prefix)
                        .await
                        .map_err(|e| ServeError::Data {
                            path: dir.clone(),
                            reason: e.to_string(),
                        })?
                }
                None => {
                    for file in data_files(dir)? {
                        register_file(&ctx, &file).await?;
                    }
                }
            }
        }
        for file in &options.files {
            register_file(&ctx, file).await?;
        }
        if let Some(rows) = options.demo_rows {
            crate::demo::register_demo_table(&ctx, "sales", rows)?;
        }
        setup_pg_catalog(&ctx, DATABASE, EmptyContextProvider).map_err(|e| *e)?;
        super::pg_proc::list_segql_functions(&ctx, DATABASE).await?;
        super::pg_settings::add_driver_settings(&ctx, DATABASE).await?;
        for function in super::catalog_vectors::vector_functions() {
            ctx.register_udf(function);
        }
        for function in super::catalog_functions::catalog_functions() {
            ctx.register_udf(function);
        }
        ctx.register_udf(super::regtype::to_regtype_udf(&ctx).await?);
        let mut tables = ctx
            .catalog(DATABASE)
            .and_then(|c| c.schema("public"))
            .map(|s| s.table_names())
            .unwrap_or_default();
        tables.sort();
        Ok(Self {
            base: ctx,
            memory_limit: options.memory_limit,
            tables,
        })
    }

    /// A context for one connection: the same tables, functions and settings, its own memory
    /// pool of `--memory-limit` bytes (spilling operators spill to disk first).
    pub fn for_connection(&self) -> Result<Arc<SessionContext>> {
        let pool = TrackConsumersPool::new(
            FairSpillPool::new(self.memory_limit),
            NonZeroUsize::new(3).expect("3 is not zero"),
        );
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(pool))
            .with_object_store_registry(Arc::clone(&self.base.runtime_env().object_store_registry))
            .build_arc()?;
        let state = SessionStateBuilder::new_from_existing(self.base.state())
            .with_runtime_env(runtime)
            .build();
        Ok(Arc::new(SessionContext::new_with_state(state)))
    }
}

/// Every data file directly under the object-store `prefix` (`s3://bucket/sales/`) as a
/// table named after its stem. A web server cannot list a directory, so under an `http(s)://`
/// prefix the files are read by quoted path only (`rfm('sales.parquet')`).
async fn register_remote_data(ctx: &SessionContext, prefix: &str) -> Result<()> {
    let prefix = format!("{}/", prefix.trim_end_matches('/'));
    let state = ctx.state();
    register_store_for(&state, &prefix, &state.default_table_options()).await?;
    if matches!(remote_scheme(&prefix), Some("http" | "https")) {
        return Ok(());
    }
    let files = files_under(&state, &prefix, FORMATS).await?;
    if let Some(pair) = files.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(DataFusionError::Plan(format!(
            "two files would both be table '{}': rename one",
            pair[0].0
        )));
    }
    for (name, url) in files {
        let extension = url
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match extension.as_str() {
            "parquet" => {
                ctx.register_parquet(&name, &url, ParquetReadOptions::default())
                    .await?
            }
            "csv" => ctx.register_csv(&name, &url, CsvReadOptions::new()).await?,
            _ => {
                let options = JsonReadOptions::default().file_extension(&extension);
                ctx.register_json(&name, &url, options).await?
            }
        }
    }
    Ok(())
}

/// The data files (or directories of them) directly under `dir`, sorted; other entries are
/// left out. Two files with the same stem would make two tables of one name: an error.
pub fn data_files(dir: &Path) -> Result<Vec<PathBuf>, ServeError> {
    let error = |reason: String| ServeError::Data {
        path: dir.to_path_buf(),
        reason,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| error(e.to_string()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| error(e.to_string()))?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let is_table = FORMATS.contains(&extension.as_str()) || (path.is_dir() && has_data(&path));
        if !hidden && is_table {
            files.push(path);
        }
    }
    files.sort();
    let mut stems: Vec<String> = files
        .iter()
        .filter_map(|f| f.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect();
    stems.sort();
    if let Some(pair) = stems.windows(2).find(|w| w[0] == w[1]) {
        return Err(error(format!(
            "two files would both be table '{}': rename one",
            pair[0]
        )));
    }
    Ok(files)
}

fn has_data(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.path()
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| FORMATS.contains(&x.to_ascii_lowercase().as_str()))
        })
    })
}
