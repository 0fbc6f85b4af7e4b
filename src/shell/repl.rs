//! The interactive prompt: `segql>`, multi-line statements ending in `;`, history in the
//! user's data directory, completion, highlighting, backslash commands, Ctrl-C cancelling the
//! running statement and Ctrl-D leaving.
//!
//! ```text
//! segql> SELECT segment, count(*)
//!   ...>   FROM rfm(sales) GROUP BY segment;
//! ```

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use datafusion::common::{DataFusionError, Result};
use datafusion::config::Dialect;
use datafusion_cli::helper::CliHelper;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

use super::commands::{Next, run_command};
use super::completion::{Names, SqlCompleter};
use super::errors::describe_error;
use super::session::ShellSession;
use super::statements::{execute_and_print, split_statements};

/// The prompt.
pub const PROMPT: &str = "segql> ";

/// Where the history is kept: `<data dir>/segql/history` (for example
/// `~/.local/share/segql/history`), never the working directory.
pub fn history_path() -> Option<PathBuf> {
    dirs::data_dir().map(|dir| dir.join("segql").join("history"))
}

/// datafusion-cli's helper (statement validation, highlighting, the empty-line hint) with
/// segql's completion.
struct ShellHelper {
    inner: CliHelper,
    completer: SqlCompleter,
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> std::result::Result<(usize, Vec<Pair>), ReadlineError> {
        self.completer.complete(line, pos, ctx)
    }
}

impl Highlighter for ShellHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        self.inner.highlight(line, pos)
    }

    fn highlight_char(&self, line: &str, pos: usize, kind: CmdKind) -> bool {
        self.inner.highlight_char(line, pos, kind)
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        self.inner.highlight_hint(hint)
    }
}

impl Hinter for ShellHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.inner.hint(line, pos, ctx)
    }
}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        self.inner.validate(ctx)
    }
}

impl Helper for ShellHelper {}

fn readline_error(e: ReadlineError) -> DataFusionError {
    DataFusionError::Execution(format!("the prompt failed: {e}"))
}

/// Ctrl-C while a statement runs. The handler is installed once, when the prompt opens: a
/// handler installed only when the statement's future is first polled came too late when
/// planning kept the first poll busy, and the default action killed the shell.
struct Interrupts {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupts {
    fn new() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signal = signal(SignalKind::interrupt()).map_err(|e| {
                DataFusionError::Execution(format!("cannot listen for Ctrl-C: {e}"))
            })?;
            Ok(Self { signal })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Forget a Ctrl-C that arrived between statements.
    fn clear(&mut self) {
        #[cfg(unix)]
        while let Some(Some(())) = futures::FutureExt::now_or_never(self.signal.recv()) {}
    }

    /// The next Ctrl-C.
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            self.signal.recv().await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Run the prompt until `\q` or Ctrl-D.
pub async fn run_repl(session: &mut ShellSession) -> Result<()> {
    let names = Arc::new(RwLock::new(Names::default()));
    let dialect: Dialect = session.ctx.state().config().options().sql_parser.dialect;
    let mut editor: Editor<ShellHelper, rustyline::history::DefaultHistory> =
        Editor::new().map_err(readline_error)?;
    editor.set_helper(Some(ShellHelper {
        inner: CliHelper::new(&dialect, session.print.color),
        completer: SqlCompleter::new(Arc::clone(&names)),
    }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!(
        "segql {}: customer segmentation in SQL. \\? for help, \\h for segql's functions, \\q to quit.",
        env!("CARGO_PKG_VERSION")
    );
    let mut interrupts = Interrupts::new()?;
    loop {
        let refreshed = Names::read(&session.ctx).await;
        if let Ok(mut current) = names.write() {
            *current = refreshed;
        }
        match editor.readline(PROMPT) {
            Ok(line) if line.trim_start().starts_with('\\') => {
                let _ = editor.add_history_entry(line.trim_end());
                match run_command(session, &line).await {
                    Ok(Next::Quit) => break,
                    Ok(Next::Continue) => {}
                    Err(e) => eprintln!("{}", describe_error(&e, &session.ctx)),
                }
            }
            Ok(line) => {
                let _ = editor.add_history_entry(line.trim_end());
                for statement in split_statements(&line) {
                    interrupts.clear();
                    tokio::select! {
                        result = execute_and_print(session, &statement) => {
                            if let Err(e) = result {
                                eprintln!("{}", describe_error(&e, &session.ctx));
                            }
                        }
                        _ = interrupts.next() => {
                            eprintln!("^C: statement cancelled");
                            break;
                        }
                    }
                }
            }
            Err(ReadlineError::Interrupted) => {
                println!("^C");
            }
            Err(ReadlineError::Eof) => {
                println!("\\q");
                break;
            }
            Err(e) => return Err(readline_error(e)),
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = editor.save_history(path) {
            eprintln!("could not save the history to {}: {e}", path.display());
        }
    }
    Ok(())
}
