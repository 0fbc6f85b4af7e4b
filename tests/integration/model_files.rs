//! Damaged model files, as the bad-input matrix's model part: empty, truncated at many points,
//! random bytes, someone else's JSON, a future format version, and hand edits (a k that
//! disagrees with the segments, a NaN or missing centroid value, a zero scale, an unknown kind).
//! Each is crafted from a real saved model. Every function that reads a model names the model,
//! its file and what is wrong; the listing shows the reason and keeps listing the good model
//! beside it; and the damaged file is left exactly as it was (nothing is "repaired" away).

use std::path::Path;
use std::sync::Arc;

use datafusion::prelude::SessionContext;
use segql::model::DirectoryStore;
use serde_json::{Value, json};

/// A session over a directory store at `dir`, with a small table `pts` of three clusters.
async fn session(dir: &Path) -> SessionContext {
    let ctx = SessionContext::new();
    segql::register_with_store(&ctx, Arc::new(DirectoryStore::new(dir))).unwrap();
    ctx.sql(
        "CREATE TABLE pts (id INT, x DOUBLE, y DOUBLE) AS VALUES \
         (1, 0, 0), (2, 0, 1), (3, 1, 0), (4, 10, 10), (5, 10, 11), (6, 11, 10), \
         (7, 20, 0), (8, 21, 0), (9, 20, 1)",
    )
    .await
    .unwrap();
    ctx
}

async fn error_of(ctx: &SessionContext, sql: &str) -> String {
    let result = match ctx.sql(sql).await {
        Ok(df) => df.collect().await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => panic!("{sql} succeeded over a damaged model"),
        Err(e) => e.to_string(),
    }
}

/// The model file `good` edited by `edit`.
fn edited(good: &Value, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut model = good.clone();
    edit(&mut model);
    serde_json::to_vec_pretty(&model).unwrap()
}

/// Each damaged file (its bytes) with the words its error must contain.
fn damaged_files(good_bytes: &[u8]) -> Vec<(String, Vec<u8>, &'static str)> {
    let good: Value = serde_json::from_slice(good_bytes).unwrap();
    let mut cases = vec![
        ("empty".to_string(), vec![], "truncated or damaged"),
        (
            "random_bytes".into(),
            (0..400u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            "truncated or damaged",
        ),
        (
            "foreign_json".into(),
            br#"{"hello": "world", "k": 3}"#.to_vec(),
            "not a segql model file",
        ),
        (
            "json_array".into(),
            b"[1, 2, 3]".to_vec(),
            "not a segql model file",
        ),
        (
            "future_version".into(),
            edited(&good, |m| {
                m["format_version"] = json!(99);
                m["something_new"] = json!({"a": 1});
            }),
            "written by a newer segql (format version 99",
        ),
        (
            "version_zero".into(),
            edited(&good, |m| m["format_version"] = json!(0)),
            "no valid format_version",
        ),
        (
            "k_disagrees".into(),
            edited(&good, |m| m["options"]["k"] = json!(5)),
            "records k = 5 but has 3 segments",
        ),
        (
            "segment_removed".into(),
            edited(&good, |m| {
                m["segments"].as_array_mut().unwrap().pop();
            }),
            "records k = 3 but has 2 segments",
        ),
        (
            "nan_centroid".into(),
            edited(&good, |m| m["segments"][1]["centroid"][0] = json!("NaN")),
            "incomplete or damaged",
        ),
        (
            "null_centroid".into(),
            edited(&good, |m| m["segments"][0]["centroid"][1] = Value::Null),
            "incomplete or damaged",
        ),
        (
            "short_centroid".into(),
            edited(&good, |m| {
                m["segments"][2]["centroid"].as_array_mut().unwrap().pop();
            }),
            "segment 2 has 1 centroid values for 2 features",
        ),
        (
            "zero_scale".into(),
            edited(&good, |m| m["features"][0]["scaler"]["scale"] = json!(0.0)),
            "feature 'x' has invalid preprocessing",
        ),
        (
            "no_features".into(),
            edited(&good, |m| m["features"] = json!([])),
            "the model has no features",
        ),
        (
            "unknown_kind".into(),
            edited(&good, |m| m["kind"] = json!("forest")),
            "incomplete or damaged",
        ),
        (
            "huge_number".into(),
            String::from_utf8(good_bytes.to_vec())
                .unwrap()
                .replacen("\"inertia\": ", "\"inertia\": 1e999", 1)
                .into_bytes(),
            "damaged",
        ),
    ];
    // cut anywhere: after the first byte, mid-key, mid-number, one byte short
    for cut in [
        1,
        17,
        good_bytes.len() / 3,
        good_bytes.len() / 2,
        good_bytes.len() - 1,
    ] {
        cases.push((
            format!("truncated_{cut}"),
            good_bytes[..cut].to_vec(),
            "truncated or damaged",
        ));
    }
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_model_files_are_named_and_left_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = session(dir.path()).await;
    ctx.sql("SELECT * FROM kmeans_fit(pts, 3, seed => 1, model => 'good')")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let good_bytes = std::fs::read(dir.path().join("good.segql-model")).unwrap();
    let cases = damaged_files(&good_bytes);
    assert!(cases.len() >= 20, "{} cases", cases.len());
    for (name, bytes, _) in &cases {
        std::fs::write(dir.path().join(format!("{name}.segql-model")), bytes).unwrap();
    }

    // a fresh session, so nothing comes from a cache
    let ctx = session(dir.path()).await;
    for (name, bytes, reason) in &cases {
        let path = dir.path().join(format!("{name}.segql-model"));
        for sql in [
            format!("SELECT * FROM assign_segment('{name}', pts)"),
            format!("SELECT * FROM model_segments('{name}')"),
            format!("SELECT * FROM model_features('{name}')"),
            format!("SELECT assign_segment('{name}', x, y) FROM pts"),
        ] {
            let error = error_of(&ctx, &sql).await;
            assert!(
                error.contains(&format!(
                    "model '{name}' cannot be read from {}",
                    path.display()
                )) && error.contains(reason),
                "{sql}: {error}"
            );
            assert!(
                !error.contains("panicked") && !error.contains("Internal"),
                "{error}"
            );
        }
        assert_eq!(&std::fs::read(&path).unwrap(), bytes, "{name} was changed");
    }

    // the listing reports every damaged file and still lists the good model
    let batches = ctx
        .sql("SELECT name, status FROM segql_models() ORDER BY name")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let listed = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    assert!(listed.contains("| good "), "{listed}");
    let ok = listed.lines().filter(|l| l.contains("| ok ")).count();
    assert_eq!(ok, 1, "{listed}");
    for (name, _, reason) in &cases {
        let line = listed
            .lines()
            .find(|l| l.starts_with(&format!("| {name} ")))
            .unwrap_or_else(|| panic!("{name} not listed: {listed}"));
        assert!(line.contains(reason), "{line}");
    }
    // and the good model still scores
    ctx.sql("SELECT * FROM assign_segment('good', pts)")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
}
