//! Time travel over the wire: `FOR SYSTEM_TIME AS OF @SEQ:N`, AS OF a
//! timestamp captured from `now()` or `system_time_start` (string,
//! `TIMESTAMP '...'` and ISO 8601 forms), `BETWEEN`, `FROM ... TO`, `ALL`
//! with the pseudo-columns, soft deletes in history, and times before any
//! data.

mod server_support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use postgres::Client;
use server_support::{TestServer, current_seq, db_error, lines, scalar};

/// The history every test here reads:
///
/// ```text
/// seq 1  INSERT (1, 100), (2, 200)
/// seq 2  UPDATE id 1 -> 150
/// seq 3  DELETE id 2
/// seq 4  INSERT (3, 300)
/// ```
///
/// `times[i]` is `now()` read after seq `i` committed (`times[0]` before
/// any data), with a pause on each side so that times and commits never tie.
struct History {
    times: Vec<String>,
}

fn pause() {
    std::thread::sleep(Duration::from_millis(15));
}

fn now(c: &mut Client) -> String {
    pause();
    let t = scalar(c, "SELECT now()");
    pause();
    t
}

fn build(c: &mut Client) -> History {
    c.batch_execute("CREATE TABLE acct (id INT PRIMARY KEY, bal INT)")
        .unwrap();
    let mut times = vec![now(c)];
    for sql in [
        "INSERT INTO acct VALUES (1, 100), (2, 200)",
        "UPDATE acct SET bal = 150 WHERE id = 1",
        "DELETE FROM acct WHERE id = 2",
        "INSERT INTO acct VALUES (3, 300)",
    ] {
        c.batch_execute(sql).unwrap();
        times.push(now(c));
    }
    assert_eq!(current_seq(c), 4);
    History { times }
}

/// The state after each seq, as `id|bal` lines.
fn state(seq: usize) -> Vec<&'static str> {
    match seq {
        0 => vec![],
        1 => vec!["1|100", "2|200"],
        2 => vec!["1|150", "2|200"],
        3 => vec!["1|150"],
        _ => vec!["1|150", "3|300"],
    }
}

fn as_of(c: &mut Client, clause: &str) -> Vec<String> {
    lines(
        c,
        &format!("SELECT id, bal FROM acct FOR SYSTEM_TIME {clause} ORDER BY id"),
    )
}

#[test]
fn as_of_seq_and_as_of_captured_times() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let h = build(&mut c);
    for seq in 0..=4 {
        assert_eq!(
            as_of(&mut c, &format!("AS OF @SEQ:{seq}")),
            state(seq),
            "@SEQ:{seq}"
        );
        let t = &h.times[seq];
        assert_eq!(
            as_of(&mut c, &format!("AS OF '{t}'")),
            state(seq),
            "AS OF '{t}'"
        );
        // A TIMESTAMP literal (no zone: the session's TimeZone, UTC).
        let local = t.strip_suffix("+00").expect("now() prints +00 in UTC");
        assert_eq!(
            as_of(&mut c, &format!("AS OF TIMESTAMP '{local}'")),
            state(seq),
            "TIMESTAMP '{local}'"
        );
        // ISO 8601 with `T` and an explicit zone.
        let iso = format!("{}Z", local.replacen(' ', "T", 1));
        assert_eq!(
            as_of(&mut c, &format!("AS OF '{iso}'")),
            state(seq),
            "'{iso}'"
        );
        assert_eq!(
            as_of(&mut c, &format!("AS OF TIMESTAMPTZ '{iso}'")),
            state(seq),
            "TIMESTAMPTZ '{iso}'"
        );
    }
    assert_eq!(
        lines(&mut c, "SELECT id, bal FROM acct ORDER BY id"),
        state(4)
    );
    // AS OF a seq past the latest shows the latest.
    assert_eq!(as_of(&mut c, "AS OF @SEQ:99"), state(4));
    // Before any data: nothing.
    assert_eq!(as_of(&mut c, "AS OF '2000-01-01'"), Vec::<String>::new());
    assert_eq!(
        as_of(&mut c, "AS OF TIMESTAMP '1999-12-31 23:59:59'"),
        Vec::<String>::new()
    );
}

/// `t` written in ISO 8601 with a `+05:30` offset.
fn iso_plus_0530(t: SystemTime) -> String {
    let us = t.duration_since(UNIX_EPOCH).unwrap().as_micros() as i64 + 330 * 60_000_000;
    let (secs, micros) = (us / 1_000_000, us % 1_000_000);
    let (days, sod) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}+05:30",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

#[test]
fn as_of_a_version_start_time_in_any_zone() {
    let srv = TestServer::start();
    let mut c = srv.client();
    build(&mut c);
    // The start time of the version seq 2 created, read in binary.
    let t: SystemTime = c
        .query_one("SELECT system_time_start FROM acct WHERE id = 1", &[])
        .unwrap()
        .get(0);
    let iso = iso_plus_0530(t);
    assert_eq!(as_of(&mut c, &format!("AS OF '{iso}'")), state(2), "{iso}");
    // One microsecond earlier is still seq 1.
    let before = iso_plus_0530(t - Duration::from_micros(1));
    assert_eq!(
        as_of(&mut c, &format!("AS OF '{before}'")),
        state(1),
        "{before}"
    );
    // The same instant in another TimeZone setting means the same thing.
    c.batch_execute("SET TimeZone = 'Asia/Tokyo'").unwrap();
    let shown = scalar(&mut c, "SELECT system_time_start FROM acct WHERE id = 1");
    assert!(shown.ends_with("+09"), "{shown}");
    assert_eq!(
        as_of(&mut c, &format!("AS OF '{shown}'")),
        state(2),
        "{shown}"
    );
    // A time without a zone is read in the session's TimeZone.
    let local = shown.strip_suffix("+09").unwrap();
    assert_eq!(
        as_of(&mut c, &format!("AS OF TIMESTAMP '{local}'")),
        state(2),
        "{local} in Tokyo"
    );
    assert_eq!(
        as_of(&mut c, &format!("AS OF '{local}'")),
        state(2),
        "'{local}' in Tokyo"
    );
}

#[test]
fn all_between_and_from_to_with_pseudo_columns() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let h = build(&mut c);
    let q = |clause: &str| {
        format!(
            "SELECT id, bal, system_seq_start, system_seq_end FROM acct FOR SYSTEM_TIME {clause} \
             ORDER BY id, system_seq_start"
        )
    };
    let all = ["1|100|1|2", "1|150|2|NULL", "2|200|1|3", "3|300|4|NULL"];
    assert_eq!(lines(&mut c, &q("ALL")), all);
    // FROM a TO b: start < b and end > a.
    assert_eq!(
        lines(&mut c, &q("FROM @SEQ:2 TO @SEQ:3")),
        ["1|150|2|NULL", "2|200|1|3"]
    );
    assert_eq!(
        lines(&mut c, &q("FROM @SEQ:2 TO @SEQ:4")),
        ["1|150|2|NULL", "2|200|1|3"]
    );
    // BETWEEN a AND b: start <= b and end > a.
    assert_eq!(
        lines(&mut c, &q("BETWEEN @SEQ:2 AND @SEQ:4")),
        ["1|150|2|NULL", "2|200|1|3", "3|300|4|NULL"]
    );
    assert_eq!(
        lines(&mut c, &q("BETWEEN @SEQ:0 AND @SEQ:1")),
        ["1|100|1|2", "2|200|1|3"]
    );
    // With times captured between commits.
    let (t1, t3) = (&h.times[1], &h.times[3]);
    assert_eq!(
        lines(&mut c, &q(&format!("BETWEEN '{t1}' AND '{t3}'"))),
        ["1|100|1|2", "1|150|2|NULL", "2|200|1|3"]
    );
    assert_eq!(
        lines(
            &mut c,
            &q(&format!(
                "FROM TIMESTAMP '{}' TO '{t3}'",
                t1.trim_end_matches("+00")
            ))
        ),
        ["1|100|1|2", "1|150|2|NULL", "2|200|1|3"]
    );
    // The pseudo-columns: END is NULL for the current version, and a
    // version's end time is its successor's start time.
    let r = lines(
        &mut c,
        "SELECT system_time_end IS NULL, system_time_start < now() FROM acct FOR SYSTEM_TIME ALL \
         ORDER BY id, system_seq_start",
    );
    assert_eq!(r, ["f|t", "t|t", "f|t", "t|t"]);
    let ends = lines(
        &mut c,
        &q("ALL").replace(
            "system_seq_start, system_seq_end",
            "system_time_start, system_time_end",
        ),
    );
    let field = |line: &str, i: usize| line.split('|').nth(i).unwrap().to_string();
    assert_eq!(
        field(&ends[0], 3),
        field(&ends[1], 2),
        "end of v1 = start of v2"
    );
    // `*` never includes them; they are typed timestamptz / int8.
    let s = c
        .prepare("SELECT *, system_time_start, system_seq_end FROM acct FOR SYSTEM_TIME ALL")
        .unwrap();
    let names: Vec<_> = s
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.type_().name().to_string()))
        .collect();
    assert_eq!(
        names[..2],
        [
            ("id".to_string(), "int4".to_string()),
            ("bal".to_string(), "int4".to_string())
        ]
    );
    assert_eq!(names[2].1, "timestamptz");
    assert_eq!(names.len(), 4);
    // A soft delete: gone now, still in history with its end.
    assert_eq!(
        lines(&mut c, "SELECT count(*) FROM acct WHERE id = 2"),
        ["0"]
    );
    assert_eq!(
        lines(
            &mut c,
            "SELECT bal, system_seq_end FROM acct FOR SYSTEM_TIME ALL WHERE id = 2"
        ),
        ["200|3"]
    );
}

#[test]
fn tables_share_one_seq_and_aliases_follow_the_clause() {
    let srv = TestServer::start();
    let mut c = srv.client();
    build(&mut c);
    c.batch_execute("CREATE TABLE audit (seq INT PRIMARY KEY, note TEXT)")
        .unwrap();
    assert_eq!(current_seq(&mut c), 4, "DDL uses up no seq");
    c.batch_execute("INSERT INTO audit VALUES (5, 'five'); UPDATE acct SET bal = 0 WHERE id = 3")
        .unwrap();
    c.batch_execute("UPDATE audit SET note = 'six' WHERE seq = 5")
        .unwrap();
    // One seq for both tables: the join AS OF 5 sees both changes of seq 5.
    let join = |c: &mut Client, s: u32| {
        lines(
            c,
            &format!(
                "SELECT a.id, a.bal, x.note FROM acct FOR SYSTEM_TIME AS OF @SEQ:{s} AS a, \
                 audit FOR SYSTEM_TIME AS OF @SEQ:{s} x WHERE a.id = 3 ORDER BY a.id"
            ),
        )
    };
    assert_eq!(join(&mut c, 4), Vec::<String>::new());
    assert_eq!(join(&mut c, 5), ["3|0|five"]);
    assert_eq!(join(&mut c, 6), ["3|0|six"]);
    // Different points in time for the two sides of a join.
    assert_eq!(
        lines(
            &mut c,
            "SELECT o.bal, n.bal FROM acct FOR SYSTEM_TIME AS OF @SEQ:1 o, acct n WHERE o.id = n.id ORDER BY o.id"
        ),
        ["100|150"]
    );
    // A malformed time is 22007 and the session goes on.
    let e = c
        .simple_query("SELECT * FROM acct FOR SYSTEM_TIME AS OF 'yesterday-ish'")
        .unwrap_err();
    assert_eq!(db_error(&e).0, "22007");
    assert_eq!(
        scalar(
            &mut c,
            "SELECT count(*) FROM acct FOR SYSTEM_TIME AS OF @SEQ:1"
        ),
        "2"
    );
}

#[test]
fn special_time_words_are_read_at_the_current_time() {
    let srv = TestServer::start();
    let mut c = srv.client();
    build(&mut c);
    // 'now' is the transaction's start time, as now() is (PostgreSQL).
    assert_eq!(
        lines(
            &mut c,
            "SELECT 'now'::timestamptz = now(), 'today'::timestamptz <= now(), \
             'tomorrow'::timestamptz > now(), TIMESTAMPTZ 'now' > '2020-01-01'"
        ),
        ["t|t|t|t"]
    );
    assert_eq!(as_of(&mut c, "AS OF 'now'"), state(4));
    assert_eq!(as_of(&mut c, "AS OF TIMESTAMPTZ 'now'"), state(4));
    assert_eq!(as_of(&mut c, "AS OF 'epoch'"), Vec::<String>::new());
    // In a text parameter too.
    let mut r = srv.raw();
    r.parse("", "SELECT $1::timestamptz > '2020-01-01'", &[]);
    r.bind("", "", &[Some("now")], &[]);
    r.execute("", 0);
    r.sync();
    let msgs = r.until_ready();
    assert_eq!(msgs[2].data_row(), [Some(b"t".to_vec())], "{msgs:?}");
}
