//! Histograms of one feature: how many rows fall in each of equal-width bins.

use super::axis::{Axes, Frame, draw_axes, nice_domain, ticks};
use super::palette::NEUTRAL;
use super::svg::{Style, Svg};
use crate::report::page::format::{count, number};

/// Counts of values in equal-width bins.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The lower edge of the first bin.
    pub start: f64,
    /// The width of every bin.
    pub width: f64,
    /// Rows per bin.
    pub counts: Vec<u64>,
    /// Rows outside the bins (below, above).
    pub outside: (u64, u64),
}

impl Histogram {
    /// `bins` equal-width bins over the finite `values` (the last bin includes the maximum).
    pub fn of(values: impl Iterator<Item = f64> + Clone, bins: usize) -> Self {
        let (lo, hi) = values
            .clone()
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        Self::between(values, bins, lo, hi)
    }

    /// Bins between the `tail` and `1 - tail` quantiles, so that a few extreme values do not
    /// squeeze everyone else into one bar; the rows beyond are counted in `outside`.
    pub fn trimmed(values: &[f64], bins: usize, tail: f64) -> Self {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return Self::of(std::iter::empty(), bins);
        }
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        let (lo, hi) = (at(tail), at(1.0 - tail));
        Self::between(values.iter().copied(), bins, lo, hi)
    }

    fn between(values: impl Iterator<Item = f64>, bins: usize, lo: f64, hi: f64) -> Self {
        if lo > hi {
            return Self {
                start: 0.0,
                width: 1.0,
                counts: Vec::new(),
                outside: (0, 0),
            };
        }
        let bins = if hi > lo { bins.max(1) } else { 1 };
        let width = if hi > lo {
            (hi - lo) / bins as f64
        } else {
            1.0
        };
        let mut counts = vec![0u64; bins];
        let mut outside = (0, 0);
        for v in values.filter(|v| v.is_finite()) {
            if v < lo {
                outside.0 += 1;
            } else if v > hi {
                outside.1 += 1;
            } else {
                counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
            }
        }
        Self {
            start: lo,
            width,
            counts,
            outside,
        }
    }
}

/// A histogram chart with `x_title` under it.
pub fn histogram(id: &str, description: &str, x_title: &str, h: &Histogram) -> String {
    let (width, height) = (420.0, 220.0);
    let frame = Frame::new(width, height);
    let end = h.start + h.width * h.counts.len() as f64;
    let x = frame.x((h.start, end));
    let top = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let y = frame.y(nice_domain(0.0, top, 4));
    let mut svg = Svg::new(id, description, width, height);
    let axes = Axes {
        x_title,
        y_title: "rows",
        x_ticks: ticks(&x, 5),
        y_ticks: ticks(&y, 4),
        slanted_room: 0.0,
    };
    draw_axes(&mut svg, &frame, &x, &y, &axes);
    svg.open_group("marks");
    for (i, n) in h.counts.iter().enumerate() {
        let lo = h.start + h.width * i as f64;
        let (left, right) = (x.at(lo), x.at(lo + h.width));
        let top = y.at(*n as f64);
        svg.rect(
            left,
            top,
            (right - left - 0.5).max(0.5),
            y.at(0.0) - top,
            &Style::class("mark bin").fill(NEUTRAL).tooltip(format!(
                "{} to {}: {} rows",
                number(lo),
                number(lo + h.width),
                count(*n)
            )),
        );
    }
    svg.close_group();
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fall_in_equal_bins_with_the_maximum_in_the_last() {
        let h = Histogram::of([0.0, 1.0, 2.0, 3.0, 4.0, f64::NAN].into_iter(), 4);
        assert_eq!(h.start, 0.0);
        assert_eq!(h.width, 1.0);
        assert_eq!(h.counts, vec![1, 1, 1, 2]);
        let flat = Histogram::of([7.0, 7.0].into_iter(), 10);
        assert_eq!(flat.counts, vec![2]);
        assert!(Histogram::of(std::iter::empty(), 3).counts.is_empty());
        let values: Vec<f64> = (0..=100).map(f64::from).chain([1e9]).collect();
        let trimmed = Histogram::trimmed(&values, 10, 0.01);
        assert_eq!((trimmed.start, trimmed.outside), (1.0, (1, 1)));
        assert_eq!(trimmed.counts.iter().sum::<u64>(), 100);
    }
}
