//! The top of a hierarchical model's merge tree, for the dendrogram: the last merges from
//! `hclust_tree`.

use datafusion::common::Result;
use datafusion::prelude::SessionContext;

use super::model::ReportModel;
use super::sql::{floats, integers, literal, query};
use crate::report::data::Dendrogram;

/// How many of the last merges the dendrogram shows (SciPy's `truncate_mode='lastp'` with
/// p = 30 leaves).
const DENDROGRAM_MERGES: usize = 29;

/// The top of a hierarchical model's merge tree, from `hclust_tree`.
pub async fn dendrogram(ctx: &SessionContext, model: &ReportModel) -> Result<Option<Dendrogram>> {
    if model.model.hclust.is_none() {
        return Ok(None);
    }
    let batches = query(
        ctx,
        &format!(
            "SELECT step, left_child, right_child, distance, size FROM hclust_tree({}) \
             ORDER BY step DESC LIMIT {DENDROGRAM_MERGES}",
            literal(&model.name)
        ),
    )
    .await?;
    let column = |j: usize| -> Result<Vec<usize>> {
        Ok(integers(&batches, j)?
            .into_iter()
            .map(|v| v.unwrap_or(0).max(0) as usize)
            .collect())
    };
    let (step, left, right, size) = (column(0)?, column(1)?, column(2)?, column(4)?);
    let height = floats(&batches, 3)?;
    let mut merges: Vec<(usize, usize, usize, f64, usize)> = (0..step.len())
        .map(|i| {
            (
                step[i],
                left[i],
                right[i],
                height[i].unwrap_or(0.0),
                size[i],
            )
        })
        .collect();
    merges.reverse();
    Ok(Some(Dendrogram {
        leaves: step.first().map_or(1, |s| s + 2),
        merges,
        k: model.model.k(),
    }))
}
