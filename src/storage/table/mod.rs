//! The versions of one table, in three B-trees of the database's page file
//! (`storage::btree`): the **current** tree (primary key → the open
//! version), the **history** tree (every ended version, by primary key then
//! start seq) and the **ended** tree (the same versions by end seq). Byte
//! layouts are in [`keys`] and docs/FORMAT.md ("Version trees").
//!
//! ```text
//!            seq:  1      2      3      4
//!  key "a"        [1,2)  [2,4)         (deleted at 4)   hist (a,1,2) (a,2,4)   ended (2,a,1) (4,a,2)
//!  key "b"               [2,∞) ──────────────────────▶  cur  b → (2, row)
//!  key "c"                      [3,∞) ───────────────▶  cur  c → (3, row)
//! ```
//!
//! A version is visible AS OF `S` when `start ≤ S < end`. So:
//!
//! * **get AS OF S** reads the current tree (one descent); if its version
//!   started after `S`, or there is none, one backward seek in the history
//!   tree from `(pk, S)` finds the last version that started at or before
//!   `S`, visible if it ended after `S`. O(log n) in the number of versions
//!   whatever a row's depth of history.
//! * **scan AS OF S** ([`scan`]) is a scan of the current tree plus the
//!   versions that ended after `S` (from the ended tree), or, when those are
//!   too many to sort in memory or the range is narrow, a key-ordered merge
//!   of the current and history trees.
//! * **version scans** ([`versions`]) merge the history and current trees
//!   in key order.
//!
//! Concurrency: a commit applies its changes inside one B-tree write
//! transaction *before* it is durable, with `start = seq` greater than the
//! published `visible_seq`, and publishes the B-tree state at once.
//! Readers read at a seq `S ≤ visible_seq` from a B-tree snapshot taken
//! after reading `visible_seq`, so the snapshot holds every commit up to
//! `S`; a version a later commit started is ignored (`start > S`) and a
//! version it ended moved to the history tree with `end > S`, where an AS OF
//! `S` reader still finds it. The versions visible at a published seq never
//! change, and snapshots are immutable, so readers take no lock at all.
//!
//! A tree that does not exist reads as empty: a table created by the open
//! transaction has no trees until its commit creates them.

pub mod keys;
pub mod scan;
pub mod versions;

#[cfg(test)]
pub(crate) mod tests;

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::btree::{BTreeStore, Cursor, Snapshot, WriteTxn as TreeTxn};
use super::event::{Event, patch_row};
use super::rowcodec::{decode_row, encode_row};
use super::{Seq, TableId};
use crate::error::{Error, Result};
use crate::types::Row;
use keys::{TableTrees, bad_tree, cur_value, ended_key, hist_key, split_cur_value};

pub use scan::ScanIter;
pub use versions::VersionsIter;

/// An open end: the version is current.
pub const OPEN: Seq = Seq::MAX;
/// "As of the latest applied change": what the write path reads.
pub const LATEST: Seq = Seq::MAX - 1;
/// A batch size for tests of bulk work: data of a few times this many
/// entries spans several leaves and several internal batches of the scans.
#[cfg(test)]
pub const SCAN_CHUNK: usize = 1024;

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

impl Change {
    /// The key changed.
    pub fn key(&self) -> &[u8] {
        match self {
            Change::Insert(k, _) | Change::Update(k, _) | Change::Delete(k) => k,
        }
    }
}

/// One table's versions: a handle on its trees, plus counters kept in
/// memory (and in the checkpoint record).
#[derive(Debug)]
pub struct TableStore {
    id: TableId,
    db: Arc<BTreeStore>,
    trees: TableTrees,
    next_rowid: AtomicU64,
    last_seq: AtomicU64,
}

/// True when the bounds may hold keys (not inverted, not an empty
/// exclusive range).
pub fn range_ok(lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> bool {
    match (lower, upper) {
        (Bound::Included(l), Bound::Included(u)) => l <= u,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(u))
        | (Bound::Excluded(l), Bound::Included(u)) => l < u,
        _ => true,
    }
}

/// Borrows a bound.
pub fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// A cursor over `tree` in `snap`, or `None` if the tree does not exist.
pub fn cursor(
    snap: &Snapshot,
    tree: &str,
    lower: Bound<&[u8]>,
    upper: Bound<&[u8]>,
    reverse: bool,
) -> Result<Option<Cursor<'static>>> {
    if !snap.contains_tree(tree) {
        return Ok(None);
    }
    snap.range(tree, lower, upper, reverse).map(Some)
}

/// Decodes a stored row.
pub fn row_of(tree: &str, bytes: &[u8]) -> Result<Row> {
    decode_row(bytes).map_err(|e| bad_tree(tree, format!("row does not decode: {e}")))
}

fn encode(row: &[crate::types::Value]) -> Result<Vec<u8>> {
    let mut v = Vec::with_capacity(16 * row.len() + 4);
    encode_row(&mut v, row)?;
    Ok(v)
}

fn logic(what: impl Into<String>) -> Error {
    Error::Internal(what.into())
}

impl TableStore {
    /// The handle of table `id`'s trees in `db`; hidden row ids start at 1.
    pub fn new(id: TableId, db: Arc<BTreeStore>) -> TableStore {
        TableStore {
            id,
            db,
            trees: TableTrees::of(id),
            next_rowid: AtomicU64::new(1),
            last_seq: AtomicU64::new(0),
        }
    }

    /// The table's id.
    pub fn id(&self) -> TableId {
        self.id
    }

    /// The store holding the trees.
    pub fn db(&self) -> &Arc<BTreeStore> {
        &self.db
    }

    /// The trees' names.
    pub fn trees(&self) -> &TableTrees {
        &self.trees
    }

    /// A snapshot of every tree as of the last B-tree publish.
    pub fn snapshot(&self) -> Snapshot {
        self.db.snapshot()
    }

    /// Creates the table's (empty) trees.
    pub fn create_trees(&self, w: &mut TreeTxn<'_>) -> Result<()> {
        for t in self.trees.all() {
            w.create_tree(t)?;
        }
        Ok(())
    }

    /// Drops the table's trees and frees their pages.
    pub fn drop_trees(&self, w: &mut TreeTxn<'_>) -> Result<()> {
        for t in self.trees.all() {
            w.drop_tree(t)?;
        }
        Ok(())
    }

    /// The row of `key` as of `s`.
    pub fn get(&self, key: &[u8], s: Seq) -> Result<Option<Row>> {
        self.get_in(&self.snapshot(), key, s)
    }

    /// The row of `key` as of `s`, in `snap`.
    pub fn get_in(&self, snap: &Snapshot, key: &[u8], s: Seq) -> Result<Option<Row>> {
        Ok(self.version_in(snap, key, s)?.map(|(_, _, row)| row))
    }

    /// The version of `key` visible at `s` as `(start, end, row)` (`end`
    /// is [`OPEN`] for the current version): one descent of the current
    /// tree, plus at most one backward seek in the history tree.
    pub fn version(&self, key: &[u8], s: Seq) -> Result<Option<(Seq, Seq, Row)>> {
        self.version_in(&self.snapshot(), key, s)
    }

    fn version_in(&self, snap: &Snapshot, key: &[u8], s: Seq) -> Result<Option<(Seq, Seq, Row)>> {
        let cur = &self.trees.cur;
        if snap.contains_tree(cur)
            && let Some(v) = snap.get(cur, key)?
        {
            let (start, row) = split_cur_value(&v).map_err(|e| bad_tree(cur, e))?;
            if start <= s {
                return Ok(Some((start, OPEN, row_of(cur, row)?)));
            }
        }
        self.get_past(snap, key, s)
    }

    /// The version of `key` visible at `s` among its ended versions.
    fn get_past(&self, snap: &Snapshot, key: &[u8], s: Seq) -> Result<Option<(Seq, Seq, Row)>> {
        let hist = &self.trees.hist;
        let lo = keys::escaped(key);
        let hi = hist_key(key, s, Seq::MAX);
        let Some(mut c) = cursor(snap, hist, Bound::Included(&lo), Bound::Included(&hi), true)?
        else {
            return Ok(None);
        };
        let Some(k) = c.next_key().transpose()? else {
            return Ok(None);
        };
        let (start, end) = keys::hist_seqs(&k).ok_or_else(|| bad_tree(hist, "short key"))?;
        if end <= s {
            return Ok(None);
        }
        Ok(Some((start, end, row_of(hist, &c.value()?)?)))
    }

    /// Runs `f` on the current row of `key` (the latest applied state).
    pub fn latest_with<T>(&self, key: &[u8], f: impl FnOnce(&Row) -> T) -> Result<Option<T>> {
        let cur = &self.trees.cur;
        let snap = self.snapshot();
        if !snap.contains_tree(cur) {
            return Ok(None);
        }
        match snap.get(cur, key)? {
            Some(v) => {
                let (_, row) = split_cur_value(&v).map_err(|e| bad_tree(cur, e))?;
                Ok(Some(f(&row_of(cur, row)?)))
            }
            None => Ok(None),
        }
    }

    /// True if `key` has a current version (latest applied state).
    pub fn exists_latest(&self, key: &[u8]) -> Result<bool> {
        let cur = &self.trees.cur;
        let snap = self.snapshot();
        Ok(snap.contains_tree(cur) && snap.get(cur, key)?.is_some())
    }

    /// Count of current rows (latest applied state; for planning).
    pub fn live_rows(&self) -> u64 {
        self.snapshot().tree_len(&self.trees.cur).unwrap_or(0)
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

    /// Raises the highest applied seq to at least `s` (recovery).
    pub fn raise_last_seq(&self, s: Seq) {
        self.last_seq.fetch_max(s, Ordering::Relaxed);
    }

    /// Applies a commit's changes at `seq` inside the B-tree write
    /// transaction `w`. An error that is not IO means the changes do not
    /// fit the table (a bug): the caller drops `w` and poisons the storage.
    pub fn apply_in(&self, w: &mut TreeTxn<'_>, seq: Seq, changes: &[Change]) -> Result<()> {
        for c in changes {
            match c {
                Change::Insert(k, row) => self.insert_in(w, seq, k, &encode(row)?)?,
                Change::Update(k, row) => {
                    let old = w.insert(&self.trees.cur, k, &cur_value(seq, &encode(row)?))?;
                    let old = old.ok_or_else(|| {
                        logic("update of a key without a current version".to_string())
                    })?;
                    self.end_in(w, seq, k, &old)?;
                }
                Change::Delete(k) => {
                    let old = w.delete(&self.trees.cur, k)?.ok_or_else(|| {
                        logic("delete of a key without a current version".to_string())
                    })?;
                    self.end_in(w, seq, k, &old)?;
                }
            }
        }
        self.last_seq.fetch_max(seq, Ordering::Relaxed);
        Ok(())
    }

    /// The change a logged event makes, given the latest applied state in
    /// `w` (a PATCH needs the row it patches), with the row it replaces.
    pub fn change_of(&self, w: &TreeTxn<'_>, ev: Event) -> Result<(Change, Option<Row>)> {
        let cur = &self.trees.cur;
        let old = match w.contains_tree(cur) {
            true => w.get(cur, ev.key())?,
            false => None,
        };
        let old = match old {
            Some(v) => {
                let (_, row) = split_cur_value(&v).map_err(|e| bad_tree(cur, e))?;
                Some(row_of(cur, row)?)
            }
            None => None,
        };
        let change = match ev {
            Event::Insert { key, row } => Change::Insert(key, row),
            Event::Patch {
                key,
                ncols,
                changes,
            } => {
                let base = old
                    .as_ref()
                    .ok_or_else(|| logic("update of a key without a current version"))?;
                Change::Update(key, patch_row(base, ncols, &changes))
            }
            Event::SoftDelete { key } => Change::Delete(key),
        };
        Ok((change, old))
    }

    fn insert_in(&self, w: &mut TreeTxn<'_>, seq: Seq, key: &[u8], row: &[u8]) -> Result<()> {
        if w.insert(&self.trees.cur, key, &cur_value(seq, row))?
            .is_some()
        {
            return Err(logic("insert of a key that already has a current version"));
        }
        Ok(())
    }

    /// Moves the version `old` (a current tree value) of `key` to history,
    /// ended at `seq`.
    fn end_in(&self, w: &mut TreeTxn<'_>, seq: Seq, key: &[u8], old: &[u8]) -> Result<()> {
        let (start, row) = split_cur_value(old).map_err(|e| bad_tree(&self.trees.cur, e))?;
        if start >= seq {
            return Err(logic(format!(
                "version started at seq {start} ended at seq {seq}"
            )));
        }
        w.insert(&self.trees.hist, &hist_key(key, start, seq), row)?;
        w.insert(&self.trees.ended, &ended_key(seq, key, start), &[])?;
        Ok(())
    }

    /// Applies `changes` at `seq` in a B-tree write transaction of its own
    /// and publishes it (tests and tools; the engine uses
    /// [`TableStore::apply_in`] inside its commit).
    pub fn apply(&self, seq: Seq, changes: &[Change]) -> Result<()> {
        let mut w = self.db.write()?;
        if !w.contains_tree(&self.trees.cur) {
            self.create_trees(&mut w)?;
        }
        self.apply_in(&mut w, seq, changes)?;
        w.commit()
    }
}
