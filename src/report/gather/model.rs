//! The model a report shows: fitted for it (`kmeans_fit`, saved under a temporary name unless
//! the caller names it) or a saved one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::common::Result;
use datafusion::prelude::SessionContext;

use super::input::InputTable;
use super::sql::{ident, literal, query};
use crate::error::SegqlError;
use crate::model::{ModelStore, SegmentModel};
use crate::report::{ModelSource, ReportRequest};

/// The model in the store, removed again when this goes away if the report made it only for
/// itself.
pub struct ReportModel {
    store: Arc<dyn ModelStore>,
    /// The model's name in the store.
    pub name: String,
    /// The model.
    pub model: Arc<SegmentModel>,
    temporary: bool,
}

impl Drop for ReportModel {
    fn drop(&mut self) {
        if self.temporary {
            let _ = self.store.remove(&self.name);
        }
    }
}

impl ReportModel {
    /// Whether the report made the model for itself (it is removed afterwards).
    pub fn is_temporary(&self) -> bool {
        self.temporary
    }
}

/// The named options of a fit the report runs: the seed, any `ks`, the caller's own.
pub fn fit_options(request: &ReportRequest, with_ks: bool) -> String {
    let mut options = format!("seed => {}", request.seed);
    if with_ks && let Some(ks) = &request.ks {
        options.push_str(&format!(", ks => {}", literal(ks)));
    }
    if !request.options.trim().is_empty() {
        options.push_str(", ");
        options.push_str(request.options.trim());
    }
    options
}

/// The `k` argument of `kmeans_fit` as SQL: a number stays a number, anything else is quoted.
pub fn k_argument(k: &str) -> String {
    if k.trim().parse::<u64>().is_ok() {
        k.trim().to_string()
    } else {
        literal(k.trim())
    }
}

/// Fit the model the request asks for on `table`, or load the saved one it names.
pub async fn report_model(
    ctx: &SessionContext,
    store: &Arc<dyn ModelStore>,
    request: &ReportRequest,
    table: &InputTable,
) -> Result<ReportModel> {
    let (name, temporary) = match &request.model {
        ModelSource::Saved(name) => (name.clone(), false),
        ModelSource::Fit { k } => {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let (name, temporary) = match &request.save_as {
                Some(name) => (name.clone(), false),
                None => (
                    format!(
                        "segql_report_{}_{}",
                        std::process::id(),
                        NEXT.fetch_add(1, Ordering::Relaxed)
                    ),
                    true,
                ),
            };
            let is_auto = k.trim().eq_ignore_ascii_case("auto");
            let sql = format!(
                "SELECT segment FROM kmeans_fit({}, {}, {}, model => {})",
                ident(&table.name),
                k_argument(k),
                fit_options(request, is_auto),
                literal(&name)
            );
            query(ctx, &sql).await?;
            (name, temporary)
        }
    };
    let model = store
        .load(&name)
        .map_err(|e| SegqlError::argument("report", e.to_string()));
    let report_model = ReportModel {
        store: Arc::clone(store),
        name,
        model: Arc::new(SegmentModel::clone(
            &*model.map_err(datafusion::error::DataFusionError::from)?,
        )),
        temporary,
    };
    report_model
        .model
        .expect_segments("report")
        .map_err(|message| SegqlError::argument("report", message))?;
    Ok(report_model)
}
