//! Recovery of transactions logged as many OPS frames: replayed after a
//! crash with every row, version and index entry right (also AS OF), the
//! segments rewritten, an uncommitted one cut whole, and the WAL read in
//! bounded memory (`wal::frames` records the most bytes it held).

use std::ops::Bound;
use std::path::Path;

use super::indexes::{create_ix, eq, row2};
use super::*;
use crate::storage::IndexId;
use crate::storage::codec::scan_frames;
use crate::storage::io::FileSystem;
use crate::storage::wal::frames::{self, WINDOW};
use crate::storage::wal::record::{OPS, SPILL};

/// (key, first column, text) of every row of `t` as of `seq`.
fn rows(s: &Storage, t: TableId, seq: u64) -> Vec<(Vec<u8>, Row)> {
    s.reader(t)
        .expect("reader")
        .scan(seq, Bound::Unbounded, Bound::Unbounded)
        .map(|x| x.expect("row"))
        .collect()
}

/// OPS frames in the WAL files of `fs`.
fn ops_frames(fs: &MemFs) -> usize {
    fs.files_under(Path::new("/db/wal"))
        .iter()
        .map(|p| {
            let data = fs.read_file(p).expect("read");
            scan_frames(&data, 16)
                .frames
                .iter()
                .filter(|(_, b)| data[b.start] == OPS)
                .count()
        })
        .sum()
}

/// Event frames in the segments of table directory `dir`.
fn segment_frames(fs: &MemFs, dir: &str) -> usize {
    fs.files_under(&Path::new("/db/tables").join(dir).join("segments"))
        .iter()
        .map(|p| {
            let data = fs.read_file(p).expect("read");
            let scan = scan_frames(&data, 16);
            assert!(scan.bad.is_none(), "{p:?}: {:?}", scan.bad);
            scan.frames.len()
        })
        .sum()
}

fn text(i: u32, len: usize) -> String {
    format!("{i:08}-{}", "x".repeat(len))
}

/// Seqs 1..=3 small, 4 a big transaction on `t` (inserts, updates,
/// deletes, and a rename of `t`), 5 a big one creating table `u` with an
/// index and filling it, 6 small. Returns (t, its index, u, u's index).
fn history(s: &Storage) -> (TableId, IndexId, TableId, IndexId) {
    let t = create(s, "t");
    let ix = create_ix(s, t, "t_v", vec![0]);
    for i in 0..3u32 {
        let mut w = s.begin_write(&no_abort).expect("begin");
        for j in 0..20 {
            let key = i * 20 + j;
            w.insert(t, k(key), row2(Some(i64::from(key % 7)), "small"))
                .expect("insert");
        }
        w.commit().expect("commit");
    }
    let mut w = s.begin_write(&no_abort).expect("begin");
    for key in 1000..13_000u32 {
        w.insert(t, k(key), row2(Some(i64::from(key % 50)), &text(key, 300)))
            .expect("insert");
    }
    for key in 0..20 {
        assert!(
            w.update(t, k(key), row2(Some(99), "updated"))
                .expect("update")
        );
    }
    for key in 20..30 {
        assert!(w.delete(t, &k(key)).expect("delete"));
    }
    // Updated again within the transaction, after it spilled.
    assert!(w.update(t, k(1000), row2(None, "again")).expect("update"));
    w.alter_table(t, "t_renamed", b"schema2".to_vec())
        .expect("rename");
    assert_eq!(w.commit().expect("commit"), Some(4));
    let mut w = s.begin_write(&no_abort).expect("begin");
    let u = w.create_table("u", b"schema".to_vec()).expect("create");
    let uix = w.create_index(u, "u_v", vec![0], false).expect("index");
    for key in 0..9_000u32 {
        w.insert(u, k(key), row2(Some(i64::from(key % 3)), &text(key, 400)))
            .expect("insert");
    }
    assert_eq!(w.commit().expect("commit"), Some(5));
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.update(t, k(1001), row2(Some(7), "after"))
        .expect("update");
    w.delete(u, &k(5)).expect("delete");
    assert_eq!(w.commit().expect("commit"), Some(6));
    (t, ix, u, uix)
}

/// Everything a reader can see of `t` and `u` as of every seq.
type Seen = Vec<(
    Vec<(Vec<u8>, Row)>,
    Vec<Vec<u32>>,
    Vec<(Vec<u8>, Row)>,
    Vec<Vec<u32>>,
)>;

fn seen(s: &Storage, (t, ix, u, uix): (TableId, IndexId, TableId, IndexId)) -> Seen {
    (0..=6)
        .map(|seq| {
            let t_ix = [None, Some(0), Some(7), Some(49), Some(99)]
                .iter()
                .map(|v| eq(s, t, ix, seq, *v))
                .collect();
            let (u_rows, u_ix) = if seq >= 5 {
                let u_ix = (0..3).map(|v| eq(s, u, uix, seq, Some(v))).collect();
                (rows(s, u, seq), u_ix)
            } else {
                (Vec::new(), Vec::new())
            };
            (rows(s, t, seq), t_ix, u_rows, u_ix)
        })
        .collect()
}

#[test]
fn transactions_of_many_ops_frames_replay_after_a_crash() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let ids = history(&s);
    let want = seen(&s, ids);
    assert!(ops_frames(&fs) >= 6, "{} OPS frames", ops_frames(&fs));
    // Spot checks that the expectation itself is what was written.
    assert_eq!(want[6].0.len(), 60 - 10 + 12_000);
    assert_eq!(
        want[3].1[4],
        Vec::<u32>::new(),
        "nothing was 99 before seq 4"
    );
    assert_eq!(want[4].1[4].len(), 20);
    assert_eq!(want[6].2.len(), 9_000 - 1);
    drop(s);

    let img = fs.crash_image();
    let s = open(&img, &c).expect("recover");
    assert_eq!(s.replayed_at_open(), 8, "2 DDL-only + 6 data commits");
    assert!(s.recovery_cuts().is_empty(), "{:?}", s.recovery_cuts());
    assert_eq!(s.visible_seq(), 6);
    assert_eq!(table_id(&s, "t_renamed"), ids.0);
    assert_eq!(table_id(&s, "u"), ids.2);
    let got = seen(&s, ids);
    for (seq, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(g == w, "state as of seq {seq} differs after recovery");
    }
    for seq in 1..=6 {
        assert!(s.commit_time(seq).is_some(), "time of seq {seq}");
    }
    // The segments were rewritten from the WAL: one frame per event.
    // (Key 1000, inserted then updated in one transaction, is one event.)
    let t_events = 60 + 12_000 + 20 + 10 + 1;
    assert_eq!(segment_frames(&img, "t_renamed"), t_events);
    assert_eq!(segment_frames(&img, "u"), 9_000 + 1);
    assert!(
        !img.exists(Path::new("/db/wal/recovery.spill"))
            .expect("exists"),
        "the spill file is gone"
    );
    drop(s);
    // And the recovered state is durable: a second crash changes nothing.
    let s = open(&img.crash_image(), &c).expect("reopen");
    assert_eq!(s.replayed_at_open(), 0);
    assert!(seen(&s, ids) == want, "state after a second open");
}

#[test]
fn a_big_transaction_without_its_commit_is_cut_whole() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    put(&s, t, 1, 1);
    let mut w = s.begin_write(&no_abort).expect("begin");
    for key in 10..20_000u32 {
        w.insert(t, k(key), row2(None, &text(key, 200)))
            .expect("insert");
    }
    w.commit().expect("commit");
    drop(s);
    let path = wal_file_of(&fs);
    let data = fs.read_file(&path).expect("read");
    let ops: Vec<usize> = scan_frames(&data, 16)
        .frames
        .iter()
        .filter(|(_, b)| data[b.start] == OPS)
        .map(|(at, _)| *at)
        .collect();
    assert!(ops.len() >= 3, "{} OPS frames", ops.len());
    // Lost after two whole OPS frames, or inside the third.
    for end in [ops[2], ops[2] + 1000] {
        let img = fs.snapshot();
        img.put_file(&path, data[..end].to_vec()).expect("cut");
        let s = open(&img, &c).expect("recover");
        assert_eq!(dump(&s, t, u64::MAX), vec![(1, 1)], "cut at {end}");
        let cuts = s.recovery_cuts();
        assert_eq!(cuts.len(), 1, "{cuts:?}");
        assert_eq!(cuts[0].offset, ops[0] as u64, "the whole transaction");
        assert_eq!(cuts[0].reason, "transaction without its commit record");
        assert_eq!(put(&s, t, 2, 2), 2, "the lost seq is reused");
    }
}

/// The one WAL file of `fs`.
fn wal_file_of(fs: &MemFs) -> std::path::PathBuf {
    let files = fs.files_under(Path::new("/db/wal"));
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn recovery_holds_a_frame_of_the_wal_not_the_file() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let mut w = s.begin_write(&no_abort).expect("begin");
    for key in 0..24_000u32 {
        w.insert(t, k(key), row2(Some(i64::from(key)), &text(key, 1000)))
            .expect("insert");
    }
    w.commit().expect("commit");
    put(&s, t, 99_999, 5);
    drop(s);
    let img = fs.crash_image();
    let wal_bytes: usize = img
        .files_under(Path::new("/db/wal"))
        .iter()
        .map(|p| img.read_file(p).map(|d| d.len()).unwrap_or(0))
        .sum();
    assert!(wal_bytes > 20 << 20, "WAL of {wal_bytes} bytes");
    frames::reset_peak_on_this_thread();
    let s = open(&img, &c).expect("recover");
    let peak = frames::peak_on_this_thread();
    let bound = SPILL + 2 * WINDOW + 16 * 1024;
    assert!(peak > 0 && peak <= bound, "peak {peak} (bound {bound})");
    assert_eq!(s.replayed_at_open(), 3);
    assert_eq!(dump(&s, t, u64::MAX).len(), 24_001);
}
