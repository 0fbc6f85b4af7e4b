//! Struct columns in a result, spread into one column per field. Postgres clients would get a
//! struct as an anonymous `record` (text such as `(1,2,40.0)`) that BI tools cannot chart;
//! segql's table functions already return flat columns, and this does the same for a struct
//! a query makes itself (the `rfm` aggregate, `named_struct`, `struct`): field `f` of column
//! `c` becomes column `c_f`, nested structs recursively.
//!
//! ```sql
//! SELECT customer_id, rfm(order_date, amount, TIMESTAMP '2024-01-06') AS r FROM orders GROUP BY 1;
//! -- customer_id | r_recency_days | r_frequency | r_monetary | r_first_purchase | r_last_purchase
//! ```
//!
//! Columns of an untyped `NULL` (`SELECT NULL AS table_cat`, common in drivers' catalog
//! queries) are sent as `text`, the type Postgres resolves them to, rather than `unknown`.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, Result};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, cast};

/// `plan` with a projection on top spreading its struct columns; unchanged when it has none
/// or is not a query (DDL, `EXPLAIN`, `SET` answers).
pub fn flatten_struct_columns(plan: LogicalPlan) -> Result<LogicalPlan> {
    let schema = plan.schema();
    let reshaped = schema
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::Struct(_) | DataType::Null));
    if !reshaped || !super::parameters::is_query(&plan) {
        return Ok(plan);
    }
    let mut columns = Vec::new();
    for (qualifier, field) in schema.iter() {
        let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
        spread(column, field.name(), field.data_type(), &mut columns);
    }
    LogicalPlanBuilder::from(plan).project(columns)?.build()
}

fn spread(expr: Expr, name: &str, data_type: &DataType, out: &mut Vec<Expr>) {
    match data_type {
        DataType::Struct(fields) => {
            for child in fields {
                let child_expr = get_field(expr.clone(), child.name().as_str());
                let child_name = format!("{name}_{}", child.name());
                spread(child_expr, &child_name, child.data_type(), out);
            }
        }
        DataType::Null => out.push(cast(expr, DataType::Utf8).alias(name)),
        _ => out.push(expr.alias(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn structs_become_columns() {
        let ctx = SessionContext::new();
        let plan = ctx
            .state()
            .create_logical_plan(
                "SELECT 7 AS id, named_struct('a', 1, 'b', named_struct('c', 'x', 'd', 2.5)) AS s",
            )
            .await
            .unwrap();
        let flat = flatten_struct_columns(plan).unwrap();
        let names: Vec<String> = flat
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["id", "s_a", "s_b_c", "s_b_d"]);
        let batches = ctx
            .execute_logical_plan(flat)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let shown = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        assert!(shown.contains("| 7  | 1   | x     | 2.5   |"), "{shown}");
    }

    #[tokio::test]
    async fn flat_plans_are_unchanged() {
        let ctx = SessionContext::new();
        let plan = ctx
            .state()
            .create_logical_plan("SELECT 1 AS a")
            .await
            .unwrap();
        let same = flatten_struct_columns(plan.clone()).unwrap();
        assert_eq!(plan, same);
    }

    #[tokio::test]
    async fn untyped_null_columns_become_text() {
        let ctx = SessionContext::new();
        let plan = ctx
            .state()
            .create_logical_plan("SELECT NULL AS table_cat, 2 AS n")
            .await
            .unwrap();
        let typed = flatten_struct_columns(plan).unwrap();
        let types: Vec<DataType> = typed
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(types, [DataType::Utf8, DataType::Int64]);
    }
}
