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
use std::collections::btree_map::Range;
use std::iter::Peekable;
use std::ops::Bound;

use super::scan::IndexScanIter;
use super::{entry_bounds, entry_key, index_key};
use crate::error::Result;
use crate::storage::{IndexId, IndexMeta};
use crate::types::Row;

/// What a transaction's overlay of one table tells an index scan.
pub trait OverlayRows {
    /// True if the transaction wrote (or deleted) the row with `pk`.
    fn touched(&self, pk: &[u8]) -> bool;
    /// The row with `pk` as the transaction sees it, if it wrote one.
    fn row(&self, pk: &[u8]) -> Option<&Row>;
}

/// Entry keys (index key ++ primary key → index key length) of the overlay
/// rows, per index.
#[derive(Debug, Default, Clone)]
pub struct OverlayIndexes {
    by_index: BTreeMap<IndexId, BTreeMap<Vec<u8>, usize>>,
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
                map.remove(&entry_key(&index_key(old, &m.columns)?, pk));
            }
            if let Some(new) = new {
                let ikey = index_key(new, &m.columns)?;
                map.insert(entry_key(&ikey, pk), ikey.len());
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
        self.by_index.insert(meta.id, map);
        Ok(())
    }

    /// Forgets an index.
    pub fn remove_index(&mut self, id: IndexId) {
        self.by_index.remove(&id);
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.by_index.clear();
    }

    /// The overlay entries of `id` within prefix-aware index-key bounds.
    pub fn range(
        &self,
        id: IndexId,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Option<Range<'_, Vec<u8>, usize>> {
        let (lo, hi) = entry_bounds(lower, upper)?;
        self.by_index.get(&id).map(|m| m.range((lo, hi)))
    }
}

/// A transaction's index scan: committed entries of untouched keys merged
/// with overlay entries, in (index key, primary key) order, as (primary
/// key, row).
pub struct TxnIndexScan<'a> {
    base: Peekable<IndexScanIter>,
    over: Option<Peekable<Range<'a, Vec<u8>, usize>>>,
    rows: Option<&'a dyn OverlayRows>,
}

impl<'a> TxnIndexScan<'a> {
    /// Merges `base` (a scan at the latest applied seq) with `over`, the
    /// overlay entries in the same range; `rows` is the table's overlay.
    pub fn new(
        base: IndexScanIter,
        over: Option<Range<'a, Vec<u8>, usize>>,
        rows: Option<&'a dyn OverlayRows>,
    ) -> Self {
        TxnIndexScan {
            base: base.peekable(),
            over: over.map(Iterator::peekable),
            rows,
        }
    }

    fn skip_touched(&mut self) {
        let Some(rows) = self.rows else { return };
        while let Some(Ok((_, pk, _))) = self.base.peek() {
            if !rows.touched(pk) {
                break;
            }
            self.base.next();
        }
    }
}

impl Iterator for TxnIndexScan<'_> {
    type Item = Result<(Vec<u8>, Row)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.skip_touched();
            let over = self.over.as_mut().and_then(|o| o.peek());
            let base_first = match (self.base.peek(), over) {
                (None, None) => return None,
                (Some(_), None) | (Some(Err(_)), _) => true,
                (None, Some(_)) => false,
                (Some(Ok((bi, bp, _))), Some((ek, len))) => {
                    let (oi, op) = ek.split_at(**len);
                    (bi.as_slice(), bp.as_slice()) < (oi, op)
                }
            };
            if base_first {
                return self.base.next().map(|r| r.map(|(_, pk, row)| (pk, row)));
            }
            let (ek, len) = self.over.as_mut().and_then(|o| o.next())?;
            let pk = &ek[*len..];
            // Overlay entries exist exactly for the overlay's live rows.
            if let Some(row) = self.rows.and_then(|r| r.row(pk)) {
                return Some(Ok((pk.to_vec(), row.clone())));
            }
        }
    }
}
