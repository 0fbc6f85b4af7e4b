//! `segql_rfm_cell(r_score, f_score, m_score)`: the three scores written one after the other.
//!
//! `rfm()` fills its `rfm_cell` column with it: the text `concat(r, f, m)` gives, built in one
//! pass with a fast path for single-digit scores, instead of three casts to text and a concat.
//!
//! ```sql
//! SELECT segql_rfm_cell(5, 4, 3);     -- '543'
//! SELECT segql_rfm_cell(10, 1, 7);    -- '1017'
//! ```

use std::fmt::Write;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

use crate::functions::common::scalar::{ScalarBody, scalar_udf_singleton};
use crate::functions::common::{LazyDoc, function_doc};

function_doc!("segql_rfm_cell");

scalar_udf_singleton!(SegqlRfmCell);

impl ScalarBody for SegqlRfmCell {
    const NAME: &'static str = NAME;

    const DOC: &'static LazyDoc = &DOC;

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        crate::functions::common::three_integers(NAME, ["r_score", "f_score", "m_score"], arg_types)
    }

    fn return_type(&self) -> DataType {
        DataType::Utf8
    }

    fn invoke(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let scores = [0, 1, 2].map(|i| arrays[i].as_primitive::<Int64Type>());
        let n = scores[0].len();
        let mut out = StringBuilder::with_capacity(n, n * 3);
        for i in 0..n {
            if scores.iter().any(|s| s.is_null(i)) {
                out.append_null();
                continue;
            }
            let [r, f, m] = scores.map(|s| s.value(i));
            if [r, f, m].iter().all(|s| (0..=9).contains(s)) {
                let digits = [b'0' + r as u8, b'0' + f as u8, b'0' + m as u8];
                out.append_value(std::str::from_utf8(&digits).expect("ASCII digits"));
            } else {
                write!(out, "{r}{f}{m}").expect("writing to a string builder does not fail");
                out.append_value("");
            }
        }
        crate::functions::common::shaped_like_args(&args.args, Arc::new(out.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::ScalarValue;
    use datafusion::config::ConfigOptions;

    fn call(r: Vec<Option<i64>>, f: i64, m: i64) -> Vec<Option<String>> {
        let n = r.len();
        let result = udf()
            .invoke_with_args(ScalarFunctionArgs {
                args: vec![
                    ColumnarValue::Array(Arc::new(Int64Array::from(r))),
                    ColumnarValue::Scalar(ScalarValue::Int64(Some(f))),
                    ColumnarValue::Scalar(ScalarValue::Int64(Some(m))),
                ],
                arg_fields: ["r", "f", "m"]
                    .map(|name| Arc::new(Field::new(name, DataType::Int64, true)))
                    .to_vec(),
                number_rows: n,
                return_field: Arc::new(Field::new("cell", DataType::Utf8, true)),
                config_options: Arc::new(ConfigOptions::default()),
            })
            .unwrap();
        let ColumnarValue::Array(array) = result else {
            panic!("an array argument gives an array");
        };
        array
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    #[test]
    fn digits_several_digit_and_negative_scores_and_nulls() {
        assert_eq!(
            call(vec![Some(5), Some(10), Some(-1), None, Some(0)], 4, 3),
            [Some("543"), Some("1043"), Some("-143"), None, Some("043")]
                .map(|v| v.map(str::to_string))
                .to_vec()
        );
    }
}
