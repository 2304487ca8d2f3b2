//! PostgreSQL's text format for `real` and `double precision`.
//!
//! Output follows `float8out`/`float4out`: with `extra_float_digits > 0`
//! (every modern driver) the shortest digits that read back exactly, in
//! fixed notation when the decimal exponent is in `-4..15` (`-4..6` for
//! real) and `1e+15` style otherwise; with `extra_float_digits <= 0`, C's
//! `%.*g` with 15 (6) plus `extra_float_digits` significant digits.
//!
//! PostgreSQL's shortest digits come from its copy of Ryu, which differs
//! from Rust's `{:e}` in two corners: it never picks a decimal lying
//! exactly halfway between the value and a neighbour (even though such a
//! string reads back under round-half-even), and among equally short
//! candidates it takes the nearest, ties to even. [`shortest`] starts
//! from Rust's length and checks both, using Rust's correctly rounded
//! `{:.N$e}` (which rounds ties to even) for the candidate.
//!
//! Input follows `float8in`/`float4in`: surrounding whitespace, `NaN`,
//! `Infinity`/`inf` with signs, and out-of-range values (overflow to
//! infinity or underflow to zero) rejected with 22003.

use super::bignum::BigUint;
use crate::error::{Result, SqlState};
use crate::sql_err;

/// Up to 40 significant decimal digits, on the stack (formatting floats
/// is hot on the wire path).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Digits {
    buf: [u8; 40],
    len: usize,
}

impl Digits {
    fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("0")
    }
}

/// Splits Rust's `{:e}` output (`-1.5e-5`) into sign, digits and exponent.
fn split_exp(s: &str) -> (bool, Digits, i32) {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let mut d = Digits {
        buf: [b'0'; 40],
        len: 0,
    };
    for b in mant.bytes().filter(u8::is_ascii_digit).take(40) {
        d.buf[d.len] = b;
        d.len += 1;
    }
    (neg, d, exp.parse().unwrap_or(0))
}

/// Lays out significant `digits` (no leading zeros) whose first digit has
/// decimal exponent `exp`: fixed notation when `-4 <= exp < fixed_below`,
/// else `d.ddde+XX` with an at least two-digit exponent.
fn layout(neg: bool, digits: &str, exp: i32, fixed_below: i32) -> String {
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= fixed_below {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

fn special(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("Infinity")
    } else if v == f64::NEG_INFINITY {
        Some("-Infinity")
    } else {
        None
    }
}

/// C's `%.{precision}g` for a finite value (precision >= 1).
pub(crate) fn format_g(v: f64, precision: usize) -> String {
    if let Some(s) = special(v) {
        return s.to_string();
    }
    let p = precision.max(1);
    let (neg, digits, exp) = split_exp(&format!("{:.*e}", p - 1, v));
    layout(neg, digits.as_str(), exp, p as i32)
}

/// The shortest digits PostgreSQL prints for a finite value: `shortest`
/// is Rust's shortest form, `rounded(p)` the value correctly rounded to p
/// significant digits, `reads_back` whether a string parses to the value
/// and `halfway` whether (digits, exp) lies exactly between the value and
/// a neighbour.
fn shortest(
    shortest: String,
    rounded: impl Fn(usize) -> String,
    reads_back: impl Fn(&str) -> bool,
    halfway: impl Fn(&str, i32) -> bool,
    max_digits: usize,
) -> (bool, Digits, i32) {
    let (_, digits, exp) = split_exp(&shortest);
    let mut p = digits.len.max(1);
    loop {
        let s = rounded(p);
        let (neg, d, e) = split_exp(&s);
        let ok = (d == digits && e == exp) || reads_back(&s);
        if (ok && !halfway(d.as_str(), e)) || p >= max_digits {
            return (neg, d, e);
        }
        p += 1;
    }
}

/// True when the decimal `digits` x 10^(exp + 1 - len) equals a midpoint
/// between `v` and a neighbouring double. Only values of at least 2^52
/// can have such a midpoint within 17 digits (a smaller one has a
/// fraction of 2 or more binary places, hence 18+ decimal digits).
fn halfway_f64(v: f64, digits: &str, exp: i32) -> bool {
    let a = v.abs();
    if a < 4_503_599_627_370_496.0 || !a.is_finite() {
        return false;
    }
    let bits = a.to_bits();
    let e = ((bits >> 52) & 0x7ff) as u32 - 1075; // a >= 2^52, so e >= 0
    let m = (bits & ((1 << 52) - 1)) | (1 << 52);
    // 2 * c, where c = D x 10^k.
    let Ok(d) = digits.parse::<u128>() else {
        return false;
    };
    let k = exp - (digits.len() as i32 - 1);
    let mut two_c = BigUint::from_u128(d * 2);
    match k {
        k if k >= 0 => two_c.mul_pow10(k as u32),
        -1 if d % 5 == 0 => two_c = BigUint::from_u128(d / 5),
        _ => return false,
    }
    // 2 * midpoint: (2m ± 1) x 2^e; below a power of two the lower
    // neighbour is closer: (4m - 1) x 2^(e - 1).
    let scaled = |n: u128, shift: u32| {
        let mut b = BigUint::from_u128(n);
        b.mul_pow2(shift);
        b
    };
    let m = m as u128;
    let lower = if m == 1 << 52 && e >= 1 {
        scaled(4 * m - 1, e - 1)
    } else {
        scaled(2 * m - 1, e)
    };
    two_c == scaled(2 * m + 1, e) || two_c == lower
}

/// [`halfway_f64`] for a real: float midpoints are exact doubles.
fn halfway_f32(v: f32, digits: &str, exp: i32) -> bool {
    let a = v.abs();
    let Ok(c) = format!("{digits}e{}", exp - (digits.len() as i32 - 1)).parse::<f64>() else {
        return false;
    };
    let up = f32::from_bits(a.to_bits() + 1);
    let hi = up.is_finite() && c == (a as f64 + up as f64) / 2.0;
    let lo = a > 0.0 && c == (a as f64 + f32::from_bits(a.to_bits() - 1) as f64) / 2.0;
    hi || lo
}

/// Whether Rust's shortest digits might not be PostgreSQL's, for a finite
/// float given as (fraction bits, biased exponent, fraction width).
///
/// Both corners need a short exact decimal: a tie between two shortest
/// candidates needs the value itself, a halfway candidate needs a midpoint
/// (whose lowest bit is at most one place below the value's). A number
/// `N / 2^F` (N odd) has exactly `F + floor(log10 |x|) + 1` significant
/// decimal digits; when even a lower bound of that exceeds 18 (float8) or
/// 10 (float4) digits for the value's lowest bit minus one, neither corner
/// can occur. This keeps typical values (0.1, 123.456) on the fast path.
fn needs_exact_check(fraction: u64, biased: u64, width: u32) -> bool {
    let (bias, limit) = if width == 52 { (1023, 18) } else { (127, 10) };
    let (m, e) = if biased == 0 {
        (fraction, 1 - bias - width as i32)
    } else {
        (fraction | (1 << width), biased as i32 - bias - width as i32)
    };
    if m == 0 {
        return false;
    }
    // Fraction bits of the midpoint one place below the lowest set bit.
    let f = (1 - e - m.trailing_zeros() as i32).max(0);
    let lead = e + 63 - m.leading_zeros() as i32; // floor(log2 |x|)
    let log10_floor = (lead as f64 * std::f64::consts::LOG10_2).floor() as i32 - 1;
    f + log10_floor < limit
}

/// `float8out` under the given `extra_float_digits`.
pub fn format_f64(v: f64, extra_float_digits: i32) -> String {
    if let Some(s) = special(v) {
        return s.to_string();
    }
    if extra_float_digits > 0 {
        let bits = v.to_bits();
        let (neg, digits, exp) =
            if !needs_exact_check(bits & ((1 << 52) - 1), (bits >> 52) & 0x7ff, 52) {
                split_exp(&format!("{v:e}"))
            } else {
                shortest(
                    format!("{v:e}"),
                    |p| format!("{:.*e}", p - 1, v),
                    |s| s.parse::<f64>() == Ok(v),
                    |d, e| halfway_f64(v, d, e),
                    17,
                )
            };
        layout(neg, digits.as_str(), exp, 15)
    } else {
        format_g(v, (15 + extra_float_digits).max(1) as usize)
    }
}

/// `float4out` under the given `extra_float_digits`.
pub fn format_f32(v: f32, extra_float_digits: i32) -> String {
    if let Some(s) = special(v as f64) {
        return s.to_string();
    }
    if extra_float_digits > 0 {
        let bits = v.to_bits() as u64;
        let (neg, digits, exp) =
            if !needs_exact_check(bits & ((1 << 23) - 1), (bits >> 23) & 0xff, 23) {
                split_exp(&format!("{v:e}"))
            } else {
                shortest(
                    format!("{v:e}"),
                    |p| format!("{:.*e}", p - 1, v),
                    |s| s.parse::<f32>() == Ok(v),
                    |d, e| halfway_f32(v, d, e),
                    9,
                )
            };
        layout(neg, digits.as_str(), exp, 6)
    } else {
        format_g(v as f64, (6 + extra_float_digits).max(1) as usize)
    }
}

/// The special spellings `float8in` accepts, case-insensitively.
fn parse_special(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// True when `s` is a plain decimal literal: sign, digits with at most one
/// point (at least one digit), optional exponent with digits.
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut digits = 0;
    let mut point = false;
    while i < b.len() && (b[i].is_ascii_digit() || (b[i] == b'.' && !point)) {
        if b[i] == b'.' {
            point = true;
        } else {
            digits += 1;
        }
        i += 1;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// True when the mantissa of a decimal literal has a non-zero digit.
fn has_nonzero_mantissa(s: &str) -> bool {
    s.chars()
        .take_while(|c| *c != 'e' && *c != 'E')
        .any(|c| c.is_ascii_digit() && c != '0')
}

/// Parses a float literal; `type_name` is the SQL name for messages.
/// `to_inf_or_zero` reports whether the parsed value over/underflowed.
fn parse_with<T: std::str::FromStr + Copy>(
    input: &str,
    type_name: &str,
    special_map: impl Fn(f64) -> T,
    out_of_range: impl Fn(T, bool) -> bool,
) -> Result<T> {
    let s = input.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Some(v) = parse_special(s) {
        return Ok(special_map(v));
    }
    let bad = || {
        sql_err!(
            SqlState::INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type {type_name}: \"{input}\""
        )
    };
    if !is_decimal_literal(s) {
        return Err(bad());
    }
    let v: T = s.parse().map_err(|_| bad())?;
    if out_of_range(v, has_nonzero_mantissa(s)) {
        return Err(sql_err!(
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
            "\"{s}\" is out of range for type {type_name}"
        ));
    }
    Ok(v)
}

/// `float8in`: parses `double precision` text.
pub fn parse_f64(input: &str) -> Result<f64> {
    parse_with(
        input,
        "double precision",
        |v| v,
        |v: f64, nonzero| v.is_infinite() || (v == 0.0 && nonzero),
    )
}

/// `float4in`: parses `real` text.
pub fn parse_f32(input: &str) -> Result<f32> {
    parse_with(
        input,
        "real",
        |v| v as f32,
        |v: f32, nonzero| v.is_infinite() || (v == 0.0 && nonzero),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs checked against PostgreSQL 15 (`select 1e15::float8, ...`).
    #[test]
    fn float8_output_matches_postgres() {
        let cases: &[(f64, &str)] = &[
            (1e15, "1e+15"),
            (1e14, "100000000000000"),
            (123456789012345.0, "123456789012345"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (0.00015, "0.00015"),
            (1e100, "1e+100"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "-0"),
            (0.0, "0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1.0 / 3.0, "0.3333333333333333"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-2.5, "-2.5"),
            (100.0, "100"),
            // Rust's shortest form is 16 digits here, exactly halfway to
            // the next double; PostgreSQL prints 17.
            (-2.519371267525283e16, "-2.5193712675252832e+16"),
        ];
        for (v, want) in cases {
            assert_eq!(format_f64(*v, 1), *want, "{v:e}");
        }
    }

    #[test]
    fn float4_output_matches_postgres() {
        let cases: &[(f32, &str)] = &[
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.1, "0.1"),
            (3.4e38, "3.4e+38"),
            (1e-45, "1e-45"),
            // Two 8-digit candidates equally near: ties to even.
            (3_455_361.0 / 8.0, "431920.12"),
            // 8.057922e+07 is exactly halfway to the next real.
            (80579216.0, "8.0579216e+07"),
        ];
        for (v, want) in cases {
            assert_eq!(format_f32(*v, 1), *want, "{v:e}");
        }
    }

    /// `SET extra_float_digits = 0` and `-3` in PostgreSQL 15.
    #[test]
    fn low_extra_float_digits_use_printf_g() {
        assert_eq!(format_f64(1e15, 0), "1e+15");
        assert_eq!(format_f64(1e14, 0), "100000000000000");
        assert_eq!(format_f64(1.5e-5, 0), "1.5e-05");
        assert_eq!(format_f64(0.1 + 0.2, 0), "0.3");
        assert_eq!(format_f64(1.0 / 3.0, 0), "0.333333333333333");
        assert_eq!(format_f64(100.0, 0), "100");
        assert_eq!(format_f64(-0.0, 0), "-0");
        assert_eq!(format_f32(1e6, 0), "1e+06");
        assert_eq!(format_f32(1234567.0, 0), "1.23457e+06");
        assert_eq!(format_f64(1.0 / 3.0, -3), "0.333333333333");
        assert_eq!(format_f32(1234567.0, -3), "1.23e+06");
        assert_eq!(format_f64(12345.678, -3), "12345.678");
    }

    #[test]
    fn input_matches_postgres() {
        assert_eq!(parse_f64(" 1.5 ").unwrap(), 1.5);
        assert_eq!(parse_f64("1.").unwrap(), 1.0);
        assert_eq!(parse_f64(".5").unwrap(), 0.5);
        assert_eq!(parse_f64("+1.5").unwrap(), 1.5);
        assert_eq!(parse_f64("1e5").unwrap(), 100000.0);
        assert!(parse_f64("NaN").unwrap().is_nan());
        assert_eq!(parse_f64("-Infinity").unwrap(), f64::NEG_INFINITY);
        assert_eq!(parse_f32("inf").unwrap(), f32::INFINITY);
        let e = parse_f64("1e400").unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(
            e.message(),
            "\"1e400\" is out of range for type double precision"
        );
        assert!(parse_f64("1e-400").is_err());
        assert_eq!(parse_f64("0e-400").unwrap(), 0.0);
        assert_eq!(
            parse_f32("1e40").unwrap_err().message(),
            "\"1e40\" is out of range for type real"
        );
        let e = parse_f64("abc").unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION);
        assert_eq!(
            e.message(),
            "invalid input syntax for type double precision: \"abc\""
        );
        for bad in ["", " ", "1e", "e5", ".", "1.2.3", "1 2", "--1"] {
            assert!(parse_f64(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shortest_output_round_trips() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if v.is_finite() {
                let back = parse_f64(&format_f64(v, 1)).unwrap();
                assert_eq!(back.to_bits(), v.to_bits(), "{v:e}");
            }
            let f = f32::from_bits(x as u32);
            if f.is_finite() {
                let back = parse_f32(&format_f32(f, 1)).unwrap();
                assert_eq!(back.to_bits(), f.to_bits(), "{f:e}");
            }
        }
    }
}
