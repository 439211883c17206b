//! Residue number system: CRT reconstruction, exact division by the last prime
//! with rounding (rescale and the key-switching mod-down), and the lift of one
//! residue to a whole basis (the digits of key switching).

use super::eltwise;
use super::ntt::NttTable;
use super::poly::RnsPoly;
use super::zq::Modulus;

/// Exact division with rounding by the prime of the last row, in NTT form:
/// rows 0..k-1 become round(x / p) mod q_i and the last row is dropped
/// (Cheon, Han, Kim, Kim, Song, "A full RNS variant of approximate HE", SAC 2018, §3).
pub fn divide_round_by_last(poly: &mut RnsPoly, tables: &[&NttTable]) {
    let k = poly.rows() - 1;
    assert_eq!(tables.len(), k + 1);
    let mut corrections = Corrections::new(poly.row(k), tables);
    for i in 0..k {
        let (q, y, p_inv) = corrections.row(i);
        eltwise::sub_lazy_mul_scalar_assign(q, poly.row_mut(i), y, p_inv);
    }
    poly.truncate(k);
}

/// `divide_round_by_last` into a new polynomial (`clone` then the division, in one
/// pass over memory).
pub fn divided_round_by_last(poly: &RnsPoly, tables: &[&NttTable]) -> RnsPoly {
    let k = poly.rows() - 1;
    assert_eq!(tables.len(), k + 1);
    let mut corrections = Corrections::new(poly.row(k), tables);
    // SAFETY: `eltwise::sub_lazy_mul_scalar` writes its whole output.
    unsafe {
        RnsPoly::from_row_fn(poly.degree(), k, |i, out| {
            let (q, y, p_inv) = corrections.row(i);
            eltwise::sub_lazy_mul_scalar(q, poly.row(i), y, p_inv, out);
        })
    }
}

/// The rounding corrections of a division by the last prime p, row by row: row i of
/// round(x / p) is (x_i - y_i) p^-1 mod q_i, with y_i the NTT modulo q_i of the last
/// row in coefficient form, centred by an offset: ((x_k + (p-1)/2) mod p) - (p-1)/2,
/// taken mod q_i (the form SEAL uses).
struct Corrections<'a> {
    tables: &'a [&'a NttTable],
    /// The last row in coefficient form plus (p-1)/2, mod p.
    last: Vec<u64>,
    half: u64,
    /// The correction of the current row, NTT form, below 4 q_i.
    tmp: Vec<u64>,
}

impl<'a> Corrections<'a> {
    fn new(last_row: &[u64], tables: &'a [&'a NttTable]) -> Self {
        let last_table = tables[tables.len() - 1];
        let p = last_table.modulus();
        let half = p.value() >> 1;
        let mut last = last_row.to_vec();
        last_table.inverse(&mut last);
        eltwise::add_scalar_assign(p, &mut last, half);
        let tmp = vec![0; last.len()];
        Self {
            tables,
            last,
            half,
            tmp,
        }
    }

    /// (q_i, the correction of row i below 4 q_i, p^-1 mod q_i).
    fn row(&mut self, i: usize) -> (&'a Modulus, &[u64], u64) {
        let t = self.tables[i];
        let q = t.modulus();
        // (c mod q) - (half mod q) mod q.
        let minus_half = q.neg(q.reduce(self.half));
        eltwise::reduce_add_scalar(q, &self.last, minus_half, &mut self.tmp[..]);
        t.forward_lazy(&mut self.tmp);
        let pv = self.tables[self.tables.len() - 1].modulus().value();
        let p_inv = q.inv(q.reduce(pv)).expect("distinct primes");
        (q, &self.tmp, p_inv)
    }
}

/// The residues in coefficient form `digit` (each below its own prime) reduced
/// modulo `target` and transformed into NTT form, fully reduced (`lazy` false) or
/// left in [0, 4q) (`lazy` true).
pub fn lift_digit(digit: &[u64], target: &NttTable, out: &mut [u64], lazy: bool) {
    eltwise::reduce(target.modulus(), digit, out);
    if lazy {
        target.forward_lazy(out);
    } else {
        target.forward(out);
    }
}

/// CRT reconstruction for the basis q_0..q_{k-1} by Garner's algorithm with
/// balanced mixed-radix digits: x = v_0 + v_1 q_0 + v_2 q_0 q_1 + ..., |v_i| <= q_i / 2.
/// With odd moduli the balanced digits cover exactly the centred range, and a
/// small x has zero high digits, so the f64 sum loses nothing to cancellation.
#[derive(Clone, Debug)]
pub struct CrtComposer {
    moduli: Vec<Modulus>,
    /// prefix_mod[i][j] = q_0 ... q_{j-1} mod q_i, j < i.
    prefix_mod: Vec<Vec<u64>>,
    /// (q_0 ... q_{i-1})^-1 mod q_i.
    prefix_inv: Vec<u64>,
    /// q_0 ... q_{j-1} as f64.
    prefix_f64: Vec<f64>,
}

impl CrtComposer {
    pub fn new(moduli: &[Modulus]) -> Self {
        let k = moduli.len();
        let mut prefix_mod = Vec::with_capacity(k);
        let mut prefix_inv = Vec::with_capacity(k);
        let mut prefix_f64 = Vec::with_capacity(k);
        let mut acc = 1.0f64;
        for (i, qi) in moduli.iter().enumerate() {
            let mut row = Vec::with_capacity(i);
            let mut p = 1u64;
            for qj in &moduli[..i] {
                row.push(p);
                p = qi.mul(p, qi.reduce(qj.value()));
            }
            prefix_mod.push(row);
            prefix_inv.push(qi.inv(p).expect("distinct primes"));
            prefix_f64.push(acc);
            acc *= qi.value() as f64;
        }
        Self {
            moduli: moduli.to_vec(),
            prefix_mod,
            prefix_inv,
            prefix_f64,
        }
    }

    /// The centred integer with the given residues, as f64.
    pub fn compose_centered_f64(&self, residues: &[u64]) -> f64 {
        let mut digits = [0i64; 64];
        let mut out = 0.0;
        for (i, qi) in self.moduli.iter().enumerate() {
            // x_i - (v_0 + v_1 q_0 + ... ) mod q_i, times the inverse prefix.
            let mut partial = 0u64;
            for (j, &v) in digits[..i].iter().enumerate() {
                partial = qi.add(partial, qi.mul(qi.reduce_i64(v), self.prefix_mod[i][j]));
            }
            let t = qi.mul(qi.sub(residues[i], partial), self.prefix_inv[i]);
            let v = qi.center(t);
            digits[i] = v;
            out += v as f64 * self.prefix_f64[i];
        }
        out
    }

    /// [`Self::compose_centered_f64`] of every column of `rows` (row i holding the
    /// residues modulo q_i, below q_i), divided by `scale`, into `out`: the same
    /// values bit for bit, computed a row at a time with Shoup products by the
    /// constants, so a decoding pays no 128-bit reduction per coefficient.
    pub fn compose_centered_rows_f64(&self, rows: &[&[u64]], scale: f64, out: &mut [f64]) {
        let k = self.moduli.len();
        assert_eq!(rows.len(), k, "one row per modulus");
        let n = out.len();
        assert!(
            rows.iter().all(|r| r.len() == n),
            "rows of the output's length"
        );
        out.fill(0.0);
        let mut digits: Vec<Vec<i64>> = Vec::with_capacity(k);
        let mut partial = vec![0u64; n];
        for (i, qi) in self.moduli.iter().enumerate() {
            partial.fill(0);
            for (j, d) in digits.iter().enumerate() {
                let w = self.prefix_mod[i][j];
                let ws = qi.shoup(w);
                for (p, &v) in partial.iter_mut().zip(d) {
                    *p = qi.add(*p, qi.mul_shoup(qi.reduce_i64(v), w, ws));
                }
            }
            let (w, ws) = (self.prefix_inv[i], qi.shoup(self.prefix_inv[i]));
            let f = self.prefix_f64[i];
            let mut row = Vec::with_capacity(n);
            for ((&x, &p), o) in rows[i].iter().zip(&partial).zip(out.iter_mut()) {
                let v = qi.center(qi.mul_shoup(qi.sub(x, p), w, ws));
                row.push(v);
                *o += v as f64 * f;
            }
            digits.push(row);
        }
        for o in out.iter_mut() {
            *o /= scale;
        }
    }

    /// log2 of the product of the basis.
    pub fn log2_product(&self) -> f64 {
        self.moduli.iter().map(|q| (q.value() as f64).log2()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::math::eltwise::tests::Values;
    use crate::he::math::primes::ntt_primes;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn rows_compose_as_columns(seed in any::<u64>(), k in 1usize..5, scale in 1.0f64..1e12) {
            let moduli: Vec<Modulus> = ntt_primes(50, 2, 16, &[])
                .unwrap()
                .into_iter()
                .chain(ntt_primes(60, 2, 16, &[]).unwrap())
                .take(k)
                .map(Modulus::new)
                .collect();
            let c = CrtComposer::new(&moduli);
            let n = 64;
            let mut state = seed | 1;
            let rows: Vec<Vec<u64>> = moduli
                .iter()
                .map(|q| {
                    (0..n)
                        .map(|_| {
                            state ^= state << 13;
                            state ^= state >> 7;
                            state ^= state << 17;
                            state % q.value()
                        })
                        .collect()
                })
                .collect();
            let refs: Vec<&[u64]> = rows.iter().map(Vec::as_slice).collect();
            let mut out = vec![0.0; n];
            c.compose_centered_rows_f64(&refs, scale, &mut out);
            for (col, &o) in out.iter().enumerate() {
                let residues: Vec<u64> = rows.iter().map(|r| r[col]).collect();
                let want = c.compose_centered_f64(&residues) / scale;
                prop_assert_eq!(o.to_bits(), want.to_bits());
            }
        }
    }

    #[test]
    fn crt_round_trip() {
        let moduli: Vec<Modulus> = ntt_primes(50, 3, 16, &[])
            .unwrap()
            .into_iter()
            .map(Modulus::new)
            .collect();
        let c = CrtComposer::new(&moduli);
        for x in [0i128, 1, -1, 123_456_789_012_345_678, -(1i128 << 100) + 17] {
            let residues: Vec<u64> = moduli.iter().map(|q| q.reduce_i128(x)).collect();
            let y = c.compose_centered_f64(&residues);
            assert!(
                (y - x as f64).abs() <= (x as f64).abs() * 1e-15,
                "{x} -> {y}"
            );
        }
    }

    /// The scalar division as it was before the element-wise kernels: the reference
    /// the kernels must reproduce bit for bit.
    fn divide_round_by_last_reference(poly: &mut RnsPoly, tables: &[&NttTable]) {
        let k = poly.rows() - 1;
        let n = poly.degree();
        let last_table = tables[k];
        let pv = last_table.modulus().value();
        let half = pv >> 1;
        let mut last = poly.row(k).to_vec();
        last_table.inverse_scalar(&mut last);
        for x in last.iter_mut() {
            let v = *x + half;
            *x = if v >= pv { v - pv } else { v };
        }
        let mut tmp = vec![0u64; n];
        for (i, t) in tables[..k].iter().enumerate() {
            let q = t.modulus();
            let qv = q.value();
            let half_mod = q.reduce(half);
            for (d, &c) in tmp.iter_mut().zip(&last) {
                *d = q.reduce(c) + qv - half_mod;
            }
            t.forward_lazy_scalar(&mut tmp);
            let p_inv = q.inv(q.reduce(pv)).unwrap();
            let p_inv_shoup = q.shoup(p_inv);
            for (x, &y) in poly.row_mut(i).iter_mut().zip(&tmp) {
                *x = q.mul_shoup(*x + 4 * qv - y, p_inv, p_inv_shoup);
            }
        }
        poly.truncate(k);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// Both divisions (in place and into a new polynomial) match the scalar
        /// reference on random residues, for CKKS-like mixes of prime sizes, and the
        /// lifted digits match a scalar reduction.
        #[test]
        fn division_matches_scalar_reference(
            bits in prop::collection::vec(prop_oneof![30u32..=61, Just(40), Just(60)], 2..6),
            log_n in 4u32..12,
            seed in any::<u64>(),
        ) {
            let n = 1usize << log_n;
            let mut primes: Vec<u64> = Vec::new();
            for &b in &bits {
                primes.push(ntt_primes(b, 1, n, &primes).unwrap()[0]);
            }
            let tables: Vec<NttTable> = primes
                .iter()
                .map(|&p| NttTable::new(Modulus::new(p), n).unwrap())
                .collect();
            let refs: Vec<&NttTable> = tables.iter().collect();
            let mut g = Values(seed);
            let data = refs.iter().flat_map(|t| g.vec_below(n, t.modulus().value())).collect();
            let poly = RnsPoly::from_rows(n, data).unwrap();
            let mut expected = poly.clone();
            divide_round_by_last_reference(&mut expected, &refs);
            let mut in_place = poly.clone();
            divide_round_by_last(&mut in_place, &refs);
            prop_assert_eq!(&in_place, &expected);
            prop_assert_eq!(&divided_round_by_last(&poly, &refs), &expected);

            let first = refs[0];
            let digit = poly.row(refs.len() - 1);
            for lazy in [false, true] {
                let mut out = vec![0; n];
                lift_digit(digit, first, &mut out, lazy);
                let mut want: Vec<u64> = digit.iter().map(|&d| first.modulus().reduce(d)).collect();
                if lazy {
                    first.forward_lazy_scalar(&mut want);
                } else {
                    first.forward_scalar(&mut want);
                }
                prop_assert_eq!(&out, &want);
            }
        }
    }

    #[test]
    fn division_by_last_rounds() {
        let n = 16;
        let primes = ntt_primes(40, 3, n, &[]).unwrap();
        let tables: Vec<NttTable> = primes
            .iter()
            .map(|&p| NttTable::new(Modulus::new(p), n).unwrap())
            .collect();
        let refs: Vec<&NttTable> = tables.iter().collect();
        let p = primes[2] as i128;
        let coeffs: Vec<i128> = (0..n as i128)
            .map(|i| (i - 8) * 987_654_321_987 * p + i * 1000 - 3)
            .collect();
        let mut poly = RnsPoly::zero(n, 3);
        for (r, t) in refs.iter().enumerate() {
            for (j, &c) in coeffs.iter().enumerate() {
                poly.row_mut(r)[j] = t.modulus().reduce_i128(c);
            }
        }
        poly.ntt_forward(&refs);
        divide_round_by_last(&mut poly, &refs);
        poly.ntt_inverse(&refs[..2]);
        for (j, &c) in coeffs.iter().enumerate() {
            let expected = (c as f64 / p as f64).round() as i128;
            for (r, t) in refs[..2].iter().enumerate() {
                assert_eq!(poly.row(r)[j], t.modulus().reduce_i128(expected));
            }
        }
    }
}
