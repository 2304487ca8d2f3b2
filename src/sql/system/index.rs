//! `pg_index` and `pg_constraint`: each user table's primary key, which is
//! both DriftDB's one index (an ordered map from the key to the row's
//! versions) and its one constraint. Also the definitions
//! `pg_get_indexdef` and `pg_get_constraintdef` print.

use super::v::{bool, i2, null, oid, text};
use super::{
    CatalogSnapshot, PUBLIC_OID, SystemTable, pkey_constraint_oid, pkey_index_oid, pkey_name,
};
use crate::catalog::Table;
use crate::error::Result;
use crate::types::{DataType as T, Row, TypeContext, Value};

/// The system tables of this file.
pub static TABLES: &[SystemTable] = &[
    SystemTable {
        schema: "pg_catalog",
        name: "pg_index",
        oid: 2610,
        view: false,
        columns: &[
            ("indexrelid", T::Oid),
            ("indrelid", T::Oid),
            ("indnatts", T::Int2),
            ("indnkeyatts", T::Int2),
            ("indisunique", T::Bool),
            ("indnullsnotdistinct", T::Bool),
            ("indisprimary", T::Bool),
            ("indisexclusion", T::Bool),
            ("indimmediate", T::Bool),
            ("indisclustered", T::Bool),
            ("indisvalid", T::Bool),
            ("indcheckxmin", T::Bool),
            ("indisready", T::Bool),
            ("indislive", T::Bool),
            ("indisreplident", T::Bool),
            ("indkey", T::Array(22)),
            ("indcollation", T::Array(30)),
            ("indoption", T::Array(22)),
            ("indexprs", T::Text),
            ("indpred", T::Text),
        ],
        rows: indexes,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_constraint",
        oid: 2606,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("conname", T::Text),
            ("connamespace", T::Oid),
            ("contype", T::Text),
            ("condeferrable", T::Bool),
            ("condeferred", T::Bool),
            ("convalidated", T::Bool),
            ("conrelid", T::Oid),
            ("contypid", T::Oid),
            ("conindid", T::Oid),
            ("conparentid", T::Oid),
            ("confrelid", T::Oid),
            ("confupdtype", T::Text),
            ("confdeltype", T::Text),
            ("confmatchtype", T::Text),
            ("conislocal", T::Bool),
            ("coninhcount", T::Int4),
            ("connoinherit", T::Bool),
            ("conkey", T::Array(1005)),
            ("confkey", T::Array(1005)),
            ("conbin", T::Text),
        ],
        rows: constraints,
    },
];

/// The key's column numbers (attnum, 1-based).
fn key_attnums(t: &Table) -> Vec<Value> {
    t.schema
        .primary_key
        .iter()
        .map(|k| i2(i16::try_from(k + 1).unwrap_or(i16::MAX)))
        .collect()
}

fn array(elems: &[Value], oid: u32) -> Value {
    Value::Text(crate::types::array::build(
        elems,
        oid,
        &TypeContext::default(),
    ))
}

fn indexes(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for t in cat.tables()?.iter().filter(|t| pkey_name(t).is_some()) {
        let keys = key_attnums(t);
        let n = i2(i16::try_from(keys.len()).unwrap_or(i16::MAX));
        let collations: Vec<Value> = t
            .schema
            .primary_key
            .iter()
            .filter_map(|k| t.schema.columns.get(*k))
            .map(|c| {
                oid(if c.ty.is_string() {
                    super::DEFAULT_COLLATION_OID
                } else {
                    0
                })
            })
            .collect();
        let options = vec![i2(0); keys.len()];
        let (t_, f) = (bool(true), bool(false));
        rows.push(vec![
            oid(pkey_index_oid(t.oid())),
            oid(t.oid()),
            n.clone(),
            n,
            t_.clone(),
            f.clone(),
            t_.clone(),
            f.clone(),
            t_.clone(),
            f.clone(),
            t_.clone(),
            f.clone(),
            t_.clone(),
            t_,
            f,
            array(&keys, 22),
            array(&collations, 30),
            array(&options, 22),
            null(),
            null(),
        ]);
    }
    Ok(rows)
}

fn constraints(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for t in cat.tables()? {
        let Some(name) = pkey_name(t) else { continue };
        let (t_, f) = (bool(true), bool(false));
        rows.push(vec![
            oid(pkey_constraint_oid(t.oid())),
            text(name),
            oid(PUBLIC_OID),
            text("p"),
            f.clone(),
            f,
            t_.clone(),
            oid(t.oid()),
            oid(0),
            oid(pkey_index_oid(t.oid())),
            oid(0),
            oid(0),
            text(" "),
            text(" "),
            text(" "),
            t_.clone(),
            Value::Int4(0),
            t_,
            array(&key_attnums(t), 1005),
            null(),
            null(),
        ]);
    }
    Ok(rows)
}

/// PostgreSQL 15's reserved keywords, sorted: `quote_ident` quotes them.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
];

/// Quotes an identifier when PostgreSQL's `quote_ident` would.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && RESERVED.binary_search(&name).is_err();
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn key_columns(t: &Table) -> String {
    t.schema
        .primary_key
        .iter()
        .filter_map(|k| t.schema.columns.get(*k))
        .map(|c| quote_ident(&c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `pg_get_indexdef(index)`: `CREATE UNIQUE INDEX events_pkey ON
/// public.events USING btree (id)`; `pretty` leaves out the schema of a
/// table on the search path, as PostgreSQL's pretty form does.
pub fn index_def(t: &Table, pretty: bool) -> Option<String> {
    let name = pkey_name(t)?;
    Some(format!(
        "CREATE UNIQUE INDEX {} ON {}{} USING btree ({})",
        quote_ident(name),
        if pretty { "" } else { "public." },
        quote_ident(t.name()),
        key_columns(t)
    ))
}

/// `pg_get_constraintdef(constraint)`: `PRIMARY KEY (id)`.
pub fn constraint_def(t: &Table) -> Option<String> {
    pkey_name(t)?;
    Some(format!("PRIMARY KEY ({})", key_columns(t)))
}
