//! Running a connection's statements: the sandbox and size checks, segql's SQL rewrites,
//! datafusion-postgres's planning and encoding, and the [`QueryGuard`] of each statement.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::DataFusionError;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;
use datafusion_postgres::arrow_pg::datatypes::df::encode_dataframe;
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_postgres::{DfSessionService, Parser, QueryHook};
use futures::Sink;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::results::{FieldInfo, Response};
use pgwire::api::stmt::QueryParser;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::types::format::FormatOptions;
use tokio::sync::watch;

use super::flatten::flatten_struct_columns;
use super::handlers::Shared;
use super::limits::{QueryGuard, guard_response, query_too_long};
use super::parameters::{keep_declared_parameters, type_cast_placeholders};
use super::sandbox::check_sql;
use super::sql_compat::{rewrite_for_datafusion, wire_column_name};

/// The statement type of datafusion-postgres's extended protocol: the SQL, and its parsed
/// statement and logical plan.
type Statement = <DfSessionService as ExtendedQueryHandler>::Statement;

/// datafusion-postgres's parser behind the size limit and the sandbox.
pub struct SandboxParser {
    pub(super) inner: Arc<Parser>,
    pub(super) max_query_bytes: usize,
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
    pub(super) inner: Arc<DfSessionService>,
    pub(super) ctx: Arc<SessionContext>,
    pub(super) hooks: Vec<Arc<dyn QueryHook>>,
    pub(super) sql_parser: PostgresCompatibilityParser,
    pub(super) parser: Arc<SandboxParser>,
    pub(super) shared: Arc<Shared>,
    pub(super) closed: watch::Receiver<bool>,
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
