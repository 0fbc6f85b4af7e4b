//! Watching and stopping a running fit: a progress callback and a cancel flag.
//!
//! The SQL shell shows a progress bar from the callback, and sets the flag when the user
//! presses Ctrl-C (or a client goes away), so the fit stops within one pass over the data.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use ndarray::array;
//! use segql::kmeans::{KMeansParams, Monitor, fit_monitored};
//!
//! let iterations = Arc::new(AtomicUsize::new(0));
//! let seen = Arc::clone(&iterations);
//! let monitor = Monitor::new().with_progress(move |_| {
//!     seen.fetch_add(1, Ordering::Relaxed);
//! });
//! let data = array![[0.0], [1.0], [10.0], [11.0]];
//! let params = KMeansParams::new(2).n_init(3).check().unwrap();
//! fit_monitored(&params, data.view(), &monitor).unwrap();
//! assert!(iterations.load(Ordering::Relaxed) >= 3);
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Where a fit is, reported after every Lloyd iteration and Hartigan pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitProgress {
    /// The restart under way, 0-based (`n_init` while refining the kept one).
    pub run: usize,
    /// Restarts in all.
    pub n_init: usize,
    /// Iteration within the restart, 1-based.
    pub iteration: usize,
    /// Inertia after the latest assignment.
    pub inertia: f64,
    /// Lowest inertia of the finished restarts so far.
    pub best_inertia: Option<f64>,
    /// True once the restarts are done and the kept solution is being refined.
    pub refining: bool,
}

type ProgressFn = dyn Fn(&FitProgress) + Send + Sync;

/// A progress callback and a cancel flag for [`fit_monitored`](super::fit_monitored); both
/// optional. `Monitor::new()` watches nothing.
#[derive(Clone, Default)]
pub struct Monitor {
    progress: Option<Arc<ProgressFn>>,
    cancel: Option<Arc<AtomicBool>>,
}

impl Monitor {
    /// A monitor that reports nothing and never cancels.
    pub fn new() -> Self {
        Self::default()
    }

    /// Call `report` after every iteration (from the fitting thread).
    pub fn with_progress(mut self, report: impl Fn(&FitProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(report));
        self
    }

    /// Stop the fit with [`KMeansError::Cancelled`](super::KMeansError::Cancelled) once `flag`
    /// is set.
    pub fn with_cancel(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Whether anyone listens to progress (so the caller can skip computing it).
    pub fn wants_progress(&self) -> bool {
        self.progress.is_some()
    }

    pub(crate) fn report(&self, progress: &FitProgress) {
        if let Some(report) = &self.progress {
            report(progress);
        }
    }

    /// Whether the fit should stop now.
    pub fn is_cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("progress", &self.progress.is_some())
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Sets its flag when dropped: tie a fit's cancel flag to the life of whatever consumes it.
#[derive(Debug)]
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
