//! The in-memory version store of one table: key → version chain.
//!
//! ```text
//!            seq:  1      2      3      4
//!  key "a"        [1,2)  [2,4)         (deleted at 4)
//!  key "b"               [2,∞) ─────────────────────▶ current
//!  key "c"                      [3,∞) ──────────────▶ current
//! ```
//!
//! Each key holds its versions oldest first; a version is visible AS OF `S`
//! when `start <= S < end` (an open end is `Seq::MAX`). At most the last
//! version of a chain is open.
//!
//! Concurrency: one `RwLock` per table, held briefly. A commit applies its
//! changes (in chunks) *before* it is durable, with `start = seq` greater
//! than the published `visible_seq`, so readers, who always read as of a
//! seq ≤ `visible_seq`, ignore them; ending a version sets `end = seq`, which
//! leaves it visible to every such reader. Hence the versions visible at a
//! published `S` never change, and scans can release the lock between
//! chunks of [`SCAN_CHUNK`] keys and resume after the last key seen.
//!
//! This is the seam the page-oriented B-tree replaces: [`TableStore`]'s
//! methods (point get as of, chunked range scan as of, chunked version scan,
//! apply) are what the rest of storage uses.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::event::{Event, patch_row};
use super::{Seq, Version, VersionFilter};
use crate::error::Result;
use crate::types::Row;

/// An open end: the version is current.
pub const OPEN: Seq = Seq::MAX;
/// "As of the latest applied change": what the write path reads.
pub const LATEST: Seq = Seq::MAX - 1;
/// Keys examined per lock acquisition by scans.
pub const SCAN_CHUNK: usize = 1024;

/// One version in a chain: valid for seqs in `[start, end)`.
#[derive(Debug, Clone)]
pub struct Ver {
    /// The seq that created it.
    pub start: Seq,
    /// The seq that ended it, or [`OPEN`].
    pub end: Seq,
    /// Its row.
    pub row: Row,
}

/// A key's versions, oldest first.
pub type Chain = Vec<Ver>;

/// One change of a commit, applied at the commit's seq.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new key (no open version may exist).
    Insert(Vec<u8>, Row),
    /// End the open version and start one with this row.
    Update(Vec<u8>, Row),
    /// End the open version.
    Delete(Vec<u8>),
}

/// The versions of one table.
#[derive(Debug)]
pub struct TableStore {
    map: RwLock<BTreeMap<Vec<u8>, Chain>>,
    live: AtomicU64,
    next_rowid: AtomicU64,
    last_seq: AtomicU64,
}

/// True when BTreeMap::range would accept the bounds and they may hold keys
/// (it panics on start > end, and on equal bounds both excluded).
pub fn range_ok(lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> bool {
    match (lower, upper) {
        (Bound::Included(l), Bound::Included(u)) => l <= u,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(u))
        | (Bound::Excluded(l), Bound::Included(u)) => l < u,
        _ => true,
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// `Some(end as shown)` if `v` passes `filter` with `visible` published: a
/// version starting later is hidden, an end later than it reads as open.
fn passes(v: &Ver, filter: VersionFilter, visible: Seq) -> Option<Option<Seq>> {
    let end = if v.end > visible { OPEN } else { v.end };
    (v.start <= filter.start_le.min(visible) && end > filter.end_gt)
        .then_some((end != OPEN).then_some(end))
}

fn visible_at(chain: &Chain, s: Seq) -> Option<&Ver> {
    chain.iter().rev().find(|v| v.start <= s && s < v.end)
}

impl Default for TableStore {
    fn default() -> Self {
        TableStore::new()
    }
}

impl TableStore {
    /// An empty store; hidden row ids start at 1.
    pub fn new() -> TableStore {
        TableStore {
            map: RwLock::new(BTreeMap::new()),
            live: AtomicU64::new(0),
            next_rowid: AtomicU64::new(1),
            last_seq: AtomicU64::new(0),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Vec<u8>, Chain>> {
        // Nothing panics while holding this lock; a poisoned lock still
        // guards a consistent map.
        self.map.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<Vec<u8>, Chain>> {
        self.map.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The row of `key` as of `s`.
    pub fn get(&self, key: &[u8], s: Seq) -> Option<Row> {
        let map = self.read();
        map.get(key)
            .and_then(|c| visible_at(c, s))
            .map(|v| v.row.clone())
    }

    /// The rows of several keys as of `s`, under one acquisition of the lock
    /// (index scans fetch a chunk of rows at a time).
    pub fn get_many<'k>(&self, keys: impl Iterator<Item = &'k [u8]>, s: Seq) -> Vec<Option<Row>> {
        let map = self.read();
        keys.map(|k| {
            map.get(k)
                .and_then(|c| visible_at(c, s))
                .map(|v| v.row.clone())
        })
        .collect()
    }

    /// For each `(key, from, to)`, the versions of `key` that started in
    /// `[from, to)` and pass `filter` (capped at `visible` as in
    /// [`Self::versions_chunk`]), appended to `out` in order, under one
    /// acquisition of the lock.
    pub fn versions_in(
        &self,
        wanted: &[(Vec<u8>, Seq, Seq)],
        filter: VersionFilter,
        visible: Seq,
        out: &mut VecDeque<Version>,
    ) {
        let map = self.read();
        for (key, from, to) in wanted {
            let Some(chain) = map.get(key) else { continue };
            for v in chain.iter().filter(|v| *from <= v.start && v.start < *to) {
                if let Some(end) = passes(v, filter, visible) {
                    out.push_back(Version {
                        key: key.clone(),
                        start: v.start,
                        end,
                        row: v.row.clone(),
                    });
                }
            }
        }
    }

    /// Calls `f` on each key's whole chain in the range, at most
    /// [`SCAN_CHUNK`] keys per call (under the read lock); returns the bound
    /// to resume from, like [`Self::scan_chunk`]. Index builds read history
    /// through this.
    pub fn chains_chunk(
        &self,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
        f: impl FnMut(&[u8], &Chain),
    ) -> Option<Bound<Vec<u8>>> {
        self.chunk(lower, upper, f)
    }

    /// Runs `f` on the current row of `key`, under the read lock.
    pub fn latest_with<T>(&self, key: &[u8], f: impl FnOnce(&Row) -> T) -> Option<T> {
        let map = self.read();
        map.get(key)
            .and_then(|c| c.last())
            .filter(|v| v.end == OPEN)
            .map(|v| f(&v.row))
    }

    /// True if `key` has a current (open) version.
    pub fn exists_latest(&self, key: &[u8]) -> bool {
        let map = self.read();
        map.get(key)
            .and_then(|c| c.last())
            .is_some_and(|v| v.end == OPEN)
    }

    /// Approximate count of current rows.
    pub fn live_rows(&self) -> u64 {
        self.live.load(Ordering::Relaxed)
    }

    /// The next hidden row id (applied state).
    pub fn next_rowid(&self) -> u64 {
        self.next_rowid.load(Ordering::Relaxed)
    }

    /// Raises the next hidden row id to at least `v`.
    pub fn raise_next_rowid(&self, v: u64) {
        self.next_rowid.fetch_max(v, Ordering::Relaxed);
    }

    /// The highest seq applied to this table.
    pub fn last_seq(&self) -> Seq {
        self.last_seq.load(Ordering::Relaxed)
    }

    /// Rows as of `s` from `lower` to `upper`, at most [`SCAN_CHUNK`] keys
    /// examined, appended to `out`. Returns the bound to resume from, or
    /// `None` when the range is exhausted.
    pub fn scan_chunk(
        &self,
        s: Seq,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
        out: &mut VecDeque<(Vec<u8>, Row)>,
    ) -> Option<Bound<Vec<u8>>> {
        self.chunk(lower, upper, |key, chain| {
            if let Some(v) = visible_at(chain, s) {
                out.push_back((key.to_vec(), v.row.clone()));
            }
        })
    }

    /// Versions passing `filter` (capped at `visible`: later starts are
    /// hidden, later ends read as open), chunked like [`Self::scan_chunk`].
    pub fn versions_chunk(
        &self,
        filter: VersionFilter,
        visible: Seq,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
        out: &mut VecDeque<Version>,
    ) -> Option<Bound<Vec<u8>>> {
        self.chunk(lower, upper, |key, chain| {
            for v in chain {
                if let Some(end) = passes(v, filter, visible) {
                    out.push_back(Version {
                        key: key.to_vec(),
                        start: v.start,
                        end,
                        row: v.row.clone(),
                    });
                }
            }
        })
    }

    fn chunk(
        &self,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
        mut f: impl FnMut(&[u8], &Chain),
    ) -> Option<Bound<Vec<u8>>> {
        let (lo, hi) = (as_ref(lower), as_ref(upper));
        if !range_ok(lo, hi) {
            return None;
        }
        let map = self.read();
        let mut last: Option<&[u8]> = None;
        for (n, (key, chain)) in map.range::<[u8], _>((lo, hi)).enumerate() {
            if n == SCAN_CHUNK {
                return last.map(|k| Bound::Excluded(k.to_vec()));
            }
            f(key, chain);
            last = Some(key);
        }
        None
    }

    /// Applies a commit's changes at `seq`, re-taking the write lock every
    /// [`SCAN_CHUNK`] changes so readers are never held up for long.
    pub fn apply(&self, seq: Seq, changes: &[Change]) -> std::result::Result<(), String> {
        for part in changes.chunks(SCAN_CHUNK) {
            let mut map = self.write();
            for c in part {
                match c {
                    Change::Insert(k, row) => self.insert_locked(&mut map, seq, k, row.clone())?,
                    Change::Update(k, row) => self.update_locked(&mut map, seq, k, row.clone())?,
                    Change::Delete(k) => self.end_locked(&mut map, seq, k).map(|_| ())?,
                }
            }
        }
        self.last_seq.fetch_max(seq, Ordering::Relaxed);
        Ok(())
    }

    /// Applies one stored event at `seq` (recovery).
    pub fn apply_event(&self, seq: Seq, ev: Event) -> std::result::Result<(), String> {
        let mut map = self.write();
        match ev {
            Event::Insert { key, row } => self.insert_locked(&mut map, seq, &key, row)?,
            Event::Patch {
                key,
                ncols,
                changes,
            } => {
                let old = self.end_locked(&mut map, seq, &key)?;
                self.live.fetch_add(1, Ordering::Relaxed);
                let row = patch_row(&old, ncols, &changes);
                map.entry(key).or_default().push(Ver {
                    start: seq,
                    end: OPEN,
                    row,
                });
            }
            Event::SoftDelete { key } => {
                self.end_locked(&mut map, seq, &key)?;
            }
        }
        drop(map);
        self.last_seq.fetch_max(seq, Ordering::Relaxed);
        Ok(())
    }

    fn insert_locked(
        &self,
        map: &mut BTreeMap<Vec<u8>, Chain>,
        seq: Seq,
        key: &[u8],
        row: Row,
    ) -> std::result::Result<(), String> {
        let chain = match map.get_mut(key) {
            Some(c) => c,
            None => map
                .entry(key.to_vec())
                .or_insert_with(|| Vec::with_capacity(1)),
        };
        if chain.last().is_some_and(|v| v.end == OPEN) {
            return Err("insert of a key that already has a current version".into());
        }
        if chain.last().is_some_and(|v| v.end > seq) {
            return Err(format!("insert at seq {seq} before the key's last end"));
        }
        chain.push(Ver {
            start: seq,
            end: OPEN,
            row,
        });
        self.live.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn update_locked(
        &self,
        map: &mut BTreeMap<Vec<u8>, Chain>,
        seq: Seq,
        key: &[u8],
        row: Row,
    ) -> std::result::Result<(), String> {
        self.end_locked(map, seq, key)?;
        self.live.fetch_add(1, Ordering::Relaxed);
        if let Some(chain) = map.get_mut(key) {
            chain.push(Ver {
                start: seq,
                end: OPEN,
                row,
            });
        }
        Ok(())
    }

    /// Ends the open version of `key` at `seq`; returns its row (cloned).
    fn end_locked(
        &self,
        map: &mut BTreeMap<Vec<u8>, Chain>,
        seq: Seq,
        key: &[u8],
    ) -> std::result::Result<Row, String> {
        let open = map
            .get_mut(key)
            .and_then(|c| c.last_mut())
            .filter(|v| v.end == OPEN)
            .ok_or_else(|| "update or delete of a key without a current version".to_string())?;
        if open.start > seq {
            return Err(format!(
                "version started at seq {} ended at earlier seq {seq}",
                open.start
            ));
        }
        open.end = seq;
        self.live.fetch_sub(1, Ordering::Relaxed);
        Ok(open.row.clone())
    }
}

/// A chunked scan as of a seq; see the module docs for why releasing the
/// lock between chunks is safe.
pub struct ScanIter {
    store: Arc<TableStore>,
    as_of: Seq,
    next: Option<Bound<Vec<u8>>>,
    upper: Bound<Vec<u8>>,
    buf: VecDeque<(Vec<u8>, Row)>,
}

impl ScanIter {
    /// A scan of `store` as of `as_of` over the range.
    pub fn new(
        store: Arc<TableStore>,
        as_of: Seq,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Self {
        ScanIter {
            store,
            as_of,
            next: Some(lower),
            upper,
            buf: VecDeque::new(),
        }
    }
}

impl Iterator for ScanIter {
    type Item = Result<(Vec<u8>, Row)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.buf.pop_front() {
                return Some(Ok(r));
            }
            let lower = self.next.take()?;
            self.next = self
                .store
                .scan_chunk(self.as_of, &lower, &self.upper, &mut self.buf);
        }
    }
}

/// A chunked history scan.
pub struct VersionsIter {
    store: Arc<TableStore>,
    filter: VersionFilter,
    visible: Seq,
    next: Option<Bound<Vec<u8>>>,
    upper: Bound<Vec<u8>>,
    buf: VecDeque<Version>,
}

impl VersionsIter {
    /// Versions of `store` passing `filter`, as seen with `visible` published.
    pub fn new(
        store: Arc<TableStore>,
        filter: VersionFilter,
        visible: Seq,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Self {
        VersionsIter {
            store,
            filter,
            visible,
            next: Some(lower),
            upper,
            buf: VecDeque::new(),
        }
    }
}

impl Iterator for VersionsIter {
    type Item = Result<Version>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(v) = self.buf.pop_front() {
                return Some(Ok(v));
            }
            let lower = self.next.take()?;
            self.next = self.store.versions_chunk(
                self.filter,
                self.visible,
                &lower,
                &self.upper,
                &mut self.buf,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Value;

    fn row(i: i32) -> Row {
        vec![Value::Int4(i)]
    }

    fn ints(rows: Vec<Result<(Vec<u8>, Row)>>) -> Vec<i32> {
        rows.into_iter()
            .map(|r| match r.expect("row").1[0] {
                Value::Int4(i) => i,
                _ => -1,
            })
            .collect()
    }

    #[test]
    fn chains_answer_as_of() {
        let t = TableStore::new();
        t.apply(1, &[Change::Insert(b"a".to_vec(), row(1))])
            .expect("insert");
        t.apply(2, &[Change::Update(b"a".to_vec(), row(2))])
            .expect("update");
        t.apply(3, &[Change::Delete(b"a".to_vec())])
            .expect("delete");
        assert!(t.get(b"a", 0).is_none());
        assert_eq!(
            format!("{:?}", t.get(b"a", 1)),
            format!("{:?}", Some(row(1)))
        );
        assert_eq!(
            format!("{:?}", t.get(b"a", 2)),
            format!("{:?}", Some(row(2)))
        );
        assert!(t.get(b"a", 3).is_none());
        assert!(!t.exists_latest(b"a"));
        assert_eq!(t.live_rows(), 0);
        assert!(t.apply(4, &[Change::Delete(b"a".to_vec())]).is_err());
        t.apply(4, &[Change::Insert(b"a".to_vec(), row(4))])
            .expect("reinsert");
        assert!(
            t.apply(5, &[Change::Insert(b"a".to_vec(), row(5))])
                .is_err()
        );
    }

    #[test]
    fn scans_span_chunks_and_bounds() {
        let t = Arc::new(TableStore::new());
        let n = SCAN_CHUNK as i32 * 2 + 10;
        let changes: Vec<_> = (0..n)
            .map(|i| Change::Insert((i as u32).to_be_bytes().to_vec(), row(i)))
            .collect();
        t.apply(1, &changes).expect("apply");
        let all: Vec<_> = ScanIter::new(t.clone(), 1, Bound::Unbounded, Bound::Unbounded).collect();
        assert_eq!(ints(all), (0..n).collect::<Vec<_>>());
        let k = |i: u32| i.to_be_bytes().to_vec();
        let some: Vec<_> =
            ScanIter::new(t.clone(), 1, Bound::Excluded(k(5)), Bound::Included(k(8))).collect();
        assert_eq!(ints(some), vec![6, 7, 8]);
        let none: Vec<_> =
            ScanIter::new(t.clone(), 0, Bound::Unbounded, Bound::Unbounded).collect();
        assert!(none.is_empty());
        // Inverted and empty-exclusive ranges give nothing, not a panic.
        assert_eq!(
            ScanIter::new(t.clone(), 1, Bound::Included(k(9)), Bound::Included(k(3))).count(),
            0
        );
        assert_eq!(
            ScanIter::new(t.clone(), 1, Bound::Excluded(k(3)), Bound::Excluded(k(3))).count(),
            0
        );
        assert_eq!(
            ScanIter::new(t, 1, Bound::Included(k(3)), Bound::Excluded(k(3))).count(),
            0
        );
    }

    #[test]
    fn versions_cap_at_visible() {
        let t = Arc::new(TableStore::new());
        t.apply(1, &[Change::Insert(b"a".to_vec(), row(1))])
            .expect("insert");
        t.apply(2, &[Change::Update(b"a".to_vec(), row(2))])
            .expect("update");
        let all = VersionFilter {
            start_le: Seq::MAX,
            end_gt: 0,
        };
        let vs: Vec<_> = VersionsIter::new(t.clone(), all, 1, Bound::Unbounded, Bound::Unbounded)
            .map(|v| v.expect("version"))
            .collect();
        assert_eq!(vs.len(), 1, "version starting at unpublished seq 2 hidden");
        assert_eq!(
            (vs[0].start, vs[0].end),
            (1, None),
            "end at unpublished seq reads open"
        );
        let vs: Vec<_> = VersionsIter::new(t, all, 2, Bound::Unbounded, Bound::Unbounded)
            .map(|v| v.expect("version"))
            .collect();
        assert_eq!(
            vs.iter().map(|v| (v.start, v.end)).collect::<Vec<_>>(),
            vec![(1, Some(2)), (2, None)]
        );
    }
}
