//! `rfm(transactions [, options])`: one row per customer with Recency, Frequency, Monetary,
//! their 1–5 scores and the R/F map segment.
//!
//! The function builds an ordinary DataFusion plan (projection → filter → aggregate → totals →
//! ranks → scores), so filters and projections are pushed into the scan and `EXPLAIN` shows
//! every operator. Three operators are segql's own: [`collapse_order_lines`] collapses each order's
//! lines to one row before the aggregate, [`totals`] appends the latest purchase and
//! the customer count, and [`ranks`] ranks the customers by recency, frequency and
//! monetary side by side (only the rankings the query reads), in place of three window
//! operators each behind its own single-partition sort.
//!
//! ```sql
//! SELECT segment, count(*) FROM rfm(sales) GROUP BY segment;
//! SELECT * FROM rfm('sales.parquet', as_of => '2011-12-10', returns => 'exclude');
//! SELECT * FROM rfm(orders, customer => 'email', amount => 'qty * price * (1 - discount)');
//! ```

pub mod aggregate;
pub mod collapse_order_lines;
pub mod measures_groups;
pub mod ranks;
pub mod segql_check_finite;
pub mod segql_rfm_cell;
pub mod segql_rfm_measures;
pub mod segql_rfm_segment;
pub mod segql_timestamp;
pub mod single_stage;
pub mod totals;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, DFSchema, Result, ScalarValue};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions::expr_fn::{coalesce, greatest, starts_with};
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::{
    Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, SortExpr, cast, col, ident, lit, when,
};

use ranks::Ranking;
use segql_timestamp::MICROS_PER_DAY;

use crate::error::arg_err;
use crate::functions::common::money::round_money;
use crate::planner::option_expr::{plan_option_expr, quote_ident};
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};
use crate::rfm::columns::{DetectError, Role, detect, find_column};

const NAME: &str = "rfm";

// Internal column names between plan stages; never visible in the output.
pub(crate) const TS: &str = "__rfm_ts";
pub(crate) const AMOUNT: &str = "__rfm_amount";
pub(crate) const ORDER: &str = "__rfm_order";
const SUM: &str = "__rfm_sum";
const DAYS: &str = "__rfm_days";

/// The declaration of `rfm()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        Param {
            name: "transactions",
            kind: ParamKind::Relation,
            positional: true,
            required: true,
            doc: "one row per purchase line: a table, (SELECT ...), CTE, quoted file path or table function",
        },
        Param {
            name: "customer",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "customer key: a column name or SQL expression (default: found by name, e.g. CustomerID)",
        },
        Param {
            name: "time",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "purchase time: a date/timestamp/ISO-8601 text column or an expression such as 'to_timestamp(d, ''%m/%d/%Y'')'",
        },
        Param {
            name: "amount",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "money per row: a column or expression (default: amount/total/revenue, else quantity * unit price)",
        },
        Param {
            name: "order_id",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "order or invoice id; frequency counts distinct ids (default: found by name; without one, rows are counted)",
        },
        Param {
            name: "as_of",
            kind: ParamKind::Timestamp,
            positional: false,
            required: false,
            doc: "the snapshot time; later rows are left out (default: latest purchase + 1 day)",
        },
        Param {
            name: "bins",
            kind: ParamKind::Integer,
            positional: false,
            required: false,
            doc: "number of score bins (default 5; segments rescale scores onto 1-5)",
        },
        Param {
            name: "returns",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "'include' (default) keeps negative amounts and cancelled orders; 'exclude' drops negative amounts and orders whose id starts with 'C'",
        },
        Param {
            name: "ties",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "'same' (default): equal values get equal scores, 1 + bins * (rank - 1) / n in integers, with SQL's rank and n customers (the share of customers strictly worse), so bins differ in size where values tie; 'split': NTILE(bins) over the value and the customer key, equal bin sizes, ties split by key",
        },
    ],
    description: "Recency, frequency and monetary value per customer, with 1-5 scores (R reversed, so \
                  recent = 5; equal values, equal scores) and the R/F map segment.",
    example: "SELECT segment, count(*) AS customers FROM rfm(sales) GROUP BY segment ORDER BY customers DESC",
    columns: &[
        (
            "<customer key>",
            "the customer key, input name and type kept (`customer` for an expression)",
        ),
        ("first_purchase", "TIMESTAMP (UTC): first purchase"),
        ("last_purchase", "TIMESTAMP (UTC): last purchase"),
        (
            "recency_days",
            "BIGINT: whole days from the last purchase to `as_of` (a timestamp difference truncated to days)",
        ),
        (
            "frequency",
            "BIGINT: distinct order ids, or rows without an order id",
        ),
        (
            "monetary",
            "DOUBLE: sum of amounts (NULL amounts count as nothing), rounded to 1e-6",
        ),
        ("avg_order_value", "DOUBLE: monetary / frequency"),
        (
            "tenure_days",
            "BIGINT: days from the first to the last purchase",
        ),
        (
            "periodicity_days",
            "DOUBLE: mean gap between purchase days (NULL for one purchase day)",
        ),
        (
            "r_score",
            "INT: 1 + bins * (rank - 1) / n over recency_days DESC (recent = high); with ties => 'split', NTILE(bins) over recency_days DESC, customer key",
        ),
        (
            "f_score",
            "INT: the same over frequency ascending (every one-order customer gets 1)",
        ),
        ("m_score", "INT: the same over monetary ascending"),
        ("rfm_cell", "TEXT: the three scores, e.g. '545'"),
        (
            "segment",
            "TEXT: the R/F map segment (Champions, Loyal Customers, ..., Hibernating)",
        ),
    ],
};

/// The `rfm()` table function.
#[derive(Debug, Default)]
pub struct RfmFunction;

impl SegqlTableFunction for RfmFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("transactions")?;
        let options = Options::from_args(&args)?;
        let roles = Roles::resolve(&args, input.schema(), ctx)?;
        build_plan(input, roles, &options)
    }
}

#[derive(Debug)]
pub(crate) struct Options {
    as_of_us: Option<i64>,
    bins: i64,
    exclude_returns: bool,
    /// Equal values share a score (`ties => 'same'`), else NTILE splits them by key.
    ties_share: bool,
}

impl Options {
    /// Only what picks the purchase rows (`as_of`, `returns`), for functions that read
    /// transactions as rfm() does (`cohorts`).
    pub(crate) fn purchase_rows(args: &Args) -> Result<Self> {
        Ok(Self {
            as_of_us: args.timestamp_micros("as_of"),
            bins: 5,
            exclude_returns: args.choice("returns", &["include", "exclude"], "include")?
                == "exclude",
            ties_share: true,
        })
    }

    fn from_args(args: &Args) -> Result<Self> {
        Ok(Self {
            as_of_us: args.timestamp_micros("as_of"),
            bins: args.integer_in("bins", 1..=1000, 5)?,
            exclude_returns: args.choice("returns", &["include", "exclude"], "include")?
                == "exclude",
            ties_share: args.choice("ties", &["same", "split"], "same")? == "same",
        })
    }
}

/// The expressions playing each role, over the input's schema.
#[derive(Debug)]
pub(crate) struct Roles {
    key: Expr,
    pub(crate) key_name: String,
    time: Expr,
    time_label: String,
    amount: Expr,
    amount_label: String,
    pub(crate) order: Option<Expr>,
}

impl Roles {
    /// The expressions of each role, found by name or given as options (`customer`, `time`,
    /// `amount`, `order_id`); errors are in `args`' function's name.
    pub(crate) fn resolve(
        args: &Args,
        schema: &DFSchema,
        ctx: &mut dyn RelationPlannerContext,
    ) -> Result<Self> {
        let f = args.function();
        let columns: Vec<String> = schema.fields().iter().map(|c| c.name().clone()).collect();

        let (key, key_name) = match role_option(args, "customer", schema, &columns, ctx)? {
            Some((expr, Some(name))) => (expr, name),
            Some((expr, None)) => (expr, "customer".to_string()),
            None => {
                let name = required_column(f, Role::Customer, &columns)?;
                (column(schema, name), name.to_string())
            }
        };

        // Labels are the column or expression as SQL, so hints built from them can be pasted.
        let (time, time_label) = match role_option(args, "time", schema, &columns, ctx)? {
            Some((expr, Some(name))) => (expr, quote_ident(&name)),
            Some((expr, None)) => (expr, args.text("time").unwrap_or_default()),
            None => {
                let name = required_column(f, Role::Time, &columns)?;
                (column(schema, name), quote_ident(name))
            }
        };
        let time_type = time.get_type(schema)?;
        if !segql_timestamp::accepts(&time_type) {
            let sql = time_label.replace('\'', "''");
            let fix = if time_type.is_integer() || time_type.is_floating() {
                format!(
                    "; if it holds seconds since 1970, convert it, e.g. time => 'to_timestamp({sql})'"
                )
            } else {
                String::new()
            };
            return Err(arg_err(
                f,
                format!(
                    "time {time_label} is {time_type}; expected a date, a timestamp or \
                     ISO-8601 text{fix}"
                ),
            ));
        }

        let (amount, amount_label) = match role_option(args, "amount", schema, &columns, ctx)? {
            Some((expr, Some(name))) => (expr, quote_ident(&name)),
            Some((expr, None)) => (expr, args.text("amount").unwrap_or_default()),
            None => default_amount(f, schema, &columns)?,
        };
        let amount_type = amount.get_type(schema)?;
        if !(amount_type.is_numeric() || amount_type == DataType::Null) {
            return Err(arg_err(
                f,
                format!(
                    "amount {amount_label} is {amount_type}; expected a number; \
                     convert it, e.g. amount => 'CAST({} AS DOUBLE)'",
                    amount_label.replace('\'', "''")
                ),
            ));
        }

        let order = match role_option(args, "order_id", schema, &columns, ctx)? {
            Some((expr, _)) => Some(expr),
            None => detect(Role::OrderId, &columns)
                .map_err(|e| ambiguous(f, Role::OrderId, e))?
                .map(|name| column(schema, name)),
        };

        Ok(Self {
            key,
            key_name,
            time,
            time_label,
            amount,
            amount_label,
            order,
        })
    }
}

/// The expression given for a role option, and the column name when it names a column.
fn role_option(
    args: &Args,
    option: &'static str,
    schema: &DFSchema,
    columns: &[String],
    ctx: &mut dyn RelationPlannerContext,
) -> Result<Option<(Expr, Option<String>)>> {
    let Some(text) = args.text(option) else {
        return Ok(None);
    };
    if let Some(name) = find_column(text.trim(), columns) {
        return Ok(Some((column(schema, name), Some(name.to_string()))));
    }
    let expr = plan_option_expr(args.function(), option, &text, schema, ctx)?;
    Ok(Some((expr, None)))
}

fn required_column<'a>(f: &'static str, role: Role, columns: &'a [String]) -> Result<&'a str> {
    detect(role, columns)
        .map_err(|e| ambiguous(f, role, e))?
        .ok_or_else(|| {
            arg_err(
                f,
                format!(
                    "no {} column found among ({}); name it with {} => '<column>'",
                    role.option(),
                    columns.join(", "),
                    role.option()
                ),
            )
        })
}

fn ambiguous(f: &'static str, role: Role, err: DetectError) -> datafusion::error::DataFusionError {
    let DetectError::Ambiguous(names) = err;
    arg_err(
        f,
        format!(
            "columns {} all look like the {}; choose one, e.g. {} => '{}'",
            names.join(", "),
            role.option(),
            role.option(),
            names[0].replace('\'', "''")
        ),
    )
}

/// The amount column, or quantity × unit price.
fn default_amount(
    f: &'static str,
    schema: &DFSchema,
    columns: &[String],
) -> Result<(Expr, String)> {
    if let Some(name) = detect(Role::Amount, columns).map_err(|e| ambiguous(f, Role::Amount, e))? {
        return Ok((column(schema, name), name.to_string()));
    }
    let quantity = detect(Role::Quantity, columns).map_err(|e| ambiguous(f, Role::Quantity, e))?;
    let price = detect(Role::UnitPrice, columns).map_err(|e| ambiguous(f, Role::UnitPrice, e))?;
    match (quantity, price) {
        (Some(q), Some(p)) => Ok((
            cast(column(schema, q), DataType::Float64) * cast(column(schema, p), DataType::Float64),
            format!("{} * {}", quote_ident(q), quote_ident(p)),
        )),
        _ => Err(arg_err(
            f,
            format!(
                "no amount column (amount, total, revenue, ...) nor quantity and unit price \
                 found among ({}); give one with amount => '<column or expression>'",
                columns.join(", ")
            ),
        )),
    }
}

/// A reference to the input column `name`, qualified as the input qualifies it.
fn column(schema: &DFSchema, name: &str) -> Expr {
    let index = schema
        .fields()
        .iter()
        .position(|f| f.name() == name)
        .unwrap_or_default();
    Expr::Column(Column::from(schema.qualified_field(index)))
}

/// The plan of an `rfm(...)` call, in the order it runs: the purchase rows, one row per
/// customer, the measures (with the totals over all customers they need), the scores.
fn build_plan(input: LogicalPlan, roles: Roles, options: &Options) -> Result<LogicalPlan> {
    let key = roles.key_name.clone();
    let has_order = roles.order.is_some();
    let rows = purchase_rows(NAME, input, roles, options)?;
    let per_customer = per_customer(rows, &key, has_order)?;
    let measures = measures(per_customer, &key, options)?;
    scores(measures, &key, options)
}

/// Step 1, the purchase rows: the four roles under fixed names, rows without a customer or a time
/// left out, and those after `as_of` (and returns, if asked).
pub(crate) fn purchase_rows(
    function: &'static str,
    input: LogicalPlan,
    roles: Roles,
    options: &Options,
) -> Result<LogicalPlanBuilder> {
    let key = roles.key_name.as_str();
    // Rows without a customer or a time are left out, tested on the raw columns so that the
    // time conversion runs once per row, in the projection.
    let present = roles
        .key
        .clone()
        .is_not_null()
        .and(roles.time.clone().is_not_null());
    let timestamp =
        segql_timestamp::udf().call(vec![roles.time, lit(roles.time_label), lit(function)]);
    let amount = segql_check_finite::udf().call(vec![
        cast(roles.amount, DataType::Float64),
        lit(roles.amount_label),
        lit(function),
    ]);

    let mut projection = vec![
        roles.key.alias(key),
        timestamp.alias(TS),
        amount.alias(AMOUNT),
    ];
    if let Some(order) = &roles.order {
        projection.push(order.clone().alias(ORDER));
    }
    let mut conditions = Vec::new();
    if let Some(as_of) = options.as_of_us {
        conditions.push(col(TS).lt_eq(lit(ScalarValue::TimestampMicrosecond(Some(as_of), None))));
    }
    if options.exclude_returns {
        conditions.push(col(AMOUNT).is_null().or(col(AMOUNT).gt_eq(lit(0.0))));
        if roles.order.is_some() {
            let cancelled = starts_with(cast(col(ORDER), DataType::Utf8), lit("C"));
            conditions.push(col(ORDER).is_null().or(!cancelled));
        }
    }
    let mut rows = LogicalPlanBuilder::from(input)
        .filter(present)?
        .project(projection)?;
    if let Some(keep) = conditions.into_iter().reduce(Expr::and) {
        rows = rows.filter(keep)?;
    }
    Ok(rows)
}

/// Step 2, one row per customer: a single aggregate (segql_rfm_measures) computes the dates,
/// frequency, sum and distinct purchase days in one pass over the rows. (DataFusion's own
/// plan for two different DISTINCT counts needs two aggregates joined on the key, reading the
/// input twice: 2-3x slower on 10M rows.)
fn per_customer(
    rows: LogicalPlanBuilder,
    key: &str,
    has_order: bool,
) -> Result<LogicalPlanBuilder> {
    let mut measure_args = vec![col(TS), col(AMOUNT)];
    if has_order {
        measure_args.push(col(ORDER));
    }
    let measures = segql_rfm_measures::udaf().call(measure_args);
    // The struct's fields are read straight off the aggregate: a renaming projection in
    // between makes DataFusion 55's push_down_leaf_projections rule fail ("duplicate field").
    let measures_name = measures.schema_name().to_string();
    let field = |name: &str| get_field(ident(&measures_name), name);
    let per_customer = rows
        .aggregate(vec![ident(key)], vec![measures])?
        .project(vec![
            ident(key),
            field("first_purchase").alias("first_purchase"),
            field("last_purchase").alias("last_purchase"),
            field("frequency").alias("frequency"),
            field("monetary").alias(SUM),
            field("purchase_days").alias(DAYS),
        ])?
        .build()?;
    single_stage::single_stage_scan(per_customer)
}

/// Steps 3 and 4, the totals over all customers (the latest purchase, as the default snapshot is
/// one day after it, and the customer count, the n of the scores), then each customer's
/// measures.
fn measures(
    per_customer: LogicalPlanBuilder,
    key: &str,
    options: &Options,
) -> Result<LogicalPlanBuilder> {
    let with_totals = totals::with_totals(per_customer.build()?, "last_purchase")?;
    let as_of_us = match options.as_of_us {
        Some(us) => lit(us),
        None => col(totals::LATEST) + lit(MICROS_PER_DAY),
    };

    let first_us = cast(col("first_purchase"), DataType::Int64);
    let last_us = cast(col("last_purchase"), DataType::Int64);
    let day_number = |c: &str| cast(cast(col(c), DataType::Date32), DataType::Int64);
    let monetary = round_money(coalesce(vec![col(SUM), lit(0.0)]))?;
    let periodicity = when(
        col(DAYS).gt(lit(1i64)),
        cast(
            day_number("last_purchase") - day_number("first_purchase"),
            DataType::Float64,
        ) / cast(col(DAYS) - lit(1i64), DataType::Float64),
    )
    .end()?;
    with_totals.project(vec![
        ident(key),
        col("first_purchase"),
        col("last_purchase"),
        ((as_of_us - last_us.clone()) / lit(MICROS_PER_DAY)).alias("recency_days"),
        col("frequency"),
        monetary.clone().alias("monetary"),
        (monetary.clone() / cast(col("frequency"), DataType::Float64)).alias("avg_order_value"),
        ((last_us - first_us) / lit(MICROS_PER_DAY)).alias("tenure_days"),
        periodicity.alias("periodicity_days"),
        col(totals::CUSTOMERS),
    ])
}

/// Step 5, scores from each customer's rank among all customers: by default SQL's rank() over the
/// value (equal values share a rank, so they share a score), with ties => 'split' the row
/// number over (value, customer key) bucketed as NTILE. Recency is ranked descending so that
/// recent = high. The three ranks are computed side by side by one operator ([`ranks`])
/// instead of three window operators, each behind its own single-partition sort.
fn scores(measures: LogicalPlanBuilder, key: &str, options: &Options) -> Result<LogicalPlan> {
    let (r_name, f_name, m_name) = ("__rfm_r_rank", "__rfm_f_rank", "__rfm_m_rank");
    let ranking = |name: &str, value: SortExpr| {
        let mut ordering = vec![value];
        if !options.ties_share {
            ordering.push(ident(key).sort(true, false));
        }
        Ranking {
            name: name.to_string(),
            ordering,
            peers_share: options.ties_share,
        }
    };
    let ranked = ranks::with_ranks(
        measures.build()?,
        vec![
            ranking(r_name, col("recency_days").sort(false, false)),
            ranking(f_name, col("frequency").sort(true, false)),
            ranking(m_name, col("monetary").sort(true, false)),
        ],
    )?;

    let score = |name: &str| {
        let customers = col(totals::CUSTOMERS);
        if options.ties_share {
            Ok(share_worse(col(name), customers, options.bins))
        } else {
            ntile(col(name), customers, options.bins)
        }
    };
    let measure_columns = [
        "first_purchase",
        "last_purchase",
        "recency_days",
        "frequency",
        "monetary",
        "avg_order_value",
        "tenure_days",
        "periodicity_days",
    ];
    let mut scored = vec![ident(key)];
    scored.extend(measure_columns.iter().map(|c| col(*c)));
    scored.extend([
        score(r_name)?.alias("r_score"),
        score(f_name)?.alias("f_score"),
        score(m_name)?.alias("m_score"),
    ]);
    let mut output = vec![ident(key)];
    output.extend(measure_columns.iter().map(|c| col(*c)));
    output.extend([
        col("r_score"),
        col("f_score"),
        col("m_score"),
        segql_rfm_cell::udf()
            .call(vec![col("r_score"), col("f_score"), col("m_score")])
            .alias("rfm_cell"),
        segql_rfm_segment::udf()
            .call(vec![col("r_score"), col("f_score"), lit(options.bins)])
            .alias("segment"),
    ]);
    ranked.project(scored)?.project(output)?.build()
}

/// The score of the customer ranked `rank` (SQL's rank, from 1) among `customers`:
/// `1 + bins * (rank - 1) / customers` in integers, the share of customers strictly worse,
/// in bins. Equal values share a rank, hence a score.
fn share_worse(rank: Expr, customers: Expr, bins: i64) -> Expr {
    lit(1i64) + lit(bins) * (cast(rank, DataType::Int64) - lit(1i64)) / customers
}

/// SQL's `NTILE(bins)` of the row numbered `row_number` (from 1) among `rows`: the first
/// `rows % bins` buckets hold one row more than the others. The same buckets as DataFusion's
/// and DuckDB's NTILE window.
fn ntile(row_number: Expr, rows: Expr, bins: i64) -> Result<Expr> {
    let i = cast(row_number, DataType::Int64) - lit(1i64);
    let base = rows.clone() / lit(bins);
    let remainder = rows % lit(bins);
    let large = remainder.clone() * (base.clone() + lit(1i64));
    // When base is 0 every row is in a large bucket, so the ELSE branch never divides by it.
    let small_base = greatest(vec![base.clone(), lit(1i64)]);
    when(
        i.clone().lt(large.clone()),
        i.clone() / (base + lit(1i64)) + lit(1i64),
    )
    .otherwise(remainder + (i - large) / small_base + lit(1i64))
}
