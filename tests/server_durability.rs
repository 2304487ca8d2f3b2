//! Durability of the real server process: SIGKILL while clients insert (every
//! acknowledged row survives, nothing unacknowledged appears but the one
//! statement each client had in flight), torn tails appended to the WAL and
//! segments (cut, logged, nothing committed lost), corruption in the middle
//! of a file (startup refuses with a message naming the file, no panic),
//! and clean shutdown on SIGTERM (exit 0 within 10 s, an open transaction
//! rolled back, history intact).
//!
//! SIGKILL does not lose the page cache, so these tests prove recovery, not
//! fsync; `durability_session.rs` proves that commits reach fsync.

mod server_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use postgres::NoTls;
use server_support::{TestServer, lines, rows, scalar};

/// The bound for a clean shutdown.
const SHUTDOWN_BOUND: Duration = Duration::from_secs(10);

/// What one inserting client saw.
#[derive(Default)]
struct Seen {
    /// Ids whose INSERT (or whose transaction's COMMIT) returned OK.
    acked: BTreeSet<i64>,
    /// Ids whose statement was sent but never answered (at most one
    /// statement per client: the one in flight at the kill).
    in_flight: BTreeSet<i64>,
}

/// Inserts as fast as it can until the connection dies. Client 4 inserts
/// pairs in explicit transactions, the others single autocommit rows.
fn inserter(
    cfg: postgres::Config,
    client: i64,
    base: i64,
    seen: Arc<Mutex<Seen>>,
    acks: Arc<AtomicUsize>,
) {
    let Ok(mut c) = cfg.connect(NoTls) else {
        return;
    };
    let Ok(ins) = c.prepare("INSERT INTO t VALUES ($1, $2)") else {
        return;
    };
    for k in 0.. {
        let id = base + client * 100_000 + k * 2;
        let ids: Vec<i64> = if client == 4 {
            vec![id, id + 1]
        } else {
            vec![id]
        };
        seen.lock().unwrap().in_flight.extend(&ids);
        let ok = if client == 4 {
            c.batch_execute(&format!("BEGIN; INSERT INTO t VALUES ({id}, {client}); INSERT INTO t VALUES ({}, {client}); COMMIT", id + 1))
                .is_ok()
        } else {
            c.execute(&ins, &[&id, &client]).is_ok()
        };
        if !ok {
            return;
        }
        let mut s = seen.lock().unwrap();
        for i in &ids {
            s.in_flight.remove(i);
            s.acked.insert(*i);
        }
        acks.fetch_add(1, Ordering::Relaxed);
    }
}

/// After a restart: every acknowledged id is among the rows `query`
/// returns, and every other row was in flight at the stop (such a row may
/// have committed: it joins `expected`). Returns the ids present.
fn check_survivors(
    c: &mut postgres::Client,
    query: &str,
    seen: &Seen,
    expected: &mut BTreeSet<i64>,
    cycle: i64,
) -> BTreeSet<i64> {
    let present: BTreeSet<i64> = c
        .query(query, &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    expected.extend(&seen.acked);
    let missing: Vec<_> = expected.difference(&present).collect();
    assert!(
        missing.is_empty(),
        "cycle {cycle}: acknowledged rows lost: {missing:?}"
    );
    let extra: Vec<_> = present
        .difference(expected)
        .filter(|id| !seen.in_flight.contains(id))
        .collect();
    assert!(
        extra.is_empty(),
        "cycle {cycle}: rows nobody inserted: {extra:?}"
    );
    for id in seen.in_flight.intersection(&present) {
        expected.insert(*id);
    }
    present
}

#[test]
fn sigkill_or_sigterm_while_inserting_loses_no_acknowledged_row() {
    let mut srv = TestServer::start();
    srv.client()
        .batch_execute("CREATE TABLE t (id BIGINT PRIMARY KEY, client BIGINT)")
        .unwrap();
    let mut expected: BTreeSet<i64> = BTreeSet::new();
    // Three crashes, then a clean SIGTERM in the middle of the same stream
    // (running statements finish or fail; whatever was acknowledged stays).
    for cycle in 0..4i64 {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let acks = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..5)
            .map(|client| {
                let (cfg, seen, acks) = (srv.config(), seen.clone(), acks.clone());
                thread::spawn(move || inserter(cfg, client, cycle * 1_000_000, seen, acks))
            })
            .collect();
        // Kill mid-stream: once a fair number of commits were acknowledged.
        let deadline = Instant::now() + Duration::from_secs(60);
        while acks.load(Ordering::Relaxed) < 100 + 50 * cycle as usize {
            assert!(
                Instant::now() < deadline,
                "the clients made no progress:\n{}",
                srv.log()
            );
            thread::sleep(Duration::from_millis(5));
        }
        if cycle < 3 {
            srv.kill();
        } else {
            assert_eq!(srv.terminate(SHUTDOWN_BOUND).code(), Some(0));
        }
        for w in workers {
            w.join().unwrap();
        }
        srv.restart();
        let seen = seen.lock().unwrap();
        let mut c = srv.client();
        let present = check_survivors(&mut c, "SELECT id FROM t", &seen, &mut expected, cycle);
        // A transaction's pair is all or nothing.
        for id in expected
            .iter()
            .filter(|id| (**id / 100_000) % 10 == 4 && *id % 2 == 0)
        {
            assert!(present.contains(&(id + 1)), "half a transaction: {id}");
        }
        assert!(
            seen.acked.len() >= 100,
            "cycle {cycle}: {} acks",
            seen.acked.len()
        );
        // The survivors are exactly one version each, and the database takes writes again.
        assert_eq!(
            scalar(&mut c, "SELECT count(*) FROM t FOR SYSTEM_TIME ALL"),
            expected.len().to_string()
        );
        c.batch_execute(&format!("INSERT INTO t VALUES ({}, -1)", -1 - cycle))
            .unwrap();
        expected.insert(-1 - cycle);
    }
    srv.assert_no_panic();
}

/// The highest-numbered file with extension `ext` under `dir`.
fn newest(dir: &Path, ext: &str) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
        .pop()
        .unwrap_or_else(|| panic!("no .{ext} file in {}", dir.display()))
}

fn append(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// Torn-write garbage: a plausible frame length, then noise.
const GARBAGE: &[u8] = b"\x20\x00\x00\x00\xde\xad\xbe\xefnot a frame, a torn write in progress";

fn torn_tail(stop: fn(&mut TestServer)) {
    let mut srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
        .unwrap();
    for i in 0..10 {
        c.execute("INSERT INTO t VALUES ($1, 'before')", &[&i])
            .unwrap();
    }
    // A clean restart checkpoints: the first rows are in the segment.
    drop(c);
    assert!(srv.terminate(SHUTDOWN_BOUND).success());
    srv.restart();
    let mut c = srv.client();
    for i in 10..20 {
        c.execute("INSERT INTO t VALUES ($1, 'after')", &[&i])
            .unwrap();
    }
    c.batch_execute("UPDATE t SET v = 'updated' WHERE id = 3; DELETE FROM t WHERE id = 4")
        .unwrap();
    let before = lines(
        &mut c,
        "SELECT id, v, system_seq_start, system_seq_end, system_time_start, system_time_end FROM t FOR SYSTEM_TIME ALL ORDER BY 1, 3",
    );
    drop(c);
    stop(&mut srv);

    let wal = newest(&srv.dir().join("wal"), "wal");
    let seg = newest(&srv.dir().join("tables/t/segments"), "seg");
    append(&wal, GARBAGE);
    append(&seg, GARBAGE);
    let log_before = srv.log().len();
    srv.restart();
    let log = srv.log()[log_before..].to_string();
    let wal_name = wal.file_name().unwrap().to_str().unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains(wal_name) && l.contains("cut") && l.contains("WARNING")),
        "the WAL tail cut is logged:\n{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("00000001.seg") && l.contains("cut")),
        "the segment tail cut is logged:\n{log}"
    );
    let mut c = srv.client();
    let after = lines(
        &mut c,
        "SELECT id, v, system_seq_start, system_seq_end, system_time_start, system_time_end FROM t FOR SYSTEM_TIME ALL ORDER BY 1, 3",
    );
    assert_eq!(after, before, "every committed version is back");
    assert_eq!(scalar(&mut c, "SELECT count(*) FROM t"), "19");
    // Writes go on, and a second restart is clean.
    c.batch_execute("INSERT INTO t VALUES (100, 'later')")
        .unwrap();
    drop(c);
    assert!(srv.terminate(SHUTDOWN_BOUND).success());
    srv.restart();
    assert_eq!(scalar(&mut srv.client(), "SELECT count(*) FROM t"), "20");
    srv.assert_no_panic();
}

#[test]
fn torn_tails_after_sigkill_are_cut() {
    torn_tail(|s| s.kill());
}

#[test]
fn torn_tails_after_clean_shutdown_are_cut() {
    torn_tail(|s| assert!(s.terminate(SHUTDOWN_BOUND).success()));
}

/// Flips one byte at `offset`.
fn flip(path: &Path, offset: usize) {
    let mut b = std::fs::read(path).unwrap();
    assert!(
        b.len() > offset + 64,
        "{} is too short ({})",
        path.display(),
        b.len()
    );
    b[offset] ^= 0x40;
    std::fs::write(path, b).unwrap();
}

fn corrupt_middle(stop: fn(&mut TestServer), file: fn(&Path) -> PathBuf, rel: &str) {
    let mut srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
        .unwrap();
    for i in 0..20 {
        c.execute(
            "INSERT INTO t VALUES ($1, 'some text to fill the frame')",
            &[&i],
        )
        .unwrap();
    }
    drop(c);
    stop(&mut srv);
    let path = file(srv.dir());
    // Inside the body of the first frame after the 16-byte header: many
    // valid, fsynced frames follow it.
    flip(&path, 16 + 8 + 3);
    let (status, log) = srv.start_expecting_failure();
    assert!(!status.success(), "startup must fail:\n{log}");
    assert_eq!(status.code(), Some(1), "an error exit, not a crash:\n{log}");
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        log.lines().any(|l| l.contains("[ERROR]")
            && l.contains("corrupted")
            && l.contains(name)
            && l.contains(rel)),
        "a clear message naming the file:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    // Nothing was cut: the bad byte is still there for a human to look at.
    let (status, _) = srv.start_expecting_failure();
    assert!(!status.success());
}

#[test]
fn corruption_in_the_middle_of_the_wal_stops_startup() {
    corrupt_middle(|s| s.kill(), |d| newest(&d.join("wal"), "wal"), "wal/");
}

#[test]
fn corruption_in_the_middle_of_a_segment_stops_startup() {
    corrupt_middle(
        |s| assert!(s.terminate(SHUTDOWN_BOUND).success()),
        |d| newest(&d.join("tables/t/segments"), "seg"),
        "tables/t/segments/",
    );
}

#[test]
fn sigterm_exits_zero_and_a_restart_finds_everything() {
    let mut srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE t (id INT PRIMARY KEY, v NUMERIC(8,2), d DATE)")
        .unwrap();
    for i in 0..30 {
        c.execute("INSERT INTO t VALUES ($1, $1 * 1.25, '2024-02-29')", &[&i])
            .unwrap();
    }
    c.batch_execute("UPDATE t SET v = 0 WHERE id < 10; DELETE FROM t WHERE id >= 25")
        .unwrap();
    let q = "SELECT id, v, d, system_time_start, system_time_end, system_seq_start, system_seq_end \
             FROM t FOR SYSTEM_TIME ALL ORDER BY id, system_seq_start";
    let before = lines(&mut c, q);
    let seq = scalar(&mut c, "SELECT driftdb_current_seq()");
    drop(c);
    let start = Instant::now();
    let status = srv.terminate(SHUTDOWN_BOUND);
    assert_eq!(status.code(), Some(0), "{}", srv.log());
    assert!(start.elapsed() <= SHUTDOWN_BOUND);
    assert!(
        srv.log().contains("database system is shut down"),
        "{}",
        srv.log()
    );
    srv.restart();
    let mut c = srv.client();
    assert_eq!(
        lines(&mut c, q),
        before,
        "history, times included, survives"
    );
    assert_eq!(scalar(&mut c, "SELECT driftdb_current_seq()"), seq);
    assert_eq!(before.len(), 40);
    srv.assert_no_panic();
}

#[test]
fn sigterm_with_an_open_transaction_rolls_it_back() {
    let mut srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)")
        .unwrap();
    // A second session runs a long query, to be cancelled by the shutdown.
    let mut long = srv.client();
    let values: Vec<String> = (1..=3000).map(|i| format!("({i})")).collect();
    long.batch_execute(&format!(
        "CREATE TABLE n (i INT PRIMARY KEY); INSERT INTO n VALUES {}",
        values.join(",")
    ))
    .unwrap();
    c.batch_execute("BEGIN; INSERT INTO t VALUES (2), (3); DELETE FROM t WHERE id = 1")
        .unwrap();
    let running = Arc::new(AtomicBool::new(true));
    let flag = running.clone();
    let long_thread = thread::spawn(move || {
        let r = long.simple_query("SELECT count(*) FROM n a, n b, n c");
        flag.store(false, Ordering::SeqCst);
        r.map(|_| ())
            .map_err(|e| e.as_db_error().map(|d| d.code().code().to_string()))
    });
    thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let status = srv.terminate(SHUTDOWN_BOUND);
    assert_eq!(status.code(), Some(0), "{}", srv.log());
    assert!(start.elapsed() <= SHUTDOWN_BOUND);
    // The open transaction's client hears that the server is going away.
    let e = c.simple_query("COMMIT").unwrap_err();
    assert!(
        e.as_db_error().is_none_or(|d| d.code().code() == "57P01"),
        "{e:?}"
    );
    assert!(
        long_thread.join().unwrap().is_err(),
        "the long query did not complete"
    );
    assert!(!running.load(Ordering::SeqCst));
    srv.restart();
    let mut c = srv.client();
    assert_eq!(
        lines(&mut c, "SELECT id FROM t"),
        ["1"],
        "the uncommitted changes are gone"
    );
    assert_eq!(lines(&mut c, "SELECT id FROM t FOR SYSTEM_TIME ALL"), ["1"]);
    assert_eq!(scalar(&mut c, "SELECT driftdb_current_seq()"), "2");
}

#[test]
fn sigint_also_shuts_down_cleanly_and_the_directory_is_locked_while_open() {
    let mut srv = TestServer::start();
    srv.client()
        .batch_execute("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)")
        .unwrap();
    // A second server on the same directory refuses to start.
    let mut second = std::process::Command::new(server_support::server_bin())
        .arg("--data-path")
        .arg(srv.dir())
        .args(["--port", "0"])
        .env("DRIFTDB_PASSWORD", "x")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = second.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            panic!("a second server opened a directory in use");
        }
        thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        err.contains("[ERROR]") && !err.contains("panicked"),
        "{err}"
    );
    // The first one is undisturbed; SIGINT stops it like SIGTERM.
    assert_eq!(scalar(&mut srv.client(), "SELECT count(*) FROM t"), "1");
    let st = std::process::Command::new("kill")
        .args(["-INT", &srv.pid().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let status = srv.wait_exit(SHUTDOWN_BOUND).expect("exits after SIGINT");
    assert_eq!(status.code(), Some(0), "{}", srv.log());
    srv.restart();
    assert_eq!(scalar(&mut srv.client(), "SELECT count(*) FROM t"), "1");
}

#[test]
fn ddl_big_transactions_and_odd_names_survive_sigkill() {
    let mut srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute(
        "CREATE TABLE gone (id INT PRIMARY KEY); INSERT INTO gone VALUES (1);
         CREATE TABLE \"Événements/2024\" (id INT PRIMARY KEY, note TEXT);
         INSERT INTO \"Événements/2024\" VALUES (1, 'odd name');
         DROP TABLE gone;
         CREATE TABLE gone (k TEXT PRIMARY KEY, n BIGINT NOT NULL DEFAULT 7)",
    )
    .unwrap();
    // A transaction of a few MiB: its events spill into several WAL frames.
    let filler = "z".repeat(200);
    let values: Vec<String> = (0..20_000).map(|i| format!("('k{i}', {i})")).collect();
    c.batch_execute(&format!(
        "BEGIN; INSERT INTO gone VALUES {}; UPDATE gone SET k = k || '{filler}' WHERE n < 10000; COMMIT",
        values.join(", ")
    ))
    .unwrap();
    c.batch_execute("INSERT INTO gone (k) VALUES ('defaulted')")
        .unwrap();
    let q = "SELECT count(*), sum(n), sum(length(k)) FROM gone";
    let before = lines(&mut c, q);
    drop(c);
    srv.kill();
    srv.restart();
    let mut c = srv.client();
    assert_eq!(lines(&mut c, q), before);
    assert_eq!(
        lines(&mut c, "SELECT n FROM gone WHERE k = 'defaulted'"),
        ["7"],
        "the DEFAULT survived in the recovered schema"
    );
    assert_eq!(
        lines(&mut c, "SELECT note FROM \"Événements/2024\""),
        ["odd name"]
    );
    // History: 20000 versions (re-keyed in the transaction that inserted
    // them, so one version each) and the defaulted row; the dropped table's
    // row is not part of the new table's history.
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM gone FOR SYSTEM_TIME ALL"),
        "20001"
    );
    assert_eq!(scalar(&mut c, "SELECT driftdb_current_seq()"), "3");
    srv.assert_no_panic();
}

#[test]
fn commit_times_survive_sigkill() {
    let mut srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
        .unwrap();
    let mut times = Vec::new();
    for i in 0..6 {
        c.batch_execute(&format!(
            "INSERT INTO t VALUES ({i}, {i}); UPDATE t SET v = v + 1"
        ))
        .unwrap();
        thread::sleep(Duration::from_millis(5));
        times.push(scalar(&mut c, "SELECT now()"));
        thread::sleep(Duration::from_millis(5));
    }
    let at = |c: &mut postgres::Client, t: &str| {
        lines(
            c,
            &format!("SELECT id, v FROM t FOR SYSTEM_TIME AS OF '{t}' ORDER BY id"),
        )
    };
    let before: Vec<_> = times.iter().map(|t| at(&mut c, t)).collect();
    let starts = lines(
        &mut c,
        "SELECT system_seq_start, system_time_start FROM t FOR SYSTEM_TIME ALL ORDER BY 1, 2",
    );
    drop(c);
    srv.kill();
    srv.restart();
    let mut c = srv.client();
    let after: Vec<_> = times.iter().map(|t| at(&mut c, t)).collect();
    assert_eq!(after, before, "AS OF a time means the same after recovery");
    assert_eq!(before[5].len(), 6);
    assert_eq!(
        lines(
            &mut c,
            "SELECT system_seq_start, system_time_start FROM t FOR SYSTEM_TIME ALL ORDER BY 1, 2"
        ),
        starts
    );
}

#[test]
fn sigterm_while_a_writer_waits_for_the_write_path() {
    let mut srv = TestServer::start();
    let mut a = srv.client();
    a.batch_execute("CREATE TABLE t (id INT PRIMARY KEY)")
        .unwrap();
    a.batch_execute("BEGIN; INSERT INTO t VALUES (1)").unwrap();
    // The raw client, to see exactly what was acknowledged (the postgres
    // crate reports the FATAL that follows an acknowledged statement as the
    // statement's error).
    let mut b = srv.raw();
    let waiter = thread::spawn(move || {
        b.send(b'Q', b"INSERT INTO t VALUES (2)\0");
        let mut got = Vec::new();
        while let Some(m) = b.try_recv() {
            got.push(m);
        }
        got
    });
    thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    assert_eq!(
        srv.terminate(SHUTDOWN_BOUND).code(),
        Some(0),
        "{}",
        srv.log()
    );
    assert!(start.elapsed() <= SHUTDOWN_BOUND);
    let got = waiter.join().unwrap();
    let acked = got.iter().any(|m| m.tag == b'C');
    let last = got.last().expect("B hears something");
    assert_eq!(last.field(b'C').as_deref(), Some("57P01"), "{got:?}");
    srv.restart();
    let mut c = srv.client();
    // A's transaction never committed; B's insert is there exactly if it
    // was acknowledged (it may run once A's transaction is rolled back).
    let want: Vec<String> = if acked { vec!["2".into()] } else { vec![] };
    assert_eq!(lines(&mut c, "SELECT id FROM t"), want, "{got:?}");
    srv.assert_no_panic();
}

#[test]
fn sigkill_during_startup_and_recovery_loses_nothing() {
    let mut srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")
        .unwrap();
    for i in 0..200 {
        c.execute("INSERT INTO t VALUES ($1, 'x')", &[&i]).unwrap();
    }
    c.batch_execute("CREATE TABLE u (k INT PRIMARY KEY); DROP TABLE t; CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (-1, 'new')")
        .unwrap();
    for i in 0..100 {
        c.execute("INSERT INTO u VALUES ($1)", &[&i]).unwrap();
    }
    drop(c);
    // Kill it with a WAL to replay, then again and again while it recovers
    // (replay, directory fix-ups, the closing checkpoint) or just listens.
    srv.kill();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..15 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        srv.start_and_kill_after(Duration::from_micros(x % 40_000));
    }
    srv.restart();
    let mut c = srv.client();
    assert_eq!(lines(&mut c, "SELECT id, v FROM t"), ["-1|new"]);
    assert_eq!(scalar(&mut c, "SELECT count(*) FROM u"), "100");
    assert_eq!(scalar(&mut c, "SELECT driftdb_current_seq()"), "301");
    srv.assert_no_panic();
}

/// Runs `CHECKPOINT` in a loop until the connection dies, counting those
/// that completed.
fn checkpointer(cfg: postgres::Config, done: Arc<AtomicUsize>) {
    let Ok(mut c) = cfg.connect(NoTls) else {
        return;
    };
    while c.batch_execute("CHECKPOINT").is_ok() {
        done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Updates rows of `t` (making history) until the connection dies or
/// `stop`.
fn updater(cfg: postgres::Config, stop: Arc<AtomicBool>) {
    let Ok(mut c) = cfg.connect(NoTls) else {
        return;
    };
    while !stop.load(Ordering::Relaxed)
        && c.batch_execute("UPDATE t SET client = client + 10 WHERE id % 7 = 0 AND id >= 0")
            .is_ok()
    {}
}

#[test]
fn sigkill_during_checkpoints_loses_no_acknowledged_row() {
    // A 1 MiB buffer pool: a checkpoint writes back through eviction, and a
    // kill lands while pages, meta pages and WAL files are being written.
    let mut srv = TestServer::start_with_args(Some(server_support::PASSWORD), &["--cache-mb", "1"]);
    srv.client()
        .batch_execute(
            "CREATE TABLE t (id BIGINT PRIMARY KEY, client BIGINT); CREATE INDEX t_client ON t (client)",
        )
        .unwrap();
    let mut expected: BTreeSet<i64> = BTreeSet::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for cycle in 0..4i64 {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let acks = Arc::new(AtomicUsize::new(0));
        let checkpoints = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..5)
            .map(|client| {
                let (cfg, seen, acks) = (srv.config(), seen.clone(), acks.clone());
                thread::spawn(move || inserter(cfg, client, cycle * 1_000_000, seen, acks))
            })
            .collect();
        let ckpt = {
            let (cfg, done) = (srv.config(), checkpoints.clone());
            thread::spawn(move || checkpointer(cfg, done))
        };
        let upd = {
            let (cfg, stop) = (srv.config(), stop.clone());
            thread::spawn(move || updater(cfg, stop))
        };
        // Kill once a few checkpoints completed, at a pseudo-random moment
        // of the next ones.
        let deadline = Instant::now() + Duration::from_secs(60);
        while checkpoints.load(Ordering::Relaxed) < 3 || acks.load(Ordering::Relaxed) < 500 {
            assert!(
                Instant::now() < deadline,
                "no progress: {} checkpoints, {} acks\n{}",
                checkpoints.load(Ordering::Relaxed),
                acks.load(Ordering::Relaxed),
                srv.log()
            );
            thread::sleep(Duration::from_millis(2));
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        thread::sleep(Duration::from_micros(x % 50_000));
        srv.kill();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }
        ckpt.join().unwrap();
        upd.join().unwrap();
        srv.restart();
        let seen = seen.lock().unwrap();
        let mut c = srv.client();
        check_survivors(
            &mut c,
            "SELECT id FROM t WHERE id >= 0",
            &seen,
            &mut expected,
            cycle,
        );
        // The index agrees with the table: for every value a full scan
        // finds, a lookup through the index finds the same rows.
        let by_scan = rows(&mut c, "SELECT client, count(*) FROM t GROUP BY client");
        assert!(
            lines(&mut c, "EXPLAIN SELECT count(*) FROM t WHERE client = 3")
                .iter()
                .any(|l| l.contains("t_client")),
            "the lookup does not use the index"
        );
        for r in &by_scan {
            let (v, n) = (r[0].clone().unwrap(), r[1].clone().unwrap());
            let got = scalar(
                &mut c,
                &format!("SELECT count(*) FROM t WHERE client = {v}"),
            );
            assert_eq!(got, n, "cycle {cycle}: client = {v} through the index");
        }
        // Every row that survived has exactly one current version.
        assert_eq!(
            scalar(
                &mut c,
                "SELECT count(*) FROM t FOR SYSTEM_TIME ALL WHERE system_seq_end IS NULL AND id >= 0"
            ),
            expected.len().to_string()
        );
    }
    srv.assert_no_panic();
}

#[test]
fn a_corrupted_table_page_is_an_error_naming_the_file_and_page() {
    const MARK: &str = "corruption-target-";
    let mut srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute(
        "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); CREATE TABLE ok (id INT PRIMARY KEY)",
    )
    .unwrap();
    // Enough rows for several leaves; row 500 carries a unique marker.
    for i in 0..1000 {
        let v = if i == 500 {
            format!("{MARK}{i}")
        } else {
            format!("row {i} {}", "x".repeat(100))
        };
        c.execute("INSERT INTO t VALUES ($1, $2)", &[&i, &v])
            .unwrap();
    }
    c.batch_execute("INSERT INTO ok VALUES (1), (2)").unwrap();
    drop(c);
    assert!(srv.terminate(SHUTDOWN_BOUND).success());
    // Damage every page of the page file that holds the marker (the live
    // leaf among them), in its payload, not its header.
    let path = srv.dir().join("btree/pages");
    let mut bytes = std::fs::read(&path).unwrap();
    const PAGE: usize = 8192;
    let mut damaged = Vec::new();
    for (n, page) in bytes.chunks_mut(PAGE).enumerate() {
        if let Some(at) = page.windows(MARK.len()).position(|w| w == MARK.as_bytes()) {
            page[at] ^= 0x40;
            damaged.push(n);
        }
    }
    assert!(!damaged.is_empty(), "the marker is in no page");
    std::fs::write(&path, bytes).unwrap();

    srv.restart();
    let mut c = srv.client();
    let e = c
        .query("SELECT v FROM t WHERE id = 500", &[])
        .expect_err("a damaged page must not be read as data");
    let (code, msg) = server_support::db_error(&e);
    assert_eq!(code, "XX001", "{msg}");
    assert!(
        msg.contains("btree/pages") && damaged.iter().any(|n| msg.contains(&format!("page {n}"))),
        "the message names the file and the page ({damaged:?}): {msg}"
    );
    // The same error for a scan; the connection, other tables and other
    // connections carry on.
    let (code, _) = server_support::db_error(&c.query("SELECT count(*) FROM t", &[]).unwrap_err());
    assert_eq!(code, "XX001");
    assert_eq!(scalar(&mut c, "SELECT count(*) FROM ok"), "2");
    assert_eq!(scalar(&mut srv.client(), "SELECT count(*) FROM ok"), "2");
    srv.assert_no_panic();
}

/// SIGKILL at different moments of one large COPY (loading, spilled to its
/// scratch file, committing chunk by chunk, committed; the moments are
/// fractions of how long a first, uninterrupted COPY took): after the restart
/// the transaction is all there or not at all, all there if the client heard
/// `COPY n`, the index agrees with the table, no scratch file is left, and
/// the next load works.
#[test]
fn sigkill_during_a_large_copy_keeps_it_whole() {
    const ROWS: i64 = 200_000;
    let mut srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute(
        "CREATE TABLE big (id BIGINT PRIMARY KEY, v TEXT, pad TEXT);
         CREATE INDEX big_v ON big (v)",
    )
    .unwrap();
    drop(c);
    let copy = |config: postgres::Config, base: i64| {
        use std::io::Write;
        let pad = "p".repeat(120);
        let mut c = config.connect(NoTls).ok()?;
        let mut w = c.copy_in("COPY big FROM STDIN").ok()?;
        for start in (0..ROWS).step_by(10_000) {
            let text: String = (start..start + 10_000)
                .map(|i| format!("{}\tv{}\t{pad}\n", base + i, i % 100))
                .collect();
            w.write_all(text.as_bytes()).ok()?;
        }
        w.finish().ok()
    };
    let t0 = Instant::now();
    assert_eq!(copy(srv.config(), 0), Some(ROWS as u64));
    let whole = t0.elapsed();
    let mut loaded = ROWS;
    // Later, until a killed COPY turns out committed (the kills just before
    // it are the likeliest to land in its commit).
    let fractions = [0.3, 0.7, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0];
    let mut committed_round = None;
    for (round, fraction) in fractions.into_iter().enumerate() {
        let base = (round as i64 + 1) * ROWS;
        let config = srv.config();
        let h = thread::spawn(move || copy(config, base) == Some(ROWS as u64));
        let delay = whole.mul_f64(fraction);
        thread::sleep(delay);
        srv.kill();
        let acked = h.join().unwrap();
        srv.restart();
        let mut c = srv.client();
        let n: i64 = scalar(&mut c, "SELECT count(*) FROM big").parse().unwrap();
        eprintln!(
            "round {round}: killed after {delay:?} of {whole:?}: {n} rows, acknowledged: {acked}"
        );
        assert!(
            n == loaded || n == loaded + ROWS,
            "round {round}: {n} rows after the kill, {loaded} before"
        );
        if acked {
            assert_eq!(n, loaded + ROWS, "round {round}: acknowledged COPY lost");
        }
        let committed = n == loaded + ROWS;
        loaded = n;
        let by_index: i64 = scalar(&mut c, "SELECT count(*) FROM big WHERE v = 'v7'")
            .parse()
            .unwrap();
        assert_eq!(
            by_index,
            loaded / 100,
            "round {round}: index and table disagree"
        );
        let tmp = srv.dir().join("tmp");
        assert!(
            !tmp.exists() || std::fs::read_dir(&tmp).unwrap().count() == 0,
            "round {round}: scratch files left"
        );
        if committed {
            committed_round = Some(round);
            break;
        }
    }
    assert!(
        committed_round.is_some(),
        "no killed COPY committed, even at 3x"
    );
    srv.assert_no_panic();
}
