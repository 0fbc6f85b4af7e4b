//! A small SVG writer: the few shapes the charts draw, each optionally a *mark* (one datum,
//! with a class the tests count and a tooltip a reader hovers), and text escaped once here.

use std::fmt::Write;

/// How one shape looks and what it means.
#[derive(Debug, Default, Clone)]
pub struct Style<'a> {
    /// CSS classes (`mark bar`, `axis`, ...).
    pub class: &'a str,
    /// Fill colour; `none` when unset for lines.
    pub fill: Option<&'a str>,
    /// Stroke colour.
    pub stroke: Option<&'a str>,
    /// Tooltip text (an SVG `<title>`), shown on hover and read by screen readers.
    pub tooltip: Option<String>,
}

impl<'a> Style<'a> {
    /// A shape with these classes and no colours of its own (the stylesheet colours it).
    pub fn class(class: &'a str) -> Self {
        Self {
            class,
            ..Self::default()
        }
    }

    /// The same style filled with `colour`.
    pub fn fill(mut self, colour: &'a str) -> Self {
        self.fill = Some(colour);
        self
    }

    /// The same style stroked with `colour`.
    pub fn stroke(mut self, colour: &'a str) -> Self {
        self.stroke = Some(colour);
        self
    }

    /// The same style with a tooltip.
    pub fn tooltip(mut self, text: impl Into<String>) -> Self {
        self.tooltip = Some(text.into());
        self
    }
}

/// Horizontal alignment of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Text starts at x.
    Start,
    /// Text is centred on x.
    Middle,
    /// Text ends at x.
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Middle => "middle",
            Self::End => "end",
        }
    }
}

/// An SVG document being written.
#[derive(Debug)]
pub struct Svg {
    out: String,
    open_groups: usize,
}

impl Svg {
    /// Start a chart `width` × `height` user units wide (it scales to its container), with an
    /// id the page and the tests find it by and a description for screen readers.
    pub fn new(id: &str, description: &str, width: f64, height: f64) -> Self {
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" id="{}" class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">"#,
            escape(id),
            num(width),
            num(height),
            escape(description)
        );
        Self {
            out,
            open_groups: 0,
        }
    }

    /// Open a `<g>` with these classes; shapes until [`Svg::close_group`] belong to it.
    pub fn open_group(&mut self, class: &str) {
        let _ = write!(self.out, r#"<g class="{}">"#, escape(class));
        self.open_groups += 1;
    }

    /// Close the innermost open group.
    pub fn close_group(&mut self) {
        if self.open_groups > 0 {
            self.out.push_str("</g>");
            self.open_groups -= 1;
        }
    }

    /// A rectangle.
    pub fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, style: &Style) {
        let _ = write!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}""#,
            num(x),
            num(y),
            num(width.max(0.0)),
            num(height.max(0.0))
        );
        self.close_shape("rect", style);
    }

    /// A circle.
    pub fn circle(&mut self, x: f64, y: f64, radius: f64, style: &Style) {
        let _ = write!(
            self.out,
            r#"<circle cx="{}" cy="{}" r="{}""#,
            num(x),
            num(y),
            num(radius)
        );
        self.close_shape("circle", style);
    }

    /// A straight line.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), style: &Style) {
        let _ = write!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}""#,
            num(from.0),
            num(from.1),
            num(to.0),
            num(to.1)
        );
        self.close_shape("line", style);
    }

    /// A line through `points`.
    pub fn polyline(&mut self, points: &[(f64, f64)], style: &Style) {
        self.out.push_str(r#"<polyline points=""#);
        for (i, (x, y)) in points.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            let _ = write!(self.out, "{},{}", num(*x), num(*y));
        }
        self.out.push('"');
        let style = Style {
            fill: Some(style.fill.unwrap_or("none")),
            ..style.clone()
        };
        self.close_shape("polyline", &style);
    }

    /// A closed shape through `points` (the scatter's centroid crosses, diamonds).
    pub fn polygon(&mut self, points: &[(f64, f64)], style: &Style) {
        self.out.push_str(r#"<polygon points=""#);
        for (i, (x, y)) in points.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            let _ = write!(self.out, "{},{}", num(*x), num(*y));
        }
        self.out.push('"');
        self.close_shape("polygon", style);
    }

    /// A text; `rotate` turns it about its anchor point (−90 for a y-axis title).
    pub fn text(&mut self, x: f64, y: f64, text: &str, anchor: Anchor, class: &str, rotate: f64) {
        let _ = write!(
            self.out,
            r#"<text x="{}" y="{}" text-anchor="{}" class="{}""#,
            num(x),
            num(y),
            anchor.name(),
            escape(class)
        );
        if rotate != 0.0 {
            let _ = write!(
                self.out,
                r#" transform="rotate({} {} {})""#,
                num(rotate),
                num(x),
                num(y)
            );
        }
        let _ = write!(self.out, ">{}</text>", escape(text));
    }

    /// The finished `<svg>` element.
    pub fn finish(mut self) -> String {
        while self.open_groups > 0 {
            self.close_group();
        }
        self.out.push_str("</svg>");
        self.out
    }

    fn close_shape(&mut self, tag: &str, style: &Style) {
        if !style.class.is_empty() {
            let _ = write!(self.out, r#" class="{}""#, escape(style.class));
        }
        if let Some(fill) = style.fill {
            let _ = write!(self.out, r#" fill="{}""#, escape(fill));
        }
        if let Some(stroke) = style.stroke {
            let _ = write!(self.out, r#" stroke="{}""#, escape(stroke));
        }
        match &style.tooltip {
            Some(tip) => {
                let _ = write!(self.out, "><title>{}</title></{tag}>", escape(tip));
            }
            None => self.out.push_str("/>"),
        }
    }
}

/// Text made safe inside XML/HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most one decimal: enough for a screen, and it keeps 5,000 points small.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return "0".into();
    }
    let rounded = (x * 10.0).round() / 10.0;
    if rounded == rounded.trunc() {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_written_with_classes_tooltips_and_escaped_text() {
        let mut svg = Svg::new("c1", "a <test>", 100.0, 50.0);
        svg.open_group("marks");
        svg.rect(
            1.04,
            2.0,
            3.5,
            -1.0,
            &Style::class("mark bar").fill("#000").tooltip("a & b"),
        );
        svg.circle(5.0, 6.25, 2.0, &Style::class("point"));
        svg.polyline(
            &[(0.0, 0.0), (1.0, 2.0)],
            &Style::class("mark line").stroke("red"),
        );
        svg.text(3.0, 4.0, "x < y", Anchor::End, "label", -90.0);
        let out = svg.finish();
        assert_eq!(
            out,
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" id="c1" class="chart" viewBox="0 0 100 50" role="img" aria-label="a &lt;test&gt;">"#,
                r#"<g class="marks">"#,
                r##"<rect x="1" y="2" width="3.5" height="0" class="mark bar" fill="#000"><title>a &amp; b</title></rect>"##,
                r#"<circle cx="5" cy="6.3" r="2" class="point"/>"#,
                r#"<polyline points="0,0 1,2" class="mark line" fill="none" stroke="red"/>"#,
                r#"<text x="3" y="4" text-anchor="end" class="label" transform="rotate(-90 3 4)">x &lt; y</text>"#,
                "</g></svg>"
            )
        );
    }

    #[test]
    fn non_finite_coordinates_do_not_leak_into_the_file() {
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.345), "12.3");
    }
}
