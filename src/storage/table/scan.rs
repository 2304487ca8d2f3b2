//! Scans of a table AS OF a seq `S` over a key range, in key order.
//!
//! The rows visible at `S` are the current versions that started at or
//! before `S`, plus the ended versions with `start ≤ S < end`. Each primary
//! key has at most one visible version, so the two sets never share a key
//! and a scan is a two-way merge by key. How the ended ones are found
//! decides the cost ([`ScanIter`] picks, once, when the scan starts):
//!
//! 1. **Current** — no version ended after `S` (the ended tree has nothing
//!    past `S`: always true for the latest state, and for any `S` after the
//!    table's last update or delete). A scan of the current tree: the cost
//!    of a plain scan.
//! 2. **Ended** — the versions that ended after `S` are read from the ended
//!    tree (keyed by end seq, so they are exactly its entries past `S`),
//!    kept if they started at or before `S` and lie in the range, sorted by
//!    key in memory, and merged with the current tree; each row is fetched
//!    from the history tree. Cost: the current rows plus the changes made
//!    since `S`, i.e. about a scan of the table as it was at `S` plus what
//!    changed since. Used while at most [`ENDED_MAX`] (full scans) or
//!    [`ENDED_MAX_RANGE`] (range scans) such versions are found, among at
//!    most twice as many versions that ended after `S`.
//! 3. **History** — otherwise (an old `S`, with more changes since than fit
//!    the budget): a key-ordered merge of the current and history trees over
//!    the range. How the history tree is read depends on its depth (its
//!    entries per current row, known without reading a page):
//!    * shallow (fewer than [`SKIP_DEPTH`]): every version in the range,
//!      key by key (only the visible versions' rows are read);
//!    * deep: a **skip scan**, per primary key one seek to its first
//!      version and one backward seek from `(key, S)` to the version
//!      visible at `S`, then a jump past the key's versions. Cost: a few
//!      descents per row that existed, whatever the depth of its history,
//!      so a scan AS OF `S` costs about a scan of the table as it was.
//!
//! A scan holds one B-tree snapshot from start to end: it sees one
//! consistent state, never blocks a writer, and keeps the pages it may still
//! read from being reused until it is dropped.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use super::keys::{self, SEQ_LEN, bad_tree, hist_key, parse_ended_key, seq_bytes, split_cur_value};
use super::{TableStore, as_ref, cursor, range_ok, row_of};
use crate::error::Result;
use crate::storage::btree::{Cursor, Snapshot};
use crate::storage::{KeyRange, Seq, Version};
use crate::types::Row;

/// The most ended versions a full scan sorts in memory before falling back
/// to a merge with the history tree (about 100 bytes each).
pub const ENDED_MAX: usize = 100_000;
/// The same for scans of a bounded key range, which the history merge
/// serves well.
pub const ENDED_MAX_RANGE: usize = 1024;

/// History entries per current row from which the history tree is read
/// by a skip scan (a few descents per key) instead of entry by entry.
pub const SKIP_DEPTH: u64 = 12;

/// A visible version, with its period (`end` `None` while current).
type Item = Result<Version>;

fn found(key: Vec<u8>, row: Row, start: Seq, end: Option<Seq>) -> Version {
    Version {
        key,
        start,
        end,
        row,
    }
}

/// A source of visible rows in key order.
trait Stream: Send {
    fn next_row(&mut self) -> Option<Item>;
}

/// Current versions that started at or before `s`.
struct CurStream {
    c: Option<Cursor<'static>>,
    s: Seq,
    tree: String,
}

impl Stream for CurStream {
    fn next_row(&mut self) -> Option<Item> {
        let c = self.c.as_mut()?;
        loop {
            let (k, v) = match c.next()? {
                Ok(kv) => kv,
                Err(e) => return Some(Err(e)),
            };
            let (start, row) = match split_cur_value(&v) {
                Ok(x) => x,
                Err(e) => return Some(Err(bad_tree(&self.tree, e))),
            };
            if start <= self.s {
                return Some(row_of(&self.tree, row).map(|r| found(k, r, start, None)));
            }
        }
    }
}

/// Ended versions visible at `s`, read key by key from the history tree.
struct HistStream {
    c: Option<Cursor<'static>>,
    s: Seq,
    tree: String,
}

impl HistStream {
    fn step(&mut self) -> Result<Option<Version>> {
        let Some(c) = self.c.as_mut() else {
            return Ok(None);
        };
        while let Some(k) = c.next_key().transpose()? {
            let (start, end) = keys::hist_seqs(&k).ok_or_else(|| bad_tree(&self.tree, "key"))?;
            if start <= self.s && self.s < end {
                let (pk, _) = keys::take_escaped(&k).ok_or_else(|| bad_tree(&self.tree, "key"))?;
                let row = row_of(&self.tree, &c.value()?)?;
                return Ok(Some(found(pk, row, start, Some(end))));
            }
        }
        Ok(None)
    }
}

impl Stream for HistStream {
    fn next_row(&mut self) -> Option<Item> {
        self.step().transpose()
    }
}

/// Ended versions visible at `s`, found key by key with seeks (the skip
/// scan of the module docs).
struct HistSkipStream {
    snap: Snapshot,
    s: Seq,
    tree: String,
    /// Where the next primary key's versions begin (`None`: done).
    from: Option<Bound<Vec<u8>>>,
    upper: Bound<Vec<u8>>,
}

impl HistSkipStream {
    fn step(&mut self) -> Result<Option<Version>> {
        let t = &self.tree;
        while let Some(from) = self.from.take() {
            // The next key's first (oldest) version.
            let Some(mut c) = cursor(&self.snap, t, as_ref(&from), as_ref(&self.upper), false)?
            else {
                return Ok(None);
            };
            let Some(first) = c.next_key().transpose()? else {
                return Ok(None);
            };
            let prefix = keys::hist_prefix(&first).ok_or_else(|| bad_tree(t, "key"))?;
            let (start, end) = keys::hist_seqs(&first).ok_or_else(|| bad_tree(t, "key"))?;
            self.from = Some(Bound::Excluded(past_versions(prefix.to_vec())));
            if start > self.s {
                continue; // every version of this key started after S
            }
            let (pk, _) = keys::take_escaped(prefix).ok_or_else(|| bad_tree(t, "key"))?;
            if self.s < end {
                return Ok(Some(found(pk, row_of(t, &c.value()?)?, start, Some(end))));
            }
            // The last version that started at or before S.
            let mut hi = prefix.to_vec();
            hi.extend_from_slice(&seq_bytes(self.s));
            hi.extend_from_slice(&[0xFF; SEQ_LEN]);
            let back = cursor(
                &self.snap,
                t,
                Bound::Included(prefix),
                Bound::Included(&hi),
                true,
            )?;
            let Some(mut r) = back else {
                return Ok(None);
            };
            let Some(k) = r.next_key().transpose()? else {
                continue;
            };
            let (start, end) = keys::hist_seqs(&k).ok_or_else(|| bad_tree(t, "key"))?;
            if start <= self.s && self.s < end {
                return Ok(Some(found(pk, row_of(t, &r.value()?)?, start, Some(end))));
            }
        }
        Ok(None)
    }
}

impl Stream for HistSkipStream {
    fn next_row(&mut self) -> Option<Item> {
        let r = self.step().transpose();
        if matches!(r, Some(Err(_))) {
            self.from = None;
        }
        r
    }
}

/// Ended versions collected from the ended tree, sorted by key; rows
/// fetched from the history tree as they are returned.
struct EndedStream {
    items: VecDeque<(Vec<u8>, Seq, Seq)>,
    snap: Snapshot,
    tree: String,
}

impl Stream for EndedStream {
    fn next_row(&mut self) -> Option<Item> {
        let (pk, start, end) = self.items.pop_front()?;
        let r = self
            .snap
            .get(&self.tree, &hist_key(&pk, start, end))
            .and_then(|v| {
                let v = v.ok_or_else(|| {
                    bad_tree(&self.tree, "an ended version is missing from history")
                })?;
                row_of(&self.tree, &v)
            });
        Some(r.map(|row| found(pk, row, start, Some(end))))
    }
}

/// Two disjoint streams merged by key.
struct Merge {
    a: Box<dyn Stream>,
    b: Box<dyn Stream>,
    pa: Option<Item>,
    pb: Option<Item>,
    tree: String,
}

impl Merge {
    fn new(a: Box<dyn Stream>, b: Box<dyn Stream>, tree: String) -> Merge {
        Merge {
            a,
            b,
            pa: None,
            pb: None,
            tree,
        }
    }
}

impl Stream for Merge {
    fn next_row(&mut self) -> Option<Item> {
        if self.pa.is_none() {
            self.pa = self.a.next_row();
        }
        if self.pb.is_none() {
            self.pb = self.b.next_row();
        }
        let a_first = match (&self.pa, &self.pb) {
            (None, None) => return None,
            (Some(Err(_)), _) | (Some(_), None) => true,
            (None, Some(_)) | (_, Some(Err(_))) => false,
            (Some(Ok(a)), Some(Ok(b))) => {
                let (ka, kb) = (&a.key, &b.key);
                if ka == kb {
                    self.pa = None;
                    self.pb = None;
                    return Some(Err(bad_tree(
                        &self.tree,
                        "two versions of one key visible at one seq",
                    )));
                }
                ka < kb
            }
        };
        if a_first {
            self.pa.take()
        } else {
            self.pb.take()
        }
    }
}

/// A scan of one table as of a seq; see the module docs.
pub struct ScanIter {
    store: Arc<TableStore>,
    as_of: Seq,
    bounds: Option<KeyRange>,
    stream: Option<Box<dyn Stream>>,
    budget: Option<usize>,
    skip: Option<bool>,
}

impl ScanIter {
    /// A scan of `store` as of `as_of` over the range. Nothing is read
    /// before the first call to `next`.
    pub fn new(
        store: Arc<TableStore>,
        as_of: Seq,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Self {
        let ok = range_ok(as_ref(&lower), as_ref(&upper));
        ScanIter {
            store,
            as_of,
            bounds: ok.then_some((lower, upper)),
            stream: None,
            budget: None,
            skip: None,
        }
    }

    /// Forces the skip scan on (or off) for strategy 3 instead of choosing
    /// by depth (tests compare both).
    pub fn with_skip_scan(mut self, on: bool) -> Self {
        self.skip = Some(on);
        self
    }

    /// Uses `n` as the budget of ended versions instead of
    /// [`ENDED_MAX`] / [`ENDED_MAX_RANGE`] (tests force each strategy).
    pub fn with_ended_budget(mut self, n: usize) -> Self {
        self.budget = Some(n);
        self
    }

    fn start(&mut self) -> Result<Option<Box<dyn Stream>>> {
        let Some((lower, upper)) = self.bounds.take() else {
            return Ok(None);
        };
        let snap = self.store.snapshot();
        let trees = self.store.trees().clone();
        let s = self.as_of;
        let cur = CurStream {
            c: cursor(&snap, &trees.cur, as_ref(&lower), as_ref(&upper), false)?,
            s,
            tree: trees.cur.clone(),
        };
        let full = matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded));
        let budget = self
            .budget
            .unwrap_or(if full { ENDED_MAX } else { ENDED_MAX_RANGE });
        let ended = match ended_since(&snap, &trees.ended, s, &lower, &upper, budget)? {
            Some(e) if e.is_empty() => return Ok(Some(Box::new(cur))),
            Some(e) => e,
            None => {
                let (lo, hi) = hist_bounds(&lower, &upper);
                let hist: Box<dyn Stream> = if self.skip.unwrap_or(deep(&snap, &trees)?) {
                    Box::new(HistSkipStream {
                        snap: snap.clone(),
                        s,
                        tree: trees.hist.clone(),
                        from: Some(lo),
                        upper: hi,
                    })
                } else {
                    Box::new(HistStream {
                        c: cursor(&snap, &trees.hist, as_ref(&lo), as_ref(&hi), false)?,
                        s,
                        tree: trees.hist.clone(),
                    })
                };
                return Ok(Some(Box::new(Merge::new(Box::new(cur), hist, trees.cur))));
            }
        };
        let ended = EndedStream {
            items: ended.into(),
            snap,
            tree: trees.hist.clone(),
        };
        Ok(Some(Box::new(Merge::new(
            Box::new(cur),
            Box::new(ended),
            trees.cur,
        ))))
    }
}

/// True when the history tree holds at least [`SKIP_DEPTH`] versions per
/// current row (tree sizes are kept in the tree roots: no page is read).
fn deep(snap: &Snapshot, trees: &keys::TableTrees) -> Result<bool> {
    let len = |t: &str| -> Result<u64> {
        if snap.contains_tree(t) {
            snap.tree_len(t)
        } else {
            Ok(0)
        }
    };
    Ok(len(&trees.hist)? >= SKIP_DEPTH.saturating_mul(len(&trees.cur)?.max(1)))
}

/// A version found in the ended tree: (primary key, start seq, end seq).
type EndedVersion = (Vec<u8>, Seq, Seq);

/// The versions that ended after `s`, started at or before it and lie in
/// the range, sorted by key; `None` if there are more than `budget`, or
/// more than twice that many versions ended after `s` at all.
fn ended_since(
    snap: &Snapshot,
    tree: &str,
    s: Seq,
    lower: &Bound<Vec<u8>>,
    upper: &Bound<Vec<u8>>,
    budget: usize,
) -> Result<Option<Vec<EndedVersion>>> {
    let Some(after) = s.checked_add(1) else {
        return Ok(Some(Vec::new()));
    };
    let from = seq_bytes(after);
    let Some(mut c) = cursor(snap, tree, Bound::Included(&from), Bound::Unbounded, false)? else {
        return Ok(Some(Vec::new()));
    };
    let mut out = Vec::new();
    let mut scanned = 0usize;
    while let Some(k) = c.next_key().transpose()? {
        // Versions that started after `s` are read and dropped: past the
        // budget, reading them costs more than the other strategy.
        scanned += 1;
        if scanned > budget.saturating_mul(2) {
            return Ok(None);
        }
        let (end, pk, start) = parse_ended_key(&k).ok_or_else(|| bad_tree(tree, "key"))?;
        if start <= s && in_range(&pk, lower, upper) {
            if out.len() == budget {
                return Ok(None);
            }
            out.push((pk, start, end));
        }
    }
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(Some(out))
}

/// True if `k` lies between the bounds.
pub fn in_range(k: &[u8], lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> bool {
    let lo = match lower {
        Bound::Included(l) => k >= l.as_slice(),
        Bound::Excluded(l) => k > l.as_slice(),
        Bound::Unbounded => true,
    };
    let hi = match upper {
        Bound::Included(u) => k <= u.as_slice(),
        Bound::Excluded(u) => k < u.as_slice(),
        Bound::Unbounded => true,
    };
    lo && hi
}

/// A key after every history key of the primary key escaped as `esc`.
fn past_versions(mut esc: Vec<u8>) -> Vec<u8> {
    esc.extend_from_slice(&[0xFF; 2 * SEQ_LEN]);
    esc
}

/// Bounds on history keys (`esc(pk) ++ start ++ end`) for bounds on
/// primary keys. Every history key of `pk` lies between `esc(pk)` and
/// `esc(pk) ++ 0xFF × 16`, and escaped keys are prefix-free.
pub fn hist_bounds(lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> KeyRange {
    let past = |k: &[u8]| past_versions(keys::escaped(k));
    let lo = match lower {
        Bound::Included(k) => Bound::Included(keys::escaped(k)),
        Bound::Excluded(k) => Bound::Excluded(past(k)),
        Bound::Unbounded => Bound::Unbounded,
    };
    let hi = match upper {
        Bound::Included(k) => Bound::Included(past(k)),
        Bound::Excluded(k) => Bound::Excluded(keys::escaped(k)),
        Bound::Unbounded => Bound::Unbounded,
    };
    (lo, hi)
}

impl ScanIter {
    /// The rows with their periods: an end later than `visible` (a commit
    /// not yet published) reads as open, as in [`TableReader::versions`].
    ///
    /// [`TableReader::versions`]: crate::storage::TableReader::versions
    pub fn with_periods(mut self, visible: Seq) -> impl Iterator<Item = Result<Version>> + Send {
        std::iter::from_fn(move || self.next_version()).map(move |v| {
            v.map(|mut v| {
                v.end = v.end.filter(|e| *e <= visible);
                v
            })
        })
    }

    fn next_version(&mut self) -> Option<Item> {
        if self.stream.is_none() {
            match self.start() {
                Ok(Some(s)) => self.stream = Some(s),
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        let r = self.stream.as_mut()?.next_row();
        if matches!(r, None | Some(Err(_))) {
            self.stream = None;
        }
        r
    }
}

impl Iterator for ScanIter {
    type Item = Result<(Vec<u8>, Row)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_version().map(|r| r.map(|v| (v.key, v.row)))
    }
}
