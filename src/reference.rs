//! The SQL function reference, generated from the functions' own declarations (table
//! functions' `FunctionSpec`s, scalar and aggregate functions' DataFusion
//! [`Documentation`]), so README.md, `segql reference` and the shell's `\h` cannot drift from
//! the code.
//!
//! ```sql
//! -- in the shell:
//! \h kmeans_fit
//! ```

use std::fmt::Write;

use datafusion::logical_expr::Documentation;

use crate::functions::{expression_docs, table_function_specs};
use crate::planner::{FunctionSpec, ParamKind};

/// The whole reference as Markdown (the "Function reference" part of README.md).
pub fn markdown() -> String {
    let mut out = String::new();
    for spec in table_function_specs() {
        let _ = writeln!(out, "### `{}` — table function\n", spec.signature());
        let _ = writeln!(out, "{}\n", spec.description);
        let _ = writeln!(out, "```sql\n{};\n```\n", spec.example);
        if !spec.params.is_empty() {
            let _ = writeln!(out, "| argument | accepts | |\n|---|---|---|");
            for p in spec.params {
                let how = match (p.positional, p.required) {
                    (true, true) => "positional, required",
                    (true, false) => "positional or named",
                    (false, true) => "named, required",
                    (false, false) => "named",
                };
                let _ = writeln!(
                    out,
                    "| `{}` | {} ({how}) | {} |",
                    p.name,
                    p.kind.describe(),
                    escape(p.doc)
                );
            }
            out.push('\n');
        }
        let _ = writeln!(out, "| output column | meaning |\n|---|---|");
        for (name, doc) in spec.columns {
            let _ = writeln!(out, "| `{name}` | {} |", escape(doc));
        }
        out.push('\n');
    }
    // The user functions first, then the building blocks rfm() is made of (segql_*), which a
    // query may also call on its own.
    let (helpers, functions): (Vec<_>, Vec<_>) = expression_docs()
        .into_iter()
        .partition(|(name, _)| name.starts_with("segql_"));
    for (name, doc) in functions {
        write_expression(&mut out, "###", name, doc);
    }
    let _ = writeln!(
        out,
        "### Building blocks\n\nThe functions `rfm()` is planned from, callable on their own.\n"
    );
    for (name, doc) in helpers {
        write_expression(&mut out, "####", name, doc);
    }
    out
}

/// One scalar or aggregate function's entry, under a heading of `level`.
fn write_expression(out: &mut String, level: &str, name: &str, doc: &Documentation) {
    let aggregate = crate::functions::aggregate_functions()
        .iter()
        .any(|f| f.name() == name);
    let kind = if aggregate {
        "aggregate function"
    } else {
        "scalar function"
    };
    let _ = writeln!(out, "{level} `{}` — {kind}\n", doc.syntax_example);
    let _ = writeln!(out, "{}\n", doc.description);
    if let Some(example) = &doc.sql_example {
        let _ = writeln!(out, "{example}\n");
    }
    write_arguments(out, doc, "| argument | meaning |\n|---|---|", |n, d| {
        format!("| `{n}` | {} |", escape(d))
    });
}

fn write_arguments(
    out: &mut String,
    doc: &Documentation,
    header: &str,
    row: impl Fn(&str, &str) -> String,
) {
    if let Some(arguments) = &doc.arguments {
        let _ = writeln!(out, "{header}");
        for (name, text) in arguments {
            let _ = writeln!(out, "{}", row(name, text));
        }
        out.push('\n');
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

/// One declared argument of a table function, for tools that write calls rather than read
/// about them (the SQL fuzzer in tests/integration/sql_fuzz.rs generates every option from
/// these, so a new option is fuzzed the day it is declared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argument {
    /// The name used in `name => value`.
    pub name: &'static str,
    /// What it accepts, in words: `a relation`, `an integer`, `a number`, `a string`,
    /// `a boolean`, `a date or timestamp`, `an integer or 'auto'`, `a relation or a model name`.
    pub accepts: &'static str,
    /// Whether it may be given by position.
    pub positional: bool,
    /// Whether the call fails without it.
    pub required: bool,
}

/// Every table function's name with its arguments, positional ones first, in order.
pub fn table_function_arguments() -> Vec<(&'static str, Vec<Argument>)> {
    table_function_specs()
        .into_iter()
        .map(|spec| {
            let arguments = spec
                .params
                .iter()
                .map(|p| Argument {
                    name: p.name,
                    accepts: p.kind.describe(),
                    positional: p.positional,
                    required: p.required,
                })
                .collect();
            (spec.name, arguments)
        })
        .collect()
}

/// The names of segql's scalar and aggregate functions (`assign_segment(model, ...)`,
/// `rfm(time, amount, as_of)`, the `segql_*` building blocks), in reference order.
pub fn expression_function_names() -> Vec<&'static str> {
    expression_docs()
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// One line per segql function: its signature and what it does (the shell's `\h`).
pub fn function_list() -> String {
    let mut out = String::from("segql's functions (\\h NAME for details):\n\n");
    for spec in table_function_specs() {
        let _ = writeln!(
            out,
            "  {}\n      {}",
            spec.signature(),
            first_sentence(spec.description)
        );
    }
    for (_, doc) in expression_docs() {
        let _ = writeln!(
            out,
            "  {}\n      {}",
            doc.syntax_example,
            first_sentence(&doc.description)
        );
    }
    out
}

/// The help of one function (`\h kmeans_fit`), or `None` if segql has no such function.
pub fn function_help(name: &str) -> Option<String> {
    let name = name.trim().trim_end_matches("()").to_ascii_lowercase();
    let mut out = String::new();
    if let Some(spec) = table_function_specs().into_iter().find(|s| s.name == name) {
        write_spec_help(&mut out, spec);
    }
    for (doc_name, doc) in expression_docs() {
        if doc_name == name {
            let _ = writeln!(out, "{}\n\n  {}\n", doc.syntax_example, doc.description);
            if let Some(arguments) = &doc.arguments {
                for (arg, text) in arguments {
                    let _ = writeln!(out, "  {arg:<12} {text}");
                }
                out.push('\n');
            }
            if let Some(example) = &doc.sql_example {
                let example = example
                    .trim_start_matches("```sql\n")
                    .trim_end_matches("\n```");
                let _ = writeln!(out, "  Example: {example}\n");
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

fn write_spec_help(out: &mut String, spec: &FunctionSpec) {
    let _ = writeln!(out, "{}\n\n  {}\n", spec.signature(), spec.description);
    let width = spec.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
    for p in spec.params {
        let kind = if p.kind == ParamKind::Relation {
            "relation".to_string()
        } else {
            p.kind.describe().to_string()
        };
        let _ = writeln!(out, "  {:<width$}  {kind}: {}", p.name, p.doc);
    }
    let _ = writeln!(out, "\n  Output columns:");
    for (name, doc) in spec.columns {
        let _ = writeln!(out, "    {name}: {doc}");
    }
    let _ = writeln!(out, "\n  Example: {};\n", spec.example);
}

fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_has_help_and_a_reference_entry() {
        let reference = markdown();
        for spec in table_function_specs() {
            assert!(function_help(spec.name).is_some(), "{}", spec.name);
            assert!(reference.contains(&format!("### `{}", spec.name)));
            assert!(!spec.columns.is_empty(), "{} lists its columns", spec.name);
        }
        for (name, _) in expression_docs() {
            assert!(function_help(name).is_some(), "{name}");
        }
        assert!(function_help("no_such_function").is_none());
        // rfm is both: the table function and the aggregate
        let rfm = function_help("rfm").unwrap();
        assert!(rfm.contains("rfm(transactions") && rfm.contains("rfm(time, amount, as_of"));
    }
}
