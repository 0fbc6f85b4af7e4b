//! Customers as dots on two axes, coloured by segment, with each segment's centre marked.

use super::axis::{Axes, Frame, draw_axes, nice_domain, ticks};
use super::palette::{NOISE_GREY, OKABE_ITO, colour};
use super::svg::{Anchor, Style, Svg};
use crate::report::data::NOISE;

/// What to draw.
#[derive(Debug, Clone)]
pub struct ScatterData<'a> {
    /// Chart id.
    pub id: &'a str,
    /// The x axis title, with units or explained variance.
    pub x_title: &'a str,
    /// The y axis title.
    pub y_title: &'a str,
    /// `(x, y, segment)` per sampled customer.
    pub points: &'a [(f64, f64, usize)],
    /// `(x, y, segment)` per segment centre.
    pub centroids: &'a [(f64, f64, usize)],
    /// `(segment, label)` for the legend.
    pub legend: &'a [(usize, String)],
}

/// Draw the scatter. Segments past the palette's eight colours are drawn as squares.
pub fn scatter(data: &ScatterData) -> String {
    let legend_height = 18.0 * data.legend.len() as f64;
    let (width, height) = (560.0, 412.0 + legend_height);
    let mut frame = Frame::new(width, 400.0);
    frame.right = width - 24.0;
    let (x_lo, x_hi) = bulk(
        data.points.iter().map(|p| p.0),
        data.centroids.iter().map(|p| p.0),
    );
    let (y_lo, y_hi) = bulk(
        data.points.iter().map(|p| p.1),
        data.centroids.iter().map(|p| p.1),
    );
    let x = frame.x(nice_domain(x_lo, x_hi, 6));
    let y = frame.y(nice_domain(y_lo, y_hi, 6));
    let (x_lo, x_hi) = x.domain();
    let (y_lo, y_hi) = y.domain();
    let inside = |px: f64, py: f64| px >= x_lo && px <= x_hi && py >= y_lo && py <= y_hi;
    let pinned = data.points.iter().filter(|p| !inside(p.0, p.1)).count();
    let mut svg = Svg::new(
        data.id,
        "a sample of customers coloured by segment",
        width,
        height,
    );
    let axes = Axes {
        x_title: data.x_title,
        y_title: data.y_title,
        x_ticks: ticks(&x, 6),
        y_ticks: ticks(&y, 6),
        slanted_room: 0.0,
    };
    draw_axes(&mut svg, &frame, &x, &y, &axes);
    svg.open_group("points");
    for (px, py, segment) in data.points {
        let (cx, cy) = (px.clamp(x_lo, x_hi), py.clamp(y_lo, y_hi));
        let class = if inside(*px, *py) {
            "point"
        } else {
            "point pinned"
        };
        marker(&mut svg, x.at(cx), y.at(cy), *segment, 2.2, class);
    }
    svg.close_group();
    svg.open_group("centroids");
    for (px, py, segment) in data.centroids {
        let (cx, cy) = (x.at(*px), y.at(*py));
        let r = 8.0;
        let diamond = [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)];
        svg.polygon(
            &diamond,
            &Style::class("centroid")
                .fill(colour(*segment))
                .stroke("#ffffff")
                .tooltip(format!("centre of segment {segment}")),
        );
    }
    svg.close_group();
    for (row, (segment, label)) in data.legend.iter().enumerate() {
        let top = 410.0 + 18.0 * row as f64;
        marker(
            &mut svg,
            frame.left + 6.0,
            top + 2.0,
            *segment,
            5.0,
            "swatch",
        );
        svg.text(
            frame.left + 18.0,
            top + 6.0,
            &if *segment == NOISE {
                format!("-1 {label}")
            } else {
                format!("{segment} {label}")
            },
            Anchor::Start,
            "legend",
            0.0,
        );
    }
    svg.text(
        frame.right,
        frame.top + 10.0,
        "◆ segment centre",
        Anchor::End,
        "note",
        0.0,
    );
    if pinned > 0 {
        svg.text(
            frame.right,
            frame.top + 24.0,
            &format!("{pinned} far-out customers drawn on the edge"),
            Anchor::End,
            "note",
            0.0,
        );
    }
    svg.finish()
}

/// The axis range that holds the middle 99% of the points and every centre, so that a few
/// far-out customers do not shrink everyone else into a corner.
fn bulk(points: impl Iterator<Item = f64>, centres: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut sorted: Vec<f64> = points.filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let (mut lo, mut hi) = match sorted.len() {
        0 => (f64::INFINITY, f64::NEG_INFINITY),
        n => {
            let at = |q: f64| sorted[((n - 1) as f64 * q).round() as usize];
            (at(0.005), at(0.995))
        }
    };
    for c in centres.filter(|v| v.is_finite()) {
        lo = lo.min(c);
        hi = hi.max(c);
    }
    if lo > hi { (0.0, 1.0) } else { (lo, hi) }
}

fn marker(svg: &mut Svg, x: f64, y: f64, segment: usize, r: f64, class: &str) {
    if segment == NOISE {
        // DBSCAN's noise: small and grey, in no segment's colour
        let style = Style::class(class).fill(NOISE_GREY);
        svg.circle(x, y, r * 0.7, &style);
        return;
    }
    let style = Style::class(class).fill(colour(segment));
    if segment < OKABE_ITO.len() {
        svg.circle(x, y, r, &style);
    } else {
        svg.rect(x - r, y - r, 2.0 * r, 2.0 * r, &style);
    }
}
