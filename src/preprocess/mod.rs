//! Feature preprocessing recorded in a model so scoring repeats it exactly: a skew-correcting
//! transform per feature (log, log1p, sqrt, cbrt, Box-Cox, Yeo-Johnson; shifted into the
//! transform's domain when asked) and a scaler (standard, robust or min-max). Plain Rust, shared
//! by every fit.

mod boxcox;
mod brent;
mod diagnosis;
mod distinct;
mod scaler;
mod skewness;
mod spec;
mod transform;
mod yeojohnson;

pub use boxcox::{boxcox, boxcox_lambda};
pub use diagnosis::{Diagnosis, diagnose};
pub use scaler::{ScaleKind, Scaler, UnknownScale};
pub use skewness::{adjusted_skewness, skewness};
pub use spec::{SpecError, TransformSpec};
pub use transform::{AUTO_SKEW, DomainError, Transform, TransformKind};
pub use yeojohnson::{yeojohnson, yeojohnson_lambda};

#[cfg(test)]
mod tests {
    use super::*;

    /// λ and skewness agree with scipy (tests/fixtures/make_boxcox_reference.py).
    #[test]
    fn lambda_and_skewness_match_scipy() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/boxcox_reference.csv"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let mut checked = 0;
        for line in text.lines().filter(|l| !l.is_empty()) {
            let fields: Vec<&str> = line.splitn(5, ',').collect();
            let [name, shift, lambda, skew, values] = fields[..] else {
                panic!("bad line {line}")
            };
            let values: Vec<f64> = values.split(';').map(|v| v.parse().unwrap()).collect();
            let (shift, lambda, skew): (f64, f64, f64) = (
                shift.parse().unwrap(),
                lambda.parse().unwrap(),
                skew.parse().unwrap(),
            );
            let fitted = Transform::fit(TransformKind::BoxCox, &values, true).unwrap();
            assert_eq!(fitted.shift(), shift, "{name} shift");
            let ours = boxcox_lambda(&values, shift);
            assert!(
                (ours - lambda).abs() < 1e-5,
                "{name}: lambda {ours} vs scipy {lambda}"
            );
            let ours = skewness(&values);
            assert!(
                (ours - skew).abs() < 1e-9 * skew.abs().max(1.0),
                "{name}: skew {ours} vs {skew}"
            );
            checked += 1;
        }
        assert_eq!(checked, 5);
    }

    /// Yeo-Johnson, the robust and min-max scalers and every skewness of feature_skewness agree
    /// with SciPy, pandas and scikit-learn (tests/fixtures/make_preprocess_reference.py).
    #[test]
    fn transforms_scalers_and_skewness_match_the_references() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/preprocess_reference.json"
        );
        let sets: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let number = |set: &serde_json::Value, key: &str| set[key].as_f64().unwrap();
        let close = |ours: f64, theirs: f64, tol: f64, what: &str| {
            assert!(
                (ours - theirs).abs() <= tol * theirs.abs().max(1.0),
                "{what}: {ours} vs {theirs}"
            );
        };
        for set in &sets {
            let name = set["name"].as_str().unwrap();
            let list = |key: &str| -> Vec<f64> {
                set[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect()
            };
            let values = list("values");
            let lambda = yeojohnson_lambda(&values);
            close(
                lambda,
                number(set, "yeojohnson_lambda"),
                1e-6,
                &format!("{name} λ"),
            );
            for (x, y) in values.iter().zip(list("yeojohnson_values")) {
                close(
                    yeojohnson(*x, lambda),
                    y,
                    1e-6,
                    &format!("{name} yeojohnson({x})"),
                );
            }
            let robust = Scaler::fit(ScaleKind::Robust, &values).unwrap();
            close(robust.center, number(set, "robust_center"), 1e-12, name);
            close(robust.scale, number(set, "robust_scale"), 1e-12, name);
            let minmax = Scaler::fit(ScaleKind::MinMax, &values).unwrap();
            close(minmax.center, number(set, "minmax_min"), 1e-12, name);
            close(minmax.scale, number(set, "minmax_range"), 1e-12, name);
            let d = diagnose(&values);
            close(d.auto_statistic, number(set, "biased_skew"), 1e-9, name);
            close(d.boxcox_lambda, number(set, "boxcox_lambda"), 1e-5, name);
            for (ours, key, tol) in [
                (d.skew, "skew", 1e-9),
                (d.skew_log, "skew_log", 1e-9),
                (d.skew_sqrt, "skew_sqrt", 1e-9),
                (d.skew_cbrt, "skew_cbrt", 1e-9),
                // the λs agree to 1e-5 (Box-Cox) and 1e-6 (Yeo-Johnson), so do the skews after
                (d.skew_boxcox, "skew_boxcox", 1e-4),
                (d.skew_yeojohnson, "skew_yeojohnson", 1e-5),
            ] {
                close(
                    ours.unwrap(),
                    number(set, key),
                    tol,
                    &format!("{name} {key}"),
                );
            }
        }
        assert_eq!(sets.len(), 7);
    }
}
