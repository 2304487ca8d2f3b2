//! Writes: INSERT, UPDATE, DELETE and TRUNCATE inside a write transaction.
//!
//! Each statement first reads everything it needs (source rows, target
//! rows and their new values) through the transaction's view, then applies
//! its changes, so a statement never sees its own effects (no Halloween
//! problem). Every stored value goes through the column's assignment cast
//! and NOT NULL check; primary keys are unique (23505, worded as
//! PostgreSQL words it).

use crate::cancel::CancelFlag;
use crate::catalog::{Table, TableSchema};
use crate::encoding::keycode::encode_key;
use crate::error::{Error, Result, SqlState};
use crate::sql::executor::eval::eval;
use crate::sql::executor::scan::{ScanRow, open};
use crate::sql::executor::{ExecContext, Source, build, collect};
use crate::sql::functions::FnContext;
use crate::sql::planner::expr::Expr;
use crate::sql::planner::plan::{InsertPlan, ModifyPlan};
use crate::sql_err;
use crate::storage::{Storage, WriteTxn};
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
    let rows = {
        let cx = env.context(txn);
        collect(build(&plan.source, &cx)?)?
    };
    let schema = &plan.table.schema;
    let mut result = WriteResult::default();
    for (n, row) in rows.into_iter().enumerate() {
        if n % 1024 == 1023 {
            env.cancel.check()?;
        }
        let row = conform(schema, row, &env.fns.types)?;
        let key = match row_key(schema, &row)? {
            Some(k) => k,
            None => hidden_key(txn, &plan.table)?,
        };
        let stored = if txn.insert(plan.table.id, key.clone(), row.clone())? {
            Some(row)
        } else if plan.on_conflict_do_nothing {
            None
        } else if let Some(sets) = &plan.on_conflict_update {
            Some(upsert(&plan.table, txn, env, key, row, sets)?)
        } else {
            return Err(duplicate_key(schema, &row, &env.fns.types));
        };
        if let Some(row) = stored {
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

/// ON CONFLICT DO UPDATE: the existing row updated with `sets` evaluated
/// over (existing row ++ proposed row as `excluded`).
fn upsert(
    table: &Table,
    txn: &mut WriteTxn,
    env: &WriteEnv<'_>,
    key: Vec<u8>,
    proposed: Row,
    sets: &[(usize, Expr)],
) -> Result<Row> {
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
    txn.update(table.id, key, new.clone())?;
    Ok(new)
}

/// Inserts one full row (assignment casts, NOT NULL, key) with no
/// conflict handling: 23505 on a duplicate key. Used by COPY.
pub fn insert_plain(table: &Table, row: Row, txn: &mut WriteTxn, ctx: &TypeContext) -> Result<()> {
    let row = conform(&table.schema, row, ctx)?;
    let key = match row_key(&table.schema, &row)? {
        Some(k) => k,
        None => hidden_key(txn, table)?,
    };
    if txn.insert(table.id, key, row.clone())? {
        Ok(())
    } else {
        Err(duplicate_key(&table.schema, &row, ctx))
    }
}

/// Runs an UPDATE.
pub fn update(plan: &ModifyPlan, txn: &mut WriteTxn, env: &WriteEnv<'_>) -> Result<WriteResult> {
    let schema = &plan.table.schema;
    let changes: Vec<(Vec<u8>, Row)> = {
        let cx = env.context(txn);
        targets(plan, &cx)?
            .into_iter()
            .map(|r| {
                let mut new = r.row.clone();
                for (col, e) in &plan.assignments {
                    new[*col] = eval(e, &r.row, &cx)?;
                }
                Ok((r.key, new))
            })
            .collect::<Result<_>>()?
    };
    let mut result = WriteResult::default();
    let key_changes = plan
        .assignments
        .iter()
        .any(|(c, _)| schema.primary_key.contains(c));
    if key_changes {
        // Remove every old key first, so keys may be permuted within one
        // statement (UPDATE t SET id = id + 1).
        for (key, _) in &changes {
            txn.delete(plan.table.id, key)?;
        }
    }
    for (key, new) in changes {
        let new = conform(schema, new, &env.fns.types)?;
        if key_changes {
            let new_key = row_key(schema, &new)?.unwrap_or(key);
            if !txn.insert(plan.table.id, new_key, new.clone())? {
                return Err(duplicate_key(schema, &new, &env.fns.types));
            }
        } else {
            txn.update(plan.table.id, key, new.clone())?;
        }
        result.count += 1;
        returning(
            plan.returning.as_ref().map(|(e, _)| e.as_slice()),
            &new,
            txn,
            env,
            &mut result,
        )?;
    }
    Ok(result)
}

/// Runs a DELETE.
pub fn delete(plan: &ModifyPlan, txn: &mut WriteTxn, env: &WriteEnv<'_>) -> Result<WriteResult> {
    let rows = {
        let cx = env.context(txn);
        targets(plan, &cx)?
    };
    let mut result = WriteResult::default();
    for r in rows {
        if txn.delete(plan.table.id, &r.key)? {
            result.count += 1;
            returning(
                plan.returning.as_ref().map(|(e, _)| e.as_slice()),
                &r.row,
                txn,
                env,
                &mut result,
            )?;
        }
    }
    Ok(result)
}

/// Runs a TRUNCATE: every current row is deleted (history keeps them).
pub fn truncate(tables: &[Table], txn: &mut WriteTxn) -> Result<()> {
    for t in tables {
        let keys: Vec<Vec<u8>> = txn
            .scan(t.id, std::ops::Bound::Unbounded, std::ops::Bound::Unbounded)?
            .map(|r| r.map(|(k, _)| k))
            .collect::<Result<_>>()?;
        for k in keys {
            txn.delete(t.id, &k)?;
        }
    }
    Ok(())
}

/// The rows an UPDATE/DELETE targets, with their keys, padded to the
/// table's width.
fn targets(plan: &ModifyPlan, cx: &ExecContext<'_>) -> Result<Vec<ScanRow>> {
    let width = plan.table.schema.columns.len();
    let mut out = Vec::new();
    for r in open(&plan.scan, cx)? {
        let mut r = r?;
        r.row.resize(width, Value::Null);
        if let Some(f) = &plan.scan.filter
            && crate::sql::executor::eval::truth(&eval(f, &r.row, cx)?)? != Some(true)
        {
            continue;
        }
        out.push(r);
    }
    Ok(out)
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
