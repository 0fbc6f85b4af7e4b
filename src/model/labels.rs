//! Readable names for segments.
//!
//! - RFM input (features include `recency_days` and `frequency`): the R/F map segment the
//!   centroid falls in, scoring the centroid against the population's quintile edges.
//! - Anything else: the features that deviate most from the population, e.g.
//!   `high monetary, low recency_days`, or `typical` when none stands out.

use crate::rfm::segments::segment_for;

/// Deviations (in population standard deviations) smaller than this are not mentioned.
const NOTABLE: f64 = 0.5;
/// At most this many features are named in a deviation label.
const NAMED: usize = 2;

/// Names RFM centroids with the R/F map (built once per fit: it sorts the population).
///
/// `columns` are the training values in original units. Each centroid coordinate is first
/// snapped to the nearest observed value (a centroid of one-time buyers has frequency 1.003,
/// not "more than 1"), then scored against the quintile edges (linear interpolation, numpy's
/// default): frequency scores 1 + the number of edges below the value, recency is reversed
/// (1 + the number of edges above), and a value equal to several tied edges gets the middle
/// of the scores those ties span, as NTILE spreads tied customers over them.
#[derive(Debug)]
pub struct RfmLabeler {
    recency: Scale,
    frequency: Scale,
}

#[derive(Debug)]
struct Scale {
    feature: usize,
    sorted: Vec<f64>,
    edges: [f64; 4],
}

impl Scale {
    fn new(feature: usize, column: &[f64]) -> Self {
        let mut sorted = column.to_vec();
        sorted.sort_by(f64::total_cmp);
        let edges = quintile_edges(&sorted);
        Self {
            feature,
            sorted,
            edges,
        }
    }

    fn score(&self, centroid: &[f64], reversed: bool) -> u32 {
        let value = snap(&self.sorted, centroid[self.feature]);
        let beyond = self
            .edges
            .iter()
            .filter(|&&e| if reversed { e > value } else { e < value })
            .count();
        let tied = self.edges.iter().filter(|&&e| e == value).count();
        1 + (beyond + tied / 2) as u32
    }
}

impl RfmLabeler {
    /// A labeler when the features include `recency_days` and `frequency`, else `None`.
    pub fn new(names: &[&str], columns: &[Vec<f64>]) -> Option<Self> {
        let position = |wanted: &str| names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
        let r = position("recency_days")?;
        let f = position("frequency")?;
        Some(Self {
            recency: Scale::new(r, &columns[r]),
            frequency: Scale::new(f, &columns[f]),
        })
    }

    /// The R/F map name of a centroid given in original units.
    pub fn label(&self, centroid: &[f64]) -> Option<&'static str> {
        segment_for(
            self.recency.score(centroid, true),
            self.frequency.score(centroid, false),
        )
    }
}

/// The value of `sorted` nearest to `v` (the lower one on a tie).
fn snap(sorted: &[f64], v: f64) -> f64 {
    let i = sorted.partition_point(|&x| x < v);
    match (i.checked_sub(1).map(|j| sorted[j]), sorted.get(i)) {
        (Some(lo), Some(&hi)) => {
            if v - lo <= hi - v {
                lo
            } else {
                hi
            }
        }
        (Some(lo), None) => lo,
        (None, Some(&hi)) => hi,
        (None, None) => v,
    }
}

/// The 20th, 40th, 60th and 80th percentiles of sorted values, linearly interpolated.
pub fn quintile_edges(sorted: &[f64]) -> [f64; 4] {
    let n = sorted.len();
    std::array::from_fn(|i| {
        if n == 0 {
            return f64::NAN;
        }
        let position = (i + 1) as f64 / 5.0 * (n - 1) as f64;
        let lo = position.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        let frac = position - lo as f64;
        sorted[lo] + frac * (sorted[hi] - sorted[lo])
    })
}

/// Name the features whose centroid deviates most from the population mean, in the fitted
/// space. `population` holds each feature's (mean, standard deviation) there.
pub fn deviation_label(names: &[&str], population: &[(f64, f64)], centroid: &[f64]) -> String {
    let mut deviations: Vec<(usize, f64)> = population
        .iter()
        .zip(centroid)
        .enumerate()
        .filter(|(_, ((_, std), _))| *std > 0.0)
        .map(|(j, ((mean, std), c))| (j, (c - mean) / std))
        .filter(|(_, z)| z.abs() >= NOTABLE)
        .collect();
    deviations.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
    if deviations.is_empty() {
        return "typical".to_string();
    }
    deviations
        .iter()
        .take(NAMED)
        .map(|&(j, z)| format!("{} {}", if z > 0.0 { "high" } else { "low" }, names[j]))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintile_edges_match_numpy() {
        // numpy.percentile([1..10], [20, 40, 60, 80]) = [2.8, 4.6, 6.4, 8.2]
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        let edges = quintile_edges(&values);
        for (e, want) in edges.iter().zip([2.8, 4.6, 6.4, 8.2]) {
            assert!((e - want).abs() < 1e-12, "{edges:?}");
        }
    }

    fn rfm_label(names: &[&str], columns: &[Vec<f64>], centroid: &[f64]) -> Option<String> {
        RfmLabeler::new(names, columns)?
            .label(centroid)
            .map(str::to_string)
    }

    #[test]
    fn rfm_centroids_get_map_names() {
        let names = ["recency_days", "frequency", "monetary"];
        let recency: Vec<f64> = (1..=100).map(f64::from).collect();
        let frequency: Vec<f64> = (1..=100).map(f64::from).collect();
        let columns = vec![recency, frequency.clone(), frequency];
        // very recent and very frequent
        assert_eq!(
            rfm_label(&names, &columns, &[2.0, 95.0, 0.0]).as_deref(),
            Some("Champions")
        );
        // long ago, rarely
        assert_eq!(
            rfm_label(&names, &columns, &[95.0, 2.0, 0.0]).as_deref(),
            Some("Hibernating")
        );
        // long ago, often
        assert_eq!(
            rfm_label(&names, &columns, &[95.0, 95.0, 0.0]).as_deref(),
            Some("Can't Lose Them")
        );
        assert_eq!(rfm_label(&["a", "b"], &columns[..2], &[1.0, 1.0]), None);
    }

    #[test]
    fn ties_and_near_ties_score_like_ntile() {
        let names = ["recency_days", "frequency"];
        // 60% one-time buyers: NTILE gives them F scores 1 to 3
        let frequency: Vec<f64> = (0..100)
            .map(|i| if i < 60 { 1.0 } else { f64::from(i - 58) })
            .collect();
        let recency: Vec<f64> = (1..=100).map(f64::from).collect();
        let columns = vec![recency, frequency];
        // a recent centroid of one-time buyers (F = 2): Potential Loyalists, not Champions
        for f in [1.0, 1.003, 1.2] {
            assert_eq!(
                rfm_label(&names, &columns, &[3.0, f]).as_deref(),
                Some("Potential Loyalists"),
                "{f}"
            );
        }
        assert_eq!(snap(&[1.0, 2.0, 4.0], 2.9), 2.0);
        assert_eq!(snap(&[1.0, 2.0, 4.0], 3.1), 4.0);
        assert_eq!(snap(&[1.0, 2.0, 4.0], 9.0), 4.0);
    }

    #[test]
    fn deviation_labels_name_the_largest_deviations() {
        let names = ["recency_days", "frequency", "monetary"];
        let population = [(0.0, 1.0), (0.0, 1.0), (0.0, 2.0)];
        assert_eq!(
            deviation_label(&names, &population, &[-1.0, 0.1, 4.0]),
            "high monetary, low recency_days"
        );
        assert_eq!(
            deviation_label(&names, &population, &[0.1, 0.1, 0.1]),
            "typical"
        );
    }
}
