//! Word-size modular arithmetic modulo a prime q < 2^62.
//!
//! Barrett reduction of 128-bit products with a precomputed floor(2^128 / q),
//! and Shoup multiplication by a fixed multiplicand w with w' = floor(w 2^64 / q)
//! (D. Harvey, "Faster arithmetic for number-theoretic transforms", 2014).
//! "Lazy" variants return values in [0, 2q) and are what the NTT uses.

/// Largest supported modulus bit size: lazy butterflies keep values below 4q,
/// which must fit in a word.
pub const MAX_MODULUS_BITS: u32 = 61;

/// A word-size modulus with its Barrett constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modulus {
    q: u64,
    /// floor(2^128 / q) as (low word, high word).
    ratio: (u64, u64),
    bits: u32,
}

impl Modulus {
    /// A modulus q with 2 <= q < 2^62.
    ///
    /// # Panics
    /// If q is out of range; callers validate user input first (see `params`).
    pub fn new(q: u64) -> Self {
        assert!((2..(1u64 << 62)).contains(&q), "modulus {q} out of range");
        // floor(2^128 / q) computed as floor((2^128 - 1) / q), exact unless q | 2^128,
        // which only powers of two do.
        let r = u128::MAX / q as u128;
        let r = if q.is_power_of_two() { r + 1 } else { r };
        Self {
            q,
            ratio: (r as u64, (r >> 64) as u64),
            bits: 64 - q.leading_zeros(),
        }
    }

    #[inline(always)]
    pub fn value(&self) -> u64 {
        self.q
    }

    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// x mod q for a full 128-bit x.
    #[inline(always)]
    pub fn reduce_u128(&self, x: u128) -> u64 {
        let x0 = x as u64;
        let x1 = (x >> 64) as u64;
        let (r0, r1) = self.ratio;
        // High 64 bits of the low half of x * ratio / 2^128 (only the low word of the
        // quotient estimate is needed since the remainder is < 3q).
        let a = ((x0 as u128 * r0 as u128) >> 64) as u64;
        let b = x0 as u128 * r1 as u128;
        let c = x1 as u128 * r0 as u128;
        let mid = a as u128 + (b as u64) as u128 + (c as u64) as u128;
        let qhat = ((b >> 64) as u64)
            .wrapping_add((c >> 64) as u64)
            .wrapping_add((mid >> 64) as u64)
            .wrapping_add(x1.wrapping_mul(r1));
        let mut r = x0.wrapping_sub(qhat.wrapping_mul(self.q));
        if r >= self.q {
            r -= self.q;
        }
        if r >= self.q {
            r -= self.q;
        }
        r
    }

    /// x mod q for any word x: single-word Barrett with floor(2^64 / q), which is
    /// the high word of floor(2^128 / q); the estimate is off by at most one.
    #[inline(always)]
    pub fn reduce(&self, x: u64) -> u64 {
        let qhat = ((x as u128 * self.ratio.1 as u128) >> 64) as u64;
        let r = x.wrapping_sub(qhat.wrapping_mul(self.q));
        if r >= self.q { r - self.q } else { r }
    }

    /// x mod q for a signed x.
    #[inline(always)]
    pub fn reduce_i64(&self, x: i64) -> u64 {
        if x >= 0 {
            self.reduce(x as u64)
        } else {
            let r = self.reduce(x.unsigned_abs());
            if r == 0 { 0 } else { self.q - r }
        }
    }

    /// x mod q for a signed 128-bit x.
    pub fn reduce_i128(&self, x: i128) -> u64 {
        let r = self.reduce_u128(x.unsigned_abs());
        if x >= 0 || r == 0 { r } else { self.q - r }
    }

    /// round(x) mod q for a finite f64 of any magnitude.
    pub fn reduce_f64(&self, x: f64) -> u64 {
        let x = x.round();
        if x.abs() < 1.7e38 {
            return self.reduce_i128(x as i128);
        }
        // x = m * 2^e with |m| < 2^53 and e > 0.
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
        let mant = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
        let v = self.mul(self.reduce(mant), self.pow(2, exp as u64));
        if x < 0.0 { self.neg(v) } else { v }
    }

    #[inline(always)]
    pub fn add(&self, a: u64, b: u64) -> u64 {
        let s = a + b;
        if s >= self.q { s - self.q } else { s }
    }

    #[inline(always)]
    pub fn sub(&self, a: u64, b: u64) -> u64 {
        if a >= b { a - b } else { a + self.q - b }
    }

    #[inline(always)]
    pub fn neg(&self, a: u64) -> u64 {
        if a == 0 { 0 } else { self.q - a }
    }

    #[inline(always)]
    pub fn mul(&self, a: u64, b: u64) -> u64 {
        self.reduce_u128(a as u128 * b as u128)
    }

    /// The Shoup constant floor(w 2^64 / q) of a multiplicand w < q.
    #[inline(always)]
    pub fn shoup(&self, w: u64) -> u64 {
        debug_assert!(w < self.q);
        (((w as u128) << 64) / self.q as u128) as u64
    }

    /// a * w mod q in [0, 2q), for any word a and w < q with its Shoup constant.
    #[inline(always)]
    pub fn mul_shoup_lazy(&self, a: u64, w: u64, w_shoup: u64) -> u64 {
        let qhat = ((a as u128 * w_shoup as u128) >> 64) as u64;
        a.wrapping_mul(w).wrapping_sub(qhat.wrapping_mul(self.q))
    }

    /// a * w mod q in [0, q).
    #[inline(always)]
    pub fn mul_shoup(&self, a: u64, w: u64, w_shoup: u64) -> u64 {
        let r = self.mul_shoup_lazy(a, w, w_shoup);
        if r >= self.q { r - self.q } else { r }
    }

    pub fn pow(&self, mut base: u64, mut exp: u64) -> u64 {
        base = self.reduce(base);
        let mut acc = 1 % self.q;
        while exp > 0 {
            if exp & 1 == 1 {
                acc = self.mul(acc, base);
            }
            base = self.mul(base, base);
            exp >>= 1;
        }
        acc
    }

    /// The inverse of a modulo a prime q (Fermat), None for a = 0 mod q.
    pub fn inv(&self, a: u64) -> Option<u64> {
        let a = self.reduce(a);
        if a == 0 {
            None
        } else {
            Some(self.pow(a, self.q - 2))
        }
    }

    /// The centred representative of a in (-q/2, q/2].
    #[inline(always)]
    pub fn center(&self, a: u64) -> i64 {
        if a > self.q / 2 {
            a as i64 - self.q as i64
        } else {
            a as i64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn barrett_matches_u128_rem(q in 2u64..(1u64 << 62), x in any::<u128>()) {
            let m = Modulus::new(q);
            prop_assert_eq!(m.reduce_u128(x) as u128, x % q as u128);
        }

        #[test]
        fn mul_and_shoup_match(q in 2u64..(1u64 << 62), a in any::<u64>(), b in any::<u64>()) {
            let m = Modulus::new(q);
            let (a, b) = (a % q, b % q);
            let expected = (a as u128 * b as u128 % q as u128) as u64;
            prop_assert_eq!(m.mul(a, b), expected);
            prop_assert_eq!(m.mul_shoup(a, b, m.shoup(b)), expected);
            let lazy = m.mul_shoup_lazy(a.wrapping_add(q), b, m.shoup(b));
            prop_assert!(lazy < 2 * q);
            prop_assert_eq!(lazy % q, expected);
        }

        #[test]
        fn word_reduction(q in 2u64..(1u64 << 62), x in any::<u64>()) {
            prop_assert_eq!(Modulus::new(q).reduce(x), x % q);
        }

        #[test]
        fn signed_and_float_reduction(q in 3u64..(1u64 << 61), x in any::<i64>()) {
            let m = Modulus::new(q);
            let expected = (x as i128).rem_euclid(q as i128) as u64;
            prop_assert_eq!(m.reduce_i64(x), expected);
            let xf = (x >> 12) as f64;
            prop_assert_eq!(m.reduce_f64(xf), ((x >> 12) as i128).rem_euclid(q as i128) as u64);
        }
    }

    #[test]
    fn huge_float_reduction() {
        let m = Modulus::new(1_152_921_504_606_748_673);
        let x = 2f64.powi(150) * 3.0;
        let expected = m.mul(3, m.pow(2, 150));
        assert_eq!(m.reduce_f64(x), expected);
        assert_eq!(m.reduce_f64(-x), m.neg(expected));
    }

    #[test]
    fn inverse() {
        let m = Modulus::new(65537);
        for a in 1..1000 {
            assert_eq!(m.mul(a, m.inv(a).unwrap()), 1);
        }
    }
}
