//! The B-tree's acceptance tests (issue 3): a model test against
//! `std::collections::BTreeMap`, the buffer pool under a tiny budget, crash
//! safety at every write and sync point of a checkpoint, corruption, and
//! concurrent readers.
//!
//! Random tests use [`Rng`], a seeded SplitMix64: each prints its seed on
//! stderr (shown when it fails), and `BTREE_SEED=<n>` reruns one seed.

mod concurrency;
mod corrupt;
mod crash;
mod model;
mod pool;

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use super::store::{BTreeStore, Snapshot};
use super::verify::verify;
use crate::storage::io::FileSystem;
use crate::storage::io::mem::MemFs;

/// SplitMix64: tiny, fast, and good enough to drive tests.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below((hi - lo + 1) as u64) as usize
    }

    /// True with probability `pct` percent.
    pub fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    /// `len` bytes drawn from `alphabet`.
    pub fn bytes_from(&mut self, len: usize, alphabet: &[u8]) -> Vec<u8> {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize])
            .collect()
    }
}

/// The seeds a random test runs: `BTREE_SEED` if set, else `defaults`.
pub fn seeds(defaults: &[u64]) -> Vec<u64> {
    match std::env::var("BTREE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(s) => vec![s],
        None => defaults.to_vec(),
    }
}

pub const DIR: &str = "/db";

/// A MemFs with the store's directory made durable.
pub fn mem_fs() -> MemFs {
    let fs = MemFs::new();
    fs.create_dir(Path::new(DIR)).expect("mkdir");
    fs.sync_dir(Path::new("/")).expect("sync root");
    fs
}

pub fn open(fs: &MemFs, cache_bytes: usize) -> Arc<BTreeStore> {
    BTreeStore::open(fs, Path::new(DIR), cache_bytes).expect("open store")
}

/// Every entry of a tree, forward.
pub fn dump(snap: &Snapshot, tree: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    snap.range(tree, Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .collect::<crate::error::Result<_>>()
        .expect("scan")
}

/// Runs the full integrity check and panics with its message on failure.
pub fn check(store: &BTreeStore) {
    if let Err(e) = verify(store) {
        panic!("integrity check failed: {e}");
    }
}

#[test]
fn handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<BTreeStore>();
    send_sync::<Snapshot>();
    send_sync::<super::Cursor<'static>>();
    send_sync::<crate::storage::page::PageStore>();
}
