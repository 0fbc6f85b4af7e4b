//! `cohorts(transactions [, period => 'month', options])`: customers grouped by when they
//! first bought, and what each group did in every period since — the retention table. The
//! purchase rows are rfm()'s (the same column detection, `as_of` and `returns` handling).
//!
//! ```sql
//! SELECT cohort, period_number, retention FROM cohorts(sales) ORDER BY cohort, period_number;
//! SELECT * FROM cohorts('sales.parquet', period => 'week', returns => 'exclude');
//! ```

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::functions::expr_fn::{date_part, date_trunc, round};
use datafusion::functions_aggregate::expr_fn::{count, count_distinct, sum};
use datafusion::functions_aggregate::min_max::{max_udaf, min_udaf};
use datafusion::logical_expr::expr::WindowFunction;
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::{
    AggregateUDF, Expr, ExprFunctionExt, LogicalPlan, WindowFunctionDefinition, cast, col, ident,
    lit,
};

use crate::functions::common::money::round_money;
use crate::functions::rfm::{AMOUNT, ORDER, Options, Roles, TS, purchase_rows};
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};

const NAME: &str = "cohorts";

/// The declaration of `cohorts()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: NAME,
    params: &[
        Param {
            name: "transactions",
            kind: ParamKind::Relation,
            positional: true,
            required: true,
            doc: "one row per purchase line, as for rfm(): a table, (SELECT ...), CTE, quoted file path or table function",
        },
        Param {
            name: "period",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "'month' (default), 'week' (ISO weeks, starting Monday) or 'quarter'",
        },
        Param {
            name: "customer",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "customer key, as rfm()'s (default: found by name)",
        },
        Param {
            name: "time",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "purchase time, as rfm()'s (default: found by name)",
        },
        Param {
            name: "amount",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "money per row, as rfm()'s (default: amount/total/revenue, else quantity * unit price)",
        },
        Param {
            name: "order_id",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "order or invoice id; orders counts distinct ids (default: found by name; without one, rows are counted)",
        },
        Param {
            name: "returns",
            kind: ParamKind::Text,
            positional: false,
            required: false,
            doc: "'include' (default) keeps negative amounts and cancelled orders; 'exclude' drops negative amounts and orders whose id starts with 'C', as rfm()'s",
        },
        Param {
            name: "as_of",
            kind: ParamKind::Timestamp,
            positional: false,
            required: false,
            doc: "leave out rows after this time (default: keep every row)",
        },
    ],
    description: "Cohort analysis: each customer's cohort is the period of their first purchase \
                  (date_trunc(period, first purchase time), over the rows rfm() keeps: those with a \
                  customer and a time, up to as_of, and without returns when returns => 'exclude'). \
                  One row per cohort and period in which any of its customers bought: period_number \
                  counts calendar periods since the cohort's (0 is the cohort's own, where every \
                  customer is active), active_customers bought at least once in it, retention is \
                  active_customers / cohort_customers, revenue sums the amounts and orders counts \
                  each customer's distinct order ids in the period (rows without an order id column). \
                  ORDER BY cohort, period_number gives the usual triangle.",
    example: "SELECT cohort, period_number, retention FROM cohorts(sales) WHERE period_number <= 3 ORDER BY cohort, period_number",
    columns: &[
        ("cohort", "DATE: the first day of the cohort's period"),
        (
            "period_number",
            "INT: calendar periods since the cohort's (0, 1, ...)",
        ),
        ("cohort_customers", "BIGINT: customers in the cohort"),
        (
            "active_customers",
            "BIGINT: of them, those with a purchase in this period",
        ),
        ("retention", "DOUBLE: active_customers / cohort_customers"),
        (
            "revenue",
            "DOUBLE: the sum of their amounts in this period, rounded to 1e-6",
        ),
        (
            "orders",
            "BIGINT: their distinct orders in this period (rows when there is no order id)",
        ),
    ],
};

/// The `cohorts` table function.
#[derive(Debug)]
pub struct CohortsFunction;

const PERIOD: &str = "__cohort_period";
const COHORT: &str = "__cohort_start";
const REVENUE: &str = "__cohort_revenue";
const ORDERS: &str = "__cohort_orders";

impl SegqlTableFunction for CohortsFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, mut args: Args, ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let input = args.take_relation("transactions")?;
        let period = args.choice("period", &["month", "week", "quarter"], "month")?;
        let options = Options::purchase_rows(&args)?;
        let roles = Roles::resolve(&args, input.schema(), ctx)?;
        let key = roles.key_name.clone();
        let has_order = roles.order.is_some();
        let rows = purchase_rows(NAME, input, roles, &options)?;

        // 1. one row per customer and period in which they bought
        let orders = if has_order {
            count_distinct(col(ORDER))
        } else {
            count(lit(1))
        };
        let per_customer = rows.aggregate(
            vec![ident(&key), date_trunc(lit(period), col(TS)).alias(PERIOD)],
            vec![sum(col(AMOUNT)).alias(REVENUE), orders.alias(ORDERS)],
        )?;
        // 2. each customer's cohort: their first period
        let first = over(min_udaf(), col(PERIOD), ident(&key))?.alias(COHORT);
        // 3. per cohort and period; period 0 holds every customer of the cohort, so the
        //    cohort's size is its largest count of active customers
        let size =
            over(max_udaf(), col("active_customers"), col(COHORT))?.alias("cohort_customers");
        let retention = cast(col("active_customers"), DataType::Float64)
            / cast(col("cohort_customers"), DataType::Float64);
        per_customer
            .window(vec![first])?
            .aggregate(
                vec![col(COHORT), col(PERIOD)],
                vec![
                    count(lit(1)).alias("active_customers"),
                    sum(col(REVENUE)).alias("revenue"),
                    sum(col(ORDERS)).alias("orders"),
                ],
            )?
            .window(vec![size])?
            .project(vec![
                cast(col(COHORT), DataType::Date32).alias("cohort"),
                period_number(period, col(COHORT), col(PERIOD)).alias("period_number"),
                col("cohort_customers"),
                col("active_customers"),
                retention.alias("retention"),
                // rounded as rfm()'s monetary is: a parallel sum adds the amounts in an order
                // that depends on the partitioning, which only the last bits show
                round_money(col("revenue"))?.alias("revenue"),
                col("orders"),
            ])?
            .build()
    }
}

/// The aggregate `function` of `arg` over each `partition`, as a window.
fn over(function: std::sync::Arc<AggregateUDF>, arg: Expr, partition: Expr) -> Result<Expr> {
    Expr::from(WindowFunction::new(
        WindowFunctionDefinition::AggregateUDF(function),
        vec![arg],
    ))
    .partition_by(vec![partition])
    .build()
}

/// Calendar periods from the period starting at `cohort` to the one starting at `at`.
fn period_number(period: &str, cohort: Expr, at: Expr) -> Expr {
    let part = |name: &str, e: Expr| cast(date_part(lit(name), e), DataType::Int64);
    let number = match period {
        "week" => {
            let seconds = date_part(lit("epoch"), at) - date_part(lit("epoch"), cohort);
            cast(round(vec![seconds / lit(604_800.0)]), DataType::Int64)
        }
        "quarter" => {
            let index = |e: Expr| part("year", e.clone()) * lit(4i64) + part("quarter", e);
            index(at) - index(cohort)
        }
        _ => {
            let index = |e: Expr| part("year", e.clone()) * lit(12i64) + part("month", e);
            index(at) - index(cohort)
        }
    };
    cast(number, DataType::Int32)
}
