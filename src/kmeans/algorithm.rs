//! Lloyd's K-Means with k-means++ or random initialisation, restarts, and Hartigan's polish.
//!
//! Work is split into fixed chunks of rows whose partial results (cluster sums, counts,
//! inertia) are combined in chunk order, so the result is bit-identical whatever the number of
//! threads: threads only decide who computes a chunk or a restart, never the order of
//! additions (see `rows` and `restarts`).

use std::collections::HashSet;

use ndarray::{Array2, ArrayView2};

use super::errors::KMeansError;
use super::hartigan::refine;
use super::hyperparams::KMeansValidParams;
use super::lloyd_hamerly::labels;
use super::monitor::Monitor;
use super::restarts::{Watch, best_of};
use super::rows::{Dynamic, Fixed, Rows, Width};
use super::seeding::SAMPLE_MIN;

/// A fitted K-Means model.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansFit {
    /// k × d centroids.
    pub centroids: Array2<f64>,
    /// The cluster of each row.
    pub labels: Vec<usize>,
    /// Sum of squared distances from each row to its centroid.
    pub inertia: f64,
    /// Lloyd iterations of the kept restart.
    pub n_iter: usize,
    /// Which restart (0-based) was kept.
    pub best_run: usize,
}

/// Fit `data` (n rows × d features).
pub fn fit(
    params: &KMeansValidParams,
    data: ArrayView2<'_, f64>,
) -> Result<KMeansFit, KMeansError> {
    fit_monitored(params, data, &Monitor::new())
}

/// [`fit`], reporting progress to `monitor` after every iteration and stopping with
/// [`KMeansError::Cancelled`] once it is cancelled. Watching never changes the result.
pub fn fit_monitored(
    params: &KMeansValidParams,
    data: ArrayView2<'_, f64>,
    monitor: &Monitor,
) -> Result<KMeansFit, KMeansError> {
    let owned;
    let data = if data.is_standard_layout() {
        data
    } else {
        owned = data.as_standard_layout().into_owned();
        owned.view()
    };
    let (n, d) = data.dim();
    if n == 0 {
        return Err(KMeansError::Empty);
    }
    let x = data.as_slice().expect("standard layout is contiguous");
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(KMeansError::NonFinite {
            row: i / d.max(1),
            feature: i % d.max(1),
        });
    }
    let k = params.k();
    let distinct = count_distinct_rows(x, d, k);
    if distinct < k {
        return Err(KMeansError::TooFewPoints { k, distinct });
    }
    let threads = params.threads();
    // the common widths get loops unrolled at compile time
    macro_rules! fit_with {
        ($($d:literal),*) => {
            match d {
                $($d => fit_rows(Rows { x, n, width: Fixed::<$d>, threads }, params, monitor),)*
                _ => fit_rows(Rows { x, n, width: Dynamic(d), threads }, params, monitor),
            }
        };
    }
    fit_with!(1, 2, 3, 4, 5, 6, 7, 8)
}

/// The restarts, the exact labels of the kept one, and Hartigan's polish.
fn fit_rows<W: Width>(
    rows: Rows<'_, W>,
    params: &KMeansValidParams,
    monitor: &Monitor,
) -> Result<KMeansFit, KMeansError> {
    let tol = params.tol() * rows.mean_variance();
    let kept = best_of(&rows, params, tol, monitor, SAMPLE_MIN)?;
    let (labels, inertia) = labels(&rows, &kept.converged.centres);
    let (k, d) = (params.k(), rows.d());
    let fit = KMeansFit {
        centroids: Array2::from_shape_vec((k, d), kept.converged.centres).expect("k x d centres"),
        labels,
        inertia,
        n_iter: kept.converged.n_iter,
        best_run: kept.run,
    };
    let watch = Watch {
        monitor,
        run: params.n_init(),
        n_init: params.n_init(),
        best_inertia: Some(fit.inertia),
    };
    refine(&rows, fit, params.max_iter(), tol, &watch)
}

/// Squared Euclidean distance between two points of the same dimension.
pub fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The nearest of the `centroids` (k rows of `row.len()` values, flattened row by row) to
/// `row`, and its squared distance; ties go to the lowest index. Fitting computes the same
/// distances with the same additions in the same order (its loops are only unrolled for
/// small widths), so scoring the training data reproduces the training labels exactly.
pub fn nearest(row: &[f64], centroids: &[f64]) -> (usize, f64) {
    let d = row.len().max(1);
    let (mut best, mut best_d) = (0, f64::INFINITY);
    for (c, centre) in centroids.chunks_exact(d).enumerate() {
        let dist = squared_distance(row, centre);
        if dist < best_d {
            best = c;
            best_d = dist;
        }
    }
    (best, best_d)
}

/// Distinct rows, counting no further than `limit`.
pub(crate) fn count_distinct_rows(x: &[f64], d: usize, limit: usize) -> usize {
    let mut seen = HashSet::new();
    for row in x.chunks_exact(d.max(1)) {
        // -0.0 and 0.0 are the same point
        let key: Vec<u64> = row.iter().map(|v| (v + 0.0).to_bits()).collect();
        seen.insert(key);
        if seen.len() >= limit {
            break;
        }
    }
    seen.len()
}
