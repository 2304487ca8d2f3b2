//! PostgreSQL's binary wire format ("send"/"recv") for every type, behind
//! [`Value::to_binary`] and [`Value::from_binary`].
//!
//! | type                  | bytes                                             |
//! |-----------------------|---------------------------------------------------|
//! | bool                  | 1 byte, 0 or 1 (any non-zero reads as true)       |
//! | int2 / int4 / int8    | big-endian two's complement, 2 / 4 / 8 bytes      |
//! | float4 / float8       | big-endian IEEE 754, 4 / 8 bytes                  |
//! | numeric               | base-10000 digits, see `numeric_binary.rs`        |
//! | text, varchar, bpchar | the UTF-8 bytes                                   |
//! | json                  | the UTF-8 bytes (jsonb would add a version byte)  |
//! | date                  | i32 days since 2000-01-01                         |
//! | timestamp(tz)         | i64 microseconds since 2000-01-01 (UTC for tz)    |
//!
//! No length prefix: the wire layer frames each value. A byte count that
//! does not fit the type is 22P03 `incorrect binary data format`.

use super::datetime::{
    DATE_NEG_INF, DATE_POS_INF, TS_NEG_INF, TS_POS_INF, date_in_range, timestamp_in_range,
};
use super::{DataType, Decimal, TypeContext, Value};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;

/// 22P03 `incorrect binary data format`.
pub(crate) fn bad_format() -> Error {
    Error::sql(
        SqlState::INVALID_BINARY_REPRESENTATION,
        "incorrect binary data format",
    )
}

fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N]> {
    bytes.try_into().map_err(|_| bad_format())
}

/// Appends the binary form of `v` as a value of column type `ty`. A value
/// of another type (an Int4 for an int8 column, say) is cast first.
pub(crate) fn to_binary(v: &Value, ty: &DataType, out: &mut Vec<u8>) -> Result<()> {
    if !fits(v, ty) {
        return send_cast(v, ty, out);
    }
    match v {
        Value::Null => return Err(Error::Internal("NULL has no binary form".into())),
        Value::Bool(b) => out.push(*b as u8),
        Value::Int2(i) => out.extend_from_slice(&i.to_be_bytes()),
        Value::Int4(i) => out.extend_from_slice(&i.to_be_bytes()),
        Value::Int8(i) => out.extend_from_slice(&i.to_be_bytes()),
        Value::Float4(f) => out.extend_from_slice(&f.to_be_bytes()),
        Value::Float8(f) => out.extend_from_slice(&f.to_be_bytes()),
        Value::Numeric(d) => d.to_pg_binary(out),
        Value::Text(s) | Value::Json(s) => out.extend_from_slice(s.as_bytes()),
        Value::Date(d) => out.extend_from_slice(&d.to_be_bytes()),
        Value::Timestamp(t) | Value::Timestamptz(t) => out.extend_from_slice(&t.to_be_bytes()),
    }
    Ok(())
}

/// Sends a value of another type than the column's by casting it first.
fn send_cast(v: &Value, ty: &DataType, out: &mut Vec<u8>) -> Result<()> {
    match (v, ty) {
        (Value::Null, _) => Err(Error::Internal("NULL has no binary form".into())),
        (Value::Int8(i), DataType::Oid) => match u32::try_from(*i) {
            Ok(o) => {
                out.extend_from_slice(&o.to_be_bytes());
                Ok(())
            }
            Err(_) => Err(Error::Internal(format!("OID out of range: {i}"))),
        },
        (Value::Text(s), DataType::Array(oid)) => super::array::to_binary(s, *oid, out),
        (_, DataType::RegClass | DataType::RegType | DataType::RegNamespace) => {
            Err(no_reg_binary(ty))
        }
        (other, _) => {
            // Cast with a default context (UTC): callers normally pass
            // values of the column's type already.
            let cast = super::cast::cast(other.clone(), ty, &TypeContext::default())?;
            if !fits(&cast, ty) {
                return Err(Error::Internal(format!(
                    "cannot send {} as {}",
                    other.data_type().format_type(),
                    ty.format_type()
                )));
            }
            to_binary(&cast, ty, out)
        }
    }
}

/// True when `v` is the variant `to_binary` encodes directly for `ty`.
fn fits(v: &Value, ty: &DataType) -> bool {
    use DataType as T;
    matches!(
        (v, ty),
        (Value::Bool(_), T::Bool)
            | (Value::Int2(_), T::Int2)
            | (Value::Int4(_), T::Int4)
            | (Value::Int8(_), T::Int8)
            | (Value::Float4(_), T::Float4)
            | (Value::Float8(_), T::Float8)
            | (Value::Numeric(_), T::Numeric { .. })
            | (
                Value::Text(_) | Value::Json(_),
                T::Text | T::Varchar(_) | T::Char(_) | T::Unknown | T::Json
            )
            | (Value::Date(_), T::Date)
            | (Value::Timestamp(_), T::Timestamp)
            | (Value::Timestamptz(_), T::Timestamptz)
            | (Value::Null, _)
    )
}

fn utf8(bytes: &[u8]) -> Result<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            let bad: Vec<String> = bytes[at..]
                .iter()
                .take(e.error_len().unwrap_or(1).max(1))
                .map(|b| format!("{b:02x}"))
                .collect();
            Err(sql_err!(
                SqlState::CHARACTER_NOT_IN_REPERTOIRE,
                "invalid byte sequence for encoding \"UTF8\": 0x{}",
                bad.join(" 0x")
            ))
        }
    }
}

/// Reads the binary form of a value of type `ty` (the whole slice).
pub(crate) fn from_binary(bytes: &[u8], ty: &DataType) -> Result<Value> {
    Ok(match ty {
        DataType::Bool => Value::Bool(fixed::<1>(bytes)?[0] != 0),
        DataType::Int2 => Value::Int2(i16::from_be_bytes(fixed(bytes)?)),
        DataType::Int4 => Value::Int4(i32::from_be_bytes(fixed(bytes)?)),
        DataType::Int8 => Value::Int8(i64::from_be_bytes(fixed(bytes)?)),
        DataType::Float4 => Value::Float4(f32::from_be_bytes(fixed(bytes)?)),
        DataType::Float8 => Value::Float8(f64::from_be_bytes(fixed(bytes)?)),
        DataType::Numeric {
            precision: Some(p),
            scale,
        } => Value::Numeric(Decimal::from_pg_binary(bytes)?.apply_typmod(*p, scale.unwrap_or(0))?),
        DataType::Numeric { .. } => Value::Numeric(Decimal::from_pg_binary(bytes)?),
        DataType::Text | DataType::Varchar(_) | DataType::Unknown => Value::Text(utf8(bytes)?),
        DataType::Char(n) => Value::Text(super::text::pad_char(&utf8(bytes)?, *n)),
        DataType::Json => {
            let s = utf8(bytes)?;
            super::json::validate(&s)?;
            Value::Json(s)
        }
        DataType::Date => {
            let d = i32::from_be_bytes(fixed(bytes)?);
            if d != DATE_NEG_INF && d != DATE_POS_INF && !date_in_range(d) {
                return Err(sql_err!(
                    SqlState::DATETIME_FIELD_OVERFLOW,
                    "date out of range"
                ));
            }
            Value::Date(d)
        }
        DataType::Timestamp | DataType::Timestamptz => {
            let t = i64::from_be_bytes(fixed(bytes)?);
            if t != TS_NEG_INF && t != TS_POS_INF && !timestamp_in_range(t) {
                return Err(sql_err!(
                    SqlState::DATETIME_FIELD_OVERFLOW,
                    "timestamp out of range"
                ));
            }
            if *ty == DataType::Timestamp {
                Value::Timestamp(t)
            } else {
                Value::Timestamptz(t)
            }
        }
        DataType::Oid => Value::Int8(u32::from_be_bytes(fixed(bytes)?) as i64),
        DataType::RegClass | DataType::RegType | DataType::RegNamespace => {
            return Err(no_reg_binary(ty));
        }
        DataType::Array(oid) => super::array::from_binary(bytes, *oid)?,
    })
}

/// The reg* types are held by name, and their binary form is the OID,
/// which needs the catalog: not supported in binary.
fn no_reg_binary(ty: &DataType) -> Error {
    sql_err!(
        SqlState::FEATURE_NOT_SUPPORTED,
        "binary format of type {} is not supported",
        ty.format_type()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: Value, ty: DataType) {
        let mut out = Vec::new();
        to_binary(&v, &ty, &mut out).unwrap();
        let back = from_binary(&out, &ty).unwrap();
        assert_eq!(format!("{back:?}"), format!("{v:?}"), "{ty:?}");
    }

    #[test]
    fn round_trips() {
        round_trip(Value::Bool(true), DataType::Bool);
        round_trip(Value::Int2(-5), DataType::Int2);
        round_trip(Value::Int4(i32::MIN), DataType::Int4);
        round_trip(Value::Int8(i64::MAX), DataType::Int8);
        round_trip(Value::Float4(-1.5), DataType::Float4);
        round_trip(Value::Float8(f64::INFINITY), DataType::Float8);
        round_trip(
            Value::Numeric("-12.340".parse().unwrap()),
            DataType::Numeric {
                precision: None,
                scale: None,
            },
        );
        round_trip(Value::Text("héllo".into()), DataType::Text);
        round_trip(Value::Json("{\"a\":1}".into()), DataType::Json);
        round_trip(Value::Date(-1), DataType::Date);
        round_trip(Value::Date(DATE_POS_INF), DataType::Date);
        round_trip(Value::Timestamp(123_456_789), DataType::Timestamp);
        round_trip(Value::Timestamptz(TS_NEG_INF), DataType::Timestamptz);
    }

    /// Bytes as PostgreSQL sends them.
    #[test]
    fn layouts_match_postgres() {
        let mut out = Vec::new();
        to_binary(&Value::Int4(1), &DataType::Int4, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 1]);
        out.clear();
        // An int4 value sent for an int8 column is widened.
        to_binary(&Value::Int4(-2), &DataType::Int8, &mut out).unwrap();
        assert_eq!(out, (-2i64).to_be_bytes());
        out.clear();
        to_binary(&Value::Date(1), &DataType::Date, &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 1]);
        out.clear();
        to_binary(&Value::Float8(1.0), &DataType::Float8, &mut out).unwrap();
        assert_eq!(out, [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn bad_lengths_are_22p03() {
        for ty in [
            DataType::Bool,
            DataType::Int2,
            DataType::Int4,
            DataType::Int8,
            DataType::Float8,
            DataType::Date,
            DataType::Timestamp,
        ] {
            let e = from_binary(&[1, 2, 3], &ty).unwrap_err();
            assert_eq!(
                e.sqlstate(),
                SqlState::INVALID_BINARY_REPRESENTATION,
                "{ty:?}"
            );
            assert_eq!(e.message(), "incorrect binary data format");
        }
        let e = from_binary(&[0xff, 0xfe], &DataType::Text).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::CHARACTER_NOT_IN_REPERTOIRE);
        assert_eq!(
            e.message(),
            "invalid byte sequence for encoding \"UTF8\": 0xff"
        );
        assert!(
            from_binary(
                &i64::MAX.wrapping_sub(1).to_be_bytes(),
                &DataType::Timestamp
            )
            .is_err()
        );
        assert!(from_binary(b"{", &DataType::Json).is_err());
        let numeric52 = DataType::Numeric {
            precision: Some(5),
            scale: Some(2),
        };
        let mut out = Vec::new();
        "12345.6".parse::<Decimal>().unwrap().to_pg_binary(&mut out);
        assert_eq!(
            from_binary(&out, &numeric52).unwrap_err().message(),
            "numeric field overflow"
        );
    }

    #[test]
    fn random_round_trips() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let numeric = DataType::Numeric {
            precision: None,
            scale: None,
        };
        for _ in 0..5000 {
            let r = next();
            let digits = 1 + r % 38;
            let m = (next() as i128 * (next() >> 2) as i128).rem_euclid(10i128.pow(digits as u32));
            let m = if r & 1 == 0 { m } else { -m };
            let d = Decimal::new(m, (next() % 60) as u16).unwrap();
            round_trip(Value::Numeric(d), numeric);
            round_trip(Value::Float8(f64::from_bits(next())), DataType::Float8);
            round_trip(Value::Int8(next() as i64), DataType::Int8);
            let s: String = (0..r % 12)
                .filter_map(|i| char::from_u32(((next() >> i) % 0x11_0000) as u32))
                .collect();
            round_trip(Value::Text(s), DataType::Text);
            let ts = (next() % 9_000_000_000_000_000_000) as i64 - 200_000_000_000_000_000;
            round_trip(Value::Timestamptz(ts), DataType::Timestamptz);
        }
    }
}
