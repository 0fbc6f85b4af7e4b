//! Ward linkage by nearest-neighbour chains over cluster centroids and sizes, O(n) memory.
//!
//! The Ward distance between clusters A and B is `sqrt(2 |A| |B| / (|A| + |B|)) · |cA − cB|`,
//! the value SciPy's Lance–Williams update gives; the chain compares
//! `|A| |B| / (|A| + |B|) · |cA − cB|²`, which orders the same.

use super::nn_chain::{self, Clusters};
use super::{HclustError, Points, SlotMerge, squared};

/// The merges, in the order the chain makes them.
pub(super) fn merges(
    points: &Points,
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<SlotMerge>, HclustError> {
    let mut clusters = Centroids {
        centroid: points.values.clone(),
        size: vec![1; points.n],
        d: points.d,
    };
    nn_chain::merges(points.n, &mut clusters, cancelled)
}

/// Each slot's centroid and size.
struct Centroids {
    centroid: Vec<f64>,
    size: Vec<usize>,
    d: usize,
}

impl Centroids {
    fn centre(&self, a: usize) -> &[f64] {
        &self.centroid[a * self.d..(a + 1) * self.d]
    }
}

impl Clusters for Centroids {
    fn key(&self, a: usize, b: usize) -> f64 {
        let (na, nb) = (self.size[a] as f64, self.size[b] as f64);
        na * nb / (na + nb) * squared(self.centre(a), self.centre(b))
    }

    fn height(&self, key: f64) -> f64 {
        (2.0 * key).sqrt()
    }

    fn merge(&mut self, x: usize, y: usize, _active: &[usize]) {
        let d = self.d;
        let (nx, ny) = (self.size[x] as f64, self.size[y] as f64);
        for j in 0..d {
            self.centroid[y * d + j] =
                (nx * self.centroid[x * d + j] + ny * self.centroid[y * d + j]) / (nx + ny);
        }
        self.size[y] += self.size[x];
        self.size[x] = 0;
    }
}
