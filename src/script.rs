//! Running a script of SQL statements against a session, statement by statement.
//!
//! Statements are split by DataFusion's own parser (so `;` inside strings is fine) and planned
//! with the session state, exactly as a single `ctx.sql(...)` would plan them.

use datafusion::arrow::array::RecordBatch;
use datafusion::common::{DataFusionError, Result};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;
use datafusion::sql::sqlparser::dialect::dialect_from_str;

/// One executed statement: its SQL text and its result.
#[derive(Debug)]
pub struct StatementResult {
    /// The statement as parsed (re-printed by the parser).
    pub sql: String,
    /// The result batches (empty for DDL).
    pub batches: Vec<RecordBatch>,
}

/// Run every statement of `script` in order and collect each one's result, stopping at the
/// first error (the shell's `run_script` prints them instead).
///
/// ```sql
/// -- a script such as sql/segmentation.sql:
/// CREATE VIEW customers AS SELECT * FROM rfm(sales);
/// SELECT segment, count(*) FROM customers GROUP BY segment;
/// ```
pub async fn collect_script(ctx: &SessionContext, script: &str) -> Result<Vec<StatementResult>> {
    let dialect_name = ctx
        .state()
        .config()
        .options()
        .sql_parser
        .dialect
        .to_string();
    let dialect = dialect_from_str(&dialect_name).ok_or_else(|| {
        DataFusionError::Plan(format!("unsupported SQL dialect '{dialect_name}'"))
    })?;
    let statements = DFParser::parse_sql_with_dialect(script, dialect.as_ref())?;
    let mut results = Vec::with_capacity(statements.len());
    for statement in statements {
        let sql = statement.to_string();
        let plan = ctx.state().statement_to_plan(statement).await?;
        let batches = ctx.execute_logical_plan(plan).await?.collect().await?;
        results.push(StatementResult { sql, batches });
    }
    Ok(results)
}
