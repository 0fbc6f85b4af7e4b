//! Hierarchical clustering as a saved model: the merge tree of the prepared rows, cut into k
//! segments. The segments are profiled as K-Means segments are (centroids are the members'
//! means in the fitted space), and new rows are scored by their nearest centroid; the tree is
//! kept for `hclust_tree('m')`.

use serde::{Deserialize, Serialize};

use super::profile::{number_labels_by_size, profile_labelled};
use super::train::{PreparedData, TrainOptions, empty_model};
use super::{ModelKind, SegmentModel};
use crate::hclust::{HclustError, Linkage, Merge, Tree, linkage};

/// What a hierarchical model adds to a [`SegmentModel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HclustRecord {
    /// `ward`, `complete`, `average` or `single`.
    pub linkage: String,
    /// The merge tree over the training rows (leaves in canonical row order).
    pub tree: TreeRecord,
}

/// A merge tree as columns: SciPy's linkage matrix, one entry per merge.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TreeRecord {
    /// The smaller child id (leaves 0..n, merge i is n + i).
    pub left: Vec<u64>,
    /// The larger child id.
    pub right: Vec<u64>,
    /// The merge height.
    pub distance: Vec<f64>,
    /// Leaves under the merge.
    pub size: Vec<u64>,
}

impl TreeRecord {
    /// The record of `tree`.
    pub fn new(tree: &Tree) -> Self {
        let m = &tree.merges;
        Self {
            left: m.iter().map(|m| m.left as u64).collect(),
            right: m.iter().map(|m| m.right as u64).collect(),
            distance: m.iter().map(|m| m.distance).collect(),
            size: m.iter().map(|m| m.size as u64).collect(),
        }
    }

    /// The merges again.
    pub fn merges(&self) -> Vec<Merge> {
        (0..self.distance.len())
            .map(|i| Merge {
                left: self.left[i] as usize,
                right: self.right[i] as usize,
                distance: self.distance[i],
                size: self.size[i] as usize,
            })
            .collect()
    }
}

impl HclustRecord {
    /// What is wrong with a record read from outside, for a model trained on `rows` rows.
    pub(super) fn check(&self, rows: u64) -> Option<String> {
        if Linkage::parse(&self.linkage).is_none() {
            return Some(format!("unknown linkage '{}'", self.linkage));
        }
        let t = &self.tree;
        let m = t.distance.len();
        if [t.left.len(), t.right.len(), t.size.len()] != [m; 3] || m as u64 + 1 != rows {
            return Some(format!(
                "the merge tree has {m} merges for {rows} rows (expected {})",
                rows.saturating_sub(1)
            ));
        }
        for i in 0..m {
            let limit = rows + i as u64;
            if t.left[i] >= limit || t.right[i] >= limit || !t.distance[i].is_finite() {
                return Some(format!("merge {i} of the tree is invalid"));
            }
        }
        None
    }
}

/// Why a hierarchical model was not trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HclustTrainError {
    /// The tree could not be built.
    #[error("{0}")]
    Tree(#[from] HclustError),
    /// k is above the number of distinct rows.
    #[error(
        "k = {k} is more than the {distinct} distinct point(s) in the input; choose k between 1 and {distinct}"
    )]
    TooFewPoints {
        /// Requested segments.
        k: usize,
        /// Distinct rows.
        distinct: usize,
    },
}

/// A hierarchical model named `name`: the `linkage` tree of the prepared rows cut into `k`
/// segments (numbered by descending size), the tree, and each prepared row's segment;
/// `cancelled` is polled while the tree grows.
pub fn train_hclust(
    name: &str,
    prepared: &PreparedData,
    options: &TrainOptions,
    k: usize,
    method: Linkage,
    cancelled: &dyn Fn() -> bool,
) -> Result<(SegmentModel, Tree, Vec<i32>), HclustTrainError> {
    let tree = linkage(prepared.x.view(), method, cancelled)?;
    // the first n − distinct merges join equal rows at height 0
    let distinct = tree.leaves - tree.merges.iter().filter(|m| m.distance == 0.0).count();
    if k > distinct {
        return Err(HclustTrainError::TooFewPoints { k, distinct });
    }
    let cut: Vec<i32> = tree.cut(k).into_iter().map(|l| l as i32).collect();
    let (labels, k) = number_labels_by_size(&cut);
    let segments = profile_labelled(
        &prepared.names,
        &prepared.features,
        &prepared.columns,
        &prepared.x,
        &labels,
        k,
    );
    let mut model = empty_model(name, prepared, options);
    model.kind = ModelKind::Hclust;
    model.options.k = k;
    model.options.n_init = 1;
    model.inertia = segments.iter().map(|s| s.sse).sum();
    model.segments = segments;
    model.hclust = Some(HclustRecord {
        linkage: method.name().to_string(),
        tree: TreeRecord::new(&tree),
    });
    Ok((model, tree, labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeatureData, prepare};

    /// 0, 1, 2 | 10, 11 | 30 with k = 2 under Ward: {0,1,2} and {10,11} join at
    /// sqrt(2·3·2/5)·9.5 ≈ 14.7 (before {10,11} and 30 at sqrt(4/3)·19.5 ≈ 22.5), and that
    /// pair with 30 last at sqrt(2·5·1/6)·(30 − 4.8) ≈ 32.5: k = 2 is {0,1,2,10,11} and {30}.
    #[test]
    fn a_hand_worked_cut() {
        let data = FeatureData {
            names: vec!["v".into()],
            columns: vec![vec![30.0, 0.0, 11.0, 1.0, 2.0, 10.0]],
            skipped_rows: 0,
            nulls: Vec::new(),
        };
        let options = TrainOptions::new(2).without_preprocessing();
        let prepared = prepare(data, &options).unwrap();
        let (model, tree, labels) =
            train_hclust("h", &prepared, &options, 2, Linkage::Ward, &|| false).unwrap();
        assert_eq!(model.kind, ModelKind::Hclust);
        assert_eq!(tree.merges.len(), 5);
        let sizes: Vec<u64> = model.segments.iter().map(|s| s.size).collect();
        assert_eq!(sizes, [5, 1]);
        // rows in canonical order: 0, 1, 2, 10, 11, 30
        assert_eq!(labels, [0, 0, 0, 0, 0, 1]);
        assert_eq!(model.segments[0].centroid_original, [4.8]);
        assert_eq!(model.segments[1].centroid_original, [30.0]);
        // sse of {0,1,2,10,11} around 4.8
        let sse: f64 = [0.0f64, 1.0, 2.0, 10.0, 11.0]
            .iter()
            .map(|v| (v - 4.8).powi(2))
            .sum();
        assert!((model.segments[0].sse - sse).abs() < 1e-9);
        assert!(model.validate().is_ok(), "{:?}", model.validate());
        let text = serde_json::to_string(&model).unwrap();
        let back: SegmentModel = serde_json::from_str(&text).unwrap();
        assert_eq!(back, model);
        assert_eq!(back.hclust.unwrap().tree.merges(), tree.merges);
        let too_many = train_hclust("h", &prepared, &options, 7, Linkage::Ward, &|| false);
        assert_eq!(
            too_many.map(|_| ()),
            Err(HclustTrainError::TooFewPoints { k: 7, distinct: 6 })
        );
    }
}
