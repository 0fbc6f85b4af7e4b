//! The choosing-k section: the search an `'auto'` model recorded, a search run around a given
//! k, or, for a saved model that records none, the model's own judgement on the input.

use datafusion::common::Result;
use datafusion::prelude::SessionContext;

use super::input::InputTable;
use super::model::{ReportModel, fit_options};
use super::sql::{booleans, floats, ident, integers, literal, query};
use crate::report::data::{ChoiceSource, KChoice, KRow};
use crate::report::page::format::{maybe, number, percent};
use crate::report::{ModelSource, ReportRequest};

const COLUMNS: &str =
    "k, inertia, silhouette, davies_bouldin, smallest_share, stability, elbow, recommended";

/// Gather the k-by-k rows and say why the model has its k.
pub async fn k_choice(
    ctx: &SessionContext,
    request: &ReportRequest,
    table: &InputTable,
    model: &ReportModel,
) -> Result<KChoice> {
    let chosen_k = model.model.k();
    let (source, sql) = if model.model.search.is_some() {
        (
            ChoiceSource::ModelSearch,
            format!(
                "SELECT {COLUMNS} FROM model_search({}) ORDER BY k",
                literal(&model.name)
            ),
        )
    } else if matches!(request.model, ModelSource::Fit { .. }) {
        (
            ChoiceSource::ReportSearch,
            format!(
                "SELECT {COLUMNS} FROM kmeans_search({}, {}) ORDER BY k",
                ident(&table.name),
                fit_options(request, true)
            ),
        )
    } else {
        return given_k(ctx, table, model).await;
    };
    let rows = k_rows(&query(ctx, &sql).await?)?;
    let why = explain(source, &rows, chosen_k, model);
    Ok(KChoice {
        source,
        rows,
        chosen_k,
        why,
    })
}

fn k_rows(batches: &[datafusion::arrow::array::RecordBatch]) -> Result<Vec<KRow>> {
    let k = integers(batches, 0)?;
    let inertia = floats(batches, 1)?;
    let silhouette = floats(batches, 2)?;
    let davies_bouldin = floats(batches, 3)?;
    let smallest_share = floats(batches, 4)?;
    let stability = floats(batches, 5)?;
    let elbow = booleans(batches, 6)?;
    let recommended = booleans(batches, 7)?;
    Ok((0..k.len())
        .map(|i| KRow {
            k: k[i].unwrap_or(0).max(0) as usize,
            inertia: inertia[i].unwrap_or(f64::NAN),
            silhouette: silhouette[i],
            davies_bouldin: davies_bouldin[i],
            smallest_share: smallest_share[i],
            stability: stability[i],
            elbow: elbow[i],
            recommended: recommended[i],
        })
        .collect())
}

/// The reasons in words, from the rows themselves.
fn explain(source: ChoiceSource, rows: &[KRow], chosen_k: usize, model: &ReportModel) -> String {
    let recommended = rows.iter().find(|r| r.recommended);
    let elbow = rows.iter().find(|r| r.elbow).map(|r| r.k);
    let (min_share, min_stability) = model
        .model
        .search
        .as_ref()
        .map(|s| (s.options.min_share, s.options.min_stability))
        .unwrap_or((0.05, 0.8));
    let passes = |r: &KRow| {
        r.smallest_share.is_some_and(|s| s >= min_share)
            && r.stability.is_none_or(|s| s >= min_stability)
    };
    let mut why = match (source, recommended) {
        (_, Some(r)) if !passes(r) => format!(
            "Recommended: k = {} — no candidate k has a smallest segment of at least {} of the \
             customers and a stability of at least {}, so the best silhouette of all ({}) is \
             recommended.",
            r.k,
            percent(min_share),
            number(min_stability),
            maybe(r.silhouette)
        ),
        (_, Some(r)) => format!(
            "Recommended: k = {} — the best silhouette ({}) among the ks whose smallest segment \
             holds at least {} of the customers and whose stability is at least {} \
             (here {} and {}).",
            r.k,
            maybe(r.silhouette),
            percent(min_share),
            number(min_stability),
            r.smallest_share.map_or_else(|| "–".to_string(), percent),
            maybe(r.stability)
        ),
        (_, None) => "The search recommends no k.".to_string(),
    };
    match elbow {
        Some(e) => why.push_str(&format!(
            " The inertia curve bends most at k = {e} (its elbow)."
        )),
        None => why.push_str(" The inertia curve has no clear elbow."),
    }
    match source {
        ChoiceSource::ModelSearch => why.push_str(&format!(
            " The model was fitted with k = 'auto' and has k = {chosen_k}."
        )),
        _ if recommended.is_some_and(|r| r.k != chosen_k) => why.push_str(&format!(
            " The model was fitted with the k it was given, k = {chosen_k}."
        )),
        _ => why.push_str(&format!(" The model has k = {chosen_k}.")),
    }
    why
}

/// A saved model whose k was given: say so, with its silhouette on this input.
async fn given_k(ctx: &SessionContext, table: &InputTable, model: &ReportModel) -> Result<KChoice> {
    let batches = query(
        ctx,
        &format!(
            "SELECT silhouette, davies_bouldin, inertia FROM kmeans_evaluate({}, {})",
            literal(&model.name),
            ident(&table.name)
        ),
    )
    .await?;
    let silhouette = floats(&batches, 0)?.into_iter().next().flatten();
    let davies_bouldin = floats(&batches, 1)?.into_iter().next().flatten();
    let k = model.model.k();
    let m = &model.model;
    let how = match (&m.dbscan, &m.hclust) {
        (Some(d), _) => format!(
            "DBSCAN found k = {k} segments in model '{}' with eps = {} and min_samples = {}: \
             the radius and the density decide k, not a search. Leaving its noise out, on this \
             input",
            model.name,
            number(d.eps),
            d.min_samples
        ),
        (None, Some(h)) => format!(
            "k = {k} was given when the {} linkage tree of model '{}' was cut (the dendrogram \
             below shows the merges above the cut), so it records no search. On this input",
            h.linkage, model.name
        ),
        (None, None) => format!(
            "k = {k} was given when model '{}' was fitted, so it records no search. On this input",
            model.name
        ),
    };
    Ok(KChoice {
        source: ChoiceSource::None,
        rows: Vec::new(),
        chosen_k: k,
        why: format!(
            "{how} its silhouette is {} and its Davies–Bouldin index {} (kmeans_evaluate).",
            maybe(silhouette),
            maybe(davies_bouldin)
        ),
    })
}
