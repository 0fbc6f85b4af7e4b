//! Typing `$n::TYPE` parameters inside subqueries. datafusion-postgres reads the type of a
//! parameter from a cast around it, but only in the outer query; SQLAlchemy's column listing
//! puts `%(name)s::VARCHAR` inside scalar subqueries, whose parameters then got decoded with the
//! wrong types ("invalid digit found in string"). Recording the cast's type on every such
//! placeholder, subqueries included, lets DataFusion report all of them.
//!
//!
//! And keeping every declared parameter in the plan: datafusion-postgres numbers the values
//! it decodes by the placeholders it finds in the plan, so a parameter that planning dropped
//! (the `pg_catalog` compatibility rewrites replace some catalog subqueries, with their
//! parameters, by NULL) shifted every later value onto the wrong type.
//!
//! ```sql
//! SELECT (SELECT 1 FROM pg_catalog.pg_type t WHERE t.typname != $2::VARCHAR) AS x
//! FROM pg_catalog.pg_attribute a WHERE a.attnum > $1::SMALLINT
//! ```

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::Field;
use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::expr::{Cast, Placeholder};
use datafusion::logical_expr::{Expr, Filter, LogicalPlan, lit};
use pgwire::api::Type;

/// `plan` with each untyped placeholder directly under a cast typed as the cast's target.
pub fn type_cast_placeholders(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        node.map_expressions(|expr| expr.transform_up(type_one))
    })
    .map(|transformed| transformed.data)
}

/// `plan` mentioning each parameter the client declared in its Parse message: missing ones are
/// added in an always-true filter on top, typed as declared (text when the client left the
/// type open), which the optimizer removes once values are bound. Plans that are not queries
/// are left alone.
pub fn keep_declared_parameters(
    plan: LogicalPlan,
    declared: &[Option<Type>],
) -> Result<LogicalPlan> {
    if declared.is_empty() || !is_query(&plan) {
        return Ok(plan);
    }
    let present = plan.get_parameter_types()?;
    let missing: Vec<Expr> = declared
        .iter()
        .enumerate()
        .map(|(index, declared)| (format!("${}", index + 1), arrow_type(declared.as_ref())))
        .filter(|(id, _)| !present.contains_key(id))
        .map(|(id, data_type)| {
            let field = Arc::new(Field::new(id.as_str(), data_type, true));
            Expr::Placeholder(Placeholder {
                id,
                field: Some(field),
            })
            .is_null()
        })
        .collect();
    if missing.is_empty() {
        return Ok(plan);
    }
    let mentions = missing
        .into_iter()
        .reduce(Expr::or)
        .expect("at least one missing parameter");
    let always_true = lit(true).or(mentions);
    Ok(LogicalPlan::Filter(Filter::try_new(
        always_true,
        Arc::new(plan),
    )?))
}

/// The Arrow type a client-declared parameter decodes to; text when undeclared or unusual.
fn arrow_type(declared: Option<&Type>) -> DataType {
    match declared {
        Some(t) if *t == Type::BOOL => DataType::Boolean,
        Some(t) if *t == Type::INT2 => DataType::Int16,
        Some(t) if *t == Type::INT4 || *t == Type::OID => DataType::Int32,
        Some(t) if *t == Type::INT8 => DataType::Int64,
        Some(t) if *t == Type::FLOAT4 => DataType::Float32,
        Some(t) if *t == Type::FLOAT8 => DataType::Float64,
        _ => DataType::Utf8,
    }
}

/// Whether `plan` is a query (rows out), not DDL, `EXPLAIN` or a statement.
pub fn is_query(plan: &LogicalPlan) -> bool {
    matches!(
        plan,
        LogicalPlan::Projection(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::Aggregate(_)
            | LogicalPlan::Join(_)
            | LogicalPlan::Union(_)
            | LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::TableScan(_)
            | LogicalPlan::Distinct(_)
            | LogicalPlan::Window(_)
            | LogicalPlan::Values(_)
    )
}

fn type_one(expr: Expr) -> Result<Transformed<Expr>> {
    let Expr::Cast(Cast { expr: inner, field }) = expr else {
        return Ok(Transformed::no(expr));
    };
    match *inner {
        Expr::Placeholder(Placeholder { id, field: None }) => {
            let typed = Field::new(id.as_str(), field.data_type().clone(), true);
            let placeholder = Expr::Placeholder(Placeholder {
                id,
                field: Some(Arc::new(typed)),
            });
            Ok(Transformed::yes(Expr::Cast(Cast {
                expr: Box::new(placeholder),
                field,
            })))
        }
        other => Ok(Transformed::no(Expr::Cast(Cast {
            expr: Box::new(other),
            field,
        }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::DataType;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn placeholders_in_subqueries_get_their_cast_types() {
        let ctx = SessionContext::new();
        let sql = "SELECT (SELECT max(b) FROM (VALUES ('x')) s(b) WHERE b != $2::VARCHAR) AS x \
                   FROM (VALUES (1)) t(a) WHERE a > $1::SMALLINT";
        let plan = ctx.state().create_logical_plan(sql).await.unwrap();
        let before = plan.get_parameter_types().unwrap();
        assert_eq!(before["$2"], None, "{before:?}");
        let typed = type_cast_placeholders(plan).unwrap();
        let after = typed.get_parameter_types().unwrap();
        assert_eq!(after["$1"], Some(DataType::Int16));
        assert_eq!(after["$2"], Some(DataType::Utf8View));
    }

    #[tokio::test]
    async fn dropped_parameters_are_kept_in_order() {
        let ctx = SessionContext::new();
        let plan = ctx
            .state()
            .create_logical_plan("SELECT a FROM (VALUES (1), (5)) t(a) WHERE a > $2::INT")
            .await
            .unwrap();
        let declared = [None, Some(Type::INT4), Some(Type::INT8)];
        let kept =
            keep_declared_parameters(type_cast_placeholders(plan).unwrap(), &declared).unwrap();
        let types = kept.get_parameter_types().unwrap();
        assert_eq!(types.len(), 3, "{types:?}");
        assert_eq!(types["$1"], Some(DataType::Utf8));
        assert_eq!(types["$2"], Some(DataType::Int32));
        assert_eq!(types["$3"], Some(DataType::Int64));
        let bound = kept
            .with_param_values(vec![
                datafusion::common::ScalarValue::from("unused"),
                datafusion::common::ScalarValue::Int32(Some(2)),
                datafusion::common::ScalarValue::Int64(Some(7)),
            ])
            .unwrap();
        let rows = ctx
            .execute_logical_plan(bound)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
    }
}
