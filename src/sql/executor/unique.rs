//! UNIQUE enforcement for secondary indexes.
//!
//! Storage keeps unique indexes like any other; the SQL layer checks them
//! through `WriteTxn::index_scan`, which sees the transaction's own writes.
//! The single write path makes check-then-write safe: no other transaction
//! can write between the check and the write. NULLs never conflict
//! (PostgreSQL's default NULLS DISTINCT): a key with a NULL is not checked.
//!
//! INSERT and COPY check each row before writing it. UPDATE checks after
//! the whole statement has written (so keys may be permuted within one
//! statement, as they may for the primary key): a key is then violated when
//! more than one row holds it.

use std::ops::Bound;

use crate::catalog::TableSchema;
use crate::encoding::keycode::encode_key;
use crate::error::{Error, ErrorObject, Result, SqlState};
use crate::sql::executor::keyrange::successor;
use crate::sql_err;
use crate::storage::{IndexMeta, TableId, WriteTxn};
use crate::types::{Row, TypeContext, Value};

/// The unique secondary indexes of a table, as the transaction sees them.
pub fn unique_indexes(txn: &WriteTxn, table: TableId) -> Vec<IndexMeta> {
    txn.indexes(table)
        .into_iter()
        .filter(|i| i.unique)
        .collect()
}

/// The encoded index key of a row, or `None` when a key column is NULL
/// (such a row never conflicts).
pub fn index_key(row: &[Value], columns: &[usize]) -> Result<Option<Vec<u8>>> {
    let mut values = Vec::with_capacity(columns.len());
    for &c in columns {
        match row.get(c) {
            None | Some(Value::Null) => return Ok(None),
            Some(v) => values.push(v.clone()),
        }
    }
    let mut key = Vec::new();
    encode_key(&values, &mut key)?;
    Ok(Some(key))
}

/// The primary keys of the rows whose `index` key is `key`.
fn holders(txn: &WriteTxn, index: &IndexMeta, key: &[u8]) -> Result<Vec<(Vec<u8>, Row)>> {
    let upper = match successor(key) {
        Some(s) => Bound::Excluded(s),
        None => Bound::Unbounded,
    };
    txn.index_scan(index.id, Bound::Included(key.to_vec()), upper)?
        .collect()
}

/// The first row other than `own` (a primary key) that holds `row`'s key
/// in `index`: its primary key and values.
pub fn conflicting_row(
    txn: &WriteTxn,
    index: &IndexMeta,
    row: &[Value],
    own: Option<&[u8]>,
) -> Result<Option<(Vec<u8>, Row)>> {
    let Some(key) = index_key(row, &index.columns)? else {
        return Ok(None);
    };
    Ok(holders(txn, index, &key)?
        .into_iter()
        .find(|(pk, _)| Some(pk.as_slice()) != own))
}

/// The first unique index (in creation order) on which `row` (stored, or
/// to be stored, under the primary key `own`) conflicts with another row,
/// with that row's primary key and values.
pub fn first_conflict<'i>(
    txn: &WriteTxn,
    indexes: &'i [IndexMeta],
    row: &[Value],
    own: Option<&[u8]>,
) -> Result<Option<(&'i IndexMeta, Vec<u8>, Row)>> {
    for index in indexes {
        if let Some((pk, existing)) = conflicting_row(txn, index, row, own)? {
            return Ok(Some((index, pk, existing)));
        }
    }
    Ok(None)
}

/// 23505 unless `row` (stored under `own`) is the only row holding its key
/// in each of `indexes`: the check UPDATE makes after writing.
pub fn check_row(
    txn: &WriteTxn,
    schema: &TableSchema,
    indexes: &[IndexMeta],
    row: &[Value],
    own: &[u8],
    ctx: &TypeContext,
) -> Result<()> {
    match first_conflict(txn, indexes, row, Some(own))? {
        Some((index, _, _)) => Err(violation(schema, index, row, ctx)),
        None => Ok(()),
    }
}

/// `(a, b)=(1, 2)`: the key columns and the row's values, as PostgreSQL's
/// DETAIL shows a key.
pub fn key_text(
    schema: &TableSchema,
    columns: &[usize],
    row: &[Value],
    ctx: &TypeContext,
) -> String {
    let names: Vec<&str> = columns
        .iter()
        .map(|&i| schema.columns.get(i).map_or("?", |c| c.name.as_str()))
        .collect();
    let values: Vec<String> = columns
        .iter()
        .map(|&i| match row.get(i) {
            None | Some(Value::Null) => "null".to_string(),
            Some(v) => v.to_text(ctx),
        })
        .collect();
    format!("({})=({})", names.join(", "), values.join(", "))
}

/// 23505 for a unique-index collision, worded and annotated (table,
/// constraint) as PostgreSQL's.
pub fn violation(
    schema: &TableSchema,
    index: &IndexMeta,
    row: &[Value],
    ctx: &TypeContext,
) -> Error {
    sql_err!(
        SqlState::UNIQUE_VIOLATION,
        "duplicate key value violates unique constraint \"{}\"",
        index.name
    )
    .with_detail(format!(
        "Key {} already exists.",
        key_text(schema, &index.columns, row, ctx)
    ))
    .with_object(ErrorObject {
        schema: Some("public".into()),
        table: Some(schema.name.clone()),
        column: None,
        constraint: Some(index.name.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ColumnSchema;
    use crate::types::DataType;

    fn schema() -> TableSchema {
        let col = |id: u32, name: &str, ty| ColumnSchema {
            id,
            name: name.into(),
            ty,
            nullable: true,
            default: None,
        };
        TableSchema {
            name: "t".into(),
            columns: vec![
                col(0, "id", DataType::Int4),
                col(1, "a", DataType::Int4),
                col(2, "b", DataType::Text),
            ],
            primary_key: vec![0],
            pkey_name: Some("t_pkey".into()),
            next_column_id: 3,
            unique_constraints: vec!["t_a_b_key".into()],
            view: None,
        }
    }

    #[test]
    fn keys_with_nulls_never_conflict() {
        let row = vec![Value::Int4(1), Value::Null, Value::Text("x".into())];
        assert_eq!(index_key(&row, &[1, 2]).unwrap(), None);
        assert_eq!(index_key(&row, &[5]).unwrap(), None);
        let k = index_key(&row, &[0, 2]).unwrap().unwrap();
        let mut expected = Vec::new();
        encode_key(&[Value::Int4(1), Value::Text("x".into())], &mut expected).unwrap();
        assert_eq!(k, expected);
    }

    #[test]
    fn violation_is_worded_as_postgres() {
        let index = IndexMeta {
            id: 20000,
            table: 16384,
            name: "t_a_b_key".into(),
            columns: vec![1, 2],
            unique: true,
        };
        let row = vec![Value::Int4(1), Value::Int4(2), Value::Text("x y".into())];
        let e = violation(&schema(), &index, &row, &TypeContext::default());
        let sql = e.as_sql().unwrap();
        assert_eq!(sql.code, SqlState::UNIQUE_VIOLATION);
        assert_eq!(
            sql.message,
            "duplicate key value violates unique constraint \"t_a_b_key\""
        );
        assert_eq!(
            sql.detail.as_deref(),
            Some("Key (a, b)=(2, x y) already exists.")
        );
        let obj = sql.object.as_ref().unwrap();
        assert_eq!(obj.constraint.as_deref(), Some("t_a_b_key"));
        assert_eq!(obj.table.as_deref(), Some("t"));
    }
}
