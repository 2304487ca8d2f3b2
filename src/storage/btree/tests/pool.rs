//! The buffer pool under a budget far smaller than the data: 100,000 keys
//! through a 64-page cache stay correct, dirty pages survive eviction (the
//! data is read back before any checkpoint), and the counters move.

use std::ops::Bound;

use super::{check, dump, mem_fs, open};
use crate::storage::page::PAGE_SIZE;

fn key(i: u32) -> [u8; 4] {
    // Scattered insertion order, so every leaf is touched again and again.
    i.wrapping_mul(2_654_435_761).to_be_bytes()
}

fn value(i: u32) -> Vec<u8> {
    format!("value-{i:08}-{}", "x".repeat(30 + (i % 41) as usize)).into_bytes()
}

#[test]
fn a_tiny_cache_still_gives_exact_results() {
    const N: u32 = 100_000;
    let fs = mem_fs();
    let store = open(&fs, 64 * PAGE_SIZE);
    let mut txn = store.write().expect("write");
    txn.create_tree("t").expect("create");
    txn.commit().expect("commit");
    for batch in 0..(N / 1000) {
        let mut txn = store.write().expect("write");
        for i in batch * 1000..(batch + 1) * 1000 {
            assert_eq!(txn.insert("t", &key(i), &value(i)).expect("insert"), None);
        }
        txn.commit().expect("commit");
    }
    let st = store.pool_stats();
    assert!(st.resident_pages <= 64, "over budget: {st:?}");
    assert!(st.writebacks > 100, "dirty pages were written back: {st:?}");
    // No checkpoint yet: everything read now comes from the pool or from
    // pages written back on eviction.
    let snap = store.snapshot();
    let stats = snap.tree_stats("t").expect("stats");
    assert_eq!(stats.entries, u64::from(N));
    assert!(stats.height >= 3, "height {}", stats.height);
    let before = store.pool_stats();
    for i in (0..N).step_by(7) {
        assert_eq!(
            snap.get("t", &key(i)).expect("get"),
            Some(value(i)),
            "key {i}"
        );
    }
    assert_eq!(snap.get("t", b"nope").expect("get"), None);
    let after = store.pool_stats();
    assert!(
        after.misses > before.misses,
        "a small cache misses: {after:?}"
    );
    assert!(after.hits > before.hits, "upper levels hit: {after:?}");
    let all = dump(&snap, "t");
    assert_eq!(all.len(), N as usize);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
    let lo = key(5).to_vec();
    let back: Vec<_> = snap
        .range("t", Bound::Unbounded, Bound::Included(&lo), true)
        .expect("range")
        .map(|r| r.expect("entry").0)
        .collect();
    let want: Vec<_> = all
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| *k <= lo)
        .rev()
        .collect();
    assert_eq!(back, want);
    drop(snap);
    check(&store);
    store.checkpoint(b"").expect("checkpoint");
    let image = fs.crash_image();
    drop(store);
    let store = open(&image, 64 * PAGE_SIZE);
    let snap = store.snapshot();
    for i in (0..N).step_by(101) {
        assert_eq!(snap.get("t", &key(i)).expect("get"), Some(value(i)));
    }
    assert!(store.pool_stats().resident_pages <= 64);
}
