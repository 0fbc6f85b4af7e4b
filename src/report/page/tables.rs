//! HTML tables whose numeric cells carry their exact value in `data-value`, so a reader sees
//! rounded numbers and a program reads the real ones.

use std::fmt::Write;

use crate::report::charts::svg::escape;

/// One cell.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text, left aligned.
    Text(String),
    /// A number shown as `shown`, exactly `value`.
    Number {
        /// The rounded text.
        shown: String,
        /// The exact value.
        value: String,
    },
    /// Raw HTML (a colour swatch before a label), left aligned.
    Html(String),
}

impl Cell {
    /// A number cell.
    pub fn number(shown: String, value: impl ToString) -> Self {
        Self::Number {
            shown,
            value: value.to_string(),
        }
    }

    /// An optional number cell: a dash and no value for none.
    pub fn maybe(value: Option<f64>, show: impl Fn(f64) -> String) -> Self {
        match value {
            Some(v) => Self::number(show(v), v),
            None => Self::Text("–".into()),
        }
    }
}

/// A table with an id, a header row and body rows; rows flagged `true` are highlighted.
pub fn table(id: &str, header: &[(&str, bool)], rows: &[(Vec<Cell>, bool)]) -> String {
    grouped_table(id, &[], header, rows)
}

/// A table whose header has a first row of column groups, `(title, columns spanned)`.
pub fn grouped_table(
    id: &str,
    groups: &[(String, usize)],
    header: &[(&str, bool)],
    rows: &[(Vec<Cell>, bool)],
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<div class="table-wrap"><table id="{}"><thead>"#,
        escape(id)
    );
    if !groups.is_empty() {
        out.push_str(r#"<tr class="groups">"#);
        for (title, span) in groups {
            let _ = write!(out, r#"<th colspan="{span}">{}</th>"#, escape(title));
        }
        out.push_str("</tr>");
    }
    out.push_str("<tr>");
    for (name, is_text) in header {
        let class = if *is_text { r#" class="text""# } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", escape(name));
    }
    out.push_str("</tr></thead><tbody>");
    for (cells, highlighted) in rows {
        out.push_str(if *highlighted {
            r#"<tr class="chosen">"#
        } else {
            "<tr>"
        });
        for cell in cells {
            match cell {
                Cell::Text(text) => {
                    let _ = write!(out, r#"<td class="text">{}</td>"#, escape(text));
                }
                Cell::Html(html) => {
                    let _ = write!(out, r#"<td class="text">{html}</td>"#);
                }
                Cell::Number { shown, value } => {
                    let _ = write!(
                        out,
                        r#"<td data-value="{}">{}</td>"#,
                        escape(value),
                        escape(shown)
                    );
                }
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}
