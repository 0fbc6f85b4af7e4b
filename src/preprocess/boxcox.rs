//! Box-Cox: `((x)^λ - 1) / λ` for positive `x`, λ by maximum likelihood as
//! `scipy.stats.boxcox` chooses it.

use super::brent::minimise;
use super::distinct::Distinct;

/// Box-Cox of a positive value.
pub fn boxcox(x: f64, lambda: f64) -> f64 {
    if lambda.abs() < 1e-12 {
        x.ln()
    } else {
        (x.powf(lambda) - 1.0) / lambda
    }
}

/// The value whose Box-Cox is `y`.
pub(crate) fn inverse(y: f64, lambda: f64) -> f64 {
    if lambda.abs() < 1e-12 {
        y.exp()
    } else {
        (lambda * y + 1.0).max(0.0).powf(1.0 / lambda)
    }
}

/// The Box-Cox log-likelihood over distinct positive values (scipy.stats.boxcox_llf), each
/// value's logarithm taken once.
struct Likelihood {
    distinct: Distinct,
    logs: Vec<f64>,
    log_sum: f64,
}

impl Likelihood {
    fn new(x: &[f64]) -> Self {
        let distinct = Distinct::new(x);
        let logs: Vec<f64> = distinct.values.iter().map(|v| v.ln()).collect();
        let log_sum = distinct.sum(f64::ln);
        Self {
            distinct,
            logs,
            log_sum,
        }
    }

    /// The log-likelihood of λ, with `y` as scratch space. `(x^λ - 1) / λ` is computed as
    /// `expm1(λ ln x) / λ`, which is also the more accurate form near λ = 0.
    fn llf(&self, lambda: f64, y: &mut Vec<f64>) -> f64 {
        y.clear();
        if lambda.abs() < 1e-12 {
            y.extend_from_slice(&self.logs);
        } else {
            y.extend(self.logs.iter().map(|l| (lambda * l).exp_m1() / lambda));
        }
        let var = self.distinct.variance(y);
        (lambda - 1.0) * self.log_sum - self.distinct.n / 2.0 * var.max(f64::MIN_POSITIVE).ln()
    }
}

/// The Box-Cox log-likelihood of λ for positive `x` (scipy.stats.boxcox_llf).
#[cfg(test)]
pub(crate) fn boxcox_llf(x: &[f64], lambda: f64) -> f64 {
    Likelihood::new(x).llf(lambda, &mut Vec::new())
}

/// λ maximising the Box-Cox likelihood of `values + shift` (the likelihood is unimodal in λ),
/// found by Brent's method as scipy.stats.boxcox does. SciPy searches without bounds; here λ
/// stays where no `x^λ` over- or underflows (half the float exponent range over the largest
/// `|ln x|`), within ±100.
pub fn boxcox_lambda(values: &[f64], shift: f64) -> f64 {
    let x: Vec<f64> = values.iter().map(|v| v + shift).collect();
    let likelihood = Likelihood::new(&x);
    let widest = likelihood.logs.iter().fold(0.0_f64, |m, l| m.max(l.abs()));
    let bound = ((f64::MAX.ln() + f64::EPSILON.ln()) / 2.0 / widest).min(100.0);
    let mut y = Vec::with_capacity(likelihood.logs.len());
    minimise(|lambda| -likelihood.llf(lambda, &mut y), -bound, bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxcox_by_hand() {
        assert_eq!(boxcox(4.0, 0.5), 2.0); // (2 - 1) / 0.5
        assert_eq!(boxcox(std::f64::consts::E, 0.0), 1.0);
        assert_eq!(boxcox(3.0, 1.0), 2.0);
        assert!((inverse(2.0, 0.5) - 4.0).abs() < 1e-12);
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
}
