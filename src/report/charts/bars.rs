//! Vertical bars, one per category: segment sizes and revenue shares.

use super::axis::{Axes, Frame, draw_axes, nice_domain, ticks};
use super::palette::colour;
use super::svg::{Anchor, Style, Svg};
use crate::report::page::format::percent;

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The label under the bar.
    pub label: String,
    /// The bar's value, a share from 0 to 1.
    pub share: f64,
    /// The segment the bar belongs to (its colour).
    pub segment: usize,
}

/// A bar chart of shares (the y axis in percent).
pub fn share_bars(id: &str, description: &str, y_title: &str, bars: &[Bar]) -> String {
    let (width, height) = (460.0, 260.0);
    let frame = Frame::new(width, height);
    let top = bars.iter().map(|b| b.share).fold(0.0, f64::max).max(0.01);
    let (_, hi) = nice_domain(0.0, top * 100.0, 5);
    let y = frame.y((0.0, hi / 100.0));
    let slots = bars.len().max(1) as f64;
    let x = frame.x((0.0, slots));
    let mut svg = Svg::new(id, description, width, height);
    let mut y_ticks = ticks(&frame.y((0.0, hi)), 5);
    for (value, label) in &mut y_ticks {
        *value /= 100.0;
        label.push('%');
    }
    let axes = Axes {
        x_title: "segment",
        y_title,
        x_ticks: Vec::new(),
        y_ticks,
        slanted_room: 0.0,
    };
    draw_axes(&mut svg, &frame, &x, &y, &axes);
    svg.open_group("marks");
    for (i, bar) in bars.iter().enumerate() {
        let left = x.at(i as f64 + 0.15);
        let right = x.at(i as f64 + 0.85);
        let top = y.at(bar.share);
        svg.rect(
            left,
            top,
            right - left,
            y.at(0.0) - top,
            &Style::class("mark bar")
                .fill(colour(bar.segment))
                .tooltip(format!("{}: {}", bar.label, percent(bar.share))),
        );
    }
    svg.close_group();
    for (i, bar) in bars.iter().enumerate() {
        let middle = x.at(i as f64 + 0.5);
        svg.text(
            middle,
            y.at(bar.share) - 4.0,
            &percent(bar.share),
            Anchor::Middle,
            "value",
            0.0,
        );
        svg.text(
            middle,
            frame.bottom + 17.0,
            &bar.segment.to_string(),
            Anchor::Middle,
            "tick",
            0.0,
        );
    }
    svg.finish()
}
