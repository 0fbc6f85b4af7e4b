//! Readable names for segments.
//!
//! - RFM input (features include `recency_days` and `frequency`): the R/F map cell of the
//!   segment's members, from their scores under rfm()'s default rule.
//! - Anything else: the features that deviate most from the population, e.g.
//!   `high monetary, low recency_days`, or `typical` when none stands out.

use crate::rfm::segments::segment_for;

/// Deviations (in population standard deviations) smaller than this are not mentioned.
const NOTABLE: f64 = 0.5;
/// At most this many features are named in a deviation label.
const NAMED: usize = 2;
/// The R/F map is drawn on five score bins.
const BINS: u64 = 5;

/// Names RFM segments with the R/F map from their members, not their centroid.
///
/// Every training customer gets the R and F scores rfm() gives them by default
/// (`ties => 'same'`, 5 bins): `1 + 5 * (customers strictly worse) / n`, so equal values share
/// a score and every one-order customer has F = 1. A segment is named after the cell of its
/// members' median R and median F (the lower median for an even count). A centroid would
/// mislead: a segment of one-time buyers with a few repeat buyers has a mean frequency of
/// 1.08, which no customer has, and scoring it would call the segment loyal.
#[derive(Debug)]
pub struct RfmLabeler {
    recency: Vec<u32>,
    frequency: Vec<u32>,
}

impl RfmLabeler {
    /// A labeler when the features include `recency_days` and `frequency`, else `None`.
    /// `columns` are the training values in original units, one row per customer.
    pub fn new(names: &[&str], columns: &[Vec<f64>]) -> Option<Self> {
        let position = |wanted: &str| names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
        let r = position("recency_days")?;
        let f = position("frequency")?;
        Some(Self {
            recency: share_worse_scores(&columns[r], false),
            frequency: share_worse_scores(&columns[f], true),
        })
    }

    /// The R/F map name of the segment made of the training rows `members`.
    pub fn label(&self, members: &[usize]) -> Option<&'static str> {
        let r = lower_median(members.iter().map(|&i| self.recency[i]))?;
        let f = lower_median(members.iter().map(|&i| self.frequency[i]))?;
        segment_for(r, f)
    }
}

/// Each value's score out of `BINS`: 1 + BINS · (values strictly worse) / n, where worse is
/// smaller when `higher_is_better`, larger otherwise (rfm()'s `ties => 'same'` rule).
pub fn share_worse_scores(values: &[f64], higher_is_better: bool) -> Vec<u32> {
    let n = values.len() as u64;
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    values
        .iter()
        .map(|&v| {
            let worse = if higher_is_better {
                sorted.partition_point(|&x| x < v)
            } else {
                sorted.len() - sorted.partition_point(|&x| x <= v)
            } as u64;
            (1 + BINS * worse / n) as u32
        })
        .collect()
}

/// The lower median of some scores (`None` for none).
fn lower_median(scores: impl Iterator<Item = u32>) -> Option<u32> {
    let mut scores: Vec<u32> = scores.collect();
    if scores.is_empty() {
        return None;
    }
    let middle = (scores.len() - 1) / 2;
    Some(*scores.select_nth_unstable(middle).1)
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
    fn scores_are_the_share_of_customers_strictly_worse() {
        // six customers, three of them tied: 1 + 5 * worse / 6
        let frequency = [1.0, 1.0, 1.0, 2.0, 5.0, 9.0];
        assert_eq!(share_worse_scores(&frequency, true), vec![1, 1, 1, 3, 4, 5]);
        // recency: more days is worse
        let recency = [10.0, 300.0, 10.0, 50.0, 1.0, 200.0];
        assert_eq!(share_worse_scores(&recency, false), vec![3, 1, 3, 2, 5, 1]);
    }

    #[test]
    fn a_segment_is_named_after_its_members_median_scores() {
        let names = ["recency_days", "frequency", "monetary"];
        // 100 customers: 60 bought once (F = 1), the others 2..41 times; recency 1..100 days
        let frequency: Vec<f64> = (0..100)
            .map(|i| if i < 60 { 1.0 } else { f64::from(i - 58) })
            .collect();
        let recency: Vec<f64> = (1..=100).map(f64::from).collect();
        let columns = vec![recency, frequency.clone(), frequency];
        let labeler = RfmLabeler::new(&names, &columns).unwrap();
        // recent one-time buyers (mean frequency above 1 with a repeat buyer among them): R 5, F 1
        let recent_once: Vec<usize> = (0..15).chain([61]).collect();
        assert_eq!(labeler.label(&recent_once), Some("New Customers"));
        // one-time buyers of 41-60 days ago (R 3): About to Sleep
        let older_once: Vec<usize> = (40..60).collect();
        assert_eq!(labeler.label(&older_once), Some("About to Sleep"));
        // the frequent buyers, of middling recency (61..100 days: R 1-2): Can't Lose Them
        let frequent: Vec<usize> = (80..100).collect();
        assert_eq!(labeler.label(&frequent), Some("Can't Lose Them"));
        assert_eq!(labeler.label(&[]), None);
        assert!(RfmLabeler::new(&["a", "b"], &columns[..2]).is_none());
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
