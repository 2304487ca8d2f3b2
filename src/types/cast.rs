//! Casts between types: explicit casts (`CAST`, `::`), assignment casts
//! (INSERT/UPDATE targets), the implicit/assignment cast tables the planner
//! consults, and PostgreSQL's common-type resolution for UNION, CASE and
//! COALESCE.
//!
//! Conversions follow PostgreSQL's cast functions: numeric → integer rounds
//! half away from zero, float → integer rounds half to even (`rint`),
//! float → numeric goes through 15 (float4: 6) significant digits, bool →
//! text is `true`/`false`, strings convert through the target's input
//! function, date/timestamp/timestamptz convert in the session time zone.
//! Explicit casts to `varchar(n)`/`char(n)` cut the string; assignment
//! refuses it (22001) unless only spaces are cut.
//!
//! The casts PostgreSQL lacks between our types (`date::integer`,
//! `1::json`, `1::bigint::boolean`...) are 42846 `cannot cast type bigint
//! to boolean`.
//!
//! A `char(n)` value is blank-padded text; `Value` does not remember that
//! a string came from a char column, so trimming trailing blanks on
//! `char → text` is the executor's job (it knows the expression type).

use super::datetime::{
    DATE_NEG_INF, DATE_POS_INF, TS_NEG_INF, TS_POS_INF, USECS_PER_DAY, local_to_utc,
    timestamp_in_range, utc_to_local,
};
use super::float::parse_f32;
use super::ops::text_of;
use super::text::{from_text, pad_char};
use super::{DataType, Decimal, TypeContext, Value};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;

/// Explicit or assignment cast: they differ only for string lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Explicit,
    Assign,
}

/// An explicit cast (`CAST(v AS to)`, `v::to`).
pub fn cast(v: Value, to: &DataType, ctx: &TypeContext) -> Result<Value> {
    convert(v, to, ctx, Mode::Explicit)
}

/// An assignment cast (the value stored into a column of type `to`): as
/// [`cast`], but a string too long for `varchar(n)`/`char(n)` is 22001
/// `value too long for type character varying(n)` unless only trailing
/// spaces would be cut.
pub fn assign(v: Value, to: &DataType, ctx: &TypeContext) -> Result<Value> {
    convert(v, to, ctx, Mode::Assign)
}

fn cannot_cast(v: &Value, to: &DataType) -> Error {
    sql_err!(
        SqlState::CANNOT_COERCE,
        "cannot cast type {} to {}",
        v.data_type().format_type(),
        base(to).format_type()
    )
}

fn convert(v: Value, to: &DataType, ctx: &TypeContext, mode: Mode) -> Result<Value> {
    match (&v, to) {
        (Value::Null, _) | (_, DataType::Unknown) => Ok(v),
        (_, DataType::Text) => Ok(Value::Text(string_of(v, ctx))),
        (_, DataType::Varchar(n)) => fit_length(string_of(v, ctx), *n, false, mode, to),
        (_, DataType::Char(n)) => fit_length(string_of(v, ctx), *n, true, mode, to),
        (Value::Text(s), _) => from_text(s, to, ctx),
        (Value::Json(s), DataType::Json) => Ok(Value::Json(s.clone())),
        (Value::Bool(b), DataType::Bool) => Ok(Value::Bool(*b)),
        (Value::Bool(b), DataType::Int4) => Ok(Value::Int4(*b as i32)),
        (Value::Int4(i), DataType::Bool) => Ok(Value::Bool(*i != 0)),
        (Value::Int2(_) | Value::Int4(_) | Value::Int8(_), DataType::Oid) => to_oid(&v),
        _ if v.data_type().is_numeric() && to.is_numeric() => to_number(&v, to),
        (Value::Date(_) | Value::Timestamp(_) | Value::Timestamptz(_), _) => {
            to_datetime(&v, to, ctx)
        }
        _ => Err(cannot_cast(&v, to)),
    }
}

/// An integer as an `oid` (negative int4 values wrap, as in PostgreSQL).
fn to_oid(v: &Value) -> Result<Value> {
    let n = match v {
        Value::Int2(i) => *i as i64,
        Value::Int4(i) => *i as u32 as i64,
        Value::Int8(i) => *i,
        _ => return Err(cannot_cast(v, &DataType::Oid)),
    };
    if (0..=u32::MAX as i64).contains(&n) {
        Ok(Value::Int8(n))
    } else {
        Err(sql_err!(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "OID out of range"
        ))
    }
}

/// The text a value becomes when cast to a string type.
fn string_of(v: Value, ctx: &TypeContext) -> String {
    match v {
        Value::Text(s) | Value::Json(s) => s,
        other => text_of(&other, ctx),
    }
}

/// Applies a `varchar(n)` / `char(n)` length (`pad` for char).
fn fit_length(s: String, n: Option<u32>, pad: bool, mode: Mode, to: &DataType) -> Result<Value> {
    let Some(n) = n else {
        return Ok(Value::Text(s));
    };
    let cut = s.char_indices().nth(n as usize).map(|(i, _)| i);
    let s = match cut {
        None => s,
        Some(i) if mode == Mode::Explicit || s[i..].bytes().all(|b| b == b' ') => {
            s[..i].to_string()
        }
        Some(_) => {
            return Err(sql_err!(
                SqlState::STRING_DATA_RIGHT_TRUNCATION,
                "value too long for type {}",
                to.format_type()
            ));
        }
    };
    Ok(Value::Text(if pad { pad_char(&s, Some(n)) } else { s }))
}

fn int_range(to: &DataType) -> Error {
    let name = match to {
        DataType::Int2 => "smallint",
        DataType::Int4 => "integer",
        _ => "bigint",
    };
    sql_err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "{name} out of range")
}

fn float_range(overflow: bool) -> Error {
    let which = if overflow { "overflow" } else { "underflow" };
    sql_err!(
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        "value out of range: {which}"
    )
}

/// A number as an integer of type `to`, rounding as PostgreSQL does.
fn to_integer(v: &Value, to: &DataType) -> Result<Value> {
    let n: Option<i64> = match v {
        Value::Int2(i) => Some(*i as i64),
        Value::Int4(i) => Some(*i as i64),
        Value::Int8(i) => Some(*i),
        Value::Numeric(d) => d.to_i64_round(),
        Value::Float4(f) => float_to_i64(f.round_ties_even() as f64),
        Value::Float8(f) => float_to_i64(f.round_ties_even()),
        _ => None,
    };
    let (min, max) = match to {
        DataType::Int2 => (i16::MIN as i64, i16::MAX as i64),
        DataType::Int4 => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    };
    let n = n
        .filter(|n| *n >= min && *n <= max)
        .ok_or_else(|| int_range(to))?;
    Ok(match to {
        DataType::Int2 => Value::Int2(n as i16),
        DataType::Int4 => Value::Int4(n as i32),
        _ => Value::Int8(n),
    })
}

/// An already-rounded double as i64, if it is in range (NaN is not).
fn float_to_i64(f: f64) -> Option<i64> {
    // -2^63 is exact in f64; 2^63 is the first value out of range.
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0)
        .contains(&f)
        .then_some(f as i64)
}

fn to_number(v: &Value, to: &DataType) -> Result<Value> {
    match to {
        DataType::Int2 | DataType::Int4 | DataType::Int8 => to_integer(v, to),
        DataType::Float8 => Ok(Value::Float8(super::ops::as_f64(v))),
        DataType::Float4 => to_float4(v),
        DataType::Numeric { precision, scale } => {
            let d = match v {
                Value::Numeric(d) => *d,
                Value::Float4(f) => Decimal::try_from_f32(*f)?,
                Value::Float8(f) => Decimal::try_from_f64(*f)?,
                other => Decimal::from_i64(match other {
                    Value::Int2(i) => *i as i64,
                    Value::Int4(i) => *i as i64,
                    Value::Int8(i) => *i,
                    _ => return Err(cannot_cast(other, to)),
                }),
            };
            Ok(Value::Numeric(match precision {
                Some(p) => d.apply_typmod(*p, scale.unwrap_or(0))?,
                None => d,
            }))
        }
        _ => Err(cannot_cast(v, to)),
    }
}

fn to_float4(v: &Value) -> Result<Value> {
    Ok(Value::Float4(match v {
        Value::Float4(f) => *f,
        Value::Float8(f) => {
            let r = *f as f32;
            if r.is_infinite() && !f.is_infinite() {
                return Err(float_range(true));
            }
            if r == 0.0 && *f != 0.0 {
                return Err(float_range(false));
            }
            r
        }
        // numeric → real reads the decimal text, as PostgreSQL does.
        Value::Numeric(d) => parse_f32(&d.to_string())?,
        other => super::ops::as_f64(other) as f32,
    }))
}

fn date_range_for_timestamp() -> Error {
    sql_err!(
        SqlState::DATETIME_FIELD_OVERFLOW,
        "date out of range for timestamp"
    )
}

fn timestamp_range() -> Error {
    sql_err!(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
}

/// A date as the timestamp of its midnight.
fn date_to_timestamp(d: i32) -> Result<i64> {
    match d {
        DATE_NEG_INF => Ok(TS_NEG_INF),
        DATE_POS_INF => Ok(TS_POS_INF),
        _ => match (d as i64).checked_mul(USECS_PER_DAY) {
            Some(ts) if timestamp_in_range(ts) => Ok(ts),
            _ => Err(date_range_for_timestamp()),
        },
    }
}

/// A date as the timestamptz of its local midnight in `ctx.timezone`.
pub fn date_to_timestamptz(d: i32, ctx: &TypeContext) -> Result<i64> {
    let ts = date_to_timestamp(d)?;
    if ts == TS_NEG_INF || ts == TS_POS_INF {
        return Ok(ts);
    }
    let utc = local_to_utc(ts, &ctx.timezone);
    if timestamp_in_range(utc) {
        Ok(utc)
    } else {
        Err(date_range_for_timestamp())
    }
}

/// A timestamp's date (infinities kept).
fn timestamp_to_date(ts: i64) -> i32 {
    match ts {
        TS_NEG_INF => DATE_NEG_INF,
        TS_POS_INF => DATE_POS_INF,
        _ => ts.div_euclid(USECS_PER_DAY) as i32,
    }
}

fn finite(ts: i64) -> bool {
    ts != TS_NEG_INF && ts != TS_POS_INF
}

fn to_datetime(v: &Value, to: &DataType, ctx: &TypeContext) -> Result<Value> {
    let tz = &ctx.timezone;
    Ok(match (v, to) {
        (Value::Date(d), DataType::Date) => Value::Date(*d),
        (Value::Date(d), DataType::Timestamp) => Value::Timestamp(date_to_timestamp(*d)?),
        (Value::Date(d), DataType::Timestamptz) => {
            Value::Timestamptz(date_to_timestamptz(*d, ctx)?)
        }
        (Value::Timestamp(t), DataType::Date) => Value::Date(timestamp_to_date(*t)),
        (Value::Timestamp(t), DataType::Timestamp) => Value::Timestamp(*t),
        (Value::Timestamp(t), DataType::Timestamptz) if finite(*t) => {
            let utc = local_to_utc(*t, tz);
            if !timestamp_in_range(utc) {
                return Err(timestamp_range());
            }
            Value::Timestamptz(utc)
        }
        (Value::Timestamptz(t), DataType::Date) if finite(*t) => {
            Value::Date(timestamp_to_date(utc_to_local(*t, tz)))
        }
        (Value::Timestamptz(t), DataType::Timestamp) if finite(*t) => {
            let local = utc_to_local(*t, tz);
            if !timestamp_in_range(local) {
                return Err(timestamp_range());
            }
            Value::Timestamp(local)
        }
        // Infinities stay infinite.
        (Value::Timestamp(t) | Value::Timestamptz(t), DataType::Timestamptz) => {
            Value::Timestamptz(*t)
        }
        (Value::Timestamptz(t), DataType::Timestamp) => Value::Timestamp(*t),
        (Value::Timestamptz(t), DataType::Date) => Value::Date(timestamp_to_date(*t)),
        _ => return Err(cannot_cast(v, to)),
    })
}

/// The same type without length/precision modifiers.
fn base(t: &DataType) -> DataType {
    match t {
        DataType::Varchar(_) => DataType::Varchar(None),
        DataType::Char(_) => DataType::Char(None),
        DataType::Numeric { .. } => DataType::Numeric {
            precision: None,
            scale: None,
        },
        other => *other,
    }
}

/// Numeric-category rank: int2 < int4 < int8 < numeric < float4 < float8.
fn num_rank(t: &DataType) -> Option<u8> {
    Some(match t {
        DataType::Int2 => 1,
        DataType::Int4 => 2,
        DataType::Int8 => 3,
        DataType::Numeric { .. } => 4,
        DataType::Float4 => 5,
        DataType::Float8 => 6,
        _ => return None,
    })
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Text | DataType::Varchar(_) | DataType::Char(_))
}

/// PostgreSQL's implicit casts (`pg_cast.castcontext = 'i'`) between our
/// types, plus length coercions within a type; `Unknown` casts to anything.
pub fn can_cast_implicitly(from: &DataType, to: &DataType) -> bool {
    if from == to || *from == DataType::Unknown || base(from) == base(to) {
        return true;
    }
    if let (Some(a), Some(b)) = (num_rank(from), num_rank(to)) {
        return a < b;
    }
    if is_string(from) && is_string(to) {
        return true;
    }
    if to == &DataType::Oid && from.is_integer() {
        return true;
    }
    matches!(
        (from, to),
        (DataType::Date, DataType::Timestamp | DataType::Timestamptz)
            | (DataType::Timestamp, DataType::Timestamptz)
    )
}

/// PostgreSQL's assignment casts (implicit ones, plus `castcontext = 'a'`
/// and the I/O conversions to string types): numeric → int4 yes,
/// text → int4 no.
pub fn can_assign(from: &DataType, to: &DataType) -> bool {
    if can_cast_implicitly(from, to) || is_string(to) {
        return true;
    }
    if num_rank(from).is_some() && num_rank(to).is_some() {
        return true;
    }
    matches!(
        (from, to),
        (DataType::Timestamptz, DataType::Timestamp | DataType::Date)
            | (DataType::Timestamp, DataType::Date)
    )
}

/// PostgreSQL's type categories (`pg_type.typcategory`).
fn type_category(t: &DataType) -> char {
    match t {
        DataType::Bool => 'B',
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) => 'S',
        DataType::Date | DataType::Timestamp | DataType::Timestamptz => 'D',
        DataType::Json => 'U',
        DataType::Unknown => 'X',
        DataType::Array(_) => 'A',
        _ => 'N',
    }
}

fn is_preferred(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Bool | DataType::Float8 | DataType::Text | DataType::Timestamptz
    )
}

/// PostgreSQL's `select_common_type` for UNION / CASE / COALESCE: all
/// `Unknown` gives text; otherwise the first type is the candidate and a
/// later type of the same category replaces it when the candidate casts to
/// it implicitly but not back (so int4, numeric → numeric; varchar, text
/// → varchar but text, varchar → text, as PostgreSQL). A category mismatch
/// is 42804 `types integer and text cannot be matched` (the caller prefixes
/// "UNION"/"CASE"/"COALESCE"). Length modifiers survive only when all
/// inputs share them.
pub fn common_type(types: &[DataType]) -> Result<DataType> {
    let known: Vec<&DataType> = types.iter().filter(|t| **t != DataType::Unknown).collect();
    let Some(first) = known.first() else {
        return Ok(DataType::Text);
    };
    let mut ptype = **first;
    let mut preferred = is_preferred(&ptype);
    for ntype in &known[1..] {
        if base(ntype) == base(&ptype) {
            continue;
        }
        if type_category(ntype) != type_category(&ptype) {
            return Err(sql_err!(
                SqlState::DATATYPE_MISMATCH,
                "types {} and {} cannot be matched",
                base(&ptype).format_type(),
                base(ntype).format_type()
            ));
        }
        if !preferred && can_cast_implicitly(&ptype, ntype) && !can_cast_implicitly(ntype, &ptype) {
            ptype = **ntype;
            preferred = is_preferred(&ptype);
        }
    }
    for t in &known {
        if !can_cast_implicitly(t, &ptype) {
            return Err(sql_err!(
                SqlState::CANNOT_COERCE,
                "could not convert type {} to {}",
                base(t).format_type(),
                base(&ptype).format_type()
            ));
        }
    }
    // PostgreSQL's select_common_typmod: modifiers only if every input
    // (untyped literals included) has exactly this type.
    Ok(if types.iter().all(|t| *t == ptype) {
        ptype
    } else {
        base(&ptype)
    })
}

#[cfg(test)]
#[path = "cast_tests.rs"]
mod tests;
