//! Tab completion at the prompt: table, column and function names (segql's included), SQL
//! keywords, backslash commands, and file paths inside quotes.
//!
//! ```sql
//! SELECT * FROM kmeans_f<TAB>      -- kmeans_fit(
//! SELECT * FROM rfm('data/sa<TAB>  -- rfm('data/sales.parquet
//! ```

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use datafusion::prelude::SessionContext;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;

/// The backslash commands of the shell.
pub const COMMANDS: &[&str] = &[
    "\\q", "\\?", "\\d", "\\models", "\\h", "\\i", "\\pset", "\\quiet",
];

const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "HAVING",
    "LIMIT",
    "JOIN",
    "LEFT",
    "INNER",
    "ON",
    "USING",
    "AS",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "IN",
    "BETWEEN",
    "LIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DISTINCT",
    "WITH",
    "UNION",
    "ALL",
    "DESC",
    "ASC",
    "CREATE",
    "VIEW",
    "TABLE",
    "EXTERNAL",
    "STORED",
    "LOCATION",
    "DROP",
    "EXPLAIN",
    "SHOW",
    "TABLES",
    "COLUMNS",
    "COPY",
    "TO",
    "CAST",
    "OVER",
    "PARTITION",
    "SET",
];

/// The names known to the session, refreshed before every prompt.
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// Function names (completed with an opening parenthesis).
    pub functions: BTreeSet<String>,
    /// Table names and their column names.
    pub identifiers: BTreeSet<String>,
}

impl Names {
    /// Read the session's tables, their columns and every function.
    pub async fn read(ctx: &SessionContext) -> Self {
        let mut identifiers = BTreeSet::new();
        for catalog_name in ctx.catalog_names() {
            let Some(catalog) = ctx.catalog(&catalog_name) else {
                continue;
            };
            for schema_name in catalog.schema_names() {
                if schema_name == "information_schema" {
                    continue;
                }
                let Some(schema) = catalog.schema(&schema_name) else {
                    continue;
                };
                for table in schema.table_names() {
                    if let Ok(Some(provider)) = schema.table(&table).await {
                        for field in provider.schema().fields() {
                            identifiers.insert(field.name().clone());
                        }
                    }
                    identifiers.insert(table);
                }
            }
        }
        Self {
            functions: function_names(ctx).into_iter().collect(),
            identifiers,
        }
    }
}

/// Every table name of the session (without `information_schema`).
pub fn table_names(ctx: &SessionContext) -> Vec<String> {
    let mut names = Vec::new();
    for catalog_name in ctx.catalog_names() {
        let Some(catalog) = ctx.catalog(&catalog_name) else {
            continue;
        };
        for schema_name in catalog.schema_names() {
            if schema_name != "information_schema"
                && let Some(schema) = catalog.schema(&schema_name)
            {
                names.extend(schema.table_names());
            }
        }
    }
    names.sort();
    names
}

/// Every function the session knows: segql's table functions, DataFusion's table functions,
/// and all scalar, aggregate and window functions.
pub fn function_names(ctx: &SessionContext) -> Vec<String> {
    let state = ctx.state();
    let mut names: BTreeSet<String> = crate::functions::table_function_specs()
        .iter()
        .map(|spec| spec.name.to_string())
        .collect();
    names.extend(state.table_functions().keys().cloned());
    names.extend(state.scalar_functions().keys().cloned());
    names.extend(state.aggregate_functions().keys().cloned());
    names.extend(state.window_functions().keys().cloned());
    names.into_iter().collect()
}

/// The completer used by the prompt.
#[derive(Default)]
pub struct SqlCompleter {
    names: Arc<RwLock<Names>>,
    files: FilenameCompleter,
}

impl SqlCompleter {
    /// A completer reading from `names`, which the shell refreshes.
    pub fn new(names: Arc<RwLock<Names>>) -> Self {
        Self {
            names,
            files: FilenameCompleter::new(),
        }
    }

    /// Candidates for the word ending at `pos`: where it starts and the replacements.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let before = &line[..pos];
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '\\'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        if word.is_empty() {
            return (pos, Vec::new());
        }
        let lower = word.to_ascii_lowercase();
        let mut out: Vec<Pair> = Vec::new();
        let mut push = |display: &str, replacement: String| {
            if !out.iter().any(|p| p.replacement == replacement) {
                out.push(Pair {
                    display: display.to_string(),
                    replacement,
                });
            }
        };
        if word.starts_with('\\') {
            for command in COMMANDS.iter().filter(|c| c.starts_with(word)) {
                push(command, command.to_string());
            }
            return (start, out);
        }
        let names = self.names.read().map(|n| n.clone()).unwrap_or_default();
        for f in names
            .functions
            .iter()
            .filter(|f| f.to_ascii_lowercase().starts_with(&lower))
        {
            push(f, format!("{f}("));
        }
        for name in names
            .identifiers
            .iter()
            .filter(|n| n.to_ascii_lowercase().starts_with(&lower))
        {
            push(name, name.clone());
        }
        let upper = word.chars().next().is_some_and(char::is_uppercase);
        for keyword in KEYWORDS
            .iter()
            .filter(|k| k.to_ascii_lowercase().starts_with(&lower))
        {
            let shown = if upper {
                keyword.to_string()
            } else {
                keyword.to_ascii_lowercase()
            };
            push(&shown, shown.clone());
        }
        (start, out)
    }
}

/// Whether `pos` is inside an open single-quoted string.
fn in_quotes(line: &str, pos: usize) -> bool {
    line[..pos].chars().filter(|c| *c == '\'').count() % 2 == 1
}

impl Completer for SqlCompleter {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &rustyline::Context<'_>,
    ) -> Result<(usize, Vec<Pair>), ReadlineError> {
        if in_quotes(line, pos) {
            return self.files.complete(line, pos, ctx);
        }
        Ok(self.candidates(line, pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn completer() -> SqlCompleter {
        let mut names = Names::default();
        names.functions.insert("kmeans_fit".into());
        names.functions.insert("kmeans_fit_other".into());
        names.identifiers.insert("sales".into());
        names.identifiers.insert("CustomerID".into());
        SqlCompleter::new(Arc::new(RwLock::new(names)))
    }

    fn replacements(line: &str) -> (usize, Vec<String>) {
        let (start, pairs) = completer().candidates(line, line.len());
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn functions_tables_columns_keywords_and_commands() {
        assert_eq!(
            replacements("SELECT * FROM kmeans_f"),
            (14, vec!["kmeans_fit(".into(), "kmeans_fit_other(".into()])
        );
        assert_eq!(
            replacements("select * from sal"),
            (14, vec!["sales".into()])
        );
        assert_eq!(replacements("SELECT custo"), (7, vec!["CustomerID".into()]));
        assert_eq!(replacements("SEL"), (0, vec!["SELECT".into()]));
        assert_eq!(replacements("sel"), (0, vec!["select".into()]));
        assert_eq!(replacements("\\mo"), (0, vec!["\\models".into()]));
        assert_eq!(replacements("SELECT "), (7, Vec::<String>::new()));
    }

    #[test]
    fn quotes_switch_to_paths() {
        assert!(in_quotes("SELECT * FROM rfm('data/sa", 25));
        assert!(!in_quotes("SELECT 'a' FROM ", 16));
    }
}
