//! The report page: one HTML document with its stylesheet and every chart inline, no script
//! and no link to anything outside the file, so it opens anywhere (a USB stick, an e-mail)
//! and prints.

pub mod format;
pub mod tables;

use std::fmt::Write;

use super::charts::bars::{Bar, share_bars};
use super::charts::curves::{Curve, metric_by_k};
use super::charts::dendrogram::dendrogram;
use super::charts::heatmap::rf_heatmap;
use super::charts::histogram::histogram;
use super::charts::palette::colour;
use super::charts::profile::{ProfileLine, profile};
use super::charts::scatter::{ScatterData, scatter};
use super::charts::svg::escape;
use super::data::{ChoiceSource, NOISE, ReportData};
use format::{count, maybe, number, percent};
use tables::{Cell, grouped_table, table};

const STYLE: &str = include_str!("style.css");

/// The whole page for `data`.
pub fn render(data: &ReportData) -> String {
    let mut body = String::new();
    body.push_str(&header(data));
    body.push_str(&data_section(data));
    body.push_str(&features_section(data));
    body.push_str(&choice_section(data));
    body.push_str(&segments_section(data));
    body.push_str(&pictures_section(data));
    body.push_str(&settings_section(data));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>Segments of {}</title><style>{STYLE}</style></head>\
         <body><main>{body}<footer>Made by segql {} on {}. Every number comes from segql's SQL functions; \
         hover a chart's marks for their values.</footer></main></body></html>\n",
        escape(&data.input),
        env!("CARGO_PKG_VERSION"),
        escape(&data.generated_at)
    )
}

fn header(data: &ReportData) -> String {
    let k = data.segments.len();
    format!(
        "<header><h1>Customer segments</h1><p>{} segments of <code>{}</code>, {} rows scored.</p>\
         <p>Generated {}.</p></header>",
        k,
        escape(&data.input),
        count(data.overview.used_rows),
        escape(&data.generated_at)
    )
}

fn kpi(name: &str, value: &str) -> String {
    format!(
        r#"<div class="kpi"><span class="value">{}</span><span class="name">{}</span></div>"#,
        escape(value),
        escape(name)
    )
}

fn data_section(data: &ReportData) -> String {
    let o = &data.overview;
    let mut out = String::from(r#"<section id="data"><h2>1. The data</h2><div class="kpis">"#);
    if let Some((table, rows)) = &o.transactions {
        out.push_str(&kpi(&format!("transaction rows in {table}"), &count(*rows)));
    }
    let unit = if o.is_rfm { "customers" } else { "rows" };
    out.push_str(&kpi(unit, &count(o.input_rows)));
    out.push_str(&kpi(&format!("{unit} scored"), &count(o.used_rows)));
    out.push_str(&kpi(
        "skipped (a NULL feature)",
        &count(o.input_rows - o.used_rows),
    ));
    if let Some((first, last)) = &o.date_range {
        out.push_str(&kpi("purchases from", first));
        out.push_str(&kpi("to", last));
    }
    out.push_str("</div>");
    let rows = vec![
        (
            vec![
                Cell::Text("input rows".into()),
                Cell::number(count(o.input_rows), o.input_rows),
            ],
            false,
        ),
        (
            vec![
                Cell::Text("rows scored".into()),
                Cell::number(count(o.used_rows), o.used_rows),
            ],
            false,
        ),
        (
            vec![
                Cell::Text("rows skipped".into()),
                Cell::number(
                    count(o.input_rows - o.used_rows),
                    o.input_rows - o.used_rows,
                ),
            ],
            false,
        ),
    ];
    out.push_str(&table(
        "overview-table",
        &[("", true), ("rows", false)],
        &rows,
    ));
    if let Some(map) = &data.rf_map {
        out.push_str(
            "<h3>Customers per recency and frequency score (the R/F map)</h3>\
             <p class=\"lead\">Each cell counts the customers with that R and F score and names \
             the R/F map segment it belongs to; darker cells hold more customers.</p><figure>",
        );
        out.push_str(&rf_heatmap("chart-rf-map", map.bins, &map.cells));
        out.push_str("</figure>");
    }
    out.push_str("</section>");
    out
}

fn features_section(data: &ReportData) -> String {
    let mut out = String::from(
        "<section id=\"features\"><h2>2. The features, before and after the skew fix</h2>\
         <p class=\"lead\">K-Means measures plain distances, so long-tailed features are \
         transformed first (the fitted transform below) and then scaled. Skewness near 0 means \
         a symmetric distribution.</p>",
    );
    for (i, f) in data.features.iter().enumerate() {
        let _ = write!(
            out,
            "<h3>{}: {}</h3><div class=\"grid\">",
            escape(&f.name),
            escape(&f.transform)
        );
        let _ = write!(
            out,
            "<figure>{}<figcaption>raw values; skewness {}{}</figcaption></figure>",
            histogram(
                &format!("chart-feature-{i}-raw"),
                &format!("distribution of {}", f.name),
                &f.name,
                &f.raw
            ),
            maybe(f.skew_raw),
            beyond(&f.raw)
        );
        if f.transformed {
            let _ = write!(
                out,
                "<figure>{}<figcaption>after {}; skewness {}{}</figcaption></figure>",
                histogram(
                    &format!("chart-feature-{i}-after"),
                    &format!("distribution of {} after {}", f.name, f.transform),
                    &format!("{} after {}", f.name, f.transform),
                    &f.after
                ),
                escape(&f.transform),
                maybe(f.skew_after),
                beyond(&f.after)
            );
        } else {
            out.push_str(
                "<figure><figcaption>Not transformed: its skewness was low enough.</figcaption></figure>",
            );
        }
        out.push_str("</div>");
    }
    out.push_str("</section>");
    out
}

/// The caption's note on rows left off a histogram's axis.
fn beyond(h: &super::charts::histogram::Histogram) -> String {
    match h.outside {
        (0, 0) => String::new(),
        (below, above) => format!(
            "; not drawn: the lowest {} and highest {} rows (0.5% at each end)",
            count(below),
            count(above)
        ),
    }
}

fn choice_section(data: &ReportData) -> String {
    let c = &data.choice;
    let mut out = String::from("<section id=\"choosing-k\"><h2>3. Choosing k</h2>");
    let _ = write!(out, "<p class=\"why\">{}</p>", escape(&c.why));
    if c.source == ChoiceSource::None || c.rows.is_empty() {
        out.push_str("</section>");
        return out;
    }
    let elbow = c.rows.iter().find(|r| r.elbow).map(|r| r.k);
    let chosen = Some(c.chosen_k);
    out.push_str("<div class=\"grid\">");
    let curves = [
        Curve {
            id: "chart-inertia",
            y_title: "inertia",
            points: c.rows.iter().map(|r| (r.k, Some(r.inertia))).collect(),
            chosen,
            elbow,
        },
        Curve {
            id: "chart-silhouette",
            y_title: "silhouette",
            points: c.rows.iter().map(|r| (r.k, r.silhouette)).collect(),
            chosen,
            elbow: None,
        },
        Curve {
            id: "chart-davies-bouldin",
            y_title: "Davies–Bouldin",
            points: c.rows.iter().map(|r| (r.k, r.davies_bouldin)).collect(),
            chosen,
            elbow: None,
        },
    ];
    let captions = [
        "inertia: the sum of squared distances to the centres; lower is tighter, and it always falls as k grows",
        "silhouette: how much closer customers are to their own segment than to the next; higher is better",
        "Davies–Bouldin: how much segments overlap; lower is better",
    ];
    for (curve, caption) in curves.iter().zip(captions) {
        let _ = write!(
            out,
            "<figure>{}<figcaption>{caption}</figcaption></figure>",
            metric_by_k(curve)
        );
    }
    out.push_str("</div>");
    let rows: Vec<(Vec<Cell>, bool)> = c
        .rows
        .iter()
        .map(|r| {
            let flags = [
                (r.elbow, "elbow"),
                (r.recommended, "recommended"),
                (r.k == c.chosen_k, "this model"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(", ");
            (
                vec![
                    Cell::number(r.k.to_string(), r.k),
                    Cell::number(number(r.inertia), r.inertia),
                    Cell::maybe(r.silhouette, number),
                    Cell::maybe(r.davies_bouldin, number),
                    Cell::maybe(r.smallest_share, percent),
                    Cell::maybe(r.stability, number),
                    Cell::Text(flags),
                ],
                r.k == c.chosen_k,
            )
        })
        .collect();
    out.push_str(&table(
        "k-table",
        &[
            ("k", false),
            ("inertia", false),
            ("silhouette", false),
            ("Davies–Bouldin", false),
            ("smallest segment", false),
            ("stability", false),
            ("", true),
        ],
        &rows,
    ));
    out.push_str("</section>");
    out
}

fn swatch(segment: usize) -> String {
    format!(
        r#"<span class="swatch-cell" style="background:{}"></span>"#,
        colour(segment)
    )
}

fn segments_section(data: &ReportData) -> String {
    let mut out = String::from(
        "<section id=\"segments\"><h2>4. The segments</h2>\
         <p class=\"lead\">Centres and member means are in the features' original units.",
    );
    if data.dendrogram.is_some() {
        out.push_str(
            " Customers are counted where assign_segment places them, by the nearest segment \
             centre (how the model scores new rows); the tree's own cut, which hclust_fit \
             reports, can put some near a border in the neighbouring segment.",
        );
    }
    out.push_str("</p>");
    let mut header: Vec<(String, bool)> = vec![
        ("segment".into(), false),
        ("label".into(), true),
        ("customers".into(), false),
        ("share".into(), false),
    ];
    if let Some(column) = &data.revenue_column {
        header.push((format!("share of {column}"), false));
    }
    let mut groups = vec![(String::new(), header.len())];
    for f in &data.feature_names {
        groups.push((f.clone(), 2));
        header.push(("centre".into(), false));
        header.push(("mean".into(), false));
    }
    let rows: Vec<(Vec<Cell>, bool)> = data
        .segments
        .iter()
        .map(|s| {
            let mut cells = vec![
                Cell::number(s.segment.to_string(), s.segment),
                Cell::Html(format!("{}{}", swatch(s.segment), escape(&s.label))),
                Cell::number(count(s.size), s.size),
                Cell::number(percent(s.share), s.share),
            ];
            if data.revenue_column.is_some() {
                cells.push(Cell::maybe(s.revenue_share, percent));
            }
            for (c, m) in s.centroid.iter().zip(&s.mean) {
                cells.push(Cell::number(number(*c), c));
                cells.push(Cell::number(number(*m), m));
            }
            (cells, false)
        })
        .collect();
    let header: Vec<(&str, bool)> = header.iter().map(|(h, t)| (h.as_str(), *t)).collect();
    out.push_str(&grouped_table("segments-table", &groups, &header, &rows));
    if let Some(noise) = &data.noise {
        let revenue = match (&data.revenue_column, noise.revenue_share) {
            (Some(column), Some(share)) => {
                format!(", {} of {}", percent(share), escape(column))
            }
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<p class=\"noise\" id=\"noise-share\">Noise (segment -1, in no segment): {} \
             customers, {} of the scored{revenue}. DBSCAN leaves out customers with too few \
             neighbours within eps; they are often the outliers worth a look.</p>",
            count(noise.size),
            percent(noise.share)
        );
    }
    if let Some(tree) = &data.dendrogram {
        let _ = write!(
            out,
            "<figure class=\"wide\">{}<figcaption>the top of the merge tree: its last {} \
             merges over {} rows, each cluster below them one leaf with its size; the dashed \
             line cuts it into the model's {} segments</figcaption></figure>",
            dendrogram("chart-dendrogram", tree),
            tree.merges.len(),
            count(tree.leaves as u64),
            tree.k
        );
    }
    out.push_str("<div class=\"grid\">");
    let bars = |value: &dyn Fn(&super::data::SegmentRow) -> f64| -> Vec<Bar> {
        data.segments
            .iter()
            .map(|s| Bar {
                label: format!("{} {}", s.segment, s.label),
                share: value(s),
                segment: s.segment,
            })
            .collect()
    };
    let _ = write!(
        out,
        "<figure>{}<figcaption>share of customers per segment</figcaption></figure>",
        share_bars(
            "chart-size-share",
            "share of customers per segment",
            "customers (% of scored)",
            &bars(&|s| s.share)
        )
    );
    if let Some(column) = &data.revenue_column {
        let _ = write!(
            out,
            "<figure>{}<figcaption>share of {} per segment</figcaption></figure>",
            share_bars(
                "chart-revenue-share",
                &format!("share of {column} per segment"),
                &format!("{column} (% of total)"),
                &bars(&|s| s.revenue_share.unwrap_or(0.0))
            ),
            escape(column)
        );
    }
    out.push_str("</div></section>");
    out
}

fn pictures_section(data: &ReportData) -> String {
    let mut out = String::from(
        "<section id=\"profiles\"><h2>5. What sets each segment apart</h2>\
         <p class=\"lead\">The profile (\"snake plot\") shows each segment's mean of each \
         feature after its transform, in standard deviations from the average customer.</p>",
    );
    let lines: Vec<ProfileLine> = data
        .segments
        .iter()
        .zip(&data.profile)
        .map(|(s, values)| ProfileLine {
            segment: s.segment,
            label: s.label.clone(),
            values: values.clone(),
        })
        .collect();
    let _ = write!(
        out,
        "<div class=\"grid\"><figure>{}<figcaption>each segment's standardised means</figcaption></figure>",
        profile("chart-profile", &data.feature_names, &lines)
    );
    let s = &data.scatter;
    let mut legend: Vec<(usize, String)> = data
        .segments
        .iter()
        .map(|s| (s.segment, s.label.clone()))
        .collect();
    if data.noise.as_ref().is_some_and(|n| n.size > 0) {
        legend.push((NOISE, "noise".into()));
    }
    let _ = write!(
        out,
        "<figure>{}<figcaption>the customers on a map: {} of {} scored customers \
         (a seeded random sample); {}</figcaption></figure></div>",
        scatter(&ScatterData {
            id: "chart-scatter",
            x_title: &s.x_title,
            y_title: &s.y_title,
            points: &s.points,
            centroids: &s.centroids,
            legend: &legend,
        }),
        count(s.points.len() as u64),
        count(s.population),
        escape(&s.method)
    );
    out.push_str("</section>");
    out
}

fn settings_section(data: &ReportData) -> String {
    let rows: Vec<(Vec<Cell>, bool)> = data
        .settings
        .iter()
        .map(|(name, value)| {
            (
                vec![Cell::Text(name.clone()), Cell::Text(value.clone())],
                false,
            )
        })
        .collect();
    format!(
        "<section id=\"settings\"><h2>6. The model's settings</h2>\
         <p class=\"lead\">Enough to make the same model again; the fingerprint identifies \
         the training data.</p>{}<pre>{}</pre></section>",
        table(
            "settings-table",
            &[("setting", true), ("value", true)],
            &rows
        ),
        escape(&data.reproduce_sql)
    )
}
