//! [`ScratchTree`]: a private, throw-away page file of a few B+trees, for
//! state too large to keep in memory (a write transaction's spilled
//! overlay, `storage::txn`).
//!
//! It is the page-file B-tree of this module without what makes that one
//! shareable and durable: no snapshots, no publish, no checkpoint, no
//! fsync, no mutex. Everything written is one never-published write batch
//! of the page layer (`page::writer`): every page it allocates stays
//! *private*, so each change rewrites its leaf (and whatever splits) in
//! place, and a freed page is free again at once. The buffer pool is
//! bounded and writes a dirty page to the file before evicting it
//! (`page::pool`), so the memory used does not depend on the data: the
//! pages the pool holds, plus the writer's page sets (a few bytes per
//! page).
//!
//! Trees are numbered `0..n` (fixed at creation) instead of named. The file
//! lives in a directory of its own that the caller creates and removes; it
//! is never reopened, so a crash just leaves garbage for the caller to
//! delete (the engine empties `<data>/tmp/` when it opens).

use std::ops::Bound;
use std::path::Path;

use super::cursor::Cursor;
use super::node::{self, MAX_KEY_LEN, MAX_VALUE_LEN};
use super::read;
use super::write::Mutator;
use crate::error::{Error, Result, SqlState};
use crate::storage::io::FileSystem;
use crate::storage::page::store::{FILE_NAME, write_empty};
use crate::storage::page::{PageId, PageStore, PoolStats, Writer};

/// A private page file of `n` numbered B+trees. See the module docs.
#[derive(Debug)]
pub struct ScratchTree {
    pages: PageStore,
    w: Writer,
    /// Per tree: (root page, entries).
    roots: Vec<(PageId, u64)>,
    /// A change failed half way: the trees may be inconsistent.
    failed: bool,
    /// Changes made, for checking write-backs every [`CHECK_EVERY`].
    changes: u64,
}

/// How often (in changes) the pool's failed write-backs are checked.
const CHECK_EVERY: u64 = 256;

impl ScratchTree {
    /// Creates the page file in `dir` (which must exist and hold no page
    /// file) with `trees` empty trees and a buffer pool of `cache_bytes`.
    /// Nothing is synced.
    pub fn create(
        fs: &dyn FileSystem,
        dir: &Path,
        cache_bytes: usize,
        trees: usize,
    ) -> Result<ScratchTree> {
        let path = dir.join(FILE_NAME);
        // An empty store (never checkpointed, so meta slot 1 is never used).
        write_empty(fs.open_random(&path, true)?.as_ref())?;
        let label = path.display().to_string();
        let (pages, w, _) = PageStore::open_labeled(fs, dir, cache_bytes, node::validate, &label)?;
        Ok(ScratchTree {
            pages,
            w,
            roots: vec![(0, 0); trees],
            failed: false,
            changes: 0,
        })
    }

    fn check(&self) -> Result<()> {
        if self.failed {
            return Err(Error::Internal(format!(
                "a change to scratch file \"{}\" failed earlier",
                self.pages.file_name()
            )));
        }
        Ok(())
    }

    fn root(&self, tree: usize) -> Result<(PageId, u64)> {
        self.roots
            .get(tree)
            .copied()
            .ok_or_else(|| Error::Internal(format!("scratch tree {tree} does not exist")))
    }

    /// Runs a change against a tree's root; records the new root and the
    /// change in entry count. A failed change poisons the file.
    fn mutate<T>(
        &mut self,
        tree: usize,
        f: impl FnOnce(&mut Mutator<'_>, PageId) -> Result<(PageId, T, i64)>,
    ) -> Result<T> {
        self.check()?;
        let (root, len) = self.root(tree)?;
        let mut m = Mutator {
            pages: &self.pages,
            w: &mut self.w,
        };
        let r = f(&mut m, root).and_then(|(root, out, delta)| {
            self.roots[tree] = (root, len.saturating_add_signed(delta));
            self.changes += 1;
            if self.changes.is_multiple_of(CHECK_EVERY) {
                self.check_writebacks()?;
            }
            Ok(out)
        });
        if r.is_err() {
            self.failed = true;
        }
        r
    }

    /// The pool keeps a dirty page whose write-back failed (and a
    /// checkpoint reports it); a scratch file has no checkpoint, so a
    /// failed write-back (a full disk) fails the file here instead of
    /// letting the pool grow.
    fn check_writebacks(&self) -> Result<()> {
        let n = self.pages.pool_stats().writeback_errors;
        if n > 0 {
            return Err(Error::Io(format!(
                "could not write to scratch file \"{}\" ({n} failed writes)",
                self.pages.file_name()
            )));
        }
        Ok(())
    }

    /// Inserts or replaces; returns the previous value. Keys over
    /// [`MAX_KEY_LEN`] and values over [`MAX_VALUE_LEN`] are refused (54000)
    /// without harm.
    pub fn insert(&mut self, tree: usize, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        if key.len() > MAX_KEY_LEN || value.len() > MAX_VALUE_LEN {
            return Err(Error::sql(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                format!(
                    "scratch entry of {} + {} bytes exceeds the limits",
                    key.len(),
                    value.len()
                ),
            ));
        }
        self.mutate(tree, |m, root| {
            let (root, old) = m.insert(root, key, value)?;
            let delta = i64::from(old.is_none());
            Ok((root, old, delta))
        })
    }

    /// Deletes; returns the removed value.
    pub fn delete(&mut self, tree: usize, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if key.len() > MAX_KEY_LEN {
            return Ok(None);
        }
        self.mutate(tree, |m, root| {
            let (root, old) = m.delete(root, key)?;
            let delta = -i64::from(old.is_some());
            Ok((root, old, delta))
        })
    }

    /// Empties a tree (frees all its pages).
    pub fn clear(&mut self, tree: usize) -> Result<()> {
        self.mutate(tree, |m, root| {
            m.drop_tree(root)?;
            Ok((0, (), i64::MIN))
        })
    }

    /// The value under `key`.
    pub fn get(&self, tree: usize, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check()?;
        read::get(&self.pages, self.root(tree)?.0, key)
    }

    /// The entries between the bounds, in key order or reversed. The
    /// cursor borrows the file: no change can happen while it lives.
    pub fn range(
        &self,
        tree: usize,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Cursor<'_>> {
        self.check()?;
        let root = self.root(tree)?.0;
        Ok(Cursor::over_pages(&self.pages, root, lower, upper, reverse))
    }

    /// Entries in a tree.
    pub fn len(&self, tree: usize) -> Result<u64> {
        Ok(self.root(tree)?.1)
    }

    /// True if the tree is empty.
    pub fn is_empty(&self, tree: usize) -> Result<bool> {
        Ok(self.len(tree)? == 0)
    }

    /// Buffer pool counters.
    pub fn pool_stats(&self) -> PoolStats {
        self.pages.pool_stats()
    }

    /// Pages in the file's address space (its size in pages).
    pub fn page_count(&self) -> u64 {
        self.w.stats(&self.pages).page_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::io::mem::MemFs;
    use std::collections::BTreeMap;

    fn key(i: u64) -> Vec<u8> {
        // Scattered order, so inserts split everywhere.
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes().to_vec()
    }

    #[test]
    fn matches_a_map_with_a_tiny_pool_and_stays_bounded() {
        let fs = MemFs::new();
        fs.create_dir(Path::new("/s")).expect("dir");
        let mut t = ScratchTree::create(&fs, Path::new("/s"), 0, 2).expect("create");
        let mut model = BTreeMap::new();
        for i in 0..20_000u64 {
            let v = vec![(i % 251) as u8; (i % 300) as usize];
            let old = t.insert(0, &key(i % 15_000), &v).expect("insert");
            assert_eq!(old, model.insert(key(i % 15_000), v));
            if i % 3 == 0 {
                let k = key(i / 2);
                assert_eq!(t.delete(0, &k).expect("delete"), model.remove(&k));
            }
        }
        // A big value goes to overflow pages.
        let big = vec![7u8; 50_000];
        t.insert(1, b"big", &big).expect("big");
        assert_eq!(t.get(1, b"big").expect("get"), Some(big));
        assert_eq!(t.len(0).expect("len"), model.len() as u64);
        let st = t.pool_stats();
        assert!(
            st.resident_pages <= crate::storage::page::pool::MIN_PAGES as u64 + 2,
            "{st:?}"
        );
        assert!(st.writebacks > 100, "dirty pages were written back: {st:?}");
        let all: Vec<_> = t
            .range(0, Bound::Unbounded, Bound::Unbounded, false)
            .expect("range")
            .collect::<Result<_>>()
            .expect("scan");
        let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(all, want);
        for (k, v) in model.iter().step_by(97) {
            assert_eq!(t.get(0, k).expect("get").as_ref(), Some(v));
        }
        let lo = key(5);
        let back: Vec<_> = t
            .range(0, Bound::Included(&lo), Bound::Unbounded, true)
            .expect("range")
            .map(|r| r.expect("entry").0)
            .collect();
        let want: Vec<_> = model
            .range(lo.clone()..)
            .rev()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(back, want);
        t.clear(0).expect("clear");
        assert_eq!(t.len(0).expect("len"), 0);
        assert_eq!(t.get(0, &key(1)).expect("get"), None);
        let pages = t.page_count();
        // Freed private pages are reused at once: refilling does not grow
        // the file much.
        for (k, v) in &model {
            t.insert(0, k, v).expect("refill");
        }
        assert!(
            t.page_count() < pages + pages / 4,
            "{} vs {pages}",
            t.page_count()
        );
    }

    #[test]
    fn failed_writes_fail_the_file() {
        use crate::storage::io::mem::Faults;
        let fs = MemFs::new();
        fs.create_dir(Path::new("/s")).expect("dir");
        let mut t = ScratchTree::create(&fs, Path::new("/s"), 0, 1).expect("create");
        fs.set_faults(Faults {
            write_budget: Some(100_000),
            ..Faults::default()
        });
        let mut failed = None;
        for i in 0..100_000u64 {
            if let Err(e) = t.insert(0, &key(i), &[1; 200]) {
                failed = Some((i, e));
                break;
            }
        }
        let (i, e) = failed.expect("a write fails");
        assert!(i < 5_000, "failed at insert {i}: {e:?}");
        assert!(t.pool_stats().resident_pages < 300);
        assert!(t.get(0, &key(0)).is_err(), "the file is unusable now");
        assert!(t.insert(0, b"k", b"v").is_err());
    }

    #[test]
    fn refuses_oversized_keys_without_harm() {
        let fs = MemFs::new();
        fs.create_dir(Path::new("/s")).expect("dir");
        let mut t = ScratchTree::create(&fs, Path::new("/s"), 1 << 20, 1).expect("create");
        let e = t
            .insert(0, &[1; MAX_KEY_LEN + 1], b"v")
            .expect_err("too long");
        assert_eq!(e.sqlstate(), SqlState::PROGRAM_LIMIT_EXCEEDED);
        t.insert(0, b"k", b"v").expect("still usable");
        assert!(t.insert(5, b"k", b"v").is_err(), "no tree 5");
        assert_eq!(t.get(0, b"k").expect("get"), Some(b"v".to_vec()));
    }
}
