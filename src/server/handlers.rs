//! The Postgres protocol handlers of one connection: datafusion-postgres's query service
//! (parsing, `pg_catalog`, type mapping, `SET`/`SHOW`, cursors) behind segql's checks: the
//! sandbox, the size limit, and a [`QueryGuard`] for timeouts, cancel requests and
//! disconnects. Login is SCRAM-SHA-256 against [`Users`], or open on loopback with no users.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::DataFusionError;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;
use datafusion_postgres::arrow_pg::datatypes::df::encode_dataframe;
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use datafusion_postgres::{DfSessionService, Parser, QueryHook};
use futures::Sink;
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::ScramAuth;
use pgwire::api::auth::{DefaultServerParameterProvider, StartupHandler};
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, Response};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{
    ClientInfo, ClientPortalStore, ConnectionManager, ErrorHandler, PgWireServerHandlers, Type,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::types::format::FormatOptions;
use tokio::sync::watch;

use super::flatten::flatten_struct_columns;
use super::limits::{QueryGuard, guard_response, query_too_long};
use super::parameters::{keep_declared_parameters, type_cast_placeholders};
use super::sandbox::check_sql;
use super::savepoints::SavepointHook;
use super::sql_compat::{rewrite_for_datafusion, wire_column_name};
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
}

impl ConnectionHandlers {
    /// Handlers over `ctx` (this connection's own context); `admitted` is false when the
    /// connection is over `--max-connections` and must be refused at start-up; `closed` turns
    /// true when the client's socket closes.
    pub fn new(
        shared: Arc<Shared>,
        ctx: Arc<SessionContext>,
        admitted: bool,
        closed: watch::Receiver<bool>,
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

fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".to_string(),
        code.to_string(),
        message,
    )))
}

enum Login {
    Scram(Box<SASLAuthStartupHandler<DefaultServerParameterProvider>>),
    Open(OpenLogin),
}

/// Login without a password (no users configured, loopback only).
struct OpenLogin {
    connections: Arc<ConnectionManager>,
}

impl NoopStartupHandler for OpenLogin {
    fn connection_manager(&self) -> Option<Arc<ConnectionManager>> {
        Some(Arc::clone(&self.connections))
    }
}

struct Startup {
    login: Login,
    admitted: bool,
    require_tls: bool,
    max_connections: usize,
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if matches!(message, PgWireFrontendMessage::Startup(_)) {
            if !self.admitted {
                return Err(fatal(
                    "53300",
                    format!(
                        "sorry, too many clients already: this server accepts {} connections \
                         at once (--max-connections)",
                        self.max_connections
                    ),
                ));
            }
            if self.require_tls && !client.is_secure() {
                return Err(fatal(
                    "28000",
                    "this server requires an encrypted connection (--require-tls): connect \
                     with sslmode=require"
                        .to_string(),
                ));
            }
        }
        match &self.login {
            Login::Scram(handler) => handler.on_startup(client, message).await,
            Login::Open(handler) => handler.on_startup(client, message).await,
        }
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

/// The statement type of datafusion-postgres's extended protocol: the SQL, and its parsed
/// statement and logical plan.
type Statement = <DfSessionService as ExtendedQueryHandler>::Statement;

/// datafusion-postgres's parser behind the size limit and the sandbox.
pub struct SandboxParser {
    inner: Arc<Parser>,
    max_query_bytes: usize,
}

impl SandboxParser {
    fn admit(&self, sql: &str) -> PgWireResult<()> {
        if sql.len() > self.max_query_bytes {
            return Err(query_too_long(sql.len(), self.max_query_bytes));
        }
        check_sql(sql).map_err(|refused| {
            PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".to_string(),
                "42501".to_string(),
                refused.0,
            )))
        })
    }
}

#[async_trait]
impl QueryParser for SandboxParser {
    type Statement = Statement;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Self::Statement>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        self.admit(sql)?;
        let rewritten = rewrite_for_datafusion(sql);
        let sql = rewritten.as_deref().unwrap_or(sql);
        let parsed = self.inner.parse_sql(client, sql, types).await?;
        Ok(match parsed {
            Some((text, Some((statement, plan)))) => {
                let plan = type_cast_placeholders(plan)
                    .and_then(|plan| keep_declared_parameters(plan, types))
                    .and_then(flatten_struct_columns)
                    .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
                Some((text, Some((statement, plan))))
            }
            other => other,
        })
    }

    fn get_parameter_types(&self, stmt: &Self::Statement) -> PgWireResult<Vec<Type>> {
        self.inner.get_parameter_types(stmt)
    }

    fn get_result_schema(
        &self,
        stmt: &Self::Statement,
        column_format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(wire_fields(
            self.inner.get_result_schema(stmt, column_format)?,
        ))
    }
}

/// Runs a connection's statements through datafusion-postgres, guarded. Simple-protocol
/// statements are planned here (with datafusion-postgres's parser, hooks and encoder) so that
/// struct columns can be spread before the row description is sent.
pub struct QueryService {
    inner: Arc<DfSessionService>,
    ctx: Arc<SessionContext>,
    hooks: Vec<Arc<dyn QueryHook>>,
    sql_parser: PostgresCompatibilityParser,
    parser: Arc<SandboxParser>,
    shared: Arc<Shared>,
    closed: watch::Receiver<bool>,
}

impl QueryService {
    /// Plan each statement of a simple query: a hook's answer, or a DataFrame with its struct
    /// columns spread, encoded as text.
    async fn plan_simple<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let api = |e: DataFusionError| PgWireError::ApiError(Box::new(e));
        let statements = self
            .sql_parser
            .parse(query)
            .map_err(|e| PgWireError::ApiError(Box::new(e)))?;
        if statements.is_empty() {
            return Ok(vec![Response::EmptyQuery]);
        }
        let mut responses = Vec::with_capacity(statements.len());
        'statements: for statement in statements {
            for hook in &self.hooks {
                if let Some(answer) = hook
                    .handle_simple_query(&statement, &self.ctx, client)
                    .await
                {
                    responses.push(answer?);
                    continue 'statements;
                }
            }
            let frame = self.ctx.sql(&statement.to_string()).await.map_err(api)?;
            let (state, plan) = frame.into_parts();
            let frame = DataFrame::new(state, flatten_struct_columns(plan).map_err(api)?);
            let options = Arc::new(FormatOptions::from_client_metadata(client.metadata()));
            let encoded = encode_dataframe(frame, &Format::UnifiedText, Some(options)).await?;
            responses.push(Response::Query(encoded));
        }
        Ok(responses)
    }
}

#[async_trait]
impl SimpleQueryHandler for QueryService {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.parser.admit(query)?;
        let rewritten = rewrite_for_datafusion(query);
        let query = rewritten.as_deref().unwrap_or(query);
        let mut guard =
            QueryGuard::start(client, self.shared.statement_timeout, self.closed.clone());
        let responses = tokio::select! {
            responses = self.plan_simple(client, query) => responses?,
            reason = guard.stopped() => return Err(reason.to_error()),
        };
        Ok(responses
            .into_iter()
            .map(|response| guard_response(with_wire_names(response), guard.clone()))
            .collect())
    }
}

#[async_trait]
impl ExtendedQueryHandler for QueryService {
    type Statement = Statement;
    type QueryParser = SandboxParser;

    fn query_parser(&self) -> Arc<Self::QueryParser> {
        Arc::clone(&self.parser)
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Self::Statement>,
        max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut guard =
            QueryGuard::start(client, self.shared.statement_timeout, self.closed.clone());
        let response = tokio::select! {
            response = ExtendedQueryHandler::do_query(self.inner.as_ref(), client, portal, max_rows) => response?,
            reason = guard.stopped() => return Err(reason.to_error()),
        };
        Ok(guard_response(with_wire_names(response), guard))
    }
}

/// `response` with its columns named as Postgres names them (see [`wire_column_name`]).
fn with_wire_names(response: Response) -> Response {
    match response {
        Response::Query(mut query) => {
            query.row_schema = Arc::new(wire_fields(query.row_schema.as_ref().clone()));
            Response::Query(query)
        }
        other => other,
    }
}

fn wire_fields(fields: Vec<FieldInfo>) -> Vec<FieldInfo> {
    fields
        .into_iter()
        .map(|field| {
            let name = wire_column_name(field.name());
            if name == field.name() {
                return field;
            }
            FieldInfo::new(
                name.to_string(),
                field.table_id(),
                field.column_id(),
                field.datatype().clone(),
                field.format(),
            )
            .with_format_options(Arc::clone(field.format_options()))
            .with_type_size(field.type_size())
            .with_type_modifier(field.type_modifier())
        })
        .collect()
}
