//! The skew-correcting transform of one feature: which one a fit asks for ([`TransformKind`])
//! and the fitted one a model records ([`Transform`]), with the shift that puts every value in
//! the transform's domain.

use serde::{Deserialize, Serialize};

use super::boxcox::{self, boxcox, boxcox_lambda};
use super::skewness::skewness;
use super::yeojohnson::{self, yeojohnson, yeojohnson_lambda};

/// Which transform to apply to a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TransformKind {
    /// Box-Cox for features with skewness above [`AUTO_SKEW`], else none.
    Auto,
    /// Leave values as they are.
    None,
    /// `ln(x + shift)`.
    Log,
    /// `ln(1 + x + shift)`.
    Log1p,
    /// `√(x + shift)`.
    Sqrt,
    /// `∛x` (any sign, no shift).
    Cbrt,
    /// Box-Cox of `x + shift` with λ chosen by maximum likelihood.
    BoxCox,
    /// Yeo-Johnson (any sign, no shift) with λ chosen by maximum likelihood.
    YeoJohnson,
}

impl TransformKind {
    /// Every SQL spelling, in the order the errors list them.
    pub const CHOICES: [&'static str; 8] = [
        "auto",
        "none",
        "log",
        "log1p",
        "sqrt",
        "cbrt",
        "boxcox",
        "yeojohnson",
    ];

    /// The SQL spelling (one of [`Self::CHOICES`], or `box-cox` / `yeo-johnson`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "none" => Some(Self::None),
            "log" => Some(Self::Log),
            "log1p" => Some(Self::Log1p),
            "sqrt" => Some(Self::Sqrt),
            "cbrt" => Some(Self::Cbrt),
            "boxcox" | "box-cox" => Some(Self::BoxCox),
            "yeojohnson" | "yeo-johnson" => Some(Self::YeoJohnson),
            _ => None,
        }
    }

    /// The canonical SQL spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::None => "none",
            Self::Log => "log",
            Self::Log1p => "log1p",
            Self::Sqrt => "sqrt",
            Self::Cbrt => "cbrt",
            Self::BoxCox => "boxcox",
            Self::YeoJohnson => "yeojohnson",
        }
    }
}

/// Skewness (biased, [`skewness`]) above which `Auto` applies Box-Cox.
pub const AUTO_SKEW: f64 = 1.0;

/// A transform that cannot take a feature's values as they are, with shifting turned off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DomainError {
    /// The transform's SQL name.
    pub transform: &'static str,
    /// The smallest value.
    pub min: f64,
    /// What the transform needs: `positive` or `non-negative`.
    pub needs: &'static str,
}

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
    /// `ln(1 + x + shift)`.
    Log1p {
        /// Added first so every value is at least 0.
        shift: f64,
    },
    /// `√(x + shift)`.
    Sqrt {
        /// Added first so every value is at least 0.
        shift: f64,
    },
    /// `∛x`.
    Cbrt,
    /// `((x + shift)^λ - 1) / λ`, or `ln(x + shift)` when λ = 0.
    BoxCox {
        /// The exponent.
        lambda: f64,
        /// Added first so every value is positive.
        shift: f64,
    },
    /// Yeo-Johnson with exponent λ.
    YeoJohnson {
        /// The exponent.
        lambda: f64,
    },
}

impl Transform {
    /// Fit a transform of `kind` to `values` (finite, at least one). With `shift`, values
    /// outside the transform's domain are shifted into it (and the shift recorded); without,
    /// they are an error.
    pub fn fit(kind: TransformKind, values: &[f64], shift: bool) -> Result<Self, DomainError> {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let positive = |transform| domain_shift(transform, min, 1.0 - min, min > 0.0, shift);
        let non_negative = |transform| domain_shift(transform, min, -min, min >= 0.0, shift);
        Ok(match kind {
            TransformKind::None => Transform::Identity,
            TransformKind::Log => Transform::Log {
                shift: positive("log")?,
            },
            TransformKind::Log1p => Transform::Log1p {
                shift: non_negative("log1p")?,
            },
            TransformKind::Sqrt => Transform::Sqrt {
                shift: non_negative("sqrt")?,
            },
            TransformKind::Cbrt => Transform::Cbrt,
            TransformKind::BoxCox => fit_boxcox(values, positive("boxcox")?),
            TransformKind::YeoJohnson => Transform::YeoJohnson {
                lambda: yeojohnson_lambda(values),
            },
            TransformKind::Auto if skewness(values) > AUTO_SKEW => {
                fit_boxcox(values, positive("auto (Box-Cox)")?)
            }
            TransformKind::Auto => Transform::Identity,
        })
    }

    /// Apply the transform to one value. Values below the fitted range are clamped into the
    /// transform's domain (a new customer may have a smaller value than any seen in training).
    pub fn apply(&self, x: f64) -> f64 {
        match *self {
            Transform::Identity => x,
            Transform::Log { shift } => (x + shift).max(f64::MIN_POSITIVE).ln(),
            Transform::Log1p { shift } => (x + shift).max(0.0).ln_1p(),
            Transform::Sqrt { shift } => (x + shift).max(0.0).sqrt(),
            Transform::Cbrt => x.cbrt(),
            Transform::BoxCox { lambda, shift } => {
                boxcox((x + shift).max(f64::MIN_POSITIVE), lambda)
            }
            Transform::YeoJohnson { lambda } => yeojohnson(x, lambda),
        }
    }

    /// The value in original units whose transform is `y` (for centroids and reports).
    pub fn invert(&self, y: f64) -> f64 {
        match *self {
            Transform::Identity => y,
            Transform::Log { shift } => y.exp() - shift,
            Transform::Log1p { shift } => y.exp_m1() - shift,
            Transform::Sqrt { shift } => y.max(0.0).powi(2) - shift,
            Transform::Cbrt => y.powi(3),
            Transform::BoxCox { lambda, shift } => boxcox::inverse(y, lambda) - shift,
            Transform::YeoJohnson { lambda } => yeojohnson::inverse(y, lambda),
        }
    }

    /// The SQL name of the transform (`none` for the identity).
    pub fn name(&self) -> &'static str {
        match self {
            Transform::Identity => "none",
            Transform::Log { .. } => "log",
            Transform::Log1p { .. } => "log1p",
            Transform::Sqrt { .. } => "sqrt",
            Transform::Cbrt => "cbrt",
            Transform::BoxCox { .. } => "boxcox",
            Transform::YeoJohnson { .. } => "yeojohnson",
        }
    }

    /// The fitted exponent of Box-Cox and Yeo-Johnson.
    pub fn lambda(&self) -> Option<f64> {
        match *self {
            Transform::BoxCox { lambda, .. } | Transform::YeoJohnson { lambda } => Some(lambda),
            _ => None,
        }
    }

    /// The shift added before the transform (0 for those that take any value).
    pub fn shift(&self) -> f64 {
        match *self {
            Transform::Log { shift }
            | Transform::Log1p { shift }
            | Transform::Sqrt { shift }
            | Transform::BoxCox { shift, .. } => shift,
            _ => 0.0,
        }
    }

    /// Whether every fitted parameter is a finite number (a hand-edited model may break one).
    pub fn is_valid(&self) -> bool {
        let shift = self.shift();
        shift.is_finite() && shift >= 0.0 && self.lambda().is_none_or(f64::is_finite)
    }

    /// How the transform reads in listings: `none`, `log`, `boxcox(lambda=0.1200)`.
    pub fn describe(&self) -> String {
        let shifted = |name: &str| match self.shift() {
            0.0 => name.to_string(),
            shift => format!("{name}(x + {})", short(shift)),
        };
        match *self {
            Transform::Identity | Transform::Cbrt => self.name().to_string(),
            Transform::Log { .. } | Transform::Log1p { .. } | Transform::Sqrt { .. } => {
                shifted(self.name())
            }
            Transform::BoxCox { lambda, shift: 0.0 } => format!("boxcox(lambda={lambda:.4})"),
            Transform::BoxCox { lambda, shift } => {
                format!("boxcox(x + {}, lambda={lambda:.4})", short(shift))
            }
            Transform::YeoJohnson { lambda } => format!("yeojohnson(lambda={lambda:.4})"),
        }
    }
}

fn fit_boxcox(values: &[f64], shift: f64) -> Transform {
    Transform::BoxCox {
        lambda: boxcox_lambda(values, shift),
        shift,
    }
}

/// The shift a transform needs: 0 when the values are already `in_domain`, else `needed` (or
/// an error when shifting is off).
fn domain_shift(
    transform: &'static str,
    min: f64,
    needed: f64,
    in_domain: bool,
    shift: bool,
) -> Result<f64, DomainError> {
    match (in_domain, shift) {
        (true, _) => Ok(0.0),
        (false, true) => Ok(needed),
        (false, false) => Err(DomainError {
            transform,
            min,
            needs: if transform == "log1p" || transform == "sqrt" {
                "non-negative"
            } else {
                "positive"
            },
        }),
    }
}

/// A number with at most 6 decimals and no trailing zeros.
fn short(x: f64) -> String {
    let text = format!("{x:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(kind: TransformKind, values: &[f64]) -> Transform {
        Transform::fit(kind, values, true).unwrap()
    }

    #[test]
    fn shifts_make_values_fit_the_domain_and_are_recorded() {
        assert_eq!(
            fit(TransformKind::Log, &[1.0, 2.0]),
            Transform::Log { shift: 0.0 }
        );
        assert_eq!(
            fit(TransformKind::Log, &[0.0, 2.0]),
            Transform::Log { shift: 1.0 }
        );
        let t = fit(TransformKind::Log, &[-3.0, 2.0]);
        assert_eq!(t, Transform::Log { shift: 4.0 });
        assert_eq!(t.apply(-3.0), 0.0);
        assert_eq!(
            fit(TransformKind::Sqrt, &[0.0, 4.0]),
            Transform::Sqrt { shift: 0.0 }
        );
        let t = fit(TransformKind::Sqrt, &[-4.0, 5.0]);
        assert_eq!(t, Transform::Sqrt { shift: 4.0 });
        assert_eq!(t.apply(5.0), 3.0);
        assert_eq!(
            fit(TransformKind::Log1p, &[-2.0, 5.0]),
            Transform::Log1p { shift: 2.0 }
        );
        assert_eq!(fit(TransformKind::Cbrt, &[-8.0, 27.0]).apply(-8.0), -2.0);
    }

    #[test]
    fn without_shifting_values_outside_the_domain_are_an_error() {
        let err = Transform::fit(TransformKind::Log, &[0.0, 2.0], false).unwrap_err();
        assert_eq!(
            (err.transform, err.min, err.needs),
            ("log", 0.0, "positive")
        );
        let err = Transform::fit(TransformKind::Sqrt, &[-1.0, 2.0], false).unwrap_err();
        assert_eq!(err.needs, "non-negative");
        // in the domain already, or a transform of any sign: no shift needed
        assert!(Transform::fit(TransformKind::Sqrt, &[0.0, 2.0], false).is_ok());
        assert!(Transform::fit(TransformKind::YeoJohnson, &[-5.0, 2.0, 9.0], false).is_ok());
    }

    #[test]
    fn auto_transforms_only_skewed_features() {
        let symmetric = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(fit(TransformKind::Auto, &symmetric), Transform::Identity);
        let skewed = [1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 50.0, 400.0];
        assert!(skewness(&skewed) > AUTO_SKEW);
        assert!(matches!(
            fit(TransformKind::Auto, &skewed),
            Transform::BoxCox { shift, .. } if shift == 0.0
        ));
    }

    #[test]
    fn every_transform_inverts() {
        let values = [-3.0, 0.0, 0.5, 2.0, 40.0, 900.0];
        for kind in TransformKind::CHOICES.map(|c| TransformKind::parse(c).unwrap()) {
            let t = fit(kind, &values);
            for &x in &values {
                let back = t.invert(t.apply(x));
                assert!(
                    (back - x).abs() < 1e-9 * x.abs().max(1.0),
                    "{t:?} {x}: {back}"
                );
            }
        }
    }

    #[test]
    fn transforms_written_by_earlier_models_still_load() {
        let old: Transform =
            serde_json::from_str(r#"{"kind": "boxcox", "lambda": 0.25, "shift": 1.0}"#).unwrap();
        assert_eq!(
            old,
            Transform::BoxCox {
                lambda: 0.25,
                shift: 1.0
            }
        );
        let identity: Transform = serde_json::from_str(r#"{"kind": "identity"}"#).unwrap();
        assert_eq!(identity, Transform::Identity);
    }
}
