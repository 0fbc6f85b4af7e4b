//! Gathering a report: every number comes from segql's SQL functions (`kmeans_fit`,
//! `model_search` or `kmeans_search`, `model_segments`, `assign_segment`, `segql_rfm_segment`)
//! or from the library's own preprocessing and PCA applied to the rows they return.

pub mod choice;
pub mod input;
pub mod model;
pub mod pictures;
pub mod rows;
pub mod segments;
pub mod sql;
pub mod tree;

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::prelude::SessionContext;

use super::data::ReportData;
use super::page::format::{count, number};
use super::{ModelSource, ReportRequest};
use crate::model::{ModelStore, SegmentModel};
use input::InputTable;
use model::{ReportModel, fit_options, k_argument, report_model};
use sql::literal;

/// Run the request's SQL and collect what the page shows, in the page's order.
pub async fn gather(
    ctx: &SessionContext,
    store: &Arc<dyn ModelStore>,
    request: &ReportRequest,
) -> Result<ReportData> {
    let table = InputTable::materialise(ctx, &request.input).await?;
    let model = report_model(ctx, store, request, &table).await?;
    let rows = rows::scored_rows(ctx, &table, &model).await?;
    let revenue_column = segments::revenue_column(&table);
    let (segments, noise) =
        segments::segment_rows(ctx, &table, &model, revenue_column.as_deref()).await?;
    let dendrogram = tree::dendrogram(ctx, &model).await?;
    let choice = choice::k_choice(ctx, request, &table, &model).await?;
    let overview = input::overview(ctx, &table, &request.input, rows.len() as u64).await?;
    let rf_map = input::rf_map(ctx, &table).await?;
    let m = &model.model;
    Ok(ReportData {
        input: request.input.clone(),
        generated_at: now_utc(),
        overview,
        rf_map,
        features: pictures::feature_views(m, &rows),
        choice,
        profile: pictures::standardised_means(m, &rows)
            .into_iter()
            .enumerate()
            .filter(|(s, _)| segments.iter().any(|row| row.segment == *s))
            .map(|(_, v)| v)
            .collect(),
        scatter: pictures::scatter(m, &rows, request.seed),
        segments,
        noise,
        dendrogram,
        feature_names: m.feature_names().iter().map(|s| s.to_string()).collect(),
        revenue_column,
        settings: settings(&model),
        reproduce_sql: reproduce_sql(request, &model),
    })
}

/// The model's settings, for the page's last table.
fn settings(model: &ReportModel) -> Vec<(String, String)> {
    let m: &SegmentModel = &model.model;
    let o = &m.options;
    let transforms: Vec<String> = m
        .features
        .iter()
        .map(|f| format!("{}: {}", f.name, f.transform.describe()))
        .collect();
    let mut out = vec![
        (
            "model".into(),
            if model.is_temporary() {
                "not saved (segql report --save NAME keeps it)".into()
            } else {
                model.name.clone()
            },
        ),
        ("features".into(), m.feature_names().join(", ")),
        ("transforms".into(), transforms.join("; ")),
        ("scaler".into(), o.scale_name()),
        ("k".into(), m.k().to_string()),
        ("method".into(), m.kind.title().to_string()),
    ];
    // what decides the segments: K-Means' settings, the linkage, or DBSCAN's radius and density
    match (&m.hclust, &m.dbscan) {
        (Some(h), _) => out.extend([
            ("k chosen by".into(), "given (the tree's cut)".into()),
            ("linkage".into(), h.linkage.clone()),
        ]),
        (_, Some(d)) => out.extend([
            ("k chosen by".into(), "DBSCAN (eps and min_samples)".into()),
            (
                "eps, min_samples".into(),
                format!("{}, {}", number(d.eps), d.min_samples),
            ),
            ("training rows that were noise".into(), count(d.noise)),
        ]),
        _ => out.extend([
            (
                "k chosen by".into(),
                if m.search.is_some() {
                    "search ('auto')".into()
                } else {
                    "given".into()
                },
            ),
            ("seed".into(), o.seed.to_string()),
            ("n_init".into(), o.n_init.to_string()),
            ("init".into(), o.init.clone()),
            ("max_iter, tol".into(), format!("{}, {}", o.max_iter, o.tol)),
        ]),
    }
    out.extend([
        ("NULL features".into(), o.nulls.clone()),
        ("training rows".into(), count(m.rows)),
        ("rows skipped in training".into(), count(m.skipped_rows)),
        ("inertia".into(), number(m.inertia)),
        ("fingerprint".into(), m.fingerprint.clone()),
        ("made by".into(), format!("segql {}", m.segql_version)),
    ]);
    if let Some(search) = &m.search {
        let ks: Vec<String> = search.options.ks.iter().map(|k| k.to_string()).collect();
        out.push(("searched ks".into(), ks.join(", ")));
        out.push(("silhouette".into(), search.silhouette_method.clone()));
    }
    out
}

/// The statement that makes the same model again (a fit), or scores the input with it.
fn reproduce_sql(request: &ReportRequest, model: &ReportModel) -> String {
    match &request.model {
        ModelSource::Fit { k } => {
            let is_auto = k.trim().eq_ignore_ascii_case("auto");
            format!(
                "SELECT * FROM kmeans_fit({}, {}, {}, model => {});",
                request.input,
                k_argument(k),
                fit_options(request, is_auto),
                literal(request.save_as.as_deref().unwrap_or("seg"))
            )
        }
        ModelSource::Saved(_) => format!(
            "SELECT * FROM assign_segment({}, {});",
            literal(&model.name),
            request.input
        ),
    }
}

/// The current time as `2026-12-02 21:05 UTC`.
fn now_utc() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    chrono::DateTime::from_timestamp(seconds, 0)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}
