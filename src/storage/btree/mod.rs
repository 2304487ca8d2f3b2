//! A page-oriented, copy-on-write B+tree store: many named trees of
//! variable-length byte keys and values in one page file, with a bounded
//! buffer pool, lock-free consistent snapshots for readers, and atomic
//! checkpoints. Built on `storage::page`.
//!
//! Keys are ordered bytewise; callers give order-preserving keys from
//! `crate::encoding::keycode`. Keys are at most [`MAX_KEY_LEN`] bytes;
//! values up to [`MAX_VALUE_LEN`], inline in the leaf while the cell fits a
//! third of a page (any value up to 2 KiB beside a key of up to 600 bytes),
//! in overflow pages beyond. Larger keys or values are refused with 54000.
//!
//! # Using it
//!
//! ```
//! use std::ops::Bound;
//! use std::path::Path;
//! use driftdb::storage::btree::BTreeStore;
//! use driftdb::storage::io::{FileSystem, mem::MemFs};
//!
//! let fs = MemFs::new();
//! fs.create_dir(Path::new("/db")).unwrap();
//! let store = BTreeStore::open(&fs, Path::new("/db"), 1 << 20).unwrap();
//! let mut txn = store.write().unwrap();
//! txn.create_tree("t").unwrap();
//! txn.insert("t", b"k1", b"v1").unwrap();
//! txn.commit().unwrap();                       // readers see it now
//! let snap = store.snapshot();                 // never blocks, never blocked
//! assert_eq!(snap.get("t", b"k1").unwrap(), Some(b"v1".to_vec()));
//! let all: Vec<_> = snap.range("t", Bound::Unbounded, Bound::Unbounded, true)
//!     .unwrap().collect::<Result<_, _>>().unwrap();
//! assert_eq!(all.len(), 1);
//! store.checkpoint(b"wal position").unwrap(); // durable; reopen finds it
//! ```
//!
//! # Shape
//!
//! * [`node`]: the slotted leaf and branch layout, limits, validation.
//! * [`read`]: descent with level checks, point lookups, values.
//! * [`cursor`]: forward and backward range cursors.
//! * [`write`](mod@write): copy-on-write insert and delete, splits and merges.
//! * [`catalog`]: the named roots a checkpoint stores.
//! * [`store`]: [`BTreeStore`], [`Snapshot`], [`WriteTxn`].
//! * [`verify`]: a full structural and space check.
//! * [`scratch`]: [`ScratchTree`], a private throw-away page file of a few
//!   trees (a write transaction's spilled state).
//!
//! Durability is the caller's WAL plus checkpoints: changes become durable
//! only at [`BTreeStore::checkpoint`], which records a small caller blob
//! (the WAL position it covers); after a crash the store opens as of the
//! last complete checkpoint and the caller replays its WAL from there.

pub mod catalog;
pub mod cursor;
pub mod node;
pub mod read;
pub mod scratch;
pub mod store;
pub mod verify;
pub mod write;

#[cfg(test)]
mod tests;

pub use cursor::Cursor;
pub use node::{MAX_KEY_LEN, MAX_VALUE_LEN};
pub use scratch::ScratchTree;
pub use store::{BTreeStore, Snapshot, TreeStats, WriteTxn};
