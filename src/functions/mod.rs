//! The SQL layer: one file per SQL function, named after it.
//!
//! Table functions implement [`crate::planner::SegqlTableFunction`] and are planned by the
//! relation planner; scalar and aggregate functions are ordinary DataFusion UDFs. Functions
//! that use models share one [`ModelStore`].

pub mod assign_segment;
pub mod common;
pub mod demo_transactions;
pub mod drop_model;
pub mod kmeans_fit;
pub mod rfm;
pub mod segql_models;

use std::sync::Arc;

use datafusion::logical_expr::Documentation;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

use crate::model::ModelStore;
use crate::planner::SegqlTableFunction;

/// Every segql table function, with models in `store`.
pub fn table_functions(store: &Arc<dyn ModelStore>) -> Vec<Arc<dyn SegqlTableFunction>> {
    vec![
        Arc::new(rfm::RfmFunction),
        Arc::new(kmeans_fit::KMeansFitFunction::new(Arc::clone(store))),
        Arc::new(assign_segment::AssignSegmentFunction::new(Arc::clone(
            store,
        ))),
        Arc::new(segql_models::SegqlModelsFunction::new(Arc::clone(store))),
        Arc::new(demo_transactions::DemoTransactionsFunction),
    ]
}

/// The declarations of every segql table function, in reference order.
///
/// ```sql
/// SELECT * FROM rfm(sales);   -- rfm is the first of them
/// ```
pub fn table_function_specs() -> Vec<&'static crate::planner::FunctionSpec> {
    vec![
        &rfm::SPEC,
        &kmeans_fit::SPEC,
        &assign_segment::SPEC,
        &segql_models::SPEC,
        &demo_transactions::SPEC,
    ]
}

/// Every segql scalar function, with models in `store`.
pub fn scalar_functions(store: &Arc<dyn ModelStore>) -> Vec<Arc<ScalarUDF>> {
    vec![
        rfm::segql_timestamp::udf(),
        rfm::segql_check_finite::udf(),
        rfm::segql_rfm_segment::udf(),
        rfm::segql_rfm_cell::udf(),
        assign_segment::udf::udf(Arc::clone(store)),
        drop_model::udf(Arc::clone(store)),
    ]
}

/// Every segql aggregate function.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![rfm::aggregate::udaf(), rfm::segql_rfm_measures::udaf()]
}

/// Every segql scalar and aggregate function's documentation, by name, in reference order.
pub fn expression_docs() -> Vec<(&'static str, &'static Documentation)> {
    vec![
        (rfm::aggregate::NAME, &*rfm::aggregate::DOC),
        (assign_segment::udf::NAME, &*assign_segment::udf::DOC),
        (drop_model::NAME, &*drop_model::DOC),
        (rfm::segql_timestamp::NAME, &*rfm::segql_timestamp::DOC),
        (
            rfm::segql_check_finite::NAME,
            &*rfm::segql_check_finite::DOC,
        ),
        (rfm::segql_rfm_segment::NAME, &*rfm::segql_rfm_segment::DOC),
        (rfm::segql_rfm_cell::NAME, &*rfm::segql_rfm_cell::DOC),
        (
            rfm::segql_rfm_measures::NAME,
            &*rfm::segql_rfm_measures::DOC,
        ),
    ]
}
