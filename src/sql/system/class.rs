//! `pg_namespace`, `pg_class`, `pg_am` and the `pg_tables` view: the
//! schemas, the relations (user tables, their primary-key and secondary
//! indexes, and the system tables themselves) and the one access method
//! DriftDB has.

use super::v::{bool, i2, i4, null, oid, text};
use super::{
    BTREE_AM_OID, CatalogSnapshot, NAMESPACES, OWNER_OID, PUBLIC_OID, SystemTable, pkey_index_oid,
    pkey_name,
};
use crate::error::Result;
use crate::types::{DataType as T, Row, Value};

const TEXT_ARRAY: T = T::Array(1009);

/// The system tables of this file.
pub static TABLES: &[SystemTable] = &[
    SystemTable {
        schema: "pg_catalog",
        name: "pg_namespace",
        oid: 2615,
        view: false,
        columns: &[("oid", T::Oid), ("nspname", T::Text), ("nspowner", T::Oid)],
        rows: namespaces,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_class",
        oid: 1259,
        view: false,
        columns: &[
            ("oid", T::Oid),
            ("relname", T::Text),
            ("relnamespace", T::Oid),
            ("reltype", T::Oid),
            ("reloftype", T::Oid),
            ("relowner", T::Oid),
            ("relam", T::Oid),
            ("relfilenode", T::Oid),
            ("reltablespace", T::Oid),
            ("relpages", T::Int4),
            ("reltuples", T::Float4),
            ("relallvisible", T::Int4),
            ("reltoastrelid", T::Oid),
            ("relhasindex", T::Bool),
            ("relisshared", T::Bool),
            ("relpersistence", T::Text),
            ("relkind", T::Text),
            ("relnatts", T::Int2),
            ("relchecks", T::Int2),
            ("relhasrules", T::Bool),
            ("relhastriggers", T::Bool),
            ("relhassubclass", T::Bool),
            ("relrowsecurity", T::Bool),
            ("relforcerowsecurity", T::Bool),
            ("relispopulated", T::Bool),
            ("relreplident", T::Text),
            ("relispartition", T::Bool),
            ("relrewrite", T::Oid),
            ("reloptions", TEXT_ARRAY),
            ("relpartbound", T::Text),
        ],
        rows: classes,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_am",
        oid: 2601,
        view: false,
        columns: &[("oid", T::Oid), ("amname", T::Text), ("amtype", T::Text)],
        rows: access_methods,
    },
    SystemTable {
        schema: "pg_catalog",
        name: "pg_tables",
        oid: 12010,
        view: true,
        columns: &[
            ("schemaname", T::Text),
            ("tablename", T::Text),
            ("tableowner", T::Text),
            ("tablespace", T::Text),
            ("hasindexes", T::Bool),
            ("hasrules", T::Bool),
            ("hastriggers", T::Bool),
            ("rowsecurity", T::Bool),
        ],
        rows: pg_tables,
    },
];

fn namespaces(_: &CatalogSnapshot) -> Result<Vec<Row>> {
    Ok(NAMESPACES
        .iter()
        .map(|(o, n)| vec![oid(*o), text(*n), oid(OWNER_OID)])
        .collect())
}

/// One pg_class row; `kind` is relkind, `am` the access method (0: none).
struct Rel<'a> {
    oid: u32,
    name: &'a str,
    namespace: u32,
    kind: &'static str,
    am: u32,
    natts: usize,
    has_index: bool,
}

impl Rel<'_> {
    fn row(&self) -> Row {
        let f = bool(false);
        vec![
            oid(self.oid),
            text(self.name),
            oid(self.namespace),
            oid(0),
            oid(0),
            oid(OWNER_OID),
            oid(self.am),
            oid(if self.kind == "v" { 0 } else { self.oid }),
            oid(0),
            i4(0),
            Value::Float4(-1.0),
            i4(0),
            oid(0),
            bool(self.has_index),
            f.clone(),
            text("p"),
            text(self.kind),
            i2(i16::try_from(self.natts).unwrap_or(i16::MAX)),
            i2(0),
            f.clone(),
            f.clone(),
            f.clone(),
            f.clone(),
            f.clone(),
            bool(true),
            text(if self.kind == "v" { "n" } else { "d" }),
            f,
            oid(0),
            null(),
            null(),
        ]
    }
}

fn classes(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for t in cat.tables()? {
        let key = pkey_name(t);
        rows.push(
            Rel {
                oid: t.oid(),
                name: t.name(),
                namespace: PUBLIC_OID,
                kind: if t.schema.view.is_some() { "v" } else { "r" },
                am: 0,
                natts: t.schema.columns.len(),
                has_index: key.is_some() || cat.indexes_of(t.oid())?.next().is_some(),
            }
            .row(),
        );
        for i in cat.indexes_of(t.oid())? {
            rows.push(
                Rel {
                    oid: i.id,
                    name: &i.name,
                    namespace: PUBLIC_OID,
                    kind: "i",
                    am: BTREE_AM_OID,
                    natts: i.columns.len(),
                    has_index: false,
                }
                .row(),
            );
        }
        if let Some(key) = key {
            rows.push(
                Rel {
                    oid: pkey_index_oid(t.oid()),
                    name: key,
                    namespace: PUBLIC_OID,
                    kind: "i",
                    am: BTREE_AM_OID,
                    natts: t.schema.primary_key.len(),
                    has_index: false,
                }
                .row(),
            );
        }
    }
    for s in super::all() {
        rows.push(
            Rel {
                oid: s.oid,
                name: s.name,
                namespace: s.namespace_oid(),
                kind: if s.view { "v" } else { "r" },
                am: 0,
                natts: s.columns.len(),
                has_index: false,
            }
            .row(),
        );
    }
    Ok(rows)
}

fn access_methods(_: &CatalogSnapshot) -> Result<Vec<Row>> {
    Ok(vec![vec![oid(BTREE_AM_OID), text("btree"), text("i")]])
}

fn pg_tables(cat: &CatalogSnapshot) -> Result<Vec<Row>> {
    let f = bool(false);
    let mut rows: Vec<Row> = cat
        .tables()?
        .iter()
        .map(|t| {
            let indexed = pkey_name(t).is_some() || cat.indexes_of(t.oid())?.next().is_some();
            Ok(vec![
                text("public"),
                text(t.name()),
                text(&cat.user),
                null(),
                bool(indexed),
                f.clone(),
                f.clone(),
                f.clone(),
            ])
        })
        .collect::<Result<_>>()?;
    for s in super::all().filter(|s| !s.view) {
        rows.push(vec![
            text(s.schema),
            text(s.name),
            text(&cat.user),
            null(),
            f.clone(),
            f.clone(),
            f.clone(),
            f.clone(),
        ]);
    }
    Ok(rows)
}
