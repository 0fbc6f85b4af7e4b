//! hclust_tree and hclust_fit against SciPy: for each linkage, with and without
//! standardisation, the linkage matrix (ids and sizes exactly, heights to 1e-9 relative) and
//! the k = 4 cut (fcluster's 'maxclust' and scikit-learn's AgglomerativeClustering) up to
//! renumbering. Fixtures: tests/fixtures/make_hclust_reference.py.

use std::collections::HashMap;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use datafusion::error::Result;
use datafusion::prelude::{CsvReadOptions, SessionContext};
use serde_json::Value;

fn ints(batches: &[RecordBatch], j: usize) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| b.column(j).as_primitive::<Int64Type>().values().to_vec())
        .collect()
}

/// Whether two labellings are the same partition (a one-to-one renaming).
pub(crate) fn same_partition(ours: &[i64], theirs: &[i64]) -> bool {
    let mut forward = HashMap::new();
    let mut backward = HashMap::new();
    ours.len() == theirs.len()
        && ours.iter().zip(theirs).all(|(a, b)| {
            *forward.entry(*a).or_insert(*b) == *b && *backward.entry(*b).or_insert(*a) == *a
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hierarchical_clustering_matches_scipy() -> Result<()> {
    let ctx = SessionContext::new();
    segql::register_all(&ctx)?;
    ctx.register_csv(
        "blobs",
        "tests/fixtures/hclust/blobs.csv",
        CsvReadOptions::new(),
    )
    .await?;
    // the rows in the file are already in value order, so a row's number is its leaf id
    ctx.sql("CREATE TABLE numbered AS SELECT row_number() OVER (ORDER BY a, b, c) - 1 AS leaf, a, b, c FROM blobs")
        .await?
        .collect()
        .await?;
    let text = std::fs::read_to_string("tests/fixtures/hclust_reference.json")
        .expect("tests/fixtures/hclust_reference.json");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("json");
    assert_eq!(cases.len(), 8);
    for case in &cases {
        let (scale, linkage) = (
            case["scale"].as_str().unwrap(),
            case["linkage"].as_str().unwrap(),
        );
        let label = format!("{linkage} scale {scale}");
        let options = format!(
            "linkage => '{linkage}', transform => 'none', scale => '{scale}', features => 'a, b, c'"
        );
        let tree = ctx
            .sql(&format!(
                "SELECT * FROM hclust_tree(numbered, {options}) ORDER BY step"
            ))
            .await?
            .collect()
            .await?;
        let matrix = case["matrix"].as_array().unwrap();
        let (left, right, size) = (ints(&tree, 1), ints(&tree, 2), ints(&tree, 4));
        let heights: Vec<f64> = tree
            .iter()
            .flat_map(|b| b.column(3).as_primitive::<Float64Type>().values().to_vec())
            .collect();
        assert_eq!(heights.len(), matrix.len(), "{label}");
        for (i, row) in matrix.iter().enumerate() {
            let row: Vec<f64> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert_eq!(
                (left[i], right[i], size[i]),
                (row[0] as i64, row[1] as i64, row[3] as i64),
                "{label} merge {i}"
            );
            assert!(
                (heights[i] - row[2]).abs() <= 1e-9 * row[2].abs().max(1e-12),
                "{label} merge {i}: segql {} against SciPy {}",
                heights[i],
                row[2]
            );
        }
        // the k = 4 cut, row by row
        let k = case["k"].as_u64().unwrap();
        let rows = ctx
            .sql(&format!(
                "SELECT segment FROM hclust_fit(numbered, {k}, {options}, view => 'rows') ORDER BY leaf"
            ))
            .await?
            .collect()
            .await?;
        let ours: Vec<i64> = rows
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_primitive::<Int32Type>()
                    .values()
                    .iter()
                    .map(|&v| v as i64)
                    .collect::<Vec<_>>()
            })
            .collect();
        let reference = |name: &str| -> Vec<i64> {
            case[name]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect()
        };
        assert!(
            same_partition(&ours, &reference("fcluster")),
            "{label}: the cut differs from fcluster's"
        );
        assert!(
            same_partition(&ours, &reference("agglomerative")),
            "{label}: the cut differs from AgglomerativeClustering's"
        );
    }
    Ok(())
}
