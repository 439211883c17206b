//! Secret keys `S = [I | T]` and the key-switching matrices built from them.
//!
//! Key switching (section III, equations 3–10): to move a ciphertext `c` with
//! `S c = w x + e` to a key `S' = [I | T']`, the client publishes
//! `M = [S* − T'A + E; A]` with `A` uniform modulo `q` and `|E_ij| ≤ e_bound`, where `S*`
//! expands every entry of `S` into its digit weights (equation 5). The server computes
//! `c' = M c*` from the digit vector `c*` of `c` (equation 4); then
//! `S' c' = S* c* + E c* = S c + E c*` (equations 6, 7, 10).
//!
//! Every operation of the scheme is a key switch from some source key: the identity
//! (encryption, the paper's public key), another secret key (key switching), `G S` (linear
//! transformation, section IV.B) or `vec(S₁ᵀ H S₂)` (weighted inner product, section IV.C).

use rand::{CryptoRng, RngExt};
use rand_chacha::ChaCha20Rng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::arith::{center, for_each_digit, residue};
use super::error::{IntVecError, Result};
use super::params::IntVecParams;

/// A secret key `S = [I_m | T]` for plaintexts of dimension `m`. Zeroised on drop; its
/// `Debug` shows no entry of `T`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey {
    #[zeroize(skip)]
    params: IntVecParams,
    #[zeroize(skip)]
    id: u64,
    #[zeroize(skip)]
    dim: usize,
    /// `T`, `dim × t_columns`, row-major.
    t: Vec<i64>,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &format_args!("{:#018x}", self.id))
            .field("dim", &self.dim)
            .field("t", &"<redacted>")
            .finish()
    }
}

impl SecretKey {
    /// A key for plaintexts of dimension `dim`, with `T` uniform in `[-t_bound, t_bound]`.
    pub fn generate<R: CryptoRng + ?Sized>(
        params: &IntVecParams,
        dim: usize,
        rng: &mut R,
    ) -> Result<Self> {
        check_dim(params, dim)?;
        let b = params.t_bound() as i64;
        let t = (0..dim * params.t_columns())
            .map(|_| rng.random_range(-b..=b))
            .collect();
        Ok(Self {
            params: *params,
            id: rng.next_u64(),
            dim,
            t,
        })
    }

    /// [`SecretKey::generate`] with a ChaCha20 generator seeded from the operating system.
    pub fn generate_os(params: &IntVecParams, dim: usize) -> Result<Self> {
        let mut rng = rand::make_rng::<ChaCha20Rng>();
        Self::generate(params, dim, &mut rng)
    }

    /// A key from a given `T` (`dim × t_columns`, row-major), e.g. one recovered by the
    /// attack. The entries may exceed `t_bound`; noise bounds then no longer hold for
    /// inner products, but decryption does.
    pub(crate) fn from_parts(params: &IntVecParams, id: u64, dim: usize, t: Vec<i64>) -> Self {
        Self {
            params: *params,
            id,
            dim,
            t,
        }
    }

    pub fn params(&self) -> &IntVecParams {
        &self.params
    }
    /// A random identifier, so that ciphertexts and keys made for different secret keys
    /// are told apart.
    pub fn id(&self) -> u64 {
        self.id
    }
    /// The plaintext dimension `m`.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// The ciphertext length `n = m + t_columns`.
    pub fn ciphertext_len(&self) -> usize {
        self.dim + self.params.t_columns()
    }

    /// `T_rc`.
    pub(crate) fn t_entry(&self, r: usize, c: usize) -> i64 {
        self.t[r * self.params.t_columns() + c]
    }

    /// `S` as a `dim × n` integer matrix, row-major.
    pub(crate) fn s_matrix(&self) -> Vec<i128> {
        let n = self.ciphertext_len();
        let k = self.params.t_columns();
        let mut s = vec![0i128; self.dim * n];
        for r in 0..self.dim {
            s[r * n + r] = 1;
            for c in 0..k {
                s[r * n + self.dim + c] = self.t_entry(r, c) as i128;
            }
        }
        s
    }

    /// `S c mod q`, row by row, as centered values.
    pub(crate) fn apply(&self, c: &[u128]) -> Vec<i128> {
        let mask = self.params.mask();
        let k = self.params.t_columns();
        (0..self.dim)
            .map(|r| {
                let mut acc = c[r];
                for j in 0..k {
                    let tj = self.t_entry(r, j) as i128 as u128;
                    acc = acc.wrapping_add(tj.wrapping_mul(c[self.dim + j]));
                }
                center(acc & mask, self.params.log2_q())
            })
            .collect()
    }
}

pub(crate) fn check_dim(params: &IntVecParams, dim: usize) -> Result<()> {
    if dim == 0 || dim > params.max_dim() {
        return Err(IntVecError::InvalidParameter {
            field: "dim",
            value: dim.to_string(),
            valid: format!("in 1..={}", params.max_dim()),
        });
    }
    Ok(())
}

/// A key-switching matrix `M = [S* − T'A + E; A]` (equation 8), from a source key given as
/// an integer matrix to the target key `S' = [I | T']`. Stored column by column, one column
/// per digit of the input.
#[derive(Clone)]
pub(crate) struct SwitchMatrix {
    pub(crate) params: IntVecParams,
    /// Length of the vectors this matrix switches (columns of the source key).
    pub(crate) in_len: usize,
    /// Plaintext dimension of the target key (rows of the source key).
    pub(crate) out_dim: usize,
    /// `out_dim + t_columns`.
    pub(crate) rows: usize,
    pub(crate) target_id: u64,
    /// Column-major: entry `(r, col)` at `col * rows + r`, `col = j * digits + d`.
    pub(crate) data: Vec<u128>,
}

impl std::fmt::Debug for SwitchMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwitchMatrix")
            .field("in_len", &self.in_len)
            .field("out_dim", &self.out_dim)
            .field("target", &format_args!("{:#018x}", self.target_id))
            .finish_non_exhaustive()
    }
}

impl SwitchMatrix {
    /// Builds `M` for the source key `source` (`target.dim() × in_len`, row-major, small
    /// integers) and the target secret key.
    pub(crate) fn generate<R: CryptoRng + ?Sized>(
        source: &[i128],
        in_len: usize,
        target: &SecretKey,
        rng: &mut R,
    ) -> Result<Self> {
        let params = target.params;
        let out_dim = target.dim;
        if source.len() != out_dim * in_len {
            return Err(IntVecError::DimensionMismatch {
                what: "source key of a key-switching matrix",
                expected: out_dim * in_len,
                got: source.len(),
            });
        }
        let k = params.t_columns();
        let rows = out_dim + k;
        let l = params.digits() as usize;
        let bits = params.digit_bits();
        let mask = params.mask();
        let eb = params.e_bound() as i64;
        let cols = in_len * l;
        let mut data = vec![0u128; cols * rows];
        let mut a = vec![0u128; k];
        for j in 0..in_len {
            for d in 0..l {
                let col = j * l + d;
                for a_c in a.iter_mut() {
                    *a_c = uniform(rng, mask);
                }
                let shift = bits * d as u32;
                for r in 0..out_dim {
                    // S*_{r,col} = S_{r,j} · 2^(bits·d) (equation 5), modulo q.
                    let s_star = residue(source[r * in_len + j], mask).wrapping_shl(shift);
                    let e = rng.random_range(-eb..=eb) as i128 as u128;
                    let mut v = s_star.wrapping_add(e);
                    for (c, a_c) in a.iter().enumerate() {
                        let t = target.t_entry(r, c) as i128 as u128;
                        v = v.wrapping_sub(t.wrapping_mul(*a_c));
                    }
                    data[col * rows + r] = v & mask;
                }
                for (c, a_c) in a.iter().enumerate() {
                    data[col * rows + out_dim + c] = *a_c;
                }
            }
        }
        Ok(Self {
            params,
            in_len,
            out_dim,
            rows,
            target_id: target.id,
            data,
        })
    }

    /// `c' = M c*` for the residues `input` (equation 9). Returns `c'` and `Σ|c*_i|`,
    /// which bounds the added noise `|E c*| ≤ e_bound · Σ|c*_i|`.
    pub(crate) fn apply(&self, input: &[u128]) -> (Vec<u128>, u128) {
        debug_assert_eq!(input.len(), self.in_len);
        let rows = self.rows;
        let l = self.params.digits() as usize;
        let bits = self.params.digit_bits();
        let log2_q = self.params.log2_q();
        let mut acc = vec![0u128; rows];
        let mut l1 = 0u128;
        for (j, &x) in input.iter().enumerate() {
            let v = center(x, log2_q);
            l1 += for_each_digit(v, bits, |d, digit| {
                let col = &self.data[(j * l + d as usize) * rows..][..rows];
                match digit {
                    1 => acc
                        .iter_mut()
                        .zip(col)
                        .for_each(|(a, m)| *a = a.wrapping_add(*m)),
                    -1 => acc
                        .iter_mut()
                        .zip(col)
                        .for_each(|(a, m)| *a = a.wrapping_sub(*m)),
                    _ => {
                        let g = digit as u128;
                        acc.iter_mut()
                            .zip(col)
                            .for_each(|(a, m)| *a = a.wrapping_add(m.wrapping_mul(g)));
                    }
                }
            });
        }
        let mask = self.params.mask();
        acc.iter_mut().for_each(|a| *a &= mask);
        (acc, l1)
    }

    /// Column `col` of `M`, all rows (for the key-recovery attack).
    pub(crate) fn column(&self, col: usize) -> &[u128] {
        &self.data[col * self.rows..][..self.rows]
    }
    pub(crate) fn columns(&self) -> usize {
        self.in_len * self.params.digits() as usize
    }
}

/// A uniform residue modulo `q = mask + 1` (a power of two, so masking is exact).
pub(crate) fn uniform<R: CryptoRng + ?Sized>(rng: &mut R, mask: u128) -> u128 {
    let hi = rng.next_u64() as u128;
    let lo = rng.next_u64() as u128;
    ((hi << 64) | lo) & mask
}
