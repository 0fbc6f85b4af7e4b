//! Segmentation models: what `kmeans_fit` trains, the model store saves and `assign_segment`
//! scores with. Plain Rust and serde, no Arrow or DataFusion types.
//!
//! A [`SegmentModel`] records everything needed to repeat the fit's preprocessing exactly
//! (feature names, transforms, scalers), the centroids in the fitted space, the readable profile
//! of each segment, and how it was made (options, seed, row counts, input fingerprint).
//!
//! ```sql
//! SELECT * FROM kmeans_fit(rfm(sales), 4, model => 'seg');
//! SELECT segment, count(*) FROM assign_segment('seg', rfm(sales)) GROUP BY segment;
//! ```

mod canonical;
pub mod dbscan_model;
pub mod directory_store;
pub mod evaluate;
pub mod hclust_model;
pub mod labels;
pub mod pca_model;
pub mod placement;
mod profile;
pub mod search;
pub mod store;
pub mod train;

use serde::{Deserialize, Serialize};

use crate::kmeans::nearest;
use crate::pca::Pca;
use crate::preprocess::{Scaler, Transform};

pub use dbscan_model::{DbscanRecord, train_dbscan};
pub use directory_store::DirectoryStore;
pub use evaluate::{Evaluation, SegmentEvaluation, evaluate};
pub use hclust_model::{HclustRecord, TreeRecord, train_hclust};
pub use pca_model::train_pca;
pub use search::{KScore, RULE, Search, SearchError, SearchOptions, search};
pub use store::{MemoryStore, ModelEntry, ModelStore, StoreError};
pub use train::{
    FeatureData, NullPolicy, PreparedData, TrainError, TrainOptions, Trained, prepare, train,
    train_prepared,
};

/// The `format` field of every model file.
pub const FORMAT: &str = "segql-model";
/// The newest model format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// One input feature: its name and the preprocessing fitted to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureModel {
    /// The column name in the training input; scoring looks the feature up by it.
    pub name: String,
    /// The skew-correcting transform (identity when none).
    pub transform: Transform,
    /// The scaler after the transform (`None` when `scale => 'none'`).
    pub scaler: Option<Scaler>,
    /// The training values' summary, for `model_features` (absent in models written before
    /// it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<FeatureStats>,
}

/// A feature's training values at a glance: what `model_features` shows so an analyst can see
/// what the transform did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureStats {
    /// The smallest value, in original units.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// The mean.
    pub mean: f64,
    /// The population standard deviation.
    pub std: f64,
    /// The adjusted skewness (pandas' `skew()`) of the values; `None` below three rows.
    pub skew: Option<f64>,
    /// The same after the transform.
    pub skew_after: Option<f64>,
    /// Input rows where the feature was NULL.
    pub nulls: u64,
}

impl FeatureModel {
    /// The value of `x` in the fitted space.
    pub fn prepare(&self, x: f64) -> f64 {
        let t = self.transform.apply(x);
        match &self.scaler {
            Some(s) => s.apply(t),
            None => t,
        }
    }

    /// The original value of a point of the fitted space.
    pub fn original(&self, z: f64) -> f64 {
        let t = match &self.scaler {
            Some(s) => s.invert(z),
            None => z,
        };
        self.transform.invert(t)
    }
}

/// One segment of a fitted model: the row `kmeans_fit` returns for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// Training rows assigned to the segment.
    pub size: u64,
    /// `size` over all training rows used.
    pub share: f64,
    /// The centroid in the fitted space (transformed and standardised).
    pub centroid: Vec<f64>,
    /// The centroid in the input's original units.
    pub centroid_original: Vec<f64>,
    /// The mean of each feature over the segment's members, in original units.
    pub mean_original: Vec<f64>,
    /// Sum of squared distances of the members to the centroid, in the fitted space.
    pub sse: f64,
    /// A readable name (`Champions`, `high monetary, low recency_days`), or the analyst's own
    /// name once the segment is renamed.
    pub label: String,
    /// The name segql gave the segment, kept when an analyst renames it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_label: Option<String>,
}

/// The options a model was fitted with, as given in SQL (after defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Number of segments.
    pub k: usize,
    /// `k-means++` or `random`.
    pub init: String,
    /// Restarts; the lowest inertia is kept.
    pub n_init: usize,
    /// Iteration limit per restart.
    pub max_iter: usize,
    /// Convergence tolerance relative to the mean feature variance.
    pub tol: f64,
    /// Random seed.
    pub seed: u64,
    /// The transform text: one word (`auto`, `none`, `log`, ...) or a `feature: transform` map.
    pub transform: String,
    /// Whether features were scaled (the `standardize` alias of `scale`).
    pub standardize: bool,
    /// `standard`, `robust`, `minmax` or `none` (absent in models written before the choice:
    /// `standard` when `standardize`, else `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<String>,
    /// Whether values were shifted into a transform's domain (absent before the choice: yes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shift: Option<bool>,
    /// `skip` or `error`.
    pub nulls: String,
}

impl FitOptions {
    /// The scaler's SQL name, also for models saved before `scale` was recorded.
    pub fn scale_name(&self) -> String {
        match &self.scale {
            Some(scale) => scale.clone(),
            None if self.standardize => "standard".to_string(),
            None => "none".to_string(),
        }
    }
}

/// A fitted segmentation model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentModel {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version, [`FORMAT_VERSION`] when written by this build.
    pub format_version: u32,
    /// The model's name in the store (empty when not saved).
    pub name: String,
    /// The features, in the order of every centroid.
    pub features: Vec<FeatureModel>,
    /// The segments, numbered by their position (0 = largest).
    pub segments: Vec<SegmentInfo>,
    /// The options of the fit.
    pub options: FitOptions,
    /// Training rows used.
    pub rows: u64,
    /// Training rows left out because a feature was NULL.
    pub skipped_rows: u64,
    /// Total within-segment sum of squares in the fitted space.
    pub inertia: f64,
    /// Iterations of the restart that was kept.
    pub n_iter: u64,
    /// A hash of the training features (names and values, in a canonical row order).
    pub fingerprint: String,
    /// When the model was fitted, in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// The segql version that fitted it.
    pub segql_version: String,
    /// The search that chose k, for a `k => 'auto'` fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchRecord>,
    /// What the model is: K-Means segments (the default, and every model saved before PCA) or
    /// a PCA.
    #[serde(default, skip_serializing_if = "ModelKind::is_kmeans")]
    pub kind: ModelKind,
    /// The components of a PCA model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pca: Option<Pca>,
    /// The linkage and merge tree of a hierarchical model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hclust: Option<HclustRecord>,
    /// The radius, density and core points of a DBSCAN model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbscan: Option<DbscanRecord>,
}

/// What a saved model is, as `segql_models()` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Segments from `kmeans_fit`.
    #[default]
    Kmeans,
    /// Components from `pca`.
    Pca,
    /// Segments cut from the merge tree of `hclust_fit`.
    Hclust,
    /// Density-based segments and noise from `dbscan`.
    Dbscan,
}

impl ModelKind {
    /// The listing's word: `kmeans`, `pca`, `hclust` or `dbscan`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Kmeans => "kmeans",
            Self::Pca => "pca",
            Self::Hclust => "hclust",
            Self::Dbscan => "dbscan",
        }
    }

    /// The kind in prose: `K-Means`, `PCA`, `hierarchical`, `DBSCAN`.
    pub fn title(self) -> &'static str {
        match self {
            Self::Kmeans => "K-Means",
            Self::Pca => "PCA",
            Self::Hclust => "hierarchical",
            Self::Dbscan => "DBSCAN",
        }
    }

    /// Whether models of this kind have segments to score rows into and to profile.
    pub fn has_segments(self) -> bool {
        self != Self::Pca
    }

    fn is_kmeans(&self) -> bool {
        *self == Self::Kmeans
    }
}

/// How an `'auto'` fit chose its k: the candidates, the rule and every k's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRecord {
    /// The rule that picked k, in words.
    pub rule: String,
    /// The k it picked.
    pub chosen_k: usize,
    /// How the silhouette was measured: `exact` or `sample N`.
    pub silhouette_method: String,
    /// The settings of the search.
    pub options: SearchOptions,
    /// One score per candidate k.
    pub scores: Vec<KScore>,
}

impl SegmentModel {
    /// What is wrong with the kind's own part: a PCA's components, a K-Means model's segments.
    fn check_kind(&self) -> Option<String> {
        let d = self.features.len();
        match self.kind {
            ModelKind::Pca => match &self.pca {
                Some(pca) if pca.is_valid(d) => None,
                _ => Some("the PCA model's components are missing or invalid".into()),
            },
            ModelKind::Kmeans if self.segments.is_empty() => {
                Some("the model has no segments".into())
            }
            ModelKind::Kmeans => None,
            ModelKind::Hclust => match &self.hclust {
                _ if self.segments.is_empty() => Some("the model has no segments".into()),
                Some(record) => record.check(self.rows),
                None => Some("the hierarchical model's merge tree is missing".into()),
            },
            ModelKind::Dbscan => match &self.dbscan {
                Some(record) => record.check(d, self.k()),
                None => Some("the DBSCAN model's core points are missing".into()),
            },
        }
    }

    /// `Ok` for a model with segments (K-Means, hierarchical, DBSCAN); else the error
    /// `function` reports, naming the functions that read a PCA.
    pub fn expect_segments(&self, function: &str) -> Result<(), String> {
        if self.kind.has_segments() {
            return Ok(());
        }
        self.expect_kind(ModelKind::Kmeans, function)
    }

    /// `Ok` for a model of `kind`; else the error `function` reports, with the function that
    /// does take this model.
    pub fn expect_kind(&self, kind: ModelKind, function: &str) -> Result<(), String> {
        if self.kind == kind {
            return Ok(());
        }
        Err(match self.kind {
            ModelKind::Pca => format!(
                "model '{}' is a PCA model, which has no segments for {function}; project rows with pca_project('{}', input) or read it with model_components('{}')",
                self.name, self.name, self.name
            ),
            ModelKind::Kmeans | ModelKind::Hclust | ModelKind::Dbscan if kind == ModelKind::Pca => {
                format!(
                    "model '{}' is a {} model, not a PCA; {function} needs a model saved by pca(..., model => 'name')",
                    self.name,
                    self.kind.title()
                )
            }
            _ => format!(
                "model '{}' is a {} model; {function} takes {} models only",
                self.name,
                self.kind.title(),
                kind.title()
            ),
        })
    }

    /// Number of segments.
    pub fn k(&self) -> usize {
        self.segments.len()
    }

    /// The feature names, in order.
    pub fn feature_names(&self) -> Vec<&str> {
        self.features.iter().map(|f| f.name.as_str()).collect()
    }

    /// A scorer for this model.
    pub fn scorer(&self) -> Scorer<'_> {
        Scorer {
            model: self,
            centroids: self
                .segments
                .iter()
                .flat_map(|s| s.centroid.iter().copied())
                .collect(),
            point: vec![0.0; self.features.len()],
        }
    }

    /// Check that a model read from outside is usable: consistent dimensions, finite numbers,
    /// a known format. The message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "the format field is '{}', expected '{FORMAT}'",
                self.format
            ));
        }
        if self.format_version == 0 || self.format_version > FORMAT_VERSION {
            return Err(format!(
                "format version {} is not supported (this build reads versions 1 to {FORMAT_VERSION})",
                self.format_version
            ));
        }
        let d = self.features.len();
        if d == 0 {
            return Err("the model has no features".into());
        }
        if let Some(error) = self.check_kind() {
            return Err(error);
        }
        // A hand-edited k or segment list: scoring would silently use the segments, profiles
        // and reports the recorded k.
        let recorded_k = self.search.as_ref().map_or(self.options.k, |s| s.chosen_k);
        if matches!(self.kind, ModelKind::Kmeans | ModelKind::Hclust) && recorded_k != self.k() {
            return Err(format!(
                "it records k = {recorded_k} but has {} segments",
                self.k()
            ));
        }
        for f in &self.features {
            let ok = f.transform.is_valid();
            let scaler_ok = f
                .scaler
                .is_none_or(|s| s.center.is_finite() && s.scale.is_finite() && s.scale > 0.0);
            if !ok || !scaler_ok {
                return Err(format!("feature '{}' has invalid preprocessing", f.name));
            }
        }
        for (i, s) in self.segments.iter().enumerate() {
            if s.centroid.len() != d || s.centroid_original.len() != d || s.mean_original.len() != d
            {
                return Err(format!(
                    "segment {i} has {} centroid values for {d} features",
                    s.centroid.len()
                ));
            }
            if s.centroid.iter().any(|v| !v.is_finite()) {
                return Err(format!("segment {i} has a non-finite centroid"));
            }
        }
        Ok(())
    }
}

/// Scores raw feature values with a model: preprocessing, then the nearest centroid.
#[derive(Debug)]
pub struct Scorer<'a> {
    model: &'a SegmentModel,
    centroids: Vec<f64>,
    point: Vec<f64>,
}

impl Scorer<'_> {
    /// The segment of one row of raw feature values (in the model's feature order) and its
    /// Euclidean distance to the segment's centroid in the fitted space.
    pub fn assign(&mut self, raw: &[f64]) -> (usize, f64) {
        for ((slot, feature), x) in self.point.iter_mut().zip(&self.model.features).zip(raw) {
            *slot = feature.prepare(*x);
        }
        let (segment, squared) = nearest(&self.point, &self.centroids);
        (segment, squared.sqrt())
    }
}
