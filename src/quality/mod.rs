//! Judging a segmentation: how compact and separated its segments are (silhouette,
//! Davies–Bouldin, Calinski–Harabasz), how stable a fit is (adjusted Rand index between fits)
//! and where the elbow of an inertia curve is (kneedle). Plain Rust over rows of the fitted
//! space and one label per row; the definitions are scikit-learn's and `kneed`'s, so their
//! outputs are the references the tests compare with.
//!
//! ```
//! use segql::quality::{Points, davies_bouldin, silhouette};
//! // two tight groups far apart: silhouette near 1, Davies–Bouldin near 0
//! let x = [0.0, 0.1, 10.0, 10.1];
//! let points = Points::new(&x, 1, &[0, 0, 1, 1]);
//! assert!(silhouette(&points, 1).unwrap() > 0.98);
//! assert!(davies_bouldin(&points).unwrap() < 0.02);
//! ```

mod dispersion;
mod kneedle;
mod points;
mod rand_index;
mod scores;
mod silhouette;

pub use dispersion::{SegmentSpread, calinski_harabasz, davies_bouldin, segment_spreads};
pub use kneedle::elbow;
pub use points::Points;
pub use rand_index::adjusted_rand_index;
pub use scores::Scores;
pub use silhouette::{silhouette, silhouette_sample_rows, silhouette_samples, take_rows};
