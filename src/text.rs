//! Text shown back to the user in messages.

/// `text` as an error message quotes it: whole when short, else its start and its length, so a
/// 10 kB option value does not become a 10 kB error.
///
/// ```text
/// echo("seg") = "seg";  echo("mmm…(10,000 m)") = "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm… (10000 characters)"
/// ```
pub(crate) fn echo(text: &str) -> String {
    const LONGEST: usize = 80;
    const SHOWN: usize = 40;
    let length = text.chars().count();
    if length <= LONGEST {
        return text.to_string();
    }
    let start: String = text.chars().take(SHOWN).collect();
    format!("{start}… ({length} characters)")
}

#[cfg(test)]
mod tests {
    use super::echo;

    #[test]
    fn long_text_is_cut_with_its_length() {
        assert_eq!(echo("seg"), "seg");
        let long = "é".repeat(10_000);
        assert_eq!(
            echo(&long),
            format!("{}… (10000 characters)", "é".repeat(40))
        );
    }
}
