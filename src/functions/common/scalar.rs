//! The scaffolding of segql's plain scalar functions: each defines what it computes
//! ([`ScalarBody`]) and [`scalar_udf`] makes the DataFusion UDF, with its name, documentation
//! and a user-defined, immutable signature (the body checks and coerces the argument types
//! itself, so its errors name the argument).

use std::sync::Arc;

use super::LazyDoc;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

/// What a segql scalar function computes.
pub(crate) trait ScalarBody:
    std::fmt::Debug + PartialEq + Eq + std::hash::Hash + Send + Sync + 'static
{
    /// The SQL name.
    const NAME: &'static str;

    /// The documentation (`\h` in the shell, the README reference).
    const DOC: &'static LazyDoc;

    /// The argument types the call's `arg_types` are cast to, or an error naming the argument.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>>;

    /// The result type.
    fn return_type(&self) -> DataType;

    /// The result for one batch of arguments.
    fn invoke(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue>;
}

/// The unit struct `$body` a scalar function computes with, and `pub fn udf()`: the
/// function's UDF, made once from it.
macro_rules! scalar_udf_singleton {
    ($body:ident) => {
        #[derive(Debug, PartialEq, Eq, Hash)]
        struct $body;

        /// The UDF singleton.
        pub fn udf() -> ::std::sync::Arc<::datafusion::logical_expr::ScalarUDF> {
            static UDF: ::std::sync::LazyLock<
                ::std::sync::Arc<::datafusion::logical_expr::ScalarUDF>,
            > = ::std::sync::LazyLock::new(|| $crate::functions::common::scalar::scalar_udf($body));
            ::std::sync::Arc::clone(&UDF)
        }
    };
}
pub(crate) use scalar_udf_singleton;

/// `body` as a DataFusion scalar UDF.
pub(crate) fn scalar_udf<B: ScalarBody>(body: B) -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(SegqlScalar {
        body,
        signature: Signature::user_defined(Volatility::Immutable),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SegqlScalar<B> {
    body: B,
    signature: Signature,
}

impl<B: ScalarBody> ScalarUDFImpl for SegqlScalar<B> {
    fn name(&self) -> &str {
        B::NAME
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(B::DOC)
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.body.coerce_types(arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.body.return_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.body.invoke(args)
    }
}
