//! `segql serve`: BI tools and SQL clients (psql, psycopg, SQLAlchemy, Superset, Metabase)
//! query segments over the Postgres wire protocol.
//!
//! The protocol, `pg_catalog` and type mapping are datafusion-postgres's; segql adds what a
//! shared server needs: SCRAM-SHA-256 logins ([`users`]), TLS that fails closed ([`tls`]), a
//! sandbox ([`sandbox`]; quoted paths are confined to `--data`), per-query memory limits
//! ([`context`]), statement timeouts, cancel requests and disconnect detection ([`limits`]),
//! and a connection limit ([`listener`]).
//!
//! ```sql
//! -- psql "host=127.0.0.1 port=5432 user=analyst dbname=segql"
//! SELECT * FROM kmeans_fit(rfm(sales), 4, model => 'rfm_k4');
//! SELECT segment, label, count(*) FROM assign_segment('rfm_k4', rfm(sales)) GROUP BY 1, 2;
//! ```

pub mod catalog_functions;
pub mod catalog_override;
pub mod catalog_vectors;
pub mod context;
pub mod error;
pub mod flatten;
pub mod handlers;
pub mod limits;
pub mod listener;
mod login;
pub mod options;
pub mod parameters;
pub mod pg_proc;
pub mod pg_settings;
mod queries;
pub mod regtype;
pub mod sandbox;
pub mod savepoints;
pub mod sql_compat;
pub mod tls;
pub mod users;

pub use error::ServeError;
pub use listener::{Server, serve};
pub use options::{ServeOptions, parse_size, parse_timeout};
