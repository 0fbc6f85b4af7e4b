//! Files in S3 named in a query (`rfm('s3://shop/sales.parquet')`), read by segql's own scan.
//!
//! The object stores registered on a datafusion-python context stay on its side of the FFI,
//! so segql registers its own for each bucket a query names, configured the standard way:
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` for
//! S3-compatible stores (plain http endpoints allowed).

use std::sync::Arc;

use datafusion::common::{DataFusionError, Result};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::SessionContext;
use object_store::aws::AmazonS3Builder;
use url::Url;

/// The `s3://bucket` roots of the quoted S3 locations in `sql`.
fn s3_buckets(sql: &str) -> Vec<Url> {
    sql.split('\'')
        .skip(1)
        .step_by(2)
        .filter_map(|quoted| {
            let lower = quoted.to_ascii_lowercase();
            let rest = lower.strip_prefix("s3://")?;
            let bucket = rest.split('/').next().filter(|b| !b.is_empty())?;
            Url::parse(&format!("s3://{bucket}")).ok()
        })
        .collect()
}

/// Register a store for each S3 bucket `sql` names that `ctx` cannot reach yet.
pub fn register_s3_stores(ctx: &SessionContext, sql: &str) -> Result<()> {
    let runtime = ctx.runtime_env();
    for root in s3_buckets(sql) {
        if runtime
            .object_store(ObjectStoreUrl::parse(root.as_str())?)
            .is_ok()
        {
            continue;
        }
        let bucket = root.host_str().unwrap_or_default();
        let endpoint = std::env::var("AWS_ENDPOINT_URL")
            .or_else(|_| std::env::var("AWS_ENDPOINT"))
            .ok();
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Some(endpoint) = endpoint {
            builder = builder
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(endpoint);
        }
        let store = builder.build().map_err(|e| {
            DataFusionError::Plan(format!(
                "cannot reach {root}: {e}; set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and \
                 AWS_REGION (and AWS_ENDPOINT_URL for an S3-compatible store)"
            ))
        })?;
        runtime.register_object_store(&root, Arc::new(store));
    }
    Ok(())
}

/// `error` with what to do when it says a table registered in Python lives in an object
/// store segql cannot see.
pub fn explain_missing_store(error: DataFusionError) -> DataFusionError {
    let text = error.to_string();
    match text.split_once("No suitable object store found for ") {
        Some((_, rest)) => {
            let url = rest
                .split_whitespace()
                .next()
                .unwrap_or(rest)
                .trim_end_matches('.');
            DataFusionError::Execution(format!(
                "segql cannot read {url}: it is a table registered on the Python context with \
                 the context's object store, which stays on datafusion-python's side. Name the \
                 file in the query instead, rfm('{url}'), with AWS_ACCESS_KEY_ID, \
                 AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ENDPOINT_URL set"
            ))
        }
        None => error,
    }
}
