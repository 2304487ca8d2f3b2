//! The in-memory form of a transaction's overlay (`super::overlay`): the
//! form every transaction starts in, and the only one small transactions
//! ever use, so it is kept exactly as cheap as plain maps.
//!
//! Besides the rows, the savepoint undo log and the overlay index entries,
//! it keeps an estimate of the bytes they hold ([`MemOverlay::bytes`]),
//! maintained on every change, which decides when the overlay spills to a
//! scratch file. The estimate counts each entry's key and row bytes plus a
//! fixed per-entry cost for the map and the `Vec` headers.

use std::collections::BTreeMap;
use std::mem::size_of;

use super::cat_indexes;
use super::overlay::{CatRec, Dropped, Pending};
use crate::error::{Error, Result};
use crate::storage::catalog_store::Catalog;
use crate::storage::index::overlay::{OverlayIndexes, OverlayRows};
use crate::storage::{IndexMeta, TableId};
use crate::types::{Row, Value};

/// A table's overlay: primary key → its state.
pub(super) type MemTable = BTreeMap<Vec<u8>, Pending>;

/// One undo record.
#[derive(Debug)]
pub(super) enum Undo {
    /// `key` of `table` was `prev` (`None`: not in the overlay).
    Data {
        table: TableId,
        key: Vec<u8>,
        prev: Option<Pending>,
    },
    /// A catalog change; a dropped table's overlay rows travel with it.
    Catalog(CatRec<MemTable>),
}

/// The fixed cost of one map entry beyond its key and row bytes: the key's
/// `Vec` header, the value, its share of the tree node, and the allocator's
/// overhead on the key and the row (measured: a million 4-column rows hold
/// about 535 bytes each, estimated at about 470).
const ENTRY_COST: usize = 96;

/// The allocator's overhead on each string.
const ALLOC_COST: usize = 16;

/// The estimated bytes a row holds (headers, values, text).
pub(super) fn row_bytes(row: &Row) -> usize {
    let heap: usize = row
        .iter()
        .map(|v| match v {
            Value::Text(s) | Value::Json(s) => s.capacity() + ALLOC_COST,
            _ => 0,
        })
        .sum();
    size_of::<Row>() + row.capacity() * size_of::<Value>() + heap
}

/// The estimated bytes of an overlay entry (or undo record) for `key`.
pub(super) fn entry_bytes(key: &[u8], p: Option<&Pending>) -> usize {
    ENTRY_COST + key.len() + p.and_then(|p| p.row.as_ref()).map_or(0, row_bytes)
}

/// The in-memory overlay. See the module docs.
#[derive(Debug, Default)]
pub(super) struct MemOverlay {
    pub(super) data: BTreeMap<TableId, MemTable>,
    pub(super) undo: Vec<Undo>,
    pub(super) ix: OverlayIndexes,
    /// Estimated bytes of `data` and `undo` (`ix` keeps its own).
    rows_bytes: usize,
}

impl MemOverlay {
    /// Estimated bytes held (rows, undo records, index entries).
    pub(super) fn bytes(&self) -> usize {
        self.rows_bytes + self.ix.bytes()
    }

    pub(super) fn get(&self, table: TableId, key: &[u8]) -> Option<&Pending> {
        self.data.get(&table).and_then(|m| m.get(key))
    }

    /// Sets `key` to `p`, keeping the index entries of `ixs` (the table's
    /// indexes) and, if `record`, an undo record. An index key that does
    /// not encode is returned (the row is set all the same).
    pub(super) fn set<'a>(
        &mut self,
        ixs: impl Iterator<Item = &'a IndexMeta>,
        table: TableId,
        key: Vec<u8>,
        p: Pending,
        record: bool,
    ) -> Result<()> {
        let map = self.data.entry(table).or_default();
        let old = map.get(&key).and_then(|q| q.row.as_ref());
        let ix = self.ix.update(ixs, &key, old, p.row.as_ref());
        let added = entry_bytes(&key, Some(&p));
        let prev = map.insert(key.clone(), p);
        let replaced = prev.as_ref().map_or(0, |q| entry_bytes(&key, Some(q)));
        self.rows_bytes = (self.rows_bytes + added).saturating_sub(replaced);
        if record {
            self.rows_bytes += entry_bytes(&key, prev.as_ref());
            self.undo.push(Undo::Data { table, key, prev });
        }
        ix
    }

    /// Pops undo records down to `sp`, applying data records with the
    /// indexes of `cat`; stops at (and returns) a catalog record, whose
    /// dropped table's rows are back in the overlay. Index keys that do not
    /// encode are reported in `ix_err`.
    pub(super) fn undo_step(
        &mut self,
        sp: usize,
        cat: &Catalog,
        ix_err: &mut Option<Error>,
    ) -> Option<CatRec<()>> {
        while self.undo.len() > sp {
            match self.undo.pop()? {
                Undo::Data { table, key, prev } => {
                    let map = self.data.entry(table).or_default();
                    let now = map.get(&key).and_then(|q| q.row.as_ref());
                    let was = prev.as_ref().and_then(|q| q.row.as_ref());
                    if let Err(e) = self.ix.update(cat_indexes(cat, table), &key, now, was) {
                        ix_err.get_or_insert(e);
                    }
                    // The record's bytes now live in the map entry (or are
                    // gone with it); the entry replaced is freed.
                    let record = entry_bytes(&key, prev.as_ref());
                    let restored = prev.as_ref().map_or(0, |q| entry_bytes(&key, Some(q)));
                    let gone = match prev {
                        Some(p) => map.insert(key.clone(), p),
                        None => map.remove(&key),
                    };
                    let now = gone.as_ref().map_or(0, |q| entry_bytes(&key, Some(q)));
                    self.rows_bytes = (self.rows_bytes + restored).saturating_sub(record + now);
                }
                Undo::Catalog(rec) => {
                    let dropped = rec.dropped.map(|d| {
                        self.data.insert(d.table, d.rows);
                        Dropped {
                            table: d.table,
                            rowid: d.rowid,
                            rows: (),
                        }
                    });
                    return Some(CatRec {
                        prev: rec.prev,
                        dropped,
                    });
                }
            }
        }
        None
    }

    /// Takes a dropped table's rows out of the overlay (for its undo record,
    /// or to forget them).
    pub(super) fn take_table(&mut self, table: TableId, keep: bool) -> Option<MemTable> {
        let data = self.data.remove(&table)?;
        if !keep {
            let freed: usize = data.iter().map(|(k, p)| entry_bytes(k, Some(p))).sum();
            self.rows_bytes = self.rows_bytes.saturating_sub(freed);
        }
        Some(data)
    }

    /// Pushes a catalog undo record.
    pub(super) fn push_catalog(&mut self, rec: CatRec<MemTable>) {
        self.undo.push(Undo::Catalog(rec));
    }

    /// True if any table's overlay has an entry.
    pub(super) fn has_rows(&self) -> bool {
        self.data.values().any(|m| !m.is_empty())
    }
}

/// The live rows of `table` in `data`.
pub(super) fn live_rows(
    data: &BTreeMap<TableId, MemTable>,
    table: TableId,
) -> impl Iterator<Item = (&[u8], &Row)> {
    data.get(&table)
        .into_iter()
        .flatten()
        .filter_map(|(k, p)| p.row.as_ref().map(|r| (k.as_slice(), r)))
}

impl OverlayRows for MemTable {
    fn touched(&self, pk: &[u8]) -> Result<bool> {
        Ok(self.contains_key(pk))
    }

    fn row(&self, pk: &[u8]) -> Result<Option<Row>> {
        Ok(self.get(pk).and_then(|p| p.row.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn meta() -> IndexMeta {
        IndexMeta {
            id: 7,
            table: 1,
            name: "i".into(),
            columns: vec![0],
            unique: false,
        }
    }

    fn p(v: i64, text: &str) -> Pending {
        Pending {
            base_exists: v % 2 == 0,
            row: Some(vec![Value::Int8(v), Value::Text(text.into())]),
        }
    }

    /// The estimate of the entries held now, computed from scratch.
    fn recount(m: &MemOverlay) -> usize {
        let rows: usize = m
            .data
            .values()
            .flatten()
            .map(|(k, p)| entry_bytes(k, Some(p)))
            .sum();
        let undo: usize = m
            .undo
            .iter()
            .map(|u| match u {
                Undo::Data { key, prev, .. } => entry_bytes(key, prev.as_ref()),
                Undo::Catalog(_) => 0,
            })
            .sum();
        rows + undo
    }

    #[test]
    fn the_estimate_follows_sets_and_undo() {
        let mut cat = Catalog::default();
        let m0 = meta();
        let store = Arc::new(crate::storage::index::IndexStore::new(7, dummy_btree()));
        cat.indexes.insert(
            7,
            crate::storage::catalog_store::IndexDef { meta: m0, store },
        );
        let mut m = MemOverlay::default();
        for i in 0..50u8 {
            let key = vec![i % 20];
            let text = "t".repeat(usize::from(i));
            m.set(cat_indexes(&cat, 1), 1, key, p(i64::from(i), &text), false)
                .expect("set");
            assert_eq!(m.rows_bytes, recount(&m));
        }
        let entries = m.ix.bytes();
        assert!(entries > 20 * 50, "20 index entries: {entries}");
        for i in 0..60u8 {
            let pend = if i % 3 == 0 {
                Pending {
                    base_exists: true,
                    row: None,
                }
            } else {
                p(i64::from(i), "x")
            };
            m.set(cat_indexes(&cat, 1), 1, vec![i % 30], pend, true)
                .expect("set");
            assert_eq!(m.rows_bytes, recount(&m));
        }
        let mut err = None;
        assert!(m.undo_step(0, &cat, &mut err).is_none());
        assert!(err.is_none());
        assert_eq!(m.rows_bytes, recount(&m));
        assert_eq!(m.ix.bytes(), entries, "the index entries are as before");
        let all = m.bytes();
        m.take_table(1, false);
        assert_eq!(m.rows_bytes, 0);
        assert!(m.bytes() < all);
    }

    fn dummy_btree() -> Arc<crate::storage::btree::BTreeStore> {
        use crate::storage::io::FileSystem;
        let fs = crate::storage::io::mem::MemFs::new();
        fs.create_dir(std::path::Path::new("/b")).expect("dir");
        crate::storage::btree::BTreeStore::open(&fs, std::path::Path::new("/b"), 1 << 20)
            .expect("open")
    }
}
