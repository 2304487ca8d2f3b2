//! Byte-level protocol behavior over a raw socket: startup variants,
//! pipelining, error recovery until Sync, Describe, row limits, COPY,
//! transaction status, and the messages PostgreSQL ignores or refuses.

mod wire_support;

use std::io::Read;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use driftdb::wire::AuthMethod;
use wire_support::{Raw, TestServer, frame, startup_packet, tags};

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn parse(name: &str, sql: &str, oids: &[u32]) -> Vec<u8> {
    let mut b = cstr(name);
    b.extend(cstr(sql));
    b.extend_from_slice(&(oids.len() as i16).to_be_bytes());
    for o in oids {
        b.extend_from_slice(&o.to_be_bytes());
    }
    frame(b'P', &b)
}

/// Bind with all-binary int4 parameters and the given result formats.
fn bind_i32(portal: &str, stmt: &str, params: &[i32], result_formats: &[i16]) -> Vec<u8> {
    let mut b = cstr(portal);
    b.extend(cstr(stmt));
    b.extend_from_slice(&[0, 1, 0, 1]);
    b.extend_from_slice(&(params.len() as i16).to_be_bytes());
    for p in params {
        b.extend_from_slice(&4i32.to_be_bytes());
        b.extend_from_slice(&p.to_be_bytes());
    }
    b.extend_from_slice(&(result_formats.len() as i16).to_be_bytes());
    for f in result_formats {
        b.extend_from_slice(&f.to_be_bytes());
    }
    frame(b'B', &b)
}

fn execute(portal: &str, max_rows: i32) -> Vec<u8> {
    let mut b = cstr(portal);
    b.extend_from_slice(&max_rows.to_be_bytes());
    frame(b'E', &b)
}

fn sync() -> Vec<u8> {
    frame(b'S', b"")
}

/// The value bytes of a one-column DataRow.
fn cell(m: &wire_support::Msg) -> Option<Vec<u8>> {
    assert_eq!(m.tag, b'D');
    let len = i32::from_be_bytes(m.body[2..6].try_into().unwrap());
    (len >= 0).then(|| m.body[6..6 + len as usize].to_vec())
}

#[test]
fn ssl_and_gssenc_requests_get_n() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::connect(srv.addr);
    let mut ssl = 8i32.to_be_bytes().to_vec();
    ssl.extend_from_slice(&80877103i32.to_be_bytes());
    r.send_raw(&ssl);
    let mut b = [0u8; 1];
    r.s.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"N");
    let mut gss = 8i32.to_be_bytes().to_vec();
    gss.extend_from_slice(&80877104i32.to_be_bytes());
    r.send_raw(&gss);
    r.s.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"N");
    r.send_raw(&startup_packet(&[
        ("user", "driftdb"),
        ("application_name", "raw"),
    ]));
    r.scram(wire_support::PASSWORD).unwrap();
    let msgs = r.until_ready();
    let statuses: Vec<String> = msgs
        .iter()
        .filter(|m| m.tag == b'S')
        .map(|m| String::from_utf8_lossy(&m.body).replace('\0', "="))
        .collect();
    for want in [
        "server_version=15.0=",
        "server_encoding=UTF8=",
        "client_encoding=UTF8=",
        "DateStyle=ISO, MDY=",
        "integer_datetimes=on=",
        "standard_conforming_strings=on=",
        "application_name=raw=",
        "in_hot_standby=off=",
    ] {
        assert!(statuses.iter().any(|s| s == want), "{want} in {statuses:?}");
    }
    assert_eq!(tags(&msgs[msgs.len() - 2..]), "KZ");
    assert_eq!(msgs.last().unwrap().body, b"I");
}

#[test]
fn unsupported_protocol_and_newer_minor() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::connect(srv.addr);
    let mut p = startup_packet(&[("user", "driftdb")]);
    p[4..8].copy_from_slice(&(2i32 << 16).to_be_bytes());
    r.send_raw(&p);
    let e = r.recv();
    assert_eq!(e.tag, b'E');
    assert_eq!(e.field(b'C').as_deref(), Some("0A000"));
    assert_eq!(e.field(b'S').as_deref(), Some("FATAL"));
    assert!(r.closed());

    let mut r = Raw::connect(srv.addr);
    let mut p = startup_packet(&[("user", "driftdb"), ("_pq_.future", "1")]);
    p[4..8].copy_from_slice(&((3i32 << 16) | 2).to_be_bytes());
    r.send_raw(&p);
    let v = r.recv();
    assert_eq!(v.tag, b'v');
    assert_eq!(
        &v.body[..8],
        &[0, 3, 0, 0, 0, 0, 0, 1],
        "3.0, as PostgreSQL sends it"
    );
    assert_eq!(&v.body[8..], b"_pq_.future\0");
    r.scram(wire_support::PASSWORD).unwrap();
    r.until_ready();
    assert_eq!(tags(&r.query("SELECT 1")), "TDCZ");
}

#[test]
fn pipelined_extended_queries() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::login(srv.addr);
    let mut batch = parse("", "SELECT $1::int4", &[23]);
    batch.extend(bind_i32("", "", &[5], &[1]));
    batch.extend(execute("", 0));
    batch.extend(bind_i32("", "", &[7], &[0]));
    batch.extend(execute("", 0));
    batch.extend(sync());
    r.send_raw(&batch);
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "12DC2DCZ");
    assert_eq!(
        cell(&msgs[2]),
        Some(5i32.to_be_bytes().to_vec()),
        "binary result"
    );
    assert_eq!(cell(&msgs[5]), Some(b"7".to_vec()), "text result");
    assert_eq!(String::from_utf8_lossy(&msgs[3].body), "SELECT 1\0");
}

#[test]
fn error_skips_until_sync() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::login(srv.addr);
    let mut batch = parse("", "bad", &[]);
    batch.extend(bind_i32("", "", &[], &[]));
    batch.extend(execute("", 0));
    batch.extend(frame(b'Q', b"SELECT 1\0"));
    batch.extend(sync());
    r.send_raw(&batch);
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "EZ");
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("42601"));
    assert_eq!(msgs[0].field(b'V').as_deref(), Some("ERROR"));
    assert_eq!(msgs[0].field(b'P').as_deref(), Some("1"));
    // A missing portal, then everything after it up to Sync is skipped.
    let mut batch = execute("nope", 0);
    batch.extend(parse("", "SELECT 1", &[]));
    batch.extend(sync());
    batch.extend(parse("", "SELECT 1", &[]));
    batch.extend(sync());
    r.send_raw(&batch);
    assert_eq!(tags(&r.until_ready()), "EZ");
    assert_eq!(tags(&r.until_ready()), "1Z");
}

#[test]
fn describe_close_and_flush() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::login(srv.addr);
    r.send_raw(&parse("s1", "SELECT $1::int4, $2", &[0, 25]));
    r.send_raw(&frame(b'D', b"Ss1\0"));
    r.send_raw(&frame(b'H', b""));
    let (p, t, rd) = (r.recv(), r.recv(), r.recv());
    assert_eq!((p.tag, t.tag, rd.tag), (b'1', b't', b'T'));
    let mut want = vec![0, 2];
    want.extend_from_slice(&23u32.to_be_bytes());
    want.extend_from_slice(&25u32.to_be_bytes());
    assert_eq!(t.body, want);
    // Describe portal reports the bound result formats.
    let mut batch = bind_i32("p1", "s1", &[1, 2], &[1]);
    batch.extend(frame(b'D', b"Pp1\0"));
    batch.extend(frame(b'C', b"Ss1\0"));
    batch.extend(frame(b'C', b"Pp1\0"));
    batch.extend(parse("s2", "BEGIN", &[]));
    batch.extend(frame(b'D', b"Ss2\0"));
    batch.extend(frame(b'D', b"Snope\0"));
    batch.extend(sync());
    r.send_raw(&batch);
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "2T331tnEZ");
    let rd = &msgs[1];
    assert_eq!(&rd.body[rd.body.len() - 2..], &[0, 1], "binary format code");
    assert_eq!(msgs[5].body, vec![0, 0], "no parameters");
}

#[test]
fn row_limits_suspend_the_portal() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::login(srv.addr);
    let mut batch = frame(b'Q', b"BEGIN\0");
    batch.extend(parse("", "SELECT generate_series(1, 5)", &[]));
    batch.extend(bind_i32("c", "", &[], &[]));
    batch.extend(execute("c", 2));
    batch.extend(execute("c", 2));
    batch.extend(execute("c", 0));
    batch.extend(sync());
    r.send_raw(&batch);
    let first = r.until_ready();
    assert_eq!(tags(&first), "CZ");
    assert_eq!(first[1].body, b"T");
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "12DDsDDsDCZ");
    assert_eq!(cell(&msgs[8]), Some(b"5".to_vec()));
}

#[test]
fn simple_query_edge_cases() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::login(srv.addr);
    assert_eq!(tags(&r.query("")), "IZ");
    assert_eq!(tags(&r.query(" ; ")), "IZ");
    let msgs = r.query("BEGIN");
    assert_eq!(msgs.last().unwrap().body, b"T");
    let msgs = r.query("bad");
    assert_eq!(tags(&msgs), "EZ");
    assert_eq!(msgs[1].body, b"E", "failed transaction block");
    let msgs = r.query("ROLLBACK");
    assert_eq!(msgs.last().unwrap().body, b"I");
    let msgs = r.query("NOTICE");
    assert_eq!(tags(&msgs), "NCZ");
    assert_eq!(msgs[0].field(b'S').as_deref(), Some("NOTICE"));
    let msgs = r.query("SET application_name = 'x'");
    assert_eq!(tags(&msgs), "SCZ");
    // Stray COPY messages are ignored; a fast-path call is refused.
    r.send_raw(&frame(b'd', b"junk"));
    r.send_raw(&frame(b'c', b""));
    r.send_raw(&frame(b'F', b"whatever"));
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "EZ");
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("0A000"));
}

#[test]
fn copy_in_and_out() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::login(srv.addr);
    r.send_raw(&frame(b'Q', b"COPY t FROM STDIN\0"));
    let g = r.recv();
    assert_eq!(g.tag, b'G');
    assert_eq!(g.body, vec![0, 0, 2, 0, 0, 0, 0]);
    r.send_raw(&frame(b'd', b"1\ta\n2\tb"));
    r.send_raw(&frame(b'd', b"\n3\tc\n"));
    r.send_raw(&frame(b'c', b""));
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "CZ");
    assert_eq!(msgs[0].body, b"COPY 3\0");

    r.send_raw(&frame(b'Q', b"COPY t FROM STDIN\0"));
    assert_eq!(r.recv().tag, b'G');
    r.send_raw(&frame(b'd', b"1\ta\n"));
    r.send_raw(&frame(b'f', b"boom\0"));
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "EZ");
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("57014"));
    assert_eq!(
        msgs[0].field(b'M').as_deref(),
        Some("COPY from stdin failed: boom")
    );

    let msgs = r.query("COPY t TO STDOUT");
    assert_eq!(tags(&msgs), "HddcCZ");
    assert_eq!(msgs[1].body, b"1\ta\n");
}

#[test]
fn terminate_and_eof_end_the_session() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::login(srv.addr);
    r.send_raw(&frame(b'X', b""));
    assert!(r.closed());
    let r2 = Raw::login(srv.addr);
    drop(r2);
    let deadline = Instant::now() + Duration::from_secs(5);
    while srv.factory.terminated.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "backends not terminated");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn backend_refusal_and_protocol_violations_are_fatal() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::connect(srv.addr);
    r.send_raw(&startup_packet(&[
        ("user", "driftdb"),
        ("application_name", "refuse"),
    ]));
    r.scram(wire_support::PASSWORD).unwrap();
    let e = r.recv();
    assert_eq!(e.field(b'C').as_deref(), Some("22023"));
    assert_eq!(e.field(b'S').as_deref(), Some("FATAL"));
    assert!(r.closed());

    // A Query where the SASL response belongs.
    let mut r = Raw::connect(srv.addr);
    r.send_raw(&startup_packet(&[("user", "driftdb")]));
    assert_eq!(r.recv().tag, b'R');
    r.send_raw(&frame(b'Q', b"SELECT 1\0"));
    let e = r.recv();
    assert_eq!(e.field(b'C').as_deref(), Some("08P01"));
    assert!(r.closed());

    // An unknown message type after login.
    let mut r = Raw::login(srv.addr);
    r.send_raw(&frame(b'z', b""));
    let e = r.recv();
    assert_eq!(e.field(b'C').as_deref(), Some("08P01"));
    assert_eq!(
        e.field(b'M').as_deref(),
        Some("invalid frontend message type 122")
    );
    assert!(r.closed());
}

#[test]
fn wrong_password_over_raw_scram() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::connect(srv.addr);
    r.send_raw(&startup_packet(&[("user", "driftdb")]));
    let e = r.scram("not it").unwrap_err();
    assert_eq!(e.field(b'C').as_deref(), Some("28P01"));
    assert_eq!(e.field(b'S').as_deref(), Some("FATAL"));
    assert!(r.closed());
}

#[test]
fn invalid_utf8_is_an_error_not_a_disconnect() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut r = Raw::login(srv.addr);
    r.send_raw(&frame(b'Q', b"SELECT '\xff'\0"));
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "EZ");
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("22021"));
    assert_eq!(
        msgs[0].field(b'M').as_deref(),
        Some("invalid byte sequence for encoding \"UTF8\": 0xff")
    );
    let mut batch = frame(b'P', b"\0SELECT '\xc3'\0\0\0");
    batch.extend(bind_i32("", "", &[], &[]));
    batch.extend(sync());
    r.send_raw(&batch);
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "EZ");
    assert_eq!(tags(&r.query("SELECT 1")), "TDCZ");
}

/// A client that connects and says nothing, or stops halfway through
/// authentication, is dropped after the authentication timeout; an
/// authenticated session may stay idle for as long as it likes.
#[test]
fn authentication_timeout() {
    let srv = TestServer::start_with(AuthMethod::Scram, Duration::from_millis(300));
    let mut silent = Raw::connect(srv.addr);
    let mut halfway = Raw::connect(srv.addr);
    halfway.send_raw(&startup_packet(&[("user", "driftdb")]));
    assert_eq!(halfway.recv().tag, b'R');
    let mut idle = Raw::login(srv.addr);
    let start = Instant::now();
    assert!(silent.closed());
    assert!(halfway.closed());
    assert!(start.elapsed() < Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(wire_support::tags(&idle.query("SELECT 1")), "TDCZ");
}
