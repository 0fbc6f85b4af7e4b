//! Judging segmentations against scikit-learn and kneed (fixtures made by
//! tests/fixtures/make_quality_reference.py, run with ../shared/bench's venv plus kneed):
//! silhouette, Davies–Bouldin and Calinski–Harabasz of scikit-learn's labellings equal to 1e-9
//! relative; the adjusted Rand index between two labellings likewise; the elbow of each
//! inertia curve where kneed puts it; a sampled silhouette of 100,000 rows within 0.01 of the
//! exact one; and `kmeans_search`'s scores of its own fit where its labels are scikit-learn's
//! (the well-separated blobs at k = 5).

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{Float64Type, Int32Type};
use datafusion::error::Result;
use datafusion::prelude::{CsvReadOptions, SessionContext};
use segql::quality::{
    Points, Scores, adjusted_rand_index, elbow, silhouette, silhouette_sample_rows, take_rows,
};

const RELATIVE: f64 = 1e-9;
const KS: [usize; 4] = [2, 3, 5, 8];

fn csv_rows(path: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The data set's rows, row-major, and its width.
fn data(name: &str) -> (Vec<f64>, usize) {
    let rows = csv_rows(&format!("tests/fixtures/kmeans/{name}.csv"));
    let d = rows[0].len();
    let x = rows
        .iter()
        .flat_map(|r| r.iter().map(|v| v.parse::<f64>().expect("a number")))
        .collect();
    (x, d)
}

/// scikit-learn's labels for each k of [`KS`].
fn labels(name: &str) -> Vec<Vec<u32>> {
    let rows = csv_rows(&format!("tests/fixtures/quality/labels_{name}.csv"));
    (0..KS.len())
        .map(|j| {
            rows.iter()
                .map(|r| r[j].parse().expect("a label"))
                .collect()
        })
        .collect()
}

fn close(ours: Option<f64>, theirs: f64, what: &str) {
    let ours = ours.unwrap_or_else(|| panic!("{what}: no value"));
    let scale = theirs.abs().max(1e-12);
    assert!(
        (ours - theirs).abs() <= RELATIVE * scale,
        "{what}: segql {ours} vs scikit-learn {theirs}"
    );
}

#[test]
fn scores_equal_scikit_learn() {
    let reference = csv_rows("tests/fixtures/quality_reference.csv");
    assert_eq!(reference.len(), 12, "3 data sets x 4 values of k");
    for row in reference {
        let (name, k) = (&row[0], row[1].parse::<usize>().expect("k"));
        let (x, d) = data(name);
        let labelling = &labels(name)[KS.iter().position(|&v| v == k).expect("a k")];
        let points = Points::new(&x, d, labelling);
        let scores = Scores::of(&points, &points, 2);
        let what = format!("{name} k={k}");
        close(
            scores.silhouette,
            row[2].parse().unwrap(),
            &format!("{what} silhouette"),
        );
        close(
            scores.davies_bouldin,
            row[3].parse().unwrap(),
            &format!("{what} davies_bouldin"),
        );
        close(
            scores.calinski_harabasz,
            row[4].parse().unwrap(),
            &format!("{what} calinski_harabasz"),
        );
    }
}

#[test]
fn adjusted_rand_index_equals_scikit_learn() {
    for row in csv_rows("tests/fixtures/quality_ari.csv") {
        let name = &row[0];
        let at = |k: &str| {
            let k: usize = k.parse().unwrap();
            KS.iter().position(|&v| v == k).unwrap()
        };
        let all = labels(name);
        let ours = adjusted_rand_index(&all[at(&row[1])], &all[at(&row[2])]);
        close(Some(ours), row[3].parse().unwrap(), &format!("{name} ari"));
    }
}

#[test]
fn elbows_are_where_kneed_puts_them() {
    let rows = csv_rows("tests/fixtures/quality_elbow.csv");
    assert_eq!(rows.len(), 3);
    for row in rows {
        let inertia: Vec<f64> = row[1].split(';').map(|v| v.parse().unwrap()).collect();
        let ks: Vec<f64> = (1..=inertia.len()).map(|k| k as f64).collect();
        let ours = elbow(&ks, &inertia).map(|i| (i + 1).to_string());
        assert_eq!(ours.unwrap_or_default(), row[2], "{}: {inertia:?}", row[0]);
    }
}

/// The rows are make_quality_reference.py's `lcg_blobs`, drawn bit for bit the same.
#[test]
fn a_sampled_silhouette_is_within_a_hundredth_of_the_exact_one() {
    let row = &csv_rows("tests/fixtures/quality_large.csv")[0];
    let (n, exact): (usize, f64) = (row[0].parse().unwrap(), row[1].parse().unwrap());
    let (x, labels) = segql::demo::lcg_blobs(n);
    let rows = silhouette_sample_rows(n, 10_000, 0).expect("a sample");
    let sampled_labels: Vec<u32> = rows.iter().map(|&i| labels[i]).collect();
    let sampled_x = take_rows(&x, 2, &rows);
    let sampled = silhouette(&Points::new(&sampled_x, 2, &sampled_labels), 2).unwrap();
    assert!(
        (sampled - exact).abs() <= 0.01,
        "sampled {sampled} vs exact {exact}"
    );
}

/// kmeans_search fits the blobs at k = 5 into scikit-learn's five groups (well separated, one
/// partition), so its scores of its own fit are scikit-learn's to 1e-9.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kmeans_search_scores_its_fit_as_scikit_learn_does() -> Result<()> {
    let ctx = SessionContext::new();
    segql::register_all(&ctx)?;
    ctx.register_csv(
        "blobs",
        "tests/fixtures/kmeans/blobs.csv",
        CsvReadOptions::new(),
    )
    .await?;
    let batches = ctx
        .sql(
            "SELECT k, silhouette, davies_bouldin, calinski_harabasz FROM kmeans_search(blobs, \
             ks => '5', transform => 'none', standardize => false, stability => 0)",
        )
        .await?
        .collect()
        .await?;
    let reference = csv_rows("tests/fixtures/quality_reference.csv");
    let theirs = reference
        .iter()
        .find(|r| r[0] == "blobs" && r[1] == "5")
        .expect("blobs k=5");
    let batch = &batches[0];
    assert_eq!(batch.column(0).as_primitive::<Int32Type>().value(0), 5);
    for (column, what) in [
        (1, "silhouette"),
        (2, "davies_bouldin"),
        (3, "calinski_harabasz"),
    ] {
        let ours = batch.column(column).as_primitive::<Float64Type>().value(0);
        close(Some(ours), theirs[column + 1].parse().unwrap(), what);
    }
    Ok(())
}
