//! K-Means errors, in two levels: parameters rejected before fitting, and data that cannot be
//! fitted.

/// A hyperparameter out of range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KMeansParamsError {
    /// k must be at least 1.
    #[error("k must be at least 1, got {0}")]
    K(usize),
    /// n_init must be at least 1.
    #[error("n_init must be at least 1, got {0}")]
    NInit(usize),
    /// max_iter must be at least 1.
    #[error("max_iter must be at least 1, got {0}")]
    MaxIter(usize),
    /// tol must be a finite number >= 0.
    #[error("tol must be a finite number >= 0, got {0}")]
    Tol(f64),
}

/// Data that cannot be fitted with the given parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KMeansError {
    /// The parameters were rejected.
    #[error(transparent)]
    Params(#[from] KMeansParamsError),
    /// No rows to fit.
    #[error("there are no rows to fit")]
    Empty,
    /// More clusters than distinct points.
    #[error("k = {k} is greater than the number of distinct points ({distinct})")]
    TooFewPoints {
        /// Requested clusters.
        k: usize,
        /// Distinct points in the data.
        distinct: usize,
    },
    /// A NaN or infinite value.
    #[error("feature {feature} has a non-finite value (NaN or infinity) in row {row}")]
    NonFinite {
        /// Row index.
        row: usize,
        /// Feature index.
        feature: usize,
    },
    /// The fit was cancelled (Ctrl-C in the shell, a client that went away).
    #[error("the fit was cancelled")]
    Cancelled,
}
