//! [`Writer`]: the single writer's side of a page store — allocation,
//! freeing, publishing batches, and checkpoints.
//!
//! # Page life cycle (shadow paging)
//!
//! ```text
//!            allocate                 publish                checkpoint
//!   free ───────────────▶ private ───────────────▶ fresh ───────────────▶ durable
//!    ▲                      │ free                  │ free                  │ free
//!    │◀─────────────────────┘ (nobody saw it)       ▼                       ▼
//!    │                                       pending(epoch e)        pending_ckpt(e)
//!    │◀──── no reader holds an epoch < e ────────┘       ▲                 │
//!    │                                                   └── checkpoint ───┘
//! ```
//!
//! * **private**: allocated by the open batch; no reader can reach it, so the
//!   writer rewrites it in place. Freed private pages are free at once.
//! * **fresh**: published since the last checkpoint; immutable from now on
//!   (readers may hold it). Replacing it frees it into `pending` with the
//!   epoch that no longer reaches it.
//! * **durable**: reachable from the last checkpoint's meta. Replacing it
//!   frees it into `pending_ckpt`: a crash must still find it intact, so it
//!   is not reused before the next checkpoint is durable — and then only once
//!   no reader holds an older epoch.
//!
//! A page the last checkpoint may use is therefore never written before the
//! next checkpoint's meta is durable: that is the whole crash-safety argument.
//!
//! # Checkpoint
//!
//! 1. The free list of the new checkpoint is computed: `free ∪ pending ∪
//!    pending_ckpt ∪` the last checkpoint's own catalog and free-list pages.
//! 2. Pages for the new catalog and free-list chains are taken from `free`
//!    (or the end of the file) and written. The free list names them too; on
//!    open they are subtracted (they are the checkpoint's own pages).
//! 3. Every dirty page of the buffer pool is written; the file is fsynced.
//! 4. The meta page of generation `g + 1` is written into slot `(g + 1) % 2`
//!    and fsynced. The checkpoint is durable now, and only now.
//! 5. `pending_ckpt` moves to `pending`; the old chain pages become free.
//!
//! An error before step 3's fsync leaves the last checkpoint intact and the
//! writer consistent (the chain pages go back to `free`); a failed fsync, or
//! any error from step 4, poisons the store: after a failed fsync nobody
//! knows what the disk holds, so only reopening (recovery) is safe.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use fxhash::FxHashSet;

use super::chain::{build_chain, chain_pages};
use super::epoch::Epoch;
use super::layout::{Page, PageId, PageType};
use super::meta::{MAX_APP_META, Meta};
use super::store::{PageStore, StoreStats};
use crate::error::{Error, Result};
use crate::storage::codec::{Cursor, put_varint};

/// The writer's state. One exists per store; whoever holds it (behind a
/// mutex) is the only writer.
#[derive(Debug)]
pub struct Writer {
    generation: u64,
    page_count: u64,
    free: BTreeSet<PageId>,
    fresh: FxHashSet<PageId>,
    private: FxHashSet<PageId>,
    batch_frees: Vec<PageId>,
    pending: VecDeque<(u64, PageId)>,
    pending_ckpt: Vec<(u64, PageId)>,
    meta_pages: Vec<PageId>,
    epoch: u64,
}

/// What a checkpoint did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckpointStats {
    /// The generation now durable.
    pub generation: u64,
    /// Pages written (dirty pages and the checkpoint's own pages).
    pub pages_written: u64,
    /// Pages the new checkpoint's free list names.
    pub free_pages: u64,
}

impl Writer {
    /// The writer for a checkpoint just opened: `listed` is its free list,
    /// `meta_pages` its catalog and free-list pages.
    pub(super) fn recovered(meta: &Meta, listed: Vec<PageId>, meta_pages: Vec<PageId>) -> Writer {
        let mut free: BTreeSet<PageId> = listed.into_iter().collect();
        for id in &meta_pages {
            free.remove(id);
        }
        Writer {
            generation: meta.generation,
            page_count: meta.page_count,
            free,
            fresh: FxHashSet::default(),
            private: FxHashSet::default(),
            batch_frees: Vec::new(),
            pending: VecDeque::new(),
            pending_ckpt: Vec::new(),
            meta_pages,
            epoch: 0,
        }
    }

    /// The generation stamped on pages written now (the next checkpoint's).
    pub fn page_generation(&self) -> u64 {
        self.generation + 1
    }

    /// The last durable checkpoint's generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// A page for the open batch (private until published).
    pub fn allocate(&mut self, store: &PageStore) -> Result<PageId> {
        store.check_poisoned()?;
        if self.free.is_empty() {
            self.release(store);
        }
        let id = match self.free.pop_first() {
            Some(id) => id,
            None => {
                self.page_count += 1;
                self.page_count - 1
            }
        };
        self.fresh.insert(id);
        self.private.insert(id);
        Ok(id)
    }

    /// True if `id` was allocated by the open batch (so it may be rewritten
    /// in place).
    pub fn is_private(&self, id: PageId) -> bool {
        self.private.contains(&id)
    }

    /// Stores a private page's new contents (dirty, in the buffer pool).
    pub fn write(&mut self, store: &PageStore, page: Page) -> Arc<Page> {
        debug_assert!(self.is_private(page.id()), "only private pages are written");
        let page = Arc::new(page);
        store.pool.put(Arc::clone(&page));
        page
    }

    /// Frees a page the open batch no longer references.
    pub fn free(&mut self, store: &PageStore, id: PageId) {
        if self.private.remove(&id) {
            store.pool.discard(id);
            self.free.insert(id);
        } else {
            self.batch_frees.push(id);
        }
    }

    /// Ends the batch: its pages become immutable, and the pages it freed
    /// wait for the readers of earlier epochs. The caller publishes the
    /// returned epoch with the new roots.
    pub fn publish(&mut self, store: &PageStore) -> Arc<Epoch> {
        self.epoch += 1;
        for id in self.batch_frees.drain(..) {
            if self.fresh.contains(&id) {
                self.pending.push_back((self.epoch, id));
            } else {
                self.pending_ckpt.push((self.epoch, id));
            }
        }
        self.private.clear();
        let e = store.epochs.register(self.epoch);
        self.release(store);
        e
    }

    /// Forgets the open batch: its pages are free again and the pages it
    /// freed stay in use.
    pub fn abort(&mut self, store: &PageStore) {
        for id in self.private.drain() {
            store.pool.discard(id);
            self.free.insert(id);
        }
        self.batch_frees.clear();
    }

    /// True while a batch has allocated or freed pages.
    pub fn in_batch(&self) -> bool {
        !self.private.is_empty() || !self.batch_frees.is_empty()
    }

    /// Moves pending pages no reader can reach any more to `free`.
    fn release(&mut self, store: &PageStore) {
        let oldest = store.epochs.oldest_in_use();
        while let Some(&(e, id)) = self.pending.front() {
            if e > oldest {
                break;
            }
            self.pending.pop_front();
            store.pool.discard(id);
            self.free.insert(id);
        }
    }

    /// Counters, with the pool's.
    pub fn stats(&self, store: &PageStore) -> StoreStats {
        StoreStats {
            page_count: self.page_count,
            free_pages: self.free.len() as u64,
            pending_pages: (self.pending.len() + self.pending_ckpt.len()) as u64,
            generation: self.generation,
            ..store.base_stats()
        }
    }

    /// The pages outside the trees, for integrity checks: the page count,
    /// then the free, pending (freed, not yet reusable) and checkpoint pages.
    pub fn accounting(&self) -> (u64, Vec<PageId>, Vec<PageId>, Vec<PageId>) {
        let pending = self
            .pending
            .iter()
            .chain(&self.pending_ckpt)
            .map(|&(_, id)| id)
            .chain(self.batch_frees.iter().copied())
            .collect();
        let free = self.free.iter().copied().collect();
        (self.page_count, free, pending, self.meta_pages.clone())
    }

    /// Makes the published state durable; see the module docs. `catalog` and
    /// `app` are stored with it and returned by the next open. No batch may
    /// be open.
    pub fn checkpoint(
        &mut self,
        store: &PageStore,
        catalog: &[u8],
        app: &[u8],
    ) -> Result<CheckpointStats> {
        store.check_poisoned()?;
        if self.in_batch() {
            return Err(Error::Internal(
                "checkpoint with an open write batch".into(),
            ));
        }
        if app.len() > MAX_APP_META {
            return Err(Error::Internal(format!(
                "checkpoint metadata of {} bytes exceeds {MAX_APP_META}",
                app.len()
            )));
        }
        self.release(store);
        let listed = self.checkpoint_free_list();
        let free_blob = encode_free_list(&listed);
        let cat_ids = self.take(chain_pages(catalog.len() as u64));
        let fl_ids = self.take(chain_pages(free_blob.len() as u64));
        let meta = Meta {
            generation: self.generation + 1,
            page_count: self.page_count,
            catalog_head: cat_ids.first().copied().unwrap_or(0),
            catalog_len: catalog.len() as u64,
            freelist_head: fl_ids.first().copied().unwrap_or(0),
            freelist_len: free_blob.len() as u64,
            free_count: listed.len() as u64,
            app: app.to_vec(),
        };
        let written =
            match self.write_checkpoint(store, &meta, catalog, &free_blob, &cat_ids, &fl_ids) {
                Ok(n) => n,
                Err(e) => {
                    // The meta was not written: the last checkpoint stands.
                    self.free.extend(cat_ids.iter().chain(&fl_ids));
                    return Err(e);
                }
            };
        self.commit_meta(store, &meta)?;
        self.finish_checkpoint(cat_ids.into_iter().chain(fl_ids).collect());
        store.set_generation(self.generation);
        Ok(CheckpointStats {
            generation: self.generation,
            pages_written: written,
            free_pages: listed.len() as u64,
        })
    }

    /// Every page not reachable from the published state: free now, waiting
    /// for readers, waiting for this checkpoint, or the last checkpoint's
    /// own pages.
    fn checkpoint_free_list(&self) -> Vec<PageId> {
        let mut all: BTreeSet<PageId> = self.free.clone();
        all.extend(self.pending.iter().map(|&(_, id)| id));
        all.extend(self.pending_ckpt.iter().map(|&(_, id)| id));
        all.extend(self.meta_pages.iter().copied());
        all.into_iter().collect()
    }

    /// `n` pages that may be written now: from `free`, else the file's end.
    fn take(&mut self, n: u64) -> Vec<PageId> {
        (0..n)
            .map(|_| match self.free.pop_first() {
                Some(id) => id,
                None => {
                    self.page_count += 1;
                    self.page_count - 1
                }
            })
            .collect()
    }

    /// Steps 2 and 3: chains, dirty pages, fsync. Returns pages written.
    fn write_checkpoint(
        &mut self,
        store: &PageStore,
        meta: &Meta,
        catalog: &[u8],
        free_blob: &[u8],
        cat_ids: &[PageId],
        fl_ids: &[PageId],
    ) -> Result<u64> {
        let generation = meta.generation;
        let mut pages = build_chain(PageType::Catalog, catalog, cat_ids, generation);
        pages.extend(build_chain(
            PageType::FreeList,
            free_blob,
            fl_ids,
            generation,
        ));
        for p in &pages {
            store.file.write(p)?;
        }
        let flushed = store.pool.flush()?;
        if let Err(e) = store.file.sync() {
            store.poison();
            return Err(e);
        }
        Ok(flushed + pages.len() as u64)
    }

    /// Step 4: the meta page, then fsync. Any failure poisons the store (a
    /// written but unsynced meta may or may not reach the disk).
    fn commit_meta(&mut self, store: &PageStore, meta: &Meta) -> Result<()> {
        let r = store
            .file
            .write(&meta.encode())
            .and_then(|()| store.file.sync());
        if r.is_err() {
            store.poison();
        }
        r
    }

    /// Step 5: the new checkpoint is durable.
    fn finish_checkpoint(&mut self, new_meta_pages: Vec<PageId>) {
        self.generation += 1;
        for (e, id) in self.pending_ckpt.drain(..) {
            self.pending.push_back((e, id));
        }
        // Pending entries must stay in epoch order for `release`.
        self.pending.make_contiguous().sort_by_key(|&(e, _)| e);
        let old = std::mem::replace(&mut self.meta_pages, new_meta_pages);
        self.free.extend(old);
        self.fresh.clear();
    }
}

/// The free list's bytes: the gaps between sorted page ids, as varints.
pub(super) fn encode_free_list(ids: &[PageId]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 2);
    let mut prev = 0;
    for &id in ids {
        put_varint(&mut out, id - prev);
        prev = id;
    }
    out
}

/// Decodes `count` page ids, each above the previous and in `2..page_count`.
pub(super) fn decode_free_list(
    blob: &[u8],
    count: u64,
    page_count: u64,
) -> std::result::Result<Vec<PageId>, String> {
    let mut c = Cursor::new(blob);
    let mut ids = Vec::with_capacity(usize::try_from(count).unwrap_or(0).min(blob.len()));
    let mut prev: u64 = 0;
    for i in 0..count {
        let gap = c.varint()?;
        let id = prev
            .checked_add(gap)
            .ok_or_else(|| format!("entry {i} overflows"))?;
        if gap == 0 || id < 2 || id >= page_count {
            return Err(format!(
                "entry {i}: page {id} (after {prev}, of {page_count})"
            ));
        }
        ids.push(id);
        prev = id;
    }
    if !c.is_empty() {
        return Err(format!("{} bytes after {count} entries", c.remaining()));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_list_round_trips_and_rejects_nonsense() {
        let ids = vec![2, 3, 4, 100, 1 << 40];
        let blob = encode_free_list(&ids);
        assert_eq!(
            decode_free_list(&blob, 5, (1 << 40) + 1).expect("decode"),
            ids
        );
        assert!(
            decode_free_list(&blob, 5, 1 << 40).is_err(),
            "beyond page count"
        );
        assert!(
            decode_free_list(&blob, 4, 1 << 41).is_err(),
            "trailing bytes"
        );
        assert!(
            decode_free_list(&blob, 6, 1 << 41).is_err(),
            "missing entry"
        );
        assert!(decode_free_list(&[2, 0], 2, 10).is_err(), "duplicate");
        assert!(decode_free_list(&[1], 1, 10).is_err(), "meta page listed");
    }
}
