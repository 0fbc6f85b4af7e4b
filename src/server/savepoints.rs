//! `SAVEPOINT`, `RELEASE SAVEPOINT` and `ROLLBACK TO SAVEPOINT` answered as Postgres answers
//! them. Drivers send them on their own (psycopg's nested `transaction()`, which SQLAlchemy
//! uses); segql's statements are reads and model fits, so there is nothing to undo, as with
//! datafusion-postgres's `BEGIN`/`COMMIT`.
//!
//! ```sql
//! BEGIN; SAVEPOINT s1; SELECT * FROM rfm(sales); RELEASE SAVEPOINT s1; COMMIT;
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::{DFSchema, ParamValues};
use datafusion::logical_expr::{EmptyRelation, LogicalPlan};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion_postgres::QueryHook;
use datafusion_postgres::hooks::HookClient;
use pgwire::api::ClientInfo;
use pgwire::api::results::{Response, Tag};
use pgwire::error::PgWireResult;

/// Answers savepoint statements with their Postgres command tags.
#[derive(Debug)]
pub struct SavepointHook;

fn tag(statement: &Statement) -> Option<&'static str> {
    match statement {
        Statement::Savepoint { .. } => Some("SAVEPOINT"),
        Statement::ReleaseSavepoint { .. } => Some("RELEASE"),
        Statement::Rollback {
            savepoint: Some(_), ..
        } => Some("ROLLBACK"),
        _ => None,
    }
}

#[async_trait]
impl QueryHook for SavepointHook {
    async fn handle_simple_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        tag(statement).map(|t| Ok(Response::Execution(Tag::new(t))))
    }

    async fn handle_extended_parse_query(
        &self,
        statement: &Statement,
        _ctx: &SessionContext,
        _client: &(dyn ClientInfo + Send + Sync),
    ) -> Option<PgWireResult<LogicalPlan>> {
        tag(statement).map(|_| {
            Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                produce_one_row: false,
                schema: Arc::new(DFSchema::empty()),
            }))
        })
    }

    async fn handle_extended_query(
        &self,
        statement: &Statement,
        _plan: &LogicalPlan,
        _params: &ParamValues,
        _ctx: &SessionContext,
        _client: &mut dyn HookClient,
    ) -> Option<PgWireResult<Response>> {
        tag(statement).map(|t| Ok(Response::Execution(Tag::new(t))))
    }
}
