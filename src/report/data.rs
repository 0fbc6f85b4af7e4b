//! What a report shows, as plain numbers and words: gathered from segql's SQL tables by
//! [`gather`](super::gather), drawn by [`page`](super::page).

use super::charts::heatmap::Cell;
use super::charts::histogram::Histogram;

/// Everything on the page.
#[derive(Debug, Clone)]
pub struct ReportData {
    /// The input relation as given (`rfm(sales)`, a table name, a subquery).
    pub input: String,
    /// When the report was made (UTC, ISO 8601).
    pub generated_at: String,
    /// Rows, customers, dates.
    pub overview: Overview,
    /// The R×F grid when the input is an RFM table.
    pub rf_map: Option<RfMap>,
    /// Each feature's distribution.
    pub features: Vec<FeatureView>,
    /// How k was chosen.
    pub choice: KChoice,
    /// One row per segment.
    pub segments: Vec<SegmentRow>,
    /// The rows a DBSCAN model calls noise, when it is one.
    pub noise: Option<NoiseRow>,
    /// The top of the merge tree, for a hierarchical model.
    pub dendrogram: Option<Dendrogram>,
    /// The model's feature names, in centroid order.
    pub feature_names: Vec<String>,
    /// The input column whose sum is revenue, when there is one.
    pub revenue_column: Option<String>,
    /// Standardised feature means per segment (rows in `segments` order).
    pub profile: Vec<Vec<f64>>,
    /// The customers drawn in the scatter.
    pub scatter: Scatter,
    /// The model's settings, as `(name, value)`.
    pub settings: Vec<(String, String)>,
    /// The SQL that makes the same model again.
    pub reproduce_sql: String,
}

/// The data section.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// Rows of the input.
    pub input_rows: u64,
    /// Rows with every feature (scored).
    pub used_rows: u64,
    /// Transaction lines behind an `rfm(table)` input: the table and its rows.
    pub transactions: Option<(String, u64)>,
    /// First and last purchase, when the input has them.
    pub date_range: Option<(String, String)>,
    /// Whether the rows are customers of an RFM table.
    pub is_rfm: bool,
}

/// The R×F grid.
#[derive(Debug, Clone)]
pub struct RfMap {
    /// Score bins per axis.
    pub bins: usize,
    /// Every cell, empty ones included.
    pub cells: Vec<Cell>,
}

/// One feature's distribution before and after its fitted transform.
#[derive(Debug, Clone)]
pub struct FeatureView {
    /// The column.
    pub name: String,
    /// The fitted transform in words (`boxcox(λ=0.12)`, `none`).
    pub transform: String,
    /// Whether the transform changes the values.
    pub transformed: bool,
    /// Raw values.
    pub raw: Histogram,
    /// Values after the transform.
    pub after: Histogram,
    /// Skewness (pandas' skew()) raw and after.
    pub skew_raw: Option<f64>,
    /// Skewness after the transform.
    pub skew_after: Option<f64>,
}

/// Where the k-by-k numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceSource {
    /// The search an `'auto'` fit recorded in the model (`model_search`).
    ModelSearch,
    /// A search run for the report around a given k (`kmeans_search`).
    ReportSearch,
    /// No search: a saved model whose k was given.
    None,
}

/// The choosing-k section.
#[derive(Debug, Clone)]
pub struct KChoice {
    /// Where the rows come from.
    pub source: ChoiceSource,
    /// One row per candidate k.
    pub rows: Vec<KRow>,
    /// The model's k.
    pub chosen_k: usize,
    /// Why this k, in words.
    pub why: String,
}

/// One candidate k, as kmeans_search returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct KRow {
    /// Segments.
    pub k: usize,
    /// Sum of squared distances.
    pub inertia: f64,
    /// Mean silhouette.
    pub silhouette: Option<f64>,
    /// Davies–Bouldin index.
    pub davies_bouldin: Option<f64>,
    /// The smallest segment's share.
    pub smallest_share: Option<f64>,
    /// Adjusted Rand index to fits on resamples.
    pub stability: Option<f64>,
    /// The knee of the inertia curve.
    pub elbow: bool,
    /// The k the rule picks.
    pub recommended: bool,
}

/// One segment of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRow {
    /// Segment number.
    pub segment: usize,
    /// Its label.
    pub label: String,
    /// Input rows in it.
    pub size: u64,
    /// size / scored rows.
    pub share: f64,
    /// Its share of the revenue column's sum.
    pub revenue_share: Option<f64>,
    /// The centroid in original units, per feature.
    pub centroid: Vec<f64>,
    /// The members' mean, per feature.
    pub mean: Vec<f64>,
}

/// The segment number the report gives DBSCAN's noise rows (segment −1 in SQL).
pub const NOISE: usize = usize::MAX;

/// DBSCAN's noise: the rows in no segment.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseRow {
    /// Scored rows that are noise.
    pub size: u64,
    /// size / scored rows.
    pub share: f64,
    /// Their share of the revenue column's sum.
    pub revenue_share: Option<f64>,
}

/// The last merges of a hierarchical model's tree (SciPy's ids: leaves 0..n, merge i is n + i).
#[derive(Debug, Clone, PartialEq)]
pub struct Dendrogram {
    /// Training rows (leaves) of the whole tree.
    pub leaves: usize,
    /// `(step, left, right, height, size)` of the last merges, in step order.
    pub merges: Vec<(usize, usize, usize, f64, usize)>,
    /// The model's k: the tree is cut below its last k − 1 merges.
    pub k: usize,
}

/// The scatter's points.
#[derive(Debug, Clone, Default)]
pub struct Scatter {
    /// x axis title.
    pub x_title: String,
    /// y axis title.
    pub y_title: String,
    /// `(x, y, segment)` of the sampled customers.
    pub points: Vec<(f64, f64, usize)>,
    /// `(x, y, segment)` of the centres.
    pub centroids: Vec<(f64, f64, usize)>,
    /// Scored rows the sample was drawn from.
    pub population: u64,
    /// How the axes were made, in words.
    pub method: String,
}
