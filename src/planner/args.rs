//! The argument list of a segql table function: its declared parameters ([`FunctionSpec`]) and
//! the values parsed from a call ([`Args`]).
//!
//! A call mixes positional arguments, bound in declaration order, and named ones written
//! `name => value`. Each parameter declares the kind of value it accepts; relations are planned
//! through the SQL planner (see [`super::relation_arg`]), everything else must be a constant that
//! folds to a literal (`7`, `'log'`, `DATE '2011-12-10'`, `-1.5`, `true`).

use std::collections::HashMap;
use std::fmt::Write as _;

use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::sql::sqlparser::ast::{self as ast, FunctionArg, FunctionArgExpr};

use super::relation_arg::{RelationResolver, plan_relation_arg};
use crate::error::arg_err;

/// The kind of value a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A relation: table name, `(SELECT ...)`, CTE, quoted file path or nested table function.
    Relation,
    /// A whole number.
    Integer,
    /// Any number.
    Float,
    /// A string.
    Text,
    /// `true` or `false`.
    Boolean,
    /// A date or timestamp, or a string that reads as one (`'2011-12-10'`).
    Timestamp,
    /// A whole number or the word `'auto'` (kept as the text `auto`).
    IntegerOrAuto,
    /// A relation, or a saved model's name as a quoted string (kept as text): a quoted string
    /// that is a valid model name and does not end like a data file (`.csv`, `.parquet`, ...).
    RelationOrModel,
}

impl ParamKind {
    /// How the kind is described in signatures and error messages.
    pub fn describe(self) -> &'static str {
        match self {
            ParamKind::Relation => "a relation",
            ParamKind::Integer => "an integer",
            ParamKind::Float => "a number",
            ParamKind::Text => "a string",
            ParamKind::Boolean => "a boolean",
            ParamKind::Timestamp => "a date or timestamp",
            ParamKind::IntegerOrAuto => "an integer or 'auto'",
            ParamKind::RelationOrModel => "a relation or a model name",
        }
    }
}

/// One declared parameter of a table function.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// The name used in `name => value`.
    pub name: &'static str,
    /// What it accepts.
    pub kind: ParamKind,
    /// Whether it may be given by position (positional parameters come first).
    pub positional: bool,
    /// Whether the call fails without it.
    pub required: bool,
    /// One line for the function reference.
    pub doc: &'static str,
}

/// The declaration of a segql table function: its name, parameters and documentation.
#[derive(Debug)]
pub struct FunctionSpec {
    /// SQL name.
    pub name: &'static str,
    /// Parameters, positional ones first, in order.
    pub params: &'static [Param],
    /// What the function does, for the function reference.
    pub description: &'static str,
    /// A SQL example.
    pub example: &'static str,
    /// The output columns: name and meaning (with the SQL type).
    pub columns: &'static [(&'static str, &'static str)],
}

impl FunctionSpec {
    /// The call signature, e.g. `rfm(transactions [, option => value ...])`; the options are
    /// listed in the function's argument table.
    pub fn signature(&self) -> String {
        let mut out = format!("{}(", self.name);
        let mut first = true;
        let mut optional_open = 0;
        for p in self.params.iter().filter(|p| p.positional) {
            let sep = if first { "" } else { ", " };
            first = false;
            if p.required {
                let _ = write!(out, "{sep}{}", p.name);
            } else {
                let space = if sep.is_empty() { "" } else { " " };
                let _ = write!(out, "{space}[{sep}{}", p.name);
                optional_open += 1;
            }
        }
        if self.params.iter().any(|p| !p.positional) {
            let space = if first { "" } else { " " };
            let sep = if first { "" } else { ", " };
            let _ = write!(out, "{space}[{sep}option => value ...]");
        }
        out.push_str(&"]".repeat(optional_open));
        out.push(')');
        out
    }

    fn accepted_names(&self) -> String {
        self.params
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn param(&self, name: &str) -> Option<&'static Param> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// A parsed argument value.
#[derive(Debug)]
pub enum ArgValue {
    /// A planned input relation.
    Relation(LogicalPlan),
    /// A constant, already checked against the parameter's kind.
    Scalar(ScalarValue),
}

/// The arguments of one call, by parameter name.
#[derive(Debug)]
pub struct Args {
    spec: &'static FunctionSpec,
    values: HashMap<&'static str, ArgValue>,
}

impl Args {
    /// Parse a call's arguments against `spec`, planning relation arguments through `ctx`.
    pub fn parse(
        spec: &'static FunctionSpec,
        args: Vec<FunctionArg>,
        ctx: &mut dyn RelationPlannerContext,
        resolver: &RelationResolver,
    ) -> Result<Self> {
        let f = spec.name;
        let positional: Vec<&'static Param> = spec.params.iter().filter(|p| p.positional).collect();
        let mut values = HashMap::new();
        let mut next_position = 0;
        let mut named_seen = false;
        for arg in args {
            let (param, expr) = match arg {
                FunctionArg::Unnamed(value) => {
                    if named_seen {
                        return Err(arg_err(
                            f,
                            format!(
                                "positional argument {value} follows a named argument; \
                                 usage: {}",
                                spec.signature()
                            ),
                        ));
                    }
                    let Some(param) = positional.get(next_position) else {
                        return Err(arg_err(
                            f,
                            format!(
                                "too many positional arguments (at {value}); options are \
                                 named, as in name => value; usage: {}",
                                spec.signature()
                            ),
                        ));
                    };
                    next_position += 1;
                    (*param, value)
                }
                FunctionArg::Named { name, arg, .. } => {
                    named_seen = true;
                    (lookup_named(spec, &name.value)?, arg)
                }
                FunctionArg::ExprNamed { name, arg, .. } => {
                    named_seen = true;
                    let key = match &name {
                        ast::Expr::Identifier(id) => id.value.clone(),
                        other => {
                            return Err(arg_err(
                                f,
                                format!("argument name {other} must be a plain identifier"),
                            ));
                        }
                    };
                    (lookup_named(spec, &key)?, arg)
                }
            };
            if values.contains_key(param.name) {
                return Err(arg_err(
                    f,
                    format!("argument '{}' is given twice", param.name),
                ));
            }
            let FunctionArgExpr::Expr(expr) = expr else {
                return Err(arg_err(
                    f,
                    format!("argument '{}' cannot be a wildcard", param.name),
                ));
            };
            let value = match param.kind {
                ParamKind::Relation => {
                    ArgValue::Relation(plan_relation_arg(f, param.name, expr, ctx, resolver)?)
                }
                ParamKind::RelationOrModel => match model_reference(&expr) {
                    Some(name) => ArgValue::Scalar(ScalarValue::Utf8(Some(name))),
                    None => {
                        ArgValue::Relation(plan_relation_arg(f, param.name, expr, ctx, resolver)?)
                    }
                },
                kind => ArgValue::Scalar(constant_arg(f, param, kind, expr, ctx)?),
            };
            values.insert(param.name, value);
        }
        if let Some(missing) = spec
            .params
            .iter()
            .find(|p| p.required && !values.contains_key(p.name))
        {
            return Err(arg_err(
                f,
                format!(
                    "missing argument '{}' ({}); usage: {}",
                    missing.name,
                    missing.kind.describe(),
                    spec.signature()
                ),
            ));
        }
        Ok(Self { spec, values })
    }

    /// Whether the call gives the parameter `name`.
    pub fn is_given(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The SQL name of the function called.
    pub fn function(&self) -> &'static str {
        self.spec.name
    }

    /// Take the relation argument `name` (the spec guarantees its kind).
    pub fn take_relation(&mut self, name: &str) -> Result<LogicalPlan> {
        match self.values.remove(name) {
            Some(ArgValue::Relation(plan)) => Ok(plan),
            _ => Err(arg_err(
                self.spec.name,
                format!("missing relation argument '{name}'"),
            )),
        }
    }

    fn scalar(&self, name: &str) -> Option<&ScalarValue> {
        match self.values.get(name) {
            Some(ArgValue::Scalar(v)) => Some(v),
            _ => None,
        }
    }

    /// An integer option, if given.
    pub fn integer(&self, name: &str) -> Option<i64> {
        match self.scalar(name)? {
            ScalarValue::Int64(v) => *v,
            _ => None,
        }
    }

    /// A numeric option, if given.
    pub fn float(&self, name: &str) -> Option<f64> {
        match self.scalar(name)? {
            ScalarValue::Float64(v) => *v,
            _ => None,
        }
    }

    /// A string option, if given.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.scalar(name)? {
            ScalarValue::Utf8(v) => v.clone(),
            _ => None,
        }
    }

    /// A boolean option, if given.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.scalar(name)? {
            ScalarValue::Boolean(v) => *v,
            _ => None,
        }
    }

    /// A timestamp option as microseconds since the epoch (UTC), if given.
    pub fn timestamp_micros(&self, name: &str) -> Option<i64> {
        match self.scalar(name)? {
            ScalarValue::TimestampMicrosecond(v, _) => *v,
            _ => None,
        }
    }

    /// An integer option that must lie in `range`, with `default` when absent.
    pub fn integer_in(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
        default: i64,
    ) -> Result<i64> {
        let value = self.integer(name).unwrap_or(default);
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(arg_err(
                self.spec.name,
                format!(
                    "'{name}' must be between {} and {}, got {value}",
                    range.start(),
                    range.end()
                ),
            ))
        }
    }

    /// A string option that must be one of `choices` (case-insensitive), with `default`.
    pub fn choice(
        &self,
        name: &str,
        choices: &[&'static str],
        default: &'static str,
    ) -> Result<&'static str> {
        let Some(given) = self.text(name) else {
            return Ok(default);
        };
        choices
            .iter()
            .find(|c| c.eq_ignore_ascii_case(given.trim()))
            .copied()
            .ok_or_else(|| {
                arg_err(
                    self.spec.name,
                    format!(
                        "'{name}' must be one of {}, got '{}'",
                        choices
                            .iter()
                            .map(|c| format!("'{c}'"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        crate::text::echo(&given)
                    ),
                )
            })
    }
}

fn lookup_named(spec: &'static FunctionSpec, name: &str) -> Result<&'static Param> {
    spec.param(name).ok_or_else(|| {
        arg_err(
            spec.name,
            format!(
                "unknown option '{name}'; accepted: {}",
                spec.accepted_names()
            ),
        )
    })
}

/// Plan `expr` as a constant and check it against `kind`, normalising the value:
/// integers to Int64, numbers to Float64, text to Utf8, timestamps to microseconds (UTC).
/// The model a `RelationOrModel` argument names: a quoted string that is a valid model name
/// and does not end like a data file.
fn model_reference(expr: &ast::Expr) -> Option<String> {
    const DATA_FILES: [&str; 9] = [
        ".csv", ".tsv", ".parquet", ".json", ".ndjson", ".avro", ".arrow", ".gz", ".zst",
    ];
    let ast::Expr::Value(v) = expr else {
        return None;
    };
    let (ast::Value::SingleQuotedString(text) | ast::Value::DoubleQuotedString(text)) = &v.value
    else {
        return None;
    };
    let lower = text.to_ascii_lowercase();
    let file = DATA_FILES.iter().any(|ext| lower.ends_with(ext));
    (!file && crate::model::store::check_name(text).is_ok()).then(|| text.clone())
}

fn constant_arg(
    function: &'static str,
    param: &Param,
    kind: ParamKind,
    expr: ast::Expr,
    ctx: &mut dyn RelationPlannerContext,
) -> Result<ScalarValue> {
    let shown = crate::text::echo(&expr.to_string());
    let wrong = |detail: &str| {
        arg_err(
            function,
            format!(
                "'{}' expects {}, got {shown}{detail}",
                param.name,
                kind.describe()
            ),
        )
    };
    if looks_like_relation(&expr) {
        return Err(wrong(" (a relation)"));
    }
    let planned = ctx
        .sql_to_expr(expr, &DFSchema::empty())
        .map_err(|e| wrong(&format!(" ({})", first_line(&e.to_string()))))?;
    // coerced first, as the SQL planner's analyzer would: folding `[1, 2, 2.5]` uncoerced
    // hands Arrow arrays of two types to one list
    let simplifier = ExprSimplifier::new(SimplifyContext::default());
    let folded = simplifier
        .coerce(planned, &DFSchema::empty())
        .and_then(|coerced| simplifier.simplify(coerced))
        .map_err(|e| wrong(&format!(" ({})", first_line(&e.to_string()))))?;
    let Expr::Literal(value, _) = folded else {
        if matches!(folded, Expr::Placeholder(_)) {
            return Err(wrong(
                " (a bound parameter): table function arguments are planned before parameters \
                 are bound, so write the value into the SQL text (psycopg: sql.Literal or a \
                 ClientCursor)",
            ));
        }
        return Err(wrong(" (not a constant)"));
    };
    if value.is_null() {
        return Err(wrong(" (NULL)"));
    }
    let dt = value.data_type();
    let normalized = match kind {
        ParamKind::Integer if dt.is_integer() => value.cast_to(&DataType::Int64).ok(),
        ParamKind::Float if dt.is_numeric() => value.cast_to(&DataType::Float64).ok(),
        ParamKind::Text if is_text(&dt) => value.cast_to(&DataType::Utf8).ok(),
        ParamKind::Boolean if dt == DataType::Boolean => Some(value),
        ParamKind::Timestamp if is_text(&dt) || dt.is_temporal() => to_timestamp_micros(&value),
        ParamKind::IntegerOrAuto if dt.is_integer() => value.cast_to(&DataType::Int64).ok(),
        ParamKind::IntegerOrAuto if is_text(&dt) => value
            .cast_to(&DataType::Utf8)
            .ok()
            .filter(|v| matches!(v, ScalarValue::Utf8(Some(t)) if t.trim().eq_ignore_ascii_case("auto")))
            .map(|_| ScalarValue::Utf8(Some("auto".to_string()))),
        _ => None,
    };
    normalized.ok_or_else(|| wrong(&format!(" ({dt})")))
}

fn is_text(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// A timestamp, date or ISO-8601 string as a UTC microsecond timestamp; `None` if unreadable.
fn to_timestamp_micros(value: &ScalarValue) -> Option<ScalarValue> {
    let target = DataType::Timestamp(TimeUnit::Microsecond, None);
    let array = value.to_array().ok()?;
    let options = CastOptions {
        safe: false,
        ..Default::default()
    };
    let cast = match array.data_type() {
        // Drop the zone first, keeping the UTC instant.
        DataType::Timestamp(unit, Some(_)) => {
            let naive =
                cast_with_options(&array, &DataType::Timestamp(*unit, None), &options).ok()?;
            cast_with_options(&naive, &target, &options).ok()?
        }
        _ => cast_with_options(&array, &target, &options).ok()?,
    };
    let scalar = ScalarValue::try_from_array(&cast, 0).ok()?;
    (!scalar.is_null()).then_some(scalar)
}

/// Bare identifiers, subqueries and function calls in a scalar position are almost always a
/// relation given where a constant belongs (or a misspelt option value).
fn looks_like_relation(expr: &ast::Expr) -> bool {
    matches!(
        expr,
        ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) | ast::Expr::Subquery(_)
    )
}

/// The first line of an error message, without DataFusion's "Error during planning: " prefix.
pub(crate) fn first_line(message: &str) -> &str {
    let line = message.lines().next().unwrap_or(message);
    line.strip_prefix("Error during planning: ").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPEC: FunctionSpec = FunctionSpec {
        name: "demo",
        params: &[
            Param {
                name: "input",
                kind: ParamKind::Relation,
                positional: true,
                required: true,
                doc: "",
            },
            Param {
                name: "k",
                kind: ParamKind::Integer,
                positional: true,
                required: false,
                doc: "",
            },
            Param {
                name: "seed",
                kind: ParamKind::Integer,
                positional: false,
                required: false,
                doc: "",
            },
        ],
        description: "",
        example: "",
        columns: &[],
    };

    #[test]
    fn signature_shows_positional_and_named_parameters() {
        assert_eq!(
            SPEC.signature(),
            "demo(input [, k [, option => value ...]])"
        );
    }
}
