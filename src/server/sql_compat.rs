//! Rewrites of the SQL that BI tools and drivers send while reflecting tables, into SQL
//! DataFusion runs, where datafusion-postgres's own rewrites stop short. Each rule only touches
//! catalog queries or a construct DataFusion rejects, so user queries pass untouched.
//!
//! - Catalog subqueries nested in a select list become NULL. SQLAlchemy's column listing (run
//!   by Superset for every dataset) asks for defaults, identities and collations with
//!   correlated subqueries inside `CASE` and `json_build_object`, which DataFusion cannot run;
//!   segql's tables have none of those, so NULL is the true answer. Only subqueries reading
//!   nothing but `pg_catalog` tables are replaced.
//! - `unnest(x.indkey)` / `generate_subscripts(x.indkey, 1)`: the catalog keeps `int2vector`
//!   columns as text ("1 2"); they are split into arrays first (SQLAlchemy's primary key,
//!   index and unique constraint queries).
//! - `x = ANY(i.indkey)`: the same text vectors compared element by element (SQLAlchemy 1.4's
//!   index and unique constraint queries, which Superset runs).
//! - `ARRAY(SELECT ... FROM pg_catalog ...)` is an empty text array: the subqueries psql's `\du`
//!   and `\d+` build arrays with list role memberships and storage options, of which segql has
//!   none (DataFusion has no `ARRAY(subquery)`).
//! - `ix.indisprimary = 'f'`: Postgres reads the text as a boolean; DataFusion cannot compare
//!   the two, so the literal of a boolean catalog column becomes `false`/`true` (SQLAlchemy
//!   1.4's index listing).
//! - `pg_class.reloptions` (storage parameters, which segql's tables have none of) is NULL.
//! - `LIKE 'pg/_%' ESCAPE '/'`: DataFusion only takes the default backslash escape, so the
//!   pattern is rewritten to use it (SQLAlchemy's schema listing).
//!
//! ```sql
//! SELECT a.attname,
//!        CASE WHEN (SELECT t.typcollation FROM pg_catalog.pg_type t
//!                   WHERE t.oid = a.atttypid) != a.attcollation THEN 'c' END  -- CASE WHEN NULL ...
//! FROM pg_catalog.pg_attribute a
//! ```

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, Query,
    SelectItem, SetExpr, Value, ValueWithSpan, VisitMut, VisitorMut, visit_expressions_mut,
    visit_relations,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// `sql` rewritten, or `None` when no rule applies (the text is then passed on untouched).
pub fn rewrite_for_datafusion(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    if !lower.contains("pg_") && !lower.contains("escape") {
        return None;
    }
    let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let mut visitor = NestedCatalogSubqueries { replaced: 0 };
    for statement in &mut statements {
        let _ = statement.visit(&mut visitor);
        let _ = visit_expressions_mut(statement, |expr| {
            if rewrite_expr(expr) {
                visitor.replaced += 1;
            }
            ControlFlow::<()>::Continue(())
        });
    }
    (visitor.replaced > 0).then(|| {
        statements
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })
}

struct NestedCatalogSubqueries {
    replaced: usize,
}

impl VisitorMut for NestedCatalogSubqueries {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let SetExpr::Select(select) = query.body.as_mut() else {
            return ControlFlow::Continue(());
        };
        for item in &mut select.projection {
            let expr = match item {
                SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => expr,
                _ => continue,
            };
            // A whole item that is a subquery is left to datafusion-postgres's own rewrite.
            if matches!(expr, Expr::Subquery(_)) {
                continue;
            }
            let _ = visit_expressions_mut(expr, |nested| {
                if let Expr::Subquery(subquery) = nested
                    && reads_only_catalog(subquery)
                {
                    *nested = Expr::Value(Value::Null.with_empty_span());
                    self.replaced += 1;
                }
                ControlFlow::<()>::Continue(())
            });
        }
        ControlFlow::Continue(())
    }
}

/// The expression-level rules; true when `expr` was rewritten.
fn rewrite_expr(expr: &mut Expr) -> bool {
    match expr {
        Expr::Like {
            pattern,
            escape_char: escape @ Some(_),
            ..
        }
        | Expr::ILike {
            pattern,
            escape_char: escape @ Some(_),
            ..
        } => {
            let Some(Value::SingleQuotedString(escape_text)) = escape.as_ref().map(|v| &v.value)
            else {
                return false;
            };
            let mut chars = escape_text.chars();
            let (Some(escape_with), None) = (chars.next(), chars.next()) else {
                return false;
            };
            if escape_with == '\\' {
                return false;
            }
            if let Expr::Value(ValueWithSpan {
                value: Value::SingleQuotedString(text),
                ..
            }) = pattern.as_mut()
            {
                *text = with_backslash_escape(text, escape_with);
            } else {
                // A computed pattern (a bound parameter, a concatenation) is converted when it
                // is evaluated.
                let call = format!(
                    "like_backslash_pattern({pattern}, '{}')",
                    escape_with.to_string().replace('\'', "''")
                );
                match parse_expr(&call) {
                    Some(converted) => **pattern = converted,
                    None => return false,
                }
            }
            *escape = None;
            true
        }
        Expr::Function(function) if is_catalog_array_subquery(function) => {
            match parse_expr("CAST(make_array() AS VARCHAR[])") {
                Some(empty) => {
                    *expr = empty;
                    true
                }
                None => false,
            }
        }
        Expr::Function(function) => rewrite_indkey_function(function),
        Expr::BinaryOp { left, op, right }
            if matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq)
                && is_boolean_column(left) =>
        {
            let Expr::Value(ValueWithSpan { value, .. }) = right.as_mut() else {
                return false;
            };
            let Value::SingleQuotedString(text) = value else {
                return false;
            };
            let truth = match text.to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" | "on" | "1" => true,
                "f" | "false" | "n" | "no" | "off" | "0" => false,
                _ => return false,
            };
            *value = Value::Boolean(truth);
            true
        }
        Expr::AnyOp { right, .. } if is_vector_column(right) => {
            match parse_expr(&format!("CAST(string_to_array({right}, ' ') AS BIGINT[])")) {
                Some(array) => {
                    **right = array;
                    true
                }
                None => false,
            }
        }
        Expr::CompoundIdentifier(parts)
            if parts.last().is_some_and(|p| {
                MISSING_COLUMNS.contains(&p.value.to_ascii_lowercase().as_str())
            }) =>
        {
            *expr = Expr::Value(Value::Null.with_empty_span());
            true
        }
        _ => false,
    }
}

/// `pattern` escaped with `escape` rewritten to the default backslash escape.
pub fn with_backslash_escape(pattern: &str, escape: char) -> String {
    let mut out = String::with_capacity(pattern.len() + 2);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            match chars.next() {
                Some(next @ ('%' | '_')) => {
                    out.push('\\');
                    out.push(next);
                }
                Some('\\') => out.push_str("\\\\"),
                Some(next) => out.push(next),
                None => {}
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    out
}

/// The `int2vector`/`oidvector` catalog columns, kept as text by the catalog.
const VECTOR_COLUMNS: &[&str] = &[
    "indkey",
    "indclass",
    "indcollation",
    "indoption",
    "conkey",
    "confkey",
];

/// Catalog columns the emulated catalog lacks and segql has no value for (storage options).
const MISSING_COLUMNS: &[&str] = &["reloptions"];

/// The boolean catalog columns drivers compare with `'t'` / `'f'`.
const BOOLEAN_COLUMNS: &[&str] = &[
    "indisprimary",
    "indisunique",
    "indisvalid",
    "indisclustered",
    "indisexclusion",
    "indimmediate",
    "attisdropped",
    "attnotnull",
    "atthasdef",
    "relhasindex",
    "relispartition",
    "relhasrules",
    "relhastriggers",
    "condeferrable",
    "condeferred",
    "convalidated",
    "typnotnull",
    "proretset",
];

/// The column name `expr` refers to, bare or qualified, lower-cased.
fn column_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => Some(ident.value.to_ascii_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|p| p.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// Whether `expr` is one of the [`VECTOR_COLUMNS`], bare or qualified.
fn is_vector_column(expr: &Expr) -> bool {
    column_name(expr).is_some_and(|n| VECTOR_COLUMNS.contains(&n.as_str()))
}

/// Whether `expr` is one of the [`BOOLEAN_COLUMNS`], bare or qualified.
fn is_boolean_column(expr: &Expr) -> bool {
    column_name(expr).is_some_and(|n| BOOLEAN_COLUMNS.contains(&n.as_str()))
}

/// `ARRAY(subquery)` over catalog tables only.
fn is_catalog_array_subquery(function: &Function) -> bool {
    let name = function.name.to_string().to_ascii_lowercase();
    matches!(&function.args, FunctionArguments::Subquery(query) if name == "array" && reads_only_catalog(query))
}

fn parse_expr(text: &str) -> Option<Expr> {
    Parser::new(&PostgreSqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .ok()
}

/// `unnest(x.indkey)` and `generate_subscripts(x.indkey, 1)` over the text form of
/// `int2vector` and `oidvector` columns.
fn rewrite_indkey_function(function: &mut Function) -> bool {
    let name = function.name.to_string().to_ascii_lowercase();
    let name = name
        .strip_prefix("pg_catalog.")
        .unwrap_or(&name)
        .to_string();
    if name != "unnest" && name != "generate_subscripts" {
        return false;
    }
    let FunctionArguments::List(list) = &function.args else {
        return false;
    };
    let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(first))) = list.args.first() else {
        return false;
    };
    let column = first.to_string();
    let bare = column
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !VECTOR_COLUMNS.contains(&bare.trim_matches('"')) {
        return false;
    }
    let array = format!("CAST(string_to_array({column}, ' ') AS BIGINT[])");
    let replacement = if name == "unnest" {
        format!("unnest({array})")
    } else {
        format!("unnest(range(1, CAST(cardinality({array}) AS BIGINT) + 1))")
    };
    match parse_expr(&replacement) {
        Some(Expr::Function(parsed)) => {
            *function = parsed;
            true
        }
        _ => false,
    }
}

fn reads_only_catalog(query: &Query) -> bool {
    let mut tables = 0;
    let mut catalog = true;
    let _ = visit_relations(query, |name| {
        tables += 1;
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| p.to_string().to_lowercase())
            .collect();
        let in_catalog = parts.first().is_some_and(|p| p == "pg_catalog")
            || parts.last().is_some_and(|p| p.starts_with("pg_"));
        catalog &= in_catalog;
        ControlFlow::<()>::Continue(())
    });
    tables > 0 && catalog
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_catalog_subqueries_become_null() {
        let sql = "SELECT a.attname, CASE WHEN (a.attcollation != 0 AND (SELECT t.typcollation \
                   FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid) != a.attcollation) \
                   THEN (SELECT c.collname FROM pg_catalog.pg_collation c WHERE c.oid = \
                   a.attcollation) ELSE NULL END AS collation FROM pg_catalog.pg_attribute a";
        let rewritten = rewrite_for_datafusion(sql).unwrap();
        assert!(!rewritten.contains("pg_type"), "{rewritten}");
        assert!(!rewritten.contains("pg_collation"), "{rewritten}");
        assert!(
            rewritten.contains("FROM pg_catalog.pg_attribute"),
            "{rewritten}"
        );
    }

    #[test]
    fn user_queries_are_untouched() {
        for sql in [
            "SELECT * FROM kmeans_fit(rfm(sales), 4)",
            "SELECT (SELECT count(*) FROM pg_catalog.pg_class) AS n",
            "SELECT CASE WHEN (SELECT max(x) FROM sales) > 1 THEN 1 END FROM pg_catalog.pg_class",
            "SELECT * FROM sales WHERE \"Description\" LIKE 'a\\_b%'",
        ] {
            assert_eq!(rewrite_for_datafusion(sql), None, "{sql}");
        }
    }

    #[test]
    fn like_escape_becomes_backslash() {
        let sql =
            "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg/_%' ESCAPE '/'";
        let rewritten = rewrite_for_datafusion(sql).unwrap();
        assert!(rewritten.ends_with("NOT LIKE 'pg\\_%'"), "{rewritten}");
        let bound = "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname LIKE $1 || '%' ESCAPE '/'";
        let rewritten = rewrite_for_datafusion(bound).unwrap();
        assert!(
            rewritten.contains("LIKE like_backslash_pattern($1 || '%', '/')"),
            "{rewritten}"
        );
        assert_eq!(with_backslash_escape("a//b/%c\\d", '/'), "a/b\\%c\\\\d");
    }

    #[test]
    fn any_over_a_vector_column_and_catalog_arrays() {
        let sql = "SELECT a.attname FROM pg_attribute a JOIN pg_index ix \
                   ON a.attnum = ANY(ix.indkey)";
        let out = rewrite_for_datafusion(sql).unwrap();
        assert!(
            out.contains("= ANY(CAST(string_to_array(ix.indkey, ' ') AS BIGINT[]))"),
            "{out}"
        );
        let sql = "SELECT r.rolname, ARRAY(SELECT b.rolname FROM pg_catalog.pg_auth_members m \
                   JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid) WHERE m.member = r.oid) \
                   AS memberof FROM pg_catalog.pg_roles r";
        let out = rewrite_for_datafusion(sql).unwrap();
        assert!(
            out.contains("CAST(make_array() AS VARCHAR[]) AS memberof"),
            "{out}"
        );
        let sql = "SELECT i.relname FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
                   WHERE ix.indisprimary = 'f' AND ix.indisunique <> 't'";
        let out = rewrite_for_datafusion(sql).unwrap();
        assert!(
            out.contains("ix.indisprimary = false AND ix.indisunique <> true"),
            "{out}"
        );
        // an ARRAY over user tables is the user's business
        let user = "SELECT ARRAY(SELECT x FROM sales) FROM pg_catalog.pg_roles";
        assert!(
            rewrite_for_datafusion(user)
                .is_none_or(|out| out.contains("ARRAY(SELECT x FROM sales)"))
        );
    }

    #[test]
    fn indkey_text_becomes_an_array() {
        let sql = "SELECT unnest(i.indkey) AS attnum, generate_subscripts(i.indkey, 1) AS ord \
                   FROM pg_catalog.pg_index i";
        let rewritten = rewrite_for_datafusion(sql).unwrap();
        assert!(
            rewritten.contains("unnest(CAST(string_to_array(i.indkey, ' ') AS BIGINT[]))"),
            "{rewritten}"
        );
        assert!(
            rewritten.contains("unnest(range(1, CAST(cardinality("),
            "{rewritten}"
        );
    }
}
