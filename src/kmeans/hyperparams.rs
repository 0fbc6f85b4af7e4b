//! K-Means hyperparameters: a builder ([`KMeansParams`]) checked into [`KMeansValidParams`],
//! the only type that can fit. Each option maps one-to-one onto a SQL option of `kmeans_fit`.

use super::errors::KMeansParamsError;

/// How the first centres are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Init {
    /// Greedy k-means++ (2 + ln k candidate centres per step, keeping the best), as scikit-learn.
    KMeansPlusPlus,
    /// k distinct points chosen uniformly at random.
    Random,
}

impl Init {
    /// The SQL spelling: `'k-means++'` or `'random'`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "k-means++" | "kmeans++" => Some(Init::KMeansPlusPlus),
            "random" => Some(Init::Random),
            _ => None,
        }
    }

    /// The canonical SQL spelling.
    pub fn name(self) -> &'static str {
        match self {
            Init::KMeansPlusPlus => "k-means++",
            Init::Random => "random",
        }
    }
}

/// Unchecked K-Means hyperparameters, with scikit-learn's defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KMeansParams {
    /// Number of clusters.
    pub k: usize,
    /// How the first centres are chosen.
    pub init: Init,
    /// Restarts; the fit with the lowest inertia is kept.
    pub n_init: usize,
    /// Maximum Lloyd iterations per restart.
    pub max_iter: usize,
    /// Convergence tolerance, relative to the mean feature variance (as scikit-learn).
    pub tol: f64,
    /// Random seed: the same seed gives the same model.
    pub seed: u64,
    /// Worker threads; the result does not depend on it.
    pub threads: usize,
}

impl KMeansParams {
    /// `k` clusters, k-means++, 10 restarts, 300 iterations, tol 1e-4, seed 0, one thread.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            init: Init::KMeansPlusPlus,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            threads: 1,
        }
    }

    /// The initialisation method.
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Number of restarts; the fit with the lowest inertia is kept.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Maximum Lloyd iterations per restart.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Convergence tolerance, relative to the mean feature variance (as scikit-learn).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Random seed: the same seed gives the same model.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Worker threads; the result does not depend on it.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Check the parameters.
    pub fn check(self) -> Result<KMeansValidParams, KMeansParamsError> {
        if self.k == 0 {
            return Err(KMeansParamsError::K(self.k));
        }
        if self.n_init == 0 {
            return Err(KMeansParamsError::NInit(self.n_init));
        }
        if self.max_iter == 0 {
            return Err(KMeansParamsError::MaxIter(self.max_iter));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(KMeansParamsError::Tol(self.tol));
        }
        Ok(KMeansValidParams {
            params: KMeansParams {
                threads: self.threads.max(1),
                ..self
            },
        })
    }
}

/// Checked hyperparameters: the only way to fit.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansValidParams {
    params: KMeansParams,
}

impl KMeansValidParams {
    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.params.k
    }
    /// Initialisation method.
    pub fn init(&self) -> Init {
        self.params.init
    }
    /// Number of restarts.
    pub fn n_init(&self) -> usize {
        self.params.n_init
    }
    /// Maximum iterations per restart.
    pub fn max_iter(&self) -> usize {
        self.params.max_iter
    }
    /// Relative tolerance.
    pub fn tol(&self) -> f64 {
        self.params.tol
    }
    /// Random seed.
    pub fn seed(&self) -> u64 {
        self.params.seed
    }
    /// Worker threads (at least one).
    pub fn threads(&self) -> usize {
        self.params.threads
    }
}
