//! Initial centres: greedy k-means++ or k distinct random rows, found on a uniform sample of
//! the rows when there are many.

use rand::seq::index::sample;
use rand::{Rng, RngCore};

use super::rows::{Rows, Width};

/// Data sets with at least this many rows per sampled row start each restart on a sample.
const SAMPLE_EVERY: usize = 8;

/// ... and the sample has at least this many rows.
pub(super) const SAMPLE_MIN: usize = 20_000;

/// A uniform sample of one row in [`SAMPLE_EVERY`] (in row order, copied into `buffer`), or
/// None when that would be fewer than `min` rows ([`SAMPLE_MIN`] outside tests).
///
/// Every restart seeds and runs Lloyd's iterations on the sample first (one sample, shared),
/// and the best of them continue on all rows from the sample's centres: on a large table the
/// first iterations (where the centres still move far and the bounds skip little) cost an
/// eighth, and the last ones, on all rows, converge to a Lloyd fixed point of the whole table
/// under the same tolerance.
pub(super) fn sample_rows<'b, W: Width>(
    rows: &Rows<'_, W>,
    rng: &mut impl RngCore,
    buffer: &'b mut Vec<f64>,
    min: usize,
) -> Option<Rows<'b, W>> {
    let size = rows.n / SAMPLE_EVERY;
    if size < min.max(1) {
        return None;
    }
    let mut picked = sample(rng, rows.n, size).into_vec();
    picked.sort_unstable();
    buffer.clear();
    for i in picked {
        buffer.extend_from_slice(rows.row(i));
    }
    Some(Rows {
        x: buffer,
        n: size,
        ..*rows
    })
}

/// k rows drawn at random (flattened, k × d).
pub(super) fn random_init<W: Width>(
    rows: &Rows<'_, W>,
    k: usize,
    rng: &mut impl RngCore,
) -> Vec<f64> {
    let mut centres = Vec::with_capacity(k * rows.d());
    for i in sample(rng, rows.n, k) {
        centres.extend_from_slice(rows.row(i));
    }
    centres
}

/// Greedy k-means++ (flattened, k × d): each new centre is the best of `2 + ln k` candidates
/// drawn with probability proportional to the squared distance to the nearest chosen centre,
/// "best" being the candidate that leaves the smallest sum of those distances.
///
/// `closest` and `cumulative` are scratch space of any length (kept between restarts).
pub(super) fn kmeans_plus_plus<W: Width>(
    rows: &Rows<'_, W>,
    k: usize,
    rng: &mut impl RngCore,
    closest: &mut Vec<f64>,
    cumulative: &mut Vec<f64>,
) -> Vec<f64> {
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = Vec::with_capacity(k * rows.d());
    let first = rows.row(rng.random_range(0..rows.n));
    centres.extend_from_slice(first);
    closest.clear();
    closest.resize(rows.n, 0.0);
    let mut potential: f64 = rows
        .map_chunks_mut(closest, |start, slice| {
            let mut total = 0.0;
            for (i, v) in slice.iter_mut().enumerate() {
                *v = rows.distance(rows.row(start + i), first);
                total += *v;
            }
            total
        })
        .iter()
        .sum();
    for _ in 1..k {
        cumulative.clear();
        let mut running = 0.0;
        cumulative.extend(closest.iter().map(|v| {
            running += v;
            running
        }));
        let candidates: Vec<&[f64]> = (0..trials)
            .map(|_| {
                let target = rng.random::<f64>() * potential;
                let i = cumulative.partition_point(|&s| s <= target).min(rows.n - 1);
                rows.row(i)
            })
            .collect();
        // the sum of distances each candidate would leave, chunk by chunk in order
        let per_chunk = rows.map_chunks(|range| {
            let mut totals = vec![0.0; trials];
            for i in range {
                let row = rows.row(i);
                for (total, cand) in totals.iter_mut().zip(&candidates) {
                    *total += closest[i].min(rows.distance(row, cand));
                }
            }
            totals
        });
        let totals: Vec<f64> = (0..trials)
            .map(|t| per_chunk.iter().map(|chunk| chunk[t]).sum())
            .collect();
        let best = (0..trials)
            .min_by(|&a, &b| totals[a].total_cmp(&totals[b]))
            .expect("at least two trials");
        let chosen = candidates[best];
        rows.map_chunks_mut(closest, |start, slice| {
            for (i, v) in slice.iter_mut().enumerate() {
                *v = v.min(rows.distance(rows.row(start + i), chosen));
            }
        });
        potential = totals[best];
        centres.extend_from_slice(chosen);
    }
    centres
}
