//! The SQL parser: statement text → [`ast::Statement`]s, PostgreSQL 15's
//! dialect plus DriftDB's time travel (`FOR SYSTEM_TIME ...`, `@SEQ:n`).
//!
//! ```text
//!  &str ──lexer/ (nom)──▶ Vec<Token> ──cursor.rs + grammar files──▶ Vec<Statement>
//! ```
//!
//! * `lexer/`: nom combinators turn the text into tokens with positions
//!   (strings, quoted identifiers, numbers, operators, comments); a lexical
//!   error becomes a final error token, reported only if the parser reaches
//!   it, as PostgreSQL's on-demand lexer does.
//! * `cursor.rs`: the token cursor, keyword-category name rules, the
//!   farthest-failure bookkeeping that yields PostgreSQL's error position,
//!   and the nesting guard.
//! * grammar, one concept per file: `statement.rs` (statement list, utility
//!   statements), `query.rs` (SELECT, set operations, ORDER BY/LIMIT),
//!   `from.rs` (FROM items, joins, FOR SYSTEM_TIME), `expr.rs` (operator
//!   precedence), `primary.rs` (literals, names, subqueries, CASE, ARRAY),
//!   `func.rs` (function calls, windows, SQL's special function syntax),
//!   `types.rs` (type names), `dml.rs` (INSERT/UPDATE/DELETE/COPY),
//!   `ddl.rs` (CREATE/DROP/ALTER/TRUNCATE); `keywords.rs` holds PostgreSQL's
//!   keyword categories. The accepted language is written down as EBNF in
//!   `grammar/sql.ebnf`, section by section in the same order.
//!
//! The grammar over tokens is hand-written recursive descent with precedence
//! climbing rather than nom combinators: it must report the exact token
//! PostgreSQL reports (`syntax error at or near "x"`, with its 1-based
//! character position), which needs a farthest-failure record across
//! alternatives that combinators would hide, and it avoids re-parsing on
//! backtracking. Neither nom's types nor its errors leave this module: every
//! failure becomes a [`crate::error::Error`] with SQLSTATE 42601 (or the
//! specific code PostgreSQL uses) and a position.
//!
//! Constructs that parse but DriftDB does not support (an unknown operator,
//! `COPY (query)`, a named window...) are reported after the whole text has
//! parsed, so a syntax error anywhere in it still wins, as in PostgreSQL.

pub mod ast;
mod cursor;
mod ddl;
mod dml;
mod expr;
mod from;
mod func;
mod keywords;
mod lexer;
mod primary;
mod query;
mod statement;
mod types;

#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod test_print;
#[cfg(test)]
mod tests;

use crate::error::Result;

/// Parses a query string holding zero or more statements separated by `;`.
/// An empty or all-whitespace/comment string gives an empty list.
pub fn parse(sql: &str) -> Result<Vec<ast::Statement>> {
    let mut parser = cursor::Parser::new(sql);
    match parser.statements() {
        Ok(statements) => match parser.take_deferred() {
            Some(e) => Err(e),
            None => Ok(statements),
        },
        Err(fail) => Err(parser.into_error(fail)),
    }
}
