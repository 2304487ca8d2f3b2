//! Filter: keeps the rows for which the predicate is true (not NULL).

use crate::error::Result;
use crate::sql::executor::eval::{eval, truth};
use crate::sql::executor::{ExecContext, RowIter, Rows};
use crate::sql::planner::expr::Expr;
use crate::types::Row;

/// The Filter operator.
pub struct Filter<'c> {
    input: Rows<'c>,
    predicate: &'c Expr,
    cx: &'c ExecContext<'c>,
}

impl<'c> Filter<'c> {
    /// Filters `input` by `predicate`.
    pub fn new(input: Rows<'c>, predicate: &'c Expr, cx: &'c ExecContext<'c>) -> Self {
        Filter {
            input,
            predicate,
            cx,
        }
    }
}

impl RowIter for Filter<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        while let Some(row) = self.input.next()? {
            if truth(&eval(self.predicate, &row, self.cx)?)? == Some(true) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}
