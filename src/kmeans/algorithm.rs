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

    /// Apply `work` to every chunk of rows and its slices of three per-row arrays, in
    /// parallel, returning the results in chunk order.
    fn update_chunks<T: Send>(
        &self,
        labels: &mut [usize],
        upper: &mut [f64],
        lower: &mut [f64],
        work: &(impl Fn(usize, &mut [usize], &mut [f64], &mut [f64]) -> T + Sync),
    ) -> Vec<T> {
        let jobs = labels
            .chunks_mut(CHUNK)
            .zip(upper.chunks_mut(CHUNK))
            .zip(lower.chunks_mut(CHUNK))
            .map(|((l, u), w)| (l, u, w))
            .collect();
        self.spread(jobs, |c, (l, u, w)| work(c * CHUNK, l, u, w))
    }

    /// Apply `work` to every chunk of rows, in parallel, returning the results in chunk order.
    fn map_chunks<T: Send>(&self, work: impl Fn(std::ops::Range<usize>) -> T + Sync) -> Vec<T> {
        let jobs = vec![(); self.n.div_ceil(CHUNK)];
        self.spread(jobs, |c, ()| work(c * CHUNK..((c + 1) * CHUNK).min(self.n)))
    }

    /// Run `work(index, job)` for every job, job `i` on thread `i % threads`, and return the
    /// results in job order.
    fn spread<J: Send, T: Send>(
        &self,
        jobs: Vec<J>,
        work: impl Fn(usize, J) -> T + Sync,
    ) -> Vec<T> {
        let count = jobs.len();
        let threads = self.threads.min(count).max(1);
        if threads == 1 {
            return jobs
                .into_iter()
                .enumerate()
                .map(|(c, j)| work(c, j))
                .collect();
        }
        let mut shares: Vec<Vec<(usize, J)>> = (0..threads).map(|_| Vec::new()).collect();
        for (c, job) in jobs.into_iter().enumerate() {
            shares[c % threads].push((c, job));
        }
        let mut slots: Vec<Option<T>> = (0..count).map(|_| None).collect();
        std::thread::scope(|scope| {
            let work = &work;
            let handles: Vec<_> = shares
                .into_iter()
                .map(|share| {
                    scope.spawn(move || {
                        share
                            .into_iter()
                            .map(|(c, job)| (c, work(c, job)))
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
        // the distances each candidate would leave, and their sum, chunk by chunk in order
        let per_chunk = data.map_chunks(|r| {
            candidates
                .iter()
                .map(|&cand| {
                    let center = data.row(cand);
                    let left: Vec<f64> = r
                        .clone()
                        .map(|i| closest[i].min(squared_distance(data.row(i), center)))
                        .collect();
                    let total = left.iter().sum::<f64>();
                    (left, total)
                })
                .collect::<Vec<_>>()
        });
        let totals: Vec<f64> = (0..trials)
            .map(|t| per_chunk.iter().map(|chunk| chunk[t].1).sum())
            .collect();
        let best = (0..trials)
            .min_by(|&a, &b| totals[a].total_cmp(&totals[b]))
            .expect("at least two trials");
        // the kept candidate's distances are the new nearest-centre distances
        closest.clear();
        for mut chunk in per_chunk {
            closest.append(&mut chunk.swap_remove(best).0);
        }
        let chosen = data.row(candidates[best]).to_vec();
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

/// Lloyd's iterations, with Hamerly's bounds to skip distance computations.
///
/// Every point keeps an upper bound on the distance to its centre and a lower bound on the
/// distance to any other centre. When the centres move, the bounds move by at most the shifts;
/// a point whose upper bound stays below both its lower bound and half the distance from its
/// centre to the nearest other centre cannot change cluster, and costs no distance at all.
/// The labels are exactly Lloyd's (the bounds only skip work whose outcome is known), and the
/// cluster sums are added in the same chunk order, so the result does not depend on threads.
fn lloyd(
    data: &Data<'_>,
    mut centers: Array2<f64>,
    max_iter: usize,
    tol: f64,
    watch: &Watch<'_>,
) -> Result<KMeansFit, KMeansError> {
    let (k, d) = centers.dim();
    let mut state = Bounds::new(data.n);
    let mut parts = state.update(data, &centers, None);
    let mut changed = true;
    let mut n_iter = 0;
    for first in (0..max_iter).map(|i| i == 0) {
        n_iter += 1;
        let (sums, counts) = combine(&parts, k, d);
        if watch.monitor.wants_progress() {
            let pass = assign(data, &centers);
            watch.step(n_iter, || pass.distances.iter().sum())?;
        } else {
            watch.step(n_iter, || 0.0)?;
        }
        let mut next = Array2::zeros((k, d));
        for c in 0..k {
            if counts[c] > 0 {
                for j in 0..d {
                    next[[c, j]] = sums[c * d + j] / counts[c] as f64;
                }
            }
        }
        if counts.contains(&0) {
            relocate_empty_clusters(data, &assign(data, &centers), &mut next);
        }
        let moves: Vec<f64> = (0..k)
            .map(|c| {
                squared_distance(
                    next.row(c).as_slice().unwrap_or(&[]),
                    centers.row(c).as_slice().unwrap_or(&[]),
                )
            })
            .collect();
        let shift: f64 = moves.iter().sum();
        let unchanged = !first && !changed;
        centers = next;
        if unchanged || shift <= tol {
            break;
        }
        let moves: Vec<f64> = moves.iter().map(|m| m.sqrt()).collect();
        parts = state.update(data, &centers, Some(&moves));
        changed = parts.iter().any(|p| p.changed);
    }
    // A last exact assignment, so labels and inertia match the final centres.
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

/// Hamerly's per-point state: label, upper bound on the distance to its centre, lower bound on
/// the distance to every other centre (plain distances, not squared).
struct Bounds {
    labels: Vec<usize>,
    upper: Vec<f64>,
    lower: Vec<f64>,
}

/// One chunk's share of an update: cluster sums and counts, and whether any label changed.
struct ChunkSums {
    sums: Vec<f64>,
    counts: Vec<usize>,
    changed: bool,
}

/// Bounds are trusted only with this relative margin, so rounding in the running bounds can
/// never keep a point in the wrong cluster.
const BOUND_SLACK: f64 = 1e-9;

impl Bounds {
    fn new(n: usize) -> Self {
        Self {
            labels: vec![0; n],
            upper: vec![f64::INFINITY; n],
            lower: vec![0.0; n],
        }
    }

    /// Assign every point to its nearest centre, after the centres moved by `moves` (None:
    /// the first assignment, every distance computed), and sum the clusters chunk by chunk.
    fn update(
        &mut self,
        data: &Data<'_>,
        centers: &Array2<f64>,
        moves: Option<&[f64]>,
    ) -> Vec<ChunkSums> {
        let (k, d) = centers.dim();
        let flat = centers.as_slice().expect("centres are contiguous");
        // half the distance from each centre to its nearest other centre
        let half_gap: Vec<f64> = (0..k)
            .map(|c| {
                let own = &flat[c * d..(c + 1) * d];
                (0..k)
                    .filter(|&o| o != c)
                    .map(|o| squared_distance(own, &flat[o * d..(o + 1) * d]))
                    .fold(f64::INFINITY, f64::min)
                    .sqrt()
                    / 2.0
            })
            .collect();
        // the largest move, and the largest among the other centres for the one that made it
        let (mut top, mut top_c, mut second) = (0.0f64, usize::MAX, 0.0f64);
        for (c, &m) in moves.unwrap_or(&[]).iter().enumerate() {
            if m > top {
                second = top;
                top = m;
                top_c = c;
            } else if m > second {
                second = m;
            }
        }
        let step =
            |first_row: usize, labels: &mut [usize], upper: &mut [f64], lower: &mut [f64]| {
                let mut part = ChunkSums {
                    sums: vec![0.0; k * d],
                    counts: vec![0; k],
                    changed: false,
                };
                for i in 0..labels.len() {
                    let row = data.row(first_row + i);
                    let mut a = labels[i];
                    let full = match moves {
                        None => true,
                        Some(moves) => {
                            upper[i] += moves[a];
                            lower[i] -= if a == top_c { second } else { top };
                            let bound = half_gap[a].max(lower[i]);
                            if upper[i] * (1.0 + BOUND_SLACK) < bound {
                                false
                            } else {
                                upper[i] = squared_distance(row, &flat[a * d..(a + 1) * d]).sqrt();
                                upper[i] * (1.0 + BOUND_SLACK) >= bound
                            }
                        }
                    };
                    if full {
                        let (best, best_d, second_d) = two_nearest(row, flat);
                        if best != a {
                            part.changed = true;
                            a = best;
                            labels[i] = best;
                        }
                        upper[i] = best_d.sqrt();
                        lower[i] = second_d.sqrt();
                    }
                    part.counts[a] += 1;
                    for (s, v) in part.sums[a * d..(a + 1) * d].iter_mut().zip(row) {
                        *s += v;
                    }
                }
                part
            };
        data.update_chunks(&mut self.labels, &mut self.upper, &mut self.lower, &step)
    }
}

/// The nearest centre (ties to the lowest index, as [`nearest`]), its squared distance, and
/// the squared distance to the second nearest.
fn two_nearest(row: &[f64], centroids: &[f64]) -> (usize, f64, f64) {
    let d = row.len().max(1);
    let (mut best, mut best_d, mut second_d) = (0, f64::INFINITY, f64::INFINITY);
    for (c, centre) in centroids.chunks_exact(d).enumerate() {
        let dist = squared_distance(row, centre);
        if dist < best_d {
            second_d = best_d;
            best = c;
            best_d = dist;
        } else if dist < second_d {
            second_d = dist;
        }
    }
    (best, best_d, second_d)
}

/// Cluster sums and counts, added chunk by chunk in order.
fn combine(parts: &[ChunkSums], k: usize, d: usize) -> (Vec<f64>, Vec<usize>) {
    let mut sums = vec![0.0; k * d];
    let mut counts = vec![0; k];
    for part in parts {
        for (s, v) in sums.iter_mut().zip(&part.sums) {
            *s += v;
        }
        for (s, v) in counts.iter_mut().zip(&part.counts) {
            *s += v;
        }
    }
    (sums, counts)
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
