//! Files where analysts keep them: `s3://`, `gs://` (`gcs://`) and `http(s)://` locations as
//! tables, in `CREATE EXTERNAL TABLE` and as `COPY ... TO` targets.
//!
//! Stores are built with datafusion-cli's builders, so credentials come the usual way: for S3
//! the AWS environment variables and config files (`AWS_ACCESS_KEY_ID`, `AWS_PROFILE`,
//! `AWS_REGION`, ...) and `AWS_ENDPOINT_URL` for S3-compatible stores; for Google Cloud Storage
//! `GOOGLE_SERVICE_ACCOUNT` (a key file) or application default credentials. One store is
//! registered per bucket or host, the first time a location there is used. Failures become one
//! line naming the URL and what to set, never "No suitable object store found".
//!
//! ```sql
//! SELECT * FROM rfm('s3://shop/sales/*.parquet');
//! CREATE EXTERNAL TABLE web STORED AS PARQUET LOCATION 'https://example.com/sales.parquet';
//! COPY (SELECT * FROM rfm(web)) TO 's3://shop/out/rfm.parquet';
//! ```

use std::sync::Arc;

use datafusion::common::config::TableOptions;
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::execution::context::SessionState;
use datafusion_cli::object_storage::{
    AwsOptions, GcpOptions, get_gcs_object_store_builder, get_s3_object_store_builder,
};
use futures::StreamExt;
use object_store::http::HttpBuilder;
use object_store::{ClientOptions, ObjectStore};
use url::Url;

/// The URL schemes segql reads and writes besides local files.
pub const SCHEMES: &[&str] = &["s3", "gs", "gcs", "http", "https"];

/// The scheme of `location` when it is one of [`SCHEMES`].
pub fn remote_scheme(location: &str) -> Option<&'static str> {
    let (scheme, rest) = location.split_once("://")?;
    if rest.is_empty() {
        return None;
    }
    SCHEMES
        .iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(scheme))
}

/// Make `location` usable in `state`'s runtime: register a store for its bucket or host unless
/// one is registered already. `options` carries `aws.*` / `gcp.*` table options, if any.
pub async fn register_store_for(
    state: &SessionState,
    location: &str,
    options: &TableOptions,
) -> Result<()> {
    let Some(scheme) = remote_scheme(location) else {
        return Ok(());
    };
    let url = Url::parse(location)
        .map_err(|e| DataFusionError::Plan(format!("'{location}' is not a valid URL: {e}")))?;
    let runtime = state.runtime_env();
    if runtime
        .object_store(ListingTableUrl::parse(location)?)
        .is_ok()
    {
        return Ok(());
    }
    let store = build_store(scheme, &url, options)
        .await
        .map_err(|e| explain(location, &e))?;
    runtime.register_object_store(&url, store);
    Ok(())
}

async fn build_store(
    scheme: &str,
    url: &Url,
    options: &TableOptions,
) -> Result<Arc<dyn ObjectStore>> {
    Ok(match scheme {
        "s3" => {
            let mut aws = options
                .extensions
                .get::<AwsOptions>()
                .cloned()
                .unwrap_or_default();
            // An S3-compatible store needs no AWS region lookup, and one on plain http is
            // what its endpoint says.
            let endpoint = aws.endpoint.clone().or_else(env_endpoint);
            if let Some(endpoint) = &endpoint {
                if aws.region.is_none() && env_region().is_none() {
                    aws.region = Some("us-east-1".to_string());
                }
                if endpoint.starts_with("http://") && aws.allow_http.is_none() {
                    aws.allow_http = Some(true);
                }
            }
            Arc::new(
                get_s3_object_store_builder(url, &aws, false)
                    .await?
                    .build()?,
            )
        }
        "gs" | "gcs" => {
            let gcp = options
                .extensions
                .get::<GcpOptions>()
                .cloned()
                .unwrap_or_default();
            Arc::new(get_gcs_object_store_builder(url, &gcp)?.build()?)
        }
        _ => Arc::new(
            HttpBuilder::new()
                .with_client_options(ClientOptions::new().with_allow_http(true))
                .with_url(url.origin().ascii_serialization())
                .build()?,
        ),
    })
}

fn env_endpoint() -> Option<String> {
    ["AWS_ENDPOINT_URL", "AWS_ENDPOINT", "AWS_ENDPOINT_URL_S3"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

fn env_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

/// Check that `location` (registered with [`register_store_for`]) holds at least one file,
/// so that a wrong bucket or missing credentials are reported as such rather than as a table
/// that is not there.
pub async fn check_readable(state: &SessionState, location: &str) -> Result<()> {
    let table = ListingTableUrl::parse(location)?;
    let store = state.runtime_env().object_store(&table)?;
    let mut files = table
        .list_all_files(state, store.as_ref(), "")
        .await
        .map_err(|e| explain(location, &e))?;
    match files.next().await {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(explain(location, &e)),
        None => Err(DataFusionError::Plan(format!(
            "cannot read {location}: nothing there (no such file or prefix)"
        ))),
    }
}

/// Words of object-store errors that mean the request was refused.
const DENIED: &[&str] = &[
    "403",
    "401",
    "accessdenied",
    "access denied",
    "permission denied",
    "unauthenticated",
    "invalidaccesskeyid",
    "signaturedoesnotmatch",
];
/// ... that the server could not be reached.
const UNREACHABLE: &[&str] = &[
    "connection refused",
    "error sending request",
    "dns error",
    "timed out",
];
/// ... that nothing is there (a plain web server answers a directory listing with 501).
const MISSING: &[&str] = &["not found", "404", "nosuchkey", "501 not implemented"];

/// An object-store failure at `location` as one line: what happened and what to set.
pub fn explain(location: &str, error: &DataFusionError) -> DataFusionError {
    let text = error_chain(error);
    let lower = text.to_ascii_lowercase();
    let scheme = remote_scheme(location).unwrap_or("");
    let credentials = match scheme {
        "s3" => {
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to credentials that \
             may read it, and AWS_ENDPOINT_URL for an S3-compatible store"
        }
        "gs" | "gcs" => {
            "set GOOGLE_SERVICE_ACCOUNT to a service account key file (or GOOGLE_APPLICATION_CREDENTIALS) \
             that may read it"
        }
        _ => "check the URL and that the server lets you read it",
    };
    let reason = if lower.contains("nosuchbucket") || lower.contains("bucket does not exist") {
        "the bucket does not exist; check the name, or set AWS_ENDPOINT_URL if it lives on an \
         S3-compatible store"
            .to_string()
    } else if DENIED.iter().any(|word| lower.contains(word)) {
        format!("access denied; {credentials}")
    } else if lower.contains("credential") {
        format!("no usable credentials; {credentials}")
    } else if UNREACHABLE.iter().any(|word| lower.contains(word)) {
        let endpoint = match scheme {
            "s3" => env_endpoint().map(|e| format!(" ({e}, from AWS_ENDPOINT_URL)")),
            _ => None,
        }
        .unwrap_or_default();
        format!("cannot reach the server{endpoint}; check the address and that it is running")
    } else if MISSING.iter().any(|word| lower.contains(word)) {
        "nothing there (no such file or prefix)".to_string()
    } else if let Some(status) = status_line(&text) {
        format!("the server answered {status}")
    } else {
        first_line(&text).to_string()
    };
    let unsigned = if scheme == "s3" && !aws_credentials_configured() {
        format!(" (no AWS credentials were found, so the request went unsigned: {credentials})")
    } else {
        String::new()
    };
    DataFusionError::Plan(format!("cannot read {location}: {reason}{unsigned}"))
}

/// Whether any of the usual AWS credential sources is set up.
fn aws_credentials_configured() -> bool {
    let env = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
    let file = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".aws/credentials"))
        })
        .is_some_and(|p| p.exists());
    env || file
}

/// "500 Internal Server Error" out of an object-store message.
fn status_line(text: &str) -> Option<String> {
    let start = text.find("status code: ")? + "status code: ".len();
    let rest = &text[start..];
    let end = rest.find(':').unwrap_or(rest.len());
    Some(rest[..end].trim().to_string())
}

/// The messages of an error and its sources, one after the other.
fn error_chain(error: &DataFusionError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The files directly under the object-store `prefix` (a URL ending in `/`) with one of the
/// `extensions`, as (file stem, URL), sorted. The store must be registered.
pub async fn files_under(
    state: &SessionState,
    prefix: &str,
    extensions: &[&str],
) -> Result<Vec<(String, String)>> {
    let table = ListingTableUrl::parse(prefix)?;
    let store = state.runtime_env().object_store(&table)?;
    let listing = store
        .list_with_delimiter(Some(table.prefix()))
        .await
        .map_err(|e| explain(prefix, &DataFusionError::ObjectStore(Box::new(e))))?;
    let base = prefix.trim_end_matches('/');
    let root = table.prefix().as_ref().to_string();
    let mut files: Vec<(String, String)> = listing
        .objects
        .iter()
        .filter_map(|object| {
            let file = object.location.filename()?;
            let (stem, extension) = file.rsplit_once('.')?;
            let wanted = extensions.contains(&extension.to_ascii_lowercase().as_str());
            let relative = object.location.as_ref().strip_prefix(&root)?;
            (wanted && !stem.is_empty() && !stem.starts_with('.')).then(|| {
                (
                    stem.to_string(),
                    format!("{base}/{}", relative.trim_start_matches('/')),
                )
            })
        })
        .collect();
    files.sort();
    Ok(files)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_locations_are_told_by_their_scheme() {
        assert_eq!(remote_scheme("s3://bucket/x.parquet"), Some("s3"));
        assert_eq!(remote_scheme("GS://bucket/x"), Some("gs"));
        assert_eq!(remote_scheme("https://host/x.csv"), Some("https"));
        for local in ["sales.parquet", "/data/x.csv", "file:///x.csv", "s3://"] {
            assert_eq!(remote_scheme(local), None, "{local}");
        }
    }

    #[test]
    fn failures_name_the_url_and_what_to_set() {
        let denied = DataFusionError::External("Client error with status 403 Forbidden".into());
        let message = explain("s3://shop/x.parquet", &denied).to_string();
        assert!(
            message.contains("cannot read s3://shop/x.parquet: access denied"),
            "{message}"
        );
        assert!(message.contains("AWS_ACCESS_KEY_ID"), "{message}");
        let missing = DataFusionError::External("<Code>NoSuchBucket</Code>".into());
        let message = explain("s3://nope/x.parquet", &missing).to_string();
        assert!(message.contains("the bucket does not exist"), "{message}");
        assert!(!message.contains('\n'));
    }
}
