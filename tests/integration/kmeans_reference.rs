//! K-Means quality against scikit-learn: on every fixture data set and k = 2, 3, 5, 8, with the
//! same preprocessing, segql's inertia (the sum of `kmeans_fit`'s `sse`) is never more than 0.1%
//! above the best of scikit-learn's 10 restarts.
//!
//! Fixtures: tests/fixtures/make_kmeans_reference.py (run with ../shared/bench's venv).

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Float64Type;
use datafusion::error::Result;
use datafusion::prelude::{CsvReadOptions, SessionContext};

const TOLERANCE: f64 = 1e-3;

struct Reference {
    dataset: String,
    transform: String,
    standardize: String,
    k: usize,
    inertia: f64,
}

fn references() -> Vec<Reference> {
    let text = std::fs::read_to_string("tests/fixtures/kmeans_reference.csv")
        .expect("tests/fixtures/kmeans_reference.csv");
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Reference {
                dataset: f[0].to_string(),
                transform: f[1].to_string(),
                standardize: f[2].to_string(),
                k: f[3].parse().expect("k"),
                inertia: f[4].parse().expect("inertia"),
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inertia_within_a_tenth_of_a_percent_of_scikit_learn() -> Result<()> {
    let ctx = SessionContext::new();
    segql::register_all(&ctx)?;
    let refs = references();
    assert_eq!(refs.len(), 20, "5 data sets x 4 values of k");
    let mut registered = Vec::new();
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for r in &refs {
        if !registered.contains(&r.dataset) {
            let path = format!("tests/fixtures/kmeans/{}.csv", r.dataset);
            ctx.register_csv(&r.dataset, &path, CsvReadOptions::new())
                .await?;
            registered.push(r.dataset.clone());
        }
        let sql = format!(
            "SELECT sum(sse) FROM kmeans_fit({}, {}, transform => '{}', standardize => {}, seed => 0)",
            r.dataset, r.k, r.transform, r.standardize
        );
        let batches = ctx.sql(&sql).await?.collect().await?;
        let ours = batches[0].column(0).as_primitive::<Float64Type>().value(0);
        let excess = ours / r.inertia - 1.0;
        report.push(format!(
            "{:>14} k={} segql {ours:.6} scikit-learn {:.6} ({:+.4}%)",
            r.dataset,
            r.k,
            r.inertia,
            excess * 100.0
        ));
        if excess > TOLERANCE {
            failures.push(format!("{} k={}", r.dataset, r.k));
        }
    }
    println!("{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "more than {}% above scikit-learn: {failures:?}\n{}",
        TOLERANCE * 100.0,
        report.join("\n")
    );
    Ok(())
}

/// The eight-feature recipe's encoding: seven numeric features and product_category one-hot
/// encoded in SQL, all standardised, against scikit-learn's OneHotEncoder + StandardScaler +
/// KMeans(n_init=10) on the same rows (tests/fixtures/make_onehot_reference.py).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hot_encoded_inertia_within_a_tenth_of_a_percent_of_scikit_learn() -> Result<()> {
    let ctx = SessionContext::new();
    segql::register_all(&ctx)?;
    ctx.register_csv(
        "customers",
        "tests/fixtures/demo_customers_2000.csv",
        CsvReadOptions::new(),
    )
    .await?;
    let text = std::fs::read_to_string("tests/fixtures/onehot_reference.csv")
        .expect("tests/fixtures/onehot_reference.csv");
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let (k, theirs) = line.split_once(',').expect("k,inertia");
        let theirs: f64 = theirs.parse().expect("inertia");
        let sql = format!(
            "SELECT sum(sse) FROM kmeans_fit(
               (SELECT *, CAST(product_category = 'electronics' AS DOUBLE) AS cat_electronics,
                          CAST(product_category = 'fashion' AS DOUBLE) AS cat_fashion,
                          CAST(product_category = 'home_goods' AS DOUBLE) AS cat_home_goods,
                          CAST(product_category = 'beauty' AS DOUBLE) AS cat_beauty
                FROM customers),
               {k}, transform => 'none', seed => 0,
               features => 'annual_income, spending_score, number_of_purchases, age, years_with_company, average_order_value, activity_per_week, cat_electronics, cat_fashion, cat_home_goods, cat_beauty')"
        );
        let batches = ctx.sql(&sql).await?.collect().await?;
        let ours = batches[0].column(0).as_primitive::<Float64Type>().value(0);
        assert!(
            ours <= theirs * (1.0 + TOLERANCE),
            "k = {k}: segql {ours} against scikit-learn {theirs}"
        );
        checked += 1;
    }
    assert_eq!(checked, 3);
    Ok(())
}
