//! The object stores of an executor: a task that reads `s3://`, `gs://` or `http(s)://` builds
//! the store from the URL and the executor's environment the first time, as the client did from
//! its own (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL for an S3-compatible store, GOOGLE_SERVICE_ACCOUNT
//! ...). Nothing is shipped with the plan: each machine uses its own credentials.

use std::sync::Arc;

use datafusion::common::{Result, exec_datafusion_err};
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use object_store::ClientOptions;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::http::HttpBuilder;
use url::Url;

/// DataFusion's registry, which builds a missing remote store from the environment.
#[derive(Debug, Default)]
pub struct StoresFromEnvironment {
    known: DefaultObjectStoreRegistry,
}

impl ObjectStoreRegistry for StoresFromEnvironment {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.known.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.known.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.known.get_store(url) {
            return Ok(store);
        }
        let store = from_environment(url)?;
        self.known.register_store(url, Arc::clone(&store));
        Ok(store)
    }
}

/// The store for `url`'s bucket or host, configured from the environment.
fn from_environment(url: &Url) -> Result<Arc<dyn ObjectStore>> {
    let host = url.host_str().unwrap_or_default();
    let built: object_store::Result<Arc<dyn ObjectStore>> = match url.scheme() {
        "s3" => {
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(host);
            if let Some(endpoint) =
                env_first(&["AWS_ENDPOINT_URL", "AWS_ENDPOINT", "AWS_ENDPOINT_URL_S3"])
            {
                if env_first(&["AWS_REGION", "AWS_DEFAULT_REGION"]).is_none() {
                    builder = builder.with_region("us-east-1");
                }
                builder = builder
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_endpoint(endpoint);
            }
            builder.build().map(|s| Arc::new(s) as _)
        }
        "gs" | "gcs" => GoogleCloudStorageBuilder::from_env()
            .with_bucket_name(host)
            .build()
            .map(|s| Arc::new(s) as _),
        "http" | "https" => HttpBuilder::new()
            .with_client_options(ClientOptions::new().with_allow_http(true))
            .with_url(url.origin().ascii_serialization())
            .build()
            .map(|s| Arc::new(s) as _),
        other => {
            return Err(exec_datafusion_err!(
                "this executor cannot read '{other}://' locations (s3, gs, http and local files only)"
            ));
        }
    };
    built.map_err(|e| exec_datafusion_err!("this executor cannot open {url}: {e}"))
}

/// The first of `keys` set to something in the environment.
fn env_first(keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}
