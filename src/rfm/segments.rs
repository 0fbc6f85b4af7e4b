//! The widely used R/F segment map: a name for every (recency score, frequency score) pair.
//!
//! Scores run 1–5 with 5 the best (most recent, most frequent). With a different number of
//! bins, scores are first rescaled onto 1–5 ([`to_five`]).

use std::ops::RangeInclusive;

/// One rule of the map: recency scores × frequency scores → segment name.
#[derive(Debug, Clone)]
pub struct SegmentRule {
    /// Recency scores (1–5) the rule covers.
    pub r: RangeInclusive<u32>,
    /// Frequency scores (1–5) the rule covers.
    pub f: RangeInclusive<u32>,
    /// The segment name.
    pub name: &'static str,
}

const fn rule(r: (u32, u32), f: (u32, u32), name: &'static str) -> SegmentRule {
    SegmentRule {
        r: r.0..=r.1,
        f: f.0..=f.1,
        name,
    }
}

/// The R/F map; the rules partition the 5 × 5 grid, so exactly one applies to any pair.
pub const SEGMENT_RULES: [SegmentRule; 10] = [
    rule((5, 5), (4, 5), "Champions"),
    rule((3, 4), (4, 5), "Loyal Customers"),
    rule((4, 5), (2, 3), "Potential Loyalists"),
    rule((5, 5), (1, 1), "New Customers"),
    rule((4, 4), (1, 1), "Promising"),
    rule((3, 3), (3, 3), "Need Attention"),
    rule((3, 3), (1, 2), "About to Sleep"),
    rule((1, 2), (5, 5), "Can't Lose Them"),
    rule((1, 2), (3, 4), "At Risk"),
    rule((1, 2), (1, 2), "Hibernating"),
];

/// The segment of a (recency, frequency) pair of 1–5 scores.
pub fn segment_for(r: u32, f: u32) -> Option<&'static str> {
    SEGMENT_RULES
        .iter()
        .find(|rule| rule.r.contains(&r) && rule.f.contains(&f))
        .map(|rule| rule.name)
}

/// Rescale a score in `1..=bins` onto `1..=5`: `ceil(score * 5 / bins)`, as SQL's
/// `(score * 5 + bins - 1) / bins`; `None` when the result is outside 1–5 (a score out of
/// range, `bins` below 1) or the arithmetic overflows.
pub fn to_five(score: i64, bins: i64) -> Option<u32> {
    if bins < 1 {
        return None;
    }
    let scaled = score.checked_mul(5)?.checked_add(bins - 1)? / bins;
    (1..=5).contains(&scaled).then_some(scaled as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_of_the_grid_has_exactly_one_segment() {
        for r in 1..=5 {
            for f in 1..=5 {
                let n = SEGMENT_RULES
                    .iter()
                    .filter(|rule| rule.r.contains(&r) && rule.f.contains(&f))
                    .count();
                assert_eq!(n, 1, "cell r={r} f={f}");
            }
        }
    }

    #[test]
    fn the_map_reads_as_published() {
        assert_eq!(segment_for(5, 5), Some("Champions"));
        assert_eq!(segment_for(5, 1), Some("New Customers"));
        assert_eq!(segment_for(4, 1), Some("Promising"));
        assert_eq!(segment_for(3, 3), Some("Need Attention"));
        assert_eq!(segment_for(3, 2), Some("About to Sleep"));
        assert_eq!(segment_for(4, 4), Some("Loyal Customers"));
        assert_eq!(segment_for(1, 5), Some("Can't Lose Them"));
        assert_eq!(segment_for(2, 3), Some("At Risk"));
        assert_eq!(segment_for(1, 1), Some("Hibernating"));
        assert_eq!(segment_for(0, 1), None);
    }

    #[test]
    fn rescaling_keeps_the_ends_and_spreads_the_middle() {
        assert_eq!(
            (1..=5).map(|s| to_five(s, 5).unwrap()).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!(
            (1..=10)
                .map(|s| to_five(s, 10).unwrap())
                .collect::<Vec<_>>(),
            [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        assert_eq!(
            (1..=3).map(|s| to_five(s, 3).unwrap()).collect::<Vec<_>>(),
            [2, 4, 5]
        );
        assert_eq!(to_five(1, 1), Some(5));
        assert_eq!(to_five(0, 5), None);
        assert_eq!(to_five(6, 5), None);
        assert_eq!(to_five(i64::MAX, 5), None);
    }
}
