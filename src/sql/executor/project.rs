//! Project: computes one expression per output column.

use crate::error::Result;
use crate::sql::executor::eval::eval;
use crate::sql::executor::{ExecContext, RowIter, Rows};
use crate::sql::planner::expr::Expr;
use crate::types::Row;

/// The Project operator.
pub struct Project<'c> {
    input: Rows<'c>,
    exprs: &'c [Expr],
    cx: &'c ExecContext<'c>,
}

impl<'c> Project<'c> {
    /// Projects `input` through `exprs`.
    pub fn new(input: Rows<'c>, exprs: &'c [Expr], cx: &'c ExecContext<'c>) -> Self {
        Project { input, exprs, cx }
    }
}

impl RowIter for Project<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        let Some(row) = self.input.next()? else {
            return Ok(None);
        };
        let out = self
            .exprs
            .iter()
            .map(|e| match e {
                // Plain column references are the common case: avoid the
                // general evaluator.
                Expr::Column(i, _) if *i < row.len() => Ok(row[*i].clone()),
                e => eval(e, &row, self.cx),
            })
            .collect::<Result<Row>>()?;
        Ok(Some(out))
    }
}
