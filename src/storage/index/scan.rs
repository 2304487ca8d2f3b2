//! Readers over an index: rows as of a seq ([`IndexScanIter`]) and row
//! versions whose index key was in range during the version
//! ([`IndexVersionsIter`]).
//!
//! Each holds one B-tree snapshot for its whole life, taken when it starts:
//! the index's periods and the table's versions are read from the same
//! consistent state, without locks (see `storage::table`).

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use super::{IndexStore, PeriodReader, entry_bounds, may_pass, split_period};
use crate::error::{Error, Result};
use crate::storage::btree::Snapshot;
use crate::storage::table::TableStore;
use crate::storage::table::versions::versions_in;
use crate::storage::{KeyRange, Seq, Version, VersionFilter};
use crate::types::Row;

/// An index scan's row: (index key, primary key, row).
pub type IxRow = (Vec<u8>, Vec<u8>, Row);

/// Rows whose index key lies in a range as of a seq, in (index key,
/// primary key) order.
pub struct IndexScanIter {
    ix: Arc<IndexStore>,
    table: Arc<TableStore>,
    as_of: Seq,
    bounds: Option<KeyRange>,
    state: Option<(Snapshot, PeriodReader)>,
}

impl IndexScanIter {
    /// A scan of `ix` (an index of `table`) as of `as_of` over prefix-aware
    /// index-key bounds. Nothing is read before the first call to `next`.
    pub fn new(
        ix: Arc<IndexStore>,
        table: Arc<TableStore>,
        as_of: Seq,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Self {
        IndexScanIter {
            ix,
            table,
            as_of,
            bounds: entry_bounds(lower, upper),
            state: None,
        }
    }

    fn start(&mut self) -> Result<bool> {
        let Some((lo, hi)) = self.bounds.take() else {
            return Ok(false);
        };
        let snap = self.ix.snapshot();
        let s = self.as_of;
        let keep = Box::new(move |p: &super::Period| p.start <= s && s < p.end);
        let reader = PeriodReader::new(&snap, self.ix.trees(), (&lo, &hi), keep)?;
        self.state = Some((snap, reader));
        Ok(true)
    }

    fn step(&mut self) -> Option<Result<IxRow>> {
        let (snap, reader) = self.state.as_mut()?;
        let p = match reader.next()? {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let r = split_period(&self.ix.trees().cur, &p).and_then(|(ikey, pk)| {
            let row = self.table.get_in(snap, &pk, self.as_of)?.ok_or_else(|| {
                Error::Internal(format!(
                    "index entry without a row version at seq {}",
                    self.as_of
                ))
            })?;
            Ok((ikey, pk, row))
        });
        Some(r)
    }
}

impl Iterator for IndexScanIter {
    type Item = Result<IxRow>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state.is_none() {
            match self.start() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        let r = self.step();
        if matches!(r, None | Some(Err(_))) {
            self.state = None;
        }
        r
    }
}

/// Row versions whose index key lay in a range during the version and that
/// pass a [`VersionFilter`], by (index key, primary key, start).
pub struct IndexVersionsIter {
    ix: Arc<IndexStore>,
    table: Arc<TableStore>,
    filter: VersionFilter,
    visible: Seq,
    bounds: Option<KeyRange>,
    state: Option<(Snapshot, PeriodReader)>,
    buf: VecDeque<Version>,
}

impl IndexVersionsIter {
    /// Versions through `ix` (an index of `table`) as seen with `visible`
    /// published. Nothing is read before the first call to `next`.
    pub fn new(
        ix: Arc<IndexStore>,
        table: Arc<TableStore>,
        filter: VersionFilter,
        visible: Seq,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Self {
        IndexVersionsIter {
            ix,
            table,
            filter,
            visible,
            bounds: entry_bounds(lower, upper),
            state: None,
            buf: VecDeque::new(),
        }
    }

    fn start(&mut self) -> Result<bool> {
        let Some((lo, hi)) = self.bounds.take() else {
            return Ok(false);
        };
        let snap = self.ix.snapshot();
        let (filter, visible) = (self.filter, self.visible);
        let keep = Box::new(move |p: &super::Period| may_pass(p, filter, visible));
        let reader = PeriodReader::new(&snap, self.ix.trees(), (&lo, &hi), keep)?;
        self.state = Some((snap, reader));
        Ok(true)
    }

    /// Reads the versions of the next period into `buf`; false at the end.
    fn fill(&mut self) -> Result<bool> {
        let Some((snap, reader)) = self.state.as_mut() else {
            return Ok(false);
        };
        let Some(p) = reader.next().transpose()? else {
            return Ok(false);
        };
        let (_, pk) = split_period(&self.ix.trees().cur, &p)?;
        let span = (p.2.start, p.2.end);
        let (f, v) = (self.filter, self.visible);
        versions_in(&self.table, snap, &pk, span, f, v, &mut self.buf)?;
        Ok(true)
    }
}

impl Iterator for IndexVersionsIter {
    type Item = Result<Version>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(v) = self.buf.pop_front() {
                return Some(Ok(v));
            }
            if self.state.is_none() {
                match self.start() {
                    Ok(true) => {}
                    Ok(false) => return None,
                    Err(e) => return Some(Err(e)),
                }
            }
            match self.fill() {
                Ok(true) => {}
                Ok(false) => {
                    self.state = None;
                    return None;
                }
                Err(e) => {
                    self.state = None;
                    return Some(Err(e));
                }
            }
        }
    }
}
