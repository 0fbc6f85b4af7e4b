//! `segql report`: a segmentation as one self-contained HTML page (inline SVG charts and CSS,
//! no script, no network), for the shell's `segql report` and `\report`, and for any
//! application that embeds segql.
//!
//! Three layers, each thin: [`gather`] runs segql's own SQL functions and reads their results
//! into [`data`]; [`charts`] draws plain numbers as SVG; [`page`] lays the page out.
//!
//! ```no_run
//! # async fn demo() -> datafusion::error::Result<()> {
//! use std::sync::Arc;
//! use datafusion::prelude::SessionContext;
//! use segql::model::{MemoryStore, ModelStore};
//! use segql::report::{ModelSource, ReportRequest, report_html};
//!
//! let ctx = SessionContext::new();
//! let store: Arc<dyn ModelStore> = Arc::new(MemoryStore::new());
//! segql::register_with_store(&ctx, Arc::clone(&store))?;
//! segql::demo::register_demo_table(&ctx, "sales", 100_000)?;
//! let html = report_html(&ctx, &store, &ReportRequest::fit("rfm(sales)", "auto")).await?;
//! # Ok(())
//! # }
//! ```

pub mod call_text;
pub mod charts;
pub mod data;
pub mod gather;
pub mod page;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use datafusion::common::Result;
use datafusion::prelude::SessionContext;

use crate::error::SegqlError;
use crate::model::ModelStore;

/// Where the report's model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// Fit one: `k` is a number or `auto`.
    Fit {
        /// `kmeans_fit`'s k argument.
        k: String,
    },
    /// Score the input with a saved model of this name.
    Saved(String),
}

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// The input relation: a table name, `rfm(sales)`, `(SELECT ...)`, a quoted path.
    pub input: String,
    /// Fit a model or use a saved one.
    pub model: ModelSource,
    /// The candidate ks (`'2..10'` when unset): searched by an `auto` fit, and around a given
    /// k to chart the choice.
    pub ks: Option<String>,
    /// The seed of the fit, the search and the scatter's sample.
    pub seed: u64,
    /// More named options for the fit, as SQL: `transform => 'none', n_init => 5`.
    pub options: String,
    /// Keep the fitted model under this name (else it is removed after the report).
    pub save_as: Option<String>,
}

impl ReportRequest {
    /// Fit `k` (a number or `auto`) segments of `input`, seed 0.
    pub fn fit(input: &str, k: &str) -> Self {
        Self {
            input: input.to_string(),
            model: ModelSource::Fit { k: k.to_string() },
            ks: None,
            seed: 0,
            options: String::new(),
            save_as: None,
        }
    }

    /// Score `input` with the saved model `name`.
    pub fn saved(input: &str, name: &str) -> Self {
        Self {
            model: ModelSource::Saved(name.to_string()),
            ..Self::fit(input, "auto")
        }
    }
}

/// The report's HTML. `ctx` has segql registered with `store` (the store the fit saves in
/// and the saved model is read from).
pub async fn report_html(
    ctx: &SessionContext,
    store: &Arc<dyn ModelStore>,
    request: &ReportRequest,
) -> Result<String> {
    let data = gather::gather(ctx, store, request).await?;
    Ok(page::render(&data))
}

/// Fail early, before any work, when `path` cannot be a report file: its directory must exist
/// and the path must not be a directory.
pub fn check_output(path: &Path) -> Result<()> {
    let directory = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let problem = if path.is_dir() {
        Some("it is a directory; give a file name such as report.html".to_string())
    } else if !directory.is_dir() {
        Some(format!(
            "the directory {} does not exist",
            directory.display()
        ))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(SegqlError::argument(
            "report",
            format!("cannot write the report to {}: {problem}", path.display()),
        )
        .into()),
        None => Ok(()),
    }
}

/// Write `html` to `path` whole or not at all: into a temporary file beside it, synced, then
/// renamed over `path`.
pub fn write_report(path: &Path, html: &str) -> Result<()> {
    let cannot = |e: std::io::Error| -> datafusion::error::DataFusionError {
        SegqlError::argument(
            "report",
            format!("cannot write the report to {}: {e}", path.display()),
        )
        .into()
    };
    let directory = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| cannot(std::io::Error::other("the path names no file")))?;
    let temporary = directory.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(html.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(cannot)
}
