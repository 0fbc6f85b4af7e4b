//! Joining core points through a grid, for up to four features: cells of side
//! `eps / sqrt(d)` (a hair less) are narrower than `eps` corner to corner, so the core points
//! of one cell are all joined at once, and two cells are joined as soon as one pair of their
//! core points is within `eps` — the neighbour lists of dense regions, where most of the
//! pairs are, are never enumerated (Gan and Tao's grid DBSCAN). The components are exactly
//! those of the pairwise test.

use std::collections::HashMap;

use super::UnionFind;
use super::kdtree::squared;

/// The most features the grid is used for: the cells to look at around a cell grow as
/// 5^d (d = 4: 625).
pub(super) const MAX_FEATURES: usize = 4;

/// A cell's coordinates, padded with zeros to [`MAX_FEATURES`].
type Cell = [i64; MAX_FEATURES];

/// The side of a cell for radius `eps` in `d` features.
fn side(d: usize, eps: f64) -> f64 {
    eps / (d as f64).sqrt() * (1.0 - 1e-9)
}

/// Whether every point's cell number is exact: values more than 2^52 cells from the origin
/// (a tiny `eps` against large values) would round to one shared cell and join points that are
/// far apart, so the caller joins them pair by pair instead.
pub(super) fn fits(points: &[f64], d: usize, eps: f64) -> bool {
    const EXACT: f64 = (1u64 << 52) as f64;
    let side = side(d, eps);
    side > 0.0 && points.iter().all(|v| (v / side).abs() < EXACT)
}

/// Each core point's union-find root after joining core points within `r2 = eps²`; `points`
/// has `d` (1 to [`MAX_FEATURES`]) values per point, each within [`fits`]' range.
pub(super) fn connect(points: &[f64], d: usize, core: &[bool], eps: f64) -> Vec<usize> {
    let n = core.len();
    let side = side(d, eps);
    let r2 = eps * eps;
    let row = |i: usize| &points[i * d..(i + 1) * d];
    let cell_of = |i: usize| -> Cell {
        let mut cell = [0; MAX_FEATURES];
        for (c, v) in cell.iter_mut().zip(row(i)) {
            *c = (v / side).floor() as i64;
        }
        cell
    };

    // 1. the core points of each cell, cells in order of their first point
    let mut index: HashMap<Cell, usize> = HashMap::new();
    let mut cells: Vec<(Cell, Vec<usize>)> = Vec::new();
    for i in (0..n).filter(|&i| core[i]) {
        let cell = cell_of(i);
        let at = *index.entry(cell).or_insert_with(|| {
            cells.push((cell, Vec::new()));
            cells.len() - 1
        });
        cells[at].1.push(i);
    }

    // 2. one cell's core points are all within eps of each other
    let mut sets = UnionFind::new(n);
    for (_, members) in &cells {
        for &m in &members[1..] {
            sets.union(members[0], m);
        }
    }

    // 3. neighbouring cells, nearest offsets first, joined by their first pair within eps
    let offsets = offsets(d, side, eps);
    for (a, (cell, members)) in cells.iter().enumerate() {
        for offset in &offsets {
            let mut other = *cell;
            for (c, o) in other.iter_mut().zip(offset) {
                *c += o;
            }
            let Some(&b) = index.get(&other) else {
                continue;
            };
            // each pair of cells once
            if b < a || sets.find(members[0]) == sets.find(cells[b].1[0]) {
                continue;
            }
            let near = members
                .iter()
                .any(|&i| cells[b].1.iter().any(|&j| squared(row(i), row(j)) <= r2));
            if near {
                sets.union(members[0], cells[b].1[0]);
            }
        }
    }
    (0..n).map(|i| sets.find(i)).collect()
}

/// The offsets of the cells that can hold a point within `eps` of a point of the cell at the
/// origin (the origin itself left out), nearest first.
fn offsets(d: usize, side: f64, eps: f64) -> Vec<Cell> {
    let reach = (eps / side).ceil() as i64;
    let mut out: Vec<(f64, Cell)> = Vec::new();
    let width = (2 * reach + 1) as usize;
    for code in 0..width.pow(d as u32) {
        let mut cell = [0; MAX_FEATURES];
        let mut rest = code;
        for c in cell.iter_mut().take(d) {
            *c = (rest % width) as i64 - reach;
            rest /= width;
        }
        // the smallest gap between the two cells, per feature
        let gap: f64 = cell
            .iter()
            .map(|&c| ((c.abs() - 1).max(0) as f64 * side).powi(2))
            .sum();
        if cell != [0; MAX_FEATURES] && gap <= eps * eps {
            out.push((gap, cell));
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    out.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The same components as joining every pair of core points within eps, on clumpy random
    /// data in one to four dimensions.
    #[test]
    fn the_grid_joins_what_the_pairs_join() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for d in 1..=MAX_FEATURES {
            let n = 600;
            let points: Vec<f64> = (0..n * d)
                .map(|_| (rng.random::<f64>() * 6.0).floor() + rng.random::<f64>() * 0.4)
                .collect();
            let core: Vec<bool> = (0..n).map(|i| i % 3 != 0).collect();
            let eps = 0.35;
            let roots = connect(&points, d, &core, eps);
            let mut pairs = UnionFind::new(n);
            for i in 0..n {
                for j in i + 1..n {
                    let (a, b) = (&points[i * d..(i + 1) * d], &points[j * d..(j + 1) * d]);
                    if core[i] && core[j] && squared(a, b) <= eps * eps {
                        pairs.union(i, j);
                    }
                }
            }
            for i in (0..n).filter(|&i| core[i]) {
                for j in (0..n).filter(|&j| core[j]) {
                    assert_eq!(
                        roots[i] == roots[j],
                        pairs.find(i) == pairs.find(j),
                        "d = {d}: points {i} and {j}"
                    );
                }
            }
        }
    }
}
