//! Arithmetic operators (`+ - * / % ^`) with PostgreSQL's operator
//! resolution and overflow rules.
//!
//! One resolver ([`resolve`]) decides, from the operand types, which
//! PostgreSQL operator applies and its result type; [`arith_result_type`]
//! (for the planner) and [`arith`] (for the executor) both use it, so they
//! cannot disagree.
//!
//! | operands                     | operator used                          |
//! |------------------------------|----------------------------------------|
//! | integers                     | the wider width; `^` is float8         |
//! | integers and numeric         | numeric                                |
//! | float4 and float4            | float4 (`^` is float8)                 |
//! | any other mix with a float   | float8; no `%`                         |
//! | date ± int2/int4             | date; `date - date` is int4            |

use super::datetime::{DATE_NEG_INF, DATE_POS_INF, date_in_range};
use super::numeric_ops::division_by_zero;
use super::ops::{OPERATOR_HINT, as_f64};
use super::{DataType, Decimal, Value};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
}

impl ArithOp {
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
            ArithOp::Pow => "^",
        }
    }
}

/// Which implementation an operator resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Integer arithmetic in this width (Int2/Int4/Int8).
    Int(DataType),
    Numeric,
    Float4,
    Float8,
    /// `date + int`, `int + date`, `date - int`.
    DateInt,
    /// `date - date`
    DateDiff,
}

fn rank(t: &DataType) -> u8 {
    match t {
        DataType::Int2 => 1,
        DataType::Int4 => 2,
        DataType::Int8 => 3,
        DataType::Numeric { .. } => 4,
        DataType::Float4 => 5,
        DataType::Float8 => 6,
        _ => 0,
    }
}

fn no_operator(op: ArithOp, l: &DataType, r: &DataType) -> Error {
    sql_err!(
        SqlState::UNDEFINED_FUNCTION,
        "operator does not exist: {} {} {}",
        l.format_type(),
        op.symbol(),
        r.format_type()
    )
    .with_hint(OPERATOR_HINT)
}

/// PostgreSQL's choice of operator for these (resolved) operand types.
fn resolve(op: ArithOp, l: &DataType, r: &DataType) -> Result<(Kind, DataType)> {
    let numeric = DataType::Numeric {
        precision: None,
        scale: None,
    };
    let (rl, rr) = (rank(l), rank(r));
    if rl > 0 && rr > 0 {
        let top = rl.max(rr);
        let float = rl >= 5 || rr >= 5;
        return Ok(match (op, top) {
            (ArithOp::Mod, _) if float => return Err(no_operator(op, l, r)),
            (ArithOp::Pow, 1..=3) => (Kind::Float8, DataType::Float8),
            (_, 1..=3) => {
                let t = if rl >= rr { *l } else { *r };
                (Kind::Int(t), t)
            }
            (_, 4) => (Kind::Numeric, numeric),
            (ArithOp::Pow, _) => (Kind::Float8, DataType::Float8),
            (_, 5) if rl == 5 && rr == 5 => (Kind::Float4, DataType::Float4),
            _ => (Kind::Float8, DataType::Float8),
        });
    }
    let small_int = |t: &DataType| matches!(t, DataType::Int2 | DataType::Int4);
    match (op, l, r) {
        (ArithOp::Add, DataType::Date, t) | (ArithOp::Add, t, DataType::Date) if small_int(t) => {
            Ok((Kind::DateInt, DataType::Date))
        }
        (ArithOp::Sub, DataType::Date, t) if small_int(t) => Ok((Kind::DateInt, DataType::Date)),
        (ArithOp::Sub, DataType::Date, DataType::Date) => Ok((Kind::DateDiff, DataType::Int4)),
        (ArithOp::Sub, a, b) if is_datetime(a) && is_datetime(b) => Err(sql_err!(
            SqlState::FEATURE_NOT_SUPPORTED,
            "{} - {} yields an interval, and type interval is not supported yet",
            a.format_type(),
            b.format_type()
        )),
        _ => Err(no_operator(op, l, r)),
    }
}

fn is_datetime(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date | DataType::Timestamp | DataType::Timestamptz
    )
}

/// The result type of `l op r` for the planner. An untyped literal
/// (`Unknown`) takes the other side's type; two are 42725 as in PostgreSQL.
pub fn arith_result_type(op: ArithOp, l: &DataType, r: &DataType) -> Result<DataType> {
    let (l, r) = match (l, r) {
        (DataType::Unknown, DataType::Unknown) => {
            return Err(sql_err!(
                SqlState::AMBIGUOUS_FUNCTION,
                "operator is not unique: unknown {} unknown",
                op.symbol()
            )
            .with_hint(
                "Could not choose a best candidate operator. You might need to add explicit type casts.",
            ));
        }
        (DataType::Unknown, t) | (t, DataType::Unknown) => (t, t),
        (l, r) => (l, r),
    };
    resolve(op, l, r).map(|(_, t)| t)
}

/// `a op b` with PostgreSQL's semantics; NULL if either side is NULL.
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Result<Value> {
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    let (kind, ty) = resolve(op, &a.data_type(), &b.data_type())?;
    match kind {
        Kind::Int(_) => int_op(op, int(a), int(b), &ty),
        Kind::Numeric => numeric_op(op, &decimal(a), &decimal(b)).map(Value::Numeric),
        Kind::Float4 => float4_op(op, float4(a), float4(b)),
        Kind::Float8 => float8_op(op, as_f64(a), as_f64(b)).map(Value::Float8),
        Kind::DateInt => date_int(op, a, b),
        Kind::DateDiff => date_diff(a, b),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int2(i) => *i as i64,
        Value::Int4(i) => *i as i64,
        Value::Int8(i) => *i,
        _ => 0,
    }
}

fn float4(v: &Value) -> f32 {
    match v {
        Value::Float4(f) => *f,
        other => as_f64(other) as f32,
    }
}

fn decimal(v: &Value) -> Decimal {
    match v {
        Value::Numeric(d) => *d,
        other => Decimal::from_i64(int(other)),
    }
}

fn int_range_error(ty: &DataType) -> Error {
    let name = match ty {
        DataType::Int2 => "smallint",
        DataType::Int4 => "integer",
        _ => "bigint",
    };
    sql_err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "{name} out of range")
}

/// Integer arithmetic in the width of `ty`: overflow is 22003, division
/// truncates, `x % -1` is 0 even for the minimum value.
fn int_op(op: ArithOp, a: i64, b: i64, ty: &DataType) -> Result<Value> {
    let (min, max) = match ty {
        DataType::Int2 => (i16::MIN as i64, i16::MAX as i64),
        DataType::Int4 => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    };
    if matches!(op, ArithOp::Div | ArithOp::Mod) && b == 0 {
        return Err(division_by_zero());
    }
    let r = match op {
        ArithOp::Add => a.checked_add(b),
        ArithOp::Sub => a.checked_sub(b),
        ArithOp::Mul => a.checked_mul(b),
        ArithOp::Div => a.checked_div(b),
        ArithOp::Mod => Some(a.checked_rem(b).unwrap_or(0)),
        ArithOp::Pow => return Err(Error::Internal("integer ^ resolved to integers".into())),
    };
    let r = r
        .filter(|r| *r >= min && *r <= max)
        .ok_or_else(|| int_range_error(ty))?;
    Ok(match ty {
        DataType::Int2 => Value::Int2(r as i16),
        DataType::Int4 => Value::Int4(r as i32),
        _ => Value::Int8(r),
    })
}

fn numeric_op(op: ArithOp, a: &Decimal, b: &Decimal) -> Result<Decimal> {
    match op {
        ArithOp::Add => a.checked_add(b),
        ArithOp::Sub => a.checked_sub(b),
        ArithOp::Mul => a.checked_mul(b),
        ArithOp::Div => a.checked_div(b),
        ArithOp::Mod => a.checked_rem(b),
        ArithOp::Pow => a.checked_pow(b),
    }
}

fn overflow() -> Error {
    sql_err!(
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        "value out of range: overflow"
    )
}

fn underflow() -> Error {
    sql_err!(
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        "value out of range: underflow"
    )
}

/// The float operators' checks (`float8pl`, `float8mul`, `float8div`):
/// a result may only be infinite if an input was, and may only be zero
/// (for `*` and `/`) if an input makes it so.
fn check_float(op: ArithOp, a: f64, b: f64, r: f64) -> Result<()> {
    let inf_in = a.is_infinite() || b.is_infinite();
    if r.is_infinite() && !inf_in {
        return Err(overflow());
    }
    let zero_ok = match op {
        ArithOp::Mul => a == 0.0 || b == 0.0,
        ArithOp::Div => a == 0.0 || b.is_infinite(),
        _ => true,
    };
    if r == 0.0 && !zero_ok {
        return Err(underflow());
    }
    Ok(())
}

fn float8_op(op: ArithOp, a: f64, b: f64) -> Result<f64> {
    let r = match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div if b == 0.0 && !a.is_nan() => return Err(division_by_zero()),
        ArithOp::Div => a / b,
        ArithOp::Pow => return dpow(a, b),
        ArithOp::Mod => return Err(Error::Internal("float % resolved".into())),
    };
    check_float(op, a, b, r)?;
    Ok(r)
}

fn float4_op(op: ArithOp, a: f32, b: f32) -> Result<Value> {
    let r = match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div if b == 0.0 && !a.is_nan() => return Err(division_by_zero()),
        ArithOp::Div => a / b,
        _ => return Err(Error::Internal("float4 ^ or % resolved".into())),
    };
    check_float(op, a as f64, b as f64, r as f64)?;
    Ok(Value::Float4(r))
}

/// PostgreSQL's `dpow`.
fn dpow(x: f64, y: f64) -> Result<f64> {
    let undefined = |msg: &str| Error::sql(SqlState("2201F"), msg);
    if x.is_nan() {
        return Ok(if y == 0.0 { 1.0 } else { f64::NAN });
    }
    if y.is_nan() {
        return Ok(if x == 1.0 { 1.0 } else { f64::NAN });
    }
    if x == 0.0 && y < 0.0 {
        return Err(undefined("zero raised to a negative power is undefined"));
    }
    if x < 0.0 && y.is_finite() && y.floor() != y {
        return Err(undefined(
            "a negative number raised to a non-integer power yields a complex result",
        ));
    }
    let r = x.powf(y);
    if x.is_infinite() || y.is_infinite() {
        return Ok(r);
    }
    if r.is_infinite() {
        return Err(overflow());
    }
    if r == 0.0 && x != 0.0 {
        return Err(underflow());
    }
    Ok(r)
}

fn date_out_of_range() -> Error {
    sql_err!(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range")
}

/// `date + int`, `int + date`, `date - int`; infinite dates stay infinite.
fn date_int(op: ArithOp, a: &Value, b: &Value) -> Result<Value> {
    let (d, n) = match (a, b) {
        (Value::Date(d), other) | (other, Value::Date(d)) => (*d, int(other)),
        _ => return Err(Error::Internal("date arithmetic without a date".into())),
    };
    if d == DATE_NEG_INF || d == DATE_POS_INF {
        return Ok(Value::Date(d));
    }
    let n = if op == ArithOp::Sub { -n } else { n };
    let r = d as i64 + n;
    match i32::try_from(r) {
        Ok(r) if date_in_range(r) => Ok(Value::Date(r)),
        _ => Err(date_out_of_range()),
    }
}

/// `date - date` in days; 22008 for infinite dates.
fn date_diff(a: &Value, b: &Value) -> Result<Value> {
    let (Value::Date(x), Value::Date(y)) = (a, b) else {
        return Err(Error::Internal("date - date without dates".into()));
    };
    let inf = |d: i32| d == DATE_NEG_INF || d == DATE_POS_INF;
    if inf(*x) || inf(*y) {
        return Err(sql_err!(
            SqlState::DATETIME_FIELD_OVERFLOW,
            "cannot subtract infinite dates"
        ));
    }
    i32::try_from(*x as i64 - *y as i64)
        .map(Value::Int4)
        .map_err(|_| int_range_error(&DataType::Int4))
}

#[cfg(test)]
#[path = "arith_tests.rs"]
mod tests;
