//! Group commit and readers running beside a writer.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use super::*;
use crate::storage::io::mem::{Faults, MemFs};

#[test]
fn concurrent_committers_share_fsyncs() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    fs.set_faults(Faults {
        sync_delay: Some(Duration::from_millis(3)),
        path_filter: Some("/wal/".into()),
        ..Faults::default()
    });
    let before = fs.syncs_matching("/wal/");
    let threads = 8u32;
    let each = 10u32;
    let barrier = Arc::new(Barrier::new(threads as usize));
    let hs: Vec<_> = (0..threads)
        .map(|n| {
            let (s, b) = (s.clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                let mut seqs = Vec::new();
                for i in 0..each {
                    seqs.push(put(&s, t, n * 1000 + i, i as i64));
                }
                seqs
            })
        })
        .collect();
    let mut seqs: Vec<u64> = hs
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    seqs.sort_unstable();
    let n = u64::from(threads * each);
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "every seq once");
    let syncs = fs.syncs_matching("/wal/") - before;
    assert!(syncs < n, "{syncs} WAL fsyncs for {n} commits");
    assert_eq!(dump(&s, t, u64::MAX).len() as u64, n);
    drop(s);
    let s = open(&fs.crash_image(), &clock()).expect("reopen");
    assert_eq!(s.visible_seq(), n);
}

/// Transfers keep the sum of all balances constant; every reader, at any
/// published seq, must see that sum, and the same rows twice.
/// Moves a pseudo-random amount between two pseudo-random accounts (`x` is
/// the generator's state) in one transaction; returns its seq, if it made one.
fn transfer(s: &Storage, t: TableId, accounts: u32, x: &mut u64) -> Option<u64> {
    *x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let from = (*x >> 33) as u32 % accounts;
    let to = (*x >> 13) as u32 % accounts;
    let amount = (*x % 50) as i64;
    let mut w = s.begin_write(&no_abort).expect("begin");
    let a = v(&w.get(t, &k(from)).expect("get").expect("row"));
    w.update(t, k(from), r(a - amount)).expect("update");
    let b = v(&w.get(t, &k(to)).expect("get").expect("row"));
    w.update(t, k(to), r(b + amount)).expect("update");
    w.commit().expect("commit")
}

#[test]
fn readers_see_consistent_snapshots_beside_a_writer() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let accounts = 2500u32; // more than two scan chunks
    let (t, total) = open_accounts(&s, accounts);
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (s, stop) = (s.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut checks = 0;
                while !stop.load(Ordering::Relaxed) || checks < 5 {
                    let seq = s.visible_seq();
                    let a = dump(&s, t, seq);
                    let sum: i64 = a.iter().map(|(_, b)| b).sum();
                    assert_eq!(sum, total, "sum at seq {seq}");
                    assert_eq!(a.len(), accounts as usize);
                    assert_eq!(dump(&s, t, seq), a, "repeatable at seq {seq}");
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    let mut x: u64 = 7;
    for _ in 0..200 {
        transfer(&s, t, accounts, &mut x);
    }
    stop.store(true, Ordering::Relaxed);
    for h in readers {
        assert!(h.join().expect("reader") >= 5);
    }
}

#[test]
fn a_long_scan_is_not_disturbed_by_commits() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let mut w = s.begin_write(&no_abort).expect("begin");
    for i in (0..5000).step_by(2) {
        w.insert(t, k(i), r(1)).expect("insert");
    }
    w.commit().expect("commit");
    let rd = s.reader(t).expect("reader");
    let mut it = rd.scan(1, Bound::Unbounded, Bound::Unbounded);
    let mut n = 0;
    for _ in 0..10 {
        it.next().expect("row").expect("ok");
        n += 1;
    }
    // Commits between chunks: new keys everywhere, old keys deleted.
    let mut w = s.begin_write(&no_abort).expect("begin");
    for i in (1..5000).step_by(2) {
        w.insert(t, k(i), r(2)).expect("insert");
    }
    for i in (0..5000).step_by(4) {
        w.delete(t, &k(i)).expect("delete");
    }
    w.commit().expect("commit");
    for x in it {
        assert_eq!(v(&x.expect("row").1), 1, "only seq-1 rows");
        n += 1;
    }
    assert_eq!(n, 2500);
}

#[test]
fn writes_in_flight_are_invisible_until_durable() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    put(&s, t, 1, 1);
    fs.set_faults(Faults {
        sync_delay: Some(Duration::from_millis(300)),
        path_filter: Some("/wal/".into()),
        ..Faults::default()
    });
    let s2 = s.clone();
    let h = std::thread::spawn(move || put(&s2, t, 2, 2));
    std::thread::sleep(Duration::from_millis(100));
    // The commit is applied in memory and waiting for its fsync.
    assert_eq!(s.visible_seq(), 1);
    let rd = s.reader(t).expect("reader");
    assert!(
        rd.get(&k(2), u64::MAX).expect("get").is_none(),
        "not durable yet"
    );
    assert_eq!(dump(&s, t, u64::MAX), vec![(1, 1)]);
    assert_eq!(h.join().expect("thread"), 2);
    assert_eq!(s.visible_seq(), 2);
    assert!(rd.get(&k(2), u64::MAX).expect("get").is_some());
}

/// Transfers between accounts commit while readers check the invariant
/// (the total never changes) AS OF random past seqs, by scans and by point
/// lookups, and a third thread checkpoints over and over, all through a
/// buffer pool of a few pages: pages are evicted, written back, freed and
/// reused under readers that still hold old snapshots. Every past state
/// must stay exact, and a reopen must find the same history.
#[test]
fn readers_of_the_past_beside_transfers_and_checkpoints() {
    let fs = MemFs::new();
    let opts = || StorageOptions {
        clock: clock(),
        fsync: true,
        cache_bytes: 64 << 10,
    };
    let s =
        Storage::open_with(Path::new(DIR), opts(), Arc::new(fs.clone()), tuning()).expect("open");
    let accounts = 600u32;
    let (t, total) = open_accounts(&s, accounts);
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2u64)
        .map(|n| {
            let (s, stop) = (s.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ n;
                let mut checks = 0;
                while !stop.load(Ordering::Relaxed) || checks < 20 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let seq = 1 + x % s.visible_seq().max(1);
                    let a = dump(&s, t, seq);
                    let sum: i64 = a.iter().map(|(_, b)| b).sum();
                    assert_eq!(
                        (sum, a.len()),
                        (total, accounts as usize),
                        "scan AS OF {seq}"
                    );
                    let rd = s.reader(t).expect("reader");
                    for (key, bal) in a.iter().step_by(37) {
                        let got = rd.get(&k(*key), seq).expect("get").map(|row| v(&row));
                        assert_eq!(got, Some(*bal), "get {key} AS OF {seq}");
                    }
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    let ckpt = {
        let (s, stop) = (s.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                s.checkpoint().expect("checkpoint");
                n += 1;
            }
            n
        })
    };
    let mut x: u64 = 11;
    let mut sums = Vec::new();
    for _ in 0..400 {
        if let Some(seq) = transfer(&s, t, accounts, &mut x)
            && seq.is_multiple_of(50)
        {
            sums.push((seq, dump(&s, t, seq)));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for h in readers {
        assert!(h.join().expect("reader") >= 20);
    }
    assert!(ckpt.join().expect("checkpointer") > 0);
    // The same past after a reopen (from the last checkpoint and the log).
    drop(s);
    let s =
        Storage::open_with(Path::new(DIR), opts(), Arc::new(fs.clone()), tuning()).expect("reopen");
    for (seq, want) in &sums {
        assert_eq!(&dump(&s, t, *seq), want, "AS OF {seq} after reopen");
    }
}

/// Table `accounts` with `n` accounts of 100 each, committed; its id and
/// the total balance.
fn open_accounts(s: &Storage, n: u32) -> (TableId, i64) {
    let t = create(s, "accounts");
    let mut w = s.begin_write(&no_abort).expect("begin");
    for i in 0..n {
        w.insert(t, k(i), r(100)).expect("insert");
    }
    w.commit().expect("commit");
    (t, i64::from(n) * 100)
}
