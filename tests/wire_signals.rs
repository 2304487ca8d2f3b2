//! SIGTERM and SIGINT stop the server gracefully (its own test binary: it
//! sends signals to its own process).

mod wire_support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use driftdb::server::stop_on_signals;
use driftdb::wire::AuthMethod;
use signal_hook::consts::SIGTERM;
use wire_support::{Raw, TestServer};

#[test]
fn sigterm_shuts_down_gracefully() {
    let srv = TestServer::start(AuthMethod::Scram);
    stop_on_signals(srv.handle.clone()).unwrap();
    let mut idle = Raw::login(srv.addr);
    let shutdowns = srv.factory.shutdowns.clone();
    let start = Instant::now();
    signal_hook::low_level::raise(SIGTERM).unwrap();
    let e = idle.recv();
    assert_eq!(e.field(b'C').as_deref(), Some("57P01"));
    srv.join().unwrap();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(shutdowns.load(Ordering::SeqCst), 1);
}
