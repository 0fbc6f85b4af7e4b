//! Lloyd's K-Means with k-means++ or random initialisation and restarts.
//!
//! Work is split into fixed chunks of rows whose partial results (cluster sums, counts,
//! inertia) are combined in chunk order, so the result is bit-identical whatever the number of
//! threads: threads only decide who computes a chunk, never the order of additions.

use std::collections::HashSet;

use ndarray::{Array2, ArrayView2};
use rand::seq::index::sample;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::errors::KMeansError;
use super::hyperparams::{Init, KMeansValidParams};
use super::monitor::{FitProgress, Monitor};

/// At most this many Hartigan passes over the data (each is sequential; most of the gain
/// comes in the first few).
const HARTIGAN_PASSES: usize = 5;

/// Rows per unit of work.
const CHUNK: usize = 4096;

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
    let data = Data {
        x,
        n,
        d,
        threads: params.threads(),
    };
    let tol = params.tol() * mean_variance(&data);
    let mut master = ChaCha8Rng::seed_from_u64(params.seed());
    let mut best: Option<KMeansFit> = None;
    let n_init = params.n_init();
    for run in 0..n_init {
        if monitor.is_cancelled() {
            return Err(KMeansError::Cancelled);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(master.next_u64());
        let centers = match params.init() {
            Init::KMeansPlusPlus => kmeans_plus_plus(&data, k, &mut rng),
            Init::Random => random_init(&data, k, &mut rng),
        };
        let watch = Watch {
            monitor,
            run,
            n_init,
            best_inertia: best.as_ref().map(|b| b.inertia),
        };
        let mut fit = lloyd(&data, centers, params.max_iter(), tol, &watch)?;
        fit.best_run = run;
        if best.as_ref().is_none_or(|b| fit.inertia < b.inertia) {
            best = Some(fit);
        }
    }
    let best = best.expect("n_init >= 1");
    let watch = Watch {
        monitor,
        run: n_init,
        n_init,
        best_inertia: Some(best.inertia),
    };
    refine(&data, best, params.max_iter(), tol, &watch)
}

/// The monitor, with where the fit is.
struct Watch<'a> {
    monitor: &'a Monitor,
    run: usize,
    n_init: usize,
    best_inertia: Option<f64>,
}

impl Watch<'_> {
    /// Report an iteration (computing the inertia only if someone listens), then fail if the
    /// fit was cancelled.
    fn step(&self, iteration: usize, inertia: impl FnOnce() -> f64) -> Result<(), KMeansError> {
        if self.monitor.wants_progress() {
            self.monitor.report(&FitProgress {
                run: self.run,
                n_init: self.n_init,
                iteration,
                inertia: inertia(),
                best_inertia: self.best_inertia,
                refining: self.run >= self.n_init,
            });
        }
        if self.monitor.is_cancelled() {
            return Err(KMeansError::Cancelled);
        }
        Ok(())
    }
}

/// Hartigan's single-point moves on the kept solution, then Lloyd again: a point moves to
/// another cluster whenever that lowers the inertia once both centroids follow it
/// (`n_b/(n_b+1)·|x−c_b|² < n_a/(n_a−1)·|x−c_a|²`). Every Lloyd fixed point that Hartigan can
/// improve is left for a lower one, so the result is never worse than Lloyd's. Sequential and
/// in row order, so still independent of the thread count.
fn refine(
    data: &Data<'_>,
    fit: KMeansFit,
    max_iter: usize,
    tol: f64,
    watch: &Watch<'_>,
) -> Result<KMeansFit, KMeansError> {
    let (k, d) = fit.centroids.dim();
    if k < 2 {
        return Ok(fit);
    }
    let mut labels = fit.labels.clone();
    let mut counts = vec![0usize; k];
    let mut sums = vec![0.0f64; k * d];
    for (i, &l) in labels.iter().enumerate() {
        counts[l] += 1;
        for (s, v) in sums[l * d..(l + 1) * d].iter_mut().zip(data.row(i)) {
            *s += v;
        }
    }
    let mut centres = vec![0.0f64; k * d];
    let update = |centres: &mut [f64], sums: &[f64], counts: &[usize], c: usize| {
        for j in 0..d {
            centres[c * d + j] = sums[c * d + j] / counts[c].max(1) as f64;
        }
    };
    for c in 0..k {
        update(&mut centres, &sums, &counts, c);
    }
    let mut moved_any = false;
    for pass in 0..max_iter.min(HARTIGAN_PASSES) {
        watch.step(pass + 1, || fit.inertia)?;
        let mut moved = false;
        for (i, label) in labels.iter_mut().enumerate() {
            let a = *label;
            if counts[a] <= 1 {
                continue;
            }
            let row = data.row(i);
            let na = counts[a] as f64;
            let cost_a = squared_distance(row, &centres[a * d..(a + 1) * d]) * na / (na - 1.0);
            let (mut best, mut best_cost) = (a, cost_a);
            for b in (0..k).filter(|&b| b != a) {
                let nb = counts[b] as f64;
                let cost = squared_distance(row, &centres[b * d..(b + 1) * d]) * nb / (nb + 1.0);
                if cost < best_cost {
                    best = b;
                    best_cost = cost;
                }
            }
            // a clear gain only, so rounding can never make two points swap back and forth
            if best != a && best_cost < cost_a * (1.0 - 1e-12) {
                for j in 0..d {
                    sums[a * d + j] -= row[j];
                    sums[best * d + j] += row[j];
                }
                counts[a] -= 1;
                counts[best] += 1;
                update(&mut centres, &sums, &counts, a);
                update(&mut centres, &sums, &counts, best);
                *label = best;
                moved = true;
            }
        }
        if !moved {
            break;
        }
        moved_any = true;
    }
    if !moved_any {
        return Ok(fit);
    }
    let centres = Array2::from_shape_vec((k, d), centres).expect("k x d centres");
    let polished = lloyd(data, centres, max_iter, tol, watch)?;
    Ok(if polished.inertia < fit.inertia {
        KMeansFit {
            best_run: fit.best_run,
            ..polished
        }
    } else {
        fit
    })
}

struct Data<'a> {
    x: &'a [f64],
    n: usize,
    d: usize,
    threads: usize,
}

impl Data<'_> {
    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// Apply `work` to every chunk of rows, in parallel, returning the results in chunk order.
    fn map_chunks<T: Send>(&self, work: impl Fn(std::ops::Range<usize>) -> T + Sync) -> Vec<T> {
        let chunks = self.n.div_ceil(CHUNK);
        let range = |c: usize| c * CHUNK..((c + 1) * CHUNK).min(self.n);
        let threads = self.threads.min(chunks).max(1);
        if threads == 1 {
            return (0..chunks).map(|c| work(range(c))).collect();
        }
        let mut slots: Vec<Option<T>> = (0..chunks).map(|_| None).collect();
        std::thread::scope(|scope| {
            let work = &work;
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        (t..chunks)
                            .step_by(threads)
                            .map(|c| (c, work(range(c))))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for handle in handles {
                for (c, value) in handle.join().expect("k-means worker does not panic") {
                    slots[c] = Some(value);
                }
            }
        });
        slots
            .into_iter()
            .map(|s| s.expect("every chunk computed"))
            .collect()
    }
}

/// Squared Euclidean distance between two points of the same dimension.
pub fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The nearest of the `centroids` (k rows of `row.len()` values, flattened row by row) to
/// `row`, and its squared distance; ties go to the lowest index. Fitting and scoring both use
/// this function, so scoring the training data reproduces the training labels exactly.
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
fn count_distinct_rows(x: &[f64], d: usize, limit: usize) -> usize {
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

/// The mean over features of the (population) variance: scikit-learn's scale for `tol`.
fn mean_variance(data: &Data<'_>) -> f64 {
    let n = data.n as f64;
    let mut total = 0.0;
    for j in 0..data.d {
        let mean = (0..data.n).map(|i| data.x[i * data.d + j]).sum::<f64>() / n;
        let var = (0..data.n)
            .map(|i| (data.x[i * data.d + j] - mean).powi(2))
            .sum::<f64>()
            / n;
        total += var;
    }
    total / data.d.max(1) as f64
}

fn random_init(data: &Data<'_>, k: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let mut centers = Array2::zeros((k, data.d));
    for (c, i) in sample(rng, data.n, k).into_iter().enumerate() {
        centers.row_mut(c).assign(&ndarray::aview1(data.row(i)));
    }
    centers
}

/// Greedy k-means++: each new centre is the best of `2 + ln k` candidates drawn with
/// probability proportional to the squared distance to the nearest chosen centre.
fn kmeans_plus_plus(data: &Data<'_>, k: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let trials = 2 + (k as f64).ln() as usize;
    let mut centers = Array2::zeros((k, data.d));
    let first = rng.random_range(0..data.n);
    centers.row_mut(0).assign(&ndarray::aview1(data.row(first)));
    let first_row = data.row(first).to_vec();
    let mut closest: Vec<f64> = data
        .map_chunks(|r| {
            r.map(|i| squared_distance(data.row(i), &first_row))
                .collect::<Vec<_>>()
        })
        .concat();
    let mut potential: f64 = closest.iter().sum();
    for c in 1..k {
        let mut cumulative = Vec::with_capacity(data.n);
        let mut running = 0.0;
        for v in &closest {
            running += v;
            cumulative.push(running);
        }
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let target = rng.random::<f64>() * potential;
                cumulative.partition_point(|&s| s <= target).min(data.n - 1)
            })
            .collect();
        // the potential each candidate would leave, summed chunk by chunk in order
        let per_chunk = data.map_chunks(|r| {
            candidates
                .iter()
                .map(|&cand| {
                    let center = data.row(cand);
                    r.clone()
                        .map(|i| closest[i].min(squared_distance(data.row(i), center)))
                        .sum::<f64>()
                })
                .collect::<Vec<f64>>()
        });
        let totals: Vec<f64> = (0..trials)
            .map(|t| per_chunk.iter().map(|chunk| chunk[t]).sum())
            .collect();
        let best = (0..trials)
            .min_by(|&a, &b| totals[a].total_cmp(&totals[b]))
            .expect("at least two trials");
        let chosen = data.row(candidates[best]).to_vec();
        for (i, slot) in closest.iter_mut().enumerate() {
            *slot = slot.min(squared_distance(data.row(i), &chosen));
        }
        potential = totals[best];
        centers.row_mut(c).assign(&ndarray::aview1(&chosen));
    }
    centers
}

/// One assignment pass: labels, distances and per-cluster sums for a chunk.
struct Pass {
    labels: Vec<usize>,
    distances: Vec<f64>,
    sums: Vec<f64>,
    counts: Vec<usize>,
}

fn assign(data: &Data<'_>, centers: &Array2<f64>) -> Pass {
    let k = centers.nrows();
    let d = data.d;
    let flat = centers.as_slice().expect("centres are contiguous");
    let parts = data.map_chunks(|r| {
        let mut part = Pass {
            labels: Vec::with_capacity(r.len()),
            distances: Vec::with_capacity(r.len()),
            sums: vec![0.0; k * d],
            counts: vec![0; k],
        };
        for i in r {
            let row = data.row(i);
            let (best, best_d) = nearest(row, flat);
            part.labels.push(best);
            part.distances.push(best_d);
            part.counts[best] += 1;
            for (s, v) in part.sums[best * d..(best + 1) * d].iter_mut().zip(row) {
                *s += v;
            }
        }
        part
    });
    let mut pass = Pass {
        labels: Vec::with_capacity(data.n),
        distances: Vec::with_capacity(data.n),
        sums: vec![0.0; k * d],
        counts: vec![0; k],
    };
    for part in parts {
        pass.labels.extend(part.labels);
        pass.distances.extend(part.distances);
        for (s, v) in pass.sums.iter_mut().zip(&part.sums) {
            *s += v;
        }
        for (s, v) in pass.counts.iter_mut().zip(&part.counts) {
            *s += v;
        }
    }
    pass
}

fn lloyd(
    data: &Data<'_>,
    mut centers: Array2<f64>,
    max_iter: usize,
    tol: f64,
    watch: &Watch<'_>,
) -> Result<KMeansFit, KMeansError> {
    let (k, d) = centers.dim();
    let mut previous: Option<Vec<usize>> = None;
    let mut n_iter = 0;
    for _ in 0..max_iter {
        n_iter += 1;
        let pass = assign(data, &centers);
        watch.step(n_iter, || pass.distances.iter().sum())?;
        let mut next = Array2::zeros((k, d));
        for c in 0..k {
            if pass.counts[c] > 0 {
                for j in 0..d {
                    next[[c, j]] = pass.sums[c * d + j] / pass.counts[c] as f64;
                }
            }
        }
        relocate_empty_clusters(data, &pass, &mut next);
        let shift: f64 = (0..k)
            .map(|c| {
                squared_distance(
                    next.row(c).as_slice().unwrap_or(&[]),
                    centers.row(c).as_slice().unwrap_or(&[]),
                )
            })
            .sum();
        let unchanged = previous.as_ref() == Some(&pass.labels);
        centers = next;
        previous = Some(pass.labels);
        if unchanged || shift <= tol {
            break;
        }
    }
    // A last assignment, so labels and inertia match the final centres.
    let pass = assign(data, &centers);
    let inertia = pass.distances.iter().sum();
    Ok(KMeansFit {
        centroids: centers,
        labels: pass.labels,
        inertia,
        n_iter,
        best_run: 0,
    })
}

/// Move each empty cluster onto the point farthest from its centre (distinct points for
/// distinct clusters), as scikit-learn does.
fn relocate_empty_clusters(data: &Data<'_>, pass: &Pass, centers: &mut Array2<f64>) {
    let empty: Vec<usize> = (0..centers.nrows())
        .filter(|&c| pass.counts[c] == 0)
        .collect();
    if empty.is_empty() {
        return;
    }
    let mut order: Vec<usize> = (0..data.n).collect();
    order.sort_by(|&a, &b| {
        pass.distances[b]
            .total_cmp(&pass.distances[a])
            .then(a.cmp(&b))
    });
    for (c, i) in empty.into_iter().zip(order) {
        centers.row_mut(c).assign(&ndarray::aview1(data.row(i)));
    }
}
