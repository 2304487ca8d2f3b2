//! Literal rows (`VALUES`, SELECT without FROM) and replays of cached rows.

use std::rc::Rc;

use crate::error::Result;
use crate::sql::executor::eval::eval;
use crate::sql::executor::{ExecContext, RowIter};
use crate::sql::planner::expr::Expr;
use crate::types::Row;

/// Evaluates each row of expressions in turn.
pub struct Values<'c> {
    rows: std::slice::Iter<'c, Vec<Expr>>,
    cx: &'c ExecContext<'c>,
}

impl<'c> Values<'c> {
    /// The operator over `rows`.
    pub fn new(rows: &'c [Vec<Expr>], cx: &'c ExecContext<'c>) -> Self {
        Values {
            rows: rows.iter(),
            cx,
        }
    }
}

impl RowIter for Values<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        let Some(exprs) = self.rows.next() else {
            return Ok(None);
        };
        let row = exprs
            .iter()
            .map(|e| eval(e, &[], self.cx))
            .collect::<Result<Row>>()?;
        Ok(Some(row))
    }
}

/// Replays rows computed earlier (a CTE or uncorrelated subquery).
pub struct Replay {
    rows: Rc<Vec<Row>>,
    next: usize,
}

impl Replay {
    /// The operator over shared rows.
    pub fn new(rows: Rc<Vec<Row>>) -> Self {
        Replay { rows, next: 0 }
    }
}

impl RowIter for Replay {
    fn next(&mut self) -> Result<Option<Row>> {
        let row = self.rows.get(self.next).cloned();
        self.next += 1;
        Ok(row)
    }
}
