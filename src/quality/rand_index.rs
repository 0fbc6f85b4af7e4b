//! The adjusted Rand index between two labellings of the same rows: 1 when they group the rows
//! identically (whatever the segment numbers), about 0 for unrelated groupings. scikit-learn's
//! `adjusted_rand_score`, from the pair confusion matrix, in exact integers.

use std::collections::HashMap;

/// The adjusted Rand index of labellings `a` and `b` (one label per row each).
pub fn adjusted_rand_index(a: &[u32], b: &[u32]) -> f64 {
    assert_eq!(a.len(), b.len(), "two labellings of the same rows");
    let n = a.len() as i128;
    let mut cells: HashMap<(u32, u32), i128> = HashMap::new();
    let mut rows_a: HashMap<u32, i128> = HashMap::new();
    let mut rows_b: HashMap<u32, i128> = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *cells.entry((x, y)).or_default() += 1;
        *rows_a.entry(x).or_default() += 1;
        *rows_b.entry(y).or_default() += 1;
    }
    let squares = |counts: &mut dyn Iterator<Item = &i128>| counts.map(|c| c * c).sum::<i128>();
    let same_both = squares(&mut cells.values());
    let same_a = squares(&mut rows_a.values());
    let same_b = squares(&mut rows_b.values());
    // ordered pairs of distinct rows: together in both, in b only, in a only, in neither
    let tp = same_both - n;
    let fp = same_b - same_both;
    let fn_ = same_a - same_both;
    let tn = n * n - fp - fn_ - same_both;
    if fn_ == 0 && fp == 0 {
        return 1.0;
    }
    let numerator = 2 * (tp * tn - fn_ * fp);
    let denominator = (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn);
    numerator as f64 / denominator as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumbered_labels_agree_fully() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]), 1.0);
    }

    #[test]
    fn a_hand_computed_index() {
        // a = {0,1,2}{3,4}, b = {0,1}{2,3,4}: unordered pairs together in a 4, in b 4, in
        // both 2, of 10. Expected index (2 - 4*4/10) / ((4 + 4)/2 - 4*4/10) = 0.4 / 2.4.
        let ari = adjusted_rand_index(&[0, 0, 0, 1, 1], &[0, 0, 1, 1, 1]);
        assert!((ari - 1.0 / 6.0).abs() < 1e-15, "{ari}");
    }
}
