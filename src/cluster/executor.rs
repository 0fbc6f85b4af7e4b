//! `segql executor`: Ballista's executor with segql's codec and functions.

use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use datafusion::common::Result;
use datafusion::execution::object_store::ObjectStoreRegistry;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::SessionConfig;

use super::codec::SegqlCodec;
use super::object_stores::StoresFromEnvironment;
use super::scheduler::ballista;
use super::with_segql_functions;
use crate::model::ModelStore;

/// Where an executor listens and whom it works for.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// The address to listen on.
    pub bind_host: String,
    /// The name the scheduler and the other executors reach it by.
    pub external_host: String,
    /// The Arrow Flight port other executors and clients fetch shuffle data from.
    pub port: u16,
    /// The gRPC port the scheduler sends tasks to.
    pub grpc_port: u16,
    /// Tasks run at once (0: one per core).
    pub concurrent_tasks: usize,
    /// Where shuffle files go (a temporary directory when `None`).
    pub work_dir: Option<PathBuf>,
}

/// Run an executor until the process stops, saving and reading models in `store`.
pub async fn run_executor(options: ExecutorOptions, store: Arc<dyn ModelStore>) -> Result<()> {
    let state = with_segql_functions(default_session_builder(SessionConfig::new())?, &store);
    let stores: Arc<dyn ObjectStoreRegistry> = Arc::new(StoresFromEnvironment::default());
    let config = ExecutorProcessConfig {
        bind_host: options.bind_host,
        external_host: Some(options.external_host),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host,
        scheduler_port: options.scheduler_port,
        vcores: options.concurrent_tasks,
        work_dir: options.work_dir.map(|d| d.display().to_string()),
        override_physical_codec: Some(Arc::new(SegqlCodec::new(store))),
        override_function_registry: Some(Arc::new(BallistaFunctionRegistry::from(&state))),
        override_runtime_producer: Some(Arc::new(move |_config: &SessionConfig| {
            RuntimeEnvBuilder::new()
                .with_object_store_registry(Arc::clone(&stores))
                .build_arc()
        })),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(ballista)
}
