//! Guessing the format of date text that is not ISO-8601 (`12/1/2010 8:26`), so that the error
//! about it can suggest a `to_timestamp(column, 'format')` that works when pasted.
//!
//! Values are parsed the way DataFusion's `to_timestamp` parses them (chrono's strftime
//! parser, a date without a time read as midnight), so a format accepted here is accepted
//! there. Month-first is tried before day-first, as in the US exports analysts meet most;
//! a value such as `13/1/2011` rules month-first out.

use chrono::format::{Parsed, StrftimeItems, parse};

/// Formats tried in order; the first that parses every value wins.
const CANDIDATES: &[&str] = &[
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%d/%m/%y %H:%M",
    "%d/%m/%y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%b %d, %Y",
    "%d-%b-%Y",
];

/// The first candidate format that parses all of `values` (none are given: no guess).
pub fn guess_format<'a>(values: impl IntoIterator<Item = &'a str> + Clone) -> Option<&'static str> {
    let mut values = values.into_iter().peekable();
    values.peek()?;
    let values: Vec<&str> = values.collect();
    CANDIDATES
        .iter()
        .copied()
        .find(|format| values.iter().all(|v| parses(v.trim(), format)))
}

/// Whether `to_timestamp(value, format)` would read `value`.
pub fn parses(value: &str, format: &str) -> bool {
    let mut parsed = Parsed::new();
    if parse(&mut parsed, value, StrftimeItems::new(format)).is_err() {
        return false;
    }
    parsed.to_naive_datetime_with_offset(0).is_ok() || parsed.to_naive_date().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_online_retail_export_is_month_first_with_minutes() {
        let values = ["12/1/2010 8:26", "12/9/2011 12:50"];
        assert_eq!(guess_format(values), Some("%m/%d/%Y %H:%M"));
    }

    #[test]
    fn a_day_above_twelve_rules_month_first_out() {
        let values = ["1/12/2010 08:26", "25/12/2010 10:00"];
        assert_eq!(guess_format(values), Some("%d/%m/%Y %H:%M"));
    }

    #[test]
    fn dates_without_times_and_other_separators() {
        assert_eq!(guess_format(["12/31/2011"]), Some("%m/%d/%Y"));
        assert_eq!(guess_format(["31.12.2011"]), Some("%d.%m.%Y"));
        assert_eq!(
            guess_format(["31.12.2011 23:59:01"]),
            Some("%d.%m.%Y %H:%M:%S")
        );
        assert_eq!(guess_format(["20111231"]), Some("%Y%m%d"));
        assert_eq!(guess_format(["31 Dec 2011"]), Some("%d %b %Y"));
    }

    #[test]
    fn nothing_to_go_on_is_no_guess() {
        assert_eq!(guess_format(Vec::<&str>::new()), None);
        assert_eq!(guess_format(["yesterday"]), None);
        assert_eq!(guess_format(["12/1/2010 8:26", "not a date"]), None);
    }
}
