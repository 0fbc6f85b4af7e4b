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
/// whose original values are `columns`: every row in its nearest segment.
pub(crate) fn profile(
    names: &[String],
    features: &[FeatureModel],
    columns: &[Vec<f64>],
    x: &Array2<f64>,
    centroids: &[f64],
) -> Profile {
    let labels: Vec<u32> = x
        .rows()
        .into_iter()
        .map(|row| nearest(row.as_slice().unwrap_or(&[]), centroids).0 as u32)
        .collect();
    let d = x.ncols().max(1);
    let members = Members::tally(x, columns, centroids, centroids.len() / d, |i| {
        Some(labels[i] as usize)
    });
    Profile {
        segments: describe(names, features, columns, x, centroids, &members),
        labels,
    }
}

/// The profile of segments given row by row: `labels[i]` is row i's segment (0..k, numbered
/// as the segments are to be) or negative for a row in none (DBSCAN's noise). Each centroid is
/// the mean of its members in the fitted space.
pub(crate) fn profile_labelled(
    names: &[String],
    features: &[FeatureModel],
    columns: &[Vec<f64>],
    x: &Array2<f64>,
    labels: &[i32],
    k: usize,
) -> Vec<SegmentInfo> {
    let (n, d) = x.dim();
    let mut centroids = vec![0.0; k * d];
    let mut counts = vec![0usize; k];
    for i in 0..n {
        if let Ok(c) = usize::try_from(labels[i]) {
            counts[c] += 1;
            for j in 0..d {
                centroids[c * d + j] += x[[i, j]];
            }
        }
    }
    for (c, &count) in counts.iter().enumerate() {
        for v in &mut centroids[c * d..(c + 1) * d] {
            *v /= count.max(1) as f64;
        }
    }
    let members = Members::tally(x, columns, &centroids, k, |i| {
        usize::try_from(labels[i]).ok()
    });
    describe(names, features, columns, x, &centroids, &members)
}

/// Labels renumbered 0.. by descending count, ties by the first row that has them;
/// negative labels (noise) stay as they are.
pub(crate) fn number_labels_by_size(labels: &[i32]) -> (Vec<i32>, usize) {
    let k = labels.iter().map(|&l| l + 1).max().unwrap_or(0).max(0) as usize;
    let mut count = vec![0usize; k];
    let mut first = vec![usize::MAX; k];
    for (i, &l) in labels.iter().enumerate() {
        if let Ok(c) = usize::try_from(l) {
            count[c] += 1;
            first[c] = first[c].min(i);
        }
    }
    let mut order: Vec<usize> = (0..k).filter(|&c| count[c] > 0).collect();
    order.sort_by(|&a, &b| count[b].cmp(&count[a]).then(first[a].cmp(&first[b])));
    let mut number = vec![-1i32; k];
    for (new, &old) in order.iter().enumerate() {
        number[old] = new as i32;
    }
    let renumbered = labels
        .iter()
        .map(|&l| usize::try_from(l).map_or(l, |c| number[c]))
        .collect();
    (renumbered, order.len())
}

/// Each segment's row of the model: size, share of all rows, centroid and member means in
/// original units, sse and label.
fn describe(
    names: &[String],
    features: &[FeatureModel],
    columns: &[Vec<f64>],
    x: &Array2<f64>,
    centroids: &[f64],
    members: &Members,
) -> Vec<SegmentInfo> {
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
    segments
}

/// The per-segment tallies of rows placed in segments.
struct Members {
    size: Vec<u64>,
    sse: Vec<f64>,
    /// Sums of the original values, `d` per segment.
    sums: Vec<f64>,
    /// Each segment's rows.
    rows: Vec<Vec<usize>>,
}

impl Members {
    /// Tally every row `segment_of` places (rows it places nowhere are left out), squared
    /// distances to the segment's centroid summed in feature order.
    fn tally(
        x: &Array2<f64>,
        columns: &[Vec<f64>],
        centroids: &[f64],
        k: usize,
        segment_of: impl Fn(usize) -> Option<usize>,
    ) -> Self {
        let d = x.ncols();
        let mut members = Members {
            size: vec![0; k],
            sse: vec![0.0; k],
            sums: vec![0.0; k * d],
            rows: vec![Vec::new(); k],
        };
        for (i, row) in x.rows().into_iter().enumerate() {
            let Some(c) = segment_of(i) else { continue };
            let row = row.as_slice().unwrap_or(&[]);
            members.size[c] += 1;
            members.rows[c].push(i);
            members.sse[c] += crate::kmeans::squared_distance(row, &centroids[c * d..(c + 1) * d]);
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
