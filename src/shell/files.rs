//! Registering the files named on the command line as tables named after their stem.
//!
//! ```sql
//! -- segql data/sales.parquet data/customers.csv
//! SELECT * FROM rfm(sales) JOIN customers USING (CustomerID);
//! ```

use std::path::Path;

use datafusion::common::{DataFusionError, Result};
use datafusion::prelude::{CsvReadOptions, JsonReadOptions, ParquetReadOptions, SessionContext};

/// The file formats the shell registers, by extension.
pub const FORMATS: &[&str] = &["parquet", "csv", "json", "ndjson"];

fn file_error(path: &Path, what: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Plan(format!("cannot register {}: {what}", path.display()))
}

/// Register a CSV, Parquet or (ND)JSON file, or a directory of them, as a table named after
/// its stem (`data/sales.parquet` → `sales`).
pub async fn register_file(ctx: &SessionContext, path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| file_error(path, describe_io(&e)))?;
    let name = table_name(path)?;
    let extension = if meta.is_dir() {
        std::fs::read_dir(path).map_err(|e| file_error(path, describe_io(&e)))?;
        dominant_extension(path)?
    } else {
        std::fs::File::open(path).map_err(|e| file_error(path, describe_io(&e)))?;
        if meta.len() == 0 {
            return Err(file_error(path, "the file is empty"));
        }
        path.extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let location = path.to_string_lossy();
    let registered = match extension.as_str() {
        "parquet" => {
            ctx.register_parquet(&name, &location, ParquetReadOptions::default())
                .await
        }
        "csv" => {
            ctx.register_csv(&name, &location, CsvReadOptions::new())
                .await
        }
        "json" | "ndjson" => {
            let options = JsonReadOptions::default().file_extension(&extension);
            ctx.register_json(&name, &location, options).await
        }
        other => {
            return Err(file_error(
                path,
                format!(
                    "unknown format '{other}' (expected a .csv, .parquet, .json or .ndjson file)"
                ),
            ));
        }
    };
    registered.map_err(|e| {
        file_error(
            path,
            e.find_root()
                .to_string()
                .replace("Parquet error: Parquet error: ", "Parquet error: "),
        )
    })
}

/// The table name a file gets: its stem (`data/sales.parquet` → `sales`).
pub fn table_name(path: &Path) -> Result<String> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| file_error(path, "the name has no stem to use as a table name"))
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// The extension shared by the data files of a directory.
fn dominant_extension(dir: &Path) -> Result<String> {
    let mut found: Option<String> = None;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            let ext = ext.to_ascii_lowercase();
            if FORMATS.contains(&ext.as_str()) {
                match &found {
                    Some(f) if f != &ext => {
                        return Err(file_error(dir, format!("it mixes .{f} and .{ext} files")));
                    }
                    _ => found = Some(ext),
                }
            }
        }
    }
    found.ok_or_else(|| file_error(dir, "it holds no .csv, .parquet or .json files"))
}
