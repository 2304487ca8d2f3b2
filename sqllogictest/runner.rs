//! The sqllogictest harness (`cargo test --test sqllogictest`).
//!
//! Runs every `sqllogictest/**/*.slt` file in-process through the
//! `sqllogictest` crate: each file gets a fresh embedded [`Database`] in a
//! temporary directory, and each connection of the file (the default one and
//! any `connection NAME` ones) a [`Session`] on it. Results are collected by
//! a [`ResultSink`] and shaped exactly as the crate's PostgreSQL engine
//! shapes them, so the same files can be checked against a real PostgreSQL
//! 15 with the `sqllogictest` binary:
//!
//! * column types: integers `I`, floats and numeric `R`, everything else `T`;
//! * NULL is `NULL`, the empty string `(empty)`;
//! * only the first statement of a record returns rows; a result with no
//!   rows is a completed statement with the tag's row count;
//! * errors read `db error: ERROR: message` (+ `\nDETAIL: …`, `\nHINT: …`)
//!   and carry their SQLSTATE, so `statement error <regex>` and
//!   `statement error (42P01)` both work.
//!
//! Records run one by one and a failure does not stop the file, so the
//! counts say how much works. Usage (arguments after `--`):
//!
//! ```text
//! cargo test --test sqllogictest                    # every file
//! cargo test --test sqllogictest -- time_travel     # files whose path contains it
//! cargo test --test sqllogictest -- --list          # list files (libtest style)
//! ```
//!
//! Engine label `driftdb`: a file may use `onlyif driftdb` / `skipif driftdb`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use driftdb::error::Error;
use driftdb::sql::session::{
    ColumnDesc, Database, Format, Notice, ResultSink, Session, StartupParams,
};
use driftdb::types::{DataType, TypeContext, Value};
use sqllogictest::{DBOutput, DefaultColumnType, Record, Runner};

/// Failed records shown per file.
const SHOW_FAILURES: usize = 3;

/// An engine error, displayed like tokio-postgres displays a server error.
#[derive(Debug)]
struct SltError(Error);

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "db error: ERROR: {}", self.0.message())?;
        if let Some(e) = self.0.as_sql() {
            if let Some(d) = &e.detail {
                write!(f, "\nDETAIL: {d}")?;
            }
            if let Some(h) = &e.hint {
                write!(f, "\nHINT: {h}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for SltError {}

/// Collects the first statement's rows of a query string.
#[derive(Default)]
struct Collect {
    types: Vec<DefaultColumnType>,
    rows: Vec<Vec<String>>,
    ctx: Option<TypeContext>,
    count: u64,
    done: bool,
}

fn column_type(ty: &DataType) -> DefaultColumnType {
    match ty {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => DefaultColumnType::Integer,
        DataType::Float4 | DataType::Float8 | DataType::Numeric { .. } => {
            DefaultColumnType::FloatingPoint
        }
        _ => DefaultColumnType::Text,
    }
}

/// The row count at the end of a command tag (`INSERT 0 3` → 3).
fn tag_count(tag: &str) -> u64 {
    tag.rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

impl ResultSink for Collect {
    fn begin_rows(
        &mut self,
        columns: &[ColumnDesc],
        _formats: &[Format],
        ctx: &TypeContext,
        _describe: bool,
    ) -> driftdb::Result<()> {
        if !self.done {
            self.types = columns.iter().map(|c| column_type(&c.ty)).collect();
            self.ctx = Some(ctx.clone());
        }
        Ok(())
    }

    fn data_row(&mut self, row: &[Value]) -> driftdb::Result<()> {
        if self.done {
            return Ok(());
        }
        let ctx = self.ctx.clone().unwrap_or_default();
        let cells = row
            .iter()
            .map(|v| match v {
                Value::Null => "NULL".to_string(),
                v => {
                    let s = v.to_text(&ctx);
                    if s.is_empty() { "(empty)".into() } else { s }
                }
            })
            .collect();
        self.rows.push(cells);
        Ok(())
    }

    fn command_complete(&mut self, tag: &str) -> driftdb::Result<()> {
        if !self.done {
            self.count = tag_count(tag);
            self.done = true;
        }
        Ok(())
    }

    fn empty_query(&mut self) -> driftdb::Result<()> {
        Ok(())
    }

    fn notice(&mut self, _notice: &Notice) -> driftdb::Result<()> {
        Ok(())
    }

    fn parameter_status(&mut self, _name: &str, _value: &str) -> driftdb::Result<()> {
        Ok(())
    }

    fn copy_in_start(&mut self, _columns: usize) -> driftdb::Result<()> {
        Err(Error::Internal(
            "COPY FROM STDIN is not available in sqllogictest".into(),
        ))
    }

    fn copy_in_next(&mut self) -> driftdb::Result<Option<Vec<u8>>> {
        Ok(None)
    }

    fn copy_out_start(&mut self, _columns: usize) -> driftdb::Result<()> {
        Ok(())
    }

    fn copy_out_data(&mut self, _data: &[u8]) -> driftdb::Result<()> {
        Ok(())
    }

    fn copy_out_done(&mut self) -> driftdb::Result<()> {
        Ok(())
    }
}

/// One connection: a session on the file's database.
struct Conn {
    session: Session,
}

impl Conn {
    fn connect(db: &Database) -> Result<Conn, SltError> {
        let startup = StartupParams {
            user: "driftdb".into(),
            database: "driftdb".into(),
            options: Vec::new(),
        };
        Ok(Conn {
            session: Session::new(db, &startup).map_err(SltError)?,
        })
    }
}

impl sqllogictest::DB for Conn {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let mut sink = Collect::default();
        self.session
            .simple_query(sql, &mut sink)
            .map_err(SltError)?;
        if sink.rows.is_empty() {
            Ok(DBOutput::StatementComplete(sink.count))
        } else {
            Ok(DBOutput::Rows {
                types: sink.types,
                rows: sink.rows,
            })
        }
    }

    fn shutdown(&mut self) {
        self.session.terminate();
    }

    fn engine_name(&self) -> &str {
        "driftdb"
    }

    fn error_sql_state(err: &SltError) -> Option<String> {
        Some(err.0.sqlstate().code().to_string())
    }
}

/// What one file did.
struct FileResult {
    passed: usize,
    failed: usize,
    messages: Vec<String>,
}

/// A scratch directory for one file's database, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch_dir(n: usize) -> Scratch {
    let p = std::env::temp_dir().join(format!("driftdb-slt-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    Scratch(p)
}

/// Runs the records of one file on a fresh database.
fn run_file(path: &Path, n: usize) -> FileResult {
    let mut res = FileResult {
        passed: 0,
        failed: 0,
        messages: Vec::new(),
    };
    let records = match sqllogictest::parse_file::<DefaultColumnType>(path) {
        Ok(r) => r,
        Err(e) => {
            res.failed = 1;
            res.messages.push(format!("parse error: {e}"));
            return res;
        }
    };
    let scratch = scratch_dir(n);
    let db = match Database::open(&scratch.0) {
        Ok(db) => db,
        Err(e) => {
            res.failed = 1;
            res.messages.push(format!("cannot open a database: {e}"));
            return res;
        }
    };
    let conn_db = db.clone();
    let mut runner = Runner::new(move || std::future::ready(Conn::connect(&conn_db)));
    for record in records {
        if matches!(record, Record::Halt { .. }) {
            break;
        }
        let counted = matches!(record, Record::Statement { .. } | Record::Query { .. });
        match runner.run(record) {
            Ok(_) if counted => res.passed += 1,
            Ok(_) => {}
            Err(e) => {
                res.failed += 1;
                if res.messages.len() < SHOW_FAILURES {
                    res.messages.push(e.display(false).to_string());
                }
            }
        }
    }
    runner.shutdown();
    if let Err(e) = db.shutdown() {
        res.failed += 1;
        res.messages.push(format!("shutdown failed: {e}"));
    }
    res
}

/// `run_file`, with a panic in the engine turned into a failed file.
fn run_file_guarded(path: &Path, n: usize) -> FileResult {
    catch_unwind(AssertUnwindSafe(|| run_file(path, n))).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        FileResult {
            passed: 0,
            failed: 1,
            messages: vec![format!("panicked: {msg}")],
        }
    })
}

/// Every `.slt` file under `dir`, sorted.
fn find_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            find_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "slt") {
            out.push(p);
        }
    }
    out.sort();
}

/// Command-line options (a libtest-compatible subset).
#[derive(Default)]
struct Options {
    filters: Vec<String>,
    exact: bool,
    list: bool,
    ignored_only: bool,
}

fn parse_args() -> Options {
    let mut o = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--list" => o.list = true,
            "--exact" => o.exact = true,
            "--ignored" => o.ignored_only = true,
            // Options that take a value in libtest; skip the value.
            "--format" | "--test-threads" | "--skip" | "--color" | "-Z" | "--logfile" => {
                args.next();
            }
            a if a.starts_with('-') => {}
            a => o.filters.push(a.to_string()),
        }
    }
    o
}

fn selected(name: &str, o: &Options) -> bool {
    o.filters.is_empty()
        || o.filters.iter().any(|f| {
            if o.exact {
                name == f
            } else {
                name.contains(f.as_str())
            }
        })
}

fn main() {
    let opts = parse_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sqllogictest");
    let mut all = Vec::new();
    find_files(&root, &mut all);
    let name_of = |p: &Path| {
        p.strip_prefix(&root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let files: Vec<(String, PathBuf)> = all
        .iter()
        .map(|p| (name_of(p), p.clone()))
        .filter(|(n, _)| selected(n, &opts) && !opts.ignored_only)
        .collect();
    if opts.list {
        for (n, _) in &files {
            println!("{n}: test");
        }
        return;
    }
    let filtered_out = all.len() - files.len();
    println!("\nrunning {} sqllogictest files", files.len());
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(String, FileResult)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((name, path)) = files.get(i) else {
                        break;
                    };
                    let t = Instant::now();
                    let r = run_file_guarded(path, i);
                    let status = if r.failed == 0 { "ok" } else { "FAILED" };
                    println!(
                        "test {name} ... {status} ({} records passed, {} failed, {:.2}s)",
                        r.passed,
                        r.failed,
                        t.elapsed().as_secs_f64()
                    );
                    results
                        .lock()
                        .expect("results lock poisoned by a panicking worker")
                        .push((name.clone(), r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    report(&results, filtered_out, started.elapsed().as_secs_f64());
}

/// Prints the failures and the libtest-style summary; exits 1 on failure.
fn report(results: &[(String, FileResult)], filtered_out: usize, secs: f64) {
    let failed: Vec<&(String, FileResult)> = results.iter().filter(|(_, r)| r.failed > 0).collect();
    if !failed.is_empty() {
        println!("\nfailures:");
        for (name, r) in &failed {
            println!(
                "\n---- {name} ({} of {} records failed) ----",
                r.failed,
                r.passed + r.failed
            );
            for m in &r.messages {
                println!("{m}\n");
            }
        }
        println!("\nfailures:");
        for (name, _) in &failed {
            println!("    {name}");
        }
    }
    let (rp, rf) = results
        .iter()
        .fold((0, 0), |(p, f), (_, r)| (p + r.passed, f + r.failed));
    println!("\nrecords: {rp} passed, {rf} failed");
    let status = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {status}. {} passed; {} failed; 0 ignored; 0 measured; {filtered_out} filtered out; finished in {secs:.2}s\n",
        results.len() - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
