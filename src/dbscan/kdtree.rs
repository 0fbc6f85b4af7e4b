//! A k-d tree over points of any dimension: the spatial index that keeps DBSCAN from comparing
//! all pairs. Squared Euclidean distances summed in feature order throughout, so a radius test
//! `d² <= eps²` decides exactly as scikit-learn's trees decide.

/// Points per leaf: small enough to prune well, large enough that the scan is a tight loop.
const LEAF: usize = 16;

/// A k-d tree; queries return the points' positions in the slice it was built from.
#[derive(Debug, Clone)]
pub struct KdTree {
    d: usize,
    /// The points, reordered so every node's points are contiguous.
    points: Vec<f64>,
    /// Each reordered point's position in the input.
    index: Vec<u32>,
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
struct Node {
    start: usize,
    end: usize,
    /// Children, `None` for a leaf.
    children: Option<(usize, usize)>,
    /// The bounding box: `d` lows then `d` highs.
    bounds: Vec<f64>,
}

impl KdTree {
    /// The tree over `points`, `d` values per point, row by row.
    pub fn new(points: &[f64], d: usize) -> Self {
        let d = d.max(1);
        let n = points.len() / d;
        let mut tree = Self {
            d,
            points: Vec::new(),
            index: (0..n as u32).collect(),
            nodes: Vec::new(),
        };
        if n > 0 {
            tree.split(points, 0, n);
        }
        tree.points = tree
            .index
            .iter()
            .flat_map(|&i| points[i as usize * d..(i as usize + 1) * d].iter().copied())
            .collect();
        tree
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the tree has no points.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Build the node over `index[start..end]` (and its subtree); its position.
    fn split(&mut self, points: &[f64], start: usize, end: usize) -> usize {
        let d = self.d;
        let mut bounds = vec![f64::INFINITY; d];
        bounds.extend(std::iter::repeat_n(f64::NEG_INFINITY, d));
        for &i in &self.index[start..end] {
            for j in 0..d {
                let v = points[i as usize * d + j];
                bounds[j] = bounds[j].min(v);
                bounds[d + j] = bounds[d + j].max(v);
            }
        }
        let at = self.nodes.len();
        self.nodes.push(Node {
            start,
            end,
            children: None,
            bounds,
        });
        if end - start <= LEAF {
            return at;
        }
        let bounds = &self.nodes[at].bounds;
        let widest = (0..d)
            .max_by(|&a, &b| (bounds[d + a] - bounds[a]).total_cmp(&(bounds[d + b] - bounds[b])))
            .unwrap_or(0);
        if bounds[d + widest] <= bounds[widest] {
            return at; // every point equal: one leaf
        }
        let middle = start + (end - start) / 2;
        self.index[start..end].select_nth_unstable_by(middle - start, |&a, &b| {
            points[a as usize * d + widest].total_cmp(&points[b as usize * d + widest])
        });
        let left = self.split(points, start, middle);
        let right = self.split(points, middle, end);
        self.nodes[at].children = Some((left, right));
        at
    }

    fn point(&self, slot: usize) -> &[f64] {
        &self.points[slot * self.d..(slot + 1) * self.d]
    }

    /// The squared distance from `q` to the node's box (0 inside it).
    fn box_distance(&self, node: &Node, q: &[f64]) -> f64 {
        let d = self.d;
        let mut sum = 0.0;
        for (j, &v) in q.iter().enumerate() {
            let (low, high) = (node.bounds[j], node.bounds[d + j]);
            let gap = if v < low {
                low - v
            } else if v > high {
                v - high
            } else {
                0.0
            };
            sum += gap * gap;
        }
        sum
    }

    /// How many points lie within squared distance `r2` of `q` (inclusive), counting no
    /// further than `cap`.
    pub fn count_within(&self, q: &[f64], r2: f64, cap: usize) -> usize {
        let mut count = 0;
        self.visit_within(q, r2, &mut |_| {
            count += 1;
            count < cap
        });
        count
    }

    /// Calls `f` with the position of every point within squared distance `r2` of `q`
    /// (inclusive) until it returns false.
    pub fn visit_within(&self, q: &[f64], r2: f64, f: &mut dyn FnMut(usize) -> bool) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack = vec![0usize];
        while let Some(at) = stack.pop() {
            let node = &self.nodes[at];
            if self.box_distance(node, q) > r2 {
                continue;
            }
            match node.children {
                Some((left, right)) => {
                    stack.push(right);
                    stack.push(left);
                }
                None => {
                    for slot in node.start..node.end {
                        if squared(self.point(slot), q) <= r2 && !f(self.index[slot] as usize) {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// The nearest point to `q` and its squared distance; equally near points go to the
    /// lowest position. `None` for an empty tree.
    pub fn nearest(&self, q: &[f64]) -> Option<(usize, f64)> {
        let mut nearest = Nearest(None);
        self.nearest_first(q, &mut nearest);
        nearest.0
    }

    /// The squared distance from `q` to its `k`-th nearest point (`q` itself counts when it is
    /// in the tree); infinite when the tree has fewer than `k` points.
    pub fn kth_distance(&self, q: &[f64], k: usize) -> f64 {
        if k == 0 || k > self.len() {
            return f64::INFINITY;
        }
        let mut smallest = Smallest {
            k,
            heap: std::collections::BinaryHeap::with_capacity(k + 1),
        };
        self.nearest_first(q, &mut smallest);
        smallest.heap.peek().map_or(f64::INFINITY, |top| top.0)
    }

    /// Offer the points to `found` nearer children first, skipping every node farther from
    /// `q` than what `found` still takes.
    fn nearest_first(&self, q: &[f64], found: &mut impl Found) {
        if self.nodes.is_empty() {
            return;
        }
        let mut stack = vec![(0usize, 0.0f64)];
        while let Some((at, bound)) = stack.pop() {
            if bound > found.limit() {
                continue;
            }
            let node = &self.nodes[at];
            match node.children {
                Some((left, right)) => {
                    let l = (left, self.box_distance(&self.nodes[left], q));
                    let r = (right, self.box_distance(&self.nodes[right], q));
                    // the nearer child is searched first (pushed last)
                    let (near, far) = if l.1 <= r.1 { (l, r) } else { (r, l) };
                    stack.push(far);
                    stack.push(near);
                }
                None => {
                    for slot in node.start..node.end {
                        found.offer(self.index[slot] as usize, squared(self.point(slot), q));
                    }
                }
            }
        }
    }
}

/// What a nearest-first search collects.
trait Found {
    /// Points farther than this (squared) are of no use.
    fn limit(&self) -> f64;
    /// A point at position `i`, `dist` (squared) away.
    fn offer(&mut self, i: usize, dist: f64);
}

/// The nearest point, ties to the lowest position.
struct Nearest(Option<(usize, f64)>);

impl Found for Nearest {
    fn limit(&self) -> f64 {
        self.0.map_or(f64::INFINITY, |(_, d)| d)
    }

    fn offer(&mut self, i: usize, dist: f64) {
        let better = match self.0 {
            None => true,
            Some((bi, bd)) => dist < bd || (dist == bd && i < bi),
        };
        if better {
            self.0 = Some((i, dist));
        }
    }
}

/// The `k` smallest distances, largest on top.
struct Smallest {
    k: usize,
    heap: std::collections::BinaryHeap<Ordered>,
}

impl Found for Smallest {
    fn limit(&self) -> f64 {
        if self.heap.len() < self.k {
            f64::INFINITY
        } else {
            self.heap.peek().map_or(f64::INFINITY, |top| top.0)
        }
    }

    fn offer(&mut self, _i: usize, dist: f64) {
        if self.heap.len() < self.k {
            self.heap.push(Ordered(dist));
        } else if dist < self.limit() {
            self.heap.pop();
            self.heap.push(Ordered(dist));
        }
    }
}

/// A distance ordered by `total_cmp`, for the heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ordered(f64);

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The squared Euclidean distance, summed in feature order.
pub fn squared(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Every query against a brute-force scan of 2,000 random 3-D points (with duplicates).
    #[test]
    fn queries_agree_with_a_full_scan() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let d = 3;
        let mut points: Vec<f64> = (0..2000 * d)
            .map(|_| (rng.random::<f64>() * 20.0).round() / 2.0)
            .collect();
        points.extend_from_within(0..30);
        let n = points.len() / d;
        let tree = KdTree::new(&points, d);
        let row = |i: usize| &points[i * d..(i + 1) * d];
        for q in 0..n {
            let query = row(q);
            let mut all: Vec<(f64, usize)> = (0..n).map(|i| (squared(row(i), query), i)).collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let r2 = 2.25;
            let within = all.iter().filter(|(dist, _)| *dist <= r2).count();
            assert_eq!(tree.count_within(query, r2, usize::MAX), within);
            assert_eq!(tree.count_within(query, r2, 3), within.min(3));
            let mut seen = Vec::new();
            tree.visit_within(query, r2, &mut |i| {
                seen.push(i);
                true
            });
            seen.sort();
            let mut expected: Vec<usize> = all
                .iter()
                .filter(|(dist, _)| *dist <= r2)
                .map(|p| p.1)
                .collect();
            expected.sort();
            assert_eq!(seen, expected);
            assert_eq!(tree.nearest(query), Some((all[0].1, all[0].0)));
            assert_eq!(tree.kth_distance(query, 7), all[6].0);
        }
        let off = [100.0, -3.0, 4.5];
        let nearest = (0..n)
            .map(|i| (squared(row(i), &off), i))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .unwrap();
        assert_eq!(tree.nearest(&off), Some((nearest.1, nearest.0)));
        assert!(KdTree::new(&[], 2).nearest(&[0.0, 0.0]).is_none());
    }
}
