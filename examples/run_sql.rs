//! Run the SQL statements of a file (or stdin) against a session with segql registered and demo
//! `sales` loaded, printing each result or error.
//!
//! ```text
//! cargo run --example run_sql -- queries.sql
//! ```

use datafusion::prelude::SessionContext;

#[tokio::main]
async fn main() -> datafusion::error::Result<()> {
    let path = std::env::args().nth(1);
    let text = match path {
        Some(p) => std::fs::read_to_string(p)?,
        None => std::io::read_to_string(std::io::stdin())?,
    };
    let ctx = SessionContext::new().enable_url_table();
    segql::register_all(&ctx)?;
    segql::demo::register_demo_table(&ctx, "sales", 20_000)?;
    for sql in text.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        println!("> {sql}");
        match ctx.sql(sql).await {
            Ok(df) => match df.show_limit(5).await {
                Ok(()) => {}
                Err(e) => println!("EXEC ERROR: {e}"),
            },
            Err(e) => println!("PLAN ERROR: {e}"),
        }
    }
    Ok(())
}
