//! Watching `kmeans_fit` runs from the application: a session-wide observer that receives the
//! progress of every fit (the shell draws a progress bar with it).
//!
//! Install it in the session configuration before creating the context:
//!
//! ```
//! use std::sync::Arc;
//! use datafusion::prelude::{SessionConfig, SessionContext};
//! use segql::FitObserver;
//!
//! let observer = FitObserver::new(|start| {
//!     eprintln!("fitting k={} on {} rows", start.k, start.rows);
//!     Box::new(|p: &segql::kmeans::FitProgress| {
//!         eprintln!("restart {}/{} iteration {}", p.run + 1, p.n_init, p.iteration)
//!     })
//! });
//! let config = SessionConfig::new().with_extension(Arc::new(observer));
//! let ctx = SessionContext::new_with_config(config);
//! segql::register_all(&ctx).unwrap();
//! // every `SELECT * FROM kmeans_fit(...)` in ctx now reports to the observer
//! ```

use std::fmt;
use std::sync::Arc;

use crate::kmeans::FitProgress;

/// What a fit is about to do, given to the observer when it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct FitStart {
    /// Segments.
    pub k: usize,
    /// Restarts.
    pub n_init: usize,
    /// Rows to fit (after NULL handling).
    pub rows: usize,
    /// Feature names.
    pub features: Vec<String>,
}

/// Receives one fit's progress, from the fitting thread. Dropped when the fit ends (finished,
/// failed or cancelled).
pub type FitWatcher = Box<dyn Fn(&FitProgress) + Send + Sync>;

type StartFn = dyn Fn(&FitStart) -> FitWatcher + Send + Sync;

/// A session extension called at the start of every `kmeans_fit`, returning the watcher of
/// that fit.
///
/// ```sql
/// SELECT * FROM kmeans_fit(rfm(sales), 8, n_init => 50);  -- the shell shows a progress bar
/// ```
#[derive(Clone)]
pub struct FitObserver {
    start: Arc<StartFn>,
}

impl FitObserver {
    /// An observer that calls `start` when a fit begins.
    pub fn new(start: impl Fn(&FitStart) -> FitWatcher + Send + Sync + 'static) -> Self {
        Self {
            start: Arc::new(start),
        }
    }

    /// The watcher of a fit that is starting.
    pub fn start(&self, fit: &FitStart) -> FitWatcher {
        (self.start)(fit)
    }
}

impl fmt::Debug for FitObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FitObserver")
    }
}
