//! Graceful shutdown: idle sessions get FATAL 57P01 at once, a statement
//! that ends within the grace period delivers its result first, a longer one
//! is cancelled after the grace period, the factory is told to shut down
//! (the database checkpoints), and `run` returns — all well within 10 s.

mod wire_support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use driftdb::server::{CANCEL_WAIT, GRACE};
use driftdb::wire::AuthMethod;
use wire_support::{Raw, TestServer, frame, tags};

#[test]
fn shutdown_is_graceful_and_bounded() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut idle = Raw::login(srv.addr);
    let mut in_block = Raw::login(srv.addr);
    assert_eq!(in_block.query("BEGIN").last().unwrap().body, b"T");
    let mut short = Raw::login(srv.addr);
    let mut long = Raw::login(srv.addr);
    short.send_raw(&frame(b'Q', b"SELECT sleep_short\0"));
    long.send_raw(&frame(b'Q', b"SELECT sleep\0"));
    std::thread::sleep(Duration::from_millis(100));

    let (addr, shutdowns) = (srv.addr, srv.factory.shutdowns.clone());
    let start = Instant::now();
    let stopper = std::thread::spawn(move || srv.stop());

    for r in [&mut idle, &mut in_block] {
        let e = r.recv();
        assert_eq!(e.field(b'C').as_deref(), Some("57P01"), "{e:?}");
        assert_eq!(e.field(b'S').as_deref(), Some("FATAL"));
        assert_eq!(
            e.field(b'M').as_deref(),
            Some("terminating connection due to administrator command")
        );
        assert!(r.closed());
    }
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "idle sessions end at once"
    );

    // The short statement finishes and its result arrives before the FATAL.
    let msgs = short.until_ready();
    assert_eq!(tags(&msgs), "TDCZ");
    assert_eq!(short.recv().field(b'C').as_deref(), Some("57P01"));

    // The long one is cancelled once the grace period is over.
    let msgs = long.until_ready();
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("57014"), "{msgs:?}");
    let waited = start.elapsed();
    assert!(
        waited >= GRACE && waited < GRACE + CANCEL_WAIT,
        "{waited:?}"
    );
    assert_eq!(long.recv().field(b'C').as_deref(), Some("57P01"));

    stopper.join().unwrap().unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(
        shutdowns.load(Ordering::SeqCst),
        1,
        "factory shut down once"
    );
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "no longer accepting"
    );
}

#[test]
fn shutdown_without_connections_is_immediate() {
    let srv = TestServer::start(AuthMethod::Scram);
    let shutdowns = srv.factory.shutdowns.clone();
    let start = Instant::now();
    srv.stop().unwrap();
    assert!(start.elapsed() < Duration::from_millis(500));
    assert_eq!(shutdowns.load(Ordering::SeqCst), 1);
}

#[test]
fn a_client_stalled_in_startup_does_not_delay_shutdown() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut half = Raw::connect(srv.addr);
    half.send_raw(&[0, 0, 0]); // a third of a startup length word
    let mut in_auth = Raw::connect(srv.addr);
    in_auth.send_raw(&wire_support::startup_packet(&[("user", "driftdb")]));
    assert_eq!(in_auth.recv().tag, b'R');
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    srv.stop().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    for r in [&mut half, &mut in_auth] {
        assert_eq!(r.recv().field(b'C').as_deref(), Some("57P01"));
        assert!(r.closed());
    }
}
