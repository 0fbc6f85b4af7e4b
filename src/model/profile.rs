//! The readable profile of a fit: segments numbered by descending size, every row assigned
//! with the function scoring uses (so sizes and scores agree exactly), and each segment's
//! size, share, centroid and member means in original units, spread and label.

use std::cmp::Ordering;

use ndarray::{Array2, ArrayView2};

use super::labels::{RfmLabeler, deviation_label};
use super::{FeatureModel, SegmentInfo};
use crate::kmeans::nearest;

/// A fit's segments and which segment each row of the training data is in.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    /// The segments, numbered by descending size.
    pub segments: Vec<SegmentInfo>,
    /// Each row's segment (rows in the data's order).
    pub labels: Vec<u32>,
}

/// The fit's centroids (`k` rows of the fitted space) renumbered by descending cluster size,
/// ties in centroid order, flattened row by row.
pub(crate) fn number_by_size(centroids: ArrayView2<'_, f64>, labels: &[usize]) -> Vec<f64> {
    let k = centroids.nrows();
    let mut counts = vec![0u64; k];
    for &l in labels {
        counts[l] += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        counts[b].cmp(&counts[a]).then_with(|| {
            lexicographic(
                centroids.row(a).as_slice().unwrap_or(&[]),
                centroids.row(b).as_slice().unwrap_or(&[]),
            )
        })
    });
    order
        .iter()
        .flat_map(|&c| centroids.row(c).to_vec())
        .collect()
}

/// The profile of the segments with these (numbered) `centroids` over the fitted rows `x`,
/// whose original values are `columns`.
pub(crate) fn profile(
    names: &[String],
    features: &[FeatureModel],
    columns: &[Vec<f64>],
    x: &Array2<f64>,
    centroids: &[f64],
) -> Profile {
    let members = Members::assign(x, centroids, columns);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let population = population(x);
    let rfm_labels = RfmLabeler::new(&names, columns);
    let (n, d) = x.dim();
    let mut segments: Vec<SegmentInfo> = (0..members.size.len())
        .map(|c| {
            let centroid = centroids[c * d..(c + 1) * d].to_vec();
            let centroid_original: Vec<f64> = features
                .iter()
                .zip(&centroid)
                .map(|(f, &z)| f.original(z))
                .collect();
            let size = members.size[c];
            let mean_original = if size == 0 {
                centroid_original.clone()
            } else {
                (0..d)
                    .map(|j| members.sums[c * d + j] / size as f64)
                    .collect()
            };
            let label = rfm_labels
                .as_ref()
                .and_then(|l| l.label(&members.rows[c]))
                .map(str::to_string)
                .unwrap_or_else(|| deviation_label(&names, &population, &centroid));
            SegmentInfo {
                size,
                share: size as f64 / n as f64,
                centroid,
                centroid_original,
                mean_original,
                sse: members.sse[c],
                label,
                generated_label: None,
            }
        })
        .collect();
    disambiguate(&mut segments, &names, &population);
    Profile {
        segments,
        labels: members.labels,
    }
}

/// Every row assigned to its nearest centroid, with the per-segment tallies.
struct Members {
    labels: Vec<u32>,
    size: Vec<u64>,
    sse: Vec<f64>,
    /// Sums of the original values, `d` per segment.
    sums: Vec<f64>,
    /// Each segment's rows.
    rows: Vec<Vec<usize>>,
}

impl Members {
    fn assign(x: &Array2<f64>, centroids: &[f64], columns: &[Vec<f64>]) -> Self {
        let (n, d) = x.dim();
        let k = centroids.len() / d.max(1);
        let mut members = Members {
            labels: Vec::with_capacity(n),
            size: vec![0; k],
            sse: vec![0.0; k],
            sums: vec![0.0; k * d],
            rows: vec![Vec::new(); k],
        };
        for (i, row) in x.rows().into_iter().enumerate() {
            let (c, dist) = nearest(row.as_slice().unwrap_or(&[]), centroids);
            members.labels.push(c as u32);
            members.size[c] += 1;
            members.rows[c].push(i);
            members.sse[c] += dist;
            for (sum, column) in members.sums[c * d..(c + 1) * d].iter_mut().zip(columns) {
                *sum += column[i];
            }
        }
        members
    }
}

/// Each fitted feature's mean and standard deviation over all rows.
fn population(x: &Array2<f64>) -> Vec<(f64, f64)> {
    let n = x.nrows() as f64;
    x.columns()
        .into_iter()
        .map(|column| {
            let mean = column.sum() / n;
            let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
            (mean, var.sqrt())
        })
        .collect()
}

/// Segments that share a label are told apart by the feature on which each differs most from
/// the others of its group: "Loyal Customers (higher monetary)", "Loyal Customers (lower
/// monetary)". Any label still shared gets the segment number.
fn disambiguate(segments: &mut [SegmentInfo], names: &[&str], population: &[(f64, f64)]) {
    let labels: Vec<String> = segments.iter().map(|s| s.label.clone()).collect();
    let d = names.len();
    let mut renamed = labels.clone();
    for (i, label) in labels.iter().enumerate() {
        let group: Vec<usize> = (0..labels.len()).filter(|&j| labels[j] == *label).collect();
        if group.len() < 2 {
            continue;
        }
        let (feature, delta) = (0..d)
            .map(|f| {
                let mean = group.iter().map(|&g| segments[g].centroid[f]).sum::<f64>()
                    / group.len() as f64;
                let scale = if population[f].1 > 0.0 {
                    population[f].1
                } else {
                    1.0
                };
                (f, (segments[i].centroid[f] - mean) / scale)
            })
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()).then(b.0.cmp(&a.0)))
            .unwrap_or((0, 0.0));
        let direction = if delta > 0.0 { "higher" } else { "lower" };
        renamed[i] = format!("{label} ({direction} {})", names[feature]);
    }
    for (i, s) in segments.iter_mut().enumerate() {
        let shared = renamed.iter().filter(|l| **l == renamed[i]).count() > 1;
        s.label = if shared {
            format!("{} #{i}", renamed[i])
        } else {
            renamed[i].clone()
        };
    }
}

fn lexicographic(a: &[f64], b: &[f64]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.total_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_labels_are_told_apart() {
        let segment = |label: &str, centroid: Vec<f64>| SegmentInfo {
            size: 1,
            share: 0.25,
            centroid_original: centroid.clone(),
            mean_original: centroid.clone(),
            centroid,
            sse: 0.0,
            label: label.into(),
            generated_label: None,
        };
        let mut segments = vec![
            segment("Loyal", vec![0.0, 1.0]),
            segment("Loyal", vec![0.1, 3.0]),
            segment("Lost", vec![5.0, 5.0]),
            segment("Same", vec![1.0, 1.0]),
            segment("Same", vec![1.0, 1.0]),
        ];
        disambiguate(&mut segments, &["r", "m"], &[(0.0, 1.0), (0.0, 1.0)]);
        let labels: Vec<&str> = segments.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Loyal (lower m)",
                "Loyal (higher m)",
                "Lost",
                "Same (lower r) #3",
                "Same (lower r) #4"
            ]
        );
    }
}
