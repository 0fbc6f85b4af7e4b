//! Result columns of the table functions that report on fits and models: one value per item
//! (a k, a segment, a model) taken by a closure, so a table is its list of columns.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray,
};

/// A DOUBLE column.
pub(crate) fn doubles<T>(items: &[T], value: impl Fn(&T) -> Option<f64>) -> ArrayRef {
    Arc::new(items.iter().map(value).collect::<Float64Array>())
}

/// An INT column.
pub(crate) fn ints<T>(items: &[T], value: impl Fn(&T) -> Option<i32>) -> ArrayRef {
    Arc::new(items.iter().map(value).collect::<Int32Array>())
}

/// A BIGINT column.
pub(crate) fn bigints<T>(items: &[T], value: impl Fn(&T) -> Option<i64>) -> ArrayRef {
    Arc::new(items.iter().map(value).collect::<Int64Array>())
}

/// A BOOLEAN column.
pub(crate) fn flags<T>(items: &[T], value: impl Fn(&T) -> Option<bool>) -> ArrayRef {
    Arc::new(items.iter().map(value).collect::<BooleanArray>())
}

/// A TEXT column.
pub(crate) fn texts<T, S: AsRef<str>>(items: &[T], value: impl Fn(&T) -> Option<S>) -> ArrayRef {
    Arc::new(items.iter().map(value).collect::<StringArray>())
}
