//! `drop_model('name')`: remove a model from the model store; returns `true`. An unknown name
//! is an error listing the models there are.
//!
//! ```sql
//! SELECT drop_model('seg');
//! ```

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use crate::error::{arg_err, data_err};
use crate::model::ModelStore;

/// The function's SQL name.
pub const NAME: &str = "drop_model";

/// The function's documentation (`\\h` in the shell, the README reference).
pub static DOC: crate::functions::common::LazyDoc = crate::functions::common::LazyDoc::new(|| {
    crate::functions::common::documentation(
        "Removes a model from the model store and returns true; an unknown name is an error listing the saved models.",
        "drop_model(name)",
        "SELECT drop_model('seg');",
        &[("name", "the model name, a string literal")],
    )
});

/// The UDF, removing models from `store`.
pub fn udf(store: Arc<dyn ModelStore>) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(DropModel {
        store,
        // Volatile: never evaluated while planning, only when the query runs.
        signature: Signature::exact(vec![DataType::Utf8], Volatility::Volatile),
    }))
}

#[derive(Debug)]
struct DropModel {
    store: Arc<dyn ModelStore>,
    signature: Signature,
}

impl PartialEq for DropModel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.store, &other.store)
    }
}

impl Eq for DropModel {}

impl Hash for DropModel {
    fn hash<H: Hasher>(&self, state: &mut H) {
        NAME.hash(state);
        (Arc::as_ptr(&self.store) as *const () as usize).hash(state);
    }
}

impl ScalarUDFImpl for DropModel {
    fn name(&self) -> &str {
        NAME
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&DOC)
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

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
