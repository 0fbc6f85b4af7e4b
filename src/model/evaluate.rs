//! Judging a saved model on any data (next quarter's customers, a hold-out): every row placed
//! in its nearest segment, in the model's fitted space, then the same measures a search uses
//! ([`crate::quality`]), overall and per segment.

use super::canonical::canonical_order;
use super::placement::{self, prepare_columns};
use super::{FeatureData, SegmentModel};
use crate::kmeans::squared_distance;
use crate::quality::{Points, Scores, silhouette_sample_rows, silhouette_samples, take_rows};

/// A model judged on some data.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Rows judged.
    pub rows: usize,
    /// Rows left out because a feature was NULL.
    pub skipped_rows: u64,
    /// Sum of squared distances to the nearest centroid (fitted space).
    pub inertia: f64,
    /// Silhouette, Davies–Bouldin and Calinski–Harabasz of the placement.
    pub scores: Scores,
    /// `"exact"` or `"sample N"`.
    pub silhouette_method: String,
    /// Per segment, in the model's numbering.
    pub segments: Vec<SegmentEvaluation>,
}

/// One segment of an [`Evaluation`].
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentEvaluation {
    /// Rows placed in it.
    pub size: usize,
    /// Their share of the rows.
    pub share: f64,
    /// Their mean distance to the segment's centroid (`None` when empty).
    pub mean_distance: Option<f64>,
    /// The largest such distance.
    pub max_distance: Option<f64>,
    /// The mean silhouette of its rows (of its sampled rows when sampled).
    pub silhouette: Option<f64>,
    /// The segment whose centroid is nearest this one's (`None` for k = 1).
    pub nearest_segment: Option<usize>,
}

/// Judge `model` on `data` (columns in the model's feature order, finite values), the
/// silhouette exact up to `silhouette_sample` rows and on a sample drawn with `seed` above.
/// The rows are judged in canonical order, so the sums (and the sample) do not depend on the
/// order the rows arrived in.
pub fn evaluate(
    model: &SegmentModel,
    data: &FeatureData,
    silhouette_sample: usize,
    seed: u64,
    threads: usize,
) -> Evaluation {
    let data = FeatureData {
        columns: canonical_order(&data.columns, threads),
        ..data.clone()
    };
    let (x, labels, distances) = place(model, &data);
    let d = model.features.len();
    let n = labels.len();
    let points = Points::new(&x, d, &labels);
    let (sampled_x, sampled_labels, method) =
        silhouette_rows(&x, d, &labels, silhouette_sample, seed);
    let sampled = Points::new(&sampled_x, d, &sampled_labels);
    let silhouettes = silhouette_samples(&sampled, threads);
    let k = model.k();
    let segments = (0..k)
        .map(|c| {
            let member_distances: Vec<f64> = (0..n)
                .filter(|&i| labels[i] as usize == c)
                .map(|i| distances[i])
                .collect();
            let size = member_distances.len();
            let member_silhouettes: Vec<f64> = silhouettes
                .iter()
                .flat_map(|s| {
                    s.iter()
                        .zip(&sampled_labels)
                        .filter(|(_, l)| **l as usize == c)
                        .map(|(v, _)| *v)
                })
                .collect();
            SegmentEvaluation {
                size,
                share: if n == 0 { 0.0 } else { size as f64 / n as f64 },
                mean_distance: (size > 0)
                    .then(|| member_distances.iter().sum::<f64>() / size as f64),
                max_distance: member_distances.iter().copied().reduce(f64::max),
                silhouette: (!member_silhouettes.is_empty()).then(|| {
                    member_silhouettes.iter().sum::<f64>() / member_silhouettes.len() as f64
                }),
                nearest_segment: nearest_other(model, c),
            }
        })
        .collect();
    Evaluation {
        rows: n,
        skipped_rows: data.skipped_rows,
        inertia: distances.iter().map(|v| v * v).sum(),
        scores: Scores::with_silhouette(
            &points,
            silhouettes.map(|s| s.iter().sum::<f64>() / s.len() as f64),
        ),
        silhouette_method: method,
        segments,
    }
}

/// Every row in the fitted space (row-major), its segment and its distance to that
/// segment's centroid, placed as scoring places it. Rows a DBSCAN model calls noise are left
/// out: they are in no segment to judge.
fn place(model: &SegmentModel, data: &FeatureData) -> (Vec<f64>, Vec<u32>, Vec<f64>) {
    let raw: Vec<&[f64]> = data.columns.iter().map(Vec::as_slice).collect();
    let prepared = prepare_columns(model, &raw);
    let placed = placement::place(model, &prepared);
    let n = placed.segment.len();
    let d = model.features.len();
    let mut x = Vec::with_capacity(n * d);
    let mut labels = Vec::with_capacity(n);
    let mut distances = Vec::with_capacity(n);
    for i in 0..n {
        let Ok(segment) = u32::try_from(placed.segment[i]) else {
            continue;
        };
        x.extend(prepared.iter().map(|column| column[i]));
        labels.push(segment);
        // centroid distances for every kind, so inertia means the same thing for each
        let centroid = &model.segments[segment as usize].centroid;
        distances.push(squared_distance(&x[x.len() - d..], centroid).sqrt());
    }
    (x, labels, distances)
}

/// The rows the silhouette is measured on: all, or a seeded uniform sample of `size`.
fn silhouette_rows(
    x: &[f64],
    d: usize,
    labels: &[u32],
    size: usize,
    seed: u64,
) -> (Vec<f64>, Vec<u32>, String) {
    match silhouette_sample_rows(labels.len(), size, seed) {
        None => (x.to_vec(), labels.to_vec(), "exact".to_string()),
        Some(rows) => (
            take_rows(x, d, &rows),
            rows.iter().map(|&i| labels[i]).collect(),
            format!("sample {size}"),
        ),
    }
}

/// The segment whose centroid is nearest segment `c`'s.
fn nearest_other(model: &SegmentModel, c: usize) -> Option<usize> {
    let own = &model.segments[c].centroid;
    model
        .segments
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != c)
        .map(|(j, s)| (j, crate::kmeans::squared_distance(own, &s.centroid)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(j, _)| j)
}
