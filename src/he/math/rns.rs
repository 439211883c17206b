//! Residue number system: CRT reconstruction, exact division by the last prime
//! with rounding (rescale and the key-switching mod-down), and the lift of one
//! residue to a whole basis (the digits of key switching).

use super::ntt::NttTable;
use super::poly::RnsPoly;
use super::zq::Modulus;

/// Exact division with rounding by the prime of the last row, in NTT form:
/// rows 0..k-1 become round(x / p) mod q_i and the last row is dropped
/// (Cheon, Han, Kim, Kim, Song, "A full RNS variant of approximate HE", SAC 2018, §3).
pub fn divide_round_by_last(poly: &mut RnsPoly, tables: &[&NttTable]) {
    let k = poly.rows() - 1;
    assert_eq!(tables.len(), k + 1);
    let n = poly.degree();
    let last_table = tables[k];
    let p = *last_table.modulus();
    let pv = p.value();
    // Centring by an offset: x + (p-1)/2 is reduced mod p into [0, p), then
    // mod q_i, and (p-1)/2 mod q_i is taken off again (the form SEAL uses).
    let half = pv >> 1;
    let mut last = poly.row(k).to_vec();
    last_table.inverse(&mut last);
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
            // (c mod q) + q - half in [0, 2q); the lazy NTT accepts it.
            *d = q.reduce(c) + qv - half_mod;
        }
        t.forward_lazy(&mut tmp);
        let p_inv = q.inv(q.reduce(pv)).expect("distinct primes");
        let p_inv_shoup = q.shoup(p_inv);
        let four_q = 4 * qv;
        for (x, &y) in poly.row_mut(i).iter_mut().zip(&tmp) {
            // x < q, y < 4q: (x - y) * p^-1 with a non-negative lazy operand.
            *x = q.mul_shoup(*x + four_q - y, p_inv, p_inv_shoup);
        }
    }
    poly.truncate(k);
}

/// The residues in coefficient form `digit` (each below its own prime) reduced
/// modulo `target` and transformed into NTT form, fully reduced (`lazy` false) or
/// left in [0, 4q) (`lazy` true).
pub fn lift_digit(digit: &[u64], target: &NttTable, out: &mut [u64], lazy: bool) {
    let q = target.modulus();
    for (o, &d) in out.iter_mut().zip(digit) {
        *o = q.reduce(d);
    }
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

    /// log2 of the product of the basis.
    pub fn log2_product(&self) -> f64 {
        self.moduli.iter().map(|q| (q.value() as f64).log2()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::math::primes::ntt_primes;

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
