//! README's two commands in order: `segql demo` leaves its model store (`./segql_models`) in
//! the working directory, and the example scripts still run there afterwards, through a
//! session that reads any name as a file path (DataFusion's `enable_url_table`). The store must
//! never be taken for a data table, and `segql_models()` must stay the function.
//!
//! One test in its own binary, because it changes the process's working directory.

use std::process::Command;

use datafusion::error::Result;
use datafusion::prelude::SessionContext;

#[tokio::test(flavor = "multi_thread")]
async fn scripts_run_where_the_demo_left_its_models() -> Result<()> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir()?;
    let demo = Command::new(env!("CARGO_BIN_EXE_segql"))
        .args(["demo", "--rows", "20000"])
        .current_dir(dir.path())
        .output()?;
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    assert!(dir.path().join("segql_models").is_dir());

    std::env::set_current_dir(dir.path())?;
    let mut scripts: Vec<_> = std::fs::read_dir(root.join("sql"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    scripts.retain(|p| p.extension().is_some_and(|e| e == "sql"));
    scripts.sort();
    assert!(scripts.len() >= 3, "{scripts:?}");
    for script in scripts {
        let ctx = SessionContext::new().enable_url_table();
        segql::register_all(&ctx)?;
        segql::demo::register_demo_table(&ctx, "sales", 20_000)?;
        let text = std::fs::read_to_string(&script)?;
        let results = segql::script::collect_script(&ctx, &text)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        assert!(!results.is_empty(), "{}", script.display());
    }
    // the store's directory is not a table: as a path it is simply not found
    let ctx = SessionContext::new().enable_url_table();
    segql::register_all(&ctx)?;
    let err = ctx
        .sql("SELECT * FROM 'segql_models'")
        .await
        .expect_err("the model store is not a table");
    assert!(err.to_string().contains("not found"), "{err}");
    Ok(())
}
