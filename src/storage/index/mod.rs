//! Secondary indexes, versioned like rows: per index, the periods during
//! which each row had each index key, in two B-trees of the database's page
//! file — the **current** tree (open periods) and the **history** tree
//! (closed ones). Byte layouts in `storage::table::keys` and docs/FORMAT.md.
//!
//! ```text
//!  t(id PRIMARY KEY, v), index on (v)       seq:  1      2      3      4
//!  row id=1   v=10 [1,2)  v=20 [2,3)  v=20 [3,∞)   (UPDATE at 3 kept v = 20)
//!  row id=2   v=10 [1,4)                             (DELETE at 4)
//!
//!  entry (index key, pk)   periods
//!  (10, 1)                 [1,2)      history tree: (10, 1, 1, 2)
//!  (10, 2)                 [1,4)      history tree: (10, 2, 1, 4)
//!  (20, 1)                 [2,∞)      current tree: (20, 1) → start 2
//! ```
//!
//! An index key is `encoding::keycode::encode_key` of the row's values at
//! the index's columns (a column the row is too short for reads as NULL;
//! NULLs are indexed and sort last). An **entry** is stored under the bytes
//! `index key ++ esc(primary key)`: keycode values are self-delimiting and
//! escaped keys prefix-free, so byte order is (index key, primary key)
//! order, and a history key (the entry, then start and end seqs) sorts with
//! its entry.
//!
//! A period is `[start, end)` like a row version's, and is visible AS OF `S`
//! when `start ≤ S < end`. An UPDATE that keeps the index key keeps the
//! entry's period open; one that changes it ends the old entry and starts a
//! new one at the commit's seq; DELETE ends it; a re-INSERT starts a new
//! period. Every row version therefore lies in exactly one period of one
//! entry, and the versions of an entry's period are those of its primary key
//! that started inside it. Building an index from a table's history
//! ([`IndexStore::fill`]) and maintaining it commit by commit
//! ([`IndexStore::apply_in`]) give the same entries.
//!
//! **Range bounds** are given on index keys and are prefix-aware: a bound
//! may encode fewer values than the index has columns, and is then compared
//! with the key's leading columns, as SQL compares them (`Included(k)` as an
//! upper bound takes every key beginning with `k`, `Excluded(k)` as a lower
//! bound skips them). For whole keys this is plain byte comparison.
//!
//! Concurrency is that of `storage::table`: commits apply at a seq above the
//! published one inside their B-tree write transaction; readers read a
//! B-tree snapshot at a published seq, lock-free.
//!
//! Index contents persist with the page file's checkpoints; recovery
//! replays only the WAL since (an index created after the last checkpoint
//! is filled again from its table when its DDL is replayed).

pub mod files;
pub mod meta;
pub mod overlay;
pub mod scan;
#[cfg(test)]
pub(crate) mod tests;

use std::ops::Bound;
use std::sync::Arc;

use super::btree::{BTreeStore, Snapshot, WriteTxn as TreeTxn};
use super::table::keys::{
    IndexTrees, bad_tree, check_ix_entry, hist_prefix, hist_seqs, ix_cur_value, ix_entry,
    ix_hist_key, ix_hist_value, parse_ix_cur_value, parse_ix_hist_value, split_ix_entry,
};
use super::table::{OPEN, TableStore, VersionsIter, as_ref, cursor, range_ok};
use super::{IndexId, Seq, VersionFilter};
use crate::encoding::keycode::encode_key;
use crate::error::{Error, Result};
use crate::types::Value;

/// Seqs `[start, end)` during which a row had an entry's index key; `end`
/// is [`OPEN`] while it still has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First seq with the key.
    pub start: Seq,
    /// First seq without it, or [`OPEN`].
    pub end: Seq,
}

/// One row's change to one index in a commit: end the entry under `old`,
/// start one under `new` (either may be absent; equal keys change nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IxChange {
    /// The row's primary key.
    pub pk: Vec<u8>,
    /// Its index key before the commit, if it existed.
    pub old: Option<Vec<u8>>,
    /// Its index key after the commit, if it still exists.
    pub new: Option<Vec<u8>>,
}

/// One index: a handle on its trees.
#[derive(Debug)]
pub struct IndexStore {
    id: IndexId,
    db: Arc<BTreeStore>,
    trees: IndexTrees,
}

pub use super::KeyRange;

/// `(index key, primary key, periods)`, as [`IndexStore::dump`] returns
/// them.
pub type EntryPeriods = (Vec<u8>, Vec<u8>, Vec<Period>);

/// The index key of `row` for an index over `columns`.
pub fn index_key(row: &[Value], columns: &[usize]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(columns.len() * 10);
    for &c in columns {
        let v = row.get(c).unwrap_or(&Value::Null);
        encode_key(std::slice::from_ref(v), &mut out)?;
    }
    Ok(out)
}

/// The key of an entry as a transaction's overlay keeps it: the index key,
/// then the primary key (raw: the overlay compares them as a pair).
pub fn entry_key(ikey: &[u8], pk: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(ikey.len() + pk.len());
    k.extend_from_slice(ikey);
    k.extend_from_slice(pk);
    k
}

/// The smallest byte string greater than every string beginning with `p`,
/// or `None` if there is none (`p` is empty or all `0xFF`).
pub fn prefix_end(p: &[u8]) -> Option<Vec<u8>> {
    let last = p.iter().rposition(|b| *b != 0xFF)?;
    let mut v = p[..=last].to_vec();
    v[last] += 1;
    Some(v)
}

/// Bounds on stored keys (which begin with the index key) for
/// prefix-aware bounds on index keys (module docs), or `None` when the
/// range holds nothing.
pub fn entry_bounds(lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> Option<KeyRange> {
    let lo = match lower {
        Bound::Included(k) => Bound::Included(k.clone()),
        Bound::Excluded(k) => Bound::Included(prefix_end(k)?),
        Bound::Unbounded => Bound::Unbounded,
    };
    let hi = match upper {
        Bound::Included(k) => prefix_end(k).map_or(Bound::Unbounded, Bound::Excluded),
        Bound::Excluded(k) => Bound::Excluded(k.clone()),
        Bound::Unbounded => Bound::Unbounded,
    };
    range_ok(as_ref(&lo), as_ref(&hi)).then_some((lo, hi))
}

/// True if some version inside `p` could pass `filter` with `visible`
/// published (a version's period lies inside its entry's period).
pub fn may_pass(p: &Period, filter: VersionFilter, visible: Seq) -> bool {
    let end = if p.end > visible { OPEN } else { p.end };
    p.start <= filter.start_le.min(visible) && end > filter.end_gt
}

fn logic(what: impl Into<String>) -> Error {
    Error::Internal(what.into())
}

/// One stored period: (entry bytes, index key length, period).
pub type StoredPeriod = (Vec<u8>, usize, Period);

/// Reads the periods of an index's two trees in (entry, start) order.
pub struct PeriodReader {
    cur: Option<super::btree::Cursor<'static>>,
    hist: Option<super::btree::Cursor<'static>>,
    pc: Option<Result<StoredPeriod>>,
    ph: Option<Result<StoredPeriod>>,
    keep: Box<dyn Fn(&Period) -> bool + Send>,
    trees: IndexTrees,
}

impl PeriodReader {
    /// The periods that `keep`, between entry-key bounds, from `snap`.
    pub fn new(
        snap: &Snapshot,
        trees: &IndexTrees,
        (lo, hi): (&Bound<Vec<u8>>, &Bound<Vec<u8>>),
        keep: Box<dyn Fn(&Period) -> bool + Send>,
    ) -> Result<PeriodReader> {
        Ok(PeriodReader {
            cur: cursor(snap, &trees.cur, as_ref(lo), as_ref(hi), false)?,
            hist: cursor(snap, &trees.hist, as_ref(lo), as_ref(hi), false)?,
            pc: None,
            ph: None,
            keep,
            trees: trees.clone(),
        })
    }

    fn next_cur(&mut self) -> Result<Option<StoredPeriod>> {
        let Some(c) = self.cur.as_mut() else {
            return Ok(None);
        };
        while let Some((k, v)) = c.next().transpose()? {
            let (start, len) = parse_ix_cur_value(&v).map_err(|e| bad_tree(&self.trees.cur, e))?;
            let p = Period { start, end: OPEN };
            if (self.keep)(&p) {
                return Ok(Some((k, len, p)));
            }
        }
        Ok(None)
    }

    fn next_hist(&mut self) -> Result<Option<StoredPeriod>> {
        let Some(c) = self.hist.as_mut() else {
            return Ok(None);
        };
        let tree = &self.trees.hist;
        while let Some(k) = c.next_key().transpose()? {
            let (start, end) = hist_seqs(&k).ok_or_else(|| bad_tree(tree, "key"))?;
            let p = Period { start, end };
            if (self.keep)(&p) {
                let len = parse_ix_hist_value(&c.value()?).map_err(|e| bad_tree(tree, e))?;
                let entry = hist_prefix(&k).ok_or_else(|| bad_tree(tree, "key"))?;
                return Ok(Some((entry.to_vec(), len, p)));
            }
        }
        Ok(None)
    }
}

impl Iterator for PeriodReader {
    type Item = Result<StoredPeriod>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pc.is_none() {
            self.pc = self.next_cur().transpose();
        }
        if self.ph.is_none() {
            self.ph = self.next_hist().transpose();
        }
        let hist_first = match (&self.ph, &self.pc) {
            (None, None) => return None,
            (Some(Err(_)), _) | (Some(_), None) => true,
            (None, Some(_)) | (_, Some(Err(_))) => false,
            (Some(Ok(h)), Some(Ok(c))) => (&h.0, h.2.start) < (&c.0, c.2.start),
        };
        let r = if hist_first {
            self.ph.take()
        } else {
            self.pc.take()
        };
        if matches!(r, Some(Err(_))) {
            self.cur = None;
            self.hist = None;
        }
        r
    }
}

/// Splits a stored period's entry into (index key, primary key).
pub fn split_period(tree: &str, p: &StoredPeriod) -> Result<(Vec<u8>, Vec<u8>)> {
    split_ix_entry(&p.0, p.1).ok_or_else(|| bad_tree(tree, "entry key"))
}

impl IndexStore {
    /// The handle of index `id`'s trees in `db`.
    pub fn new(id: IndexId, db: Arc<BTreeStore>) -> IndexStore {
        IndexStore {
            id,
            db,
            trees: IndexTrees::of(id),
        }
    }

    /// The index's id.
    pub fn id(&self) -> IndexId {
        self.id
    }

    /// The trees' names.
    pub fn trees(&self) -> &IndexTrees {
        &self.trees
    }

    /// A snapshot of every tree as of the last B-tree publish.
    pub fn snapshot(&self) -> Snapshot {
        self.db.snapshot()
    }

    /// Creates the index's trees, empty (replacing any left over).
    pub fn create_trees(&self, w: &mut TreeTxn<'_>) -> Result<()> {
        for t in self.trees.all() {
            w.drop_tree(t)?;
            w.create_tree(t)?;
        }
        Ok(())
    }

    /// Drops the index's trees and frees their pages.
    pub fn drop_trees(&self, w: &mut TreeTxn<'_>) -> Result<()> {
        for t in self.trees.all() {
            w.drop_tree(t)?;
        }
        Ok(())
    }

    /// Number of periods stored (open and closed).
    pub fn entries(&self) -> usize {
        let snap = self.snapshot();
        let n = |t: &str| snap.tree_len(t).unwrap_or(0);
        usize::try_from(n(&self.trees.cur) + n(&self.trees.hist)).unwrap_or(usize::MAX)
    }

    /// Every entry with its periods, in order (tests and dumps).
    pub fn dump(&self) -> Result<Vec<EntryPeriods>> {
        let bounds = (&Bound::Unbounded, &Bound::Unbounded);
        let reader = PeriodReader::new(&self.snapshot(), &self.trees, bounds, Box::new(|_| true))?;
        let mut out: Vec<EntryPeriods> = Vec::new();
        let mut last: Vec<u8> = Vec::new();
        for p in reader {
            let p = p?;
            if out.is_empty() || p.0 != last {
                let (ikey, pk) = split_period(&self.trees.cur, &p)?;
                out.push((ikey, pk, Vec::new()));
                last = p.0.clone();
            }
            if let Some(e) = out.last_mut() {
                e.2.push(p.2);
            }
        }
        Ok(out)
    }

    /// Applies a commit's changes at `seq` inside the B-tree write
    /// transaction `w`. An error that is not IO means the index and the
    /// table disagree (a bug): the caller drops `w` and poisons the storage.
    pub fn apply_in(&self, w: &mut TreeTxn<'_>, seq: Seq, changes: &[IxChange]) -> Result<()> {
        for c in changes.iter().filter(|c| c.old != c.new) {
            if let Some(old) = &c.old {
                self.end_in(w, &ix_entry(old, &c.pk), seq)?;
            }
            if let Some(new) = &c.new {
                let entry = ix_entry(new, &c.pk);
                let v = ix_cur_value(seq, new.len());
                if w.insert(&self.trees.cur, &entry, &v)?.is_some() {
                    return Err(logic("starting an index entry that is already current"));
                }
            }
        }
        Ok(())
    }

    fn end_in(&self, w: &mut TreeTxn<'_>, entry: &[u8], seq: Seq) -> Result<()> {
        let v = w
            .delete(&self.trees.cur, entry)?
            .ok_or_else(|| logic("ending an index entry that is not current"))?;
        let (start, len) = parse_ix_cur_value(&v).map_err(|e| bad_tree(&self.trees.cur, e))?;
        if start > seq {
            return Err(logic(format!(
                "index entry started at seq {start} ended at earlier seq {seq}"
            )));
        }
        if start < seq {
            let k = ix_hist_key(entry, start, seq);
            w.insert(&self.trees.hist, &k, &ix_hist_value(len))?;
        }
        Ok(())
    }

    /// Applies `changes` at `seq` in a B-tree write transaction of its own
    /// (tests; the engine uses [`IndexStore::apply_in`] inside its commit).
    pub fn apply(&self, seq: Seq, changes: &[IxChange]) -> Result<()> {
        let mut w = self.db.write()?;
        if !w.contains_tree(&self.trees.cur) {
            for t in self.trees.all() {
                w.create_tree(t)?;
            }
        }
        self.apply_in(&mut w, seq, changes)?;
        w.commit()
    }

    /// Fills the index (its trees are created empty, replacing anything
    /// there) from every version of `table`, the whole history, so that it
    /// answers AS OF any seq, in one B-tree write transaction (a checkpoint
    /// waits for it; the trees belong to no committed index until the
    /// caller's commit, so recovery drops them if the transaction never
    /// commits).
    /// The caller keeps `table` from changing meanwhile (it holds the write
    /// path, or is recovery). An entry too long for the trees is refused
    /// (54000, naming the index `name`) as writes refuse it.
    pub fn fill(&self, table: &Arc<TableStore>, columns: &[usize], name: &str) -> Result<()> {
        // One write transaction for the whole build: each index page is
        // copied once and then rewritten in place. (Publishing batch by
        // batch copied every touched leaf again per batch, and the table
        // scan's snapshot kept the copies from being reused: 25 GB of page
        // file for an index over 3M versions.) Its private pages are
        // written back when the pool evicts them, so memory stays bounded.
        let mut w = self.db.write()?;
        self.create_trees(&mut w)?;
        let all = VersionFilter {
            start_le: Seq::MAX,
            end_gt: 0,
        };
        let versions = VersionsIter::new(
            table.clone(),
            all,
            Seq::MAX,
            Bound::Unbounded,
            Bound::Unbounded,
        );
        let mut cur: Option<(Vec<u8>, Vec<u8>, Period)> = None;
        for v in versions {
            let v = v?;
            let k = index_key(&v.row, columns)?;
            check_ix_entry(&k, &v.key, name)?;
            let end = v.end.unwrap_or(OPEN);
            match &mut cur {
                Some((ck, cpk, p)) if *cpk == v.key && *ck == k && p.end == v.start => p.end = end,
                _ => {
                    if let Some(done) = cur.take() {
                        self.insert_period(&mut w, &done)?;
                    }
                    let p = Period {
                        start: v.start,
                        end,
                    };
                    cur = Some((k, v.key, p));
                }
            }
        }
        if let Some(done) = cur {
            self.insert_period(&mut w, &done)?;
        }
        w.commit()
    }

    fn insert_period(
        &self,
        w: &mut TreeTxn<'_>,
        (ikey, pk, p): &(Vec<u8>, Vec<u8>, Period),
    ) -> Result<()> {
        let entry = ix_entry(ikey, pk);
        if p.end == OPEN {
            w.insert(&self.trees.cur, &entry, &ix_cur_value(p.start, ikey.len()))?;
        } else {
            let k = ix_hist_key(&entry, p.start, p.end);
            w.insert(&self.trees.hist, &k, &ix_hist_value(ikey.len()))?;
        }
        Ok(())
    }
}

/// The error for an index id that does not exist (in this view).
pub fn undefined_index(id: super::IndexId) -> Error {
    crate::sql_err!(
        crate::error::SqlState::UNDEFINED_OBJECT,
        "index with OID {id} does not exist"
    )
}
