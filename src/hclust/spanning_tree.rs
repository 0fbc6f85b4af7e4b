//! Single linkage as Prim's minimum spanning tree, O(n) memory: the tree's edges sorted by
//! length are the merges (SciPy's `mst_single_linkage`, the same scan and ties).

use super::{HclustError, Points, SlotMerge};

/// The tree's edges, in the order Prim's algorithm adds them.
pub(super) fn merges(
    points: &Points,
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<SlotMerge>, HclustError> {
    let n = points.n;
    let mut merged = vec![false; n];
    // each outside point's distance to the tree so far
    let mut reach = vec![f64::INFINITY; n];
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    let mut x = 0;
    for _ in 1..n {
        if cancelled() {
            return Err(HclustError::Cancelled);
        }
        merged[x] = true;
        let (mut y, mut best) = (usize::MAX, f64::INFINITY);
        for i in 0..n {
            if merged[i] {
                continue;
            }
            let dist = points.distance(x, i);
            if reach[i] > dist {
                reach[i] = dist;
            }
            // (the first outside point is taken whatever its reach, so a NaN distance
            // cannot leave the step without a point)
            if reach[i] < best || y == usize::MAX {
                best = reach[i];
                y = i;
            }
        }
        merges.push(SlotMerge {
            a: x,
            b: y,
            distance: best,
        });
        x = y;
    }
    Ok(merges)
}
