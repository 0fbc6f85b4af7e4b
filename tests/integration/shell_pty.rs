//! The interactive shell driven through a real pseudo-terminal, as a person types: tab
//! completion, multi-line statements, Ctrl-C cancelling a long fit without leaving the shell,
//! backslash commands, Ctrl-D, and the history file in the data directory.

use std::process::Command;
use std::time::{Duration, Instant};

use rexpect::reader::Options;
use rexpect::session::{PtySession, spawn_with_options};

struct Shell {
    pty: PtySession,
    _home: tempfile::TempDir,
    home: std::path::PathBuf,
}

fn shell() -> Shell {
    let home = tempfile::tempdir().unwrap();
    // a pty starts with a 0x0 window, which line editors cannot draw in: size it first
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!(
            "stty cols 160 rows 50 && exec '{}' --demo --demo-rows 20000",
            env!("CARGO_BIN_EXE_segql")
        ))
        .current_dir(home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("HOME", home.path())
        .env("TERM", "xterm");
    let options = Options::new()
        .timeout_ms(Some(60_000))
        .strip_ansi_escape_codes(true);
    let mut pty = spawn_with_options(command, options).expect("segql starts in a pty");
    pty.exp_string("\\q to quit").unwrap();
    pty.exp_string("segql> ").unwrap();
    Shell {
        pty,
        home: home.path().to_path_buf(),
        _home: home,
    }
}

#[test]
fn tab_completes_segql_functions_and_runs_multi_line_statements() {
    let mut s = shell();
    // `kmeans_f` + TAB completes to `kmeans_fit(`; the rest of the call is typed after it
    s.pty.send("SELECT segment, size FROM kmeans_f").unwrap();
    s.pty.send("\t").unwrap();
    s.pty.flush().unwrap();
    s.pty.exp_string("kmeans_fit(").unwrap();
    s.pty.send_line("rfm(sales), 2, seed => 1)").unwrap();
    // no `;` yet: the statement continues on the next line
    s.pty.send_line("ORDER BY segment;").unwrap();
    s.pty.exp_string("2 row(s) fetched.").unwrap();
    s.pty.exp_string("segql> ").unwrap();

    // table names complete too
    s.pty.send("SELECT count(*) AS n FROM sal").unwrap();
    s.pty.send("\t").unwrap();
    s.pty.flush().unwrap();
    s.pty.exp_string("sales").unwrap();
    s.pty.send_line(";").unwrap();
    s.pty.exp_string("20000").unwrap();
    s.pty.exp_string("segql> ").unwrap();

    // an error is one message and the shell goes on
    s.pty.send_line("SELECT * FROM rfm(sale);").unwrap();
    s.pty.exp_string("table 'sale' not found").unwrap();
    s.pty.exp_string("Hint: did you mean sales?").unwrap();
    s.pty.exp_string("segql> ").unwrap();

    s.pty.send_line("\\models").unwrap();
    s.pty.exp_string("Model store: segql_models").unwrap();
    s.pty.exp_string("segql> ").unwrap();

    // Ctrl-D leaves, and the history is in the data directory, not the working directory
    s.pty.send_control('d').unwrap();
    s.pty.exp_eof().unwrap();
    let history = s.home.join("data").join("segql").join("history");
    let text = std::fs::read_to_string(&history).expect("history file written");
    assert!(text.contains("ORDER BY segment;"), "{text}");
    assert!(!s.home.join(".history").exists());
}

#[test]
fn ctrl_c_cancels_a_long_fit_and_the_shell_goes_on() {
    let mut s = shell();
    // a fit that takes far longer than the test waits: many restarts on a large input
    s.pty
        .send_line(
            "SELECT count(*) FROM kmeans_fit(rfm(demo_transactions(rows => 2000000)), 8, n_init => 1000, tol => 0);",
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(3000));
    let pressed = Instant::now();
    s.pty.send_control('c').unwrap();
    s.pty.exp_string("statement cancelled").unwrap();
    s.pty.exp_string("segql> ").unwrap();
    assert!(
        pressed.elapsed() < Duration::from_secs(10),
        "the prompt came back {:?} after Ctrl-C",
        pressed.elapsed()
    );
    // the shell still works, and Ctrl-C at an empty prompt does not leave it
    s.pty.send_line("SELECT 40 + 2 AS answer;").unwrap();
    s.pty.exp_string("42").unwrap();
    s.pty.exp_string("segql> ").unwrap();
    s.pty.send_control('c').unwrap();
    s.pty.exp_string("segql> ").unwrap();
    s.pty.send_line("\\q").unwrap();
    s.pty.exp_eof().unwrap();
}
