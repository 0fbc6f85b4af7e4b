//! Equality by identity for the shared state a UDF holds (a model store, a model snapshot):
//! DataFusion compares and hashes UDFs, and two functions are the same exactly when they hold
//! the same store or model.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// An `Arc` compared and hashed by the address it points to.
#[derive(Debug)]
pub(crate) struct ByAddress<T: ?Sized>(pub Arc<T>);

impl<T: ?Sized> Clone for ByAddress<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: ?Sized> PartialEq for ByAddress<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T: ?Sized> Eq for ByAddress<T> {}

impl<T: ?Sized> Hash for ByAddress<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.0) as *const () as usize).hash(state);
    }
}

impl<T: ?Sized> std::ops::Deref for ByAddress<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
