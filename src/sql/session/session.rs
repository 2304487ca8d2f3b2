//! [`Session`]: one connection's state and the simple query protocol.
//!
//! The life of a simple-protocol query string:
//!
//! 1. `simple_query` parses the whole string (`sql::parser::parse`).
//! 2. Each statement runs through `run_statement`: transaction control and
//!    settings are handled here; everything else is planned
//!    (`planner::Planner::plan`), optimized (`optimizer::optimize`) and run
//!    (`exec.rs`), with rows streamed to the sink.
//! 3. Statements outside a BEGIN block share one implicit transaction,
//!    committed after the last statement (group-committed and fsynced
//!    before this returns) or rolled back at the first error.

use std::collections::HashMap;
use std::sync::Arc;

use crate::cancel::CancelFlag;
use crate::error::{Result, SqlState};
use crate::sql::functions::FnContext;
use crate::sql::parser::{self, ast};
use crate::sql::session::database::Database;
use crate::sql::session::extended::{Portal, Prepared, StmtInput};
use crate::sql::session::settings::Settings;
use crate::sql::session::txn::{Mode, Txn};
use crate::sql::session::{Notice, ResultSink, StartupParams, TxnStatus};
use crate::sql_err;
use crate::types::TypeContext;

/// The only database and role in this version.
pub const DATABASE_NAME: &str = "driftdb";
/// The login role.
pub const USER_NAME: &str = "driftdb";

/// One connection's session. See the module docs.
#[derive(Debug)]
pub struct Session {
    pub(super) db: Database,
    pub(super) user: String,
    pub(super) database: String,
    pub(super) pid: i32,
    pub(super) settings: Settings,
    /// Settings as (name, value) for `current_setting()`, rebuilt on change.
    pub(super) settings_pairs: Arc<Vec<(String, String)>>,
    /// Bumped on every settings change (cached plans depend on settings).
    pub(super) settings_gen: u64,
    pub(super) txn: Option<Txn>,
    pub(super) cancel: CancelFlag,
    pub(super) prepared: HashMap<String, Arc<Prepared>>,
    pub(super) portals: HashMap<String, Portal>,
}

impl Session {
    /// A new session for an authenticated user. Fails (28000 for an unknown
    /// role, 3D000 for an unknown database, 22023 for a bad startup setting)
    /// before any query.
    pub fn new(db: &Database, startup: &StartupParams) -> Result<Session> {
        if startup.user != USER_NAME {
            return Err(sql_err!(
                SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
                "role \"{}\" does not exist",
                startup.user
            ));
        }
        let database = if startup.database.is_empty() {
            &startup.user
        } else {
            &startup.database
        };
        if database != DATABASE_NAME {
            return Err(sql_err!(
                SqlState::INVALID_CATALOG_NAME,
                "database \"{}\" does not exist",
                database
            ));
        }
        let mut settings = Settings::new(&startup.user);
        for (name, value) in &startup.options {
            apply_startup_option(&mut settings, name, value)?;
        }
        let settings_pairs = Arc::new(settings.pairs());
        Ok(Session {
            db: db.clone(),
            user: startup.user.clone(),
            database: database.clone(),
            pid: db.next_pid(),
            settings,
            settings_pairs,
            settings_gen: 0,
            txn: None,
            cancel: CancelFlag::new(),
            prepared: HashMap::new(),
            portals: HashMap::new(),
        })
    }

    /// The ParameterStatus values to send after authentication.
    pub fn parameter_statuses(&self) -> Vec<(String, String)> {
        self.settings.reported()
    }

    /// The flag a CancelRequest for this session sets.
    pub fn cancel_flag(&self) -> CancelFlag {
        self.cancel.clone()
    }

    /// The backend process id reported in BackendKeyData.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Runs a simple-protocol query string. Results go to `sink`; the first
    /// error stops the rest and is returned (the wire layer sends
    /// ErrorResponse, then ReadyForQuery).
    pub fn simple_query(&mut self, sql: &str, sink: &mut dyn ResultSink) -> Result<()> {
        let stmts = match parser::parse(sql) {
            Ok(s) => s,
            Err(e) => {
                self.abort_on_error();
                return Err(e);
            }
        };
        if stmts.is_empty() {
            return sink.empty_query();
        }
        for stmt in &stmts {
            if let Err(e) = self.run_statement(stmt, &StmtInput::default(), sink, None) {
                self.abort_on_error();
                return Err(e);
            }
        }
        self.end_implicit()
    }

    /// Records that settings changed: rebuilds what depends on them.
    pub(super) fn settings_changed(&mut self) {
        self.settings_pairs = Arc::new(self.settings.pairs());
        self.settings_gen += 1;
    }

    /// Transaction status for ReadyForQuery.
    pub fn txn_status(&self) -> TxnStatus {
        match &self.txn {
            None => TxnStatus::Idle,
            Some(t) => match t.mode {
                Mode::Implicit => TxnStatus::Idle,
                Mode::Block => TxnStatus::InBlock,
                Mode::Failed => TxnStatus::Failed,
            },
        }
    }

    /// The connection is closing: roll back any open transaction.
    pub fn terminate(&mut self) {
        if let Some(t) = self.txn.take()
            && let Some(w) = t.write
        {
            w.rollback();
        }
        self.portals.clear();
    }

    /// Commits an implicit transaction (end of a query string, or Sync).
    pub(super) fn end_implicit(&mut self) -> Result<()> {
        if matches!(&self.txn, Some(t) if t.mode == Mode::Implicit)
            && let Some(t) = self.txn.take()
        {
            commit(t)?;
        }
        Ok(())
    }

    /// After an error: an explicit block fails, an implicit one rolls back.
    pub(super) fn abort_on_error(&mut self) {
        match &mut self.txn {
            Some(t) if t.mode == Mode::Block || t.mode == Mode::Failed => t.mode = Mode::Failed,
            Some(_) => self.terminate(),
            None => {}
        }
    }

    /// Runs one statement. `describe` is the row shape already described to
    /// the client (extended protocol); `None` for the simple protocol.
    pub(super) fn run_statement(
        &mut self,
        stmt: &ast::Statement,
        input: &StmtInput<'_>,
        sink: &mut dyn ResultSink,
        portal_rows: Option<&mut Vec<crate::types::Row>>,
    ) -> Result<()> {
        self.cancel.reset();
        if matches!(&self.txn, Some(t) if t.mode == Mode::Failed) && !allowed_when_failed(stmt) {
            return Err(sql_err!(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block"
            ));
        }
        let _timer = self.arm_statement_timeout();
        match stmt {
            ast::Statement::Begin(modes) => self.begin(modes, sink),
            ast::Statement::Commit => self.commit_block(sink),
            ast::Statement::Rollback => self.rollback_block(sink),
            ast::Statement::Savepoint(name) => self.savepoint(&name.name, sink),
            ast::Statement::ReleaseSavepoint(name) => self.release(&name.name, sink),
            ast::Statement::RollbackToSavepoint(name) => self.rollback_to(&name.name, sink),
            ast::Statement::Set { name, value, local } => {
                self.set(name, value.as_deref(), *local, sink)
            }
            ast::Statement::SetTransaction { modes, session } => {
                self.set_transaction(modes, *session, sink)
            }
            ast::Statement::Reset(name) => self.reset(name, sink),
            ast::Statement::Show(name) => self.show(name, sink, portal_rows),
            ast::Statement::Deallocate(name) => self.deallocate(name.as_ref(), sink),
            ast::Statement::Discard(what) => self.discard(what, sink),
            ast::Statement::Maintenance(tag) => self.maintenance(tag, sink),
            ast::Statement::Prepare { .. } | ast::Statement::Execute { .. } => Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "SQL-level PREPARE/EXECUTE is not supported yet; use the extended query protocol"
            )),
            ast::Statement::Copy(c) => {
                self.ensure_txn();
                self.copy(c, sink, portal_rows)
            }
            ast::Statement::AlterTable { .. } => Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "ALTER TABLE is not supported yet"
            )),
            other => {
                self.ensure_txn();
                self.run_planned(other, input, sink, portal_rows)
            }
        }
    }

    /// Starts an implicit transaction if none is open.
    pub(super) fn ensure_txn(&mut self) {
        if self.txn.is_none() {
            let read_only = self.settings.value("default_transaction_read_only") == Ok("on");
            let isolation = self
                .settings
                .value("default_transaction_isolation")
                .unwrap_or_default()
                .to_string();
            self.txn = Some(Txn::new(
                Mode::Implicit,
                self.db.clock().now_micros(),
                read_only,
                isolation,
            ));
        }
    }

    /// The session's type context with "now" set to the transaction's start
    /// (the clock's reading outside one), as `'now'`, `'today'`... in
    /// literals, parameters and COPY data are read in PostgreSQL.
    pub(super) fn type_context_now(&self) -> TypeContext {
        let mut ctx = self.settings.type_context().clone();
        ctx.now_unix_micros = self
            .txn
            .as_ref()
            .map_or_else(|| self.db.clock().now_micros(), |t| t.start_micros);
        ctx
    }

    /// Session facts for functions, for one statement.
    pub(super) fn fn_context(&self) -> FnContext {
        let now = self.db.clock().now_micros();
        let types = self.type_context_now();
        let view = self.catalog_view();
        let indexes = view.index_source();
        FnContext {
            types,
            txn_start_micros: self.txn.as_ref().map_or(now, |t| t.start_micros),
            stmt_start_micros: now,
            user: self.user.clone(),
            database: self.database.clone(),
            current_seq: self.db.storage().visible_seq(),
            backend_pid: self.pid,
            settings: self.settings_pairs.clone(),
            catalog: crate::sql::system::CatalogSnapshot::new(
                view.tables,
                indexes,
                &self.user,
                &self.database,
            ),
        }
    }

    pub(super) fn notice(
        sink: &mut dyn ResultSink,
        severity: &'static str,
        code: SqlState,
        message: &str,
    ) -> Result<()> {
        sink.notice(&Notice {
            severity,
            code,
            message: message.to_string(),
        })
    }

    /// Arms statement_timeout: a timer thread that cancels the statement if
    /// it is still running when the timeout expires.
    fn arm_statement_timeout(&self) -> Option<TimeoutGuard> {
        let ms = self.settings.statement_timeout_ms();
        if ms == 0 {
            return None;
        }
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, d) = (self.cancel.clone(), done.clone());
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ms);
            while !d.load(std::sync::atomic::Ordering::Relaxed) {
                let now = std::time::Instant::now();
                if now >= deadline {
                    flag.cancel_for(crate::cancel::CancelReason::Timeout);
                    return;
                }
                std::thread::sleep((deadline - now).min(std::time::Duration::from_millis(20)));
            }
        });
        Some(TimeoutGuard(done))
    }
}

/// Stops a statement-timeout timer when the statement ends.
struct TimeoutGuard(Arc<std::sync::atomic::AtomicBool>);

impl Drop for TimeoutGuard {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Commits a transaction (a no-op without writes).
pub(super) fn commit(t: Txn) -> Result<()> {
    if let Some(w) = t.write {
        w.commit()?;
    }
    Ok(())
}

fn allowed_when_failed(stmt: &ast::Statement) -> bool {
    matches!(
        stmt,
        ast::Statement::Rollback | ast::Statement::Commit | ast::Statement::RollbackToSavepoint(_)
    )
}

fn apply_startup_option(settings: &mut Settings, name: &str, value: &str) -> Result<()> {
    if name == "options" {
        // `-c name=value` pairs (and `--name=value`).
        let mut words = value.split_whitespace();
        while let Some(w) = words.next() {
            let pair = match w {
                "-c" => words.next().unwrap_or_default(),
                w => w
                    .strip_prefix("--")
                    .or_else(|| w.strip_prefix("-c"))
                    .unwrap_or(w),
            };
            if let Some((k, v)) = pair.split_once('=') {
                settings.set(&k.replace('-', "_"), v)?;
            }
        }
        return Ok(());
    }
    match settings.set(name, value) {
        Ok(_) => Ok(()),
        // Unknown startup parameters (e.g. `replication`) are ignored.
        Err(e) if e.sqlstate() == SqlState::UNDEFINED_OBJECT => Ok(()),
        Err(e) => Err(e),
    }
}
