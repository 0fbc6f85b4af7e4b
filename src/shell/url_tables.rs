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
//! `s3://`, `gs://` and `http(s)://` locations are read through object stores registered on
//! first use ([`super::object_stores`]). The server confines paths to its `--data` directory or
//! object-store prefix ([`enable_path_tables_under`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{DynamicFileCatalog, TableProvider, UrlTableFactory};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::dynamic_file::DynamicListTableFactory;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionState;
use datafusion::prelude::SessionContext;
use datafusion_session::SessionStore;

use super::object_stores::{check_readable, register_store_for, remote_scheme};

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
    /// Paths resolving inside this canonical directory (the server with `--data DIR`).
    Under(PathBuf),
    /// Locations under this object-store prefix, ending in `/` (the server with
    /// `--data s3://bucket/prefix/`); relative paths are taken relative to it.
    UnderUrl(String),
    /// None (the server without `--data`).
    Nowhere,
}

impl PathsOnly {
    /// The location of `path` under the object-store `prefix`, or why it is refused.
    fn confine_url(prefix: &str, path: &str) -> Result<String> {
        let location = if path.contains("://") {
            path.to_string()
        } else if path.starts_with('/') || path.starts_with('\\') {
            String::new()
        } else {
            format!("{prefix}{path}")
        };
        let escapes = location
            .split(['/', '\\'])
            .any(|part| part == ".." || part.eq_ignore_ascii_case("%2e%2e"))
            || location.to_ascii_lowercase().contains("%2f");
        if location.is_empty() || escapes || !location.starts_with(prefix) {
            return Err(DataFusionError::Plan(format!(
                "'{path}' is not under the served data location {prefix}: segql serve reads \
                 only the files there"
            )));
        }
        Ok(location)
    }

    /// `url` registered and checked, then read as a table.
    async fn remote(&self, url: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let state = self
            .files
            .session_store()
            .get_session()
            .upgrade()
            .and_then(|s| s.read().as_any().downcast_ref::<SessionState>().cloned())
            .ok_or_else(|| DataFusionError::Internal("the session has ended".into()))?;
        register_store_for(&state, url, &state.default_table_options()).await?;
        check_readable(&state, url).await?;
        self.files.try_new(url).await
    }

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
            Reach::Anywhere if remote_scheme(url).is_some() => self.remote(url).await,
            Reach::Anywhere => self.files.try_new(url).await,
            Reach::Under(root) => self.files.try_new(&Self::confine(root, url)?).await,
            Reach::UnderUrl(prefix) => self.remote(&Self::confine_url(prefix, url)?).await,
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
/// is an error naming it; with no `root`, every path is. A `root` that is an object-store URL
/// (`s3://bucket/prefix/`) admits the locations under it.
pub fn enable_path_tables_under(
    ctx: SessionContext,
    root: Option<&Path>,
) -> Result<SessionContext> {
    let reach = match root {
        Some(root) => match root.to_str().filter(|r| remote_scheme(r).is_some()) {
            Some(url) => Reach::UnderUrl(format!("{}/", url.trim_end_matches('/'))),
            None => Reach::Under(root.canonicalize().map_err(|e| {
                DataFusionError::Plan(format!("data directory {}: {e}", root.display()))
            })?),
        },
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

    #[test]
    fn confined_locations_stay_under_the_prefix() {
        let prefix = "s3://shop/sales/";
        assert_eq!(
            PathsOnly::confine_url(prefix, "2011.parquet").unwrap(),
            "s3://shop/sales/2011.parquet"
        );
        assert_eq!(
            PathsOnly::confine_url(prefix, "s3://shop/sales/x/y.csv").unwrap(),
            "s3://shop/sales/x/y.csv"
        );
        for path in [
            "s3://shop/other.parquet",
            "s3://shop/salesman/x.parquet",
            "../secret.parquet",
            "s3://shop/sales/../secret.parquet",
            "s3://shop/sales/%2E%2E/secret.parquet",
            "/etc/passwd",
            "https://example.com/x.parquet",
        ] {
            let err = PathsOnly::confine_url(prefix, path)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("is not under the served data location"),
                "{path}: {err}"
            );
        }
    }
}
