//! Numbers as the page writes them: readable at a glance (thousands separated, a few
//! significant digits), while the exact value rides along in `data-value` attributes.

/// A count with thousands separators: `12,345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A measurement: large values with separators and one decimal, small ones with three
/// significant digits (`1,956.4`, `23.5`, `0.506`, `-0.0123`).
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let magnitude = x.abs();
    let text = if magnitude >= 100_000.0 {
        count(magnitude.round() as u64)
    } else if magnitude >= 1000.0 {
        let whole = format!("{magnitude:.1}");
        let (int, frac) = whole.split_once('.').unwrap_or((&whole, "0"));
        let int = count(int.parse::<u64>().unwrap_or(0));
        if frac == "0" {
            int
        } else {
            format!("{int}.{frac}")
        }
    } else if magnitude >= 100.0 {
        format!("{magnitude:.1}")
    } else if magnitude >= 1.0 {
        format!("{magnitude:.2}")
    } else if magnitude == 0.0 {
        "0".into()
    } else {
        let decimals = (2 - magnitude.log10().floor() as i32).clamp(3, 8) as usize;
        format!("{magnitude:.decimals$}")
    };
    let text = trim_zeros(text);
    if x < 0.0 && text != "0" {
        format!("-{text}")
    } else {
        text
    }
}

/// A share as a percentage with one decimal: `34.4%`.
pub fn percent(share: f64) -> String {
    if share.is_finite() {
        format!("{:.1}%", share * 100.0)
    } else {
        "–".into()
    }
}

/// An optional number, with a dash for none.
pub fn maybe(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), number)
}

fn trim_zeros(text: String) -> String {
    if text.contains('.') && !text.contains(',') {
        let trimmed = text.trim_end_matches('0').trim_end_matches('.');
        trimmed.to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_readable_at_a_glance() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(number(1956.4), "1,956.4");
        assert_eq!(number(123456.7), "123,457");
        assert_eq!(number(288.71), "288.7");
        assert_eq!(number(23.456), "23.46");
        assert_eq!(number(0.5061), "0.506");
        assert_eq!(number(-0.01234), "-0.0123");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::NAN), "–");
        assert_eq!(percent(0.3446), "34.5%");
        assert_eq!(maybe(None), "–");
    }
}
