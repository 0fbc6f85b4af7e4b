//! The "snake plot": one line per segment across the features, at the segment's standardised
//! mean of each feature (0 is the average customer).

use super::axis::{Axes, Frame, draw_axes, nice_domain, ticks};
use super::palette::colour;
use super::svg::{Anchor, Style, Svg};
use crate::report::page::format::number;

/// One segment's line.
#[derive(Debug, Clone)]
pub struct ProfileLine {
    /// The segment's number (its colour).
    pub segment: usize,
    /// Its label, for the legend and tooltip.
    pub label: String,
    /// The standardised mean of each feature, in the features' order.
    pub values: Vec<f64>,
}

/// Draw the profile of `lines` over `features`.
pub fn profile(id: &str, features: &[String], lines: &[ProfileLine]) -> String {
    let legend_height = 18.0 * lines.len() as f64;
    let longest = features
        .iter()
        .map(|f| f.chars().count())
        .max()
        .unwrap_or(0);
    let slanted_room = if features.len() > 4 {
        5.0 * longest as f64
    } else {
        0.0
    };
    let plot_height = 280.0 + slanted_room;
    let (width, height) = (560.0, plot_height + 12.0 + legend_height);
    let mut frame = Frame::new(width, plot_height);
    frame.bottom -= slanted_room;
    frame.right = width - 24.0;
    if slanted_room > 0.0 {
        frame.left = frame.left.max(6.0 * longest as f64 * 0.87);
    }
    let x = frame.x((-0.3, features.len().max(1) as f64 - 0.7));
    let all = lines.iter().flat_map(|l| l.values.iter().copied());
    let lo = all.clone().fold(0.0_f64, f64::min);
    let hi = all.fold(0.0_f64, f64::max);
    let y = frame.y(nice_domain(lo, hi, 5));
    let mut svg = Svg::new(
        id,
        "standardised mean of each feature per segment",
        width,
        height,
    );
    let axes = Axes {
        x_title: "feature",
        y_title: "standardised mean (std devs)",
        x_ticks: features
            .iter()
            .enumerate()
            .map(|(i, f)| (i as f64, f.clone()))
            .collect(),
        y_ticks: ticks(&y, 5),
        slanted_room,
    };
    draw_axes(&mut svg, &frame, &x, &y, &axes);
    svg.line(
        (frame.left, y.at(0.0)),
        (frame.right, y.at(0.0)),
        &Style::class("zero"),
    );
    svg.open_group("marks");
    for line in lines {
        let points: Vec<(f64, f64)> = line
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| (x.at(i as f64), y.at(*v)))
            .collect();
        let values: Vec<String> = features
            .iter()
            .zip(&line.values)
            .map(|(f, v)| format!("{f} {}", number(*v)))
            .collect();
        svg.polyline(
            &points,
            &Style::class("mark line")
                .stroke(colour(line.segment))
                .tooltip(format!(
                    "{} {}: {}",
                    line.segment,
                    line.label,
                    values.join(", ")
                )),
        );
    }
    svg.close_group();
    for line in lines {
        for (i, v) in line.values.iter().enumerate() {
            svg.circle(
                x.at(i as f64),
                y.at(*v),
                3.0,
                &Style::class("vertex").fill(colour(line.segment)),
            );
        }
    }
    for (row, line) in lines.iter().enumerate() {
        let top = plot_height + 10.0 + 18.0 * row as f64;
        svg.rect(
            frame.left,
            top,
            18.0,
            4.0,
            &Style::class("swatch").fill(colour(line.segment)),
        );
        svg.text(
            frame.left + 24.0,
            top + 6.0,
            &format!("{} {}", line.segment, line.label),
            Anchor::Start,
            "legend",
            0.0,
        );
    }
    svg.finish()
}
