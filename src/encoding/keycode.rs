//! Order-preserving key encoding of SQL values ("keycode").
//!
//! For two tuples of the same column types, comparing the encoded bytes
//! with `memcmp` gives the same answer as comparing the tuples value by
//! value with [`sort_cmp`](crate::types::ops::sort_cmp), NULL last. Values
//! that `sort_cmp` calls equal encode to the same bytes, so a B-tree over
//! these keys also enforces uniqueness the way PostgreSQL does (`1.0` and
//! `1.00`, `-0` and `0`, and any two NaNs collide).
//!
//! Each value is a tag byte and a self-delimiting payload, so composite
//! keys are plain concatenations:
//!
//! ```text
//! tag   value        payload
//! 0x10  bool         1 byte: 0 or 1
//! 0x20  int2/4/8     8 bytes: i64 big-endian with the sign bit flipped,
//!                    then 1 byte width (2, 4, 8) to decode the variant
//! 0x28  numeric      sign byte 0x01 (-) | 0x02 (zero) | 0x03 (+); if not zero:
//!                    2 bytes exponent of the leading digit (i16, sign flipped)
//!                    and one byte per significant digit (digit + 1), ended by
//!                    0x00; for negatives every byte after the sign is inverted
//! 0x30  float4/8     8 bytes: the f64 bits, sign bit flipped for positives and
//!                    all bits inverted for negatives (-0 folded into 0, one
//!                    NaN, which sorts last), then 1 byte width (4, 8)
//! 0x40  text         UTF-8 with 0x00 written as 0x00 0xFF, ended by 0x00 0x01
//! 0x50  json         as text
//! 0x60  date         i32 big-endian, sign bit flipped
//! 0x61  timestamp    i64 big-endian, sign bit flipped
//! 0x62  timestamptz  i64 big-endian, sign bit flipped
//! 0xFF  NULL         nothing
//! ```
//!
//! Tags ascend in `sort_cmp`'s order of type categories, so even tuples of
//! mixed types order consistently (integers, numerics and floats in one
//! column do not interleave by value, which same-typed columns never need).
//!
//! Decoding is the exact inverse up to what keys cannot keep: a numeric
//! comes back with its trailing zeros removed (`1.50` → `1.5`), `-0.0` as
//! `0.0`. Bad bytes are an error, never a panic.

use crate::error::{Error, Result};
use crate::types::{Decimal, Value};

const TAG_BOOL: u8 = 0x10;
const TAG_INT: u8 = 0x20;
const TAG_NUMERIC: u8 = 0x28;
const TAG_FLOAT: u8 = 0x30;
const TAG_TEXT: u8 = 0x40;
const TAG_JSON: u8 = 0x50;
const TAG_DATE: u8 = 0x60;
const TAG_TIMESTAMP: u8 = 0x61;
const TAG_TIMESTAMPTZ: u8 = 0x62;
const TAG_NULL: u8 = 0xFF;

const SIGN_NEG: u8 = 0x01;
const SIGN_ZERO: u8 = 0x02;
const SIGN_POS: u8 = 0x03;

/// Appends the order-preserving encoding of each value, in order.
pub fn encode_key(values: &[Value], out: &mut Vec<u8>) -> Result<()> {
    for v in values {
        encode_value(v, out);
    }
    Ok(())
}

fn encode_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(TAG_NULL),
        Value::Bool(b) => out.extend_from_slice(&[TAG_BOOL, *b as u8]),
        Value::Int2(i) => encode_int(*i as i64, 2, out),
        Value::Int4(i) => encode_int(*i as i64, 4, out),
        Value::Int8(i) => encode_int(*i, 8, out),
        Value::Float4(f) => encode_float(*f as f64, 4, out),
        Value::Float8(f) => encode_float(*f, 8, out),
        Value::Numeric(d) => encode_numeric(d, out),
        Value::Text(s) => encode_string(TAG_TEXT, s, out),
        Value::Json(s) => encode_string(TAG_JSON, s, out),
        Value::Date(d) => {
            out.push(TAG_DATE);
            out.extend_from_slice(&((*d as u32) ^ (1 << 31)).to_be_bytes());
        }
        Value::Timestamp(t) => encode_i64(TAG_TIMESTAMP, *t, out),
        Value::Timestamptz(t) => encode_i64(TAG_TIMESTAMPTZ, *t, out),
    }
}

fn encode_i64(tag: u8, v: i64, out: &mut Vec<u8>) {
    out.push(tag);
    out.extend_from_slice(&((v as u64) ^ (1 << 63)).to_be_bytes());
}

fn encode_int(v: i64, width: u8, out: &mut Vec<u8>) {
    encode_i64(TAG_INT, v, out);
    out.push(width);
}

fn encode_float(f: f64, width: u8, out: &mut Vec<u8>) {
    let f = if f == 0.0 {
        0.0
    } else if f.is_nan() {
        f64::NAN
    } else {
        f
    };
    let bits = f.to_bits();
    let key = if bits >> 63 == 1 {
        !bits
    } else {
        bits ^ (1 << 63)
    };
    out.push(TAG_FLOAT);
    out.extend_from_slice(&key.to_be_bytes());
    out.push(width);
}

fn encode_numeric(d: &Decimal, out: &mut Vec<u8>) {
    out.push(TAG_NUMERIC);
    let (sign, exp, digits) = d.sign_exp_digits();
    if sign == 0 {
        out.push(SIGN_ZERO);
        return;
    }
    out.push(if sign < 0 { SIGN_NEG } else { SIGN_POS });
    // |exp| <= 1001 always fits an i16.
    let mut body = Vec::with_capacity(digits.len() + 3);
    body.extend_from_slice(&((exp as i16 as u16) ^ (1 << 15)).to_be_bytes());
    body.extend(digits.bytes().map(|b| b - b'0' + 1));
    body.push(0);
    if sign < 0 {
        body.iter_mut().for_each(|b| *b = !*b);
    }
    out.extend_from_slice(&body);
}

fn encode_string(tag: u8, s: &str, out: &mut Vec<u8>) {
    out.push(tag);
    for &b in s.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
}

/// A decoding failure: keys come from disk, so this is data corruption
/// (the storage layer adds the file and offset).
fn bad(what: &str, at: usize) -> Error {
    Error::Internal(format!("invalid key encoding: {what} at byte {at}"))
}

/// A cursor over key bytes.
struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .b
            .get(self.i)
            .ok_or_else(|| bad("truncated key", self.i))?;
        self.i += 1;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self
            .b
            .get(self.i..self.i + N)
            .ok_or_else(|| bad("truncated key", self.i))?;
        self.i += N;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn i64(&mut self) -> Result<i64> {
        Ok((u64::from_be_bytes(self.array()?) ^ (1 << 63)) as i64)
    }
}

/// Decodes keys made by [`encode_key`] back into values.
pub fn decode_key(bytes: &[u8]) -> Result<Vec<Value>> {
    let mut r = Reader { b: bytes, i: 0 };
    let mut out = Vec::new();
    while r.i < bytes.len() {
        out.push(decode_value(&mut r)?);
    }
    Ok(out)
}

fn decode_value(r: &mut Reader) -> Result<Value> {
    let at = r.i;
    Ok(match r.byte()? {
        TAG_NULL => Value::Null,
        TAG_BOOL => match r.byte()? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            _ => return Err(bad("bad boolean", at)),
        },
        TAG_INT => decode_int(r, at)?,
        TAG_FLOAT => decode_float(r, at)?,
        TAG_NUMERIC => Value::Numeric(decode_numeric(r, at)?),
        TAG_TEXT => Value::Text(decode_string(r, at)?),
        TAG_JSON => Value::Json(decode_string(r, at)?),
        TAG_DATE => Value::Date((u32::from_be_bytes(r.array()?) ^ (1 << 31)) as i32),
        TAG_TIMESTAMP => Value::Timestamp(r.i64()?),
        TAG_TIMESTAMPTZ => Value::Timestamptz(r.i64()?),
        _ => return Err(bad("unknown tag", at)),
    })
}

fn decode_int(r: &mut Reader, at: usize) -> Result<Value> {
    let v = r.i64()?;
    let out_of_range = || bad("integer wider than its type", at);
    Ok(match r.byte()? {
        2 => Value::Int2(i16::try_from(v).map_err(|_| out_of_range())?),
        4 => Value::Int4(i32::try_from(v).map_err(|_| out_of_range())?),
        8 => Value::Int8(v),
        _ => return Err(bad("bad integer width", at)),
    })
}

fn decode_float(r: &mut Reader, at: usize) -> Result<Value> {
    let key = u64::from_be_bytes(r.array()?);
    let bits = if key >> 63 == 1 {
        key ^ (1 << 63)
    } else {
        !key
    };
    let f = f64::from_bits(bits);
    Ok(match r.byte()? {
        4 => {
            let g = f as f32;
            if !f.is_nan() && g as f64 != f {
                return Err(bad("real that is not a float4", at));
            }
            Value::Float4(g)
        }
        8 => Value::Float8(f),
        _ => return Err(bad("bad float width", at)),
    })
}

fn decode_numeric(r: &mut Reader, at: usize) -> Result<Decimal> {
    let sign = match r.byte()? {
        SIGN_ZERO => return Ok(Decimal::ZERO),
        SIGN_NEG => -1i8,
        SIGN_POS => 1,
        _ => return Err(bad("bad numeric sign", at)),
    };
    let fix = |b: u8| if sign < 0 { !b } else { b };
    let e = [fix(r.byte()?), fix(r.byte()?)];
    let exp = (u16::from_be_bytes(e) ^ (1 << 15)) as i16 as i32;
    let mut digits = String::new();
    loop {
        match fix(r.byte()?) {
            0 => break,
            b @ 1..=10 if digits.len() < 38 => digits.push((b'0' + b - 1) as char),
            _ => return Err(bad("bad numeric digit", at)),
        }
    }
    if digits.is_empty() || digits.ends_with('0') {
        return Err(bad("numeric digits not normalized", at));
    }
    Decimal::from_sign_exp_digits(sign, exp, &digits).map_err(|_| bad("numeric out of range", at))
}

fn decode_string(r: &mut Reader, at: usize) -> Result<String> {
    let mut bytes = Vec::new();
    loop {
        match r.byte()? {
            0 => match r.byte()? {
                0xFF => bytes.push(0),
                0x01 => break,
                _ => return Err(bad("bad string escape", at)),
            },
            b => bytes.push(b),
        }
    }
    String::from_utf8(bytes).map_err(|_| bad("string is not UTF-8", at))
}

#[cfg(test)]
#[path = "keycode_tests.rs"]
mod tests;
