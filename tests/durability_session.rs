//! Commits really reach fsync: whole sessions run over storage's in-memory
//! file system (`MemFs`), which keeps apart what was written and what was
//! fsynced. A "crash" keeps only the fsynced bytes and directory entries,
//! as a power loss would (a SIGKILL keeps the page cache, so the server
//! tests cannot prove this). Every acknowledged commit must survive the
//! crash; a commit whose fsync fails must not be acknowledged.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use driftdb::error::Result;
use driftdb::sql::session::{Database, DatabaseOptions, Session, StartupParams, TextRows};
use driftdb::storage::Tuning;
use driftdb::storage::io::mem::{Faults, MemFs};

const DIR: &str = "/data";

fn open(fs: &MemFs, fsync: bool) -> Result<Database> {
    driftdb::logging::set_quiet(true);
    let opts = DatabaseOptions {
        fsync,
        ..DatabaseOptions::default()
    };
    Database::open_with_fs(
        Path::new(DIR),
        opts,
        Arc::new(fs.clone()),
        Tuning::default(),
    )
}

fn session(db: &Database) -> Session {
    let startup = StartupParams {
        user: "driftdb".into(),
        database: "driftdb".into(),
        options: vec![],
    };
    Session::new(db, &startup).expect("a session")
}

/// Runs `sql`; the rows and tags, or the error.
fn run(s: &mut Session, sql: &str) -> Result<TextRows> {
    let mut sink = TextRows::default();
    s.simple_query(sql, &mut sink)?;
    Ok(sink)
}

fn ids(db: &Database) -> Vec<i64> {
    let mut s = session(db);
    let rows = run(&mut s, "SELECT id FROM t ORDER BY id")
        .expect("select")
        .rows;
    rows.iter().map(|r| r[0].parse().expect("an id")).collect()
}

fn create_t(db: &Database) {
    let mut s = session(db);
    let r = run(&mut s, "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT)").expect("create");
    assert_eq!(r.tags, ["CREATE TABLE"]);
}

#[test]
fn acknowledged_commits_survive_a_crash_that_drops_unsynced_bytes() {
    let fs = MemFs::new();
    let db = open(&fs, true).unwrap();
    create_t(&db);
    // Four sessions commit concurrently (group commit shares fsyncs).
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4i64)
        .map(|w| {
            let (db, acked, stop) = (db.clone(), acked.clone(), stop.clone());
            thread::spawn(move || {
                let mut s = session(&db);
                for k in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let id = w * 1_000_000 + k;
                    let sql = if k % 10 == 9 {
                        // Now and then a two-row explicit transaction.
                        format!("BEGIN; INSERT INTO t VALUES ({id}, 'a'); INSERT INTO t VALUES ({}, 'b'); COMMIT", id + 500_000)
                    } else {
                        format!("INSERT INTO t VALUES ({id}, 'x')")
                    };
                    let r = run(&mut s, &sql).expect("commit");
                    assert!(r.tags.last().is_some_and(|t| t == "INSERT 0 1" || t == "COMMIT"), "{:?}", r.tags);
                    let mut a = acked.lock().unwrap();
                    a.push(id);
                    if k % 10 == 9 {
                        a.push(id + 500_000);
                    }
                }
            })
        })
        .collect();
    // Crash images at several moments while commits are in flight: each
    // must hold every commit acknowledged before it was taken.
    let mut images = Vec::new();
    for _ in 0..5 {
        while acked.lock().unwrap().len() < 40 * (images.len() + 1) {
            thread::yield_now();
        }
        let before: Vec<i64> = acked.lock().unwrap().clone();
        images.push((before, fs.crash_image()));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let attempted_max = acked.lock().unwrap().len();
    assert!(fs.syncs_matching("wal") > 0);
    for (i, (before, image)) in images.into_iter().enumerate() {
        let db = open(&image, true).unwrap_or_else(|e| panic!("image {i}: recovery failed: {e}"));
        let present = ids(&db);
        let missing: Vec<_> = before.iter().filter(|id| !present.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "image {i}: acknowledged but lost: {missing:?}"
        );
        assert!(
            present.len() <= attempted_max + 8,
            "image {i}: rows nobody committed"
        );
        // A two-row transaction is all or nothing.
        for id in &present {
            if id % 1_000_000 % 10 == 9 && id % 1_000_000 < 500_000 {
                assert!(
                    present.contains(&(id + 500_000)),
                    "image {i}: half a transaction at {id}"
                );
            }
        }
        // The recovered database takes commits and survives another crash.
        let mut s = session(&db);
        run(&mut s, "INSERT INTO t VALUES (-1, 'after recovery')").unwrap();
        let again = open(&image.crash_image(), true).unwrap();
        assert_eq!(ids(&again).len(), present.len() + 1, "image {i}");
    }
}

#[test]
fn without_fsync_the_same_crash_loses_commits() {
    // The control experiment: it shows the crash model drops what was not
    // fsynced, so the test above would catch a commit acknowledged early.
    let fs = MemFs::new();
    let db = open(&fs, false).unwrap();
    create_t(&db);
    let mut s = session(&db);
    for i in 0..20 {
        run(&mut s, &format!("INSERT INTO t VALUES ({i}, 'x')")).unwrap();
    }
    assert_eq!(ids(&db).len(), 20);
    let image = fs.crash_image();
    let lost = match open(&image, true) {
        Err(_) => true,
        Ok(db) => run(&mut session(&db), "SELECT id FROM t")
            .map(|r| r.rows.len() < 20)
            .unwrap_or(true),
    };
    assert!(
        lost,
        "nothing was fsynced, yet everything survived the crash"
    );
}

#[test]
fn a_commit_whose_fsync_fails_is_not_acknowledged() {
    let fs = MemFs::new();
    let db = open(&fs, true).unwrap();
    create_t(&db);
    let mut s = session(&db);
    for i in 0..5 {
        run(&mut s, &format!("INSERT INTO t VALUES ({i}, 'ok')")).unwrap();
    }
    fs.set_faults(Faults {
        fail_sync: true,
        path_filter: Some("wal".into()),
        ..Faults::default()
    });
    let e = run(&mut s, "INSERT INTO t VALUES (100, 'doomed')")
        .expect_err("the failed fsync is reported");
    assert!(e.to_string().contains("fsync"), "{e}");
    // The session is still there: it reads, and refuses further commits
    // (the storage is poisoned: after a failed fsync nothing is trusted).
    assert_eq!(run(&mut s, "SELECT count(*) FROM t").unwrap().rows, [["5"]]);
    let mut other = session(&db);
    let e = run(
        &mut other,
        "BEGIN; INSERT INTO t VALUES (101, 'also doomed'); COMMIT",
    )
    .err();
    assert!(e.is_some(), "later commits fail too");
    assert!(db.storage().health().is_err());
    // After the crash, the unacknowledged rows are absent, the others present.
    fs.set_faults(Faults::default());
    let db = open(&fs.crash_image(), true).unwrap();
    assert_eq!(ids(&db), [0, 1, 2, 3, 4]);
    let mut s = session(&db);
    assert_eq!(
        run(&mut s, "SELECT driftdb_current_seq()").unwrap().rows,
        [["5"]]
    );
    run(&mut s, "INSERT INTO t VALUES (100, 'retried')").unwrap();
    assert_eq!(ids(&db), [0, 1, 2, 3, 4, 100]);
}

#[test]
fn a_short_write_to_the_wal_is_not_acknowledged_and_is_cut_at_recovery() {
    let fs = MemFs::new();
    let db = open(&fs, true).unwrap();
    create_t(&db);
    let mut s = session(&db);
    run(&mut s, "INSERT INTO t VALUES (1, 'ok'), (2, 'ok')").unwrap();
    // The disk fills up in the middle of the next commit's WAL frame.
    fs.set_faults(Faults {
        write_budget: Some(7),
        path_filter: Some("wal".into()),
        ..Faults::default()
    });
    let big = "y".repeat(300);
    assert!(run(&mut s, &format!("INSERT INTO t VALUES (3, '{big}')")).is_err());
    fs.set_faults(Faults::default());
    // Even if every written byte reached the disk, the torn frame is cut.
    let snapshot = fs.snapshot();
    let db = open(&snapshot, true).unwrap();
    assert_eq!(ids(&db), [1, 2]);
    let cuts = db.storage().recovery_cuts();
    assert!(cuts.iter().any(|c| c.file.starts_with("wal/")), "{cuts:?}");
}

/// Runs a workload of small commits (and checkpoints) on `db` while `fs`
/// injects `faults`; returns (acknowledged ids, attempted ids).
fn faulty_workload(db: &Database, fs: &MemFs, faults: Faults) -> (Vec<i64>, Vec<i64>) {
    let mut s = session(db);
    let (mut acked, mut tried) = (Vec::new(), Vec::new());
    fs.set_faults(faults);
    for i in 100..130i64 {
        let sql = match i % 5 {
            // Every tenth: DDL too (meta and schema files, table directories).
            0 if i % 10 == 0 => format!(
                "INSERT INTO t VALUES ({i}, 'a'); CREATE TABLE x{i} (a INT); INSERT INTO x{i} VALUES (1); DROP TABLE IF EXISTS x{}",
                i - 10
            ),
            0 => format!("INSERT INTO t VALUES ({i}, 'a'); INSERT INTO u VALUES ({i})"),
            1 => format!(
                "BEGIN; INSERT INTO t VALUES ({i}, 'b'); UPDATE t SET v = 'c' WHERE id = {i}; COMMIT"
            ),
            2 => format!(
                "INSERT INTO t VALUES ({i}, 'd'); DELETE FROM t WHERE id = {}",
                i - 2
            ),
            _ => format!("INSERT INTO t VALUES ({i}, 'e')"),
        };
        tried.push(i);
        if run(&mut s, &sql).is_ok() {
            acked.push(i);
        }
        if i % 7 == 0 {
            let _ = db.storage().checkpoint();
        }
    }
    fs.set_faults(Faults::default());
    (acked, tried)
}

#[test]
fn under_injected_failures_exactly_the_acknowledged_commits_survive() {
    let filters = ["wal", "segments", "seqtime", "CHECKPOINT", "meta", "schema"];
    let mut configs = Vec::new();
    for f in filters {
        let filter = Some(f.to_string());
        configs.push(Faults {
            fail_sync: true,
            path_filter: filter.clone(),
            ..Faults::default()
        });
        configs.push(Faults {
            fail_dir_sync: true,
            path_filter: filter.clone(),
            ..Faults::default()
        });
        for budget in [0, 5, 300] {
            configs.push(Faults {
                write_budget: Some(budget),
                path_filter: filter.clone(),
                ..Faults::default()
            });
        }
    }
    for (n, faults) in configs.into_iter().enumerate() {
        let label = format!("{n}: {faults:?}");
        let fs = MemFs::new();
        let db = open(&fs, true).unwrap();
        let mut s = session(&db);
        run(&mut s, "CREATE TABLE t (id BIGINT PRIMARY KEY, v TEXT); CREATE TABLE u (id BIGINT PRIMARY KEY)").unwrap();
        for i in 0..20 {
            run(&mut s, &format!("INSERT INTO t VALUES ({i}, 'base')")).unwrap();
        }
        let (acked, tried) = faulty_workload(&db, &fs, faults);
        // A power loss now, and the disk as the process left it: both must
        // recover, with every acknowledged commit and nothing invented.
        for (kind, image) in [("crash", fs.crash_image()), ("snapshot", fs.snapshot())] {
            let db2 = open(&image, true)
                .unwrap_or_else(|e| panic!("{label} {kind}: recovery failed: {e}"));
            // After the power loss, exactly the acknowledged commits: an
            // error means "not committed", even when it came after the WAL
            // write. (On the snapshot, a commit whose fsync failed may have
            // reached the disk anyway, as on a real one.)
            let mut expected: Vec<i64> = (0..20).chain(acked.iter().copied()).collect();
            expected.retain(|i| !(acked.contains(&(i + 2)) && (i + 2) % 5 == 2));
            expected.sort();
            let present = ids(&db2);
            if kind == "crash" {
                assert_eq!(present, expected, "{label} {kind}: tried {tried:?}");
            } else {
                for i in &expected {
                    assert!(present.contains(i), "{label} {kind}: acknowledged {i} lost");
                }
                for i in present.iter().filter(|i| **i >= 20) {
                    assert!(tried.contains(i), "{label} {kind}: row {i} nobody inserted");
                }
            }
            for i in tried.iter().filter(|i| *i % 10 == 0 && kind == "crash") {
                let exists = acked.contains(i) && !acked.contains(&(i + 10));
                let r = run(&mut session(&db2), &format!("SELECT count(*) FROM x{i}"));
                assert_eq!(r.is_ok(), exists, "{label} {kind}: table x{i}");
            }
            // And it takes new commits.
            run(&mut session(&db2), "INSERT INTO t VALUES (-5, 'after')")
                .unwrap_or_else(|e| panic!("{label} {kind}: {e}"));
        }
    }
}
