//! Storage: the write-ahead log, per-table event segments, and the in-memory
//! version store that serves reads as of any seq.
//!
//! STUB: this file fixes the API the SQL layer programs against; the storage
//! work fills it in (and may split it into submodules: wal/, segment/,
//! table.rs, rowcodec.rs, recovery.rs, ...). Storage knows nothing of SQL:
//! keys are order-preserving byte strings made by `encoding::keycode`, rows
//! are `Vec<Value>`, table schemas are opaque blobs owned by the catalog.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use crate::error::Result;
use crate::temporal::Clock;
use crate::types::Row;

/// A database-wide commit sequence number. The first data commit is 1; 0
/// means "before any data".
pub type Seq = u64;

/// A table's stable identity (survives renames; never reused).
pub type TableId = u32;

/// Options for [`Storage::open`].
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// Where commit timestamps come from.
    pub clock: Arc<dyn Clock>,
    /// fsync the WAL before acknowledging a commit (always true in production;
    /// tests of non-durability concerns may turn it off).
    pub fsync: bool,
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
pub struct Storage {}

impl Storage {
    /// Opens (creating if missing) the data directory and recovers it.
    pub fn open(_dir: &Path, _opts: StorageOptions) -> Result<Storage> {
        todo!()
    }

    /// The latest durable commit: what new readers see.
    pub fn visible_seq(&self) -> Seq {
        todo!()
    }

    /// The commit timestamp of `seq` (Unix microseconds), if it exists.
    pub fn commit_time(&self, _seq: Seq) -> Option<i64> {
        todo!()
    }

    /// The largest seq whose commit time is ≤ `unix_micros`, or 0.
    pub fn seq_at_time(&self, _unix_micros: i64) -> Seq {
        todo!()
    }

    /// The largest seq whose commit time is < `unix_micros`, or 0.
    pub fn seq_before_time(&self, _unix_micros: i64) -> Seq {
        todo!()
    }

    /// Every committed table.
    pub fn tables(&self) -> Vec<TableMeta> {
        todo!()
    }

    /// A reader for a committed table.
    pub fn reader(&self, _table: TableId) -> Result<TableReader> {
        todo!()
    }

    /// Takes the write path, waiting while another transaction holds it.
    /// `should_abort` is polled while waiting (cancel, timeout, shutdown).
    pub fn begin_write(&self, _should_abort: &dyn Fn() -> Result<()>) -> Result<WriteTxn> {
        todo!()
    }

    /// Makes segments durable and trims the WAL.
    pub fn checkpoint(&self) -> Result<()> {
        todo!()
    }

    /// Checkpoints and stops background work. Later calls fail.
    pub fn shutdown(&self) -> Result<()> {
        todo!()
    }
}

/// Reads one table as of any seq. Never blocks writers for long.
#[derive(Debug, Clone)]
pub struct TableReader {}

impl TableReader {
    /// The row with `key` as of `as_of`.
    pub fn get(&self, _key: &[u8], _as_of: Seq) -> Result<Option<Row>> {
        todo!()
    }

    /// Rows with keys in the range, in key order, as of `as_of`.
    pub fn scan(
        &self,
        _as_of: Seq,
        _lower: Bound<Vec<u8>>,
        _upper: Bound<Vec<u8>>,
    ) -> Box<dyn Iterator<Item = Result<(Vec<u8>, Row)>> + Send> {
        todo!()
    }

    /// Versions with keys in the range that pass `filter`, by key then start.
    pub fn versions(
        &self,
        _lower: Bound<Vec<u8>>,
        _upper: Bound<Vec<u8>>,
        _filter: VersionFilter,
    ) -> Box<dyn Iterator<Item = Result<Version>> + Send> {
        todo!()
    }

    /// Approximate number of current rows (for planning).
    pub fn approx_rows(&self) -> u64 {
        todo!()
    }
}

/// A transaction holding the write path. Its changes are private until
/// [`WriteTxn::commit`]; dropping it rolls back.
#[derive(Debug)]
pub struct WriteTxn {}

impl WriteTxn {
    /// Tables as this transaction sees them (its own DDL included).
    pub fn tables(&self) -> Vec<TableMeta> {
        todo!()
    }

    /// Creates a table; its id is returned.
    pub fn create_table(&mut self, _name: &str, _schema: Vec<u8>) -> Result<TableId> {
        todo!()
    }

    /// Drops a table (its data is gone from the current state).
    pub fn drop_table(&mut self, _table: TableId) -> Result<()> {
        todo!()
    }

    /// Renames a table and/or replaces its schema blob.
    pub fn alter_table(&mut self, _table: TableId, _name: &str, _schema: Vec<u8>) -> Result<()> {
        todo!()
    }

    /// The row with `key`, as this transaction sees it.
    pub fn get(&self, _table: TableId, _key: &[u8]) -> Result<Option<Row>> {
        todo!()
    }

    /// Rows in key order as this transaction sees them.
    pub fn scan(
        &self,
        _table: TableId,
        _lower: Bound<Vec<u8>>,
        _upper: Bound<Vec<u8>>,
    ) -> Result<Box<dyn Iterator<Item = Result<(Vec<u8>, Row)>> + '_>> {
        todo!()
    }

    /// Inserts a row; `Ok(false)` if the key exists (nothing written).
    pub fn insert(&mut self, _table: TableId, _key: Vec<u8>, _row: Row) -> Result<bool> {
        todo!()
    }

    /// Replaces the row with `key`; `Ok(false)` if there is none.
    pub fn update(&mut self, _table: TableId, _key: Vec<u8>, _row: Row) -> Result<bool> {
        todo!()
    }

    /// Deletes (ends the current version of) the row; `Ok(false)` if none.
    pub fn delete(&mut self, _table: TableId, _key: &[u8]) -> Result<bool> {
        todo!()
    }

    /// The next hidden row id for a table without a primary key.
    pub fn next_rowid(&mut self, _table: TableId) -> Result<u64> {
        todo!()
    }

    /// Marks a savepoint; returns its handle.
    pub fn savepoint(&mut self) -> usize {
        todo!()
    }

    /// Undoes everything after savepoint `sp` (which stays valid).
    pub fn rollback_to(&mut self, _sp: usize) {
        todo!()
    }

    /// True if the transaction changed anything (data or DDL).
    pub fn has_changes(&self) -> bool {
        todo!()
    }

    /// Commits: WAL append, group fsync, apply, publish. Returns the new seq,
    /// or `None` when no data changed (DDL-only commits use up no seq).
    pub fn commit(self) -> Result<Option<Seq>> {
        todo!()
    }

    /// Discards every change.
    pub fn rollback(self) {
        todo!()
    }
}
