//! Storage: the write-ahead log, per-table event segments, and the page
//! file of B-trees that serves reads as of any seq.
//!
//! Storage knows nothing of SQL: keys are order-preserving byte strings made
//! by `encoding::keycode`, rows are `Vec<Value>`, table schemas are opaque
//! blobs owned by the catalog. Every byte format is in docs/FORMAT.md.
//!
//! ```text
//! <data>/LOCK                     held (flock) while a process has the directory open
//! <data>/btree/pages              the page file: every table's current, history and ended
//!                                 trees, every index's trees, seq ↔ time, the checkpoint record
//! <data>/seqtime                  seq → commit time, the durable record (seqtime.rs)
//! <data>/wal/<n>.wal              the commit point (wal/)
//! <data>/tables/<dir>/{meta, schema, segments/, snapshots/, indexes/}
//! <data>/tmp/txn-<n>/pages        a large write transaction's spilled state (txn), never
//!                                 synced; `tmp/` is emptied at open
//! ```
//!
//! The page file ([`btree`], over [`page`]) holds the state: per table a
//! current tree, a history tree and an ended tree ([`table`]), per index
//! two trees of versioned entries ([`index`]); memory holds a bounded
//! buffer pool and nothing per row. Checkpoints make it durable; recovery
//! opens its last checkpoint and replays the WAL since, so startup time
//! depends on the WAL, not on the data. The event segments keep being
//! written (the durable audit history) but are not read at startup.
//!
//! Secondary indexes ([`index`]) are versioned like rows: an index answers
//! "which rows had this value AS OF S". Their definitions are DDL (logged,
//! persisted under `indexes/`, recovered); their contents live in the page
//! file.
//!
//! Modules, bottom up: [`io`] (files behind a trait), [`codec`] (varints,
//! CRC frames), [`rowcodec`] and [`event`] (msgpack rows and events),
//! [`page`] and [`btree`] (the page file), [`wal`], [`segment`],
//! [`seqtime`], [`metafile`], [`catalog_store`], [`table`] and [`index`]
//! (versions and index entries in trees), [`txn`] (a transaction's
//! overlay), [`engine`] (the commit path), [`checkpoint`], [`recovery`].
//!
//! Concurrency: one transaction at a time holds the write path (a token
//! that lives as long as the [`WriteTxn`], across statements); commits
//! release it before waiting for their fsync, which group commit shares.
//! Readers never take the write path: a [`TableReader`] reads as of a seq
//! ≤ [`Storage::visible_seq`] from a B-tree snapshot, without locks.

pub mod btree;
pub mod catalog_store;
pub mod checkpoint;
pub mod codec;
pub mod engine;
pub mod event;
pub mod index;
pub mod io;
pub mod metafile;
pub mod page;
pub mod recovery;
pub mod rowcodec;
pub mod segment;
pub mod seqtime;
pub mod table;
pub mod tempfile;
pub mod txn;
pub mod wal;

#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};

use crate::error::Result;
use crate::temporal::{Clock, SystemClock};
use crate::types::Row;
use engine::{BgSignal, CommitState, Inner};
use index::IndexStore;
use index::scan::{IndexScanIter, IndexVersionsIter};
use io::{FileSystem, RealFs};
use seqtime::SeqTimes;
use std::collections::BTreeSet;
use table::{ScanIter, TableStore, VersionsIter};
use wal::writer::GroupCommit;

/// A lower and an upper bound on byte-string keys.
pub type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// A database-wide commit sequence number. The first data commit is 1; 0
/// means "before any data".
pub type Seq = u64;

/// A table's stable identity (survives renames; never reused). Ids start at
/// 16384, so they can serve as table OIDs.
pub type TableId = u32;

/// The page file's directory under the data directory.
pub const BTREE_DIR: &str = "btree";
/// The page file, relative to the data directory (as errors name it).
pub const BTREE_FILE: &str = "btree/pages";
/// The default buffer pool budget.
pub const DEFAULT_CACHE_BYTES: usize = 128 << 20;
/// Scratch files of open transactions and statements, under the data
/// directory: private to the process, never synced, emptied when the
/// storage opens.
pub use tempfile::TMP_DIR;

/// Options for [`Storage::open`].
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// Where commit timestamps come from.
    pub clock: Arc<dyn Clock>,
    /// fsync the WAL before acknowledging a commit (always true in production;
    /// tests of non-durability concerns may turn it off). When false, no file
    /// or directory is ever fsynced.
    pub fsync: bool,
    /// The page file's buffer pool budget in bytes (`--cache-mb`).
    pub cache_bytes: usize,
}

impl Default for StorageOptions {
    /// The system clock, with fsync, and a 128 MiB buffer pool.
    fn default() -> Self {
        StorageOptions {
            clock: Arc::new(SystemClock),
            fsync: true,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// Size knobs (defaults for production; tests shrink them).
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// A segment is rolled before it would grow past this many bytes.
    pub segment_limit: u64,
    /// The background checkpointer runs once the WAL has grown this much
    /// since the last checkpoint.
    pub checkpoint_wal_bytes: u64,
    /// WAL files grow this many zero bytes at a time ahead of their frames
    /// (`wal::WalFile::write`; 0: no preallocation).
    pub wal_prealloc: u64,
    /// A commit's changes are turned, applied and logged this many bytes
    /// of events at a time; a commit of more than one chunk streams them
    /// (`engine::Inner::commit_large`).
    pub commit_chunk: usize,
    /// A write transaction keeps its private state (rows, index entries,
    /// savepoint undo log) in memory while its estimate stays within this
    /// many bytes, and in a scratch file under `tmp/` beyond (`txn`; 0:
    /// from its first row).
    pub txn_memory: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            segment_limit: segment::SEGMENT_LIMIT,
            checkpoint_wal_bytes: 64 << 20,
            wal_prealloc: 1 << 20,
            commit_chunk: wal::record::SPILL,
            txn_memory: 32 << 20,
        }
    }
}

/// A torn or corrupt tail that recovery cut off a file (also logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailCut {
    /// The file, relative to the data directory.
    pub file: String,
    /// Where the cut was made (the file's new length).
    pub offset: u64,
    /// How many bytes were cut.
    pub bytes: u64,
    /// What was wrong with the first byte cut.
    pub reason: String,
}

/// A table as the catalog stored it.
#[derive(Debug, Clone)]
pub struct TableMeta {
    /// Stable id.
    pub id: TableId,
    /// Current name.
    pub name: String,
    /// The catalog's schema blob (opaque to storage).
    pub schema: Arc<Vec<u8>>,
}

/// A secondary index's stable identity (from the same id space as tables,
/// so it can be used as the index's OID).
pub type IndexId = u32;

/// A secondary index as storage keeps and maintains it.
///
/// Its key for a row is `encoding::keycode::encode_key` of the row's values
/// at `columns` (NULLs included: they sort last; a column past the end of a
/// shorter, older row reads as NULL). Entries are versioned like rows, so an
/// index answers "which rows had this value AS OF S", over the table's whole
/// history even for an index created later. Uniqueness is checked by the
/// SQL layer (the single write path makes check-then-insert safe); storage
/// records the flag and maintains entries. Column positions are fixed when
/// the index is created: a schema change that moves columns must drop and
/// re-create the index.
///
/// Index-key range bounds (`index_scan`, `index_versions`) are prefix-aware:
/// a bound may encode only the leading columns, and is compared with the
/// key's leading columns (`Included(enc(a = 5))` as both bounds of an index
/// on `(a, b)` returns every row with `a = 5`). See [`index`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexMeta {
    /// Stable id.
    pub id: IndexId,
    /// The indexed table.
    pub table: TableId,
    /// Index name (unique among tables and indexes).
    pub name: String,
    /// Row positions of the indexed columns, in key order.
    pub columns: Vec<usize>,
    /// UNIQUE.
    pub unique: bool,
}

/// One version of a row: valid for seqs in [start, end).
#[derive(Debug, Clone)]
pub struct Version {
    /// The row's key.
    pub key: Vec<u8>,
    /// The seq that created this version.
    pub start: Seq,
    /// The seq that ended it (UPDATE or DELETE), or `None` while current.
    pub end: Option<Seq>,
    /// The row's values.
    pub row: Row,
}

/// Which versions a history scan returns: those with `start <= start_le` and
/// `end > end_gt` (an open end counts as infinity).
#[derive(Debug, Clone, Copy)]
pub struct VersionFilter {
    /// Upper bound on a version's start seq (inclusive).
    pub start_le: Seq,
    /// Lower bound on a version's end seq (exclusive).
    pub end_gt: Seq,
}

/// The storage engine; cheap to clone, shared by every session.
#[derive(Debug, Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

impl Storage {
    /// Opens (creating if missing) the data directory and recovers it.
    pub fn open(dir: &Path, opts: StorageOptions) -> Result<Storage> {
        Storage::open_with(dir, opts, Arc::new(RealFs), Tuning::default())
    }

    /// Like [`Storage::open`], on any file system (tests use
    /// [`io::mem::MemFs`] to inject faults and crashes) and with explicit
    /// size knobs.
    pub fn open_with(
        dir: &Path,
        opts: StorageOptions,
        fs: Arc<dyn FileSystem>,
        tuning: Tuning,
    ) -> Result<Storage> {
        recovery::create_dirs(fs.as_ref(), dir, opts.fsync)?;
        let dir_lock = fs.lock_dir(dir)?;
        // Scratch files a crash left behind (nothing reads them).
        let tmp = dir.join(TMP_DIR);
        if fs.exists(&tmp)? {
            fs.remove_dir_all(&tmp)?;
        }
        let rec = recovery::recover(recovery::Env {
            fs: fs.as_ref(),
            root: dir,
            fsync: opts.fsync,
            tuning: &tuning,
            cache_bytes: opts.cache_bytes,
        })?;
        let cat = Arc::new(rec.catalog);
        let metas = Arc::new(cat.metas());
        let header = wal::HEADER;
        let inner = Arc::new(Inner {
            fs,
            root: dir.to_path_buf(),
            clock: opts.clock,
            fsync: opts.fsync,
            tuning,
            _dir_lock: dir_lock,
            times: SeqTimes::new(rec.btree.clone()),
            btree: rec.btree,
            building: Mutex::new(BTreeSet::new()),
            token: Mutex::new(false),
            token_cv: Condvar::new(),
            commit: Mutex::new(CommitState {
                last_seq: rec.last_seq,
                last_time: rec.last_time,
                applied: cat.clone(),
                closed: false,
            }),
            gc: GroupCommit::new(header),
            wal_base: AtomicU64::new(0),
            ckpt_lsn: AtomicU64::new(header),
            visible: Arc::new(AtomicU64::new(rec.last_seq)),
            published: RwLock::new(cat),
            catalog_gen: AtomicU64::new(0),
            metas: RwLock::new((0, metas)),
            derived: Mutex::new(rec.derived),
            bg: Arc::new(BgSignal::default()),
            bg_thread: Mutex::new(None),
            shut: AtomicBool::new(false),
            cuts: rec.cuts,
            replayed: rec.replayed,
        });
        // Recovery ends with a checkpoint: replayed commits reach the
        // segments and the page file, and appends start in a fresh WAL file.
        inner.checkpoint()?;
        if rec.upgraded {
            recovery::finish_upgrade(inner.fs.as_ref(), dir, inner.fsync)?;
        }
        engine::spawn_checkpointer(&inner)?;
        Ok(Storage { inner })
    }

    /// How many transactions the last recovery replayed from the WAL (those
    /// committed since the last checkpoint).
    pub fn replayed_at_open(&self) -> u64 {
        self.inner.replayed
    }

    /// The torn or corrupt tails the last recovery cut (empty after a clean
    /// shutdown). Each was also logged as a warning.
    pub fn recovery_cuts(&self) -> &[TailCut] {
        &self.inner.cuts
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.root
    }

    /// `Err` once a failed write or fsync has poisoned the storage (every
    /// later commit fails with that error: restart to recover), or after
    /// shutdown; `Ok` while commits are accepted.
    pub fn health(&self) -> Result<()> {
        self.inner.check_writable()
    }

    /// A scratch file for a statement's spill (see [`tempfile`]).
    pub fn temp_file(&self, what: &str) -> Result<tempfile::TempFile> {
        tempfile::TempFile::create(&self.inner.fs, &self.inner.root, what)
    }

    /// The latest durable commit: what new readers see.
    pub fn visible_seq(&self) -> Seq {
        self.inner.visible.load(Ordering::Acquire)
    }

    /// The commit timestamp of `seq` (Unix microseconds), if it exists.
    pub fn commit_time(&self, seq: Seq) -> Option<i64> {
        self.inner.times.time_of(seq, self.visible_seq())
    }

    /// The largest seq whose commit time is ≤ `unix_micros`, or 0.
    pub fn seq_at_time(&self, unix_micros: i64) -> Seq {
        self.inner.times.seq_at(unix_micros, self.visible_seq())
    }

    /// The largest seq whose commit time is < `unix_micros`, or 0.
    pub fn seq_before_time(&self, unix_micros: i64) -> Seq {
        self.inner.times.seq_before(unix_micros, self.visible_seq())
    }

    /// A number that changes whenever the committed catalog changes (DDL).
    /// Read it *before* reading the catalog: a plan made from what was read
    /// is still valid while the number has not moved.
    pub fn catalog_generation(&self) -> u64 {
        self.inner
            .catalog_gen
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The committed secondary indexes of `table`, by id.
    pub fn indexes(&self, table: TableId) -> Vec<IndexMeta> {
        self.inner
            .published()
            .indexes_of(table)
            .map(|i| i.meta.clone())
            .collect()
    }

    /// The committed index named `name` (for DROP INDEX and `\d`).
    pub fn index_by_name(&self, name: &str) -> Option<IndexMeta> {
        self.inner
            .published()
            .index_by_name(name)
            .map(|i| i.meta.clone())
    }

    /// Every committed table (a shared list, made once per catalog
    /// generation: statements read it without copying it).
    pub fn tables(&self) -> Arc<Vec<TableMeta>> {
        // The generation first: the catalog read after it is at least as
        // new, so a list is never filed under a newer generation than its own.
        let generation = self.catalog_generation();
        {
            let m = self.inner.metas.read().unwrap_or_else(|p| p.into_inner());
            if m.0 == generation {
                return m.1.clone();
            }
        }
        let list = Arc::new(self.inner.published().metas());
        let mut m = self.inner.metas.write().unwrap_or_else(|p| p.into_inner());
        if m.0 <= generation {
            *m = (generation, list.clone());
        }
        list
    }

    /// A reader for a committed table.
    pub fn reader(&self, table: TableId) -> Result<TableReader> {
        let cat = self.inner.published();
        let def = cat.tables.get(&table).ok_or_else(|| {
            crate::sql_err!(
                crate::error::SqlState::UNDEFINED_TABLE,
                "relation with OID {table} does not exist"
            )
        })?;
        Ok(TableReader {
            store: def.store.clone(),
            indexes: cat
                .indexes_of(table)
                .map(|i| (i.meta.id, i.store.clone()))
                .collect(),
            visible: self.inner.visible.clone(),
        })
    }

    /// Takes the write path, waiting while another transaction holds it.
    /// `should_abort` is polled while waiting (cancel, timeout, shutdown),
    /// about every 50 ms; its error is returned. (A thread that already holds
    /// a `WriteTxn` would wait for itself until then.) Fails at once after
    /// shutdown (57P01) or once the storage is poisoned.
    pub fn begin_write(&self, should_abort: &dyn Fn() -> Result<()>) -> Result<WriteTxn> {
        Ok(WriteTxn {
            t: txn::TxnState::begin(&self.inner, should_abort)?,
        })
    }

    /// Makes the page file (every table's and index's trees) and the
    /// segments durable and trims the WAL.
    pub fn checkpoint(&self) -> Result<()> {
        self.inner.checkpoint()
    }

    /// Checkpoints and stops background work. Later calls fail, and so do
    /// later `begin_write`s and commits (57P01); readers keep working.
    pub fn shutdown(&self) -> Result<()> {
        self.inner.shutdown()
    }
}

/// Reads one table, and its indexes, as of any seq. Never blocks writers
/// for long. It knows the indexes committed when it was made.
#[derive(Clone)]
pub struct TableReader {
    store: Arc<TableStore>,
    indexes: Vec<(IndexId, Arc<IndexStore>)>,
    visible: Arc<AtomicU64>,
}

impl fmt::Debug for TableReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableReader")
            .field("approx_rows", &self.store.live_rows())
            .finish()
    }
}

impl TableReader {
    /// Seqs above the published one are not durable yet: never show them.
    fn cap(&self, as_of: Seq) -> Seq {
        as_of.min(self.visible.load(Ordering::Acquire))
    }

    /// The row with `key` as of `as_of`.
    pub fn get(&self, key: &[u8], as_of: Seq) -> Result<Option<Row>> {
        self.store.get(key, self.cap(as_of))
    }

    /// The version of `key` visible as of `as_of`, with its period (an end
    /// after the published seq reads as open, as in
    /// [`TableReader::versions`]). O(log n) whatever the depth of history.
    pub fn get_version(&self, key: &[u8], as_of: Seq) -> Result<Option<Version>> {
        let visible = self.visible.load(Ordering::Acquire);
        let found = self.store.version(key, as_of.min(visible))?;
        Ok(found.map(|(start, end, row)| Version {
            key: key.to_vec(),
            start,
            end: (end <= visible).then_some(end),
            row,
        }))
    }

    /// Rows with keys in the range, in key order, as of `as_of`.
    pub fn scan(
        &self,
        as_of: Seq,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Box<dyn Iterator<Item = Result<(Vec<u8>, Row)>> + Send> {
        Box::new(ScanIter::new(
            self.store.clone(),
            self.cap(as_of),
            lower,
            upper,
        ))
    }

    /// The rows of [`TableReader::scan`] with their periods (for AS OF with
    /// the pseudo-columns): the cost of that scan, not of every version.
    pub fn scan_versions(
        &self,
        as_of: Seq,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Box<dyn Iterator<Item = Result<Version>> + Send> {
        let visible = self.visible.load(Ordering::Acquire);
        let it = ScanIter::new(self.store.clone(), as_of.min(visible), lower, upper);
        Box::new(it.with_periods(visible))
    }

    /// Versions with keys in the range that pass `filter`, by key then start.
    pub fn versions(
        &self,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
        filter: VersionFilter,
    ) -> Box<dyn Iterator<Item = Result<Version>> + Send> {
        let visible = self.visible.load(Ordering::Acquire);
        Box::new(VersionsIter::new(
            self.store.clone(),
            filter,
            visible,
            lower,
            upper,
        ))
    }

    fn index(&self, id: IndexId) -> Result<Arc<IndexStore>> {
        self.indexes
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| s.clone())
            .ok_or_else(|| index::undefined_index(id))
    }

    /// Rows (with their primary keys) whose key in `index` lies in the
    /// range (prefix-aware bounds, see [`IndexMeta`]), as of `as_of`, in
    /// index-key order (then primary-key order): exactly the rows whose
    /// indexed value was in the range AS OF that seq, with their values
    /// then. An equality lookup costs O(log n) plus the rows. 42704 if the
    /// index is not one of this table's (as of the reader's creation).
    pub fn index_scan(
        &self,
        index: IndexId,
        as_of: Seq,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Box<dyn Iterator<Item = Result<(Vec<u8>, Row)>> + Send> {
        let ix = match self.index(index) {
            Ok(ix) => ix,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let it = IndexScanIter::new(ix, self.store.clone(), self.cap(as_of), &lower, &upper);
        Box::new(it.map(|r| r.map(|(_, pk, row)| (pk, row))))
    }

    /// Versions whose key in `index` lay in the range during the version,
    /// passing `filter` (as [`TableReader::versions`] applies it), by index
    /// key, then primary key, then start.
    pub fn index_versions(
        &self,
        index: IndexId,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
        filter: VersionFilter,
    ) -> Box<dyn Iterator<Item = Result<Version>> + Send> {
        let ix = match self.index(index) {
            Ok(ix) => ix,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let visible = self.visible.load(Ordering::Acquire);
        Box::new(IndexVersionsIter::new(
            ix,
            self.store.clone(),
            filter,
            visible,
            &lower,
            &upper,
        ))
    }

    /// Approximate number of current rows (for planning).
    pub fn approx_rows(&self) -> u64 {
        self.store.live_rows()
    }
}

/// A transaction holding the write path. Its changes are private until
/// [`WriteTxn::commit`]; dropping it rolls back.
pub struct WriteTxn {
    t: txn::TxnState,
}

impl fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteTxn")
            .field("has_changes", &self.t.has_changes())
            .finish()
    }
}

impl WriteTxn {
    /// Tables as this transaction sees them (its own DDL included).
    pub fn tables(&self) -> Vec<TableMeta> {
        self.t.tables()
    }

    /// True if this transaction changed the catalog (its view of the tables
    /// differs from the committed one).
    pub fn has_ddl(&self) -> bool {
        self.t.has_ddl()
    }

    /// Creates a table; its id is returned. 42P07 if the name is taken.
    pub fn create_table(&mut self, name: &str, schema: Vec<u8>) -> Result<TableId> {
        self.t.create_table(name, schema)
    }

    /// Drops a table (its data is gone from the current state).
    pub fn drop_table(&mut self, table: TableId) -> Result<()> {
        self.t.drop_table(table)
    }

    /// Renames a table and/or replaces its schema blob.
    pub fn alter_table(&mut self, table: TableId, name: &str, schema: Vec<u8>) -> Result<()> {
        self.t.alter_table(table, name, schema)
    }

    /// The row with `key`, as this transaction sees it.
    pub fn get(&self, table: TableId, key: &[u8]) -> Result<Option<Row>> {
        self.t.get(table, key)
    }

    /// Rows in key order as this transaction sees them.
    #[allow(clippy::type_complexity)] // the contract's signature, kept verbatim
    pub fn scan(
        &self,
        table: TableId,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Result<Box<dyn Iterator<Item = Result<(Vec<u8>, Row)>> + '_>> {
        self.t.scan(table, lower, upper)
    }

    /// Inserts a row; `Ok(false)` if the key exists (nothing written).
    pub fn insert(&mut self, table: TableId, key: Vec<u8>, row: Row) -> Result<bool> {
        self.t.insert(table, key, row)
    }

    /// Replaces the row with `key`; `Ok(false)` if there is none.
    pub fn update(&mut self, table: TableId, key: Vec<u8>, row: Row) -> Result<bool> {
        self.t.update(table, key, row)
    }

    /// Deletes (ends the current version of) the row; `Ok(false)` if none.
    pub fn delete(&mut self, table: TableId, key: &[u8]) -> Result<bool> {
        self.t.delete(table, key)
    }

    /// Secondary indexes of `table` as this transaction sees them, by id.
    pub fn indexes(&self, table: TableId) -> Vec<IndexMeta> {
        self.t.indexes(table)
    }

    /// The index named `name` as this transaction sees it.
    pub fn index_by_name(&self, name: &str) -> Option<IndexMeta> {
        self.t.index_by_name(name)
    }

    /// Creates a secondary index over `columns` (row positions) of `table`,
    /// built from the table's whole committed history (so time travel
    /// through it works AS OF any seq) and from this transaction's own rows,
    /// and maintained by every later write. Visible to this transaction at
    /// once, to others once committed; undone by rollback and by
    /// `rollback_to` an earlier savepoint. Uses up no seq. 42P07 if the name
    /// is taken by a table or index; 42P01 if the table does not exist.
    pub fn create_index(
        &mut self,
        table: TableId,
        name: &str,
        columns: Vec<usize>,
        unique: bool,
    ) -> Result<IndexId> {
        self.t.create_index(table, name, columns, unique)
    }

    /// Drops a secondary index (transactional, like `create_index`). 42704
    /// if it does not exist.
    pub fn drop_index(&mut self, index: IndexId) -> Result<()> {
        self.t.drop_index(index)
    }

    /// Current rows (with primary keys) whose `index` key is in the range
    /// (prefix-aware bounds, see [`IndexMeta`]), as this transaction sees
    /// them (its own writes included), in index-key then primary-key order.
    /// An equality lookup costs O(log n) plus the rows, however many rows
    /// the transaction has written.
    #[allow(clippy::type_complexity)] // mirrors `scan`
    pub fn index_scan(
        &self,
        index: IndexId,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
    ) -> Result<Box<dyn Iterator<Item = Result<(Vec<u8>, Row)>> + '_>> {
        self.t.index_scan(index, lower, upper)
    }

    /// The next hidden row id for a table without a primary key (unique
    /// per table, starting at 1; persisted, so never reused after a commit).
    pub fn next_rowid(&mut self, table: TableId) -> Result<u64> {
        self.t.next_rowid(table)
    }

    /// Marks a savepoint; returns its handle.
    pub fn savepoint(&mut self) -> usize {
        self.t.savepoint()
    }

    /// Undoes everything after savepoint `sp` (which stays valid).
    pub fn rollback_to(&mut self, sp: usize) {
        self.t.rollback_to(sp)
    }

    /// True if the transaction changed anything (data or DDL).
    pub fn has_changes(&self) -> bool {
        self.t.has_changes()
    }

    /// Commits: WAL append, group fsync, apply, publish. Returns the new seq,
    /// or `None` when no data changed (DDL-only commits use up no seq).
    pub fn commit(self) -> Result<Option<Seq>> {
        self.t.commit()
    }

    /// Discards every change.
    pub fn rollback(self) {
        drop(self)
    }
}
