//! The spilled form of a transaction's overlay (`super::overlay`): the
//! same rows, undo log and index entries as the in-memory form, in three
//! trees of a private [`ScratchTree`] under `<data>/tmp/txn-<n>/`.
//!
//! ```text
//! tree  key                                value
//! ROWS  table id (BE u32) ++ primary key   pending: flags ++ row
//! IX    index id (BE u32) ++ entry key     index key length (varint)
//! UNDO  position (BE u64)                  table id (BE u32) ++ varint key length ++ key
//!                                          ++ 0 (key was not in the overlay)
//!                                             | 1 ++ its previous pending
//! pending: flags (bit 0: existed before the transaction; bit 1: a row
//!          follows) ++ the row in the table trees' encoding (`rowcodec`)
//! ```
//!
//! Entry keys are the index key ++ the primary key, as in memory
//! (`index::entry_key`). Catalog undo records stay in memory, keyed by
//! their position in the undo log. The directory is removed when the
//! overlay (or the iterator a commit consumes it through) is dropped, and
//! the engine empties `<data>/tmp/` when it opens, for a crash.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::cat_indexes;
use super::mem::{MemOverlay, Undo};
use super::overlay::{CatRec, Dropped, Entries, OverIter, Pending};
use crate::error::{Error, Result};
use crate::storage::btree::ScratchTree;
use crate::storage::catalog_store::Catalog;
use crate::storage::codec::{Cursor, put_varint};
use crate::storage::engine::Inner;
use crate::storage::index::overlay::{OverlayEntries, OverlayRows};
use crate::storage::index::{entry_bounds, entry_key, index_key, prefix_end};
use crate::storage::io::FileSystem;
use crate::storage::rowcodec::{decode_row, encode_row};
use crate::storage::{IndexId, IndexMeta, TMP_DIR, TableId};
use crate::types::Row;

const ROWS: usize = 0;
const IX: usize = 1;
const UNDO: usize = 2;

/// The scratch file's buffer pool: all the memory a spilled overlay uses
/// for its data, whatever its size.
pub const SCRATCH_CACHE_BYTES: usize = 4 << 20;

/// Entries moved per batch where a tree is read while it is changed, and
/// read ahead by a commit.
const BATCH: usize = 1024;

const BASE_EXISTS: u8 = 1;
const HAS_ROW: u8 = 2;

/// Numbers scratch directories within the process (the data directory
/// lock keeps other processes out).
static NEXT_DIR: AtomicU64 = AtomicU64::new(1);

/// Removes the scratch directory when dropped.
#[derive(Debug)]
struct ScratchDir {
    fs: Arc<dyn FileSystem>,
    path: PathBuf,
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(e) = self.fs.remove_dir_all(&self.path) {
            crate::log_warn!(
                "could not remove transaction scratch directory \"{}\": {}",
                self.path.display(),
                e.message()
            );
        }
    }
}

/// The spilled overlay. See the module docs.
#[derive(Debug)]
pub(super) struct Spill {
    tree: ScratchTree,
    /// Entries in ROWS per table (hidden tables included).
    counts: BTreeMap<TableId, u64>,
    /// Tables dropped in the transaction whose rows are still in ROWS.
    hidden: BTreeSet<TableId>,
    /// Catalog undo records by position.
    cat_undo: BTreeMap<u64, CatRec<()>>,
    /// Positions in the undo log.
    undo_len: u64,
    /// Last: removed after the file is closed.
    dir: ScratchDir,
}

fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::Internal(format!("transaction scratch file: {what}"))
}

fn prefixed(prefix: &[u8], k: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(prefix.len() + k.len());
    v.extend_from_slice(prefix);
    v.extend_from_slice(k);
    v
}

fn row_key(table: TableId, pk: &[u8]) -> Vec<u8> {
    prefixed(&table.to_be_bytes(), pk)
}

fn ix_key(id: IndexId, ikey: &[u8], pk: &[u8]) -> Vec<u8> {
    prefixed(&id.to_be_bytes(), &entry_key(ikey, pk))
}

/// Splits a 4-byte id prefix off a key.
fn split_id(k: &[u8]) -> Result<(u32, &[u8])> {
    match k.split_first_chunk::<4>() {
        Some((id, rest)) => Ok((u32::from_be_bytes(*id), rest)),
        None => Err(corrupt(format!("key of {} bytes", k.len()))),
    }
}

/// Key bounds under `prefix` for bounds on the rest of the key.
fn prefix_bounds(
    prefix: &[u8],
    lower: &Bound<Vec<u8>>,
    upper: &Bound<Vec<u8>>,
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let lo = match lower {
        Bound::Included(k) => Bound::Included(prefixed(prefix, k)),
        Bound::Excluded(k) => Bound::Excluded(prefixed(prefix, k)),
        Bound::Unbounded => Bound::Included(prefix.to_vec()),
    };
    let hi = match upper {
        Bound::Included(k) => Bound::Included(prefixed(prefix, k)),
        Bound::Excluded(k) => Bound::Excluded(prefixed(prefix, k)),
        Bound::Unbounded => prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded),
    };
    (lo, hi)
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    super::as_slice(b)
}

/// Encodes a pending state (module docs).
fn encode_pending(p: &Pending) -> Result<Vec<u8>> {
    let flags = if p.base_exists { BASE_EXISTS } else { 0 };
    match &p.row {
        None => Ok(vec![flags]),
        Some(row) => {
            let mut out = vec![flags | HAS_ROW];
            encode_row(&mut out, row)?;
            Ok(out)
        }
    }
}

/// (exists now, existed before) from a pending's flags alone.
fn pending_flags(b: &[u8]) -> Result<(bool, bool)> {
    let f = *b.first().ok_or_else(|| corrupt("empty pending entry"))?;
    Ok((f & HAS_ROW != 0, f & BASE_EXISTS != 0))
}

fn decode_pending(b: &[u8]) -> Result<Pending> {
    let (has_row, base_exists) = pending_flags(b)?;
    let row = if has_row {
        Some(decode_row(&b[1..]).map_err(corrupt)?)
    } else {
        None
    };
    Ok(Pending { base_exists, row })
}

/// The row of an encoded pending, if any.
fn pending_row(b: Option<&[u8]>) -> Result<Option<Row>> {
    match b {
        Some(b) => Ok(decode_pending(b)?.row),
        None => Ok(None),
    }
}

fn encode_undo(table: TableId, key: &[u8], prev: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + key.len() + prev.map_or(0, <[u8]>::len));
    out.extend_from_slice(&table.to_be_bytes());
    put_varint(&mut out, key.len() as u64);
    out.extend_from_slice(key);
    match prev {
        None => out.push(0),
        Some(p) => {
            out.push(1);
            out.extend_from_slice(p);
        }
    }
    out
}

/// An undo data record: (table, key, previous pending bytes).
type UndoData<'a> = (TableId, &'a [u8], Option<&'a [u8]>);

/// Decodes an undo data record.
fn decode_undo(b: &[u8]) -> Result<UndoData<'_>> {
    let (table, rest) = split_id(b)?;
    let mut c = Cursor::new(rest);
    let n = c.varint().map_err(corrupt)?;
    let n = usize::try_from(n).map_err(|_| corrupt("undo key length"))?;
    let key = c.bytes(n).map_err(corrupt)?;
    let prev = match c.u8().map_err(corrupt)? {
        0 => None,
        1 => Some(c.bytes(c.remaining()).map_err(corrupt)?),
        t => return Err(corrupt(format!("undo record tag {t}"))),
    };
    Ok((table, key, prev))
}

impl Spill {
    /// Creates an empty scratch file under `<data>/tmp/`.
    fn create(inner: &Inner) -> Result<Spill> {
        let fs = inner.fs.clone();
        let tmp = inner.root.join(TMP_DIR);
        if !fs.exists(&tmp)?
            && let Err(e) = fs.create_dir(&tmp)
            && !fs.exists(&tmp)?
        {
            return Err(e);
        }
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let path = tmp.join(format!("txn-{}-{n}", std::process::id()));
        if fs.exists(&path)? {
            fs.remove_dir_all(&path)?;
        }
        fs.create_dir(&path)?;
        let dir = ScratchDir { fs, path };
        let tree = ScratchTree::create(dir.fs.as_ref(), &dir.path, SCRATCH_CACHE_BYTES, 3)?;
        Ok(Spill {
            tree,
            counts: BTreeMap::new(),
            hidden: BTreeSet::new(),
            cat_undo: BTreeMap::new(),
            undo_len: 0,
            dir,
        })
    }

    /// The scratch directory.
    pub(super) fn dir(&self) -> &Path {
        &self.dir.path
    }

    /// A scratch file holding everything `m` holds (which is left as is).
    pub(super) fn from_mem(m: &MemOverlay, inner: &Inner) -> Result<Spill> {
        let mut s = Spill::create(inner)?;
        for (table, map) in &m.data {
            for (k, p) in map {
                s.put_row(*table, k, p)?;
            }
        }
        for (id, ek, len) in m.ix.entries() {
            let mut v = Vec::new();
            put_varint(&mut v, len as u64);
            s.tree.insert(IX, &prefixed(&id.to_be_bytes(), ek), &v)?;
        }
        for u in &m.undo {
            match u {
                Undo::Data { table, key, prev } => {
                    let prev = prev.as_ref().map(encode_pending).transpose()?;
                    s.push_undo(*table, key, prev.as_deref())?;
                }
                Undo::Catalog(rec) => {
                    let dropped = match &rec.dropped {
                        Some(d) => {
                            for (k, p) in &d.rows {
                                s.put_row(d.table, k, p)?;
                            }
                            s.hidden.insert(d.table);
                            Some(Dropped {
                                table: d.table,
                                rowid: d.rowid,
                                rows: (),
                            })
                        }
                        None => None,
                    };
                    s.push_catalog(CatRec {
                        prev: rec.prev.clone(),
                        dropped,
                    });
                }
            }
        }
        Ok(s)
    }

    fn put_row(&mut self, table: TableId, key: &[u8], p: &Pending) -> Result<()> {
        if self
            .tree
            .insert(ROWS, &row_key(table, key), &encode_pending(p)?)?
            .is_none()
        {
            *self.counts.entry(table).or_default() += 1;
        }
        Ok(())
    }

    fn push_undo(&mut self, table: TableId, key: &[u8], prev: Option<&[u8]>) -> Result<()> {
        let rec = encode_undo(table, key, prev);
        self.tree.insert(UNDO, &self.undo_len.to_be_bytes(), &rec)?;
        self.undo_len += 1;
        Ok(())
    }

    /// The scratch file's buffer pool counters.
    #[cfg(test)]
    pub(super) fn pool_stats(&self) -> crate::storage::page::PoolStats {
        self.tree.pool_stats()
    }

    /// Positions in the undo log.
    pub(super) fn undo_len(&self) -> usize {
        usize::try_from(self.undo_len).unwrap_or(usize::MAX)
    }

    /// Pushes a catalog undo record.
    pub(super) fn push_catalog(&mut self, rec: CatRec<()>) {
        self.cat_undo.insert(self.undo_len, rec);
        self.undo_len += 1;
    }

    pub(super) fn state(&self, table: TableId, key: &[u8]) -> Result<Option<(bool, bool)>> {
        self.tree
            .get(ROWS, &row_key(table, key))?
            .map(|b| pending_flags(&b))
            .transpose()
    }

    pub(super) fn pending(&self, table: TableId, key: &[u8]) -> Result<Option<Pending>> {
        self.tree
            .get(ROWS, &row_key(table, key))?
            .map(|b| decode_pending(&b))
            .transpose()
    }

    /// Sets a key's state; see `TxnOverlay::set`.
    pub(super) fn set(
        &mut self,
        ixs: &[&IndexMeta],
        table: TableId,
        key: &[u8],
        p: &Pending,
        record: bool,
        ix_err: &mut Option<Error>,
    ) -> Result<()> {
        let old = self
            .tree
            .insert(ROWS, &row_key(table, key), &encode_pending(p)?)?;
        if old.is_none() {
            *self.counts.entry(table).or_default() += 1;
        }
        if !ixs.is_empty() {
            let old_row = pending_row(old.as_deref())?;
            self.ix_update(ixs, key, old_row.as_ref(), p.row.as_ref(), ix_err)?;
        }
        if record {
            self.push_undo(table, key, old.as_deref())?;
        }
        Ok(())
    }

    /// Moves `pk`'s entries in `ixs` from `old`'s index keys to `new`'s. An
    /// index key that does not encode goes to `ix_err` (that index is left
    /// as it is).
    fn ix_update(
        &mut self,
        ixs: &[&IndexMeta],
        pk: &[u8],
        old: Option<&Row>,
        new: Option<&Row>,
        ix_err: &mut Option<Error>,
    ) -> Result<()> {
        for m in ixs {
            let ikey = |r: Option<&Row>| r.map(|r| index_key(r, &m.columns)).transpose();
            let (o, n) = match (ikey(old), ikey(new)) {
                (Ok(o), Ok(n)) => (o, n),
                (Err(e), _) | (_, Err(e)) => {
                    ix_err.get_or_insert(e);
                    continue;
                }
            };
            if o == n {
                continue;
            }
            if let Some(o) = o {
                self.tree.delete(IX, &ix_key(m.id, &o, pk))?;
            }
            if let Some(n) = n {
                let mut v = Vec::new();
                put_varint(&mut v, n.len() as u64);
                self.tree.insert(IX, &ix_key(m.id, &n, pk), &v)?;
            }
        }
        Ok(())
    }

    /// See `TxnOverlay::undo_step`.
    pub(super) fn undo_step(
        &mut self,
        sp: u64,
        cat: &Catalog,
        ix_err: &mut Option<Error>,
    ) -> Result<Option<CatRec<()>>> {
        while self.undo_len > sp {
            let pos = self.undo_len - 1;
            if let Some(rec) = self.cat_undo.remove(&pos) {
                self.undo_len = pos;
                if let Some(d) = &rec.dropped {
                    self.hidden.remove(&d.table);
                }
                return Ok(Some(rec));
            }
            let bytes = self
                .tree
                .delete(UNDO, &pos.to_be_bytes())?
                .ok_or_else(|| corrupt(format!("undo record {pos} is missing")))?;
            self.undo_len = pos;
            let (table, key, prev) = decode_undo(&bytes)?;
            let rk = row_key(table, key);
            let now = match prev {
                Some(p) => self.tree.insert(ROWS, &rk, p)?,
                None => self.tree.delete(ROWS, &rk)?,
            };
            let n = self.counts.entry(table).or_default();
            match (prev.is_some(), now.is_some()) {
                (true, false) => *n += 1,
                (false, true) => *n = n.saturating_sub(1),
                _ => {}
            }
            let ixs: Vec<&IndexMeta> = cat_indexes(cat, table).collect();
            if !ixs.is_empty() {
                let now = pending_row(now.as_deref())?;
                let was = pending_row(prev)?;
                self.ix_update(&ixs, key, now.as_ref(), was.as_ref(), ix_err)?;
            }
        }
        Ok(None)
    }

    /// See `TxnOverlay::drop_table`: the rows stay, hidden.
    pub(super) fn drop_table(
        &mut self,
        table: TableId,
        rec: Option<CatRec<()>>,
        gone: &[IndexId],
    ) -> Result<()> {
        for id in gone {
            self.remove_index(*id)?;
        }
        self.hidden.insert(table);
        if let Some(rec) = rec {
            self.push_catalog(rec);
        }
        Ok(())
    }

    /// Rows of `table` in the range.
    pub(super) fn scan(
        &self,
        table: TableId,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Result<Option<OverIter<'_>>> {
        if self.counts.get(&table).is_none_or(|n| *n == 0) {
            return Ok(None);
        }
        let (lo, hi) = prefix_bounds(&table.to_be_bytes(), lower, upper);
        let cur = self.tree.range(ROWS, as_ref(&lo), as_ref(&hi), false)?;
        Ok(Some(Box::new(cur.map(|r| {
            let (k, v) = r?;
            let (_, pk) = split_id(&k)?;
            Ok((pk.to_vec(), decode_pending(&v)?.row))
        }))))
    }

    /// Up to [`BATCH`] entries of `tree` from `from` below `to`.
    fn batch(
        &self,
        tree: usize,
        from: &Bound<Vec<u8>>,
        to: &Bound<Vec<u8>>,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.tree
            .range(tree, as_ref(from), as_ref(to), false)?
            .take(BATCH)
            .collect()
    }

    /// Adds the entries of a new index for the rows of its table. Returns
    /// an index key that does not encode (after removing what it added).
    pub(super) fn add_index(&mut self, meta: &IndexMeta) -> Result<Option<Error>> {
        let mut err = None;
        self.fill_index(meta, &mut err)?;
        if err.is_some() {
            self.remove_index(meta.id)?;
        }
        Ok(err)
    }

    /// Adds `meta`'s entries; stops at the first index key that does not
    /// encode, leaving it in `err`.
    fn fill_index(&mut self, meta: &IndexMeta, err: &mut Option<Error>) -> Result<()> {
        let (mut from, to) = prefix_bounds(
            &meta.table.to_be_bytes(),
            &Bound::Unbounded,
            &Bound::Unbounded,
        );
        loop {
            let batch = self.batch(ROWS, &from, &to)?;
            let Some((last, _)) = batch.last() else {
                return Ok(());
            };
            from = Bound::Excluded(last.clone());
            for (k, v) in &batch {
                let (_, pk) = split_id(k)?;
                let Some(row) = decode_pending(v)?.row else {
                    continue;
                };
                match index_key(&row, &meta.columns) {
                    Ok(ikey) => {
                        let mut len = Vec::new();
                        put_varint(&mut len, ikey.len() as u64);
                        self.tree.insert(IX, &ix_key(meta.id, &ikey, pk), &len)?;
                    }
                    Err(e) => {
                        err.get_or_insert(e);
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Removes every entry of an index.
    pub(super) fn remove_index(&mut self, id: IndexId) -> Result<()> {
        let (from, to) = prefix_bounds(&id.to_be_bytes(), &Bound::Unbounded, &Bound::Unbounded);
        loop {
            let batch = self.batch(IX, &from, &to)?;
            if batch.is_empty() {
                return Ok(());
            }
            for (k, _) in batch {
                self.tree.delete(IX, &k)?;
            }
        }
    }

    /// Re-indexes every row for every index of `cat`.
    pub(super) fn rebuild_indexes(
        &mut self,
        cat: &Catalog,
        ix_err: &mut Option<Error>,
    ) -> Result<()> {
        self.tree.clear(IX)?;
        for def in cat.indexes.values() {
            self.fill_index(&def.meta, ix_err)?;
        }
        Ok(())
    }

    /// Entries of index `id` in the range.
    pub(super) fn ix_range(
        &self,
        id: IndexId,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Result<Option<OverlayEntries<'_>>> {
        let Some((lo, hi)) = entry_bounds(lower, upper) else {
            return Ok(None);
        };
        let (lo, hi) = prefix_bounds(&id.to_be_bytes(), &lo, &hi);
        let cur = self.tree.range(IX, as_ref(&lo), as_ref(&hi), false)?;
        Ok(Some(Box::new(cur.map(|r| {
            let (k, v) = r?;
            let (_, ek) = split_id(&k)?;
            let len = Cursor::new(&v).varint().map_err(corrupt)?;
            let len = usize::try_from(len)
                .ok()
                .filter(|l| *l <= ek.len())
                .ok_or_else(|| corrupt("index key length"))?;
            Ok((ek.to_vec(), len))
        }))))
    }

    /// The rows of `table`, for index scans.
    pub(super) fn rows_of(&self, table: TableId) -> Box<dyn OverlayRows + '_> {
        Box::new(SpillRows { s: self, table })
    }

    /// True if any table not dropped has an entry.
    pub(super) fn has_rows(&self) -> bool {
        self.counts
            .iter()
            .any(|(t, n)| *n > 0 && !self.hidden.contains(t))
    }

    /// Streams every entry of the tables not dropped, for a commit.
    pub(super) fn into_entries(self) -> Entries {
        Box::new(SpillEntries {
            next: Bound::Unbounded,
            buf: VecDeque::new(),
            done: false,
            s: self,
        })
    }
}

/// One table's spilled rows, as index scans ask about them.
struct SpillRows<'a> {
    s: &'a Spill,
    table: TableId,
}

impl OverlayRows for SpillRows<'_> {
    fn touched(&self, pk: &[u8]) -> Result<bool> {
        Ok(self.s.state(self.table, pk)?.is_some())
    }

    fn row(&self, pk: &[u8]) -> Result<Option<Row>> {
        Ok(self.s.pending(self.table, pk)?.and_then(|p| p.row))
    }
}

/// The commit's stream of a spilled overlay: ROWS read [`BATCH`] entries at
/// a time; owns the scratch file, so the directory goes when it is dropped.
struct SpillEntries {
    next: Bound<Vec<u8>>,
    buf: VecDeque<(Vec<u8>, Vec<u8>)>,
    done: bool,
    s: Spill,
}

impl SpillEntries {
    fn refill(&mut self) -> Result<()> {
        let batch = self.s.batch(ROWS, &self.next, &Bound::Unbounded)?;
        match batch.last() {
            Some((k, _)) => self.next = Bound::Excluded(k.clone()),
            None => self.done = true,
        }
        self.buf.extend(batch);
        Ok(())
    }
}

impl Iterator for SpillEntries {
    type Item = Result<(TableId, Vec<u8>, Pending)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.buf.is_empty() {
                if self.done {
                    return None;
                }
                if let Err(e) = self.refill() {
                    self.done = true;
                    return Some(Err(e));
                }
                continue;
            }
            let (k, v) = self.buf.pop_front()?;
            let r = split_id(&k).and_then(|(t, pk)| Ok((t, pk, decode_pending(&v)?)));
            match r {
                Ok((t, _, _)) if self.s.hidden.contains(&t) => continue,
                Ok((t, pk, p)) => return Some(Ok((t, pk.to_vec(), p))),
                Err(e) => {
                    self.done = true;
                    self.buf.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}
