//! The README quick start, verbatim, through psql against the real server
//! binary: the exact output psql prints, as it would against PostgreSQL.

mod server_support;

use server_support::TestServer;

/// The quick start of the README and issue 2, word for word.
const QUICK_START: &str = "\
CREATE TABLE events (id INT PRIMARY KEY, data VARCHAR);
INSERT INTO events (id, data) VALUES (1, 'original');
UPDATE events SET data = 'modified' WHERE id = 1;
SELECT * FROM events FOR SYSTEM_TIME AS OF @SEQ:1;  -- shows 'original'
SELECT * FROM events;                                 -- shows 'modified'
";

/// What psql 15 prints for it against PostgreSQL (with `FOR SYSTEM_TIME`
/// being ours): tags, aligned tables, row counts.
const EXPECTED: &str = "\
CREATE TABLE
INSERT 0 1
UPDATE 1
 id |   data   \n\
----+----------
  1 | original
(1 row)

 id |   data   \n\
----+----------
  1 | modified
(1 row)

";

#[test]
fn quick_start_verbatim_through_psql() {
    let srv = TestServer::start();
    let out = srv.psql(&["-v", "ON_ERROR_STOP=1"], QUICK_START);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "psql failed: {stderr}\n{stdout}");
    assert_eq!(stdout, EXPECTED, "stderr: {stderr}");
    assert_eq!(stderr, "");
    // The data survives the psql session, and the INSERT was seq 1.
    let out = srv.psql(&["-A", "-t", "-c", "SELECT driftdb_current_seq()"], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n");
    srv.assert_no_panic();
}

#[test]
fn psql_reports_errors_and_keeps_going() {
    let srv = TestServer::start();
    let script = "\
SELECT * FROM nosuch;
CREATE TABLE t (a INT PRIMARY KEY);
INSERT INTO t VALUES (1), (2);
INSERT INTO t VALUES (2);
SELECT count(*) AS n FROM t;
";
    let out = srv.psql(&["-A"], script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout, "CREATE TABLE\nINSERT 0 2\nn\n2\n(1 row)\n");
    assert!(
        stderr.contains("ERROR:  relation \"nosuch\" does not exist"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "ERROR:  duplicate key value violates unique constraint \"t_pkey\"\n\
             DETAIL:  Key (a)=(2) already exists."
        ),
        "{stderr}"
    );
}

#[test]
fn psql_with_default_sslmode_falls_back_to_plain() {
    // psql's default sslmode is `prefer`: it sends SSLRequest first, reads
    // `N`, and continues without TLS. Forcing `require` must fail cleanly.
    let srv = TestServer::start();
    let out = srv.psql(&["-A", "-t", "-c", "SELECT 'plain ok'"], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "plain ok\n");
    let out = std::process::Command::new("psql")
        .args(["-X", "-A", "-t", "-c", "SELECT 1"])
        .arg(format!(
            "host=127.0.0.1 port={} user=driftdb dbname=driftdb sslmode=require",
            srv.port
        ))
        .env("PGPASSWORD", srv.password())
        .output()
        .expect("psql");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server does not support SSL"), "{stderr}");
    // The refused client did not disturb the server.
    let out = srv.psql(&["-A", "-t", "-c", "SELECT 2"], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n");
    srv.assert_no_panic();
}
