//! Parser tests that span the grammar files: expressions (precedence, every
//! literal form), queries, each statement kind, error messages and positions
//! compared with PostgreSQL 15, keywords as identifiers, and robustness.

mod clients;
mod errors;
mod exprs;
mod queries;
mod robustness;
mod statements;

use super::ast::{Expr, Query, QueryBody, Select, SelectItem, Statement};
use super::parse;
use super::test_print::show;

/// Parses exactly one statement.
fn one(sql: &str) -> Statement {
    let mut stmts = parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(stmts.len(), 1, "{sql}");
    stmts.remove(0)
}

/// Parses one query statement.
fn query(sql: &str) -> Query {
    match one(sql) {
        Statement::Query(q) => *q,
        other => panic!("{sql}: not a query: {other:?}"),
    }
}

/// The SELECT of a simple query.
fn select(sql: &str) -> Select {
    match query(sql).body {
        QueryBody::Select(s) => *s,
        other => panic!("{sql}: not a SELECT: {other:?}"),
    }
}

/// The expression of `SELECT <e>`.
fn expr(e: &str) -> Expr {
    let sql = format!("SELECT {e}");
    let mut items = select(&sql).items;
    assert_eq!(items.len(), 1, "{sql}");
    match items.remove(0) {
        SelectItem::Expr { expr, .. } => expr,
        other => panic!("{sql}: {other:?}"),
    }
}

/// `SELECT <e>` printed back fully parenthesized.
fn shown(e: &str) -> String {
    show(&expr(e))
}

/// The error of a statement that must fail: (message, position, SQLSTATE).
fn err(sql: &str) -> (String, Option<u32>, &'static str) {
    let e = parse(sql).expect_err(sql);
    let s = e
        .as_sql()
        .unwrap_or_else(|| panic!("{sql}: not a SQL error: {e}"));
    (s.message.clone(), s.position, s.code.code())
}
