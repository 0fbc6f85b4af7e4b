//! The scored rows: every input row's segment (`assign_segment`, the library's own scoring)
//! and feature values, the material of the histograms, the profile and the scatter.

use datafusion::common::Result;
use datafusion::prelude::SessionContext;

use super::input::InputTable;
use super::model::ReportModel;
use super::sql::{floats, ident, integers, literal, query};
use crate::report::data::NOISE;

/// Rows with every feature, column by column.
#[derive(Debug, Clone)]
pub struct ScoredRows {
    /// Each row's segment ([`NOISE`] for a DBSCAN model's noise).
    pub segment: Vec<usize>,
    /// Each feature's values (outer: features in the model's order).
    pub features: Vec<Vec<f64>>,
}

impl ScoredRows {
    /// How many rows.
    pub fn len(&self) -> usize {
        self.segment.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.segment.is_empty()
    }

    /// Row `i`'s feature values.
    pub fn row(&self, i: usize) -> Vec<f64> {
        self.features.iter().map(|f| f[i]).collect()
    }
}

/// Score the input with the model and keep the rows it could score.
pub async fn scored_rows(
    ctx: &SessionContext,
    table: &InputTable,
    model: &ReportModel,
) -> Result<ScoredRows> {
    let names = model.model.feature_names();
    let columns: Vec<String> = names
        .iter()
        .map(|n| format!("CAST({} AS DOUBLE)", ident(n)))
        .collect();
    let sql = format!(
        "SELECT segment, {} FROM assign_segment({}, {})",
        columns.join(", "),
        literal(&model.name),
        ident(&table.name)
    );
    let batches = query(ctx, &sql).await?;
    let segments = integers(&batches, 0)?;
    let values: Vec<Vec<Option<f64>>> = (0..names.len())
        .map(|j| floats(&batches, j + 1))
        .collect::<Result<_>>()?;
    let mut rows = ScoredRows {
        segment: Vec::with_capacity(segments.len()),
        features: vec![Vec::with_capacity(segments.len()); names.len()],
    };
    for (i, segment) in segments.iter().enumerate() {
        let Some(segment) = segment else { continue };
        rows.segment
            .push(usize::try_from(*segment).unwrap_or(NOISE));
        for (column, feature) in rows.features.iter_mut().zip(&values) {
            column.push(feature[i].unwrap_or(f64::NAN));
        }
    }
    Ok(rows)
}
