//! One metric against k (inertia, silhouette, Davies–Bouldin): a line through the candidate
//! ks, a dot per k, the chosen k ringed and the elbow marked.

use super::axis::{Axes, Frame, draw_axes, nice_domain, ticks};
use super::palette::{ACCENT, NEUTRAL};
use super::svg::{Anchor, Style, Svg};
use crate::report::page::format::number;

/// The metric's value at each candidate k (`None` where it is not defined, e.g. k = 1).
#[derive(Debug, Clone)]
pub struct Curve<'a> {
    /// Chart id.
    pub id: &'a str,
    /// The metric's name with its direction, e.g. "silhouette (higher is better)".
    pub y_title: &'a str,
    /// `(k, value)` per candidate.
    pub points: Vec<(usize, Option<f64>)>,
    /// The k the model has.
    pub chosen: Option<usize>,
    /// The knee of the curve, marked with a dashed line.
    pub elbow: Option<usize>,
}

/// Draw a metric-by-k chart.
pub fn metric_by_k(curve: &Curve) -> String {
    let (width, height) = (360.0, 230.0);
    let frame = Frame::new(width, height);
    let ks: Vec<usize> = curve.points.iter().map(|(k, _)| *k).collect();
    let (k_lo, k_hi) = (
        ks.iter().copied().min().unwrap_or(1) as f64,
        ks.iter().copied().max().unwrap_or(1) as f64,
    );
    let x = frame.x((k_lo - 0.5, k_hi + 0.5));
    let values: Vec<f64> = curve.points.iter().filter_map(|(_, v)| *v).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y = frame.y(nice_domain(lo.min(0.0_f64.max(lo)), hi, 4));
    let mut svg = Svg::new(
        curve.id,
        &format!("{} by number of segments k", curve.y_title),
        width,
        height,
    );
    let axes = Axes {
        x_title: "number of segments k",
        y_title: curve.y_title,
        x_ticks: ks.iter().map(|k| (*k as f64, k.to_string())).collect(),
        y_ticks: ticks(&y, 4),
        slanted_room: 0.0,
    };
    draw_axes(&mut svg, &frame, &x, &y, &axes);
    if let Some(elbow) = curve.elbow {
        let px = x.at(elbow as f64);
        svg.line((px, frame.top), (px, frame.bottom), &Style::class("elbow"));
        svg.text(
            px + 4.0,
            frame.top + 10.0,
            "elbow",
            Anchor::Start,
            "note",
            0.0,
        );
    }
    let line: Vec<(f64, f64)> = curve
        .points
        .iter()
        .filter_map(|(k, v)| v.map(|v| (x.at(*k as f64), y.at(v))))
        .collect();
    svg.polyline(&line, &Style::class("curve").stroke(NEUTRAL));
    svg.open_group("marks");
    for (k, v) in &curve.points {
        let Some(v) = v else { continue };
        let chosen = curve.chosen == Some(*k);
        let style = Style::class(if chosen {
            "mark point chosen"
        } else {
            "mark point"
        })
        .fill(if chosen { ACCENT } else { NEUTRAL })
        .tooltip(format!("k = {k}: {}", number(*v)));
        svg.circle(
            x.at(*k as f64),
            y.at(*v),
            if chosen { 6.0 } else { 3.5 },
            &style,
        );
    }
    svg.close_group();
    svg.finish()
}
