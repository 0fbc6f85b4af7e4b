//! Why `segql serve` would not start. Each message names the option at fault.

use std::path::PathBuf;

use datafusion::common::DataFusionError;

/// A reason the server refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The users file is missing, unreadable or malformed.
    #[error("--users {path}: {reason}")]
    Users {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line number where there is one.
        reason: String,
    },
    /// SEGQL_USER / SEGQL_PASSWORD are set inconsistently.
    #[error("{0}")]
    UsersEnv(String),
    /// Listening beyond loopback with no users would let anyone in.
    #[error(
        "--host {host} is not a loopback address and no users are configured: give --users FILE \
         (lines of user:password) or SEGQL_USER and SEGQL_PASSWORD, or listen on 127.0.0.1"
    )]
    OpenToNetwork {
        /// The address asked for.
        host: String,
    },
    /// TLS was asked for and cannot be set up; the server does not fall back to plaintext.
    #[error("TLS: {0} (the server does not start without the TLS it was asked for)")]
    Tls(String),
    /// The address cannot be listened on.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// host:port
        address: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// `--data` is not a readable directory.
    #[error("--data {path}: {reason}")]
    Data {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Registering tables or functions failed.
    #[error("{0}")]
    Setup(#[from] DataFusionError),
}
