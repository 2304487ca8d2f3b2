//! [`BigUint`]: a small arbitrary-precision unsigned integer, the slow path
//! of NUMERIC arithmetic.
//!
//! [`Decimal`](super::Decimal) keeps an `i128` mantissa and computes in
//! `u128` whenever the exact intermediate fits. When it does not (aligning
//! scales 60 digits apart, a 38-digit by 38-digit product, a quotient scaled
//! up for its result scale), the exact value is computed here and then
//! rounded back into 38 digits. Simplicity beats speed on this path: limbs
//! are base 2^32, division is bitwise shift-and-subtract.

use std::cmp::Ordering;

/// An unsigned integer as little-endian base-2^32 limbs, without high zero limbs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BigUint {
    limbs: Vec<u32>,
}

impl BigUint {
    /// The value of `v`.
    pub(crate) fn from_u128(mut v: u128) -> BigUint {
        let mut limbs = Vec::with_capacity(4);
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        BigUint { limbs }
    }

    /// The value, if it fits in a `u128`.
    pub(crate) fn to_u128(&self) -> Option<u128> {
        if self.limbs.len() > 4 {
            return None;
        }
        Some(
            self.limbs
                .iter()
                .rev()
                .fold(0u128, |acc, &l| (acc << 32) | l as u128),
        )
    }

    /// True for zero.
    pub(crate) fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    /// `self * m + a` for small `m` and `a`, in place.
    fn mul_small_add(&mut self, m: u32, a: u32) {
        let mut carry = a as u64;
        for limb in self.limbs.iter_mut() {
            let v = *limb as u64 * m as u64 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    /// Divides in place by a small divisor (non-zero), returning the remainder.
    pub(crate) fn div_small(&mut self, d: u32) -> u32 {
        debug_assert!(d != 0);
        let mut rem = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let cur = (rem << 32) | *limb as u64;
            *limb = (cur / d as u64) as u32;
            rem = cur % d as u64;
        }
        self.trim();
        rem as u32
    }

    /// Multiplies in place by 10^k.
    pub(crate) fn mul_pow10(&mut self, mut k: u32) {
        while k >= 9 {
            self.mul_small_add(1_000_000_000, 0);
            k -= 9;
        }
        if k > 0 {
            self.mul_small_add(10u32.pow(k), 0);
        }
    }

    /// Multiplies in place by 2^k.
    pub(crate) fn mul_pow2(&mut self, k: u32) {
        if self.is_zero() {
            return;
        }
        let (words, bits) = ((k / 32) as usize, k % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in self.limbs.iter_mut() {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        self.limbs.splice(0..0, std::iter::repeat_n(0, words));
    }

    /// The product of two numbers.
    pub(crate) fn mul(&self, other: &BigUint) -> BigUint {
        let mut out = vec![0u32; self.limbs.len() + other.limbs.len()];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.limbs.iter().enumerate() {
                let v = out[i + j] as u64 + a as u64 * b as u64 + carry;
                out[i + j] = v as u32;
                carry = v >> 32;
            }
            let mut k = i + other.limbs.len();
            while carry != 0 {
                let v = out[k] as u64 + carry;
                out[k] = v as u32;
                carry = v >> 32;
                k += 1;
            }
        }
        let mut r = BigUint { limbs: out };
        r.trim();
        r
    }

    /// The sum of two numbers.
    pub(crate) fn add(&self, other: &BigUint) -> BigUint {
        let n = self.limbs.len().max(other.limbs.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let a = *self.limbs.get(i).unwrap_or(&0) as u64;
            let b = *other.limbs.get(i).unwrap_or(&0) as u64;
            let v = a + b + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry != 0 {
            out.push(carry as u32);
        }
        BigUint { limbs: out }
    }

    /// `self - other`; the caller guarantees `self >= other`.
    pub(crate) fn sub(&self, other: &BigUint) -> BigUint {
        debug_assert!(self.cmp(other) != Ordering::Less);
        let mut out = Vec::with_capacity(self.limbs.len());
        let mut borrow = 0i64;
        for i in 0..self.limbs.len() {
            let a = self.limbs[i] as i64;
            let b = *other.limbs.get(i).unwrap_or(&0) as i64;
            let mut v = a - b - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            out.push(v as u32);
        }
        let mut r = BigUint { limbs: out };
        r.trim();
        r
    }

    fn bit_len(&self) -> usize {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() * 32 - top.leading_zeros() as usize,
        }
    }

    fn bit(&self, i: usize) -> bool {
        self.limbs
            .get(i / 32)
            .is_some_and(|l| (l >> (i % 32)) & 1 == 1)
    }

    fn shl1_or(&mut self, bit: bool) {
        let mut carry = bit as u32;
        for limb in self.limbs.iter_mut() {
            let next = *limb >> 31;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if carry != 0 {
            self.limbs.push(carry);
        }
    }

    /// Quotient and remainder; the caller guarantees a non-zero divisor.
    pub(crate) fn div_rem(&self, d: &BigUint) -> (BigUint, BigUint) {
        debug_assert!(!d.is_zero());
        let n = self.bit_len();
        let mut q = BigUint {
            limbs: vec![0; self.limbs.len()],
        };
        let mut r = BigUint { limbs: Vec::new() };
        for i in (0..n).rev() {
            r.shl1_or(self.bit(i));
            if r.cmp(d) != Ordering::Less {
                r = r.sub(d);
                q.limbs[i / 32] |= 1 << (i % 32);
            }
        }
        q.trim();
        (q, r)
    }

    /// The integer square root, `floor(sqrt(self))` (Newton's method).
    pub(crate) fn isqrt(&self) -> BigUint {
        if self.is_zero() {
            return self.clone();
        }
        // Start above the root: 2^ceil(bits / 2).
        let mut x = BigUint::from_u128(1);
        for _ in 0..self.bit_len().div_ceil(2) {
            x.mul_small_add(2, 0);
        }
        loop {
            let (q, _) = self.div_rem(&x);
            let mut y = x.add(&q);
            y.div_small(2);
            if y >= x {
                return x;
            }
            x = y;
        }
    }

    /// The number of decimal digits (0 for zero).
    pub(crate) fn decimal_digits(&self) -> u32 {
        if let Some(v) = self.to_u128() {
            return super::numeric::u128_digits(v);
        }
        let mut t = self.clone();
        let mut n = 0;
        while t.limbs.len() > 4 {
            t.div_small(1_000_000_000);
            n += 9;
        }
        n + super::numeric::u128_digits(t.to_u128().unwrap_or(0))
    }

    /// Divides by 10^k, rounding half away from zero.
    pub(crate) fn div_pow10_round(&self, k: u32) -> BigUint {
        if k == 0 {
            return self.clone();
        }
        let mut t = self.clone();
        let mut rest = k - 1;
        while rest >= 9 {
            t.div_small(1_000_000_000);
            rest -= 9;
        }
        if rest > 0 {
            t.div_small(10u32.pow(rest));
        }
        let last = t.div_small(10);
        if last >= 5 {
            t.mul_small_add(1, 1);
        }
        t
    }
}

impl PartialOrd for BigUint {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for BigUint {
    fn cmp(&self, other: &Self) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(v: u128) -> BigUint {
        BigUint::from_u128(v)
    }

    #[test]
    fn arithmetic_matches_u128() {
        let a = big(123_456_789_012_345_678_901_234);
        let b = big(987_654_321);
        assert_eq!(a.mul(&b).div_rem(&b).0, a);
        assert_eq!(a.add(&b).sub(&b), a);
        let (q, r) = a.div_rem(&b);
        assert_eq!(
            q.to_u128(),
            Some(123_456_789_012_345_678_901_234 / 987_654_321)
        );
        assert_eq!(
            r.to_u128(),
            Some(123_456_789_012_345_678_901_234 % 987_654_321)
        );
    }

    #[test]
    fn powers_of_ten_and_rounding() {
        let mut x = big(15);
        x.mul_pow10(40);
        assert_eq!(x.decimal_digits(), 42);
        assert_eq!(x.div_pow10_round(41).to_u128(), Some(2));
        assert_eq!(big(149).div_pow10_round(2).to_u128(), Some(1));
        assert_eq!(big(150).div_pow10_round(2).to_u128(), Some(2));
        assert_eq!(big(0).decimal_digits(), 0);
        assert_eq!(big(99).isqrt().to_u128(), Some(9));
        let mut p = big(3);
        p.mul_pow2(70);
        assert_eq!(p.to_u128(), Some(3 << 70));
        assert_eq!(big(100).isqrt().to_u128(), Some(10));
        let mut x = big(2);
        x.mul_pow10(60);
        assert_eq!(
            x.isqrt().to_u128(),
            Some(1_414_213_562_373_095_048_801_688_724_209)
        );
        assert_eq!(big(u128::MAX).mul(&big(u128::MAX)).to_u128(), None);
    }
}
