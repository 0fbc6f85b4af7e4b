//! Principal component analysis of a prepared feature matrix (plain Rust, no Arrow): the
//! directions of greatest variance, for a 2-D view of many features and for fewer, uncorrelated
//! inputs to a fit. The same numbers as scikit-learn's `PCA` (its covariance solver): the
//! covariance with `n - 1`, its eigenvectors as components, signed so that each component's
//! largest loading (by absolute value) is positive, as scikit-learn's `svd_flip` does.

mod eigen;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// A fitted PCA: what `pca(..., model => 'p')` saves and `pca_project` applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// The mean of each (prepared) feature, subtracted before projecting.
    pub mean: Vec<f64>,
    /// The components, one row of d loadings each, by descending variance.
    pub components: Vec<Vec<f64>>,
    /// The variance along each component (`n - 1` in the denominator).
    pub explained_variance: Vec<f64>,
    /// Each component's share of the total variance.
    pub explained_variance_ratio: Vec<f64>,
    /// The total variance of the prepared features.
    pub total_variance: f64,
}

/// Why a PCA cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PcaError {
    /// More components than features.
    #[error("components => {asked} is more than the {features} feature(s); choose 1 to {features}")]
    TooManyComponents {
        /// Components asked for.
        asked: usize,
        /// Features there are.
        features: usize,
    },
    /// Fewer than two rows: no variance.
    #[error("PCA needs at least two rows, got {0}")]
    TooFewRows(usize),
}

impl Pca {
    /// Fit `components` components to the rows of `x` (n × d).
    pub fn fit(x: ArrayView2<f64>, components: usize) -> Result<Self, PcaError> {
        let (n, d) = x.dim();
        if components == 0 || components > d {
            return Err(PcaError::TooManyComponents {
                asked: components,
                features: d,
            });
        }
        if n < 2 {
            return Err(PcaError::TooFewRows(n));
        }
        let mean: Vec<f64> = (0..d).map(|j| x.column(j).sum() / n as f64).collect();
        let covariance = covariance(x, &mean);
        let (values, vectors) = eigen::symmetric_eigen(&covariance, d);
        let total_variance: f64 = (0..d).map(|j| covariance[j * d + j]).sum();
        let components: Vec<Vec<f64>> = vectors
            .into_iter()
            .take(components)
            .map(largest_loading_positive)
            .collect();
        let explained_variance: Vec<f64> = values
            .iter()
            .take(components.len())
            .map(|v| v.max(0.0))
            .collect();
        let explained_variance_ratio = explained_variance
            .iter()
            .map(|v| {
                if total_variance > 0.0 {
                    v / total_variance
                } else {
                    0.0
                }
            })
            .collect();
        Ok(Self {
            mean,
            components,
            explained_variance,
            explained_variance_ratio,
            total_variance,
        })
    }

    /// The coordinates of one prepared row on every component.
    pub fn project(&self, row: &[f64]) -> Vec<f64> {
        self.components
            .iter()
            .map(|c| {
                c.iter()
                    .zip(row.iter().zip(&self.mean))
                    .map(|(w, (x, m))| w * (x - m))
                    .sum()
            })
            .collect()
    }

    /// Whether every number is finite and the dimensions agree (a hand-edited model may break
    /// either).
    pub fn is_valid(&self, features: usize) -> bool {
        let k = self.components.len();
        k > 0
            && self.mean.len() == features
            && self.components.iter().all(|c| c.len() == features)
            && self.explained_variance.len() == k
            && self.explained_variance_ratio.len() == k
            && self
                .mean
                .iter()
                .chain(self.components.iter().flatten())
                .chain(&self.explained_variance)
                .all(|v| v.is_finite())
    }
}

/// The covariance matrix (row-major, d × d) of the rows of `x` around `mean`, over `n - 1`.
fn covariance(x: ArrayView2<f64>, mean: &[f64]) -> Vec<f64> {
    let (n, d) = x.dim();
    let mut c = vec![0.0; d * d];
    let mut centred = vec![0.0; d];
    for row in x.rows() {
        for (j, v) in centred.iter_mut().enumerate() {
            *v = row[j] - mean[j];
        }
        for i in 0..d {
            for j in i..d {
                c[i * d + j] += centred[i] * centred[j];
            }
        }
    }
    for i in 0..d {
        for j in i..d {
            c[i * d + j] /= (n - 1) as f64;
            c[j * d + i] = c[i * d + j];
        }
    }
    c
}

/// scikit-learn's sign convention: flip a component so its largest loading by absolute value
/// (the first of equals) is positive.
fn largest_loading_positive(mut component: Vec<f64>) -> Vec<f64> {
    let largest = component
        .iter()
        .enumerate()
        .fold((0, 0.0_f64), |(bi, bv), (i, v)| {
            if v.abs() > bv.abs() {
                (i, *v)
            } else {
                (bi, bv)
            }
        })
        .1;
    if largest < 0.0 {
        for v in &mut component {
            *v = -*v;
        }
    }
    component
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn points_on_a_line_have_one_component_by_hand() {
        // (0, 0), (1, 2), (2, 4), (3, 6): all variance along (1, 2)/√5
        let x = array![[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0]];
        let pca = Pca::fit(x.view(), 2).unwrap();
        assert_eq!(pca.mean, vec![1.5, 3.0]);
        let s5 = 5.0_f64.sqrt();
        assert!((pca.components[0][0] - 1.0 / s5).abs() < 1e-12);
        assert!((pca.components[0][1] - 2.0 / s5).abs() < 1e-12);
        // var(x) = 5/3, var(y) = 20/3: all 25/3 on the first component
        assert!((pca.explained_variance[0] - 25.0 / 3.0).abs() < 1e-12);
        assert!(pca.explained_variance[1].abs() < 1e-12);
        assert!((pca.explained_variance_ratio[0] - 1.0).abs() < 1e-12);
        // (3, 6) lies 1.5·√5 along the component from the mean
        assert!((pca.project(&[3.0, 6.0])[0] - 1.5 * s5).abs() < 1e-12);
    }

    #[test]
    fn bad_requests_are_errors() {
        let x = array![[0.0, 1.0], [1.0, 0.0]];
        assert_eq!(
            Pca::fit(x.view(), 3),
            Err(PcaError::TooManyComponents {
                asked: 3,
                features: 2
            })
        );
        assert_eq!(
            Pca::fit(array![[1.0, 2.0]].view(), 1),
            Err(PcaError::TooFewRows(1))
        );
    }
}
