//! [`Decimal`]: PostgreSQL's exact NUMERIC, in up to 38 significant digits.
//!
//! A value is `mantissa / 10^scale` with `|mantissa| < 10^38` and
//! `scale <= 1000`. The scale is the *display* scale, as in PostgreSQL:
//! `1.50` and `1.5` are equal (same [`Ord`], same [`Hash`]) but print
//! differently. Results that would need more than 38 significant digits are
//! rounded (half away from zero, like PostgreSQL) by giving up fractional
//! digits; only when the integer part alone needs more than 38 digits is it
//! 22003 `value overflows numeric format`. NaN and infinity are not
//! supported.
//!
//! This file holds the representation, text input/output, comparison,
//! rounding and conversions; arithmetic is in `numeric_ops.rs` and the
//! PostgreSQL binary format in `numeric_binary.rs`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::bignum::BigUint;
use crate::error::{Error, Result, SqlState};
use crate::sql_err;

/// The most significant digits a [`Decimal`] holds.
pub const MAX_DIGITS: u32 = 38;
/// The largest display scale (PostgreSQL's NUMERIC_MAX_DISPLAY_SCALE).
pub const MAX_SCALE: u16 = 1000;

/// 10^i for i in 0..=38 (10^38 < 2^127, so every entry fits an i128 too).
pub(crate) const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The number of decimal digits of `v` (0 for zero).
pub(crate) fn u128_digits(v: u128) -> u32 {
    match POW10.iter().position(|&p| v < p) {
        Some(i) => i as u32,
        None => 39,
    }
}

/// An exact decimal number with a display scale (`1.50` keeps two digits).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(try_from = "DecimalRepr", into = "DecimalRepr")]
pub struct Decimal {
    /// The unscaled integer value, `|mantissa| < 10^38`.
    mantissa: i128,
    /// Digits after the decimal point, `<= MAX_SCALE`.
    scale: u16,
}

/// The serialized form; checked on the way in so stored bytes cannot break
/// the invariants.
#[derive(Serialize, Deserialize)]
struct DecimalRepr {
    mantissa: i128,
    scale: u16,
}

impl TryFrom<DecimalRepr> for Decimal {
    type Error = String;
    fn try_from(r: DecimalRepr) -> std::result::Result<Self, String> {
        Decimal::new(r.mantissa, r.scale).map_err(|e| e.message())
    }
}

impl From<Decimal> for DecimalRepr {
    fn from(d: Decimal) -> Self {
        DecimalRepr {
            mantissa: d.mantissa,
            scale: d.scale,
        }
    }
}

/// 22003 `value overflows numeric format`.
pub(crate) fn overflow() -> Error {
    Error::sql(
        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
        "value overflows numeric format",
    )
}

impl Decimal {
    /// Zero with scale 0.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// `mantissa / 10^scale`; 22003 if the mantissa has more than 38 digits
    /// or the scale exceeds 1000.
    pub fn new(mantissa: i128, scale: u16) -> Result<Decimal> {
        if mantissa.unsigned_abs() >= POW10[38] || scale > MAX_SCALE {
            return Err(overflow());
        }
        Ok(Decimal { mantissa, scale })
    }

    /// The integer `v` with scale 0.
    pub fn from_i64(v: i64) -> Decimal {
        Decimal {
            mantissa: v as i128,
            scale: 0,
        }
    }

    /// The unscaled value.
    pub fn mantissa(&self) -> i128 {
        self.mantissa
    }

    /// The display scale (digits after the point).
    pub fn scale(&self) -> u16 {
        self.scale
    }

    /// True for zero (of any scale).
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// True for values below zero.
    pub fn is_negative(&self) -> bool {
        self.mantissa < 0
    }

    /// Builds a value from a sign, an exact magnitude and a scale, rounding
    /// away fractional digits beyond 38 significant digits or scale 1000.
    pub(crate) fn fit(negative: bool, mag: u128, scale: u32) -> Result<Decimal> {
        let digits = u128_digits(mag);
        let excess = digits.saturating_sub(MAX_DIGITS);
        let excess = excess.max(scale.saturating_sub(MAX_SCALE as u32));
        if excess == 0 {
            let m = mag as i128;
            return Ok(Decimal {
                mantissa: if negative { -m } else { m },
                scale: scale as u16,
            });
        }
        Decimal::fit_big(negative, &BigUint::from_u128(mag), scale)
    }

    /// [`Decimal::fit`] for a magnitude that may exceed `u128`.
    pub(crate) fn fit_big(negative: bool, mag: &BigUint, scale: u32) -> Result<Decimal> {
        if let Some(m) = mag.to_u128()
            && u128_digits(m) <= MAX_DIGITS
            && scale <= MAX_SCALE as u32
        {
            return Decimal::fit(negative, m, scale);
        }
        let digits = mag.decimal_digits();
        let mut cut = digits
            .saturating_sub(MAX_DIGITS)
            .max(scale.saturating_sub(MAX_SCALE as u32));
        loop {
            if cut > scale {
                return Err(overflow());
            }
            let rounded = mag.div_pow10_round(cut);
            match rounded.to_u128() {
                Some(m) if m < POW10[38] => {
                    let m = m as i128;
                    return Ok(Decimal {
                        mantissa: if negative { -m } else { m },
                        scale: (scale - cut) as u16,
                    });
                }
                // Rounding carried into a 39th digit: give up one more.
                _ => cut += 1,
            }
        }
    }

    /// Rounds (half away from zero) or zero-extends to exactly `scale`
    /// fractional digits; 22003 if that needs more than 38 digits.
    pub fn round_to_scale(&self, scale: u16) -> Result<Decimal> {
        self.rescale(scale, true)
    }

    /// Truncates (toward zero) or zero-extends to exactly `scale` digits.
    pub fn trunc_to_scale(&self, scale: u16) -> Result<Decimal> {
        self.rescale(scale, false)
    }

    fn rescale(&self, scale: u16, round: bool) -> Result<Decimal> {
        let mag = self.mantissa.unsigned_abs();
        let neg = self.mantissa < 0;
        if scale >= self.scale {
            if mag == 0 {
                return Decimal::new(0, scale);
            }
            let up = (scale - self.scale) as usize;
            let m = POW10
                .get(up)
                .and_then(|p| mag.checked_mul(*p))
                .filter(|m| *m < POW10[38])
                .ok_or_else(overflow)?;
            return Decimal::new(if neg { -(m as i128) } else { m as i128 }, scale);
        }
        // Dropping 39 or more digits leaves less than a tenth of a unit: 0.
        let m = match POW10.get((self.scale - scale) as usize) {
            None => 0,
            Some(p) => {
                let (q, r) = (mag / p, mag % p);
                if round && r * 2 >= *p { q + 1 } else { q }
            }
        };
        Decimal::new(if neg { -(m as i128) } else { m as i128 }, scale)
    }

    /// The same value with trailing fractional zeros removed.
    pub fn normalize(&self) -> Decimal {
        let mut d = *self;
        if d.mantissa == 0 {
            d.scale = 0;
        }
        while d.scale > 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        d
    }

    /// Rounds to an integer (half away from zero), if it fits an i64.
    pub fn to_i64_round(&self) -> Option<i64> {
        let r = self.round_to_scale(0).ok()?;
        i64::try_from(r.mantissa).ok()
    }

    /// The nearest double (PostgreSQL's `numeric_float8`: print, then read).
    pub fn to_f64(&self) -> f64 {
        // Clinger's fast path: both operands exact in f64, so one IEEE
        // division rounds correctly.
        const EXACT: u128 = 1 << 53;
        const P10: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        if self.mantissa.unsigned_abs() < EXACT
            && let Some(p) = P10.get(self.scale as usize)
        {
            return self.mantissa as f64 / p;
        }
        self.to_string().parse().unwrap_or(0.0)
    }

    /// PostgreSQL's `float8_numeric`: the value printed with 15 significant
    /// digits, read back. NaN and infinities are 22003 (not supported).
    pub fn try_from_f64(v: f64) -> Result<Decimal> {
        Decimal::from_float_text(v, 15)
    }

    /// PostgreSQL's `float4_numeric` (6 significant digits).
    pub fn try_from_f32(v: f32) -> Result<Decimal> {
        Decimal::from_float_text(v as f64, 6)
    }

    fn from_float_text(v: f64, digits: usize) -> Result<Decimal> {
        if v.is_nan() {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "cannot convert NaN to numeric"
            ));
        }
        if v.is_infinite() {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "cannot convert infinity to numeric"
            ));
        }
        super::float::format_g(v, digits).parse()
    }

    /// PostgreSQL's `apply_typmod`: rounds to `scale` and checks that at most
    /// `precision - scale` integer digits remain (22003 `numeric field
    /// overflow` with PostgreSQL's DETAIL otherwise).
    pub fn apply_typmod(&self, precision: u16, scale: u16) -> Result<Decimal> {
        let r = self
            .round_to_scale(scale)
            .map_err(|_| field_overflow(precision, scale))?;
        let max_int_digits = precision.saturating_sub(scale) as u32;
        let int_part = POW10
            .get(scale as usize)
            .map_or(0, |p| r.mantissa.unsigned_abs() / p);
        if int_part != 0 && u128_digits(int_part) > max_int_digits {
            return Err(field_overflow(precision, scale));
        }
        Ok(r)
    }

    /// Negation (zero stays unsigned).
    pub fn neg(&self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }

    /// The absolute value.
    pub fn abs(&self) -> Decimal {
        Decimal {
            mantissa: self.mantissa.abs(),
            scale: self.scale,
        }
    }

    /// Sign (-1, 0, 1), exponent of the leading digit and significant digits
    /// (no leading or trailing zeros): the order-defining form, shared with
    /// the key encoding. Zero is `(0, 0, "")`.
    pub fn sign_exp_digits(&self) -> (i8, i32, String) {
        let n = self.normalize();
        if n.mantissa == 0 {
            return (0, 0, String::new());
        }
        let digits = n.mantissa.unsigned_abs().to_string();
        let exp = digits.len() as i32 - 1 - n.scale as i32;
        let sign = if n.mantissa < 0 { -1 } else { 1 };
        (sign, exp, digits.trim_end_matches('0').to_string())
    }

    /// Builds a value from [`Decimal::sign_exp_digits`] parts (normalized scale).
    pub fn from_sign_exp_digits(sign: i8, exp: i32, digits: &str) -> Result<Decimal> {
        if sign == 0 || digits.is_empty() {
            return Ok(Decimal::ZERO);
        }
        let len = digits.len() as i32;
        if len > MAX_DIGITS as i32 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(overflow());
        }
        let mut mag: u128 = digits.parse().map_err(|_| overflow())?;
        let scale = len - 1 - exp;
        if scale < 0 {
            let up = (-scale) as usize;
            mag = POW10
                .get(up)
                .and_then(|p| mag.checked_mul(*p))
                .filter(|m| *m < POW10[38])
                .ok_or_else(overflow)?;
        }
        let scale = scale.max(0);
        if scale > MAX_SCALE as i32 {
            return Err(overflow());
        }
        Decimal::new(
            if sign < 0 {
                -(mag as i128)
            } else {
                mag as i128
            },
            scale as u16,
        )
    }
}

fn field_overflow(precision: u16, scale: u16) -> Error {
    let maxdigits = precision.saturating_sub(scale);
    let limit = if maxdigits > 0 {
        format!("10^{maxdigits}")
    } else {
        "1".to_string()
    };
    sql_err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "numeric field overflow").with_detail(format!(
        "A field with precision {precision}, scale {scale} must round to an absolute value less than {limit}."
    ))
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let mut out = String::with_capacity(digits.len() + scale + 3);
        if self.mantissa < 0 {
            out.push('-');
        }
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            out.push_str(int);
            if scale > 0 {
                out.push('.');
                out.push_str(frac);
            }
        } else {
            out.push_str("0.");
            for _ in digits.len()..scale {
                out.push('0');
            }
            out.push_str(&digits);
        }
        f.write_str(&out)
    }
}

/// Parses PostgreSQL numeric input: `[ws][+-]digits[.digits][e[+-]digits][ws]`.
impl FromStr for Decimal {
    type Err = Error;

    fn from_str(input: &str) -> Result<Decimal> {
        let bad = || {
            sql_err!(
                SqlState::INVALID_TEXT_REPRESENTATION,
                "invalid input syntax for type numeric: \"{input}\""
            )
        };
        let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
        if matches!(
            s.to_ascii_lowercase().as_str(),
            "nan" | "infinity" | "+infinity" | "-infinity" | "inf" | "+inf" | "-inf"
        ) {
            return Err(sql_err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "numeric value \"{s}\" is not supported"
            )
            .with_detail("DriftDB's numeric has no NaN or infinity."));
        }
        let (neg, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (mant, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
            return Err(bad());
        }
        let exp: i64 = match exp {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !all_digits(digits) || digits.len() > 6 {
                    return Err(bad());
                }
                let v: i64 = digits.parse().map_err(|_| bad())?;
                if v > 1000 {
                    return Err(bad());
                }
                if e.starts_with('-') { -v } else { v }
            }
        };
        Decimal::from_parts(neg, int, frac, exp)
    }
}

impl Decimal {
    /// Builds the value `int.frac * 10^exp` (digit strings), keeping the
    /// input's display scale `max(0, frac.len() - exp)` unless more than 38
    /// significant digits or scale 1000 force rounding. The rounding point is
    /// computed first, so there is exactly one rounding step.
    fn from_parts(neg: bool, int: &str, frac: &str, exp: i64) -> Result<Decimal> {
        let scale = (frac.len() as i64 - exp).max(0);
        let all = format!("{int}{frac}");
        let sig = all.trim_start_matches('0');
        if sig.is_empty() {
            return Decimal::new(0, scale.min(MAX_SCALE as i64) as u16);
        }
        // Decimal exponent of the leading significant digit.
        let lead = int.len() as i64 - 1 - (all.len() - sig.len()) as i64 + exp;
        if lead >= MAX_DIGITS as i64 {
            return Err(overflow());
        }
        let final_scale = scale
            .min(MAX_SCALE as i64)
            .min(MAX_DIGITS as i64 - 1 - lead);
        // Digits kept: those at positions >= -final_scale.
        let count = lead + final_scale + 1;
        let sig = sig.as_bytes();
        let mut mag: u128 = 0;
        for i in 0..count.max(0) as usize {
            let digit = sig.get(i).map_or(0, |b| (b - b'0') as u128);
            mag = mag * 10 + digit;
        }
        let next = if count >= 0 {
            sig.get(count as usize)
        } else {
            None
        };
        if next.is_some_and(|b| *b >= b'5') {
            mag += 1;
        }
        let mut final_scale = final_scale as u16;
        if mag >= POW10[38] {
            if final_scale == 0 {
                return Err(overflow());
            }
            mag /= 10;
            final_scale -= 1;
        }
        Decimal::new(if neg { -(mag as i128) } else { mag as i128 }, final_scale)
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares values, ignoring the display scale.
impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |m: i128| m.signum();
        match sign(self.mantissa).cmp(&sign(other.mantissa)) {
            Ordering::Equal if self.mantissa == 0 => return Ordering::Equal,
            Ordering::Equal => {}
            o => return o,
        }
        if self.scale == other.scale {
            return self.mantissa.cmp(&other.mantissa);
        }
        let magnitude = cmp_magnitude(self, other);
        if self.mantissa < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// Compares |a| and |b|: aligns the smaller scale up; if that overflows
/// 10^38 the aligned one is the larger magnitude.
fn cmp_magnitude(a: &Decimal, b: &Decimal) -> Ordering {
    let (ma, mb) = (a.mantissa.unsigned_abs(), b.mantissa.unsigned_abs());
    let align = |m: u128, up: u16| POW10.get(up as usize).and_then(|p| m.checked_mul(*p));
    if a.scale < b.scale {
        match align(ma, b.scale - a.scale) {
            Some(x) => x.cmp(&mb),
            None => Ordering::Greater,
        }
    } else {
        match align(mb, a.scale - b.scale) {
            Some(x) => ma.cmp(&x),
            None => Ordering::Less,
        }
    }
}

/// Hashes the normalized value, so equal values hash alike.
impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let n = self.normalize();
        n.mantissa.hash(state);
        n.scale.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// Input/output pairs checked against PostgreSQL 15.
    #[test]
    fn text_round_trip_matches_postgres() {
        let cases = [
            ("1e-30", "0.000000000000000000000000000001"),
            ("1.50e1", "15.0"),
            (" 12.5 ", "12.5"),
            ("-0.00", "0.00"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1e5", "100000"),
            ("-1.5e-3", "-0.0015"),
            ("00012.3400", "12.3400"),
            ("+7", "7"),
            (
                "1e-50",
                "0.00000000000000000000000000000000000000000000000001",
            ),
            (
                "12345678901234567890123456789012345678",
                "12345678901234567890123456789012345678",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(d(input).to_string(), want, "{input}");
        }
        // More than 38 digits: fractional digits are rounded away.
        assert_eq!(
            d("1234567890123456789012345678901234567.89").to_string(),
            "1234567890123456789012345678901234567.9"
        );
        let e = "123456789012345678901234567890123456789"
            .parse::<Decimal>()
            .unwrap_err();
        assert_eq!(e.message(), "value overflows numeric format");
        assert_eq!(d("0.5e-1000").to_string().len(), 1002);
        assert!(d("0.4e-1000").is_zero());
    }

    #[test]
    fn bad_input_is_22p02() {
        for bad in ["", "abc", "1.2.3", "1e", "--1", ". ", "1 2", "e5"] {
            let e = bad.parse::<Decimal>().unwrap_err();
            assert_eq!(
                e.sqlstate(),
                SqlState::INVALID_TEXT_REPRESENTATION,
                "{bad:?}"
            );
        }
        assert_eq!(
            "abc".parse::<Decimal>().unwrap_err().message(),
            "invalid input syntax for type numeric: \"abc\""
        );
    }

    #[test]
    fn equality_ignores_scale() {
        assert_eq!(d("1.0"), d("1.00"));
        assert_eq!(d("0"), d("-0.000"));
        assert_eq!(d("0"), Decimal::new(0, 900).unwrap());
        assert!(Decimal::new(1, 900).unwrap() > d("0"));
        assert!(d("1.01") > d("1.009"));
        assert!(d("-1.01") < d("-1.009"));
        assert!(d("1e-40") > d("0"));
        assert!(d("12345678901234567890123456789012345678") > d("0.5"));
        let h = |x: &Decimal| {
            use std::collections::hash_map::DefaultHasher;
            let mut s = DefaultHasher::new();
            x.hash(&mut s);
            s.finish()
        };
        assert_eq!(h(&d("2.50")), h(&d("2.5")));
    }

    #[test]
    fn rounding_and_typmod_match_postgres() {
        assert_eq!(d("2.5").round_to_scale(0).unwrap().to_string(), "3");
        assert_eq!(d("-2.5").round_to_scale(0).unwrap().to_string(), "-3");
        assert_eq!(d("-0.4").round_to_scale(0).unwrap().to_string(), "0");
        assert_eq!(d("1.005").round_to_scale(2).unwrap().to_string(), "1.01");
        assert_eq!(d("1.5").round_to_scale(3).unwrap().to_string(), "1.500");
        assert_eq!(d("0.5").apply_typmod(3, 3).unwrap().to_string(), "0.500");
        let e = d("12345.678").apply_typmod(5, 2).unwrap_err();
        assert_eq!(e.message(), "numeric field overflow");
        assert_eq!(
            e.as_sql().unwrap().detail.as_deref(),
            Some(
                "A field with precision 5, scale 2 must round to an absolute value less than 10^3."
            )
        );
        let e = d("1").apply_typmod(3, 3).unwrap_err();
        assert_eq!(
            e.as_sql().unwrap().detail.as_deref(),
            Some("A field with precision 3, scale 3 must round to an absolute value less than 1.")
        );
        assert!(d("999.995").apply_typmod(5, 2).is_err());
        assert_eq!(
            d("999.994").apply_typmod(5, 2).unwrap().to_string(),
            "999.99"
        );
        assert_eq!(d("3.5").to_i64_round(), Some(4));
        assert_eq!(d("-3.5").to_i64_round(), Some(-4));
    }

    #[test]
    fn float_conversions_match_postgres() {
        let cases: [(f64, &str); 4] = [
            (0.1, "0.1"),
            (1.0 / 3.0, "0.333333333333333"),
            (1e20, "100000000000000000000"),
            (1.5e-10, "0.00000000015"),
        ];
        for (v, want) in cases {
            assert_eq!(Decimal::try_from_f64(v).unwrap().to_string(), want);
        }
        assert_eq!(
            Decimal::try_from_f32(123456789.123).unwrap().to_string(),
            "123457000"
        );
        assert_eq!(Decimal::try_from_f32(0.1).unwrap().to_string(), "0.1");
        assert!(Decimal::try_from_f64(f64::NAN).is_err());
        assert_eq!(d("0.1").to_f64(), 0.1);
    }

    #[test]
    fn sign_exp_digits_round_trip() {
        for s in [
            "0",
            "1",
            "-1.50",
            "123.456",
            "0.000123",
            "1e30",
            "-98765432109876543210.5",
        ] {
            let v = d(s);
            let (sign, exp, digits) = v.sign_exp_digits();
            assert_eq!(
                Decimal::from_sign_exp_digits(sign, exp, &digits).unwrap(),
                v,
                "{s}"
            );
        }
        assert_eq!(d("123.456").sign_exp_digits(), (1, 2, "123456".to_string()));
        assert_eq!(d("0.00120").sign_exp_digits(), (1, -3, "12".to_string()));
    }

    #[test]
    fn msgpack_round_trip_checks_invariants() {
        let v = d("-123.4500");
        let bytes = rmp_serde::to_vec(&v).unwrap();
        let back: Decimal = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back.to_string(), "-123.4500");
        let bad = rmp_serde::to_vec(&DecimalRepr {
            mantissa: i128::MAX,
            scale: 0,
        })
        .unwrap();
        assert!(rmp_serde::from_slice::<Decimal>(&bad).is_err());
    }
}
