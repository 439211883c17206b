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
//! Arithmetic modulo `n^2` (every Paillier ciphertext operation) uses a
//! base-`n` representation `x = lo + hi * n` with `lo, hi < n`:
//! `(a0 + a1 n)(b0 + b1 n) = a0 b0 + (a0 b1 + a1 b0) n  (mod n^2)`, i.e.
//! three half-size multiplications and two half-size divisions, which is
//! about 1.4x faster with GMP than a full-size product followed by a
//! full-size division. Other moduli use product-then-remainder.
//!
//! All functions are single-threaded; callers parallelise across
//! independent products.

use rug::integer::Order;
use rug::{Assign, Integer};

use crate::he::paillier::error::{PaillierError, Result};

/// `a mod m` in `[0, m)` for `m > 0`.
pub(crate) fn reduce(a: &Integer, m: &Integer) -> Integer {
    let mut r = Integer::from(a % m);
    if r < 0 {
        r += m;
    }
    r
}

/// Modular multiplication in some representation of the residues.
pub(crate) trait ModArith {
    /// A residue in this representation.
    type Elem: Clone;
    /// From a non-negative integer (reduced here).
    fn load(&self, x: &Integer) -> Self::Elem;
    /// Back to the integer in `[0, m)`.
    fn store(&self, e: &Self::Elem) -> Integer;
    /// `a = a * b`.
    fn mul(&mut self, a: &mut Self::Elem, b: &Self::Elem);
    /// `a = a^2`.
    fn square(&mut self, a: &mut Self::Elem);
    /// An element with room for a residue (value unspecified).
    fn scratch(&self) -> Self::Elem;
    /// The modulus.
    fn modulus(&self) -> Integer;
}

/// Product then remainder, for any modulus, with a reusable scratch.
pub(crate) struct GenericMod {
    m: Integer,
    tmp: Integer,
}

impl GenericMod {
    pub(crate) fn new(m: &Integer) -> Self {
        let cap = 2 * m.significant_bits() as usize + 128;
        Self {
            m: m.clone(),
            tmp: Integer::with_capacity(cap),
        }
    }
}

impl ModArith for GenericMod {
    type Elem = Integer;

    fn load(&self, x: &Integer) -> Integer {
        reduce(x, &self.m)
    }

    fn store(&self, e: &Integer) -> Integer {
        e.clone()
    }

    #[inline]
    fn mul(&mut self, a: &mut Integer, b: &Integer) {
        self.tmp.assign(&*a * b);
        a.assign(&self.tmp % &self.m);
    }

    #[inline]
    fn square(&mut self, a: &mut Integer) {
        self.tmp.assign(a.square_ref());
        a.assign(&self.tmp % &self.m);
    }

    fn scratch(&self) -> Integer {
        Integer::with_capacity(self.m.significant_bits() as usize + 64)
    }

    fn modulus(&self) -> Integer {
        self.m.clone()
    }
}

/// A residue modulo `n^2` as `lo + hi * n`, `0 <= lo, hi < n`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BaseN {
    lo: Integer,
    hi: Integer,
}

/// Arithmetic modulo `n^2` in base-`n` representation.
pub(crate) struct NSquareMod {
    n: Integer,
    n2: Integer,
    p00: Integer,
    q: Integer,
    t: Integer,
}

impl NSquareMod {
    pub(crate) fn new(n: &Integer) -> Self {
        let cap = 2 * n.significant_bits() as usize + 128;
        Self {
            n: n.clone(),
            n2: Integer::from(n.square_ref()),
            p00: Integer::with_capacity(cap),
            q: Integer::with_capacity(cap / 2),
            t: Integer::with_capacity(cap),
        }
    }
}

impl ModArith for NSquareMod {
    type Elem = BaseN;

    fn load(&self, x: &Integer) -> BaseN {
        let x = reduce(x, &self.n2);
        let (hi, lo) = x.div_rem(self.n.clone());
        BaseN { lo, hi }
    }

    fn store(&self, e: &BaseN) -> Integer {
        let mut x = Integer::from(&e.hi * &self.n);
        x += &e.lo;
        x
    }

    #[inline]
    fn mul(&mut self, a: &mut BaseN, b: &BaseN) {
        let Self { n, p00, q, t, .. } = self;
        p00.assign(&a.lo * &b.lo);
        t.assign(&a.lo * &b.hi);
        *t += &a.hi * &b.lo;
        (&mut *q, &mut a.lo).assign(p00.div_rem_ref(n));
        *t += &*q;
        a.hi.assign(&*t % &*n);
    }

    #[inline]
    fn square(&mut self, a: &mut BaseN) {
        let Self { n, p00, q, t, .. } = self;
        p00.assign(a.lo.square_ref());
        t.assign(&a.lo * &a.hi);
        *t <<= 1;
        (&mut *q, &mut a.lo).assign(p00.div_rem_ref(n));
        *t += &*q;
        a.hi.assign(&*t % &*n);
    }

    fn scratch(&self) -> BaseN {
        let cap = self.n.significant_bits() as usize + 64;
        BaseN {
            lo: Integer::with_capacity(cap),
            hi: Integer::with_capacity(cap),
        }
    }

    fn modulus(&self) -> Integer {
        self.n2.clone()
    }
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

#[derive(Clone)]
enum TableData {
    Generic { m: Integer, entries: Vec<Integer> },
    NSquare { n: Integer, entries: Vec<BaseN> },
}

/// Fixed-base exponentiation table: entry `(j, d)` holds
/// `base^(d * 2^(w*j)) mod m` for `d` in `1..2^w`, so `base^e` for
/// `e < 2^max_exp_bits` costs one multiplication per non-zero `w`-bit
/// window of `e` and no squarings.
#[derive(Clone)]
pub struct FixedBaseTable {
    base: Integer,
    window: u32,
    windows: u32,
    max_exp_bits: u32,
    data: TableData,
}

impl std::fmt::Debug for FixedBaseTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedBaseTable")
            .field("window", &self.window)
            .field("windows", &self.windows)
            .field("max_exp_bits", &self.max_exp_bits)
            .field("bytes", &self.memory_bytes())
            .finish()
    }
}

fn build_entries<A: ModArith>(
    ar: &mut A,
    base: &Integer,
    windows: u32,
    window: u32,
) -> Vec<A::Elem> {
    let per = (1usize << window) - 1;
    let mut table: Vec<A::Elem> = Vec::with_capacity(windows as usize * per);
    let mut g = ar.load(base);
    for _ in 0..windows {
        let start = table.len();
        table.push(g.clone());
        for d in 1..per {
            let mut next = table[start + d - 1].clone();
            ar.mul(&mut next, &g);
            table.push(next);
        }
        // g <- g^(2^w) = g^(2^w - 1) * g
        let mut next_g = table[start + per - 1].clone();
        ar.mul(&mut next_g, &g);
        g = next_g;
    }
    table
}

fn table_pow<A: ModArith>(
    ar: &mut A,
    entries: &[A::Elem],
    digits: &[u64],
    windows: u32,
    window: u32,
) -> Integer {
    let per = (1usize << window) - 1;
    let mut acc: Option<A::Elem> = None;
    for j in 0..windows {
        let d = bits_at(digits, j * window, window) as usize;
        if d == 0 {
            continue;
        }
        let entry = &entries[j as usize * per + d - 1];
        match acc.as_mut() {
            Some(a) => ar.mul(a, entry),
            None => acc = Some(entry.clone()),
        }
    }
    match acc {
        Some(a) => ar.store(&a),
        None => Integer::from(1),
    }
}

impl FixedBaseTable {
    fn check(window: u32) {
        assert!((1..=16).contains(&window), "window must be in 1..=16");
    }

    /// Builds the table for any modulus `m > 1` (`windows * (2^w - 1)`
    /// multiplications).
    ///
    /// # Panics
    /// If `window` is not in `1..=16` or `modulus < 2`.
    pub fn new(base: &Integer, modulus: &Integer, max_exp_bits: u32, window: u32) -> Self {
        Self::check(window);
        assert!(*modulus > 1, "modulus must exceed 1");
        let windows = max_exp_bits.div_ceil(window).max(1);
        let mut ar = GenericMod::new(modulus);
        let entries = build_entries(&mut ar, base, windows, window);
        Self {
            base: ar.load(base),
            window,
            windows,
            max_exp_bits,
            data: TableData::Generic {
                m: modulus.clone(),
                entries,
            },
        }
    }

    /// Builds the table modulo `n^2` (base-`n` arithmetic, faster).
    ///
    /// # Panics
    /// If `window` is not in `1..=16` or `n < 2`.
    pub fn new_mod_n_squared(base: &Integer, n: &Integer, max_exp_bits: u32, window: u32) -> Self {
        Self::check(window);
        assert!(*n > 1, "n must exceed 1");
        let windows = max_exp_bits.div_ceil(window).max(1);
        let mut ar = NSquareMod::new(n);
        let entries = build_entries(&mut ar, base, windows, window);
        Self {
            base: reduce(base, &ar.modulus()),
            window,
            windows,
            max_exp_bits,
            data: TableData::NSquare {
                n: n.clone(),
                entries,
            },
        }
    }

    /// Default window: 8 bits (255 entries per window) up to 8192-bit
    /// moduli, 6 above to bound memory.
    pub fn default_window(modulus_bits: u32) -> u32 {
        if modulus_bits <= 8192 { 8 } else { 6 }
    }

    /// `base^e mod m`. Exponents outside `[0, 2^max_exp_bits)` fall back
    /// to GMP's `powm`.
    pub fn pow(&self, e: &Integer) -> Integer {
        let m = match &self.data {
            TableData::Generic { m, .. } => m.clone(),
            TableData::NSquare { n, .. } => Integer::from(n.square_ref()),
        };
        if *e < 0 || e.significant_bits() > self.max_exp_bits {
            return self.base.clone().pow_mod(e, &m).unwrap_or_default();
        }
        let digits = magnitude_u64(e);
        match &self.data {
            TableData::Generic { m, entries } => table_pow(
                &mut GenericMod::new(m),
                entries,
                &digits,
                self.windows,
                self.window,
            ),
            TableData::NSquare { n, entries } => table_pow(
                &mut NSquareMod::new(n),
                entries,
                &digits,
                self.windows,
                self.window,
            ),
        }
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
        match &self.data {
            TableData::Generic { entries, .. } => {
                entries.iter().map(|x| x.significant_digits::<u8>()).sum()
            }
            TableData::NSquare { entries, .. } => entries
                .iter()
                .map(|x| x.lo.significant_digits::<u8>() + x.hi.significant_digits::<u8>())
                .sum(),
        }
    }
}

/// Montgomery's trick in any representation.
pub(crate) fn batch_invert_elems<A: ModArith>(
    ar: &mut A,
    values: &[A::Elem],
) -> Result<Vec<A::Elem>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let m = ar.modulus();
    let mut prefix: Vec<A::Elem> = Vec::with_capacity(values.len());
    let mut acc = values[0].clone();
    prefix.push(acc.clone());
    for v in &values[1..] {
        ar.mul(&mut acc, v);
        prefix.push(acc.clone());
    }
    let total = ar.store(&acc);
    let inv = match total.invert(&m) {
        Ok(inv) => inv,
        Err(_) => {
            let idx = values
                .iter()
                .position(|v| Integer::from(ar.store(v).gcd_ref(&m)) != 1)
                .unwrap_or(0);
            return Err(PaillierError::NotInvertible {
                what: format!("value #{idx} of a batch of {}", values.len()),
            });
        }
    };
    let mut inv = ar.load(&inv);
    let mut out = vec![ar.scratch(); values.len()];
    for i in (1..values.len()).rev() {
        let mut o = inv.clone();
        ar.mul(&mut o, &prefix[i - 1]);
        out[i] = o;
        ar.mul(&mut inv, &values[i]);
    }
    out[0] = inv;
    Ok(out)
}

/// Inverts every value modulo `m` with Montgomery's trick.
///
/// # Errors
/// [`PaillierError::NotInvertible`] naming the first value that shares a
/// factor with `m`.
pub fn batch_invert(values: &[Integer], m: &Integer) -> Result<Vec<Integer>> {
    let mut ar = GenericMod::new(m);
    let elems: Vec<Integer> = values.iter().map(|v| ar.load(v)).collect();
    batch_invert_elems(&mut ar, &elems)
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

/// Window width minimising the bucket-method cost (non-zero digits plus
/// `2^c` aggregation multiplications and `c` squarings per window).
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
/// [`batch_invert`]); with `None` they are computed here. Uses Pippenger's
/// bucket method on signed digits with a window from [`choose_window`].
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
    multi_exp_in(&mut GenericMod::new(m), bases, inverses, exps)
}

/// [`multi_exp`] modulo `n^2` with base-`n` arithmetic.
///
/// # Errors
/// As [`multi_exp`].
pub fn multi_exp_mod_n_squared(
    bases: &[Integer],
    inverses: Option<&[Integer]>,
    exps: &[Integer],
    n: &Integer,
) -> Result<Integer> {
    multi_exp_in(&mut NSquareMod::new(n), bases, inverses, exps)
}

/// The checks, loading and window choice of [`multi_exp`] in any
/// representation `ar`.
fn multi_exp_in<A: ModArith>(
    ar: &mut A,
    bases: &[Integer],
    inverses: Option<&[Integer]>,
    exps: &[Integer],
) -> Result<Integer> {
    let mismatch = |what: &str, found: usize| PaillierError::DimensionMismatch {
        what: what.into(),
        expected: bases.len(),
        found,
    };
    if bases.len() != exps.len() {
        return Err(mismatch("multi_exp exponents", exps.len()));
    }
    let b: Vec<A::Elem> = bases.iter().map(|x| ar.load(x)).collect();
    let inv = match inverses {
        Some(inv) if inv.len() != bases.len() => {
            return Err(mismatch("multi_exp inverses", inv.len()));
        }
        Some(inv) => inv.iter().map(|x| ar.load(x)).collect(),
        None => batch_invert_elems(ar, &b)?,
    };
    let c = choose_window(exps);
    Ok(pippenger(ar, &b, &inv, exps, c))
}

/// [`multi_exp`] with an explicit window width `c` (`1..=16`) and given
/// inverses, for any modulus. Exposed for benchmarking window choices.
pub fn multi_exp_with_window(
    bases: &[Integer],
    inverses: &[Integer],
    exps: &[Integer],
    m: &Integer,
    c: u32,
) -> Integer {
    let mut ar = GenericMod::new(m);
    let b: Vec<Integer> = bases.iter().map(|x| ar.load(x)).collect();
    let inv: Vec<Integer> = inverses.iter().map(|x| ar.load(x)).collect();
    pippenger(&mut ar, &b, &inv, exps, c)
}

/// Signed-digit Pippenger over any representation; returns the integer.
pub(crate) fn pippenger<A: ModArith>(
    ar: &mut A,
    bases: &[A::Elem],
    inverses: &[A::Elem],
    exps: &[Integer],
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
    let mut buckets: Vec<A::Elem> = (0..half).map(|_| ar.scratch()).collect();
    let mut used = vec![false; half];
    let mut running = ar.scratch();
    let mut total = ar.scratch();
    let mut acc = ar.scratch();
    let mut acc_set = false;
    for j in (0..windows).rev() {
        if acc_set {
            for _ in 0..c {
                ar.square(&mut acc);
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
                ar.mul(&mut buckets[k], base);
            } else {
                buckets[k].clone_from(base);
                used[k] = true;
            }
        }
        // sum_k (k+1) * B_k via running sums, skipping empty buckets.
        let mut running_set = false;
        let mut total_set = false;
        for k in (0..half).rev() {
            if used[k] {
                if running_set {
                    ar.mul(&mut running, &buckets[k]);
                } else {
                    running.clone_from(&buckets[k]);
                    running_set = true;
                }
            }
            if running_set {
                if total_set {
                    ar.mul(&mut total, &running);
                } else {
                    total.clone_from(&running);
                    total_set = true;
                }
            }
        }
        if total_set {
            if acc_set {
                ar.mul(&mut acc, &total);
            } else {
                acc.clone_from(&total);
                acc_set = true;
            }
        }
    }
    if acc_set {
        ar.store(&acc)
    } else {
        Integer::from(1)
    }
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
    fn base_n_arithmetic_matches_plain() {
        let n = Integer::from(1_000_000_007u64) * Integer::from(998_244_353u64);
        let n2 = Integer::from(n.square_ref());
        let mut ar = NSquareMod::new(&n);
        let a = Integer::from(&n2 - 12345u32);
        let b = Integer::from(&n2 / 7u32);
        let mut x = ar.load(&a);
        ar.mul(&mut x, &ar.load(&b));
        assert_eq!(ar.store(&x), Integer::from(&a * &b) % &n2);
        ar.square(&mut x);
        let sq = (Integer::from(&a * &b) % &n2).square() % &n2;
        assert_eq!(ar.store(&x), sq);
        assert_eq!(ar.store(&ar.load(&Integer::from(&n2 + 5u32))), 5);
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
        let n = Integer::from(1_000_000_007u64) * Integer::from(998_244_353u64);
        let m = Integer::from(n.square_ref());
        let bases: Vec<Integer> = (0..17u64)
            .map(|i| Integer::from(i * 7919 + 2) * Integer::from(i + 1_000_003))
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
        assert_eq!(multi_exp(&bases, Some(&inv), &exps, &m).unwrap(), expect);
        assert_eq!(
            multi_exp_mod_n_squared(&bases, None, &exps, &n).unwrap(),
            expect
        );
        assert_eq!(
            multi_exp_mod_n_squared(&bases, Some(&inv), &exps, &n).unwrap(),
            expect
        );
        let mut ar = NSquareMod::new(&n);
        let be: Vec<BaseN> = bases.iter().map(|x| ar.load(x)).collect();
        let ie = batch_invert_elems(&mut ar, &be).unwrap();
        for (i, x) in ie.iter().zip(&inv) {
            assert_eq!(ar.store(i), *x);
        }
        // Empty and all-zero products are 1.
        assert_eq!(multi_exp(&[], None, &[], &m).unwrap(), 1);
        let zeros = vec![Integer::new(); bases.len()];
        assert_eq!(multi_exp(&bases, Some(&inv), &zeros, &m).unwrap(), 1);
        assert!(multi_exp(&bases, None, &exps[1..], &m).is_err());
        assert!(multi_exp(&bases, Some(&inv[1..]), &exps, &m).is_err());
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
        let n = Integer::from(1_000_000_007u64) * Integer::from(998_244_353u64);
        let m = Integer::from(n.square_ref());
        let base = Integer::from(123_456_789u64);
        for w in [1u32, 3, 4, 8] {
            let tables = [
                FixedBaseTable::new(&base, &m, 70, w),
                FixedBaseTable::new_mod_n_squared(&base, &n, 70, w),
            ];
            for t in &tables {
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
                assert_eq!(t.window(), w);
                assert_eq!(t.max_exp_bits(), 70);
            }
        }
    }
}
