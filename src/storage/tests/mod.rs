//! Storage-wide tests, through the public API: visibility and history
//! (`visibility`), transactions (`txns`), durability, crashes and damaged
//! files (`durability`), concurrency (`concurrency`), and secondary indexes
//! (`indexes`, `index_durability`). Most run on
//! [`MemFs`], which models exactly what survives a crash.

mod concurrency;
mod durability;
mod garbage;
mod index_durability;
mod index_model;
mod indexes;
mod large_commit;
mod recovery_stream;
mod spill;
mod txns;
mod visibility;

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use super::io::mem::MemFs;
use super::{Storage, StorageOptions, TableId, Tuning};
use crate::temporal::ManualClock;
use crate::types::{Row, Value};

/// The data directory used on [`MemFs`].
pub const DIR: &str = "/db";

/// Small segments, no automatic checkpoints; transactions keep their
/// state in memory up to `txn_memory()`.
pub fn tuning() -> Tuning {
    Tuning {
        segment_limit: 4096,
        checkpoint_wal_bytes: u64::MAX,
        wal_prealloc: 4096,
        commit_chunk: 2048,
        txn_memory: txn_memory(),
    }
}

/// The transaction memory budget of these tests: the default, or
/// `$DRIFTDB_TEST_TXN_MEMORY` bytes (0 runs every transaction spilled from
/// its first row: `DRIFTDB_TEST_TXN_MEMORY=0 cargo test --lib storage`).
pub fn txn_memory() -> usize {
    std::env::var("DRIFTDB_TEST_TXN_MEMORY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(Tuning::default().txn_memory)
}

/// Opens `/db` on `fs` with a manual clock.
pub fn open(fs: &MemFs, clock: &Arc<ManualClock>) -> crate::error::Result<Storage> {
    let opts = StorageOptions {
        clock: clock.clone(),
        fsync: true,
        cache_bytes: 4 << 20,
    };
    Storage::open_with(Path::new(DIR), opts, Arc::new(fs.clone()), tuning())
}

/// A clock at 1,000,000 µs.
pub fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(1_000_000))
}

/// Never aborts.
pub fn no_abort() -> crate::error::Result<()> {
    Ok(())
}

/// A key for integer `i` (big-endian, so key order is numeric order).
pub fn k(i: u32) -> Vec<u8> {
    i.to_be_bytes().to_vec()
}

/// A one-column row.
pub fn r(i: i64) -> Row {
    vec![Value::Int8(i)]
}

/// The first column as i64 (-1 if not Int8).
pub fn v(row: &Row) -> i64 {
    match row.first() {
        Some(Value::Int8(i)) => *i,
        _ => -1,
    }
}

/// Creates table `name` in its own (DDL-only) commit.
pub fn create(s: &Storage, name: &str) -> TableId {
    let mut t = s.begin_write(&no_abort).expect("begin");
    let id = t.create_table(name, b"schema".to_vec()).expect("create");
    assert_eq!(t.commit().expect("commit"), None, "DDL uses no seq");
    id
}

/// Inserts key `i` with value `val` in its own commit; returns the seq.
pub fn put(s: &Storage, t: TableId, i: u32, val: i64) -> u64 {
    let mut w = s.begin_write(&no_abort).expect("begin");
    if !w.insert(t, k(i), r(val)).expect("insert") {
        assert!(w.update(t, k(i), r(val)).expect("update"));
    }
    w.commit().expect("commit").expect("seq")
}

/// Every (key, value) as of `seq`.
pub fn dump(s: &Storage, t: TableId, seq: u64) -> Vec<(u32, i64)> {
    s.reader(t)
        .expect("reader")
        .scan(seq, Bound::Unbounded, Bound::Unbounded)
        .map(|x| {
            let (key, row) = x.expect("row");
            let mut b = [0u8; 4];
            b.copy_from_slice(&key);
            (u32::from_be_bytes(b), v(&row))
        })
        .collect()
}

/// The id of the table named `name`.
pub fn table_id(s: &Storage, name: &str) -> TableId {
    s.tables()
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.id)
        .expect("table exists")
}

/// Sessions move these across threads (one thread per connection, shared
/// storage): they must stay Send/Sync.
#[test]
fn public_types_are_thread_safe() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Storage>();
    sync::<Storage>();
    send::<super::WriteTxn>();
    send::<super::TableReader>();
    sync::<super::TableReader>();
}
