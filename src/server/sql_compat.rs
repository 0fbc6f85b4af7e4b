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
    AccessExpr, BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments,
    GroupByExpr, Ident, Query, SelectItem, SetExpr, Subscript, Value, ValueWithSpan, VisitMut,
    VisitorMut, visit_expressions_mut, visit_relations,
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
        let only_catalog = reads_only_catalog(query);
        let SetExpr::Select(select) = query.body.as_mut() else {
            return ControlFlow::Continue(());
        };
        if only_catalog {
            self.replaced += name_repeated_items(&mut select.projection);
        }
        if let Some(selection) = &mut select.selection {
            let _ = visit_expressions_mut(selection, |nested| {
                if let Expr::Subquery(subquery) = nested
                    && reads_only_catalog(subquery)
                    && aggregate_single_lookup(subquery)
                {
                    self.replaced += 1;
                }
                ControlFlow::<()>::Continue(())
            });
        }
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

/// Postgres names every unnamed expression `?column?`; DataFusion names them by their text and
/// refuses two alike (the JDBC driver's `getProcedures` selects `NULL, NULL, NULL`). Repeated
/// unnamed items get the aliases [`UNNAMED`]`#2`, `#3`, ..., which [`wire_column_name`] turns
/// back into `?column?` for the client. Returns how many were renamed.
fn name_repeated_items(projection: &mut [SelectItem]) -> usize {
    let texts: Vec<Option<String>> = projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(expr)
                if !matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) =>
            {
                Some(expr.to_string())
            }
            _ => None,
        })
        .collect();
    let mut renamed = 0;
    for (position, item) in projection.iter_mut().enumerate() {
        let Some(text) = &texts[position] else {
            continue;
        };
        if texts.iter().filter(|t| t.as_ref() == Some(text)).count() < 2 {
            continue;
        }
        let SelectItem::UnnamedExpr(expr) = item else {
            continue;
        };
        let alias = format!("{UNNAMED}#{}", position + 1);
        *item = SelectItem::ExprWithAlias {
            expr: expr.clone(),
            alias: Ident::with_quote('"', alias),
        };
        renamed += 1;
    }
    renamed
}

/// Postgres's name for an unnamed result column.
pub const UNNAMED: &str = "?column?";

/// The column name a client sees for result column `name`: `name_repeated_items`'s aliases
/// back to Postgres's `?column?`.
pub fn wire_column_name(name: &str) -> &str {
    match name
        .strip_prefix(UNNAMED)
        .and_then(|rest| rest.strip_prefix('#'))
    {
        Some(number) if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => UNNAMED,
        _ => name,
    }
}

/// A catalog lookup used as a scalar in a filter (`(SELECT c.relkind = 'c' FROM pg_class c
/// WHERE c.oid = t.typrelid)`, from the JDBC driver's `getTypeInfo`): DataFusion only runs a
/// correlated scalar subquery that aggregates, so its one item is wrapped in `min`, which is
/// the same value for the at most one row an oid lookup finds. True when it was wrapped.
fn aggregate_single_lookup(subquery: &mut Query) -> bool {
    let SetExpr::Select(select) = subquery.body.as_mut() else {
        return false;
    };
    let no_grouping =
        matches!(&select.group_by, GroupByExpr::Expressions(exprs, _) if exprs.is_empty());
    let [SelectItem::UnnamedExpr(item) | SelectItem::ExprWithAlias { expr: item, .. }] =
        select.projection.as_mut_slice()
    else {
        return false;
    };
    let looks_up_oid = select
        .selection
        .as_ref()
        .is_some_and(|filter| filter.to_string().to_ascii_lowercase().contains("oid ="));
    if !no_grouping || !looks_up_oid || contains_aggregate(item) {
        return false;
    }
    match parse_expr(&format!("min({item})")) {
        Some(wrapped) => {
            *item = wrapped;
            true
        }
        None => false,
    }
}

/// Whether `expr` calls an aggregate function.
fn contains_aggregate(expr: &Expr) -> bool {
    const AGGREGATES: &[&str] = &[
        "min",
        "max",
        "count",
        "sum",
        "avg",
        "bool_or",
        "bool_and",
        "every",
        "array_agg",
        "string_agg",
    ];
    let mut found = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(expr, |e| {
        if let Expr::Function(f) = e {
            let name = f.name.to_string().to_ascii_lowercase();
            found |= AGGREGATES.contains(&name.as_str());
        }
        ControlFlow::<()>::Continue(())
    });
    found
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
        Expr::AnyOp { right, .. } if vector_kind(right).is_some() => {
            match parse_expr(&format!("pg_vector_elements({right})")) {
                Some(array) => {
                    **right = array;
                    true
                }
                None => false,
            }
        }
        Expr::CompoundFieldAccess { root, access_chain } => {
            rewrite_field_access(root, access_chain)
                .and_then(|text| parse_expr(&text))
                .map(|rewritten| *expr = rewritten)
                .is_some()
        }
        Expr::Cast {
            expr: inner,
            data_type,
            ..
        } if data_type.to_string().eq_ignore_ascii_case("regproc") => {
            // The catalog keeps regproc columns (`typinput`, `typoutput`, ...) as names.
            let Expr::Value(ValueWithSpan {
                value: Value::SingleQuotedString(name),
                ..
            }) = inner.as_ref()
            else {
                return false;
            };
            let bare = name.strip_prefix("pg_catalog.").unwrap_or(name);
            *expr = Expr::Value(Value::SingleQuotedString(bare.to_string()).with_empty_span());
            true
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

/// Catalog columns the emulated catalog lacks and segql has no value for: storage options and
/// access privileges (NULL is Postgres's "the owner's default privileges").
const MISSING_COLUMNS: &[&str] = &["reloptions", "relacl"];

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

/// How a vector column numbers its elements when subscripted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VectorKind {
    /// `int2vector` / `oidvector` (`indkey`, `indoption`, ...): from 0.
    FromZero,
    /// `int2[]` (`conkey`, `confkey`): from 1.
    FromOne,
}

/// The kind of vector column `expr` is, bare, qualified, or aliased with a prefix as the JDBC
/// driver does (`i.indoption AS I_INDOPTION`).
fn vector_kind(expr: &Expr) -> Option<VectorKind> {
    let name = column_name(expr)?;
    let vector = VECTOR_COLUMNS.iter().find(|v| {
        name == **v
            || name
                .strip_suffix(**v)
                .is_some_and(|prefix| prefix.ends_with('_'))
    })?;
    Some(if vector.starts_with("con") {
        VectorKind::FromOne
    } else {
        VectorKind::FromZero
    })
}

fn without_parentheses(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(inner) => without_parentheses(inner),
        other => other,
    }
}

/// `(record).field` as `get_field(record, 'field')` (DataFusion has no dot access on an
/// expression), and `vector[i]` over a catalog vector column as an array subscript, counted
/// as the column's Postgres type counts.
fn rewrite_field_access(root: &Expr, chain: &[AccessExpr]) -> Option<String> {
    // `tmp.I_INDOPTION[i]` arrives as root `tmp` with `.I_INDOPTION` first in the chain;
    // `(result.KEYS).x` as the parenthesised root and `.x`.
    let was_parenthesised = matches!(root, Expr::Nested(_));
    let root = without_parentheses(root);
    let mut parts = match root {
        Expr::Identifier(ident) => vec![ident.clone()],
        Expr::CompoundIdentifier(idents) => idents.clone(),
        _ => Vec::new(),
    };
    let mut chain = chain;
    while let (false, [AccessExpr::Dot(Expr::Identifier(next)), rest @ ..]) =
        (parts.is_empty() || was_parenthesised, chain)
    {
        parts.push(next.clone());
        chain = rest;
    }
    let merged;
    let root = if parts.len() > 1 {
        merged = Expr::CompoundIdentifier(parts);
        &merged
    } else {
        root
    };
    match chain {
        [AccessExpr::Dot(Expr::Identifier(field))] => Some(format!(
            "get_field({root}, '{}')",
            field.value.to_ascii_lowercase().replace('\'', "''")
        )),
        [AccessExpr::Subscript(Subscript::Index { index })] => match vector_kind(root)? {
            VectorKind::FromZero => Some(format!("pg_vector_elements({root})[({index}) + 1]")),
            VectorKind::FromOne => Some(format!("pg_vector_elements({root})[{index}]")),
        },
        _ => None,
    }
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
    let name = name
        .strip_prefix("information_schema.")
        .unwrap_or(&name)
        .to_string();
    if name != "unnest" && name != "generate_subscripts" && name != "_pg_expandarray" {
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
    let array = format!("pg_vector_elements({column})");
    let replacement = match name.as_str() {
        "unnest" => format!("unnest({array})"),
        "_pg_expandarray" => format!("unnest(_pg_expandarray({column}))"),
        _ => format!("unnest(range(1, CAST(cardinality({array}) AS BIGINT) + 1))"),
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
            out.contains("= ANY(pg_vector_elements(ix.indkey))"),
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
            rewritten.contains("unnest(pg_vector_elements(i.indkey))"),
            "{rewritten}"
        );
        assert!(
            rewritten.contains("unnest(range(1, CAST(cardinality("),
            "{rewritten}"
        );
    }

    /// The JDBC driver's `getPrimaryKeys`, `getIndexInfo`, `getImportedKeys`, `getTypeInfo`
    /// and `getProcedures` constructs.
    #[test]
    fn jdbc_catalog_constructs() {
        let sql = "SELECT (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, \
                   information_schema._pg_expandarray(i.indkey) AS KEYS FROM pg_catalog.pg_index i";
        let out = rewrite_for_datafusion(sql).unwrap();
        assert!(
            out.contains("get_field(unnest(_pg_expandarray(i.indkey)), 'n') AS KEY_SEQ"),
            "{out}"
        );
        assert!(
            out.contains("unnest(_pg_expandarray(i.indkey)) AS KEYS"),
            "{out}"
        );
        let sql = "SELECT r.x FROM (SELECT i.indkey AS k FROM pg_catalog.pg_index i) r \
                   WHERE r.a = (r.KEYS).x AND r.I_INDOPTION[r.p - 1] = 0 AND c.conkey[pos.n] = 1";
        let out = rewrite_for_datafusion(sql).unwrap();
        assert!(out.contains("r.a = get_field(r.KEYS, 'x')"), "{out}");
        assert!(
            out.contains("pg_vector_elements(r.I_INDOPTION)[(r.p - 1) + 1] = 0"),
            "int2vector subscripts count from 0: {out}"
        );
        assert!(
            out.contains("pg_vector_elements(c.conkey)[pos.n] = 1"),
            "int2[] subscripts count from 1: {out}"
        );
        let sql = "SELECT t.typname FROM pg_catalog.pg_type t WHERE t.typrelid = 0 OR \
                   (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid)";
        let out = rewrite_for_datafusion(sql).unwrap();
        assert!(out.contains("(SELECT min(c.relkind = 'c') FROM"), "{out}");
        let sql =
            "SELECT typinput = 'pg_catalog.array_in'::regproc AS is_array FROM pg_catalog.pg_type";
        let out = rewrite_for_datafusion(sql).unwrap();
        assert!(out.contains("typinput = 'array_in' AS is_array"), "{out}");
        let sql =
            "SELECT NULL AS PROCEDURE_CAT, NULL, NULL, p.proname, NULL FROM pg_catalog.pg_proc p";
        let out = rewrite_for_datafusion(sql).unwrap();
        assert!(
            out.contains(
                r#"NULL AS "?column?#2", NULL AS "?column?#3", p.proname, NULL AS "?column?#5""#
            ),
            "{out}"
        );
        assert_eq!(wire_column_name("?column?#3"), "?column?");
        assert_eq!(wire_column_name("?column?#x"), "?column?#x");
        assert_eq!(wire_column_name("procedure_cat"), "procedure_cat");
    }
}
