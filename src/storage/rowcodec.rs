//! Rows as MessagePack, with an explicit tag for every [`Value`] variant so
//! that the stored format does not depend on serde's derive output.
//!
//! A row is a msgpack array of values. Each value:
//!
//! | Value          | msgpack                                              |
//! |----------------|------------------------------------------------------|
//! | `Null`         | nil (`0xc0`)                                         |
//! | `Bool`         | false / true (`0xc2` / `0xc3`)                       |
//! | `Int8`         | int, smallest encoding (fixint, int/uint 8..64)      |
//! | `Float4`       | float 32 (`0xca`, big-endian IEEE 754)               |
//! | `Float8`       | float 64 (`0xcb`, big-endian IEEE 754)               |
//! | `Text`         | str (UTF-8)                                          |
//! | `Int2`         | ext type 1, 2 bytes: big-endian i16                  |
//! | `Int4`         | ext type 2, 4 bytes: big-endian i32                  |
//! | `Date`         | ext type 3, 4 bytes: big-endian i32 days since 2000-01-01 |
//! | `Timestamp`    | ext type 4, 8 bytes: big-endian i64 µs since 2000-01-01 |
//! | `Timestamptz`  | ext type 5, 8 bytes: big-endian i64 µs since 2000-01-01 UTC |
//! | `Json`         | ext type 6, the JSON text as UTF-8                   |
//! | `Numeric`      | ext type 7, the `Decimal`'s rmp-serde encoding       |
//!
//! The common types take their natural msgpack form; the types msgpack
//! cannot tell apart (the integer widths, the date/time types, json) carry an
//! ext tag. Decoding accepts only these forms, checks every length against
//! the bytes left, and returns an error (never panics) on anything else.

use crate::error::{Error, Result};
use crate::types::{Decimal, Row, Value};

use super::codec::{Cursor, DecodeResult};

/// Ext type tags (see the module table).
mod tag {
    pub const INT2: i8 = 1;
    pub const INT4: i8 = 2;
    pub const DATE: i8 = 3;
    pub const TIMESTAMP: i8 = 4;
    pub const TIMESTAMPTZ: i8 = 5;
    pub const JSON: i8 = 6;
    pub const NUMERIC: i8 = 7;
}

fn enc<E: std::fmt::Display>(e: E) -> Error {
    Error::Internal(format!("msgpack encoding failed: {e}"))
}

fn len32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Internal(format!("value of {n} bytes is too large")))
}

fn put_ext(out: &mut Vec<u8>, ty: i8, data: &[u8]) -> Result<()> {
    rmp::encode::write_ext_meta(out, len32(data.len())?, ty).map_err(enc)?;
    out.extend_from_slice(data);
    Ok(())
}

/// Appends one value.
pub fn encode_value(out: &mut Vec<u8>, v: &Value) -> Result<()> {
    match v {
        Value::Null => rmp::encode::write_nil(out).map_err(enc)?,
        Value::Bool(b) => rmp::encode::write_bool(out, *b).map_err(enc)?,
        Value::Int8(i) => {
            rmp::encode::write_sint(out, *i).map_err(enc)?;
        }
        Value::Float4(f) => rmp::encode::write_f32(out, *f).map_err(enc)?,
        Value::Float8(f) => rmp::encode::write_f64(out, *f).map_err(enc)?,
        Value::Text(s) => {
            rmp::encode::write_str_len(out, len32(s.len())?).map_err(enc)?;
            out.extend_from_slice(s.as_bytes());
        }
        Value::Int2(i) => put_ext(out, tag::INT2, &i.to_be_bytes())?,
        Value::Int4(i) => put_ext(out, tag::INT4, &i.to_be_bytes())?,
        Value::Date(d) => put_ext(out, tag::DATE, &d.to_be_bytes())?,
        Value::Timestamp(t) => put_ext(out, tag::TIMESTAMP, &t.to_be_bytes())?,
        Value::Timestamptz(t) => put_ext(out, tag::TIMESTAMPTZ, &t.to_be_bytes())?,
        Value::Json(s) => put_ext(out, tag::JSON, s.as_bytes())?,
        Value::Numeric(d) => put_ext(out, tag::NUMERIC, &rmp_serde::to_vec(d)?)?,
    }
    Ok(())
}

/// Appends a msgpack array header of `n` elements.
pub fn put_array_len(out: &mut Vec<u8>, n: usize) -> Result<()> {
    rmp::encode::write_array_len(out, len32(n)?).map_err(enc)?;
    Ok(())
}

/// Appends a msgpack bin (used for keys).
pub fn put_bin(out: &mut Vec<u8>, b: &[u8]) -> Result<()> {
    rmp::encode::write_bin_len(out, len32(b.len())?).map_err(enc)?;
    out.extend_from_slice(b);
    Ok(())
}

/// Appends a msgpack unsigned int.
pub fn put_uint(out: &mut Vec<u8>, v: u64) -> Result<()> {
    rmp::encode::write_uint(out, v).map_err(enc)?;
    Ok(())
}

/// Appends a row: an array of values.
pub fn encode_row(out: &mut Vec<u8>, row: &[Value]) -> Result<()> {
    put_array_len(out, row.len())?;
    for v in row {
        encode_value(out, v)?;
    }
    Ok(())
}

/// Decoding of the msgpack subset above, on a bounded [`Cursor`].
pub struct Decoder<'a, 'b> {
    cur: &'b mut Cursor<'a>,
}

impl<'a, 'b> Decoder<'a, 'b> {
    /// A decoder reading from `cur`.
    pub fn new(cur: &'b mut Cursor<'a>) -> Self {
        Decoder { cur }
    }

    fn be_len(&mut self, width: usize) -> DecodeResult<usize> {
        let b = self.cur.bytes(width)?;
        Ok(b.iter().fold(0usize, |acc, x| (acc << 8) | usize::from(*x)))
    }

    /// An array header; the count is bounded by the bytes left (every element
    /// takes at least one byte).
    pub fn array_len(&mut self) -> DecodeResult<usize> {
        let m = self.cur.u8()?;
        let n = match m {
            0x90..=0x9f => usize::from(m & 0x0f),
            0xdc => self.be_len(2)?,
            0xdd => self.be_len(4)?,
            _ => return Err(format!("expected an array, found marker 0x{m:02x}")),
        };
        if n > self.cur.remaining() {
            return Err(format!(
                "array of {n} elements exceeds the {} bytes left",
                self.cur.remaining()
            ));
        }
        Ok(n)
    }

    /// A bin value.
    pub fn bin(&mut self) -> DecodeResult<&'a [u8]> {
        let m = self.cur.u8()?;
        let n = match m {
            0xc4 => self.be_len(1)?,
            0xc5 => self.be_len(2)?,
            0xc6 => self.be_len(4)?,
            _ => return Err(format!("expected bin, found marker 0x{m:02x}")),
        };
        self.cur.bytes(n)
    }

    /// An unsigned integer.
    pub fn uint(&mut self) -> DecodeResult<u64> {
        match self.int()? {
            Int::U(u) => Ok(u),
            Int::I(i) => {
                u64::try_from(i).map_err(|_| format!("expected an unsigned integer, found {i}"))
            }
        }
    }

    fn int(&mut self) -> DecodeResult<Int> {
        let m = self.cur.u8()?;
        let c = &mut *self.cur;
        Ok(match m {
            0x00..=0x7f => Int::U(u64::from(m)),
            0xe0..=0xff => Int::I(i64::from(m as i8)),
            0xcc => Int::U(u64::from(c.u8()?)),
            0xcd => Int::U(u64::from(u16::from_be_bytes(c.array()?))),
            0xce => Int::U(u64::from(u32::from_be_bytes(c.array()?))),
            0xcf => Int::U(u64::from_be_bytes(c.array()?)),
            0xd0 => Int::I(i64::from(c.u8()? as i8)),
            0xd1 => Int::I(i64::from(i16::from_be_bytes(c.array()?))),
            0xd2 => Int::I(i64::from(i32::from_be_bytes(c.array()?))),
            0xd3 => Int::I(i64::from_be_bytes(c.array()?)),
            _ => return Err(format!("expected an integer, found marker 0x{m:02x}")),
        })
    }

    /// One value.
    pub fn value(&mut self) -> DecodeResult<Value> {
        let Some(&m) = self.peek() else {
            return Err("value expected, found end of data".into());
        };
        match m {
            0xc0 => self.skip(Value::Null),
            0xc2 => self.skip(Value::Bool(false)),
            0xc3 => self.skip(Value::Bool(true)),
            0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => match self.int()? {
                Int::I(i) => Ok(Value::Int8(i)),
                Int::U(u) => i64::try_from(u)
                    .map(Value::Int8)
                    .map_err(|_| format!("integer {u} out of range for bigint")),
            },
            0xca => {
                self.cur.u8()?;
                Ok(Value::Float4(f32::from_be_bytes(self.cur.array()?)))
            }
            0xcb => {
                self.cur.u8()?;
                Ok(Value::Float8(f64::from_be_bytes(self.cur.array()?)))
            }
            0xa0..=0xbf | 0xd9..=0xdb => Ok(Value::Text(self.str()?)),
            0xd4..=0xd8 | 0xc7..=0xc9 => self.ext(),
            _ => Err(format!("unexpected msgpack marker 0x{m:02x} for a value")),
        }
    }

    fn peek(&self) -> Option<&u8> {
        let mut c = self.cur.clone();
        c.bytes(1).ok().and_then(|b| b.first())
    }

    fn skip(&mut self, v: Value) -> DecodeResult<Value> {
        self.cur.u8()?;
        Ok(v)
    }

    fn str(&mut self) -> DecodeResult<String> {
        let m = self.cur.u8()?;
        let n = match m {
            0xa0..=0xbf => usize::from(m & 0x1f),
            0xd9 => self.be_len(1)?,
            0xda => self.be_len(2)?,
            0xdb => self.be_len(4)?,
            _ => return Err(format!("expected str, found marker 0x{m:02x}")),
        };
        utf8(self.cur.bytes(n)?)
    }

    fn ext(&mut self) -> DecodeResult<Value> {
        let m = self.cur.u8()?;
        let n = match m {
            0xd4 => 1,
            0xd5 => 2,
            0xd6 => 4,
            0xd7 => 8,
            0xd8 => 16,
            0xc7 => self.be_len(1)?,
            0xc8 => self.be_len(2)?,
            _ => self.be_len(4)?,
        };
        let ty = self.cur.u8()? as i8;
        let data = self.cur.bytes(n)?;
        let fixed = |want: usize| -> DecodeResult<()> {
            if n == want {
                Ok(())
            } else {
                Err(format!("ext type {ty} with {n} bytes (expected {want})"))
            }
        };
        let mut c = Cursor::new(data);
        Ok(match ty {
            tag::INT2 => {
                fixed(2)?;
                Value::Int2(i16::from_be_bytes(c.array()?))
            }
            tag::INT4 => {
                fixed(4)?;
                Value::Int4(i32::from_be_bytes(c.array()?))
            }
            tag::DATE => {
                fixed(4)?;
                Value::Date(i32::from_be_bytes(c.array()?))
            }
            tag::TIMESTAMP => {
                fixed(8)?;
                Value::Timestamp(i64::from_be_bytes(c.array()?))
            }
            tag::TIMESTAMPTZ => {
                fixed(8)?;
                Value::Timestamptz(i64::from_be_bytes(c.array()?))
            }
            tag::JSON => Value::Json(utf8(data)?),
            tag::NUMERIC => Value::Numeric(
                rmp_serde::from_slice::<Decimal>(data).map_err(|e| format!("bad numeric: {e}"))?,
            ),
            _ => return Err(format!("unknown ext type {ty}")),
        })
    }

    /// A row: an array of values.
    pub fn row(&mut self) -> DecodeResult<Row> {
        let n = self.array_len()?;
        let mut row = Vec::with_capacity(n);
        for _ in 0..n {
            row.push(self.value()?);
        }
        Ok(row)
    }
}

enum Int {
    U(u64),
    I(i64),
}

fn utf8(b: &[u8]) -> DecodeResult<String> {
    std::str::from_utf8(b)
        .map(str::to_owned)
        .map_err(|_| "string is not valid UTF-8".into())
}

/// Decodes a whole buffer as one row (nothing may follow).
pub fn decode_row(bytes: &[u8]) -> DecodeResult<Row> {
    let mut c = Cursor::new(bytes);
    let row = Decoder::new(&mut c).row()?;
    if !c.is_empty() {
        return Err(format!("{} trailing bytes after row", c.remaining()));
    }
    Ok(row)
}

/// True when two values are the same variant with the same contents (floats
/// compared bit for bit, so NaN equals NaN and 0.0 differs from -0.0): the
/// test for "this column changed" in a PATCH.
pub fn values_identical(a: &Value, b: &Value) -> bool {
    use Value::*;
    match (a, b) {
        (Null, Null) => true,
        (Bool(x), Bool(y)) => x == y,
        (Int2(x), Int2(y)) => x == y,
        (Int4(x), Int4(y)) => x == y,
        (Int8(x), Int8(y)) => x == y,
        (Float4(x), Float4(y)) => x.to_bits() == y.to_bits(),
        (Float8(x), Float8(y)) => x.to_bits() == y.to_bits(),
        (Text(x), Text(y)) | (Json(x), Json(y)) => x == y,
        (Date(x), Date(y)) => x == y,
        (Timestamp(x), Timestamp(y)) | (Timestamptz(x), Timestamptz(y)) => x == y,
        (Numeric(x), Numeric(y)) => match (rmp_serde::to_vec(x), rmp_serde::to_vec(y)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_row() -> Row {
        vec![
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int2(-7),
            Value::Int4(i32::MIN),
            Value::Int8(i64::MAX),
            Value::Int8(-33),
            Value::Int8(5),
            Value::Float4(1.5),
            Value::Float8(f64::NAN),
            Value::Text("héllo".into()),
            Value::Text("x".repeat(300)),
            Value::Date(-1),
            Value::Timestamp(1_234_567),
            Value::Timestamptz(i64::MIN),
            Value::Json("{\"a\":1}".into()),
            Value::Numeric(decimal(1234, 2)),
        ]
    }

    /// A Decimal built through its serde form (its fields are private).
    fn decimal(mantissa: i128, scale: u8) -> Decimal {
        let mut b = vec![0x92, 0xc4, 16];
        b.extend_from_slice(&mantissa.to_be_bytes());
        b.push(scale);
        rmp_serde::from_slice(&b).expect("decimal")
    }

    #[test]
    fn every_variant_round_trips() {
        let row = sample_row();
        let mut b = Vec::new();
        encode_row(&mut b, &row).expect("encode");
        let back = decode_row(&b).expect("decode");
        assert_eq!(back.len(), row.len());
        for (a, b) in row.iter().zip(&back) {
            assert!(values_identical(a, b), "{a:?} != {b:?}");
        }
    }

    #[test]
    fn layout_is_pinned() {
        let mut b = Vec::new();
        encode_row(
            &mut b,
            &[
                Value::Int4(1),
                Value::Int8(1),
                Value::Text("a".into()),
                Value::Null,
            ],
        )
        .expect("encode");
        assert_eq!(b, [0x94, 0xd6, 2, 0, 0, 0, 1, 0x01, 0xa1, b'a', 0xc0]);
        // NUMERIC is the Decimal's rmp-serde form: [bin16 BE mantissa, scale].
        // If this changes, stored numerics change format: update FORMAT.md.
        let mut b = Vec::new();
        encode_value(&mut b, &sample_row()[16]).expect("encode");
        assert_eq!(&b[..3], &[0xc7, 20, 7]);
        assert_eq!(&b[3..6], &[0x92, 0xc4, 16]);
        assert_eq!(&b[b.len() - 3..], &[0x04, 0xd2, 2]);
    }

    #[test]
    fn bad_bytes_never_panic() {
        let mut good = Vec::new();
        encode_row(&mut good, &sample_row()).expect("encode");
        // Every truncation and every single-byte change of a valid row.
        for cut in 0..good.len() {
            assert!(decode_row(&good[..cut]).is_err());
        }
        for i in 0..good.len() {
            for x in [0x00, 0x7f, 0x80, 0xc1, 0xdd, 0xff] {
                let mut b = good.clone();
                b[i] = x;
                let _ = decode_row(&b);
            }
        }
        // Pseudo-random garbage.
        let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let len = (s % 40) as usize;
            let mut b = Vec::with_capacity(len);
            for _ in 0..len {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                b.push(s as u8);
            }
            let _ = decode_row(&b);
        }
        assert!(
            decode_row(&[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err(),
            "huge array count"
        );
        assert!(decode_row(&[0x91, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(
            decode_row(&[0x91, 0xd6, 99, 0, 0, 0, 0]).is_err(),
            "unknown ext"
        );
        assert!(
            decode_row(&[0x91, 0xd5, 2, 0, 0]).is_err(),
            "int4 with 2 bytes"
        );
    }

    #[test]
    fn identical_distinguishes_types_and_float_bits() {
        assert!(!values_identical(&Value::Int4(1), &Value::Int8(1)));
        assert!(!values_identical(&Value::Float8(0.0), &Value::Float8(-0.0)));
        assert!(values_identical(
            &Value::Float8(f64::NAN),
            &Value::Float8(f64::NAN)
        ));
        assert!(!values_identical(
            &Value::Text("a".into()),
            &Value::Json("a".into())
        ));
    }
}
