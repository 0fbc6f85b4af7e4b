//! segql on an Apache Ballista cluster: the same SQL, planned on the client exactly as in one
//! process, run by Ballista's scheduler and executors (DataFusion's own distributed engine,
//! same DataFusion version).
//!
//! ```no_run
//! # async fn run() -> datafusion::common::Result<()> {
//! use std::sync::Arc;
//! let store = Arc::new(segql::model::DirectoryStore::new("/shared/segql_models"));
//! let ctx = segql::cluster::connect("df://scheduler:50050", store).await?;
//! ctx.sql("SELECT * FROM kmeans_fit(rfm('/shared/sales.parquet'), 4, model => 'seg')")
//!     .await?
//!     .show()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! How a query runs: the client plans it to a physical plan with segql's operators in it (each
//! operator that needs all rows reads every partition of its input, so on a cluster it is a
//! stage of one task reading every upstream shuffle partition) and sends that plan to the
//! scheduler ([`client`]); the scheduler cuts it into stages at its hash repartitions and
//! coalesces, and the executors run the stages. segql's operators, and the model a scoring
//! query captured, cross the wire through [`codec::SegqlCodec`]. Executors save fitted models
//! into their model store and the client reads them, so every machine must see the same
//! store directory under the same path (one host, or a shared filesystem such as NFS);
//! data files, likewise, are read by the executors from the path or URL in the query.

pub mod client;
pub mod codec;
pub mod executor;
pub mod object_stores;
pub mod scheduler;

use std::sync::Arc;

use ballista_core::extension::SessionConfigExt;
use datafusion::common::{Result, plan_err};
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::model::ModelStore;
use client::ClusterPlanner;
use codec::SegqlCodec;

/// The scheduler's host and port from what a user types: `df://host:port`, `host:port` or
/// `http://host:port`.
pub fn scheduler_address(address: &str) -> Result<(String, u16)> {
    let bare = address
        .trim()
        .trim_start_matches("df://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    match bare.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => match port.parse::<u16>() {
            Ok(port) => Ok((host.to_string(), port)),
            Err(_) => plan_err!(
                "cluster address '{address}' has no valid port; expected the scheduler's \
                 address like df://127.0.0.1:50050"
            ),
        },
        _ => plan_err!(
            "cluster address '{address}' is not host:port; expected the scheduler's address \
             like df://127.0.0.1:50050"
        ),
    }
}

/// The scheduler's gRPC URL (`http://host:port`) from what a user types.
pub fn scheduler_url(address: &str) -> Result<String> {
    let (host, port) = scheduler_address(address)?;
    Ok(format!("http://{host}:{port}"))
}

/// `config` with Ballista's settings (its extension; round-robin repartitioning and string
/// views off, as Ballista requires): a single-process session with the same settings gives
/// the same results.
pub fn cluster_config(config: SessionConfig) -> SessionConfig {
    config.upgrade_for_ballista()
}

/// A session state whose queries over data run on the cluster at `address`, with segql's
/// operators saving and reading models in `store`. Register segql on the context built from
/// it ([`crate::register_with_store`] with the same store), as [`connect`] does.
pub fn session_state(
    address: &str,
    config: SessionConfig,
    store: Arc<dyn ModelStore>,
) -> Result<SessionState> {
    let scheduler = scheduler_url(address)?;
    let codec = Arc::new(SegqlCodec::new(store));
    Ok(SessionStateBuilder::new()
        .with_default_features()
        .with_config(cluster_config(config))
        .with_query_planner(Arc::new(ClusterPlanner::new(scheduler, codec)))
        .build())
}

/// A context on the cluster whose scheduler is at `address` (`df://host:port`), with every
/// segql function registered over `store` and quoted file paths usable as tables.
pub async fn connect(address: &str, store: Arc<dyn ModelStore>) -> Result<SessionContext> {
    let state = session_state(
        address,
        SessionConfig::new().with_information_schema(true),
        Arc::clone(&store),
    )?;
    let ctx = SessionContext::new_with_state(state).enable_url_table();
    crate::register_with_store(&ctx, store)?;
    Ok(ctx)
}

/// A session state with segql's scalar and aggregate functions, for the scheduler's and the
/// executors' registries (functions go by name between machines).
fn with_segql_functions(state: SessionState, store: &Arc<dyn ModelStore>) -> SessionState {
    let ctx = SessionContext::new_with_state(state);
    for udf in crate::scalar_functions(store) {
        ctx.register_udf(udf.as_ref().clone());
    }
    for udaf in crate::aggregate_functions() {
        ctx.register_udaf(udaf.as_ref().clone());
    }
    ctx.state()
}
