//! Which queries `segql.SessionContext.sql` sends through segql's planner, and how.
//!
//! A query that names one of segql's table functions as a relation is rewritten to
//! `SELECT * FROM segql_query('<the query>')`; everything else goes to datafusion-python
//! unchanged. `$name` placeholders are filled in first, as datafusion-python fills them in,
//! because inside the string they are out of its reach.

use std::collections::HashMap;
use std::ops::ControlFlow;

use std::sync::Arc;

use datafusion::sql::sqlparser::ast::{
    Expr, ObjectName, Statement, visit_expressions, visit_relations,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use segql::model::{MemoryStore, ModelStore};

/// The name of the hidden table function segql's queries go through.
pub const QUERY_FUNCTION: &str = "segql_query";

/// Whether `sql` is one query (or `EXPLAIN` of one) that uses segql: reads from one of its
/// table functions, or calls one of its scalar functions (whose arguments, such as a model
/// name, segql must see while planning, which the FFI does not carry). Text that does not
/// parse is not ours: datafusion-python reports the syntax error itself.
pub fn uses_segql(sql: &str) -> bool {
    let Ok(statements) = Parser::parse_sql(&GenericDialect {}, sql) else {
        return false;
    };
    let query = match statements.as_slice() {
        [Statement::Query(_)] => true,
        [Statement::Explain { statement, .. }] => matches!(**statement, Statement::Query(_)),
        _ => false,
    };
    if !query {
        return false;
    }
    let tables = segql::table_function_names();
    let scalars = scalar_function_names();
    let named = |name: &ObjectName, among: &[String]| {
        name.0
            .last()
            .and_then(|part| part.as_ident())
            .is_some_and(|ident| among.contains(&ident.value.to_lowercase()))
    };
    let tables: Vec<String> = tables.into_iter().map(str::to_string).collect();
    let reads = visit_relations(&statements, |relation| {
        if named(relation, &tables) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    let calls = visit_expressions(&statements, |expr| match expr {
        Expr::Function(f) if named(&f.name, &scalars) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    });
    reads.is_break() || calls.is_break()
}

/// The names of segql's scalar functions.
fn scalar_function_names() -> Vec<String> {
    let store: Arc<dyn ModelStore> = Arc::new(MemoryStore::new());
    segql::scalar_functions(&store)
        .iter()
        .map(|f| f.name().to_string())
        .collect()
}

/// `sql` with each `$name` placeholder in `values` replaced by its SQL text. Placeholders
/// not in `values` stay as they are.
pub fn fill_placeholders(sql: &str, values: &HashMap<String, String>) -> Result<String, String> {
    if values.is_empty() {
        return Ok(sql.to_string());
    }
    let tokens = Tokenizer::new(&GenericDialect {}, sql)
        .tokenize()
        .map_err(|e| e.to_string())?;
    Ok(tokens
        .iter()
        .map(|token| match token {
            Token::Placeholder(p) => match values.get(p.trim_start_matches(['$', ':', '@'])) {
                Some(text) => text.clone(),
                None => token.to_string(),
            },
            other => other.to_string(),
        })
        .collect())
}

/// The query datafusion-python plans instead of `sql`.
pub fn routed(sql: &str) -> String {
    let inner = sql.trim().trim_end_matches(';');
    format!(
        "SELECT * FROM {QUERY_FUNCTION}('{}')",
        inner.replace('\'', "''")
    )
}
