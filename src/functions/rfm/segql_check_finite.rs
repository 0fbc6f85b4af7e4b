//! `segql_check_finite(value, label)`: passes a `DOUBLE` through, failing on NaN or ±Infinity.
//!
//! `rfm()` routes amounts through it: one NaN would silently turn a customer's monetary value,
//! and every score that orders by it, into nonsense.
//!
//! ```sql
//! SELECT segql_check_finite(2.5, 'amount');               -- 2.5
//! SELECT segql_check_finite('NaN'::double, 'amount');     -- error naming 'amount'
//! ```

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs};

use crate::functions::common::scalar::{ScalarBody, scalar_udf_singleton};
use crate::functions::common::{LazyDoc, function_doc};

use crate::error::{arg_err, data_err};

function_doc!("segql_check_finite");

scalar_udf_singleton!(SegqlCheckFinite);

impl ScalarBody for SegqlCheckFinite {
    const NAME: &'static str = NAME;

    const DOC: &'static LazyDoc = &DOC;

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [value, _] | [value, _, _] if value.is_numeric() || value == &DataType::Null => {
                let mut out = vec![DataType::Float64];
                out.extend(arg_types[1..].iter().map(|_| DataType::Utf8));
                Ok(out)
            }
            [value, _] | [value, _, _] => {
                Err(arg_err(NAME, format!("expects a number, got {value}")))
            }
            _ => Err(arg_err(NAME, "expects (value, label [, function])")),
        }
    }

    fn return_type(&self) -> DataType {
        DataType::Float64
    }

    fn invoke(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let label = match args.args.get(1) {
            Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(label)))) => label.as_str(),
            _ => "value",
        };
        let bad = match &args.args[0] {
            ColumnarValue::Array(array) => array
                .as_primitive::<Float64Type>()
                .iter()
                .flatten()
                .find(|v| !v.is_finite()),
            ColumnarValue::Scalar(ScalarValue::Float64(Some(v))) if !v.is_finite() => Some(*v),
            ColumnarValue::Scalar(_) => None,
        };
        if let Some(v) = bad {
            return Err(data_err(
                crate::functions::calling_function(args.args.get(2)),
                format!(
                    "{label} has a non-finite value ({v}); fix the amount or filter such rows \
                     out in a subquery, as in rfm((SELECT * FROM <table> WHERE abs({label}) < 1e308)) \
                     (NaN and infinity fail that test)"
                ),
            ));
        }
        Ok(args.args[0].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Float64Array;
    use datafusion::arrow::datatypes::Field;
    use datafusion::config::ConfigOptions;
    use std::sync::Arc;

    fn call(values: Vec<Option<f64>>) -> Result<ColumnarValue> {
        let n = values.len();
        udf().invoke_with_args(ScalarFunctionArgs {
            args: vec![
                ColumnarValue::Array(Arc::new(Float64Array::from(values))),
                ColumnarValue::Scalar(ScalarValue::Utf8(Some("amount".into()))),
            ],
            arg_fields: vec![
                Arc::new(Field::new("v", DataType::Float64, true)),
                Arc::new(Field::new("l", DataType::Utf8, false)),
            ],
            number_rows: n,
            return_field: Arc::new(Field::new("r", DataType::Float64, true)),
            config_options: Arc::new(ConfigOptions::default()),
        })
    }

    #[test]
    fn finite_values_and_nulls_pass_nan_and_infinity_fail() {
        assert!(call(vec![Some(1.0), None, Some(-3.5)]).is_ok());
        let err = call(vec![Some(1.0), Some(f64::NAN)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("amount has a non-finite value (NaN)"), "{err}");
        let err = call(vec![Some(f64::INFINITY)]).unwrap_err().to_string();
        assert!(err.contains("inf"), "{err}");
    }
}
