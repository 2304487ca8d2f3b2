//! Secondary indexes over the in-memory version store: per index, a sorted
//! map from (index key, primary key) to the periods during which that row
//! had that index key.
//!
//! ```text
//!  t(id PRIMARY KEY, v), index on (v)       seq:  1      2      3      4
//!  row id=1   v=10 [1,2)  v=20 [2,3)  v=20 [3,∞)   (UPDATE at 3 kept v = 20)
//!  row id=2   v=10 [1,4)                             (DELETE at 4)
//!
//!  entry (index key, pk)   periods
//!  (10, 1)                 [1,2)
//!  (10, 2)                 [1,4)
//!  (20, 1)                 [2,∞)    one period spanning two row versions
//! ```
//!
//! An index key is `encoding::keycode::encode_key` of the row's values at
//! the index's columns (a column the row is too short for reads as NULL;
//! NULLs are indexed and sort last). An **entry** is stored under the bytes
//! `index key ++ primary key`: keycode values are self-delimiting, so no
//! index key of an index is a proper prefix of another and byte order of the
//! concatenation is (index key, primary key) order.
//!
//! A period is `[start, end)` like a row version's, and is visible AS OF `S`
//! when `start ≤ S < end`. An UPDATE that keeps the index key keeps the
//! entry's period open; one that changes it ends the old entry and starts a
//! new one at the commit's seq; DELETE ends it; a re-INSERT starts a new
//! period. Every row version therefore lies in exactly one period of one
//! entry, and the versions of an entry's period are those of its primary key
//! that started inside it. Building an index from a table's history
//! ([`IndexStore::fill`]) and maintaining it commit by commit
//! ([`IndexStore::apply`]) give the same entries.
//!
//! **Range bounds** are given on index keys and are prefix-aware: a bound
//! may encode fewer values than the index has columns, and is then compared
//! with the key's leading columns, as SQL compares them (`Included(k)` as an
//! upper bound takes every key beginning with `k`, `Excluded(k)` as a lower
//! bound skips them). For whole keys this is plain byte comparison.
//!
//! Concurrency is that of `storage::table`: one `RwLock` per index, held for
//! at most [`SCAN_CHUNK`] entries; commits apply at a seq above the
//! published one, so what readers see at a published seq never changes.
//!
//! This is the seam the B-tree issue replaces: the methods of [`IndexStore`]
//! (chunked scans as of a seq and over periods, apply, fill) are all the rest
//! of storage uses. Index *contents* are derived data: rebuilt from the
//! table's versions at recovery until the B-tree persists them.

pub mod files;
pub mod meta;
pub mod overlay;
pub mod scan;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::table::{Chain, OPEN, SCAN_CHUNK, TableStore, range_ok};
use super::{Seq, VersionFilter};
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

#[derive(Debug, Clone)]
struct Entry {
    /// Where the index key ends and the primary key begins.
    ikey_len: usize,
    /// Oldest first, disjoint; only the last may be open.
    periods: Vec<Period>,
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

/// The entries of one index.
#[derive(Debug, Default)]
pub struct IndexStore {
    map: RwLock<BTreeMap<Vec<u8>, Entry>>,
}

/// A lower and an upper bound on byte-string keys.
pub type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// `(index key, primary key, periods)`, as [`IndexStore::periods_chunk`]
/// returns them.
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

/// The stored key of an entry: the index key, then the primary key.
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

/// Bounds on entry keys for prefix-aware bounds on index keys (module
/// docs), or `None` when the range holds nothing.
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

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn visible(periods: &[Period], s: Seq) -> bool {
    periods.iter().rev().any(|p| p.start <= s && s < p.end)
}

/// True if some version inside `p` could pass `filter` with `visible`
/// published (a version's period lies inside its entry's period).
pub fn may_pass(p: &Period, filter: VersionFilter, visible: Seq) -> bool {
    let end = if p.end > visible { OPEN } else { p.end };
    p.start <= filter.start_le.min(visible) && end > filter.end_gt
}

impl IndexStore {
    /// An empty index.
    pub fn new() -> IndexStore {
        IndexStore::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<Vec<u8>, Entry>> {
        // Nothing panics while holding this lock; a poisoned lock still
        // guards a consistent map.
        self.map.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<Vec<u8>, Entry>> {
        self.map.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Number of entries ((index key, primary key) pairs, current or past).
    pub fn entries(&self) -> usize {
        self.read().len()
    }

    /// Every entry with its periods, in order (tests and dumps).
    pub fn dump(&self) -> Vec<EntryPeriods> {
        let map = self.read();
        map.iter()
            .map(|(k, e)| {
                let (i, p) = k.split_at(e.ikey_len);
                (i.to_vec(), p.to_vec(), e.periods.clone())
            })
            .collect()
    }

    /// Entries visible as of `s` between the entry-key bounds (see
    /// [`entry_bounds`]), at most [`SCAN_CHUNK`] examined, appended to `out`
    /// as (index key, primary key). Returns the bound to resume from.
    pub fn scan_chunk(
        &self,
        s: Seq,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
        out: &mut Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Option<Bound<Vec<u8>>> {
        self.chunk(lower, upper, |k, e| {
            if visible(&e.periods, s) {
                let (i, p) = k.split_at(e.ikey_len);
                out.push((i.to_vec(), p.to_vec()));
            }
        })
    }

    /// Entries with their periods that `keep`, chunked like
    /// [`Self::scan_chunk`].
    pub fn periods_chunk(
        &self,
        keep: impl Fn(&Period) -> bool,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
        out: &mut Vec<EntryPeriods>,
    ) -> Option<Bound<Vec<u8>>> {
        self.chunk(lower, upper, |k, e| {
            let ps: Vec<Period> = e.periods.iter().filter(|p| keep(p)).copied().collect();
            if !ps.is_empty() {
                let (i, p) = k.split_at(e.ikey_len);
                out.push((i.to_vec(), p.to_vec(), ps));
            }
        })
    }

    fn chunk(
        &self,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
        mut f: impl FnMut(&[u8], &Entry),
    ) -> Option<Bound<Vec<u8>>> {
        let (lo, hi) = (as_ref(lower), as_ref(upper));
        if !range_ok(lo, hi) {
            return None;
        }
        let map = self.read();
        let mut last: Option<&[u8]> = None;
        for (n, (key, e)) in map.range::<[u8], _>((lo, hi)).enumerate() {
            if n == SCAN_CHUNK {
                return last.map(|k| Bound::Excluded(k.to_vec()));
            }
            f(key, e);
            last = Some(key);
        }
        None
    }

    /// Applies a commit's changes at `seq`, re-taking the write lock every
    /// [`SCAN_CHUNK`] changes. An error means the index and the table
    /// disagree (a bug): the caller poisons the storage.
    pub fn apply(&self, seq: Seq, changes: &[IxChange]) -> std::result::Result<(), String> {
        for part in changes.chunks(SCAN_CHUNK) {
            let mut map = self.write();
            for c in part.iter().filter(|c| c.old != c.new) {
                if let Some(old) = &c.old {
                    end_locked(&mut map, &entry_key(old, &c.pk), seq)?;
                }
                if let Some(new) = &c.new {
                    start_locked(&mut map, new, &c.pk, seq)?;
                }
            }
        }
        Ok(())
    }

    /// Fills an empty index from every version of `table` (its whole
    /// history, so the index answers AS OF any seq), reading and inserting
    /// [`SCAN_CHUNK`] keys at a time. The caller keeps `table` from changing
    /// meanwhile (it holds the write path, or is recovery).
    pub fn fill(&self, table: &TableStore, columns: &[usize]) -> Result<()> {
        let mut next = Some(Bound::Unbounded);
        while let Some(lower) = next.take() {
            let mut batch = Vec::new();
            let mut err = None;
            next = table.chains_chunk(&lower, &Bound::Unbounded, |pk, chain| {
                if err.is_none() {
                    err = periods_of(pk, chain, columns, &mut batch).err();
                }
            });
            if let Some(e) = err {
                return Err(e);
            }
            let mut map = self.write();
            for (ikey, pk, p) in batch {
                map.entry(entry_key(&ikey, &pk))
                    .or_insert_with(|| Entry {
                        ikey_len: ikey.len(),
                        periods: Vec::with_capacity(1),
                    })
                    .periods
                    .push(p);
            }
        }
        Ok(())
    }
}

/// The entries of one key's chain: consecutive versions with the same index
/// key, where one ends at the seq the next starts (an UPDATE), share one
/// period.
fn periods_of(
    pk: &[u8],
    chain: &Chain,
    columns: &[usize],
    out: &mut Vec<(Vec<u8>, Vec<u8>, Period)>,
) -> Result<()> {
    let mut cur: Option<(Vec<u8>, Period)> = None;
    for v in chain {
        let k = index_key(&v.row, columns)?;
        match &mut cur {
            Some((ck, p)) if *ck == k && p.end == v.start => p.end = v.end,
            _ => {
                if let Some((ck, p)) = cur.take() {
                    out.push((ck, pk.to_vec(), p));
                }
                let p = Period {
                    start: v.start,
                    end: v.end,
                };
                cur = Some((k, p));
            }
        }
    }
    if let Some((ck, p)) = cur {
        out.push((ck, pk.to_vec(), p));
    }
    Ok(())
}

fn end_locked(
    map: &mut BTreeMap<Vec<u8>, Entry>,
    key: &[u8],
    seq: Seq,
) -> std::result::Result<(), String> {
    let e = map
        .get_mut(key)
        .ok_or_else(|| "ending an index entry that does not exist".to_string())?;
    let last = e
        .periods
        .last_mut()
        .filter(|p| p.end == OPEN)
        .ok_or_else(|| "ending an index entry that is not current".to_string())?;
    if last.start > seq {
        return Err(format!(
            "index entry started at seq {} ended at earlier seq {seq}",
            last.start
        ));
    }
    last.end = seq;
    if last.start == seq {
        e.periods.pop();
        if e.periods.is_empty() {
            map.remove(key);
        }
    }
    Ok(())
}

fn start_locked(
    map: &mut BTreeMap<Vec<u8>, Entry>,
    ikey: &[u8],
    pk: &[u8],
    seq: Seq,
) -> std::result::Result<(), String> {
    let e = map.entry(entry_key(ikey, pk)).or_insert_with(|| Entry {
        ikey_len: ikey.len(),
        periods: Vec::with_capacity(1),
    });
    if let Some(last) = e.periods.last() {
        if last.end == OPEN {
            return Err("starting an index entry that is already current".into());
        }
        if last.end > seq {
            return Err(format!(
                "index entry started at seq {seq} before its last end {}",
                last.end
            ));
        }
    }
    e.periods.push(Period {
        start: seq,
        end: OPEN,
    });
    Ok(())
}

/// The error for an index id that does not exist (in this view).
pub fn undefined_index(id: super::IndexId) -> Error {
    crate::sql_err!(
        crate::error::SqlState::UNDEFINED_OBJECT,
        "index with OID {id} does not exist"
    )
}
