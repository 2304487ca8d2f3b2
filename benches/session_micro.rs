//! In-process cost of one statement, without the network: a point select
//! through the simple protocol (parse + plan + execute), the parser alone,
//! and a prepared statement's Bind/Execute/Sync. Run with
//! `cargo bench --bench session_micro`; the wire round trip and the
//! comparison with PostgreSQL are measured by tools/bench.sh.

use driftdb::sql::session::*;
use driftdb::types::{TypeContext, Value};
use std::time::Instant;

/// The same allocator as the server binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Null;
impl ResultSink for Null {
    fn begin_rows(
        &mut self,
        _: &[ColumnDesc],
        _: &[Format],
        _: &TypeContext,
        _: bool,
    ) -> driftdb::Result<()> {
        Ok(())
    }
    fn data_row(&mut self, _: &[Value]) -> driftdb::Result<()> {
        Ok(())
    }
    fn command_complete(&mut self, _: &str) -> driftdb::Result<()> {
        Ok(())
    }
    fn empty_query(&mut self) -> driftdb::Result<()> {
        Ok(())
    }
    fn notice(&mut self, _: &Notice) -> driftdb::Result<()> {
        Ok(())
    }
    fn parameter_status(&mut self, _: &str, _: &str) -> driftdb::Result<()> {
        Ok(())
    }
    fn copy_in_start(&mut self, _: usize) -> driftdb::Result<()> {
        Ok(())
    }
    fn copy_in_next(&mut self) -> driftdb::Result<Option<Vec<u8>>> {
        Ok(None)
    }
    fn copy_out_start(&mut self, _: usize) -> driftdb::Result<()> {
        Ok(())
    }
    fn copy_out_data(&mut self, _: &[u8]) -> driftdb::Result<()> {
        Ok(())
    }
    fn copy_out_done(&mut self) -> driftdb::Result<()> {
        Ok(())
    }
}

fn main() {
    let dir = std::env::temp_dir().join(format!("w1micro-{}", std::process::id()));
    let db = Database::open(&dir).expect("bench setup");
    let mut s = Session::new(
        &db,
        &StartupParams {
            user: "driftdb".into(),
            database: "driftdb".into(),
            options: vec![],
        },
    )
    .expect("bench setup");
    s.simple_query(
        "CREATE TABLE t1 (id INT PRIMARY KEY, k INT, c VARCHAR(100), pad VARCHAR(60))",
        &mut Null,
    )
    .expect("bench setup");
    for b in 0..10 {
        let rows: Vec<String> = (b * 1000 + 1..=(b + 1) * 1000)
            .map(|i| {
                format!(
                    "({i},{},'{}','{}')",
                    i * 7 % 1000,
                    "c".repeat(95),
                    "p".repeat(59)
                )
            })
            .collect();
        s.simple_query(
            &format!("INSERT INTO t1 VALUES {}", rows.join(",")),
            &mut Null,
        )
        .expect("bench setup");
    }
    let n: usize = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let q: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                "SELECT id, k, c, pad FROM t1 WHERE id = {};",
                i * 7 % 10000 + 1
            )
        })
        .collect();
    let t = Instant::now();
    for i in 0..n {
        s.simple_query(&q[i % 1000], &mut Null)
            .expect("bench setup");
    }
    let e = t.elapsed();
    println!(
        "simple point select: {:.2} us/query",
        e.as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for i in 0..n {
        driftdb::sql::parser::parse(&q[i % 1000]).expect("bench setup");
    }
    println!(
        "parse only: {:.2} us/query",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    s.parse("s1", "SELECT id, k, c, pad FROM t1 WHERE id = $1", &[])
        .expect("bench setup");
    let t = Instant::now();
    for i in 0..n {
        let p = ((i * 7 % 10000 + 1) as i32).to_string().into_bytes();
        s.bind("", "s1", &[], &[Some(p)], &[]).expect("bench setup");
        s.execute("", 0, &mut Null).expect("bench setup");
        s.sync().expect("bench setup");
    }
    println!(
        "prepared bind+execute: {:.2} us/query",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
}
