//! Complete and average linkage by nearest-neighbour chains over the condensed distance
//! matrix (n(n − 1)/2 numbers), updated by Lance–Williams as SciPy's `nn_chain` updates it.

use super::nn_chain::{self, Clusters};
use super::{HclustError, Linkage, Points, SlotMerge};

/// The merges, in the order the chain makes them.
pub(super) fn merges(
    points: &Points,
    linkage: Linkage,
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<SlotMerge>, HclustError> {
    let mut clusters = Matrix::new(points, linkage);
    nn_chain::merges(points.n, &mut clusters, cancelled)
}

/// The upper triangle of the distance matrix, row by row, and each slot's size.
struct Matrix {
    values: Vec<f64>,
    n: usize,
    size: Vec<usize>,
    linkage: Linkage,
}

impl Matrix {
    fn new(points: &Points, linkage: Linkage) -> Self {
        let n = points.n;
        let mut values = Vec::with_capacity(n * n.saturating_sub(1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                values.push(points.distance(i, j));
            }
        }
        Self {
            values,
            n,
            size: vec![1; n],
            linkage,
        }
    }

    fn index(&self, a: usize, b: usize) -> usize {
        let (i, j) = (a.min(b), a.max(b));
        self.n * i - i * (i + 1) / 2 + (j - i - 1)
    }
}

impl Clusters for Matrix {
    fn key(&self, a: usize, b: usize) -> f64 {
        self.values[self.index(a, b)]
    }

    fn height(&self, key: f64) -> f64 {
        key
    }

    fn merge(&mut self, x: usize, y: usize, active: &[usize]) {
        let (nx, ny) = (self.size[x] as f64, self.size[y] as f64);
        self.size[y] += self.size[x];
        self.size[x] = 0;
        for &i in active {
            if i == y {
                continue;
            }
            let (dx, dy) = (self.key(i, x), self.key(i, y));
            let updated = match self.linkage {
                Linkage::Complete => dx.max(dy),
                _ => (nx * dx + ny * dy) / (nx + ny),
            };
            let at = self.index(i, y);
            self.values[at] = updated;
        }
    }
}
