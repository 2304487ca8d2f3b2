//! The public face of the B-tree: [`BTreeStore`] (open, checkpoint,
//! stats), [`Snapshot`] (consistent reads of every tree as of the last
//! publish) and [`WriteTxn`] (the single writer's batch of changes).
//!
//! ```text
//!  readers ── snapshot() ──▶ Arc<Published>{ epoch, catalog } ──▶ immutable pages
//!                                  ▲ swapped by commit()
//!  writer ─── write() ──▶ WriteTxn (holds the writer mutex; private pages,
//!                         a working catalog) ── commit(): publish ──┘
//!  checkpoint(app) ── waits for the writer mutex, makes the published state durable
//! ```
//!
//! Readers take a read lock only long enough to clone an `Arc`; they never
//! wait for the writer, and the writer never waits for them.

use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::ThreadId;

use super::catalog::{self, Catalog, MAX_NAME_LEN, TreeRoot};
use super::cursor::Cursor;
use super::node::{self, MAX_KEY_LEN, MAX_VALUE_LEN};
use super::read;
use super::write::Mutator;
use crate::error::{Error, Result, SqlState};
use crate::storage::io::FileSystem;
use crate::storage::page::{
    CheckpointStats, Epoch, PageId, PageStore, PoolStats, StoreStats, Writer,
};

/// A store of named B+trees in one page file. See the module docs.
#[derive(Debug)]
pub struct BTreeStore {
    pages: PageStore,
    writer: Mutex<WriterSide>,
    published: RwLock<Arc<Published>>,
    recovered_app: Vec<u8>,
    /// The thread holding the write transaction, if any: that thread
    /// calling anything that waits for the writer would wait for itself.
    writer_thread: Mutex<Option<ThreadId>>,
}

/// The writer's state: page allocation and the working catalog.
#[derive(Debug)]
struct WriterSide {
    w: Writer,
    trees: Arc<Catalog>,
}

/// A published version of every tree.
#[derive(Debug)]
pub(super) struct Published {
    epoch: Arc<Epoch>,
    trees: Arc<Catalog>,
}

/// One tree's size, for tests, EXPLAIN and the planner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeStats {
    /// Entries.
    pub entries: u64,
    /// Levels (0: empty; 1: a single leaf).
    pub height: u32,
    /// The root page.
    pub root: PageId,
}

fn no_tree(name: &str) -> Error {
    Error::Internal(format!("B-tree \"{name}\" does not exist"))
}

/// Refuses keys and values beyond the limits, with 54000 as PostgreSQL does.
fn check_limits(tree: &str, key: &[u8], value: &[u8]) -> Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(Error::sql(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            format!(
                "index row size {} exceeds maximum {MAX_KEY_LEN} for index \"{tree}\"",
                key.len()
            ),
        ));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::sql(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            format!(
                "row is too big: size {}, maximum size {MAX_VALUE_LEN}",
                value.len()
            ),
        ));
    }
    Ok(())
}

impl BTreeStore {
    /// Opens (or creates) the store in `dir`, which must exist, with a
    /// buffer pool of `cache_bytes`. The trees are as of the last
    /// checkpoint; [`BTreeStore::checkpoint_meta`] returns what it recorded.
    pub fn open(fs: &dyn FileSystem, dir: &Path, cache_bytes: usize) -> Result<Arc<BTreeStore>> {
        let label = dir.join(crate::storage::page::store::FILE_NAME);
        BTreeStore::open_labeled(fs, dir, cache_bytes, &label.display().to_string())
    }

    /// Like [`BTreeStore::open`], naming the page file `label` in errors.
    pub fn open_labeled(
        fs: &dyn FileSystem,
        dir: &Path,
        cache_bytes: usize,
        label: &str,
    ) -> Result<Arc<BTreeStore>> {
        let (pages, mut w, rec) =
            PageStore::open_labeled(fs, dir, cache_bytes, node::validate, label)?;
        let trees = catalog::decode(&rec.catalog).map_err(|r| {
            pages.corrupted(0, format!("catalog of checkpoint {}: {r}", rec.generation))
        })?;
        let trees = Arc::new(trees);
        let epoch = w.publish(&pages);
        Ok(Arc::new(BTreeStore {
            published: RwLock::new(Arc::new(Published {
                epoch,
                trees: Arc::clone(&trees),
            })),
            writer: Mutex::new(WriterSide { w, trees }),
            pages,
            recovered_app: rec.app,
            writer_thread: Mutex::new(None),
        }))
    }

    /// A consistent view of every tree as of the last commit.
    pub fn snapshot(self: &Arc<Self>) -> Snapshot {
        let state = Arc::clone(&self.published.read().unwrap_or_else(|p| p.into_inner()));
        Snapshot {
            store: Arc::clone(self),
            state,
        }
    }

    /// Starts the write transaction, waiting for the current one to end.
    pub fn write(&self) -> Result<WriteTxn<'_>> {
        self.pages.check_poisoned()?;
        let side = self.lock_writer()?;
        self.set_writer_thread(Some(std::thread::current().id()));
        Ok(WriteTxn {
            store: self,
            side,
            failed: false,
            done: false,
        })
    }

    fn set_writer_thread(&self, t: Option<ThreadId>) {
        *self.writer_thread.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }

    /// Waits for the writer; an error instead of a deadlock if this thread
    /// is the one holding the write transaction.
    fn lock_writer(&self) -> Result<MutexGuard<'_, WriterSide>> {
        let me = std::thread::current().id();
        if *self.writer_thread.lock().unwrap_or_else(|p| p.into_inner()) == Some(me) {
            return Err(Error::Internal(
                "this thread holds the B-tree write transaction; end it first".into(),
            ));
        }
        // A panic inside a write transaction may have left the writer's
        // bookkeeping half updated: refuse to write rather than guess.
        self.writer.lock().map_err(|_| {
            Error::Internal("a B-tree write transaction panicked; reopen the store".into())
        })
    }

    /// Makes the last committed state durable, recording `app` (at most 4
    /// KiB, e.g. the WAL position it covers). Waits for an open write
    /// transaction to end.
    pub fn checkpoint(&self, app: &[u8]) -> Result<CheckpointStats> {
        let mut side = self.lock_writer()?;
        let blob = catalog::encode(&side.trees);
        side.w.checkpoint(&self.pages, &blob, app)
    }

    /// What the checkpoint this store was opened from recorded.
    pub fn checkpoint_meta(&self) -> &[u8] {
        &self.recovered_app
    }

    /// Store counters (waits for an open write transaction).
    pub fn stats(&self) -> Result<StoreStats> {
        Ok(self.lock_writer()?.w.stats(&self.pages))
    }

    /// Buffer pool counters (never waits).
    pub fn pool_stats(&self) -> PoolStats {
        self.pages.pool_stats()
    }

    pub(super) fn pages(&self) -> &PageStore {
        &self.pages
    }

    /// The writer's state, for the integrity check (waits for the writer).
    pub(super) fn with_writer<T>(&self, f: impl FnOnce(&Writer, &Catalog) -> T) -> Result<T> {
        let side = self.lock_writer()?;
        Ok(f(&side.w, &side.trees))
    }
}

/// A consistent, immutable view of every tree, as of one commit. Cheap to
/// clone; holding it keeps the pages it can reach from being reused.
#[derive(Debug, Clone)]
pub struct Snapshot {
    store: Arc<BTreeStore>,
    state: Arc<Published>,
}

impl Snapshot {
    fn root(&self, tree: &str) -> Result<TreeRoot> {
        self.state
            .trees
            .get(tree)
            .copied()
            .ok_or_else(|| no_tree(tree))
    }

    pub(super) fn pages(&self) -> &PageStore {
        &self.store.pages
    }

    /// The value under `key`.
    pub fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        read::get(&self.store.pages, self.root(tree)?.root, key)
    }

    /// The entries with keys between the bounds, in key order or reversed.
    pub fn range(
        &self,
        tree: &str,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Cursor<'static>> {
        let root = self.root(tree)?.root;
        Ok(Cursor::over_snapshot(
            self.clone(),
            root,
            lower,
            upper,
            reverse,
        ))
    }

    /// True if the tree exists.
    pub fn contains_tree(&self, tree: &str) -> bool {
        self.state.trees.contains_key(tree)
    }

    /// Every tree's name, in order.
    pub fn trees(&self) -> Vec<String> {
        self.state.trees.keys().cloned().collect()
    }

    /// A tree's entry count (no page read).
    pub fn tree_len(&self, tree: &str) -> Result<u64> {
        Ok(self.root(tree)?.len)
    }

    /// A tree's entry count and height.
    pub fn tree_stats(&self, tree: &str) -> Result<TreeStats> {
        let t = self.root(tree)?;
        Ok(TreeStats {
            entries: t.len,
            height: read::height(&self.store.pages, t.root)?,
            root: t.root,
        })
    }

    /// The publish this snapshot sees (increases by one per commit).
    pub fn epoch(&self) -> u64 {
        self.state.epoch.id()
    }
}

/// The single writer's transaction. Changes are visible to its own reads
/// at once and to snapshots after [`WriteTxn::commit`]; dropping it without
/// committing discards them. After an error from a change (other than a
/// refused key or value) the transaction only accepts being dropped.
#[derive(Debug)]
pub struct WriteTxn<'a> {
    store: &'a BTreeStore,
    side: MutexGuard<'a, WriterSide>,
    failed: bool,
    done: bool,
}

impl WriteTxn<'_> {
    fn check(&self) -> Result<()> {
        if self.failed {
            return Err(Error::Internal(
                "B-tree write transaction failed earlier and must be rolled back".into(),
            ));
        }
        self.store.pages.check_poisoned()
    }

    fn root(&self, tree: &str) -> Result<TreeRoot> {
        self.side
            .trees
            .get(tree)
            .copied()
            .ok_or_else(|| no_tree(tree))
    }

    /// Runs a change against a tree's root; records the new root and the
    /// change in entry count.
    fn mutate<T>(
        &mut self,
        tree: &str,
        f: impl FnOnce(&mut Mutator<'_>, PageId) -> Result<(PageId, T, i64)>,
    ) -> Result<T> {
        self.check()?;
        let before = self.root(tree)?;
        let side = &mut *self.side;
        let mut m = Mutator {
            pages: &self.store.pages,
            w: &mut side.w,
        };
        let (root, out, delta) = match f(&mut m, before.root) {
            Ok(r) => r,
            Err(e) => {
                self.failed = true;
                return Err(e);
            }
        };
        let len = before.len.saturating_add_signed(delta);
        if root != before.root || len != before.len {
            let trees = Arc::make_mut(&mut side.trees);
            trees.insert(tree.to_string(), TreeRoot { root, len });
        }
        Ok(out)
    }

    /// Creates an empty tree; false if it exists already.
    pub fn create_tree(&mut self, tree: &str) -> Result<bool> {
        self.check()?;
        if tree.len() > MAX_NAME_LEN {
            return Err(Error::Internal(format!(
                "B-tree name of {} bytes",
                tree.len()
            )));
        }
        if self.side.trees.contains_key(tree) {
            return Ok(false);
        }
        Arc::make_mut(&mut self.side.trees).insert(tree.to_string(), TreeRoot::default());
        Ok(true)
    }

    /// Drops a tree and frees its pages; false if it did not exist.
    pub fn drop_tree(&mut self, tree: &str) -> Result<bool> {
        if self.check().is_ok() && !self.side.trees.contains_key(tree) {
            return Ok(false);
        }
        self.mutate(tree, |m, root| m.drop_tree(root).map(|()| (0, (), 0)))?;
        Arc::make_mut(&mut self.side.trees).remove(tree);
        Ok(true)
    }

    /// Inserts or replaces; returns the previous value. Keys over
    /// [`MAX_KEY_LEN`] and values over [`MAX_VALUE_LEN`] are refused (54000)
    /// without harming the transaction.
    pub fn insert(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        check_limits(tree, key, value)?;
        self.mutate(tree, |m, root| {
            let (root, old) = m.insert(root, key, value)?;
            let delta = i64::from(old.is_none());
            Ok((root, old, delta))
        })
    }

    /// Deletes; returns the removed value.
    pub fn delete(&mut self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if key.len() > MAX_KEY_LEN {
            return Ok(None);
        }
        self.mutate(tree, |m, root| {
            let (root, old) = m.delete(root, key)?;
            let delta = -i64::from(old.is_some());
            Ok((root, old, delta))
        })
    }

    /// The value under `key`, including this transaction's changes.
    pub fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check()?;
        read::get(&self.store.pages, self.root(tree)?.root, key)
    }

    /// A range of a tree, including this transaction's changes.
    pub fn range(
        &self,
        tree: &str,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Cursor<'_>> {
        self.check()?;
        let root = self.root(tree)?.root;
        Ok(Cursor::over_pages(
            &self.store.pages,
            root,
            lower,
            upper,
            reverse,
        ))
    }

    /// Entries in a tree, including this transaction's changes.
    pub fn len(&self, tree: &str) -> Result<u64> {
        Ok(self.root(tree)?.len)
    }

    /// True if the tree exists (including trees this transaction created).
    pub fn contains_tree(&self, tree: &str) -> bool {
        self.side.trees.contains_key(tree)
    }

    /// Every tree's name, in order (including this transaction's changes).
    pub fn trees(&self) -> Vec<String> {
        self.side.trees.keys().cloned().collect()
    }

    /// Publishes the changes: snapshots taken from now on see them.
    pub fn commit(mut self) -> Result<()> {
        self.check()?;
        let side = &mut *self.side;
        let epoch = side.w.publish(&self.store.pages);
        let state = Arc::new(Published {
            epoch,
            trees: Arc::clone(&side.trees),
        });
        *self
            .store
            .published
            .write()
            .unwrap_or_else(|p| p.into_inner()) = state;
        self.done = true;
        Ok(())
    }
}

impl Drop for WriteTxn<'_> {
    fn drop(&mut self) {
        self.store.set_writer_thread(None);
        if self.done {
            return;
        }
        let side = &mut *self.side;
        side.w.abort(&self.store.pages);
        let published = self
            .store
            .published
            .read()
            .unwrap_or_else(|p| p.into_inner());
        side.trees = Arc::clone(&published.trees);
    }
}
