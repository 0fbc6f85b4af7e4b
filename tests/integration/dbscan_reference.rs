//! dbscan and dbscan_eps against scikit-learn on the committed points, with and without
//! standardisation: the same core rows and the same noise exactly, the same segments up to
//! renumbering for every row but the border rows within eps of core rows of two segments
//! (scikit-learn gives those to the segment it expands first, segql to the nearest core row;
//! the test counts them and checks each is such a row), and the same sorted k-distances.
//! Fixtures: tests/fixtures/make_dbscan_reference.py.

use std::collections::HashMap;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, Int32Type};
use datafusion::error::Result;
use datafusion::prelude::{CsvReadOptions, SessionContext};
use serde_json::Value;

fn column_f64(batches: &[RecordBatch], j: usize) -> Vec<f64> {
    batches
        .iter()
        .flat_map(|b| b.column(j).as_primitive::<Float64Type>().values().to_vec())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dbscan_matches_scikit_learn() -> Result<()> {
    let ctx = SessionContext::new();
    segql::register_all(&ctx)?;
    ctx.register_csv(
        "points",
        "tests/fixtures/dbscan/points.csv",
        CsvReadOptions::new(),
    )
    .await?;
    let text = std::fs::read_to_string("tests/fixtures/dbscan_reference.json")
        .expect("tests/fixtures/dbscan_reference.json");
    let cases: Vec<Value> = serde_json::from_str(&text).expect("json");
    assert_eq!(cases.len(), 3);
    for case in &cases {
        let scale = case["scale"].as_str().unwrap();
        let eps = case["eps"].as_f64().unwrap();
        let min_samples = case["min_samples"].as_u64().unwrap();
        let label = format!("scale {scale} eps {eps} min_samples {min_samples}");
        let options = format!("transform => 'none', scale => '{scale}', features => 'x, y, z'");
        let batches = ctx
            .sql(&format!(
                "SELECT segment, is_core, x, y, z FROM dbscan(points, {eps}, {min_samples}, {options}) ORDER BY id"
            ))
            .await?
            .collect()
            .await?;
        let ours: Vec<i32> = batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int32Type>().values().to_vec())
            .collect();
        let core: Vec<bool> = batches
            .iter()
            .flat_map(|b| {
                b.column(1)
                    .as_boolean()
                    .iter()
                    .map(|v| v.unwrap())
                    .collect::<Vec<_>>()
            })
            .collect();
        let theirs: Vec<i64> = case["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        let their_core: Vec<bool> = case["core"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_bool().unwrap())
            .collect();
        assert_eq!(core, their_core, "{label}: core rows");
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(*a == -1, *b == -1, "{label}: row {i} noise");
        }
        // segments map one to one through the core rows
        let mut map = HashMap::new();
        for i in (0..ours.len()).filter(|&i| core[i]) {
            let to = *map.entry(ours[i]).or_insert(theirs[i]);
            assert_eq!(to, theirs[i], "{label}: core row {i} splits a segment");
        }
        assert_eq!(
            map.len(),
            theirs
                .iter()
                .filter(|&&l| l >= 0)
                .collect::<std::collections::HashSet<_>>()
                .len(),
            "{label}: number of segments"
        );
        // rows placed differently must be border rows within eps of two segments' core rows
        let points: Vec<[f64; 3]> = {
            let (x, y, z) = (
                column_f64(&batches, 2),
                column_f64(&batches, 3),
                column_f64(&batches, 4),
            );
            (0..x.len()).map(|i| [x[i], y[i], z[i]]).collect()
        };
        let fitted = fitted_space(&points, scale);
        let mut ambiguous = 0;
        for i in 0..ours.len() {
            if ours[i] == -1 || map[&ours[i]] == theirs[i] {
                continue;
            }
            let near: std::collections::HashSet<i32> = (0..ours.len())
                .filter(|&j| core[j] && squared(&fitted[i], &fitted[j]) <= eps * eps)
                .map(|j| ours[j])
                .collect();
            assert!(
                !core[i] && near.len() >= 2,
                "{label}: row {i} differs without being an ambiguous border row"
            );
            ambiguous += 1;
        }
        println!(
            "{label}: {ambiguous} ambiguous border row(s) placed differently from scikit-learn"
        );
        // the k-distance curve
        let curve = ctx
            .sql(&format!("SELECT rank, k_distance, knee FROM dbscan_eps(points, {min_samples}, {options}) ORDER BY rank"))
            .await?
            .collect()
            .await?;
        let reference: Vec<f64> = case["k_distances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let ranks: Vec<i64> = curve
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                    .values()
                    .to_vec()
            })
            .collect();
        let distances = column_f64(&curve, 1);
        // every point up to 1,000, else 1,000 evenly spaced ones and the knee
        assert!(
            ranks.len() >= reference.len().min(1000) && ranks.len() <= 1001,
            "{label}: {} curve points",
            ranks.len()
        );
        for (r, d) in ranks.iter().zip(&distances) {
            let want = reference[*r as usize - 1];
            assert!(
                (d - want).abs() <= 1e-9 * want.max(1.0),
                "{label}: k-distance at rank {r}: {d} against {want}"
            );
        }
        let knee: Vec<i64> = ranks
            .iter()
            .zip(curve.iter().flat_map(|b| {
                b.column(2)
                    .as_boolean()
                    .iter()
                    .map(|v| v.unwrap())
                    .collect::<Vec<_>>()
            }))
            .filter(|(_, k)| *k)
            .map(|(r, _)| *r)
            .collect();
        assert_eq!(
            knee,
            [case["knee"].as_i64().unwrap() + 1],
            "{label}: the knee"
        );
    }
    Ok(())
}

/// The points as dbscan's fit sees them: as given, or standardised (population deviation).
fn fitted_space(points: &[[f64; 3]], scale: &str) -> Vec<[f64; 3]> {
    if scale == "none" {
        return points.to_vec();
    }
    let n = points.len() as f64;
    let mut out = points.to_vec();
    for j in 0..3 {
        let mean = points.iter().map(|p| p[j]).sum::<f64>() / n;
        let std = (points.iter().map(|p| (p[j] - mean).powi(2)).sum::<f64>() / n).sqrt();
        for p in &mut out {
            p[j] = (p[j] - mean) / std;
        }
    }
    out
}

fn squared(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}
