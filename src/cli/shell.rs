//! [`Shell`]: runs statements and backslash commands against an embedded
//! [`Session`] and prints what psql would print. Both `driftdb sql -e/-f`
//! and the REPL drive it.
//!
//! Each statement goes to [`Session::simple_query`] on its own, so outside
//! `BEGIN … COMMIT` each commits by itself, exactly as with `psql -f`.
//! Results go to `out`; errors and notices go to `err`, prefixed with
//! `driftdb:FILE:LINE: ` while running a file (psql's `psql:FILE:LINE: `).

use std::io::{BufRead, Write};
use std::time::Instant;

use super::errfmt::format_error;
use super::split::{Item, Scanner};
use super::table::{CopySource, TableSink};
use crate::error::Error;
use crate::sql::session::Session;

/// What the caller should do after a statement or command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// `\q`: stop reading input.
    Quit,
}

/// How a script run ended, mapped to psql's exit codes by [`ScriptEnd::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptEnd {
    /// Ran to the end (errors, if any, did not stop it).
    Done,
    /// `\q`.
    Quit,
    /// Stopped at the first error because of `--on-error-stop` (exit 3).
    StoppedOnError,
    /// The database reported corruption or an I/O failure (exit 2).
    Fatal,
}

impl ScriptEnd {
    /// psql's exit status for this ending.
    pub fn code(self) -> i32 {
        match self {
            ScriptEnd::Done | ScriptEnd::Quit => 0,
            ScriptEnd::StoppedOnError => 3,
            ScriptEnd::Fatal => 2,
        }
    }
}

/// Lines of a script, counted, usable as COPY FROM STDIN input.
pub struct LineReader<R: BufRead> {
    reader: R,
    /// 1-based number of the last line returned.
    pub lineno: usize,
    /// Set when a line was not valid UTF-8 (the line is returned lossily).
    pub bad_utf8: bool,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a reader.
    pub fn new(reader: R) -> Self {
        LineReader {
            reader,
            lineno: 0,
            bad_utf8: false,
        }
    }
}

impl<R: BufRead> CopySource for LineReader<R> {
    fn next_line(&mut self) -> Option<String> {
        let mut bytes = Vec::new();
        match self.reader.read_until(b'\n', &mut bytes) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        self.lineno += 1;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        }
        match String::from_utf8(bytes) {
            Ok(s) => {
                self.bad_utf8 = false;
                Some(s)
            }
            Err(e) => {
                self.bad_utf8 = true;
                Some(String::from_utf8_lossy(e.as_bytes()).into_owned())
            }
        }
    }
}

/// The psql-like front end over one session.
pub struct Shell<'a> {
    session: &'a mut Session,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// `\timing`: print `Time: … ms` after each statement.
    pub timing: bool,
    /// Suppress command tags (psql `-q`).
    pub quiet: bool,
    /// Script name for error prefixes (`None`: no prefix, as for stdin).
    pub file_label: Option<String>,
    /// Where the data directory is (for `\conninfo`).
    pub data_dir: String,
}

impl<'a> Shell<'a> {
    /// A shell printing to `out`/`err`.
    pub fn new(session: &'a mut Session, out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        Shell {
            session,
            out,
            err,
            timing: false,
            quiet: false,
            file_label: None,
            data_dir: String::new(),
        }
    }

    /// The session, for prompts (`txn_status`).
    pub fn session(&self) -> &Session {
        self.session
    }

    fn prefix(&self, line: Option<usize>) -> String {
        match (&self.file_label, line) {
            (Some(f), Some(l)) => format!("driftdb:{f}:{l}: "),
            _ => String::new(),
        }
    }

    fn eprint(&mut self, s: &str) {
        let _ = self.err.write_all(s.as_bytes());
        let _ = self.err.flush();
    }

    fn print(&mut self, s: &str) {
        let _ = self.out.write_all(s.as_bytes());
        let _ = self.out.flush();
    }

    /// Runs one query string (one or more statements, sent as one simple
    /// Query) and prints its results or its error. `line` is the script line
    /// for the error prefix; `copy` feeds COPY FROM STDIN. Returns the error,
    /// already printed.
    pub fn run_query(
        &mut self,
        sql: &str,
        line: Option<usize>,
        copy: Option<&mut dyn CopySource>,
    ) -> Result<(), Error> {
        let prefix = self.prefix(line);
        let started = Instant::now();
        let result = {
            let mut sink = TableSink::new(&mut *self.out, &mut *self.err, copy);
            sink.prefix = prefix.clone();
            sink.quiet = self.quiet;
            let r = self.session.simple_query(sql, &mut sink);
            if r.is_err() {
                sink.discard();
            }
            r
        };
        let elapsed = started.elapsed();
        if let Err(e) = &result {
            let report = format_error(e, Some(sql), &prefix);
            self.eprint(&report);
        }
        if self.timing {
            let t = format_timing(elapsed.as_secs_f64() * 1000.0);
            self.print(&format!("{t}\n"));
        }
        result
    }

    /// Runs a backslash command. Unknown commands print psql's complaint.
    pub fn meta(&mut self, name: &str, args: &str, line: Option<usize>, interactive: bool) -> Flow {
        match name {
            "\\q" | "\\quit" => return Flow::Quit,
            "\\?" => {
                let help = super::repl::HELP;
                self.print(help);
            }
            "\\timing" => {
                self.timing = match args.to_ascii_lowercase().as_str() {
                    "" => !self.timing,
                    "on" | "true" | "1" | "yes" => true,
                    "off" | "false" | "0" | "no" => false,
                    other => {
                        let p = self.prefix(line);
                        self.eprint(&format!(
                            "{p}unrecognized value \"{other}\" for \"\\timing\": Boolean expected\n"
                        ));
                        return Flow::Continue;
                    }
                };
                let state = if self.timing { "on" } else { "off" };
                self.print(&format!("Timing is {state}.\n"));
            }
            "\\echo" => {
                let text = format!("{args}\n");
                self.print(&text);
            }
            "\\r" | "\\reset" => {
                if interactive {
                    self.print("Query buffer reset (cleared).\n");
                }
            }
            "\\conninfo" => {
                let d = self.data_dir.clone();
                self.print(&format!(
                    "You are connected to data directory \"{d}\" (embedded, no server).\n"
                ));
            }
            "\\dt" => self.list_tables(line),
            "\\i" | "\\include" => return self.include(args, line),
            _ => {
                let p = self.prefix(line);
                let mut msg = format!("{p}invalid command {name}\n");
                if interactive {
                    msg.push_str("Try \\? for help.\n");
                }
                self.eprint(&msg);
            }
        }
        Flow::Continue
    }

    /// `\dt`: the tables, through the catalog views (psql's `\dt` shape).
    fn list_tables(&mut self, line: Option<usize>) {
        let sql = "SELECT table_schema AS \"Schema\", table_name AS \"Name\", \
                   'table' AS \"Type\", 'driftdb' AS \"Owner\" \
                   FROM information_schema.tables \
                   WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
                   ORDER BY 1, 2";
        let _ = self.run_query(sql, line, None);
    }

    /// `\i FILE`: runs another script, then continues with this input.
    fn include(&mut self, path: &str, line: Option<usize>) -> Flow {
        if path.is_empty() {
            let p = self.prefix(line);
            self.eprint(&format!("{p}\\i: missing required argument\n"));
            return Flow::Continue;
        }
        match std::fs::File::open(path) {
            Ok(f) => {
                let saved = self.file_label.replace(path.to_string());
                let mut src = LineReader::new(std::io::BufReader::new(f));
                let end = self.run_script(&mut src, false);
                self.file_label = saved;
                if end == ScriptEnd::Quit {
                    return Flow::Quit;
                }
            }
            Err(e) => {
                let p = self.prefix(line);
                self.eprint(&format!("{p}{path}: {}\n", io_reason(&e)));
            }
        }
        Flow::Continue
    }

    /// Runs a script line by line like `psql -f`: every statement on its own,
    /// errors printed and (unless `stop_on_error`) not fatal.
    pub fn run_script<R: BufRead>(
        &mut self,
        src: &mut LineReader<R>,
        stop_on_error: bool,
    ) -> ScriptEnd {
        let mut scanner = Scanner::new();
        while let Some(text) = src.next_line() {
            let lineno = src.lineno;
            if src.bad_utf8 {
                let p = self.prefix(Some(lineno));
                self.eprint(&format!(
                    "{p}ERROR:  invalid byte sequence for encoding \"UTF8\"\n"
                ));
                scanner.reset();
                if stop_on_error {
                    return ScriptEnd::StoppedOnError;
                }
                continue;
            }
            for item in scanner.feed_line(&text, lineno) {
                if let Some(end) = self.run_item(item, src, stop_on_error) {
                    return end;
                }
            }
        }
        if let Some(sql) = scanner.finish() {
            let item = Item::Statement {
                sql,
                line: src.lineno.max(1),
            };
            if let Some(end) = self.run_item(item, src, stop_on_error) {
                return end;
            }
        }
        ScriptEnd::Done
    }

    /// Runs one scanned item of a script; `Some` ends the script.
    fn run_item<R: BufRead>(
        &mut self,
        item: Item,
        src: &mut LineReader<R>,
        stop_on_error: bool,
    ) -> Option<ScriptEnd> {
        match item {
            Item::Statement { sql, line } => match self.run_query(&sql, Some(line), Some(src)) {
                Ok(()) => None,
                Err(e) if e.is_fatal() => Some(ScriptEnd::Fatal),
                Err(_) if stop_on_error => Some(ScriptEnd::StoppedOnError),
                Err(_) => None,
            },
            Item::Meta { name, args, line } => match self.meta(&name, &args, Some(line), false) {
                Flow::Quit => Some(ScriptEnd::Quit),
                Flow::Continue => None,
            },
        }
    }
}

/// psql's wording for a file that cannot be opened.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}

/// psql's `\timing` line for `ms` milliseconds.
pub fn format_timing(ms: f64) -> String {
    if ms < 1000.0 {
        return format!("Time: {ms:.3} ms");
    }
    let mut seconds = ms / 1000.0;
    let mut minutes = (seconds / 60.0).floor();
    seconds -= 60.0 * minutes;
    if minutes < 60.0 {
        return format!("Time: {ms:.3} ms ({:02}:{seconds:06.3})", minutes as i64);
    }
    let mut hours = (minutes / 60.0).floor();
    minutes -= 60.0 * hours;
    if hours < 24.0 {
        return format!(
            "Time: {ms:.3} ms ({:02}:{:02}:{seconds:06.3})",
            hours as i64, minutes as i64
        );
    }
    let days = (hours / 24.0).floor();
    hours -= 24.0 * days;
    format!(
        "Time: {ms:.3} ms ({days:.0} d {:02}:{:02}:{seconds:06.3})",
        hours as i64, minutes as i64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_like_psql() {
        assert_eq!(format_timing(0.3564), "Time: 0.356 ms");
        assert_eq!(format_timing(1234.5678), "Time: 1234.568 ms (00:01.235)");
        assert_eq!(format_timing(61_500.0), "Time: 61500.000 ms (01:01.500)");
        assert_eq!(
            format_timing(3_723_000.0),
            "Time: 3723000.000 ms (01:02:03.000)"
        );
        assert_eq!(
            format_timing(90_000_000.0),
            "Time: 90000000.000 ms (1 d 01:00:00.000)"
        );
    }

    #[test]
    fn line_reader_counts_lines_and_strips_newlines() {
        let mut r = LineReader::new(&b"a\r\nb\n\nc"[..]);
        assert_eq!(r.next_line().as_deref(), Some("a\r"));
        assert_eq!(r.next_line().as_deref(), Some("b"));
        assert_eq!(r.next_line().as_deref(), Some(""));
        assert_eq!(r.next_line().as_deref(), Some("c"));
        assert_eq!(r.lineno, 4);
        assert_eq!(r.next_line(), None);
    }

    #[test]
    fn line_reader_flags_bad_utf8() {
        let mut r = LineReader::new(&b"ok\n\xff\xfe\nok"[..]);
        assert_eq!(r.next_line().as_deref(), Some("ok"));
        assert!(!r.bad_utf8);
        assert!(r.next_line().is_some());
        assert!(r.bad_utf8);
        assert_eq!(r.next_line().as_deref(), Some("ok"));
        assert!(!r.bad_utf8);
    }

    #[test]
    fn exit_codes_follow_psql() {
        assert_eq!(ScriptEnd::Done.code(), 0);
        assert_eq!(ScriptEnd::Quit.code(), 0);
        assert_eq!(ScriptEnd::StoppedOnError.code(), 3);
        assert_eq!(ScriptEnd::Fatal.code(), 2);
    }
}
