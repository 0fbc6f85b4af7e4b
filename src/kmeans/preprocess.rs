//! Feature preprocessing recorded in a model so scoring repeats it exactly: a skew-correcting
//! transform per feature (log or Box-Cox, shifted when values are not positive) and
//! standardisation with the population standard deviation.

use serde::{Deserialize, Serialize};

/// Which transform to apply to a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransformKind {
    /// Box-Cox for features with skewness above [`AUTO_SKEW`], else none.
    Auto,
    /// Leave values as they are.
    None,
    /// `ln(x + shift)`.
    Log,
    /// Box-Cox of `x + shift` with λ chosen by maximum likelihood.
    BoxCox,
}

impl TransformKind {
    /// The SQL spelling: `'auto'`, `'none'`, `'log'`, `'boxcox'`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "none" => Some(Self::None),
            "log" => Some(Self::Log),
            "boxcox" | "box-cox" => Some(Self::BoxCox),
            _ => None,
        }
    }

    /// The canonical SQL spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::None => "none",
            Self::Log => "log",
            Self::BoxCox => "boxcox",
        }
    }
}

/// Skewness above which `Auto` applies Box-Cox.
pub const AUTO_SKEW: f64 = 1.0;

/// A fitted transform of one feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Transform {
    /// Identity.
    Identity,
    /// `ln(x + shift)`.
    Log {
        /// Added before the logarithm so every value is positive.
        shift: f64,
    },
    /// `((x + shift)^λ - 1) / λ`, or `ln(x + shift)` when λ = 0.
    BoxCox {
        /// The exponent.
        lambda: f64,
        /// Added first so every value is positive.
        shift: f64,
    },
}

impl Transform {
    /// Fit a transform of `kind` to `values` (finite, at least one).
    pub fn fit(kind: TransformKind, values: &[f64]) -> Self {
        let shift = positive_shift(values);
        match kind {
            TransformKind::None => Transform::Identity,
            TransformKind::Log => Transform::Log { shift },
            TransformKind::BoxCox => Transform::BoxCox {
                lambda: boxcox_lambda(values, shift),
                shift,
            },
            TransformKind::Auto if skewness(values) > AUTO_SKEW => Transform::BoxCox {
                lambda: boxcox_lambda(values, shift),
                shift,
            },
            TransformKind::Auto => Transform::Identity,
        }
    }

    /// The value in original units whose transform is `y` (for centroids and reports).
    pub fn invert(&self, y: f64) -> f64 {
        match *self {
            Transform::Identity => y,
            Transform::Log { shift } => y.exp() - shift,
            Transform::BoxCox { lambda, shift } => {
                if lambda.abs() < 1e-12 {
                    y.exp() - shift
                } else {
                    (lambda * y + 1.0).max(0.0).powf(1.0 / lambda) - shift
                }
            }
        }
    }

    /// How the transform reads in listings: `none`, `log`, `boxcox(λ=0.12)`.
    pub fn describe(&self) -> String {
        match *self {
            Transform::Identity => "none".to_string(),
            Transform::Log { shift: 0.0 } => "log".to_string(),
            Transform::Log { shift } => format!("log(x + {})", short(shift)),
            Transform::BoxCox { lambda, shift: 0.0 } => {
                format!("boxcox(lambda={lambda:.4})")
            }
            Transform::BoxCox { lambda, shift } => {
                format!("boxcox(x + {}, lambda={lambda:.4})", short(shift))
            }
        }
    }

    /// Apply the transform to one value. Values below the fitted range are clamped into it
    /// (a new customer may have a smaller value than any seen in training).
    pub fn apply(&self, x: f64) -> f64 {
        match *self {
            Transform::Identity => x,
            Transform::Log { shift } => (x + shift).max(f64::MIN_POSITIVE).ln(),
            Transform::BoxCox { lambda, shift } => {
                boxcox((x + shift).max(f64::MIN_POSITIVE), lambda)
            }
        }
    }
}

/// A number with at most 6 decimals and no trailing zeros.
fn short(x: f64) -> String {
    let text = format!("{x:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The shift that makes every value at least 1 when some are not positive; 0 otherwise.
pub fn positive_shift(values: &[f64]) -> f64 {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    if min > 0.0 { 0.0 } else { 1.0 - min }
}

/// Box-Cox of a positive value.
pub fn boxcox(x: f64, lambda: f64) -> f64 {
    if lambda.abs() < 1e-12 {
        x.ln()
    } else {
        (x.powf(lambda) - 1.0) / lambda
    }
}

/// Sample skewness (the biased, population estimator, as scipy.stats.skew by default).
pub fn skewness(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = values.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    if m2 <= 0.0 { 0.0 } else { m3 / m2.powf(1.5) }
}

/// Positive values as their distinct values with counts: the likelihood sums run over distinct
/// values only (a few hundred for recency or frequency, however many customers), and each
/// value's logarithm is taken once instead of at every step of the search.
struct Distinct {
    logs: Vec<f64>,
    counts: Vec<f64>,
    n: f64,
    log_sum: f64,
}

impl Distinct {
    fn new(x: &[f64]) -> Self {
        let mut sorted = x.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let (mut logs, mut counts) = (Vec::new(), Vec::new());
        let mut previous = None;
        for v in sorted {
            if previous == Some(v) {
                *counts.last_mut().expect("a previous value was counted") += 1.0;
            } else {
                logs.push(v.ln());
                counts.push(1.0);
                previous = Some(v);
            }
        }
        let log_sum = logs.iter().zip(&counts).map(|(l, c)| l * c).sum();
        Self {
            logs,
            counts,
            n: x.len() as f64,
            log_sum,
        }
    }

    /// The Box-Cox log-likelihood of λ (scipy.stats.boxcox_llf), with `y` as scratch space.
    /// `(x^λ - 1) / λ` is computed as `expm1(λ ln x) / λ`, which is also the more accurate
    /// form near λ = 0.
    fn llf(&self, lambda: f64, y: &mut Vec<f64>) -> f64 {
        y.clear();
        if lambda.abs() < 1e-12 {
            y.extend_from_slice(&self.logs);
        } else {
            y.extend(self.logs.iter().map(|l| (lambda * l).exp_m1() / lambda));
        }
        let mean = y.iter().zip(&self.counts).map(|(v, c)| v * c).sum::<f64>() / self.n;
        let var = y
            .iter()
            .zip(&self.counts)
            .map(|(v, c)| (v - mean).powi(2) * c)
            .sum::<f64>()
            / self.n;
        (lambda - 1.0) * self.log_sum - self.n / 2.0 * var.max(f64::MIN_POSITIVE).ln()
    }
}

/// The Box-Cox log-likelihood of λ for positive `x` (scipy.stats.boxcox_llf).
#[cfg(test)]
fn boxcox_llf(x: &[f64], lambda: f64) -> f64 {
    Distinct::new(x).llf(lambda, &mut Vec::new())
}

/// λ maximising the Box-Cox likelihood of `values + shift` on [-5, 5] (the likelihood is
/// unimodal in λ), found by Brent's method as scipy.stats.boxcox does.
pub fn boxcox_lambda(values: &[f64], shift: f64) -> f64 {
    let x: Vec<f64> = values.iter().map(|v| v + shift).collect();
    let distinct = Distinct::new(&x);
    let mut y = Vec::with_capacity(distinct.logs.len());
    minimise(|lambda| -distinct.llf(lambda, &mut y), -5.0, 5.0)
}

/// The minimum of `f` on `[lo, hi]` by Brent's method (R. P. Brent, *Algorithms for
/// Minimization without Derivatives*, 1973, ch. 5): parabolic interpolation through the three
/// best points, with a golden-section step whenever the parabola would not shrink the bracket
/// fast enough. A smooth function needs a dozen or so evaluations where golden-section search
/// alone needs about fifty for the same 1e-9 width.
fn minimise(mut f: impl FnMut(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    let golden = (3.0 - 5.0_f64.sqrt()) / 2.0;
    let relative = f64::EPSILON.sqrt();
    let absolute = 1e-10;
    let mut x = lo + golden * (hi - lo);
    let (mut w, mut v) = (x, x);
    let mut fx = f(x);
    let (mut fw, mut fv) = (fx, fx);
    // the step before last (`e`) and the last step (`d`)
    let (mut e, mut d) = (0.0_f64, 0.0_f64);
    for _ in 0..200 {
        let middle = (lo + hi) / 2.0;
        let tol = relative * x.abs() + absolute;
        if (x - middle).abs() <= 2.0 * tol - (hi - lo) / 2.0 {
            break;
        }
        let mut parabolic = false;
        if e.abs() > tol {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            // accept the parabola's minimum if it lies inside the bracket and the step is
            // less than half the step before last
            if p.abs() < (0.5 * q * e).abs() && p > q * (lo - x) && p < q * (hi - x) {
                e = d;
                d = p / q;
                let u = x + d;
                if u - lo < 2.0 * tol || hi - u < 2.0 * tol {
                    d = if x < middle { tol } else { -tol };
                }
                parabolic = true;
            }
        }
        if !parabolic {
            e = if x < middle { hi - x } else { lo - x };
            d = golden * e;
        }
        let u = if d.abs() >= tol {
            x + d
        } else if d > 0.0 {
            x + tol
        } else {
            x - tol
        };
        let fu = f(u);
        if fu <= fx {
            if u < x {
                hi = x;
            } else {
                lo = x;
            }
            (v, fv, w, fw, x, fx) = (w, fw, x, fx, u, fu);
        } else {
            if u < x {
                lo = u;
            } else {
                hi = u;
            }
            if fu <= fw || w == x {
                (v, fv, w, fw) = (w, fw, u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    x
}

/// Mean and population standard deviation of a feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// The mean.
    pub mean: f64,
    /// The population standard deviation (never zero).
    pub std: f64,
}

impl Scaler {
    /// Fit to `values`; `None` when the feature does not vary (it cannot be standardised).
    pub fn fit(values: &[f64]) -> Option<Self> {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        (std > 0.0 && std.is_finite()).then_some(Self { mean, std })
    }

    /// Standardise one value.
    pub fn apply(&self, x: f64) -> f64 {
        (x - self.mean) / self.std
    }

    /// The original value of a standardised one.
    pub fn invert(&self, z: f64) -> f64 {
        z * self.std + self.mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxcox_by_hand() {
        assert_eq!(boxcox(4.0, 0.5), 2.0); // (2 - 1) / 0.5
        assert_eq!(boxcox(std::f64::consts::E, 0.0), 1.0);
        assert_eq!(boxcox(3.0, 1.0), 2.0);
    }

    #[test]
    fn shifts_make_values_positive_and_are_recorded() {
        assert_eq!(positive_shift(&[1.0, 2.0]), 0.0);
        assert_eq!(positive_shift(&[0.0, 2.0]), 1.0);
        assert_eq!(positive_shift(&[-3.0, 2.0]), 4.0);
        let t = Transform::fit(TransformKind::Log, &[-3.0, 2.0]);
        assert_eq!(t, Transform::Log { shift: 4.0 });
        assert_eq!(t.apply(-3.0), 0.0);
    }

    #[test]
    fn auto_transforms_only_skewed_features() {
        let symmetric = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(
            Transform::fit(TransformKind::Auto, &symmetric),
            Transform::Identity
        );
        let skewed = [1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 50.0, 400.0];
        assert!(skewness(&skewed) > AUTO_SKEW);
        assert!(matches!(
            Transform::fit(TransformKind::Auto, &skewed),
            Transform::BoxCox { shift, .. } if shift == 0.0
        ));
    }

    #[test]
    fn the_likelihood_over_distinct_values_is_the_likelihood_over_all_values() {
        // repeated values (as recency and frequency have) against the textbook formula
        let values: Vec<f64> = (0..300).map(|i| f64::from(1 + (i * i) % 17)).collect();
        for lambda in [-1.5, -0.2, 0.0, 0.3, 2.0] {
            let n = values.len() as f64;
            let y: Vec<f64> = values.iter().map(|&v| boxcox(v, lambda)).collect();
            let mean = y.iter().sum::<f64>() / n;
            let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            let log_sum: f64 = values.iter().map(|v| v.ln()).sum();
            let direct = (lambda - 1.0) * log_sum - n / 2.0 * var.ln();
            let ours = boxcox_llf(&values, lambda);
            assert!(
                (ours - direct).abs() < 1e-9 * direct.abs(),
                "λ = {lambda}: {ours} vs {direct}"
            );
        }
    }

    #[test]
    fn lambda_of_lognormal_data_is_near_zero_and_maximises_the_likelihood() {
        // exp of evenly spread values: log is the normalising transform, so λ ≈ 0
        let values: Vec<f64> = (0..201)
            .map(|i| (f64::from(i) / 50.0 - 2.0).exp())
            .collect();
        let lambda = boxcox_lambda(&values, 0.0);
        assert!(lambda.abs() < 0.05, "{lambda}");
        let at = |l| boxcox_llf(&values, l);
        assert!(at(lambda) >= at(lambda + 0.01) && at(lambda) >= at(lambda - 0.01));
    }

    #[test]
    fn brents_method_finds_minima_to_the_tolerance_in_few_evaluations() {
        let x = minimise(|x| (x - 1.234_567).powi(2) + 3.0, -5.0, 5.0);
        assert!((x - 1.234_567).abs() < 1e-6, "{x}");
        // not smooth at the minimum: golden-section steps still get there
        let x = minimise(|x| (x + 2.5).abs(), -5.0, 5.0);
        assert!((x + 2.5).abs() < 1e-6, "{x}");
        // a minimum on the bracket's edge
        let x = minimise(|x| x, -5.0, 5.0);
        assert!(x < -5.0 + 1e-6, "{x}");
        let mut evaluations = 0;
        let x = minimise(
            |x| {
                evaluations += 1;
                (x - 0.3).cosh()
            },
            -5.0,
            5.0,
        );
        assert!((x - 0.3).abs() < 1e-6, "{x}");
        assert!(evaluations < 30, "{evaluations} evaluations");
    }

    #[test]
    fn a_constant_feature_cannot_be_standardised() {
        assert_eq!(Scaler::fit(&[2.0, 2.0, 2.0]), None);
        let s = Scaler::fit(&[1.0, 3.0]).unwrap();
        assert_eq!((s.mean, s.std), (2.0, 1.0));
        assert_eq!(s.apply(3.0), 1.0);
    }

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
            assert_eq!(positive_shift(&values), shift, "{name} shift");
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
}
