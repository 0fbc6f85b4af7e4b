//! The `ks => '...'` option of `kmeans_search`: the candidate numbers of segments, as a range
//! (`'2..10'`), a list (`'2,3,5,8'`) or both (`'1..4, 6, 8'`), increasing.

use std::fmt;

/// Why a `ks` text is not a list of candidate ks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KsError {
    /// Nothing in it.
    #[error("ks is empty; give a range or a list, e.g. ks => '2..10' or ks => '2,3,5,8'")]
    Empty,
    /// A part that is not a number or a range.
    #[error("ks: '{0}' is not a number or a range such as 2..10")]
    NotANumber(String),
    /// A range that runs backwards.
    #[error("ks: the range {from}..{to} runs backwards; write ks => '{to}..{from}'")]
    Reversed {
        /// Its start.
        from: usize,
        /// Its end.
        to: usize,
    },
    /// A k outside 1..=max.
    #[error("ks: k = {k} is out of range; each k must be between 1 and {max}")]
    OutOfRange {
        /// The k.
        k: usize,
        /// The largest k accepted.
        max: usize,
    },
    /// The ks do not increase.
    #[error("ks must increase, without repeats: {0} comes after {1}; e.g. ks => '2,3,5,8'")]
    NotIncreasing(usize, usize),
}

/// The ks written in `text`, each between 1 and `max`.
pub fn parse_ks(text: &str, max: usize) -> Result<Vec<usize>, KsError> {
    let mut ks = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once("..") {
            Some((from, to)) => {
                let (from, to) = (number(from, part)?, number(to, part)?);
                if from > to {
                    return Err(KsError::Reversed { from, to });
                }
                // bounds first: '2..9223372036854775807' must not allocate its whole range
                if let Some(k) = [from, to].into_iter().find(|&k| k < 1 || k > max) {
                    return Err(KsError::OutOfRange { k, max });
                }
                ks.extend(from..=to);
            }
            None => ks.push(number(part, part)?),
        }
    }
    if ks.is_empty() {
        return Err(KsError::Empty);
    }
    if let Some(&k) = ks.iter().find(|&&k| k < 1 || k > max) {
        return Err(KsError::OutOfRange { k, max });
    }
    if let Some(pair) = ks.windows(2).find(|w| w[1] <= w[0]) {
        return Err(KsError::NotIncreasing(pair[1], pair[0]));
    }
    Ok(ks)
}

fn number(text: &str, part: &str) -> Result<usize, KsError> {
    text.trim()
        .parse()
        .map_err(|_| KsError::NotANumber(part.to_string()))
}

/// The ks as the shortest text [`parse_ks`] reads back (`2..10`, `2,3,5,8`).
pub struct KsText<'a>(pub &'a [usize]);

impl fmt::Display for KsText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut i = 0;
        let ks = self.0;
        while i < ks.len() {
            let mut j = i;
            while j + 1 < ks.len() && ks[j + 1] == ks[j] + 1 {
                j += 1;
            }
            if !first {
                write!(f, ",")?;
            }
            first = false;
            if j >= i + 2 {
                write!(f, "{}..{}", ks[i], ks[j])?;
            } else {
                let run: Vec<String> = ks[i..=j].iter().map(usize::to_string).collect();
                write!(f, "{}", run.join(","))?;
            }
            i = j + 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_range_is_refused_before_it_is_spelled_out() {
        assert_eq!(
            parse_ks("2..9223372036854775807", 1000),
            Err(KsError::OutOfRange {
                k: 9223372036854775807,
                max: 1000
            })
        );
        assert_eq!(
            parse_ks("0..3", 1000),
            Err(KsError::OutOfRange { k: 0, max: 1000 })
        );
    }

    #[test]
    fn ranges_and_lists() {
        assert_eq!(
            parse_ks("2..10", 1000).unwrap(),
            (2..=10).collect::<Vec<_>>()
        );
        assert_eq!(parse_ks(" 2, 3,5 ,8", 1000).unwrap(), vec![2, 3, 5, 8]);
        assert_eq!(parse_ks("1..3, 6", 1000).unwrap(), vec![1, 2, 3, 6]);
        assert_eq!(KsText(&[1, 2, 3, 6]).to_string(), "1..3,6");
        assert_eq!(KsText(&[2, 3, 5, 8]).to_string(), "2,3,5,8");
    }

    #[test]
    fn bad_ks_are_errors() {
        assert_eq!(parse_ks(" , ", 1000), Err(KsError::Empty));
        assert_eq!(
            parse_ks("10..2", 1000),
            Err(KsError::Reversed { from: 10, to: 2 })
        );
        assert_eq!(
            parse_ks("0..3", 1000),
            Err(KsError::OutOfRange { k: 0, max: 1000 })
        );
        assert_eq!(parse_ks("3,2", 1000), Err(KsError::NotIncreasing(2, 3)));
        assert!(matches!(parse_ks("two", 1000), Err(KsError::NotANumber(_))));
    }
}
