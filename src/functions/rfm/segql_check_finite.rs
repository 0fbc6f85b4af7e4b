//! `segql_check_finite(value, label)`: passes a `DOUBLE` through, failing on NaN or ±Infinity.
//!
//! `rfm()` routes amounts through it: one NaN would silently turn a customer's monetary value,
//! and every score that orders by it, into nonsense.
//!
//! ```sql
//! SELECT segql_check_finite(2.5, 'amount');               -- 2.5
//! SELECT segql_check_finite('NaN'::double, 'amount');     -- error naming 'amount'
//! ```

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use crate::error::{arg_err, data_err};

/// The function's SQL name.
pub const NAME: &str = "segql_check_finite";

/// The function's documentation (`\\h` in the shell, the README reference).
pub static DOC: crate::functions::common::LazyDoc = crate::functions::common::LazyDoc::new(|| {
    crate::functions::common::documentation(
        "Returns its argument, failing on NaN or infinity with an error naming the label. rfm() uses it on amounts.",
        "segql_check_finite(value, label)",
        "SELECT segql_check_finite(\"UnitPrice\" * \"Quantity\", 'amount') FROM sales;",
        &[
            ("value", "a number"),
            ("label", "the argument name used in the error message"),
        ],
    )
});

/// The UDF singleton.
pub fn udf() -> Arc<ScalarUDF> {
    static UDF: LazyLock<Arc<ScalarUDF>> =
        LazyLock::new(|| Arc::new(ScalarUDF::from(SegqlCheckFinite::new())));
    Arc::clone(&UDF)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SegqlCheckFinite {
    signature: Signature,
}

impl SegqlCheckFinite {
    fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for SegqlCheckFinite {
    fn name(&self) -> &str {
        NAME
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOC)
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [value, _] if value.is_numeric() || value == &DataType::Null => {
                Ok(vec![DataType::Float64, DataType::Utf8])
            }
            [value, _] => Err(arg_err(NAME, format!("expects a number, got {value}"))),
            _ => Err(arg_err(NAME, "expects (value, label)")),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
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
                "rfm",
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
