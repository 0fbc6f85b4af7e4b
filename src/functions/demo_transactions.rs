//! `demo_transactions([rows [, seed [, customers]]])`: generated online-retail transactions.
//!
//! ```sql
//! SELECT count(*) FROM demo_transactions(rows => 50000);               -- 50000
//! SELECT * FROM rfm(demo_transactions(rows => 100000, seed => 7)) LIMIT 3;
//! ```

use std::sync::Arc;

use datafusion::common::{Result, TableReference};
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};

use crate::demo::{DEMO_ROWS, DemoConfig, mem_table};
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};

/// Largest number of rows the function generates in one call.
const MAX_ROWS: i64 = 500_000_000;

/// The declaration of `demo_transactions()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: "demo_transactions",
    params: &[
        Param {
            name: "rows",
            kind: ParamKind::Integer,
            positional: true,
            required: false,
            doc: "number of transaction lines (default 200000)",
        },
        Param {
            name: "seed",
            kind: ParamKind::Integer,
            positional: true,
            required: false,
            doc: "random seed (default 42); the same arguments always give the same rows",
        },
        Param {
            name: "customers",
            kind: ParamKind::Integer,
            positional: true,
            required: false,
            doc: "number of distinct customers (default rows / 25)",
        },
    ],
    description: "Deterministic online-retail-shaped transactions: InvoiceNo (~2% 'C' cancellations), \
                  StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID (~20% NULL), Country.",
    example: "SELECT * FROM rfm(demo_transactions(rows => 100000))",
    columns: &[
        (
            "InvoiceNo",
            "TEXT: invoice id, ~2% cancellations starting with 'C' (negative quantity)",
        ),
        ("StockCode", "TEXT: product code"),
        ("Description", "TEXT: product name"),
        ("Quantity", "BIGINT: units (negative on cancellations)"),
        (
            "InvoiceDate",
            "TIMESTAMP: invoice time, December 2010 to December 2011",
        ),
        ("UnitPrice", "DOUBLE: price per unit"),
        ("CustomerID", "BIGINT: customer, NULL on ~20% of lines"),
        ("Country", "TEXT: the customer's country"),
    ],
};

/// The `demo_transactions` table function.
#[derive(Debug, Default)]
pub struct DemoTransactionsFunction;

impl SegqlTableFunction for DemoTransactionsFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, args: Args, ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let rows = args.integer_in("rows", 0..=MAX_ROWS, DEMO_ROWS as i64)? as usize;
        let seed = args.integer_in("seed", 0..=i64::MAX, 42)? as u64;
        let default_customers = (rows / 25).max(1) as i64;
        let customers = args.integer_in("customers", 1..=MAX_ROWS, default_customers)? as usize;
        let config = DemoConfig {
            rows,
            customers,
            seed,
            ..DemoConfig::new(rows)
        };
        let partitions = ctx.context_provider().options().execution.target_partitions;
        let table = mem_table(&config, partitions)?;
        // The scan's name carries the arguments: DataFusion compares scans by name, so two calls
        // with different arguments in one statement must not look alike.
        let name = format!("demo_transactions(rows={rows}, seed={seed}, customers={customers})");
        LogicalPlanBuilder::scan(
            TableReference::bare(name),
            provider_as_source(Arc::new(table)),
            None,
        )?
        .build()
    }
}
