//! The interactive `driftdb sql` prompt: rustyline line editing, history in
//! `~/.driftdb_history`, statements spanning lines until `;`, and psql's
//! prompts:
//!
//! ```text
//! driftdb=>      ready              driftdb=*>   inside BEGIN … COMMIT
//! driftdb->      statement goes on  driftdb=!>   transaction failed (ROLLBACK)
//! driftdb'>  driftdb">  driftdb$>  driftdb*>  driftdb(>   inside a quote,
//!                identifier, dollar quote, comment or parentheses
//! ```
//!
//! Errors are printed and the session goes on. Ctrl-C drops the statement
//! being typed; Ctrl-D or `\q` ends the session.

use std::io::Write;
use std::path::PathBuf;

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::shell::{Flow, Shell};
use super::split::{Item, Scanner};
use super::table::CopySource;
use crate::sql::session::TxnStatus;

/// The `\?` text.
pub const HELP: &str = "\
General
  \\q                     quit driftdb
  \\?                     show this help
  \\timing [on|off]       toggle timing of statements
  \\echo TEXT             write TEXT to standard output
  \\i FILE                execute statements from FILE
  \\r                     reset (clear) the statement being typed
  \\conninfo              show which data directory is open
  \\dt                    list tables (needs the catalog views)

Statements end with a semicolon and may span several lines. Outside
BEGIN ... COMMIT every statement commits on its own.

Time travel:
  SELECT * FROM t FOR SYSTEM_TIME AS OF @SEQ:5;
  SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2026-01-15 10:00:00';
  SELECT *, SYSTEM_TIME_START, SYSTEM_TIME_END FROM t FOR SYSTEM_TIME ALL;
  SELECT driftdb_current_seq();
";

/// The prompt for the scanner's state and the transaction status.
pub fn prompt(scanner: &Scanner, status: TxnStatus) -> String {
    let x = match status {
        TxnStatus::Idle => "",
        TxnStatus::InBlock => "*",
        TxnStatus::Failed => "!",
    };
    format!("driftdb{}{x}> ", scanner.prompt_char())
}

/// Where history is kept: `$HOME/.driftdb_history` (none without HOME).
fn history_path() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    Some(PathBuf::from(home).join(".driftdb_history"))
}

/// COPY FROM STDIN data typed at a `>> ` prompt.
struct EditorLines<'e>(&'e mut DefaultEditor);

impl CopySource for EditorLines<'_> {
    fn next_line(&mut self) -> Option<String> {
        self.0.readline(">> ").ok()
    }
}

/// Runs the prompt until `\q` or end of input.
pub fn run(shell: &mut Shell<'_>) -> i32 {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("driftdb: error: cannot start the line editor: {e}");
            return 1;
        }
    };
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!(
        "driftdb {} (embedded: {})\nType \"\\?\" for help, \"\\q\" to quit.\n",
        env!("CARGO_PKG_VERSION"),
        shell.data_dir
    );
    let mut scanner = Scanner::new();
    let mut lineno = 0;
    loop {
        let p = prompt(&scanner, shell.session().txn_status());
        let line = match editor.readline(&p) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => {
                scanner.reset();
                continue;
            }
            Err(ReadlineError::Eof) => {
                println!("\\q");
                break;
            }
            Err(e) => {
                eprintln!("driftdb: error: {e}");
                break;
            }
        };
        lineno += 1;
        if !line.trim().is_empty() {
            let _ = editor.add_history_entry(line.as_str());
        }
        if scanner.is_empty() {
            match line.trim().trim_end_matches(';') {
                "help" => {
                    println!("You are using driftdb, the command-line interface to DriftDB.");
                    println!("Type:  \\? for help\n       \\q to quit");
                    continue;
                }
                "quit" | "exit" => break,
                _ => {}
            }
        }
        if run_items(shell, &mut editor, scanner.feed_line(&line, lineno)) == Flow::Quit {
            break;
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    let _ = std::io::stdout().flush();
    0
}

fn run_items(shell: &mut Shell<'_>, editor: &mut DefaultEditor, items: Vec<Item>) -> Flow {
    for item in items {
        match item {
            Item::Statement { sql, .. } => {
                let mut copy = EditorLines(editor);
                // Errors are printed by the shell and do not end the session.
                let _ = shell.run_query(&sql, None, Some(&mut copy));
            }
            Item::Meta { name, args, .. } => {
                if shell.meta(&name, &args, None, true) == Flow::Quit {
                    return Flow::Quit;
                }
            }
        }
    }
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_like_psql() {
        let mut sc = Scanner::new();
        assert_eq!(prompt(&sc, TxnStatus::Idle), "driftdb=> ");
        assert_eq!(prompt(&sc, TxnStatus::InBlock), "driftdb=*> ");
        assert_eq!(prompt(&sc, TxnStatus::Failed), "driftdb=!> ");
        sc.feed_line("select 1", 1);
        assert_eq!(prompt(&sc, TxnStatus::Idle), "driftdb-> ");
        assert_eq!(prompt(&sc, TxnStatus::InBlock), "driftdb-*> ");
        sc.feed_line("+ 'abc", 2);
        assert_eq!(prompt(&sc, TxnStatus::Idle), "driftdb'> ");
    }
}
