//! DBSCAN in plain Rust: density-based clusters and noise, as scikit-learn's
//! `sklearn.cluster.DBSCAN` finds them, over a k-d tree rather than all pairs.
//!
//! A point is a *core* point when at least `min_samples` points (itself included) lie within
//! `eps` of it; core points within `eps` of each other are in the same cluster. A point that is
//! not core joins the cluster of its **nearest core point** if that is within `eps` (a *border*
//! point), else it is noise. scikit-learn gives a border point reachable from two clusters to
//! whichever it expands first, which depends on the row order; the nearest core point does not,
//! and it is the rule a saved model scores new rows with, so scoring the training rows gives
//! back their clusters. Core points, noise and every unambiguous border point are the same.
//!
//! ```
//! use segql::dbscan::{dbscan, NOISE};
//!
//! // two tight pairs and a loner, on a line
//! let points = [0.0, 0.5, 10.0, 10.4, 30.0];
//! let fit = dbscan(&points, 1, 1.0, 2, 1);
//! assert_eq!(fit.labels, vec![0, 0, 1, 1, NOISE]);
//! assert_eq!(fit.core, vec![true, true, true, true, false]);
//! ```

mod grid;
pub mod kdtree;

pub use kdtree::KdTree;

/// The label of a noise point, as scikit-learn's.
pub const NOISE: i32 = -1;

/// A DBSCAN fit: for every point its cluster (0.. by descending size, ties by the first point
/// in it; [`NOISE`] for noise), whether it is core, and its distance to the nearest core point.
#[derive(Debug, Clone, PartialEq)]
pub struct Dbscan {
    /// Each point's cluster or [`NOISE`].
    pub labels: Vec<i32>,
    /// Each point's core flag.
    pub core: Vec<bool>,
    /// Each point's Euclidean distance to the nearest core point (0 for core points, infinite
    /// when there are none).
    pub distance: Vec<f64>,
    /// Number of clusters.
    pub clusters: usize,
}

/// DBSCAN over `points` (`d` values per point, row by row) with radius `eps` (inclusive) and
/// `min_samples` (at least 1), using up to `threads` threads; the result does not depend on
/// them.
pub fn dbscan(points: &[f64], d: usize, eps: f64, min_samples: usize, threads: usize) -> Dbscan {
    let d = d.max(1);
    let n = points.len() / d;
    let r2 = eps * eps;
    let tree = KdTree::new(points, d);
    let row = |i: usize| &points[i * d..(i + 1) * d];

    // 1. core points: enough neighbours within eps
    let core: Vec<bool> = parallel_map(n, threads, |i| {
        tree.count_within(row(i), r2, min_samples) >= min_samples
    });

    // 2. clusters: connected core points, through a grid for few features
    let roots = if d <= grid::MAX_FEATURES && grid::fits(points, d, eps) {
        grid::connect(points, d, &core, eps)
    } else {
        connect_cores(&tree, points, d, &core, r2, threads)
    };

    // 3. every point's nearest core point: its own cluster for core points, a border point's
    //    cluster within eps, else noise
    let cores: Vec<usize> = (0..n).filter(|&i| core[i]).collect();
    let core_points: Vec<f64> = cores.iter().flat_map(|&i| row(i).to_vec()).collect();
    let core_tree = KdTree::new(&core_points, d);
    let nearest: Vec<Option<(usize, f64)>> = parallel_map(n, threads, |i| {
        if core[i] {
            Some((i, 0.0))
        } else {
            core_tree.nearest(row(i)).map(|(c, d2)| (cores[c], d2))
        }
    });
    let root_of: Vec<Option<usize>> = nearest
        .iter()
        .map(|near| near.and_then(|(c, d2)| (d2 <= r2).then(|| roots[c])))
        .collect();

    // 4. clusters numbered by descending size, ties by their first point
    let labels = number_by_size(&root_of, n);
    let clusters = labels
        .iter()
        .filter(|&&l| l >= 0)
        .map(|&l| l + 1)
        .max()
        .unwrap_or(0) as usize;
    Dbscan {
        labels,
        core,
        distance: nearest
            .iter()
            .map(|near| near.map_or(f64::INFINITY, |(_, d2)| d2.sqrt()))
            .collect(),
        clusters,
    }
}

/// Each point's union-find root after joining every pair of core points within `r2`
/// (meaningful for core points only). Threads join their share of the points in their own
/// union-find; the forests are then folded into one, which gives the same components.
fn connect_cores(
    tree: &KdTree,
    points: &[f64],
    d: usize,
    core: &[bool],
    r2: f64,
    threads: usize,
) -> Vec<usize> {
    let n = core.len();
    let threads = threads.clamp(1, n.max(1));
    let join = |range: std::ops::Range<usize>| {
        let mut sets = UnionFind::new(n);
        for i in range {
            if !core[i] {
                continue;
            }
            tree.visit_within(&points[i * d..(i + 1) * d], r2, &mut |j| {
                if j > i && core[j] {
                    sets.union(i, j);
                }
                true
            });
        }
        sets
    };
    let chunk = n.div_ceil(threads).max(1);
    let mut forests: Vec<UnionFind> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                scope.spawn(move || join(range))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("joining core points does not panic"))
            .collect()
    });
    let mut sets = forests.remove(0);
    for mut other in forests {
        for i in 0..n {
            let r = other.find(i);
            if r != i {
                sets.union(i, r);
            }
        }
    }
    (0..n).map(|i| sets.find(i)).collect()
}

/// Labels 0.. for the roots, by descending member count, ties by the first member.
fn number_by_size(root_of: &[Option<usize>], n: usize) -> Vec<i32> {
    let mut count = vec![0usize; n];
    let mut first = vec![usize::MAX; n];
    for (i, root) in root_of.iter().enumerate() {
        if let Some(r) = *root {
            count[r] += 1;
            first[r] = first[r].min(i);
        }
    }
    let mut roots: Vec<usize> = (0..n).filter(|&r| count[r] > 0).collect();
    roots.sort_by(|&a, &b| count[b].cmp(&count[a]).then(first[a].cmp(&first[b])));
    let mut label = vec![NOISE; n];
    for (l, &r) in roots.iter().enumerate() {
        label[r] = l as i32;
    }
    root_of
        .iter()
        .map(|root| root.map_or(NOISE, |r| label[r]))
        .collect()
}

/// The `k`-distance of every point: the distance to its `k`-th nearest point, itself
/// included (so a point is core for `min_samples = k` exactly when it is at most `eps`).
/// Sorted ascending, this is the curve whose knee suggests `eps`.
pub fn k_distances(points: &[f64], d: usize, k: usize, threads: usize) -> Vec<f64> {
    let d = d.max(1);
    let n = points.len() / d;
    let tree = KdTree::new(points, d);
    parallel_map(n, threads, |i| {
        tree.kth_distance(&points[i * d..(i + 1) * d], k).sqrt()
    })
}

/// `f` over 0..n on up to `threads` threads, in order.
fn parallel_map<T: Send>(n: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(f).collect();
    }
    let chunk = n.div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    ((t * chunk).min(n)..((t + 1) * chunk).min(n))
                        .map(f)
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("the work does not panic"))
            .collect()
    })
}

/// Union-find with path halving.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            // the smaller root stays: the result does not depend on the order of unions
            let (keep, join) = (a.min(b), a.max(b));
            self.parent[join] = keep;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values too many cells from the origin for exact cell numbers (a tiny eps against large
    /// values, or values near the largest DOUBLE) are joined pair by pair: three points
    /// 1e10 apart with eps 1e-300 are three clusters, not one shared cell (found by the SQL
    /// fuzzer, which also hit an overflow in the cell arithmetic).
    #[test]
    fn far_values_are_not_rounded_into_one_cell() {
        assert_eq!(dbscan(&[0.0, 1e10, 2e10], 1, 1e-300, 1, 1).clusters, 3);
        let fit = dbscan(&[1e308, -1e308, 0.0, 0.5], 1, 1.0, 2, 1);
        assert_eq!(fit.clusters, 1);
        assert_eq!(fit.labels, [NOISE, NOISE, 0, 0]);
    }

    /// Worked by hand on a line with eps 1 and min_samples 3: 0, 0.5, 1 are core (three within
    /// 1 of each), 1.8 is a border point of that cluster (one core within 1: the point at 1),
    /// 5 to 7 are core (the ends have three neighbours within 1, themselves included) and the
    /// larger cluster, so number 0; 9 is noise, 2 from the nearest core point.
    #[test]
    fn a_hand_worked_line() {
        let points = [0.0, 0.5, 1.0, 1.8, 5.0, 5.5, 6.0, 6.5, 7.0, 9.0];
        for threads in [1, 2, 3] {
            let fit = dbscan(&points, 1, 1.0, 3, threads);
            assert_eq!(fit.labels, [1, 1, 1, 1, 0, 0, 0, 0, 0, NOISE]);
            assert_eq!(
                fit.core,
                [true, true, true, false, true, true, true, true, true, false]
            );
            assert_eq!(fit.clusters, 2);
            assert!((fit.distance[3] - 0.8).abs() < 1e-12);
            assert_eq!(fit.distance[9], 2.0);
            assert_eq!(fit.distance[0], 0.0);
        }
    }

    #[test]
    fn no_core_points_is_all_noise_and_min_samples_one_is_all_core() {
        let points = [0.0, 0.0, 5.0, 10.0, 10.5];
        let lonely = dbscan(&points, 1, 0.1, 3, 1);
        assert!(lonely.labels.iter().all(|&l| l == NOISE));
        assert!(lonely.distance.iter().all(|d| d.is_infinite()));
        let all = dbscan(&points, 1, 1.0, 1, 2);
        assert_eq!(all.labels, [0, 0, 2, 1, 1]);
        assert!(all.core.iter().all(|&c| c));
    }

    /// Five features take the k-d tree path (the grid stops at four): the components are
    /// those of joining every pair of core points within eps.
    #[test]
    fn the_tree_joins_what_the_pairs_join() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let (n, d, eps) = (500, 5, 0.6);
        let points: Vec<f64> = (0..n * d)
            .map(|_| (rng.random::<f64>() * 3.0).floor() + rng.random::<f64>() * 0.3)
            .collect();
        let core: Vec<bool> = (0..n).map(|i| i % 4 != 0).collect();
        let tree = KdTree::new(&points, d);
        let roots = connect_cores(&tree, &points, d, &core, eps * eps, 2);
        let row = |i: usize| &points[i * d..(i + 1) * d];
        let mut pairs = UnionFind::new(n);
        for i in 0..n {
            for j in i + 1..n {
                if core[i] && core[j] && kdtree::squared(row(i), row(j)) <= eps * eps {
                    pairs.union(i, j);
                }
            }
        }
        for i in (0..n).filter(|&i| core[i]) {
            for j in (0..n).filter(|&j| core[j]) {
                assert_eq!(roots[i] == roots[j], pairs.find(i) == pairs.find(j));
            }
        }
    }

    #[test]
    fn k_distances_count_the_point_itself() {
        let points = [0.0, 1.0, 3.0];
        assert_eq!(k_distances(&points, 1, 1, 1), [0.0, 0.0, 0.0]);
        assert_eq!(k_distances(&points, 1, 2, 2), [1.0, 1.0, 2.0]);
        assert_eq!(k_distances(&points, 1, 3, 1), [3.0, 2.0, 3.0]);
    }
}
