//! A write transaction's index operations: CREATE and DROP INDEX in its
//! private catalog, and index scans that see its own writes.
//!
//! CREATE INDEX fills the new index from the table's whole committed
//! history at once (the transaction holds the write path, so that history
//! cannot change meanwhile) and indexes the overlay's rows; the index joins
//! the transaction's copy-on-write catalog, so it is visible to this
//! transaction at once, to others when the commit is published, and gone
//! with a rollback or a `rollback_to` an earlier savepoint (which then
//! re-indexes the overlay for the indexes of the restored catalog).

use std::ops::Bound;
use std::sync::Arc;

use super::{MAX_DIR_NAME, TxnState, cat_indexes, duplicate};
use crate::error::{Result, SqlState};
use crate::sql_err;
use crate::storage::catalog_store::IndexDef;
use crate::storage::index::overlay::TxnIndexScan;
use crate::storage::index::scan::IndexScanIter;
use crate::storage::index::{IndexStore, undefined_index};
use crate::storage::table::LATEST;
use crate::storage::{IndexId, IndexMeta, TableId};
use crate::types::Row;

impl TxnState {
    /// The indexes of `table` as this transaction sees them.
    pub fn indexes(&self, table: TableId) -> Vec<IndexMeta> {
        cat_indexes(self.cat(), table).cloned().collect()
    }

    /// The index named `name`, as this transaction sees it.
    pub fn index_by_name(&self, name: &str) -> Option<IndexMeta> {
        self.cat().index_by_name(name).map(|i| i.meta.clone())
    }

    /// CREATE INDEX: see the module docs.
    pub fn create_index(
        &mut self,
        table: TableId,
        name: &str,
        columns: Vec<usize>,
        unique: bool,
    ) -> Result<IndexId> {
        if name.is_empty() {
            return Err(sql_err!(
                SqlState::INVALID_PARAMETER_VALUE,
                "index name must not be empty"
            ));
        }
        if name.len() > MAX_DIR_NAME {
            return Err(sql_err!(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "index name \"{name}\" is too long"
            ));
        }
        if columns.is_empty() {
            return Err(sql_err!(
                SqlState::INVALID_PARAMETER_VALUE,
                "an index needs at least one column"
            ));
        }
        let store = self.store(table)?;
        if self.cat().name_taken(name, None) {
            return Err(duplicate(name));
        }
        let id = self.cat().next_table_id;
        let next = id
            .checked_add(1)
            .ok_or_else(|| sql_err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "table ids exhausted"))?;
        let meta = IndexMeta {
            id,
            table,
            name: name.to_string(),
            columns,
            unique,
        };
        let ix = IndexStore::new(id, self.inner.btree.clone());
        self.building.add(id);
        ix.fill(&store, &meta.columns, &meta.name)?;
        self.ov.add_index(&meta)?;
        let c = self.cat_mut(true);
        c.next_table_id = next;
        let store = Arc::new(ix);
        c.indexes.insert(id, IndexDef { meta, store });
        Ok(id)
    }

    /// DROP INDEX.
    pub fn drop_index(&mut self, id: IndexId) -> Result<()> {
        if !self.cat().indexes.contains_key(&id) {
            return Err(undefined_index(id));
        }
        self.ov.remove_index(id)?;
        self.cat_mut(true).indexes.remove(&id);
        Ok(())
    }

    /// Current rows whose key in `id` is in the range, as this transaction
    /// sees them: committed entries of keys it did not touch, merged with
    /// entries of its own rows.
    #[allow(clippy::type_complexity)] // mirrors `scan`
    pub fn index_scan(
        &self,
        id: IndexId,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Result<Box<dyn Iterator<Item = Result<(Vec<u8>, Row)>> + '_>> {
        if let Some(e) = self.ov.ix_error() {
            return Err(e.clone());
        }
        let def = self
            .cat()
            .indexes
            .get(&id)
            .ok_or_else(|| undefined_index(id))?;
        let table = self.store(def.meta.table)?;
        let base = IndexScanIter::new(def.store.clone(), table, LATEST, &lower, &upper);
        let over = self.ov.ix_range(id, &lower, &upper)?;
        let rows = self.ov.rows_of(def.meta.table);
        Ok(Box::new(TxnIndexScan::new(base, over, rows)))
    }

    /// Re-indexes the overlay for every index of the current catalog (after
    /// a savepoint rollback restored an earlier catalog).
    pub(super) fn rebuild_overlay_indexes(&mut self) {
        let cat = self.catalog.as_ref().unwrap_or(&self.base);
        self.ov.rebuild_indexes(cat);
    }
}
