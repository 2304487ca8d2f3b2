//! Many sessions at once against the real server: readers never wait for a
//! writer, a second writer waits (and does not fail) while another
//! transaction holds the write path, CancelRequest and statement_timeout
//! really stop a long query, and the connection stays usable.
//!
//! No timing assertions: "waits" is proven by ordering (the waiter's commit
//! gets the seq after the holder's), "never waits" by the reader finishing
//! while the writer's transaction is still open.

mod server_support;

use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use postgres::{Client, NoTls};
use server_support::{TestServer, current_seq, db_error, lines, scalar};

/// Generous: a loaded 2-core machine can be very slow, but never this slow.
const PATIENCE: Duration = Duration::from_secs(60);

/// A query that would run for an hour: a 3-way cross join of 3000 rows.
const LONG_QUERY: &str = "SELECT count(*) FROM n a, n b, n c";

fn create_n(c: &mut Client) {
    let values: Vec<String> = (1..=3000).map(|i| format!("({i})")).collect();
    c.batch_execute(&format!(
        "CREATE TABLE n (i INT PRIMARY KEY); INSERT INTO n VALUES {}",
        values.join(", ")
    ))
    .unwrap();
}

#[test]
fn eight_clients_at_once() {
    let srv = TestServer::start();
    srv.client()
        .batch_execute("CREATE TABLE t (id INT PRIMARY KEY, who INT, n INT)")
        .unwrap();
    let start = Arc::new(Barrier::new(8));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (cfg, start) = (srv.config(), start.clone());
            thread::spawn(move || {
                let mut c = cfg.connect(NoTls).unwrap();
                let ins = c.prepare("INSERT INTO t VALUES ($1, $2, $3)").unwrap();
                start.wait();
                for k in 0..40 {
                    c.execute(&ins, &[&(w * 1000 + k), &w, &k]).unwrap();
                    // Interleave reads: each sees at least its own rows.
                    let mine: i64 = c
                        .query_one("SELECT count(*) FROM t WHERE who = $1", &[&w])
                        .unwrap()
                        .get(0);
                    assert_eq!(mine, i64::from(k) + 1);
                }
                c.query_one("SELECT sum(n) FROM t WHERE who = $1", &[&w])
                    .unwrap()
                    .get::<_, i64>(0)
            })
        })
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), (0..40).sum::<i64>());
    }
    let mut c = srv.client();
    assert_eq!(scalar(&mut c, "SELECT count(*) FROM t"), "320");
    assert_eq!(current_seq(&mut c), 320, "one seq per autocommit INSERT");
    assert_eq!(
        scalar(&mut c, "SELECT count(DISTINCT system_seq_start) FROM t"),
        "320"
    );
    srv.assert_no_panic();
}

#[test]
fn readers_never_wait_for_an_open_write_transaction() {
    let srv = TestServer::start();
    let mut w = srv.client();
    w.batch_execute(
        "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'committed')",
    )
    .unwrap();
    w.batch_execute(
        "BEGIN; INSERT INTO t VALUES (2, 'open'); UPDATE t SET v = 'dirty' WHERE id = 1",
    )
    .unwrap();
    // The write path is held until COMMIT. Readers, in every form, finish.
    let (tx, rx) = mpsc::channel();
    let cfg = srv.config();
    thread::spawn(move || {
        let mut r = cfg.connect(NoTls).unwrap();
        let mut out = lines(&mut r, "SELECT id, v FROM t ORDER BY id");
        out.extend(lines(
            &mut r,
            "SELECT id, v FROM t FOR SYSTEM_TIME AS OF @SEQ:1",
        ));
        r.batch_execute("BEGIN").unwrap();
        out.extend(lines(&mut r, "SELECT count(*) FROM t"));
        r.batch_execute("COMMIT").unwrap();
        let p = r
            .query_one("SELECT v FROM t WHERE id = $1", &[&1i32])
            .unwrap();
        out.push(p.get(0));
        tx.send(out).unwrap();
    });
    let out = rx
        .recv_timeout(PATIENCE)
        .expect("the reader finished while the writer held the write path");
    assert_eq!(out, ["1|committed", "1|committed", "1", "committed"]);
    w.batch_execute("COMMIT").unwrap();
    assert_eq!(
        lines(&mut srv.client(), "SELECT id, v FROM t ORDER BY id"),
        ["1|dirty", "2|open"]
    );
}

#[test]
fn a_second_writer_waits_for_the_first_and_then_proceeds() {
    let srv = TestServer::start();
    let mut a = srv.client();
    a.batch_execute("CREATE TABLE t (id INT PRIMARY KEY)")
        .unwrap();
    a.batch_execute("BEGIN; INSERT INTO t VALUES (1)").unwrap();
    let (tx, rx) = mpsc::channel();
    let cfg = srv.config();
    thread::spawn(move || {
        let mut b = cfg.connect(NoTls).unwrap();
        tx.send(
            b.execute("INSERT INTO t VALUES (2)", &[])
                .map_err(|e| db_error(&e)),
        )
        .unwrap();
    });
    // B is still waiting (had it failed or not waited, it would have answered).
    thread::sleep(Duration::from_millis(500));
    assert!(
        matches!(rx.try_recv(), Err(mpsc::TryRecvError::Empty)),
        "B must wait, not fail"
    );
    a.batch_execute("INSERT INTO t VALUES (3); COMMIT").unwrap();
    assert_eq!(
        rx.recv_timeout(PATIENCE).expect("B proceeds after COMMIT"),
        Ok(1)
    );
    // B committed after A: A's rows have seq 1, B's seq 2.
    assert_eq!(
        lines(&mut a, "SELECT id, system_seq_start FROM t ORDER BY id"),
        ["1|1", "2|2", "3|1"]
    );
}

#[test]
fn a_waiting_writer_can_be_cancelled_or_time_out() {
    let srv = TestServer::start();
    let mut a = srv.client();
    a.batch_execute("CREATE TABLE t (id INT PRIMARY KEY)")
        .unwrap();
    a.batch_execute("BEGIN; INSERT INTO t VALUES (1)").unwrap();
    // statement_timeout ends the wait with 57014.
    let mut b = srv.client();
    b.batch_execute("SET statement_timeout = 200").unwrap();
    let e = b.batch_execute("INSERT INTO t VALUES (2)").unwrap_err();
    assert_eq!(
        db_error(&e),
        (
            "57014".into(),
            "canceling statement due to statement timeout".into()
        )
    );
    b.batch_execute("SET statement_timeout = 0").unwrap();
    // A CancelRequest ends it too.
    let token = b.cancel_token();
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let r = b
            .batch_execute("INSERT INTO t VALUES (2)")
            .map_err(|e| db_error(&e));
        tx.send(()).unwrap();
        (r, b)
    });
    let mut sent = 0;
    while rx.recv_timeout(Duration::from_millis(300)).is_err() {
        token.cancel_query(NoTls).unwrap();
        sent += 1;
        assert!(sent < 200, "the wait was never cancelled");
    }
    let (r, mut b) = waiter.join().unwrap();
    assert_eq!(
        r,
        Err((
            "57014".into(),
            "canceling statement due to user request".into()
        ))
    );
    a.batch_execute("COMMIT").unwrap();
    // B is still usable and now writes without waiting.
    b.batch_execute("INSERT INTO t VALUES (2)").unwrap();
    assert_eq!(lines(&mut b, "SELECT id FROM t ORDER BY id"), ["1", "2"]);
}

#[test]
fn cancel_request_stops_a_long_query() {
    let srv = TestServer::start();
    let mut c = srv.client();
    create_n(&mut c);
    let token = c.cancel_token();
    let (tx, rx) = mpsc::channel();
    let runner = thread::spawn(move || {
        let r = c
            .simple_query(LONG_QUERY)
            .map(|_| ())
            .map_err(|e| db_error(&e));
        tx.send(()).unwrap();
        (r, c)
    });
    // Cancel until it takes (a cancel that arrives before the query starts
    // is ignored, as in PostgreSQL).
    let mut sent = 0;
    while rx.recv_timeout(Duration::from_millis(300)).is_err() {
        token.cancel_query(NoTls).unwrap();
        sent += 1;
        assert!(sent < 200, "the query was never cancelled");
    }
    let (r, mut c) = runner.join().unwrap();
    assert_eq!(
        r,
        Err((
            "57014".into(),
            "canceling statement due to user request".into()
        ))
    );
    assert!(!c.is_closed());
    assert_eq!(scalar(&mut c, "SELECT count(*) FROM n"), "3000");
    // A stale cancel does not hit the next statement.
    token.cancel_query(NoTls).unwrap();
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM n a, n b WHERE a.i < 3"),
        "6000"
    );
    srv.assert_no_panic();
}

#[test]
fn statement_timeout_stops_a_long_query() {
    let srv = TestServer::start();
    let mut c = srv.client();
    create_n(&mut c);
    c.batch_execute("SET statement_timeout = 100").unwrap();
    assert_eq!(scalar(&mut c, "SHOW statement_timeout"), "100ms");
    for _ in 0..2 {
        let e = c.simple_query(LONG_QUERY).unwrap_err();
        assert_eq!(
            db_error(&e),
            (
                "57014".into(),
                "canceling statement due to statement timeout".into()
            )
        );
        // Short statements still run under the timeout.
        assert_eq!(scalar(&mut c, "SELECT count(*) FROM n"), "3000");
    }
    // Through the extended protocol too.
    let e = c.query(LONG_QUERY, &[]).unwrap_err();
    assert_eq!(db_error(&e).0, "57014");
    // Inside a block: the block fails, ROLLBACK recovers.
    c.batch_execute("BEGIN").unwrap();
    assert_eq!(
        db_error(&c.simple_query(LONG_QUERY).unwrap_err()).0,
        "57014"
    );
    assert_eq!(
        db_error(&c.simple_query("SELECT 1").unwrap_err()).0,
        "25P02"
    );
    c.batch_execute("ROLLBACK; SET statement_timeout = 0")
        .unwrap();
    assert_eq!(scalar(&mut c, "SELECT 1"), "1");
}

#[test]
fn a_hundred_connections_at_once() {
    let srv = TestServer::start();
    srv.client()
        .batch_execute("CREATE TABLE t (id INT PRIMARY KEY)")
        .unwrap();
    let mut clients: Vec<Client> = (0..100).map(|_| srv.client()).collect();
    // Every session is live and independent: each inserts, then all read.
    for (i, c) in clients.iter_mut().enumerate() {
        c.execute("INSERT INTO t VALUES ($1)", &[&(i as i32)])
            .unwrap();
    }
    let threads: Vec<_> = clients
        .into_iter()
        .map(|mut c| thread::spawn(move || scalar(&mut c, "SELECT count(*) FROM t")))
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), "100");
    }
    srv.assert_no_panic();
}

/// A CancelRequest for `pid` with `key`, on a connection of its own.
fn send_cancel(port: u16, pid: i32, key: i32) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut m = 16i32.to_be_bytes().to_vec();
    m.extend_from_slice(&80_877_102i32.to_be_bytes());
    m.extend_from_slice(&pid.to_be_bytes());
    m.extend_from_slice(&key.to_be_bytes());
    s.write_all(&m).unwrap();
    // The server answers nothing and closes.
    let mut b = [0u8; 1];
    assert!(matches!(s.read(&mut b), Ok(0) | Err(_)));
}

#[test]
fn a_cancel_request_needs_the_right_secret_key() {
    let srv = TestServer::start();
    create_n(&mut srv.client());
    let mut r = server_support::raw::Raw::connect(srv.port);
    r.send_raw(&server_support::raw::startup_packet(&[("user", "driftdb")]));
    r.scram(srv.password()).unwrap();
    let msgs = r.until_ready();
    let k = msgs.iter().find(|m| m.tag == b'K').expect("BackendKeyData");
    let pid = i32::from_be_bytes(k.body[..4].try_into().unwrap());
    let key = i32::from_be_bytes(k.body[4..8].try_into().unwrap());
    let mut q = LONG_QUERY.as_bytes().to_vec();
    q.push(0);
    r.send(b'Q', &q);
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(r.until_ready()).unwrap());
    // Wrong keys, and the right key for another pid, cancel nothing.
    for (p, k) in [(pid, key.wrapping_add(1)), (pid, 0), (pid + 1, key)] {
        send_cancel(srv.port, p, k);
    }
    assert!(
        rx.recv_timeout(Duration::from_millis(700)).is_err(),
        "a wrong key must not cancel the query"
    );
    // The right one does (retried: the first may land before the query starts).
    let mut answer = None;
    for _ in 0..100 {
        send_cancel(srv.port, pid, key);
        if let Ok(msgs) = rx.recv_timeout(Duration::from_millis(300)) {
            answer = Some(msgs);
            break;
        }
    }
    let msgs = answer.expect("cancelled");
    let e = &msgs[msgs.len() - 2];
    assert_eq!(e.field(b'C').as_deref(), Some("57014"), "{msgs:?}");
}
