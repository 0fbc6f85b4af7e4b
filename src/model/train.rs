//! Training a [`SegmentModel`]: canonical row order, preprocessing, K-Means, then the segment
//! profile (numbering, sizes, centroids and means in original units, labels).
//!
//! Rows are sorted before anything else, so the model depends only on the multiset of input
//! rows: the same data gives the same model whatever the partitioning or batch size it came in.

use std::cmp::Ordering;

use ndarray::Array2;

use super::labels::{RfmLabeler, deviation_label};
use super::{FORMAT, FORMAT_VERSION, FeatureModel, FitOptions, SegmentInfo, SegmentModel};
use crate::kmeans::preprocess::{Scaler, Transform, TransformKind};
use crate::kmeans::{
    Init, KMeansError, KMeansParams, KMeansParamsError, Monitor, fit_monitored, nearest,
};

/// What to do with a row whose feature is NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Number of segments.
    pub k: usize,
    /// Initialisation.
    pub init: Init,
    /// Restarts.
    pub n_init: usize,
    /// Iteration limit per restart.
    pub max_iter: usize,
    /// Relative tolerance.
    pub tol: f64,
    /// Random seed.
    pub seed: u64,
    /// Skew-correcting transform.
    pub transform: TransformKind,
    /// Standardise features after the transform.
    pub standardize: bool,
    /// NULL handling (applied while reading; recorded here).
    pub nulls: NullPolicy,
    /// Worker threads for the fit (never changes the result).
    pub threads: usize,
}

impl TrainOptions {
    /// scikit-learn's defaults for `k` segments, with segql's preprocessing defaults.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            init: Init::KMeansPlusPlus,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            transform: TransformKind::Auto,
            standardize: true,
            nulls: NullPolicy::Skip,
            threads: 1,
        }
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
    /// A feature has a single value, so it cannot be standardised.
    #[error(
        "feature '{0}' has the same value in every row, so it cannot be standardised; leave it out of features => or pass standardize => false"
    )]
    ZeroVariance(String),
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
    let params = KMeansParams::new(options.k)
        .init(options.init)
        .n_init(options.n_init)
        .max_iter(options.max_iter)
        .tol(options.tol)
        .seed(options.seed)
        .threads(options.threads.max(1))
        .check()?;
    let d = data.names.len();
    let n = data.columns.first().map_or(0, Vec::len);
    if n == 0 {
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
    let columns = canonical_order(&data.columns);
    let fingerprint = fingerprint(&data.names, &columns);

    // Preprocessing, fitted feature by feature.
    let prepared = prepare_features(&data.names, &columns, options)?;
    let mut x = Array2::zeros((n, d));
    for (j, (_, values)) in prepared.iter().enumerate() {
        for (i, &v) in values.iter().enumerate() {
            x[[i, j]] = v;
        }
    }
    let features: Vec<FeatureModel> = prepared.into_iter().map(|(f, _)| f).collect();

    let fitted = fit_monitored(&params, x.view(), monitor).map_err(|e| match e {
        KMeansError::Cancelled => TrainError::Cancelled,
        KMeansError::Params(p) => TrainError::Params(p),
        KMeansError::Empty => TrainError::Empty {
            skipped: data.skipped_rows,
        },
        KMeansError::TooFewPoints { k, distinct } => TrainError::TooFewPoints { k, distinct },
        KMeansError::NonFinite { feature, .. } => TrainError::NonFinite {
            feature: data.names[feature].clone(),
            transformed: true,
        },
    })?;

    // Number segments by descending size (ties: centroid order), then assign every row with
    // the same function scoring uses, so sizes and scores agree exactly.
    let k = options.k;
    let mut counts = vec![0u64; k];
    for &l in &fitted.labels {
        counts[l] += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        counts[b].cmp(&counts[a]).then_with(|| {
            lexicographic(
                fitted.centroids.row(a).as_slice().unwrap_or(&[]),
                fitted.centroids.row(b).as_slice().unwrap_or(&[]),
            )
        })
    });
    let centroids: Vec<f64> = order
        .iter()
        .flat_map(|&c| fitted.centroids.row(c).to_vec())
        .collect();
    let mut size = vec![0u64; k];
    let mut sse = vec![0.0f64; k];
    let mut sums = vec![0.0f64; k * d];
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, row) in x.rows().into_iter().enumerate() {
        let (c, dist) = nearest(row.as_slice().unwrap_or(&[]), &centroids);
        size[c] += 1;
        members[c].push(i);
        sse[c] += dist;
        for (sum, column) in sums[c * d..(c + 1) * d].iter_mut().zip(&columns) {
            *sum += column[i];
        }
    }

    let population: Vec<(f64, f64)> = (0..d)
        .map(|j| {
            let column = x.column(j);
            let mean = column.sum() / n as f64;
            let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            (mean, var.sqrt())
        })
        .collect();
    let names: Vec<&str> = data.names.iter().map(String::as_str).collect();
    let rfm_labels = RfmLabeler::new(&names, &columns);
    let segments: Vec<SegmentInfo> = (0..k)
        .map(|c| {
            let centroid = centroids[c * d..(c + 1) * d].to_vec();
            let centroid_original: Vec<f64> = features
                .iter()
                .zip(&centroid)
                .map(|(f, &z)| f.original(z))
                .collect();
            let mean_original = if size[c] == 0 {
                centroid_original.clone()
            } else {
                (0..d).map(|j| sums[c * d + j] / size[c] as f64).collect()
            };
            let label = rfm_labels
                .as_ref()
                .and_then(|l| l.label(&members[c]))
                .map(str::to_string)
                .unwrap_or_else(|| deviation_label(&names, &population, &centroid));
            SegmentInfo {
                size: size[c],
                share: size[c] as f64 / n as f64,
                centroid,
                centroid_original,
                mean_original,
                sse: sse[c],
                label,
            }
        })
        .collect();

    let mut segments = segments;
    disambiguate(&mut segments, &names, &population);

    Ok(SegmentModel {
        format: FORMAT.to_string(),
        format_version: FORMAT_VERSION,
        name: name.to_string(),
        features,
        inertia: sse.iter().sum(),
        segments,
        options: FitOptions {
            k,
            init: options.init.name().to_string(),
            n_init: options.n_init,
            max_iter: options.max_iter,
            tol: options.tol,
            seed: options.seed,
            transform: options.transform.name().to_string(),
            standardize: options.standardize,
            nulls: options.nulls.name().to_string(),
        },
        rows: n as u64,
        skipped_rows: data.skipped_rows,
        n_iter: fitted.n_iter as u64,
        fingerprint,
        created_at_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
        segql_version: env!("CARGO_PKG_VERSION").to_string(),
    })
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

/// The columns with their rows sorted lexicographically (-0.0 counts as 0.0).
///
/// Each row becomes `d` unsigned keys side by side (ordered as `f64::total_cmp` orders the
/// values), so a comparison reads one contiguous row instead of one value per column.
fn canonical_order(columns: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = columns.first().map_or(0, Vec::len);
    let d = columns.len().max(1);
    let mut keys = vec![0u64; n * d];
    for (j, column) in columns.iter().enumerate() {
        for (i, &v) in column.iter().enumerate() {
            keys[i * d + j] = total_order_key(v + 0.0);
        }
    }
    let index = match d {
        1 => sorted_rows::<1>(&keys),
        2 => sorted_rows::<2>(&keys),
        3 => sorted_rows::<3>(&keys),
        4 => sorted_rows::<4>(&keys),
        _ => sorted_rows_any_width(&keys, d),
    };
    columns
        .iter()
        .map(|c| index.iter().map(|&i| c[i as usize] + 0.0).collect())
        .collect()
}

/// The row numbers of `keys` (rows of `D` keys each, flattened) in ascending key order.
/// Rows are sorted as inline arrays, which compares without indirection; equal rows keep
/// their input order.
fn sorted_rows<const D: usize>(keys: &[u64]) -> Vec<u32> {
    let mut rows: Vec<([u64; D], u32)> = keys
        .chunks_exact(D)
        .enumerate()
        .map(|(i, row)| (row.try_into().expect("chunks of D keys"), i as u32))
        .collect();
    rows.sort_unstable();
    rows.into_iter().map(|(_, i)| i).collect()
}

/// [`sorted_rows`] for a width known only at run time.
fn sorted_rows_any_width(keys: &[u64], d: usize) -> Vec<u32> {
    let n = keys.len() / d.max(1);
    let mut index: Vec<u32> = (0..n as u32).collect();
    index.sort_by(|&a, &b| {
        let (a, b) = (a as usize * d, b as usize * d);
        keys[a..a + d].cmp(&keys[b..b + d])
    });
    index
}

/// A feature's fitted preprocessing and its prepared column.
type Prepared = (FeatureModel, Vec<f64>);

/// Each feature's fitted transform and scaler with its prepared column (the values
/// [`FeatureModel::prepare`] gives, computed once). Features are fitted side by side on up to
/// `options.threads` threads, since a Box-Cox search over one skewed feature can take as long
/// as a restart; the first failing feature (in feature order) is the error.
fn prepare_features(
    names: &[String],
    columns: &[Vec<f64>],
    options: &TrainOptions,
) -> Result<Vec<Prepared>, TrainError> {
    let prepare = |j: usize| -> Result<Prepared, TrainError> {
        let (name, column) = (&names[j], &columns[j]);
        let transform = Transform::fit(options.transform, column);
        let mut values: Vec<f64> = column.iter().map(|&x| transform.apply(x)).collect();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(TrainError::NonFinite {
                feature: name.clone(),
                transformed: true,
            });
        }
        let scaler = if options.standardize {
            let scaler =
                Scaler::fit(&values).ok_or_else(|| TrainError::ZeroVariance(name.clone()))?;
            for v in &mut values {
                *v = scaler.apply(*v);
            }
            Some(scaler)
        } else {
            None
        };
        let feature = FeatureModel {
            name: name.clone(),
            transform,
            scaler,
        };
        Ok((feature, values))
    };
    let d = names.len();
    let threads = options.threads.clamp(1, d.max(1));
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

/// An unsigned key that sorts as `f64::total_cmp` sorts `v`: negative values have all their
/// bits flipped, the others only their sign bit.
fn total_order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// FNV-1a (64-bit) over the feature names (byte by byte) and the values in canonical order
/// (one 64-bit word per value), as hex.
fn fingerprint(names: &[String], columns: &[Vec<f64>]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for name in names {
        feed(name.as_bytes());
        feed(&[0]);
    }
    let n = columns.first().map_or(0, Vec::len);
    for i in 0..n {
        for column in columns {
            hash ^= column[i].to_bits();
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn total_order_keys_sort_as_total_cmp() {
        let mut values = vec![
            f64::INFINITY,
            -1.5,
            0.0,
            3.25,
            f64::NEG_INFINITY,
            -0.0,
            1e-300,
            -1e300,
            2.0,
        ];
        let mut by_key = values.clone();
        by_key.sort_by_key(|&v| total_order_key(v));
        values.sort_by(f64::total_cmp);
        assert_eq!(
            by_key.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            values.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        // by hand: the smallest is -inf, then -1e300; -0.0 just before 0.0
        assert_eq!(by_key[0], f64::NEG_INFINITY);
        assert_eq!(by_key[1], -1e300);
        assert!(by_key[3] == 0.0 && by_key[3].is_sign_negative());
    }

    use super::*;

    fn data(columns: Vec<Vec<f64>>) -> FeatureData {
        FeatureData {
            names: (0..columns.len()).map(|j| format!("x{j}")).collect(),
            columns,
            skipped_rows: 0,
        }
    }

    fn plain(k: usize) -> TrainOptions {
        TrainOptions {
            transform: TransformKind::None,
            standardize: false,
            ..TrainOptions::new(k)
        }
    }

    #[test]
    fn fixed_and_run_time_widths_sort_rows_alike() {
        // few distinct values, so many rows tie on their first keys or entirely
        let mut state = 7u64;
        let keys: Vec<u64> = (0..4000)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 61) % 3
            })
            .collect();
        let by_hand = |d: usize| {
            let mut index: Vec<u32> = (0..(keys.len() / d) as u32).collect();
            index.sort_by_key(|&i| keys[i as usize * d..(i as usize + 1) * d].to_vec());
            index
        };
        assert_eq!(sorted_rows::<1>(&keys), by_hand(1));
        assert_eq!(sorted_rows::<2>(&keys), by_hand(2));
        assert_eq!(sorted_rows::<4>(&keys), by_hand(4));
        assert_eq!(sorted_rows_any_width(&keys, 5), by_hand(5));
        assert_eq!(sorted_rows::<3>(&keys[..3999]), by_hand(3));
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
            transform: TransformKind::Log,
            ..TrainOptions::new(2)
        };
        let model = train("m", data(vec![values]), &options).unwrap();
        for s in &model.segments {
            let back = model.features[0].prepare(s.centroid_original[0]);
            assert!((back - s.centroid[0]).abs() < 1e-9);
        }
    }

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
