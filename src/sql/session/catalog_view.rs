//! The planner's view of the catalog for one statement: the committed
//! tables, or the write transaction's tables (its own DDL included).

use crate::catalog::{SchemaCache, Table};
use crate::error::Result;
use crate::sql::planner::Catalog;
use crate::storage::TableMeta;

/// Tables as one statement sees them.
pub struct CatalogView<'a> {
    /// The storage listing.
    pub tables: Vec<TableMeta>,
    /// Decoded schemas.
    pub cache: &'a SchemaCache,
}

impl Catalog for CatalogView<'_> {
    fn table(&self, name: &str) -> Result<Option<Table>> {
        self.cache.lookup(&self.tables, name)
    }
}
