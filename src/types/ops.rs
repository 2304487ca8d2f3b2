//! Operators on values: SQL comparison, the total sort order, negation,
//! `||`, and (re-exported from `arith.rs` and `like.rs`) arithmetic and
//! LIKE.
//!
//! Comparison promotes within a category as PostgreSQL's cross-type
//! operators do: integers of any width compare exactly, against NUMERIC
//! exactly, against floats as float8; dates compare with timestamps as
//! their midnight. Floats order NaN above everything and equal to itself,
//! and -0 equal to 0 (PostgreSQL's `float8_cmp`), in both [`compare`] and
//! [`sort_cmp`], so WHERE, ORDER BY and B-tree keys agree.
//!
//! Without a session context, a timestamp compares with a timestamptz as if
//! it were UTC and a date as UTC midnight: the planner should cast such
//! mixed comparisons with [`cast`](super::cast::cast) (which uses the
//! session time zone) before comparing.

use std::cmp::Ordering;

use super::value::datetime_key;
use super::{Decimal, TypeContext, Value};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;

pub use super::arith::{ArithOp, arith, arith_result_type};
pub use super::like::like;

/// PostgreSQL's HINT for a missing binary operator.
pub(crate) const OPERATOR_HINT: &str = "No operator matches the given name and argument types. You might need to add explicit type casts.";

/// Comparison categories; values of different categories never compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Category {
    Bool,
    Number,
    String,
    Json,
    DateTime,
    Null,
}

fn category(v: &Value) -> Category {
    match v {
        Value::Null => Category::Null,
        Value::Bool(_) => Category::Bool,
        Value::Int2(_)
        | Value::Int4(_)
        | Value::Int8(_)
        | Value::Float4(_)
        | Value::Float8(_)
        | Value::Numeric(_) => Category::Number,
        Value::Text(_) => Category::String,
        Value::Json(_) => Category::Json,
        Value::Date(_) | Value::Timestamp(_) | Value::Timestamptz(_) => Category::DateTime,
    }
}

/// PostgreSQL's `float8_cmp_internal`: NaN equals NaN and sorts last.
pub(crate) fn float_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int2(i) => Some(*i as i64),
        Value::Int4(i) => Some(*i as i64),
        Value::Int8(i) => Some(*i),
        _ => None,
    }
}

/// A number as the double it compares as against floats.
pub(crate) fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Float4(f) => *f as f64,
        Value::Float8(f) => *f,
        Value::Numeric(d) => d.to_f64(),
        other => as_int(other).map_or(f64::NAN, |i| i as f64),
    }
}

fn as_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Numeric(d) => Some(*d),
        other => as_int(other).map(Decimal::from_i64),
    }
}

fn cmp_numbers(a: &Value, b: &Value) -> Ordering {
    if let (Some(x), Some(y)) = (as_int(a), as_int(b)) {
        return x.cmp(&y);
    }
    let float = |v: &Value| matches!(v, Value::Float4(_) | Value::Float8(_));
    if !float(a)
        && !float(b)
        && let (Some(x), Some(y)) = (as_decimal(a), as_decimal(b))
    {
        return x.cmp(&y);
    }
    float_cmp(as_f64(a), as_f64(b))
}

/// Compares two non-NULL values of one category.
fn cmp_same_category(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) | (Value::Json(x), Value::Json(y)) => {
            x.as_bytes().cmp(y.as_bytes())
        }
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        _ => match category(a) {
            Category::Number => cmp_numbers(a, b),
            Category::DateTime => datetime_key(a).cmp(&datetime_key(b)),
            _ => Ordering::Equal,
        },
    }
}

/// 42883 `operator does not exist: integer = text`, with PostgreSQL's hint.
fn no_operator(a: &Value, op: &str, b: &Value) -> Error {
    sql_err!(
        SqlState::UNDEFINED_FUNCTION,
        "operator does not exist: {} {op} {}",
        a.data_type().format_type(),
        b.data_type().format_type()
    )
    .with_hint(OPERATOR_HINT)
}

/// SQL comparison: `None` if either side is NULL; 42883 when the types have
/// no comparison operator (`integer = text`, `json = json`).
pub fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>> {
    if a.is_null() || b.is_null() {
        return Ok(None);
    }
    let (ca, cb) = (category(a), category(b));
    if ca != cb || ca == Category::Json {
        return Err(no_operator(a, "=", b));
    }
    Ok(Some(cmp_same_category(a, b)))
}

/// The total order for ORDER BY, B-tree keys, DISTINCT and GROUP BY: as
/// [`compare`], with NULL after everything and values of unrelated types
/// ordered by type (bool, numbers, strings, json, date/times).
pub fn sort_cmp(a: &Value, b: &Value) -> Ordering {
    let (ca, cb) = (category(a), category(b));
    if ca != cb || ca == Category::Null {
        return ca.cmp(&cb);
    }
    cmp_same_category(a, b)
}

/// Unary minus; 22003 on integer overflow, 42883 for non-numbers.
pub fn negate(v: &Value) -> Result<Value> {
    let range = |name: &str| sql_err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "{name} out of range");
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int2(i) => Value::Int2(i.checked_neg().ok_or_else(|| range("smallint"))?),
        Value::Int4(i) => Value::Int4(i.checked_neg().ok_or_else(|| range("integer"))?),
        Value::Int8(i) => Value::Int8(i.checked_neg().ok_or_else(|| range("bigint"))?),
        Value::Float4(f) => Value::Float4(-f),
        Value::Float8(f) => Value::Float8(-f),
        Value::Numeric(d) => Value::Numeric(d.neg()),
        other => {
            return Err(sql_err!(
                SqlState::UNDEFINED_FUNCTION,
                "operator does not exist: - {}",
                other.data_type().format_type()
            )
            .with_hint(
                "No operator matches the given name and argument type. You might need to add an explicit type cast.",
            ));
        }
    })
}

/// The text a value contributes to `||` and to casts to text: the output
/// function, except that booleans read `true`/`false` (PostgreSQL's
/// `bool::text` cast).
pub(crate) fn text_of(v: &Value, ctx: &TypeContext) -> String {
    match v {
        Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        other => other.to_text(ctx),
    }
}

/// `a || b` on the text of each side; NULL if either is NULL.
pub fn concat(a: &Value, b: &Value, ctx: &TypeContext) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    let mut s = text_of(a, ctx);
    s.push_str(&text_of(b, ctx));
    Value::Text(s)
}

#[cfg(test)]
#[path = "ops_tests.rs"]
mod tests;
