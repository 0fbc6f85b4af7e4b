//! Money totals rounded to a millionth, the same on any partitioning.

use datafusion::common::Result;
use datafusion::functions::expr_fn::{abs, round};
use datafusion::logical_expr::{Expr, lit, when};

/// Below this magnitude a DOUBLE still resolves millionths; above it rounding changes nothing
/// but DataFusion's `round(x, 6)` (which multiplies by 1e6) overflows to infinity past 1.8e302.
const ROUNDED_BELOW: f64 = 1e15;

/// `total` rounded to 1e-6: a parallel sum adds the rows in an order that depends on the
/// partitioning, and rounding drops the last bits that order leaves, so scores and models fitted
/// on the totals are the same on one core, many, or a cluster. Totals too large to carry
/// millionths pass through unchanged rather than overflow.
pub fn round_money(total: Expr) -> Result<Expr> {
    when(
        abs(total.clone()).lt(lit(ROUNDED_BELOW)),
        round(vec![total.clone(), lit(6i64)]),
    )
    .otherwise(total)
}
