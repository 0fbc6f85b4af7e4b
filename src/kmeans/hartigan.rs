//! Hartigan's single-point moves, to polish the kept Lloyd solution.

use ndarray::Array2;

use super::algorithm::KMeansFit;
use super::errors::KMeansError;
use super::lloyd_hamerly::{Bounds, labels, lloyd};
use super::restarts::Watch;
use super::rows::{Rows, Width};

/// At most this many Hartigan passes over the data (each is sequential; most of the gain
/// comes in the first few).
const HARTIGAN_PASSES: usize = 5;

/// Hartigan's single-point moves on the kept solution, then Lloyd again: a point moves to
/// another cluster whenever that lowers the inertia once both centroids follow it
/// (`n_b/(n_b+1)·|x−c_b|² < n_a/(n_a−1)·|x−c_a|²`). Every Lloyd fixed point that Hartigan can
/// improve is left for a lower one, so the result is never worse than Lloyd's. Sequential and
/// in row order, so still independent of the thread count.
pub(super) fn refine<W: Width>(
    rows: &Rows<'_, W>,
    fit: KMeansFit,
    max_iter: usize,
    tol: f64,
    watch: &Watch<'_>,
) -> Result<KMeansFit, KMeansError> {
    let (k, d) = fit.centroids.dim();
    if k < 2 {
        return Ok(fit);
    }
    let mut labels_now = fit.labels.clone();
    let mut counts = vec![0usize; k];
    let mut sums = vec![0.0f64; k * d];
    for (i, &l) in labels_now.iter().enumerate() {
        counts[l] += 1;
        for (s, v) in sums[l * d..(l + 1) * d].iter_mut().zip(rows.row(i)) {
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
        for (i, label) in labels_now.iter_mut().enumerate() {
            let a = *label;
            if counts[a] <= 1 {
                continue;
            }
            let row = rows.row(i);
            let na = counts[a] as f64;
            let cost_a = rows.distance(row, rows.centre(&centres, a)) * na / (na - 1.0);
            let (mut best, mut best_cost) = (a, cost_a);
            for b in (0..k).filter(|&b| b != a) {
                let nb = counts[b] as f64;
                let cost = rows.distance(row, rows.centre(&centres, b)) * nb / (nb + 1.0);
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
    let polished = lloyd(rows, centres, max_iter, tol, watch, &mut Bounds::default())?;
    if polished.inertia >= fit.inertia {
        return Ok(fit);
    }
    let (labels, inertia) = labels(rows, &polished.centres);
    Ok(KMeansFit {
        centroids: Array2::from_shape_vec((k, d), polished.centres).expect("k x d centres"),
        labels,
        inertia,
        n_iter: polished.n_iter,
        best_run: fit.best_run,
    })
}
