//! `driftdb sql` end to end: `-e`, `-f`, piped input, errors, exit codes,
//! persistence and time travel, run through the built binary.
//!
//! Every test here needs the real `Database` and `Session` (they fail while
//! the session layer is a stub). The expected output of the non-temporal
//! scripts was captured from psql 15.18 against PostgreSQL 15.18 with the
//! same script (`psql -X -f`), with `psql:` replaced by `driftdb:`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// An initialised data directory under the temp dir, removed on drop.
struct DataDir(PathBuf);

impl DataDir {
    fn new(tag: &str) -> DataDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p =
            std::env::temp_dir().join(format!("driftdb-cli-{tag}-{}-{nanos}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        let d = DataDir(p);
        let o = run(&["init", d.s()], None);
        assert!(
            o.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        d
    }
    fn s(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
    /// Writes a script into the directory's parent and returns its path.
    fn script(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.with_extension(name);
        std::fs::write(&p, text).expect("write script");
        p
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        for ext in ["cli1.sql", "cli2.sql", "stop.sql"] {
            let _ = std::fs::remove_file(self.0.with_extension(ext));
        }
    }
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftdb"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run driftdb");
    {
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("wait for driftdb")
}

fn sql_e(d: &DataDir, sql: &str) -> Output {
    run(&["sql", "-d", d.s(), "-e", sql], None)
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn execute_prints_tags_tables_and_errors() {
    let d = DataDir::new("exec");
    let o = sql_e(&d, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    assert_eq!(
        (out(&o), err(&o), o.status.code()),
        ("CREATE TABLE\n".into(), String::new(), Some(0))
    );

    let o = sql_e(&d, "INSERT INTO t VALUES (1, 'a'), (2, NULL)");
    assert_eq!(out(&o), "INSERT 0 2\n");

    let o = sql_e(&d, "SELECT * FROM t ORDER BY id");
    assert_eq!(out(&o), " id | v \n----+---\n  1 | a\n  2 | \n(2 rows)\n\n");

    let o = sql_e(&d, "SELECT * FROM nope");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(out(&o), "");
    assert_eq!(
        err(&o),
        "ERROR:  relation \"nope\" does not exist\nLINE 1: SELECT * FROM nope\n                      ^\n"
    );
}

#[test]
fn execute_with_several_statements_shows_every_result() {
    let d = DataDir::new("exec-multi");
    let o = sql_e(&d, "SELECT 1 AS a; SELECT 2 AS b");
    assert_eq!(
        out(&o),
        " a \n---\n 1\n(1 row)\n\n b \n---\n 2\n(1 row)\n\n"
    );
    assert!(o.status.success());
}

#[test]
fn repeated_execute_runs_each_and_exits_with_the_last_status() {
    let d = DataDir::new("exec-repeat");
    let o = run(
        &[
            "sql",
            "-d",
            d.s(),
            "-e",
            "SELECT * FROM nope",
            "-e",
            "SELECT 1 AS x",
        ],
        None,
    );
    assert_eq!(out(&o), " x \n---\n 1\n(1 row)\n\n");
    assert_eq!(o.status.code(), Some(0));
}

const SCRIPT1: &str = "\
-- a script like a user would write
CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT NOT NULL, balance NUMERIC(10,2) DEFAULT 0);
INSERT INTO accounts (id, owner, balance) VALUES (1, 'alice', 100.50), (2, 'bob', 20);
INSERT INTO accounts (id, owner) VALUES (3, 'carol;semi') RETURNING id, balance;
SELECT * FROM nope;
INSERT INTO accounts VALUES (1, 'dup', 1);
BEGIN;
UPDATE accounts SET balance = balance - 10 WHERE id = 1;
UPDATE accounts SET balance = balance + 10 WHERE id = 2;
COMMIT;
BEGIN;
DELETE FROM accounts WHERE id = 3;
ROLLBACK;
SELECT id,
       owner,
       balance
  FROM accounts
 ORDER BY id;
SELECT 1 + 1, 'it''s' AS quote, NULL AS nothing
";

const SCRIPT1_OUT: &str = "\
CREATE TABLE
INSERT 0 2
 id | balance 
----+---------
  3 |    0.00
(1 row)

INSERT 0 1
BEGIN
UPDATE 1
UPDATE 1
COMMIT
BEGIN
DELETE 1
ROLLBACK
 id |   owner    | balance 
----+------------+---------
  1 | alice      |   90.50
  2 | bob        |   30.00
  3 | carol;semi |    0.00
(3 rows)

 ?column? | quote | nothing 
----------+-------+---------
        2 | it's  | 
(1 row)

";

#[test]
fn file_runs_statements_one_by_one_like_psql() {
    let d = DataDir::new("file");
    let f = d.script("cli1.sql", SCRIPT1);
    let fs = f.to_str().unwrap();
    let o = run(&["sql", "-d", d.s(), "-f", fs], None);
    assert_eq!(out(&o), SCRIPT1_OUT);
    assert_eq!(
        err(&o),
        format!(
            "driftdb:{fs}:5: ERROR:  relation \"nope\" does not exist\n\
             LINE 1: SELECT * FROM nope;\n\
             \x20                     ^\n\
             driftdb:{fs}:6: ERROR:  duplicate key value violates unique constraint \"accounts_pkey\"\n\
             DETAIL:  Key (id)=(1) already exists.\n"
        )
    );
    assert_eq!(o.status.code(), Some(0), "psql -f exits 0 after errors");

    // Everything committed survived the process: a new one sees it.
    let o = sql_e(&d, "SELECT owner FROM accounts WHERE id = 2");
    assert_eq!(out(&o), " owner \n-------\n bob\n(1 row)\n\n");
}

const SCRIPT2: &str = "\
CREATE TABLE t (id INT PRIMARY KEY, v TEXT);
BEGIN;
INSERT INTO t VALUES (1, 'kept?');
SELECT * FROM t WHERE nocol = 1;
SELECT 1;
COMMIT;
SELECT * FROM t;
\\echo done
";

#[test]
fn piped_input_runs_as_a_script_without_prefixes() {
    let d = DataDir::new("stdin");
    let o = run(&["sql", "-d", d.s()], Some(SCRIPT2));
    assert_eq!(
        out(&o),
        "CREATE TABLE\nBEGIN\nINSERT 0 1\nROLLBACK\n id | v \n----+---\n(0 rows)\n\ndone\n"
    );
    assert_eq!(
        err(&o),
        "ERROR:  column \"nocol\" does not exist\n\
         LINE 1: SELECT * FROM t WHERE nocol = 1;\n\
         \x20                             ^\n\
         ERROR:  current transaction is aborted, commands ignored until end of transaction block\n"
    );
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn on_error_stop_exits_3_and_rolls_back() {
    let d = DataDir::new("stop");
    let f = d.script("stop.sql", SCRIPT2);
    let o = run(
        &[
            "sql",
            "-d",
            d.s(),
            "--on-error-stop",
            "-f",
            f.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(out(&o), "CREATE TABLE\nBEGIN\nINSERT 0 1\n");
    // The open transaction was rolled back when the tool exited.
    let o = sql_e(&d, "SELECT * FROM t");
    assert_eq!(out(&o), " id | v \n----+---\n(0 rows)\n\n");
}

#[test]
fn missing_script_file_exits_1() {
    let d = DataDir::new("nofile");
    let o = run(&["sql", "-d", d.s(), "-f", "/nonexistent/x.sql"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        err(&o),
        "driftdb: error: /nonexistent/x.sql: No such file or directory\n"
    );
}

#[test]
fn time_travel_from_the_cli() {
    let d = DataDir::new("tt");
    let script = "\
CREATE TABLE events (id INT PRIMARY KEY, data VARCHAR);
INSERT INTO events (id, data) VALUES (1, 'original');
UPDATE events SET data = 'modified' WHERE id = 1;
SELECT * FROM events FOR SYSTEM_TIME AS OF @SEQ:1;
SELECT * FROM events;
SELECT driftdb_current_seq();
";
    let o = run(&["sql", "-d", d.s()], Some(script));
    assert_eq!(err(&o), "");
    assert_eq!(
        out(&o),
        "CREATE TABLE\nINSERT 0 1\nUPDATE 1\n\
         \x20id |   data   \n----+----------\n  1 | original\n(1 row)\n\n\
         \x20id |   data   \n----+----------\n  1 | modified\n(1 row)\n\n\
         \x20driftdb_current_seq \n---------------------\n                   2\n(1 row)\n\n"
    );
}
