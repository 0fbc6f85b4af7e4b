//! Ward linkage by nearest-neighbour chains over cluster centroids and sizes, O(n) memory.
//!
//! The Ward distance between clusters A and B is `sqrt(2 |A| |B| / (|A| + |B|)) · |cA − cB|`,
//! the value SciPy's Lance–Williams update gives. The chain is walked as SciPy's `nn_chain`
//! walks it: the first active cluster starts it, the previous link wins ties, other ties go to
//! the lowest slot, and a merged cluster lives in the larger of its two slots.

use super::{HclustError, Points, SlotMerge, squared};

/// The merges, in the order the chain makes them.
pub(super) fn merges(
    points: &Points,
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<SlotMerge>, HclustError> {
    let (n, d) = (points.n, points.d);
    let mut centroid = points.values.clone();
    let mut size = vec![1usize; n];
    // the active slots, ascending: the scan order that decides ties
    let mut active: Vec<usize> = (0..n).collect();
    let mut chain: Vec<usize> = Vec::new();
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    // |A||B|/(|A|+|B|) · |cA − cB|², monotone in the Ward distance
    let cost = |centroid: &[f64], size: &[usize], a: usize, b: usize| -> f64 {
        let (na, nb) = (size[a] as f64, size[b] as f64);
        na * nb / (na + nb) * squared(&centroid[a * d..(a + 1) * d], &centroid[b * d..(b + 1) * d])
    };
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
                Some(p) => (p, cost(&centroid, &size, x, p)),
                None => (usize::MAX, f64::INFINITY),
            };
            for &i in &active {
                if i == x {
                    continue;
                }
                let c = cost(&centroid, &size, x, i);
                if c < best {
                    best = c;
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
        for j in 0..d {
            centroid[y * d + j] = (nx * centroid[x * d + j] + ny * centroid[y * d + j]) / (nx + ny);
        }
        size[y] += size[x];
        size[x] = 0;
        if let Ok(at) = active.binary_search(&x) {
            active.remove(at);
        }
        merges.push(SlotMerge {
            a: x,
            b: y,
            distance: (2.0 * best).sqrt(),
        });
    }
    Ok(merges)
}
