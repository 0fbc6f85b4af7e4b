//! The Postgres protocol handlers of one connection, put together: logging in
//! (`login`: SCRAM-SHA-256 against [`Users`], or open on loopback with no users) and
//! running statements (`queries`: datafusion-postgres's query service behind segql's
//! sandbox, size limit and statement guard), with errors logged in one line.

use std::sync::Arc;

use datafusion::prelude::SessionContext;
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::{DfSessionService, QueryHook};
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::ScramAuth;
use pgwire::api::auth::{DefaultServerParameterProvider, StartupHandler};
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::{ClientInfo, ConnectionManager, ErrorHandler, PgWireServerHandlers};
use pgwire::error::PgWireError;
use tokio::sync::watch;

use super::login::{Login, OpenLogin, Startup, fatal};
use super::queries::{QueryService, SandboxParser};
use super::savepoints::SavepointHook;
use super::users::Users;

/// What every connection shares.
pub struct Shared {
    /// SCRAM users; empty means open (loopback only).
    pub users: Arc<Users>,
    /// The certificate PEM when TLS is on (enables SCRAM-SHA-256-PLUS).
    pub tls_cert_pem: Option<Vec<u8>>,
    /// Refuse clients that did not negotiate TLS.
    pub require_tls: bool,
    /// Cancel requests find their connection here.
    pub connections: Arc<ConnectionManager>,
    /// Longest a statement may run.
    pub statement_timeout: Option<std::time::Duration>,
    /// Longest statement text.
    pub max_query_bytes: usize,
    /// `--max-connections`, for the refusal message.
    pub max_connections: usize,
}

/// The handlers of one connection.
pub struct ConnectionHandlers {
    shared: Arc<Shared>,
    service: Arc<QueryService>,
    admitted: bool,
    logged_in: Arc<watch::Sender<bool>>,
}

impl ConnectionHandlers {
    /// Handlers over `ctx` (this connection's own context); `admitted` is false when the
    /// connection is over `--max-connections` and must be refused at start-up; `closed` turns
    /// true when the client's socket closes; `logged_in` is set once the client is logged in.
    pub fn new(
        shared: Arc<Shared>,
        ctx: Arc<SessionContext>,
        admitted: bool,
        closed: watch::Receiver<bool>,
        logged_in: Arc<watch::Sender<bool>>,
    ) -> Self {
        let hooks: Vec<Arc<dyn QueryHook>> = vec![
            Arc::new(SavepointHook),
            Arc::new(CursorStatementHook),
            Arc::new(SetShowHook),
            Arc::new(TransactionStatementHook),
        ];
        let inner = Arc::new(DfSessionService::new_with_hooks(
            Arc::clone(&ctx),
            hooks.clone(),
        ));
        let parser = Arc::new(SandboxParser {
            inner: inner.query_parser(),
            max_query_bytes: shared.max_query_bytes,
        });
        let service = Arc::new(QueryService {
            inner,
            ctx,
            hooks,
            sql_parser: PostgresCompatibilityParser::new(),
            parser,
            shared: Arc::clone(&shared),
            closed,
        });
        Self {
            shared,
            service,
            admitted,
            logged_in,
        }
    }
}

impl PgWireServerHandlers for ConnectionHandlers {
    fn simple_query_handler(&self) -> Arc<impl SimpleQueryHandler> {
        Arc::clone(&self.service)
    }

    fn extended_query_handler(&self) -> Arc<impl ExtendedQueryHandler> {
        Arc::clone(&self.service)
    }

    fn startup_handler(&self) -> Arc<impl StartupHandler> {
        let login = if self.shared.users.is_empty() {
            Login::Open(OpenLogin {
                connections: Arc::clone(&self.shared.connections),
            })
        } else {
            let mut scram = ScramAuth::new(Arc::clone(&self.shared.users) as _);
            if let Some(pem) = &self.shared.tls_cert_pem {
                // Channel binding is an extra; a certificate it cannot use leaves plain SCRAM.
                let _ = scram.configure_certificate(pem);
            }
            let sasl =
                SASLAuthStartupHandler::new(Arc::new(DefaultServerParameterProvider::default()))
                    .with_scram(scram)
                    .with_connection_manager(Arc::clone(&self.shared.connections));
            Login::Scram(Box::new(sasl))
        };
        Arc::new(Startup {
            login,
            admitted: self.admitted,
            require_tls: self.shared.require_tls,
            max_connections: self.shared.max_connections,
            logged_in: Arc::clone(&self.logged_in),
        })
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        Arc::new(DefaultCancelHandler::new(Arc::clone(
            &self.shared.connections,
        )))
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(LogErrors)
    }
}

/// Logs each error sent to a client on the server's standard error, and names the user in a
/// failed login as Postgres does (pgwire's SCRAM check does not know it).
struct LogErrors;

impl ErrorHandler for LogErrors {
    fn on_error<C>(&self, client: &C, error: &mut PgWireError)
    where
        C: ClientInfo,
    {
        let user = client
            .metadata()
            .get("user")
            .map(String::as_str)
            .unwrap_or("-");
        if matches!(error, PgWireError::InvalidPassword(_)) {
            *error = fatal(
                "28P01",
                format!("password authentication failed for user \"{user}\""),
            );
        }
        eprintln!(
            "segql serve: {} ({user}): {}",
            client.socket_addr(),
            first_line(&error.to_string())
        );
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
