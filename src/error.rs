//! Errors raised by segql, mapped onto [`DataFusionError`] at the SQL boundary.
//!
//! Planning mistakes (a bad argument, an unknown option, a missing column) become
//! `DataFusionError::Plan`; problems found while reading data (unparseable time text, a
//! non-finite amount) become `DataFusionError::Execution`; a broken invariant of segql's own
//! plans is `DataFusionError::Internal` (a bug). Messages name the function, the
//! argument and what was expected, so a person can fix the query without reading code.

use datafusion::error::DataFusionError;

/// A segql error. Every variant carries a complete, human-readable message.
#[derive(Debug, thiserror::Error)]
pub enum SegqlError {
    /// The SQL call is wrong: an argument, option or column that cannot be used.
    #[error("{function}: {message}")]
    Argument {
        /// The SQL function being planned, e.g. `rfm`.
        function: &'static str,
        /// What is wrong and what is accepted instead.
        message: String,
    },
    /// A broken invariant of segql's own plans or operators: a bug, never the user's doing.
    #[error("{function}: {message} (a bug in segql; please report it)")]
    Internal {
        /// The SQL function whose plan broke the invariant.
        function: &'static str,
        /// The invariant that does not hold.
        message: String,
    },
    /// The data cannot be processed as asked (found while executing the query).
    #[error("{function}: {message}")]
    Data {
        /// The SQL function that met the data.
        function: &'static str,
        /// What was found and how to fix it.
        message: String,
    },
}

impl SegqlError {
    /// A planning error about the arguments of `function`.
    pub fn argument(function: &'static str, message: impl Into<String>) -> Self {
        Self::Argument {
            function,
            message: message.into(),
        }
    }

    /// An execution error about the data seen by `function`.
    pub fn data(function: &'static str, message: impl Into<String>) -> Self {
        Self::Data {
            function,
            message: message.into(),
        }
    }
}

impl From<SegqlError> for DataFusionError {
    fn from(err: SegqlError) -> Self {
        match err {
            SegqlError::Argument { .. } => DataFusionError::Plan(err.to_string()),
            SegqlError::Data { .. } => DataFusionError::Execution(err.to_string()),
            SegqlError::Internal { .. } => DataFusionError::Internal(err.to_string()),
        }
    }
}

/// Shorthand for a planning error about `function`'s arguments, as a `DataFusionError`.
pub(crate) fn arg_err(function: &'static str, message: impl Into<String>) -> DataFusionError {
    SegqlError::argument(function, message).into()
}

/// Shorthand for an execution error about the data seen by `function`.
pub(crate) fn data_err(function: &'static str, message: impl Into<String>) -> DataFusionError {
    SegqlError::data(function, message).into()
}

/// Shorthand for a broken invariant in `function`'s plan or operators (a bug).
pub(crate) fn internal_err(function: &'static str, message: impl Into<String>) -> DataFusionError {
    SegqlError::Internal {
        function,
        message: message.into(),
    }
    .into()
}
