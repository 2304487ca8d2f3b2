//! NUMERIC arithmetic with PostgreSQL's result scales.
//!
//! | op  | result scale                                             |
//! |-----|----------------------------------------------------------|
//! | + - | max(s1, s2)                                              |
//! | *   | s1 + s2                                                  |
//! | /   | `select_div_scale`: ~16 significant digits, >= s1, s2    |
//! | %   | max(s1, s2); sign of the dividend                        |
//! | ^   | integer exponent: max(16, s1); else 16 - result weight   |
//!
//! Every result is computed exactly (in `u128`, or [`BigUint`] when that
//! overflows) and rounded once, half away from zero; [`Decimal::fit`] then
//! keeps it within 38 significant digits. The one inexact path is `^` with a
//! non-integer (or huge) exponent, which goes through `f64`, so its 16th
//! fractional digit can differ from PostgreSQL's.

use super::bignum::BigUint;
use super::numeric::{Decimal, MAX_DIGITS, MAX_SCALE, POW10, overflow, u128_digits};
use crate::error::{Error, Result, SqlState};

/// PostgreSQL's NUMERIC_MIN_SIG_DIGITS.
const MIN_SIG_DIGITS: i32 = 16;

/// 22012 `division by zero`.
pub(crate) fn division_by_zero() -> Error {
    Error::sql(SqlState::DIVISION_BY_ZERO, "division by zero")
}

/// A signed exact integer for the slow path.
struct Signed {
    neg: bool,
    mag: BigUint,
}

impl Signed {
    fn of(d: &Decimal, up: u32) -> Signed {
        let mut mag = BigUint::from_u128(d.mantissa().unsigned_abs());
        mag.mul_pow10(up);
        Signed {
            neg: d.is_negative(),
            mag,
        }
    }

    fn add(self, other: Signed) -> Signed {
        if self.neg == other.neg {
            return Signed {
                neg: self.neg,
                mag: self.mag.add(&other.mag),
            };
        }
        if self.mag >= other.mag {
            Signed {
                neg: self.neg,
                mag: self.mag.sub(&other.mag),
            }
        } else {
            Signed {
                neg: other.neg,
                mag: other.mag.sub(&self.mag),
            }
        }
    }
}

/// `m * 10^up` in i128, if it fits.
fn scaled(m: i128, up: u32) -> Option<i128> {
    POW10
        .get(up as usize)
        .and_then(|p| m.checked_mul(*p as i128))
}

/// Base-10000 weight and first digit of a value, as PostgreSQL stores it.
fn nbase_weight_first(d: &Decimal) -> (i32, i32) {
    let (sign, exp, digits) = d.sign_exp_digits();
    if sign == 0 {
        return (0, 0);
    }
    let weight = exp.div_euclid(4);
    let width = (exp - 4 * weight + 1) as usize; // digits in the leading group
    let mut first = 0i32;
    for i in 0..width {
        let digit = digits.as_bytes().get(i).map_or(0, |b| (b - b'0') as i32);
        first = first * 10 + digit;
    }
    (weight, first)
}

/// PostgreSQL's `select_div_scale`.
fn select_div_scale(a: &Decimal, b: &Decimal) -> u32 {
    let (w1, f1) = nbase_weight_first(a);
    let (w2, f2) = nbase_weight_first(b);
    let mut qweight = w1 - w2;
    if f1 <= f2 {
        qweight -= 1;
    }
    let rscale = (MIN_SIG_DIGITS - qweight * 4)
        .max(a.scale() as i32)
        .max(b.scale() as i32)
        .max(0);
    rscale.min(MAX_SCALE as i32) as u32
}

/// `round(|num| / |den|)` (half away from zero), exactly.
fn div_round(num: &BigUint, den: &BigUint) -> BigUint {
    if let (Some(n), Some(d)) = (num.to_u128(), den.to_u128()) {
        let (q, r) = (n / d, n % d);
        let up = r >= d - r;
        return BigUint::from_u128(q + up as u128);
    }
    let (q, r) = num.div_rem(den);
    if r.add(&r) >= *den {
        q.add(&BigUint::from_u128(1))
    } else {
        q
    }
}

impl Decimal {
    /// `self + other`, scale max(s1, s2).
    pub fn checked_add(&self, other: &Decimal) -> Result<Decimal> {
        let s = self.scale().max(other.scale());
        let (ua, ub) = ((s - self.scale()) as u32, (s - other.scale()) as u32);
        let fast = scaled(self.mantissa(), ua)
            .zip(scaled(other.mantissa(), ub))
            .and_then(|(a, b)| a.checked_add(b));
        match fast {
            Some(sum) => Decimal::fit(sum < 0, sum.unsigned_abs(), s as u32),
            None => {
                let r = Signed::of(self, ua).add(Signed::of(other, ub));
                Decimal::fit_big(r.neg, &r.mag, s as u32)
            }
        }
    }

    /// `self - other`, scale max(s1, s2).
    pub fn checked_sub(&self, other: &Decimal) -> Result<Decimal> {
        self.checked_add(&other.neg())
    }

    /// `self * other`, scale s1 + s2.
    pub fn checked_mul(&self, other: &Decimal) -> Result<Decimal> {
        let s = self.scale() as u32 + other.scale() as u32;
        let neg = self.is_negative() != other.is_negative();
        let (a, b) = (
            self.mantissa().unsigned_abs(),
            other.mantissa().unsigned_abs(),
        );
        match a.checked_mul(b) {
            Some(p) => Decimal::fit(neg && p != 0, p, s),
            None => {
                let p = BigUint::from_u128(a).mul(&BigUint::from_u128(b));
                Decimal::fit_big(neg, &p, s)
            }
        }
    }

    /// `self / other`, rounded to PostgreSQL's `select_div_scale`;
    /// 22012 on a zero divisor.
    pub fn checked_div(&self, other: &Decimal) -> Result<Decimal> {
        if other.is_zero() {
            return Err(division_by_zero());
        }
        let rscale = select_div_scale(self, other);
        self.div_to_scale(other, rscale)
    }

    /// `round(self / other, rscale)`, giving up fractional digits if the
    /// quotient needs more than 38 significant digits.
    pub(crate) fn div_to_scale(&self, other: &Decimal, mut rscale: u32) -> Result<Decimal> {
        let neg = self.is_negative() != other.is_negative();
        loop {
            // q * 10^rscale = m1 * 10^(rscale + s2 - s1) / m2
            let e = rscale as i64 + other.scale() as i64 - self.scale() as i64;
            let mut num = BigUint::from_u128(self.mantissa().unsigned_abs());
            let mut den = BigUint::from_u128(other.mantissa().unsigned_abs());
            if e >= 0 {
                num.mul_pow10(e as u32);
            } else {
                den.mul_pow10((-e) as u32);
            }
            let q = div_round(&num, &den);
            let digits = q.decimal_digits();
            if digits <= MAX_DIGITS || rscale == 0 {
                return Decimal::fit_big(neg && !q.is_zero(), &q, rscale);
            }
            rscale = rscale.saturating_sub(digits - MAX_DIGITS);
        }
    }

    /// `self % other`: `self - trunc(self / other) * other`, scale
    /// max(s1, s2); 22012 on a zero divisor.
    pub fn checked_rem(&self, other: &Decimal) -> Result<Decimal> {
        if other.is_zero() {
            return Err(division_by_zero());
        }
        let s = self.scale().max(other.scale());
        let (ua, ub) = ((s - self.scale()) as u32, (s - other.scale()) as u32);
        if let (Some(a), Some(b)) = (scaled(self.mantissa(), ua), scaled(other.mantissa(), ub)) {
            let r = a % b;
            return Decimal::fit(r < 0, r.unsigned_abs(), s as u32);
        }
        let (a, b) = (Signed::of(self, ua), Signed::of(other, ub));
        let (_, r) = a.mag.div_rem(&b.mag);
        Decimal::fit_big(a.neg && !r.is_zero(), &r, s as u32)
    }

    /// `self ^ exp` with PostgreSQL's special cases and result scales.
    pub fn checked_pow(&self, exp: &Decimal) -> Result<Decimal> {
        let undefined = |msg: &str| Error::sql(SqlState("2201F"), msg);
        if self.is_zero() && exp.is_negative() {
            return Err(undefined("zero raised to a negative power is undefined"));
        }
        let integral = exp.normalize().scale() == 0;
        if self.is_negative() && !integral {
            return Err(undefined(
                "a negative number raised to a non-integer power yields a complex result",
            ));
        }
        if integral && let Some(n) = exp.to_i64_round().filter(|n| i32::try_from(*n).is_ok()) {
            let rscale = (MIN_SIG_DIGITS as u32).max(self.scale() as u32);
            return self.pow_int(n, rscale.min(MAX_SCALE as u32));
        }
        if self.is_zero() {
            return Decimal::new(0, MIN_SIG_DIGITS as u16);
        }
        if *exp == Decimal::new(5, 1)? {
            return self.sqrt_exact();
        }
        self.pow_float(exp)
    }

    /// `self ^ n` for an integer n, rounded to `rscale`.
    fn pow_int(&self, n: i64, rscale: u32) -> Result<Decimal> {
        if n == 0 {
            return Decimal::fit(false, 1, 0)?.round_to_scale(rscale as u16);
        }
        let base_digits = u128_digits(self.mantissa().unsigned_abs()) as i64;
        let lead = base_digits - 1 - self.scale() as i64; // exponent of leading digit
        // |self|^|n| lies in [10^(lead*|n|), 10^((lead+1)*|n|)).
        let (lo, hi) = (lead * n.abs(), (lead + 1) * n.abs());
        if n > 0 && lo >= MAX_DIGITS as i64 {
            return Err(overflow());
        }
        if n < 0 && -hi >= MAX_DIGITS as i64 {
            return Err(overflow());
        }
        if (n > 0 && hi < -(rscale as i64) - 1) || (n < 0 && -lo < -(rscale as i64) - 1) {
            return Decimal::new(0, rscale as u16);
        }
        let exact_scale = self.scale() as i64 * n.abs();
        if base_digits * n.abs() > 3000 || exact_scale > 3000 {
            return self
                .pow_float(&Decimal::from_i64(n))
                .and_then(|d| d.round_to_scale(rscale as u16).or(Ok(d)));
        }
        let mut mag = BigUint::from_u128(1);
        let base = BigUint::from_u128(self.mantissa().unsigned_abs());
        for _ in 0..n.abs() {
            mag = mag.mul(&base);
        }
        let neg = self.is_negative() && n % 2 != 0;
        let exact_scale = exact_scale as u32;
        let rounded = if n > 0 {
            if exact_scale > rscale {
                mag.div_pow10_round(exact_scale - rscale)
            } else {
                mag.mul_pow10(rscale - exact_scale);
                mag
            }
        } else {
            // 1 / (mag / 10^exact_scale) at rscale = 10^(rscale + exact_scale) / mag
            let mut num = BigUint::from_u128(1);
            num.mul_pow10(rscale + exact_scale);
            div_round(&num, &mag)
        };
        Decimal::fit_big(neg && !rounded.is_zero(), &rounded, rscale)
    }

    /// `self ^ 0.5` (self > 0) correctly rounded at `power_var`'s scale:
    /// the integer square root with one extra digit decides the rounding.
    fn sqrt_exact(&self) -> Result<Decimal> {
        let weight = 0.5 * self.to_f64().ln() * std::f64::consts::LOG10_E;
        let rscale = (MIN_SIG_DIGITS - weight.clamp(-1e6, 1e6) as i32)
            .max(self.scale() as i32)
            .clamp(0, MAX_SCALE as i32) as u32;
        // floor(sqrt(m / 10^s) * 10^(rscale + 1)) = isqrt(m * 10^(2 rscale + 2 - s))
        let mut n = BigUint::from_u128(self.mantissa().unsigned_abs());
        n.mul_pow10(2 * rscale + 2 - self.scale() as u32);
        let root = n.isqrt();
        Decimal::fit_big(false, &root.div_pow10_round(1), rscale)
    }

    /// `self ^ exp` through f64, at PostgreSQL's result scale for `power_var`.
    fn pow_float(&self, exp: &Decimal) -> Result<Decimal> {
        let (b, e) = (self.to_f64(), exp.to_f64());
        let weight = e * b.abs().ln() * std::f64::consts::LOG10_E;
        if weight >= MAX_DIGITS as f64 {
            return Err(overflow());
        }
        let rscale = (MIN_SIG_DIGITS - weight.clamp(-1e6, 1e6) as i32)
            .max(self.scale() as i32)
            .max(exp.scale() as i32)
            .clamp(0, MAX_SCALE as i32) as u16;
        let v = b.powf(e);
        if !v.is_finite() {
            return Err(overflow());
        }
        let text = format!("{v:.*}", (rscale as usize).min(340));
        let d: Decimal = text.parse()?;
        d.round_to_scale(rscale).or(Ok(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// Each row checked against PostgreSQL 15: `select a <op> b`.
    #[test]
    fn arithmetic_matches_postgres() {
        let cases = [
            ("1", "/", "3", "0.33333333333333333333"),
            ("10", "/", "4", "2.5000000000000000"),
            ("123456789.123", "/", "7", "17636684.160428571429"),
            ("0.000001", "/", "3", "0.000000333333333333333333"),
            ("1e20", "/", "7", "14285714285714285714"),
            ("2.50", "*", "1.5", "3.750"),
            ("10.5", "%", "3", "1.5"),
            ("-10.5", "%", "3", "-1.5"),
            ("10", "%", "-3", "1"),
            ("1.5", "+", "2.25", "3.75"),
            ("1.5", "-", "2.25", "-0.75"),
            ("0.1", "+", "-0.10", "0.00"),
            ("2", "^", "3", "8.0000000000000000"),
            ("2", "^", "-3", "0.1250000000000000"),
            ("2.5", "^", "2", "6.2500000000000000"),
            ("2", "^", "0.5", "1.4142135623730950"),
            ("1e10", "^", "0.5", "100000.00000000000"),
            ("0.0004", "^", "0.5", "0.02000000000000000"),
            ("1e-10", "^", "0.5", "0.000010000000000000000"),
            ("1e20", "^", "0.5", "10000000000.000000"),
            ("123.456", "^", "0.5", "11.111075555498666"),
            ("10", "^", "1.5", "31.622776601683793"),
            ("0", "^", "0", "1.0000000000000000"),
            ("10", "^", "20", "100000000000000000000.0000000000000000"),
            ("1.1", "^", "10", "2.5937424601000000"),
            ("3", "^", "-1", "0.3333333333333333"),
            ("0.5", "^", "3", "0.1250000000000000"),
            (
                "1e-30",
                "*",
                "1e-30",
                "0.000000000000000000000000000000000000000000000000000000000001",
            ),
            ("43200000000", "/", "86400000000", "0.50000000000000000000"),
        ];
        for (a, op, b, want) in cases {
            let (a, b) = (d(a), d(b));
            let got = match op {
                "+" => a.checked_add(&b),
                "-" => a.checked_sub(&b),
                "*" => a.checked_mul(&b),
                "/" => a.checked_div(&b),
                "%" => a.checked_rem(&b),
                "^" => a.checked_pow(&b),
                _ => unreachable!(),
            }
            .unwrap();
            assert_eq!(got.to_string(), want, "{a} {op} {b}");
        }
    }

    #[test]
    fn errors_match_postgres() {
        let e = d("1.5").checked_div(&d("0")).unwrap_err();
        assert_eq!(
            (e.sqlstate(), e.message().as_str()),
            (SqlState::DIVISION_BY_ZERO, "division by zero")
        );
        assert!(d("1").checked_rem(&d("0.0")).is_err());
        let e = d("0").checked_pow(&d("-1")).unwrap_err();
        assert_eq!(e.sqlstate().code(), "2201F");
        let e = d("-8").checked_pow(&d("0.5")).unwrap_err();
        assert_eq!(
            e.message(),
            "a negative number raised to a non-integer power yields a complex result"
        );
        assert_eq!(
            d("1e37").checked_mul(&d("100")).unwrap_err().message(),
            "value overflows numeric format"
        );
        assert!(d("10").checked_pow(&d("40")).is_err());
    }

    #[test]
    fn wide_intermediates_are_exact_then_rounded() {
        // 38 x 38 digits: exact product rounded to 38 significant digits.
        let a = d("1234567890123456789.0123456789012345678");
        let p = a.checked_mul(&a).unwrap();
        assert_eq!(p.to_string(), "1524157875323883675049535156256668194.3");
        // Scales 60 apart.
        let s = d("1e30").checked_add(&d("1e-30")).unwrap();
        assert_eq!(s.to_string(), "1000000000000000000000000000000.0000000");
        let s = d("1e-30").checked_sub(&d("1e-30")).unwrap();
        assert!(s.is_zero());
        // Remainder with a huge scale gap.
        let r = d("12345678901234567890123456789")
            .checked_rem(&d("0.0000000007"))
            .unwrap();
        assert!(r < d("0.0000000007") && !r.is_negative());
        // A quotient that would need more than 38 digits gives up scale.
        let q = d("12345678.123456789012345678901234567890")
            .checked_div(&d("0.001"))
            .unwrap();
        assert_eq!(q.to_string(), "12345678123.456789012345678901234567890");
    }
}
