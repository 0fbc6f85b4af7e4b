//! Linear scales, round tick values and the frame every x/y chart shares: plot area, grid,
//! tick labels and axis titles.

use super::svg::{Anchor, Style, Svg};
use crate::report::page::format::number;

/// Maps a data interval onto a pixel interval.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    domain: (f64, f64),
    range: (f64, f64),
}

impl Scale {
    /// A scale from `domain` onto `range`; an empty domain is widened so nothing divides by 0.
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Self {
        let (mut lo, mut hi) = domain;
        if !(lo.is_finite() && hi.is_finite()) {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
            let pad = lo.abs().max(1.0) * 0.5;
            (lo, hi) = (lo - pad, hi + pad);
        }
        Self {
            domain: (lo, hi),
            range,
        }
    }

    /// The pixel position of `value`.
    pub fn at(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }

    /// The data interval.
    pub fn domain(&self) -> (f64, f64) {
        self.domain
    }
}

/// About `count` round values (1, 2 or 5 times a power of ten apart) covering `lo..=hi`.
pub fn nice_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / count.max(1) as f64;
    let exponent = raw.log10().floor() as i32;
    let power = 10f64.powi(exponent);
    let multiple = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * power >= raw)
        .unwrap_or(10.0);
    let step = multiple * power;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    // Below 1 a step such as 0.2 is not exact in binary, so 3 × 0.2 would print as
    // 0.6000000000000001; dividing whole numbers by a power of ten rounds to the nearest
    // double of the decimal instead.
    let value = |i: i64| {
        if exponent < 0 {
            i as f64 * multiple / 10f64.powi(-exponent)
        } else {
            i as f64 * step
        }
    };
    (first..=last).map(value).collect()
}

/// A domain widened outward to round tick values, so the first and last ticks sit on the edges.
pub fn nice_domain(lo: f64, hi: f64, count: usize) -> (f64, f64) {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return (lo, hi);
    }
    let ticks = nice_ticks(lo, hi, count);
    let step = match ticks.as_slice() {
        [a, b, ..] => b - a,
        _ => return (lo, hi),
    };
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

/// The drawing area of an x/y chart inside its margins.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Left edge of the plot area.
    pub left: f64,
    /// Top edge of the plot area.
    pub top: f64,
    /// Right edge of the plot area.
    pub right: f64,
    /// Bottom edge of the plot area.
    pub bottom: f64,
}

impl Frame {
    /// The plot area of a `width` × `height` chart with room for tick labels and titles.
    pub fn new(width: f64, height: f64) -> Self {
        Self {
            left: 64.0,
            top: 16.0,
            right: width - 16.0,
            bottom: height - 48.0,
        }
    }

    /// A scale onto the plot area's width.
    pub fn x(&self, domain: (f64, f64)) -> Scale {
        Scale::new(domain, (self.left, self.right))
    }

    /// A scale onto the plot area's height (larger values higher up).
    pub fn y(&self, domain: (f64, f64)) -> Scale {
        Scale::new(domain, (self.bottom, self.top))
    }
}

/// What the axes show.
#[derive(Debug, Clone)]
pub struct Axes<'a> {
    /// Title under the x axis, with units.
    pub x_title: &'a str,
    /// Title beside the y axis, with units.
    pub y_title: &'a str,
    /// Tick values and their labels on the x axis.
    pub x_ticks: Vec<(f64, String)>,
    /// Tick values and their labels on the y axis.
    pub y_ticks: Vec<(f64, String)>,
    /// Extra room under the x axis for long tick labels, which are then drawn slanted.
    pub slanted_room: f64,
}

/// Ticks at round values of a scale's domain, labelled as the page writes numbers.
pub fn ticks(scale: &Scale, count: usize) -> Vec<(f64, String)> {
    let (lo, hi) = scale.domain();
    nice_ticks(lo, hi, count)
        .into_iter()
        .map(|v| (v, number(v)))
        .collect()
}

/// Draw the grid, the two axis lines, tick labels and titles.
pub fn draw_axes(svg: &mut Svg, frame: &Frame, x: &Scale, y: &Scale, axes: &Axes) {
    svg.open_group("axes");
    for (value, label) in &axes.y_ticks {
        let py = y.at(*value);
        svg.line((frame.left, py), (frame.right, py), &Style::class("grid"));
        svg.text(frame.left - 6.0, py + 4.0, label, Anchor::End, "tick", 0.0);
    }
    for (value, label) in &axes.x_ticks {
        let px = x.at(*value);
        svg.line(
            (px, frame.bottom),
            (px, frame.bottom + 4.0),
            &Style::class("axis"),
        );
        if axes.slanted_room > 0.0 {
            svg.text(px, frame.bottom + 14.0, label, Anchor::End, "tick", -30.0);
        } else {
            svg.text(px, frame.bottom + 17.0, label, Anchor::Middle, "tick", 0.0);
        }
    }
    svg.line(
        (frame.left, frame.bottom),
        (frame.right, frame.bottom),
        &Style::class("axis"),
    );
    svg.line(
        (frame.left, frame.top),
        (frame.left, frame.bottom),
        &Style::class("axis"),
    );
    let middle_x = (frame.left + frame.right) / 2.0;
    svg.text(
        middle_x,
        frame.bottom + 38.0 + axes.slanted_room,
        axes.x_title,
        Anchor::Middle,
        "axis-title",
        0.0,
    );
    let middle_y = (frame.top + frame.bottom) / 2.0;
    svg.text(
        16.0,
        middle_y,
        axes.y_title,
        Anchor::Middle,
        "axis-title",
        -90.0,
    );
    svg.close_group();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_domain() {
        assert_eq!(
            nice_ticks(0.0, 10.0, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        assert_eq!(nice_ticks(0.13, 0.92, 4), vec![0.2, 0.4, 0.6, 0.8]);
        assert_eq!(nice_domain(3.0, 97.0, 5), (0.0, 100.0));
        assert_eq!(nice_ticks(5.0, 5.0, 5), vec![5.0]);
        assert_eq!(
            nice_ticks(0.0, 0.07, 7),
            vec![0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07]
        );
        assert_eq!(nice_ticks(-0.35, 0.1, 3), vec![-0.2, 0.0]);
        assert_eq!(nice_ticks(-0.35, 0.1, 5), vec![-0.3, -0.2, -0.1, 0.0, 0.1]);
    }

    #[test]
    fn scales_map_and_survive_an_empty_domain() {
        let s = Scale::new((0.0, 10.0), (100.0, 200.0));
        assert_eq!(s.at(5.0), 150.0);
        let flat = Scale::new((3.0, 3.0), (0.0, 100.0));
        assert_eq!(flat.at(3.0), 50.0);
    }
}
