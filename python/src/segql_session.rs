//! segql's own session over the caller's catalogs: how a query typed in Python gets segql's
//! relation planner (nested calls, named options) while reading the Python context's tables.
//!
//! datafusion-python has no hook for a relation planner, but a table function called across
//! the FFI receives the calling session, catalogs included. So the package plans segql's SQL in
//! a session of its own built from that one: the caller's catalogs and settings, segql's
//! functions with the package's model store, and DataFusion's defaults for the rest.

use std::sync::Arc;

use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::SessionContext;
use segql::model::ModelStore;

/// A segql session reading `caller`'s catalogs with `caller`'s settings, models in `store`.
pub fn segql_context(caller: &dyn Session, store: &Arc<dyn ModelStore>) -> Result<SessionContext> {
    // The catalogs are the caller's own: building a session must not register a fresh,
    // empty default catalog over the caller's.
    let config = caller
        .config()
        .clone()
        .with_create_default_catalog_and_schema(false);
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_catalog_list(caller.catalog_list())
        .with_default_features()
        .build();
    // Quoted file paths as tables (`rfm('sales.parquet')`), as in the segql shell.
    let ctx = SessionContext::new_with_state(state).enable_url_table();
    segql::register_with_store(&ctx, Arc::clone(store))?;
    Ok(ctx)
}
