//! The top of a hierarchical model's merge tree, drawn as SciPy's truncated dendrogram draws
//! it: the last merges as brackets at their heights, each cluster below them as one leaf
//! labelled with its size, and a dashed line where the tree is cut into the model's k segments.

use std::collections::HashMap;

use super::axis::{Axes, Frame, draw_axes, nice_domain, ticks};
use super::palette::{ACCENT, NEUTRAL};
use super::svg::{Anchor, Style, Svg};
use crate::report::data::Dendrogram;
use crate::report::page::format::{count, number};

/// Where each node of the shown tree sits: x in leaf slots, y its height.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    /// The shown leaves, left to right: `(id, size)`.
    pub leaves: Vec<(usize, usize)>,
    /// Each node's `(x, height)`.
    pub at: HashMap<usize, (f64, f64)>,
}

/// Lay the shown merges out: leaves in the order a left-first walk from the root meets them,
/// each merge centred over its two children.
pub(crate) fn layout(tree: &Dendrogram) -> Layout {
    let merge_of: HashMap<usize, &(usize, usize, usize, f64, usize)> =
        tree.merges.iter().map(|m| (tree.leaves + m.0, m)).collect();
    let mut out = Layout {
        leaves: Vec::new(),
        at: HashMap::new(),
    };
    let Some(root) = tree.merges.last().map(|m| tree.leaves + m.0) else {
        return out;
    };
    // sizes of the shown leaves: a leaf row is 1, a cluster made below the shown merges is
    // known from its parent (size minus its sibling's)
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for m in tree.merges.iter().rev() {
        let size_of = |id: usize| merge_of.get(&id).map(|c| c.4);
        let (l, r) = (m.1, m.2);
        let (sl, sr) = match (size_of(l), size_of(r)) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => (a, m.4 - a),
            (None, Some(b)) => (m.4 - b, b),
            (None, None) if l < tree.leaves => (1, m.4 - 1),
            (None, None) if r < tree.leaves => (m.4 - 1, 1),
            (None, None) => (m.4 / 2, m.4 - m.4 / 2),
        };
        sizes.insert(l, sl);
        sizes.insert(r, sr);
    }
    place(root, &merge_of, &sizes, &mut out);
    out
}

fn place(
    id: usize,
    merge_of: &HashMap<usize, &(usize, usize, usize, f64, usize)>,
    sizes: &HashMap<usize, usize>,
    out: &mut Layout,
) -> (f64, f64) {
    let point = match merge_of.get(&id) {
        Some(m) => {
            let left = place(m.1, merge_of, sizes, out);
            let right = place(m.2, merge_of, sizes, out);
            ((left.0 + right.0) / 2.0, m.3)
        }
        None => {
            out.leaves.push((id, sizes.get(&id).copied().unwrap_or(1)));
            ((out.leaves.len() - 1) as f64, 0.0)
        }
    };
    out.at.insert(id, point);
    point
}

/// Draw the dendrogram.
pub fn dendrogram(id: &str, tree: &Dendrogram) -> String {
    let shown = layout(tree);
    let slanted = 34.0;
    let (width, height) = (740.0, 300.0 + slanted);
    let mut frame = Frame::new(width, height);
    frame.bottom -= slanted;
    let slots = shown.leaves.len().max(1) as f64;
    let x = frame.x((-0.5, slots - 0.5));
    let top = tree.merges.iter().map(|m| m.3).fold(0.0, f64::max);
    let y = frame.y(nice_domain(0.0, top, 5));
    let mut svg = Svg::new(
        id,
        &format!(
            "the last {} merges of the tree over {} rows",
            tree.merges.len(),
            count(tree.leaves as u64)
        ),
        width,
        height,
    );
    let axes = Axes {
        x_title: "clusters below the merges shown (rows in each)",
        y_title: "merge height (linkage distance)",
        x_ticks: shown
            .leaves
            .iter()
            .enumerate()
            .map(|(i, (_, size))| (i as f64, format!("({})", count(*size as u64))))
            .collect(),
        y_ticks: ticks(&y, 5),
        slanted_room: slanted,
    };
    draw_axes(&mut svg, &frame, &x, &y, &axes);
    svg.open_group("marks");
    for m in &tree.merges {
        let node = tree.leaves + m.0;
        let (Some(l), Some(r), Some(_)) =
            (shown.at.get(&m.1), shown.at.get(&m.2), shown.at.get(&node))
        else {
            continue;
        };
        let h = y.at(m.3);
        let bracket = [
            (x.at(l.0), y.at(l.1)),
            (x.at(l.0), h),
            (x.at(r.0), h),
            (x.at(r.0), y.at(r.1)),
        ];
        let style = Style::class("mark merge").stroke(NEUTRAL).tooltip(format!(
            "merge {}: {} rows at height {}",
            m.0,
            count(m.4 as u64),
            number(m.3)
        ));
        svg.polyline(&bracket, &style);
    }
    svg.close_group();
    if let Some(cut) = cut_height(tree) {
        let py = y.at(cut);
        svg.line(
            (frame.left, py),
            (frame.right, py),
            &Style::class("cut").stroke(ACCENT),
        );
        svg.text(
            frame.right - 4.0,
            py - 4.0,
            &format!("cut: k = {}", tree.k),
            Anchor::End,
            "note",
            0.0,
        );
    }
    svg.finish()
}

/// Midway between the highest merge below the cut and the lowest above it, when both are
/// among the merges shown.
pub(crate) fn cut_height(tree: &Dendrogram) -> Option<f64> {
    let m = tree.merges.len();
    if tree.k < 2 || tree.k > m {
        return None;
    }
    let above = tree.merges[m - (tree.k - 1)].3;
    let below = tree.merges[m - tree.k].3;
    Some((above + below) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five leaves 0..4; merges 5 = {0,1}, 6 = {2,5}, 7 = {3,4}, 8 = {6,7}; the last three shown
    /// leave {0,1} (node 5) as one leaf of two rows.
    #[test]
    fn a_hand_laid_tree() {
        let tree = Dendrogram {
            leaves: 5,
            merges: vec![(1, 2, 5, 2.0, 3), (2, 3, 4, 3.0, 2), (3, 6, 7, 9.0, 5)],
            k: 2,
        };
        let shown = layout(&tree);
        assert_eq!(shown.leaves, [(2, 1), (5, 2), (3, 1), (4, 1)]);
        assert_eq!(shown.at[&6], (0.5, 2.0));
        assert_eq!(shown.at[&7], (2.5, 3.0));
        assert_eq!(shown.at[&8], (1.5, 9.0));
        assert_eq!(cut_height(&tree), Some(6.0));
        let svg = dendrogram("d", &tree);
        assert_eq!(svg.matches("class=\"mark merge\"").count(), 3);
        assert!(svg.contains("cut: k = 2"));
    }
}
