//! Quoted file paths as tables (`SELECT * FROM rfm('data/sales.csv')`), as DataFusion's
//! `enable_url_table` does, but only for names that look like paths: a bare name such as
//! `segql_models` stays a table or function name even when a directory of that name sits in
//! the working directory (the default model store does).
//!
//! ```sql
//! SELECT count(*) FROM 'data/sales.parquet';     -- a path: read as a table
//! SELECT * FROM segql_models();                  -- a function, whatever the directory holds
//! ```
//!
//! The server confines such paths to its `--data` directory ([`enable_path_tables_under`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{DynamicFileCatalog, TableProvider, UrlTableFactory};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::dynamic_file::DynamicListTableFactory;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::SessionContext;
use datafusion_session::SessionStore;

/// Whether a table name reads as a file path or URL rather than an identifier.
pub fn looks_like_path(name: &str) -> bool {
    name.contains('/') || name.contains('\\') || name.contains('.') || name.contains(':')
}

#[derive(Debug)]
struct PathsOnly {
    files: Arc<DynamicListTableFactory>,
    reach: Reach,
}

/// Which paths may be read.
#[derive(Debug)]
enum Reach {
    /// Any path or URL the object stores understand (the shell).
    Anywhere,
    /// Paths resolving inside this canonical directory (the server with `--data`).
    Under(PathBuf),
    /// None (the server without `--data`).
    Nowhere,
}

impl PathsOnly {
    /// The canonical location of `path` under the root, or why it is refused.
    fn confine(root: &Path, path: &str) -> Result<String> {
        let outside = || {
            DataFusionError::Plan(format!(
                "file path '{path}' is not a file under the served data directory: segql \
                 serve reads only the files under its --data directory"
            ))
        };
        if path.contains("://") {
            return Err(DataFusionError::Plan(format!(
                "'{path}' is a URL: segql serve reads only the files under its --data directory"
            )));
        }
        let candidate = root.join(path);
        let canonical = candidate.canonicalize().map_err(|_| outside())?;
        if !canonical.starts_with(root) {
            return Err(outside());
        }
        Ok(canonical.to_string_lossy().into_owned())
    }
}

#[async_trait]
impl UrlTableFactory for PathsOnly {
    async fn try_new(&self, url: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if !looks_like_path(url) {
            return Ok(None);
        }
        match &self.reach {
            Reach::Anywhere => self.files.try_new(url).await,
            Reach::Under(root) => self.files.try_new(&Self::confine(root, url)?).await,
            Reach::Nowhere => Err(DataFusionError::Plan(format!(
                "file path '{url}': this server reads no files by path (start segql serve \
                 with --data DIR to serve the files under DIR)"
            ))),
        }
    }
}

/// `ctx` with quoted file paths usable as tables.
pub fn enable_path_tables(ctx: SessionContext) -> SessionContext {
    with_path_factory(ctx, Reach::Anywhere)
}

/// `ctx` with quoted file paths usable as tables when they resolve (symbolic links followed)
/// inside `root`; a relative path is taken relative to `root`. Any other path, and any URL,
/// is an error naming it; with no `root`, every path is.
pub fn enable_path_tables_under(
    ctx: SessionContext,
    root: Option<&Path>,
) -> Result<SessionContext> {
    let reach = match root {
        Some(root) => Reach::Under(root.canonicalize().map_err(|e| {
            DataFusionError::Plan(format!("data directory {}: {e}", root.display()))
        })?),
        None => Reach::Nowhere,
    };
    Ok(with_path_factory(ctx, reach))
}

fn with_path_factory(ctx: SessionContext, reach: Reach) -> SessionContext {
    let catalogs = Arc::clone(ctx.state().catalog_list());
    let factory = Arc::new(DynamicListTableFactory::new(SessionStore::new()));
    let paths = PathsOnly {
        files: Arc::clone(&factory),
        reach,
    };
    let catalog_list = Arc::new(DynamicFileCatalog::new(
        catalogs,
        Arc::new(paths) as Arc<dyn UrlTableFactory>,
    ));
    let session_id = ctx.session_id();
    let ctx: SessionContext = SessionStateBuilder::new_from_existing(ctx.state())
        .with_session_id(session_id)
        .with_catalog_list(catalog_list)
        .build()
        .into();
    factory.session_store().with_state(ctx.state_weak_ref());
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_names() {
        for path in ["sales.parquet", "data/sales", "s3://bucket/x", "..\\x.csv"] {
            assert!(looks_like_path(path), "{path}");
        }
        for name in ["segql_models", "sales", "rfm"] {
            assert!(!looks_like_path(name), "{name}");
        }
    }

    #[test]
    fn confined_paths_stay_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("sales.csv"), "a\n1\n").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        let inside = PathsOnly::confine(&root, "sub/../sales.csv").unwrap();
        assert_eq!(inside, root.join("sales.csv").to_string_lossy());
        let absolute = root.join("sales.csv");
        assert!(PathsOnly::confine(&root, absolute.to_str().unwrap()).is_ok());
        for path in ["/etc/passwd", "../../../../etc/passwd", "missing.csv"] {
            let err = PathsOnly::confine(&root, path).unwrap_err().to_string();
            assert!(
                err.contains("not a file under the served data directory"),
                "{err}"
            );
        }
        let url = PathsOnly::confine(&root, "s3://bucket/x.parquet").unwrap_err();
        assert!(url.to_string().contains("is a URL"), "{url}");
    }
}
