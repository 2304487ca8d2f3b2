//! The buffer pool: a bounded cache of pages with clock eviction and
//! write-back of dirty pages.
//!
//! * **Budget.** At most `capacity` pages (the memory budget divided by
//!   [`PAGE_SIZE`]) are resident, spread over up to 16 shards, each with its
//!   own lock, slots and clock hand, so readers of different pages rarely
//!   contend. A hit takes its shard's lock shared (the clock's reference
//!   bit is atomic), so readers of the same hot pages (every lookup passes
//!   the root) never wait for each other; only a miss, a write or an
//!   eviction takes it exclusively.
//! * **Pins.** A resident page is an `Arc<Page>`; whoever holds a clone has
//!   it pinned (a cursor's path, a page being searched). The clock skips a
//!   page whose `Arc` has other holders. Pages are immutable, so a holder
//!   never sees a page change under it. If every page of a shard is pinned
//!   the shard goes over budget rather than wait.
//! * **Dirty pages.** Pages the writer creates enter dirty. A dirty victim is
//!   written to the file, under the shard lock, before its slot is reused, so
//!   eviction never loses a modification and a reader that misses after the
//!   eviction reads the written page. If that write fails the victim stays
//!   (dirty) and another is chosen; the checkpoint, which writes every dirty
//!   page, reports the error.
//! * **Reads** happen outside the shard lock; two threads that miss on the
//!   same page both read it and the first insert wins (same bytes).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use fxhash::FxHashMap;

use super::file::PageFile;
use super::layout::{PAGE_SIZE, Page, PageId};
use crate::error::Result;

/// The smallest pool, whatever the budget: a few root-to-leaf paths.
pub const MIN_PAGES: usize = 16;

/// Buffer-pool counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// The budget in pages.
    pub capacity_pages: u64,
    /// Pages resident now.
    pub resident_pages: u64,
    /// Resident pages not yet written.
    pub dirty_pages: u64,
    /// Lookups served from memory.
    pub hits: u64,
    /// Lookups that read the file.
    pub misses: u64,
    /// Pages evicted.
    pub evictions: u64,
    /// Dirty pages written on eviction.
    pub writebacks: u64,
    /// Write-backs that failed (the page stayed resident).
    pub writeback_errors: u64,
}

#[derive(Debug)]
struct Slot {
    page: Arc<Page>,
    dirty: bool,
    referenced: AtomicBool,
}

#[derive(Debug, Default)]
struct Shard {
    map: FxHashMap<PageId, usize>,
    slots: Vec<Slot>,
    hand: usize,
    cap: usize,
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
    writebacks: AtomicU64,
    writeback_errors: AtomicU64,
}

/// Checks a page's contents beyond its header when it is read from the
/// file (the layer above knows what a valid leaf or branch is); `Err` says
/// what is wrong.
pub type Validator = fn(&Page) -> std::result::Result<(), String>;

/// The buffer pool over one page file.
#[derive(Debug)]
pub struct BufferPool {
    shards: Box<[RwLock<Shard>]>,
    file: Arc<PageFile>,
    validate: Validator,
    capacity: usize,
    counters: Counters,
}

impl BufferPool {
    /// A pool of `cache_bytes` (at least [`MIN_PAGES`] pages) over `file`;
    /// every page read from the file passes `validate` before it is used.
    pub fn new(file: Arc<PageFile>, cache_bytes: usize, validate: Validator) -> BufferPool {
        let capacity = (cache_bytes / PAGE_SIZE).max(MIN_PAGES);
        let n = (capacity / 64).clamp(1, 16);
        let shards = (0..n)
            .map(|i| {
                // Spread the remainder so the caps add up to the budget.
                let cap = capacity / n + usize::from(i < capacity % n);
                RwLock::new(Shard {
                    cap,
                    ..Shard::default()
                })
            })
            .collect();
        BufferPool {
            shards,
            file,
            validate,
            capacity,
            counters: Counters::default(),
        }
    }

    fn shard_of(&self, id: PageId) -> &RwLock<Shard> {
        let h = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        &self.shards[(h % self.shards.len() as u64) as usize]
    }

    // A panic while a shard is locked leaves it consistent (every mutation
    // is a single push, swap or field store), so poisoning is ignored.
    fn shard(&self, id: PageId) -> RwLockWriteGuard<'_, Shard> {
        self.shard_of(id).write().unwrap_or_else(|p| p.into_inner())
    }

    fn shard_read(&self, id: PageId) -> RwLockReadGuard<'_, Shard> {
        self.shard_of(id).read().unwrap_or_else(|p| p.into_inner())
    }

    /// The page, from memory or from the file (checked, then cached).
    pub fn get(&self, id: PageId) -> Result<Arc<Page>> {
        if let Some(p) = self.shard_read(id).lookup(id) {
            self.counters.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(p);
        }
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        let page = self.file.read(id)?;
        (self.validate)(&page).map_err(|r| self.file.corrupted(id, format!("page {id}: {r}")))?;
        let page = Arc::new(page);
        let mut shard = self.shard(id);
        if let Some(p) = shard.lookup(id) {
            return Ok(p);
        }
        self.insert(&mut shard, Arc::clone(&page), false);
        Ok(page)
    }

    /// Stores a page the writer made (dirty until written), replacing any
    /// resident page with the same id.
    pub fn put(&self, page: Arc<Page>) {
        let id = page.id();
        let mut shard = self.shard(id);
        if let Some(&i) = shard.map.get(&id) {
            let slot = &mut shard.slots[i];
            slot.page = page;
            slot.dirty = true;
            slot.referenced.store(true, Ordering::Relaxed);
            return;
        }
        self.insert(&mut shard, page, true);
    }

    /// Forgets a page (freed: nothing will read it again), dirty or not.
    pub fn discard(&self, id: PageId) {
        let mut shard = self.shard(id);
        let Some(i) = shard.map.remove(&id) else {
            return;
        };
        shard.slots.swap_remove(i);
        if let Some(moved) = shard.slots.get(i) {
            let moved_id = moved.page.id();
            shard.map.insert(moved_id, i);
        }
        if shard.hand >= shard.slots.len() {
            shard.hand = 0;
        }
    }

    /// True if the page is resident.
    pub fn contains(&self, id: PageId) -> bool {
        self.shard_read(id).map.contains_key(&id)
    }

    /// Writes every dirty page (for a checkpoint); pages stay resident and
    /// become clean. Returns how many were written. The file is not synced.
    pub fn flush(&self) -> Result<u64> {
        let mut written = 0;
        for shard in self.shards.iter() {
            let dirty: Vec<Arc<Page>> = {
                let s = shard.read().unwrap_or_else(|p| p.into_inner());
                s.slots
                    .iter()
                    .filter(|s| s.dirty)
                    .map(|s| Arc::clone(&s.page))
                    .collect()
            };
            for page in dirty {
                self.file.write(&page)?;
                written += 1;
                let mut s = shard.write().unwrap_or_else(|p| p.into_inner());
                if let Some(&i) = s.map.get(&page.id()) {
                    let slot = &mut s.slots[i];
                    if Arc::ptr_eq(&slot.page, &page) {
                        slot.dirty = false;
                    }
                }
            }
        }
        Ok(written)
    }

    /// Counters and occupancy.
    pub fn stats(&self) -> PoolStats {
        let (mut resident, mut dirty) = (0, 0);
        for shard in self.shards.iter() {
            let s = shard.read().unwrap_or_else(|p| p.into_inner());
            resident += s.slots.len() as u64;
            dirty += s.slots.iter().filter(|s| s.dirty).count() as u64;
        }
        let c = &self.counters;
        PoolStats {
            capacity_pages: self.capacity as u64,
            resident_pages: resident,
            dirty_pages: dirty,
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            evictions: c.evictions.load(Ordering::Relaxed),
            writebacks: c.writebacks.load(Ordering::Relaxed),
            writeback_errors: c.writeback_errors.load(Ordering::Relaxed),
        }
    }

    /// Inserts a page not resident, evicting one first if the shard is full.
    fn insert(&self, shard: &mut Shard, page: Arc<Page>, dirty: bool) {
        let id = page.id();
        let slot = Slot {
            page,
            dirty,
            referenced: AtomicBool::new(true),
        };
        if shard.slots.len() >= shard.cap
            && let Some(i) = self.evict(shard)
        {
            shard.slots[i] = slot;
            shard.map.insert(id, i);
            return;
        }
        shard.map.insert(id, shard.slots.len());
        shard.slots.push(slot);
    }

    /// Clock sweep: finds an unpinned, unreferenced slot, writes it if dirty,
    /// and returns its index (its map entry removed). `None` if two full
    /// turns found nothing evictable.
    fn evict(&self, shard: &mut Shard) -> Option<usize> {
        let n = shard.slots.len();
        for _ in 0..2 * n {
            let i = shard.hand;
            shard.hand = (shard.hand + 1) % n;
            let slot = &mut shard.slots[i];
            if Arc::strong_count(&slot.page) > 1 {
                continue;
            }
            if *slot.referenced.get_mut() {
                *slot.referenced.get_mut() = false;
                continue;
            }
            if slot.dirty {
                if self.file.write(&slot.page).is_err() {
                    self.counters
                        .writeback_errors
                        .fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                self.counters.writebacks.fetch_add(1, Ordering::Relaxed);
            }
            let old = slot.page.id();
            shard.map.remove(&old);
            self.counters.evictions.fetch_add(1, Ordering::Relaxed);
            return Some(i);
        }
        None
    }
}

impl Shard {
    /// A resident page, marked referenced (a load first, so a hot page's
    /// cache line is not written by every reader).
    fn lookup(&self, id: PageId) -> Option<Arc<Page>> {
        let slot = &self.slots[*self.map.get(&id)?];
        if !slot.referenced.load(Ordering::Relaxed) {
            slot.referenced.store(true, Ordering::Relaxed);
        }
        Some(Arc::clone(&slot.page))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::FileSystem;
    use crate::storage::io::mem::{Faults, MemFs};
    use crate::storage::page::layout::{PageBuilder, PageType};
    use std::path::Path;

    fn page(id: PageId, fill: u8) -> Arc<Page> {
        let mut b = PageBuilder::new(PageType::Leaf);
        b.append(&[fill; 100]);
        Arc::new(b.seal(id, 1))
    }

    fn pool(fs: &MemFs, pages: usize) -> BufferPool {
        let f = fs.open_random(Path::new("/pages"), true).expect("open");
        BufferPool::new(
            Arc::new(PageFile::new(f, "pages".into())),
            pages * PAGE_SIZE,
            |_| Ok(()),
        )
    }

    #[test]
    fn dirty_pages_survive_eviction_and_counters_move() {
        let fs = MemFs::new();
        let pool = pool(&fs, MIN_PAGES);
        for id in 2..200 {
            pool.put(page(id, id as u8));
        }
        let st = pool.stats();
        assert!(st.resident_pages <= MIN_PAGES as u64, "{st:?}");
        assert!(st.writebacks >= 200 - 2 - MIN_PAGES as u64, "{st:?}");
        for id in 2..200 {
            assert_eq!(pool.get(id).expect("get").payload()[0], id as u8);
        }
        let st = pool.stats();
        assert!(st.misses >= 100 && st.hits < 200, "{st:?}");
        let again = pool.get(199).expect("get");
        assert_eq!(again.id(), 199);
        assert_eq!(pool.stats().hits, st.hits + 1);
    }

    #[test]
    fn pinned_pages_are_not_evicted() {
        let fs = MemFs::new();
        let pool = pool(&fs, MIN_PAGES);
        let pinned: Vec<_> = (2..2 + MIN_PAGES as u64)
            .map(|id| {
                pool.put(page(id, 1));
                pool.get(id).expect("get")
            })
            .collect();
        pool.put(page(100, 2));
        for p in &pinned {
            assert!(pool.contains(p.id()));
        }
        assert_eq!(pool.stats().resident_pages, MIN_PAGES as u64 + 1);
        drop(pinned);
        pool.put(page(101, 2));
        assert!(pool.stats().evictions >= 1);
    }

    #[test]
    fn failed_writeback_keeps_the_page_and_flush_reports() {
        let fs = MemFs::new();
        let pool = pool(&fs, MIN_PAGES);
        fs.set_faults(Faults {
            write_budget: Some(0),
            ..Faults::default()
        });
        for id in 2..40 {
            pool.put(page(id, id as u8));
        }
        let st = pool.stats();
        assert!(st.writeback_errors > 0 && st.dirty_pages == 38, "{st:?}");
        assert!(pool.flush().is_err());
        fs.set_faults(Faults::default());
        assert_eq!(pool.flush().expect("flush"), 38);
        assert_eq!(pool.stats().dirty_pages, 0);
        pool.discard(5);
        assert!(!pool.contains(5));
        assert_eq!(pool.get(5).expect("from file").payload()[0], 5);
    }
}
