//! Modular-exponentiation machinery beyond GMP's single `powm`:
//!
//! * [`FixedBaseTable`]: fixed-base windowed exponentiation (the
//!   Brickell-Gordon-McCurley-Wilson table, one row per `w`-bit window),
//!   built once per base and used for DJN encryption randomness `h_s^a`;
//! * [`batch_invert`]: Montgomery's simultaneous-inversion trick (one
//!   modular inversion and `3(N-1)` multiplications for `N` inverses);
//! * [`multi_exp`]: `prod_i b_i^{e_i} mod m` for signed exponents with
//!   Pippenger's bucket method on signed-digit windows, the window width
//!   chosen from the exponent sizes and the number of terms.
//!
//! All functions are single-threaded; callers parallelise across
//! independent products.

use rug::integer::Order;
use rug::{Assign, Integer};

use crate::he::paillier::error::{PaillierError, Result};

/// Multiplication modulo `m` with a reusable scratch product, so a long
/// chain of multiplications does not allocate.
pub(crate) struct ModMul<'a> {
    m: &'a Integer,
    tmp: Integer,
}

impl<'a> ModMul<'a> {
    pub(crate) fn new(m: &'a Integer) -> Self {
        let cap = 2 * m.significant_bits() as usize + 128;
        Self {
            m,
            tmp: Integer::with_capacity(cap),
        }
    }

    /// `a = a * b mod m` (`a`, `b` already reduced and non-negative).
    #[inline]
    pub(crate) fn mul(&mut self, a: &mut Integer, b: &Integer) {
        self.tmp.assign(&*a * b);
        a.assign(&self.tmp % self.m);
    }

    /// `a = a^2 mod m`.
    #[inline]
    pub(crate) fn square(&mut self, a: &mut Integer) {
        self.tmp.assign(a.square_ref());
        a.assign(&self.tmp % self.m);
    }
}

/// `a mod m` in `[0, m)` for `m > 0`.
pub(crate) fn reduce(a: &Integer, m: &Integer) -> Integer {
    let mut r = Integer::from(a % m);
    if r < 0 {
        r += m;
    }
    r
}

/// Magnitude of `x` as little-endian `u64` digits.
pub(crate) fn magnitude_u64(x: &Integer) -> Vec<u64> {
    let mut v = vec![0u64; x.significant_digits::<u64>()];
    x.write_digits(&mut v, Order::Lsf);
    v
}

/// Bits `[pos, pos + len)` of a little-endian digit slice (`len <= 32`).
#[inline]
fn bits_at(digits: &[u64], pos: u32, len: u32) -> u32 {
    debug_assert!(len <= 32 && len > 0);
    let word = (pos / 64) as usize;
    let shift = pos % 64;
    let lo = digits.get(word).copied().unwrap_or(0) >> shift;
    let hi = if shift + len > 64 {
        digits.get(word + 1).copied().unwrap_or(0) << (64 - shift)
    } else {
        0
    };
    ((lo | hi) & ((1u64 << len) - 1)) as u32
}

/// Fixed-base exponentiation table: entry `(j, d)` holds
/// `base^(d * 2^(w*j)) mod m` for `d` in `1..2^w`, so `base^e` for
/// `e < 2^max_exp_bits` costs one multiplication per non-zero `w`-bit
/// window of `e` and no squarings.
#[derive(Clone)]
pub struct FixedBaseTable {
    modulus: Integer,
    window: u32,
    windows: u32,
    max_exp_bits: u32,
    table: Vec<Integer>,
}

impl std::fmt::Debug for FixedBaseTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedBaseTable")
            .field("modulus_bits", &self.modulus.significant_bits())
            .field("window", &self.window)
            .field("windows", &self.windows)
            .field("max_exp_bits", &self.max_exp_bits)
            .field("entries", &self.table.len())
            .finish()
    }
}

impl FixedBaseTable {
    /// Builds the table (`windows * (2^w - 1)` multiplications).
    ///
    /// # Panics
    /// If `window` is not in `1..=16` or `modulus < 2`.
    pub fn new(base: &Integer, modulus: &Integer, max_exp_bits: u32, window: u32) -> Self {
        assert!((1..=16).contains(&window), "window must be in 1..=16");
        assert!(*modulus > 1, "modulus must exceed 1");
        let windows = max_exp_bits.div_ceil(window).max(1);
        let per = (1usize << window) - 1;
        let mut table = Vec::with_capacity(windows as usize * per);
        let mut mm = ModMul::new(modulus);
        let mut g = reduce(base, modulus);
        for _ in 0..windows {
            let start = table.len();
            table.push(g.clone());
            for d in 1..per {
                let mut next = table[start + d - 1].clone();
                mm.mul(&mut next, &g);
                table.push(next);
            }
            // g <- g^(2^w) = g^(2^w - 1) * g
            let mut next_g = table[start + per - 1].clone();
            mm.mul(&mut next_g, &g);
            g = next_g;
        }
        Self {
            modulus: modulus.clone(),
            window,
            windows,
            max_exp_bits,
            table,
        }
    }

    /// Chooses the window for a given exponent size: 8 bits (255 entries
    /// per window) up to 4096-bit moduli, 6 above to bound memory.
    pub fn default_window(modulus_bits: u32) -> u32 {
        if modulus_bits <= 8192 { 8 } else { 6 }
    }

    /// `base^e mod m`. Exponents outside `[0, 2^max_exp_bits)` fall back
    /// to GMP's `powm` on the table's first entry (the base itself).
    pub fn pow(&self, e: &Integer) -> Integer {
        if *e < 0 || e.significant_bits() > self.max_exp_bits {
            let b = self.table[0].clone();
            return match b.pow_mod(e, &self.modulus) {
                Ok(v) => v,
                Err(_) => Integer::new(), // unreachable: base is a unit in practice
            };
        }
        let digits = magnitude_u64(e);
        let per = (1usize << self.window) - 1;
        let mut mm = ModMul::new(&self.modulus);
        let mut acc: Option<Integer> = None;
        for j in 0..self.windows {
            let d = bits_at(&digits, j * self.window, self.window) as usize;
            if d == 0 {
                continue;
            }
            let entry = &self.table[j as usize * per + d - 1];
            match acc.as_mut() {
                Some(a) => mm.mul(a, entry),
                None => acc = Some(entry.clone()),
            }
        }
        acc.unwrap_or_else(|| Integer::from(1))
    }

    /// Exponent bound of the table.
    pub fn max_exp_bits(&self) -> u32 {
        self.max_exp_bits
    }

    /// Window width in bits.
    pub fn window(&self) -> u32 {
        self.window
    }

    /// Approximate memory held by the table in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.table
            .iter()
            .map(|x| x.significant_digits::<u8>())
            .sum::<usize>()
    }
}

/// Inverts every value modulo `m` with Montgomery's trick.
///
/// # Errors
/// [`PaillierError::NotInvertible`] naming the first value that shares a
/// factor with `m`.
pub fn batch_invert(values: &[Integer], m: &Integer) -> Result<Vec<Integer>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let mut mm = ModMul::new(m);
    let mut prefix: Vec<Integer> = Vec::with_capacity(values.len());
    let mut acc = reduce(&values[0], m);
    prefix.push(acc.clone());
    for v in &values[1..] {
        let r = reduce(v, m);
        mm.mul(&mut acc, &r);
        prefix.push(acc.clone());
    }
    let mut inv = match acc.invert(m) {
        Ok(inv) => inv,
        Err(_) => {
            let idx = values
                .iter()
                .position(|v| Integer::from(v.gcd_ref(m)) != 1)
                .unwrap_or(0);
            return Err(PaillierError::NotInvertible {
                what: format!("value #{idx} of a batch of {}", values.len()),
            });
        }
    };
    let mut out = vec![Integer::new(); values.len()];
    for i in (1..values.len()).rev() {
        let mut o = inv.clone();
        mm.mul(&mut o, &prefix[i - 1]);
        out[i] = o;
        let r = reduce(&values[i], m);
        mm.mul(&mut inv, &r);
    }
    out[0] = inv;
    Ok(out)
}

/// Signed-digit recoding of `|e|` into `windows` digits of `c` bits:
/// digits lie in `[-(2^(c-1) - 1), 2^(c-1)]` and `sum d_j 2^(c j) = |e|`.
fn recode_signed(mag: &[u64], c: u32, out: &mut [i32]) {
    let half = 1i32 << (c - 1);
    let full = 1i32 << c;
    let mut carry = 0i32;
    for (j, slot) in out.iter_mut().enumerate() {
        let mut v = bits_at(mag, j as u32 * c, c) as i32 + carry;
        if v > half {
            v -= full;
            carry = 1;
        } else {
            carry = 0;
        }
        *slot = v;
    }
    debug_assert_eq!(carry, 0, "not enough windows for the exponent");
}

/// Cost model of the bucket method: non-zero digits plus bucket
/// aggregation (`2 * 2^(c-1)` per window) plus `c` squarings per window.
fn estimate_cost(spans: &[(u32, u32)], max_bits: u32, c: u32) -> u64 {
    let windows = u64::from((max_bits + 1).div_ceil(c));
    let adds: u64 = spans
        .iter()
        .map(|&(lo, hi)| {
            if hi <= lo {
                0
            } else {
                // windows touched by the bit span [lo, hi]
                u64::from(hi / c - lo / c + 1)
            }
        })
        .sum();
    adds + windows * ((1u64 << c) + u64::from(c))
}

/// Window width minimising [`estimate_cost`] for these exponents.
pub fn choose_window(exps: &[Integer]) -> u32 {
    let spans: Vec<(u32, u32)> = exps
        .iter()
        .map(|e| {
            if *e == 0 {
                (0, 0)
            } else {
                let lo = e.find_one(0).unwrap_or(0);
                (lo, e.significant_bits())
            }
        })
        .collect();
    let max_bits = spans.iter().map(|s| s.1).max().unwrap_or(0);
    (1..=16)
        .min_by_key(|&c| estimate_cost(&spans, max_bits, c))
        .unwrap_or(4)
}

/// `prod_i bases[i]^exps[i] mod m` for signed exponents.
///
/// `inverses[i]` must be `bases[i]^-1 mod m` (e.g. from
/// [`batch_invert`]); with `None` they are computed here. Bases must be
/// reduced modulo `m`. Uses Pippenger's bucket method on signed digits
/// with a window from [`choose_window`].
///
/// # Errors
/// [`PaillierError::DimensionMismatch`] on length mismatch;
/// [`PaillierError::NotInvertible`] if an inverse is needed but missing.
pub fn multi_exp(
    bases: &[Integer],
    inverses: Option<&[Integer]>,
    exps: &[Integer],
    m: &Integer,
) -> Result<Integer> {
    if bases.len() != exps.len() {
        return Err(PaillierError::DimensionMismatch {
            what: "multi_exp exponents".into(),
            expected: bases.len(),
            found: exps.len(),
        });
    }
    let owned;
    let inverses = match inverses {
        Some(inv) => {
            if inv.len() != bases.len() {
                return Err(PaillierError::DimensionMismatch {
                    what: "multi_exp inverses".into(),
                    expected: bases.len(),
                    found: inv.len(),
                });
            }
            inv
        }
        None => {
            owned = batch_invert(bases, m)?;
            &owned[..]
        }
    };
    let c = choose_window(exps);
    Ok(multi_exp_with_window(bases, inverses, exps, m, c))
}

/// [`multi_exp`] with an explicit window width `c` (`1..=16`) and given
/// inverses. Exposed for benchmarking window choices.
pub fn multi_exp_with_window(
    bases: &[Integer],
    inverses: &[Integer],
    exps: &[Integer],
    m: &Integer,
    c: u32,
) -> Integer {
    assert!((1..=16).contains(&c));
    assert_eq!(bases.len(), exps.len());
    assert_eq!(bases.len(), inverses.len());
    let max_bits = exps.iter().map(|e| e.significant_bits()).max().unwrap_or(0);
    if max_bits == 0 {
        return Integer::from(1);
    }
    let windows = (max_bits + 1).div_ceil(c) as usize;
    let n = bases.len();
    // digits[i * windows + j]: digit j of term i, sign folded in.
    let mut digits = vec![0i32; n * windows];
    for (i, e) in exps.iter().enumerate() {
        if *e == 0 {
            continue;
        }
        let mag = magnitude_u64(e);
        let slot = &mut digits[i * windows..(i + 1) * windows];
        recode_signed(&mag, c, slot);
        if *e < 0 {
            for d in slot.iter_mut() {
                *d = -*d;
            }
        }
    }
    let half = 1usize << (c - 1);
    let cap = m.significant_bits() as usize + 64;
    let mut buckets: Vec<Integer> = (0..half).map(|_| Integer::with_capacity(cap)).collect();
    let mut used = vec![false; half];
    let mut running = Integer::with_capacity(cap);
    let mut total = Integer::with_capacity(cap);
    let mut acc = Integer::with_capacity(cap);
    let mut acc_set = false;
    let mut mm = ModMul::new(m);
    for j in (0..windows).rev() {
        if acc_set {
            for _ in 0..c {
                mm.square(&mut acc);
            }
        }
        used.iter_mut().for_each(|u| *u = false);
        for i in 0..n {
            let d = digits[i * windows + j];
            if d == 0 {
                continue;
            }
            let k = d.unsigned_abs() as usize - 1;
            let base = if d > 0 { &bases[i] } else { &inverses[i] };
            if used[k] {
                mm.mul(&mut buckets[k], base);
            } else {
                buckets[k].assign(base);
                used[k] = true;
            }
        }
        // sum_k (k+1) * B_k via running sums, skipping empty buckets.
        let mut running_set = false;
        let mut total_set = false;
        for k in (0..half).rev() {
            if used[k] {
                if running_set {
                    mm.mul(&mut running, &buckets[k]);
                } else {
                    running.assign(&buckets[k]);
                    running_set = true;
                }
            }
            if running_set {
                if total_set {
                    mm.mul(&mut total, &running);
                } else {
                    total.assign(&running);
                    total_set = true;
                }
            }
        }
        if total_set {
            if acc_set {
                mm.mul(&mut acc, &total);
            } else {
                acc.assign(&total);
                acc_set = true;
            }
        }
    }
    if acc_set { acc } else { Integer::from(1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bases: &[Integer], exps: &[Integer], m: &Integer) -> Integer {
        let mut acc = Integer::from(1);
        for (b, e) in bases.iter().zip(exps) {
            let t = b.clone().pow_mod(e, m).unwrap();
            acc = (acc * t) % m;
        }
        acc
    }

    #[test]
    fn bits_at_crosses_words() {
        let d = [0xF000_0000_0000_0000u64, 0x5];
        assert_eq!(bits_at(&d, 60, 8), 0x5F);
        assert_eq!(bits_at(&d, 0, 4), 0);
        assert_eq!(bits_at(&d, 128, 4), 0);
    }

    #[test]
    fn recoding_reconstructs() {
        for v in [0u64, 1, 2, 7, 8, 9, 255, 256, 0xdead_beef, u64::MAX] {
            for c in 1..=9u32 {
                let bits = 64 - v.leading_zeros();
                let w = ((bits + 1).div_ceil(c)) as usize;
                let mut out = vec![0i32; w.max(1)];
                recode_signed(&[v], c, &mut out);
                let mut acc = Integer::new();
                for (j, d) in out.iter().enumerate() {
                    assert!(d.unsigned_abs() <= 1 << (c - 1));
                    acc += Integer::from(*d) << (c * j as u32);
                }
                assert_eq!(acc, v, "v={v} c={c}");
            }
        }
    }

    #[test]
    fn multi_exp_matches_naive_all_windows() {
        let m = Integer::from(1_000_000_007u64) * Integer::from(998_244_353u64);
        let bases: Vec<Integer> = (0..17u64)
            .map(|i| Integer::from(i * 7919 + 2) % &m)
            .collect();
        let exps: Vec<Integer> = (0..17i64)
            .map(|i| {
                let v = Integer::from(i * 123_456_789 - 987_654_321) * (i - 3);
                if i == 5 { Integer::new() } else { v }
            })
            .collect();
        let inv = batch_invert(&bases, &m).unwrap();
        for (b, i) in bases.iter().zip(&inv) {
            assert_eq!(Integer::from(b * i) % &m, 1);
        }
        let expect = naive(&bases, &exps, &m);
        for c in 1..=10 {
            assert_eq!(
                multi_exp_with_window(&bases, &inv, &exps, &m, c),
                expect,
                "c={c}"
            );
        }
        assert_eq!(multi_exp(&bases, None, &exps, &m).unwrap(), expect);
        // Empty and all-zero products are 1.
        assert_eq!(multi_exp(&[], None, &[], &m).unwrap(), 1);
        let zeros = vec![Integer::new(); bases.len()];
        assert_eq!(multi_exp(&bases, Some(&inv), &zeros, &m).unwrap(), 1);
    }

    #[test]
    fn batch_invert_reports_non_units() {
        let m = Integer::from(35);
        let vals = [Integer::from(2), Integer::from(7), Integer::from(3)];
        let e = batch_invert(&vals, &m).unwrap_err();
        assert!(matches!(e, PaillierError::NotInvertible { ref what } if what.contains("#1")));
        assert!(batch_invert(&[], &m).unwrap().is_empty());
    }

    #[test]
    fn fixed_base_matches_pow_mod() {
        let m = Integer::from(1_000_000_007u64) * Integer::from(998_244_353u64);
        let base = Integer::from(123_456_789u64);
        for w in [1u32, 3, 4, 8] {
            let t = FixedBaseTable::new(&base, &m, 70, w);
            for e in [
                Integer::new(),
                Integer::from(1),
                Integer::from(u64::MAX),
                (Integer::from(1) << 70) - 1,
                Integer::from(0xdead_beef_u64),
                Integer::from(1) << 90, // beyond the table: falls back
                Integer::from(-5),      // negative: falls back to powm
            ] {
                let expect = base.clone().pow_mod(&e, &m).unwrap();
                assert_eq!(t.pow(&e), expect, "w={w} e={e}");
            }
            assert!(t.memory_bytes() > 0);
        }
    }
}
