//! Complete and average linkage by nearest-neighbour chains over the condensed distance
//! matrix (n(n − 1)/2 numbers), updated by Lance–Williams as SciPy's `nn_chain` updates it.

use super::{HclustError, Linkage, Points, SlotMerge};

/// The merges, in the order the chain makes them.
pub(super) fn merges(
    points: &Points,
    linkage: Linkage,
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<SlotMerge>, HclustError> {
    let n = points.n;
    let mut matrix = Condensed::new(points);
    let mut size = vec![1usize; n];
    let mut active: Vec<usize> = (0..n).collect();
    let mut chain: Vec<usize> = Vec::new();
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    while merges.len() + 1 < n {
        if cancelled() {
            return Err(HclustError::Cancelled);
        }
        if chain.is_empty() {
            chain.push(active[0]);
        }
        let (x, y, best) = loop {
            let x = chain[chain.len() - 1];
            let previous = (chain.len() > 1).then(|| chain[chain.len() - 2]);
            let (mut y, mut best) = match previous {
                Some(p) => (p, matrix.get(x, p)),
                None => (usize::MAX, f64::INFINITY),
            };
            for &i in &active {
                if i == x {
                    continue;
                }
                let dist = matrix.get(x, i);
                if dist < best {
                    best = dist;
                    y = i;
                }
            }
            if previous == Some(y) {
                break (x, y, best);
            }
            chain.push(y);
        };
        chain.truncate(chain.len() - 2);
        let (x, y) = (x.min(y), x.max(y));
        let (nx, ny) = (size[x] as f64, size[y] as f64);
        size[y] += size[x];
        size[x] = 0;
        if let Ok(at) = active.binary_search(&x) {
            active.remove(at);
        }
        for &i in &active {
            if i == y {
                continue;
            }
            let (dx, dy) = (matrix.get(i, x), matrix.get(i, y));
            let updated = match linkage {
                Linkage::Complete => dx.max(dy),
                _ => (nx * dx + ny * dy) / (nx + ny),
            };
            matrix.set(i, y, updated);
        }
        merges.push(SlotMerge {
            a: x,
            b: y,
            distance: best,
        });
    }
    Ok(merges)
}

/// The upper triangle of the distance matrix, row by row.
struct Condensed {
    values: Vec<f64>,
    n: usize,
}

impl Condensed {
    fn new(points: &Points) -> Self {
        let n = points.n;
        let mut values = Vec::with_capacity(n * n.saturating_sub(1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                values.push(points.distance(i, j));
            }
        }
        Self { values, n }
    }

    fn index(&self, a: usize, b: usize) -> usize {
        let (i, j) = (a.min(b), a.max(b));
        self.n * i - i * (i + 1) / 2 + (j - i - 1)
    }

    fn get(&self, a: usize, b: usize) -> f64 {
        self.values[self.index(a, b)]
    }

    fn set(&mut self, a: usize, b: usize, value: f64) {
        let at = self.index(a, b);
        self.values[at] = value;
    }
}
