//! Authentication of the real server: SCRAM-SHA-256 and MD5, a wrong
//! password refused with 28P01 in PostgreSQL's words, a generated password
//! printed once and never stored in plaintext, SSLRequest answered `N`.

mod server_support;

use std::path::Path;

use postgres::NoTls;
use server_support::raw::{Raw, startup_packet, tags};
use server_support::{TestServer, db_error, scalar};

const REFUSED: &str = "password authentication failed for user \"driftdb\"";

fn assert_refused(srv: &TestServer, password: &str) {
    let mut cfg = srv.config();
    cfg.password(password);
    let e = cfg
        .connect(NoTls)
        .err()
        .expect("a wrong password is refused");
    assert_eq!(db_error(&e), ("28P01".to_string(), REFUSED.to_string()));
    assert_eq!(e.as_db_error().unwrap().severity(), "FATAL");
}

#[test]
fn wrong_password_is_refused_with_28p01() {
    let srv = TestServer::start();
    assert_refused(&srv, "not the password");
    assert_refused(&srv, "");
    // The same through psql.
    let out = std::process::Command::new("psql")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &srv.port.to_string(),
            "-U",
            "driftdb",
            "-d",
            "driftdb",
            "-c",
            "SELECT 1",
        ])
        .env("PGPASSWORD", "wrong")
        .output()
        .expect("psql");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("FATAL:  {REFUSED}")), "{stderr}");
    // The raw exchange: the ErrorResponse comes in place of SASLFinal.
    let mut r = Raw::connect(srv.port);
    r.send_raw(&startup_packet(&[
        ("user", "driftdb"),
        ("database", "driftdb"),
    ]));
    let e = r.scram("wrong").expect_err("refused");
    assert_eq!(e.field(b'C').as_deref(), Some("28P01"));
    assert!(r.closed(), "the connection ends after a failed login");
    // And the right password still works afterwards.
    assert_eq!(scalar(&mut srv.client(), "SELECT current_user"), "driftdb");
}

#[test]
fn md5_method_works_and_refuses_a_wrong_password() {
    let srv = TestServer::start_with_args(Some("md5 pw"), &["--auth-method", "md5"]);
    assert_eq!(scalar(&mut srv.client(), "SELECT 'md5 ok'"), "md5 ok");
    assert_refused(&srv, "md5 wrong");
    // The server asks for MD5 (AuthenticationMD5Password = 5).
    let mut r = Raw::connect(srv.port);
    r.send_raw(&startup_packet(&[("user", "driftdb")]));
    let m = r.recv();
    assert_eq!((m.tag, &m.body[..4]), (b'R', &5i32.to_be_bytes()[..]));
}

/// Every byte of every file under `dir`.
fn all_file_bytes(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_file_bytes(&p, out);
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
}

#[test]
fn a_generated_password_is_logged_once_works_and_is_not_stored() {
    let mut srv = TestServer::start_with(None);
    let log = srv.log();
    let marker = "generated password for user \"driftdb\": ";
    let line = log
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("{log}"));
    let pw = line
        .split(marker)
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    assert!(pw.len() >= 12, "a strong password: {pw:?}");
    srv.set_client_password(&pw);
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1)")
        .unwrap();
    drop(c);
    assert_refused(&srv, "driftdb");

    // A restart without DRIFTDB_PASSWORD keeps it and does not print it again.
    assert!(srv.terminate(std::time::Duration::from_secs(10)).success());
    let before = srv.log().len();
    srv.restart();
    let again = srv.log()[before..].to_string();
    assert!(!again.contains(&pw), "printed once only:\n{again}");
    assert!(!again.contains(marker), "{again}");
    assert_eq!(scalar(&mut srv.client(), "SELECT count(*) FROM t"), "1");

    // The data directory holds verifiers only, never the password.
    let mut files = Vec::new();
    all_file_bytes(srv.dir(), &mut files);
    assert!(
        files.iter().any(|(n, _)| n.ends_with("/auth")),
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (name, bytes) in &files {
        let found = bytes.windows(pw.len()).any(|w| w == pw.as_bytes());
        assert!(!found, "the plaintext password is in {name}");
    }
    let auth = std::fs::read_to_string(srv.dir().join("auth")).unwrap();
    assert!(auth.contains("SCRAM-SHA-256$"), "{auth}");
}

#[test]
fn ssl_request_is_answered_n_and_the_startup_continues() {
    let srv = TestServer::start();
    let mut r = Raw::connect(srv.port);
    // SSLRequest: length 8, code 80877103.
    r.send_raw(&[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    let mut n = [0u8; 1];
    std::io::Read::read_exact(&mut r.s, &mut n).unwrap();
    assert_eq!(&n, b"N");
    // Plain startup on the same connection.
    r.send_raw(&startup_packet(&[
        ("user", "driftdb"),
        ("database", "driftdb"),
    ]));
    r.scram(srv.password()).unwrap();
    let msgs = r.until_ready();
    assert!(tags(&msgs).contains('K'), "{msgs:?}");
    let status: Vec<String> = msgs
        .iter()
        .filter(|m| m.tag == b'S')
        .map(|m| String::from_utf8_lossy(&m.body).replace('\0', "="))
        .collect();
    assert!(
        status.contains(&"server_version=15.0=".to_string()),
        "{status:?}"
    );
    assert_eq!(tags(&r.query("SELECT 1")), "TDCZ");
    // The postgres crate with sslmode=prefer falls back to plain too.
    let mut cfg = srv.config();
    cfg.ssl_mode(postgres::config::SslMode::Prefer);
    assert_eq!(scalar(&mut cfg.connect(NoTls).unwrap(), "SELECT 2"), "2");
}
