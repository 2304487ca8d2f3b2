//! Chunked readers over an index: rows as of a seq ([`IndexScanIter`]) and
//! row versions whose index key was in range during the version
//! ([`IndexVersionsIter`]).
//!
//! Each step reads up to `SCAN_CHUNK` entries under the index's lock, drops
//! it, then fetches their rows (or versions) from the table under the
//! table's lock, once per chunk. Releasing the locks in between is safe for
//! the reason given in `storage::table`: nothing visible at a published seq
//! ever changes, in the index or in the table.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use super::{IndexStore, entry_bounds, may_pass};
use crate::error::{Error, Result};
use crate::storage::table::TableStore;
use crate::storage::{Seq, Version, VersionFilter};
use crate::types::Row;

/// An index scan's row: (index key, primary key, row).
pub type IxRow = (Vec<u8>, Vec<u8>, Row);

/// Rows whose index key lies in a range as of a seq, in (index key,
/// primary key) order.
pub struct IndexScanIter {
    ix: Arc<IndexStore>,
    table: Arc<TableStore>,
    as_of: Seq,
    next: Option<Bound<Vec<u8>>>,
    upper: Bound<Vec<u8>>,
    buf: VecDeque<Result<IxRow>>,
}

impl IndexScanIter {
    /// A scan of `ix` (an index of `table`) as of `as_of` over prefix-aware
    /// index-key bounds.
    pub fn new(
        ix: Arc<IndexStore>,
        table: Arc<TableStore>,
        as_of: Seq,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Self {
        let (next, upper) = match entry_bounds(lower, upper) {
            Some((lo, hi)) => (Some(lo), hi),
            None => (None, Bound::Unbounded),
        };
        IndexScanIter {
            ix,
            table,
            as_of,
            next,
            upper,
            buf: VecDeque::new(),
        }
    }

    fn fill(&mut self, lower: Bound<Vec<u8>>) {
        let mut keys = Vec::new();
        self.next = self
            .ix
            .scan_chunk(self.as_of, &lower, &self.upper, &mut keys);
        let rows = self
            .table
            .get_many(keys.iter().map(|(_, pk)| pk.as_slice()), self.as_of);
        for ((ikey, pk), row) in keys.into_iter().zip(rows) {
            self.buf
                .push_back(row.map(|r| (ikey, pk, r)).ok_or_else(|| {
                    Error::Internal(format!(
                        "index entry without a row version at seq {}",
                        self.as_of
                    ))
                }));
        }
    }
}

impl Iterator for IndexScanIter {
    type Item = Result<IxRow>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.buf.pop_front() {
                return Some(r);
            }
            let lower = self.next.take()?;
            self.fill(lower);
        }
    }
}

/// Row versions whose index key lay in a range during the version and that
/// pass a [`VersionFilter`], by (index key, primary key, start).
pub struct IndexVersionsIter {
    ix: Arc<IndexStore>,
    table: Arc<TableStore>,
    filter: VersionFilter,
    visible: Seq,
    next: Option<Bound<Vec<u8>>>,
    upper: Bound<Vec<u8>>,
    buf: VecDeque<Version>,
}

impl IndexVersionsIter {
    /// Versions through `ix` (an index of `table`) as seen with `visible`
    /// published.
    pub fn new(
        ix: Arc<IndexStore>,
        table: Arc<TableStore>,
        filter: VersionFilter,
        visible: Seq,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Self {
        let (next, upper) = match entry_bounds(lower, upper) {
            Some((lo, hi)) => (Some(lo), hi),
            None => (None, Bound::Unbounded),
        };
        IndexVersionsIter {
            ix,
            table,
            filter,
            visible,
            next,
            upper,
            buf: VecDeque::new(),
        }
    }

    fn fill(&mut self, lower: Bound<Vec<u8>>) {
        let (filter, visible) = (self.filter, self.visible);
        let mut entries = Vec::new();
        self.next = self.ix.periods_chunk(
            |p| may_pass(p, filter, visible),
            &lower,
            &self.upper,
            &mut entries,
        );
        let wanted: Vec<_> = entries
            .into_iter()
            .flat_map(|(_, pk, ps)| ps.into_iter().map(move |p| (pk.clone(), p.start, p.end)))
            .collect();
        self.table
            .versions_in(&wanted, filter, visible, &mut self.buf);
    }
}

impl Iterator for IndexVersionsIter {
    type Item = Result<Version>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(v) = self.buf.pop_front() {
                return Some(Ok(v));
            }
            let lower = self.next.take()?;
            self.fill(lower);
        }
    }
}
