//! The catalog: table schemas as the SQL layer sees them.
//!
//! Storage keeps each table's schema as an opaque blob; this module owns what
//! is inside it ([`TableSchema`], msgpack-encoded) and how names resolve.
//! Columns have stable ids that survive renames, so a row version written
//! under an older schema can still be read in the table's current shape (a
//! column added later reads as NULL).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, SqlState};
use crate::storage::{TableId, TableMeta};
use crate::types::DataType;

/// OIDs of user tables start here, as in PostgreSQL (FirstNormalObjectId).
pub const FIRST_USER_OID: u32 = 16384;

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSchema {
    /// Stable column id (never reused within a table).
    pub id: u32,
    /// Column name.
    pub name: String,
    /// Declared type.
    pub ty: DataType,
    /// False when declared NOT NULL (primary-key columns are NOT NULL).
    pub nullable: bool,
    /// The DEFAULT expression as SQL text, if any.
    pub default: Option<String>,
}

/// A table's schema: the blob storage keeps for the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableSchema {
    /// Table name.
    pub name: String,
    /// Columns in declaration order; a row's values follow this order.
    pub columns: Vec<ColumnSchema>,
    /// Positions (into `columns`) of the primary-key columns, in key order.
    /// Empty: the table has no primary key and rows are keyed by a hidden row id.
    pub primary_key: Vec<usize>,
    /// The primary key's constraint name (`<table>_pkey` unless given).
    pub pkey_name: Option<String>,
    /// The next unused column id.
    pub next_column_id: u32,
    /// Names of the unique indexes that implement UNIQUE constraints
    /// declared with the table (the catalogs show those as constraints;
    /// other unique indexes come from CREATE UNIQUE INDEX). The indexes
    /// themselves are storage's ([`crate::storage::IndexMeta`]).
    #[serde(default)]
    pub unique_constraints: Vec<String>,
    /// For a view: its defining query's text (re-parsed and planned where
    /// the view is used); `None` for a table.
    #[serde(default)]
    pub view: Option<String>,
}

impl TableSchema {
    /// Decodes a schema blob.
    pub fn decode(blob: &[u8]) -> Result<TableSchema> {
        rmp_serde::from_slice(blob)
            .map_err(|e| Error::corrupted("schema", 0, format!("undecodable table schema: {e}")))
    }

    /// Encodes the schema as a blob for storage.
    pub fn encode(&self) -> Result<Vec<u8>> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    /// The position of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// A table resolved for a statement: its id, OID and decoded schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Storage id.
    pub id: TableId,
    /// The schema.
    pub schema: Arc<TableSchema>,
}

impl Table {
    /// The PostgreSQL OID reported for this table (RowDescription, catalogs):
    /// storage hands out table ids from `FIRST_USER_OID` up, so the id is
    /// the OID.
    pub fn oid(&self) -> u32 {
        self.id
    }

    /// The table name.
    pub fn name(&self) -> &str {
        &self.schema.name
    }
}

/// Decodes schema blobs once and remembers them, keyed by the blob's
/// identity, so a statement's name lookup costs a map probe.
#[derive(Debug, Default)]
pub struct SchemaCache {
    decoded: Mutex<HashMap<TableId, CachedSchema>>,
}

/// A schema blob and its decoded form.
type CachedSchema = (Arc<Vec<u8>>, Arc<TableSchema>);

impl SchemaCache {
    /// Finds `name` among `tables` (a storage listing) and decodes its schema.
    pub fn lookup(&self, tables: &[TableMeta], name: &str) -> Result<Option<Table>> {
        let Some(meta) = tables.iter().find(|t| t.name == name) else {
            return Ok(None);
        };
        self.resolve(meta).map(Some)
    }

    /// Decodes the schema of one table, from the cache when unchanged.
    pub fn resolve(&self, meta: &TableMeta) -> Result<Table> {
        let mut cache = self
            .decoded
            .lock()
            .map_err(|_| Error::Internal("schema cache lock poisoned".into()))?;
        if let Some((blob, schema)) = cache.get(&meta.id)
            && Arc::ptr_eq(blob, &meta.schema)
        {
            return Ok(Table {
                id: meta.id,
                schema: schema.clone(),
            });
        }
        let schema = Arc::new(TableSchema::decode(&meta.schema)?);
        cache.insert(meta.id, (meta.schema.clone(), schema.clone()));
        Ok(Table {
            id: meta.id,
            schema,
        })
    }
}

/// `relation "x" does not exist` (42P01).
pub fn undefined_table(name: &str) -> Error {
    Error::sql(
        SqlState::UNDEFINED_TABLE,
        format!("relation \"{name}\" does not exist"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> TableSchema {
        TableSchema {
            name: "events".into(),
            columns: vec![
                ColumnSchema {
                    id: 0,
                    name: "id".into(),
                    ty: DataType::Int4,
                    nullable: false,
                    default: None,
                },
                ColumnSchema {
                    id: 1,
                    name: "data".into(),
                    ty: DataType::Varchar(Some(10)),
                    nullable: true,
                    default: Some("'x'".into()),
                },
            ],
            primary_key: vec![0],
            pkey_name: Some("events_pkey".into()),
            next_column_id: 2,
            unique_constraints: vec![],
            view: None,
        }
    }

    #[test]
    fn schema_round_trips() {
        let s = schema();
        let blob = s.encode().unwrap();
        assert_eq!(TableSchema::decode(&blob).unwrap(), s);
        assert!(TableSchema::decode(&blob[..blob.len() / 2]).is_err());
    }

    #[test]
    fn cache_decodes_once_per_blob() {
        let blob = Arc::new(schema().encode().unwrap());
        let tables = vec![TableMeta {
            id: 3,
            name: "events".into(),
            schema: blob,
        }];
        let cache = SchemaCache::default();
        let a = cache.lookup(&tables, "events").unwrap().unwrap();
        let b = cache.lookup(&tables, "events").unwrap().unwrap();
        assert!(Arc::ptr_eq(&a.schema, &b.schema));
        assert_eq!(a.oid(), 3);
        assert!(cache.lookup(&tables, "nope").unwrap().is_none());
    }
}
