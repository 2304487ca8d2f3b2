//! `pg_index`, `pg_constraint` and the `pg_indexes` view: each user
//! table's primary key (an index and a constraint), its secondary indexes,
//! and the UNIQUE constraints that some of those implement. Also the
//! definitions `pg_get_indexdef` and `pg_get_constraintdef` print. Every
//! index is a `btree` (an ordered map); ASC/DESC is not kept, so every key
//! column reads as ascending.

use super::v::{bool, i2, null, oid, text};
use super::{
    CatalogSnapshot, PUBLIC_OID, SystemTable, is_constraint, pkey_constraint_oid, pkey_index_oid,
    pkey_name, unique_constraint_oid,
};
use crate::catalog::Table;
use crate::error::Result;
use crate::storage::IndexMeta;
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
            ("indclass", T::Array(30)),
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
    SystemTable {
        schema: "pg_catalog",
        name: "pg_indexes",
        oid: 12043,
        view: true,
        columns: &[
            ("schemaname", T::Text),
            ("tablename", T::Text),
            ("indexname", T::Text),
            ("tablespace", T::Text),
            ("indexdef", T::Text),
        ],
        rows: index_view,
    },
];

/// An index as the catalogs describe it: a table's primary key or one of
/// its secondary indexes.
#[derive(Debug, Clone, Copy)]
pub struct IndexView<'a> {
    /// The index's OID.
    pub oid: u32,
    /// Its table.
    pub table: &'a Table,
    /// Its name.
    pub name: &'a str,
    /// Row positions of its columns, in key order.
    pub columns: &'a [usize],
    /// UNIQUE (always for a primary key).
    pub unique: bool,
    /// The primary key's index.
    pub primary: bool,
    /// The constraint it implements: OID and `contype` (`p` or `u`).
    pub constraint: Option<(u32, &'static str)>,
}

impl<'a> IndexView<'a> {
    /// A table's primary-key index, when it has a key.
    pub fn primary(t: &'a Table) -> Option<IndexView<'a>> {
        Some(IndexView {
            oid: pkey_index_oid(t.oid()),
            table: t,
            name: pkey_name(t)?,
            columns: &t.schema.primary_key,
            unique: true,
            primary: true,
            constraint: Some((pkey_constraint_oid(t.oid()), "p")),
        })
    }

    /// A secondary index of `t`.
    pub fn secondary(t: &'a Table, i: &'a IndexMeta) -> IndexView<'a> {
        IndexView {
            oid: i.id,
            table: t,
            name: &i.name,
            columns: &i.columns,
            unique: i.unique,
            primary: false,
            constraint: is_constraint(t, i).then(|| (unique_constraint_oid(i.id), "u")),
        }
    }

    /// The key's column numbers (attnum, 1-based).
    fn attnums(&self) -> Vec<Value> {
        self.columns
            .iter()
            .map(|k| i2(i16::try_from(k + 1).unwrap_or(i16::MAX)))
            .collect()
    }

    /// The key's columns as SQL: `a, b`.
    fn column_list(&self) -> String {
        self.columns
            .iter()
            .filter_map(|k| self.table.schema.columns.get(*k))
            .map(|c| quote_ident(&c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every index of every user table: for each table (in OID order) its
/// primary key, then its secondary indexes in OID order.
pub fn all_indexes(cat: &CatalogSnapshot) -> Result<Vec<IndexView<'_>>> {
    let mut out = Vec::new();
    for t in cat.tables()? {
        out.extend(IndexView::primary(t));
        for i in cat.indexes_of(t.oid())? {
            out.push(IndexView::secondary(t, i));
        }
    }
    Ok(out)
}

/// The index with this OID.
pub fn index_by_oid(cat: &CatalogSnapshot, oid: u32) -> Result<Option<IndexView<'_>>> {
    if let Some(t) = cat.table_by_pkey_oid(oid)? {
        return Ok(IndexView::primary(t).filter(|v| v.oid == oid));
    }
    Ok(cat
        .index_by_oid(oid)?
        .map(|(t, i)| IndexView::secondary(t, i)))
}

/// The index behind the constraint with this OID.
pub fn constraint_by_oid(cat: &CatalogSnapshot, oid: u32) -> Result<Option<IndexView<'_>>> {
    if let Some(t) = cat.table_by_pkey_oid(oid)? {
        return Ok(IndexView::primary(t).filter(|v| v.constraint.is_some_and(|c| c.0 == oid)));
    }
    Ok(cat
        .unique_constraint_by_oid(oid)?
        .map(|(t, i)| IndexView::secondary(t, i)))
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
    for ix in all_indexes(cat)? {
        let keys = ix.attnums();
        let n = i2(i16::try_from(keys.len()).unwrap_or(i16::MAX));
        let collations: Vec<Value> = ix
            .columns
            .iter()
            .filter_map(|k| ix.table.schema.columns.get(*k))
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
            oid(ix.oid),
            oid(ix.table.oid()),
            n.clone(),
            n,
            bool(ix.unique),
            f.clone(),
            bool(ix.primary),
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
            // No operator classes: each column's is "none".
            array(&vec![oid(0); keys.len()], 30),
            array(&options, 22),
            null(),
            null(),
        ]);
    }
    Ok(rows)
}

/// The `pg_indexes` view: every index with its definition.
fn index_view(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    Ok(all_indexes(cat)?
        .iter()
        .map(|ix| {
            vec![
                text("public"),
                text(ix.table.name()),
                text(ix.name),
                null(),
                text(index_def(ix, false)),
            ]
        })
        .collect())
}

fn constraints(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for ix in all_indexes(cat)? {
        let Some((con_oid, contype)) = ix.constraint else {
            continue;
        };
        let (t_, f) = (bool(true), bool(false));
        rows.push(vec![
            oid(con_oid),
            text(ix.name),
            oid(PUBLIC_OID),
            text(contype),
            f.clone(),
            f,
            t_.clone(),
            oid(ix.table.oid()),
            oid(0),
            oid(ix.oid),
            oid(0),
            oid(0),
            text(" "),
            text(" "),
            text(" "),
            t_.clone(),
            Value::Int4(0),
            t_,
            array(&ix.attnums(), 1005),
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

/// `pg_get_indexdef(index)`: `CREATE UNIQUE INDEX events_pkey ON
/// public.events USING btree (id)`; `pretty` leaves out the schema of a
/// table on the search path, as PostgreSQL's pretty form does.
pub fn index_def(ix: &IndexView<'_>, pretty: bool) -> String {
    format!(
        "CREATE {}INDEX {} ON {}{} USING btree ({})",
        if ix.unique { "UNIQUE " } else { "" },
        quote_ident(ix.name),
        if pretty { "" } else { "public." },
        quote_ident(ix.table.name()),
        ix.column_list()
    )
}

/// `pg_get_indexdef(index, column)`: the column's name.
pub fn index_column(ix: &IndexView<'_>, column: usize) -> Option<String> {
    let k = ix.columns.get(column.checked_sub(1)?)?;
    Some(quote_ident(&ix.table.schema.columns.get(*k)?.name))
}

/// `pg_get_constraintdef(constraint)`: `PRIMARY KEY (id)`, `UNIQUE (a, b)`.
pub fn constraint_def(ix: &IndexView<'_>) -> Option<String> {
    let kind = match ix.constraint?.1 {
        "p" => "PRIMARY KEY",
        _ => "UNIQUE",
    };
    Some(format!("{kind} ({})", ix.column_list()))
}
