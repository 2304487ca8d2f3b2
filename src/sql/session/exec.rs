//! Running statements: transaction control, settings, and planned
//! statements (queries, writes, DDL).

use crate::catalog::{SchemaCache, TableSchema};
use crate::error::{Error, Result, SqlState};
use crate::sql::executor::ddl;
use crate::sql::executor::write::{self, WriteEnv};
use crate::sql::executor::{ExecContext, Source, build};
use crate::sql::optimizer::optimize;
use crate::sql::parser::ast;
use crate::sql::planner::Planner;
use crate::sql::planner::plan::Plan;
use crate::sql::session::catalog_view::CatalogView;
use crate::sql::session::extended::StmtInput;
use crate::sql::session::session::{Session, commit};
use crate::sql::session::settings::Settings;
use crate::sql::session::txn::{Mode, Txn};
use crate::sql::session::{ColumnDesc, Format, ResultSink};
use crate::sql_err;
use crate::storage::WriteTxn;
use crate::types::{DataType, Row, Value};
use std::sync::Arc;

/// Where a statement's rows go.
pub(super) enum RowSink<'a> {
    /// Straight to the client (simple protocol): RowDescription first.
    Client,
    /// Into a portal's buffer (extended protocol).
    Buffer(&'a mut Vec<Row>),
}

impl Session {
    /// Plans and runs a query, write or DDL statement.
    pub(super) fn run_planned(
        &mut self,
        stmt: &ast::Statement,
        input: &StmtInput<'_>,
        sink: &mut dyn ResultSink,
        portal_rows: Option<&mut Vec<Row>>,
    ) -> Result<()> {
        let plan = self.cached_plan(stmt, input)?;
        let out = match portal_rows {
            Some(buf) => RowSink::Buffer(buf),
            None => RowSink::Client,
        };
        self.execute_plan(&plan, input.params, sink, out)
    }

    /// The plan of a prepared statement from its cache while neither the
    /// catalog nor the session settings changed since it was made; a fresh
    /// plan otherwise (and always for one-off statements).
    fn cached_plan(&self, stmt: &ast::Statement, input: &StmtInput<'_>) -> Result<Arc<Plan>> {
        let own_ddl = self
            .txn
            .as_ref()
            .and_then(|t| t.write.as_ref())
            .is_some_and(|w| w.has_ddl());
        let Some(cache) = input.cache.filter(|_| !own_ddl) else {
            return Ok(Arc::new(self.plan(stmt, input.param_types.to_vec())?.0));
        };
        // Read the generation before the catalog, so a concurrent DDL can
        // only make the cached plan look older than it is.
        let key = (self.db.storage().catalog_generation(), self.settings_gen);
        if let Some(plan) = cache.get(key) {
            return Ok(plan);
        }
        let plan = Arc::new(self.plan(stmt, input.param_types.to_vec())?.0);
        cache.put(key, plan.clone());
        Ok(plan)
    }

    /// Plans (and optimizes) a statement against the transaction's catalog;
    /// returns the plan and the parameter types it inferred.
    pub(super) fn plan(
        &self,
        stmt: &ast::Statement,
        params: Vec<DataType>,
    ) -> Result<(Plan, Vec<DataType>)> {
        let view = self.catalog_view();
        let ctx = self.type_context_now();
        let planner = Planner::new(&view, &ctx, params);
        let plan = optimize(planner.plan(stmt)?)?;
        Ok((plan, planner.param_types()))
    }

    pub(super) fn catalog_view(&self) -> CatalogView<'_> {
        CatalogView::new(
            self.db.storage(),
            self.txn.as_ref().and_then(|t| t.write.as_ref()),
            self.schemas(),
            &self.user,
            &self.database,
        )
    }

    fn schemas(&self) -> &SchemaCache {
        self.db.schemas()
    }

    /// Runs a plan; the transaction is already open.
    pub(super) fn execute_plan(
        &mut self,
        plan: &Plan,
        params: &[Value],
        sink: &mut dyn ResultSink,
        out: RowSink<'_>,
    ) -> Result<()> {
        match plan {
            Plan::Query { root, columns } => {
                let fns = self.fn_context();
                let txn = self.txn.as_mut().ok_or_else(no_txn)?;
                if txn.uses_snapshot() && txn.snapshot.is_none() {
                    txn.snapshot = Some(self.db.storage().visible_seq());
                }
                let source = match &txn.write {
                    Some(w) => Source::Txn {
                        storage: self.db.storage(),
                        txn: w,
                    },
                    None => Source::Snapshot {
                        storage: self.db.storage(),
                        seq: txn
                            .snapshot
                            .unwrap_or_else(|| self.db.storage().visible_seq()),
                    },
                };
                let cx = ExecContext::new(source, params, &fns, &self.cancel);
                let mut rows = build(root, &cx)?;
                let mut n: u64 = 0;
                match out {
                    RowSink::Client => {
                        let formats = vec![Format::Text; columns.len()];
                        sink.begin_rows(columns, &formats, &fns.types, true)?;
                        while let Some(r) = rows.next()? {
                            sink.data_row(&r)?;
                            n += 1;
                        }
                    }
                    RowSink::Buffer(buf) => {
                        while let Some(r) = rows.next()? {
                            buf.push(r);
                            n += 1;
                        }
                    }
                }
                sink.command_complete(&format!("SELECT {n}"))
            }
            Plan::Insert(p) => {
                let r = self.write(params, "INSERT", |txn, env| write::insert(p, txn, env))?;
                self.finish_write(&p.returning, r, "INSERT 0", sink, out)
            }
            Plan::Update(p) => {
                let r = self.write(params, "UPDATE", |txn, env| write::update(p, txn, env))?;
                self.finish_write(&p.returning, r, "UPDATE", sink, out)
            }
            Plan::Delete(p) => {
                let r = self.write(params, "DELETE", |txn, env| write::delete(p, txn, env))?;
                self.finish_write(&p.returning, r, "DELETE", sink, out)
            }
            Plan::CreateTable {
                schema,
                uniques,
                if_not_exists,
            } => {
                let db = self.db.clone();
                let txn = self.writer("CREATE TABLE")?;
                let skipped =
                    ddl::create_table(schema, uniques, *if_not_exists, txn, db.schemas())?;
                self.ddl_done(skipped, "CREATE TABLE", sink)
            }
            Plan::CreateIndex(p) => {
                let db = self.db.clone();
                let ctx = self.type_context_now();
                let txn = self.writer("CREATE INDEX")?;
                let skipped = ddl::create_index(p, txn, db.schemas(), &ctx)?;
                self.ddl_done(skipped, "CREATE INDEX", sink)
            }
            Plan::DropIndex { names, if_exists } => {
                let db = self.db.clone();
                let txn = self.writer("DROP INDEX")?;
                for (code, msg) in ddl::drop_index(names, *if_exists, txn, db.schemas())? {
                    Session::notice(sink, "NOTICE", code, &msg)?;
                }
                sink.command_complete("DROP INDEX")
            }
            Plan::CreateView { schema, or_replace } => {
                let txn = self.writer("CREATE VIEW")?;
                let existing = txn.tables().into_iter().find(|t| t.name == schema.name);
                match existing {
                    None => {
                        txn.create_table(&schema.name, schema.encode()?)?;
                    }
                    Some(t) if *or_replace && TableSchema::decode(&t.schema)?.view.is_some() => {
                        txn.alter_table(t.id, &schema.name, schema.encode()?)?;
                    }
                    Some(_) => {
                        return Err(sql_err!(
                            SqlState::DUPLICATE_TABLE,
                            "relation \"{}\" already exists",
                            schema.name
                        ));
                    }
                }
                sink.command_complete("CREATE VIEW")
            }
            Plan::DropTable {
                tables,
                missing,
                views,
            } => {
                let (what, tag) = if *views {
                    ("view", "DROP VIEW")
                } else {
                    ("table", "DROP TABLE")
                };
                for name in missing {
                    Session::notice(
                        sink,
                        "NOTICE",
                        SqlState::SUCCESSFUL_COMPLETION,
                        &format!("{what} \"{name}\" does not exist, skipping"),
                    )?;
                }
                if !tables.is_empty() {
                    let txn = self.writer(tag)?;
                    for t in tables {
                        txn.drop_table(t.id)?;
                    }
                }
                sink.command_complete(tag)
            }
            Plan::Truncate(tables) => {
                let storage = self.db.storage().clone();
                let txn = self.writer("TRUNCATE TABLE")?;
                write::truncate(&storage, tables, txn)?;
                sink.command_complete("TRUNCATE TABLE")
            }
            Plan::Explain(lines) => {
                let columns = plan.columns().unwrap_or_default();
                let rows: Vec<Row> = lines.iter().map(|l| vec![Value::Text(l.clone())]).collect();
                self.emit_rows(&columns, rows, sink, out)?;
                sink.command_complete("EXPLAIN")
            }
        }
    }

    /// Ends a DDL statement: its `..., skipping` notice if it was skipped,
    /// then its tag.
    fn ddl_done(
        &self,
        skipped: Option<ddl::DdlNotice>,
        tag: &str,
        sink: &mut dyn ResultSink,
    ) -> Result<()> {
        if let Some((code, msg)) = skipped {
            Session::notice(sink, "NOTICE", code, &msg)?;
        }
        sink.command_complete(tag)
    }

    /// Runs a writer with the transaction's write path and the statement's
    /// environment.
    fn write<T>(
        &mut self,
        params: &[Value],
        what: &str,
        f: impl FnOnce(&mut WriteTxn, &WriteEnv<'_>) -> Result<T>,
    ) -> Result<T> {
        let fns = self.fn_context();
        self.writer(what)?;
        let storage = self.db.storage().clone();
        let cancel = self.cancel.clone();
        let txn = self
            .txn
            .as_mut()
            .and_then(|t| t.write.as_mut())
            .ok_or_else(no_txn)?;
        let env = WriteEnv {
            storage: &storage,
            params,
            fns: &fns,
            cancel: &cancel,
        };
        f(txn, &env)
    }

    /// The transaction's write path, taken (waiting for other writers) if
    /// it does not hold it yet; 25006 in a read-only transaction.
    pub(super) fn writer(&mut self, what: &str) -> Result<&mut WriteTxn> {
        let storage = self.db.storage().clone();
        let cancel = self.cancel.clone();
        let txn = self.txn.as_mut().ok_or_else(no_txn)?;
        if txn.read_only {
            return Err(sql_err!(
                SqlState::READ_ONLY_SQL_TRANSACTION,
                "cannot execute {} in a read-only transaction",
                what
            ));
        }
        if txn.write.is_none() {
            txn.write = Some(storage.begin_write(&|| cancel.check())?);
        }
        txn.write.as_mut().ok_or_else(no_txn)
    }

    /// Sends a write's RETURNING rows (if any) and its command tag.
    fn finish_write(
        &self,
        returning: &Option<(Vec<crate::sql::planner::Expr>, Vec<ColumnDesc>)>,
        result: write::WriteResult,
        tag: &str,
        sink: &mut dyn ResultSink,
        out: RowSink<'_>,
    ) -> Result<()> {
        if let Some((_, columns)) = returning {
            self.emit_rows(columns, result.returning, sink, out)?;
        }
        sink.command_complete(&format!("{tag} {}", result.count))
    }

    /// Sends already computed rows to the client or the portal buffer.
    pub(super) fn emit_rows(
        &self,
        columns: &[ColumnDesc],
        rows: Vec<Row>,
        sink: &mut dyn ResultSink,
        out: RowSink<'_>,
    ) -> Result<()> {
        match out {
            RowSink::Client => {
                let formats = vec![Format::Text; columns.len()];
                sink.begin_rows(columns, &formats, self.settings.type_context(), true)?;
                for r in &rows {
                    sink.data_row(r)?;
                }
                Ok(())
            }
            RowSink::Buffer(buf) => {
                buf.extend(rows);
                Ok(())
            }
        }
    }

    // ----- transaction control -------------------------------------------

    pub(super) fn begin(
        &mut self,
        modes: &[ast::TransactionMode],
        sink: &mut dyn ResultSink,
    ) -> Result<()> {
        match &mut self.txn {
            Some(t) if t.mode == Mode::Block => {
                Session::notice(
                    sink,
                    "WARNING",
                    SqlState::ACTIVE_SQL_TRANSACTION,
                    "there is already a transaction in progress",
                )?;
            }
            Some(t) => t.mode = Mode::Block,
            None => {
                self.ensure_txn();
                if let Some(t) = &mut self.txn {
                    t.mode = Mode::Block;
                }
            }
        }
        if let Some(t) = &mut self.txn {
            apply_modes(t, modes);
        }
        sink.command_complete("BEGIN")
    }

    pub(super) fn commit_block(&mut self, sink: &mut dyn ResultSink) -> Result<()> {
        // Portals live only as long as their transaction, as in PostgreSQL
        // (a portal executing this COMMIT is put back until Sync).
        self.portals.clear();
        match self.txn.take() {
            None => {
                Session::notice(
                    sink,
                    "WARNING",
                    SqlState::NO_ACTIVE_SQL_TRANSACTION,
                    "there is no transaction in progress",
                )?;
                sink.command_complete("COMMIT")
            }
            Some(t) if t.mode == Mode::Failed => {
                if let Some(w) = t.write {
                    w.rollback();
                }
                sink.command_complete("ROLLBACK")
            }
            Some(t) => {
                if t.mode == Mode::Implicit {
                    Session::notice(
                        sink,
                        "WARNING",
                        SqlState::NO_ACTIVE_SQL_TRANSACTION,
                        "there is no transaction in progress",
                    )?;
                }
                commit(t)?;
                sink.command_complete("COMMIT")
            }
        }
    }

    pub(super) fn rollback_block(&mut self, sink: &mut dyn ResultSink) -> Result<()> {
        self.portals.clear();
        match self.txn.take() {
            Some(t) => {
                if t.mode == Mode::Implicit {
                    Session::notice(
                        sink,
                        "WARNING",
                        SqlState::NO_ACTIVE_SQL_TRANSACTION,
                        "there is no transaction in progress",
                    )?;
                }
                if let Some(w) = t.write {
                    w.rollback();
                }
            }
            None => Session::notice(
                sink,
                "WARNING",
                SqlState::NO_ACTIVE_SQL_TRANSACTION,
                "there is no transaction in progress",
            )?,
        }
        sink.command_complete("ROLLBACK")
    }

    fn block(&mut self, what: &str) -> Result<&mut Txn> {
        match &mut self.txn {
            Some(t) if t.mode != Mode::Implicit => Ok(t),
            _ => Err(sql_err!(
                SqlState::NO_ACTIVE_SQL_TRANSACTION,
                "{} can only be used in transaction blocks",
                what
            )),
        }
    }

    pub(super) fn savepoint(&mut self, name: &str, sink: &mut dyn ResultSink) -> Result<()> {
        let t = self.block("SAVEPOINT")?;
        let mark = t.write.as_mut().map(WriteTxn::savepoint);
        t.savepoints.push((name.to_string(), mark));
        sink.command_complete("SAVEPOINT")
    }

    fn find_savepoint(t: &Txn, name: &str) -> Result<usize> {
        t.savepoints
            .iter()
            .rposition(|(n, _)| n == name)
            .ok_or_else(|| {
                sql_err!(
                    SqlState::INVALID_SAVEPOINT_SPECIFICATION,
                    "savepoint \"{}\" does not exist",
                    name
                )
            })
    }

    pub(super) fn release(&mut self, name: &str, sink: &mut dyn ResultSink) -> Result<()> {
        let t = self.block("RELEASE SAVEPOINT")?;
        let i = Session::find_savepoint(t, name)?;
        t.savepoints.truncate(i);
        sink.command_complete("RELEASE")
    }

    pub(super) fn rollback_to(&mut self, name: &str, sink: &mut dyn ResultSink) -> Result<()> {
        let t = self.block("ROLLBACK TO SAVEPOINT")?;
        let i = Session::find_savepoint(t, name)?;
        match t.savepoints[i].1 {
            Some(mark) => {
                if let Some(w) = &mut t.write {
                    w.rollback_to(mark);
                }
            }
            // Taken before the first write: undo every write (and free the
            // write path for others).
            None => {
                if let Some(w) = t.write.take() {
                    w.rollback();
                }
            }
        }
        t.savepoints.truncate(i + 1);
        t.mode = Mode::Block;
        sink.command_complete("ROLLBACK")
    }

    // ----- settings ---------------------------------------------------------

    pub(super) fn set(
        &mut self,
        name: &str,
        value: Option<&[ast::SetValue]>,
        _local: bool,
        sink: &mut dyn ResultSink,
    ) -> Result<()> {
        let report = match value {
            None => self.settings.reset(name)?,
            Some(values) => {
                let text = values
                    .iter()
                    .map(|v| match v {
                        ast::SetValue::Ident(s)
                        | ast::SetValue::String(s)
                        | ast::SetValue::Number(s) => s.clone(),
                        ast::SetValue::Default => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                if values.iter().any(|v| matches!(v, ast::SetValue::Default)) {
                    self.settings.reset(name)?
                } else if name == "transaction_isolation" {
                    self.set_isolation(&text)?;
                    None
                } else {
                    self.settings.set(name, &text)?
                }
            }
        };
        self.after_settings_change(report, sink)?;
        sink.command_complete("SET")
    }

    fn set_isolation(&mut self, level: &str) -> Result<()> {
        self.settings.set("transaction_isolation", level)?;
        if let Some(t) = &mut self.txn {
            t.isolation = self.settings.get("transaction_isolation")?;
        }
        Ok(())
    }

    pub(super) fn set_transaction(
        &mut self,
        modes: &[ast::TransactionMode],
        session: bool,
        sink: &mut dyn ResultSink,
    ) -> Result<()> {
        for m in modes {
            match m {
                ast::TransactionMode::IsolationLevel(l) => {
                    let name = isolation_name(*l);
                    if session {
                        self.settings.set("default_transaction_isolation", name)?;
                    } else {
                        self.set_isolation(name)?;
                    }
                }
                ast::TransactionMode::ReadOnly(ro) => {
                    let v = if *ro { "on" } else { "off" };
                    if session {
                        self.settings.set("default_transaction_read_only", v)?;
                    } else if let Some(t) = &mut self.txn {
                        t.read_only = *ro;
                    }
                }
                ast::TransactionMode::Deferrable(_) => {}
            }
        }
        sink.command_complete("SET")
    }

    pub(super) fn reset(&mut self, name: &str, sink: &mut dyn ResultSink) -> Result<()> {
        if name == "all" {
            for (n, v) in self.settings.reset_all() {
                sink.parameter_status(&n, &v)?;
            }
            self.settings_changed();
        } else {
            let report = self.settings.reset(name)?;
            self.after_settings_change(report, sink)?;
        }
        sink.command_complete("RESET")
    }

    fn after_settings_change(
        &mut self,
        report: Option<(String, String)>,
        sink: &mut dyn ResultSink,
    ) -> Result<()> {
        self.settings_changed();
        if let Some((n, v)) = report {
            sink.parameter_status(&n, &v)?;
        }
        Ok(())
    }

    /// The result shape of SHOW `name`.
    pub(super) fn show_columns(name: &str) -> Vec<ColumnDesc> {
        let text = |n: &str| ColumnDesc {
            name: n.to_string(),
            ty: DataType::Text,
            table_oid: 0,
            column_id: 0,
        };
        if name == "all" {
            vec![text("name"), text("setting"), text("description")]
        } else {
            vec![text(&Settings::display_name(name))]
        }
    }

    pub(super) fn show(
        &mut self,
        name: &str,
        sink: &mut dyn ResultSink,
        portal_rows: Option<&mut Vec<Row>>,
    ) -> Result<()> {
        let rows: Vec<Row> = if name == "all" {
            self.settings
                .all()
                .into_iter()
                .map(|(n, v, d)| vec![Value::Text(n), Value::Text(v), Value::Text(d)])
                .collect()
        } else {
            let value = match (name, &self.txn) {
                ("transaction_isolation", Some(t)) => t.isolation.clone(),
                ("transaction_read_only", Some(t)) => {
                    (if t.read_only { "on" } else { "off" }).to_string()
                }
                _ => self.settings.get(name)?,
            };
            vec![vec![Value::Text(value)]]
        };
        let out = match portal_rows {
            Some(b) => RowSink::Buffer(b),
            None => RowSink::Client,
        };
        self.emit_rows(&Session::show_columns(name), rows, sink, out)?;
        sink.command_complete("SHOW")
    }

    pub(super) fn deallocate(
        &mut self,
        name: Option<&ast::Ident>,
        sink: &mut dyn ResultSink,
    ) -> Result<()> {
        match name {
            None => {
                self.prepared.clear();
                sink.command_complete("DEALLOCATE ALL")
            }
            Some(n) => {
                if self.prepared.remove(&n.name).is_none() {
                    return Err(sql_err!(
                        SqlState::INVALID_SQL_STATEMENT_NAME,
                        "prepared statement \"{}\" does not exist",
                        n.name
                    ));
                }
                sink.command_complete("DEALLOCATE")
            }
        }
    }

    pub(super) fn discard(&mut self, what: &str, sink: &mut dyn ResultSink) -> Result<()> {
        if matches!(&self.txn, Some(t) if t.mode != Mode::Implicit) {
            return Err(sql_err!(
                SqlState::ACTIVE_SQL_TRANSACTION,
                "DISCARD ALL cannot run inside a transaction block"
            ));
        }
        if what == "all" || what == "plans" {
            self.prepared.clear();
            self.portals.clear();
        }
        if what == "all" {
            for (n, v) in self.settings.reset_all() {
                sink.parameter_status(&n, &v)?;
            }
            self.settings_changed();
        }
        sink.command_complete(&format!("DISCARD {}", what.to_uppercase()))
    }

    pub(super) fn maintenance(&mut self, tag: &str, sink: &mut dyn ResultSink) -> Result<()> {
        if tag == "VACUUM" && matches!(&self.txn, Some(t) if t.mode != Mode::Implicit) {
            return Err(sql_err!(
                SqlState::ACTIVE_SQL_TRANSACTION,
                "VACUUM cannot run inside a transaction block"
            ));
        }
        if tag == "CHECKPOINT" {
            self.db.storage().checkpoint()?;
        }
        sink.command_complete(tag)
    }
}

fn apply_modes(t: &mut Txn, modes: &[ast::TransactionMode]) {
    for m in modes {
        match m {
            ast::TransactionMode::IsolationLevel(l) => t.isolation = isolation_name(*l).to_string(),
            ast::TransactionMode::ReadOnly(ro) => t.read_only = *ro,
            ast::TransactionMode::Deferrable(_) => {}
        }
    }
}

fn isolation_name(l: ast::IsolationLevel) -> &'static str {
    match l {
        ast::IsolationLevel::ReadUncommitted => "read uncommitted",
        ast::IsolationLevel::ReadCommitted => "read committed",
        ast::IsolationLevel::RepeatableRead => "repeatable read",
        ast::IsolationLevel::Serializable => "serializable",
    }
}

fn no_txn() -> Error {
    Error::Internal("statement runs outside a transaction".into())
}
