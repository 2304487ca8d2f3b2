//! DDL that is more than one storage call: CREATE TABLE with its UNIQUE
//! constraints, CREATE INDEX and DROP INDEX, inside a write transaction.
//!
//! Tables, primary-key indexes and secondary indexes share one namespace,
//! as PostgreSQL's relations do: a new name must not be any of them
//! (42P07). Unnamed indexes get PostgreSQL's generated names
//! ([`choose_name`]): `<table>_<col1>_<col2>_idx` (`_key` for UNIQUE
//! constraints), clipped to 63 bytes, with a number after the label when
//! taken (`t_a_idx1`). A unique index built over existing rows fails with
//! 23505 on the first duplicated key, as PostgreSQL's sorted build does.

use std::ops::Bound;

use crate::catalog::{SchemaCache, Table, TableSchema};
use crate::error::{Error, Result, SqlState};
use crate::sql::executor::unique::{index_key, key_text};
use crate::sql::planner::plan::{CreateIndexPlan, UniqueSpec};
use crate::sql_err;
use crate::storage::{IndexId, IndexMeta, WriteTxn};
use crate::types::TypeContext;

/// PostgreSQL's NAMEDATALEN - 1: the longest identifier, in bytes.
pub const MAX_NAME_BYTES: usize = 63;

/// `dependent_objects_still_exist`.
const DEPENDENT_OBJECTS_STILL_EXIST: SqlState = SqlState("2BP01");

/// A notice a DDL statement sends (`..., skipping`).
pub type DdlNotice = (SqlState, String);

/// Runs CREATE TABLE: the table, then its UNIQUE constraints' indexes.
/// Returns the notice when IF NOT EXISTS skipped it.
pub fn create_table(
    schema: &TableSchema,
    uniques: &[UniqueSpec],
    if_not_exists: bool,
    txn: &mut WriteTxn,
    cache: &SchemaCache,
) -> Result<Option<DdlNotice>> {
    if relation_exists(txn, cache, &schema.name)? {
        let msg = format!("relation \"{}\" already exists", schema.name);
        if if_not_exists {
            return Ok(Some((
                SqlState::DUPLICATE_TABLE,
                format!("{msg}, skipping"),
            )));
        }
        return Err(Error::sql(SqlState::DUPLICATE_TABLE, msg));
    }
    if let Some(pkey) = schema
        .pkey_name
        .as_deref()
        .filter(|_| !schema.primary_key.is_empty())
        && (pkey == schema.name || relation_exists(txn, cache, pkey)?)
    {
        return Err(sql_err!(
            SqlState::DUPLICATE_TABLE,
            "relation \"{}\" already exists",
            pkey
        ));
    }
    let mut schema = schema.clone();
    let mut names: Vec<String> = Vec::with_capacity(uniques.len());
    for u in uniques {
        let taken = |n: &str| -> Result<bool> {
            Ok(n == schema.name
                || (schema.pkey_name.as_deref() == Some(n) && !schema.primary_key.is_empty())
                || names.iter().any(|x| x == n)
                || relation_exists(txn, cache, n)?)
        };
        let name = match &u.name {
            Some(n) if taken(n)? => {
                return Err(sql_err!(
                    SqlState::DUPLICATE_TABLE,
                    "relation \"{}\" already exists",
                    n
                ));
            }
            Some(n) => n.clone(),
            None => {
                let cols: Vec<&str> = u
                    .columns
                    .iter()
                    .map(|&i| schema.columns[i].name.as_str())
                    .collect();
                choose_name(&schema.name, &cols, "key", taken)?
            }
        };
        names.push(name);
    }
    schema.unique_constraints = names.clone();
    let id = txn.create_table(&schema.name, schema.encode()?)?;
    for (u, name) in uniques.iter().zip(&names) {
        txn.create_index(id, name, u.columns.clone(), true)?;
    }
    Ok(None)
}

/// Runs CREATE INDEX. Returns the notice when IF NOT EXISTS skipped it.
pub fn create_index(
    plan: &CreateIndexPlan,
    txn: &mut WriteTxn,
    cache: &SchemaCache,
    ctx: &TypeContext,
) -> Result<Option<DdlNotice>> {
    let schema = &plan.table.schema;
    let name = match &plan.name {
        Some(n) if relation_exists(txn, cache, n)? => {
            let msg = format!("relation \"{n}\" already exists");
            if plan.if_not_exists {
                return Ok(Some((
                    SqlState::DUPLICATE_TABLE,
                    format!("{msg}, skipping"),
                )));
            }
            return Err(Error::sql(SqlState::DUPLICATE_TABLE, msg));
        }
        Some(n) => n.clone(),
        None => {
            let cols: Vec<&str> = plan
                .columns
                .iter()
                .map(|&i| schema.columns[i].name.as_str())
                .collect();
            choose_name(&schema.name, &cols, "idx", |n| {
                relation_exists(txn, cache, n)
            })?
        }
    };
    let id = txn.create_index(plan.table.id, &name, plan.columns.clone(), plan.unique)?;
    if plan.unique {
        check_no_duplicates(txn, &plan.table, id, &name, &plan.columns, ctx)?;
    }
    Ok(None)
}

/// 23505 if two rows share a key of the new unique index (NULLs never
/// do): the index is read in key order, so the first duplicate found is the
/// smallest, the one PostgreSQL's sorted build reports.
fn check_no_duplicates(
    txn: &WriteTxn,
    table: &Table,
    index: IndexId,
    name: &str,
    columns: &[usize],
    ctx: &TypeContext,
) -> Result<()> {
    let mut previous: Option<Vec<u8>> = None;
    for r in txn.index_scan(index, Bound::Unbounded, Bound::Unbounded)? {
        let (_, row) = r?;
        let Some(key) = index_key(&row, columns)? else {
            continue;
        };
        if previous.as_ref() == Some(&key) {
            return Err(sql_err!(
                SqlState::UNIQUE_VIOLATION,
                "could not create unique index \"{}\"",
                name
            )
            .with_detail(format!(
                "Key {} is duplicated.",
                key_text(&table.schema, columns, &row, ctx)
            ))
            .with_object(crate::error::ErrorObject {
                schema: Some("public".into()),
                table: Some(table.schema.name.clone()),
                column: None,
                constraint: Some(name.to_string()),
            }));
        }
        previous = Some(key);
    }
    Ok(())
}

/// Runs DROP INDEX: every name is resolved first (an error for any that
/// does not exist, unless IF EXISTS, or that is not a droppable index),
/// then the indexes are dropped. Returns the notices for skipped names.
pub fn drop_index(
    names: &[String],
    if_exists: bool,
    txn: &mut WriteTxn,
    cache: &SchemaCache,
) -> Result<Vec<DdlNotice>> {
    let mut notices = Vec::new();
    let mut found: Vec<IndexId> = Vec::new();
    for name in names {
        match find_index(txn, cache, name)? {
            Some((table, index)) => {
                if crate::sql::system::is_constraint(&table, &index) {
                    return Err(constraint_needs(&index.name, &table));
                }
                if !found.contains(&index.id) {
                    found.push(index.id);
                }
            }
            None => {
                let owner = find_table_or_pkey(txn, cache, name)?;
                match owner {
                    Some((table, true)) => return Err(constraint_needs(name, &table)),
                    Some((_, false)) => {
                        return Err(sql_err!(
                            SqlState::WRONG_OBJECT_TYPE,
                            "\"{}\" is not an index",
                            name
                        )
                        .with_hint("Use DROP TABLE to remove a table."));
                    }
                    None if if_exists => notices.push((
                        SqlState::SUCCESSFUL_COMPLETION,
                        format!("index \"{name}\" does not exist, skipping"),
                    )),
                    None => {
                        return Err(sql_err!(
                            SqlState::UNDEFINED_OBJECT,
                            "index \"{}\" does not exist",
                            name
                        ));
                    }
                }
            }
        }
    }
    for id in found {
        txn.drop_index(id)?;
    }
    Ok(notices)
}

/// 2BP01: the index implements a constraint of `table`.
fn constraint_needs(index: &str, table: &Table) -> Error {
    sql_err!(
        DEPENDENT_OBJECTS_STILL_EXIST,
        "cannot drop index {} because constraint {} on table {} requires it",
        index,
        index,
        table.name()
    )
    .with_hint(format!(
        "You can drop constraint {} on table {} instead.",
        index,
        table.name()
    ))
}

/// A secondary index by name, with its table.
fn find_index(
    txn: &WriteTxn,
    cache: &SchemaCache,
    name: &str,
) -> Result<Option<(Table, IndexMeta)>> {
    let Some(index) = txn.index_by_name(name) else {
        return Ok(None);
    };
    match txn.tables().into_iter().find(|t| t.id == index.table) {
        Some(meta) => Ok(Some((cache.resolve(&meta)?, index))),
        None => Err(Error::Internal(format!(
            "index \"{name}\" of a missing table"
        ))),
    }
}

/// The table called `name` (`false`), or whose primary-key index is
/// (`true`).
fn find_table_or_pkey(
    txn: &WriteTxn,
    cache: &SchemaCache,
    name: &str,
) -> Result<Option<(Table, bool)>> {
    for meta in txn.tables() {
        if meta.name == name {
            return Ok(Some((cache.resolve(&meta)?, false)));
        }
        let table = cache.resolve(&meta)?;
        if crate::sql::system::pkey_name(&table) == Some(name) {
            return Ok(Some((table, true)));
        }
    }
    Ok(None)
}

/// True if a table, a primary-key index or a secondary index is called
/// `name`, as the transaction sees them.
pub fn relation_exists(txn: &WriteTxn, cache: &SchemaCache, name: &str) -> Result<bool> {
    if txn.index_by_name(name).is_some() {
        return Ok(true);
    }
    for meta in txn.tables() {
        if meta.name == name || crate::sql::system::pkey_name(&cache.resolve(&meta)?) == Some(name)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// PostgreSQL's name for an unnamed index (ChooseRelationName):
/// `<table>_<columns joined by _>_<label>`, the longer of the two parts
/// clipped first to fit 63 bytes; when taken, the label gets a number
/// (`idx1`, `idx2`, ...).
pub fn choose_name(
    table: &str,
    columns: &[&str],
    label: &str,
    mut taken: impl FnMut(&str) -> Result<bool>,
) -> Result<String> {
    let addition = name_addition(columns);
    let mut pass = 0u32;
    loop {
        let modlabel = if pass == 0 {
            label.to_string()
        } else {
            format!("{label}{pass}")
        };
        let name = make_object_name(table, &addition, &modlabel);
        if !taken(&name)? {
            return Ok(name);
        }
        pass += 1;
    }
}

/// The column names joined by `_`, stopping once 64 bytes are reached
/// (ChooseIndexNameAddition).
fn name_addition(columns: &[&str]) -> String {
    let mut buf = String::new();
    for c in columns {
        if !buf.is_empty() {
            buf.push('_');
        }
        buf.push_str(clip(c, MAX_NAME_BYTES));
        if buf.len() > MAX_NAME_BYTES {
            break;
        }
    }
    buf
}

/// `name1_name2_label`, clipping the longer name first so the whole fits in
/// 63 bytes (makeObjectName).
fn make_object_name(name1: &str, name2: &str, label: &str) -> String {
    let avail = MAX_NAME_BYTES.saturating_sub(label.len() + 2);
    let (mut n1, mut n2) = (name1.len(), name2.len());
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    format!("{}_{}_{}", clip(name1, n1), clip(name2, n2), label)
}

/// The longest prefix of `s` of at most `n` bytes that ends on a character
/// boundary.
fn clip(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(_: &str) -> Result<bool> {
        Ok(false)
    }

    #[test]
    fn generated_names_follow_postgres() {
        assert_eq!(choose_name("t", &["a"], "idx", free).unwrap(), "t_a_idx");
        assert_eq!(
            choose_name("t", &["a", "b"], "key", free).unwrap(),
            "t_a_b_key"
        );
        let taken = |n: &str| Ok(n == "t_a_idx" || n == "t_a_idx1");
        assert_eq!(choose_name("t", &["a"], "idx", taken).unwrap(), "t_a_idx2");
    }

    #[test]
    fn long_names_are_clipped_longer_part_first() {
        let table = "a".repeat(40);
        let col = "b".repeat(40);
        let name = choose_name(&table, &[&col], "idx", free).unwrap();
        assert_eq!(name.len(), 63);
        assert_eq!(name, format!("{}_{}_idx", "a".repeat(29), "b".repeat(29)));
        let short = choose_name(&table, &["c"], "key", free).unwrap();
        assert_eq!(short, format!("{}_c_key", "a".repeat(40)));
        // Multi-byte characters are never split.
        let t = "é".repeat(40);
        let n = choose_name(&t, &["x"], "idx", free).unwrap();
        assert!(n.len() <= 63 && n.ends_with("_x_idx"));
    }
}
