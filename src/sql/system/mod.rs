//! The system catalogs: `pg_catalog.pg_class`, `pg_attribute`, `pg_type`,
//! `pg_index`, ... and `information_schema.tables`/`columns`/`schemata`, as
//! psql, the drivers and the ORMs query them.
//!
//! Each system table is a [`SystemTable`]: a column list and a row
//! generator over a [`CatalogSnapshot`] (the user tables with their decoded
//! schemas and secondary indexes, the user and the database). The planner
//! materializes a system table's rows when it resolves the name (its rows
//! are constants for the statement) as a `Node::Values`; the catalog
//! functions (`sql::functions::catalog`) read the same snapshot. Every row
//! describes a real object: the user tables, their primary keys and
//! secondary indexes (ordered maps: `btree`), their UNIQUE and PRIMARY KEY
//! constraints, their columns and defaults, the types DriftDB has, and the
//! system tables themselves. Catalogs of things DriftDB does not have
//! (policies, inheritance, publications, sequences, comments) exist with
//! their columns and no rows.
//!
//! OIDs: a user table's OID is its storage id (from 16384 up), and so is a
//! secondary index's (storage hands both out from one id space); a primary
//! key's index and constraint, a UNIQUE constraint, and column defaults get
//! OIDs derived from those in ranges of their own ([`pkey_index_oid`],
//! [`pkey_constraint_oid`], [`unique_constraint_oid`], [`attrdef_oid`]).
//! System objects use PostgreSQL's OIDs where it has fixed ones (pg_class is
//! 1259, int4 is 23, pg_catalog is 11).
//!
//! Files: [`class`] (namespaces, relations, access methods), [`attribute`]
//! (columns, defaults, types), [`index`] (indexes, constraints), [`misc`]
//! (database, roles, and the catalogs that are empty), [`info_schema`].

pub mod attribute;
pub mod class;
pub mod index;
pub mod info_schema;
pub mod misc;

use std::sync::{Arc, OnceLock};

use crate::catalog::{Table, TableSchema};
use crate::error::Result;
use crate::storage::{IndexMeta, Storage, TableMeta};
use crate::types::{DataType, Row};

/// `pg_catalog`'s OID.
pub const PG_CATALOG_OID: u32 = 11;
/// `public`'s OID.
pub const PUBLIC_OID: u32 = 2200;
/// `information_schema`'s OID.
pub const INFORMATION_SCHEMA_OID: u32 = 13000;
/// `pg_toast`'s OID.
pub const PG_TOAST_OID: u32 = 99;
/// The OID of the one role (the bootstrap superuser's, as in PostgreSQL).
pub const OWNER_OID: u32 = 10;
/// The OID of the one database.
pub const DATABASE_OID: u32 = 5;
/// The `btree` access method: a primary key is an ordered map.
pub const BTREE_AM_OID: u32 = 403;
/// The `default` collation.
pub const DEFAULT_COLLATION_OID: u32 = 100;

/// The schemas: (OID, name).
pub const NAMESPACES: &[(u32, &str)] = &[
    (PG_CATALOG_OID, "pg_catalog"),
    (PUBLIC_OID, "public"),
    (INFORMATION_SCHEMA_OID, "information_schema"),
    (PG_TOAST_OID, "pg_toast"),
];

/// The OID of a user table's primary-key index.
pub fn pkey_index_oid(table_oid: u32) -> u32 {
    0x4000_0000 | (table_oid & 0x3FFF_FFFF)
}

/// The OID of a user table's primary-key constraint.
pub fn pkey_constraint_oid(table_oid: u32) -> u32 {
    0x8000_0000 | (table_oid & 0x3FFF_FFFF)
}

/// The OID of the UNIQUE constraint a secondary index implements (index
/// and table OIDs come from one id space, so these never meet
/// [`pkey_constraint_oid`]'s).
pub fn unique_constraint_oid(index_oid: u32) -> u32 {
    0x8000_0000 | (index_oid & 0x3FFF_FFFF)
}

/// The OID of a column default (`pg_attrdef.oid`).
pub fn attrdef_oid(table_oid: u32, attnum: i16) -> u32 {
    0xC000_0000 | ((table_oid & 0x7_FFFF) << 11) | (attnum as u32 & 0x7FF)
}

/// A system table: where it lives, its columns, and its rows.
pub struct SystemTable {
    /// `pg_catalog` or `information_schema`.
    pub schema: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its OID (PostgreSQL's where fixed).
    pub oid: u32,
    /// True for a view (`pg_tables`, `pg_roles`, `information_schema.*`).
    pub view: bool,
    /// Columns, in order.
    pub columns: &'static [(&'static str, DataType)],
    /// Generates the rows.
    pub rows: fn(&CatalogSnapshot) -> Result<Vec<Row>>,
}

impl std::fmt::Debug for SystemTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

impl SystemTable {
    /// The schema's OID.
    pub fn namespace_oid(&self) -> u32 {
        if self.schema == "information_schema" {
            INFORMATION_SCHEMA_OID
        } else {
            PG_CATALOG_OID
        }
    }
}

/// Every system table.
pub fn all() -> impl Iterator<Item = &'static SystemTable> {
    class::TABLES
        .iter()
        .chain(attribute::TABLES)
        .chain(index::TABLES)
        .chain(misc::TABLES)
        .chain(info_schema::TABLES)
}

/// The system table `schema.name` (`schema` `None`: an unqualified name,
/// which finds only `pg_catalog` tables, as the search path does).
pub fn lookup(schema: Option<&str>, name: &str) -> Option<&'static SystemTable> {
    let schema = schema.unwrap_or("pg_catalog");
    all().find(|t| t.schema == schema && t.name == name)
}

/// The system table with this OID.
pub fn by_oid(oid: u32) -> Option<&'static SystemTable> {
    all().find(|t| t.oid == oid)
}

/// Where a [`CatalogSnapshot`] finds the secondary indexes.
#[derive(Debug, Clone)]
pub enum IndexSource {
    /// None (tests, and callers that describe no indexes).
    None,
    /// The committed indexes, read from storage when first needed.
    Storage(Storage),
    /// Already listed (a transaction's own view after its DDL).
    Listed(Vec<IndexMeta>),
}

/// What the catalogs describe, for one statement: the user tables as the
/// statement's transaction sees them (decoded on first use), their
/// secondary indexes, the user and the database.
#[derive(Debug)]
pub struct CatalogSnapshot {
    metas: Arc<Vec<TableMeta>>,
    decoded: OnceLock<Result<Vec<Table>>>,
    index_source: IndexSource,
    indexes: OnceLock<Vec<IndexMeta>>,
    /// The session user (owner of everything).
    pub user: String,
    /// The current database.
    pub database: String,
}

impl CatalogSnapshot {
    /// A snapshot over a storage listing; schemas are decoded and indexes
    /// listed when first needed.
    pub fn new(
        metas: Arc<Vec<TableMeta>>,
        indexes: IndexSource,
        user: &str,
        database: &str,
    ) -> Arc<CatalogSnapshot> {
        Arc::new(CatalogSnapshot {
            metas,
            decoded: OnceLock::new(),
            index_source: indexes,
            indexes: OnceLock::new(),
            user: user.to_string(),
            database: database.to_string(),
        })
    }

    /// A snapshot of already decoded tables.
    pub fn of_tables(
        tables: Vec<Table>,
        indexes: IndexSource,
        user: &str,
        database: &str,
    ) -> Arc<CatalogSnapshot> {
        let decoded = OnceLock::new();
        let _ = decoded.set(Ok(sorted(tables)));
        Arc::new(CatalogSnapshot {
            metas: Arc::new(Vec::new()),
            decoded,
            index_source: indexes,
            indexes: OnceLock::new(),
            user: user.to_string(),
            database: database.to_string(),
        })
    }

    /// The user tables, in OID order.
    pub fn tables(&self) -> Result<&[Table]> {
        let decoded = self.decoded.get_or_init(|| {
            let tables = self
                .metas
                .iter()
                .map(|m| {
                    Ok(Table {
                        id: m.id,
                        schema: Arc::new(TableSchema::decode(&m.schema)?),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(sorted(tables))
        });
        match decoded {
            Ok(t) => Ok(t),
            Err(e) => Err(e.clone()),
        }
    }

    /// The secondary indexes of the user tables, in OID order.
    pub fn indexes(&self) -> Result<&[IndexMeta]> {
        let tables = self.tables()?;
        Ok(self.indexes.get_or_init(|| {
            let mut all: Vec<IndexMeta> = match &self.index_source {
                IndexSource::None => Vec::new(),
                IndexSource::Storage(s) => tables.iter().flat_map(|t| s.indexes(t.id)).collect(),
                IndexSource::Listed(l) => l.clone(),
            };
            all.retain(|i| tables.iter().any(|t| t.id == i.table));
            all.sort_by_key(|i| i.id);
            all
        }))
    }

    /// The secondary indexes of one table, in OID order.
    pub fn indexes_of(&self, table_oid: u32) -> Result<impl Iterator<Item = &IndexMeta>> {
        Ok(self.indexes()?.iter().filter(move |i| i.table == table_oid))
    }

    /// A secondary index by OID, with its table.
    pub fn index_by_oid(&self, oid: u32) -> Result<Option<(&Table, &IndexMeta)>> {
        let Some(index) = self.indexes()?.iter().find(|i| i.id == oid) else {
            return Ok(None);
        };
        Ok(self.table_by_oid(index.table)?.map(|t| (t, index)))
    }

    /// The table whose UNIQUE constraint has this OID, with the index
    /// behind it.
    pub fn unique_constraint_by_oid(&self, oid: u32) -> Result<Option<(&Table, &IndexMeta)>> {
        for i in self.indexes()? {
            if unique_constraint_oid(i.id) == oid
                && let Some(t) = self.table_by_oid(i.table)?
                && is_constraint(t, i)
            {
                return Ok(Some((t, i)));
            }
        }
        Ok(None)
    }

    /// True if `oid` is a user table or one of its indexes.
    pub fn is_user_relation(&self, oid: u32) -> Result<bool> {
        Ok(self.table_by_oid(oid)?.is_some()
            || self.table_by_pkey_oid(oid)?.is_some()
            || self.index_by_oid(oid)?.is_some())
    }

    /// The user table with this OID.
    pub fn table_by_oid(&self, oid: u32) -> Result<Option<&Table>> {
        Ok(self.tables()?.iter().find(|t| t.oid() == oid))
    }

    /// The user table whose primary-key index or constraint has this OID.
    pub fn table_by_pkey_oid(&self, oid: u32) -> Result<Option<&Table>> {
        Ok(self.tables()?.iter().find(|t| {
            !t.schema.primary_key.is_empty()
                && (pkey_index_oid(t.oid()) == oid || pkey_constraint_oid(t.oid()) == oid)
        }))
    }

    /// A relation by name (`schema` `None` searches `public`, then
    /// `pg_catalog`): its OID and canonical (unqualified) name.
    pub fn relation_by_name(
        &self,
        schema: Option<&str>,
        name: &str,
    ) -> Result<Option<(u32, String)>> {
        if matches!(schema, None | Some("public")) {
            for t in self.tables()? {
                if t.name() == name {
                    return Ok(Some((t.oid(), name.to_string())));
                }
                if pkey_name(t) == Some(name) {
                    return Ok(Some((pkey_index_oid(t.oid()), name.to_string())));
                }
            }
            if let Some(i) = self.indexes()?.iter().find(|i| i.name == name) {
                return Ok(Some((i.id, name.to_string())));
            }
            if schema.is_some() {
                return Ok(None);
            }
        }
        Ok(lookup(schema, name).map(|t| {
            let shown = match t.schema {
                "pg_catalog" => t.name.to_string(),
                s => format!("{s}.{}", t.name),
            };
            (t.oid, shown)
        }))
    }

    /// A relation's name by OID, as `regclass` prints it.
    pub fn relation_name(&self, oid: u32) -> Result<Option<String>> {
        if let Some(t) = self.table_by_oid(oid)? {
            return Ok(Some(t.name().to_string()));
        }
        if let Some(t) = self
            .tables()?
            .iter()
            .find(|t| pkey_index_oid(t.oid()) == oid)
        {
            return Ok(pkey_name(t).map(str::to_string));
        }
        if let Some((_, i)) = self.index_by_oid(oid)? {
            return Ok(Some(i.name.clone()));
        }
        Ok(by_oid(oid).map(|t| match t.schema {
            "pg_catalog" => t.name.to_string(),
            s => format!("{s}.{}", t.name),
        }))
    }
}

/// True if `index` implements a UNIQUE constraint of `t` (declared with
/// the table) rather than coming from CREATE UNIQUE INDEX.
pub fn is_constraint(t: &Table, index: &IndexMeta) -> bool {
    index.unique && t.schema.unique_constraints.contains(&index.name)
}

fn sorted(mut tables: Vec<Table>) -> Vec<Table> {
    tables.sort_by_key(|t| t.oid());
    tables
}

/// A table's primary-key constraint (and index) name, when it has a key.
pub fn pkey_name(t: &Table) -> Option<&str> {
    if t.schema.primary_key.is_empty() {
        None
    } else {
        t.schema.pkey_name.as_deref()
    }
}

/// Row-building shorthands for the generators.
pub(crate) mod v {
    use crate::types::Value;

    /// A text value.
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    /// An `oid` value.
    pub fn oid(o: u32) -> Value {
        Value::Int8(o as i64)
    }

    /// A boolean.
    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    /// An int2.
    pub fn i2(i: i16) -> Value {
        Value::Int2(i)
    }

    /// An int4.
    pub fn i4(i: i32) -> Value {
        Value::Int4(i)
    }

    /// NULL.
    pub fn null() -> Value {
        Value::Null
    }
}

/// Building tables for tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use std::sync::Arc;

    use crate::catalog::{ColumnSchema, Table, TableSchema};
    use crate::types::DataType;

    /// A table with these columns, primary key (positions) and a default
    /// `0` on its second column.
    pub fn table(id: u32, name: &str, key: Vec<usize>, cols: &[(&str, DataType)]) -> Table {
        Table {
            id,
            schema: Arc::new(TableSchema {
                name: name.into(),
                columns: cols
                    .iter()
                    .enumerate()
                    .map(|(i, (n, t))| ColumnSchema {
                        id: i as u32,
                        name: n.to_string(),
                        ty: *t,
                        nullable: !key.contains(&i),
                        default: (i == 1).then(|| "0".to_string()),
                    })
                    .collect(),
                pkey_name: (!key.is_empty()).then(|| format!("{name}_pkey")),
                primary_key: key,
                next_column_id: cols.len() as u32,
                unique_constraints: vec![],
                view: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
