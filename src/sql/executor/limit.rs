//! Limit: skips OFFSET rows, then passes at most LIMIT rows.

use crate::error::{Error, Result, SqlState};
use crate::sql::executor::eval::eval;
use crate::sql::executor::{ExecContext, RowIter, Rows};
use crate::sql::planner::expr::Expr;
use crate::sql_err;
use crate::types::{Row, Value};

/// The Limit operator.
pub struct Limit<'c> {
    input: Rows<'c>,
    skip: u64,
    remaining: Option<u64>,
}

impl<'c> Limit<'c> {
    /// Evaluates LIMIT and OFFSET (once) and wraps `input`.
    pub fn new(
        input: Rows<'c>,
        limit: Option<&Expr>,
        offset: Option<&Expr>,
        cx: &ExecContext<'_>,
    ) -> Result<Self> {
        let count = |e: Option<&Expr>, what: &str, code: &'static str| -> Result<Option<u64>> {
            let Some(e) = e else {
                return Ok(None);
            };
            match eval(e, &[], cx)? {
                Value::Null => Ok(None),
                Value::Int8(n) if n < 0 => {
                    Err(sql_err!(SqlState(code), "{} must not be negative", what))
                }
                Value::Int8(n) => Ok(Some(n as u64)),
                other => Err(Error::Internal(format!("{what} value {other:?}"))),
            }
        };
        Ok(Limit {
            input,
            remaining: count(limit, "LIMIT", "2201W")?,
            skip: count(offset, "OFFSET", "2201X")?.unwrap_or(0),
        })
    }
}

impl RowIter for Limit<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        while self.skip > 0 {
            if self.input.next()?.is_none() {
                return Ok(None);
            }
            self.skip -= 1;
        }
        match &mut self.remaining {
            Some(0) => Ok(None),
            Some(n) => {
                *n -= 1;
                self.input.next()
            }
            None => self.input.next(),
        }
    }
}
