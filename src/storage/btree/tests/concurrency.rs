//! Readers scanning while the writer commits and checkpoints run: every
//! snapshot is consistent. 400 counters hold a fixed total; each commit
//! moves amounts between them (and churns another tree), so a reader that
//! saw half a commit, or a page reused under it, would see a wrong sum.

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use super::{Rng, check, mem_fs, open};
use crate::storage::btree::BTreeStore;
use crate::storage::page::PAGE_SIZE;

const COUNTERS: u64 = 400;
const START: u64 = 1000;

fn key(i: u64) -> Vec<u8> {
    format!("counter{i:05}").into_bytes()
}

fn value(amount: u64) -> Vec<u8> {
    let mut v = amount.to_be_bytes().to_vec();
    v.resize(180, b'.');
    v
}

fn amount(v: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&v[..8]);
    u64::from_be_bytes(a)
}

fn writer(store: &BTreeStore, rounds: u64) {
    let mut rng = Rng::new(77);
    for round in 0..rounds {
        let mut txn = store.write().expect("write");
        for _ in 0..15 {
            let (a, b) = (rng.below(COUNTERS), rng.below(COUNTERS));
            let va = amount(&txn.get("c", &key(a)).expect("get").expect("a"));
            let moved = rng.below(va + 1);
            txn.insert("c", &key(a), &value(va - moved))
                .expect("insert");
            let vb = amount(&txn.get("c", &key(b)).expect("get").expect("b"));
            txn.insert("c", &key(b), &value(vb + moved))
                .expect("insert");
        }
        for i in 0..20 {
            let k = (round * 20 + i).to_be_bytes();
            txn.insert("noise", &k, &[7; 300]).expect("noise");
            if round >= 5 {
                txn.delete("noise", &((round - 5) * 20 + i).to_be_bytes())
                    .expect("delete");
            }
        }
        if round % 13 == 0 {
            drop(txn); // rolled back: invisible
        } else {
            txn.commit().expect("commit");
        }
    }
}

fn reader(store: &Arc<BTreeStore>, stop: &AtomicBool, scans: &AtomicU64, id: u64) {
    let mut last_epoch = 0;
    let mut epochs_seen = 0;
    let mut rng = Rng::new(id);
    while !stop.load(Ordering::Relaxed) {
        let snap = store.snapshot();
        assert!(snap.epoch() >= last_epoch, "epochs go forward");
        if snap.epoch() > last_epoch {
            epochs_seen += 1;
        }
        last_epoch = snap.epoch();
        let reverse = rng.pct(50);
        let (mut sum, mut n) = (0, 0);
        for kv in snap
            .range("c", Bound::Unbounded, Bound::Unbounded, reverse)
            .expect("range")
        {
            let (k, v) = kv.expect("entry");
            sum += amount(&v);
            n += 1;
            if rng.pct(2) {
                let again = snap.get("c", &k).expect("get").expect("present");
                assert_eq!(again, v, "a snapshot answers the same twice");
            }
        }
        assert_eq!((n, sum), (COUNTERS, COUNTERS * START), "epoch {last_epoch}");
        scans.fetch_add(1, Ordering::Relaxed);
    }
    assert!(epochs_seen > 1, "reader {id} saw commits");
}

#[test]
fn readers_see_consistent_snapshots_while_the_writer_commits() {
    let fs = mem_fs();
    let store = open(&fs, 48 * PAGE_SIZE);
    let mut txn = store.write().expect("write");
    txn.create_tree("c").expect("create");
    txn.create_tree("noise").expect("create");
    for i in 0..COUNTERS {
        txn.insert("c", &key(i), &value(START)).expect("insert");
    }
    txn.commit().expect("commit");
    let stop = AtomicBool::new(false);
    let scans = AtomicU64::new(0);
    thread::scope(|s| {
        let readers: Vec<_> = (0..3)
            .map(|id| {
                let (store, stop, scans) = (&store, &stop, &scans);
                s.spawn(move || reader(store, stop, scans, id))
            })
            .collect();
        let checkpointer = s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                store.checkpoint(b"").expect("checkpoint");
                thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        writer(&store, 300);
        // Let the readers finish scans of the last state too.
        let target = scans.load(Ordering::Relaxed) + 6;
        while scans.load(Ordering::Relaxed) < target && !readers.iter().any(|r| r.is_finished()) {
            thread::yield_now();
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().expect("reader");
        }
        checkpointer.join().expect("checkpointer");
    });
    assert!(scans.load(Ordering::Relaxed) >= 10);
    assert!(
        store.pool_stats().evictions > 0,
        "the pool was under pressure"
    );
    check(&store);
}
