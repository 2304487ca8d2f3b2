//! History scans: the versions of a key range that pass a
//! [`VersionFilter`], in (key, start) order, merged from the history tree
//! (every ended version, by key then start) and the current tree (whose
//! version of a key started after all of that key's ended ones).
//!
//! Versions are judged from the history keys alone (`start` and `end` are
//! in the key); only the rows of versions that pass are read. What a seq
//! above the published one did is hidden: a version it started is skipped,
//! and an end it set reads as open.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use super::keys::{self, bad_tree, hist_key, split_cur_value};
use super::scan::hist_bounds;
use super::{OPEN, TableStore, as_ref, cursor, range_ok, row_of};
use crate::error::Result;
use crate::storage::btree::{Cursor, Snapshot};
use crate::storage::{KeyRange, Seq, Version, VersionFilter};

/// `Some(end as shown)` if a version `[start, end)` passes `filter` with
/// `visible` published: a version starting later is hidden, an end later
/// than it reads as open.
pub fn passes(start: Seq, end: Seq, filter: VersionFilter, visible: Seq) -> Option<Option<Seq>> {
    let end = if end > visible { OPEN } else { end };
    (start <= filter.start_le.min(visible) && end > filter.end_gt)
        .then_some((end != OPEN).then_some(end))
}

/// The history and current versions of a range, merged.
pub struct VersionsIter {
    store: Arc<TableStore>,
    filter: VersionFilter,
    visible: Seq,
    bounds: Option<KeyRange>,
    hist: Option<Cursor<'static>>,
    cur: Option<Cursor<'static>>,
    ph: Option<Result<Version>>,
    pc: Option<Result<Version>>,
    started: bool,
}

impl VersionsIter {
    /// Versions of `store` passing `filter`, as seen with `visible`
    /// published. Nothing is read before the first call to `next`.
    pub fn new(
        store: Arc<TableStore>,
        filter: VersionFilter,
        visible: Seq,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Self {
        let ok = range_ok(as_ref(&lower), as_ref(&upper));
        VersionsIter {
            store,
            filter,
            visible,
            bounds: ok.then_some((lower, upper)),
            hist: None,
            cur: None,
            ph: None,
            pc: None,
            started: false,
        }
    }

    fn start(&mut self) -> Result<()> {
        self.started = true;
        let Some((lower, upper)) = self.bounds.take() else {
            return Ok(());
        };
        let snap = self.store.snapshot();
        let t = self.store.trees();
        let (lo, hi) = hist_bounds(&lower, &upper);
        self.hist = cursor(&snap, &t.hist, as_ref(&lo), as_ref(&hi), false)?;
        self.cur = cursor(&snap, &t.cur, as_ref(&lower), as_ref(&upper), false)?;
        Ok(())
    }

    fn next_hist(&mut self) -> Result<Option<Version>> {
        let tree = &self.store.trees().hist;
        let Some(c) = self.hist.as_mut() else {
            return Ok(None);
        };
        while let Some(k) = c.next_key().transpose()? {
            let (start, end) = keys::hist_seqs(&k).ok_or_else(|| bad_tree(tree, "key"))?;
            if let Some(end) = passes(start, end, self.filter, self.visible) {
                let (key, _) = keys::take_escaped(&k).ok_or_else(|| bad_tree(tree, "key"))?;
                let row = row_of(tree, &c.value()?)?;
                return Ok(Some(Version {
                    key,
                    start,
                    end,
                    row,
                }));
            }
        }
        Ok(None)
    }

    fn next_cur(&mut self) -> Result<Option<Version>> {
        let tree = &self.store.trees().cur;
        let Some(c) = self.cur.as_mut() else {
            return Ok(None);
        };
        while let Some((key, v)) = c.next().transpose()? {
            let (start, row) = split_cur_value(&v).map_err(|e| bad_tree(tree, e))?;
            if let Some(end) = passes(start, OPEN, self.filter, self.visible) {
                let row = row_of(tree, row)?;
                return Ok(Some(Version {
                    key,
                    start,
                    end,
                    row,
                }));
            }
        }
        Ok(None)
    }
}

impl Iterator for VersionsIter {
    type Item = Result<Version>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.started
            && let Err(e) = self.start()
        {
            return Some(Err(e));
        }
        if self.ph.is_none() {
            self.ph = self.next_hist().transpose();
        }
        if self.pc.is_none() {
            self.pc = self.next_cur().transpose();
        }
        let hist_first = match (&self.ph, &self.pc) {
            (None, None) => return None,
            (Some(Err(_)), _) | (Some(_), None) => true,
            (None, Some(_)) | (_, Some(Err(_))) => false,
            (Some(Ok(h)), Some(Ok(c))) => (&h.key, h.start) < (&c.key, c.start),
        };
        let r = if hist_first {
            self.ph.take()
        } else {
            self.pc.take()
        };
        if matches!(r, Some(Err(_))) {
            self.hist = None;
            self.cur = None;
        }
        r
    }
}

/// Appends to `out` the versions of `pk` that started in `[from, to)` and
/// pass `filter` with `visible` published, in start order, read from
/// `snap`.
pub fn versions_in(
    store: &TableStore,
    snap: &Snapshot,
    pk: &[u8],
    (from, to): (Seq, Seq),
    filter: VersionFilter,
    visible: Seq,
    out: &mut VecDeque<Version>,
) -> Result<()> {
    let t = store.trees();
    if from >= to {
        return Ok(());
    }
    let lo = hist_key(pk, from, 0);
    let hi = hist_key(pk, to, 0);
    if let Some(mut c) = cursor(
        snap,
        &t.hist,
        Bound::Included(&lo),
        Bound::Excluded(&hi),
        false,
    )? {
        while let Some(k) = c.next_key().transpose()? {
            let (start, end) = keys::hist_seqs(&k).ok_or_else(|| bad_tree(&t.hist, "key"))?;
            if let Some(end) = passes(start, end, filter, visible) {
                let row = row_of(&t.hist, &c.value()?)?;
                out.push_back(Version {
                    key: pk.to_vec(),
                    start,
                    end,
                    row,
                });
            }
        }
    }
    if !snap.contains_tree(&t.cur) {
        return Ok(());
    }
    if let Some(v) = snap.get(&t.cur, pk)? {
        let (start, row) = split_cur_value(&v).map_err(|e| bad_tree(&t.cur, e))?;
        if (from..to).contains(&start)
            && let Some(end) = passes(start, OPEN, filter, visible)
        {
            out.push_back(Version {
                key: pk.to_vec(),
                start,
                end,
                row: row_of(&t.cur, row)?,
            });
        }
    }
    Ok(())
}
