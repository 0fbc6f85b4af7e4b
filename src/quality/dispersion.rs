//! Scores from the segments' means and spreads, as scikit-learn computes them: Davies–Bouldin
//! (lower is better, 0 at best) and Calinski–Harabasz (higher is better). Both use the means
//! of the rows of each segment, not a model's centroids, and leave empty segments out.

use super::points::{Points, distance};

/// One segment's spread around its mean.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSpread {
    /// Rows in the segment.
    pub size: usize,
    /// The mean of its rows.
    pub mean: Vec<f64>,
    /// The mean distance of its rows to that mean.
    pub mean_distance: f64,
    /// The largest such distance.
    pub max_distance: f64,
}

/// Every segment's spread (empty segments have size 0 and distances 0).
pub fn segment_spreads(points: &Points<'_>) -> Vec<SegmentSpread> {
    let d = points.d();
    let means = points.means();
    let mut spreads: Vec<SegmentSpread> = points
        .sizes()
        .into_iter()
        .enumerate()
        .map(|(c, size)| SegmentSpread {
            size,
            mean: means[c * d..(c + 1) * d].to_vec(),
            mean_distance: 0.0,
            max_distance: 0.0,
        })
        .collect();
    for i in 0..points.n() {
        let spread = &mut spreads[points.label(i)];
        let dist = distance(points.row(i), &spread.mean);
        spread.mean_distance += dist;
        spread.max_distance = spread.max_distance.max(dist);
    }
    for spread in &mut spreads {
        if spread.size > 0 {
            spread.mean_distance /= spread.size as f64;
        }
    }
    spreads
}

/// The segments that have rows, or `None` unless there are at least two of them and fewer
/// than rows (scikit-learn's condition for both scores).
fn scored_segments(points: &Points<'_>) -> Option<Vec<SegmentSpread>> {
    let present: Vec<SegmentSpread> = segment_spreads(points)
        .into_iter()
        .filter(|s| s.size > 0)
        .collect();
    (present.len() >= 2 && present.len() < points.n()).then_some(present)
}

/// The Davies–Bouldin index: the mean over segments of the largest (s_i + s_j) / d(c_i, c_j),
/// s being a segment's mean distance to its mean c. 0 when every spread, or every distance
/// between means, is (near) zero, as scikit-learn.
pub fn davies_bouldin(points: &Points<'_>) -> Option<f64> {
    const NEAR_ZERO: f64 = 1e-8;
    let segments = scored_segments(points)?;
    let k = segments.len();
    let between = |i: usize, j: usize| distance(&segments[i].mean, &segments[j].mean);
    let all_near_zero = segments.iter().all(|s| s.mean_distance.abs() <= NEAR_ZERO)
        || (0..k).all(|i| (0..k).all(|j| between(i, j) <= NEAR_ZERO));
    if all_near_zero {
        return Some(0.0);
    }
    let worst = |i: usize| {
        (0..k)
            .filter(|&j| j != i)
            .map(|j| {
                let separation = between(i, j);
                let spread = segments[i].mean_distance + segments[j].mean_distance;
                if separation == 0.0 {
                    0.0
                } else {
                    spread / separation
                }
            })
            .fold(f64::NEG_INFINITY, f64::max)
    };
    Some((0..k).map(worst).sum::<f64>() / k as f64)
}

/// The Calinski–Harabasz index: between-segment over within-segment dispersion, each divided
/// by its degrees of freedom; 1 when the within-segment dispersion is zero, as scikit-learn.
pub fn calinski_harabasz(points: &Points<'_>) -> Option<f64> {
    let segments = scored_segments(points)?;
    let (n, d) = (points.n(), points.d());
    let mut overall = vec![0.0; d];
    for i in 0..n {
        for (m, v) in overall.iter_mut().zip(points.row(i)) {
            *m += v;
        }
    }
    for m in &mut overall {
        *m /= n as f64;
    }
    let between: f64 = segments
        .iter()
        .map(|s| s.size as f64 * squared(&s.mean, &overall))
        .sum();
    let means = points.means();
    let within: f64 = (0..n)
        .map(|i| {
            let c = points.label(i);
            squared(points.row(i), &means[c * d..(c + 1) * d])
        })
        .sum();
    if within == 0.0 {
        return Some(1.0);
    }
    let k = segments.len() as f64;
    Some(between * (n as f64 - k) / (within * (k - 1.0)))
}

fn squared(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    // 0, 2 | 10, 14 (one feature): means 1 and 12, spreads 1 and 2, overall mean 6.5
    const X: [f64; 4] = [0.0, 2.0, 10.0, 14.0];
    const LABELS: [u32; 4] = [0, 0, 1, 1];

    #[test]
    fn davies_bouldin_by_hand() {
        // (1 + 2) / |1 - 12| for both segments
        let db = davies_bouldin(&Points::new(&X, 1, &LABELS)).unwrap();
        assert!((db - 3.0 / 11.0).abs() < 1e-15, "{db}");
    }

    #[test]
    fn calinski_harabasz_by_hand() {
        // between = 2 * 5.5^2 * 2 = 121, within = 1 + 1 + 4 + 4 = 10, (n - k) / (k - 1) = 2
        let ch = calinski_harabasz(&Points::new(&X, 1, &LABELS)).unwrap();
        assert!((ch - 24.2).abs() < 1e-12, "{ch}");
    }

    #[test]
    fn spreads_by_hand() {
        let spreads = segment_spreads(&Points::new(&X, 1, &LABELS));
        assert_eq!(spreads[1].mean, vec![12.0]);
        assert_eq!(spreads[1].mean_distance, 2.0);
        assert_eq!(spreads[1].max_distance, 2.0);
    }

    #[test]
    fn one_segment_has_no_score() {
        let points = Points::new(&X, 1, &[0, 0, 0, 0]);
        assert_eq!(davies_bouldin(&points), None);
        assert_eq!(calinski_harabasz(&points), None);
    }
}
