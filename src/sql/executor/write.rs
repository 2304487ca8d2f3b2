//! Writes: INSERT, UPDATE, DELETE and TRUNCATE inside a write transaction.
//!
//! Each statement first reads everything it needs (source rows, target
//! rows and their new values) through the transaction's view, then applies
//! its changes, so a statement never sees its own effects (no Halloween
//! problem). Every stored value goes through the column's assignment cast
//! and NOT NULL check; primary keys and unique indexes are unique (23505,
//! worded as PostgreSQL words it; unique indexes through [`unique`]).
//! INSERT ... ON CONFLICT handles conflicts on its arbiters (the unique
//! keys its target names, or all of them) and reports the others.

use std::collections::HashSet;

use crate::cancel::CancelFlag;
use crate::catalog::{Table, TableSchema};
use crate::encoding::keycode::encode_key;
use crate::error::{Error, Result, SqlState};
use crate::sql::executor::eval::eval;
use crate::sql::executor::scan::{ScanRow, open};
use crate::sql::executor::spool::Spool;
use crate::sql::executor::unique;
use crate::sql::executor::{ExecContext, Source, build};
use crate::sql::functions::FnContext;
use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::{Arbiter, InsertPlan, ModifyPlan};
use crate::sql_err;
use crate::storage::{IndexMeta, Storage, WriteTxn};
use crate::types::cast::assign;
use crate::types::{Row, TypeContext, Value};

/// What a write statement did.
#[derive(Debug, Default)]
pub struct WriteResult {
    /// Rows inserted, updated or deleted.
    pub count: u64,
    /// RETURNING rows.
    pub returning: Vec<Row>,
}

/// The statement environment the writers need besides the transaction.
pub struct WriteEnv<'a> {
    /// The storage engine.
    pub storage: &'a Storage,
    /// Bound parameters.
    pub params: &'a [Value],
    /// Session facts for functions.
    pub fns: &'a FnContext,
    /// Cancellation.
    pub cancel: &'a CancelFlag,
}

impl WriteEnv<'_> {
    fn context<'a>(&'a self, txn: &'a WriteTxn) -> ExecContext<'a> {
        ExecContext::new(
            Source::Txn {
                storage: self.storage,
                txn,
            },
            self.params,
            self.fns,
            self.cancel,
        )
    }
}

/// Runs an INSERT.
pub fn insert(plan: &InsertPlan, txn: &mut WriteTxn, env: &WriteEnv<'_>) -> Result<WriteResult> {
    let mut rows = Spool::new(env.storage);
    {
        let cx = env.context(txn);
        let mut source = build(&plan.source, &cx)?;
        while let Some(r) = source.next()? {
            rows.push(Vec::new(), r)?;
        }
    }
    let uniques = unique::unique_indexes(txn, plan.table.id);
    let mut ins = Inserter {
        plan,
        uniques: &uniques,
        touched: HashSet::new(),
    };
    let mut result = WriteResult::default();
    for (n, item) in rows.drain()?.enumerate() {
        if n % 1024 == 1023 {
            env.cancel.check()?;
        }
        if let Some(row) = ins.insert_row(item?.1, txn, env)? {
            result.count += 1;
            returning(
                plan.returning.as_ref().map(|(e, _)| e.as_slice()),
                &row,
                txn,
                env,
                &mut result,
            )?;
        }
    }
    Ok(result)
}

/// One INSERT statement's row-by-row state.
struct Inserter<'p> {
    plan: &'p InsertPlan,
    /// The table's unique secondary indexes.
    uniques: &'p [IndexMeta],
    /// Keys this statement inserted or updated (ON CONFLICT DO UPDATE may
    /// not affect a row twice).
    touched: HashSet<Vec<u8>>,
}

/// Which unique key a proposed row conflicts on, and the row holding it.
struct Conflict {
    arbiter: Arbiter,
    key: Vec<u8>,
}

impl Inserter<'_> {
    /// Inserts (or, ON CONFLICT, skips or updates) one row; returns the row
    /// stored, if any.
    fn insert_row(
        &mut self,
        row: Row,
        txn: &mut WriteTxn,
        env: &WriteEnv<'_>,
    ) -> Result<Option<Row>> {
        let table = &self.plan.table;
        let schema = &table.schema;
        let row = conform(schema, row, &env.fns.types)?;
        let key = match row_key(schema, &row)? {
            Some(k) => k,
            None => hidden_key(txn, table)?,
        };
        if self.uniques.is_empty() {
            // Only the primary key can conflict: let storage find it.
            if txn.insert(table.id, key.clone(), row.clone())? {
                self.remember(key);
                return Ok(Some(row));
            }
            let conflict = Conflict {
                arbiter: Arbiter::PrimaryKey,
                key,
            };
            return self.on_conflict(conflict, row, txn, env);
        }
        let arbiters = &self.plan.arbiters;
        if let Some(c) = self.conflict(txn, &key, &row, |a| arbiters.contains(a))? {
            return self.on_conflict(c, row, txn, env);
        }
        if let Some(c) = self.conflict(txn, &key, &row, |_| true)? {
            return Err(self.conflict_error(&c, &row, &env.fns.types));
        }
        if !txn.insert(table.id, key.clone(), row.clone())? {
            return Err(duplicate_key(schema, &row, &env.fns.types));
        }
        self.remember(key);
        Ok(Some(row))
    }

    /// Records a key this statement wrote (only DO UPDATE needs to know).
    fn remember(&mut self, key: Vec<u8>) {
        if self.plan.on_conflict_update.is_some() {
            self.touched.insert(key);
        }
    }

    /// The first conflict of a row to be stored under `key`, among the
    /// unique keys `consider` accepts: the primary key, then the unique
    /// indexes in creation order.
    fn conflict(
        &self,
        txn: &WriteTxn,
        key: &[u8],
        row: &[Value],
        consider: impl Fn(&Arbiter) -> bool,
    ) -> Result<Option<Conflict>> {
        let table = &self.plan.table;
        if !table.schema.primary_key.is_empty()
            && consider(&Arbiter::PrimaryKey)
            && txn.get(table.id, key)?.is_some()
        {
            return Ok(Some(Conflict {
                arbiter: Arbiter::PrimaryKey,
                key: key.to_vec(),
            }));
        }
        for index in self.uniques {
            if !consider(&Arbiter::Index(index.id)) {
                continue;
            }
            if let Some((pk, _)) = unique::conflicting_row(txn, index, row, Some(key))? {
                return Ok(Some(Conflict {
                    arbiter: Arbiter::Index(index.id),
                    key: pk,
                }));
            }
        }
        Ok(None)
    }

    /// What ON CONFLICT does with a conflict (an error without the clause,
    /// or when the conflict is not on an arbiter).
    fn on_conflict(
        &mut self,
        c: Conflict,
        row: Row,
        txn: &mut WriteTxn,
        env: &WriteEnv<'_>,
    ) -> Result<Option<Row>> {
        if !self.plan.arbiters.contains(&c.arbiter) {
            return Err(self.conflict_error(&c, &row, &env.fns.types));
        }
        if self.plan.on_conflict_do_nothing {
            return Ok(None);
        }
        let Some(sets) = &self.plan.on_conflict_update else {
            return Err(self.conflict_error(&c, &row, &env.fns.types));
        };
        if self.touched.contains(&c.key) {
            return Err(sql_err!(
                SqlState::CARDINALITY_VIOLATION,
                "ON CONFLICT DO UPDATE command cannot affect row a second time"
            )
            .with_hint(
                "Ensure that no rows proposed for insertion within the same command have duplicate constrained values.",
            ));
        }
        let (key, new) = upsert(&self.plan.table, self.uniques, txn, env, c.key, row, sets)?;
        self.remember(key);
        Ok(Some(new))
    }

    /// 23505 for a conflict on the primary key or a unique index.
    fn conflict_error(&self, c: &Conflict, row: &[Value], ctx: &TypeContext) -> Error {
        let schema = &self.plan.table.schema;
        match &c.arbiter {
            Arbiter::Index(id) => match self.uniques.iter().find(|i| i.id == *id) {
                Some(index) => unique::violation(schema, index, row, ctx),
                None => Error::Internal(format!("unique index {id} vanished")),
            },
            Arbiter::PrimaryKey => duplicate_key(schema, row, ctx),
        }
    }
}

/// ON CONFLICT DO UPDATE: the existing row (stored under `key`) updated
/// with `sets` evaluated over (existing row ++ proposed row as `excluded`).
/// Returns the row's key (which the update may change) and new values.
fn upsert(
    table: &Table,
    uniques: &[IndexMeta],
    txn: &mut WriteTxn,
    env: &WriteEnv<'_>,
    key: Vec<u8>,
    proposed: Row,
    sets: &[(usize, Expr)],
) -> Result<(Vec<u8>, Row)> {
    let Some(existing) = txn.get(table.id, &key)? else {
        return Err(Error::Internal("conflicting row vanished".into()));
    };
    let mut both = existing.clone();
    both.resize(table.schema.columns.len(), Value::Null);
    both.extend(proposed);
    let mut new = both[..table.schema.columns.len()].to_vec();
    {
        let cx = env.context(txn);
        for (col, e) in sets {
            new[*col] = eval(e, &both, &cx)?;
        }
    }
    let new = conform(&table.schema, new, &env.fns.types)?;
    let new_key = row_key(&table.schema, &new)?.unwrap_or_else(|| key.clone());
    if new_key == key {
        txn.update(table.id, key.clone(), new.clone())?;
    } else {
        txn.delete(table.id, &key)?;
        if !txn.insert(table.id, new_key.clone(), new.clone())? {
            return Err(duplicate_key(&table.schema, &new, &env.fns.types));
        }
    }
    unique::check_row(txn, &table.schema, uniques, &new, &new_key, &env.fns.types)?;
    Ok((new_key, new))
}

/// Inserts one full row (assignment casts, NOT NULL, keys) with no
/// conflict handling: 23505 on a duplicate primary key or unique index key
/// (`uniques`: the table's unique indexes, from
/// [`unique::unique_indexes`]). Used by COPY.
pub fn insert_plain(
    table: &Table,
    uniques: &[IndexMeta],
    row: Row,
    txn: &mut WriteTxn,
    ctx: &TypeContext,
) -> Result<()> {
    let row = conform(&table.schema, row, ctx)?;
    let key = match row_key(&table.schema, &row)? {
        Some(k) => k,
        None => hidden_key(txn, table)?,
    };
    if !uniques.is_empty() {
        if !table.schema.primary_key.is_empty() && txn.get(table.id, &key)?.is_some() {
            return Err(duplicate_key(&table.schema, &row, ctx));
        }
        if let Some((index, _, _)) = unique::first_conflict(txn, uniques, &row, Some(&key))? {
            return Err(unique::violation(&table.schema, index, &row, ctx));
        }
    }
    if txn.insert(table.id, key, row.clone())? {
        Ok(())
    } else {
        Err(duplicate_key(&table.schema, &row, ctx))
    }
}

/// Runs an UPDATE.
pub fn update(plan: &ModifyPlan, txn: &mut WriteTxn, env: &WriteEnv<'_>) -> Result<WriteResult> {
    let schema = &plan.table.schema;
    let mut changes = Spool::new(env.storage);
    {
        let cx = env.context(txn);
        targets(plan, &cx, |r| {
            let mut new = r.row.clone();
            for (col, e) in &plan.assignments {
                new[*col] = eval(e, &r.row, &cx)?;
            }
            changes.push(r.key, new)
        })?;
    }
    // Unique indexes whose key the assignments may change.
    let uniques: Vec<IndexMeta> = unique::unique_indexes(txn, plan.table.id)
        .into_iter()
        .filter(|i| plan.assignments.iter().any(|(c, _)| i.columns.contains(c)))
        .collect();
    let mut result = WriteResult::default();
    let key_changes = plan
        .assignments
        .iter()
        .any(|(c, _)| schema.primary_key.contains(c));
    if key_changes {
        // Remove every old key first, so keys may be permuted within one
        // statement (UPDATE t SET id = id + 1).
        for item in changes.iter()? {
            txn.delete(plan.table.id, &item?.0)?;
        }
    }
    let mut written = Spool::new(env.storage);
    for item in changes.drain()? {
        let (key, new) = item?;
        let new = conform(schema, new, &env.fns.types)?;
        let key = if key_changes {
            let new_key = row_key(schema, &new)?.unwrap_or(key);
            if !txn.insert(plan.table.id, new_key.clone(), new.clone())? {
                return Err(duplicate_key(schema, &new, &env.fns.types));
            }
            new_key
        } else {
            txn.update(plan.table.id, key.clone(), new.clone())?;
            key
        };
        result.count += 1;
        returning(
            plan.returning.as_ref().map(|(e, _)| e.as_slice()),
            &new,
            txn,
            env,
            &mut result,
        )?;
        if !uniques.is_empty() {
            written.push(key, new)?;
        }
    }
    // Unique keys are checked once every row is written, so they too may
    // be permuted within one statement.
    for (n, item) in written.drain()?.enumerate() {
        if n % 1024 == 1023 {
            env.cancel.check()?;
        }
        let (key, new) = item?;
        unique::check_row(txn, schema, &uniques, &new, &key, &env.fns.types)?;
    }
    Ok(result)
}

/// Runs a DELETE.
pub fn delete(plan: &ModifyPlan, txn: &mut WriteTxn, env: &WriteEnv<'_>) -> Result<WriteResult> {
    let mut rows = Spool::new(env.storage);
    {
        let cx = env.context(txn);
        let keep_rows = plan.returning.is_some();
        targets(plan, &cx, |r| {
            rows.push(r.key, if keep_rows { r.row } else { Vec::new() })
        })?;
    }
    let mut result = WriteResult::default();
    for item in rows.drain()? {
        let (key, row) = item?;
        if txn.delete(plan.table.id, &key)? {
            result.count += 1;
            returning(
                plan.returning.as_ref().map(|(e, _)| e.as_slice()),
                &row,
                txn,
                env,
                &mut result,
            )?;
        }
    }
    Ok(result)
}

/// Runs a TRUNCATE: every current row is deleted (history keeps them).
pub fn truncate(storage: &Storage, tables: &[Table], txn: &mut WriteTxn) -> Result<()> {
    for t in tables {
        let mut keys = Spool::new(storage);
        for r in txn.scan(t.id, std::ops::Bound::Unbounded, std::ops::Bound::Unbounded)? {
            keys.push(r?.0, Vec::new())?;
        }
        for k in keys.drain()? {
            txn.delete(t.id, &k?.0)?;
        }
    }
    Ok(())
}

/// Hands `f` each row an UPDATE/DELETE targets, with its key, padded to
/// the table's width.
fn targets(
    plan: &ModifyPlan,
    cx: &ExecContext<'_>,
    mut f: impl FnMut(ScanRow) -> Result<()>,
) -> Result<()> {
    let width = plan.table.schema.columns.len();
    for r in open(&plan.scan, cx)? {
        let mut r = r?;
        r.row.resize(width, Value::Null);
        if let Some(f) = &plan.scan.filter
            && crate::sql::executor::eval::truth(&eval(f, &r.row, cx)?)? != Some(true)
        {
            continue;
        }
        f(r)?;
    }
    Ok(())
}

fn returning(
    exprs: Option<&[Expr]>,
    row: &[Value],
    txn: &WriteTxn,
    env: &WriteEnv<'_>,
    result: &mut WriteResult,
) -> Result<()> {
    let Some(exprs) = exprs else {
        return Ok(());
    };
    let cx = env.context(txn);
    let out = exprs
        .iter()
        .map(|e| eval(e, row, &cx))
        .collect::<Result<Row>>()?;
    result.returning.push(out);
    Ok(())
}

/// Applies each column's assignment cast and NOT NULL constraint.
fn conform(schema: &TableSchema, row: Row, ctx: &TypeContext) -> Result<Row> {
    let mut out = Vec::with_capacity(schema.columns.len());
    for (v, col) in row.into_iter().zip(&schema.columns) {
        let v = if v.is_null() {
            v
        } else {
            assign(v, &col.ty, ctx)?
        };
        out.push(v);
    }
    for (v, col) in out.iter().zip(&schema.columns) {
        if v.is_null() && !col.nullable {
            return Err(sql_err!(
                SqlState::NOT_NULL_VIOLATION,
                "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                col.name,
                schema.name
            )
            .with_detail(format!("Failing row contains ({}).", row_text(&out, ctx)))
            .with_object(crate::error::ErrorObject {
                schema: Some("public".into()),
                table: Some(schema.name.clone()),
                column: Some(col.name.clone()),
                constraint: None,
            }));
        }
    }
    Ok(out)
}

/// The key of a row of a table with a primary key; `None` without one.
fn row_key(schema: &TableSchema, row: &[Value]) -> Result<Option<Vec<u8>>> {
    if schema.primary_key.is_empty() {
        return Ok(None);
    }
    let values: Vec<Value> = schema.primary_key.iter().map(|&i| row[i].clone()).collect();
    let mut key = Vec::new();
    encode_key(&values, &mut key)?;
    Ok(Some(key))
}

/// A fresh hidden row id key for a table without a primary key.
fn hidden_key(txn: &mut WriteTxn, table: &Table) -> Result<Vec<u8>> {
    let id = txn.next_rowid(table.id)?;
    let mut key = Vec::new();
    encode_key(&[Value::Int8(id as i64)], &mut key)?;
    Ok(key)
}

fn row_text(row: &[Value], ctx: &TypeContext) -> String {
    row.iter()
        .map(|v| {
            if v.is_null() {
                "null".to_string()
            } else {
                v.to_text(ctx)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// 23505 for a primary-key collision, with PostgreSQL's DETAIL.
fn duplicate_key(schema: &TableSchema, row: &[Value], ctx: &TypeContext) -> Error {
    let cols: Vec<&str> = schema
        .primary_key
        .iter()
        .map(|&i| schema.columns[i].name.as_str())
        .collect();
    let vals: Vec<Value> = schema.primary_key.iter().map(|&i| row[i].clone()).collect();
    let name = schema
        .pkey_name
        .clone()
        .unwrap_or_else(|| format!("{}_pkey", schema.name));
    sql_err!(
        SqlState::UNIQUE_VIOLATION,
        "duplicate key value violates unique constraint \"{}\"",
        name
    )
    .with_detail(format!(
        "Key ({})=({}) already exists.",
        cols.join(", "),
        row_text(&vals, ctx)
    ))
    .with_object(crate::error::ErrorObject {
        schema: Some("public".into()),
        table: Some(schema.name.clone()),
        column: None,
        constraint: Some(name),
    })
}
