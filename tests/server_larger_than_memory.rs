//! A table many times larger than the buffer pool, against the real server
//! started with `--cache-mb 1`: loaded by one COPY (one transaction),
//! point-queried, scanned, range-scanned through the primary key and a
//! secondary index, updated by one statement, copied by INSERT ... SELECT,
//! deleted from, time-travelled and restarted, with every answer computed
//! independently and the server's peak resident memory (VmHWM) bounded far
//! below what holding the table, or one statement's rows, in memory would
//! take.
//!
//! The full-size check (5,000,000 rows, `--cache-mb 64`, RSS < 300 MiB) is
//! `tools/big-table.sh`; this is its CI-sized sibling.

mod server_support;

use std::io::Write;

use server_support::{TestServer, scalar};

/// Rows loaded: ~330 bytes each as text (130 MB), several times that in the
/// page file and the segments, against a 1 MiB buffer pool.
const ROWS: i64 = 400_000;
/// Rows written to the COPY stream at a time.
const CHUNK: i64 = 5_000;
/// The server's peak RSS bound. Keeping the table's rows (or the COPY's
/// transaction) in memory would take well over 200 MiB; the process idles
/// at ~13 MiB and peaks at ~55–95 MiB here: a transaction keeps 32 MiB of
/// changes in memory before it spills them, a statement spools 8 MiB of
/// rows before it spills them, and a large commit holds one 1 MiB chunk of
/// events and up to 2 MiB of unflushed log.
const PEAK_LIMIT_KIB: u64 = 96 * 1024;

fn k_of(id: i64) -> i64 {
    (id * 7919) % 1000
}

fn row(id: i64) -> String {
    format!(
        "{id}\t{}\t{}\t{}\n",
        k_of(id),
        format!("c-{id:08}-").repeat(8),
        format!("pad{:07}", id % 9973).repeat(5)
    )
}

/// `row` as CSV.
fn csv_row(id: i64) -> String {
    row(id).replace('\t', ",")
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

fn sum_k(ids: impl Iterator<Item = i64>) -> i64 {
    ids.map(k_of).sum()
}

#[test]
fn a_table_far_larger_than_the_buffer_pool() {
    let mut srv = TestServer::start_with_args(Some(server_support::PASSWORD), &["--cache-mb", "1"]);
    let mut c = srv.client();
    c.batch_execute(
        "CREATE TABLE big (id INT PRIMARY KEY, k INT, c VARCHAR(100), pad VARCHAR(60));
         CREATE INDEX big_k ON big (k)",
    )
    .unwrap();
    // One COPY, one transaction (CSV: parsed as it streams in).
    let mut w = c.copy_in("COPY big FROM STDIN (FORMAT csv)").unwrap();
    for start in (1..=ROWS).step_by(CHUNK as usize) {
        let text: String = (start..start + CHUNK).map(csv_row).collect();
        w.write_all(text.as_bytes()).unwrap();
    }
    assert_eq!(w.finish().unwrap(), ROWS as u64);
    let check = |c: &mut postgres::Client, at: &str| {
        assert_eq!(
            scalar(c, &format!("SELECT count(*) FROM big{at}")),
            ROWS.to_string()
        );
        for id in [1, 2, 77_777, ROWS / 2, ROWS] {
            let r = c
                .query_one(
                    &format!("SELECT k, c, pad FROM big{at} WHERE id = $1"),
                    &[&(id as i32)],
                )
                .unwrap();
            let want = row(id);
            let cols: Vec<&str> = want.trim_end().split('\t').collect();
            assert_eq!(r.get::<_, i32>(0).to_string(), cols[1], "k of {id}");
            assert_eq!(r.get::<_, String>(1), cols[2], "c of {id}");
            assert_eq!(r.get::<_, String>(2), cols[3], "pad of {id}");
        }
    };
    check(&mut c, "");
    assert_eq!(
        scalar(&mut c, "SELECT sum(k) FROM big"),
        sum_k(1..=ROWS).to_string()
    );
    // A primary-key range and an index lookup.
    assert_eq!(
        scalar(
            &mut c,
            "SELECT sum(k) FROM big WHERE id BETWEEN 100000 AND 149999"
        ),
        sum_k(100_000..=149_999).to_string()
    );
    assert_eq!(
        scalar(&mut c, "SELECT count(*) FROM big WHERE k = 7"),
        (1..=ROWS).filter(|&id| k_of(id) == 7).count().to_string()
    );

    // Update a slice in one statement; the old state stays readable AS OF
    // the seq before.
    let before = scalar(&mut c, "SELECT driftdb_current_seq()");
    let n = c
        .execute(
            "UPDATE big SET k = k + 1000 WHERE id BETWEEN 200001 AND 260000",
            &[],
        )
        .unwrap();
    assert_eq!(n, 60_000);
    let now_sum = sum_k(1..=ROWS) + 1000 * 60_000;
    assert_eq!(
        scalar(&mut c, "SELECT sum(k) FROM big"),
        now_sum.to_string()
    );
    let as_of = format!(" FOR SYSTEM_TIME AS OF @SEQ:{before}");
    check(&mut c, &as_of);
    assert_eq!(
        scalar(&mut c, &format!("SELECT sum(k) FROM big{as_of}")),
        sum_k(1..=ROWS).to_string()
    );
    assert_eq!(
        scalar(
            &mut c,
            &format!("SELECT count(*) FROM big{as_of} WHERE k = 7")
        ),
        (1..=ROWS).filter(|&id| k_of(id) == 7).count().to_string()
    );
    assert_eq!(
        scalar(&mut c, "SELECT k FROM big WHERE id = 230000"),
        (k_of(230_000) + 1000).to_string()
    );
    // The whole table out by COPY TO, streamed (the peak check below would
    // catch it held in memory): every row, in key order, as loaded.
    {
        use std::io::Read;
        let mut r = c.copy_out("COPY big TO STDOUT").unwrap();
        let mut buf = vec![0u8; 1 << 16];
        let (mut lines, mut first) = (0i64, Vec::new());
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            if first.len() < 400 {
                first.extend_from_slice(&buf[..n.min(400)]);
            }
            lines += buf[..n].iter().filter(|b| **b == b'\n').count() as i64;
        }
        assert_eq!(lines, ROWS);
        let first = String::from_utf8_lossy(&first);
        assert_eq!(
            first.lines().next(),
            Some(row(1).trim_end()),
            "first row out"
        );
    }
    // A copy of a quarter of the table, then half of it deleted, each one
    // statement in one transaction.
    c.batch_execute(
        "CREATE TABLE half (id INT PRIMARY KEY, k INT, c VARCHAR(100), pad VARCHAR(60));
         BEGIN;
         INSERT INTO half SELECT * FROM big WHERE id <= 100000;
         DELETE FROM half WHERE id % 2 = 0;
         COMMIT",
    )
    .unwrap();
    assert_eq!(scalar(&mut c, "SELECT count(*) FROM half"), "50000");
    assert_eq!(
        scalar(&mut c, "SELECT sum(k) FROM half"),
        sum_k((1..=100_000).filter(|id| id % 2 == 1)).to_string()
    );
    let peak = vm_hwm_kib(srv.pid());
    assert!(
        peak < PEAK_LIMIT_KIB,
        "peak RSS {} MiB with --cache-mb 1",
        peak / 1024
    );
    drop(c);

    // After a restart, from a cold pool: the same answers, still bounded.
    assert_eq!(
        srv.terminate(std::time::Duration::from_secs(10)).code(),
        Some(0)
    );
    srv.restart();
    let mut c = srv.client();
    assert_eq!(
        scalar(&mut c, "SELECT sum(k) FROM big"),
        now_sum.to_string()
    );
    check(&mut c, &as_of);
    let peak = vm_hwm_kib(srv.pid());
    assert!(
        peak < PEAK_LIMIT_KIB,
        "peak RSS {} MiB after restart",
        peak / 1024
    );
    srv.assert_no_panic();
}
