//! The planner's view of the catalog for one statement: the committed
//! tables, or the write transaction's tables (its own DDL included), and
//! the snapshot the system catalogs are generated from.

use std::cell::OnceCell;
use std::sync::Arc;

use crate::catalog::{SchemaCache, Table};
use crate::error::Result;
use crate::sql::planner::Catalog;
use crate::sql::system::CatalogSnapshot;
use crate::storage::TableMeta;

/// Tables as one statement sees them.
pub struct CatalogView<'a> {
    /// The storage listing.
    pub tables: Vec<TableMeta>,
    /// Decoded schemas.
    pub cache: &'a SchemaCache,
    /// The session user.
    pub user: &'a str,
    /// The current database.
    pub database: &'a str,
    /// The system catalogs' snapshot, built on first use.
    pub snapshot: OnceCell<Arc<CatalogSnapshot>>,
}

impl<'a> CatalogView<'a> {
    /// A view over a storage listing.
    pub fn new(
        tables: Vec<TableMeta>,
        cache: &'a SchemaCache,
        user: &'a str,
        database: &'a str,
    ) -> Self {
        CatalogView {
            tables,
            cache,
            user,
            database,
            snapshot: OnceCell::new(),
        }
    }
}

impl Catalog for CatalogView<'_> {
    fn table(&self, name: &str) -> Result<Option<Table>> {
        self.cache.lookup(&self.tables, name)
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
        let s = CatalogSnapshot::of_tables(tables, self.user, self.database);
        Ok(self.snapshot.get_or_init(|| s).clone())
    }
}
