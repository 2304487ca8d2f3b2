//! A write transaction's private data: its overlay of rows, the savepoint
//! undo log and the overlay's index entries, held in memory while small
//! and in a private scratch file once large.
//!
//! [`TxnOverlay`] starts in memory (`super::mem`), estimating the bytes it
//! holds. A change that would take the estimate past the budget
//! (`Tuning::txn_memory`) first moves everything to a scratch page file
//! (`super::spill`, a [`ScratchTree`](crate::storage::btree::ScratchTree)
//! under `<data>/tmp/`), and the transaction goes on there: from then on
//! its memory is the scratch file's bounded buffer pool, whatever it
//! writes. Both forms answer every question identically; the tests run the
//! same sequences against both.
//!
//! The undo log is one sequence of positions in both forms (a savepoint
//! is a position), so savepoints taken before the move stay valid.
//! Catalog undo records (DDL: a clone of the catalog) are few and always
//! stay in memory; in the spilled form, the rows of a table dropped after
//! a savepoint stay in the scratch file, hidden, until its undo record is
//! popped (restored) or the transaction ends.
//!
//! A failure of the scratch file part way through a change leaves the
//! spilled overlay inconsistent: it is marked broken and every later use
//! (and the commit) fails with that error; only rolling the whole
//! transaction back is possible then.

use std::ops::Bound;
use std::sync::Arc;

use super::mem::{MemOverlay, MemTable, entry_bytes, live_rows};
use super::spill::Spill;
use super::{as_slice, cat_indexes};
use crate::error::{Error, Result};
use crate::storage::catalog_store::Catalog;
use crate::storage::engine::Inner;
use crate::storage::index::overlay::{OverlayEntries, OverlayRows};
use crate::storage::table::range_ok;
use crate::storage::{IndexId, IndexMeta, TableId};
use crate::types::Row;

/// A key's state in the overlay.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pending {
    /// The key had a current version when the transaction first touched it.
    pub(crate) base_exists: bool,
    /// The row now, or `None` if deleted.
    pub(crate) row: Option<Row>,
}

/// A dropped table in a catalog undo record: its id, its next row id in
/// the transaction, and its overlay rows (in memory: the rows; spilled:
/// nothing, the rows stay hidden in the scratch file).
#[derive(Debug)]
pub(super) struct Dropped<D> {
    pub(super) table: TableId,
    pub(super) rowid: Option<u64>,
    pub(super) rows: D,
}

/// A catalog undo record: the catalog before the change.
#[derive(Debug)]
pub(super) struct CatRec<D> {
    pub(super) prev: Option<Catalog>,
    pub(super) dropped: Option<Dropped<D>>,
}

/// What undoing a catalog record gives back to the transaction: the
/// catalog to restore and a dropped table's next row id.
#[derive(Debug)]
pub(super) struct CatUndo {
    pub(super) prev: Option<Catalog>,
    pub(super) rowid: Option<(TableId, u64)>,
}

/// Overlay rows of one table in a key range: (primary key, row or `None`
/// if deleted), in key order.
pub(super) type OverIter<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Option<Row>)>> + 'a>;

/// The overlay consumed by a commit, in (table, primary key) order.
pub(crate) type Entries = Box<dyn Iterator<Item = Result<(TableId, Vec<u8>, Pending)>> + Send>;

#[derive(Debug)]
enum Form {
    Mem(MemOverlay),
    Spilled(Box<Spill>),
}

/// The overlay. See the module docs.
#[derive(Debug)]
pub(crate) struct TxnOverlay {
    form: Form,
    /// Undo records are kept (a savepoint exists).
    recording: bool,
    /// `Tuning::txn_memory`.
    budget: usize,
    inner: Arc<Inner>,
    /// An index key of an overlay row could not be encoded: index scans
    /// and commit report it rather than answer from a wrong index.
    ix_error: Option<Error>,
    /// The spilled form failed part way through a change.
    broken: Option<Error>,
}

impl TxnOverlay {
    /// An empty overlay, in memory.
    pub(super) fn new(inner: &Arc<Inner>) -> TxnOverlay {
        TxnOverlay {
            form: Form::Mem(MemOverlay::default()),
            recording: false,
            budget: inner.tuning.txn_memory,
            inner: inner.clone(),
            ix_error: None,
            broken: None,
        }
    }

    fn check(&self) -> Result<()> {
        match &self.broken {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Marks the overlay broken by `e` (see the module docs).
    fn broke<T>(&mut self, r: Result<T>) -> Result<T> {
        if let Err(e) = &r {
            self.broken.get_or_insert_with(|| e.clone());
        }
        r
    }

    /// The scratch directory, once spilled.
    #[cfg(test)]
    pub(crate) fn scratch_dir(&self) -> Option<std::path::PathBuf> {
        match &self.form {
            Form::Spilled(s) => Some(s.dir().to_path_buf()),
            Form::Mem(_) => None,
        }
    }

    /// The scratch file's buffer pool counters, once spilled.
    #[cfg(test)]
    pub(crate) fn scratch_pool(&self) -> Option<crate::storage::page::PoolStats> {
        match &self.form {
            Form::Spilled(s) => Some(s.pool_stats()),
            Form::Mem(_) => None,
        }
    }

    /// Moves everything to a scratch file if `more` bytes would take the
    /// in-memory estimate past the budget.
    fn reserve(&mut self, more: usize) -> Result<()> {
        let Form::Mem(m) = &self.form else {
            return Ok(());
        };
        if m.bytes().saturating_add(more) <= self.budget {
            return Ok(());
        }
        let s = Spill::from_mem(m, &self.inner)?;
        crate::log_info!(
            "a transaction's private state passed {} bytes: continuing in \"{}\"",
            self.budget,
            s.dir().display()
        );
        self.form = Form::Spilled(Box::new(s));
        Ok(())
    }

    /// (exists now, existed before the transaction) of a key it touched.
    pub(super) fn state(&self, table: TableId, key: &[u8]) -> Result<Option<(bool, bool)>> {
        self.check()?;
        match &self.form {
            Form::Mem(m) => Ok(m.get(table, key).map(|p| (p.row.is_some(), p.base_exists))),
            Form::Spilled(s) => s.state(table, key),
        }
    }

    /// The state of a key the transaction touched.
    pub(super) fn pending(&self, table: TableId, key: &[u8]) -> Result<Option<Pending>> {
        self.check()?;
        match &self.form {
            Form::Mem(m) => Ok(m.get(table, key).cloned()),
            Form::Spilled(s) => s.pending(table, key),
        }
    }

    /// Sets a key's state, keeping the overlay index entries of the table's
    /// indexes in `cat` and, once a savepoint exists, an undo record.
    pub(super) fn set(
        &mut self,
        cat: &Catalog,
        table: TableId,
        key: Vec<u8>,
        p: Pending,
    ) -> Result<()> {
        self.check()?;
        self.reserve(entry_bytes(&key, Some(&p)))?;
        let record = self.recording;
        let ixs = cat_indexes(cat, table);
        match &mut self.form {
            Form::Mem(m) => {
                if let Err(e) = m.set(ixs, table, key, p, record) {
                    self.ix_error.get_or_insert(e);
                }
                Ok(())
            }
            Form::Spilled(s) => {
                let ixs: Vec<&IndexMeta> = ixs.collect();
                let r = s.set(&ixs, table, &key, &p, record, &mut self.ix_error);
                self.broke(r)
            }
        }
    }

    /// Marks a savepoint: from now on undo records are kept. Returns the
    /// position to roll back to.
    pub(super) fn savepoint(&mut self) -> usize {
        self.recording = true;
        match &self.form {
            Form::Mem(m) => m.undo.len(),
            Form::Spilled(s) => s.undo_len(),
        }
    }

    /// True once a savepoint exists.
    pub(super) fn recording(&self) -> bool {
        self.recording
    }

    /// Records a catalog change (if recording): `prev` is the catalog
    /// before it.
    pub(super) fn push_catalog(&mut self, prev: Option<Catalog>) {
        if !self.recording {
            return;
        }
        match &mut self.form {
            Form::Mem(m) => m.push_catalog(CatRec {
                prev,
                dropped: None,
            }),
            Form::Spilled(s) => s.push_catalog(CatRec {
                prev,
                dropped: None,
            }),
        }
    }

    /// Takes a dropped table's rows and its indexes' entries out of the
    /// overlay; if recording, keeps them with a catalog undo record (`prev`
    /// is the catalog before the drop, `rowid` the table's next row id).
    pub(super) fn drop_table(
        &mut self,
        table: TableId,
        prev: Option<Catalog>,
        rowid: Option<u64>,
        gone: &[IndexId],
    ) -> Result<()> {
        self.check()?;
        let record = self.recording;
        match &mut self.form {
            Form::Mem(m) => {
                let rows = m.take_table(table, record).unwrap_or_default();
                for id in gone {
                    m.ix.remove_index(*id);
                }
                if record {
                    m.push_catalog(CatRec {
                        prev,
                        dropped: Some(Dropped { table, rowid, rows }),
                    });
                }
                Ok(())
            }
            Form::Spilled(s) => {
                let rec = record.then_some(CatRec {
                    prev,
                    dropped: Some(Dropped {
                        table,
                        rowid,
                        rows: (),
                    }),
                });
                let r = s.drop_table(table, rec, gone);
                self.broke(r)
            }
        }
    }

    /// Pops undo records down to position `sp`, applying data records
    /// (their index entries kept for the indexes of `cat`), and stops at a
    /// catalog record, which it returns for the caller to apply before
    /// calling again. `None` once at `sp`, or if the spilled overlay failed
    /// (it is broken then).
    pub(super) fn undo_step(&mut self, sp: usize, cat: &Catalog) -> Option<CatUndo> {
        if self.broken.is_some() {
            return None;
        }
        let rec = match &mut self.form {
            Form::Mem(m) => m.undo_step(sp, cat, &mut self.ix_error)?,
            Form::Spilled(s) => {
                let r = s.undo_step(sp as u64, cat, &mut self.ix_error);
                self.broke(r).ok()??
            }
        };
        let rowid = rec.dropped.and_then(|d| d.rowid.map(|r| (d.table, r)));
        Some(CatUndo {
            prev: rec.prev,
            rowid,
        })
    }

    /// Overlay rows of `table` in the range; `None` if there are none.
    pub(super) fn scan(
        &self,
        table: TableId,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Result<Option<OverIter<'_>>> {
        self.check()?;
        if !range_ok(as_slice(lower), as_slice(upper)) {
            return Ok(None);
        }
        match &self.form {
            Form::Mem(m) => Ok(m.data.get(&table).map(|map| {
                let it = map
                    .range::<[u8], _>((as_slice(lower), as_slice(upper)))
                    .map(|(k, p)| Ok((k.clone(), p.row.clone())));
                Box::new(it) as OverIter<'_>
            })),
            Form::Spilled(s) => s.scan(table, lower, upper),
        }
    }

    /// Indexes the overlay rows of `meta`'s table for a new index. On an
    /// index key that does not encode, nothing is kept and the error is
    /// returned.
    pub(super) fn add_index(&mut self, meta: &IndexMeta) -> Result<()> {
        self.check()?;
        match &mut self.form {
            Form::Mem(m) => {
                let rows = live_rows(&m.data, meta.table);
                m.ix.add_index(meta, rows)?;
                self.reserve(0)
            }
            Form::Spilled(s) => {
                let r = s.add_index(meta);
                match r {
                    Ok(Some(e)) => Err(e),
                    Ok(None) => Ok(()),
                    Err(e) => self.broke(Err(e)),
                }
            }
        }
    }

    /// Forgets an index's entries.
    pub(super) fn remove_index(&mut self, id: IndexId) -> Result<()> {
        self.check()?;
        match &mut self.form {
            Form::Mem(m) => {
                m.ix.remove_index(id);
                Ok(())
            }
            Form::Spilled(s) => {
                let r = s.remove_index(id);
                self.broke(r)
            }
        }
    }

    /// Re-indexes the overlay for every index of `cat` (after a savepoint
    /// rollback restored an earlier catalog).
    pub(super) fn rebuild_indexes(&mut self, cat: &Catalog) {
        if self.broken.is_some() {
            return;
        }
        self.ix_error = None;
        match &mut self.form {
            Form::Mem(m) => {
                m.ix.clear();
                for def in cat.indexes.values() {
                    let rows = live_rows(&m.data, def.meta.table);
                    if let Err(e) = m.ix.add_index(&def.meta, rows) {
                        self.ix_error.get_or_insert(e);
                    }
                }
            }
            Form::Spilled(s) => {
                let r = s.rebuild_indexes(cat, &mut self.ix_error);
                let _ = self.broke(r);
            }
        }
    }

    /// The error that makes index scans and the commit fail, if any.
    pub(super) fn ix_error(&self) -> Option<&Error> {
        self.broken.as_ref().or(self.ix_error.as_ref())
    }

    /// The overlay entries of index `id` within prefix-aware index-key
    /// bounds.
    pub(super) fn ix_range(
        &self,
        id: IndexId,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
    ) -> Result<Option<OverlayEntries<'_>>> {
        self.check()?;
        match &self.form {
            Form::Mem(m) => Ok(m.ix.range(id, lower, upper)),
            Form::Spilled(s) => s.ix_range(id, lower, upper),
        }
    }

    /// The overlay of `table`, for index scans.
    pub(super) fn rows_of(&self, table: TableId) -> Option<Box<dyn OverlayRows + '_>> {
        match &self.form {
            Form::Mem(m) => m
                .data
                .get(&table)
                .map(|t: &MemTable| Box::new(t) as Box<dyn OverlayRows + '_>),
            Form::Spilled(s) => Some(s.rows_of(table)),
        }
    }

    /// True if any (existing) table's overlay has an entry.
    pub(super) fn has_rows(&self) -> bool {
        match &self.form {
            Form::Mem(m) => m.has_rows(),
            Form::Spilled(s) => s.has_rows(),
        }
    }

    /// Consumes the overlay for a commit: every entry of every table not
    /// dropped, in (table, primary key) order, streamed from the scratch
    /// file when spilled (which is deleted when the iterator is dropped).
    pub(crate) fn into_entries(self) -> Result<Entries> {
        self.check()?;
        match self.form {
            Form::Mem(m) => {
                Ok(Box::new(m.data.into_iter().flat_map(|(t, map)| {
                    map.into_iter().map(move |(k, p)| Ok((t, k, p)))
                })))
            }
            Form::Spilled(s) => Ok(s.into_entries()),
        }
    }
}
