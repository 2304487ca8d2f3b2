//! Bad protocol input against the real server: a malformed, truncated or
//! oversized message ends only the connection that sent it (with an
//! ErrorResponse where one can be sent), whatever that connection was doing;
//! every other connection keeps working and the process never panics.

mod server_support;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;

use server_support::raw::{Raw, cstr, frame, startup_packet, status, tags};
use server_support::{TestServer, lines, scalar};

/// What a bad connection sends after logging in.
fn after_login() -> Vec<(&'static str, Vec<u8>)> {
    let mut absurd_bind = cstr("");
    absurd_bind.extend(cstr(""));
    absurd_bind.extend_from_slice(&i16::MAX.to_be_bytes()); // 32767 format codes, none sent
    let mut neg_params = cstr("");
    neg_params.extend(cstr(""));
    neg_params.extend_from_slice(&0i16.to_be_bytes());
    neg_params.extend_from_slice(&1i16.to_be_bytes());
    neg_params.extend_from_slice(&(-7i32).to_be_bytes()); // a negative length other than -1
    vec![
        ("length below 4", vec![b'Q', 0, 0, 0, 3]),
        ("negative length", vec![b'Q', 0xff, 0xff, 0xff, 0xf0]),
        ("2 GiB length", vec![b'Q', 0x7f, 0xff, 0xff, 0xff, b'S']),
        ("1 GiB + 1 length", {
            let mut v = vec![b'P'];
            v.extend_from_slice(&((1i32 << 30) + 1).to_be_bytes());
            v
        }),
        ("unknown message type", frame(b'!', b"hello")),
        ("query without its NUL", frame(b'Q', b"SELECT 1")),
        ("truncated parse", frame(b'P', b"stmt\0SELECT")),
        ("absurd bind counts", frame(b'B', &absurd_bind)),
        ("negative parameter length", frame(b'B', &neg_params)),
        ("describe of an unknown kind", frame(b'D', b"Xname\0")),
        ("execute too short", frame(b'E', b"\0\0")),
        ("invalid UTF-8 query", frame(b'Q', b"SELECT '\xff\xfe'\0")),
        (
            "startup message after login",
            startup_packet(&[("user", "driftdb")]),
        ),
    ]
}

/// Sends `bytes` and then a Sync, and reads until the server closes the
/// connection or answers with ReadyForQuery; returns the message types that
/// came back and whether it closed. Panics if it does neither: waiting for
/// the rest of an impossible message would hang that connection.
fn throw(r: &mut Raw, bytes: &[u8]) -> (Vec<u8>, bool) {
    let _ = r.s.write_all(bytes);
    let _ = r.s.write_all(&frame(b'S', &[]));
    let mut got = Vec::new();
    loop {
        let mut head = [0u8; 5];
        match r.s.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the server neither answered nor closed: {got:?}")
            }
            Err(_) => return (got, true),
        }
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0; len.saturating_sub(4)];
        if r.s.read_exact(&mut body).is_err() {
            return (got, true);
        }
        got.push(head[0]);
        if head[0] == b'Z' {
            return (got, false);
        }
    }
}

#[test]
fn a_bad_message_ends_only_its_own_connection() {
    let srv = TestServer::start();
    let mut good = srv.client();
    good.batch_execute("CREATE TABLE t (id INT PRIMARY KEY)")
        .unwrap();
    for (i, (what, bytes)) in after_login().into_iter().enumerate() {
        let mut bad = srv.raw();
        // The bad connection holds the write path when it misbehaves.
        assert_eq!(status(&bad.query("BEGIN")), 'T');
        assert_eq!(
            tags(&bad.query(&format!("INSERT INTO t VALUES ({})", 1000 + i))),
            "CZ"
        );
        let (got, closed) = throw(&mut bad, &bytes);
        if closed {
            // An ErrorResponse first, where the server could send one.
            assert!(got.iter().all(|t| *t == b'E'), "{what}: {got:?}");
        } else {
            // Errors the protocol lets a session survive: reported, then Ready.
            assert!(got.contains(&b'E'), "{what}: {got:?}");
            // (The extra Sync may have earned an extra ReadyForQuery.)
            bad.send(b'Q', &cstr("ROLLBACK"));
            let mut rest = bad.until_ready();
            if tags(&rest) == "Z" {
                rest = bad.until_ready();
            }
            assert_eq!(tags(&rest), "CZ", "{what}");
            assert_eq!(rest[0].command_tag(), "ROLLBACK", "{what}");
        }
        drop(bad);
        // The good connection is unaffected, and can write: the bad one's
        // transaction was rolled back and the write path released.
        good.batch_execute(&format!("INSERT INTO t VALUES ({i})"))
            .unwrap();
        assert_eq!(
            scalar(&mut good, "SELECT count(*) FROM t"),
            (i + 1).to_string(),
            "after {what}"
        );
    }
    assert_eq!(
        scalar(&mut good, "SELECT count(*) FROM t WHERE id >= 1000"),
        "0"
    );
    srv.assert_no_panic();
}

#[test]
fn garbage_before_login_and_truncated_messages() {
    let srv = TestServer::start();
    let mut good = srv.client();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "http request",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "huge startup length",
            vec![0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0],
        ),
        ("tiny startup length", vec![0, 0, 0, 2]),
        ("unknown protocol version", {
            let mut p = startup_packet(&[("user", "driftdb")]);
            p[4..8].copy_from_slice(&(9i32 << 16).to_be_bytes());
            p
        }),
        ("startup without a terminator", {
            let mut body = (3i32 << 16).to_be_bytes().to_vec();
            body.extend_from_slice(b"user\0driftdb");
            let mut p = ((body.len() + 4) as i32).to_be_bytes().to_vec();
            p.extend(body);
            p
        }),
        ("200 KiB startup", {
            let big = "x".repeat(200 << 10);
            startup_packet(&[("user", "driftdb"), ("application_name", &big)])
        }),
        ("password message before startup", frame(b'p', b"secret\0")),
    ];
    for (what, bytes) in cases {
        let mut r = Raw::connect(srv.port);
        let _ = r.s.write_all(&bytes);
        assert!(r.closed(), "{what}: the server closes the connection");
        assert_eq!(scalar(&mut good, "SELECT 1"), "1", "after {what}");
    }
    // A message cut short, then the client goes away.
    let mut r = srv.raw();
    r.send_raw(&[b'Q', 0, 0, 0, 100]);
    r.send_raw(b"SELECT");
    r.s.shutdown(Shutdown::Write).unwrap();
    assert!(r.closed());
    // Random bytes after login, from a fixed seed.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20 {
        let mut r = srv.raw();
        let bytes: Vec<u8> = (0..512)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let _ = r.s.write_all(&bytes);
        let _ = r.s.shutdown(Shutdown::Write);
        assert!(r.closed());
    }
    assert_eq!(lines(&mut good, "SELECT 'still here'"), ["still here"]);
    // New connections are still accepted.
    assert_eq!(scalar(&mut srv.client(), "SELECT 2"), "2");
    srv.assert_no_panic();
}
