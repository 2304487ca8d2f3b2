//! Secondary indexes and UNIQUE over the wire, against the real server:
//! the ErrorResponse fields of a unique violation (as PostgreSQL 15 sends
//! them), COPY into a table with a unique index, psql's `\d` listing of
//! indexes and constraints, prepared statements across CREATE/DROP INDEX,
//! and indexes that survive a restart and a crash.

mod server_support;

use std::io::Write;
use std::time::Duration;

use server_support::{TestServer, db_error, lines, scalar};

const SCHEMA: &str =
    "CREATE TABLE acct (id INT PRIMARY KEY, email TEXT UNIQUE, team INT, n INT, UNIQUE (team, n));
CREATE INDEX acct_team ON acct (team);
INSERT INTO acct VALUES (1, 'a@x', 1, 1), (2, 'b@x', 1, 2), (3, NULL, 2, NULL), (4, NULL, 2, NULL)";

#[test]
fn unique_violation_fields_are_postgres_s() {
    let srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute(SCHEMA).unwrap();
    let e = c
        .execute("INSERT INTO acct VALUES ($1, $2, 9, 9)", &[&5i32, &"a@x"])
        .unwrap_err();
    assert_eq!(
        db_error(&e),
        (
            "23505".to_string(),
            "duplicate key value violates unique constraint \"acct_email_key\"".to_string()
        )
    );
    let db = e.as_db_error().unwrap();
    assert_eq!(db.detail(), Some("Key (email)=(a@x) already exists."));
    assert_eq!(db.constraint(), Some("acct_email_key"));
    assert_eq!(db.table(), Some("acct"));
    assert_eq!(db.schema(), Some("public"));

    let e = c
        .execute("UPDATE acct SET n = 1 WHERE id = 2", &[])
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.constraint(), Some("acct_team_n_key"));
    assert_eq!(db.detail(), Some("Key (team, n)=(1, 1) already exists."));

    let e = c
        .batch_execute("CREATE UNIQUE INDEX acct_n ON acct (team)")
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "23505");
    assert_eq!(db.message(), "could not create unique index \"acct_n\"");
    assert_eq!(db.detail(), Some("Key (team)=(1) is duplicated."));
    // Nothing of the failed statements stayed; NULLs never conflict.
    assert_eq!(scalar(&mut c, "SELECT count(*) FROM acct"), "4");
    c.batch_execute("INSERT INTO acct VALUES (5, NULL, 2, NULL)")
        .unwrap();
    srv.assert_no_panic();
}

#[test]
fn copy_checks_unique_indexes() {
    let srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute(SCHEMA).unwrap();
    let mut w = c.copy_in("COPY acct FROM STDIN").unwrap();
    w.write_all(b"10\tc@x\t3\t1\n11\t\\N\t3\t\\N\n12\t\\N\t3\t\\N\n")
        .unwrap();
    assert_eq!(w.finish().unwrap(), 3);

    let mut w = c.copy_in("COPY acct FROM STDIN").unwrap();
    w.write_all(b"20\td@x\t4\t1\n21\td@x\t4\t2\n").unwrap();
    let e = w.finish().unwrap_err();
    let db = e.as_db_error().unwrap_or_else(|| panic!("{e:?}"));
    assert_eq!(db.code().code(), "23505");
    assert_eq!(
        db.message(),
        "duplicate key value violates unique constraint \"acct_email_key\""
    );
    assert_eq!(db.detail(), Some("Key (email)=(d@x) already exists."));
    // The failed COPY left nothing.
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM acct WHERE team = 4"),
        "0"
    );
    assert_eq!(scalar(&mut c, "SELECT count(*) FROM acct"), "7");
}

/// What psql 15 prints for `\d acct` against PostgreSQL 15 (checked).
const DESCRIBE: &str = "                Table \"public.acct\"
 Column |  Type   | Collation | Nullable | Default 
--------+---------+-----------+----------+---------
 id     | integer |           | not null | 
 email  | text    |           |          | 
 team   | integer |           |          | 
 n      | integer |           |          | 
Indexes:
    \"acct_pkey\" PRIMARY KEY, btree (id)
    \"acct_email_key\" UNIQUE CONSTRAINT, btree (email)
    \"acct_n_idx\" UNIQUE, btree (n)
    \"acct_team\" btree (team)
    \"acct_team_n_key\" UNIQUE CONSTRAINT, btree (team, n)

";

#[test]
fn psql_describe_lists_indexes_and_constraints() {
    let srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute(SCHEMA).unwrap();
    c.batch_execute("CREATE UNIQUE INDEX ON acct (n)").unwrap();
    let out = srv.psql(&["-c", "\\d acct"], "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "psql failed: {stderr}");
    assert_eq!(stdout, DESCRIBE, "stderr: {stderr}");
    let out = srv.psql(&["-A", "-t", "-c", "\\di"], "");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "public|acct_email_key|index|driftdb|acct\n\
         public|acct_n_idx|index|driftdb|acct\n\
         public|acct_pkey|index|driftdb|acct\n\
         public|acct_team|index|driftdb|acct\n\
         public|acct_team_n_key|index|driftdb|acct\n"
    );
}

#[test]
fn prepared_statements_follow_index_ddl() {
    let srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute(SCHEMA).unwrap();
    let by_team = c
        .prepare("SELECT id FROM acct WHERE team = $1 ORDER BY id")
        .unwrap();
    let ids = |c: &mut postgres::Client| -> Vec<i32> {
        c.query(&by_team, &[&2i32])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    assert_eq!(ids(&mut c), [3, 4]);
    // Its plan reads through acct_team; once that is gone it must not.
    let mut other = srv.client();
    other.batch_execute("DROP INDEX acct_team").unwrap();
    assert_eq!(ids(&mut c), [3, 4]);
    other
        .batch_execute("CREATE INDEX acct_team2 ON acct (team, id)")
        .unwrap();
    assert_eq!(ids(&mut c), [3, 4]);
    let plan = lines(
        &mut c,
        "EXPLAIN SELECT id FROM acct WHERE team = 2 ORDER BY id",
    )
    .join("\n");
    // (team, n) is the oldest index with `team` first: it wins the tie.
    assert!(
        plan.contains("Index Scan using acct_team_n_key on acct"),
        "{plan}"
    );
}

#[test]
fn indexes_survive_restart_and_crash() {
    let mut srv = TestServer::start();
    // The seq before the UPDATE that moves id 1 out of team 1.
    let before = {
        let mut c = srv.client();
        c.batch_execute(SCHEMA).unwrap();
        c.batch_execute("UPDATE acct SET team = 3 WHERE id = 1")
            .unwrap();
        server_support::current_seq(&mut c) - 1
    };
    srv.terminate(Duration::from_secs(30));
    srv.restart();
    let check = |c: &mut postgres::Client| {
        assert_eq!(
            lines(c, "SELECT id FROM acct WHERE team = 1 ORDER BY id"),
            ["2"]
        );
        // Time travel through the index: before the UPDATE, id 1 was in team 1.
        assert_eq!(
            lines(
                c,
                &format!(
                    "SELECT id FROM acct FOR SYSTEM_TIME AS OF @SEQ:{before} WHERE team = 1 ORDER BY id"
                )
            ),
            ["1", "2"]
        );
        let plan = lines(c, "EXPLAIN SELECT id FROM acct WHERE team = 1").join("\n");
        assert!(
            plan.contains("Index Scan using acct_team_n_key on acct"),
            "{plan}"
        );
        let e = c
            .batch_execute("INSERT INTO acct VALUES (9, 'b@x', 9, 9)")
            .unwrap_err();
        assert_eq!(
            e.as_db_error().and_then(|d| d.constraint()),
            Some("acct_email_key")
        );
    };
    check(&mut srv.client());
    {
        let mut c = srv.client();
        c.batch_execute(
            "CREATE UNIQUE INDEX acct_n ON acct (id, n); INSERT INTO acct VALUES (6, 'f@x', 6, 6)",
        )
        .unwrap();
    }
    srv.kill();
    srv.restart();
    let mut c = srv.client();
    check(&mut c);
    assert_eq!(
        lines(
            &mut c,
            "SELECT c2.relname FROM pg_index i JOIN pg_class c2 ON c2.oid = i.indexrelid WHERE i.indrelid = 'acct'::regclass ORDER BY 1"
        ),
        [
            "acct_email_key",
            "acct_n",
            "acct_pkey",
            "acct_team",
            "acct_team_n_key"
        ]
    );
    assert_eq!(
        lines(&mut c, "SELECT id FROM acct WHERE email = 'f@x'"),
        ["6"]
    );
    srv.assert_no_panic();
}
