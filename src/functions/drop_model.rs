//! `drop_model('name')`: remove a model from the model store; returns `true`. An unknown name
//! is an error listing the models there are.
//!
//! ```sql
//! SELECT drop_model('seg');
//! ```

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::error::{arg_err, data_err};
use crate::functions::common::by_address::ByAddress;
use crate::functions::common::{function_doc, udf_identity};
use crate::model::ModelStore;

function_doc!("drop_model");

/// The UDF, removing models from `store`.
pub fn udf(store: Arc<dyn ModelStore>) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(DropModel {
        store: ByAddress(store),
        // Volatile: never evaluated while planning, only when the query runs.
        signature: Signature::exact(vec![DataType::Utf8], Volatility::Volatile),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DropModel {
    store: ByAddress<dyn ModelStore>,
    signature: Signature,
}

impl ScalarUDFImpl for DropModel {
    udf_identity!(NAME, DOC);

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = match args.args.first() {
            Some(ColumnarValue::Scalar(ScalarValue::Utf8(Some(name)))) => name.clone(),
            _ => {
                return Err(arg_err(
                    NAME,
                    "expects the model name as a string literal, e.g. drop_model('seg')",
                ));
            }
        };
        self.store
            .remove(&name)
            .map_err(|e| data_err(NAME, e.to_string()))?;
        Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))))
    }
}
