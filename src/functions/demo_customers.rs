//! `demo_customers([rows [, seed]])`: generated customer profiles with the eight features of the
//! classic K-Means segmentation recipe (and five planted personas), for segmentation beyond RFM
//! without a download.
//!
//! ```sql
//! SELECT * FROM kmeans_fit(demo_customers(5000), 5,
//!     features => 'annual_income, spending_score, number_of_purchases, age, years_with_company, average_order_value, activity_per_week');
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::{Result, TableReference};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::logical_expr::planner::RelationPlannerContext;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};

use crate::demo::{Customers, PERSONA_NAMES, customers};
use crate::planner::{Args, FunctionSpec, Param, ParamKind, SegqlTableFunction};

/// Largest number of rows one call generates.
const MAX_ROWS: i64 = 100_000_000;
/// Rows per generated batch.
const BATCH_ROWS: usize = 8192;

/// The declaration of `demo_customers()`.
pub static SPEC: FunctionSpec = FunctionSpec {
    name: "demo_customers",
    params: &[
        Param {
            name: "rows",
            kind: ParamKind::Integer,
            positional: true,
            required: false,
            doc: "number of customers (default 10000)",
        },
        Param {
            name: "seed",
            kind: ParamKind::Integer,
            positional: true,
            required: false,
            doc: "random seed (default 42); the same arguments always give the same rows",
        },
    ],
    description: "Deterministic customer profiles drawn around five planted personas (young \
                  bargain hunters, affluent professionals, frugal families, retired loyalists, \
                  occasional browsers): customer_id and the eight features of the classic \
                  K-Means segmentation recipe, with realistic ranges and correlations (richer \
                  customers spend more per order).",
    example: "SELECT * FROM demo_customers(1000) LIMIT 5",
    columns: &[
        ("customer_id", "BIGINT: 1, 2, ..."),
        ("annual_income", "DOUBLE: dollars a year, to the hundred"),
        ("spending_score", "BIGINT: 1 to 100"),
        ("number_of_purchases", "BIGINT: in the last year"),
        ("age", "BIGINT: 18 to 90"),
        ("years_with_company", "BIGINT: whole years"),
        ("average_order_value", "DOUBLE: dollars per order"),
        ("activity_per_week", "DOUBLE: visits per week"),
        (
            "product_category",
            "TEXT: electronics, fashion, home_goods or beauty",
        ),
        (
            "persona",
            "TEXT: the planted group the row was drawn from (not a feature: the truth a segmentation can be checked against)",
        ),
    ],
};

/// The `demo_customers` table function.
#[derive(Debug, Default)]
pub struct DemoCustomersFunction;

impl SegqlTableFunction for DemoCustomersFunction {
    fn spec(&self) -> &'static FunctionSpec {
        &SPEC
    }

    fn plan(&self, args: Args, ctx: &mut dyn RelationPlannerContext) -> Result<LogicalPlan> {
        let rows = args.integer_in("rows", 0..=MAX_ROWS, 10_000)? as usize;
        let seed = args.integer_in("seed", 0..=i64::MAX, 42)? as u64;
        let partitions = ctx.context_provider().options().execution.target_partitions;
        let table = customers_table(&customers(rows, seed), partitions)?;
        // the arguments are in the scan's name: DataFusion compares scans by name
        let name = format!("demo_customers(rows={rows}, seed={seed})");
        LogicalPlanBuilder::scan(
            TableReference::bare(name),
            provider_as_source(Arc::new(table)),
            None,
        )?
        .build()
    }
}

fn schema() -> SchemaRef {
    let int = |name| Field::new(name, DataType::Int64, false);
    let double = |name| Field::new(name, DataType::Float64, false);
    Arc::new(Schema::new(vec![
        int("customer_id"),
        double("annual_income"),
        int("spending_score"),
        int("number_of_purchases"),
        int("age"),
        int("years_with_company"),
        double("average_order_value"),
        double("activity_per_week"),
        Field::new("product_category", DataType::Utf8, false),
        Field::new("persona", DataType::Utf8, false),
    ]))
}

/// The profiles as a table of `partitions` partitions, rows in order.
fn customers_table(c: &Customers, partitions: usize) -> Result<MemTable> {
    let schema = schema();
    let rows = c.customer_id.len();
    let per_partition = rows.div_ceil(partitions.max(1)).max(1);
    let mut parts: Vec<Vec<RecordBatch>> = Vec::new();
    for start in (0..rows).step_by(per_partition) {
        let end = (start + per_partition).min(rows);
        let mut batches = Vec::new();
        for from in (start..end).step_by(BATCH_ROWS) {
            let to = (from + BATCH_ROWS).min(end);
            batches.push(batch(&schema, c, from..to)?);
        }
        parts.push(batches);
    }
    if parts.is_empty() {
        parts.push(Vec::new());
    }
    MemTable::try_new(schema, parts)
}

fn batch(schema: &SchemaRef, c: &Customers, rows: std::ops::Range<usize>) -> Result<RecordBatch> {
    let ints = |v: &[i64]| -> ArrayRef { Arc::new(Int64Array::from(v[rows.clone()].to_vec())) };
    let doubles =
        |v: &[f64]| -> ArrayRef { Arc::new(Float64Array::from(v[rows.clone()].to_vec())) };
    let columns = vec![
        ints(&c.customer_id),
        doubles(&c.annual_income),
        ints(&c.spending_score),
        ints(&c.number_of_purchases),
        ints(&c.age),
        ints(&c.years_with_company),
        doubles(&c.average_order_value),
        doubles(&c.activity_per_week),
        Arc::new(StringArray::from(c.product_category[rows.clone()].to_vec())),
        Arc::new(StringArray::from_iter_values(
            c.persona[rows.clone()]
                .iter()
                .map(|&p| PERSONA_NAMES[usize::from(p)]),
        )),
    ];
    Ok(RecordBatch::try_new(Arc::clone(schema), columns)?)
}
