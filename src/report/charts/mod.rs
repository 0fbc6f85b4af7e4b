//! The report's charts: inline SVG drawn from plain numbers the report has gathered (no
//! segmentation happens here). Each chart is an `<svg class="chart" id=...>`; the shapes that
//! stand for data are in a `<g class="marks">` (or `points`/`centroids`) group, with a tooltip.
//!
//! A small writer of our own rather than `plotters`: plotters' SVG backend writes anonymous
//! shapes (no groups, classes or `<title>`s), so neither a reader's tooltip, nor the print
//! stylesheet, nor a browser test could tell a bar from a grid line, and its text layout
//! estimates widths from font files or a fixed guess. Five chart kinds in a few hundred lines
//! are simpler to keep than that adapter.

pub mod axis;
pub mod bars;
pub mod curves;
pub mod dendrogram;
pub mod heatmap;
pub mod histogram;
pub mod palette;
pub mod profile;
pub mod scatter;
pub mod svg;
