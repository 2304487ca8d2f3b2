//! [`Value`]: one typed SQL value.

use serde::{Deserialize, Serialize};

use super::{DataType, Decimal};

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

// STUB (types work): equality and hashing consistent with ops::sort_cmp.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        super::ops::sort_cmp(self, other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Value {}
impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, _state: &mut H) {
        todo!()
    }
}
