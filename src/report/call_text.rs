//! Reading SQL text just enough to find a call's arguments: `rfm(sales, bins => 4)` inside a
//! report's input, `kmeans_fit(...)` inside the shell's last statement.

/// The arguments of `function(a, b => c, ...)` when `text` is exactly one call of it, split
/// at the top-level commas (not inside parentheses or quotes).
pub fn call_arguments(text: &str, function: &str) -> Option<Vec<String>> {
    let (args, rest) = leading_call(text, function)?;
    rest.trim().is_empty().then_some(args)
}

/// The arguments of the call of `function` that `text` starts with, and the text after it.
fn leading_call<'t>(text: &'t str, function: &str) -> Option<(Vec<String>, &'t str)> {
    let head = text.get(..function.len())?;
    if !head.eq_ignore_ascii_case(function) {
        return None;
    }
    let rest = text[function.len()..].trim_start();
    let inner = rest.strip_prefix('(')?;
    let mut args = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in inner.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => {
                if !current.trim().is_empty() {
                    args.push(current.trim().to_string());
                }
                return Some((args, &inner[i + 1..]));
            }
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                args.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    None
}

/// The arguments of the first call of `function` anywhere in `sql` (a whole word, outside
/// quotes).
pub fn find_call(sql: &str, function: &str) -> Option<Vec<String>> {
    let lower = sql.to_ascii_lowercase();
    let mut quote: Option<char> = None;
    for (i, c) in sql.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, _) => {
                let starts_word = i == 0
                    || !sql[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|p| p.is_alphanumeric() || p == '_');
                if starts_word
                    && lower[i..].starts_with(function)
                    && let Some((args, _)) = leading_call(&sql[i..], function)
                {
                    return Some(args);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_arguments_split_at_top_level_commas_only() {
        assert_eq!(
            call_arguments(
                "rfm(sales, time => 'to_timestamp(d, ''%m'')', bins => 4)",
                "rfm"
            ),
            Some(vec![
                "sales".to_string(),
                "time => 'to_timestamp(d, ''%m'')'".to_string(),
                "bins => 4".to_string()
            ])
        );
        assert_eq!(
            call_arguments("RFM((SELECT a, b FROM t))", "rfm"),
            Some(vec!["(SELECT a, b FROM t)".to_string()])
        );
        assert_eq!(call_arguments("rfm(a) x", "rfm"), None);
        assert_eq!(call_arguments("rfmx(a)", "rfm"), None);
        assert_eq!(call_arguments("customers", "rfm"), None);
    }

    #[test]
    fn a_call_is_found_anywhere_outside_quotes() {
        let sql =
            "SELECT 'kmeans_fit(x, 2)' AS s, * FROM KMEANS_FIT(rfm(sales), 'auto', seed => 3) t";
        assert_eq!(
            find_call(sql, "kmeans_fit"),
            Some(vec![
                "rfm(sales)".to_string(),
                "'auto'".to_string(),
                "seed => 3".to_string()
            ])
        );
        assert_eq!(find_call("SELECT my_kmeans_fit(a)", "kmeans_fit"), None);
    }
}
