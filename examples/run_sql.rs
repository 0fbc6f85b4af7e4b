//! Run the SQL statements of a file (or stdin) against a session with segql registered and
//! 20 000 demo transactions as `sales`, printing each result.
//!
//! ```text
//! cargo run --example run_sql -- queries.sql
//! ```

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;

#[tokio::main]
async fn main() -> datafusion::error::Result<()> {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => std::io::read_to_string(std::io::stdin())?,
    };
    let ctx = SessionContext::new().enable_url_table();
    segql::register_all(&ctx)?;
    segql::demo::register_demo_table(&ctx, "sales", 20_000)?;
    for result in segql::script::collect_script(&ctx, &text).await? {
        println!(
            "> {}\n{}",
            result.sql,
            pretty_format_batches(&result.batches)?
        );
    }
    Ok(())
}
