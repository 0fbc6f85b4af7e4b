//! Replacing one table of datafusion-postgres's `pg_catalog` with segql's own version of it
//! (`pg_proc` listing segql's functions, `pg_settings` with the settings drivers read), every
//! other table answered as before.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::prelude::SessionContext;

/// `catalog`'s `pg_catalog` as set up by datafusion-postgres (with any earlier replacement).
pub async fn catalog_table(
    ctx: &SessionContext,
    catalog: &str,
    name: &str,
) -> Result<Arc<dyn TableProvider>> {
    pg_catalog(ctx, catalog)?
        .table(name)
        .await?
        .ok_or_else(|| DataFusionError::Internal(format!("pg_catalog.{name} is not set up")))
}

/// Makes `catalog`'s `pg_catalog.{name}` answer with `table`.
pub fn replace_catalog_table(
    ctx: &SessionContext,
    catalog: &str,
    name: &str,
    table: Arc<dyn TableProvider>,
) -> Result<()> {
    let inner = pg_catalog(ctx, catalog)?;
    let catalog_provider = ctx
        .catalog(catalog)
        .ok_or_else(|| DataFusionError::Internal(format!("catalog {catalog} is not set up")))?;
    catalog_provider.register_schema(
        "pg_catalog",
        Arc::new(WithTable {
            inner,
            name: name.to_string(),
            table,
        }),
    )?;
    Ok(())
}

fn pg_catalog(ctx: &SessionContext, catalog: &str) -> Result<Arc<dyn SchemaProvider>> {
    ctx.catalog(catalog)
        .and_then(|c| c.schema("pg_catalog"))
        .ok_or_else(|| DataFusionError::Internal("pg_catalog is not set up".into()))
}

/// A `pg_catalog` answering `name` with `table` and every other table from `inner`.
#[derive(Debug)]
struct WithTable {
    inner: Arc<dyn SchemaProvider>,
    name: String,
    table: Arc<dyn TableProvider>,
}

#[async_trait]
impl SchemaProvider for WithTable {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        if name.eq_ignore_ascii_case(&self.name) {
            return Ok(Some(Arc::clone(&self.table)));
        }
        self.inner.table(name).await
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}
