//! `pg_catalog.pg_settings` with the read-only settings drivers look up while connecting or
//! reflecting (datafusion-postgres's view has `standard_conforming_strings` only). The JDBC
//! driver's `getImportedKeys` / `getExportedKeys` read `max_index_keys` and refuse to run
//! without it; others read identifier and argument limits.
//!
//! ```sql
//! SELECT setting FROM pg_catalog.pg_settings WHERE name = 'max_index_keys';  -- 32
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray, new_null_array};
use datafusion::common::Result;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use super::catalog_override::{catalog_table, replace_catalog_table};

/// One setting: name, value, type (`vartype`) and what it means.
struct Setting {
    name: &'static str,
    setting: &'static str,
    vartype: &'static str,
    short_desc: &'static str,
}

/// Postgres 16's values of the settings a DataFusion server keeps the same way.
const SETTINGS: &[Setting] = &[
    Setting {
        name: "standard_conforming_strings",
        setting: "on",
        vartype: "bool",
        short_desc: "Causes '...' strings to treat backslashes literally.",
    },
    Setting {
        name: "max_index_keys",
        setting: "32",
        vartype: "integer",
        short_desc: "Shows the maximum number of index keys.",
    },
    Setting {
        name: "max_identifier_length",
        setting: "63",
        vartype: "integer",
        short_desc: "Shows the maximum identifier length.",
    },
    Setting {
        name: "max_function_args",
        setting: "100",
        vartype: "integer",
        short_desc: "Shows the maximum number of function arguments.",
    },
    Setting {
        name: "server_encoding",
        setting: "UTF8",
        vartype: "string",
        short_desc: "Shows the server (database) character set encoding.",
    },
    Setting {
        name: "integer_datetimes",
        setting: "on",
        vartype: "bool",
        short_desc: "Shows whether datetimes are integer based.",
    },
    Setting {
        name: "block_size",
        setting: "8192",
        vartype: "integer",
        short_desc: "Shows the size of a disk block.",
    },
];

/// Replaces `catalog`'s `pg_settings` with one listing `SETTINGS`, in the same columns.
pub async fn add_driver_settings(ctx: &SessionContext, catalog: &str) -> Result<()> {
    let builtin = catalog_table(ctx, catalog, "pg_settings").await?;
    let schema = builtin.schema();
    let text = |f: &dyn Fn(&Setting) -> &str| -> ArrayRef {
        Arc::new(SETTINGS.iter().map(|s| Some(f(s))).collect::<StringArray>())
    };
    let columns = schema
        .fields()
        .iter()
        .map(|field| match field.name().as_str() {
            "name" => text(&|s| s.name),
            "setting" | "reset_val" | "boot_val" => text(&|s| s.setting),
            "vartype" => text(&|s| s.vartype),
            "short_desc" => text(&|s| s.short_desc),
            "context" => text(&|_| "internal"),
            "source" => text(&|_| "default"),
            "category" => text(&|_| "Preset Options"),
            _ => new_null_array(field.data_type(), SETTINGS.len()),
        })
        .collect();
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    let table = Arc::new(MemTable::try_new(schema, vec![vec![batch]])?);
    replace_catalog_table(ctx, catalog, "pg_settings", table)
}
