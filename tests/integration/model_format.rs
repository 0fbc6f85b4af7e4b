//! Models keep working as the format grows: a model file written by segql 0.1.0 (before
//! `kmeans_search`, the recorded search and renamed segments) is committed as
//! tests/fixtures/models/written_by_0_1.segql-model. It loads, and scoring its training data
//! (the RFM table of tests/fixtures/transactions_20k.parquet) gives exactly the segment sizes
//! and labels the file recorded, read here from the JSON itself.

use std::sync::Arc;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{Int32Type, Int64Type};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use segql::model::{DirectoryStore, ModelStore};

const FIXTURE: &str = "tests/fixtures/models/written_by_0_1.segql-model";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_written_by_0_1_loads_and_scores_as_it_was_trained() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models)?;
    std::fs::copy(FIXTURE, models.join("written_by_0_1.segql-model"))?;
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE)?).expect("JSON");
    let segments = recorded["segments"].as_array().expect("segments");

    let store = Arc::new(DirectoryStore::new(models));
    let model = store.load("written_by_0_1").expect("the old model loads");
    assert_eq!(model.k(), segments.len());
    assert!(model.search.is_none());

    let ctx = SessionContext::new().enable_url_table();
    segql::register_with_store(&ctx, store)?;
    let batches = ctx
        .sql(
            "SELECT segment, label, count(*) FROM assign_segment('written_by_0_1', \
             rfm('tests/fixtures/transactions_20k.parquet')) GROUP BY segment, label ORDER BY segment",
        )
        .await?
        .collect()
        .await?;
    let batch = datafusion::arrow::compute::concat_batches(&batches[0].schema(), &batches)?;
    assert_eq!(batch.num_rows(), segments.len());
    for (i, recorded) in segments.iter().enumerate() {
        assert_eq!(
            batch.column(0).as_primitive::<Int32Type>().value(i),
            i as i32
        );
        assert_eq!(
            batch.column(1).as_string_view_opt().map_or_else(
                || batch.column(1).as_string::<i32>().value(i).to_string(),
                |a| a.value(i).to_string()
            ),
            recorded["label"].as_str().unwrap()
        );
        assert_eq!(
            batch.column(2).as_primitive::<Int64Type>().value(i),
            recorded["size"].as_i64().unwrap(),
            "segment {i}"
        );
    }
    Ok(())
}
