//! PostgreSQL's text format for every type: the output functions behind
//! [`Value::to_text`] and the input functions behind [`Value::from_text`].
//!
//! Input functions read what PostgreSQL's do (`int4in`, `boolin`,
//! `numeric_in`, `float8in`, `date_in`, `json_in`...) and fail with the
//! same SQLSTATE and wording. They apply the type's own constraints that
//! PostgreSQL's input functions apply (numeric precision and scale, the
//! padding of `char(n)`), but not length limits of varchar/char: whether an
//! over-long string is cut or refused depends on the cast context, which
//! [`cast`](super::cast) decides.

use super::datetime::{
    format_date, format_timestamp, format_timestamptz, parse_date, parse_timestamp,
    parse_timestamptz,
};
use super::float::{format_f32, format_f64, parse_f32, parse_f64};
use super::{DataType, Decimal, TypeContext, Value};
use crate::error::{Result, SqlState};
use crate::sql_err;

/// The text output of a value (NULL prints as the empty string; callers
/// send NULL as NULL).
pub(crate) fn to_text(v: &Value, ctx: &TypeContext) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "t" } else { "f" }.to_string(),
        Value::Int2(i) => i.to_string(),
        Value::Int4(i) => i.to_string(),
        Value::Int8(i) => i.to_string(),
        Value::Float4(f) => format_f32(*f, ctx.extra_float_digits),
        Value::Float8(f) => format_f64(*f, ctx.extra_float_digits),
        Value::Numeric(d) => d.to_string(),
        Value::Text(s) | Value::Json(s) => s.clone(),
        Value::Date(d) => format_date(*d),
        Value::Timestamp(ts) => format_timestamp(*ts),
        Value::Timestamptz(ts) => format_timestamptz(*ts, &ctx.timezone),
    }
}

/// `boolin`: t/true/yes/on/1 and f/false/no/off/0, any case, unambiguous
/// prefixes allowed, surrounding whitespace ignored.
pub fn parse_bool(input: &str) -> Result<bool> {
    let s = input
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| s.len() >= min && word.starts_with(s.as_str());
    let v = match s.as_bytes().first() {
        Some(b't') if prefix_of("true", 1) => Some(true),
        Some(b'y') if prefix_of("yes", 1) => Some(true),
        Some(b'f') if prefix_of("false", 1) => Some(false),
        Some(b'n') if prefix_of("no", 1) => Some(false),
        Some(b'o') if prefix_of("on", 2) => Some(true),
        Some(b'o') if prefix_of("off", 2) => Some(false),
        Some(b'1') if s.len() == 1 => Some(true),
        Some(b'0') if s.len() == 1 => Some(false),
        _ => None,
    };
    v.ok_or_else(|| {
        sql_err!(
            SqlState::INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type boolean: \"{input}\""
        )
    })
}

/// `int2in`/`int4in`/`int8in`: optional sign and decimal digits with
/// surrounding whitespace, range-checked for `ty` (Int2/Int4/Int8).
pub fn parse_int(input: &str, ty: &DataType) -> Result<i64> {
    let (name, min, max) = match ty {
        DataType::Int2 => ("smallint", i16::MIN as i64, i16::MAX as i64),
        DataType::Int4 => ("integer", i32::MIN as i64, i32::MAX as i64),
        _ => ("bigint", i64::MIN, i64::MAX),
    };
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(sql_err!(
            SqlState::INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type {name}: \"{input}\""
        ));
    }
    let v: Option<i64> = s.parse::<i128>().ok().and_then(|v| i64::try_from(v).ok());
    match v {
        Some(v) if v >= min && v <= max => Ok(v),
        _ => Err(sql_err!(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "value \"{input}\" is out of range for type {name}"
        )),
    }
}

/// `oidin`: an unsigned 32-bit number (PostgreSQL also takes negative
/// numbers down to -2^31, as their two's-complement bits).
pub fn parse_oid(input: &str) -> Result<i64> {
    let bad = || {
        sql_err!(
            SqlState::INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type oid: \"{input}\""
        )
    };
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match s.parse::<i64>() {
        Ok(v) if (0..=u32::MAX as i64).contains(&v) => Ok(v),
        Ok(v) if v < 0 && v >= i32::MIN as i64 => Ok(v as i32 as u32 as i64),
        _ => Err(sql_err!(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "value \"{input}\" is out of range for type oid"
        )),
    }
}

/// `numeric_in` with the typmod applied.
pub(crate) fn parse_numeric(input: &str, ty: &DataType) -> Result<Decimal> {
    let d: Decimal = input.parse()?;
    match ty {
        DataType::Numeric {
            precision: Some(p),
            scale,
        } => d.apply_typmod(*p, scale.unwrap_or(0)),
        _ => Ok(d),
    }
}

/// `bpchar` input: blank-pads to the declared length (longer strings are
/// left for the cast to cut or refuse).
pub(crate) fn pad_char(s: &str, n: Option<u32>) -> String {
    let len = s.chars().count();
    match n {
        Some(n) if (len as u64) < n as u64 => {
            let mut out = String::with_capacity(s.len() + n as usize - len);
            out.push_str(s);
            out.extend(std::iter::repeat_n(' ', n as usize - len));
            out
        }
        _ => s.to_string(),
    }
}

/// The input function of `ty` applied to `s`.
pub(crate) fn from_text(s: &str, ty: &DataType, ctx: &TypeContext) -> Result<Value> {
    Ok(match ty {
        DataType::Bool => Value::Bool(parse_bool(s)?),
        DataType::Int2 => Value::Int2(parse_int(s, ty)? as i16),
        DataType::Int4 => Value::Int4(parse_int(s, ty)? as i32),
        DataType::Int8 => Value::Int8(parse_int(s, ty)?),
        DataType::Float4 => Value::Float4(parse_f32(s)?),
        DataType::Float8 => Value::Float8(parse_f64(s)?),
        DataType::Numeric { .. } => Value::Numeric(parse_numeric(s, ty)?),
        DataType::Text | DataType::Varchar(_) | DataType::Unknown => Value::Text(s.to_string()),
        DataType::Char(n) => Value::Text(pad_char(s, *n)),
        DataType::Date => Value::Date(parse_date(s, ctx)?),
        DataType::Timestamp => Value::Timestamp(parse_timestamp(s, ctx)?),
        DataType::Timestamptz => Value::Timestamptz(parse_timestamptz(s, ctx)?),
        DataType::Json => {
            super::json::validate(s)?;
            Value::Json(s.to_string())
        }
        DataType::Oid => Value::Int8(parse_oid(s)?),
        // Held by name; the name is looked up where the OID is needed.
        DataType::RegClass | DataType::RegType | DataType::RegNamespace => Value::Text(
            s.trim_matches(|c: char| c.is_ascii_whitespace())
                .to_string(),
        ),
        DataType::Array(oid) => super::array::from_text(s, *oid, ctx)?,
    })
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
