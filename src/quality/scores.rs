//! The three scores of a labelling, kept together wherever a segmentation is judged (a search
//! over k, an evaluation of a saved model).

use serde::{Deserialize, Serialize};

use super::dispersion::{calinski_harabasz, davies_bouldin};
use super::points::Points;
use super::silhouette::silhouette;

/// Silhouette (higher is better), Davies–Bouldin (lower), Calinski–Harabasz (higher); each
/// `None` with fewer than two segments present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Mean silhouette.
    pub silhouette: Option<f64>,
    /// Davies–Bouldin index.
    pub davies_bouldin: Option<f64>,
    /// Calinski–Harabasz index.
    pub calinski_harabasz: Option<f64>,
}

impl Scores {
    /// The scores of `all` rows, the silhouette measured on `sampled` (the same rows, or a
    /// sample of them) with `threads` threads.
    pub fn of(all: &Points<'_>, sampled: &Points<'_>, threads: usize) -> Self {
        Self::with_silhouette(all, silhouette(sampled, threads))
    }

    /// The scores of `all` rows with a silhouette already measured.
    pub fn with_silhouette(all: &Points<'_>, silhouette: Option<f64>) -> Self {
        Self {
            silhouette,
            davies_bouldin: davies_bouldin(all),
            calinski_harabasz: calinski_harabasz(all),
        }
    }
}
