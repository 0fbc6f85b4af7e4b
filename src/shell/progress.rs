//! Live progress of long `kmeans_fit` runs on stderr, drawn with `indicatif`.
//!
//! A fit that finishes within half a second shows nothing; a longer one shows the restart,
//! the iteration and the current inertia, and the bar disappears when the fit ends.
//!
//! ```sql
//! SELECT * FROM kmeans_fit(rfm(sales), 8, n_init => 50);
//! -- ⠙ kmeans_fit k=8, 18744 rows [=====>       ] restart 21/50 · iteration 7 · inertia 3052.41 (best 2987.10)
//! ```

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::functions::kmeans_fit::fit_observer::{FitObserver, FitStart};
use crate::kmeans::FitProgress;

/// How long a fit runs before its bar appears.
pub const SHOW_AFTER: Duration = Duration::from_millis(500);

/// A fit observer drawing one bar per fit on stderr (nothing when stderr is not a terminal).
pub fn progress_bars() -> FitObserver {
    FitObserver::new(|start| {
        let bar = Mutex::new(FitBar {
            start: start.clone(),
            started: Instant::now(),
            bar: None,
        });
        Box::new(move |progress: &FitProgress| {
            if let Ok(mut bar) = bar.lock() {
                bar.update(progress);
            }
        })
    })
}

struct FitBar {
    start: FitStart,
    started: Instant,
    bar: Option<ProgressBar>,
}

impl FitBar {
    fn update(&mut self, p: &FitProgress) {
        if self.bar.is_none() {
            if self.started.elapsed() < SHOW_AFTER {
                return;
            }
            let bar =
                ProgressBar::with_draw_target(Some(p.n_init as u64), ProgressDrawTarget::stderr());
            let template = format!(
                "{{spinner}} kmeans_fit k={}, {} rows [{{bar:24}}] {{msg}} · {{elapsed}}",
                self.start.k, self.start.rows
            );
            if let Ok(style) = ProgressStyle::with_template(&template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bar = Some(bar);
        }
        let Some(bar) = &self.bar else { return };
        // restarts run side by side and report in turn: the bar shows the furthest one
        bar.set_position(bar.position().max(p.run.min(p.n_init) as u64));
        let best = p
            .best_inertia
            .map(|b| format!(" (best {b:.2})"))
            .unwrap_or_default();
        let message = if p.refining {
            format!(
                "refining the best of {} restarts · pass {} · inertia {:.2}",
                p.n_init, p.iteration, p.inertia
            )
        } else {
            format!(
                "restart {}/{} · iteration {} · inertia {:.2}{best}",
                p.run + 1,
                p.n_init,
                p.iteration,
                p.inertia
            )
        };
        bar.set_message(message);
    }
}

impl Drop for FitBar {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
