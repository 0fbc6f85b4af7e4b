//! # segql — customer segmentation in plain SQL, on Apache DataFusion
//!
//! segql adds RFM analysis and K-Means segmentation to any DataFusion
//! [`SessionContext`] with one call:
//!
//! ```no_run
//! # async fn demo() -> datafusion::error::Result<()> {
//! use datafusion::prelude::SessionContext;
//!
//! let ctx = SessionContext::new();
//! segql::register_all(&ctx)?;
//! segql::demo::register_demo_table(&ctx, "sales", 100_000)?;
//! ctx.sql("SELECT segment, count(*) FROM rfm(sales) GROUP BY segment")
//!     .await?
//!     .show()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! The public API, all a library user needs:
//! - [`register_all`] / [`register_with_store`]: every segql function in a `SessionContext`;
//!   [`table_function_names`], [`scalar_functions`], [`aggregate_functions`] for hosts that
//!   register them one by one (the Python package);
//! - [`model`]: the [`model::ModelStore`] trait, its stores ([`model::MemoryStore`],
//!   [`model::DirectoryStore`]) and the saved [`model::SegmentModel`];
//! - [`FitObserver`] / [`FitStart`]: the hook that watches `kmeans_fit` run (the shell's
//!   progress bars use it);
//! - [`kmeans`]: the K-Means algorithm on plain rows, for use without SQL; [`score`]: the
//!   scoring kernel of `assign_segment` over Arrow arrays;
//! - [`demo`]: the demo transaction generator; [`script`]: running a SQL script;
//!   [`reference`](mod@reference): the function reference; [`error`]: segql's error type;
//! - the front ends, [`shell`] and [`server`] (features `shell` and `server`),
//!   [`report`](mod@report), the HTML report (feature `report`), and [`cluster`], the same
//!   SQL on an Apache Ballista cluster (feature `ballista`).
//!
//! Inside, from the bottom up: `rfm`, `kmeans` and `model` are plain Rust (no Arrow or
//! DataFusion types); `planner` lets table functions nest and take named options;
//! `functions` holds a file or folder per SQL function.

#[cfg(feature = "ballista")]
pub mod cluster;
pub mod dbscan;
pub mod demo;
pub mod error;
pub(crate) mod functions;
pub mod hclust;
pub mod kmeans;
pub mod model;
pub mod pca;
pub(crate) mod planner;
pub mod preprocess;
pub mod quality;
pub mod reference;
#[cfg(feature = "report")]
pub mod report;
pub(crate) mod rfm;
pub mod script;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "shell")]
pub mod shell;
pub(crate) mod text;

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;

pub use error::SegqlError;
pub use functions::assign_segment::udf::score;
pub use functions::kmeans_fit::fit_observer::{FitObserver, FitStart};
use model::{MemoryStore, ModelStore};
use planner::{RelationResolver, SegqlRelationPlanner};

/// Register every segql function (table, scalar and aggregate) in `ctx`, with models kept in
/// memory for the life of the context.
///
/// Table functions are planned by a relation planner that resolves bare table names through
/// the context's catalogs; call this after `SessionContext::enable_url_table()` if quoted file
/// paths should work as inputs (`rfm('sales.parquet')`). Calling it again is harmless: the
/// newest registration wins.
///
/// ```sql
/// SELECT * FROM rfm(sales) ORDER BY monetary DESC LIMIT 10;
/// SELECT * FROM kmeans_fit(rfm(sales), 4, model => 'seg');
/// ```
pub fn register_all(ctx: &SessionContext) -> Result<()> {
    register_with_store(ctx, Arc::new(MemoryStore::new()))
}

/// Register every segql function in `ctx`, saving and reading models in `store` (for example a
/// [`model::DirectoryStore`] shared by several sessions).
///
/// ```sql
/// SELECT name, k, rows FROM segql_models();
/// ```
pub fn register_with_store(ctx: &SessionContext, store: Arc<dyn ModelStore>) -> Result<()> {
    for udf in functions::scalar_functions(&store) {
        ctx.register_udf(udf.as_ref().clone());
    }
    for udaf in functions::aggregate_functions() {
        ctx.register_udaf(udaf.as_ref().clone());
    }
    let resolver = RelationResolver::new(Arc::clone(ctx.state().catalog_list()));
    ctx.register_relation_planner(Arc::new(SegqlRelationPlanner::new(
        functions::table_functions(&store),
        resolver,
    )))
}

/// The names of segql's table functions (`rfm`, `kmeans_fit`, ...), for hosts that must know
/// which statements need segql's relation planner (the Python package sends those through it).
pub fn table_function_names() -> Vec<&'static str> {
    functions::table_function_specs()
        .into_iter()
        .map(|spec| spec.name)
        .collect()
}

/// segql's scalar functions with models in `store`, for hosts that register functions one by
/// one rather than through [`register_with_store`] (the Python package hands them to
/// datafusion-python across datafusion-ffi).
pub fn scalar_functions(store: &Arc<dyn ModelStore>) -> Vec<Arc<ScalarUDF>> {
    functions::scalar_functions(store)
}

/// segql's aggregate functions (the `rfm` aggregate among them), for hosts that register
/// functions one by one.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    functions::aggregate_functions()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// No two segql functions of one namespace share a name or alias, and none shadows a
    /// DataFusion built-in. Table functions live in their own namespace (`rfm` is both a table
    /// function and an aggregate, by design).
    #[test]
    fn no_two_functions_share_a_name_or_alias() {
        let builtin = SessionContext::new().state();
        let mut expression_names = HashSet::new();
        let store: Arc<dyn ModelStore> = Arc::new(MemoryStore::new());
        let scalar = functions::scalar_functions(&store);
        let aggregate = functions::aggregate_functions();
        let names = scalar
            .iter()
            .flat_map(|f| std::iter::once(f.name().to_string()).chain(f.aliases().iter().cloned()))
            .chain(aggregate.iter().flat_map(|f| {
                std::iter::once(f.name().to_string()).chain(f.aliases().iter().cloned())
            }));
        for name in names {
            assert!(
                expression_names.insert(name.clone()),
                "duplicate function name {name}"
            );
            assert!(
                !builtin.scalar_functions().contains_key(&name)
                    && !builtin.aggregate_functions().contains_key(&name)
                    && !builtin.window_functions().contains_key(&name),
                "{name} shadows a DataFusion built-in"
            );
        }
        let mut table_names = HashSet::new();
        for f in functions::table_functions(&store) {
            let name = f.spec().name;
            assert!(table_names.insert(name), "duplicate table function {name}");
            assert!(
                builtin.table_functions().get(name).is_none(),
                "{name} shadows a DataFusion table function"
            );
        }
    }
}
