//! The skewness table analysts draw up before a fit: a feature's skewness raw and after each
//! transform, and what `transform => 'auto'` would do with it.

use super::skewness::{adjusted_skewness, skewness};
use super::transform::{AUTO_SKEW, Transform, TransformKind};

/// One feature's skewness raw and after each transform (each fitted as a fit would fit it,
/// shifted into its domain), all adjusted Fisher–Pearson as pandas' `skew()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// The values' skewness; `None` below three values.
    pub skew: Option<f64>,
    /// After `log`.
    pub skew_log: Option<f64>,
    /// After `sqrt`.
    pub skew_sqrt: Option<f64>,
    /// After `cbrt`.
    pub skew_cbrt: Option<f64>,
    /// After `boxcox`.
    pub skew_boxcox: Option<f64>,
    /// After `yeojohnson`.
    pub skew_yeojohnson: Option<f64>,
    /// Box-Cox's fitted λ.
    pub boxcox_lambda: f64,
    /// Yeo-Johnson's fitted λ.
    pub yeojohnson_lambda: f64,
    /// The statistic `auto` decides on: the biased skewness (above [`AUTO_SKEW`] means Box-Cox).
    pub auto_statistic: f64,
    /// What `auto` would apply: `boxcox` or `none`.
    pub auto_transform: &'static str,
}

/// The diagnosis of `values` (finite, at least one).
pub fn diagnose(values: &[f64]) -> Diagnosis {
    let after = |kind| {
        let transform = Transform::fit(kind, values, true).expect("shifting is on");
        let transformed: Vec<f64> = values.iter().map(|&x| transform.apply(x)).collect();
        (adjusted_skewness(&transformed), transform)
    };
    let (skew_boxcox, boxcox) = after(TransformKind::BoxCox);
    let (skew_yeojohnson, yeojohnson) = after(TransformKind::YeoJohnson);
    let auto_statistic = skewness(values);
    Diagnosis {
        skew: adjusted_skewness(values),
        skew_log: after(TransformKind::Log).0,
        skew_sqrt: after(TransformKind::Sqrt).0,
        skew_cbrt: after(TransformKind::Cbrt).0,
        skew_boxcox,
        skew_yeojohnson,
        boxcox_lambda: boxcox.lambda().unwrap_or(1.0),
        yeojohnson_lambda: yeojohnson.lambda().unwrap_or(1.0),
        auto_statistic,
        auto_transform: if auto_statistic > AUTO_SKEW {
            "boxcox"
        } else {
            "none"
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_right_skewed_feature_by_hand() {
        // 1, 1, 1, 1, 8: sqrt gives 1, 1, 1, 1, 2√2; cbrt 1, 1, 1, 1, 2
        let values = [1.0, 1.0, 8.0, 1.0, 1.0];
        let d = diagnose(&values);
        // mean 2.4, deviations -1.4 ×4 and 5.6: m2 = 7.84, m3 = 28.224, g1 = 1.5
        assert!((d.auto_statistic - 1.5).abs() < 1e-12);
        let adjust = (20.0_f64).sqrt() / 3.0;
        assert!((d.skew.unwrap() - 1.5 * adjust).abs() < 1e-12);
        // any two-valued set with one value apart has the same g1: 1.5
        assert!((d.skew_cbrt.unwrap() - 1.5 * adjust).abs() < 1e-9);
        assert!((d.skew_sqrt.unwrap() - 1.5 * adjust).abs() < 1e-9);
        assert_eq!(d.auto_transform, "boxcox");
        assert_eq!(diagnose(&[1.0, 2.0, 3.0]).auto_transform, "none");
    }
}
