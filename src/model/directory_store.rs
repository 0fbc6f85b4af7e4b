//! [`DirectoryStore`]: one JSON file per model in a directory, written atomically.
//!
//! A save writes `<dir>/.<name>.<pid>.<n>.tmp`, syncs it, renames it over
//! `<dir>/<name>.segql-model` and syncs the directory, so readers see the old model or the new
//! one, never half a file, and a crash never loses the previous version. A file that is not
//! valid JSON, not a segql model, inconsistent, or from a newer format version is reported as
//! such, never a panic.
//!
//! The suffix is not one of DataFusion's file formats on purpose: the default store sits in
//! the working directory as `segql_models/`, and a session that reads names as paths (DataFusion's
//! `enable_url_table`) would otherwise take it for a table of JSON files and shadow the
//! `segql_models()` function. Models saved by earlier releases as `<name>.segql.json` are
//! renamed when a store opens the directory, and read where they are if that fails.
//!
//! ```sql
//! -- segql --models ./models
//! SELECT * FROM kmeans_fit(rfm(sales), 4, model => 'seg');   -- writes ./models/seg.segql-model
//! ```

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::store::{ModelEntry, ModelStore, StoreError, check_name};
use super::{FORMAT, FORMAT_VERSION, SegmentModel};

/// The file suffix of saved models (not a data format DataFusion would read as a table).
pub const SUFFIX: &str = ".segql-model";

/// The suffix earlier releases saved models under.
pub const LEGACY_SUFFIX: &str = ".segql.json";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A parsed model with the modification time and length of the file it came from.
type CachedModel = (SystemTime, u64, Arc<SegmentModel>);

/// Models saved as files in a directory (created on the first save).
#[derive(Debug)]
pub struct DirectoryStore {
    dir: PathBuf,
    /// Parsed models by name, with the modification time and length they were read at.
    cache: Mutex<HashMap<String, CachedModel>>,
}

impl DirectoryStore {
    /// A store in `dir`. Nothing is created until a model is saved; models an earlier release
    /// saved there under [`LEGACY_SUFFIX`] are renamed to [`SUFFIX`].
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let store = Self {
            dir: dir.into(),
            cache: Mutex::new(HashMap::new()),
        };
        store.rename_legacy_files();
        store
    }

    /// Best effort: a read-only directory keeps its legacy files, which are still read.
    fn rename_legacy_files(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.filter_map(|e| e.ok()) {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(name) = file.strip_suffix(LEGACY_SUFFIX) else {
                continue;
            };
            if check_name(name).is_ok() && !self.path_of(name).exists() {
                let _ = fs::rename(entry.path(), self.path_of(name));
            }
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of model `name`.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}{SUFFIX}"))
    }

    /// Where model `name` is read from: its file, or the file an earlier release left.
    fn existing_path_of(&self, name: &str) -> PathBuf {
        let current = self.path_of(name);
        let legacy = self.dir.join(format!("{name}{LEGACY_SUFFIX}"));
        if !current.exists() && legacy.exists() {
            legacy
        } else {
            current
        }
    }

    fn names(&self) -> Vec<String> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let file = e.file_name().to_string_lossy().into_owned();
                file.strip_suffix(SUFFIX)
                    .or_else(|| file.strip_suffix(LEGACY_SUFFIX))
                    .filter(|n| check_name(n).is_ok())
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn read(&self, name: &str, path: &Path) -> Result<Arc<SegmentModel>, StoreError> {
        let io = |action, source| StoreError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        let meta = fs::metadata(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                StoreError::Unknown {
                    name: name.to_string(),
                    known: self.names(),
                }
            } else {
                io("read", e)
            }
        })?;
        let stamp = (
            meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            meta.len(),
        );
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((time, len, model)) = cache.get(name)
            && (*time, *len) == stamp
        {
            return Ok(Arc::clone(model));
        }
        let bytes = fs::read(path).map_err(|e| io("read", e))?;
        let model = Arc::new(decode(name, path, &bytes)?);
        cache.insert(name.to_string(), (stamp.0, stamp.1, Arc::clone(&model)));
        Ok(model)
    }
}

/// Parse and check the bytes of model `name`'s file (`path` is named in errors): what
/// [`ModelStore::load`] does once it has read the file, for models kept somewhere else (an
/// object store, a database column) and for the model-file fuzzer. Any bytes give a model
/// that passed [`SegmentModel::validate`] or a [`StoreError::Corrupt`] saying what is wrong.
pub fn decode(name: &str, path: &Path, bytes: &[u8]) -> Result<SegmentModel, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        name: name.to_string(),
        path: path.to_path_buf(),
        reason,
    };
    // Read the header first, so a file from a newer segql says so instead of failing on a
    // field this build does not know.
    #[derive(serde::Deserialize)]
    struct Header {
        format: Option<String>,
        format_version: Option<u32>,
    }
    let header: Header = serde_json::from_slice(bytes).map_err(|e| {
        corrupt(match e.classify() {
            // well-formed JSON of another shape: someone else's file
            serde_json::error::Category::Data => format!("not a segql model file: {e}"),
            _ => format!("not a valid model file (truncated or damaged?): {e}"),
        })
    })?;
    if header.format.as_deref() != Some(FORMAT) {
        return Err(corrupt("not a segql model file".into()));
    }
    match header.format_version {
        Some(v) if v > FORMAT_VERSION => {
            return Err(corrupt(format!(
                "it was written by a newer segql (format version {v}; this build reads up to {FORMAT_VERSION})"
            )));
        }
        None | Some(0) => return Err(corrupt("it has no valid format_version".into())),
        _ => {}
    }
    let mut model: SegmentModel = serde_json::from_slice(bytes)
        .map_err(|e| corrupt(format!("the model is incomplete or damaged: {e}")))?;
    model.validate().map_err(corrupt)?;
    // The file name is authoritative (a copied or renamed file is the model of its new name).
    model.name = name.to_string();
    Ok(model)
}

impl ModelStore for DirectoryStore {
    fn save(&self, model: &SegmentModel) -> Result<(), StoreError> {
        check_name(&model.name)?;
        let io = |action, path: &Path, source| StoreError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        fs::create_dir_all(&self.dir).map_err(|e| io("create", &self.dir, e))?;
        let bytes = serde_json::to_vec_pretty(model).map_err(|e| {
            io(
                "encode",
                &self.path_of(&model.name),
                std::io::Error::other(e),
            )
        })?;
        let temp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            model.name,
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&temp)?;
            file.write_all(&bytes)?;
            file.sync_all()
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&temp);
            return Err(io("write", &temp, e));
        }
        let target = self.path_of(&model.name);
        if let Err(e) = fs::rename(&temp, &target) {
            let _ = fs::remove_file(&temp);
            return Err(io("write", &target, e));
        }
        // The new file replaces any legacy one of the same name.
        let _ = fs::remove_file(self.dir.join(format!("{}{LEGACY_SUFFIX}", model.name)));
        // Make the rename itself durable.
        if let Ok(dir) = fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn load(&self, name: &str) -> Result<Arc<SegmentModel>, StoreError> {
        if check_name(name).is_err() {
            return Err(StoreError::Unknown {
                name: name.to_string(),
                known: self.names(),
            });
        }
        self.read(name, &self.existing_path_of(name))
    }

    fn list(&self) -> Result<Vec<ModelEntry>, StoreError> {
        Ok(self
            .names()
            .into_iter()
            .map(|name| {
                let path = self.existing_path_of(&name);
                let model = self.read(&name, &path).map_err(|e| e.to_string());
                ModelEntry {
                    name,
                    location: path.display().to_string(),
                    model,
                }
            })
            .collect())
    }

    fn remove(&self, name: &str) -> Result<(), StoreError> {
        check_name(name)?;
        let path = self.existing_path_of(name);
        match fs::remove_file(&path) {
            Ok(()) => {
                self.cache
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(name);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::Unknown {
                name: name.to_string(),
                known: self.names(),
            }),
            Err(e) => Err(StoreError::Io {
                action: "remove",
                path,
                source: e,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FeatureData, TrainOptions, train};

    fn model(name: &str) -> SegmentModel {
        let data = FeatureData {
            names: vec!["a".into(), "b".into()],
            columns: vec![
                (0..200).map(|i| (i % 17) as f64).collect(),
                (0..200).map(|i| ((i * 31) % 23) as f64 + 0.1).collect(),
            ],
            skipped_rows: 3,
            nulls: Vec::new(),
        };
        train(name, data, &TrainOptions::new(3)).unwrap()
    }

    #[test]
    fn models_survive_a_restart_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let saved = model("seg");
        DirectoryStore::new(dir.path()).save(&saved).unwrap();
        // a new store on the same directory: a restart
        let store = DirectoryStore::new(dir.path());
        let loaded = store.load("seg").unwrap();
        assert_eq!(*loaded, saved);
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].name, "seg");
        // no temporary files are left behind
        let files: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
        store.remove("seg").unwrap();
        assert!(matches!(store.load("seg"), Err(StoreError::Unknown { .. })));
    }

    #[test]
    fn damaged_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::new(dir.path());
        store.save(&model("seg")).unwrap();
        let path = store.path_of("seg");
        let good = fs::read_to_string(&path).unwrap();
        let cases = [
            (good[..good.len() / 2].to_string(), "truncated or damaged"),
            ("{\"hello\": 1}".to_string(), "not a segql model file"),
            (
                good.replace("\"format_version\": 1", "\"format_version\": 99"),
                "newer segql (format version 99",
            ),
            (
                good.replacen("\"centroid\": [", "\"centroid\": [1.0, ", 1),
                "centroid values",
            ),
            (
                String::from_utf8_lossy(&[0xff, 0x00, 0x13]).into(),
                "damaged",
            ),
        ];
        for (content, expected) in cases {
            fs::write(&path, &content).unwrap();
            let err = DirectoryStore::new(dir.path()).load("seg").unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
            // the listing shows the problem instead of failing
            let listed = DirectoryStore::new(dir.path()).list().unwrap();
            assert!(
                listed[0]
                    .model
                    .as_ref()
                    .is_err_and(|e| e.contains(expected))
            );
        }
    }

    #[test]
    fn models_saved_by_earlier_releases_are_renamed_and_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let saved = model("old");
        let legacy = dir.path().join("old.segql.json");
        fs::write(&legacy, serde_json::to_vec_pretty(&saved).unwrap()).unwrap();
        let store = DirectoryStore::new(dir.path());
        assert!(!legacy.exists());
        assert!(dir.path().join("old.segql-model").exists());
        assert_eq!(*store.load("old").unwrap(), saved);
        assert_eq!(store.list().unwrap().len(), 1);
    }

    #[test]
    fn legacy_files_in_a_read_only_place_are_read_where_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let saved = model("old");
        fs::write(
            dir.path().join("old.segql.json"),
            serde_json::to_vec_pretty(&saved).unwrap(),
        )
        .unwrap();
        // a store that has not renamed them (as when the directory is not writable)
        let store = DirectoryStore {
            dir: dir.path().to_path_buf(),
            cache: Mutex::new(HashMap::new()),
        };
        assert_eq!(*store.load("old").unwrap(), saved);
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].location.ends_with("old.segql.json"));
        // saving under the name replaces the legacy file
        store.save(&saved).unwrap();
        let files: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
        store.remove("old").unwrap();
    }

    #[test]
    fn unsafe_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::new(dir.path());
        let mut m = model("x");
        m.name = "../escape".into();
        assert!(matches!(store.save(&m), Err(StoreError::InvalidName(_))));
        assert!(matches!(
            store.load("../escape"),
            Err(StoreError::Unknown { .. })
        ));
    }
}
