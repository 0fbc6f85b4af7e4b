//! Placing rows in a model's segments column by column: each feature column prepared once
//! (transform and scaler), then every row's nearest centroid, and on request its second
//! nearest, which says how firmly the row belongs where it is. The distances are summed
//! feature by feature in the order training sums them, so scoring the training data
//! reproduces its labels exactly.

use super::SegmentModel;

/// Rows placed in a model's segments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placed {
    /// Each row's segment.
    pub segment: Vec<i32>,
    /// Its Euclidean distance to the segment's centroid, in the fitted space.
    pub distance: Vec<f64>,
}

/// The runner-up of each row, for the explanation columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunnerUp {
    /// The second-nearest segment (`None` for k = 1).
    pub segment: Vec<Option<i32>>,
    /// Its distance.
    pub distance: Vec<Option<f64>>,
    /// 1 − d1 / d2: 0 on the border between the two segments, near 1 deep inside the first.
    pub margin: Vec<Option<f64>>,
    /// (d2 − d1) / max(d1, d2): MADlib's simple silhouette of the row.
    pub simple_silhouette: Vec<Option<f64>>,
}

/// The fitted-space columns of `raw` feature columns (in the model's feature order).
pub fn prepare_columns(model: &SegmentModel, raw: &[&[f64]]) -> Vec<Vec<f64>> {
    model
        .features
        .iter()
        .zip(raw)
        .map(|(feature, values)| values.iter().map(|&x| feature.prepare(x)).collect())
        .collect()
}

/// Every row's segment: its nearest centroid, or for a DBSCAN model the segment of its
/// nearest core point within `eps` (−1, noise, beyond it; the distance is then NaN when the
/// model has no core point at all).
pub fn place(model: &SegmentModel, prepared: &[Vec<f64>]) -> Placed {
    if let Some(record) = &model.dbscan {
        let n = prepared.first().map_or(0, Vec::len);
        let mut placed = Placed::default();
        let mut row = vec![0.0; prepared.len()];
        for i in 0..n {
            for (slot, column) in row.iter_mut().zip(prepared) {
                *slot = column[i];
            }
            let (segment, distance) = record.place(&row);
            placed.segment.push(segment);
            placed.distance.push(distance.unwrap_or(f64::NAN));
        }
        return placed;
    }
    let centroids = centroids(model);
    let n = prepared.first().map_or(0, Vec::len);
    let mut placed = Placed {
        segment: Vec::with_capacity(n),
        distance: Vec::with_capacity(n),
    };
    let d = prepared.len();
    let mut row = vec![0.0; d];
    for i in 0..n {
        for (slot, column) in row.iter_mut().zip(prepared) {
            *slot = column[i];
        }
        let (best, best_d, _) = two_nearest(&row, &centroids, false);
        placed.segment.push(best as i32);
        placed.distance.push(best_d.sqrt());
    }
    placed
}

/// Every row's second-nearest centroid and the measures from the two distances (none for a
/// DBSCAN model, whose segments have no centroid a row is placed by).
pub fn runner_up(model: &SegmentModel, prepared: &[Vec<f64>]) -> RunnerUp {
    let centroids = centroids(model);
    let n = prepared.first().map_or(0, Vec::len);
    let mut out = RunnerUp::default();
    if model.dbscan.is_some() {
        out.segment = vec![None; n];
        out.distance = vec![None; n];
        out.margin = vec![None; n];
        out.simple_silhouette = vec![None; n];
        return out;
    }
    let mut row = vec![0.0; prepared.len()];
    for i in 0..n {
        for (slot, column) in row.iter_mut().zip(prepared) {
            *slot = column[i];
        }
        let (_, first, second) = two_nearest(&row, &centroids, true);
        let Some((segment, second)) = second else {
            out.segment.push(None);
            out.distance.push(None);
            out.margin.push(None);
            out.simple_silhouette.push(None);
            continue;
        };
        let (d1, d2) = (first.sqrt(), second.sqrt());
        let largest = d1.max(d2);
        out.segment.push(Some(segment as i32));
        out.distance.push(Some(d2));
        out.margin
            .push(Some(if d2 > 0.0 { 1.0 - d1 / d2 } else { 0.0 }));
        out.simple_silhouette.push(Some(if largest > 0.0 {
            (d2 - d1) / largest
        } else {
            0.0
        }));
    }
    out
}

fn centroids(model: &SegmentModel) -> Vec<f64> {
    model
        .segments
        .iter()
        .flat_map(|s| s.centroid.iter().copied())
        .collect()
}

/// The nearest centroid to `row` and its squared distance (ties to the lowest index, as
/// [`crate::kmeans::nearest`]), and with `second` the runner-up.
fn two_nearest(row: &[f64], centroids: &[f64], second: bool) -> (usize, f64, Option<(usize, f64)>) {
    let d = row.len().max(1);
    let (mut best, mut best_d) = (0, f64::INFINITY);
    let mut runner: Option<(usize, f64)> = None;
    for (c, centre) in centroids.chunks_exact(d).enumerate() {
        let dist = crate::kmeans::squared_distance(row, centre);
        if dist < best_d {
            if second && best_d.is_finite() {
                runner = Some((best, best_d));
            }
            best = c;
            best_d = dist;
        } else if second && runner.is_none_or(|(_, r)| dist < r) {
            runner = Some((c, dist));
        }
    }
    (best, best_d, runner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeatureData, TrainOptions, train};

    fn line_model() -> SegmentModel {
        // 1, 2, 3 | 10, 12: centroids 2 and 11, no preprocessing
        let options = TrainOptions::new(2).without_preprocessing();
        let data = FeatureData {
            names: vec!["v".into()],
            columns: vec![vec![1.0, 2.0, 3.0, 10.0, 12.0]],
            skipped_rows: 0,
            nulls: Vec::new(),
        };
        train("m", data, &options).unwrap()
    }

    #[test]
    fn rows_by_hand() {
        let model = line_model();
        let prepared = prepare_columns(&model, &[&[0.0, 6.5, 11.0]]);
        let placed = place(&model, &prepared);
        assert_eq!(placed.segment, vec![0, 0, 1]);
        assert_eq!(placed.distance, vec![2.0, 4.5, 0.0]);
        let runner = runner_up(&model, &prepared);
        assert_eq!(runner.segment, vec![Some(1), Some(1), Some(0)]);
        assert_eq!(runner.distance, vec![Some(11.0), Some(4.5), Some(9.0)]);
        // 0: 1 - 2/11; 6.5 is on the border; 11 sits on its centroid
        assert_eq!(
            runner.margin,
            vec![Some(1.0 - 2.0 / 11.0), Some(0.0), Some(1.0)]
        );
        assert_eq!(
            runner.simple_silhouette,
            vec![Some(9.0 / 11.0), Some(0.0), Some(1.0)]
        );
    }
}
