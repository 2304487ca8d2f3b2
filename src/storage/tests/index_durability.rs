//! Indexes across crashes and damage: index DDL is logged with its commit
//! and recovered (definitions from `indexes/<id>.meta` and the WAL, contents
//! rebuilt from the table's versions); torn WAL tails cut index DDL whole;
//! lost or damaged definition files are corruption; checkpoints can crash
//! anywhere. And index readers beside a writer.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::indexes::{assert_consistent, create_ix, entries, eq, row2};
use super::*;
use crate::error::Error;
use crate::storage::IndexId;
use crate::storage::codec::scan_frames;
use crate::storage::io::FileSystem;
use crate::storage::io::mem::{Faults, MemFs};
use crate::storage::wal::record::{Frame, decode};

/// What a reopened storage must reproduce: each index's definition and
/// exact entries (with periods), and the table as of every seq.
fn state(s: &Storage, t: TableId) -> (Vec<String>, Vec<Vec<(u32, i64)>>) {
    let ix = s
        .indexes(t)
        .into_iter()
        .map(|m| format!("{m:?} {:?}", entries(s, m.id)))
        .collect();
    let rows = (0..=s.visible_seq()).map(|q| dump(s, t, q)).collect();
    (ix, rows)
}

/// Row `(v, "w")` for key `i` in its own commit.
fn put2(s: &Storage, t: TableId, i: u32, v: Option<i64>) {
    let mut w = s.begin_write(&no_abort).expect("begin");
    if !w.insert(t, k(i), row2(v, "w")).expect("insert") {
        assert!(w.update(t, k(i), row2(v, "w")).expect("update"));
    }
    w.commit().expect("commit");
}

#[test]
fn index_ddl_survives_a_crash_at_every_step() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let check = |s: &Storage| {
        let want = state(s, t);
        for img in [fs.crash_image(), fs.snapshot()] {
            let s2 = open(&img, &c).expect("reopen");
            assert_eq!(state(&s2, t), want);
            assert_consistent(&s2, t);
        }
    };
    for i in 0..10 {
        put2(&s, t, i, Some(i64::from(i % 3)));
    }
    check(&s);
    let a = create_ix(&s, t, "a", vec![0]);
    check(&s);
    put2(&s, t, 1, Some(2)); // key changes
    put2(&s, t, 2, Some(2)); // key stays
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.delete(t, &k(3)).expect("delete");
    w.commit().expect("commit");
    check(&s);
    // Index DDL and data in one transaction: one seq.
    let mut w = s.begin_write(&no_abort).expect("begin");
    let b = w.create_index(t, "b", vec![1, 0], true).expect("create");
    w.insert(t, k(20), row2(None, "z")).expect("insert");
    assert!(w.commit().expect("commit").is_some());
    check(&s);
    s.checkpoint().expect("checkpoint");
    check(&s);
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.drop_index(a).expect("drop");
    w.commit().expect("commit");
    check(&s);
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.create_index(t, "ghost", vec![0], false).expect("create");
    w.rollback();
    put2(&s, t, 4, Some(7));
    check(&s);
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    assert_eq!(
        s.indexes(t).iter().map(|m| m.id).collect::<Vec<IndexId>>(),
        vec![b]
    );
    assert!(s.index_by_name("ghost").is_none());
    assert!(
        s.reader(t)
            .expect("r")
            .index_scan(a, 1, Bound::Unbounded, Bound::Unbounded)
            .any(|r| r.is_err())
    );
}

fn wal_file(fs: &MemFs) -> PathBuf {
    let files = fs.files_under(Path::new("/db/wal"));
    assert_eq!(files.len(), 1, "one WAL file: {files:?}");
    files[0].clone()
}

#[test]
fn torn_wal_tail_cuts_index_ddl_whole() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t"); // commit 0
    for i in 0..3 {
        put2(&s, t, i, Some(i64::from(i))); // commits 1-3
    }
    create_ix(&s, t, "a", vec![0]); // 4
    put2(&s, t, 0, Some(2)); // 5
    let mut w = s.begin_write(&no_abort).expect("begin"); // 6
    w.create_index(t, "b", vec![1], false).expect("create");
    w.insert(t, k(9), row2(Some(9), "b")).expect("insert");
    w.commit().expect("commit");
    let a = s.index_by_name("a").expect("a").id;
    let mut w = s.begin_write(&no_abort).expect("begin"); // 7
    w.drop_index(a).expect("drop");
    w.commit().expect("commit");
    drop(s);
    let path = wal_file(&fs);
    let wal = fs.read_file(&path).expect("read");
    let ends: Vec<usize> = scan_frames(&wal, 16)
        .frames
        .into_iter()
        .filter(|(_, body)| matches!(decode(&wal[body.clone()]), Ok(Frame::Commit { .. })))
        .map(|(_, body)| body.end)
        .collect();
    assert_eq!(ends.len(), 8);
    crate::logging::set_quiet(true);
    for cut in 0..=wal.len() {
        let img = fs.snapshot();
        img.put_file(&path, wal[..cut].to_vec()).expect("cut");
        let s = open(&img, &c).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let whole = ends.iter().filter(|e| **e <= cut).count();
        let mut want: Vec<&str> = Vec::new();
        if (5..8).contains(&whole) {
            want.push("a");
        }
        if whole >= 7 {
            want.push("b");
        }
        if whole == 0 {
            assert!(s.tables().is_empty(), "cut at {cut}");
            continue;
        }
        let names: Vec<String> = s.indexes(t).into_iter().map(|m| m.name).collect();
        assert_eq!(names, want, "cut at {cut}");
        assert_consistent(&s, t);
    }
    crate::logging::set_quiet(false);
}

#[test]
fn lost_or_damaged_index_definitions_are_corruption() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let ix = create_ix(&s, t, "t_v", vec![0]);
    let other = create_ix(&s, t, "t_w", vec![1]);
    put2(&s, t, 1, Some(1));
    s.checkpoint().expect("checkpoint");
    drop(s);
    let file = PathBuf::from(format!("/db/tables/t/indexes/{ix}.meta"));
    let label = format!("tables/t/indexes/{ix}.meta");
    let corrupt = |img: &MemFs, what: &str| match open(img, &c) {
        Err(Error::Corrupted { file, .. }) => assert_eq!(file, label, "{what}"),
        other => panic!("{what}: expected Corrupted, got {other:?}"),
    };
    let img = fs.snapshot();
    img.remove_file(&file).expect("rm");
    corrupt(&img, "missing file");
    let img = fs.snapshot();
    let mut b = img.read_file(&file).expect("read");
    let last = b.len() - 1;
    b[last] ^= 1;
    img.put_file(&file, b).expect("put");
    corrupt(&img, "damaged file");
    let img = fs.snapshot();
    let theirs = img
        .read_file(Path::new(&format!("/db/tables/t/indexes/{other}.meta")))
        .expect("read");
    img.put_file(&file, theirs).expect("put");
    corrupt(&img, "another index's definition");
    // A leftover temporary file is removed, nothing else changes.
    let img = fs.snapshot();
    let tmp = PathBuf::from(format!("/db/tables/t/indexes/{ix}.meta.tmp"));
    img.put_file(&tmp, b"half".to_vec()).expect("put");
    let s = open(&img, &c).expect("open with a leftover tmp");
    assert_eq!(s.indexes(t).len(), 2);
    assert!(!img.exists(&tmp).expect("exists"));
    // Dropped after the checkpoint: the file is gone and the WAL says why.
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.drop_index(ix).expect("drop");
    w.commit().expect("commit");
    drop(s);
    let img = img.crash_image();
    let s = open(&img, &c).expect("reopen after drop");
    assert_eq!(
        s.indexes(t).iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![other]
    );
    // And a dropped table takes its checkpointed indexes with it.
    s.checkpoint().expect("checkpoint");
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.drop_table(t).expect("drop");
    w.commit().expect("commit");
    drop(s);
    let img = img.crash_image();
    let s = open(&img, &c).expect("reopen after drop table");
    assert!(s.tables().is_empty());
    assert!(s.index_by_name("t_w").is_none());
}

#[test]
fn a_crash_anywhere_in_a_checkpoint_keeps_indexes() {
    for budget_writes in 0.. {
        let fs = MemFs::new();
        let c = clock();
        let s = open(&fs, &c).expect("open");
        let t = create(&s, "t");
        let a = create_ix(&s, t, "a", vec![0]);
        for i in 0..30 {
            put2(&s, t, i, Some(i64::from(i % 4)));
        }
        let mut w = s.begin_write(&no_abort).expect("begin");
        w.alter_table(t, "renamed", vec![9]).expect("rename");
        w.create_index(t, "b", vec![0, 1], false).expect("index");
        w.drop_index(a).expect("drop");
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
        let names: Vec<_> = s.indexes(t).into_iter().map(|m| m.name).collect();
        assert_eq!(names, vec!["b".to_string()], "budget {budget_writes}");
        let b = s.indexes(t)[0].id;
        assert_eq!(eq(&s, t, b, 30, Some(1)).len(), 8, "leading-column lookup");
        assert_consistent(&s, t);
        if done {
            break;
        }
    }
}

#[test]
fn a_failed_publish_of_index_ddl_is_finished_by_recovery() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    put2(&s, t, 1, Some(5));
    fs.set_faults(Faults {
        fail_dir_sync: true,
        path_filter: Some("/indexes".into()),
        ..Faults::default()
    });
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.create_index(t, "a", vec![0], false).expect("create");
    assert!(w.commit().is_ok(), "durable in the WAL");
    assert!(s.health().is_err(), "poisoned by the failed publish");
    fs.set_faults(Faults::default());
    drop(s);
    let img = fs.crash_image();
    let s = open(&img, &c).expect("reopen");
    let a = s.index_by_name("a").expect("recovered").id;
    assert_eq!(eq(&s, t, a, 1, Some(5)), vec![1]);
    let file = format!("/db/tables/t/indexes/{a}.meta");
    assert!(img.exists(Path::new(&file)).expect("exists"));
    assert_eq!(dump(&s, t, 1), vec![(1, 5)]);
}

/// Accounts move between groups and trade balances; readers through the
/// group index, at any published seq, see every account once and the same
/// total, and exactly what the table says.
#[test]
fn index_readers_see_consistent_snapshots_beside_a_writer() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "accounts");
    let ix = create_ix(&s, t, "by_group", vec![1]);
    let (accounts, groups) = (2500u32, 5i64);
    let mut w = s.begin_write(&no_abort).expect("begin");
    for i in 0..accounts {
        let row = vec![Value::Int8(100), Value::Int8(i64::from(i) % groups)];
        w.insert(t, k(i), row).expect("insert");
    }
    w.commit().expect("commit");
    let total = i64::from(accounts) * 100;
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (s, stop) = (s.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut checks = 0;
                while !stop.load(Ordering::Relaxed) || checks < 5 {
                    let seq = s.visible_seq();
                    let rd = s.reader(t).expect("reader");
                    let (mut n, mut sum) = (0u32, 0i64);
                    for g in 0..groups {
                        let key = super::indexes::key(&[Value::Int8(g)]);
                        for x in rd.index_scan(
                            ix,
                            seq,
                            Bound::Included(key.clone()),
                            Bound::Included(key),
                        ) {
                            let (_, row) = x.expect("row");
                            assert_eq!(row[1], Value::Int8(g), "group as of {seq}");
                            n += 1;
                            sum += v(&row);
                        }
                    }
                    assert_eq!((n, sum), (accounts, total), "as of {seq}");
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    let mut x: u64 = 11;
    for _ in 0..150 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let from = (x >> 33) as u32 % accounts;
        let to = (x >> 13) as u32 % accounts;
        let amount = (x % 50) as i64;
        let mut w = s.begin_write(&no_abort).expect("begin");
        let mut a = w.get(t, &k(from)).expect("get").expect("row");
        a[0] = Value::Int8(v(&a) - amount);
        a[1] = Value::Int8((x >> 7) as i64 % groups);
        w.update(t, k(from), a).expect("update");
        let mut b = w.get(t, &k(to)).expect("get").expect("row");
        b[0] = Value::Int8(v(&b) + amount);
        w.update(t, k(to), b).expect("update");
        w.commit().expect("commit");
    }
    stop.store(true, Ordering::Relaxed);
    for h in readers {
        assert!(h.join().expect("reader") >= 5);
    }
    assert_consistent(&s, t);
}
