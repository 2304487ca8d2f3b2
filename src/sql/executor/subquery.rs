//! Subquery expressions: scalar, EXISTS, IN and ANY/ALL. Uncorrelated
//! subqueries run once per statement (their rows are cached); correlated
//! ones run again for every outer row, with that row pushed as the
//! innermost enclosing row.

use std::rc::Rc;
use std::sync::Arc;

use crate::error::Result;
use crate::error::SqlState;
use crate::sql::executor::eval::compare;
use crate::sql::executor::{ExecContext, build, collect};
use crate::sql::planner::expr::{CmpOp, Subquery, SubqueryKind};
use crate::sql_err;
use crate::types::{Row, Value};

/// Evaluates a subquery expression for `row`.
pub fn eval_subquery(
    s: &Subquery,
    operand: Option<Value>,
    row: &[Value],
    cx: &ExecContext<'_>,
) -> Result<Value> {
    let rows: Rc<Vec<Row>> = if s.correlated {
        let limit_one = s.kind == SubqueryKind::Exists;
        cx.with_outer(row, || {
            let mut it = build(&s.plan, cx)?;
            if limit_one {
                Ok(Rc::new(it.next()?.into_iter().collect()))
            } else {
                Ok(Rc::new(collect(it)?))
            }
        })?
    } else {
        cx.cached_rows(Arc::as_ptr(&s.plan) as usize, &s.plan)?
    };
    match &s.kind {
        SubqueryKind::Scalar => match rows.len() {
            0 => Ok(Value::Null),
            1 => Ok(rows[0].first().cloned().unwrap_or(Value::Null)),
            _ => Err(sql_err!(
                SqlState::CARDINALITY_VIOLATION,
                "more than one row returned by a subquery used as an expression"
            )),
        },
        SubqueryKind::Exists => Ok(Value::Bool(!rows.is_empty())),
        SubqueryKind::In => quantified(CmpOp::Eq, false, operand, &rows),
        SubqueryKind::Array => {
            let elems: Vec<Value> = rows
                .iter()
                .map(|r| r.first().cloned().unwrap_or(Value::Null))
                .collect();
            Ok(Value::Text(crate::types::array::build(
                &elems,
                0,
                &cx.fns.types,
            )))
        }
        SubqueryKind::Quantified { op, all } => quantified(*op, *all, operand, &rows),
    }
}

/// `x op ANY (rows)` / `x op ALL (rows)` with SQL NULL semantics.
fn quantified(op: CmpOp, all: bool, x: Option<Value>, rows: &[Row]) -> Result<Value> {
    let x = x.unwrap_or(Value::Null);
    let mut saw_null = false;
    for r in rows {
        let v = r.first().cloned().unwrap_or(Value::Null);
        match compare(op, &x, &v)? {
            Value::Bool(true) if !all => return Ok(Value::Bool(true)),
            Value::Bool(false) if all => return Ok(Value::Bool(false)),
            Value::Null => saw_null = true,
            _ => {}
        }
    }
    if saw_null {
        Ok(Value::Null)
    } else {
        Ok(Value::Bool(all))
    }
}
