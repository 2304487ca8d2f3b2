//! Pages: the fixed 8 KiB page format, the page file, the buffer pool, and
//! shadow paging (copy-on-write allocation, epochs, checkpoints).
//!
//! This layer knows nothing of B-trees: it stores sealed pages, hands out
//! page numbers, and makes a set of pages durable atomically. The B-tree
//! (`storage::btree`) builds on it. Byte layouts are in docs/FORMAT.md
//! ("Page file") and in the module docs of [`layout`], [`meta`] and
//! [`chain`].
//!
//! * [`layout`]: the page header and CRC; every page read is checked.
//! * [`file`](mod@file): pages at `id * 8192` in one file, through `storage::io`.
//! * [`pool`]: the bounded buffer pool (clock eviction, pins, write-back).
//! * [`meta`]: the double-buffered meta page a checkpoint publishes.
//! * [`chain`]: byte strings over linked pages (catalog, free list, overflow).
//! * [`epoch`]: which published versions readers still hold.
//! * [`writer`]: the page life cycle and the checkpoint protocol.
//! * [`store`]: the shared store and opening it.
//!
//! Concurrency: a [`PageStore`] is `Sync` and shared by all readers; the
//! single [`Writer`] is owned by whoever holds the write lock above it.

pub mod chain;
pub mod epoch;
pub mod file;
pub mod layout;
pub mod meta;
pub mod pool;
pub mod store;
pub mod writer;

pub use epoch::Epoch;
pub use layout::{HEADER_SIZE, PAGE_SIZE, PAYLOAD_CAP, Page, PageBuilder, PageId, PageType};
pub use pool::{PoolStats, Validator};
pub use store::{PageStore, Recovered, StoreStats};
pub use writer::{CheckpointStats, Writer};
