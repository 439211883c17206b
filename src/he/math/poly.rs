//! Polynomials of Z_Q[X]/(X^N + 1) in RNS form: one row of N residues per prime.
//!
//! A polynomial does not know its moduli: every operation takes the NTT tables of
//! its rows, in order, so the same type serves the ciphertext basis q_0..q_l and
//! the key-switching basis q_0..q_l, P. Whether the rows hold coefficients or NTT
//! values is the caller's business; the scheme keeps ciphertexts in NTT form.

use super::ntt::NttTable;
use serde::{Deserialize, Serialize};
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
        let mut p = Self::zero(n, tables.len());
        for (row, t) in p.data.chunks_exact_mut(n).zip(tables) {
            let q = t.modulus();
            for (r, &c) in row.iter_mut().zip(coeffs) {
                *r = q.reduce_i64(c);
            }
        }
        p
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

    pub fn add_assign(&mut self, other: &RnsPoly, tables: &[&NttTable]) {
        let n = self.n;
        for ((a, b), t) in self
            .data
            .chunks_exact_mut(n)
            .zip(other.data.chunks_exact(n))
            .zip(tables)
        {
            let q = t.modulus();
            for (x, &y) in a.iter_mut().zip(b) {
                *x = q.add(*x, y);
            }
        }
    }

    pub fn sub_assign(&mut self, other: &RnsPoly, tables: &[&NttTable]) {
        let n = self.n;
        for ((a, b), t) in self
            .data
            .chunks_exact_mut(n)
            .zip(other.data.chunks_exact(n))
            .zip(tables)
        {
            let q = t.modulus();
            for (x, &y) in a.iter_mut().zip(b) {
                *x = q.sub(*x, y);
            }
        }
    }

    pub fn neg_assign(&mut self, tables: &[&NttTable]) {
        let n = self.n;
        for (a, t) in self.data.chunks_exact_mut(n).zip(tables) {
            let q = t.modulus();
            for x in a.iter_mut() {
                *x = q.neg(*x);
            }
        }
    }

    /// Pointwise product (a negacyclic product when both are in NTT form).
    pub fn mul_assign(&mut self, other: &RnsPoly, tables: &[&NttTable]) {
        let n = self.n;
        for ((a, b), t) in self
            .data
            .chunks_exact_mut(n)
            .zip(other.data.chunks_exact(n))
            .zip(tables)
        {
            let q = t.modulus();
            for (x, &y) in a.iter_mut().zip(b) {
                *x = q.mul(*x, y);
            }
        }
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
            let q = t.modulus();
            for ((z, &x), &y) in c.iter_mut().zip(a).zip(b) {
                *z = q.add(*z, q.mul(x, y));
            }
        }
    }

    /// Multiplies row i by `scalars[i]` (already reduced modulo row i's prime).
    pub fn mul_scalar_assign(&mut self, scalars: &[u64], tables: &[&NttTable]) {
        let n = self.n;
        for ((a, &s), t) in self.data.chunks_exact_mut(n).zip(scalars).zip(tables) {
            let q = t.modulus();
            let ss = q.shoup(s);
            for x in a.iter_mut() {
                *x = q.mul_shoup(*x, s, ss);
            }
        }
    }

    /// Adds `scalars[i]` to every entry of row i: adding a constant polynomial in
    /// NTT form.
    pub fn add_scalar_assign(&mut self, scalars: &[u64], tables: &[&NttTable]) {
        let n = self.n;
        for ((a, &s), t) in self.data.chunks_exact_mut(n).zip(scalars).zip(tables) {
            let q = t.modulus();
            for x in a.iter_mut() {
                *x = q.add(*x, s);
            }
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
