//! [`Database`]: what every session of one server process shares — the
//! storage engine, the clock, decoded schemas, and backend ids.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use crate::catalog::SchemaCache;
use crate::error::Result;
use crate::storage::io::{FileSystem, RealFs};
use crate::storage::{Storage, StorageOptions, Tuning};
use crate::temporal::{Clock, SystemClock};

/// Options for [`Database::open_with`].
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Where "now" comes from (tests inject a `ManualClock`).
    pub clock: Arc<dyn Clock>,
    /// fsync commits (always on outside tests).
    pub fsync: bool,
    /// The page cache budget in bytes (`--cache-mb`).
    pub cache_bytes: usize,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        DatabaseOptions {
            clock: Arc::new(SystemClock),
            fsync: true,
            cache_bytes: crate::storage::DEFAULT_CACHE_BYTES,
        }
    }
}

#[derive(Debug)]
struct Inner {
    storage: Storage,
    clock: Arc<dyn Clock>,
    schemas: SchemaCache,
    next_pid: AtomicI32,
}

/// The shared database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

impl Database {
    /// Opens (creating and recovering as needed) the data directory.
    pub fn open(path: &Path) -> Result<Database> {
        Database::open_with(path, DatabaseOptions::default())
    }

    /// Opens with explicit options.
    pub fn open_with(path: &Path, opts: DatabaseOptions) -> Result<Database> {
        Database::open_with_fs(path, opts, Arc::new(RealFs), Tuning::default())
    }

    /// Opens on any file system with explicit storage size knobs: tests use
    /// [`crate::storage::io::mem::MemFs`] to inject failed fsyncs and
    /// crashes under whole sessions.
    pub fn open_with_fs(
        path: &Path,
        opts: DatabaseOptions,
        fs: Arc<dyn FileSystem>,
        tuning: Tuning,
    ) -> Result<Database> {
        let storage = Storage::open_with(
            path,
            StorageOptions {
                clock: opts.clock.clone(),
                fsync: opts.fsync,
                cache_bytes: opts.cache_bytes,
            },
            fs,
            tuning,
        )?;
        Ok(Database {
            inner: Arc::new(Inner {
                storage,
                clock: opts.clock,
                schemas: SchemaCache::default(),
                next_pid: AtomicI32::new(1000 + (std::process::id() % 1000) as i32 * 1000),
            }),
        })
    }

    /// The storage engine.
    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Decoded table schemas.
    pub fn schemas(&self) -> &SchemaCache {
        &self.inner.schemas
    }

    /// A process id for a new session (BackendKeyData, pg_backend_pid()).
    pub fn next_pid(&self) -> i32 {
        self.inner.next_pid.fetch_add(1, Ordering::Relaxed)
    }

    /// Checkpoints and closes the storage engine.
    pub fn shutdown(&self) -> Result<()> {
        self.inner.storage.shutdown()
    }
}
