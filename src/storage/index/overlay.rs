//! A write transaction's view of its indexes: the committed entries merged
//! with entries for the rows of its private overlay.
//!
//! The overlay of a table maps each primary key the transaction touched to
//! its row now (or deleted). [`OverlayIndexes`] keeps, per index, the entry
//! keys of the overlay rows that exist now, updated on every write and
//! savepoint undo, so that a lookup in a transaction that has written a
//! million rows still costs O(log n) (the SQL layer checks uniqueness through
//! these lookups before each write). [`TxnIndexScan`] merges them with a
//! scan of the committed index at the latest applied seq, skipping the
//! committed entries of every key the overlay touched: for those, the
//! overlay's row decides.

use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::Bound;

use super::scan::IndexScanIter;
use super::{entry_bounds, entry_key, index_key};
use crate::error::Result;
use crate::storage::{IndexId, IndexMeta};
use crate::types::Row;

/// What a transaction's overlay of one table tells an index scan. Rows are
/// returned owned: a spilled overlay (`storage::txn::spill`) decodes them
/// from its scratch file.
pub trait OverlayRows {
    /// True if the transaction wrote (or deleted) the row with `pk`.
    fn touched(&self, pk: &[u8]) -> Result<bool>;
    /// The row with `pk` as the transaction sees it, if it wrote one.
    fn row(&self, pk: &[u8]) -> Result<Option<Row>>;
}

/// Overlay index entries in (index key, primary key) order: the entry key
/// (index key ++ primary key) and the index key's length.
pub type OverlayEntries<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, usize)>> + 'a>;

/// The estimated bytes of one kept entry: its key, the `Vec` header, the
/// length and its share of the tree node.
fn entry_cost(ek: &[u8]) -> usize {
    56 + ek.len()
}

/// Entry keys (index key ++ primary key → index key length) of the overlay
/// rows, per index.
#[derive(Debug, Default, Clone)]
pub struct OverlayIndexes {
    by_index: BTreeMap<IndexId, BTreeMap<Vec<u8>, usize>>,
    /// Estimated bytes held (see [`OverlayIndexes::bytes`]).
    bytes: usize,
}

impl OverlayIndexes {
    /// Records that the overlay row of `pk` changed from `old` to `new`
    /// (`None`: absent from the overlay, or deleted), for each of the
    /// table's `indexes`.
    pub fn update<'a>(
        &mut self,
        indexes: impl Iterator<Item = &'a IndexMeta>,
        pk: &[u8],
        old: Option<&Row>,
        new: Option<&Row>,
    ) -> Result<()> {
        for m in indexes {
            let map = self.by_index.entry(m.id).or_default();
            if let Some(old) = old {
                let ek = entry_key(&index_key(old, &m.columns)?, pk);
                if map.remove(&ek).is_some() {
                    self.bytes = self.bytes.saturating_sub(entry_cost(&ek));
                }
            }
            if let Some(new) = new {
                let ikey = index_key(new, &m.columns)?;
                let ek = entry_key(&ikey, pk);
                let cost = entry_cost(&ek);
                if map.insert(ek, ikey.len()).is_none() {
                    self.bytes += cost;
                }
            }
        }
        Ok(())
    }

    /// Indexes `rows` (the overlay rows of the index's table) for `meta`,
    /// replacing what was kept for it.
    pub fn add_index<'a>(
        &mut self,
        meta: &IndexMeta,
        rows: impl Iterator<Item = (&'a [u8], &'a Row)>,
    ) -> Result<()> {
        let mut map = BTreeMap::new();
        for (pk, row) in rows {
            let ikey = index_key(row, &meta.columns)?;
            map.insert(entry_key(&ikey, pk), ikey.len());
        }
        self.remove_index(meta.id);
        self.bytes += map.keys().map(|k| entry_cost(k)).sum::<usize>();
        self.by_index.insert(meta.id, map);
        Ok(())
    }

    /// Forgets an index.
    pub fn remove_index(&mut self, id: IndexId) {
        if let Some(m) = self.by_index.remove(&id) {
            let freed: usize = m.keys().map(|k| entry_cost(k)).sum();
            self.bytes = self.bytes.saturating_sub(freed);
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.by_index.clear();
        self.bytes = 0;
    }

    /// The estimated bytes the entries hold.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Every entry: (index, entry key, index key length), by index then key.
    pub fn entries(&self) -> impl Iterator<Item = (IndexId, &[u8], usize)> {
        self.by_index
            .iter()
            .flat_map(|(id, m)| m.iter().map(move |(k, l)| (*id, k.as_slice(), *l)))
    }

    /// The overlay entries of `id` within prefix-aware index-key bounds.
    pub fn range(
        &self,
        id: IndexId,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Option<OverlayEntries<'_>> {
        let (lo, hi) = entry_bounds(lower, upper)?;
        let m = self.by_index.get(&id)?;
        Some(Box::new(
            m.range((lo, hi)).map(|(k, l)| Ok((k.clone(), *l))),
        ))
    }
}

/// A transaction's index scan: committed entries of untouched keys merged
/// with overlay entries, in (index key, primary key) order, as (primary
/// key, row).
pub struct TxnIndexScan<'a> {
    base: Peekable<IndexScanIter>,
    over: Option<Peekable<OverlayEntries<'a>>>,
    rows: Option<Box<dyn OverlayRows + 'a>>,
}

impl<'a> TxnIndexScan<'a> {
    /// Merges `base` (a scan at the latest applied seq) with `over`, the
    /// overlay entries in the same range; `rows` is the table's overlay.
    pub fn new(
        base: IndexScanIter,
        over: Option<OverlayEntries<'a>>,
        rows: Option<Box<dyn OverlayRows + 'a>>,
    ) -> Self {
        TxnIndexScan {
            base: base.peekable(),
            over: over.map(Iterator::peekable),
            rows,
        }
    }

    /// Skips committed entries of keys the overlay touched.
    fn skip_touched(&mut self) -> Result<()> {
        let Some(rows) = &self.rows else {
            return Ok(());
        };
        while let Some(Ok((_, pk, _))) = self.base.peek() {
            if !rows.touched(pk)? {
                break;
            }
            self.base.next();
        }
        Ok(())
    }
}

impl Iterator for TxnIndexScan<'_> {
    type Item = Result<(Vec<u8>, Row)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Err(e) = self.skip_touched() {
                return Some(Err(e));
            }
            let over = self.over.as_mut().and_then(|o| o.peek());
            let base_first = match (self.base.peek(), over) {
                (None, None) => return None,
                (Some(_), None) | (Some(Err(_)), _) => true,
                (_, Some(Err(_))) | (None, Some(_)) => false,
                (Some(Ok((bi, bp, _))), Some(Ok((ek, len)))) => {
                    let (oi, op) = ek.split_at(*len);
                    (bi.as_slice(), bp.as_slice()) < (oi, op)
                }
            };
            if base_first {
                return self.base.next().map(|r| r.map(|(_, pk, row)| (pk, row)));
            }
            let (ek, len) = match self.over.as_mut().and_then(|o| o.next())? {
                Ok(e) => e,
                Err(e) => return Some(Err(e)),
            };
            let pk = ek.get(len..).unwrap_or_default();
            // Overlay entries exist exactly for the overlay's live rows.
            match self.rows.as_ref().map(|r| r.row(pk)) {
                Some(Ok(Some(row))) => return Some(Ok((pk.to_vec(), row))),
                Some(Err(e)) => return Some(Err(e)),
                _ => {}
            }
        }
    }
}

impl<T: OverlayRows + ?Sized> OverlayRows for &T {
    fn touched(&self, pk: &[u8]) -> Result<bool> {
        (**self).touched(pk)
    }

    fn row(&self, pk: &[u8]) -> Result<Option<Row>> {
        (**self).row(pk)
    }
}
