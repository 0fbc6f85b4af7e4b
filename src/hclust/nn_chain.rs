//! The nearest-neighbour chain, walked as SciPy's `nn_chain` walks it: the first active
//! cluster starts a chain, each link goes to the nearest active cluster (the previous link
//! wins ties, other ties go to the lowest slot), and two clusters that are each other's nearest
//! merge, into the larger of their two slots. Exact for every reducible linkage (Ward,
//! complete, average); what "distance" and "merge" mean is the linkage's.

use super::{HclustError, SlotMerge};

/// The clusters of one linkage, in slots 0..n.
pub(super) trait Clusters {
    /// A value ordered as the linkage distance between the clusters in slots `a` and `b`.
    fn key(&self, a: usize, b: usize) -> f64;
    /// The linkage distance of a merge whose key is `key`.
    fn height(&self, key: f64) -> f64;
    /// Merge slot `x` into slot `y` (`x < y`); `active` are the slots still in use after it.
    fn merge(&mut self, x: usize, y: usize, active: &[usize]);
}

/// The merges of `n` clusters, in the order the chain makes them.
pub(super) fn merges(
    n: usize,
    clusters: &mut impl Clusters,
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<SlotMerge>, HclustError> {
    // the active slots, ascending: the scan order that decides ties
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
                Some(p) => (p, clusters.key(x, p)),
                None => (usize::MAX, f64::INFINITY),
            };
            for &i in &active {
                if i == x {
                    continue;
                }
                let key = clusters.key(x, i);
                // (the first candidate is taken whatever its key, so a NaN cannot leave the
                // link without a cluster to point at)
                if key < best || y == usize::MAX {
                    best = key;
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
        if let Ok(at) = active.binary_search(&x) {
            active.remove(at);
        }
        clusters.merge(x, y, &active);
        merges.push(SlotMerge {
            a: x,
            b: y,
            distance: clusters.height(best),
        });
    }
    Ok(merges)
}
