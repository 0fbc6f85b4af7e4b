//! Agglomerative hierarchical clustering in plain Rust: the merge tree of SciPy's
//! `scipy.cluster.hierarchy.linkage` (same algorithms, same merge order, same ids) and its cut
//! into k clusters, as `fcluster(Z, k, 'maxclust')` cuts it.
//!
//! ```
//! use ndarray::array;
//! use segql::hclust::{Linkage, linkage};
//!
//! let x = array![[0.0], [1.0], [5.0]];
//! let tree = linkage(x.view(), Linkage::Single, &|| false).unwrap();
//! assert_eq!(tree.merges[0].distance, 1.0); // leaves 0 and 1 first, as node 3
//! assert_eq!(tree.merges[1].left, 2);
//! assert_eq!(tree.cut(2), vec![0, 0, 1]);
//! ```
//!
//! Memory: Ward and single linkage keep O(n) (nearest-neighbour chains over cluster centroids
//! and sizes; Prim's minimum spanning tree), complete and average linkage keep the condensed
//! distance matrix, n(n − 1)/2 numbers. Time is O(n²) distance evaluations for every linkage.
//! [`max_rows`] is the exact path's limit for each.

mod matrix_chain;
mod nn_chain;
mod spanning_tree;
mod ward_chain;

use ndarray::ArrayView2;

/// How the distance between two clusters is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Linkage {
    /// The increase in within-cluster sum of squares (SciPy's `ward`).
    Ward,
    /// The largest distance between members.
    Complete,
    /// The mean distance between members (UPGMA).
    Average,
    /// The smallest distance between members.
    Single,
}

impl Linkage {
    /// Every linkage, in the order the docs list them.
    pub const ALL: [Linkage; 4] = [Self::Ward, Self::Complete, Self::Average, Self::Single];

    /// The SQL spelling (`'ward'`, ...), case-insensitive.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(text.trim()))
    }

    /// The SQL spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ward => "ward",
            Self::Complete => "complete",
            Self::Average => "average",
            Self::Single => "single",
        }
    }
}

/// The most rows the exact algorithm takes for `linkage`: 100,000 for Ward and single linkage
/// (O(n) memory; the time grows as n², about a minute at the limit on one core), 20,000 for
/// complete and average linkage (their distance matrix is then 1.6 GB).
pub fn max_rows(linkage: Linkage) -> usize {
    match linkage {
        Linkage::Ward | Linkage::Single => 100_000,
        Linkage::Complete | Linkage::Average => 20_000,
    }
}

/// One merge of the tree, a row of SciPy's linkage matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Merge {
    /// The smaller id of the two merged clusters: leaves are 0..n, merge i creates n + i.
    pub left: usize,
    /// The larger id.
    pub right: usize,
    /// The linkage distance at which they merge.
    pub distance: f64,
    /// Leaves under the new cluster.
    pub size: usize,
}

/// The merge tree of n leaves: n − 1 merges by non-decreasing distance.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    /// Number of leaves.
    pub leaves: usize,
    /// The merges, in SciPy's order and ids.
    pub merges: Vec<Merge>,
}

/// Why no tree was built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HclustError {
    /// No rows.
    #[error("the input has no rows to cluster")]
    Empty,
    /// More rows than the exact algorithm takes.
    #[error("{rows} rows are more than the {max} that {} linkage clusters exactly", .linkage.name())]
    TooManyRows {
        /// Rows given.
        rows: usize,
        /// The limit.
        max: usize,
        /// The linkage asked for.
        linkage: Linkage,
    },
    /// Points so far apart that a squared distance overflows a DOUBLE.
    #[error(
        "the points are too far apart to measure: a squared distance passes the largest DOUBLE (about 1.8e308); scale the features (scale => 'standard') or divide them in a subquery"
    )]
    DistanceOverflow,
    /// The caller cancelled.
    #[error("cancelled")]
    Cancelled,
}

/// The merge tree of the rows of `x` under `linkage`, Euclidean distances; `cancelled` is
/// polled between merges.
pub fn linkage(
    x: ArrayView2<'_, f64>,
    linkage: Linkage,
    cancelled: &dyn Fn() -> bool,
) -> Result<Tree, HclustError> {
    let n = x.nrows();
    if n == 0 {
        return Err(HclustError::Empty);
    }
    if n > max_rows(linkage) {
        return Err(HclustError::TooManyRows {
            rows: n,
            max: max_rows(linkage),
            linkage,
        });
    }
    let points = Points::new(x);
    if !points.distances_are_finite() {
        return Err(HclustError::DistanceOverflow);
    }
    let merges = match linkage {
        Linkage::Ward => ward_chain::merges(&points, cancelled)?,
        Linkage::Single => spanning_tree::merges(&points, cancelled)?,
        Linkage::Complete | Linkage::Average => matrix_chain::merges(&points, linkage, cancelled)?,
    };
    Ok(Tree {
        leaves: n,
        merges: relabel(sorted_by_distance(merges), n),
    })
}

/// The rows of the data, contiguous.
pub(crate) struct Points {
    pub values: Vec<f64>,
    pub n: usize,
    pub d: usize,
}

impl Points {
    fn new(x: ArrayView2<'_, f64>) -> Self {
        let (n, d) = x.dim();
        Self {
            values: x.iter().copied().collect(),
            n,
            d,
        }
    }

    /// Whether every squared distance is finite: the widest one is at most the sum of each
    /// feature's squared range (the bounding box's diagonal), checked in O(n d).
    fn distances_are_finite(&self) -> bool {
        let mut diagonal = 0.0;
        for j in 0..self.d {
            let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
            for i in 0..self.n {
                low = low.min(self.values[i * self.d + j]);
                high = high.max(self.values[i * self.d + j]);
            }
            diagonal += (high - low).powi(2);
        }
        diagonal.is_finite()
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.d..(i + 1) * self.d]
    }

    /// The Euclidean distance between rows `a` and `b`, summed in feature order as SciPy's
    /// `pdist` sums it.
    pub fn distance(&self, a: usize, b: usize) -> f64 {
        squared(self.row(a), self.row(b)).sqrt()
    }
}

/// The squared Euclidean distance, summed in order.
pub(crate) fn squared(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// A merge as an algorithm records it: the two slots merged (clusters live in the slot of
/// one of their leaves) and the distance; [`relabel`] works out ids and sizes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotMerge {
    pub a: usize,
    pub b: usize,
    pub distance: f64,
}

/// Merges by distance, ties in the order they were made (a stable sort, as SciPy's).
fn sorted_by_distance(mut merges: Vec<SlotMerge>) -> Vec<SlotMerge> {
    merges.sort_by(|x, y| x.distance.total_cmp(&y.distance));
    merges
}

/// SciPy's `label`: walk the sorted merges with a union-find, naming each cluster by the id
/// of the merge that made it (leaves keep theirs), the smaller id first.
fn relabel(merges: Vec<SlotMerge>, n: usize) -> Vec<Merge> {
    let mut sets = UnionFind::new(n);
    merges
        .into_iter()
        .map(|m| {
            let (x, y) = (sets.find(m.a), sets.find(m.b));
            let (left, right) = (sets.id[x].min(sets.id[y]), sets.id[x].max(sets.id[y]));
            let size = sets.merge(x, y);
            Merge {
                left,
                right,
                distance: m.distance,
                size,
            }
        })
        .collect()
}

/// Union-find over the leaves that also knows each set's cluster id and size.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
    /// The cluster id of each root.
    id: Vec<usize>,
    next_id: usize,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            size: vec![1; n],
            id: (0..n).collect(),
            next_id: n,
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        let mut root = x;
        while self.parent[root] != root {
            root = self.parent[root];
        }
        while self.parent[x] != root {
            let next = self.parent[x];
            self.parent[x] = root;
            x = next;
        }
        root
    }

    /// Join two roots under the next cluster id; the new size.
    fn merge(&mut self, x: usize, y: usize) -> usize {
        let size = self.size[x] + self.size[y];
        self.parent[x] = y;
        self.size[y] = size;
        self.id[y] = self.next_id;
        self.next_id += 1;
        size
    }
}

impl Tree {
    /// Each leaf's cluster when the tree is cut into `k` clusters (the state before its last
    /// k − 1 merges), clusters numbered 0.. by their smallest leaf. `k` is clamped to 1..=n.
    /// With distinct merge heights this is SciPy's `fcluster(Z, k, 'maxclust')` up to
    /// renumbering; where heights tie at the cut it still gives exactly k clusters.
    pub fn cut(&self, k: usize) -> Vec<u32> {
        let n = self.leaves;
        let k = k.clamp(1, n.max(1));
        let mut sets = UnionFind::new(n);
        // a leaf under each merge's cluster, to find its set
        let mut leaf_of: Vec<usize> = (0..n).collect();
        for m in &self.merges[..n - k] {
            let (x, y) = (sets.find(leaf_of[m.left]), sets.find(leaf_of[m.right]));
            sets.merge(x, y);
            leaf_of.push(leaf_of[m.left]);
        }
        let mut number = vec![u32::MAX; n];
        let mut next = 0;
        (0..n)
            .map(|leaf| {
                let root = sets.find(leaf);
                if number[root] == u32::MAX {
                    number[root] = next;
                    next += 1;
                }
                number[root]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Rows no linkage can measure give an error or a tree, never a panic: distances that
    /// overflow are refused up front, and a NaN (which the SQL layer refuses before it gets
    /// here) still leaves each step a cluster to merge.
    #[test]
    fn unmeasurable_rows_never_panic() {
        let far = array![[1e308], [-1e308], [0.0]];
        let nan = array![[f64::NAN], [1.0], [2.0], [f64::NAN]];
        for l in [
            Linkage::Ward,
            Linkage::Single,
            Linkage::Complete,
            Linkage::Average,
        ] {
            assert_eq!(
                linkage(far.view(), l, &|| false).err(),
                Some(HclustError::DistanceOverflow)
            );
            assert_eq!(linkage(nan.view(), l, &|| false).unwrap().merges.len(), 3);
        }
    }

    /// Five points on a line, 0, 1, 3, 7, 15: every linkage's tree worked out by hand.
    #[test]
    fn hand_computed_trees() {
        let x = array![[0.0], [1.0], [3.0], [7.0], [15.0]];
        let heights = |l: Linkage| -> Vec<(usize, usize, f64, usize)> {
            linkage(x.view(), l, &|| false)
                .unwrap()
                .merges
                .iter()
                .map(|m| (m.left, m.right, m.distance, m.size))
                .collect()
        };
        // single: {0,1} at 1 → 5, +2 at 2 → 6, +3 at 4 → 7, +4 at 8
        assert_eq!(
            heights(Linkage::Single),
            [
                (0, 1, 1.0, 2),
                (2, 5, 2.0, 3),
                (3, 6, 4.0, 4),
                (4, 7, 8.0, 5)
            ]
        );
        // complete: {0,1} at 1; {0,1}+2 at 3; {0,1,2}+3 at 7; +4 at 15
        assert_eq!(
            heights(Linkage::Complete),
            [
                (0, 1, 1.0, 2),
                (2, 5, 3.0, 3),
                (3, 6, 7.0, 4),
                (4, 7, 15.0, 5)
            ]
        );
        // average: {0,1}+2 at (3+2)/2 = 2.5; +3 at (7+6+4)/3 = 17/3; +4 at (15+14+12+8)/4
        assert_eq!(
            heights(Linkage::Average),
            [
                (0, 1, 1.0, 2),
                (2, 5, 2.5, 3),
                (3, 6, 17.0 / 3.0, 4),
                (4, 7, 12.25, 5)
            ]
        );
        // ward: height sqrt(2 na nb / (na + nb)) |ca − cb|: {0,1} sqrt(1)·1 = 1; {0,1}+2:
        // sqrt(4/3)·2.5; {0,1,2}+3: sqrt(6/4)·(7 − 4/3); then +4: sqrt(8/5)·(15 − 11/4)
        let ward = heights(Linkage::Ward);
        let expected = [
            1.0,
            (4.0f64 / 3.0).sqrt() * 2.5,
            (1.5f64).sqrt() * (7.0 - 4.0 / 3.0),
            (1.6f64).sqrt() * (15.0 - 11.0 / 4.0),
        ];
        for (got, want) in ward.iter().zip(expected) {
            assert!((got.2 - want).abs() < 1e-12, "{ward:?}");
        }
        assert_eq!(
            ward.iter().map(|m| (m.0, m.1, m.3)).collect::<Vec<_>>(),
            [(0, 1, 2), (2, 5, 3), (3, 6, 4), (4, 7, 5)]
        );
    }

    #[test]
    fn cutting_the_tree() {
        let x = array![[0.0], [1.0], [10.0], [11.0], [30.0]];
        let tree = linkage(x.view(), Linkage::Average, &|| false).unwrap();
        assert_eq!(tree.cut(1), [0, 0, 0, 0, 0]);
        assert_eq!(tree.cut(2), [0, 0, 0, 0, 1]);
        assert_eq!(tree.cut(3), [0, 0, 1, 1, 2]);
        assert_eq!(tree.cut(5), [0, 1, 2, 3, 4]);
        assert_eq!(tree.cut(9), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn one_row_has_no_merges_and_limits_are_errors() {
        let x = array![[2.0, 3.0]];
        let tree = linkage(x.view(), Linkage::Ward, &|| false).unwrap();
        assert!(tree.merges.is_empty());
        assert_eq!(tree.cut(1), [0]);
        let empty = ndarray::Array2::<f64>::zeros((0, 2));
        assert_eq!(
            linkage(empty.view(), Linkage::Ward, &|| false),
            Err(HclustError::Empty)
        );
        let many = ndarray::Array2::<f64>::zeros((20_001, 1));
        assert!(matches!(
            linkage(many.view(), Linkage::Complete, &|| false),
            Err(HclustError::TooManyRows { max: 20_000, .. })
        ));
        assert_eq!(Linkage::parse(" Ward "), Some(Linkage::Ward));
        assert_eq!(Linkage::parse("centroid"), None);
    }
}
