//! Project: computes one expression per output column.

use crate::error::Result;
use crate::sql::executor::eval::eval;
use crate::sql::executor::{ExecContext, RowIter, Rows};
use crate::sql::planner::expr::Expr;
use crate::types::{Row, Value};

/// The Project operator.
pub struct Project<'c> {
    input: Rows<'c>,
    exprs: &'c [Expr],
    /// Per expression: a plain reference to a column nothing else reads, so
    /// its value can be moved out of the input row instead of cloned.
    movable: Vec<bool>,
    cx: &'c ExecContext<'c>,
}

impl<'c> Project<'c> {
    /// Projects `input` through `exprs`.
    pub fn new(input: Rows<'c>, exprs: &'c [Expr], cx: &'c ExecContext<'c>) -> Self {
        Project {
            input,
            movable: movable_columns(exprs),
            exprs,
            cx,
        }
    }
}

/// Which expressions are the only reader of the column they name. With a
/// subquery anywhere (whose outer references read this row), none are.
fn movable_columns(exprs: &[Expr]) -> Vec<bool> {
    fn count(e: &Expr, uses: &mut Vec<u32>, subquery: &mut bool) {
        match e {
            Expr::Column(i, _) => {
                if uses.len() <= *i {
                    uses.resize(*i + 1, 0);
                }
                uses[*i] += 1;
            }
            Expr::Subquery(..) => *subquery = true,
            _ => {}
        }
        e.for_each_child(&mut |c| count(c, uses, subquery));
    }
    let mut uses = Vec::new();
    let mut subquery = false;
    for e in exprs {
        count(e, &mut uses, &mut subquery);
    }
    exprs
        .iter()
        .map(|e| !subquery && matches!(e, Expr::Column(i, _) if uses[*i] == 1))
        .collect()
}

impl RowIter for Project<'_> {
    fn next(&mut self) -> Result<Option<Row>> {
        let Some(mut row) = self.input.next()? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(self.exprs.len());
        for (e, &movable) in self.exprs.iter().zip(&self.movable) {
            out.push(match e {
                // Plain column references are the common case: avoid the
                // general evaluator, and move what no one else reads.
                Expr::Column(i, _) if *i < row.len() => {
                    if movable {
                        std::mem::replace(&mut row[*i], Value::Null)
                    } else {
                        row[*i].clone()
                    }
                }
                e => eval(e, &row, self.cx)?,
            });
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DataType;

    #[test]
    fn only_sole_readers_move() {
        let c = |i| Expr::Column(i, DataType::Int4);
        let sum = Expr::Concat(Box::new(c(1)), Box::new(c(2)));
        assert_eq!(
            movable_columns(&[c(0), c(1), sum, c(3), c(3)]),
            vec![true, false, false, false, false]
        );
    }
}
