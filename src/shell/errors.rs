//! Errors a person can act on: one message, no nesting of contexts, no Rust debug structs,
//! and a hint where the shell knows one (a misspelt table or function → the close matches).
//!
//! ```sql
//! SELECT * FROM rfm(sale);
//! -- Error: table 'sale' not found
//! -- Hint: did you mean sales?
//! ```

use datafusion::common::DataFusionError;
use datafusion::common::utils::datafusion_strsim::levenshtein;
use datafusion::prelude::SessionContext;

use super::completion::{function_names, table_names};

/// The error as one readable message with an optional hint, starting with `Error: `.
pub fn describe_error(e: &DataFusionError, ctx: &SessionContext) -> String {
    let root = e.find_root();
    let message = match root {
        DataFusionError::SQL(parser, _) => {
            let text = parser.to_string();
            let text = text.strip_prefix("sql parser error: ").unwrap_or(&text);
            format!("SQL syntax error: {text}")
        }
        DataFusionError::ArrowError(arrow, _) => arrow.to_string(),
        DataFusionError::Plan(_)
        | DataFusionError::Execution(_)
        | DataFusionError::SchemaError(_, _)
        | DataFusionError::Configuration(_)
        | DataFusionError::External(_)
        | DataFusionError::IoError(_)
        | DataFusionError::ResourcesExhausted(_) => root.message().into_owned(),
        other => other.to_string(),
    };
    let message = message.trim_end().to_string();
    match hint(&message, ctx) {
        Some(hint) => format!("Error: {message}\nHint: {hint}"),
        None => format!("Error: {message}"),
    }
}

/// A hint for a known kind of mistake.
fn hint(message: &str, ctx: &SessionContext) -> Option<String> {
    if let Some(name) = quoted_after(message, "table '")
        && message.contains("not found")
    {
        let bare = name.rsplit('.').next().unwrap_or(&name).to_string();
        if message.contains("quoted file path") {
            return None;
        }
        if looks_like_path(&bare) || looks_like_path(&name) {
            return Some(format!(
                "no readable file at '{name}'; paths are relative to {}",
                std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|_| "the working directory".into())
            ));
        }
        let tables = table_names(ctx);
        return Some(match close_matches(&bare, &tables) {
                matches if !matches.is_empty() => format!("did you mean {}?", matches.join(" or ")),
                _ if tables.is_empty() => {
                    "no tables are registered; pass files on the command line (segql sales.parquet) or quote a path: rfm('sales.parquet')".to_string()
                }
                _ => format!("the tables are: {}  (\\d lists them)", tables.join(", ")),
            });
    }
    for prefix in ["table function '", "Invalid function '"] {
        if let Some(name) = quoted_after(message, prefix) {
            if message.contains("Did you mean") {
                return None;
            }
            let matches = close_matches(&name, &function_names(ctx));
            if !matches.is_empty() {
                return Some(format!("did you mean {}?", matches.join(" or ")));
            }
            return Some("\\h lists segql's functions".to_string());
        }
    }
    None
}

/// The text between `prefix` and the next `'`.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let start = message.find(prefix)? + prefix.len();
    let end = message[start..].find('\'')? + start;
    Some(message[start..end].to_string())
}

fn looks_like_path(name: &str) -> bool {
    name.contains('/')
        || super::files::FORMATS
            .iter()
            .any(|ext| name.to_ascii_lowercase().ends_with(&format!(".{ext}")))
}

/// Names within a small edit distance of `name` (case-insensitive), closest first.
pub fn close_matches(name: &str, candidates: &[String]) -> Vec<String> {
    let wanted = name.to_ascii_lowercase();
    let limit = (wanted.len() / 3).clamp(1, 3);
    let mut scored: Vec<(usize, &String)> = candidates
        .iter()
        .map(|c| (levenshtein(&wanted, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_matches_allow_a_few_edits() {
        let names: Vec<String> = ["kmeans_fit", "rfm", "assign_segment", "sales"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(close_matches("kmeans_fti", &names), vec!["kmeans_fit"]);
        assert_eq!(close_matches("SALE", &names), vec!["sales"]);
        assert!(close_matches("customers", &names).is_empty());
    }

    #[test]
    fn the_quoted_name_is_found() {
        assert_eq!(
            quoted_after("table 'datafusion.public.sale' not found", "table '").as_deref(),
            Some("datafusion.public.sale")
        );
        assert_eq!(quoted_after("nothing quoted", "table '"), None);
    }
}
