//! Choosing k: one fit per candidate k over the same prepared data (one canonical row order,
//! one preprocessing pass), each judged by inertia, silhouette, Davies–Bouldin,
//! Calinski–Harabasz, its smallest segment and its stability under resampling, then the elbow
//! of the inertia curve and one recommended k by a fixed rule ([`recommend`]).

use std::time::Instant;

use ndarray::Array2;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::train::{PreparedData, TrainError, TrainOptions, Trained, fit_error, train_prepared};
use super::{SearchRecord, SegmentModel};
use crate::kmeans::algorithm::count_distinct_rows;
use crate::kmeans::{KMeansError, Monitor, fit_monitored, nearest};
use crate::quality::{
    Points, Scores, adjusted_rand_index, elbow, silhouette_sample_rows, take_rows,
};

/// The rule [`recommend`] follows, as the model and the reference state it.
pub const RULE: &str = "the best silhouette among the ks whose smallest segment holds at least min_share of the rows and whose stability, when measured, is at least 0.8; ties go to the elbow, then to the smaller k";

/// Share of the rows each stability resample draws.
pub const RESAMPLE_SHARE: f64 = 0.8;

/// What to search and how to judge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchOptions {
    /// The candidate k, increasing.
    pub ks: Vec<usize>,
    /// A recommended k's smallest segment holds at least this share of the rows.
    pub min_share: f64,
    /// A recommended k's stability (when measured) is at least this.
    pub min_stability: f64,
    /// Resamples per k for the stability (0: not measured).
    pub resamples: usize,
    /// The silhouette is exact up to this many rows, else computed on a sample this large.
    pub silhouette_sample: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self {
            ks: (2..=10).collect(),
            min_share: 0.05,
            min_stability: 0.8,
            resamples: 3,
            silhouette_sample: 10_000,
        }
    }
}

/// How one k scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KScore {
    /// The number of segments.
    pub k: usize,
    /// Sum of squared distances to the centroids (fitted space).
    pub inertia: f64,
    /// Share of the previous k's inertia this k removes (`None` for the first k).
    pub inertia_drop: Option<f64>,
    /// Silhouette, Davies–Bouldin and Calinski–Harabasz (`None` for k = 1).
    #[serde(flatten)]
    pub scores: Scores,
    /// The smallest segment's share of the rows.
    pub smallest_share: f64,
    /// Mean adjusted Rand index between the fit and fits on resamples (`None` when not
    /// measured, and for k = 1).
    pub stability: Option<f64>,
    /// Whether this k is the elbow of the inertia curve.
    pub elbow: bool,
    /// Whether this k is the recommended one.
    pub recommended: bool,
    /// Seconds spent fitting this k (not judging it).
    pub fit_seconds: f64,
}

/// A finished search.
#[derive(Debug, Clone)]
pub struct Search {
    /// One score per k, in `ks` order.
    pub scores: Vec<KScore>,
    /// `"exact"` or `"sample N"`.
    pub silhouette_method: String,
    /// The fits, in `ks` order (the recommended one is what an `'auto'` fit keeps).
    pub fits: Vec<Trained>,
}

impl Search {
    /// The recommended k's index in `scores` and `fits`.
    pub fn recommended(&self) -> usize {
        self.scores.iter().position(|s| s.recommended).unwrap_or(0)
    }

    /// The recommended fit's model, named `name`, with the search recorded in it.
    pub fn recommended_model(&self, name: &str, options: &SearchOptions) -> SegmentModel {
        let mut model = self.fits[self.recommended()].model.clone();
        model.name = name.to_string();
        model.search = Some(SearchRecord {
            rule: RULE.to_string(),
            chosen_k: model.k(),
            silhouette_method: self.silhouette_method.clone(),
            options: options.clone(),
            scores: self.scores.clone(),
        });
        model
    }
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SearchError {
    /// A k above the distinct points.
    #[error(
        "k = {k} is more than the {distinct} distinct point(s) in the input; ask for ks between 1 and {distinct}, e.g. ks => '{}..{distinct}'",
        2.min(*.distinct)
    )]
    TooFewPoints {
        /// The largest k asked for.
        k: usize,
        /// Distinct points in the input.
        distinct: usize,
    },
    /// A fit failed.
    #[error("{0}")]
    Train(#[from] TrainError),
}

/// Fit and judge every k of `options.ks` on `prepared`, with `train`'s K-Means settings.
pub fn search(
    prepared: &PreparedData,
    train: &TrainOptions,
    options: &SearchOptions,
    monitor: &Monitor,
) -> Result<Search, SearchError> {
    check_distinct(prepared, options)?;
    let threads = train.kmeans.threads.max(1);
    let judged = JudgedRows::draw(prepared, options.silhouette_sample, train.kmeans.seed);
    let mut scores = Vec::with_capacity(options.ks.len());
    let mut fits = Vec::with_capacity(options.ks.len());
    for &k in &options.ks {
        let mut settings = train.clone();
        settings.kmeans.k = k;
        let started = Instant::now();
        let fit = train_prepared("", prepared, &settings, monitor)?;
        let fit_seconds = started.elapsed().as_secs_f64();
        let mut score = judge(prepared, &fit, &judged, threads);
        score.fit_seconds = fit_seconds;
        if k > 1 && options.resamples > 0 {
            score.stability = stability(prepared, &settings, &fit, options, monitor)?;
        }
        scores.push(score);
        fits.push(fit);
    }
    finish(&mut scores, options);
    Ok(Search {
        scores,
        silhouette_method: judged.method(),
        fits,
    })
}

/// Every k at most the number of distinct points, said before any fit runs.
fn check_distinct(prepared: &PreparedData, options: &SearchOptions) -> Result<(), SearchError> {
    let largest = options.ks.iter().copied().max().unwrap_or(1);
    let d = prepared.x.ncols();
    let x = prepared.x.as_slice().unwrap_or(&[]);
    let distinct = count_distinct_rows(x, d, largest);
    if distinct < largest {
        return Err(SearchError::TooFewPoints {
            k: largest,
            distinct,
        });
    }
    Ok(())
}

/// The rows the silhouette is measured on: all of them, or a seeded uniform sample.
struct JudgedRows {
    /// The sampled rows' indices (increasing), or `None` for all rows.
    sample: Option<Vec<usize>>,
    /// Their values, row-major.
    x: Vec<f64>,
}

impl JudgedRows {
    fn draw(prepared: &PreparedData, size: usize, seed: u64) -> Self {
        let all = prepared.x.as_slice().unwrap_or(&[]);
        let sample = silhouette_sample_rows(prepared.rows(), size, seed);
        let x = match &sample {
            Some(rows) => take_rows(all, prepared.x.ncols(), rows),
            None => all.to_vec(),
        };
        Self { sample, x }
    }

    fn method(&self) -> String {
        match &self.sample {
            None => "exact".to_string(),
            Some(rows) => format!("sample {}", rows.len()),
        }
    }

    fn labels(&self, labels: &[u32]) -> Vec<u32> {
        match &self.sample {
            None => labels.to_vec(),
            Some(rows) => rows.iter().map(|&i| labels[i]).collect(),
        }
    }
}

/// One fit's scores (stability, elbow and recommendation come later).
fn judge(prepared: &PreparedData, fit: &Trained, judged: &JudgedRows, threads: usize) -> KScore {
    let d = prepared.x.ncols();
    let all = Points::new(prepared.x.as_slice().unwrap_or(&[]), d, &fit.labels);
    let sample_labels = judged.labels(&fit.labels);
    let sampled = Points::new(&judged.x, d, &sample_labels);
    let k = fit.model.k();
    let smallest_share = fit
        .model
        .segments
        .iter()
        .map(|s| s.share)
        .fold(f64::INFINITY, f64::min);
    KScore {
        k,
        inertia: fit.model.inertia,
        inertia_drop: None,
        scores: Scores::of(&all, &sampled, threads),
        smallest_share,
        stability: None,
        elbow: false,
        recommended: false,
        fit_seconds: 0.0,
    }
}

/// The mean adjusted Rand index between `fit`'s labels and those of fits on `resamples`
/// seeded draws of [`RESAMPLE_SHARE`] of the rows (every row labelled by its nearest centre
/// of the resample's fit); `None` when no resample holds k distinct points.
fn stability(
    prepared: &PreparedData,
    settings: &TrainOptions,
    fit: &Trained,
    options: &SearchOptions,
    monitor: &Monitor,
) -> Result<Option<f64>, SearchError> {
    let (n, d) = prepared.x.dim();
    let all = prepared.x.as_slice().unwrap_or(&[]);
    let size = ((n as f64 * RESAMPLE_SHARE).round() as usize).clamp(1, n);
    let (mut total, mut compared) = (0.0, 0usize);
    for b in 0..options.resamples {
        let seed = settings.kmeans.seed.wrapping_add(1 + b as u64);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((settings.kmeans.k as u64) << 32));
        let mut rows = sample(&mut rng, n, size).into_vec();
        rows.sort_unstable();
        let x = Array2::from_shape_vec((size, d), take_rows(all, d, &rows))
            .expect("size rows of d values");
        let mut params = settings.kmeans.clone();
        params.seed = seed;
        let params = params.check().map_err(TrainError::from)?;
        // a resample can hold fewer distinct points than k: it then cannot be compared
        let resampled = match fit_monitored(&params, x.view(), monitor) {
            Ok(resampled) => resampled,
            Err(KMeansError::TooFewPoints { .. }) => continue,
            Err(e) => return Err(fit_error(e, prepared).into()),
        };
        let centres = resampled.centroids.as_slice().unwrap_or(&[]);
        let labels: Vec<u32> = all
            .chunks_exact(d)
            .map(|row| nearest(row, centres).0 as u32)
            .collect();
        total += adjusted_rand_index(&fit.labels, &labels);
        compared += 1;
    }
    Ok((compared > 0).then(|| total / compared as f64))
}

/// The scores that compare the ks: inertia drops, the elbow, the recommendation.
fn finish(scores: &mut [KScore], options: &SearchOptions) {
    for i in 1..scores.len() {
        let previous = scores[i - 1].inertia;
        if previous > 0.0 {
            scores[i].inertia_drop = Some((previous - scores[i].inertia) / previous);
        }
    }
    let ks: Vec<f64> = scores.iter().map(|s| s.k as f64).collect();
    let inertia: Vec<f64> = scores.iter().map(|s| s.inertia).collect();
    if let Some(i) = elbow(&ks, &inertia) {
        scores[i].elbow = true;
    }
    let chosen = recommend(scores, options);
    scores[chosen].recommended = true;
}

/// The recommended k: the best silhouette among the ks whose smallest segment holds at least
/// `min_share` of the rows and whose stability, when measured, is at least `min_stability`;
/// ties go to the elbow, then to the smaller k. When no k passes both bars, the best
/// silhouette of all; when no k has a silhouette (only k = 1 searched), the first k.
pub fn recommend(scores: &[KScore], options: &SearchOptions) -> usize {
    let passes = |s: &KScore| {
        s.smallest_share >= options.min_share
            && s.stability.is_none_or(|v| v >= options.min_stability)
    };
    let best = |candidates: &dyn Fn(&KScore) -> bool| {
        (0..scores.len())
            .filter(|&i| candidates(&scores[i]) && scores[i].scores.silhouette.is_some())
            .max_by(|&a, &b| {
                let (sa, sb) = (&scores[a], &scores[b]);
                sa.scores
                    .silhouette
                    .partial_cmp(&sb.scores.silhouette)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(sa.elbow.cmp(&sb.elbow))
                    .then(sb.k.cmp(&sa.k))
            })
    };
    best(&passes).or_else(|| best(&|_| true)).unwrap_or(0)
}
