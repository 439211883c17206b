//! Polynomials of Z_Q[X]/(X^N + 1) in RNS form: one row of N residues per prime.
//!
//! A polynomial does not know its moduli: every operation takes the NTT tables of
//! its rows, in order, so the same type serves the ciphertext basis q_0..q_l and
//! the key-switching basis q_0..q_l, P. Whether the rows hold coefficients or NTT
//! values is the caller's business; the scheme keeps ciphertexts in NTT form.
//!
//! The element-wise operations run the kernels of [`super::eltwise`] row by row; the
//! out-of-place forms (`add`, `sub`, `neg`, `mul`, `mul_scalar`, `tensor`) write their
//! result in one pass into a fresh buffer, where a clone followed by the in-place form
//! would pass over memory twice.

use super::eltwise;
use super::ntt::NttTable;
use serde::{Deserialize, Serialize};
use std::mem::MaybeUninit;
use zeroize::Zeroize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
pub struct RnsPoly {
    n: usize,
    data: Vec<u64>,
}

impl RnsPoly {
    pub fn zero(n: usize, rows: usize) -> Self {
        Self {
            n,
            data: vec![0; n * rows],
        }
    }

    /// A polynomial from row-major residues; None unless `data.len()` is a multiple of n.
    pub fn from_rows(n: usize, data: Vec<u64>) -> Option<Self> {
        (n > 0 && data.len().is_multiple_of(n)).then_some(Self { n, data })
    }

    /// The residues of signed coefficients modulo each table's prime, in
    /// coefficient form.
    pub fn from_signed(coeffs: &[i64], tables: &[&NttTable]) -> Self {
        let n = coeffs.len();
        // SAFETY: `eltwise::reduce_i64` writes its whole output.
        unsafe {
            Self::from_row_fn(n, tables.len(), |i, row| {
                eltwise::reduce_i64(tables[i].modulus(), coeffs, row)
            })
        }
    }

    /// A polynomial of `rows` rows of n values, row i written by `fill(i, row)`,
    /// without zeroing the buffer first.
    ///
    /// # Safety
    /// `fill` must write every value of the row it is given, as the out-of-place
    /// `eltwise` functions do (or panic).
    pub(super) unsafe fn from_row_fn(
        n: usize,
        rows: usize,
        mut fill: impl FnMut(usize, &mut [MaybeUninit<u64>]),
    ) -> Self {
        let len = n * rows;
        let mut data = Vec::with_capacity(len);
        for (i, row) in data.spare_capacity_mut()[..len]
            .chunks_exact_mut(n)
            .enumerate()
        {
            fill(i, row);
        }
        // SAFETY: the first len values are initialised, row by row, by `fill` (the
        // caller's contract).
        unsafe { data.set_len(len) };
        Self { n, data }
    }

    /// Row i of the result is `f(i, row i of self, out)` for the first `k` rows and a
    /// copy of row i of self for the others: `clone` then an in-place operation on the
    /// first k rows, in one pass.
    ///
    /// # Safety
    /// `f` must write every value of `out`, as the out-of-place `eltwise` functions
    /// do (or panic).
    unsafe fn map_rows(
        &self,
        k: usize,
        mut f: impl FnMut(usize, &[u64], &mut [MaybeUninit<u64>]),
    ) -> Self {
        // SAFETY: each row is written entirely, by `f` (the caller's contract) or by
        // the copy.
        unsafe {
            Self::from_row_fn(self.n, self.rows(), |i, out| {
                let row = self.row(i);
                if i < k {
                    f(i, row, out)
                } else {
                    out.write_copy_of_slice(row);
                }
            })
        }
    }

    /// The number of rows an operation with `other` and `tables` touches: as many as
    /// all three have (the in-place forms zip them).
    fn common_rows(&self, other: &RnsPoly, tables: &[&NttTable]) -> usize {
        self.rows().min(other.data.len() / self.n).min(tables.len())
    }

    /// Row i of `other`, cut at self's degree as the in-place forms cut it.
    fn other_row<'a>(&self, other: &'a RnsPoly, i: usize) -> &'a [u64] {
        &other.data[i * self.n..(i + 1) * self.n]
    }

    pub fn degree(&self) -> usize {
        self.n
    }

    pub fn rows(&self) -> usize {
        self.data.len() / self.n
    }

    pub fn row(&self, i: usize) -> &[u64] {
        &self.data[i * self.n..(i + 1) * self.n]
    }

    pub fn row_mut(&mut self, i: usize) -> &mut [u64] {
        &mut self.data[i * self.n..(i + 1) * self.n]
    }

    pub fn rows_iter(&self) -> std::slice::ChunksExact<'_, u64> {
        self.data.chunks_exact(self.n)
    }

    pub fn rows_iter_mut(&mut self) -> std::slice::ChunksExactMut<'_, u64> {
        self.data.chunks_exact_mut(self.n)
    }

    pub fn data(&self) -> &[u64] {
        &self.data
    }

    /// Keeps the first `rows` rows.
    pub fn truncate(&mut self, rows: usize) {
        self.data.truncate(rows * self.n);
    }

    /// A copy of the first `rows` rows.
    pub fn prefix(&self, rows: usize) -> Self {
        Self {
            n: self.n,
            data: self.data[..rows * self.n].to_vec(),
        }
    }

    /// Appends the rows of `other`.
    pub fn push_rows(&mut self, other: &RnsPoly) {
        assert_eq!(self.n, other.n);
        self.data.extend_from_slice(&other.data);
    }

    pub fn ntt_forward(&mut self, tables: &[&NttTable]) {
        let n = self.n;
        for (row, t) in self.data.chunks_exact_mut(n).zip(tables) {
            t.forward(row);
        }
    }

    pub fn ntt_inverse(&mut self, tables: &[&NttTable]) {
        let n = self.n;
        for (row, t) in self.data.chunks_exact_mut(n).zip(tables) {
            t.inverse(row);
        }
    }

    /// `f(q_i, self row i, other row i)` for each row both have.
    fn zip_rows(
        &mut self,
        other: &RnsPoly,
        tables: &[&NttTable],
        f: fn(&crate::he::math::zq::Modulus, &mut [u64], &[u64]),
    ) {
        let n = self.n;
        for ((a, b), t) in self
            .data
            .chunks_exact_mut(n)
            .zip(other.data.chunks_exact(n))
            .zip(tables)
        {
            f(t.modulus(), a, b);
        }
    }

    pub fn add_assign(&mut self, other: &RnsPoly, tables: &[&NttTable]) {
        self.zip_rows(other, tables, eltwise::add_assign);
    }

    /// self + other, as `clone` then `add_assign` but in one pass.
    pub fn add(&self, other: &RnsPoly, tables: &[&NttTable]) -> Self {
        let k = self.common_rows(other, tables);
        // SAFETY: `eltwise::add` writes its whole output.
        unsafe {
            self.map_rows(k, |i, a, out| {
                eltwise::add(tables[i].modulus(), a, self.other_row(other, i), out)
            })
        }
    }

    pub fn sub_assign(&mut self, other: &RnsPoly, tables: &[&NttTable]) {
        self.zip_rows(other, tables, eltwise::sub_assign);
    }

    /// self - other, as `clone` then `sub_assign` but in one pass.
    pub fn sub(&self, other: &RnsPoly, tables: &[&NttTable]) -> Self {
        let k = self.common_rows(other, tables);
        // SAFETY: `eltwise::sub` writes its whole output.
        unsafe {
            self.map_rows(k, |i, a, out| {
                eltwise::sub(tables[i].modulus(), a, self.other_row(other, i), out)
            })
        }
    }

    pub fn neg_assign(&mut self, tables: &[&NttTable]) {
        let n = self.n;
        for (a, t) in self.data.chunks_exact_mut(n).zip(tables) {
            eltwise::neg_assign(t.modulus(), a);
        }
    }

    /// -self, as `clone` then `neg_assign` but in one pass.
    pub fn neg(&self, tables: &[&NttTable]) -> Self {
        // SAFETY: `eltwise::neg` writes its whole output.
        unsafe {
            self.map_rows(tables.len(), |i, a, out| {
                eltwise::neg(tables[i].modulus(), a, out)
            })
        }
    }

    /// Pointwise product (a negacyclic product when both are in NTT form).
    pub fn mul_assign(&mut self, other: &RnsPoly, tables: &[&NttTable]) {
        self.zip_rows(other, tables, eltwise::mul_assign);
    }

    /// The pointwise product self * other, as `clone` then `mul_assign` but in one
    /// pass.
    pub fn mul(&self, other: &RnsPoly, tables: &[&NttTable]) -> Self {
        let k = self.common_rows(other, tables);
        // SAFETY: `eltwise::mul` writes its whole output.
        unsafe {
            self.map_rows(k, |i, a, out| {
                eltwise::mul(tables[i].modulus(), a, self.other_row(other, i), out)
            })
        }
    }

    /// The pointwise tensor product of (x0, x1) and (y0, y1) over the rows of
    /// `tables`: (x0 y0, x0 y1 + x1 y0, x1 y1), each reduced once, in one pass.
    ///
    /// # Panics
    /// If an operand has fewer rows than `tables` or the degrees differ.
    pub fn tensor(x: [&RnsPoly; 2], y: [&RnsPoly; 2], tables: &[&NttTable]) -> [Self; 3] {
        let n = x[0].n;
        let rows = tables.len();
        for p in x.iter().chain(&y) {
            assert!(p.n == n && p.rows() >= rows, "tensor operand shape");
        }
        let len = n * rows;
        let mut out: [Vec<u64>; 3] = std::array::from_fn(|_| Vec::with_capacity(len));
        {
            let [o0, o1, o2] = out.each_mut().map(|v| &mut v.spare_capacity_mut()[..len]);
            let rows_out = o0
                .chunks_exact_mut(n)
                .zip(o1.chunks_exact_mut(n))
                .zip(o2.chunks_exact_mut(n));
            for (i, ((r0, r1), r2)) in rows_out.enumerate() {
                let q = tables[i].modulus();
                let (xs, ys) = ([x[0].row(i), x[1].row(i)], [y[0].row(i), y[1].row(i)]);
                eltwise::tensor(q, xs, ys, [r0, r1, r2]);
            }
        }
        out.map(|mut data| {
            // SAFETY: `eltwise::tensor` wrote every value of every row of the three.
            unsafe { data.set_len(len) };
            Self { n, data }
        })
    }

    /// self += a * b pointwise.
    pub fn add_mul_assign(&mut self, a: &RnsPoly, b: &RnsPoly, tables: &[&NttTable]) {
        let n = self.n;
        for (((c, a), b), t) in self
            .data
            .chunks_exact_mut(n)
            .zip(a.data.chunks_exact(n))
            .zip(b.data.chunks_exact(n))
            .zip(tables)
        {
            eltwise::add_mul_assign(t.modulus(), c, a, b);
        }
    }

    /// Multiplies row i by `scalars[i]` (already reduced modulo row i's prime).
    pub fn mul_scalar_assign(&mut self, scalars: &[u64], tables: &[&NttTable]) {
        let n = self.n;
        for ((a, &s), t) in self.data.chunks_exact_mut(n).zip(scalars).zip(tables) {
            eltwise::mul_scalar_assign(t.modulus(), a, s);
        }
    }

    /// self with row i multiplied by `scalars[i]`, as `clone` then
    /// `mul_scalar_assign` but in one pass.
    pub fn mul_scalar(&self, scalars: &[u64], tables: &[&NttTable]) -> Self {
        let k = scalars.len().min(tables.len());
        // SAFETY: `eltwise::mul_scalar` writes its whole output.
        unsafe {
            self.map_rows(k, |i, a, out| {
                eltwise::mul_scalar(tables[i].modulus(), a, scalars[i], out)
            })
        }
    }

    /// Adds `scalars[i]` to every entry of row i: adding a constant polynomial in
    /// NTT form.
    pub fn add_scalar_assign(&mut self, scalars: &[u64], tables: &[&NttTable]) {
        let n = self.n;
        for ((a, &s), t) in self.data.chunks_exact_mut(n).zip(scalars).zip(tables) {
            eltwise::add_scalar_assign(t.modulus(), a, s);
        }
    }

    /// out[j] = self[perm[j]] in every row: an automorphism in NTT form.
    pub fn permuted(&self, perm: &[usize]) -> Self {
        let n = self.n;
        let mut out = Self::zero(n, self.rows());
        for (o, a) in out.data.chunks_exact_mut(n).zip(self.data.chunks_exact(n)) {
            for (x, &p) in o.iter_mut().zip(perm) {
                *x = a[p];
            }
        }
        out
    }

    /// Whether every residue of row i is below the prime of row i.
    pub fn is_reduced(&self, tables: &[&NttTable]) -> bool {
        self.rows() == tables.len()
            && self
                .data
                .chunks_exact(self.n)
                .zip(tables)
                .all(|(row, t)| row.iter().all(|&x| x < t.modulus().value()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::eltwise::scalar;
    use super::super::eltwise::tests::Values;
    use super::super::primes::ntt_primes;
    use super::super::zq::Modulus;
    use super::*;
    use proptest::prelude::*;

    /// Tables for primes of the given sizes (distinct primes per size) at degree n.
    fn tables(bits: &[u32], n: usize) -> Vec<NttTable> {
        let mut primes: Vec<u64> = Vec::new();
        for &b in bits {
            let p = ntt_primes(b, 1, n, &primes).expect("enough primes")[0];
            primes.push(p);
        }
        primes
            .into_iter()
            .map(|p| NttTable::new(Modulus::new(p), n).unwrap())
            .collect()
    }

    fn random(n: usize, tables: &[&NttTable], g: &mut Values) -> RnsPoly {
        let data = tables
            .iter()
            .flat_map(|t| g.vec_below(n, t.modulus().value()))
            .collect();
        RnsPoly::from_rows(n, data).unwrap()
    }

    /// Applies a scalar row operation to each row of a copy of `p` zipped with `tables`.
    fn rowwise(
        p: &RnsPoly,
        tables: &[&NttTable],
        f: impl Fn(usize, &Modulus, &mut [u64]),
    ) -> RnsPoly {
        let mut out = p.clone();
        for (i, (row, t)) in out.rows_iter_mut().zip(tables).enumerate() {
            f(i, t.modulus(), row);
        }
        out
    }

    /// Every element-wise method, in place and out of place, against the scalar code
    /// row by row, including operands with fewer rows than `self` (the extra rows are
    /// left alone, as the in-place methods zip their operands).
    fn check(bits: &[u32], log_n: u32, seed: u64) {
        let n = 1 << log_n;
        let owned = tables(bits, n);
        let t: Vec<&NttTable> = owned.iter().collect();
        let mut g = Values(seed);
        let (a, b, c) = (
            random(n, &t, &mut g),
            random(n, &t, &mut g),
            random(n, &t, &mut g),
        );
        let scalars: Vec<u64> = t.iter().map(|t| g.below(t.modulus().value())).collect();
        for k in [t.len(), t.len() - 1] {
            let (tk, bk) = (&t[..k], b.prefix(k));
            let ctx = format!("bits = {bits:?}, n = {n}, {k} rows");
            let add = rowwise(&a, tk, |i, q, r| scalar::add_assign(q, r, bk.row(i)));
            let sub = rowwise(&a, tk, |i, q, r| scalar::sub_assign(q, r, bk.row(i)));
            let neg = rowwise(&a, tk, |_, q, r| scalar::neg_assign(q, r));
            let mul = rowwise(&a, tk, |i, q, r| scalar::mul_assign(q, r, bk.row(i)));
            let fma = rowwise(&c, tk, |i, q, r| {
                scalar::add_mul_assign(q, r, a.row(i), bk.row(i))
            });
            let scaled = rowwise(&a, tk, |i, q, r| {
                scalar::mul_scalar_assign(q, r, scalars[i])
            });
            let shifted = rowwise(&a, tk, |i, q, r| {
                scalar::add_scalar_assign(q, r, scalars[i])
            });

            // The operand with k rows, the tables for all rows.
            assert_eq!(a.add(&bk, &t), add, "add, {ctx}");
            assert_eq!(a.sub(&bk, &t), sub, "sub, {ctx}");
            assert_eq!(a.mul(&bk, &t), mul, "mul, {ctx}");
            // The tables for k rows.
            assert_eq!(a.neg(tk), neg, "neg, {ctx}");
            assert_eq!(a.mul_scalar(&scalars[..k], &t), scaled, "mul_scalar, {ctx}");
            let mut x = a.clone();
            x.add_assign(&bk, &t);
            assert_eq!(x, add, "add_assign, {ctx}");
            let mut x = a.clone();
            x.sub_assign(&bk, &t);
            assert_eq!(x, sub, "sub_assign, {ctx}");
            let mut x = a.clone();
            x.neg_assign(tk);
            assert_eq!(x, neg, "neg_assign, {ctx}");
            let mut x = a.clone();
            x.mul_assign(&bk, &t);
            assert_eq!(x, mul, "mul_assign, {ctx}");
            let mut x = c.clone();
            x.add_mul_assign(&a, &bk, &t);
            assert_eq!(x, fma, "add_mul_assign, {ctx}");
            let mut x = a.clone();
            x.mul_scalar_assign(&scalars, tk);
            assert_eq!(x, scaled, "mul_scalar_assign, {ctx}");
            let mut x = a.clone();
            x.add_scalar_assign(&scalars[..k], &t);
            assert_eq!(x, shifted, "add_scalar_assign, {ctx}");
        }

        // The tensor product over all rows, and the square as the product with itself.
        let products = RnsPoly::tensor([&a, &b], [&c, &a], &t);
        let mut expected = [a.clone(), a.clone(), a.clone()];
        for (i, tb) in t.iter().enumerate() {
            let q = tb.modulus();
            let [e0, e1, e2] = expected.each_mut().map(|e| e.row_mut(i));
            scalar::tensor(q, [a.row(i), b.row(i)], [c.row(i), a.row(i)], [e0, e1, e2]);
        }
        assert_eq!(products, expected, "tensor, bits = {bits:?}, n = {n}");
        let [s0, s1, s2] = RnsPoly::tensor([&a, &b], [&a, &b], &t);
        let twice = a.mul(&b, &t);
        assert_eq!(
            (s0, s1, s2),
            (a.mul(&a, &t), twice.add(&twice, &t), b.mul(&b, &t))
        );

        // Signed coefficients.
        let coeffs: Vec<i64> = g.words(n, 12289).into_iter().map(|x| x as i64).collect();
        let p = RnsPoly::from_signed(&coeffs, &t);
        for (row, tb) in p.rows_iter().zip(&t) {
            let want: Vec<u64> = coeffs.iter().map(|&x| tb.modulus().reduce_i64(x)).collect();
            assert_eq!(row, &want[..]);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn element_wise_methods_match_scalar(
            bits in prop::collection::vec(prop_oneof![20u32..=61, Just(40), Just(60)], 2..5),
            log_n in 1u32..10,
            seed in any::<u64>(),
        ) {
            let n = 1usize << log_n;
            prop_assume!(bits.iter().all(|&b| 2 * n as u64 <= 1 << (b - 4)));
            check(&bits, log_n, seed);
        }
    }

    #[test]
    fn ckks_shapes_match_scalar() {
        check(&[60, 40, 40, 60], 13, 1);
        check(&[60, 40, 40, 40, 40, 40, 40, 60], 14, 2);
    }
}
