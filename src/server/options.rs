//! What `segql serve` is told on its command line, and the parsers of its sizes and durations.
//!
//! ```text
//! segql serve --data demo/ --users users.txt --host 0.0.0.0 --memory-limit 2GiB \
//!             --statement-timeout 5min --max-connections 64
//! ```

use std::path::PathBuf;
use std::time::Duration;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (default 127.0.0.1).
    pub host: String,
    /// Port to listen on (default 5432).
    pub port: u16,
    /// Files or directories registered as tables, named after their stem.
    pub files: Vec<PathBuf>,
    /// Every CSV/Parquet/JSON file (or directory of them) directly under this directory is a
    /// table; quoted paths in queries may name files under it, and nothing else.
    pub data: Option<PathBuf>,
    /// Register `rows` built-in demo transactions as table `sales`.
    pub demo_rows: Option<usize>,
    /// The model store directory.
    pub models: PathBuf,
    /// A file of `user:password` lines (SCRAM-SHA-256 authentication).
    pub users_file: Option<PathBuf>,
    /// PEM certificate chain for TLS.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    pub tls_key: Option<PathBuf>,
    /// Refuse clients that do not encrypt the connection.
    pub require_tls: bool,
    /// Refuse model writes (`model =>` and `drop_model`) as well.
    pub read_only: bool,
    /// Memory one query may hold before it spills or fails, in bytes.
    pub memory_limit: usize,
    /// Longest a statement may run; `None` for no limit. Clients may lower it with
    /// `SET statement_timeout`, never raise it.
    pub statement_timeout: Option<Duration>,
    /// Most clients connected at once.
    pub max_connections: usize,
    /// Longest a client may take from connecting to being logged in; a client that has not
    /// finished the start-up by then is disconnected, freeing its connection slot.
    pub startup_timeout: Duration,
    /// Longest SQL text accepted, in bytes.
    pub max_query_bytes: usize,
    /// Run queries over data on the Ballista cluster whose scheduler is at this address
    /// (`df://host:port`; feature `ballista`); catalog queries are answered here.
    pub cluster: Option<String>,
}

impl ServeOptions {
    /// The defaults of `segql serve` with no options.
    pub fn new() -> Self {
        Self {
            host: "127.0.0.1".to_string(),
            port: 5432,
            files: Vec::new(),
            data: None,
            demo_rows: None,
            models: PathBuf::from("segql_models"),
            users_file: None,
            tls_cert: None,
            tls_key: None,
            require_tls: false,
            read_only: false,
            memory_limit: 2 << 30,
            statement_timeout: Some(Duration::from_secs(300)),
            max_connections: 64,
            startup_timeout: Duration::from_secs(10),
            max_query_bytes: 1 << 20,
            cluster: None,
        }
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// `"1.5 KiB"` → `(1.5, "kib")`: the leading number and the lower-cased unit after it.
fn number_and_unit(text: &str) -> Option<(f64, String)> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value = number.parse().ok()?;
    Some((value, unit.trim().to_ascii_lowercase()))
}

/// Parse a size such as `512MiB`, `2GB`, `1g` or `1048576` (bytes).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let (value, unit) = number_and_unit(text)
        .ok_or_else(|| format!("'{text}' is not a size (expected e.g. 512MiB, 2GiB or 1048576)"))?;
    let scale: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0_f64.powi(4),
        other => {
            return Err(format!(
                "'{text}': unknown size unit '{other}' (expected B, KiB, MiB, GiB or TiB)"
            ));
        }
    };
    let bytes = value * scale;
    if !bytes.is_finite() || bytes < 1.0 || bytes > usize::MAX as f64 {
        return Err(format!(
            "'{text}' is out of range (expected at least 1 byte)"
        ));
    }
    Ok(bytes as usize)
}

/// Parse a duration such as `300s`, `5min`, `1500ms`, `1h` or `0` (zero: no limit), as
/// Postgres writes `statement_timeout`; a bare number is milliseconds, as in Postgres.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let (value, unit) = number_and_unit(text)
        .ok_or_else(|| format!("'{text}' is not a duration (expected e.g. 30s, 5min or 0)"))?;
    let millis = match unit.as_str() {
        "" | "ms" => value,
        "s" | "sec" => value * 1e3,
        "min" | "m" => value * 60e3,
        "h" => value * 3600e3,
        other => {
            return Err(format!(
                "'{text}': unknown duration unit '{other}' (expected ms, s, min or h)"
            ));
        }
    };
    if !millis.is_finite() || millis < 0.0 {
        return Err(format!("'{text}' is out of range"));
    }
    Ok(Duration::from_millis(millis as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("1.5 KiB"), Ok(1536));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(
            parse_size("3 parsecs")
                .unwrap_err()
                .contains("unknown size unit")
        );
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("0"), Ok(Duration::ZERO));
        assert_eq!(parse_timeout("1500"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("5min"), Ok(Duration::from_secs(300)));
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("3 fortnights").is_err());
    }
}
