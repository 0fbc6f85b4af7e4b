//! `segql scheduler`: Ballista's scheduler with segql's codec and functions.

use std::sync::Arc;

use ballista_core::utils::default_session_builder;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::{SchedulerConfig, TaskDistributionPolicy};
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::object_store::ObjectStoreRegistry;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use tokio::net::TcpListener;

use super::codec::SegqlCodec;
use super::object_stores::StoresFromEnvironment;
use super::with_segql_functions;
use crate::model::ModelStore;

/// Run a scheduler on `listener` until the process stops; `external_host` is the name
/// executors and clients reach it by, `store` the model store its plans refer to.
pub async fn run_scheduler(
    listener: TcpListener,
    external_host: &str,
    store: Arc<dyn ModelStore>,
) -> Result<()> {
    let port = listener.local_addr()?.port();
    let builder_store = Arc::clone(&store);
    // plans name their files' stores, which the scheduler opens to decode them
    let stores: Arc<dyn ObjectStoreRegistry> = Arc::new(StoresFromEnvironment::default());
    let config = SchedulerConfig {
        bind_host: listener.local_addr()?.ip().to_string(),
        bind_port: port,
        external_host: external_host.to_string(),
        // every executor takes a share of each stage's tasks, rather than the first filling up
        task_distribution: TaskDistributionPolicy::RoundRobin,
        override_physical_codec: Some(Arc::new(SegqlCodec::new(store))),
        override_session_builder: Some(Arc::new(move |config: SessionConfig| {
            let runtime = RuntimeEnvBuilder::new()
                .with_object_store_registry(Arc::clone(&stores))
                .build_arc()?;
            let state = SessionStateBuilder::new_from_existing(default_session_builder(config)?)
                .with_runtime_env(runtime)
                .build();
            Ok(with_segql_functions(state, &builder_store))
        })),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(ballista)?;
    let scheduler =
        create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, Arc::new(config))
            .await
            .map_err(ballista)?;
    start_grpc_service_with_listener(listener, scheduler)
        .await
        .map_err(ballista)
}

/// A Ballista error as DataFusion's.
pub(crate) fn ballista(e: ballista_core::error::BallistaError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}
