//! Running statements and scripts in the shell: split at `;`, plan, execute, print with the
//! session's format, and stop a script at its first failing statement.
//!
//! ```sql
//! -- ## 1. RFM table            <- a heading line: printed before the statements under it
//! CREATE VIEW customers AS SELECT * FROM rfm(sales);
//! SELECT segment, count(*) FROM customers GROUP BY segment;
//! ```

use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::Result;
use datafusion::common::instant::Instant;

use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::prelude::{DataFrame, SessionContext};

use super::errors::describe_error;
use super::object_stores::{check_readable, register_store_for, remote_scheme};
use super::session::ShellSession;

/// How a script ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every statement ran.
    Completed,
    /// A statement failed; its error was printed on stderr.
    Failed,
}

/// Split SQL text into statements at the `;` that are outside quotes and comments. Empty
/// statements and comment-only ones are left out; a last statement needs no `;`.
pub fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut has_code = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                current.push(c);
                has_code = true;
                for q in chars.by_ref() {
                    current.push(q);
                    if q == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                current.push(c);
                for q in chars.by_ref() {
                    current.push(q);
                    if q == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                current.push(c);
                current.extend(chars.next());
                let mut previous = ' ';
                for q in chars.by_ref() {
                    current.push(q);
                    if previous == '*' && q == '/' {
                        break;
                    }
                    previous = q;
                }
            }
            ';' => {
                if has_code {
                    statements.push(current.trim().to_string());
                }
                current.clear();
                has_code = false;
            }
            c => {
                if !c.is_whitespace() {
                    has_code = true;
                }
                current.push(c);
            }
        }
    }
    if has_code {
        statements.push(current.trim().to_string());
    }
    statements
}

/// Plan `sql` as `ctx.sql` does, first making the remote locations of a `CREATE EXTERNAL
/// TABLE` or a `COPY ... TO` usable (their object stores registered, a table's files checked).
pub async fn plan_with_stores(ctx: &SessionContext, sql: &str) -> Result<DataFrame> {
    let state = ctx.state();
    let plan = state.create_logical_plan(sql).await?;
    match &plan {
        LogicalPlan::Ddl(DdlStatement::CreateExternalTable(table)) => {
            let mut options = state.default_table_options();
            options.alter_with_string_hash_map(&table.options)?;
            for location in &table.locations {
                if remote_scheme(location).is_some() {
                    register_store_for(&state, location, &options).await?;
                    check_readable(&state, location).await?;
                }
            }
        }
        LogicalPlan::Copy(copy) => {
            let mut options = state.default_table_options();
            options.alter_with_string_hash_map(&copy.options)?;
            register_store_for(&state, &copy.output_url, &options).await?;
        }
        _ => {}
    }
    ctx.execute_logical_plan(plan).await
}

/// Plan, run and print one statement, with the "N row(s) fetched. Elapsed ..." line unless
/// the session is quiet.
pub async fn execute_and_print(session: &ShellSession, sql: &str) -> Result<()> {
    let started = Instant::now();
    let frame = plan_with_stores(&session.ctx, sql).await?;
    let schema: Arc<Schema> = Arc::clone(frame.schema().inner());
    let batches = frame.collect().await?;
    session.remember_fit(sql);
    if schema.fields().is_empty() {
        if !session.print.quiet {
            println!(
                "OK. Elapsed {:.3} seconds.\n",
                started.elapsed().as_secs_f64()
            );
        }
        return Ok(());
    }
    let rows = batches.iter().map(|b| b.num_rows()).sum();
    let task = session.ctx.task_ctx();
    let format = &task.session_config().options().format;
    session
        .print
        .print_batches(schema, &batches, started, rows, format)
}

/// Run a script: its `-- ## heading` lines are printed as they come, its statements run in
/// order, and the first failing one stops it with its error on stderr (followed by `origin`,
/// e.g. the file name, and the statement's number when there are several).
pub async fn run_script(session: &ShellSession, origin: &str, script: &str) -> Outcome {
    let parts = sections(script);
    let total: usize = parts.iter().map(|(_, t)| split_statements(t).len()).sum();
    let mut number = 0;
    for (heading, text) in parts {
        if let Some(heading) = heading {
            println!("{heading}\n");
        }
        for statement in split_statements(&text) {
            number += 1;
            if let Err(e) = execute_and_print(session, &statement).await {
                eprintln!("{}", describe_error(&e, &session.ctx));
                if total > 1 {
                    eprintln!("(in {origin}, statement {number} of {total})");
                }
                return Outcome::Failed;
            }
        }
    }
    Outcome::Completed
}

/// Split a script at its `-- ## heading` lines: each heading with the SQL that follows it.
pub fn sections(script: &str) -> Vec<(Option<String>, String)> {
    let mut out: Vec<(Option<String>, String)> = vec![(None, String::new())];
    for line in script.lines() {
        if let Some(heading) = line.trim_start().strip_prefix("-- ##") {
            out.push((Some(heading.trim().to_string()), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out.retain(|(heading, text)| heading.is_some() || !text.trim().is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_outside_quotes_and_comments() {
        let sql = "SELECT ';' AS a; -- a comment; with a semicolon\nSELECT \"x;y\" FROM t;\n\
                   /* block; comment */ SELECT 3\n;;  ";
        assert_eq!(
            split_statements(sql),
            vec![
                "SELECT ';' AS a",
                "-- a comment; with a semicolon\nSELECT \"x;y\" FROM t",
                "/* block; comment */ SELECT 3",
            ]
        );
        // comment-only text is not a statement; a missing final `;` is fine
        assert!(split_statements("-- nothing here\n").is_empty());
        assert_eq!(split_statements("SELECT 'it''s'"), vec!["SELECT 'it''s'"]);
    }

    #[test]
    fn scripts_split_at_headings() {
        let script = "SET x = 1;\n-- ## One\nSELECT 1;\n-- ## Two\nSELECT 2;\n";
        let parts = sections(script);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].0, None);
        assert_eq!(parts[1].0.as_deref(), Some("One"));
        assert_eq!(parts[2].1.trim(), "SELECT 2;");
    }
}
