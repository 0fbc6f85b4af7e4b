//! pca() against scikit-learn's PCA: explained variance, its ratio, the components (with
//! scikit-learn's sign convention) and every row's coordinates, to 1e-9, on the committed data
//! sets with and without standardisation; pca_project of the saved model gives the same
//! coordinates. Fixtures: tests/fixtures/make_pca_reference.py.

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::error::Result;
use datafusion::prelude::{CsvReadOptions, SessionConfig, SessionContext};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

fn close(ours: f64, theirs: f64, what: &str) {
    assert!(
        (ours - theirs).abs() <= TOLERANCE * theirs.abs().max(1.0),
        "{what}: segql {ours} against scikit-learn {theirs}"
    );
}

/// Column `j` of the query's result, every batch in order.
fn column(batches: &[RecordBatch], j: usize) -> Vec<f64> {
    batches
        .iter()
        .flat_map(|b| b.column(j).as_primitive::<Float64Type>().values().to_vec())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pca_matches_scikit_learn() -> Result<()> {
    // one partition keeps each file's row order, so rows compare one to one
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    segql::register_all(&ctx)?;
    let text = std::fs::read_to_string("tests/fixtures/pca_reference.json")
        .expect("tests/fixtures/pca_reference.json");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("json");
    assert_eq!(cases.len(), 4);
    for (i, case) in cases.iter().enumerate() {
        let table = format!("t{i}");
        let path = case["path"].as_str().unwrap();
        ctx.register_csv(&table, path, CsvReadOptions::new())
            .await?;
        let features: Vec<&str> = case["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let k = case["components"].as_u64().unwrap() as usize;
        let label = format!("{} scale {}", case["name"], case["scale"]);
        let call = format!(
            "pca({table}, components => {k}, transform => 'none', scale => '{}', features => '{}'",
            case["scale"].as_str().unwrap(),
            features.join(", ")
        );
        // the components view
        let sql = format!("SELECT * FROM {call}, view => 'components') ORDER BY component");
        let batches = ctx.sql(&sql).await?.collect().await?;
        let variance = numbers(&case["explained_variance"]);
        let ratio = numbers(&case["explained_variance_ratio"]);
        for (c, (v, r)) in column(&batches, 1)
            .iter()
            .zip(column(&batches, 2))
            .enumerate()
        {
            close(*v, variance[c], &format!("{label} variance {c}"));
            close(r, ratio[c], &format!("{label} ratio {c}"));
        }
        let loadings = case["loadings"].as_array().unwrap();
        for (j, _) in features.iter().enumerate() {
            for (c, ours) in column(&batches, 4 + j).iter().enumerate() {
                let theirs = loadings[c][j].as_f64().unwrap();
                close(*ours, theirs, &format!("{label} loading {c},{j}"));
            }
        }
        // the rows view, saved, and the saved model projecting the same rows
        let pcs: Vec<String> = (1..=k).map(|c| format!("pc{c}")).collect();
        let sql = format!("SELECT {} FROM {call}, model => 'p{i}')", pcs.join(", "));
        let fitted = ctx.sql(&sql).await?.collect().await?;
        let sql = format!(
            "SELECT {} FROM pca_project('p{i}', {table})",
            pcs.join(", ")
        );
        let projected = ctx.sql(&sql).await?.collect().await?;
        let rows = case["projected"].as_array().unwrap();
        for c in 0..k {
            let (ours, again) = (column(&fitted, c), column(&projected, c));
            assert_eq!(ours.len(), rows.len(), "{label}: rows");
            for (r, theirs) in rows.iter().enumerate() {
                let theirs = theirs[c].as_f64().unwrap();
                close(ours[r], theirs, &format!("{label} row {r} pc{}", c + 1));
                close(
                    again[r],
                    theirs,
                    &format!("{label} projected row {r} pc{}", c + 1),
                );
            }
        }
    }
    Ok(())
}
