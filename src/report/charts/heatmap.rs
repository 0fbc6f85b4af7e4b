//! The R×F grid: customers per (recency score, frequency score) cell, each cell named after
//! the R/F map segment it belongs to.

use super::svg::{Anchor, Style, Svg};
use crate::report::page::format::count;

/// One cell of the grid.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Recency score (1 = longest ago).
    pub r: usize,
    /// Frequency score (1 = fewest orders).
    pub f: usize,
    /// Customers in the cell.
    pub customers: u64,
    /// The R/F map segment of the cell.
    pub segment: String,
}

/// Draw a `bins` × `bins` grid, shaded by customers (a single-hue blue scale, readable in any
/// colour vision and in grey print).
pub fn rf_heatmap(id: &str, bins: usize, cells: &[Cell]) -> String {
    let cell_w = 118.0;
    let cell_h = 58.0;
    let (left, top) = (64.0, 12.0);
    let width = left + cell_w * bins as f64 + 16.0;
    let height = top + cell_h * bins as f64 + 52.0;
    let most = cells.iter().map(|c| c.customers).max().unwrap_or(1).max(1) as f64;
    let mut svg = Svg::new(
        id,
        "customers per recency and frequency score, with the R/F map segment of each cell",
        width,
        height,
    );
    svg.open_group("marks");
    for cell in cells {
        let x = left + cell_w * (cell.f.saturating_sub(1)) as f64;
        let y = top + cell_h * (bins - cell.r.min(bins)) as f64;
        let shade = cell.customers as f64 / most;
        let fill = blue(shade);
        svg.rect(
            x,
            y,
            cell_w - 2.0,
            cell_h - 2.0,
            &Style::class("mark cell").fill(&fill).tooltip(format!(
                "R {} F {}: {} customers, {}",
                cell.r,
                cell.f,
                count(cell.customers),
                cell.segment
            )),
        );
        let text_class = if shade > 0.55 {
            "cell-text dark"
        } else {
            "cell-text"
        };
        svg.text(
            x + cell_w / 2.0,
            y + 24.0,
            &count(cell.customers),
            Anchor::Middle,
            text_class,
            0.0,
        );
        svg.text(
            x + cell_w / 2.0,
            y + 42.0,
            &cell.segment,
            Anchor::Middle,
            &format!("{text_class} small"),
            0.0,
        );
    }
    svg.close_group();
    for i in 1..=bins {
        let x = left + cell_w * (i as f64 - 0.5);
        svg.text(
            x,
            top + cell_h * bins as f64 + 16.0,
            &i.to_string(),
            Anchor::Middle,
            "tick",
            0.0,
        );
        let y = top + cell_h * (bins as f64 - i as f64 + 0.5);
        svg.text(
            left - 8.0,
            y + 4.0,
            &i.to_string(),
            Anchor::End,
            "tick",
            0.0,
        );
    }
    svg.text(
        left + cell_w * bins as f64 / 2.0,
        top + cell_h * bins as f64 + 40.0,
        "frequency score F (5 = most orders)",
        Anchor::Middle,
        "axis-title",
        0.0,
    );
    svg.text(
        16.0,
        top + cell_h * bins as f64 / 2.0,
        "recency score R (5 = most recent)",
        Anchor::Middle,
        "axis-title",
        -90.0,
    );
    svg.finish()
}

/// A blue from near-white (0) to dark (1).
fn blue(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(239.0, 8.0),
        mix(246.0, 69.0),
        mix(252.0, 148.0)
    )
}
