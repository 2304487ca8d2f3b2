//! Write transactions: overlay, rollback, savepoints, DDL, row ids, the
//! write path.

use std::ops::Bound;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use super::*;
use crate::error::{Error, SqlState};
use crate::storage::VersionFilter;
use crate::storage::io::FileSystem;
use crate::storage::io::mem::MemFs;

fn all_versions(s: &Storage, t: TableId) -> usize {
    let f = VersionFilter {
        start_le: u64::MAX,
        end_gt: 0,
    };
    s.reader(t)
        .expect("reader")
        .versions(Bound::Unbounded, Bound::Unbounded, f)
        .count()
}

#[test]
fn overlay_is_private_and_merged_in_scans() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    for i in [1, 3, 5] {
        put(&s, t, i, i as i64);
    }
    let mut w = s.begin_write(&no_abort).expect("begin");
    assert!(!w.insert(t, k(3), r(0)).expect("dup"), "key exists");
    assert!(w.insert(t, k(2), r(2)).expect("insert"));
    assert!(w.update(t, k(5), r(50)).expect("update"));
    assert!(w.delete(t, &k(1)).expect("delete"));
    assert!(!w.update(t, k(9), r(9)).expect("missing"));
    assert!(!w.delete(t, &k(1)).expect("deleted already"));
    assert!(w.insert(t, k(1), r(100)).expect("re-insert after delete"));
    let seen: Vec<_> = w
        .scan(t, Bound::Unbounded, Bound::Unbounded)
        .expect("scan")
        .map(|x| {
            let (key, row) = x.expect("row");
            (key, v(&row))
        })
        .collect();
    assert_eq!(seen, vec![(k(1), 100), (k(2), 2), (k(3), 3), (k(5), 50)]);
    let part: Vec<_> = w
        .scan(t, Bound::Excluded(k(1)), Bound::Included(k(3)))
        .expect("scan")
        .map(|x| v(&x.expect("row").1))
        .collect();
    assert_eq!(part, vec![2, 3]);
    assert_eq!(w.get(t, &k(5)).expect("get").map(|r| v(&r)), Some(50));
    // Nobody else sees any of it.
    assert_eq!(dump(&s, t, u64::MAX), vec![(1, 1), (3, 3), (5, 5)]);
    assert_eq!(w.commit().expect("commit"), Some(4));
    assert_eq!(dump(&s, t, 4), vec![(1, 100), (2, 2), (3, 3), (5, 50)]);
    assert_eq!(dump(&s, t, 3), vec![(1, 1), (3, 3), (5, 5)]);
}

#[test]
fn rollback_leaves_no_trace() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let wal_before: Vec<_> = fs.files_under(Path::new("/db/wal"));
    let wal_bytes = |fs: &MemFs| {
        fs.files_under(Path::new("/db/wal"))
            .iter()
            .map(|p| fs.read_file(p).expect("read").len())
            .sum::<usize>()
    };
    let before = wal_bytes(&fs);
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.insert(t, k(1), r(1)).expect("insert");
    w.create_table("ghost", vec![]).expect("create");
    assert!(w.has_changes());
    w.rollback();
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.insert(t, k(2), r(2)).expect("insert");
    drop(w); // dropping rolls back too
    assert_eq!(wal_bytes(&fs), before, "nothing reached the WAL");
    assert_eq!(fs.files_under(Path::new("/db/wal")), wal_before);
    assert_eq!(s.visible_seq(), 0);
    assert_eq!(all_versions(&s, t), 0, "no history");
    assert!(s.tables().iter().all(|m| m.name != "ghost"));
    assert_eq!(put(&s, t, 3, 3), 1, "the next commit gets seq 1");
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    assert_eq!(dump(&s, t, u64::MAX), vec![(3, 3)]);
    assert_eq!(all_versions(&s, t), 1);
}

#[test]
fn savepoints_undo_data_and_ddl() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    put(&s, t, 1, 1);
    let mut w = s.begin_write(&no_abort).expect("begin");
    let sp0 = w.savepoint();
    w.insert(t, k(2), r(2)).expect("insert");
    w.update(t, k(1), r(10)).expect("update");
    let sp1 = w.savepoint();
    w.delete(t, &k(1)).expect("delete");
    w.insert(t, k(3), r(3)).expect("insert");
    let u = w.create_table("u", vec![1]).expect("create");
    w.insert(u, k(1), r(1)).expect("insert u");
    w.drop_table(t).expect("drop t");
    assert!(w.get(t, &k(1)).is_err(), "t is gone in this txn");
    w.rollback_to(sp1);
    assert_eq!(w.get(t, &k(1)).expect("get").map(|r| v(&r)), Some(10));
    assert!(w.get(t, &k(3)).expect("get").is_none());
    assert!(w.tables().iter().all(|m| m.name != "u"));
    w.insert(t, k(4), r(4)).expect("insert");
    w.rollback_to(sp1); // still valid after use
    assert!(w.get(t, &k(4)).expect("get").is_none());
    w.rollback_to(sp0);
    assert!(!w.has_changes());
    w.insert(t, k(5), r(5)).expect("insert");
    assert_eq!(w.commit().expect("commit"), Some(2));
    assert_eq!(dump(&s, t, 2), vec![(1, 1), (5, 5)]);
}

#[test]
fn drop_after_savepoint_restores_overlay_data() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.insert(t, k(1), r(1)).expect("insert");
    let id1 = w.next_rowid(t).expect("rowid");
    let sp = w.savepoint();
    w.drop_table(t).expect("drop");
    w.rollback_to(sp);
    assert_eq!(w.get(t, &k(1)).expect("get").map(|r| v(&r)), Some(1));
    assert_eq!(w.next_rowid(t).expect("rowid"), id1 + 1);
    w.commit().expect("commit");
    assert_eq!(dump(&s, t, 1), vec![(1, 1)]);
}

#[test]
fn ddl_is_transactional_and_uses_no_seq() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let mut w = s.begin_write(&no_abort).expect("begin");
    let a = w.create_table("a", b"v1".to_vec()).expect("create");
    assert!(a >= 16_384, "ids start at FirstNormalObjectId");
    assert_eq!(w.tables().len(), 1, "the txn sees its own DDL");
    assert!(s.tables().is_empty(), "others do not");
    let e = w.create_table("a", vec![]).expect_err("duplicate");
    assert_eq!(e.sqlstate(), SqlState::DUPLICATE_TABLE);
    assert_eq!(e.message(), "relation \"a\" already exists");
    assert_eq!(w.commit().expect("commit"), None);
    assert_eq!(s.visible_seq(), 0);
    assert_eq!(s.tables().len(), 1);
    assert!(
        fs.exists(Path::new("/db/tables/a/snapshots"))
            .expect("exists")
    );
    assert!(
        fs.exists(Path::new("/db/tables/a/indexes"))
            .expect("exists")
    );

    // DDL and data in one txn take one seq; renames move the directory.
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.alter_table(a, "b", b"v2".to_vec()).expect("rename");
    w.insert(a, k(1), r(1)).expect("insert");
    assert_eq!(w.commit().expect("commit"), Some(1));
    assert!(!fs.exists(Path::new("/db/tables/a")).expect("exists"));
    assert!(fs.exists(Path::new("/db/tables/b/meta")).expect("exists"));
    let m = &s.tables()[0];
    assert_eq!(
        (m.id, m.name.as_str(), m.schema.as_slice()),
        (a, "b", &b"v2"[..])
    );

    // Drop removes the directory; the name can be reused and starts fresh.
    let mut w = s.begin_write(&no_abort).expect("begin");
    w.drop_table(a).expect("drop");
    let b2 = w.create_table("b", b"new".to_vec()).expect("recreate");
    assert_ne!(b2, a, "ids are never reused");
    assert_eq!(w.commit().expect("commit"), None);
    assert!(s.reader(a).is_err());
    assert_eq!(dump(&s, b2, u64::MAX), vec![]);
    assert_eq!(
        s.reader(a).expect_err("gone").sqlstate(),
        SqlState::UNDEFINED_TABLE
    );
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    let names: Vec<_> = s.tables().iter().map(|m| (m.id, m.name.clone())).collect();
    assert_eq!(names, vec![(b2, "b".to_string())]);
    assert_eq!(dump(&s, b2, u64::MAX), vec![]);
    assert_eq!(s.visible_seq(), 1);
}

#[test]
fn odd_table_names_map_to_safe_directories() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let mut w = s.begin_write(&no_abort).expect("begin");
    let names = ["Mixed", "with/slash", "..", "ünï", "a b"];
    let ids: Vec<_> = names
        .iter()
        .map(|n| w.create_table(n, vec![]).expect("create"))
        .collect();
    w.commit().expect("commit");
    for (id, n) in ids.iter().zip(names) {
        put(&s, *id, 1, 7);
        assert_eq!(table_id(&s, n), *id);
    }
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    for (id, n) in ids.iter().zip(names) {
        assert_eq!(table_id(&s, n), *id);
        assert_eq!(dump(&s, *id, u64::MAX), vec![(1, 7)]);
    }
}

#[test]
fn row_ids_are_unique_and_recovered() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    let mut w = s.begin_write(&no_abort).expect("begin");
    let a = w.next_rowid(t).expect("id");
    let b = w.next_rowid(t).expect("id");
    assert_eq!((a, b), (1, 2));
    w.insert(t, k(b as u32), r(0)).expect("insert");
    w.commit().expect("commit");
    let mut w = s.begin_write(&no_abort).expect("begin");
    assert_eq!(w.next_rowid(t).expect("id"), 3);
    w.rollback();
    drop(s);
    let img = fs.crash_image();
    let s = open(&img, &c).expect("reopen from WAL");
    let mut w = s.begin_write(&no_abort).expect("begin");
    assert_eq!(w.next_rowid(t).expect("id"), 3);
    w.insert(t, k(3), r(0)).expect("insert");
    w.commit().expect("commit");
    s.checkpoint().expect("checkpoint");
    drop(s);
    let s = open(&img.crash_image(), &c).expect("reopen from checkpoint");
    let mut w = s.begin_write(&no_abort).expect("begin");
    assert_eq!(w.next_rowid(t).expect("id"), 4);
}

#[test]
fn begin_write_waits_and_can_be_aborted() {
    let fs = MemFs::new();
    let s = open(&fs, &clock()).expect("open");
    let t = create(&s, "t");
    let mut holder = s.begin_write(&no_abort).expect("begin");
    holder.insert(t, k(1), r(1)).expect("insert");
    // A waiter that gives up.
    let s2 = s.clone();
    let h = std::thread::spawn(move || {
        let n = std::sync::atomic::AtomicUsize::new(0);
        let abort = || {
            if n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 2 {
                Err(Error::Cancelled(
                    "canceling statement due to user request".into(),
                ))
            } else {
                Ok(())
            }
        };
        s2.begin_write(&abort).map(|_| ())
    });
    let e = h.join().expect("thread").expect_err("aborted");
    assert_eq!(e.sqlstate(), SqlState::QUERY_CANCELED);
    // A waiter that gets in once the holder commits, and sees its write.
    let (tx, rx) = mpsc::channel();
    let s3 = s.clone();
    let h = std::thread::spawn(move || {
        let w = s3.begin_write(&no_abort).expect("begin");
        tx.send(w.get(t, &k(1)).expect("get").map(|r| v(&r)))
            .expect("send");
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(150)).is_err(),
        "still waiting"
    );
    holder.commit().expect("commit");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).expect("got in"),
        Some(1)
    );
    h.join().expect("thread");
}

#[test]
fn shutdown_checkpoints_and_refuses_writes() {
    let fs = MemFs::new();
    let c = clock();
    let s = open(&fs, &c).expect("open");
    let t = create(&s, "t");
    put(&s, t, 1, 1);
    s.shutdown().expect("shutdown");
    let e = s.begin_write(&no_abort).expect_err("closed");
    assert_eq!(e.sqlstate(), SqlState::ADMIN_SHUTDOWN);
    assert!(s.shutdown().is_err(), "second shutdown fails");
    assert!(s.checkpoint().is_err());
    assert_eq!(dump(&s, t, 1), vec![(1, 1)], "reads still work");
    // The WAL holds nothing but a header: everything is in the segments.
    let wal = fs.files_under(Path::new("/db/wal"));
    assert_eq!(wal.len(), 1);
    assert_eq!(fs.read_file(&wal[0]).expect("read").len(), 16);
    drop(s);
    let s = open(&fs.crash_image(), &c).expect("reopen");
    assert_eq!(dump(&s, t, 1), vec![(1, 1)]);
    assert!(s.recovery_cuts().is_empty());
}
