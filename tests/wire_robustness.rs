//! Hostile input: random bytes, truncated and oversized messages, absurd
//! counts, before and after login. Each bad connection must end (the server
//! closes it) without a panic anywhere, and the server must keep serving a
//! well-behaved client throughout.
//!
//! One test per binary on purpose: it installs a process-wide panic hook to
//! count panics in the server's connection threads (which the server would
//! otherwise catch and log).

mod wire_support;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use driftdb::wire::AuthMethod;
use wire_support::{Raw, TestServer, frame, startup_packet};

/// xorshift64*: deterministic, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Sends `data`, half-closes, and waits for the server to close its side.
fn throw(raw: &mut Raw, data: &[u8]) {
    let _ = raw.s.write_all(data);
    let _ = raw.s.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut buf = [0u8; 4096];
    loop {
        match raw.s.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
            Err(e) => panic!("server did not close the connection: {e}"),
        }
        assert!(Instant::now() < deadline, "server kept the connection open");
    }
}

/// A random message: a plausible tag with a random body, a length that
/// may lie, and sometimes absurd counts.
fn random_message(rng: &mut Rng) -> Vec<u8> {
    const TAGS: &[u8] = b"QPBDECHSXdcfFpz\0\xff";
    let tag = TAGS[rng.below(TAGS.len() as u64) as usize];
    let body_len = match rng.below(4) {
        0 => 0,
        1 => rng.below(8) as usize,
        _ => rng.below(200) as usize,
    };
    let mut body = rng.bytes(body_len);
    if rng.below(3) == 0 && body.len() >= 4 {
        // Counts of 0xFFFF and negative lengths where they matter.
        let at = rng.below(body.len() as u64 - 1) as usize;
        body[at] = 0xff;
        body[at + 1] = 0xff;
    }
    let mut m = frame(tag, &body);
    match rng.below(6) {
        0 => m[1..5].copy_from_slice(&(rng.next() as i32).to_be_bytes()),
        1 => m.truncate(rng.below(m.len() as u64 + 1) as usize),
        _ => {}
    }
    m
}

fn assert_serving(srv: &TestServer) {
    let mut r = Raw::login(srv.addr);
    let msgs = r.query("SELECT 1");
    assert_eq!(wire_support::tags(&msgs), "TDCZ");
}

#[test]
fn hostile_input_never_takes_the_server_down() {
    let panics = Arc::new(AtomicUsize::new(0));
    let counter = panics.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counter.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));

    let srv = TestServer::start(AuthMethod::Scram);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    // Random bytes instead of a startup packet.
    for i in 0..60 {
        let mut r = Raw::connect(srv.addr);
        let n = rng.below(64) as usize + i % 3;
        let data = rng.bytes(n);
        throw(&mut r, &data);
    }
    // Startup packets with lying lengths, unterminated parameters, and the
    // oversized limit.
    for len in [0i32, 3, 7, 8, 9, 10_001, i32::MAX, -1] {
        let mut r = Raw::connect(srv.addr);
        let mut p = len.to_be_bytes().to_vec();
        p.extend_from_slice(&(3i32 << 16).to_be_bytes());
        p.extend_from_slice(b"user\0driftdb");
        throw(&mut r, &p);
    }
    assert_serving(&srv);

    // Garbage during authentication.
    for _ in 0..20 {
        let mut r = Raw::connect(srv.addr);
        r.send_raw(&startup_packet(&[("user", "driftdb")]));
        let m = random_message(&mut rng);
        throw(&mut r, &m);
    }
    assert_serving(&srv);

    // Before authentication, messages are limited to 64 KiB.
    let mut r = Raw::connect(srv.addr);
    r.send_raw(&startup_packet(&[("user", "driftdb")]));
    assert_eq!(r.recv().tag, b'R');
    let mut m = vec![b'p'];
    m.extend_from_slice(&100_000i32.to_be_bytes());
    r.send_raw(&m);
    assert_eq!(r.recv().field(b'C').as_deref(), Some("08P01"));
    assert!(r.closed());

    // Garbage after login: bursts of random messages on live sessions.
    for round in 0..120 {
        let mut r = Raw::login(srv.addr);
        let mut burst = Vec::new();
        for _ in 0..rng.below(6) + 1 {
            burst.extend(random_message(&mut rng));
        }
        throw(&mut r, &burst);
        if round % 20 == 0 {
            assert_serving(&srv);
        }
    }

    // A message announcing 1 GiB + 1, and one announcing exactly 1 GiB
    // followed by silence: neither may make the server allocate it.
    let mut r = Raw::login(srv.addr);
    let mut m = vec![b'Q'];
    m.extend_from_slice(&((1i32 << 30) + 1).to_be_bytes());
    r.send_raw(&m);
    let e = r.recv();
    assert_eq!(e.field(b'C').as_deref(), Some("08P01"));
    assert!(r.closed());
    let mut r = Raw::login(srv.addr);
    let mut m = vec![b'd'];
    m.extend_from_slice(&(1i32 << 30).to_be_bytes());
    m.extend_from_slice(b"only this");
    throw(&mut r, &m);

    // A Bind whose parameter count promises more than the message holds.
    let mut r = Raw::login(srv.addr);
    let mut body = b"\0\0\0\0".to_vec();
    body.extend_from_slice(&[0xff, 0xff]);
    r.send_raw(&frame(b'B', &body));
    let e = r.recv();
    assert_eq!(e.field(b'C').as_deref(), Some("08P01"));
    assert!(r.closed());

    assert_serving(&srv);
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a thread panicked");
    srv.stop().unwrap();
}
