//! The backslash commands of the prompt. `\d`, `\d NAME`, `\pset` and `\quiet` are
//! datafusion-cli's own; `\models`, `\h`, `\i`, `\report` and `\?` are segql's.
//!
//! ```text
//! segql> \models
//! segql> \h kmeans_fit
//! segql> \pset format csv
//! ```

use std::str::FromStr;

use datafusion::common::{DataFusionError, Result};
use datafusion_cli::command::{Command, OutputFormat};

use super::report_command;
use super::session::ShellSession;
use super::statements::{Outcome, execute_and_print, run_script};
use crate::reference;

/// What the prompt does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Read the next line.
    Continue,
    /// Leave the shell.
    Quit,
}

/// The help shown by `\?`.
pub const HELP: &str = "\
Statements end with ';' and may span lines. Ctrl-C cancels a running statement, Ctrl-D leaves.

  \\d              list tables
  \\d NAME         describe a table's columns
  \\models         list the saved models (the model store directory)
  \\h              list segql's functions
  \\h NAME         a segql function's signature, options and output columns
  \\i FILE         run the statements of a file
  \\report FILE    the last kmeans_fit as an HTML report (\\report FILE MODEL INPUT: a saved
                  model scored on INPUT, e.g. \\report seg.html seg rfm(sales))
  \\pset format F  output format: table, csv, tsv, json, nd-json, automatic
  \\quiet [on|off] hide or show the row count and timing after each result
  \\?              this help
  \\q              quit
";

/// The query behind `\models`.
pub const MODELS_QUERY: &str = "SELECT name, k, features, rows, round(inertia, 4) AS inertia, \
     created_at, status FROM segql_models() ORDER BY name";

/// Run one backslash command (`line` starts with `\`).
pub async fn run_command(session: &mut ShellSession, line: &str) -> Result<Next> {
    let words: Vec<&str> = line
        .trim()
        .trim_start_matches('\\')
        .split_whitespace()
        .collect();
    let argument = (words.len() > 1).then(|| words[1..].join(" "));
    match (words.first().copied().unwrap_or(""), argument.as_deref()) {
        ("q" | "quit", None) => return Ok(Next::Quit),
        ("?", None) => print!("{HELP}"),
        ("models", None) => {
            println!("Model store: {}", session.models_dir.display());
            execute_and_print(session, MODELS_QUERY).await?;
        }
        ("h", None) => print!("{}", reference::function_list()),
        ("h", Some(name)) => match reference::function_help(name) {
            Some(help) => print!("{help}"),
            None => {
                return Err(DataFusionError::Plan(format!(
                    "no segql function named '{name}'; \\h lists them"
                )));
            }
        },
        ("i", Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| DataFusionError::Plan(format!("cannot read {path}: {e}")))?;
            if run_script(session, path, &text).await == Outcome::Failed {
                return Ok(Next::Continue);
            }
        }
        ("report", argument) => report_command::run(session, argument.unwrap_or("")).await?,
        ("pset", Some(argument)) => {
            let format = OutputFormat::from_str(argument).map_err(|()| {
                DataFusionError::Plan(format!("\\pset takes 'format NAME', got '{argument}'"))
            })?;
            format.execute(&mut session.print)?;
        }
        _ => {
            let words = line.trim().trim_start_matches('\\');
            let command = Command::from_str(words).map_err(|()| unknown(line))?;
            match command {
                Command::ListTables
                | Command::DescribeTableStmt(_)
                | Command::QuietMode(_)
                | Command::OutputFormat(None) => {
                    command.execute(&session.ctx, &mut session.print).await?
                }
                _ => return Err(unknown(line)),
            }
        }
    }
    Ok(Next::Continue)
}

fn unknown(line: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "'{}' is not a command; \\? lists the commands",
        line.trim()
    ))
}
