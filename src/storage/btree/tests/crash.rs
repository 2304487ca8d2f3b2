//! Crash safety: a checkpoint interrupted at every page write and every
//! fsync, and crashes between checkpoints, reopen to exactly the previous
//! or the new checkpoint's contents — never a mix, never a corruption.
//!
//! [`FaultFs`] wraps `MemFs`: it fails the n-th page write (after writing
//! a random prefix of it: a torn write) or the n-th fsync, and remembers
//! the writes not yet synced, so a crash image can keep none of them, all
//! of them, or a random subset (some torn) — what a disk may do with
//! in-flight writes when the power goes.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::{DIR, Rng, check, dump, mem_fs};
use crate::error::{Error, Result};
use crate::storage::btree::BTreeStore;
use crate::storage::io::mem::MemFs;
use crate::storage::io::{DirEntry, File, FileSystem, RandomFile};
use crate::storage::page::PAGE_SIZE;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Faults armed on a [`FaultFs`]: 0 means "never".
#[derive(Debug, Default)]
struct Arm {
    /// Page writes left before the failing one (1: the next write fails).
    write: AtomicU64,
    /// fsyncs left before the failing one.
    sync: AtomicU64,
    writes: AtomicU64,
    syncs: AtomicU64,
    tear: AtomicU64,
}

fn trip(left: &AtomicU64) -> bool {
    left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
        (n > 0).then(|| n - 1)
    }) == Ok(1)
}

/// Page writes not yet synced: (offset, bytes).
type WriteLog = Arc<Mutex<Vec<(u64, Vec<u8>)>>>;

#[derive(Debug, Clone)]
struct FaultFs {
    inner: MemFs,
    arm: Arc<Arm>,
    /// Unsynced page writes of the page file: (offset, bytes).
    unsynced: WriteLog,
}

#[derive(Debug)]
struct FaultFile {
    inner: Box<dyn RandomFile>,
    arm: Arc<Arm>,
    unsynced: WriteLog,
}

impl RandomFile for FaultFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.inner.read_at(offset, buf)
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()> {
        self.arm.writes.fetch_add(1, Ordering::SeqCst);
        if trip(&self.arm.write) {
            let n = (self.arm.tear.load(Ordering::SeqCst) as usize) % (buf.len() + 1);
            self.inner.write_at(offset, &buf[..n])?;
            self.unsynced
                .lock()
                .expect("log")
                .push((offset, buf[..n].to_vec()));
            return Err(Error::Io("injected write failure".into()));
        }
        self.inner.write_at(offset, buf)?;
        self.unsynced
            .lock()
            .expect("log")
            .push((offset, buf.to_vec()));
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        self.arm.syncs.fetch_add(1, Ordering::SeqCst);
        if trip(&self.arm.sync) {
            return Err(Error::Io("injected fsync failure".into()));
        }
        self.inner.sync()?;
        self.unsynced.lock().expect("log").clear();
        Ok(())
    }

    fn len(&self) -> Result<u64> {
        self.inner.len()
    }

    fn set_len(&self, len: u64) -> Result<()> {
        self.inner.set_len(len)
    }
}

impl FileSystem for FaultFs {
    fn create_dir(&self, path: &Path) -> Result<()> {
        self.inner.create_dir(path)
    }
    fn open_append(&self, path: &Path, create: bool) -> Result<Box<dyn File>> {
        self.inner.open_append(path, create)
    }
    fn read_file(&self, path: &Path) -> Result<Vec<u8>> {
        self.inner.read_file(path)
    }
    fn list_dir(&self, path: &Path) -> Result<Vec<DirEntry>> {
        self.inner.list_dir(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> Result<()> {
        self.inner.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> Result<()> {
        self.inner.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> Result<()> {
        self.inner.remove_dir_all(path)
    }
    fn sync_dir(&self, path: &Path) -> Result<()> {
        self.inner.sync_dir(path)
    }
    fn exists(&self, path: &Path) -> Result<bool> {
        self.inner.exists(path)
    }
    fn lock_dir(&self, dir: &Path) -> Result<Box<dyn fmt::Debug + Send + Sync>> {
        self.inner.lock_dir(dir)
    }
    fn open_random(&self, path: &Path, create: bool) -> Result<Box<dyn RandomFile>> {
        Ok(Box::new(FaultFile {
            inner: self.inner.open_random(path, create)?,
            arm: Arc::clone(&self.arm),
            unsynced: Arc::clone(&self.unsynced),
        }))
    }
}

/// What survives a power loss.
#[derive(Debug, Clone, Copy)]
enum Loss {
    /// No unsynced write reached the disk.
    All,
    /// Every write reached the disk.
    None,
    /// Each unsynced write reached it, or not, or partly (seeded).
    Some(u64),
}

impl FaultFs {
    fn new() -> FaultFs {
        FaultFs {
            inner: mem_fs(),
            arm: Arc::default(),
            unsynced: Arc::default(),
        }
    }

    fn image(&self, loss: Loss) -> MemFs {
        let path = PathBuf::from(DIR).join("pages");
        let (img, mut rng) = match loss {
            Loss::None => return self.inner.snapshot(),
            Loss::All => return self.inner.crash_image(),
            Loss::Some(seed) => (self.inner.crash_image(), Rng::new(seed)),
        };
        let mut data = img.read_file(&path).expect("page file in image");
        for (off, bytes) in self.unsynced.lock().expect("log").iter() {
            let n = match rng.below(4) {
                0 | 1 => continue,
                2 => bytes.len(),
                _ => rng.range(0, bytes.len()),
            };
            let (off, end) = (*off as usize, *off as usize + n);
            if data.len() < end {
                data.resize(end, 0);
            }
            data[off..end].copy_from_slice(&bytes[..n]);
        }
        img.put_file(&path, data).expect("put");
        img
    }
}

fn entry(i: u32, round: u32) -> (Vec<u8>, Vec<u8>) {
    let k = format!("key{:06}", i.wrapping_mul(7919) % 100_000).into_bytes();
    let len = match i % 17 {
        0 => 9000 + (i as usize % 5) * 1000,
        1..4 => 1500,
        _ => 40 + (i as usize % 60),
    };
    (k, vec![(i + round) as u8; len])
}

/// Applies a deterministic batch of changes in one transaction.
fn change(store: &BTreeStore, model: &mut Model, round: u32, n: u32) {
    let mut txn = store.write().expect("write");
    for t in ["t", "u"] {
        txn.create_tree(t).expect("create");
    }
    for i in 0..n {
        let (k, v) = entry(i * 3 + round, round);
        let tree = if i % 4 == 0 { "u" } else { "t" };
        if i % 5 == 0 && round > 0 {
            let victim = model
                .keys()
                .nth((i as usize * 13) % model.len().max(1))
                .cloned();
            if let Some(victim) = victim {
                let (tree, key) = victim.split_at(1);
                txn.delete(std::str::from_utf8(tree).expect("utf8"), key)
                    .expect("delete");
                model.remove(&victim);
            }
            continue;
        }
        txn.insert(tree, &k, &v).expect("insert");
        model.insert([tree.as_bytes(), &k].concat(), v);
    }
    txn.commit().expect("commit");
}

fn contents(store: &Arc<BTreeStore>) -> Model {
    let snap = store.snapshot();
    let mut m = Model::new();
    for t in snap.trees() {
        for (k, v) in dump(&snap, &t) {
            m.insert([t.as_bytes(), &k].concat(), v);
        }
    }
    m
}

/// Checkpoint A (after two earlier checkpoints, so freed pages are being
/// reused), then changes making B, committed but not yet durable.
fn scenario(fs: &FaultFs) -> (Arc<BTreeStore>, Model, Model) {
    let store = BTreeStore::open(fs, Path::new(DIR), 24 * PAGE_SIZE).expect("open");
    let mut model = Model::new();
    for round in 0..3 {
        change(&store, &mut model, round, 700);
        store
            .checkpoint(format!("gen {round}").as_bytes())
            .expect("checkpoint");
    }
    let a = model.clone();
    change(&store, &mut model, 3, 700);
    (store, a, model)
}

/// Reopens an image: it must hold exactly A or exactly B, and pass the
/// integrity check. Returns true for B.
fn reopen_is_a_or_b(img: &MemFs, a: &Model, b: &Model, what: &str) -> bool {
    let store = match BTreeStore::open(img, Path::new(DIR), 24 * PAGE_SIZE) {
        Ok(s) => s,
        Err(e) => panic!("{what}: reopen failed: {e}"),
    };
    let got = contents(&store);
    check(&store);
    let meta = String::from_utf8_lossy(store.checkpoint_meta()).into_owned();
    if got == *b {
        assert_eq!(meta, "B", "{what}");
        true
    } else {
        assert!(
            got == *a,
            "{what}: neither A nor B ({} entries, meta {meta})",
            got.len()
        );
        assert_eq!(meta, "gen 2", "{what}");
        false
    }
}

#[test]
fn a_checkpoint_interrupted_at_every_write_leaves_a_or_b() {
    let dry = FaultFs::new();
    let (store, _, _) = scenario(&dry);
    let before = dry.arm.writes.load(Ordering::SeqCst);
    store.checkpoint(b"B").expect("checkpoint");
    let writes = dry.arm.writes.load(Ordering::SeqCst) - before;
    assert!(writes >= 5, "the checkpoint writes pages: {writes}");
    let mut rng = Rng::new(7);
    for k in 1..=writes + 1 {
        let fs = FaultFs::new();
        let (store, a, b) = scenario(&fs);
        fs.arm.tear.store(rng.next_u64(), Ordering::SeqCst);
        fs.arm.write.store(k, Ordering::SeqCst);
        let ok = store.checkpoint(b"B").is_ok();
        assert_eq!(ok, k > writes, "write {k} of {writes}");
        if !ok && k < writes {
            // The writer stays usable after a failed page write...
            let mut txn = store.write().expect("still writable");
            txn.insert("t", b"after", b"failure").expect("insert");
        } else if !ok {
            // ...but not after a failed meta write: its fate is unknown.
            assert!(store.write().is_err(), "poisoned");
        }
        for loss in [Loss::All, Loss::None, Loss::Some(k), Loss::Some(k + 1000)] {
            let is_b = reopen_is_a_or_b(&fs.image(loss), &a, &b, &format!("write {k}, {loss:?}"));
            if ok {
                assert!(is_b, "a successful checkpoint is durable");
            }
        }
    }
}

#[test]
fn a_failed_fsync_poisons_and_leaves_a_or_b() {
    let dry = FaultFs::new();
    let (store, _, _) = scenario(&dry);
    let before = dry.arm.syncs.load(Ordering::SeqCst);
    store.checkpoint(b"B").expect("checkpoint");
    let syncs = dry.arm.syncs.load(Ordering::SeqCst) - before;
    assert_eq!(syncs, 2, "data, then meta");
    for k in 1..=syncs {
        let fs = FaultFs::new();
        let (store, a, b) = scenario(&fs);
        fs.arm.sync.store(k, Ordering::SeqCst);
        store.checkpoint(b"B").expect_err("fsync fails");
        assert!(store.write().is_err(), "poisoned after a failed fsync");
        assert!(store.checkpoint(b"B").is_err(), "poisoned");
        assert_eq!(contents(&store), b, "readers still see the committed state");
        for loss in [Loss::All, Loss::None, Loss::Some(k)] {
            reopen_is_a_or_b(&fs.image(loss), &a, &b, &format!("sync {k}, {loss:?}"));
        }
    }
}

#[test]
fn a_crash_between_checkpoints_finds_the_last_one() {
    for seed in super::seeds(&[21, 22]) {
        eprintln!("seed {seed}");
        let fs = FaultFs::new();
        let (store, a, _) = scenario(&fs);
        // More changes, evicting and writing back pages, and a rolled back
        // transaction: none of it may touch checkpoint A's pages.
        let mut scratch = Model::new();
        change(&store, &mut scratch, 4, 500);
        let mut txn = store.write().expect("write");
        for i in 0..300u32 {
            txn.insert("t", &i.to_be_bytes(), &[9; 700])
                .expect("insert");
        }
        drop(txn);
        assert!(store.pool_stats().writebacks > 0, "evictions wrote pages");
        for loss in [Loss::All, Loss::None, Loss::Some(seed)] {
            let img = fs.image(loss);
            assert!(!reopen_is_a_or_b(
                &img,
                &a,
                &Model::new(),
                &format!("{loss:?}")
            ));
        }
    }
}
