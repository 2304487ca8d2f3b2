//! The `driftdb` command line (clap) and what each command does.
//!
//! Exit codes follow psql: 0 success (a `-f` script whose statements failed
//! still exits 0, as `psql -f` does), 1 a failed `-e` statement or a
//! problem of the tool itself (file not found), 2 the data directory could
//! not be opened or reported corruption, 3 a script stopped by
//! `--on-error-stop`.

use std::io::{BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use super::shell::{LineReader, ScriptEnd, Shell, io_reason};
use crate::sql::session::{Database, DatabaseOptions, Session, StartupParams};
use crate::storage::DEFAULT_CACHE_BYTES;

/// DriftDB's command-line tool.
#[derive(Debug, Parser)]
#[command(
    name = "driftdb",
    version,
    about = "DriftDB command-line tool: create a data directory, run SQL on it (embedded, no server)",
    long_about = None,
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an empty data directory.
    Init {
        /// The directory to create (must not exist or be empty).
        dir: PathBuf,
    },
    /// Run SQL on a data directory, like psql: -e SQL, -f FILE, piped input, or an interactive prompt.
    Sql(SqlArgs),
}

/// Options of `driftdb sql`.
#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The data directory (as created by `driftdb init` or the server).
    #[arg(short = 'd', long = "data-path", value_name = "DIR")]
    pub data_path: PathBuf,
    /// Run this SQL string (one or more statements, run as one implicit transaction), print the results and exit. May be repeated.
    #[arg(
        short = 'e',
        long = "execute",
        value_name = "SQL",
        conflicts_with = "file"
    )]
    pub execute: Vec<String>,
    /// Run the statements in FILE one by one, like `psql -f` ("-" reads standard input). May be repeated.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Stop a script at its first error and exit with status 3 (psql's ON_ERROR_STOP).
    #[arg(long = "on-error-stop")]
    pub on_error_stop: bool,
    /// Do not print command tags such as `INSERT 0 1`.
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
    /// Page cache (buffer pool) budget in MiB [default: 128].
    #[arg(long = "cache-mb", value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub cache_mb: Option<u64>,
}

/// Parses the command line, runs the command, returns the exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    crate::logging::set_quiet(true);
    match cli.command {
        Command::Init { dir } => init(&dir),
        Command::Sql(args) => sql(&args),
    }
}

fn fail(msg: &str, code: i32) -> i32 {
    eprintln!("driftdb: error: {msg}");
    code
}

/// `driftdb init DIR`.
fn init(dir: &Path) -> i32 {
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            let d = dir.display();
            return fail(&format!("directory \"{d}\" exists but is not empty"), 1);
        }
    } else if dir.exists() {
        let d = dir.display();
        return fail(&format!("\"{d}\" exists but is not a directory"), 1);
    }
    let db = match Database::open(dir) {
        Ok(db) => db,
        Err(e) => {
            return fail(
                &format!(
                    "cannot create data directory \"{}\": {}",
                    dir.display(),
                    e.message()
                ),
                2,
            );
        }
    };
    if let Err(e) = db.shutdown() {
        return fail(
            &format!(
                "cannot close data directory \"{}\": {}",
                dir.display(),
                e.message()
            ),
            2,
        );
    }
    let shown = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let d = shown.display();
    println!("Initialized an empty DriftDB data directory in {d}");
    println!("\nStart a server on it with:\n    driftdb-server --data-path {d}");
    println!("or run SQL on it directly with:\n    driftdb sql -d {d}");
    0
}

/// `driftdb sql`.
fn sql(args: &SqlArgs) -> i32 {
    let dir = &args.data_path;
    if !dir.is_dir() {
        let d = dir.display();
        return fail(
            &format!("data directory \"{d}\" does not exist (create it with: driftdb init {d})"),
            2,
        );
    }
    let opts = DatabaseOptions {
        cache_bytes: args.cache_mb.map_or(DEFAULT_CACHE_BYTES, |mb| {
            usize::try_from(mb)
                .unwrap_or(usize::MAX)
                .saturating_mul(1 << 20)
        }),
        ..DatabaseOptions::default()
    };
    let db = match Database::open_with(dir, opts) {
        Ok(db) => db,
        Err(e) => {
            return fail(
                &format!(
                    "cannot open data directory \"{}\": {}",
                    dir.display(),
                    e.message()
                ),
                2,
            );
        }
    };
    let startup = StartupParams {
        user: "driftdb".into(),
        database: "driftdb".into(),
        options: Vec::new(),
    };
    let mut session = match Session::new(&db, &startup) {
        Ok(s) => s,
        Err(e) => return fail(&e.message(), 2),
    };
    let code = run_sql(args, &mut session);
    session.terminate();
    if let Err(e) = db.shutdown() {
        return fail(
            &format!(
                "cannot close data directory \"{}\": {}",
                dir.display(),
                e.message()
            ),
            2,
        );
    }
    code
}

fn run_sql(args: &SqlArgs, session: &mut Session) -> i32 {
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let mut shell = Shell::new(session, &mut out, &mut err);
    shell.quiet = args.quiet;
    shell.data_dir = args.data_path.display().to_string();
    let code = if !args.execute.is_empty() {
        run_execute(&mut shell, &args.execute)
    } else if !args.file.is_empty() {
        run_files(&mut shell, &args.file, args.on_error_stop)
    } else if std::io::stdin().is_terminal() {
        super::repl::run(&mut shell)
    } else {
        let stdin = std::io::stdin();
        let mut src = LineReader::new(stdin.lock());
        shell.run_script(&mut src, args.on_error_stop).code()
    };
    let _ = std::io::stdout().flush();
    code
}

/// `-e SQL`...: each string is one query; the status is the last one's.
fn run_execute(shell: &mut Shell<'_>, sqls: &[String]) -> i32 {
    let mut code = 0;
    for sql in sqls {
        code = match shell.run_query(sql, None, None) {
            Ok(()) => 0,
            Err(e) if e.is_fatal() => return 2,
            Err(_) => 1,
        };
    }
    code
}

/// `-f FILE`...: scripts in order; stops at `\q` or a stopping error.
fn run_files(shell: &mut Shell<'_>, files: &[PathBuf], stop: bool) -> i32 {
    for f in files {
        let end = if f.as_os_str() == "-" {
            shell.file_label = Some("<stdin>".into());
            let stdin = std::io::stdin();
            let mut src = LineReader::new(stdin.lock());
            shell.run_script(&mut src, stop)
        } else {
            let file = match std::fs::File::open(f) {
                Ok(file) => file,
                Err(e) => return fail(&format!("{}: {}", f.display(), io_reason(&e)), 1),
            };
            shell.file_label = Some(f.display().to_string());
            let mut src = LineReader::new(BufReader::new(file));
            shell.run_script(&mut src, stop)
        };
        if end != ScriptEnd::Done {
            return end.code();
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_sql_options() {
        let cli = Cli::try_parse_from([
            "driftdb",
            "sql",
            "-d",
            "/tmp/x",
            "-e",
            "select 1",
            "-e",
            "select 2",
            "--cache-mb",
            "64",
        ])
        .unwrap();
        match cli.command {
            Command::Sql(a) => {
                assert_eq!(a.data_path, PathBuf::from("/tmp/x"));
                assert_eq!(a.execute, vec!["select 1", "select 2"]);
                assert_eq!(a.cache_mb, Some(64));
                assert!(a.file.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn execute_and_file_conflict_and_data_path_is_required() {
        assert!(Cli::try_parse_from(["driftdb", "sql", "-d", "x", "-e", "s", "-f", "f"]).is_err());
        assert!(Cli::try_parse_from(["driftdb", "sql", "-e", "select 1"]).is_err());
        assert!(Cli::try_parse_from(["driftdb", "init"]).is_err());
    }
}
