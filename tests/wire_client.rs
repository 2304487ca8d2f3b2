//! The wire layer against real clients: the `postgres` crate (SCRAM,
//! simple and extended protocol, binary parameters, prepared statements,
//! portals with row limits, cancel) and psql, over the mock backend.

mod wire_support;

use std::process::Command;
use std::time::{Duration, Instant};

use driftdb::wire::AuthMethod;
use postgres::error::SqlState;
use postgres::{NoTls, SimpleQueryMessage};
use wire_support::{PASSWORD, TestServer};

#[test]
fn simple_query_select_1() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut c = srv.client();
    let msgs = c.simple_query("SELECT 1").unwrap();
    let SimpleQueryMessage::Row(row) = &msgs[1] else {
        panic!("expected a row, got {msgs:?}");
    };
    assert_eq!(row.get(0), Some("1"));
    assert_eq!(row.columns()[0].name(), "?column?");
    assert!(matches!(msgs[2], SimpleQueryMessage::CommandComplete(1)));
    // Several statements in one string, and NULL.
    let msgs = c.simple_query("SELECT 'a'; SELECT NULL").unwrap();
    let rows: Vec<_> = msgs
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
            _ => None,
        })
        .collect();
    assert_eq!(rows, vec![Some("a".to_string()), None]);
}

#[test]
fn errors_keep_the_connection_usable() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut c = srv.client();
    let e = c.simple_query("bad").unwrap_err();
    let db = e.as_db_error().expect("a server error");
    assert_eq!(db.code(), &SqlState::SYNTAX_ERROR);
    assert_eq!(db.message(), "syntax error at or near \"bad\"");
    assert_eq!(db.severity(), "ERROR");
    assert!(matches!(
        db.position(),
        Some(postgres::error::ErrorPosition::Original(1))
    ));
    // Extended protocol error, then the connection still works.
    let e = c.prepare("bad").unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::SYNTAX_ERROR));
    assert_eq!(c.query_one("SELECT 1", &[]).unwrap().get::<_, i32>(0), 1);
}

#[test]
fn extended_query_with_binary_params() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut c = srv.client();
    let row = c
        .query_one(
            "SELECT $1::int4, $2::int8, $3::text",
            &[&42i32, &-7i64, &"Zoë 東京"],
        )
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 42);
    assert_eq!(row.get::<_, i64>(1), -7);
    assert_eq!(row.get::<_, &str>(2), "Zoë 東京");
    let none: Option<i32> = None;
    let row = c.query_one("SELECT $1::int4", &[&none]).unwrap();
    assert_eq!(row.get::<_, Option<i32>>(0), None);
}

#[test]
fn prepared_statements_are_reused() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut c = srv.client();
    let st = c.prepare("SELECT $1::int4").unwrap();
    assert_eq!(st.params(), &[postgres::types::Type::INT4]);
    assert_eq!(st.columns()[0].type_(), &postgres::types::Type::INT4);
    for i in 0..20 {
        let v: i32 = c.query_one(&st, &[&i]).unwrap().get(0);
        assert_eq!(v, i);
    }
    let rows = c.query("SELECT generate_series(1, 1000)", &[]).unwrap();
    assert_eq!(rows.len(), 1000);
    assert_eq!(rows[999].get::<_, i32>(0), 1000);
}

#[test]
fn portals_return_rows_in_batches() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut c = srv.client();
    let mut tx = c.transaction().unwrap();
    let portal = tx.bind("SELECT generate_series(1, 10)", &[]).unwrap();
    let mut sizes = Vec::new();
    let mut all = Vec::new();
    loop {
        let rows = tx.query_portal(&portal, 3).unwrap();
        sizes.push(rows.len());
        all.extend(rows.iter().map(|r| r.get::<_, i32>(0)));
        if rows.is_empty() {
            break;
        }
    }
    assert_eq!(sizes, vec![3, 3, 3, 1, 0]);
    assert_eq!(all, (1..=10).collect::<Vec<_>>());
    tx.commit().unwrap();
}

#[test]
fn transaction_status_follows_the_backend() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut c = srv.client();
    c.batch_execute("BEGIN").unwrap();
    assert!(c.batch_execute("bad").is_err());
    let e = c.batch_execute("SELECT 1").unwrap_err();
    assert_eq!(e.code(), Some(&SqlState::IN_FAILED_SQL_TRANSACTION));
    c.batch_execute("ROLLBACK").unwrap();
    c.batch_execute("SELECT 1").unwrap();
}

#[test]
fn wrong_password_is_28p01() {
    let srv = TestServer::start(AuthMethod::Scram);
    let e = srv
        .config()
        .password("wrong")
        .connect(NoTls)
        .err()
        .expect("login must fail");
    let db = e.as_db_error().expect("a server error");
    assert_eq!(db.code(), &SqlState::INVALID_PASSWORD);
    assert_eq!(db.severity(), "FATAL");
    assert_eq!(
        db.message(),
        "password authentication failed for user \"driftdb\""
    );
    // The server still serves the right password.
    srv.client().simple_query("SELECT 1").unwrap();
}

#[test]
fn md5_method_works_and_refuses_wrong_password() {
    let srv = TestServer::start(AuthMethod::Md5);
    srv.client().simple_query("SELECT 1").unwrap();
    let e = srv.config().password("nope").connect(NoTls).err().unwrap();
    assert_eq!(e.code(), Some(&SqlState::INVALID_PASSWORD));
}

#[test]
fn unknown_role_and_database() {
    let srv = TestServer::start(AuthMethod::Scram);
    let e = srv.config().user("bob").connect(NoTls).err().unwrap();
    assert_eq!(
        e.code(),
        Some(&SqlState::INVALID_AUTHORIZATION_SPECIFICATION)
    );
    assert_eq!(
        e.as_db_error().unwrap().message(),
        "role \"bob\" does not exist"
    );
    let e = srv.config().dbname("other").connect(NoTls).err().unwrap();
    assert_eq!(e.code(), Some(&SqlState::INVALID_CATALOG_NAME));
    assert_eq!(
        e.as_db_error().unwrap().message(),
        "database \"other\" does not exist"
    );
}

#[test]
fn cancel_request_stops_a_running_statement() {
    let srv = TestServer::start(AuthMethod::Scram);
    let mut c = srv.client();
    let token = c.cancel_token();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        token.cancel_query(NoTls).unwrap();
    });
    let start = Instant::now();
    let e = c.simple_query("SELECT sleep").unwrap_err();
    canceller.join().unwrap();
    assert_eq!(e.code(), Some(&SqlState::QUERY_CANCELED));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    // The session goes on.
    c.simple_query("SELECT 1").unwrap();
}

#[test]
fn many_concurrent_connections() {
    let srv = TestServer::start(AuthMethod::Scram);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let cfg = srv.config();
            std::thread::spawn(move || {
                let mut c = cfg.connect(NoTls).unwrap();
                for i in 0..50 {
                    let v: i32 = c.query_one("SELECT $1::int4", &[&i]).unwrap().get(0);
                    assert_eq!(v, i);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// psql (libpq, sslmode=prefer: SSLRequest first) against the mock.
#[test]
fn psql_select_1() {
    let srv = TestServer::start(AuthMethod::Scram);
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-p", &srv.addr.port().to_string()])
        .args([
            "-U", "driftdb", "-d", "driftdb", "-X", "-A", "-t", "-c", "SELECT 1",
        ])
        .env("PGPASSWORD", PASSWORD)
        .env("PGSSLMODE", "prefer")
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .expect("psql is installed");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");

    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-p", &srv.addr.port().to_string()])
        .args(["-U", "driftdb", "-d", "driftdb", "-X", "-c", "SELECT 1"])
        .env("PGPASSWORD", "wrong")
        .env("PGCONNECT_TIMEOUT", "10")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("password authentication failed for user \"driftdb\""),
        "{err}"
    );
}

/// psql's COPY paths and notices, through the same mock.
#[test]
fn psql_copy_and_notice() {
    let srv = TestServer::start(AuthMethod::Scram);
    let port = srv.addr.port().to_string();
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "driftdb",
                "-d",
                "driftdb",
                "-X",
            ])
            .args(args)
            .env("PGPASSWORD", PASSWORD)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = run(&["-c", "COPY t FROM STDIN"], "1\ta\n2\tb\n3\tc\n\\.\n");
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "COPY 3");
    let (ok, stdout, _) = run(&["-c", "COPY t TO STDOUT"], "");
    assert!(ok);
    assert_eq!(stdout, "1\ta\n2\tb\n");
    let (ok, _, stderr) = run(&["-c", "NOTICE"], "");
    assert!(ok);
    assert!(
        stderr.contains("NOTICE:  table \"x\" does not exist, skipping"),
        "{stderr}"
    );
}
