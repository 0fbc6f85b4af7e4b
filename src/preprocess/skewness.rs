//! Skewness, the statistic analysts compare before and after a transform.

/// Sample skewness, the biased (population) estimator `g1 = m3 / m2^1.5`, as
/// `scipy.stats.skew` by default. `Auto` transforms decide on it.
pub fn skewness(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let m2 = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = values.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    if m2 <= 0.0 { 0.0 } else { m3 / m2.powf(1.5) }
}

/// The adjusted Fisher–Pearson skewness `G1 = g1 · √(n(n−1)) / (n−2)`, as pandas' `skew()`:
/// `None` for fewer than three values, 0 when the values do not vary.
pub fn adjusted_skewness(values: &[f64]) -> Option<f64> {
    let n = values.len();
    if n < 3 {
        return None;
    }
    let n = n as f64;
    Some(skewness(values) * (n * (n - 1.0)).sqrt() / (n - 2.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skewness_by_hand() {
        // 1, 2, 3, 10: mean 4, deviations -3 -2 -1 6, m2 = 50/4, m3 = 180/4
        let g1 = 45.0 / 12.5_f64.powf(1.5);
        assert!((skewness(&[1.0, 2.0, 3.0, 10.0]) - g1).abs() < 1e-12);
        let big_g1 = g1 * 12.0_f64.sqrt() / 2.0;
        let ours = adjusted_skewness(&[1.0, 2.0, 3.0, 10.0]).unwrap();
        assert!((ours - big_g1).abs() < 1e-12);
        assert_eq!(adjusted_skewness(&[1.0, 2.0]), None);
        assert_eq!(adjusted_skewness(&[4.0, 4.0, 4.0]), Some(0.0));
    }
}
