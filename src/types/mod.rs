//! SQL values and types, and PostgreSQL's text and binary formats for each,
//! all in one place.
//!
//! Every layer passes [`Value`]s: the executor computes with them, storage
//! keeps them (msgpack), the wire layer encodes them with [`Value::to_text`] /
//! [`Value::to_binary`]. Integers stay integers through arithmetic, NUMERIC is
//! an exact decimal ([`Decimal`]), never an f64.
//!
//! Where things are:
//! - [`value`], [`datatype`]: the `Value` and `DataType` enums.
//! - [`text`], [`binary`]: PostgreSQL's text and binary formats; [`float`],
//!   [`json`] and the datetime modules hold the per-type details.
//! - [`ops`] (with `arith`, `like`): comparison, sort order, operators.
//! - [`cast`]: explicit/assignment casts, cast tables, common types.
//! - [`numeric`] (with `numeric_ops`, `numeric_binary`, `bignum`): exact
//!   decimals.
//! - [`datetime`] (with `datetime_parse`, `datetime_fields`), [`timezone`]
//!   (with `tzif`): dates, timestamps and time zones.

mod arith;
pub mod array;
mod bignum;
pub mod binary;
pub mod cast;
pub mod datatype;
pub mod datetime;
mod datetime_fields;
mod datetime_parse;
pub mod float;
pub mod json;
mod like;
pub mod numeric;
mod numeric_binary;
mod numeric_ops;
pub mod ops;
#[cfg(test)]
mod test_cases;
pub mod text;
pub mod timezone;
mod tzif;
pub mod value;

pub use datatype::DataType;
pub use numeric::Decimal;
pub use timezone::TimeZone;
pub use value::Value;

/// A row of values, in column order.
pub type Row = Vec<Value>;

/// Session settings that change how values are read and printed:
/// PostgreSQL's `TimeZone`, `extra_float_digits` and `DateStyle` (only the
/// `ISO, MDY` style is supported, as every driver asks for it), and the
/// statement's start time for `'now'`.
#[derive(Debug, Clone)]
pub struct TypeContext {
    /// The session time zone: timestamptz values print in it, and zone-less
    /// text read as timestamptz is taken in it.
    pub timezone: TimeZone,
    /// PostgreSQL's `extra_float_digits` (-15..=3). Values > 0 (the default, 1)
    /// print floats in the shortest form that reads back exactly.
    pub extra_float_digits: i32,
    /// The statement start time (microseconds since 1970-01-01 UTC), which
    /// `'now'`, `'today'`, `'tomorrow'` and `'yesterday'` read.
    pub now_unix_micros: i64,
}

impl Default for TypeContext {
    fn default() -> Self {
        TypeContext {
            timezone: TimeZone::Utc,
            extra_float_digits: 1,
            now_unix_micros: 0,
        }
    }
}
