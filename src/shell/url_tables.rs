//! Quoted file paths as tables (`SELECT * FROM rfm('data/sales.csv')`), as DataFusion's
//! `enable_url_table` does, but only for names that look like paths: a bare name such as
//! `segql_models` stays a table or function name even when a directory of that name sits in
//! the working directory (the default model store does).
//!
//! ```sql
//! SELECT count(*) FROM 'data/sales.parquet';     -- a path: read as a table
//! SELECT * FROM segql_models();                  -- a function, whatever the directory holds
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{DynamicFileCatalog, TableProvider, UrlTableFactory};
use datafusion::common::Result;
use datafusion::datasource::dynamic_file::DynamicListTableFactory;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::SessionContext;
use datafusion_session::SessionStore;

/// Whether a table name reads as a file path or URL rather than an identifier.
pub fn looks_like_path(name: &str) -> bool {
    name.contains('/') || name.contains('\\') || name.contains('.') || name.contains(':')
}

#[derive(Debug)]
struct PathsOnly(Arc<DynamicListTableFactory>);

#[async_trait]
impl UrlTableFactory for PathsOnly {
    async fn try_new(&self, url: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if !looks_like_path(url) {
            return Ok(None);
        }
        self.0.try_new(url).await
    }
}

/// `ctx` with quoted file paths usable as tables.
pub fn enable_path_tables(ctx: SessionContext) -> SessionContext {
    let catalogs = Arc::clone(ctx.state().catalog_list());
    let factory = Arc::new(DynamicListTableFactory::new(SessionStore::new()));
    let catalog_list = Arc::new(DynamicFileCatalog::new(
        catalogs,
        Arc::new(PathsOnly(Arc::clone(&factory))) as Arc<dyn UrlTableFactory>,
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
}
