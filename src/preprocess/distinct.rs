//! Values as their distinct values with counts, for the likelihood searches.

/// Distinct values with how often each occurs: the likelihood sums of Box-Cox and Yeo-Johnson
/// run over distinct values only (a few hundred for recency or frequency, however many
/// customers), and each value's logarithm is taken once instead of at every step of the search.
pub(crate) struct Distinct {
    /// The distinct values, ascending.
    pub values: Vec<f64>,
    /// How often each occurs.
    pub counts: Vec<f64>,
    /// The number of values in all.
    pub n: f64,
}

impl Distinct {
    pub fn new(x: &[f64]) -> Self {
        let mut sorted = x.to_vec();
        sorted.sort_unstable_by(f64::total_cmp);
        let (mut values, mut counts): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
        for v in sorted {
            if values.last() == Some(&v) {
                *counts.last_mut().expect("a previous value was counted") += 1.0;
            } else {
                values.push(v);
                counts.push(1.0);
            }
        }
        Self {
            values,
            counts,
            n: x.len() as f64,
        }
    }

    /// The population variance of `y`, the transformed distinct values (one per value).
    pub fn variance(&self, y: &[f64]) -> f64 {
        let mean = y.iter().zip(&self.counts).map(|(v, c)| v * c).sum::<f64>() / self.n;
        y.iter()
            .zip(&self.counts)
            .map(|(v, c)| (v - mean).powi(2) * c)
            .sum::<f64>()
            / self.n
    }

    /// `Σ f(x)` over all values.
    pub fn sum(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.values
            .iter()
            .zip(&self.counts)
            .map(|(&v, c)| f(v) * c)
            .sum()
    }
}
