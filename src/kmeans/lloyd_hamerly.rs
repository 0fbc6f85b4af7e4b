//! Lloyd's iterations with Hamerly's bounds, and exact assignment passes.

use super::errors::KMeansError;
use super::restarts::Watch;
use super::rows::{Rows, Width};

/// Bounds are trusted only with this relative margin, so rounding in the running bounds can
/// never keep a point in the wrong cluster.
const BOUND_SLACK: f64 = 1e-9;

/// Up to this many centres a pass computes every distance and keeps no bounds.
const EVERY_DISTANCE_MAX_K: usize = 3;

/// Centres after Lloyd's iterations (flattened, k × d), their inertia and the iterations run.
pub(super) struct Converged {
    pub centres: Vec<f64>,
    pub inertia: f64,
    pub n_iter: usize,
}

/// Lloyd's iterations from `centres` until they move by at most `tol` (summed squared
/// shifts, as scikit-learn), no label changes, or `max_iter`.
///
/// Every point keeps an upper bound on the distance to its centre and a lower bound on the
/// distance to any other centre. When the centres move, the bounds move by at most the shifts;
/// a point whose upper bound stays below both its lower bound and half the distance from its
/// centre to the nearest other centre cannot change cluster, and costs no distance at all.
/// The labels are exactly Lloyd's (the bounds only skip work whose outcome is known), and the
/// cluster sums are added in the same chunk order, so the result does not depend on threads.
///
/// `state` is the per-point scratch space (any previous content is overwritten), kept by the
/// caller so that restarts reuse its memory.
pub(super) fn lloyd<W: Width>(
    rows: &Rows<'_, W>,
    mut centres: Vec<f64>,
    max_iter: usize,
    tol: f64,
    watch: &Watch<'_>,
    state: &mut Bounds,
) -> Result<Converged, KMeansError> {
    let d = rows.d();
    let k = centres.len() / d.max(1);
    state.resize(rows.n, k);
    let mut parts = state.update(rows, &centres, None);
    let mut changed = true;
    let mut n_iter = 0;
    for first in (0..max_iter).map(|i| i == 0) {
        n_iter += 1;
        let (sums, counts) = combine(&parts, k, d);
        watch.step(n_iter, || inertia(rows, &centres))?;
        let mut next = vec![0.0; k * d];
        for c in 0..k {
            if counts[c] > 0 {
                for j in 0..d {
                    next[c * d + j] = sums[c * d + j] / counts[c] as f64;
                }
            }
        }
        if counts.contains(&0) {
            relocate_empty_clusters(rows, &centres, &counts, &mut next);
        }
        let moves: Vec<f64> = (0..k)
            .map(|c| rows.distance(rows.centre(&next, c), rows.centre(&centres, c)))
            .collect();
        let shift: f64 = moves.iter().sum();
        let unchanged = !first && !changed;
        centres = next;
        if unchanged || shift <= tol {
            break;
        }
        let moves: Vec<f64> = moves.iter().map(|m| m.sqrt()).collect();
        parts = state.update(rows, &centres, Some(&moves));
        changed = parts.iter().any(|p| p.changed);
    }
    // the inertia of the final centres, from an exact assignment
    let inertia = inertia(rows, &centres);
    Ok(Converged {
        centres,
        inertia,
        n_iter,
    })
}

/// The sum of squared distances from every row to its nearest centre, chunk by chunk in order
/// (the same sum as [`labels`] gives).
pub(super) fn inertia<W: Width>(rows: &Rows<'_, W>, centres: &[f64]) -> f64 {
    rows.map_chunks(|range| {
        range
            .map(|i| rows.nearest(rows.row(i), centres).1)
            .sum::<f64>()
    })
    .iter()
    .sum()
}

/// The nearest centre of every row, and the inertia.
pub(super) fn labels<W: Width>(rows: &Rows<'_, W>, centres: &[f64]) -> (Vec<usize>, f64) {
    let mut labels = vec![0; rows.n];
    let inertia = rows
        .map_chunks_mut(&mut labels, |start, slice| {
            let mut total = 0.0;
            for (i, label) in slice.iter_mut().enumerate() {
                let (c, dist) = rows.nearest(rows.row(start + i), centres);
                *label = c;
                total += dist;
            }
            total
        })
        .iter()
        .sum();
    (labels, inertia)
}

/// Hamerly's per-point state: label, upper bound on the distance to its centre, lower bound on
/// the distance to every other centre (plain distances, not squared).
#[derive(Default)]
pub(super) struct Bounds {
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

impl Bounds {
    /// Room for `n` points among `k` centres (the first update overwrites every value); no
    /// bounds where every distance is computed ([`Bounds::update`]).
    fn resize(&mut self, n: usize, k: usize) {
        self.labels.resize(n, 0);
        let bounded = if k > EVERY_DISTANCE_MAX_K { n } else { 0 };
        self.upper.resize(bounded, f64::INFINITY);
        self.lower.resize(bounded, 0.0);
    }

    /// Assign every point to its nearest centre, after the centres moved by `moves` (None:
    /// the first assignment, every distance computed), and sum the clusters chunk by chunk.
    fn update<W: Width>(
        &mut self,
        rows: &Rows<'_, W>,
        centres: &[f64],
        moves: Option<&[f64]>,
    ) -> Vec<ChunkSums> {
        let d = rows.d();
        let k = centres.len() / d.max(1);
        match k {
            1 => self.every_distance::<1, W>(rows, centres),
            2 => self.every_distance::<2, W>(rows, centres),
            3 => self.every_distance::<3, W>(rows, centres),
            _ => self.bounded(rows, centres, moves),
        }
    }

    /// [`Bounds::update`] with Hamerly's bounds: a point whose bounds show that its centre is
    /// still the nearest costs no distance.
    fn bounded<W: Width>(
        &mut self,
        rows: &Rows<'_, W>,
        centres: &[f64],
        moves: Option<&[f64]>,
    ) -> Vec<ChunkSums> {
        let d = rows.d();
        let k = centres.len() / d.max(1);
        // half the distance from each centre to its nearest other centre
        let half_gap: Vec<f64> = (0..k)
            .map(|c| {
                (0..k)
                    .filter(|&o| o != c)
                    .map(|o| rows.distance(rows.centre(centres, c), rows.centre(centres, o)))
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
        let step = |start: usize, labels: &mut [usize], upper: &mut [f64], lower: &mut [f64]| {
            let mut part = ChunkSums {
                sums: vec![0.0; k * d],
                counts: vec![0; k],
                changed: false,
            };
            for (i, label) in labels.iter_mut().enumerate() {
                let row = rows.row(start + i);
                let mut a = *label;
                let full = match moves {
                    None => true,
                    Some(moves) => {
                        upper[i] += moves[a];
                        lower[i] -= if a == top_c { second } else { top };
                        let bound = half_gap[a].max(lower[i]);
                        if upper[i] * (1.0 + BOUND_SLACK) < bound {
                            false
                        } else {
                            upper[i] = rows.distance(row, rows.centre(centres, a)).sqrt();
                            upper[i] * (1.0 + BOUND_SLACK) >= bound
                        }
                    }
                };
                if full {
                    let (best, best_d, second_d) = rows.two_nearest(row, centres);
                    if best != a {
                        part.changed = true;
                        a = best;
                        *label = best;
                    }
                    upper[i] = best_d.sqrt();
                    lower[i] = second_d.sqrt();
                }
                part.counts[a] += 1;
                let sums = &mut part.sums[a * d..(a + 1) * d];
                for (s, v) in sums.iter_mut().zip(row) {
                    *s += v;
                }
            }
            part
        };
        rows.update_chunks(&mut self.labels, &mut self.upper, &mut self.lower, &step)
    }
}

impl Bounds {
    /// Assign every point to its nearest of `K` centres by computing all `K` distances, and
    /// sum the clusters chunk by chunk; the bounds are neither read nor kept.
    ///
    /// With so few centres, reading and writing two bounds per point and branching on them
    /// costs more than the distances they would save. The labels are the same as the bounded
    /// pass gives (the distances and tie-breaking are [`Rows::nearest`]'s), and so are the
    /// sums, added in the same order.
    fn every_distance<const K: usize, W: Width>(
        &mut self,
        rows: &Rows<'_, W>,
        centres: &[f64],
    ) -> Vec<ChunkSums> {
        let d = rows.d();
        let step = |start: usize, labels: &mut [usize]| {
            let mut counts = [0usize; K];
            let mut sums = vec![0.0; K * d];
            let mut changed = false;
            for (i, label) in labels.iter_mut().enumerate() {
                let row = rows.row(start + i);
                let (mut best, mut best_d) = (0, f64::INFINITY);
                for c in 0..K {
                    let dist = rows.distance(row, rows.centre(centres, c));
                    if dist < best_d {
                        best = c;
                        best_d = dist;
                    }
                }
                changed |= best != *label;
                *label = best;
                counts[best] += 1;
                for (s, v) in sums[best * d..(best + 1) * d].iter_mut().zip(row) {
                    *s += v;
                }
            }
            ChunkSums {
                sums,
                counts: counts.to_vec(),
                changed,
            }
        };
        rows.map_chunks_mut(&mut self.labels, step)
    }
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

/// Move each empty cluster (a zero in `counts`) onto the point farthest from its centre
/// among `centres` (distinct points for distinct clusters), as scikit-learn does.
fn relocate_empty_clusters<W: Width>(
    rows: &Rows<'_, W>,
    centres: &[f64],
    counts: &[usize],
    next: &mut [f64],
) {
    let d = rows.d();
    let empty: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] == 0).collect();
    let distances: Vec<f64> = (0..rows.n)
        .map(|i| rows.nearest(rows.row(i), centres).1)
        .collect();
    let mut order: Vec<usize> = (0..rows.n).collect();
    order.sort_by(|&a, &b| distances[b].total_cmp(&distances[a]).then(a.cmp(&b)));
    for (c, i) in empty.into_iter().zip(order) {
        next[c * d..(c + 1) * d].copy_from_slice(rows.row(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kmeans::rows::Fixed;

    #[test]
    fn every_distance_and_the_bounded_pass_agree_bit_for_bit() {
        // three overlapping clusters in 3 features, from a fixed generator
        let mut state = 3u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let n = 20_000;
        let x: Vec<f64> = (0..n * 3)
            .map(|i| ((i / 3) % 3) as f64 + 2.0 * (uniform() + uniform() - 1.0))
            .collect();
        let rows = Rows {
            x: &x,
            n,
            width: Fixed::<3>,
            threads: 2,
        };
        let mut centres = x[..9].to_vec();
        let (mut plain, mut bounded) = (Bounds::default(), Bounds::default());
        plain.resize(n, 3);
        // bounds kept, as for more centres
        bounded.resize(n, EVERY_DISTANCE_MAX_K + 1);
        let mut moves: Option<Vec<f64>> = None;
        let mut changing = 0;
        for iteration in 0..30 {
            let a = plain.every_distance::<3, _>(&rows, &centres);
            let b = bounded.bounded(&rows, &centres, moves.as_deref());
            assert_eq!(plain.labels, bounded.labels, "iteration {iteration}");
            let (sums, counts) = combine(&a, 3, 3);
            let (sums_b, counts_b) = combine(&b, 3, 3);
            assert_eq!(counts, counts_b, "iteration {iteration}");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&sums), bits(&sums_b), "iteration {iteration}");
            let changed = a.iter().any(|p| p.changed);
            assert_eq!(changed, b.iter().any(|p| p.changed));
            changing += usize::from(changed);
            let next: Vec<f64> = (0..9).map(|i| sums[i] / counts[i / 3] as f64).collect();
            moves = Some(
                (0..3)
                    .map(|c| {
                        rows.distance(rows.centre(&next, c), rows.centre(&centres, c))
                            .sqrt()
                    })
                    .collect(),
            );
            centres = next;
        }
        // the centres really moved, so the bounds were exercised
        assert!(changing >= 5, "labels changed in {changing} iterations");
    }
}
