//! [`PageStore`]: the page file, its buffer pool and its epochs, shared by
//! every reader and the writer; opening (creating or recovering) a store.
//!
//! Opening reads the newest valid meta page, the free list and the catalog
//! blob of that checkpoint, and nothing else: the cost of opening does not
//! depend on the size of the trees.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::chain::{chain_ids, read_chain};
use super::epoch::Epochs;
use super::file::{FileStats, PageFile};
use super::layout::{PAGE_SIZE, Page, PageId, PageType};
use super::meta::{self, Meta};
use super::pool::{BufferPool, PoolStats, Validator};
use super::writer::{Writer, decode_free_list};
use crate::error::{Error, Result};
use crate::storage::io::{FileSystem, RandomFile};

/// The page file's name inside the store's directory.
pub const FILE_NAME: &str = "pages";

/// The shared half of a page store. See the module docs.
#[derive(Debug)]
pub struct PageStore {
    pub(super) file: Arc<PageFile>,
    pub(super) pool: BufferPool,
    pub(super) epochs: Epochs,
    poisoned: AtomicBool,
    /// The generation stamped on pages written now: no page reachable from
    /// a published root is newer.
    limit: AtomicU64,
}

/// What opening a store found: the last checkpoint's blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The checkpoint's generation (0: never checkpointed).
    pub generation: u64,
    /// The catalog blob the checkpoint recorded.
    pub catalog: Vec<u8>,
    /// The caller's bytes the checkpoint recorded.
    pub app: Vec<u8>,
}

/// Store-wide counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Pages in the file's address space (used, free, or pending).
    pub page_count: u64,
    /// Pages reusable now.
    pub free_pages: u64,
    /// Freed pages waiting for readers or for the next checkpoint.
    pub pending_pages: u64,
    /// The last durable checkpoint's generation.
    pub generation: u64,
    /// Buffer pool counters.
    pub pool: PoolStats,
    /// Page file IO counters.
    pub file: FileStats,
}

impl PageStore {
    /// Opens the store in `dir` (which must exist), creating an empty one if
    /// there is none, with a buffer pool of `cache_bytes`; `validate` checks
    /// every page read through the pool. Returns the shared store, the
    /// writer's state and what the last checkpoint recorded.
    pub fn open(
        fs: &dyn FileSystem,
        dir: &Path,
        cache_bytes: usize,
        validate: Validator,
    ) -> Result<(PageStore, Writer, Recovered)> {
        let name = dir.join(FILE_NAME).display().to_string();
        PageStore::open_labeled(fs, dir, cache_bytes, validate, &name)
    }

    /// Like [`PageStore::open`], naming the file `label` in errors (the
    /// engine names it relative to the data directory).
    pub fn open_labeled(
        fs: &dyn FileSystem,
        dir: &Path,
        cache_bytes: usize,
        validate: Validator,
        label: &str,
    ) -> Result<(PageStore, Writer, Recovered)> {
        let path = dir.join(FILE_NAME);
        if !fs.exists(&path)? {
            create(fs, dir)?;
        }
        let name = label.to_string();
        let file = Arc::new(PageFile::new(fs.open_random(&path, false)?, name));
        let (meta, invalid) = meta::newest(|slot| file.read(slot))
            .map_err(|why| file.corrupted(0, format!("no valid meta page: {why}")))?;
        if meta.generation > 0 {
            // A torn meta write from a crash during a checkpoint, or damage:
            // the other slot's (older) checkpoint is used.
            for why in invalid {
                crate::log_warn!(
                    "{}: {why}; using checkpoint {}",
                    file.name(),
                    meta.generation
                );
            }
        }
        let pool = BufferPool::new(Arc::clone(&file), cache_bytes, validate);
        let store = PageStore {
            file,
            pool,
            epochs: Epochs::default(),
            poisoned: AtomicBool::new(false),
            limit: AtomicU64::new(meta.generation + 1),
        };
        let (writer, recovered) = store.recover(meta)?;
        Ok((store, writer, recovered))
    }

    /// Reads the free list and the catalog of `meta`'s checkpoint. Their
    /// pages were written by that checkpoint: a different generation means
    /// they were reused since (an older meta whose pages are gone).
    fn recover(&self, meta: Meta) -> Result<(Writer, Recovered)> {
        let read = |id: PageId| self.read_checked(id, &meta);
        let bad = |id, reason| self.file.corrupted(id, reason);
        let catalog = read_chain(
            PageType::Catalog,
            meta.catalog_head,
            meta.catalog_len,
            read,
            bad,
        )?;
        let cat_ids = chain_ids(
            PageType::Catalog,
            meta.catalog_head,
            meta.catalog_len,
            read,
            bad,
        )?;
        let fl_blob = read_chain(
            PageType::FreeList,
            meta.freelist_head,
            meta.freelist_len,
            read,
            bad,
        )?;
        let fl_ids = chain_ids(
            PageType::FreeList,
            meta.freelist_head,
            meta.freelist_len,
            read,
            bad,
        )?;
        let listed = decode_free_list(&fl_blob, meta.free_count, meta.page_count)
            .map_err(|r| bad(meta.freelist_head, format!("free list: {r}")))?;
        let mut meta_pages = cat_ids;
        meta_pages.extend(fl_ids);
        let writer = Writer::recovered(&meta, listed, meta_pages);
        let recovered = Recovered {
            generation: meta.generation,
            catalog,
            app: meta.app,
        };
        Ok((writer, recovered))
    }

    /// Reads a page the checkpoint being opened wrote itself.
    fn read_checked(&self, id: PageId, meta: &Meta) -> Result<Arc<Page>> {
        if id < 2 || id >= meta.page_count {
            return Err(self.file.corrupted(
                id,
                format!(
                    "page {id} is outside the checkpoint's {} pages",
                    meta.page_count
                ),
            ));
        }
        let page = self.file.read(id)?;
        if page.generation() != meta.generation {
            return Err(self.file.corrupted(
                id,
                format!(
                    "page {id} of checkpoint {} has generation {}",
                    meta.generation,
                    page.generation()
                ),
            ));
        }
        Ok(Arc::new(page))
    }

    /// The generation of pages written now; no reachable page is newer.
    pub fn generation_limit(&self) -> u64 {
        self.limit.load(Ordering::Acquire)
    }

    /// A checkpoint of `generation` is durable.
    pub(super) fn set_generation(&self, generation: u64) {
        self.limit.store(generation + 1, Ordering::Release);
    }

    /// A page, through the buffer pool.
    pub fn read(&self, id: PageId) -> Result<Arc<Page>> {
        self.pool.get(id)
    }

    /// The page file's name (as `Corrupted` errors name it).
    pub fn file_name(&self) -> &str {
        self.file.name()
    }

    /// A `Corrupted` error naming the page file and a page.
    pub fn corrupted(&self, id: PageId, reason: String) -> Error {
        self.file.corrupted(id, reason)
    }

    /// Fails if a checkpoint failed at a point where what is on disk is
    /// unknown (an fsync or the meta write failed): the store accepts no
    /// more writes until it is reopened, which recovers.
    pub fn check_poisoned(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(Error::Io(format!(
                "a checkpoint of page file \"{}\" failed to sync; reopen the database to recover",
                self.file.name()
            )));
        }
        Ok(())
    }

    /// Marks the store unusable for writes (after a failed fsync or meta
    /// write).
    pub(super) fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
    }

    /// Buffer pool counters (never waits for the writer).
    pub fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// Buffer pool and file counters (the writer adds its own fields).
    pub(super) fn base_stats(&self) -> StoreStats {
        StoreStats {
            pool: self.pool.stats(),
            file: self.file.stats(),
            ..StoreStats::default()
        }
    }
}

/// Writes an empty store into `f` (not synced): meta slot 0 holds
/// generation 0; slot 1 stays invalid (zeros fail the CRC) until generation
/// 1 is written there.
pub(crate) fn write_empty(f: &dyn RandomFile) -> Result<()> {
    f.set_len(0)?;
    let empty = Meta {
        generation: 0,
        page_count: 2,
        ..Meta::default()
    };
    f.write_at(0, empty.encode().bytes())?;
    f.write_at(PAGE_SIZE as u64, &[0; PAGE_SIZE])
}

/// Creates an empty store atomically: the file is written and synced under
/// a temporary name, then renamed into place and the directory synced, so a
/// crash leaves either no store or a complete one.
fn create(fs: &dyn FileSystem, dir: &Path) -> Result<()> {
    let tmp = dir.join(format!("{FILE_NAME}.tmp"));
    let f = fs.open_random(&tmp, true)?;
    write_empty(f.as_ref())?;
    f.sync()?;
    drop(f);
    fs.rename(&tmp, &dir.join(FILE_NAME))?;
    fs.sync_dir(dir)
}
