//! `segql_timestamp(value [, label])`: a time value as `Timestamp(Microsecond)` in UTC.
//!
//! `rfm()` passes its time column through this function, so every time representation is
//! accepted the same way: dates, timestamps of any unit (a zone is dropped, keeping the UTC
//! instant) and ISO-8601 text. Text that is not ISO-8601 is an error that shows how to give the
//! format with `to_timestamp`, instead of a parser message about some row.
//!
//! ```sql
//! SELECT segql_timestamp('2011-12-09 12:50:00');          -- 2011-12-09T12:50:00
//! SELECT segql_timestamp(DATE '2011-12-09', 'InvoiceDate'); -- 2011-12-09T00:00:00
//! ```

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

use crate::functions::common::scalar::{ScalarBody, scalar_udf_singleton};
use crate::functions::common::{LazyDoc, function_doc};

use crate::error::{arg_err, data_err};
use crate::rfm::time_formats::guess_format;

function_doc!("segql_timestamp");

/// Microseconds in a day: whole days are timestamp differences divided by this, truncated.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The normalised time type used throughout segql.
pub const TIMESTAMP_US: DataType = DataType::Timestamp(TimeUnit::Microsecond, None);

scalar_udf_singleton!(SegqlTimestamp);

/// Whether `segql_timestamp` accepts values of `dt`.
pub fn accepts(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Date32
            | DataType::Date64
            | DataType::Timestamp(_, _)
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Null
    )
}

impl ScalarBody for SegqlTimestamp {
    const NAME: &'static str = NAME;

    const DOC: &'static LazyDoc = &DOC;

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [value] | [value, _] | [value, _, _] if accepts(value) => {
                let mut out = vec![value.clone()];
                out.extend(arg_types[1..].iter().map(|_| DataType::Utf8));
                Ok(out)
            }
            [value] | [value, _] | [value, _, _] => Err(arg_err(
                NAME,
                format!("expects a date, timestamp or ISO-8601 text, got {value}"),
            )),
            _ => Err(arg_err(NAME, "expects (value [, label [, function]])")),
        }
    }

    fn return_type(&self) -> DataType {
        TIMESTAMP_US
    }

    fn invoke(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let label = match args.args.get(1) {
            Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(label)))) => label.clone(),
            _ => "time".to_string(),
        };
        let function = crate::functions::calling_function(args.args.get(2));
        match &args.args[0] {
            ColumnarValue::Array(array) => {
                Ok(ColumnarValue::Array(to_micros(array, &label, function)?))
            }
            ColumnarValue::Scalar(scalar) => {
                let array = scalar.to_array()?;
                let out = to_micros(&array, &label, function)?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
            }
        }
    }
}

/// Convert an array of dates, timestamps or ISO-8601 text to UTC microsecond timestamps; an
/// error names `function` and the column `label`.
pub fn to_micros(array: &ArrayRef, label: &str, function: &'static str) -> Result<ArrayRef> {
    let strict = CastOptions {
        safe: false,
        ..Default::default()
    };
    match array.data_type() {
        DataType::Timestamp(unit, Some(_)) => {
            let naive = cast_with_options(array, &DataType::Timestamp(*unit, None), &strict)?;
            Ok(cast_with_options(&naive, &TIMESTAMP_US, &strict)?)
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let lenient = CastOptions {
                safe: true,
                ..Default::default()
            };
            let out = cast_with_options(array, &TIMESTAMP_US, &lenient)?;
            if out.null_count() != array.null_count() {
                return Err(not_iso_error(array, &out, label, function));
            }
            Ok(out)
        }
        _ => Ok(cast_with_options(array, &TIMESTAMP_US, &strict)?),
    }
}

/// The error for text that is not ISO-8601: the first such value, and a `time =>` option
/// whose format parses every such value of the batch when one of the usual formats does.
/// `label` is the time column or expression as SQL, so the option works when pasted.
fn not_iso_error(
    text: &ArrayRef,
    converted: &ArrayRef,
    label: &str,
    function: &'static str,
) -> DataFusionError {
    const LOOKED_AT: usize = 10_000;
    let bad: Vec<String> = (0..text.len())
        .filter(|&i| text.is_valid(i) && converted.is_null(i))
        .take(LOOKED_AT)
        .map(|i| text_at(text, i))
        .collect();
    let first = bad.first().cloned().unwrap_or_default();
    let sql = label.replace('\'', "''");
    let fix = match guess_format(bad.iter().map(String::as_str)) {
        Some(format) => format!(
            "give its format with an expression, e.g. time => 'to_timestamp({sql}, ''{format}'')'"
        ),
        None => format!(
            "give its format with an expression, time => 'to_timestamp({sql}, ''<format>'')', \
             writing the format with chrono's codes (%d/%m/%Y %H:%M, %Y%m%d, ...)"
        ),
    };
    data_err(
        function,
        format!("the {label} value '{first}' is not an ISO-8601 date or timestamp; {fix}"),
    )
}

fn text_at(array: &ArrayRef, i: usize) -> String {
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(i).to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(i).to_string(),
        DataType::Utf8View => array.as_string_view().value(i).to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{
        Date32Array, StringArray, TimestampMicrosecondArray, TimestampSecondArray,
    };
    use std::sync::Arc;

    fn micros(array: ArrayRef) -> Vec<Option<i64>> {
        let out = to_micros(&array, "t", "rfm").unwrap();
        out.as_primitive::<datafusion::arrow::datatypes::TimestampMicrosecondType>()
            .iter()
            .collect()
    }

    #[test]
    fn iso_text_dates_and_zoned_timestamps_become_utc_micros() {
        // 2011-12-09T12:50:00Z = 1323435000 s
        let text = Arc::new(StringArray::from(vec![
            Some("2011-12-09 12:50:00"),
            None,
            Some("2011-12-09T12:50:00Z"),
        ]));
        assert_eq!(
            micros(text),
            vec![
                Some(1_323_435_000_000_000),
                None,
                Some(1_323_435_000_000_000)
            ]
        );
        let date = Arc::new(Date32Array::from(vec![15317])); // 2011-12-09
        assert_eq!(micros(date), vec![Some(15317 * 86_400_000_000)]);
        let zoned =
            Arc::new(TimestampSecondArray::from(vec![1_323_435_000]).with_timezone("+02:00"));
        assert_eq!(micros(zoned), vec![Some(1_323_435_000_000_000)]);
        let plain = Arc::new(TimestampMicrosecondArray::from(vec![5]));
        assert_eq!(micros(plain), vec![Some(5)]);
    }

    #[test]
    fn other_text_is_an_error_with_a_hint() {
        let text: ArrayRef = Arc::new(StringArray::from(vec![
            "2011-12-09",
            "12/9/2011 12:50",
            "12/13/2011 8:05",
        ]));
        let err = to_micros(&text, "InvoiceDate", "rfm")
            .unwrap_err()
            .to_string();
        assert!(err.contains("'12/9/2011 12:50'"), "{err}");
        assert!(
            err.contains("time => 'to_timestamp(InvoiceDate, ''%m/%d/%Y %H:%M'')'"),
            "{err}"
        );
        // day-first values get a day-first format; a label needing quotes keeps them
        let text: ArrayRef = Arc::new(StringArray::from(vec!["13/12/2011"]));
        let err = to_micros(&text, "\"Invoice Date\"", "rfm")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("time => 'to_timestamp(\"Invoice Date\", ''%d/%m/%Y'')'"),
            "{err}"
        );
        let text: ArrayRef = Arc::new(StringArray::from(vec!["last tuesday"]));
        let err = to_micros(&text, "d", "rfm").unwrap_err().to_string();
        assert!(err.contains("''<format>''"), "{err}");
    }
}
