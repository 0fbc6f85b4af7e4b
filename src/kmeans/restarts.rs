//! `n_init` restarts from different initial centres, keeping the lowest inertia.
//!
//! Each restart draws its own seed from the master generator up front, so a restart's result
//! depends only on its index. With at least as many restarts as threads, restarts run side by
//! side, one per thread (no synchronisation inside a restart); otherwise they run one after
//! the other, each spread over the threads chunk by chunk. Either way the chunks are added in
//! the same order, so the kept result is bit-identical whatever the number of threads.
//!
//! On a large table every restart first seeds and iterates on its own uniform sample of the
//! rows; the centres it reaches are judged by their inertia on one more sample, shared by all
//! restarts so that the judgements compare exactly, and only the [`FINISHED`] best restarts
//! then iterate on all rows (the refinement of initial points by subsampling of Bradley and
//! Fayyad, 1998). The restarts' full-table passes were most of the fit's passes; a restart
//! that is finished runs exactly as it did when every restart was.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::errors::KMeansError;
use super::hyperparams::{Init, KMeansValidParams};
use super::lloyd_hamerly::{Bounds, Converged, inertia, lloyd};
use super::monitor::{FitProgress, Monitor};
use super::rows::{Rows, Width};
use super::seeding::{kmeans_plus_plus, random_init, sample_rows};

/// How many restarts, ranked by their inertia on the shared sample, go on to all rows.
pub(super) const FINISHED: usize = 4;

/// The monitor, with where the fit is.
pub(super) struct Watch<'a> {
    pub monitor: &'a Monitor,
    pub run: usize,
    pub n_init: usize,
    pub best_inertia: Option<f64>,
}

impl Watch<'_> {
    /// Report an iteration (computing the inertia only if someone listens), then fail if the
    /// fit was cancelled.
    pub fn step(&self, iteration: usize, inertia: impl FnOnce() -> f64) -> Result<(), KMeansError> {
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

/// The kept restart: its converged centres and its index.
pub(super) struct Kept {
    pub converged: Converged,
    pub run: usize,
}

/// Scratch space one thread reuses from restart to restart.
#[derive(Default)]
struct Scratch {
    bounds: Bounds,
    closest: Vec<f64>,
    cumulative: Vec<f64>,
    sample: Vec<f64>,
}

/// Run every restart and keep the lowest inertia (ties to the earliest restart). On a table
/// large enough for a sample of at least `sample_min` rows ([`sample_rows`]; pass
/// [`SAMPLE_MIN`](super::seeding::SAMPLE_MIN)), restarts start on a shared sample and only
/// the best [`FINISHED`] of them go on to all rows.
pub(super) fn best_of<W: Width>(
    rows: &Rows<'_, W>,
    params: &KMeansValidParams,
    tol: f64,
    monitor: &Monitor,
    sample_min: usize,
) -> Result<Kept, KMeansError> {
    let n_init = params.n_init();
    let mut master = ChaCha8Rng::seed_from_u64(params.seed());
    let seeds: Vec<u64> = (0..n_init).map(|_| master.next_u64()).collect();
    // the rows every restart's start is judged on (None: the table is too small to sample)
    let mut buffer = Vec::new();
    let judge = sample_rows(
        rows,
        &mut ChaCha8Rng::seed_from_u64(master.next_u64()),
        &mut buffer,
        sample_min,
    );
    let best_so_far = Mutex::new(None::<f64>);
    let watch = |run: usize| Watch {
        monitor,
        run,
        n_init,
        best_inertia: *best_so_far.lock().expect("not poisoned"),
    };
    // a restart's start: initial centres, then Lloyd's iterations on its own sample of the
    // rows when the table is large, else the initial centres on all rows
    let start = |run: usize, rows: &Rows<'_, W>, scratch: &mut Scratch| {
        let mut rng = ChaCha8Rng::seed_from_u64(seeds[run]);
        let Scratch {
            bounds,
            closest,
            cumulative,
            sample,
        } = scratch;
        let sample = sample_rows(rows, &mut rng, sample, sample_min);
        let on = sample.as_ref().unwrap_or(rows);
        let centres = match params.init() {
            Init::KMeansPlusPlus => kmeans_plus_plus(on, params.k(), &mut rng, closest, cumulative),
            Init::Random => random_init(on, params.k(), &mut rng),
        };
        match &sample {
            Some(sample) => lloyd(sample, centres, params.max_iter(), tol, &watch(run), bounds)
                .map(|c| c.centres),
            None => Ok(centres),
        }
    };
    // Lloyd's iterations on all rows from a start
    let finish = |run: usize, centres: Vec<f64>, rows: &Rows<'_, W>, scratch: &mut Scratch| {
        let converged = lloyd(
            rows,
            centres,
            params.max_iter(),
            tol,
            &watch(run),
            &mut scratch.bounds,
        )?;
        let mut best = best_so_far.lock().expect("not poisoned");
        if best.is_none_or(|b| converged.inertia < b) {
            *best = Some(converged.inertia);
        }
        Ok(Kept { converged, run })
    };
    let finished = match &judge {
        None => side_by_side(rows, n_init, |run, rows, scratch| {
            let centres = start(run, rows, scratch)?;
            finish(run, centres, rows, scratch)
        })?,
        Some(judge) => {
            let mut ranked = side_by_side(rows, n_init, |run, rows, scratch| {
                let centres = start(run, rows, scratch)?;
                let score = inertia(&judge.with_threads(rows.threads), &centres);
                Ok((run, centres, score))
            })?;
            ranked.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
            ranked.truncate(FINISHED);
            side_by_side(rows, ranked.len(), |job, rows, scratch| {
                let (run, centres, _) = &ranked[job];
                finish(*run, centres.clone(), rows, scratch)
            })?
        }
    };
    let mut best: Option<Kept> = None;
    for kept in finished {
        let better = best.as_ref().is_none_or(|b| {
            let (new, old) = (kept.converged.inertia, b.converged.inertia);
            new < old || (new == old && kept.run < b.run)
        });
        if better {
            best = Some(kept);
        }
    }
    Ok(best.expect("n_init >= 1"))
}

/// `work(job, rows, scratch)` for every job in `0..jobs`, results in job order (the first
/// failure by job order is the error). With at least as many jobs as threads, jobs run side
/// by side, one per thread, each on single-threaded `rows`; otherwise one after the other on
/// `rows` as given (each pass spread over its threads).
fn side_by_side<W: Width, T: Send>(
    rows: &Rows<'_, W>,
    jobs: usize,
    work: impl Fn(usize, &Rows<'_, W>, &mut Scratch) -> Result<T, KMeansError> + Sync,
) -> Result<Vec<T>, KMeansError> {
    let next = AtomicUsize::new(0);
    // take the next job until none is left or one fails
    let worker = |rows: &Rows<'_, W>| {
        let mut scratch = Scratch::default();
        let mut done = Vec::new();
        loop {
            let job = next.fetch_add(1, Ordering::Relaxed);
            if job >= jobs {
                break;
            }
            let result = work(job, rows, &mut scratch);
            let failed = result.is_err();
            done.push((job, result));
            if failed {
                break;
            }
        }
        done
    };
    let mut done: Vec<(usize, Result<T, KMeansError>)> = if rows.threads > 1 && jobs >= rows.threads
    {
        let alone = rows.with_threads(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..rows.threads)
                .map(|_| scope.spawn(|| worker(&alone)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("k-means restart does not panic"))
                .collect()
        })
    } else {
        worker(rows)
    };
    done.sort_by_key(|(job, _)| *job);
    done.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kmeans::KMeansParams;
    use crate::kmeans::rows::Fixed;
    use crate::kmeans::seeding::SAMPLE_MIN;
    use rand::Rng;
    use rand_distr::{Distribution, Normal};

    /// Overlapping skewed clusters in 3 features (the shape of a scaled RFM table).
    fn overlapping(n: usize) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let noise = Normal::new(0.0, 1.0).unwrap();
        let centres = [
            [0.0, 0.0, 0.0],
            [2.0, 1.0, -1.0],
            [-1.5, 2.5, 1.0],
            [1.0, -2.0, 2.0],
        ];
        let mut x = Vec::with_capacity(n * 3);
        for _ in 0..n {
            let c = centres[rng.random_range(0..centres.len())];
            let spread = if rng.random::<f64>() < 0.2 { 2.5 } else { 0.8 };
            for centre in c {
                x.push(centre + spread * noise.sample(&mut rng));
            }
        }
        x
    }

    #[test]
    fn starting_on_a_sample_costs_no_inertia() {
        // the production threshold scaled down 8 times, so that this runs fast unoptimised
        let sample_min = SAMPLE_MIN / 8;
        let n = 8 * sample_min;
        let x = overlapping(n);
        let rows = Rows {
            x: &x,
            n,
            width: Fixed::<3>,
            threads: 2,
        };
        for (k, seed) in [(3, 5), (8, 5), (8, 6)] {
            let params = KMeansParams::new(k).n_init(10).seed(seed).check().unwrap();
            let tol = params.tol() * rows.mean_variance();
            let monitor = Monitor::new();
            let plain = best_of(&rows, &params, tol, &monitor, usize::MAX).unwrap();
            let coarse = best_of(&rows, &params, tol, &monitor, sample_min).unwrap();
            let excess = coarse.converged.inertia / plain.converged.inertia - 1.0;
            assert!(
                excess < 1e-3,
                "k = {k}, seed {seed}: {excess:+e} relative to plain Lloyd"
            );
        }
    }
}
