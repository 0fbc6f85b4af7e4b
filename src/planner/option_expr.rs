//! Options whose value is an SQL expression over the input's columns
//! (`rfm(t, time => 'to_timestamp(InvoiceDate, ''%m/%d/%Y %H:%M'')')`).
//!
//! Users write column names as the file header spells them. SQL would fold an unquoted
//! `InvoiceDate` to `invoicedate` and miss the column, so unquoted identifiers are matched
//! against the input's columns first: an exact-case match wins, else the one column that
//! matches ignoring case. Two columns that differ only in case make the identifier ambiguous;
//! the error names both and shows how to quote the one meant. Quoted identifiers keep their
//! exact meaning, and identifiers that match no column are left for the SQL planner to judge.
//!
//! ```sql
//! SELECT * FROM rfm(retail, amount => 'Quantity * UnitPrice');   -- "Quantity" * "UnitPrice"
//! ```

use std::ops::ControlFlow;

use datafusion::common::{DFSchema, DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::sql::sqlparser::ast::{self, Ident, visit_expressions_mut};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::ALL_KEYWORDS;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::Token;

use super::args::first_line;
use crate::error::arg_err;

/// Plan the text of `function`'s option `option` as an expression over `schema`.
pub fn plan_option_expr(
    function: &'static str,
    option: &str,
    text: &str,
    schema: &DFSchema,
    ctx: &mut dyn RelationPlannerContext,
) -> Result<Expr> {
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let cannot = |detail: &str| {
        arg_err(
            function,
            format!(
                "{option} => '{}' is neither a column ({}) nor a valid expression: {detail}",
                crate::text::echo(text),
                columns.join(", ")
            ),
        )
    };
    // 1. Parse.
    let mut parsed = Parser::new(&GenericDialect {})
        .try_with_sql(text)
        .and_then(|mut p| {
            let expr = p.parse_expr()?;
            p.expect_token(&Token::EOF)?;
            Ok(expr)
        })
        .map_err(|e| cannot(&e.to_string()))?;
    // 2. Point unquoted identifiers at the columns they mean.
    if let Some(ambiguity) = resolve_identifiers(&mut parsed, &columns) {
        return Err(arg_err(
            function,
            format!(
                "{option} => '{text}': {ambiguity}; quote the one you mean, e.g. {option} => '{}'",
                parsed.to_string().replace('\'', "''")
            ),
        ));
    }
    // 3. Plan over the input.
    ctx.sql_to_expr(parsed, schema)
        .map_err(|e| cannot(first_line(&e.to_string())))
}

/// Quote every unquoted identifier of `expr` that names a column, with the column's spelling.
/// An identifier matching several columns that differ only in case is quoted as the first of
/// them (so the expression becomes a suggestion) and reported.
fn resolve_identifiers(expr: &mut ast::Expr, columns: &[&str]) -> Option<String> {
    let mut ambiguity = None;
    let _ = visit_expressions_mut(expr, |e| {
        let ident = match e {
            ast::Expr::Identifier(ident) => Some(ident),
            ast::Expr::CompoundIdentifier(parts) => parts.last_mut(),
            _ => None,
        };
        if let Some(ident) = ident
            && let Err(message) = resolve(ident, columns)
        {
            ambiguity.get_or_insert(message);
        }
        ControlFlow::<()>::Continue(())
    });
    ambiguity
}

fn resolve(ident: &mut Ident, columns: &[&str]) -> Result<(), String> {
    if ident.quote_style.is_some() {
        return Ok(());
    }
    let matches: Vec<&str> = if columns.contains(&ident.value.as_str()) {
        vec![ident.value.as_str()]
    } else {
        columns
            .iter()
            .copied()
            .filter(|c| c.eq_ignore_ascii_case(&ident.value))
            .collect()
    };
    let Some(first) = matches.first() else {
        return Ok(());
    };
    let outcome = match matches.as_slice() {
        [_] => Ok(()),
        several => Err(format!(
            "{} could be any of the columns {}, which differ only in case",
            ident.value,
            several
                .iter()
                .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" and ")
        )),
    };
    *ident = Ident::with_quote('"', first.to_string());
    outcome
}

/// `name` as an SQL identifier: bare when it is a plain word that is not a keyword, else
/// double-quoted.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let keyword = ALL_KEYWORDS.contains(&name.to_ascii_uppercase().as_str());
    if plain && !keyword {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The error of `function`'s `option` when the name given matches several columns that differ
/// only in case.
pub fn ambiguous_column(function: &'static str, option: &str, names: &[&str]) -> DataFusionError {
    let quoted: Vec<String> = names.iter().map(|c| format!("'{c}'")).collect();
    arg_err(
        function,
        format!(
            "{option}: the columns {} differ only in case; name the one you mean exactly, e.g. \
             {option} => '{}'",
            quoted.join(" and "),
            names[0].replace('\'', "''")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(sql: &str, columns: &[&str]) -> Result<String, String> {
        let mut expr = Parser::new(&GenericDialect {})
            .try_with_sql(sql)
            .unwrap()
            .parse_expr()
            .unwrap();
        match resolve_identifiers(&mut expr, columns) {
            None => Ok(expr.to_string()),
            Some(ambiguity) => Err(format!("{ambiguity}; e.g. {expr}")),
        }
    }

    #[test]
    fn identifiers_take_the_columns_spelling() {
        let columns = ["InvoiceDate", "Quantity", "UnitPrice", "Customer ID"];
        assert_eq!(
            resolved("Quantity * unitprice", &columns).unwrap(),
            "\"Quantity\" * \"UnitPrice\""
        );
        assert_eq!(
            resolved("to_timestamp(InvoiceDate, '%m/%d/%Y')", &columns).unwrap(),
            "to_timestamp(\"InvoiceDate\", '%m/%d/%Y')"
        );
        // quoted identifiers keep their exact meaning; unknown ones are left alone
        assert_eq!(
            resolved("\"quantity\" + other", &columns).unwrap(),
            "\"quantity\" + other"
        );
        assert_eq!(resolved("t.quantity", &columns).unwrap(), "t.\"Quantity\"");
    }

    #[test]
    fn an_exact_match_wins_and_a_case_only_difference_is_ambiguous() {
        let columns = ["price", "Price"];
        assert_eq!(resolved("Price * 2", &columns).unwrap(), "\"Price\" * 2");
        assert_eq!(resolved("price * 2", &columns).unwrap(), "\"price\" * 2");
        let err = resolved("PRICE * 2", &columns).unwrap_err();
        assert!(err.contains("\"price\" and \"Price\""), "{err}");
        assert!(err.contains("e.g. \"price\" * 2"), "{err}");
    }

    #[test]
    fn names_that_need_quotes_get_them() {
        assert_eq!(quote_ident("InvoiceDate"), "InvoiceDate");
        assert_eq!(quote_ident("Customer ID"), "\"Customer ID\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("1st"), "\"1st\"");
        assert_eq!(quote_ident("when"), "\"when\"");
    }
}
