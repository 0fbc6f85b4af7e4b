//! The SQL layer: a file or folder per SQL name; a helper lives in the folder of the function
//! that owns it.
//!
//! Table functions implement [`crate::planner::SegqlTableFunction`] and are planned by the
//! relation planner; scalar and aggregate functions are ordinary DataFusion UDFs. Functions
//! that use models share one [`ModelStore`]. Plumbing more than one function uses is in
//! [`common`]; the algorithms themselves (no Arrow, no DataFusion) are in `crate::rfm`,
//! `crate::kmeans` and `crate::model`.
//!
//! | SQL function | kind | code | spec | reference |
//! |---|---|---|---|---|
//! | `rfm` | table | `rfm/mod.rs` (+ `collapse_order_lines.rs`, `totals.rs`, `ranks.rs`, `single_stage.rs`, `measures_groups.rs`) | `tests/slt/rfm/` | README "rfm(transactions ...)" |
//! | `rfm` | aggregate | `rfm/aggregate.rs` | `tests/slt/rfm/aggregate.slt` | README "rfm(time, amount, as_of ...)" |
//! | `segql_rfm_measures` | aggregate, helper of `rfm` | `rfm/segql_rfm_measures.rs` | `tests/slt/rfm/segql_rfm_measures.slt` | README |
//! | `segql_timestamp` | scalar, helper of `rfm` | `rfm/segql_timestamp.rs` | `tests/slt/rfm/segql_timestamp.slt` | README |
//! | `segql_check_finite` | scalar, helper of `rfm` | `rfm/segql_check_finite.rs` | `tests/slt/rfm/segql_check_finite.slt` | README |
//! | `segql_rfm_segment` | scalar, helper of `rfm` | `rfm/segql_rfm_segment.rs` | `tests/slt/rfm/segql_rfm_segment.slt` | README |
//! | `segql_rfm_cell` | scalar, helper of `rfm` | `rfm/segql_rfm_cell.rs` | `tests/slt/rfm/segql_rfm_cell.slt` | README |
//! | `kmeans_fit` | table | `kmeans_fit/mod.rs` (+ `exec.rs`, `fit_observer.rs`) | `tests/slt/kmeans_fit/` | README "kmeans_fit(input, k ...)" |
//! | `kmeans_search` | table | `kmeans_search/mod.rs` (+ `ks.rs`; runs on `kmeans_fit`'s operator) | `tests/slt/kmeans_search/` | README "kmeans_search(input ...)" |
//! | `kmeans_evaluate` | table | `kmeans_evaluate.rs` (runs on `kmeans_fit`'s operator) | `tests/slt/kmeans_evaluate.slt` | README "kmeans_evaluate(model, input ...)" |
//! | `feature_skewness` | table | `feature_skewness.rs` (runs on `kmeans_fit`'s operator) | `tests/slt/feature_skewness.slt` | README "feature_skewness(input ...)" |
//! | `segql_elbow` | aggregate, helper of `kmeans_search` | `kmeans_search/segql_elbow.rs` | `tests/slt/kmeans_search/segql_elbow.slt` | README |
//! | `assign_segment` | table | `assign_segment/mod.rs` | `tests/slt/assign_segment.slt` | README "assign_segment(model, input)" |
//! | `assign_segment` | scalar | `assign_segment/udf.rs` | `tests/slt/assign_segment.slt` | README "assign_segment(model, feature_1, ...)" |
//! | `segql_models` | table | `segql_models.rs` | `tests/slt/segql_models.slt` | README "segql_models()" |
//! | `model_segments` | table | `model_segments.rs` | `tests/slt/model_segments.slt` | README "model_segments(model)" |
//! | `pca` | table | `pca/mod.rs` (+ `exec.rs`; the algorithm in `crate::pca`) | `tests/slt/pca.slt` | README "pca(input ...)" |
//! | `pca_project` | table | `pca_project.rs` (runs on `pca`'s operator) | `tests/slt/pca_project.slt` | README "pca_project(model, input)" |
//! | `hclust_fit` | table | `hclust_fit.rs` (the algorithm in `crate::hclust`; runs on `common/labelled_fit.rs`) | `tests/slt/hclust_fit.slt` | README "hclust_fit(input, k ...)" |
//! | `hclust_tree` | table | `hclust_tree.rs` (runs on `common/labelled_fit.rs`) | `tests/slt/hclust_tree.slt` | README "hclust_tree(input ...)" |
//! | `dbscan` | table | `dbscan.rs` (the algorithm in `crate::dbscan`; runs on `common/labelled_fit.rs`) | `tests/slt/dbscan.slt` | README "dbscan(input, eps, min_samples ...)" |
//! | `dbscan_eps` | table | `dbscan_eps.rs` (runs on `common/labelled_fit.rs`) | `tests/slt/dbscan_eps.slt` | README "dbscan_eps(input, min_samples ...)" |
//! | `cohorts` | table | `cohorts.rs` (the purchase rows of `rfm/mod.rs`) | `tests/slt/cohorts.slt` | README "cohorts(transactions ...)" |
//! | `model_components` | table | `model_components.rs` | `tests/slt/model_components.slt` | README "model_components(model)" |
//! | `model_features` | table | `model_features.rs` | `tests/slt/model_features.slt` | README "model_features(model)" |
//! | `model_search` | table | `model_search.rs` | `tests/slt/model_search.slt` | README "model_search(model)" |
//! | `drop_model` | scalar | `drop_model.rs` | `tests/slt/drop_model.slt` | README "drop_model(name)" |
//! | `rename_segments` | scalar | `rename_segments.rs` | `tests/slt/rename_segments.slt` | README "rename_segments(model, names)" |
//! | `demo_customers` | table | `demo_customers.rs` (generator in `crate::demo::customers`) | `tests/slt/demo_customers.slt` | README "demo_customers(...)" |
//! | `demo_transactions` | table | `demo_transactions.rs` | `tests/slt/demo_transactions.slt` | README "demo_transactions(...)" |
//!
//! Adding a function:
//! 1. its algorithm, if it has one, in plain Rust under `src/` (tested there on plain data);
//! 2. `src/functions/<name>.rs`, or `src/functions/<name>/mod.rs` when it owns helpers or
//!    operators (they go in that folder); table functions declare a [`crate::planner::FunctionSpec`],
//!    scalar and aggregate functions a `NAME` and a `DOC`;
//! 3. list it in [`table_functions`] and [`table_function_specs`], or [`scalar_functions`] /
//!    [`aggregate_functions`] and [`expression_docs`] (this registers it, documents it in the
//!    shell's `\h` and the README reference, and lists it in `segql serve`'s `pg_proc`);
//! 4. its spec in `tests/slt/<name>.slt` (or `tests/slt/<owner>/<name>.slt` for a helper):
//!    results computed by hand or by a named reference first, its error cases after them;
//! 5. a row in the table above, and README's reference regenerated with
//!    `SEGQL_BLESS=1 cargo test --test integration readme`.

pub mod assign_segment;
pub mod cohorts;
pub mod common;
pub mod dbscan;
pub mod dbscan_eps;
pub mod demo_customers;
pub mod demo_transactions;
pub mod drop_model;
pub mod feature_skewness;
pub mod hclust_fit;
pub mod hclust_tree;
pub mod kmeans_evaluate;
pub mod kmeans_fit;
pub mod kmeans_search;
pub mod model_components;
pub mod model_features;
pub mod model_search;
pub mod model_segments;
pub mod pca;
pub mod pca_project;
pub mod rename_segments;
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
        Arc::new(feature_skewness::FeatureSkewnessFunction::new(Arc::clone(
            store,
        ))),
        Arc::new(kmeans_fit::KMeansFitFunction::new(Arc::clone(store))),
        Arc::new(kmeans_search::KMeansSearchFunction::new(Arc::clone(store))),
        Arc::new(kmeans_evaluate::KMeansEvaluateFunction::new(Arc::clone(
            store,
        ))),
        Arc::new(assign_segment::AssignSegmentFunction::new(Arc::clone(
            store,
        ))),
        Arc::new(segql_models::SegqlModelsFunction::new(Arc::clone(store))),
        Arc::new(model_segments::ModelSegmentsFunction::new(Arc::clone(
            store,
        ))),
        Arc::new(model_search::ModelSearchFunction::new(Arc::clone(store))),
        Arc::new(model_features::ModelFeaturesFunction::new(Arc::clone(
            store,
        ))),
        Arc::new(pca::PcaFunction::new(Arc::clone(store))),
        Arc::new(pca_project::PcaProjectFunction::new(Arc::clone(store))),
        Arc::new(model_components::ModelComponentsFunction::new(Arc::clone(
            store,
        ))),
        Arc::new(hclust_fit::HclustFitFunction::new(Arc::clone(store))),
        Arc::new(hclust_tree::HclustTreeFunction::new(Arc::clone(store))),
        Arc::new(dbscan::DbscanFunction::new(Arc::clone(store))),
        Arc::new(dbscan_eps::DbscanEpsFunction::new(Arc::clone(store))),
        Arc::new(cohorts::CohortsFunction),
        Arc::new(demo_transactions::DemoTransactionsFunction),
        Arc::new(demo_customers::DemoCustomersFunction),
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
        &feature_skewness::SPEC,
        &kmeans_fit::SPEC,
        &kmeans_search::SPEC,
        &kmeans_evaluate::SPEC,
        &assign_segment::SPEC,
        &segql_models::SPEC,
        &model_segments::SPEC,
        &model_search::SPEC,
        &model_features::SPEC,
        &pca::SPEC,
        &pca_project::SPEC,
        &model_components::SPEC,
        &hclust_fit::SPEC,
        &hclust_tree::SPEC,
        &dbscan::SPEC,
        &dbscan_eps::SPEC,
        &cohorts::SPEC,
        &demo_transactions::SPEC,
        &demo_customers::SPEC,
    ]
}

/// The segql table function called `name`, as the `&'static str` errors and plans hold.
pub(crate) fn table_function_name(name: &str) -> Option<&'static str> {
    table_function_specs()
        .into_iter()
        .map(|spec| spec.name)
        .find(|known| *known == name)
}

/// The name the third argument of a purchase-row function (`segql_timestamp`,
/// `segql_check_finite`) gives for its errors: the table function that planned it, else rfm.
pub(crate) fn calling_function(
    arg: Option<&datafusion::logical_expr::ColumnarValue>,
) -> &'static str {
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::ColumnarValue;
    match arg {
        Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(name)))) => {
            table_function_name(name).unwrap_or("rfm")
        }
        _ => "rfm",
    }
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
        rename_segments::udf(Arc::clone(store)),
    ]
}

/// Every segql aggregate function.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        rfm::aggregate::udaf(),
        rfm::segql_rfm_measures::udaf(),
        kmeans_search::segql_elbow::udaf(),
    ]
}

/// Every segql scalar and aggregate function's documentation, by name, in reference order.
pub fn expression_docs() -> Vec<(&'static str, &'static Documentation)> {
    vec![
        (rfm::aggregate::NAME, &*rfm::aggregate::DOC),
        (assign_segment::udf::NAME, &*assign_segment::udf::DOC),
        (drop_model::NAME, &*drop_model::DOC),
        (rename_segments::NAME, &*rename_segments::DOC),
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
        (
            kmeans_search::segql_elbow::NAME,
            &*kmeans_search::segql_elbow::DOC,
        ),
    ]
}
