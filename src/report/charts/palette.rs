//! Segment colours: the Okabe–Ito palette, which stays apart for the common forms of colour
//! blindness, ordered so that the low-contrast yellow comes late.

/// The eight Okabe–Ito colours, strongest first.
pub const OKABE_ITO: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

/// The colour of segment `i` (colours repeat after eight; the scatter then changes the shape).
pub fn colour(i: usize) -> &'static str {
    OKABE_ITO[i % OKABE_ITO.len()]
}

/// The one neutral colour for bars and lines that are not a segment's.
pub const NEUTRAL: &str = "#0072B2";

/// The highlight of the chosen k and other call-outs.
pub const ACCENT: &str = "#D55E00";

/// DBSCAN's noise, which is in no segment.
pub const NOISE_GREY: &str = "#999999";
