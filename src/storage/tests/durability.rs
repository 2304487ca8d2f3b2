//! Durability: crashes, torn and corrupt files, failed IO, checkpoints.

use std::path::{Path, PathBuf};

use super::*;
use crate::error::Error;
use crate::storage::codec::scan_frames;
use crate::storage::io::FileSystem;
use crate::storage::io::mem::{Faults, MemFs};
use crate::storage::wal::record::{Frame, decode};

fn wal_file(fs: &MemFs) -> PathBuf {
    let files = fs.files_under(Path::new("/db/wal"));
    assert_eq!(files.len(), 1, "one WAL file: {files:?}");
    files[0].clone()
}

/// Offsets where each transaction's COMMIT frame ends, with its seq.
fn commit_ends(wal: &[u8]) -> Vec<(usize, Option<u64>)> {
    scan_frames(wal, 16)
        .frames
        .into_iter()
        .filter_map(|(_, body)| match decode(&wal[body.clone()]) {
            Ok(Frame::Commit { rec, .. }) => Some((body.end, rec.seq)),
            _ => None,
        })
        .collect()
}

#[test]
fn acknowledged_commits_survive_a_crash() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    for i in 0..20 {
        put(&s, t, i, i as i64);
        // Right after commit() returns, a power loss keeps it.
        let img = fs.crash_image();
        let s2 = open(&img, &c).expect("reopen image");
        assert_eq!(s2.visible_seq(), i as u64 + 1);
        assert_eq!(dump(&s2, t, u64::MAX).len(), i as usize + 1);
    }
}

#[test]
fn commit_returns_only_after_an_fsync_covering_it() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let before = fs.syncs_matching("/wal/");
    put(&s, t, 1, 1);
    assert_eq!(
        fs.syncs_matching("/wal/"),
        before + 1,
        "one WAL fsync per lone commit"
    );
    // With every fsync failing, the commit is refused, not acknowledged.
    fs.set_faults(Faults {
        fail_sync: true,
        ..Faults::default()
    });
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.insert(t, k(2), r(2)).expect("insert");
    let e = w.commit().expect_err("fsync failed");
    assert!(e.message().contains("could not fsync"), "{e}");
    assert_eq!(s.visible_seq(), 1, "never published");
    assert!(dump(&s, t, u64::MAX).iter().all(|(key, _)| *key != 2));
    // Poisoned: no more writes, even once the disk is fine again.
    fs.set_faults(Faults::default());
    assert!(s.begin_write(&no_abort).is_err());
    assert!(s.health().is_err());
    assert!(s.checkpoint().is_err());
    drop(s);
    let s = open(&fs.crash_image(), &clock()).expect("reopen");
    assert_eq!(dump(&s, t, u64::MAX), vec![(1, 1)]);
    assert_eq!(
        put(&s, t, 3, 3),
        2,
        "seq 2 was never durable, so it is reused"
    );
}

#[test]
fn short_write_poisons_and_loses_nothing_acknowledged() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    put(&s, t, 1, 1);
    fs.set_faults(Faults {
        write_budget: Some(5),
        path_filter: Some("/wal/".into()),
        ..Faults::default()
    });
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.insert(t, k(2), r(2)).expect("insert");
    assert!(w.commit().is_err());
    fs.set_faults(Faults::default());
    assert!(s.begin_write(&no_abort).is_err(), "poisoned");
    drop(s);
    // The torn frame is cut at reopen, in both views of the disk.
    for img in [fs.snapshot(), fs.crash_image()] {
        let s = open(&img, &c).expect("reopen");
        assert_eq!(dump(&s, t, u64::MAX), vec![(1, 1)]);
    }
}

/// The ISSUE's torn-tail test: a WAL of several commits cut at every byte.
#[test]
fn torn_wal_tail_at_every_offset() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    put(&s, t, 1, 1);
    put(&s, t, 2, 2);
    put(&s, t, 1, 3);
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.delete(t, &k(2)).expect("delete");
    w.create_table("u", vec![]).expect("create");
    w.commit().expect("commit");
    drop(s);
    let path = wal_file(&fs);
    let wal = fs.read_file(&path).expect("read");
    let ends = commit_ends(&wal);
    assert_eq!(ends.len(), 5, "create + 4 data commits");
    // Each torn cut logs a warning; hundreds of them say nothing more.
    crate::logging::set_quiet(true);
    for cut in 0..=wal.len() {
        let img = fs.snapshot();
        img.put_file(&path, wal[..cut].to_vec()).expect("cut");
        let s = open(&img, &c).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let whole: Vec<_> = ends.iter().filter(|(end, _)| *end <= cut).collect();
        let seqs = whole.iter().filter(|(_, seq)| seq.is_some()).count() as u64;
        assert_eq!(s.visible_seq(), seqs, "cut at {cut}");
        let complete = whole.len() == ends.len();
        assert_eq!(
            s.tables().len(),
            if whole.is_empty() {
                0
            } else if complete {
                2
            } else {
                1
            }
        );
        if seqs >= 1 {
            assert_eq!(dump(&s, t, 1), vec![(1, 1)], "cut at {cut}");
        }
        if complete {
            assert_eq!(dump(&s, t, u64::MAX), vec![(1, 3)]);
        }
        // Torn: a cut inside the header, or with bytes of an unfinished
        // transaction after the last whole one (the preallocated zeros
        // after it are the file's clean end).
        let last = ends.iter().map(|(end, _)| *end).filter(|e| *e <= cut).max();
        let torn = if cut < 16 {
            cut > 0
        } else {
            wal[last.unwrap_or(16)..cut].iter().any(|b| *b != 0)
        };
        assert_eq!(!s.recovery_cuts().is_empty(), torn, "cut at {cut}");
    }
    crate::logging::set_quiet(false);
}

#[test]
fn garbage_after_wal_and_segments_is_cut_and_reported() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    for i in 0..10 {
        put(&s, t, i, i as i64);
    }
    s.checkpoint().expect("checkpoint");
    for i in 10..15 {
        put(&s, t, i, i as i64);
    }
    drop(s);
    let img = fs.snapshot();
    let wal = wal_file(&img);
    let seg = img.files_under(Path::new("/db/tables/t/segments"))[0].clone();
    for p in [&wal, &seg] {
        let mut b = img.read_file(p).expect("read");
        b.extend_from_slice(b"\x10\x00\x00\x00garbage garbage garbage");
        img.put_file(p, b).expect("put");
    }
    let s = open(&img, &c).expect("reopen");
    assert_eq!(dump(&s, t, u64::MAX).len(), 15, "nothing committed lost");
    let files: Vec<_> = s.recovery_cuts().iter().map(|c| c.file.clone()).collect();
    assert!(files.iter().any(|f| f.starts_with("wal/")), "{files:?}");
    assert!(
        files.iter().any(|f| f.starts_with("tables/t/segments/")),
        "{files:?}"
    );
    assert!(s.recovery_cuts().iter().all(|c| c.bytes > 0));
}

#[test]
fn corruption_in_the_middle_of_the_wal_names_file_and_offset() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    for i in 0..4 {
        put(&s, t, i, i as i64);
    }
    drop(s);
    let path = wal_file(&fs);
    let mut wal = fs.read_file(&path).expect("read");
    let frames = scan_frames(&wal, 16).frames;
    let (off, body) = frames[2].clone();
    wal[body.start + 3] ^= 0x20;
    let img = fs.snapshot();
    img.put_file(&path, wal).expect("put");
    match open(&img, &c) {
        Err(Error::Corrupted { file, offset, .. }) => {
            assert_eq!(Path::new(DIR).join(&file), path);
            assert_eq!(offset, off as u64);
        }
        other => panic!("expected Corrupted, got {other:?}"),
    }
}

#[test]
fn corruption_inside_a_checkpointed_segment_is_reported() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    for i in 0..4 {
        put(&s, t, i, i as i64);
    }
    s.shutdown().expect("shutdown");
    drop(s);
    let seg = fs.files_under(Path::new("/db/tables/t/segments"))[0].clone();
    let mut b = fs.read_file(&seg).expect("read");
    b[40] ^= 1;
    let img = fs.snapshot();
    img.put_file(&seg, b).expect("put");
    match open(&img, &c) {
        Err(Error::Corrupted { file, .. }) => assert_eq!(file, "tables/t/segments/00000001.seg"),
        other => panic!("expected Corrupted, got {other:?}"),
    }
}

#[test]
fn checkpoint_then_reopen_keeps_everything_and_trims_the_wal() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let mut w = s.begin_write(&no_abort).expect("begin");
    for i in 0..500 {
        w.insert(t, k(i), r(i as i64)).expect("insert");
    }
    w.commit().expect("commit");
    for i in 0..50 {
        put(&s, t, i, 1000 + i as i64);
    }
    let wal_before = fs.read_file(&wal_file(&fs)).expect("read").len();
    s.checkpoint().expect("checkpoint");
    let wal_after = fs.read_file(&wal_file(&fs)).expect("read").len();
    assert!(
        wal_before > 10_000 && wal_after == 16,
        "{wal_before} -> {wal_after}"
    );
    let segs = fs.files_under(Path::new("/db/tables/t/segments"));
    assert!(segs.len() > 2, "segments rolled at 4 KiB: {segs:?}");
    put(&s, t, 999, 999);
    let expect_now = dump(&s, t, u64::MAX);
    let expect_then = dump(&s, t, 1);
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    assert_eq!(s.visible_seq(), 52);
    assert_eq!(dump(&s, t, u64::MAX), expect_now);
    assert_eq!(dump(&s, t, 1), expect_then);
}

#[test]
fn a_crash_anywhere_in_a_checkpoint_loses_nothing() {
    // Fail the n-th write of a checkpoint (after it, nothing more reaches
    // the disk), for every n until the checkpoint completes.
    for budget_writes in 0.. {
        let fs = MemFs::new();
        let c = clock();
        let s = open(&fs, &c).expect("open");
        let t = create(&s, "t");
        for i in 0..30 {
            put(&s, t, i, i as i64);
        }
        let mut w = s.begin_write(&no_abort).expect("begin");
        w.alter_table(t, "renamed", vec![9]).expect("rename");
        w.commit().expect("commit");
        fs.set_faults(Faults {
            write_budget: Some(budget_writes * 97),
            ..Faults::default()
        });
        let done = s.checkpoint().is_ok();
        fs.set_faults(Faults::default());
        drop(s);
        let s =
            open(&fs.crash_image(), &c).unwrap_or_else(|e| panic!("budget {budget_writes}: {e}"));
        assert_eq!(s.tables()[0].name, "renamed");
        assert_eq!(dump(&s, t, u64::MAX).len(), 30, "budget {budget_writes}");
        if done {
            break;
        }
    }
}

#[test]
fn failed_directory_fsync_in_ddl_poisons_but_recovers() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    put(&s, t, 1, 1);
    fs.set_faults(Faults {
        fail_dir_sync: true,
        path_filter: Some("/tables".into()),
        ..Faults::default()
    });
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.create_table("u", vec![]).expect("create");
    // Publishing the DDL failed after the WAL fsync: the commit is durable,
    // so it is acknowledged (an error would say it did not happen), and the
    // storage is poisoned.
    assert!(w.commit().is_ok(), "durable in the WAL");
    assert!(s.health().is_err(), "poisoned by the failed publish");
    assert!(s.begin_write(&no_abort).is_err());
    fs.set_faults(Faults::default());
    drop(s);
    // The DDL was durable in the WAL: recovery finishes it.
    let img = fs.crash_image();
    let s = open(&img, &c).expect("reopen");
    assert_eq!(s.tables().len(), 2);
    assert!(img.exists(Path::new("/db/tables/u/meta")).expect("exists"));
    assert_eq!(dump(&s, t, u64::MAX), vec![(1, 1)]);
}

#[test]
fn large_transactions_spill_and_replay() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let mut w = s.begin_write(&no_abort).expect("begin");
    let big = "x".repeat(4000);
    for i in 0..600 {
        w.insert(t, k(i), vec![Value::Text(big.clone())])
            .expect("insert");
    }
    w.commit().expect("commit");
    let wal = fs.read_file(&wal_file(&fs)).expect("read");
    let frames = scan_frames(&wal, 16).frames;
    assert!(frames.len() >= 3, "spilled into OPS frames");
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    assert_eq!(s.reader(t).expect("reader").approx_rows(), 600);
}

#[test]
fn real_files_reopen_and_lock() {
    let dir = std::env::temp_dir().join(format!("driftdb-storage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let opts = || StorageOptions {
        cache_bytes: 4 << 20,
        clock: clock(),
        fsync: true,
    };
    let s = Storage::open(&dir, opts()).expect("open");
    let e = Storage::open(&dir, opts()).expect_err("second open of the same directory");
    assert!(e.message().contains("LOCK"), "{e}");
    let t = create(&s, "events");
    put(&s, t, 1, 1);
    put(&s, t, 1, 2);
    drop(s);
    let s = Storage::open(&dir, opts()).expect("reopen");
    assert_eq!(
        s.reader(t)
            .expect("r")
            .get(&k(1), 1)
            .expect("get")
            .map(|r| v(&r)),
        Some(1)
    );
    assert_eq!(dump(&s, t, 2), vec![(1, 2)]);
    s.shutdown().expect("shutdown");
    drop(s);
    assert!(dir.join("tables/events/segments/00000001.seg").exists());
    // The checkpoint record lives in the page file (no CHECKPOINT file).
    assert!(dir.join("btree/pages").exists() && dir.join("seqtime").exists());
    assert!(!dir.join("CHECKPOINT").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn segment_frames_past_the_checkpoint_are_rebuilt_not_doubled() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let u = create(&s, "u");
    for i in 0..20 {
        put(&s, t, i, i as i64);
    }
    s.checkpoint().expect("checkpoint");
    // Enough after the checkpoint that segments roll and reach the files
    // (4 KiB segments), in transactions touching both tables.
    for round in 0..5u32 {
        let mut w = s.begin_write(&no_abort).expect("begin");
        for i in 0..100u32 {
            let key = 1000 + round * 100 + i;
            w.insert(t, k(key), r(i64::from(key))).expect("insert");
            w.insert(u, k(key), r(i64::from(key))).expect("insert");
        }
        w.update(t, k(round), r(-1)).expect("update");
        w.commit().expect("commit");
    }
    let want_t = dump(&s, t, u64::MAX);
    let want_old = dump(&s, t, 3);
    drop(s);
    // Every byte reached the disk, segments past the checkpoint included.
    let img = fs.snapshot();
    let segs_before = img.files_under(Path::new("/db/tables/t/segments")).len();
    assert!(segs_before > 1);
    let s = open(&img, &c).expect("reopen");
    assert_eq!(dump(&s, t, u64::MAX), want_t);
    assert_eq!(dump(&s, t, 3), want_old);
    assert_eq!(dump(&s, u, u64::MAX).len(), 500);
    assert_eq!(s.visible_seq(), 25);
    // And once more, from what that recovery wrote.
    drop(s);
    let s = open(&img.crash_image(), &c).expect("second reopen");
    assert_eq!(dump(&s, t, u64::MAX), want_t);
    assert_eq!(dump(&s, u, 24).len(), 400);
}

#[test]
fn the_background_checkpointer_trims_a_growing_wal() {
    let fs = MemFs::new();
    let opts = StorageOptions {
        clock: clock(),
        fsync: true,
        cache_bytes: 4 << 20,
    };
    let tuning = Tuning {
        segment_limit: 1 << 20,
        checkpoint_wal_bytes: 2000,
        // (The file's length is what is measured: no zeros ahead.)
        wal_prealloc: 0,
        commit_chunk: 2048,
        txn_memory: super::txn_memory(),
    };
    let s = Storage::open_with(
        Path::new(DIR),
        opts,
        std::sync::Arc::new(fs.clone()),
        tuning,
    )
    .expect("open");
    let t = create(&s, "t");
    for i in 0..200 {
        put(&s, t, i, i as i64);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    // Summed over files: a checkpoint may be between creating the new WAL
    // file and deleting the old one.
    let wal_len = || {
        fs.files_under(Path::new("/db/wal"))
            .iter()
            .map(|p| fs.read_file(p).map(|b| b.len()).unwrap_or(0))
            .sum::<usize>()
    };
    while wal_len() > 4000 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(wal_len() <= 4000, "WAL is {} bytes", wal_len());
    drop(s);
    let s = open(&fs.crash_image(), &clock()).expect("reopen");
    assert_eq!(dump(&s, t, u64::MAX).len(), 200);
}
