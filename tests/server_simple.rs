//! The simple query protocol against the real server: exact CommandComplete
//! tags, ReadyForQuery status bytes, several statements in one Query as one
//! implicit transaction, and transactions that span Query messages and leave
//! no trace when rolled back.

mod server_support;

use server_support::raw::{command_tags, status, tags};
use server_support::{TestServer, current_seq, db_error, lines, scalar};

#[test]
fn command_complete_tags_are_exact() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let cases: &[(&str, &[&str])] = &[
        (
            "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)",
            &["CREATE TABLE"],
        ),
        ("INSERT INTO t VALUES (1, 'a')", &["INSERT 0 1"]),
        (
            "INSERT INTO t VALUES (2, 'b'), (3, 'c'), (4, 'd')",
            &["INSERT 0 3"],
        ),
        ("UPDATE t SET v = v || 'x' WHERE id <= 2", &["UPDATE 2"]),
        ("UPDATE t SET v = 'none' WHERE id = 99", &["UPDATE 0"]),
        ("DELETE FROM t WHERE id = 4", &["DELETE 1"]),
        ("SELECT * FROM t", &["SELECT 3"]),
        ("SELECT 1 + 1", &["SELECT 1"]),
        ("BEGIN", &["BEGIN"]),
        ("COMMIT", &["COMMIT"]),
        ("START TRANSACTION", &["BEGIN"]),
        ("ROLLBACK", &["ROLLBACK"]),
        (
            "SELECT 1; SELECT 2; DELETE FROM t WHERE id > 100",
            &["SELECT 1", "SELECT 1", "DELETE 0"],
        ),
        ("DROP TABLE t", &["DROP TABLE"]),
    ];
    for (sql, want) in cases {
        let msgs = r.query(sql);
        assert_eq!(command_tags(&msgs), *want, "{sql}: {msgs:?}");
        assert_eq!(
            status(&msgs),
            if *sql == "BEGIN" || *sql == "START TRANSACTION" {
                'T'
            } else {
                'I'
            },
            "{sql}"
        );
    }
    // An empty query string gets EmptyQueryResponse.
    assert_eq!(tags(&r.query("")), "IZ");
    assert_eq!(tags(&r.query(" ; ")), "IZ");
    srv.assert_no_panic();
}

#[test]
fn ready_for_query_status_follows_the_transaction() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    assert_eq!(status(&r.query("CREATE TABLE t (id INT PRIMARY KEY)")), 'I');
    assert_eq!(status(&r.query("BEGIN")), 'T');
    assert_eq!(status(&r.query("INSERT INTO t VALUES (1)")), 'T');
    let msgs = r.query("SELECT nosuch FROM t");
    assert_eq!(tags(&msgs), "EZ");
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("42703"));
    assert_eq!(status(&msgs), 'E');
    // Everything but ROLLBACK is refused while the block is failed.
    let msgs = r.query("SELECT 1");
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("25P02"), "{msgs:?}");
    assert_eq!(
        msgs[0].field(b'M').as_deref(),
        Some("current transaction is aborted, commands ignored until end of transaction block")
    );
    assert_eq!(status(&msgs), 'E');
    let msgs = r.query("ROLLBACK");
    assert_eq!(command_tags(&msgs), ["ROLLBACK"]);
    assert_eq!(status(&msgs), 'I');
    // COMMIT of a failed block rolls back, and says so in its tag.
    r.query("BEGIN");
    r.query("INSERT INTO t VALUES (2)");
    assert_eq!(status(&r.query("INSERT INTO t VALUES (2)")), 'E');
    let msgs = r.query("COMMIT");
    assert_eq!(
        (command_tags(&msgs), status(&msgs)),
        (vec!["ROLLBACK".to_string()], 'I')
    );
    let msgs = r.query("SELECT count(*) FROM t");
    assert_eq!(msgs[1].data_row(), vec![Some(b"0".to_vec())]);
}

#[test]
fn several_statements_in_one_query_are_one_transaction() {
    let srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE t (id INT PRIMARY KEY, v INT)")
        .unwrap();
    let seq = current_seq(&mut c);
    // The third statement fails: the first two are rolled back with it.
    let mut r = srv.raw();
    let msgs = r.query(
        "INSERT INTO t VALUES (1, 1); INSERT INTO t VALUES (2, 2); INSERT INTO t VALUES (1, 3); INSERT INTO t VALUES (4, 4)",
    );
    assert_eq!(tags(&msgs), "CCEZ", "{msgs:?}");
    assert_eq!(command_tags(&msgs), ["INSERT 0 1", "INSERT 0 1"]);
    assert_eq!(msgs[2].field(b'C').as_deref(), Some("23505"));
    assert_eq!(status(&msgs), 'I');
    assert_eq!(scalar(&mut c, "SELECT count(*) FROM t"), "0");
    assert_eq!(
        lines(&mut c, "SELECT id FROM t FOR SYSTEM_TIME ALL"),
        Vec::<String>::new()
    );
    assert_eq!(
        current_seq(&mut c),
        seq,
        "a rolled-back string uses up no seq"
    );

    // Without an error, the statements commit together: one seq for all.
    c.batch_execute("INSERT INTO t VALUES (1, 1); INSERT INTO t VALUES (2, 2); UPDATE t SET v = 20 WHERE id = 2")
        .unwrap();
    assert_eq!(current_seq(&mut c), seq + 1);
    assert_eq!(
        lines(&mut c, "SELECT id, v, system_seq_start FROM t ORDER BY id"),
        [format!("1|1|{}", seq + 1), format!("2|20|{}", seq + 1)]
    );
    // A later statement of the string sees the earlier ones' writes.
    assert_eq!(
        lines(
            &mut c,
            "INSERT INTO t VALUES (3, 3); SELECT count(*) FROM t"
        ),
        ["3"]
    );

    // An explicit COMMIT inside the string commits what came before it,
    // even though a later statement fails (as in PostgreSQL).
    let e = c
        .batch_execute(
            "BEGIN; INSERT INTO t VALUES (10, 10); COMMIT; INSERT INTO t VALUES (10, 11)",
        )
        .unwrap_err();
    assert_eq!(db_error(&e).0, "23505");
    assert_eq!(lines(&mut c, "SELECT v FROM t WHERE id = 10"), ["10"]);
}

#[test]
fn a_transaction_spans_queries_and_a_rollback_leaves_no_trace() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut other = srv.client();
    c.batch_execute(
        "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'kept')",
    )
    .unwrap();
    let seq = current_seq(&mut c);
    assert_eq!(seq, 1);

    c.simple_query("BEGIN").unwrap();
    c.simple_query("INSERT INTO t VALUES (2, 'ghost')").unwrap();
    c.simple_query("UPDATE t SET v = 'changed' WHERE id = 1")
        .unwrap();
    c.simple_query("DELETE FROM t WHERE id = 1").unwrap();
    c.simple_query("INSERT INTO t VALUES (1, 'again')").unwrap();
    // The transaction sees its own writes; nobody else does.
    assert_eq!(
        lines(&mut c, "SELECT id, v FROM t ORDER BY id"),
        ["1|again", "2|ghost"]
    );
    assert_eq!(
        lines(&mut other, "SELECT id, v FROM t ORDER BY id"),
        ["1|kept"]
    );
    c.simple_query("ROLLBACK").unwrap();

    for cl in [&mut c, &mut other] {
        assert_eq!(lines(cl, "SELECT id, v FROM t ORDER BY id"), ["1|kept"]);
        assert_eq!(
            lines(
                cl,
                "SELECT id, v, system_seq_start, system_seq_end FROM t FOR SYSTEM_TIME ALL"
            ),
            ["1|kept|1|NULL"],
            "no trace in history"
        );
        assert_eq!(current_seq(cl), seq, "no seq used up");
    }
    // The next commit takes the very next seq.
    c.batch_execute("INSERT INTO t VALUES (3, 'next')").unwrap();
    assert_eq!(
        scalar(&mut c, "SELECT system_seq_start FROM t WHERE id = 3"),
        "2"
    );

    // And a block that commits is seen by the other session afterwards.
    c.simple_query("BEGIN").unwrap();
    c.simple_query("INSERT INTO t VALUES (4, 'four')").unwrap();
    assert_eq!(
        scalar(&mut other, "SELECT count(*) FROM t WHERE id = 4"),
        "0"
    );
    c.simple_query("COMMIT").unwrap();
    assert_eq!(scalar(&mut other, "SELECT v FROM t WHERE id = 4"), "four");
    assert_eq!(current_seq(&mut other), 3);
}

#[test]
fn a_dropped_connection_rolls_back_its_transaction() {
    let srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE t (id INT PRIMARY KEY)")
        .unwrap();
    {
        let mut r = srv.raw();
        assert_eq!(status(&r.query("BEGIN")), 'T');
        assert_eq!(
            command_tags(&r.query("INSERT INTO t VALUES (1)")),
            ["INSERT 0 1"]
        );
        // Dropped without COMMIT or Terminate.
    }
    // The write path is released: this autocommit insert does not wait forever.
    c.batch_execute("INSERT INTO t VALUES (2)").unwrap();
    assert_eq!(lines(&mut c, "SELECT id FROM t"), ["2"]);
    assert_eq!(current_seq(&mut c), 1);
}

#[test]
fn notices_and_session_functions() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    let msgs = r.query("DROP TABLE IF EXISTS nosuch");
    assert_eq!(tags(&msgs), "NCZ", "{msgs:?}");
    assert_eq!(msgs[0].field(b'S').as_deref(), Some("NOTICE"));
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("00000"));
    assert_eq!(
        msgs[0].field(b'M').as_deref(),
        Some("table \"nosuch\" does not exist, skipping")
    );
    r.query("CREATE TABLE t (v INT)");
    let msgs = r.query("CREATE TABLE IF NOT EXISTS t (v INT)");
    assert_eq!(tags(&msgs), "NCZ", "{msgs:?}");
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("42P07"));
    assert_eq!(command_tags(&msgs), ["CREATE TABLE"]);
    // Integers stay integers through arithmetic and UPDATE.
    r.query("INSERT INTO t VALUES (5); UPDATE t SET v = v + 10");
    let msgs = r.query("SELECT v, v + 1, 1 + 1 FROM t");
    let f = msgs[0].row_description();
    let types: Vec<(&str, u32)> = f.iter().map(|f| (f.name.as_str(), f.type_oid)).collect();
    assert_eq!(types, [("v", 23), ("?column?", 23), ("?column?", 23)]);
    assert_eq!(
        msgs[1].data_row(),
        [
            Some(b"15".to_vec()),
            Some(b"16".to_vec()),
            Some(b"2".to_vec())
        ]
    );
    let mut c = srv.client();
    let v = scalar(&mut c, "SELECT version()");
    assert!(
        v.starts_with("PostgreSQL 15.0 (DriftDB ") && v.contains(" on x86_64-pc-linux-gnu, "),
        "{v}"
    );
    assert_eq!(
        lines(
            &mut c,
            "SELECT current_database(), current_schema(), current_user"
        ),
        ["driftdb|public|driftdb"]
    );
}

#[test]
fn rolled_back_ddl_leaves_no_table() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let mut other = srv.client();
    c.batch_execute("BEGIN; CREATE TABLE ghost (id INT PRIMARY KEY); INSERT INTO ghost VALUES (1)")
        .unwrap();
    assert_eq!(lines(&mut c, "SELECT id FROM ghost"), ["1"]);
    let e = other.simple_query("SELECT * FROM ghost").unwrap_err();
    assert_eq!(db_error(&e).0, "42P01", "uncommitted DDL is private");
    c.batch_execute("ROLLBACK").unwrap();
    for cl in [&mut c, &mut other] {
        let e = cl.simple_query("SELECT * FROM ghost").unwrap_err();
        assert_eq!(
            db_error(&e),
            ("42P01".into(), "relation \"ghost\" does not exist".into())
        );
        assert_eq!(current_seq(cl), 0);
    }
    // The name is free, and DROP in a rolled-back block keeps the table.
    c.batch_execute("CREATE TABLE ghost (v TEXT); INSERT INTO ghost VALUES ('kept')")
        .unwrap();
    c.batch_execute("BEGIN; DROP TABLE ghost; ROLLBACK")
        .unwrap();
    assert_eq!(lines(&mut other, "SELECT v FROM ghost"), ["kept"]);
}

/// COPY CSV is parsed as it streams in: records that span the pieces the
/// client sends (even a quoted newline split between two of them), a header,
/// doubled quotes, a last record without a newline, and `\.` ending the data
/// with more after it, each piece size giving the same rows.
#[test]
fn copy_csv_records_across_pieces() {
    use std::io::Write;
    let srv = TestServer::start();
    let mut c = srv.client();
    let input = "id,t\n1,\"a\nb\"\n2,\"say \"\"hi\"\"\"\n3,\n4,last";
    for (i, step) in [1, 2, 3, 7, 64].into_iter().enumerate() {
        let table = format!("c{i}");
        c.batch_execute(&format!(
            "CREATE TABLE {table} (id INT PRIMARY KEY, t TEXT)"
        ))
        .unwrap();
        let mut w = c
            .copy_in(&format!("COPY {table} FROM STDIN (FORMAT csv, HEADER)"))
            .unwrap();
        for piece in input.as_bytes().chunks(step) {
            w.write_all(piece).unwrap();
            w.flush().unwrap();
        }
        assert_eq!(w.finish().unwrap(), 4, "pieces of {step}");
        let rows: Vec<(i32, Option<String>)> = c
            .query(&format!("SELECT id, t FROM {table} ORDER BY id"), &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let want = [
            (1, Some("a\nb")),
            (2, Some("say \"hi\"")),
            (3, None),
            (4, Some("last")),
        ];
        let want: Vec<(i32, Option<String>)> = want
            .into_iter()
            .map(|(i, t)| (i, t.map(str::to_string)))
            .collect();
        assert_eq!(rows, want, "pieces of {step}");
    }
    let mut w = c.copy_in("COPY c0 FROM STDIN (FORMAT csv)").unwrap();
    w.write_all(b"10,x\n\\.\n11,never\n").unwrap();
    assert_eq!(w.finish().unwrap(), 1, "data ends at \\.");
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM c0 WHERE id >= 10"),
        "1"
    );
}
