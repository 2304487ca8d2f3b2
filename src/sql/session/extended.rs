//! The extended query protocol: prepared statements (Parse), portals
//! (Bind), Describe, Execute with row limits, Close and Sync.
//!
//! Parse plans the statement once to infer parameter types and the row
//! shape; Execute plans it again with the bound values (plans are cheap and
//! the catalog may have changed in between). A portal runs its statement to
//! completion on its first Execute and hands out the rows in batches.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::sql::planner::plan::Plan;

use crate::error::{Error, Result, SqlState};
use crate::sql::parser::{self, ast};
use crate::sql::session::session::Session;
use crate::sql::session::txn::Mode;
use crate::sql::session::{
    ColumnDesc, ExecuteOutcome, Format, Notice, ResultSink, StatementDescription,
};
use crate::sql_err;
use crate::types::{DataType, Row, TypeContext, Value};

/// A prepared statement.
#[derive(Debug)]
pub struct Prepared {
    /// The statement (`None` for an empty query string).
    pub stmt: Option<ast::Statement>,
    /// Parameter types, given or inferred.
    pub param_types: Vec<DataType>,
    /// Result columns, if the statement returns rows.
    pub columns: Option<Vec<ColumnDesc>>,
    /// The statement's plan, kept between executions.
    pub plans: PlanCache,
}

/// What a statement runs with besides its text.
#[derive(Debug, Default, Clone, Copy)]
pub struct StmtInput<'a> {
    /// Bound parameter values.
    pub params: &'a [Value],
    /// Their types.
    pub param_types: &'a [DataType],
    /// Where a prepared statement keeps its plan.
    pub cache: Option<&'a PlanCache>,
}

/// A prepared statement's plan, valid for one (catalog generation, settings
/// generation) pair.
#[derive(Debug, Default)]
pub struct PlanCache(Mutex<Option<(PlanKey, Arc<Plan>)>>);

/// (catalog generation, settings generation) a plan was made under.
pub type PlanKey = (u64, u64);

impl PlanCache {
    /// The cached plan if it was made under `key`.
    pub fn get(&self, key: PlanKey) -> Option<Arc<Plan>> {
        let slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, p)| p.clone())
    }

    /// Keeps `plan`, made under `key`.
    pub fn put(&self, key: PlanKey, plan: Arc<Plan>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, plan));
    }
}

#[derive(Debug)]
enum PortalState {
    /// Bound, not yet run.
    Ready,
    /// Run; rows not yet sent, and the tag to send after the last one.
    Running { rows: VecDeque<Row>, tag: String },
    /// Every row sent.
    Done,
}

/// A bound portal.
#[derive(Debug)]
pub struct Portal {
    prepared: Arc<Prepared>,
    params: Vec<Value>,
    formats: Vec<Format>,
    state: PortalState,
}

impl Session {
    /// Parse: prepares `sql` (at most one statement) as `name` ("" = unnamed),
    /// with client-given parameter type OIDs (0 = infer).
    pub fn parse(&mut self, name: &str, sql: &str, param_oids: &[u32]) -> Result<()> {
        let r = self.parse_inner(name, sql, param_oids);
        self.fail_if(r)
    }

    fn parse_inner(&mut self, name: &str, sql: &str, param_oids: &[u32]) -> Result<()> {
        if !name.is_empty() && self.prepared.contains_key(name) {
            return Err(sql_err!(
                SqlState::DUPLICATE_PREPARED_STATEMENT,
                "prepared statement \"{}\" already exists",
                name
            ));
        }
        let mut stmts = parser::parse(sql)?;
        if stmts.len() > 1 {
            return Err(sql_err!(
                SqlState::SYNTAX_ERROR,
                "cannot insert multiple commands into a prepared statement"
            ));
        }
        let mut types = Vec::with_capacity(param_oids.len());
        for &oid in param_oids {
            types.push(match oid {
                0 => DataType::Unknown,
                oid => DataType::from_oid(oid).ok_or_else(|| {
                    sql_err!(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        "parameters of type OID {} are not supported",
                        oid
                    )
                })?,
            });
        }
        let stmt = stmts.pop();
        let (param_types, columns) = match &stmt {
            Some(s) => self.describe_new(s, types)?,
            None => (types, None),
        };
        self.prepared.insert(
            name.to_string(),
            Arc::new(Prepared {
                stmt,
                param_types,
                columns,
                plans: PlanCache::default(),
            }),
        );
        Ok(())
    }

    /// Parameter types and row shape of a new prepared statement.
    fn describe_new(
        &self,
        stmt: &ast::Statement,
        types: Vec<DataType>,
    ) -> Result<(Vec<DataType>, Option<Vec<ColumnDesc>>)> {
        match stmt {
            ast::Statement::Query(_)
            | ast::Statement::Insert(_)
            | ast::Statement::Update(_)
            | ast::Statement::Delete(_)
            | ast::Statement::Explain { .. } => {
                let (plan, params) = self.plan(stmt, types)?;
                Ok((params, plan.columns()))
            }
            ast::Statement::Show(name) => Ok((types, Some(Session::show_columns(name)))),
            _ => Ok((types, None)),
        }
    }

    /// Bind: creates portal `portal` from prepared statement `statement`.
    pub fn bind(
        &mut self,
        portal: &str,
        statement: &str,
        param_formats: &[i16],
        params: &[Option<Vec<u8>>],
        result_formats: &[i16],
    ) -> Result<()> {
        let r = self.bind_inner(portal, statement, param_formats, params, result_formats);
        self.fail_if(r)
    }

    fn bind_inner(
        &mut self,
        portal: &str,
        statement: &str,
        param_formats: &[i16],
        params: &[Option<Vec<u8>>],
        result_formats: &[i16],
    ) -> Result<()> {
        let prepared = self.find_prepared(statement)?;
        if params.len() != prepared.param_types.len() {
            return Err(Error::Protocol(format!(
                "bind message supplies {} parameters, but prepared statement \"{}\" requires {}",
                params.len(),
                statement,
                prepared.param_types.len()
            )));
        }
        let formats = Format::expand(param_formats, params.len())?;
        let ctx = self.type_context_now();
        let mut values = Vec::with_capacity(params.len());
        for ((p, ty), f) in params.iter().zip(&prepared.param_types).zip(&formats) {
            values.push(decode_param(p.as_deref(), ty, *f, &ctx)?);
        }
        let ncols = prepared.columns.as_ref().map_or(0, Vec::len);
        let result_formats = Format::expand(result_formats, ncols)?;
        if !portal.is_empty() && self.portals.contains_key(portal) {
            return Err(sql_err!(
                SqlState("42P03"),
                "cursor \"{}\" already exists",
                portal
            ));
        }
        self.portals.insert(
            portal.to_string(),
            Portal {
                prepared,
                params: values,
                formats: result_formats,
                state: PortalState::Ready,
            },
        );
        Ok(())
    }

    fn find_prepared(&self, name: &str) -> Result<Arc<Prepared>> {
        self.prepared.get(name).cloned().ok_or_else(|| {
            sql_err!(
                SqlState::INVALID_SQL_STATEMENT_NAME,
                "prepared statement \"{}\" does not exist",
                name
            )
        })
    }

    /// Describe (statement).
    pub fn describe_statement(&mut self, name: &str) -> Result<StatementDescription> {
        let r = self.find_prepared(name).map(|p| StatementDescription {
            params: p.param_types.clone(),
            columns: p.columns.clone(),
        });
        self.fail_if(r)
    }

    /// Describe (portal): the row shape and formats, or `None` for NoData.
    pub fn describe_portal(
        &mut self,
        name: &str,
    ) -> Result<Option<(Vec<ColumnDesc>, Vec<Format>)>> {
        let r = match self.portals.get(name) {
            Some(p) => Ok(p.prepared.columns.clone().map(|c| (c, p.formats.clone()))),
            None => Err(missing_portal(name)),
        };
        self.fail_if(r)
    }

    /// Execute: runs the portal, sending at most `max_rows` rows (0 = all).
    pub fn execute(
        &mut self,
        portal: &str,
        max_rows: u64,
        sink: &mut dyn ResultSink,
    ) -> Result<ExecuteOutcome> {
        let r = self.execute_inner(portal, max_rows, sink);
        self.fail_if(r)
    }

    fn execute_inner(
        &mut self,
        name: &str,
        max_rows: u64,
        sink: &mut dyn ResultSink,
    ) -> Result<ExecuteOutcome> {
        let mut portal = self
            .portals
            .remove(name)
            .ok_or_else(|| missing_portal(name))?;
        let result = self.run_portal(&mut portal, max_rows, sink);
        // Transaction control may have ended the transaction and with it the
        // portals; the executing portal itself survives until Sync.
        self.portals.insert(name.to_string(), portal);
        result
    }

    fn run_portal(
        &mut self,
        portal: &mut Portal,
        max_rows: u64,
        sink: &mut dyn ResultSink,
    ) -> Result<ExecuteOutcome> {
        if let PortalState::Ready = portal.state {
            let Some(stmt) = &portal.prepared.stmt else {
                portal.state = PortalState::Done;
                sink.empty_query()?;
                return Ok(ExecuteOutcome::Complete);
            };
            let mut rows = Vec::new();
            let mut capture = TagCapture {
                inner: sink,
                tag: None,
            };
            let input = StmtInput {
                params: &portal.params,
                param_types: &portal.prepared.param_types,
                cache: Some(&portal.prepared.plans),
            };
            self.run_statement(stmt, &input, &mut capture, Some(&mut rows))?;
            let tag = capture.tag.unwrap_or_default();
            portal.state = PortalState::Running {
                rows: rows.into(),
                tag,
            };
        }
        let ctx = self.settings.type_context().clone();
        match &mut portal.state {
            PortalState::Running { rows, tag } => {
                let columns = portal.prepared.columns.clone().unwrap_or_default();
                if !rows.is_empty() {
                    sink.begin_rows(&columns, &portal.formats, &ctx, false)?;
                }
                let mut sent: u64 = 0;
                while max_rows == 0 || sent < max_rows {
                    let Some(r) = rows.pop_front() else { break };
                    sink.data_row(&r)?;
                    sent += 1;
                }
                if !rows.is_empty() {
                    return Ok(ExecuteOutcome::Suspended);
                }
                let tag = if tag.starts_with("SELECT") {
                    format!("SELECT {sent}")
                } else {
                    tag.clone()
                };
                portal.state = PortalState::Done;
                sink.command_complete(&tag)?;
                Ok(ExecuteOutcome::Complete)
            }
            _ => {
                let tag = if portal.prepared.columns.is_some() {
                    "SELECT 0"
                } else {
                    ""
                };
                sink.command_complete(tag)?;
                Ok(ExecuteOutcome::Complete)
            }
        }
    }

    /// Close (statement).
    pub fn close_statement(&mut self, name: &str) {
        self.prepared.remove(name);
    }

    /// Close (portal).
    pub fn close_portal(&mut self, name: &str) {
        self.portals.remove(name);
    }

    /// Sync: ends the extended protocol's implicit transaction (commits it;
    /// after an error it was already rolled back) unless in an explicit block.
    pub fn sync(&mut self) -> Result<()> {
        let in_block = matches!(&self.txn, Some(t) if t.mode != Mode::Implicit);
        if !in_block {
            self.portals.clear();
        }
        let r = self.end_implicit();
        self.fail_if(r)
    }

    /// Marks the transaction failed (or rolls back an implicit one) when
    /// `r` is an error.
    fn fail_if<T>(&mut self, r: Result<T>) -> Result<T> {
        if r.is_err() {
            self.abort_on_error();
        }
        r
    }
}

fn missing_portal(name: &str) -> Error {
    sql_err!(
        SqlState::INVALID_CURSOR_NAME,
        "portal \"{}\" does not exist",
        name
    )
}

/// Decodes one Bind parameter of type `ty`.
fn decode_param(
    bytes: Option<&[u8]>,
    ty: &DataType,
    format: Format,
    ctx: &TypeContext,
) -> Result<Value> {
    let Some(bytes) = bytes else {
        return Ok(Value::Null);
    };
    let ty = if *ty == DataType::Unknown {
        DataType::Text
    } else {
        *ty
    };
    match format {
        Format::Binary => Value::from_binary(bytes, &ty),
        Format::Text => {
            let s = std::str::from_utf8(bytes).map_err(|_| {
                sql_err!(
                    SqlState::CHARACTER_NOT_IN_REPERTOIRE,
                    "invalid byte sequence for encoding \"UTF8\""
                )
            })?;
            Value::from_text(s, &ty, ctx)
        }
    }
}

/// Passes everything through except CommandComplete, whose tag it keeps
/// for when the portal's last row has been sent.
struct TagCapture<'a> {
    inner: &'a mut dyn ResultSink,
    tag: Option<String>,
}

impl ResultSink for TagCapture<'_> {
    fn begin_rows(
        &mut self,
        c: &[ColumnDesc],
        f: &[Format],
        ctx: &TypeContext,
        d: bool,
    ) -> Result<()> {
        self.inner.begin_rows(c, f, ctx, d)
    }
    fn data_row(&mut self, row: &[Value]) -> Result<()> {
        self.inner.data_row(row)
    }
    fn command_complete(&mut self, tag: &str) -> Result<()> {
        self.tag = Some(tag.to_string());
        Ok(())
    }
    fn empty_query(&mut self) -> Result<()> {
        self.inner.empty_query()
    }
    fn notice(&mut self, n: &Notice) -> Result<()> {
        self.inner.notice(n)
    }
    fn parameter_status(&mut self, name: &str, value: &str) -> Result<()> {
        self.inner.parameter_status(name, value)
    }
    fn copy_in_start(&mut self, columns: usize) -> Result<()> {
        self.inner.copy_in_start(columns)
    }
    fn copy_in_next(&mut self) -> Result<Option<Vec<u8>>> {
        self.inner.copy_in_next()
    }
    fn copy_out_start(&mut self, columns: usize) -> Result<()> {
        self.inner.copy_out_start(columns)
    }
    fn copy_out_data(&mut self, data: &[u8]) -> Result<()> {
        self.inner.copy_out_data(data)
    }
    fn copy_out_done(&mut self) -> Result<()> {
        self.inner.copy_out_done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::session::{Database, StartupParams, TextRows};

    fn session(dir: &std::path::Path) -> Session {
        let db = Database::open(dir).expect("open");
        let startup = StartupParams {
            user: "driftdb".into(),
            database: "driftdb".into(),
            options: vec![],
        };
        Session::new(&db, &startup).expect("session")
    }

    fn run_prepared(s: &mut Session, name: &str) -> Vec<Vec<String>> {
        let mut out = TextRows::default();
        s.bind("", name, &[], &[], &[]).expect("bind");
        s.execute("", 0, &mut out).expect("execute");
        s.sync().expect("sync");
        out.rows
    }

    #[test]
    fn cached_plans_follow_catalog_and_settings_changes() {
        let dir = std::env::temp_dir().join(format!("driftdb-plancache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut s = session(&dir);
        let mut sink = TextRows::default();
        s.simple_query(
            "CREATE TABLE t (a INT PRIMARY KEY, b TEXT); INSERT INTO t VALUES (1, 'x')",
            &mut sink,
        )
        .expect("setup");
        s.parse("q", "SELECT * FROM t", &[]).expect("parse");
        assert_eq!(
            run_prepared(&mut s, "q"),
            vec![vec!["1".to_string(), "x".into()]]
        );
        assert_eq!(
            run_prepared(&mut s, "q"),
            vec![vec!["1".to_string(), "x".into()]]
        );
        // Same name, new shape: the cached plan must not be reused.
        s.simple_query(
            "DROP TABLE t; CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c INT); INSERT INTO t VALUES (2, 'y', 3)",
            &mut sink,
        )
        .expect("recreate");
        assert_eq!(
            run_prepared(&mut s, "q"),
            vec![vec!["2".to_string(), "y".into(), "3".into()]]
        );
        // A literal read in the session time zone is re-planned after SET.
        s.parse("z", "SELECT TIMESTAMPTZ '2024-01-01 00:00:00'::text", &[])
            .expect("parse");
        let utc = run_prepared(&mut s, "z");
        s.simple_query("SET TimeZone = 'Asia/Tokyo'", &mut sink)
            .expect("set");
        let tokyo = run_prepared(&mut s, "z");
        assert_eq!(utc, vec![vec!["2024-01-01 00:00:00+00".to_string()]]);
        assert_eq!(tokyo, vec![vec!["2024-01-01 00:00:00+09".to_string()]]);
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
