//! Training a [`SegmentModel`] in two steps: [`prepare`] does what does not depend on k (the
//! canonical row order, the fingerprint, each feature's transform and scaler), then
//! [`train_prepared`] fits K-Means for one k and profiles its segments. [`train`] is both; a
//! search over k prepares once.
//!
//! Rows are sorted before anything else, so the model depends only on the multiset of input
//! rows: the same data gives the same model whatever the partitioning or batch size it came in.

use ndarray::Array2;

use super::canonical::{canonical_order, fingerprint};
use super::profile::{Profile, number_by_size, profile};
use super::{FORMAT, FORMAT_VERSION, FeatureModel, FeatureStats, FitOptions, SegmentModel};
use crate::kmeans::{KMeansError, KMeansParams, KMeansParamsError, Monitor, fit_monitored};
use crate::preprocess::{
    DomainError, ScaleKind, Scaler, Transform, TransformKind, TransformSpec, adjusted_skewness,
};

/// What to do with a row whose feature is NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NullPolicy {
    /// Leave the row out and count it in the model.
    Skip,
    /// Fail the fit.
    Error,
}

impl NullPolicy {
    /// The SQL spelling: `'skip'` or `'error'`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "skip" => Some(Self::Skip),
            "error" => Some(Self::Error),
            _ => None,
        }
    }

    /// The canonical SQL spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::Error => "error",
        }
    }
}

/// Everything `kmeans_fit` accepts besides the data.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TrainOptions {
    /// K-Means itself: k, initialisation, restarts, iterations, tolerance, seed, threads
    /// (the threads never change the result).
    pub kmeans: KMeansParams,
    /// Skew-correcting transforms, one for all features or one per feature.
    pub transform: TransformSpec,
    /// Shift values into a transform's domain (log, Box-Cox: positive; log1p, sqrt:
    /// non-negative) instead of failing on them.
    pub shift: bool,
    /// The scaler after the transform; `None` leaves the transformed values as they are.
    pub scale: Option<ScaleKind>,
    /// NULL handling (applied while reading; recorded here).
    pub nulls: NullPolicy,
}

impl TrainOptions {
    /// scikit-learn's defaults for `k` segments, with segql's preprocessing defaults.
    pub fn new(k: usize) -> Self {
        Self {
            kmeans: KMeansParams::new(k),
            transform: TransformSpec::all(TransformKind::Auto),
            shift: true,
            scale: Some(ScaleKind::Standard),
            nulls: NullPolicy::Skip,
        }
    }

    /// The same options with neither transform nor scaler: K-Means on the values as given.
    pub fn without_preprocessing(mut self) -> Self {
        self.transform = TransformSpec::all(TransformKind::None);
        self.scale = None;
        self
    }
}

/// The training data: one column of finite values per feature.
#[derive(Debug, Clone, Default)]
pub struct FeatureData {
    /// Feature names.
    pub names: Vec<String>,
    /// One `Vec` per feature, all of the same length.
    pub columns: Vec<Vec<f64>>,
    /// Rows left out before training because a feature was NULL.
    pub skipped_rows: u64,
    /// Input rows where each feature was NULL (empty when not counted).
    pub nulls: Vec<u64>,
}

/// Why a model could not be trained.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrainError {
    /// An option is out of range.
    #[error("{0}")]
    Params(#[from] KMeansParamsError),
    /// No rows to train on.
    #[error("the input has no rows to train on{}", skipped_note(*.skipped))]
    Empty {
        /// Rows skipped for NULL features.
        skipped: u64,
    },
    /// k is larger than the number of distinct points.
    #[error(
        "k = {k} is more than the {distinct} distinct point(s) in the input; choose k between 1 and {distinct}"
    )]
    TooFewPoints {
        /// Requested segments.
        k: usize,
        /// Distinct points found.
        distinct: usize,
    },
    /// A feature has a single value, so it cannot be scaled.
    #[error(
        "feature '{0}' has the same value in every row, so it cannot be standardised; leave it out of features => or pass scale => 'none'"
    )]
    ZeroVariance(String),
    /// A feature's range is wider than a DOUBLE holds, so it cannot be scaled.
    #[error(
        "feature '{0}' spans more than the largest DOUBLE (about 1.8e308), so it cannot be scaled; the values are in the wrong unit or damaged: divide them in a subquery, as in (SELECT {0} / 1e300 AS {0} FROM <table>), or filter the extreme rows out"
    )]
    TooWide(String),
    /// A transform cannot take a feature's values and shifting is off.
    #[error(
        "feature '{feature}' has values down to {}, but transform '{}' needs {} values; pass shift => true to shift them, or use transform => '{feature}: yeojohnson', which takes any sign",
        .error.min, .error.transform, .error.needs
    )]
    Domain {
        /// The feature.
        feature: String,
        /// What the transform needs.
        error: DomainError,
    },
    /// A value is NaN or infinite (in the input or after the transform).
    #[error("feature '{feature}' is NaN or infinite{}", after_transform(*.transformed))]
    NonFinite {
        /// The feature.
        feature: String,
        /// Whether the value became non-finite only after the transform.
        transformed: bool,
    },
    /// The fit was cancelled before it finished.
    #[error("cancelled")]
    Cancelled,
}

fn skipped_note(skipped: u64) -> String {
    if skipped == 0 {
        String::new()
    } else {
        format!(" ({skipped} row(s) skipped because a feature was NULL)")
    }
}

fn after_transform(transformed: bool) -> &'static str {
    if transformed {
        " after the transform; try transform => 'none' or 'log'"
    } else {
        " in the input; filter such rows out first"
    }
}

/// Train a model named `name` on `data`.
pub fn train(
    name: &str,
    data: FeatureData,
    options: &TrainOptions,
) -> Result<SegmentModel, TrainError> {
    train_monitored(name, data, options, &Monitor::new())
}

/// [`train`], reporting the fit's progress to `monitor` and stopping when it is cancelled.
pub fn train_monitored(
    name: &str,
    data: FeatureData,
    options: &TrainOptions,
    monitor: &Monitor,
) -> Result<SegmentModel, TrainError> {
    options.kmeans.clone().check()?;
    let prepared = prepare(data, options)?;
    Ok(train_prepared(name, &prepared, options, monitor)?.model)
}

/// The training data after the steps every k shares.
#[derive(Debug, Clone)]
pub struct PreparedData {
    /// Feature names.
    pub names: Vec<String>,
    /// The original values, rows in canonical order.
    pub columns: Vec<Vec<f64>>,
    /// Each feature's fitted transform and scaler.
    pub features: Vec<FeatureModel>,
    /// The rows in the fitted space (n × d, canonical order): what K-Means runs on.
    pub x: Array2<f64>,
    /// The input's fingerprint (names and values in canonical order).
    pub fingerprint: String,
    /// Rows left out before training because a feature was NULL.
    pub skipped_rows: u64,
}

impl PreparedData {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.x.nrows()
    }
}

/// The first steps of training: check the data, put its rows in canonical order, fingerprint
/// it, and fit each feature's transform and scaler (`options.transform`, `.shift`, `.scale`).
pub fn prepare(data: FeatureData, options: &TrainOptions) -> Result<PreparedData, TrainError> {
    check_data(&data)?;
    let columns = canonical_order(&data.columns, options.kmeans.threads);
    let fingerprint = fingerprint(&data.names, &columns);
    let prepared = prepare_features(&data.names, &columns, &data.nulls, options)?;
    let n = columns.first().map_or(0, Vec::len);
    let mut x = Array2::zeros((n, data.names.len()));
    for (j, (_, values)) in prepared.iter().enumerate() {
        for (cell, &v) in x.column_mut(j).iter_mut().zip(values) {
            *cell = v;
        }
    }
    Ok(PreparedData {
        names: data.names,
        columns,
        features: prepared.into_iter().map(|(f, _)| f).collect(),
        x,
        fingerprint,
        skipped_rows: data.skipped_rows,
    })
}

/// Rows to train on, every value finite.
fn check_data(data: &FeatureData) -> Result<(), TrainError> {
    if data.columns.first().is_none_or(Vec::is_empty) {
        return Err(TrainError::Empty {
            skipped: data.skipped_rows,
        });
    }
    for (name, column) in data.names.iter().zip(&data.columns) {
        if column.iter().any(|v| !v.is_finite()) {
            return Err(TrainError::NonFinite {
                feature: name.clone(),
                transformed: false,
            });
        }
    }
    Ok(())
}

/// A model and the segment of each of its training rows.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The model.
    pub model: SegmentModel,
    /// Each row's segment, rows in [`PreparedData`]'s (canonical) order.
    pub labels: Vec<u32>,
}

/// The last steps of training, for `options.kmeans`' k: fit K-Means on the prepared rows,
/// number the segments by descending size, profile them, and record how the model was made.
pub fn train_prepared(
    name: &str,
    prepared: &PreparedData,
    options: &TrainOptions,
    monitor: &Monitor,
) -> Result<Trained, TrainError> {
    let params = options.kmeans.clone().check()?;
    let fitted =
        fit_monitored(&params, prepared.x.view(), monitor).map_err(|e| fit_error(e, prepared))?;
    let centroids = number_by_size(fitted.centroids.view(), &fitted.labels);
    let Profile { segments, labels } = profile(
        &prepared.names,
        &prepared.features,
        &prepared.columns,
        &prepared.x,
        &centroids,
    );
    let mut model = empty_model(name, prepared, options);
    model.inertia = segments.iter().map(|s| s.sse).sum();
    model.segments = segments;
    model.n_iter = fitted.n_iter as u64;
    model.options.k = params.k();
    Ok(Trained { model, labels })
}

/// A model of the prepared data with no segments yet: the features' preprocessing, the
/// options as given, the row counts, the fingerprint and when and by what it was made.
pub(super) fn empty_model(
    name: &str,
    prepared: &PreparedData,
    options: &TrainOptions,
) -> SegmentModel {
    let kmeans = &options.kmeans;
    SegmentModel {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        name: name.to_string(),
        features: prepared.features.clone(),
        inertia: 0.0,
        segments: Vec::new(),
        options: FitOptions {
            k: kmeans.k,
            init: kmeans.init.name().to_string(),
            n_init: kmeans.n_init,
            max_iter: kmeans.max_iter,
            tol: kmeans.tol,
            seed: kmeans.seed,
            transform: options.transform.text(),
            standardize: options.scale.is_some(),
            scale: Some(options.scale.map_or("none", ScaleKind::name).to_string()),
            shift: Some(options.shift),
            nulls: options.nulls.name().to_string(),
        },
        rows: prepared.rows() as u64,
        skipped_rows: prepared.skipped_rows,
        n_iter: 0,
        fingerprint: prepared.fingerprint.clone(),
        created_at_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
        segql_version: env!("CARGO_PKG_VERSION").to_string(),
        search: None,
        kind: super::ModelKind::Kmeans,
        pca: None,
        hclust: None,
        dbscan: None,
    }
}

/// K-Means' error as a training error, naming the feature.
pub(super) fn fit_error(error: KMeansError, prepared: &PreparedData) -> TrainError {
    match error {
        KMeansError::Cancelled => TrainError::Cancelled,
        KMeansError::Params(p) => TrainError::Params(p),
        KMeansError::Empty => TrainError::Empty {
            skipped: prepared.skipped_rows,
        },
        KMeansError::TooFewPoints { k, distinct } => TrainError::TooFewPoints { k, distinct },
        KMeansError::NonFinite { feature, .. } => TrainError::NonFinite {
            feature: prepared.names[feature].clone(),
            transformed: true,
        },
    }
}

/// A feature's fitted preprocessing and its prepared column.
type Prepared = (FeatureModel, Vec<f64>);

/// Each feature's fitted transform and scaler with its prepared column (the values
/// [`FeatureModel::prepare`] gives, computed once). Features are fitted side by side on up to
/// `options.kmeans.threads` threads, since a Box-Cox search over one skewed feature can take as long
/// as a restart; the first failing feature (in feature order) is the error.
fn prepare_features(
    names: &[String],
    columns: &[Vec<f64>],
    nulls: &[u64],
    options: &TrainOptions,
) -> Result<Vec<Prepared>, TrainError> {
    let prepare = |j: usize| -> Result<Prepared, TrainError> {
        let (name, column) = (&names[j], &columns[j]);
        let kind = options.transform.kind_for(name);
        let transform =
            Transform::fit(kind, column, options.shift).map_err(|error| TrainError::Domain {
                feature: name.clone(),
                error,
            })?;
        let mut values: Vec<f64> = column.iter().map(|&x| transform.apply(x)).collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(TrainError::NonFinite {
                feature: name.clone(),
                transformed: true,
            });
        }
        let stats = stats(column, &values, nulls.get(j).copied().unwrap_or(0));
        let scaler = match options.scale {
            Some(kind) => {
                let scaler = Scaler::fit(kind, &values).ok_or_else(|| {
                    if values.iter().all(|v| *v == values[0]) {
                        TrainError::ZeroVariance(name.clone())
                    } else {
                        TrainError::TooWide(name.clone())
                    }
                })?;
                for v in &mut values {
                    *v = scaler.apply(*v);
                }
                Some(scaler)
            }
            None => None,
        };
        let feature = FeatureModel {
            name: name.clone(),
            transform,
            scaler,
            stats: Some(stats),
        };
        Ok((feature, values))
    };
    let d = names.len();
    let threads = options.kmeans.threads.clamp(1, d.max(1));
    if threads == 1 {
        return (0..d).map(prepare).collect();
    }
    // worker w fits features w, w + threads, ...; results are put back in feature order
    let mut slots: Vec<Option<Result<Prepared, TrainError>>> = (0..d).map(|_| None).collect();
    std::thread::scope(|scope| {
        let prepare = &prepare;
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                scope.spawn(move || {
                    (w..d)
                        .step_by(threads)
                        .map(|j| (j, prepare(j)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for (j, result) in worker.join().expect("feature preparation does not panic") {
                slots[j] = Some(result);
            }
        }
    });
    slots
        .into_iter()
        .map(|slot| slot.expect("every feature prepared"))
        .collect()
}

/// The summary of a feature's training `values`, `transformed` its values after the transform.
fn stats(values: &[f64], transformed: &[f64], nulls: u64) -> FeatureStats {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    FeatureStats {
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        mean,
        std,
        skew: adjusted_skewness(values),
        skew_after: adjusted_skewness(transformed),
        nulls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(columns: Vec<Vec<f64>>) -> FeatureData {
        FeatureData {
            names: (0..columns.len()).map(|j| format!("x{j}")).collect(),
            columns,
            skipped_rows: 0,
            nulls: Vec::new(),
        }
    }

    fn plain(k: usize) -> TrainOptions {
        TrainOptions {
            transform: TransformSpec::all(TransformKind::None),
            scale: None,
            ..TrainOptions::new(k)
        }
    }

    #[test]
    fn a_hand_computed_profile() {
        // 1, 2, 3 and 10, 12: centroids 2 and 11, numbered by size
        let model = train("m", data(vec![vec![10.0, 1.0, 12.0, 2.0, 3.0]]), &plain(2)).unwrap();
        assert_eq!(model.segments[0].size, 3);
        assert_eq!(model.segments[0].centroid_original, vec![2.0]);
        assert_eq!(model.segments[0].sse, 2.0);
        assert_eq!(model.segments[1].size, 2);
        assert_eq!(model.segments[1].centroid_original, vec![11.0]);
        assert_eq!(model.segments[1].sse, 2.0);
        assert_eq!(model.inertia, 4.0);
        assert_eq!(model.segments[0].share, 0.6);
        assert_eq!(model.segments[0].label, "low x0");
        assert_eq!(model.segments[1].label, "high x0");
    }

    #[test]
    fn row_order_does_not_matter() {
        let a: Vec<f64> = (0..5000).map(|i| ((i * 7919) % 1000) as f64).collect();
        let b: Vec<f64> = (0..5000).map(|i| ((i * 104729) % 333) as f64).collect();
        let mut ra = a.clone();
        let mut rb = b.clone();
        ra.reverse();
        rb.reverse();
        let one = train("m", data(vec![a, b]), &TrainOptions::new(4)).unwrap();
        let two = train("m", data(vec![ra, rb]), &TrainOptions::new(4)).unwrap();
        assert_eq!(one.segments, two.segments);
        assert_eq!(one.fingerprint, two.fingerprint);
    }

    #[test]
    fn centroids_return_to_original_units() {
        let values: Vec<f64> = (1..=400).map(|i| (i as f64).powi(3)).collect();
        let options = TrainOptions {
            transform: TransformSpec::all(TransformKind::Log),
            ..TrainOptions::new(2)
        };
        let model = train("m", data(vec![values]), &options).unwrap();
        for s in &model.segments {
            let back = model.features[0].prepare(s.centroid_original[0]);
            assert!((back - s.centroid[0]).abs() < 1e-9);
        }
    }

    #[test]
    fn bad_data_is_an_error_naming_the_feature() {
        assert_eq!(
            train("m", data(vec![vec![1.0, 1.0, 1.0]]), &TrainOptions::new(1)),
            Err(TrainError::ZeroVariance("x0".into()))
        );
        assert_eq!(
            train("m", data(vec![vec![1.0, 2.0, 2.0]]), &plain(3)),
            Err(TrainError::TooFewPoints { k: 3, distinct: 2 })
        );
        assert!(matches!(
            train("m", data(vec![vec![1.0, f64::NAN]]), &plain(1)),
            Err(TrainError::NonFinite { .. })
        ));
        assert_eq!(
            train("m", data(vec![vec![]]), &plain(1)),
            Err(TrainError::Empty { skipped: 0 })
        );
    }
}
