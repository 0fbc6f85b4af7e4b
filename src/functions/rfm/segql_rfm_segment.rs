//! `segql_rfm_segment(r_score, f_score, bins)`: the R/F map's segment name of a pair of scores.
//!
//! `rfm()` names its `segment` column with it. Scores run from 1 to `bins` and are rescaled
//! onto 1–5 first ([`to_five`]); the name comes from a 5 × 5 table built once from
//! [`SEGMENT_RULES`], so each row costs two divisions and a lookup instead of the ten `WHEN`
//! branches of the equivalent `CASE`.
//!
//! ```sql
//! SELECT segql_rfm_segment(5, 5, 5);    -- 'Champions'
//! SELECT segql_rfm_segment(2, 9, 10);   -- 'Can''t Lose Them': R ceil(2·5/10) = 1, F ceil(9·5/10) = 5
//! ```

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

use crate::functions::common::scalar::{ScalarBody, scalar_udf_singleton};
use crate::functions::common::{LazyDoc, function_doc};

use crate::error::arg_err;
use crate::rfm::segments::{SEGMENT_RULES, segment_for, to_five};

function_doc!("segql_rfm_segment");

scalar_udf_singleton!(SegqlRfmSegment);

/// The segment of every cell of the 5 × 5 map, at `(r - 1) * 5 + (f - 1)`.
static MAP: LazyLock<[&'static str; 25]> = LazyLock::new(|| {
    std::array::from_fn(|cell| {
        let (r, f) = (cell as u32 / 5 + 1, cell as u32 % 5 + 1);
        segment_for(r, f).expect("the segment rules cover the 5 × 5 grid")
    })
});

/// `score` out of `bins` as a 0-based row or column of the 5 × 5 map.
fn five(score: i64, bins: i64) -> Option<usize> {
    to_five(score, bins).map(|s| s as usize - 1)
}

/// The segment of a pair of scores out of `bins` (at least 1), or `None` where no rule applies.
pub fn segment(r_score: i64, f_score: i64, bins: i64) -> Option<&'static str> {
    Some(MAP[five(r_score, bins)? * 5 + five(f_score, bins)?])
}

impl ScalarBody for SegqlRfmSegment {
    const NAME: &'static str = NAME;

    const DOC: &'static LazyDoc = &DOC;

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        crate::functions::common::three_integers(NAME, ["r_score", "f_score", "bins"], arg_types)
    }

    fn return_type(&self) -> DataType {
        DataType::Utf8
    }

    fn invoke(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [r, f, bins] = [0, 1, 2].map(|i| arrays[i].as_primitive::<Int64Type>());
        let longest = SEGMENT_RULES.iter().map(|rule| rule.name.len()).max();
        let mut out = StringBuilder::with_capacity(r.len(), r.len() * longest.unwrap_or(0));
        for i in 0..r.len() {
            if r.is_null(i) || f.is_null(i) || bins.is_null(i) {
                out.append_null();
                continue;
            }
            let b = bins.value(i);
            if b < 1 {
                return Err(arg_err(NAME, format!("bins must be at least 1, got {b}")));
            }
            out.append_option(segment(r.value(i), f.value(i), b));
        }
        crate::functions::common::shaped_like_args(&args.args, Arc::new(out.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_agrees_with_the_rules_for_every_score_and_bin_count() {
        for bins in 1..=12i64 {
            for r in -1..=bins + 1 {
                for f in -1..=bins + 1 {
                    let in_range = (1..=bins).contains(&r) && (1..=bins).contains(&f);
                    let by_rules = in_range
                        .then(|| segment_for(to_five(r, bins).unwrap(), to_five(f, bins).unwrap()))
                        .flatten();
                    assert_eq!(segment(r, f, bins), by_rules, "r={r} f={f} bins={bins}");
                }
            }
        }
    }

    #[test]
    fn by_hand() {
        assert_eq!(segment(5, 5, 5), Some("Champions"));
        assert_eq!(segment(1, 1, 5), Some("Hibernating"));
        // out of 10: R ceil(2·5/10) = 1, F ceil(9·5/10) = 5
        assert_eq!(segment(2, 9, 10), Some("Can't Lose Them"));
        assert_eq!(segment(6, 1, 5), None);
        assert_eq!(segment(i64::MAX, 1, 5), None);
    }
}
