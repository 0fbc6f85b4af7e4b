//! DBSCAN as a saved model: the fit's radius and density, and its core points in the fitted
//! space with their segments. A new row joins the segment of its nearest core point when that
//! is within `eps`, else it is noise (−1): the rule the fit itself gives border points, so
//! scoring the training rows gives back their segments.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::profile::profile_labelled;
use super::train::{PreparedData, TrainOptions, empty_model};
use super::{ModelKind, SegmentModel};
use crate::dbscan::{Dbscan, KdTree, NOISE, dbscan};

/// What a DBSCAN model adds to a [`SegmentModel`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbscanRecord {
    /// The neighbourhood radius in the fitted space.
    pub eps: f64,
    /// Points within `eps` (the point itself included) that make a core point.
    pub min_samples: u64,
    /// Training rows that were noise.
    pub noise: u64,
    /// The core points in the fitted space, row by row (distinct points only).
    pub core_points: Vec<f64>,
    /// Each core point's segment.
    pub core_segments: Vec<i32>,
    /// The k-d tree over the core points, built on first use.
    #[serde(skip)]
    index: OnceLock<Arc<KdTree>>,
}

impl PartialEq for DbscanRecord {
    fn eq(&self, other: &Self) -> bool {
        self.eps == other.eps
            && self.min_samples == other.min_samples
            && self.noise == other.noise
            && self.core_points == other.core_points
            && self.core_segments == other.core_segments
    }
}

impl DbscanRecord {
    /// What is wrong with a record read from outside, for `d` features and `k` segments.
    pub(super) fn check(&self, d: usize, k: usize) -> Option<String> {
        if !(self.eps > 0.0 && self.eps.is_finite()) || self.min_samples == 0 {
            return Some("the DBSCAN model's eps or min_samples is invalid".into());
        }
        if self.core_points.len() != self.core_segments.len() * d {
            return Some(format!(
                "the DBSCAN model has {} core values for {} core points of {d} features",
                self.core_points.len(),
                self.core_segments.len()
            ));
        }
        if self.core_points.iter().any(|v| !v.is_finite()) {
            return Some("the DBSCAN model has a non-finite core point".into());
        }
        if self
            .core_segments
            .iter()
            .any(|&s| usize::try_from(s).map_or(true, |s| s >= k))
        {
            return Some(format!(
                "a core point of the DBSCAN model is in a segment other than 0 to {}",
                k as i64 - 1
            ));
        }
        None
    }

    /// The segment of a point of the fitted space ([`NOISE`] when no core point is within
    /// `eps`) and its distance to the nearest core point (`None` when there are none).
    pub fn place(&self, point: &[f64]) -> (i32, Option<f64>) {
        let d = point.len().max(1);
        let index = self
            .index
            .get_or_init(|| Arc::new(KdTree::new(&self.core_points, d)));
        match index.nearest(point) {
            Some((c, d2)) if d2 <= self.eps * self.eps => (self.core_segments[c], Some(d2.sqrt())),
            Some((_, d2)) => (NOISE, Some(d2.sqrt())),
            None => (NOISE, None),
        }
    }
}

/// A DBSCAN model named `name` of the prepared rows, and the fit (each row's segment, core
/// flag and distance to the nearest core point, rows in canonical order).
pub fn train_dbscan(
    name: &str,
    prepared: &PreparedData,
    options: &TrainOptions,
    eps: f64,
    min_samples: usize,
    threads: usize,
) -> (SegmentModel, Dbscan) {
    let d = prepared.x.ncols();
    let points: Vec<f64> = prepared.x.iter().copied().collect();
    let fit = dbscan(&points, d, eps, min_samples, threads);
    let segments = profile_labelled(
        &prepared.names,
        &prepared.features,
        &prepared.columns,
        &prepared.x,
        &fit.labels,
        fit.clusters,
    );
    // equal core points score alike: keep one of each
    let mut core_points = Vec::new();
    let mut core_segments = Vec::new();
    let mut last: Option<&[f64]> = None;
    for i in (0..fit.core.len()).filter(|&i| fit.core[i]) {
        let row = &points[i * d..(i + 1) * d];
        if last != Some(row) {
            core_points.extend_from_slice(row);
            core_segments.push(fit.labels[i]);
        }
        last = Some(row);
    }
    let mut model = empty_model(name, prepared, options);
    model.kind = ModelKind::Dbscan;
    model.options.k = fit.clusters;
    model.options.n_init = 1;
    model.inertia = segments.iter().map(|s| s.sse).sum();
    model.segments = segments;
    model.dbscan = Some(DbscanRecord {
        eps,
        min_samples: min_samples as u64,
        noise: fit.labels.iter().filter(|&&l| l == NOISE).count() as u64,
        core_points,
        core_segments,
        index: OnceLock::new(),
    });
    (model, fit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeatureData, prepare};

    #[test]
    fn a_saved_dbscan_scores_its_training_rows_as_it_fitted_them() {
        let values = vec![9.0, 0.0, 0.5, 1.0, 1.8, 5.0, 5.5, 6.0, 6.5, 7.0, 1.0];
        let data = FeatureData {
            names: vec!["v".into()],
            columns: vec![values.clone()],
            skipped_rows: 0,
            nulls: Vec::new(),
        };
        let options = TrainOptions::new(1).without_preprocessing();
        let prepared = prepare(data, &options).unwrap();
        let (model, fit) = train_dbscan("d", &prepared, &options, 1.0, 3, 2);
        assert!(model.validate().is_ok(), "{:?}", model.validate());
        assert_eq!(model.kind, ModelKind::Dbscan);
        // by hand: 1.8 is core (1, 1 and itself within 1), so {0, 0.5, 1, 1, 1.8} and
        // {5 .. 7} are five rows each; the tie goes to the first in row order; 9 is noise
        let sizes: Vec<u64> = model.segments.iter().map(|s| s.size).collect();
        assert_eq!(sizes, [5, 5]);
        assert!((model.segments[0].mean_original[0] - 0.86).abs() < 1e-12);
        assert_eq!(model.segments[1].mean_original, [6.0]);
        let record = model.dbscan.as_ref().unwrap();
        assert_eq!(record.noise, 1);
        // every row but 9 is core; the duplicate 1.0 is kept once
        assert_eq!(record.core_segments.len(), 9);
        for (i, row) in prepared.x.rows().into_iter().enumerate() {
            let (segment, distance) = record.place(row.as_slice().unwrap());
            assert_eq!(segment, fit.labels[i]);
            assert_eq!(distance, Some(fit.distance[i]));
        }
        assert_eq!(record.place(&[8.5]), (NOISE, Some(1.5)));
        assert_eq!(record.place(&[4.5]), (1, Some(0.5)));
        let text = serde_json::to_string(&model).unwrap();
        let back: SegmentModel = serde_json::from_str(&text).unwrap();
        assert_eq!(back, model);
        assert_eq!(back.dbscan.unwrap().place(&[6.2]).0, 1);
    }
}
