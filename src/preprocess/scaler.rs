//! Scaling a feature after its transform, so no feature dominates the distances by its units.

use serde::{Deserialize, Serialize};

/// How a feature is scaled: `scale => 'standard' | 'robust' | 'minmax'` (`'none'` is no scaler).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScaleKind {
    /// Mean 0, population standard deviation 1 (scikit-learn's `StandardScaler`).
    #[default]
    Standard,
    /// Median 0, interquartile range 1 (scikit-learn's `RobustScaler`): outliers pull it less.
    Robust,
    /// Minimum 0, maximum 1 (scikit-learn's `MinMaxScaler`).
    MinMax,
}

impl ScaleKind {
    /// The SQL spelling, `None` for `'none'` (no scaling).
    pub fn parse(text: &str) -> Result<Option<Self>, UnknownScale> {
        match text.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(Some(Self::Standard)),
            "robust" => Ok(Some(Self::Robust)),
            "minmax" | "min-max" => Ok(Some(Self::MinMax)),
            "none" => Ok(None),
            _ => Err(UnknownScale(text.to_string())),
        }
    }

    /// The SQL spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Robust => "robust",
            Self::MinMax => "minmax",
        }
    }

    /// Every spelling `scale =>` accepts.
    pub const CHOICES: [&'static str; 4] = ["standard", "robust", "minmax", "none"];
}

/// A `scale =>` word that is not a scaler.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scale cannot be '{}'; use one of {}", .0, ScaleKind::CHOICES.join(", "))]
pub struct UnknownScale(pub String);

/// A fitted scaler: `z = (x - center) / scale`.
///
/// Models written before the robust and min-max scalers named the two numbers `mean` and `std`;
/// they still load, as standard scalers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Which scaler.
    #[serde(default)]
    pub kind: ScaleKind,
    /// Subtracted first: the mean, the median or the minimum.
    #[serde(alias = "mean")]
    pub center: f64,
    /// Divided by next (never zero): the standard deviation, the interquartile range or the
    /// range.
    #[serde(alias = "std")]
    pub scale: f64,
}

impl Scaler {
    /// Fit a `kind` scaler to `values`; `None` when the feature does not vary (it cannot be
    /// scaled). A robust scaler of a feature whose quartiles coincide divides by 1, as
    /// scikit-learn's does.
    pub fn fit(kind: ScaleKind, values: &[f64]) -> Option<Self> {
        let (mean, std) = moments(values);
        if !(std > 0.0 && std.is_finite()) {
            return None;
        }
        let (center, scale) = match kind {
            ScaleKind::Standard => (mean, std),
            ScaleKind::Robust => {
                let sorted = sorted(values);
                let iqr = percentile(&sorted, 75.0) - percentile(&sorted, 25.0);
                let scale = if iqr < 10.0 * f64::EPSILON { 1.0 } else { iqr };
                (percentile(&sorted, 50.0), scale)
            }
            ScaleKind::MinMax => {
                let min = values.iter().copied().fold(f64::INFINITY, f64::min);
                let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                if !(max - min).is_finite() {
                    return None;
                }
                (min, max - min)
            }
        };
        Some(Self {
            kind,
            center,
            scale,
        })
    }

    /// Scale one value.
    pub fn apply(&self, x: f64) -> f64 {
        (x - self.center) / self.scale
    }

    /// The value before scaling.
    pub fn invert(&self, z: f64) -> f64 {
        z * self.scale + self.center
    }
}

/// The mean and (population) standard deviation; values so large that their squares or sum
/// overflow are divided by the largest magnitude first, so any finite input gives a finite
/// answer when one exists.
fn moments(values: &[f64]) -> (f64, f64) {
    let direct = |divisor: f64| {
        let n = values.len() as f64;
        let mean = values.iter().map(|v| v / divisor).sum::<f64>() / n;
        let variance = values
            .iter()
            .map(|v| (v / divisor - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean * divisor, variance.sqrt() * divisor)
    };
    match direct(1.0) {
        (mean, std) if mean.is_finite() && std.is_finite() => (mean, std),
        _ => direct(values.iter().fold(0.0, |m: f64, v| m.max(v.abs()))),
    }
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    sorted
}

/// The `q`th percentile of sorted values with linear interpolation (numpy's default).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = q / 100.0 * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_feature_cannot_be_scaled() {
        for kind in [ScaleKind::Standard, ScaleKind::Robust, ScaleKind::MinMax] {
            assert_eq!(Scaler::fit(kind, &[2.0, 2.0, 2.0]), None);
        }
        let s = Scaler::fit(ScaleKind::Standard, &[1.0, 3.0]).unwrap();
        assert_eq!((s.center, s.scale), (2.0, 1.0));
        assert_eq!(s.apply(3.0), 1.0);
    }

    #[test]
    fn robust_and_minmax_by_hand() {
        // 1, 2, 4, 8, 100: median 4, quartiles 2 and 8
        let values = [8.0, 1.0, 100.0, 2.0, 4.0];
        let robust = Scaler::fit(ScaleKind::Robust, &values).unwrap();
        assert_eq!((robust.center, robust.scale), (4.0, 6.0));
        let minmax = Scaler::fit(ScaleKind::MinMax, &values).unwrap();
        assert_eq!((minmax.center, minmax.scale), (1.0, 99.0));
        assert_eq!(minmax.apply(100.0), 1.0);
        // quartiles between values: 1, 2, 3, 4 → q1 = 1.75, q3 = 3.25
        let robust = Scaler::fit(ScaleKind::Robust, &[4.0, 3.0, 2.0, 1.0]).unwrap();
        assert_eq!((robust.center, robust.scale), (2.5, 1.5));
        // quartiles that coincide divide by 1
        let robust = Scaler::fit(ScaleKind::Robust, &[1.0, 1.0, 1.0, 1.0, 9.0]).unwrap();
        assert_eq!((robust.center, robust.scale), (1.0, 1.0));
    }

    #[test]
    fn scalers_written_before_kinds_load_as_standard() {
        let old: Scaler = serde_json::from_str(r#"{"mean": 2.0, "std": 0.5}"#).unwrap();
        assert_eq!(
            old,
            Scaler {
                kind: ScaleKind::Standard,
                center: 2.0,
                scale: 0.5
            }
        );
    }
}
