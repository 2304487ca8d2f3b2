//! Commits larger than one chunk (`Tuning::commit_chunk`, 2 KiB in tests):
//! applied and logged chunk by chunk as OPS frames before their COMMIT,
//! their events read back from the log into the segments, replayed after a
//! crash, and cut whole when the crash comes before the COMMIT.

use std::path::Path;

use super::indexes::{assert_consistent, eq, row2};
use super::*;
use crate::storage::codec::scan_frames;
use crate::storage::io::FileSystem;
use crate::storage::io::mem::MemFs;
use crate::storage::segment;
use crate::storage::wal::record::{Frame, decode};

const ROWS: u32 = 1500;

/// One row of table `u`: (i mod 7, some text).
fn urow(i: u32) -> Row {
    row2(
        Some(i64::from(i % 7)),
        &format!("row {i} of a large commit"),
    )
}

/// Table `t` with rows 0..100 (value = key), committed one by one, and the
/// seq of the last.
fn setup(s: &Storage) -> (TableId, u64) {
    let t = create(s, "t");
    let mut last = 0;
    for i in 0..100 {
        last = put(s, t, i, i64::from(i));
    }
    (t, last)
}

/// One transaction: creates table `u` with an index on its first column and
/// ROWS rows, updates keys 0..50 of `t` and deletes 50..80.
fn large(s: &Storage, t: TableId) -> (TableId, u64) {
    let mut w = s.begin_write(&no_abort).expect("begin");
    let u = w.create_table("u", b"schema".to_vec()).expect("create");
    w.create_index(u, "u_a", vec![0], false).expect("index");
    for i in 0..ROWS {
        assert!(w.insert(u, k(i), urow(i)).expect("insert"));
    }
    for i in 0..50 {
        assert!(w.update(t, k(i), r(1000 + i64::from(i))).expect("update"));
    }
    for i in 50..80 {
        assert!(w.delete(t, &k(i)).expect("delete"));
    }
    let seq = w.commit().expect("commit").expect("seq");
    (u, seq)
}

fn expect_t(s: &Storage, t: TableId, before: u64) {
    let now: Vec<(u32, i64)> = (0..50)
        .map(|i| (i, 1000 + i64::from(i)))
        .chain((80..100).map(|i| (i, i64::from(i))))
        .collect();
    assert_eq!(dump(s, t, u64::MAX), now);
    let then: Vec<(u32, i64)> = (0..100).map(|i| (i, i64::from(i))).collect();
    assert_eq!(dump(s, t, before), then, "AS OF before the large commit");
}

fn expect_u(s: &Storage, u: TableId, seq: u64) {
    let rows: Vec<_> = s
        .reader(u)
        .expect("reader")
        .scan(
            u64::MAX,
            std::ops::Bound::Unbounded,
            std::ops::Bound::Unbounded,
        )
        .map(|x| x.expect("row"))
        .collect();
    assert_eq!(rows.len(), ROWS as usize);
    for (i, (key, row)) in rows.iter().enumerate() {
        assert_eq!((key, row), (&k(i as u32), &urow(i as u32)));
    }
    let ix = s.indexes(u)[0].id;
    let threes: Vec<u32> = (0..ROWS).filter(|i| i % 7 == 3).collect();
    assert_eq!(eq(s, u, ix, seq, Some(3)), threes);
    assert!(eq(s, u, ix, seq - 1, Some(3)).is_empty());
    assert_consistent(s, u);
}

/// The frames of the one WAL file: (OPS frames, COMMIT frames) of `seq`.
fn frames_of(fs: &MemFs, seq: u64) -> (usize, usize) {
    let files = fs.files_under(Path::new("/db/wal"));
    assert_eq!(files.len(), 1, "{files:?}");
    let data = fs.read_file(&files[0]).expect("wal");
    let (mut ops, mut commits) = (0, 0);
    for (_, body) in scan_frames(&data, 16).frames {
        match decode(&data[body]).expect("frame") {
            Frame::Ops { seq: s, .. } if s == seq => ops += 1,
            Frame::Commit {
                rec, ops_frames, ..
            } if rec.seq == Some(seq) => {
                assert_eq!(ops_frames as usize, ops);
                commits += 1;
            }
            _ => {}
        }
    }
    (ops, commits)
}

/// Every event of table `name`'s segments, as (seq, is an insert).
fn segment_events(fs: &MemFs, name: &str, id: TableId) -> Vec<(u64, bool)> {
    let dir = Path::new("/db/tables").join(name).join("segments");
    let mut lens = Vec::new();
    for n in 1.. {
        let p = dir.join(segment::file_name(n));
        let len = match fs.exists(&p).expect("exists") {
            true => fs.read_file(&p).expect("read").len() as u64,
            false => 0,
        };
        if len == 0 {
            break;
        }
        lens.push(len);
    }
    let mut out = Vec::new();
    segment::reader::replay(fs, Path::new(DIR), &dir, (id, &lens), |seq, ev| {
        out.push((
            seq,
            matches!(ev, crate::storage::event::Event::Insert { .. }),
        ));
        Ok(())
    })
    .expect("segments");
    out
}

#[test]
fn a_large_commit_is_logged_in_chunks_and_reads_back_whole() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let (t, before) = setup(&s);
    let (u, seq) = large(&s, t);
    assert_eq!(seq, before + 1);
    let (ops, commits) = frames_of(&fs, seq);
    assert!(ops >= 10, "{ops} OPS frames");
    assert_eq!(commits, 1);
    expect_t(&s, t, before);
    expect_u(&s, u, seq);
    // Later commits carry on.
    assert_eq!(put(&s, t, 7, 7), seq + 1);
    // A crash: recovery replays the OPS frames and the COMMIT.
    let img = fs.crash_image();
    // The segments got every event, read back from the log at publish.
    s.checkpoint().expect("checkpoint");
    let ev = segment_events(&fs, "u", u);
    assert_eq!(ev.len(), ROWS as usize);
    assert!(ev.iter().all(|e| *e == (seq, true)));
    let ev = segment_events(&fs, "t", t);
    assert_eq!(ev.iter().filter(|e| e.0 == seq).count(), 80);
    drop(s);
    let s = open(&img, &clock()).expect("reopen");
    assert_eq!(s.visible_seq(), seq + 1);
    expect_u(&s, u, seq);
    assert_eq!(
        dump(&s, t, seq),
        dump(&s, t, u64::MAX)
            .into_iter()
            .map(|(i, v)| if i == 7 { (7, 1007) } else { (i, v) })
            .collect::<Vec<_>>()
    );
    assert_eq!(segment_events(&img, "u", u).len(), ROWS as usize);
}

#[test]
fn a_crash_before_the_commit_record_loses_the_whole_transaction() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let (t, before) = setup(&s);
    let (_, seq) = large(&s, t);
    let img = fs.crash_image();
    drop(s);
    // Cut the log just before the large commit's COMMIT frame: its OPS
    // frames are there, durable, but it never committed.
    let files = img.files_under(Path::new("/db/wal"));
    let data = img.read_file(&files[0]).expect("wal");
    let cut = scan_frames(&data, 16)
        .frames
        .into_iter()
        .find(|(_, b)| matches!(decode(&data[b.clone()]), Ok(Frame::Commit { rec, .. }) if rec.seq == Some(seq)))
        .map(|(off, _)| off)
        .expect("commit frame");
    img.put_file(&files[0], data[..cut].to_vec()).expect("cut");
    let s = open(&img, &clock()).expect("reopen");
    assert_eq!(s.visible_seq(), before);
    assert!(
        s.tables().iter().all(|m| m.name != "u"),
        "u was never committed"
    );
    let then: Vec<(u32, i64)> = (0..100).map(|i| (i, i64::from(i))).collect();
    assert_eq!(dump(&s, t, u64::MAX), then);
    assert_eq!(s.recovery_cuts().len(), 1, "{:?}", s.recovery_cuts());
    // And the next commit takes the seq.
    assert_eq!(put(&s, t, 1, 5), before + 1);
    drop(s);
    let s = open(&img.crash_image(), &clock()).expect("reopen again");
    assert_eq!(dump(&s, t, u64::MAX)[1], (1, 5));
}

/// Page-file growth of an index build and of a large commit while a reader
/// holds a snapshot all along (freed pages cannot be reused under it): each
/// touched page is copied once, not once per chunk. An index over 20,000
/// rows whose keys interleave (every chunk touches most leaves) adds about
/// its own size; so does a commit of 20,000 rows into an indexed table.
#[test]
fn large_writes_copy_each_page_once() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let rows = 20_000u32;
    let fill = |s: &Storage, t: TableId, base: u32| {
        let mut w = s.begin_write(&no_abort).expect("begin");
        for i in 0..rows {
            let v = Some(i64::from(i % 97));
            assert!(w.insert(t, k(base + i), row2(v, "a row")).expect("insert"));
        }
        w.commit().expect("commit");
    };
    fill(&s, t, 0);
    let pages = || s.inner.btree.stats().expect("stats").page_count;
    let reader = s.reader(t).expect("reader");
    let mut held = reader.scan(
        u64::MAX,
        std::ops::Bound::Unbounded,
        std::ops::Bound::Unbounded,
    );
    assert!(held.next().is_some(), "a scan is open across the writes");
    let before = pages();
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.create_index(t, "t_a", vec![0], false).expect("index");
    w.commit().expect("commit");
    let index_growth = pages() - before;
    // ~20,000 entries of ~12 bytes: a few dozen leaves.
    assert!(
        index_growth < 200,
        "index build grew the file by {index_growth} pages"
    );
    let before = pages();
    fill(&s, t, rows);
    let commit_growth = pages() - before;
    // The rows (~20 bytes each) and their index entries: ~150 pages.
    assert!(
        commit_growth < 600,
        "large commit grew the file by {commit_growth} pages"
    );
    assert_eq!(held.count() + 1, rows as usize);
}
