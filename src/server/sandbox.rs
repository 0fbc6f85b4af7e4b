//! What a client of `segql serve` may run: queries over the served tables (which may fit and
//! save models), `EXPLAIN`, `SHOW`/`SET`, transactions and cursors. Everything that would create,
//! change or drop a table or touch a file (`CREATE EXTERNAL TABLE`, `COPY ... TO`, `INSERT`,
//! `DROP`, `SELECT ... INTO` ...) is refused before DataFusion sees it. Quoted file paths are
//! confined to `--data` separately, where they are resolved (`sandbox_paths`).
//!
//! ```sql
//! SELECT * FROM kmeans_fit(rfm(sales), 4);                   -- allowed
//! CREATE EXTERNAL TABLE pw STORED AS CSV LOCATION '/etc/passwd'; -- refused: 42501
//! ```

use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{SetExpr, Statement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion_postgres::datafusion_pg_catalog::sql::PostgresCompatibilityParser;

/// Why a statement is refused, as told to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

const WHAT_IS_ALLOWED: &str = "segql serve runs queries over the tables it serves (which may \
     fit and save models); it does not create, change or drop tables, nor read or write other files";

/// Check every statement of `sql` as DataFusion would parse it and as the Postgres front end
/// parses it. A text neither parser understands passes (the front end reports the syntax error).
pub fn check_sql(sql: &str) -> Result<(), Refused> {
    if let Ok(statements) = DFParser::parse_sql_with_dialect(sql, &PostgreSqlDialect {}) {
        for statement in &statements {
            check_datafusion(statement)?;
        }
    }
    if let Ok(statements) = PostgresCompatibilityParser::new().parse(sql) {
        for statement in &statements {
            check_statement(statement)?;
        }
    }
    Ok(())
}

fn check_datafusion(statement: &DfStatement) -> Result<(), Refused> {
    match statement {
        DfStatement::Statement(inner) => check_statement(inner),
        DfStatement::CreateExternalTable(table) => Err(Refused(format!(
            "CREATE EXTERNAL TABLE is not allowed (location '{}'): the tables are the files \
             under the server's --data directory, and {WHAT_IS_ALLOWED}",
            table.locations.join("', '")
        ))),
        DfStatement::CopyTo(_) => Err(Refused(format!(
            "COPY ... TO is not allowed: {WHAT_IS_ALLOWED}"
        ))),
        DfStatement::Explain(explain) => check_datafusion(&explain.statement),
        DfStatement::Reset(_) => Ok(()),
    }
}

fn check_statement(statement: &Statement) -> Result<(), Refused> {
    match statement {
        Statement::Query(query) => {
            if let SetExpr::Select(select) = query.body.as_ref()
                && select.into.is_some()
            {
                return Err(Refused(format!(
                    "SELECT ... INTO is not allowed: it creates a table; {WHAT_IS_ALLOWED}"
                )));
            }
            Ok(())
        }
        Statement::Explain { statement, .. } => check_statement(statement),
        Statement::Prepare { statement, .. } => check_statement(statement),
        Statement::Declare { stmts } => {
            for declare in stmts {
                if let Some(query) = &declare.for_query {
                    check_statement(&Statement::Query(query.clone()))?;
                }
            }
            Ok(())
        }
        Statement::ExplainTable { .. }
        | Statement::Set(_)
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Discard { .. }
        | Statement::Deallocate { .. }
        | Statement::Execute { .. } => Ok(()),
        Statement::Copy { .. } => Err(Refused(format!("COPY is not allowed: {WHAT_IS_ALLOWED}"))),
        other => Err(Refused(format!(
            "{} is not allowed: {WHAT_IS_ALLOWED}",
            statement_kind(&other.to_string())
        ))),
    }
}

/// The leading keywords of a statement (`DROP TABLE`, `INSERT INTO`, `CREATE VIEW`).
fn statement_kind(sql: &str) -> String {
    let words: Vec<&str> = sql
        .split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .take(3)
        .collect();
    if words.is_empty() {
        "This statement".to_string()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_session_statements_pass() {
        for sql in [
            "SELECT * FROM kmeans_fit(rfm(sales), 4)",
            "WITH r AS (SELECT * FROM rfm(sales)) SELECT count(*) FROM r",
            "SELECT * FROM rfm('sales.csv')",
            "EXPLAIN SELECT 1",
            "SHOW TABLES",
            "SET statement_timeout = '1s'",
            "SHOW statement_timeout",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "DECLARE c CURSOR FOR SELECT 1",
            "FETCH 10 FROM c",
            "CLOSE c",
            "SELECT 1; SELECT 2",
            "SELEC garbage",
        ] {
            assert_eq!(check_sql(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn writes_and_files_are_refused_by_name() {
        let cases = [
            (
                "CREATE EXTERNAL TABLE pw STORED AS CSV LOCATION '/etc/passwd'",
                "CREATE EXTERNAL TABLE is not allowed (location '/etc/passwd')",
            ),
            ("COPY sales TO '/tmp/x.csv'", "COPY"),
            ("COPY (SELECT 1) TO '/tmp/x.parquet'", "COPY"),
            ("EXPLAIN COPY sales TO '/tmp/x.csv'", "COPY"),
            ("CREATE TABLE t AS SELECT 1", "CREATE TABLE is not allowed"),
            ("CREATE VIEW v AS SELECT 1", "CREATE VIEW is not allowed"),
            ("DROP TABLE sales", "DROP TABLE is not allowed"),
            ("INSERT INTO sales VALUES (1)", "INSERT INTO is not allowed"),
            ("SELECT 1 INTO t", "SELECT ... INTO is not allowed"),
            ("SELECT 1; DROP TABLE sales", "DROP TABLE is not allowed"),
            ("DECLARE c CURSOR FOR SELECT 1 INTO t", "SELECT ... INTO"),
        ];
        for (sql, expected) in cases {
            let err = check_sql(sql).unwrap_err().0;
            assert!(err.contains(expected), "{sql}: {err}");
        }
    }
}
