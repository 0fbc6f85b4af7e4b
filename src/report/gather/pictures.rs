//! What the pictures need from the scored rows: each feature's histograms before and after
//! its fitted transform, the standardised means per segment, and a seeded sample of
//! customers on the first two principal components of the model's fitted space.

use ndarray::Array2;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

use super::rows::ScoredRows;
use crate::model::SegmentModel;
use crate::pca::Pca;
use crate::preprocess::adjusted_skewness;
use crate::report::charts::histogram::Histogram;
use crate::report::data::{FeatureView, Scatter};
use crate::report::page::format::percent;

/// Bins per histogram.
const BINS: usize = 40;
/// The share of rows at each end that histograms and the scatter leave off their axes.
const TAIL: f64 = 0.005;
/// Most customers drawn in the scatter (the file stays small however many there are).
pub const SCATTER_SAMPLE: usize = 5_000;

/// Each model feature's distributions raw and after its transform, with their skewness.
pub fn feature_views(model: &SegmentModel, rows: &ScoredRows) -> Vec<FeatureView> {
    model
        .features
        .iter()
        .zip(&rows.features)
        .map(|(feature, values)| {
            let after: Vec<f64> = values.iter().map(|x| feature.transform.apply(*x)).collect();
            FeatureView {
                name: feature.name.clone(),
                transform: feature.transform.describe(),
                transformed: feature.transform.name() != "none",
                raw: Histogram::trimmed(values, BINS, TAIL),
                after: Histogram::trimmed(&after, BINS, TAIL),
                skew_raw: adjusted_skewness(values),
                skew_after: adjusted_skewness(&after),
            }
        })
        .collect()
}

/// Per segment (0..k), the mean of each transformed feature in standard deviations from the
/// mean of all scored rows.
pub fn standardised_means(model: &SegmentModel, rows: &ScoredRows) -> Vec<Vec<f64>> {
    let k = model.k();
    let mut out = vec![vec![f64::NAN; model.features.len()]; k];
    for (j, (feature, values)) in model.features.iter().zip(&rows.features).enumerate() {
        let t: Vec<f64> = values.iter().map(|x| feature.transform.apply(*x)).collect();
        let n = t.len().max(1) as f64;
        let mean = t.iter().sum::<f64>() / n;
        let std = (t.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        let mut sums = vec![(0.0, 0usize); k];
        for (x, s) in t.iter().zip(&rows.segment) {
            if let Some(slot) = sums.get_mut(*s) {
                slot.0 += x;
                slot.1 += 1;
            }
        }
        for (segment, (sum, count)) in sums.into_iter().enumerate() {
            if count > 0 {
                let z = (sum / count as f64 - mean) / if std > 0.0 { std } else { 1.0 };
                out[segment][j] = z;
            }
        }
    }
    out
}

/// The scatter: two features in original units for a two-feature model (one feature against
/// its rank for one), else the first two principal components of the fitted space, with the
/// model's centres placed the same way.
pub fn scatter(model: &SegmentModel, rows: &ScoredRows, seed: u64) -> Scatter {
    let n = rows.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut picked = sample(&mut rng, n, n.min(SCATTER_SAMPLE)).into_vec();
    picked.sort_unstable();
    let names = model.feature_names();
    let centre = |s: usize| &model.segments[s];
    match names.len() {
        1 => Scatter {
            x_title: names[0].to_string(),
            y_title: "customers, spread at random (no meaning)".into(),
            points: picked
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        rows.features[0][*r],
                        i as f64 / picked.len().max(1) as f64,
                        rows.segment[*r],
                    )
                })
                .collect(),
            centroids: (0..model.k())
                .map(|s| (centre(s).centroid_original[0], 0.5, s))
                .collect(),
            population: n as u64,
            method: format!("{} against a random spread", names[0]),
        },
        2 => Scatter {
            x_title: names[0].to_string(),
            y_title: names[1].to_string(),
            points: picked
                .iter()
                .map(|r| (rows.features[0][*r], rows.features[1][*r], rows.segment[*r]))
                .collect(),
            centroids: (0..model.k())
                .map(|s| {
                    let c = &centre(s).centroid_original;
                    (c[0], c[1], s)
                })
                .collect(),
            population: n as u64,
            method: "the two features in their original units".into(),
        },
        _ => principal_scatter(model, rows, &picked),
    }
}

fn principal_scatter(model: &SegmentModel, rows: &ScoredRows, picked: &[usize]) -> Scatter {
    let d = model.features.len();
    let mut fitted = Array2::<f64>::zeros((rows.len(), d));
    for (j, (feature, values)) in model.features.iter().zip(&rows.features).enumerate() {
        for (i, x) in values.iter().enumerate() {
            fitted[[i, j]] = feature.prepare(*x);
        }
    }
    let Ok(pca) = Pca::fit(fitted.view(), 2) else {
        return Scatter {
            method: "no principal components: the scored rows do not vary".into(),
            population: rows.len() as u64,
            ..Scatter::default()
        };
    };
    let at = |point: &[f64]| {
        let p = pca.project(point);
        (p[0], p.get(1).copied().unwrap_or(0.0))
    };
    let points = picked
        .iter()
        .map(|r| {
            let (x, y) = at(fitted.row(*r).as_slice().unwrap_or(&[]));
            (x, y, rows.segment[*r])
        })
        .collect();
    let centroids = model
        .segments
        .iter()
        .enumerate()
        .map(|(s, segment)| {
            let (x, y) = at(&segment.centroid);
            (x, y, s)
        })
        .collect();
    let ratio = |i: usize| pca.explained_variance_ratio.get(i).copied().unwrap_or(0.0);
    Scatter {
        x_title: format!(
            "first principal component ({} of the variance)",
            percent(ratio(0))
        ),
        y_title: format!("second principal component ({})", percent(ratio(1))),
        points,
        centroids,
        population: rows.len() as u64,
        method: format!(
            "axes: the first two principal components of the {} features as the model prepares \
             them (transformed and scaled), {} of their variance",
            d,
            percent(ratio(0) + ratio(1))
        ),
    }
}
