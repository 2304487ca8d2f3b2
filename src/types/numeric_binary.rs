//! PostgreSQL's binary wire format for NUMERIC (`numeric_send`/`numeric_recv`).
//!
//! ```text
//! i16 ndigits | i16 weight | u16 sign | u16 dscale | ndigits x i16 digit
//! ```
//! Digits are base 10000, most significant first; the first digit is worth
//! `10000^weight`. Leading and trailing zero digits are stripped, so zero is
//! `ndigits = 0, weight = 0`. Sign is 0x0000 (+), 0x4000 (-), 0xC000 (NaN),
//! 0xD000/0xF000 (+/-Infinity, which we do not support). Digits beyond
//! `dscale` are truncated away on input, as PostgreSQL does.

use super::numeric::{Decimal, overflow};
use crate::error::{Error, Result, SqlState};
use crate::sql_err;

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;
/// PostgreSQL's limit on ndigits: NUMERIC_MAX_PRECISION + NUMERIC_MAX_RESULT_SCALE.
const MAX_NDIGITS: i16 = 3000;

/// 22P03 with PostgreSQL's wording for a bad external numeric.
fn invalid(what: &str) -> Error {
    sql_err!(
        SqlState::INVALID_BINARY_REPRESENTATION,
        "invalid {what} in external \"numeric\" value"
    )
}

/// The base-10000 digits and weight of `|d|`, stripped of zero digits.
fn nbase_digits(d: &Decimal) -> (Vec<i16>, i16) {
    if d.is_zero() {
        return (Vec::new(), 0);
    }
    let scale = d.scale() as usize;
    let mut digits = d.mantissa().unsigned_abs().to_string();
    // Right-pad the fraction to whole groups, left-pad the integer part.
    let frac_groups = scale.div_ceil(4);
    digits.extend(std::iter::repeat_n('0', frac_groups * 4 - scale));
    let frac_len = frac_groups * 4;
    if digits.len() < frac_len {
        digits.insert_str(0, &"0".repeat(frac_len - digits.len()));
    }
    let int_len = digits.len() - frac_len;
    let pad = (4 - int_len % 4) % 4;
    digits.insert_str(0, &"0".repeat(pad));
    let int_groups = (int_len + pad) / 4;
    let mut groups: Vec<i16> = digits
        .as_bytes()
        .chunks(4)
        .map(|c| c.iter().fold(0i16, |acc, b| acc * 10 + (b - b'0') as i16))
        .collect();
    let mut weight = int_groups as i16 - 1;
    let lead = groups.iter().take_while(|g| **g == 0).count();
    groups.drain(..lead);
    weight -= lead as i16;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    (groups, weight)
}

impl Decimal {
    /// Appends PostgreSQL's binary NUMERIC representation.
    pub fn to_pg_binary(&self, out: &mut Vec<u8>) {
        let (digits, weight) = nbase_digits(self);
        let sign = if self.is_negative() {
            NUMERIC_NEG
        } else {
            NUMERIC_POS
        };
        out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
        out.extend_from_slice(&weight.to_be_bytes());
        out.extend_from_slice(&sign.to_be_bytes());
        out.extend_from_slice(&self.scale().to_be_bytes());
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
    }

    /// Reads PostgreSQL's binary NUMERIC representation (the whole slice).
    pub fn from_pg_binary(bytes: &[u8]) -> Result<Decimal> {
        let word = |i: usize| -> Result<u16> {
            bytes
                .get(i * 2..i * 2 + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .ok_or_else(super::binary::bad_format)
        };
        let ndigits = word(0)? as i16;
        let weight = word(1)? as i16;
        let sign = word(2)?;
        let dscale = word(3)?;
        if !(0..=MAX_NDIGITS).contains(&ndigits) {
            return Err(invalid("length"));
        }
        if bytes.len() != 8 + 2 * ndigits as usize {
            return Err(super::binary::bad_format());
        }
        let negative = match sign {
            NUMERIC_POS => false,
            NUMERIC_NEG => true,
            0xC000 | 0xD000 | 0xF000 => {
                return Err(sql_err!(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "numeric NaN and infinity are not supported"
                ));
            }
            _ => return Err(invalid("sign")),
        };
        if dscale & 0x3FFF != dscale {
            return Err(invalid("scale"));
        }
        let mut digits = Vec::with_capacity(ndigits as usize);
        for i in 0..ndigits as usize {
            let d = word(4 + i)? as i16;
            if !(0..10000).contains(&d) {
                return Err(invalid("digit"));
            }
            digits.push(d);
        }
        from_groups(negative, &digits, weight, dscale)
    }
}

/// Builds the value from base-10000 groups, keeping `dscale` fraction digits.
fn from_groups(negative: bool, groups: &[i16], weight: i16, dscale: u16) -> Result<Decimal> {
    let first_nonzero = groups.iter().position(|g| *g != 0);
    if first_nonzero.is_some_and(|i| weight as i32 - i as i32 >= 10) {
        return Err(overflow()); // more than 40 integer digits
    }
    let group = |i: i32| -> i16 {
        usize::try_from(i)
            .ok()
            .and_then(|i| groups.get(i))
            .copied()
            .unwrap_or(0)
    };
    let mut int = String::new();
    for i in 0..=weight as i32 {
        int.push_str(&format!("{:04}", group(i)));
    }
    let mut frac = String::with_capacity(dscale as usize + 4);
    let mut i = weight as i32 + 1;
    while frac.len() < dscale as usize {
        frac.push_str(&format!("{:04}", group(i)));
        i += 1;
    }
    frac.truncate(dscale as usize);
    let text = format!(
        "{}{}{}{frac}",
        if negative { "-" } else { "" },
        if int.is_empty() { "0" } else { &int },
        if dscale > 0 { "." } else { "" }
    );
    text.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        s.parse::<Decimal>().unwrap().to_pg_binary(&mut out);
        out
    }

    fn words(w: &[i16]) -> Vec<u8> {
        w.iter().flat_map(|x| x.to_be_bytes()).collect()
    }

    /// Layouts as PostgreSQL's `numeric_send` produces them.
    #[test]
    fn send_matches_postgres() {
        assert_eq!(bin("0"), words(&[0, 0, 0, 0]));
        assert_eq!(bin("0.00"), words(&[0, 0, 0, 2]));
        assert_eq!(bin("1"), words(&[1, 0, 0, 0, 1]));
        assert_eq!(bin("10000"), words(&[1, 1, 0, 0, 1]));
        assert_eq!(bin("12345.678"), words(&[3, 1, 0, 3, 1, 2345, 6780]));
        assert_eq!(bin("-0.0001"), words(&[1, -1, 0x4000, 4, 1]));
        assert_eq!(bin("0.00001"), words(&[1, -2, 0, 5, 1000]));
        assert_eq!(bin("100.50"), words(&[2, 0, 0, 2, 100, 5000]));
    }

    #[test]
    fn round_trip() {
        for s in [
            "0",
            "0.000",
            "1",
            "-1",
            "12345.678",
            "-0.0001",
            "0.00001",
            "100.50",
            "99999999999999999999999999999999999999",
            "1e-50",
            "123456789.123456789",
        ] {
            let d: Decimal = s.parse().unwrap();
            let back = Decimal::from_pg_binary(&bin(s)).unwrap();
            assert_eq!(back.to_string(), d.to_string(), "{s}");
        }
    }

    #[test]
    fn bad_input_is_rejected() {
        let bad_digit = words(&[1, 0, 0, 0, 10000]);
        assert_eq!(
            Decimal::from_pg_binary(&bad_digit).unwrap_err().message(),
            "invalid digit in external \"numeric\" value"
        );
        let bad_sign = words(&[1, 0, 0x1234, 0, 1]);
        assert_eq!(
            Decimal::from_pg_binary(&bad_sign).unwrap_err().sqlstate(),
            SqlState::INVALID_BINARY_REPRESENTATION
        );
        assert!(Decimal::from_pg_binary(&words(&[2, 0, 0, 0, 1])).is_err());
        assert!(Decimal::from_pg_binary(&[0, 1]).is_err());
        assert!(Decimal::from_pg_binary(&words(&[1, 20000, 0, 0, 1])).is_err());
        assert!(Decimal::from_pg_binary(&words(&[-1, 0, 0, 0])).is_err());
        // Digits beyond dscale are truncated, as in PostgreSQL.
        let d = Decimal::from_pg_binary(&words(&[2, 0, 0, 1, 1, 5678])).unwrap();
        assert_eq!(d.to_string(), "1.5");
    }
}
