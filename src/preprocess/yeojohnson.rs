//! Yeo-Johnson: a power transform for values of any sign (Yeo and Johnson, 2000), λ by maximum
//! likelihood as `scipy.stats.yeojohnson` chooses it.

use super::brent::minimise;
use super::distinct::Distinct;

/// Yeo-Johnson of one value: Box-Cox of `x + 1` for `x ≥ 0`, and the mirror image with
/// exponent `2 - λ` for `x < 0`.
pub fn yeojohnson(x: f64, lambda: f64) -> f64 {
    if x >= 0.0 {
        if lambda.abs() < 1e-12 {
            x.ln_1p()
        } else {
            (lambda * x.ln_1p()).exp_m1() / lambda
        }
    } else {
        let mirror = 2.0 - lambda;
        if mirror.abs() < 1e-12 {
            -(-x).ln_1p()
        } else {
            -(mirror * (-x).ln_1p()).exp_m1() / mirror
        }
    }
}

/// The value whose Yeo-Johnson is `y` (the transform keeps the sign, so `y`'s sign says which
/// branch it came from).
pub(crate) fn inverse(y: f64, lambda: f64) -> f64 {
    if y >= 0.0 {
        if lambda.abs() < 1e-12 {
            y.exp_m1()
        } else {
            ((lambda * y).max(-1.0 + f64::EPSILON).ln_1p() / lambda).exp_m1()
        }
    } else {
        let mirror = 2.0 - lambda;
        if mirror.abs() < 1e-12 {
            -(-y).exp_m1()
        } else {
            -((-mirror * y).max(-1.0 + f64::EPSILON).ln_1p() / mirror).exp_m1()
        }
    }
}

/// The Yeo-Johnson log-likelihood of λ over distinct values (scipy.stats.yeojohnson_llf), with
/// `y` as scratch space; `-∞` where the transformed variance under- or overflows, as SciPy's.
fn llf(distinct: &Distinct, jacobian: f64, lambda: f64, y: &mut Vec<f64>) -> f64 {
    y.clear();
    y.extend(distinct.values.iter().map(|&v| yeojohnson(v, lambda)));
    let var = distinct.variance(y);
    if !(var >= f64::MIN_POSITIVE && var.is_finite()) {
        return f64::NEG_INFINITY;
    }
    -distinct.n / 2.0 * var.ln() + (lambda - 1.0) * jacobian
}

/// λ maximising the Yeo-Johnson likelihood of `values`, by Brent's method over the bounds
/// SciPy (1.12 and later) derives from the data so that no transformed value over- or
/// underflows: half of the float exponent range over `ln(1 + 20 max|x|)`, mirrored around 2
/// for negative values.
pub fn yeojohnson_lambda(values: &[f64]) -> f64 {
    if values.iter().all(|&v| v == 0.0) {
        return 1.0;
    }
    let distinct = Distinct::new(values);
    let jacobian = distinct.sum(|v| v.signum() * v.abs().ln_1p());
    let (lo, hi) = bounds(values);
    let mut y = Vec::with_capacity(distinct.values.len());
    minimise(|lambda| -llf(&distinct, jacobian, lambda, &mut y), lo, hi)
}

/// scipy.stats.yeojohnson_normmax's search interval.
fn bounds(values: &[f64]) -> (f64, f64) {
    let max_abs = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let log1p_max = (20.0 * max_abs).ln_1p();
    let log_eps = f64::EPSILON.ln();
    let log_tiny = (f64::MIN_POSITIVE.ln() - log_eps) / 2.0;
    let log_max = (f64::MAX.ln() + log_eps) / 2.0;
    let (lo, hi) = (log_tiny / log1p_max, log_max / log1p_max);
    if values.iter().all(|&v| v < 0.0) {
        (2.0 - hi, 2.0 - lo)
    } else if values.iter().any(|&v| v < 0.0) {
        ((2.0 - hi).max(lo), (2.0 - lo).min(hi))
    } else {
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yeojohnson_by_hand() {
        // λ = 1 is the identity on both sides
        for x in [-3.0, -0.5, 0.0, 2.0, 10.0] {
            assert!((yeojohnson(x, 1.0) - x).abs() < 1e-12, "{x}");
        }
        // λ = 0: ln(1 + x) for x ≥ 0; λ = 2: -ln(1 - x) for x < 0
        assert!((yeojohnson(std::f64::consts::E - 1.0, 0.0) - 1.0).abs() < 1e-12);
        assert!((yeojohnson(1.0 - std::f64::consts::E, 2.0) + 1.0).abs() < 1e-12);
        // λ = 0.5, x = 3: ((4)^0.5 - 1) / 0.5 = 2; x = -3: -((4)^1.5 - 1) / 1.5 = -14/3
        assert!((yeojohnson(3.0, 0.5) - 2.0).abs() < 1e-12);
        assert!((yeojohnson(-3.0, 0.5) + 14.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn the_inverse_undoes_the_transform() {
        for lambda in [-1.3, 0.0, 0.4, 1.0, 2.0, 2.7] {
            for x in [-20.0, -1.0, -0.1, 0.0, 0.3, 5.0, 1000.0] {
                let back = inverse(yeojohnson(x, lambda), lambda);
                assert!(
                    (back - x).abs() < 1e-9 * x.abs().max(1.0),
                    "λ {lambda}, x {x}: {back}"
                );
            }
        }
    }

    #[test]
    fn lambda_maximises_the_likelihood() {
        let values: Vec<f64> = (0..300).map(|i| f64::from(i % 37).powi(2) - 40.0).collect();
        let lambda = yeojohnson_lambda(&values);
        let distinct = Distinct::new(&values);
        let jacobian = distinct.sum(|v| v.signum() * v.abs().ln_1p());
        let at = |l| llf(&distinct, jacobian, l, &mut Vec::new());
        assert!(at(lambda) >= at(lambda + 0.01) && at(lambda) >= at(lambda - 0.01));
    }
}
