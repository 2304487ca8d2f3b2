//! Expression evaluation over a row, with SQL's three-valued logic.

use std::cmp::Ordering;

use crate::error::{Error, Result, SqlState};
use crate::sql::executor::ExecContext;
use crate::sql::executor::subquery;
use crate::sql::planner::expr::{CmpOp, Expr};
use crate::sql_err;
use crate::types::cast::cast;
use crate::types::ops::{self, arith, concat, like, negate};
use crate::types::{TypeContext, Value};

/// Evaluates `e` over `row`.
pub fn eval(e: &Expr, row: &[Value], cx: &ExecContext<'_>) -> Result<Value> {
    match e {
        Expr::Const(v, _) => Ok(v.clone()),
        Expr::Column(i, _) => row
            .get(*i)
            .cloned()
            .ok_or_else(|| Error::Internal(format!("column #{i} out of range"))),
        Expr::Outer { depth, index, .. } => cx.outer_value(*depth, *index),
        Expr::Param(i, _) => cx.params.get(*i).cloned().ok_or_else(|| {
            sql_err!(
                SqlState::UNDEFINED_PARAMETER,
                "there is no parameter ${}",
                i + 1
            )
        }),
        Expr::And(a, b) => {
            let l = truth(&eval(a, row, cx)?)?;
            if l == Some(false) {
                return Ok(Value::Bool(false));
            }
            let r = truth(&eval(b, row, cx)?)?;
            Ok(and3(l, r))
        }
        Expr::Or(a, b) => {
            let l = truth(&eval(a, row, cx)?)?;
            if l == Some(true) {
                return Ok(Value::Bool(true));
            }
            let r = truth(&eval(b, row, cx)?)?;
            Ok(or3(l, r))
        }
        Expr::Case {
            whens, else_result, ..
        } => {
            for (c, r) in whens {
                if truth(&eval(c, row, cx)?)? == Some(true) {
                    return eval(r, row, cx);
                }
            }
            eval(else_result, row, cx)
        }
        Expr::Coalesce(args, _) => {
            for a in args {
                let v = eval(a, row, cx)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Ok(Value::Null)
        }
        Expr::Call { func, args, .. } => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                let v = eval(a, row, cx)?;
                if func.strict && v.is_null() {
                    return Ok(Value::Null);
                }
                vals.push(v);
            }
            (func.eval)(&vals, cx.fns)
        }
        Expr::Subquery(s, _) => {
            let operand = s.operand.as_ref().map(|o| eval(o, row, cx)).transpose()?;
            subquery::eval_subquery(s, operand, row, cx)
        }
        Expr::AggRef(..) => Err(Error::Internal(
            "aggregate reference outside an aggregate".into(),
        )),
        other => {
            let mut vals = Vec::with_capacity(2);
            let mut failed = None;
            other.for_each_child(&mut |c| {
                if failed.is_none() {
                    match eval(c, row, cx) {
                        Ok(v) => vals.push(v),
                        Err(e) => failed = Some(e),
                    }
                }
            });
            if let Some(e) = failed {
                return Err(e);
            }
            apply(other, vals, &cx.fns.types)
        }
    }
}

/// Evaluates an expression made only of operators over constants (used by
/// constant folding).
pub fn eval_const(e: &Expr) -> Result<Value> {
    match e {
        Expr::Const(v, _) => Ok(v.clone()),
        Expr::And(..) | Expr::Or(..) => {
            let mut vals = Vec::new();
            e.for_each_child(&mut |c| vals.push(c.clone()));
            let l = truth(&eval_const(&vals[0])?)?;
            let r = truth(&eval_const(&vals[1])?)?;
            Ok(if matches!(e, Expr::And(..)) {
                and3(l, r)
            } else {
                or3(l, r)
            })
        }
        other => {
            let mut vals = Vec::new();
            let mut failed = None;
            other.for_each_child(&mut |c| match eval_const(c) {
                Ok(v) => vals.push(v),
                Err(err) => failed = Some(err),
            });
            if let Some(err) = failed {
                return Err(err);
            }
            apply(other, vals, &TypeContext::default())
        }
    }
}

/// Applies a row-independent operator node to its evaluated children (in
/// `for_each_child` order).
fn apply(e: &Expr, mut v: Vec<Value>, ctx: &TypeContext) -> Result<Value> {
    let arg = |v: &mut Vec<Value>| -> Result<Value> {
        if v.is_empty() {
            Err(Error::Internal("operator is missing an operand".into()))
        } else {
            Ok(v.remove(0))
        }
    };
    match e {
        Expr::Not(_) => Ok(match truth(&arg(&mut v)?)? {
            Some(b) => Value::Bool(!b),
            None => Value::Null,
        }),
        Expr::Compare(op, ..) => {
            let (a, b) = (arg(&mut v)?, arg(&mut v)?);
            compare(*op, &a, &b)
        }
        Expr::Arith(op, ..) => {
            let (a, b) = (arg(&mut v)?, arg(&mut v)?);
            arith(*op, &a, &b)
        }
        Expr::Negate(..) => {
            let a = arg(&mut v)?;
            if a.is_null() {
                Ok(Value::Null)
            } else {
                negate(&a)
            }
        }
        Expr::Concat(..) => {
            let (a, b) = (arg(&mut v)?, arg(&mut v)?);
            Ok(concat(&a, &b, ctx))
        }
        Expr::IsNull(_, negated) => Ok(Value::Bool(arg(&mut v)?.is_null() != *negated)),
        Expr::IsBool { value, negated, .. } => {
            let t = truth(&arg(&mut v)?)?;
            Ok(Value::Bool((t == *value) != *negated))
        }
        Expr::IsDistinct(_, _, negated) => {
            let (a, b) = (arg(&mut v)?, arg(&mut v)?);
            let distinct = match (a.is_null(), b.is_null()) {
                (true, true) => false,
                (true, false) | (false, true) => true,
                _ => ops::compare(&a, &b)? != Some(Ordering::Equal),
            };
            Ok(Value::Bool(distinct != *negated))
        }
        Expr::Like {
            escape,
            negated,
            case_insensitive,
            ..
        } => {
            let (s, p) = (arg(&mut v)?, arg(&mut v)?);
            let esc = if escape.is_some() {
                Some(arg(&mut v)?)
            } else {
                None
            };
            eval_like(s, p, esc, *negated, *case_insensitive)
        }
        Expr::InList { negated, .. } => {
            let x = arg(&mut v)?;
            in_list(&x, &v, *negated)
        }
        Expr::Cast(_, ty) => cast(arg(&mut v)?, ty, ctx),
        other => Err(Error::Internal(format!("cannot apply {other:?}"))),
    }
}

/// SQL truth value of a boolean (NULL is unknown).
pub fn truth(v: &Value) -> Result<Option<bool>> {
    match v {
        Value::Bool(b) => Ok(Some(*b)),
        Value::Null => Ok(None),
        other => Err(Error::Internal(format!("expected boolean, got {other:?}"))),
    }
}

fn and3(l: Option<bool>, r: Option<bool>) -> Value {
    match (l, r) {
        (Some(false), _) | (_, Some(false)) => Value::Bool(false),
        (Some(true), Some(true)) => Value::Bool(true),
        _ => Value::Null,
    }
}

fn or3(l: Option<bool>, r: Option<bool>) -> Value {
    match (l, r) {
        (Some(true), _) | (_, Some(true)) => Value::Bool(true),
        (Some(false), Some(false)) => Value::Bool(false),
        _ => Value::Null,
    }
}

/// `a op b` with NULL for unknown.
pub fn compare(op: CmpOp, a: &Value, b: &Value) -> Result<Value> {
    let Some(ord) = ops::compare(a, b)? else {
        return Ok(Value::Null);
    };
    Ok(Value::Bool(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::NotEq => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::LtEq => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::GtEq => ord != Ordering::Less,
    }))
}

/// `x [NOT] IN (list)`: true on a match, else NULL if anything was NULL,
/// else false (inverted for NOT IN).
pub fn in_list(x: &Value, list: &[Value], negated: bool) -> Result<Value> {
    if x.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for item in list {
        match ops::compare(x, item)? {
            Some(Ordering::Equal) => return Ok(Value::Bool(!negated)),
            None => saw_null = true,
            Some(_) => {}
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Bool(negated)
    })
}

fn eval_like(s: Value, p: Value, esc: Option<Value>, negated: bool, ci: bool) -> Result<Value> {
    let (Value::Text(s), Value::Text(p)) = (&s, &p) else {
        return Ok(Value::Null);
    };
    let escape = match esc {
        None => Some('\\'),
        Some(Value::Null) => return Ok(Value::Null),
        Some(Value::Text(e)) => {
            let mut chars = e.chars();
            match (chars.next(), chars.next()) {
                // ESCAPE '': no escape character. `like` always has one, so
                // make every backslash a literal one instead.
                (None, _) => {
                    let literal = p.replace('\\', "\\\\");
                    return Ok(Value::Bool(like(s, &literal, Some('\\'), ci)? != negated));
                }
                (Some(c), None) => Some(c),
                _ => {
                    return Err(sql_err!(
                        SqlState::INVALID_ESCAPE_SEQUENCE,
                        "invalid escape string"
                    )
                    .with_hint("Escape string must be empty or one character."));
                }
            }
        }
        Some(other) => return Err(Error::Internal(format!("LIKE escape {other:?}"))),
    };
    Ok(Value::Bool(like(s, p, escape, ci)? != negated))
}
