//! Arithmetic modulo `q = 2^log2_q ≤ 2^126` on `u128` residues.
//!
//! Overflow argument: residues are kept in `[0, q)`. Sums and products are computed with
//! `wrapping_*` on `u128`, i.e. exactly modulo `2^128`; since `q` divides `2^128`, masking the
//! result with `q - 1` gives the exact residue modulo `q`. Signed small integers (entries of
//! `T`, `E`, digits, plaintexts) enter through their two's-complement `u128` image, which is
//! congruent to them modulo `2^128`. Centered values lie in `(-q/2, q/2]`, so `|v| ≤ 2^125`
//! fits `i128`. Nothing here can overflow silently in a way that changes a residue.

/// `v mod q` for a signed `v`, as a residue in `[0, q)`.
#[inline]
pub(crate) fn residue(v: i128, mask: u128) -> u128 {
    (v as u128) & mask
}

/// The centered representative of a residue `r ∈ [0, q)`, in `(-q/2, q/2]`.
#[inline]
pub(crate) fn center(r: u128, log2_q: u32) -> i128 {
    debug_assert!(r >> log2_q == 0);
    let half = 1u128 << (log2_q - 1);
    if r > half {
        // r < q ≤ 2^126, so both casts are exact.
        r as i128 - (1i128 << log2_q)
    } else {
        r as i128
    }
}

/// `round(v / 2^k)` (halves rounded up) for `|v| < 2^126` and `1 ≤ k < 127`.
#[inline]
pub(crate) fn round_shift(v: i128, k: u32) -> i128 {
    // |v| < 2^126, so adding 2^(k-1) ≤ 2^125 cannot overflow i128; `>>` floors.
    (v + (1i128 << (k - 1))) >> k
}

/// The 256-bit two's-complement product of two signed values with `|a|, |b| < 2^127`,
/// as `(high, low)` 128-bit halves.
#[inline]
pub(crate) fn mul_wide(a: i128, b: i128) -> (u128, u128) {
    let neg = (a < 0) != (b < 0);
    let (hi, lo) = mul_u128(a.unsigned_abs(), b.unsigned_abs());
    if neg { neg256(hi, lo) } else { (hi, lo) }
}

/// Unsigned 128×128 → 256-bit product `(high, low)`.
#[inline]
fn mul_u128(a: u128, b: u128) -> (u128, u128) {
    const M: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & M);
    let (b1, b0) = (b >> 64, b & M);
    // Each partial product of two 64-bit halves is < 2^128.
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // mid < 3·2^64, no overflow.
    let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
    let lo = (p00 & M) | (mid << 64);
    // The full product is < 2^256, so the high half cannot overflow.
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// Two's-complement negation of a 256-bit value.
#[inline]
fn neg256(hi: u128, lo: u128) -> (u128, u128) {
    let (lo2, carry) = (!lo).overflowing_add(1);
    ((!hi).wrapping_add(carry as u128), lo2)
}

/// `round(a·b / 2^k) mod 2^log2_q` as a residue, exactly, for `|a|, |b| ≤ 2^125`,
/// `1 ≤ k` and `k + log2_q ≤ 252`: bits `[k, k + log2_q)` of the 256-bit two's-complement
/// value `a·b + 2^(k-1)` are `floor((a·b + 2^(k-1)) / 2^k) mod 2^log2_q`.
#[inline]
pub(crate) fn round_product(a: i128, b: i128, k: u32, mask: u128, log2_q: u32) -> u128 {
    if k + log2_q <= 128 {
        // Only the product modulo 2^128 is needed; wrapping multiplication gives it.
        let p = (a as u128).wrapping_mul(b as u128);
        (p.wrapping_add(1u128 << (k - 1)) >> k) & mask
    } else {
        let (hi, lo) = mul_wide(a, b);
        let (lo, carry) = lo.overflowing_add(1u128 << (k - 1));
        let hi = hi.wrapping_add(carry as u128);
        // 1 ≤ k ≤ 127 here (k < 128 because k + log2_q ≤ 252 and k ≤ 120).
        let shifted = (lo >> k) | (hi << (128 - k));
        shifted & mask
    }
}

/// Calls `f(position, signed digit)` for every non-zero signed digit of the centered value
/// `v`: `v = sign(v)·Σ_d digit_d·2^(bits·d)` with `0 ≤ digit_d < 2^bits` (equation 4 with
/// base `2^bits`). Returns `Σ_d |digit_d|`.
#[inline]
pub(crate) fn for_each_digit(v: i128, bits: u32, mut f: impl FnMut(u32, i128)) -> u128 {
    let sign: i128 = if v < 0 { -1 } else { 1 };
    let mut mag = v.unsigned_abs();
    let mut l1 = 0u128;
    if bits == 1 {
        while mag != 0 {
            let d = mag.trailing_zeros();
            f(d, sign);
            l1 += 1;
            mag &= mag - 1;
        }
    } else {
        let dmask = (1u128 << bits) - 1;
        let mut pos = 0u32;
        while mag != 0 {
            let digit = mag & dmask;
            if digit != 0 {
                f(pos, sign * digit as i128);
                l1 += digit;
            }
            mag >>= bits;
            pos += 1;
        }
    }
    l1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact_round(a: i128, b: i128, k: u32, log2_q: u32) -> u128 {
        // Reference with i128 only when the product fits.
        let p = a.checked_mul(b).unwrap();
        let r = p.div_euclid(1i128 << k);
        let rem = p.rem_euclid(1i128 << k);
        let r = if rem >= (1i128 << (k - 1)) { r + 1 } else { r };
        residue(r, (1u128 << log2_q) - 1)
    }

    proptest! {
        #[test]
        fn round_product_matches_i128(a in -(1i128 << 60)..(1i128 << 60),
                                      b in -(1i128 << 60)..(1i128 << 60),
                                      k in 1u32..60, log2_q in 2u32..126) {
            let mask = (1u128 << log2_q) - 1;
            prop_assert_eq!(round_product(a, b, k, mask, log2_q), exact_round(a, b, k, log2_q));
        }

        #[test]
        fn wide_product_is_exact(a in any::<i128>().prop_map(|x| x >> 2),
                                 b in any::<i128>().prop_map(|x| x >> 2)) {
            // Check the 256-bit product modulo 2^128 and its sign.
            let (hi, lo) = mul_wide(a, b);
            prop_assert_eq!(lo, (a as u128).wrapping_mul(b as u128));
            let neg = (a < 0) != (b < 0) && a != 0 && b != 0;
            prop_assert_eq!(hi >> 127 == 1, neg);
        }

        #[test]
        fn digits_reconstruct(v in -(1i128 << 125)..=(1i128 << 125), bits in 1u32..=16) {
            let mut acc = 0i128;
            let mut l1 = 0u128;
            let got = for_each_digit(v, bits, |d, s| {
                acc += s << (bits * d);
                l1 += s.unsigned_abs();
            });
            prop_assert_eq!(acc, v);
            prop_assert_eq!(got, l1);
        }

        #[test]
        fn center_inverts_residue(v in -(1i128 << 100)..(1i128 << 100)) {
            let log2_q = 102;
            let mask = (1u128 << log2_q) - 1;
            prop_assert_eq!(center(residue(v, mask), log2_q), v);
        }
    }

    #[test]
    fn wide_rounding_at_the_largest_sizes() {
        // k + log2_q > 128 takes the 256-bit path; compare with a split computation.
        let log2_q = 126;
        let k = 120;
        let mask = (1u128 << log2_q) - 1;
        let a = (1i128 << 125) - 3;
        let b = -(1i128 << 125) + 7;
        // a·b/2^120 = (2^125-3)(-2^125+7)/2^120 = -2^130 + 320 - 21/2^120, which rounds to
        // -2^130 + 320 ≡ 320 (mod 2^126).
        let want = 320;
        assert_eq!(round_product(a, b, k, mask, log2_q), want);
    }
}
