//! The `segql` shell: a DataFusion session with every segql function, files registered as
//! tables, a model store on disk, an interactive prompt and batch modes (`-c`, `-f`).
//!
//! Built from `datafusion-cli`'s pieces where they fit (output formats and `--maxrows`
//! through [`PrintOptions`](datafusion_cli::print_options::PrintOptions), statement
//! validation and highlighting through [`CliHelper`](datafusion_cli::helper::CliHelper), the
//! `\d`/`\?`/`\pset` commands through [`Command`](datafusion_cli::command::Command)), with
//! segql's own prompt, history location, completion, `\models`, progress bars and error hints.
//!
//! ```sql
//! -- segql --demo, then at the prompt:
//! SELECT * FROM kmeans_fit(rfm(sales), 4, model => 'seg');
//! ```

pub mod commands;
pub mod completion;
pub mod errors;
pub mod files;
pub mod object_stores;
pub mod progress;
pub mod repl;
pub mod report_command;
pub mod session;
pub mod statements;
pub mod url_tables;

pub use errors::describe_error;
pub use session::{SessionOptions, ShellSession};
pub use statements::{Outcome, run_script, split_statements};
