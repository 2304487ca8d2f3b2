//! [`Value`]: one typed SQL value, and its PostgreSQL text and binary
//! formats (the functions live in `text.rs` and `binary.rs`).
//!
//! Equality and hashing follow [`ops::sort_cmp`](super::ops::sort_cmp):
//! values that sort as equal are `==` and hash alike, across integer
//! widths, numeric scales (`1.0 = 1.00`), float signs of zero and NaNs,
//! and dates against timestamps, so GROUP BY and DISTINCT can hash them.
//! NULL equals NULL here (one group), unlike SQL's `=`.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::datetime::{DATE_NEG_INF, DATE_POS_INF, TS_NEG_INF, TS_POS_INF, USECS_PER_DAY};
use super::{DataType, Decimal, TypeContext};
use crate::error::Result;

/// A SQL value. Strings of every string type (text, varchar, char) are
/// [`Value::Text`]; the column type says which it is.
///
/// Dates and timestamps count from PostgreSQL's epoch, 2000-01-01, as in its
/// binary format; `i32::MAX`/`i32::MIN` and `i64::MAX`/`i64::MIN` stand for
/// `infinity` and `-infinity`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Value {
    /// SQL NULL (of any type).
    Null,
    /// boolean
    Bool(bool),
    /// smallint
    Int2(i16),
    /// integer
    Int4(i32),
    /// bigint
    Int8(i64),
    /// real
    Float4(f32),
    /// double precision
    Float8(f64),
    /// numeric: exact decimal
    Numeric(Decimal),
    /// text, varchar, char
    Text(String),
    /// date: days since 2000-01-01
    Date(i32),
    /// timestamp without time zone: microseconds since 2000-01-01 00:00:00
    Timestamp(i64),
    /// timestamp with time zone: microseconds since 2000-01-01 00:00:00 UTC
    Timestamptz(i64),
    /// json: the text as given (validated on input)
    Json(String),
}

impl Value {
    /// True for NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The natural type of this value (NULL is `Unknown`; text is `Text`).
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Unknown,
            Value::Bool(_) => DataType::Bool,
            Value::Int2(_) => DataType::Int2,
            Value::Int4(_) => DataType::Int4,
            Value::Int8(_) => DataType::Int8,
            Value::Float4(_) => DataType::Float4,
            Value::Float8(_) => DataType::Float8,
            Value::Numeric(_) => DataType::Numeric {
                precision: None,
                scale: None,
            },
            Value::Text(_) => DataType::Text,
            Value::Date(_) => DataType::Date,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::Timestamptz(_) => DataType::Timestamptz,
            Value::Json(_) => DataType::Json,
        }
    }
}

impl Value {
    /// PostgreSQL's text output for the value (NULL gives ""; callers send
    /// NULL as NULL). Floats follow `ctx.extra_float_digits`, timestamptz
    /// prints in `ctx.timezone`.
    pub fn to_text(&self, ctx: &TypeContext) -> String {
        super::text::to_text(self, ctx)
    }

    /// PostgreSQL's input function for `ty` (`int4in`, `date_in`, ...).
    /// Varchar/char lengths are not enforced here (see [`super::cast`]).
    pub fn from_text(s: &str, ty: &DataType, ctx: &TypeContext) -> Result<Value> {
        super::text::from_text(s, ty, ctx)
    }

    /// Appends PostgreSQL's binary ("send") form for column type `ty`, with
    /// no length prefix.
    pub fn to_binary(&self, ty: &DataType, out: &mut Vec<u8>) -> Result<()> {
        super::binary::to_binary(self, ty, out)
    }

    /// Reads PostgreSQL's binary ("recv") form of a `ty` value; 22P03
    /// `incorrect binary data format` when the bytes do not fit the type.
    pub fn from_binary(bytes: &[u8], ty: &DataType) -> Result<Value> {
        super::binary::from_binary(bytes, ty)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        super::ops::sort_cmp(self, other) == Ordering::Equal
    }
}

impl Eq for Value {}

/// A date or timestamp on one axis, microseconds since 2000-01-01 in an
/// i128 (dates reach past the timestamp range), with the infinities at
/// the ends; a date and the timestamp of its midnight meet.
pub(crate) fn datetime_key(v: &Value) -> i128 {
    match v {
        Value::Date(DATE_NEG_INF)
        | Value::Timestamp(TS_NEG_INF)
        | Value::Timestamptz(TS_NEG_INF) => i128::MIN,
        Value::Date(DATE_POS_INF)
        | Value::Timestamp(TS_POS_INF)
        | Value::Timestamptz(TS_POS_INF) => i128::MAX,
        Value::Date(d) => *d as i128 * USECS_PER_DAY as i128,
        Value::Timestamp(t) | Value::Timestamptz(t) => *t as i128,
        _ => 0,
    }
}

/// The double a number compares as against floats: -0 folded into 0 and
/// every NaN into one NaN.
fn float_key(f: f64) -> u64 {
    if f == 0.0 {
        0
    } else if f.is_nan() {
        f64::NAN.to_bits()
    } else {
        f.to_bits()
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Everything comparable with everything else in its category hashes
        // a category tag and a common key. Numbers compare through f64
        // against floats, so their key is their f64 (exactly the value
        // `compare` uses); distinct large integers may collide, never
        // equal values differ.
        match self {
            Value::Null => 0u8.hash(state),
            Value::Bool(b) => (1u8, *b).hash(state),
            Value::Int2(i) => (2u8, float_key(*i as f64)).hash(state),
            Value::Int4(i) => (2u8, float_key(*i as f64)).hash(state),
            Value::Int8(i) => (2u8, float_key(*i as f64)).hash(state),
            Value::Float4(f) => (2u8, float_key(*f as f64)).hash(state),
            Value::Float8(f) => (2u8, float_key(*f)).hash(state),
            Value::Numeric(d) => (2u8, float_key(d.to_f64())).hash(state),
            Value::Text(s) => (3u8, s).hash(state),
            Value::Json(s) => (4u8, s).hash(state),
            Value::Date(_) | Value::Timestamp(_) | Value::Timestamptz(_) => {
                (5u8, datetime_key(self)).hash(state)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::cast::{assign, cast};
    use crate::types::ops::{ArithOp, arith, compare, concat, negate, sort_cmp};
    use crate::types::{TimeZone, datetime};

    /// Values storage could hand back (even outside the SQL ranges).
    fn extremes() -> Vec<Value> {
        let mut v = vec![
            Value::Null,
            Value::Bool(true),
            Value::Int2(i16::MIN),
            Value::Int4(i32::MIN),
            Value::Int8(i64::MIN),
            Value::Int8(i64::MAX),
            Value::Float4(f32::MAX),
            Value::Float8(f64::MIN_POSITIVE),
            Value::Float8(f64::NAN),
            Value::Numeric(Decimal::new(-(10i128.pow(38) - 1), 0).unwrap()),
            Value::Numeric(Decimal::new(1, 1000).unwrap()),
            Value::Text(String::new()),
            Value::Text("\0é".into()),
            Value::Json("{}".into()),
        ];
        for d in [
            i32::MIN,
            i32::MIN + 1,
            -2_451_546,
            0,
            2_145_031_948,
            i32::MAX - 1,
            i32::MAX,
        ] {
            v.push(Value::Date(d));
        }
        for t in [
            i64::MIN,
            i64::MIN + 1,
            -211_813_488_000_000_001,
            0,
            i64::MAX - 1,
            i64::MAX,
        ] {
            v.push(Value::Timestamp(t));
            v.push(Value::Timestamptz(t));
        }
        v
    }

    /// Nothing a stored value holds makes an operation panic.
    #[test]
    fn extreme_values_never_panic() {
        let ctx = TypeContext {
            timezone: TimeZone::parse("America/St_Johns").unwrap(),
            ..TypeContext::default()
        };
        let types = [
            DataType::Bool,
            DataType::Int2,
            DataType::Int8,
            DataType::Float4,
            DataType::Numeric {
                precision: Some(5),
                scale: Some(2),
            },
            DataType::Varchar(Some(2)),
            DataType::Char(Some(3)),
            DataType::Date,
            DataType::Timestamp,
            DataType::Timestamptz,
            DataType::Json,
        ];
        let ops = [
            ArithOp::Add,
            ArithOp::Sub,
            ArithOp::Mul,
            ArithOp::Div,
            ArithOp::Mod,
            ArithOp::Pow,
        ];
        let vals = extremes();
        for a in &vals {
            let text = a.to_text(&ctx);
            let mut out = Vec::new();
            let _ = a.to_binary(&a.data_type(), &mut out);
            let _ = Value::from_text(&text, &a.data_type(), &ctx);
            let _ = negate(a);
            for field in ["year", "epoch", "julian", "week", "timezone", "second"] {
                let _ = datetime::extract(field, a, &ctx);
                let _ = datetime::date_trunc(field, a, &ctx);
            }
            for t in &types {
                let _ = cast(a.clone(), t, &ctx);
                let _ = assign(a.clone(), t, &ctx);
                let _ = a.to_binary(t, &mut out);
            }
            for b in &vals {
                let _ = compare(a, b);
                let _ = sort_cmp(a, b);
                let _ = concat(a, b, &ctx);
                for op in ops {
                    let _ = arith(op, a, b);
                }
            }
        }
    }
}
