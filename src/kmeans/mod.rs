//! K-Means clustering in plain Rust over `ndarray`, free of Arrow and DataFusion.
//!
//! ```
//! use ndarray::array;
//! use segql::kmeans::{KMeansParams, fit};
//!
//! let data = array![[0.0], [1.0], [10.0], [11.0]];
//! let params = KMeansParams::new(2).seed(7).check().unwrap();
//! let model = fit(&params, data.view()).unwrap();
//! assert_eq!(model.inertia, 1.0); // centroids 0.5 and 10.5
//! ```

pub mod algorithm;
pub mod errors;
mod hartigan;
pub mod hyperparams;
mod lloyd_hamerly;
pub mod monitor;

mod restarts;
mod rows;
mod seeding;

pub use algorithm::{KMeansFit, fit, fit_monitored, nearest, squared_distance};
pub use errors::{KMeansError, KMeansParamsError};
pub use hyperparams::{Init, KMeansParams, KMeansValidParams};
pub use monitor::{CancelOnDrop, FitProgress, Monitor};

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    /// `per` points around each of `centres`, with standard deviation `sd`.
    fn blobs(centres: &[[f64; 2]], per: usize, sd: f64, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let noise = Normal::new(0.0, sd).unwrap();
        let mut data = Array2::zeros((centres.len() * per, 2));
        for (b, centre) in centres.iter().enumerate() {
            for p in 0..per {
                for j in 0..2 {
                    data[[b * per + p, j]] = centre[j] + noise.sample(&mut rng);
                }
            }
        }
        data
    }

    #[test]
    fn a_hand_computed_fit() {
        // two groups on a line: centroids 0.5 and 10.5, inertia 4 * 0.25
        let data = array![[0.0], [1.0], [10.0], [11.0]];
        for init in [Init::KMeansPlusPlus, Init::Random] {
            let params = KMeansParams::new(2).init(init).seed(3).check().unwrap();
            let fit = fit(&params, data.view()).unwrap();
            let mut centres: Vec<f64> = fit.centroids.iter().copied().collect();
            centres.sort_by(f64::total_cmp);
            assert_eq!(centres, vec![0.5, 10.5]);
            assert_eq!(fit.inertia, 1.0);
            assert_eq!(fit.labels[0], fit.labels[1]);
            assert_eq!(fit.labels[2], fit.labels[3]);
            assert_ne!(fit.labels[0], fit.labels[2]);
        }
    }

    #[test]
    fn well_separated_blobs_are_recovered() {
        let truth = [[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]];
        let data = blobs(&truth, 500, 1.0, 1);
        let params = KMeansParams::new(3).seed(0).check().unwrap();
        let fit = fit(&params, data.view()).unwrap();
        for (b, centre) in truth.iter().enumerate() {
            let label = fit.labels[b * 500];
            assert!(
                fit.labels[b * 500..(b + 1) * 500]
                    .iter()
                    .all(|l| *l == label)
            );
            let c = fit.centroids.row(label);
            assert!(
                (c[0] - centre[0]).abs() < 0.2 && (c[1] - centre[1]).abs() < 0.2,
                "{c}"
            );
        }
        // inertia is the sum of squared distances to the assigned centroids
        let direct: f64 = (0..data.nrows())
            .map(|i| {
                let c = fit.centroids.row(fit.labels[i]);
                (0..2).map(|j| (data[[i, j]] - c[j]).powi(2)).sum::<f64>()
            })
            .sum();
        assert!((direct - fit.inertia).abs() < 1e-9 * direct);
    }

    #[test]
    fn the_result_is_bit_identical_whatever_the_thread_count() {
        // overlapping blobs, more rows than one chunk of work
        let data = blobs(
            &[[0.0, 0.0], [3.0, 1.0], [1.0, 4.0], [5.0, 5.0]],
            6000,
            1.5,
            2,
        );
        let run = |threads| {
            let params = KMeansParams::new(5)
                .seed(42)
                .n_init(3)
                .threads(threads)
                .check()
                .unwrap();
            fit(&params, data.view()).unwrap()
        };
        let one = run(1);
        for threads in [2, 3, 8] {
            let other = run(threads);
            assert_eq!(
                one.inertia.to_bits(),
                other.inertia.to_bits(),
                "{threads} threads"
            );
            assert_eq!(one.centroids, other.centroids, "{threads} threads");
            assert_eq!(one.labels, other.labels, "{threads} threads");
        }
        // another seed is another search
        let params = KMeansParams::new(5).seed(43).n_init(3).check().unwrap();
        assert_ne!(fit(&params, data.view()).unwrap().centroids, one.centroids);
    }

    #[test]
    fn more_restarts_never_do_worse() {
        let data = blobs(&[[0.0, 0.0], [3.0, 1.0], [1.0, 4.0]], 300, 2.0, 5);
        let inertia = |n_init| {
            let params = KMeansParams::new(6).seed(9).n_init(n_init).check().unwrap();
            fit(&params, data.view()).unwrap().inertia
        };
        // the first restarts of n_init = 10 are those of n_init = 1
        assert!(inertia(10) <= inertia(1));
    }

    #[test]
    fn bad_parameters_are_rejected_before_fitting() {
        assert_eq!(KMeansParams::new(0).check(), Err(KMeansParamsError::K(0)));
        assert_eq!(
            KMeansParams::new(2).n_init(0).check(),
            Err(KMeansParamsError::NInit(0))
        );
        assert_eq!(
            KMeansParams::new(2).max_iter(0).check(),
            Err(KMeansParamsError::MaxIter(0))
        );
        assert!(matches!(
            KMeansParams::new(2).tol(f64::NAN).check(),
            Err(KMeansParamsError::Tol(_))
        ));
        assert_eq!(Init::parse("K-Means++"), Some(Init::KMeansPlusPlus));
        assert_eq!(Init::parse("random"), Some(Init::Random));
        assert_eq!(Init::parse("forgy"), None);
    }

    #[test]
    fn data_that_cannot_be_fitted_is_an_error() {
        let params = KMeansParams::new(3).check().unwrap();
        let empty = Array2::<f64>::zeros((0, 2));
        assert_eq!(fit(&params, empty.view()), Err(KMeansError::Empty));
        // duplicates: four rows, two distinct points
        let dup = array![[1.0, 1.0], [1.0, 1.0], [2.0, 2.0], [2.0, 2.0]];
        assert_eq!(
            fit(&params, dup.view()),
            Err(KMeansError::TooFewPoints { k: 3, distinct: 2 })
        );
        let two = KMeansParams::new(2).check().unwrap();
        assert_eq!(fit(&two, dup.view()).unwrap().inertia, 0.0);
        let nan = array![[1.0, 1.0], [f64::NAN, 2.0]];
        assert_eq!(
            fit(&params, nan.view()),
            Err(KMeansError::NonFinite { row: 1, feature: 0 })
        );
    }
}
