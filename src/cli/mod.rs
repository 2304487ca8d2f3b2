//! The `driftdb` command-line tool: `init`, embedded SQL (`sql -e`, `sql -f`,
//! piped input) and the interactive prompt, all psql look-alikes.
//!
//! "Embedded" means the tool opens the data directory itself through
//! [`Database::open`](crate::sql::session::Database::open) and talks to a
//! [`Session`](crate::sql::session::Session) in-process; no server runs.
//! The pieces:
//!
//! * [`args`]: the clap command line and [`args::main`], the entry point;
//! * [`split`]: psql's statement splitting, line by line;
//! * [`shell`]: runs statements and backslash commands, prints like psql;
//! * [`table`]: psql's aligned table format, as a `ResultSink`;
//! * [`errfmt`]: `ERROR:` / `LINE n:` / caret / `DETAIL:` reports;
//! * [`repl`]: the rustyline prompt;

pub mod args;
pub mod errfmt;
pub mod repl;
pub mod shell;
pub mod split;
pub mod table;
