//! The elbow of a decreasing convex curve (inertia by k), found by the kneedle method
//! (Satopää et al. 2011) exactly as PyPI's `kneed` does with
//! `KneeLocator(x, y, curve='convex', direction='decreasing', S=1)`, offline: both axes
//! scaled to [0, 1], the curve flipped into a knee, the difference curve y − x scanned from its
//! first local maximum, and the first maximum whose difference later drops below its threshold
//! (the maximum less S times the mean x step) is the elbow; after a local minimum nothing
//! counts until the next local maximum (kneed 0.9).

/// The sensitivity `S`.
const SENSITIVITY: f64 = 1.0;

/// The index of the elbow of the curve through `(x[i], y[i])` (x increasing), or `None` when
/// there is none (fewer than three points, a flat curve, or no drop below a threshold).
pub fn elbow(x: &[f64], y: &[f64]) -> Option<usize> {
    let n = x.len();
    if n != y.len() || n < 3 {
        return None;
    }
    let x_norm = normalized(x)?;
    let y_norm = normalized(y)?;
    // a decreasing convex curve becomes a knee: y_max - y
    let top = y_norm.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let difference: Vec<f64> = y_norm
        .iter()
        .zip(&x_norm)
        .map(|(y, x)| (top - y) - x)
        .collect();
    let maxima = extrema(&difference, |a, b| a >= b);
    let minima = extrema(&difference, |a, b| a <= b);
    let first = *maxima.first()?;
    let mean_step = (x_norm[n - 1] - x_norm[0]) / (n - 1) as f64;
    let mut threshold = 0.0;
    let mut threshold_index = first;
    // after a local minimum nothing is detected until the next local maximum
    let mut detecting = true;
    for i in first..n - 1 {
        if maxima.contains(&i) {
            threshold = difference[i] - SENSITIVITY * mean_step.abs();
            threshold_index = i;
            detecting = true;
        }
        if minima.contains(&i) {
            threshold = 0.0;
            detecting = false;
        }
        if detecting && difference[i + 1] < threshold {
            return Some(threshold_index);
        }
    }
    None
}

/// `values` scaled to [0, 1]; `None` when they are all equal (kneed divides by zero there and
/// finds nothing).
fn normalized(values: &[f64]) -> Option<Vec<f64>> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = hi - lo;
    if !(range > 0.0 && range.is_finite()) {
        return None;
    }
    Some(values.iter().map(|v| (v - lo) / range).collect())
}

/// The indices where `keep(v[i], neighbour)` holds for both neighbours, the ends compared with
/// themselves (SciPy's `argrelextrema` with `order=1, mode='clip'`).
fn extrema(v: &[f64], keep: impl Fn(f64, f64) -> bool) -> Vec<usize> {
    let last = v.len() - 1;
    (0..v.len())
        .filter(|&i| keep(v[i], v[(i + 1).min(last)]) && keep(v[i], v[i.saturating_sub(1)]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ks(n: usize) -> Vec<f64> {
        (1..=n).map(|k| k as f64).collect()
    }

    #[test]
    fn a_clear_elbow_by_hand() {
        // 100, 30, 20, 15, 12: scaled x 0, .25, .5, .75, 1; flipped y 0, .795, .909, .966, 1;
        // difference 0, .545, .409, .216, 0: the maximum is at k = 2 (index 1), its threshold
        // .545 - .25 = .295, and the difference drops below it at k = 4.
        assert_eq!(elbow(&ks(5), &[100.0, 30.0, 20.0, 15.0, 12.0]), Some(1));
    }

    #[test]
    fn a_straight_line_has_no_elbow() {
        assert_eq!(elbow(&ks(5), &[5.0, 4.0, 3.0, 2.0, 1.0]), None);
    }

    #[test]
    fn a_flat_or_short_curve_has_no_elbow() {
        assert_eq!(elbow(&ks(4), &[3.0, 3.0, 3.0, 3.0]), None);
        assert_eq!(elbow(&ks(2), &[3.0, 1.0]), None);
    }
}
