//! The SQL layer: one file per SQL function, named after it.
//!
//! Table functions implement [`crate::planner::SegqlTableFunction`] and are planned by the
//! relation planner; scalar and aggregate functions are ordinary DataFusion UDFs. Functions
//! that use models share one [`ModelStore`].

pub mod assign_segment;
pub mod assign_segment_udf;
pub mod demo_transactions;
pub mod drop_model;
pub mod feature_columns;
pub mod kmeans_fit;
pub mod kmeans_fit_exec;
pub mod rfm;
pub mod rfm_aggregate;
pub mod segql_check_finite;
pub mod segql_models;
pub mod segql_timestamp;

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

use crate::model::ModelStore;
use crate::planner::SegqlTableFunction;

/// Every segql table function, with models in `store`.
pub fn table_functions(store: &Arc<dyn ModelStore>) -> Vec<Arc<dyn SegqlTableFunction>> {
    vec![
        Arc::new(rfm::Rfm),
        Arc::new(kmeans_fit::KMeansFitFunction::new(Arc::clone(store))),
        Arc::new(assign_segment::AssignSegmentFunction::new(Arc::clone(
            store,
        ))),
        Arc::new(segql_models::SegqlModelsFunction::new(Arc::clone(store))),
        Arc::new(demo_transactions::DemoTransactions),
    ]
}

/// Every segql scalar function, with models in `store`.
pub fn scalar_functions(store: &Arc<dyn ModelStore>) -> Vec<Arc<ScalarUDF>> {
    vec![
        segql_timestamp::udf(),
        segql_check_finite::udf(),
        assign_segment_udf::udf(Arc::clone(store)),
        drop_model::udf(Arc::clone(store)),
    ]
}

/// Every segql aggregate function.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![rfm_aggregate::udaf()]
}
