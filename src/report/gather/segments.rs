//! The segments table: centres and labels from `model_segments`, sizes, revenue and member
//! means of the input from `assign_segment`.

use datafusion::common::Result;
use datafusion::prelude::SessionContext;

use super::input::InputTable;
use super::model::ReportModel;
use super::sql::{floats, ident, integers, literal, query, texts};
use crate::report::data::{NoiseRow, SegmentRow};

/// Columns that hold revenue, in the order they are looked for.
const REVENUE_COLUMNS: [&str; 5] = ["monetary", "revenue", "amount", "total", "sales"];

/// The input column whose sum is the revenue, when it has one.
pub fn revenue_column(table: &InputTable) -> Option<String> {
    REVENUE_COLUMNS
        .iter()
        .find(|c| table.has(c))
        .map(|c| c.to_string())
}

/// One row per segment of the model, with this input's members, and for a DBSCAN model the
/// rows it calls noise.
pub async fn segment_rows(
    ctx: &SessionContext,
    table: &InputTable,
    model: &ReportModel,
    revenue: Option<&str>,
) -> Result<(Vec<SegmentRow>, Option<NoiseRow>)> {
    let features = model.model.feature_names();
    let d = features.len();
    // model_segments: segment, size, share, the centroids, the training means, sse, label
    let saved = query(
        ctx,
        &format!(
            "SELECT * FROM model_segments({}) ORDER BY segment",
            literal(&model.name)
        ),
    )
    .await?;
    let segment_ids = integers(&saved, 0)?;
    let centroids: Vec<Vec<Option<f64>>> = (0..d)
        .map(|j| floats(&saved, 3 + j))
        .collect::<Result<_>>()?;
    let labels = texts(&saved, 3 + 2 * d + 1)?;

    let revenue_sql = revenue.map_or("NULL".to_string(), |c| {
        format!("sum(CAST({} AS DOUBLE))", ident(c))
    });
    let means: Vec<String> = features
        .iter()
        .map(|f| format!("avg(CAST({} AS DOUBLE))", ident(f)))
        .collect();
    let members = query(
        ctx,
        &format!(
            "SELECT segment, count(*), {revenue_sql}, {} FROM assign_segment({}, {}) \
             WHERE segment IS NOT NULL GROUP BY segment ORDER BY segment",
            means.join(", "),
            literal(&model.name),
            ident(&table.name)
        ),
    )
    .await?;
    let member_ids = integers(&members, 0)?;
    let sizes = integers(&members, 1)?;
    let revenues = floats(&members, 2)?;
    let member_means: Vec<Vec<Option<f64>>> = (0..d)
        .map(|j| floats(&members, 3 + j))
        .collect::<Result<_>>()?;

    let scored: i64 = sizes.iter().flatten().sum();
    let total_revenue: f64 = revenues.iter().flatten().sum();
    let rows = segment_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let id = id.unwrap_or(0);
            let at = member_ids.iter().position(|m| *m == Some(id));
            let size = at.and_then(|a| sizes[a]).unwrap_or(0).max(0) as u64;
            SegmentRow {
                segment: id.max(0) as usize,
                label: labels[i].clone().unwrap_or_default(),
                size,
                share: if scored > 0 {
                    size as f64 / scored as f64
                } else {
                    0.0
                },
                revenue_share: revenue.and(at).and_then(|a| revenues[a]).map(|r| {
                    if total_revenue != 0.0 {
                        r / total_revenue
                    } else {
                        0.0
                    }
                }),
                centroid: centroids.iter().map(|c| c[i].unwrap_or(f64::NAN)).collect(),
                mean: member_means
                    .iter()
                    .map(|m| at.and_then(|a| m[a]).unwrap_or(f64::NAN))
                    .collect(),
            }
        })
        .collect();
    let noise = model.model.dbscan.as_ref().map(|_| {
        let at = member_ids.iter().position(|m| *m == Some(-1));
        let size = at.and_then(|a| sizes[a]).unwrap_or(0).max(0) as u64;
        NoiseRow {
            size,
            share: if scored > 0 {
                size as f64 / scored as f64
            } else {
                0.0
            },
            revenue_share: revenue.map(|_| {
                let noise_revenue = at.and_then(|a| revenues[a]).unwrap_or(0.0);
                if total_revenue != 0.0 {
                    noise_revenue / total_revenue
                } else {
                    0.0
                }
            }),
        }
    });
    Ok((rows, noise))
}
