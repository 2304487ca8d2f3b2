//! A write transaction's private state: its overlay of row changes and its
//! copy-on-write catalog, with an undo log for savepoints.
//!
//! Nothing a transaction does is visible to anyone else, or written
//! anywhere, before commit: the overlay maps each touched key to its state
//! as the transaction sees it (`Some(row)` or deleted), remembering whether
//! the key existed before the transaction touched it, which decides the
//! event at commit:
//!
//! ```text
//! existed before │ now     │ event
//! ───────────────┼─────────┼─────────────────────────────
//! no             │ row     │ INSERT
//! yes            │ row     │ PATCH (the columns that differ)
//! yes            │ deleted │ SOFT_DELETE
//! no             │ deleted │ nothing (inserted, then deleted)
//! ```
//!
//! Reads merge the overlay over the latest applied state of the store (the
//! transaction holds the write path, so nothing else changes it meanwhile).
//! The undo log is kept only once a savepoint exists; `rollback_to` pops it.
//!
//! Secondary indexes (child module `index`): the overlay's rows are kept
//! indexed per index as they are written and undone
//! (`storage::index::overlay`), and a commit turns each changed row into
//! the index entries it ends and starts.
//!
//! The overlay, its index entries and the undo log live in [`overlay`]:
//! in memory while small (`mem`), in a private scratch file once past
//! `Tuning::txn_memory` (`spill`), so a transaction that loads millions of
//! rows does not hold them in memory.

mod index;
mod mem;
pub(crate) mod overlay;
mod spill;

use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::Bound;
use std::sync::Arc;

use super::catalog_store::{Catalog, TableDef, diff, dir_name};
use super::engine::{Chunk, ChunkSource, CommitRequest, IndexChanges, Inner, lock};
use super::event::{
    INSERT, PATCH, SOFT_DELETE, delete_payload, diff_rows, insert_payload, patch_payload,
};
use super::index::{IxChange, index_key};
use super::table::keys::{check_ix_entry, check_pk};
use super::table::{Change, LATEST, ScanIter, TableStore};
use super::wal::record::WalEvent;
use super::{IndexMeta, Seq, TableId, TableMeta};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;
use crate::types::Row;
use overlay::{Entries, OverIter, Pending, TxnOverlay};

/// Holds the write path; releasing it (drop) lets the next writer in.
#[derive(Debug)]
pub struct WriteToken {
    inner: Arc<Inner>,
}

impl WriteToken {
    /// Waits for the write path, polling `should_abort` about every 50 ms.
    pub fn acquire(
        inner: &Arc<Inner>,
        should_abort: &dyn Fn() -> Result<()>,
    ) -> Result<WriteToken> {
        inner.check_writable()?;
        let mut held = lock(&inner.token);
        while *held {
            let (g, _) = inner
                .token_cv
                .wait_timeout(held, std::time::Duration::from_millis(50))
                .unwrap_or_else(|p| p.into_inner());
            held = g;
            if *held {
                should_abort()?;
                inner.check_writable()?;
            }
        }
        *held = true;
        Ok(WriteToken {
            inner: inner.clone(),
        })
    }
}

impl Drop for WriteToken {
    fn drop(&mut self) {
        *lock(&self.inner.token) = false;
        self.inner.token_cv.notify_one();
    }
}

/// The state behind a [`super::WriteTxn`].
#[derive(Debug)]
pub struct TxnState {
    inner: Arc<Inner>,
    token: WriteToken,
    base: Arc<Catalog>,
    catalog: Option<Catalog>,
    /// The rows, their index entries and the undo log.
    ov: TxnOverlay,
    rowids: BTreeMap<TableId, u64>,
    /// Indexes this transaction built (their trees survive checkpoints
    /// while it is open).
    building: Building,
}

/// Registers the indexes a transaction builds with the engine, so that
/// checkpoints keep their trees; dropping it (when the transaction ends)
/// unregisters them. The trees of those the transaction did not commit are
/// dropped by the next checkpoint.
#[derive(Debug)]
pub(crate) struct Building {
    inner: Arc<Inner>,
    ids: Vec<super::IndexId>,
}

impl Building {
    /// Registers `id`.
    pub(crate) fn add(&mut self, id: super::IndexId) {
        lock(&self.inner.building).insert(id);
        self.ids.push(id);
    }
}

impl Drop for Building {
    fn drop(&mut self) {
        let mut b = lock(&self.inner.building);
        for id in &self.ids {
            b.remove(id);
        }
    }
}

fn undefined(id: TableId) -> Error {
    sql_err!(
        SqlState::UNDEFINED_TABLE,
        "relation with OID {id} does not exist"
    )
}

fn duplicate(name: &str) -> Error {
    sql_err!(
        SqlState::DUPLICATE_TABLE,
        "relation \"{name}\" already exists"
    )
}

/// The longest table directory name (file systems allow 255 bytes).
const MAX_DIR_NAME: usize = 240;

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(sql_err!(
            SqlState::INVALID_PARAMETER_VALUE,
            "table name must not be empty"
        ));
    }
    if dir_name(name).len() > MAX_DIR_NAME {
        return Err(sql_err!(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            "table name \"{name}\" is too long"
        ));
    }
    Ok(())
}

impl TxnState {
    /// Starts a transaction (waits for the write path).
    pub fn begin(inner: &Arc<Inner>, should_abort: &dyn Fn() -> Result<()>) -> Result<TxnState> {
        let token = WriteToken::acquire(inner, should_abort)?;
        let base = lock(&inner.commit).applied.clone();
        Ok(TxnState {
            inner: inner.clone(),
            token,
            base,
            catalog: None,
            ov: TxnOverlay::new(inner),
            rowids: BTreeMap::new(),
            building: Building {
                inner: inner.clone(),
                ids: Vec::new(),
            },
        })
    }

    fn cat(&self) -> &Catalog {
        self.catalog.as_ref().unwrap_or(&self.base)
    }

    fn table(&self, id: TableId) -> Result<&TableDef> {
        self.cat().tables.get(&id).ok_or_else(|| undefined(id))
    }

    fn store(&self, id: TableId) -> Result<Arc<TableStore>> {
        Ok(self.table(id)?.store.clone())
    }

    /// The scratch directory, once the transaction's state spilled.
    #[cfg(test)]
    pub(crate) fn scratch_dir(&self) -> Option<std::path::PathBuf> {
        self.ov.scratch_dir()
    }

    /// The scratch file's buffer pool counters, once spilled.
    #[cfg(test)]
    pub(crate) fn scratch_pool(&self) -> Option<crate::storage::page::PoolStats> {
        self.ov.scratch_pool()
    }

    /// True once the transaction changed the catalog.
    pub fn has_ddl(&self) -> bool {
        self.catalog.is_some()
    }

    /// Saves the catalog for undo (if `record`), then returns it for
    /// changing.
    fn cat_mut(&mut self, record: bool) -> &mut Catalog {
        if record && self.ov.recording() {
            self.ov.push_catalog(self.catalog.clone());
        }
        let base = &self.base;
        self.catalog.get_or_insert_with(|| base.as_ref().clone())
    }

    /// Tables as this transaction sees them.
    pub fn tables(&self) -> Vec<TableMeta> {
        self.cat().metas()
    }

    /// CREATE TABLE.
    pub fn create_table(&mut self, name: &str, schema: Vec<u8>) -> Result<TableId> {
        check_name(name)?;
        if self.cat().name_taken(name, None) {
            return Err(duplicate(name));
        }
        let id = self.cat().next_table_id;
        let next = id
            .checked_add(1)
            .ok_or_else(|| sql_err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "table ids exhausted"))?;
        let db = self.inner.btree.clone();
        let c = self.cat_mut(true);
        c.next_table_id = next;
        c.tables.insert(
            id,
            TableDef {
                id,
                name: name.to_string(),
                schema: Arc::new(schema),
                stamp_seq: 0,
                stamp_micros: 0,
                store: Arc::new(TableStore::new(id, db)),
            },
        );
        Ok(id)
    }

    /// DROP TABLE (its indexes go with it).
    pub fn drop_table(&mut self, id: TableId) -> Result<()> {
        self.table(id)?;
        let gone: Vec<_> = self.cat().indexes_of(id).map(|i| i.meta.id).collect();
        let prev = self.ov.recording().then(|| self.catalog.clone()).flatten();
        self.ov
            .drop_table(id, prev, self.rowids.get(&id).copied(), &gone)?;
        self.rowids.remove(&id);
        let c = self.cat_mut(false);
        c.tables.remove(&id);
        for i in &gone {
            c.indexes.remove(i);
        }
        Ok(())
    }

    /// ALTER TABLE: new name and/or schema.
    pub fn alter_table(&mut self, id: TableId, name: &str, schema: Vec<u8>) -> Result<()> {
        check_name(name)?;
        self.table(id)?;
        if self.cat().name_taken(name, Some(id)) {
            return Err(duplicate(name));
        }
        let t = self
            .cat_mut(true)
            .tables
            .get_mut(&id)
            .ok_or_else(|| undefined(id))?;
        t.name = name.to_string();
        t.schema = Arc::new(schema);
        Ok(())
    }

    /// The row as this transaction sees it.
    pub fn get(&self, table: TableId, key: &[u8]) -> Result<Option<Row>> {
        let def = self.table(table)?;
        if let Some(p) = self.ov.pending(table, key)? {
            return Ok(p.row);
        }
        def.store.get(key, LATEST)
    }

    /// (exists now, existed before the transaction).
    fn state_of(&self, table: TableId, key: &[u8]) -> Result<(bool, bool)> {
        let def = self.table(table)?;
        Ok(match self.ov.state(table, key)? {
            Some(s) => s,
            None => {
                let e = def.store.exists_latest(key)?;
                (e, e)
            }
        })
    }

    /// Refuses (54000, before anything changes) a primary key or an index
    /// entry too long for the version trees, so that the commit cannot fail
    /// on it.
    fn check_sizes(&self, table: TableId, key: &[u8], row: &Row) -> Result<()> {
        let name = &self.table(table)?.name;
        check_pk(key, name)?;
        for m in cat_indexes(self.cat(), table) {
            // An index key that does not encode is reported by `set`.
            if let Ok(ikey) = index_key(row, &m.columns) {
                check_ix_entry(&ikey, key, &m.name)?;
            }
        }
        Ok(())
    }

    fn set(&mut self, table: TableId, key: Vec<u8>, p: Pending) -> Result<()> {
        let cat = self.catalog.as_ref().unwrap_or(&self.base);
        self.ov.set(cat, table, key, p)
    }

    /// INSERT; false if the key exists.
    pub fn insert(&mut self, table: TableId, key: Vec<u8>, row: Row) -> Result<bool> {
        self.check_sizes(table, &key, &row)?;
        let (exists, base_exists) = self.state_of(table, &key)?;
        if exists {
            return Ok(false);
        }
        self.set(
            table,
            key,
            Pending {
                base_exists,
                row: Some(row),
            },
        )?;
        Ok(true)
    }

    /// UPDATE; false if the key is missing.
    pub fn update(&mut self, table: TableId, key: Vec<u8>, row: Row) -> Result<bool> {
        self.check_sizes(table, &key, &row)?;
        let (exists, base_exists) = self.state_of(table, &key)?;
        if !exists {
            return Ok(false);
        }
        self.set(
            table,
            key,
            Pending {
                base_exists,
                row: Some(row),
            },
        )?;
        Ok(true)
    }

    /// DELETE; false if the key is missing.
    pub fn delete(&mut self, table: TableId, key: &[u8]) -> Result<bool> {
        let (exists, base_exists) = self.state_of(table, key)?;
        if !exists {
            return Ok(false);
        }
        self.set(
            table,
            key.to_vec(),
            Pending {
                base_exists,
                row: None,
            },
        )?;
        Ok(true)
    }

    /// The next hidden row id of a table.
    pub fn next_rowid(&mut self, table: TableId) -> Result<u64> {
        let base = self.table(table)?.store.next_rowid();
        let next = self.rowids.entry(table).or_insert(base);
        let id = *next;
        *next = next
            .checked_add(1)
            .ok_or_else(|| sql_err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "row ids exhausted"))?;
        Ok(id)
    }

    /// Rows in key order, overlay merged over the store.
    #[allow(clippy::type_complexity)]
    pub fn scan(
        &self,
        table: TableId,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Result<Box<dyn Iterator<Item = Result<(Vec<u8>, Row)>> + '_>> {
        let store = self.store(table)?;
        let over = self.ov.scan(table, &lower, &upper)?;
        let base = ScanIter::new(store, LATEST, lower, upper).peekable();
        Ok(Box::new(Merge {
            base,
            over: over.map(Iterator::peekable),
            failed: false,
        }))
    }

    /// Marks a savepoint.
    pub fn savepoint(&mut self) -> usize {
        self.ov.savepoint()
    }

    /// Undoes everything after savepoint `sp`. If the spilled overlay's
    /// scratch file fails meanwhile, the transaction is left broken: every
    /// later use and the commit report the error.
    pub fn rollback_to(&mut self, sp: usize) {
        let mut catalog_undone = false;
        loop {
            let cat = self.catalog.as_ref().unwrap_or(&self.base);
            let Some(rec) = self.ov.undo_step(sp, cat) else {
                break;
            };
            catalog_undone = true;
            self.catalog = rec.prev;
            if let Some((id, r)) = rec.rowid {
                self.rowids.insert(id, r);
            }
        }
        if catalog_undone {
            self.rebuild_overlay_indexes();
        }
    }

    fn ddl_changed(&self) -> bool {
        self.catalog
            .as_ref()
            .is_some_and(|c| !diff(&self.base, c).is_empty())
    }

    /// True if anything changed.
    pub fn has_changes(&self) -> bool {
        self.ddl_changed() || self.ov.has_rows()
    }

    /// Commits; see `storage::engine` for the steps.
    pub fn commit(self) -> Result<Option<Seq>> {
        let inner = self.inner.clone();
        let token = self.token;
        let ddl = self
            .catalog
            .as_ref()
            .is_some_and(|c| !diff(&self.base, c).is_empty());
        if let Some(e) = self.ov.ix_error() {
            return Err(e.clone());
        }
        let cat = self.catalog.as_ref().unwrap_or(&self.base);
        let mut builder = ChunkBuilder {
            cat,
            budget: inner.tuning.commit_chunk,
            entries: self.ov.into_entries()?,
            table: None,
        };
        let first = builder.next_chunk()?.unwrap_or_default();
        if first.events.is_empty() && !ddl {
            return Ok(None);
        }
        let rowids = self
            .rowids
            .iter()
            .filter_map(|(t, v)| {
                cat.tables
                    .get(t)
                    .filter(|d| *v > d.store.next_rowid())
                    .map(|_| (*t, *v))
            })
            .collect();
        let req = CommitRequest {
            base: self.base.clone(),
            catalog: if ddl { self.catalog.clone() } else { None },
            first,
            rowids,
        };
        let (seq, lsn) = inner.commit_append(req, &mut builder)?;
        // The write path is free as soon as the commit is applied and logged;
        // the wait for fsync happens without it.
        drop(token);
        inner.wait_durable(lsn)?;
        Ok(seq)
    }
}

fn as_slice(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The definitions of `table`'s indexes in `cat`.
fn cat_indexes(cat: &Catalog, table: TableId) -> impl Iterator<Item = &IndexMeta> {
    cat.indexes_of(table).map(|i| &i.meta)
}

/// Turns the overlay, in (table, key) order, into commit chunks: in-memory
/// changes, index changes and logged events, about `budget` bytes of
/// events at a time ([`super::Tuning::commit_chunk`]).
struct ChunkBuilder<'a> {
    cat: &'a Catalog,
    /// Bytes of events per chunk.
    budget: usize,
    entries: Entries,
    /// The table being turned and its indexes.
    table: Option<(TableId, &'a TableDef, Vec<&'a IndexMeta>)>,
}

impl ChunkSource for ChunkBuilder<'_> {
    fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        let mut chunk = Chunk::default();
        let mut bytes = 0;
        while bytes < self.budget {
            let Some(entry) = self.entries.next() else {
                break;
            };
            let (table, key, p) = entry?;
            if self.table.as_ref().is_none_or(|(t, ..)| *t != table) {
                self.table = self
                    .cat
                    .tables
                    .get(&table)
                    .map(|def| (table, def, cat_indexes(self.cat, table).collect()));
            }
            let Some((_, def, ixs)) = &self.table else {
                continue;
            };
            if let Some(ev) = turn(def, ixs, key, p, &mut chunk)? {
                bytes += ev.payload.len() + 8;
                chunk.events.push(ev);
            }
        }
        Ok((!chunk.events.is_empty()).then_some(chunk))
    }
}

/// Turns one overlay entry into its change, its index changes (added to
/// `chunk`) and its event (returned; none for a row inserted and deleted).
fn turn(
    def: &TableDef,
    ixs: &[&IndexMeta],
    key: Vec<u8>,
    p: Pending,
    chunk: &mut Chunk,
) -> Result<Option<WalEvent>> {
    let table = def.id;
    let (diff, old_keys) = match (p.base_exists, &p.row) {
        (false, None) => return Ok(None),
        (false, Some(_)) => (Vec::new(), Vec::new()),
        (true, None) if ixs.is_empty() => (Vec::new(), Vec::new()),
        (true, row) => old_state(def, ixs, &key, row.as_ref())?,
    };
    index_changes(
        ixs,
        &key,
        old_keys,
        p.row.as_ref(),
        &mut chunk.index_changes,
    )?;
    let (event_type, payload, c) = match (p.base_exists, p.row) {
        (false, None) => return Ok(None),
        (false, Some(row)) => (
            INSERT,
            insert_payload(&key, &row)?,
            Change::Insert(key, row),
        ),
        (true, Some(row)) => {
            let payload = patch_payload(&key, row.len() as u32, &diff)?;
            (PATCH, payload, Change::Update(key, row))
        }
        (true, None) => (SOFT_DELETE, delete_payload(&key)?, Change::Delete(key)),
    };
    chunk.changes.entry(table).or_default().push(c);
    Ok(Some(WalEvent {
        table,
        event_type,
        payload,
    }))
}

type Diff = Vec<(u32, crate::types::Value)>;

/// For a key that existed before the transaction: the columns its new row
/// (if any) changes, and its old row's key in each of `ixs`.
fn old_state(
    def: &TableDef,
    ixs: &[&IndexMeta],
    key: &[u8],
    new: Option<&Row>,
) -> Result<(Diff, Vec<Vec<u8>>)> {
    def.store
        .latest_with(key, |old| {
            let diff = new.map(|n| diff_rows(old, n)).unwrap_or_default();
            let keys = ixs
                .iter()
                .map(|m| index_key(old, &m.columns))
                .collect::<Result<Vec<_>>>()?;
            Ok((diff, keys))
        })?
        .ok_or_else(|| Error::Internal("changed key has no current version".into()))?
}

/// Appends the entries the change of `key` ends and starts in each index
/// (nothing where its index key stays the same).
fn index_changes(
    ixs: &[&IndexMeta],
    key: &[u8],
    old_keys: Vec<Vec<u8>>,
    new: Option<&Row>,
    out: &mut IndexChanges,
) -> Result<()> {
    let mut old_keys = old_keys.into_iter();
    for m in ixs {
        let old = old_keys.next();
        let new = new.map(|r| index_key(r, &m.columns)).transpose()?;
        if old != new {
            out.entry(m.id).or_default().push(IxChange {
                pk: key.to_vec(),
                old,
                new,
            });
        }
    }
    Ok(())
}

/// Merges the overlay (wins on equal keys; deleted keys skipped) over a scan
/// of the store.
struct Merge<'a> {
    base: Peekable<ScanIter>,
    over: Option<Peekable<OverIter<'a>>>,
    /// An error was returned: the scan is over.
    failed: bool,
}

impl Iterator for Merge<'_> {
    type Item = Result<(Vec<u8>, Row)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let ord = match (self.base.peek(), self.over.as_mut().and_then(|o| o.peek())) {
                (None, None) => return None,
                (Some(Err(_)), _) | (Some(_), None) => std::cmp::Ordering::Less,
                (_, Some(Err(_))) | (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(Ok((bk, _))), Some(Ok((ok, _)))) => bk.as_slice().cmp(ok.as_slice()),
            };
            if ord == std::cmp::Ordering::Less {
                return self.base.next();
            }
            if ord == std::cmp::Ordering::Equal {
                self.base.next();
            }
            match self.over.as_mut().and_then(|o| o.next())? {
                Ok((k, Some(row))) => return Some(Ok((k, row))),
                Ok((_, None)) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
