//! The planner's view of the catalog for one statement: the committed
//! tables, or the write transaction's tables (its own DDL included), their
//! secondary indexes, and the snapshot the system catalogs are generated
//! from.

use std::cell::OnceCell;
use std::sync::Arc;

use crate::catalog::{SchemaCache, Table};
use crate::error::Result;
use crate::sql::planner::Catalog;
use crate::sql::system::{CatalogSnapshot, IndexSource};
use crate::storage::{IndexMeta, Storage, TableId, TableMeta, WriteTxn};

/// Tables as one statement sees them.
pub struct CatalogView<'a> {
    /// The storage listing.
    pub tables: Arc<Vec<TableMeta>>,
    /// Decoded schemas.
    pub cache: &'a SchemaCache,
    /// The session user.
    pub user: &'a str,
    /// The current database.
    pub database: &'a str,
    /// The storage engine (committed indexes).
    pub storage: &'a Storage,
    /// The write transaction, when the statement runs in one (its indexes
    /// include its own uncommitted DDL).
    pub txn: Option<&'a WriteTxn>,
    /// The system catalogs' snapshot, built on first use.
    pub snapshot: OnceCell<Arc<CatalogSnapshot>>,
}

impl<'a> CatalogView<'a> {
    /// A view over the storage's committed catalog, or over a write
    /// transaction's.
    pub fn new(
        storage: &'a Storage,
        txn: Option<&'a WriteTxn>,
        cache: &'a SchemaCache,
        user: &'a str,
        database: &'a str,
    ) -> Self {
        let tables = match txn {
            Some(w) => Arc::new(w.tables()),
            None => storage.tables(),
        };
        CatalogView {
            tables,
            cache,
            user,
            database,
            storage,
            txn,
            snapshot: OnceCell::new(),
        }
    }

    /// Where the system catalogs read the indexes from: storage (lazily)
    /// unless the transaction changed the catalog, whose view is listed now.
    pub fn index_source(&self) -> IndexSource {
        match self.txn {
            Some(w) if w.has_ddl() => {
                IndexSource::Listed(self.tables.iter().flat_map(|t| w.indexes(t.id)).collect())
            }
            _ => IndexSource::Storage(self.storage.clone()),
        }
    }
}

impl Catalog for CatalogView<'_> {
    fn table(&self, name: &str) -> Result<Option<Table>> {
        self.cache.lookup(&self.tables, name)
    }

    fn indexes(&self, table: TableId) -> Result<Vec<IndexMeta>> {
        Ok(match self.txn {
            Some(w) => w.indexes(table),
            None => self.storage.indexes(table),
        })
    }

    fn snapshot(&self) -> Result<Arc<CatalogSnapshot>> {
        if let Some(s) = self.snapshot.get() {
            return Ok(s.clone());
        }
        let tables = self
            .tables
            .iter()
            .map(|m| self.cache.resolve(m))
            .collect::<Result<Vec<_>>>()?;
        let s = CatalogSnapshot::of_tables(tables, self.index_source(), self.user, self.database);
        Ok(self.snapshot.get_or_init(|| s).clone())
    }
}
