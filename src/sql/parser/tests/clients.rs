//! The SQL real clients send (NEEDS.md): the catalog queries psql 15 runs
//! for `\d`, `\d+`, `\dt`, `\di`, `\dv`, `\l`, `\dn`, `\du`, `\df`, `\dT`,
//! `\dx`, `\dp` (captured with `psql -E` against PostgreSQL 15), and the
//! statements of SQLAlchemy, pgjdbc, asyncpg, psycopg and pgbench. One
//! statement per line in `client_queries.sql`; every one must parse.

use super::super::parse;

const CLIENT_QUERIES: &str = include_str!("client_queries.sql");

#[test]
fn client_queries_parse() {
    let mut count = 0;
    for sql in CLIENT_QUERIES.lines().filter(|l| !l.trim().is_empty()) {
        count += 1;
        if let Err(e) = parse(sql) {
            panic!("{e}\n{sql}");
        }
    }
    assert!(count >= 55, "only {count} client queries");
}
