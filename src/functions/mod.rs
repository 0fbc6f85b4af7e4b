//! The SQL layer: one file per SQL function, named after it.
//!
//! Table functions implement [`crate::planner::SegqlTableFunction`] and are planned by the
//! relation planner; scalar and aggregate functions are ordinary DataFusion UDFs.

pub mod demo_transactions;
pub mod rfm;
pub mod rfm_aggregate;
pub mod segql_check_finite;
pub mod segql_timestamp;

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

use crate::planner::SegqlTableFunction;

/// Every segql table function.
pub fn table_functions() -> Vec<Arc<dyn SegqlTableFunction>> {
    vec![
        Arc::new(rfm::Rfm),
        Arc::new(demo_transactions::DemoTransactions),
    ]
}

/// Every segql scalar function.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![segql_timestamp::udf(), segql_check_finite::udf()]
}

/// Every segql aggregate function.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![rfm_aggregate::udaf()]
}
