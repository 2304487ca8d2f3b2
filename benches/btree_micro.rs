//! The B-tree alone (no SQL, no WAL), on the real file system: loading
//! 1,000,000 keys, point gets, range scans, updates, checkpoint and reopen,
//! with a buffer pool far smaller than the data. Run with
//! `cargo bench --bench btree_micro`; `BTREE_BENCH_KEYS` and
//! `BTREE_BENCH_CACHE_MB` change the size (defaults 1,000,000 and 8).
//!
//! Keys are 8-byte big-endian integers in scrambled order (like primary
//! keys from `keycode`); values are 100 bytes (a small row).
//!
//! Each line gives wall time and this thread's CPU time (user + system,
//! from /proc, 10 ms ticks) per operation: on a shared machine the CPU
//! figure is the one to compare.

use std::ops::Bound;
use std::path::Path;
use std::time::Instant;

use driftdb::storage::btree::BTreeStore;
use driftdb::storage::io::RealFs;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A bijection on 0..2^64, so keys arrive in random order without repeats.
fn scramble(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn key(i: u64) -> [u8; 8] {
    scramble(i).to_be_bytes()
}

fn value(i: u64, version: u8) -> Vec<u8> {
    let mut v = vec![version; 100];
    v[..8].copy_from_slice(&i.to_le_bytes());
    v
}

/// This thread's CPU time in nanoseconds (Linux; 0 elsewhere).
fn cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime and
    // stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    (tick(11) + tick(12)) * 10_000_000
}

struct Timer(Instant, u64);

fn start() -> Timer {
    Timer(Instant::now(), cpu_ns())
}

fn report(what: &str, ops: u64, t: Timer) {
    let wall = t.0.elapsed().as_nanos() as f64 / ops as f64;
    let cpu = (cpu_ns() - t.1) as f64 / ops as f64;
    println!("{what:<44} {ops:>9} ops {wall:>9.0} ns/op wall {cpu:>9.0} ns/op cpu");
}

fn main() {
    let n = env("BTREE_BENCH_KEYS", 1_000_000);
    let cache = (env("BTREE_BENCH_CACHE_MB", 8) as usize) << 20;
    let dir = std::env::temp_dir().join(format!("btree-micro-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let store = BTreeStore::open(&RealFs, &dir, cache).expect("open");
    println!("{n} keys, {} MiB cache, 8 KiB pages", cache >> 20);

    let t = start();
    let mut txn = store.write().expect("write");
    txn.create_tree("t").expect("create");
    txn.commit().expect("commit");
    for batch in 0..n.div_ceil(1000) {
        let mut txn = store.write().expect("write");
        for i in batch * 1000..((batch + 1) * 1000).min(n) {
            txn.insert("t", &key(i), &value(i, 0)).expect("insert");
        }
        txn.commit().expect("commit");
    }
    report("insert, random order, 1000 per commit", n, t);
    let t = start();
    let mut txn = store.write().expect("write");
    txn.create_tree("s").expect("create");
    txn.commit().expect("commit");
    for batch in 0..n.div_ceil(1000) {
        let mut txn = store.write().expect("write");
        for i in batch * 1000..((batch + 1) * 1000).min(n) {
            txn.insert("s", &i.to_be_bytes(), &value(i, 0))
                .expect("insert");
        }
        txn.commit().expect("commit");
    }
    report("insert, ascending keys, 1000 per commit", n, t);
    let t = start();
    let c = store.checkpoint(b"bench").expect("checkpoint");
    println!(
        "checkpoint: {} pages written in {:.1} ms",
        c.pages_written,
        t.0.elapsed().as_secs_f64() * 1e3
    );
    let snap = store.snapshot();
    let st = snap.tree_stats("t").expect("stats");
    let ss = snap.tree_stats("s").expect("stats");
    let pages = store.stats().expect("stats").page_count;
    println!(
        "height {} (ascending tree: {}); {} pages in the file ({} MiB) for both",
        st.height,
        ss.height,
        pages,
        pages * 8 / 1024
    );

    let before = store.pool_stats();
    let gets = 200_000;
    let t = start();
    for j in 0..gets {
        let i = scramble(j ^ 0x5555) % n;
        let v = snap.get("t", &key(i)).expect("get").expect("present");
        assert_eq!(v.len(), 100);
    }
    report("point get, random key", gets, t);
    let after = store.pool_stats();
    let (h, m) = (after.hits - before.hits, after.misses - before.misses);
    println!(
        "  pool: {:.1}% hits ({} misses, {} resident pages)",
        100.0 * h as f64 / (h + m).max(1) as f64,
        m,
        after.resident_pages
    );

    let scans = 5_000;
    let t = start();
    let mut rows = 0;
    for j in 0..scans {
        let from = key(scramble(j) % n);
        let cursor = snap
            .range("t", Bound::Included(&from), Bound::Unbounded, j % 2 == 1)
            .expect("range");
        for kv in cursor.take(100) {
            kv.expect("entry");
            rows += 1;
        }
    }
    report("range scan of 100, random start (per scan)", scans, t);
    let t = start();
    let all = snap
        .range("t", Bound::Unbounded, Bound::Unbounded, false)
        .expect("range")
        .count() as u64;
    assert_eq!(all, n);
    report("full scan (per entry)", n, t);
    assert!(rows > 0);
    drop(snap);

    let updates = 100_000;
    let t = start();
    for batch in 0..updates / 100 {
        let mut txn = store.write().expect("write");
        for j in batch * 100..(batch + 1) * 100 {
            let i = scramble(j ^ 0xAAAA) % n;
            txn.insert("t", &key(i), &value(i, 1)).expect("update");
        }
        txn.commit().expect("commit");
    }
    report("update, random key, 100 per commit", updates, t);
    let t = start();
    for i in 0..10_000 {
        let mut txn = store.write().expect("write");
        txn.insert("t", &key(i), &value(i, 2)).expect("update");
        txn.commit().expect("commit");
    }
    report("update, random key, 1 per commit", 10_000, t);
    let t = start();
    let c = store.checkpoint(b"bench").expect("checkpoint");
    println!(
        "checkpoint: {} pages written in {:.1} ms",
        c.pages_written,
        t.0.elapsed().as_secs_f64() * 1e3
    );
    drop(store);
    let t = start();
    let store = BTreeStore::open(&RealFs, Path::new(&dir), cache).expect("reopen");
    println!("reopen: {:.2} ms", t.0.elapsed().as_secs_f64() * 1e3);
    assert_eq!(store.snapshot().tree_stats("t").expect("stats").entries, n);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
