//! A scripted [`Backend`] for testing the wire layer without the SQL engine.
//!
//! Simple queries (split on `;`):
//! - `SELECT 1` → one int4 row; `SELECT 'x'` → one text row; `SELECT NULL`
//! - `SELECT generate_series(1, N)` → N int4 rows
//! - `bad` → 42601 at position 1
//! - `BEGIN` / `COMMIT` / `ROLLBACK` drive the transaction status (an error
//!   inside a block makes it `E` until ROLLBACK)
//! - `SELECT sleep` → polls its cancel flag for up to 10 s (57014 if set);
//!   `SELECT sleep_short` sleeps 300 ms, ignoring it
//! - `COPY t FROM STDIN` / `COPY t TO STDOUT`, `NOTICE`, `SET name = value`
//!
//! Extended protocol: `SELECT $1::int4, $2...` echoes its parameters (types
//! from the Parse OIDs, else from the `::type`, else text); the simple query
//! forms above also work through Parse/Bind/Execute, with row limits.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use driftdb::cancel::CancelFlag;
use driftdb::error::{Error, Result, SqlState};
use driftdb::sql::session::{
    ColumnDesc, ExecuteOutcome, Format, Notice, ResultSink, StartupParams, StatementDescription,
    TxnStatus,
};
use driftdb::types::{DataType, TypeContext, Value};
use driftdb::wire::{Backend, BackendFactory};

/// Makes [`MockBackend`]s; counts shutdowns and terminations.
#[derive(Debug, Default, Clone)]
pub struct MockFactory {
    /// Times `shutdown` was called.
    pub shutdowns: Arc<AtomicUsize>,
    /// Times a backend was terminated.
    pub terminated: Arc<AtomicUsize>,
}

impl BackendFactory for MockFactory {
    type B = MockBackend;

    fn connect(&self, startup: &StartupParams) -> Result<MockBackend> {
        let app = startup
            .options
            .iter()
            .find(|(k, _)| k == "application_name")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if app == "refuse" {
            return Err(Error::sql(
                SqlState::INVALID_PARAMETER_VALUE,
                "refused by the mock",
            ));
        }
        Ok(MockBackend {
            cancel: CancelFlag::new(),
            app,
            block: Block::None,
            statements: HashMap::new(),
            portals: HashMap::new(),
            terminated: self.terminated.clone(),
        })
    }

    fn shutdown(&self) -> Result<()> {
        self.shutdowns.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Block {
    None,
    Open,
    Failed,
}

#[derive(Debug, Clone)]
struct Prepared {
    sql: String,
    params: Vec<DataType>,
}

#[derive(Debug)]
struct Portal {
    cols: Option<Vec<ColumnDesc>>,
    formats: Vec<Format>,
    rows: Vec<Vec<Value>>,
    sent: usize,
    tag: String,
}

/// See the module docs.
#[derive(Debug)]
pub struct MockBackend {
    cancel: CancelFlag,
    app: String,
    block: Block,
    statements: HashMap<String, Prepared>,
    portals: HashMap<String, Portal>,
    terminated: Arc<AtomicUsize>,
}

fn col(name: &str, ty: DataType) -> ColumnDesc {
    ColumnDesc {
        name: name.into(),
        ty,
        table_oid: 0,
        column_id: 0,
    }
}

/// What a statement produces: rows (with columns) or just a tag.
struct Output {
    cols: Option<Vec<ColumnDesc>>,
    rows: Vec<Vec<Value>>,
    tag: String,
}

fn rows(cols: Vec<ColumnDesc>, rows: Vec<Vec<Value>>) -> Output {
    let tag = format!("SELECT {}", rows.len());
    Output {
        cols: Some(cols),
        rows,
        tag,
    }
}

fn tag(t: &str) -> Output {
    Output {
        cols: None,
        rows: vec![],
        tag: t.into(),
    }
}

fn syntax_error(word: &str) -> Error {
    Error::sql(
        SqlState::SYNTAX_ERROR,
        format!("syntax error at or near \"{word}\""),
    )
    .with_position(1)
}

impl MockBackend {
    /// Runs one statement that needs no parameters.
    fn plan(&mut self, sql: &str) -> Result<Output> {
        let upper = sql.to_ascii_uppercase();
        if self.block == Block::Failed && upper != "ROLLBACK" && upper != "COMMIT" {
            return Err(Error::sql(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        let out = match upper.as_str() {
            "SELECT 1" => rows(
                vec![col("?column?", DataType::Int4)],
                vec![vec![Value::Int4(1)]],
            ),
            "SELECT NULL" => rows(
                vec![col("?column?", DataType::Text)],
                vec![vec![Value::Null]],
            ),
            "BEGIN" | "START TRANSACTION" => {
                self.block = Block::Open;
                tag("BEGIN")
            }
            "COMMIT" => {
                let t = if self.block == Block::Failed {
                    "ROLLBACK"
                } else {
                    "COMMIT"
                };
                self.block = Block::None;
                tag(t)
            }
            "ROLLBACK" => {
                self.block = Block::None;
                tag("ROLLBACK")
            }
            "SELECT SLEEP_SHORT" => {
                std::thread::sleep(Duration::from_millis(300));
                rows(
                    vec![col("sleep", DataType::Int4)],
                    vec![vec![Value::Int4(1)]],
                )
            }
            "SELECT SLEEP" => {
                self.sleep()?;
                rows(
                    vec![col("sleep", DataType::Int4)],
                    vec![vec![Value::Int4(0)]],
                )
            }
            _ if upper.starts_with("SELECT GENERATE_SERIES(1, ") => {
                let n: i32 = upper["SELECT GENERATE_SERIES(1, ".len()..]
                    .trim_end_matches(')')
                    .parse()
                    .map_err(|_| syntax_error("generate_series"))?;
                let data = (1..=n).map(|i| vec![Value::Int4(i)]).collect();
                rows(vec![col("generate_series", DataType::Int4)], data)
            }
            _ if upper.starts_with("SELECT '") && sql.ends_with('\'') => rows(
                vec![col("?column?", DataType::Text)],
                vec![vec![Value::Text(sql[8..sql.len() - 1].to_string())]],
            ),
            _ => return Err(syntax_error(sql.split_whitespace().next().unwrap_or(sql))),
        };
        Ok(out)
    }

    fn sleep(&self) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            self.cancel.check()?;
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    /// Statements that talk to the sink directly (COPY, NOTICE, SET).
    fn special(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Option<Result<()>> {
        let upper = sql.to_ascii_uppercase();
        if upper == "COPY T FROM STDIN" {
            return Some(copy_in(sink));
        }
        if upper == "COPY T TO STDOUT" {
            return Some((|| {
                sink.copy_out_start(2)?;
                sink.copy_out_data(b"1\ta\n")?;
                sink.copy_out_data(b"2\tb\n")?;
                sink.copy_out_done()?;
                sink.command_complete("COPY 2")
            })());
        }
        if upper == "NOTICE" {
            let n = Notice {
                severity: "NOTICE",
                code: SqlState::SUCCESSFUL_COMPLETION,
                message: "table \"x\" does not exist, skipping".into(),
            };
            return Some(
                sink.notice(&n)
                    .and_then(|_| sink.command_complete("DROP TABLE")),
            );
        }
        if let Some(rest) = upper.strip_prefix("SET APPLICATION_NAME = ") {
            let _ = rest;
            let value = sql["SET application_name = ".len()..]
                .trim_matches('\'')
                .to_string();
            self.app = value.clone();
            return Some(
                sink.parameter_status("application_name", &value)
                    .and_then(|_| sink.command_complete("SET")),
            );
        }
        None
    }

    fn run_one(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Result<()> {
        if let Some(r) = self.special(sql, sink) {
            return r;
        }
        let out = self.plan(sql)?;
        if let Some(cols) = &out.cols {
            let formats = vec![Format::Text; cols.len()];
            sink.begin_rows(cols, &formats, &TypeContext::default(), true)?;
            for r in &out.rows {
                sink.data_row(r)?;
            }
        }
        sink.command_complete(&out.tag)
    }

    fn fail(&mut self, e: Error) -> Error {
        if self.block == Block::Open {
            self.block = Block::Failed;
        }
        e
    }
}

fn copy_in(sink: &mut dyn ResultSink) -> Result<()> {
    sink.copy_in_start(2)?;
    let mut data = Vec::new();
    while let Some(chunk) = sink.copy_in_next()? {
        data.extend_from_slice(&chunk);
    }
    let lines = data
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && *l != b"\\.")
        .count();
    sink.command_complete(&format!("COPY {lines}"))
}

/// Parameter types of `SELECT $1::int4, $2, ...`: OIDs given by the client
/// win, then the cast, then text.
fn param_types(sql: &str, oids: &[u32]) -> Vec<DataType> {
    let mut out = Vec::new();
    for (i, part) in sql.split('$').skip(1).enumerate() {
        let cast = part
            .split_once("::")
            .map(|(_, t)| t.split([',', ' ']).next().unwrap_or(""));
        let given = oids
            .get(i)
            .copied()
            .filter(|&o| o != 0)
            .and_then(DataType::from_oid);
        let ty = given
            .or_else(|| cast.and_then(|c| DataType::from_name(c, &[]).ok()))
            .unwrap_or(DataType::Text);
        out.push(ty);
    }
    out
}

fn decode_param(ty: DataType, fmt: Format, raw: &Option<Vec<u8>>) -> Result<Value> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    let bad = || {
        Error::sql(
            SqlState::INVALID_BINARY_REPRESENTATION,
            "incorrect binary data format",
        )
    };
    let text = || String::from_utf8(raw.clone()).map_err(|_| bad());
    Ok(match (ty, fmt) {
        (DataType::Int4, Format::Binary) => Value::Int4(i32::from_be_bytes(
            raw.as_slice().try_into().map_err(|_| bad())?,
        )),
        (DataType::Int2, Format::Binary) => Value::Int2(i16::from_be_bytes(
            raw.as_slice().try_into().map_err(|_| bad())?,
        )),
        (DataType::Int2, Format::Text) => Value::Int2(text()?.parse().map_err(|_| bad())?),
        (DataType::Int8, Format::Binary) => Value::Int8(i64::from_be_bytes(
            raw.as_slice().try_into().map_err(|_| bad())?,
        )),
        (DataType::Int4, Format::Text) => Value::Int4(text()?.parse().map_err(|_| {
            Error::sql(
                SqlState::INVALID_TEXT_REPRESENTATION,
                format!(
                    "invalid input syntax for type integer: \"{}\"",
                    text().unwrap_or_default()
                ),
            )
        })?),
        (DataType::Int8, Format::Text) => Value::Int8(text()?.parse().map_err(|_| bad())?),
        (DataType::Bool, Format::Binary) => Value::Bool(raw.first() == Some(&1)),
        _ => Value::Text(text()?),
    })
}

impl Backend for MockBackend {
    fn parameter_statuses(&self) -> Vec<(String, String)> {
        [
            ("server_version", "15.0"),
            ("server_encoding", "UTF8"),
            ("client_encoding", "UTF8"),
            ("DateStyle", "ISO, MDY"),
            ("TimeZone", "UTC"),
            ("integer_datetimes", "on"),
            ("standard_conforming_strings", "on"),
            ("IntervalStyle", "postgres"),
            ("application_name", self.app.as_str()),
            ("is_superuser", "on"),
            ("session_authorization", "driftdb"),
            ("default_transaction_read_only", "off"),
            ("in_hot_standby", "off"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn cancel_flag(&self) -> CancelFlag {
        self.cancel.clone()
    }

    fn simple_query(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Result<()> {
        self.cancel.reset();
        let stmts: Vec<&str> = sql
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if stmts.is_empty() {
            return sink.empty_query();
        }
        for s in stmts {
            if let Err(e) = self.run_one(s, sink) {
                return Err(self.fail(e));
            }
        }
        Ok(())
    }

    fn parse(&mut self, name: &str, sql: &str, param_oids: &[u32]) -> Result<()> {
        if !name.is_empty() && self.statements.contains_key(name) {
            return Err(Error::sql(
                SqlState::DUPLICATE_PREPARED_STATEMENT,
                format!("prepared statement \"{name}\" already exists"),
            ));
        }
        let sql = sql.trim().trim_end_matches(';').to_string();
        if sql.eq_ignore_ascii_case("bad") {
            return Err(self.fail(syntax_error("bad")));
        }
        let params = param_types(&sql, param_oids);
        self.statements
            .insert(name.into(), Prepared { sql, params });
        Ok(())
    }

    fn bind(
        &mut self,
        portal: &str,
        statement: &str,
        param_formats: &[i16],
        params: &[Option<Vec<u8>>],
        result_formats: &[i16],
    ) -> Result<()> {
        let Some(p) = self.statements.get(statement).cloned() else {
            return Err(Error::sql(
                SqlState::INVALID_SQL_STATEMENT_NAME,
                format!("prepared statement \"{statement}\" does not exist"),
            ));
        };
        if params.len() != p.params.len() {
            return Err(Error::Protocol(format!(
                "bind message supplies {} parameters, but prepared statement \"{statement}\" requires {}",
                params.len(),
                p.params.len()
            )));
        }
        let out = if p.params.is_empty() {
            if p.sql.is_empty() {
                tag("")
            } else {
                self.plan(&p.sql).map_err(|e| self.fail(e))?
            }
        } else {
            let fmts = Format::expand(param_formats, params.len())?;
            let mut vals = Vec::new();
            for ((ty, f), raw) in p.params.iter().zip(&fmts).zip(params) {
                vals.push(decode_param(*ty, *f, raw)?);
            }
            let cols = p.params.iter().map(|t| col("?column?", *t)).collect();
            rows(cols, vec![vals])
        };
        let n = out.cols.as_ref().map_or(0, Vec::len);
        let formats = Format::expand(result_formats, n)?;
        self.portals.insert(
            portal.into(),
            Portal {
                cols: out.cols,
                formats,
                rows: out.rows,
                sent: 0,
                tag: out.tag,
            },
        );
        Ok(())
    }

    fn describe_statement(&mut self, name: &str) -> Result<StatementDescription> {
        let p = self.statements.get(name).cloned().ok_or_else(|| {
            Error::sql(
                SqlState::INVALID_SQL_STATEMENT_NAME,
                format!("prepared statement \"{name}\" does not exist"),
            )
        })?;
        let columns = if !p.params.is_empty() {
            Some(p.params.iter().map(|t| col("?column?", *t)).collect())
        } else if p.sql.is_empty() {
            None
        } else {
            self.plan(&p.sql)?.cols
        };
        Ok(StatementDescription {
            params: p.params,
            columns,
        })
    }

    fn describe_portal(&mut self, name: &str) -> Result<Option<(Vec<ColumnDesc>, Vec<Format>)>> {
        let p = self.portals.get(name).ok_or_else(|| {
            Error::sql(
                SqlState::INVALID_CURSOR_NAME,
                format!("portal \"{name}\" does not exist"),
            )
        })?;
        Ok(p.cols.clone().map(|c| (c, p.formats.clone())))
    }

    fn execute(
        &mut self,
        portal: &str,
        max_rows: u64,
        sink: &mut dyn ResultSink,
    ) -> Result<ExecuteOutcome> {
        let Some(p) = self.portals.get_mut(portal) else {
            return Err(Error::sql(
                SqlState::INVALID_CURSOR_NAME,
                format!("portal \"{portal}\" does not exist"),
            ));
        };
        if p.tag.is_empty() {
            sink.empty_query()?;
            return Ok(ExecuteOutcome::Complete);
        }
        if let Some(cols) = &p.cols {
            sink.begin_rows(cols, &p.formats, &TypeContext::default(), false)?;
            let end = if max_rows == 0 {
                p.rows.len()
            } else {
                (p.sent + max_rows as usize).min(p.rows.len())
            };
            for r in &p.rows[p.sent..end] {
                sink.data_row(r)?;
            }
            let sent_now = end - p.sent;
            p.sent = end;
            if max_rows != 0 && end < p.rows.len() {
                return Ok(ExecuteOutcome::Suspended);
            }
            sink.command_complete(&format!("SELECT {sent_now}"))?;
        } else {
            sink.command_complete(&p.tag)?;
        }
        Ok(ExecuteOutcome::Complete)
    }

    fn close_statement(&mut self, name: &str) {
        self.statements.remove(name);
    }

    fn close_portal(&mut self, name: &str) {
        self.portals.remove(name);
    }

    fn sync(&mut self) -> Result<()> {
        if self.block == Block::None {
            self.portals.clear();
        }
        Ok(())
    }

    fn txn_status(&self) -> TxnStatus {
        match self.block {
            Block::None => TxnStatus::Idle,
            Block::Open => TxnStatus::InBlock,
            Block::Failed => TxnStatus::Failed,
        }
    }

    fn terminate(&mut self) {
        self.block = Block::None;
        self.terminated.fetch_add(1, Ordering::SeqCst);
    }
}
