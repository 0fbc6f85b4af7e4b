//! The model store: where `kmeans_fit(..., model => 'name')` saves models and
//! `assign_segment('name', ...)` finds them.
//!
//! [`MemoryStore`] (the library default) keeps models for the life of the session;
//! [`super::DirectoryStore`] (the shell and server default) keeps one file per model.
//!
//! ```sql
//! SELECT * FROM kmeans_fit(rfm(sales), 4, model => 'seg');
//! SELECT name, k, rows FROM segql_models();
//! SELECT drop_model('seg');
//! ```

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use super::SegmentModel;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No model of that name.
    #[error("no model named '{}'{}", crate::text::echo(name), known_list(known))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The names the store has.
        known: Vec<String>,
    },
    /// The name cannot be used for a model.
    #[error(
        "'{}' is not a valid model name: use 1 to 128 letters, digits, '_', '-' or '.', not starting with '.' or '-'",
        crate::text::echo(.0)
    )]
    InvalidName(String),
    /// The model file cannot be used.
    #[error("model '{name}' cannot be read from {}: {reason}", path.display())]
    Corrupt {
        /// The model name.
        name: String,
        /// Its file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The store cannot read or write its files.
    #[error("model store: cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`write`, `read`, `remove`...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The store refuses writes (a read-only server).
    #[error("the model store is read-only; models cannot be saved or dropped here")]
    ReadOnly,
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "; the store has no models yet (save one with kmeans_fit(..., model => 'name'))".into()
    } else {
        format!("; known models: {}", known.join(", "))
    }
}

/// One listed model, or the reason its file cannot be read.
#[derive(Debug, Clone)]
pub struct ModelEntry {
    /// The model name.
    pub name: String,
    /// Where it lives (`memory` or a file path).
    pub location: String,
    /// The model, or why it cannot be read.
    pub model: Result<Arc<SegmentModel>, String>,
}

/// A place to save, load, list and drop models. Implementations are safe to share between
/// sessions and threads.
pub trait ModelStore: Debug + Send + Sync {
    /// Save `model` under `model.name`, replacing any model of that name.
    fn save(&self, model: &SegmentModel) -> Result<(), StoreError>;
    /// The model called `name`.
    fn load(&self, name: &str) -> Result<Arc<SegmentModel>, StoreError>;
    /// Every model, sorted by name.
    fn list(&self) -> Result<Vec<ModelEntry>, StoreError>;
    /// Remove the model called `name`; `Unknown` if there is none.
    fn remove(&self, name: &str) -> Result<(), StoreError>;
}

/// Check a model name: it becomes a file name, so it must be safe as one.
pub fn check_name(name: &str) -> Result<(), StoreError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::InvalidName(name.to_string()))
    }
}

/// Models kept in memory for the life of the store (the library default).
#[derive(Debug, Default)]
pub struct MemoryStore {
    models: RwLock<BTreeMap<String, Arc<SegmentModel>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn names(&self) -> Vec<String> {
        self.models
            .read()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }
}

impl ModelStore for MemoryStore {
    fn save(&self, model: &SegmentModel) -> Result<(), StoreError> {
        check_name(&model.name)?;
        let mut models = self.models.write().unwrap_or_else(|p| p.into_inner());
        models.insert(model.name.clone(), Arc::new(model.clone()));
        Ok(())
    }

    fn load(&self, name: &str) -> Result<Arc<SegmentModel>, StoreError> {
        let models = self.models.read().unwrap_or_else(|p| p.into_inner());
        models
            .get(name)
            .cloned()
            .ok_or_else(|| StoreError::Unknown {
                name: name.to_string(),
                known: models.keys().cloned().collect(),
            })
    }

    fn list(&self) -> Result<Vec<ModelEntry>, StoreError> {
        let models = self.models.read().unwrap_or_else(|p| p.into_inner());
        Ok(models
            .iter()
            .map(|(name, model)| ModelEntry {
                name: name.clone(),
                location: "memory".into(),
                model: Ok(Arc::clone(model)),
            })
            .collect())
    }

    fn remove(&self, name: &str) -> Result<(), StoreError> {
        let removed = self
            .models
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        match removed {
            Some(_) => Ok(()),
            None => Err(StoreError::Unknown {
                name: name.to_string(),
                known: self.names(),
            }),
        }
    }
}

/// A store that refuses writes, wrapping another (for read-only servers).
#[derive(Debug)]
pub struct ReadOnlyStore(pub Arc<dyn ModelStore>);

impl ModelStore for ReadOnlyStore {
    fn save(&self, _: &SegmentModel) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly)
    }
    fn load(&self, name: &str) -> Result<Arc<SegmentModel>, StoreError> {
        self.0.load(name)
    }
    fn list(&self) -> Result<Vec<ModelEntry>, StoreError> {
        self.0.list()
    }
    fn remove(&self, _: &str) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_safe_file_names() {
        for good in ["seg", "rfm_2024.v2", "A-1"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "../etc/passwd",
            ".hidden",
            "a/b",
            "a b",
            "-x",
            &"x".repeat(129),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
