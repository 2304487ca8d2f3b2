//! The SQL parser: statement text → [`ast::Statement`]s.
//!
//! STUB: the parser work fills this in with nom combinators that stay
//! private to this module; nom's errors become [`crate::error::Error`]
//! (42601, with the position and PostgreSQL's wording) at this boundary.

pub mod ast;

use crate::error::Result;

/// Parses a query string holding zero or more statements separated by `;`.
/// An empty or all-whitespace/comment string gives an empty list.
pub fn parse(_sql: &str) -> Result<Vec<ast::Statement>> {
    todo!()
}
