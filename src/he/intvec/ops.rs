//! Ciphertexts and the homomorphic operations: encryption (by key switching from `w I`, and a
//! randomized secret-key encryption), decryption (equation 2), addition (section IV.A),
//! scalar multiplication, key switching (equations 3–10), linear transformation (IV.B) and
//! the weighted inner product `x₁ᵀ H x₂ = vec(H)ᵀ vec(x₁ x₂ᵀ)` (IV.C), generalised to one
//! bilinear form per output slot.
//!
//! # Noise bounds
//!
//! Every ciphertext carries a worst-case bound `B` with `S c ≡ w x + e (mod q)`, `|e_i| ≤ B`,
//! and a bound `X ≥ |x_i|` on its centered plaintext. An operation computes the new bounds
//! from public quantities only (the parameters, the operands' bounds, the digits of the
//! vector it switches) and returns [`IntVecError::NoiseBoundExceeded`] if the noise could
//! reach `w/2` (decryption would round wrongly) or [`IntVecError::PlaintextOverflow`] if the
//! plaintext could reach `t/2` (it would wrap modulo `t`).

use rand::{CryptoRng, RngExt};

use super::arith::{center, residue, round_product, round_shift};
use super::error::{IntVecError, Result};
use super::keys::{SecretKey, SwitchMatrix, check_dim, uniform};
use super::params::IntVecParams;

/// A ciphertext of an integer vector of dimension `dim` under one secret key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ciphertext {
    params: IntVecParams,
    key_id: u64,
    dim: usize,
    /// `c`, residues modulo `q`, length `dim + t_columns`.
    data: Vec<u128>,
    noise_bound: u128,
    plain_bound: u128,
}

impl Ciphertext {
    /// The plaintext dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// The id of the secret key this ciphertext decrypts under.
    pub fn key_id(&self) -> u64 {
        self.key_id
    }
    /// Worst-case bound on `|e_i|`.
    pub fn noise_bound(&self) -> u128 {
        self.noise_bound
    }
    /// Worst-case bound on `|x_i|`.
    pub fn plain_bound(&self) -> u128 {
        self.plain_bound
    }
    /// The entries of `c`, residues modulo `q`.
    pub fn entries(&self) -> &[u128] {
        &self.data
    }
    pub fn params(&self) -> &IntVecParams {
        &self.params
    }

    /// The encryption of the zero vector with no noise (the zero vector of `Z_q^n`).
    pub fn zero(params: &IntVecParams, key_id: u64, dim: usize) -> Result<Self> {
        check_dim(params, dim)?;
        Ok(Self {
            params: *params,
            key_id,
            dim,
            data: vec![0; dim + params.t_columns()],
            noise_bound: 0,
            plain_bound: 0,
        })
    }

    fn same_space(&self, other: &Self, op: &'static str) -> Result<()> {
        if self.params != other.params {
            return Err(IntVecError::ParamsMismatch { op });
        }
        if self.key_id != other.key_id {
            return Err(IntVecError::KeyMismatch {
                op,
                expected: self.key_id,
                got: other.key_id,
            });
        }
        if self.dim != other.dim {
            return Err(IntVecError::DimensionMismatch {
                what: op,
                expected: self.dim,
                got: other.dim,
            });
        }
        Ok(())
    }

    /// `c₁ + c₂` (section IV.A): `S(c₁ + c₂) = w(x₁ + x₂) + (e₁ + e₂)`.
    pub fn add(&self, other: &Self) -> Result<Self> {
        let mut out = self.clone();
        out.add_assign(other)?;
        Ok(out)
    }

    /// In-place [`Ciphertext::add`]; `self` is unchanged on error.
    pub fn add_assign(&mut self, other: &Self) -> Result<()> {
        self.combine_assign(other, "add", u128::wrapping_add)
    }

    /// `c₁ − c₂`.
    pub fn sub(&self, other: &Self) -> Result<Self> {
        let mut out = self.clone();
        out.sub_assign(other)?;
        Ok(out)
    }

    /// In-place [`Ciphertext::sub`]; `self` is unchanged on error.
    pub fn sub_assign(&mut self, other: &Self) -> Result<()> {
        self.combine_assign(other, "sub", u128::wrapping_sub)
    }

    /// Entry-wise `op` modulo q; noise and plaintext bounds add (for a sum
    /// and a difference alike). `self` is unchanged on error.
    fn combine_assign(
        &mut self,
        other: &Self,
        name: &'static str,
        op: fn(u128, u128) -> u128,
    ) -> Result<()> {
        self.same_space(other, name)?;
        let noise = bounded_noise(&self.params, name, add(self.noise_bound, other.noise_bound))?;
        let plain = bounded_plain(&self.params, name, add(self.plain_bound, other.plain_bound))?;
        let mask = self.params.mask();
        for (a, b) in self.data.iter_mut().zip(&other.data) {
            *a = op(*a, *b) & mask;
        }
        self.noise_bound = noise;
        self.plain_bound = plain;
        Ok(())
    }

    /// `−c`.
    pub fn neg(&self) -> Self {
        let mut out = self.clone();
        let mask = self.params.mask();
        out.data
            .iter_mut()
            .for_each(|a| *a = a.wrapping_neg() & mask);
        out
    }

    /// `k c` for a plaintext integer `k`: noise and plaintext scale by `|k|`.
    pub fn mul_scalar(&self, k: i64) -> Result<Self> {
        let m = k.unsigned_abs() as u128;
        let noise = bounded_noise(&self.params, "mul_scalar", mul(self.noise_bound, m))?;
        let plain = bounded_plain(&self.params, "mul_scalar", mul(self.plain_bound, m))?;
        let mask = self.params.mask();
        let kk = k as i128 as u128;
        let mut out = self.clone();
        out.data
            .iter_mut()
            .for_each(|a| *a = a.wrapping_mul(kk) & mask);
        out.noise_bound = noise;
        out.plain_bound = plain;
        Ok(out)
    }

    /// `c + (w x, 0)`: adds a plaintext vector without noise, since `S (w x, 0) = w x`.
    pub fn add_plain(&self, x: &[i128]) -> Result<Self> {
        check_len("add_plain", self.dim, x.len())?;
        let xmax = max_abs(x);
        let plain = bounded_plain(&self.params, "add_plain", add(self.plain_bound, xmax))?;
        let mask = self.params.mask();
        let mut out = self.clone();
        for (a, &xi) in out.data.iter_mut().zip(x) {
            // |xi| < t/2, so |w·xi| < q/2 ≤ 2^125: no overflow.
            let wx = residue(xi << self.params.log2_w(), mask);
            *a = a.wrapping_add(wx) & mask;
        }
        out.plain_bound = plain;
        Ok(out)
    }
}

fn add(a: u128, b: u128) -> Option<u128> {
    a.checked_add(b)
}
fn mul(a: u128, b: u128) -> Option<u128> {
    a.checked_mul(b)
}

/// `Some(b)` with `b < w/2`, else the error naming the bound (`u128::MAX` if it overflowed).
fn bounded_noise(p: &IntVecParams, op: &'static str, bound: Option<u128>) -> Result<u128> {
    match bound {
        Some(b) if b < p.noise_limit() => Ok(b),
        b => Err(IntVecError::NoiseBoundExceeded {
            op,
            bound: b.unwrap_or(u128::MAX),
            limit: p.noise_limit(),
        }),
    }
}

/// `Some(b)` with `b < t/2`, else the error naming the bound.
fn bounded_plain(p: &IntVecParams, op: &'static str, bound: Option<u128>) -> Result<u128> {
    match bound {
        Some(b) if b < p.plain_limit() => Ok(b),
        b => Err(IntVecError::PlaintextOverflow {
            op,
            bound: b.unwrap_or(u128::MAX),
            limit: p.plain_limit(),
        }),
    }
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected != got {
        return Err(IntVecError::DimensionMismatch {
            what,
            expected,
            got,
        });
    }
    Ok(())
}

fn max_abs(x: &[i128]) -> u128 {
    x.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0)
}

fn check_plain(p: &IntVecParams, op: &'static str, x: &[i128]) -> Result<u128> {
    bounded_plain(p, op, Some(max_abs(x)))
}

impl SecretKey {
    /// Randomized secret-key encryption: `c = (w x + e − T a, a)` with `a` uniform modulo
    /// `q` and `|e_i| ≤ e_bound`, so that `S c = w x + e`.
    pub fn encrypt<R: CryptoRng + ?Sized>(&self, x: &[i128], rng: &mut R) -> Result<Ciphertext> {
        let p = *self.params();
        check_len("encrypt", self.dim(), x.len())?;
        let plain = check_plain(&p, "encrypt", x)?;
        let mask = p.mask();
        let k = p.t_columns();
        let dim = self.dim();
        let mut data = vec![0u128; dim + k];
        for c in 0..k {
            data[dim + c] = uniform(rng, mask);
        }
        let eb = p.e_bound() as i64;
        for r in 0..dim {
            let e = rng.random_range(-eb..=eb) as i128;
            // |x| < t/2 and |e| < w/2, so |w x + e| < q/2 + w/2 fits i128.
            let mut v = residue((x[r] << p.log2_w()) + e, mask);
            for c in 0..k {
                let t = self.t_entry(r, c) as i128 as u128;
                v = v.wrapping_sub(t.wrapping_mul(data[dim + c]));
            }
            data[r] = v & mask;
        }
        Ok(Ciphertext {
            params: p,
            key_id: self.id(),
            dim,
            data,
            noise_bound: p.e_bound() as u128,
            plain_bound: plain,
        })
    }

    /// Decryption (equation 2): `x = round(S c / w)`, centered modulo `t`.
    pub fn decrypt(&self, c: &Ciphertext) -> Result<Vec<i128>> {
        Ok(self.decrypt_with_noise(c)?.0)
    }

    /// Decryption that also returns the actual noise `e = S c − w x` (centered).
    pub fn decrypt_with_noise(&self, c: &Ciphertext) -> Result<(Vec<i128>, Vec<i128>)> {
        let p = self.params();
        if c.params != *p {
            return Err(IntVecError::ParamsMismatch { op: "decrypt" });
        }
        if c.key_id != self.id() {
            return Err(IntVecError::KeyMismatch {
                op: "decrypt",
                expected: self.id(),
                got: c.key_id,
            });
        }
        check_len("decrypt", self.dim(), c.dim)?;
        let lw = p.log2_w();
        let sc = self.apply(&c.data);
        let mut xs = Vec::with_capacity(sc.len());
        let mut es = Vec::with_capacity(sc.len());
        for v in sc {
            let x = round_shift(v, lw);
            es.push(v - (x << lw));
            // |x| ≤ t/2; map t/2 to -t/2 so the result is the centered residue modulo t.
            let x = if x >= p.plain_limit() as i128 {
                x - p.t() as i128
            } else {
                x
            };
            xs.push(x);
        }
        Ok((xs, es))
    }

    /// The public encryption key: the switch matrix from `I` to this key (the paper's `M`).
    pub fn encryption_key<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Result<EncryptionKey> {
        let m = self.dim();
        let mut source = vec![0i128; m * m];
        for i in 0..m {
            source[i * m + i] = 1;
        }
        Ok(EncryptionKey {
            m: SwitchMatrix::generate(&source, m, self, rng)?,
        })
    }
}

/// The public key of the scheme: the key-switching matrix from the identity to `S`.
/// Encryption treats `w x` as a ciphertext under `I` and switches it to `S`; it is
/// deterministic (equal plaintexts give equal ciphertexts, and the zero vector encrypts to
/// the zero vector), as in the paper.
#[derive(Clone, Debug)]
pub struct EncryptionKey {
    m: SwitchMatrix,
}

impl EncryptionKey {
    pub fn key_id(&self) -> u64 {
        self.m.target_id
    }
    pub fn dim(&self) -> usize {
        self.m.out_dim
    }
    /// `c = M (w x)*`: `S c = w x + E (w x)*`.
    pub fn encrypt(&self, x: &[i128]) -> Result<Ciphertext> {
        let p = self.m.params;
        check_len("encrypt", self.dim(), x.len())?;
        let plain = check_plain(&p, "encrypt", x)?;
        let mask = p.mask();
        let wx: Vec<u128> = x
            .iter()
            .map(|&xi| residue(xi << p.log2_w(), mask))
            .collect();
        let (data, l1) = self.m.apply(&wx);
        let noise = bounded_noise(&p, "encrypt", mul(p.e_bound() as u128, l1))?;
        Ok(Ciphertext {
            params: p,
            key_id: self.key_id(),
            dim: self.dim(),
            data,
            noise_bound: noise,
            plain_bound: plain,
        })
    }
    /// The noise-free encryption of zero under this key.
    pub fn zero(&self) -> Ciphertext {
        Ciphertext {
            params: self.m.params,
            key_id: self.key_id(),
            dim: self.dim(),
            data: vec![0; self.m.rows],
            noise_bound: 0,
            plain_bound: 0,
        }
    }
    pub(crate) fn matrix(&self) -> &SwitchMatrix {
        &self.m
    }
}

/// Key switching from one secret key to another of the same dimension (equations 3–10).
#[derive(Clone, Debug)]
pub struct KeySwitchKey {
    m: SwitchMatrix,
    from_id: u64,
    from_dim: usize,
}

impl KeySwitchKey {
    pub fn new<R: CryptoRng + ?Sized>(
        from: &SecretKey,
        to: &SecretKey,
        rng: &mut R,
    ) -> Result<Self> {
        same_params(from, to, "key switch")?;
        check_len("key switch", from.dim(), to.dim())?;
        Ok(Self {
            m: SwitchMatrix::generate(&from.s_matrix(), from.ciphertext_len(), to, rng)?,
            from_id: from.id(),
            from_dim: from.dim(),
        })
    }
    /// `c' = M c*` with `S' c' = S c + E c*`.
    pub fn apply(&self, c: &Ciphertext) -> Result<Ciphertext> {
        check_input(c, &self.m.params, self.from_id, self.from_dim, "key switch")?;
        let (data, l1) = self.m.apply(&c.data);
        let noise = bounded_noise(
            &self.m.params,
            "key switch",
            mul(self.m.params.e_bound() as u128, l1).and_then(|n| add(n, c.noise_bound)),
        )?;
        Ok(Ciphertext {
            params: self.m.params,
            key_id: self.m.target_id,
            dim: self.m.out_dim,
            data,
            noise_bound: noise,
            plain_bound: c.plain_bound,
        })
    }
}

/// Linear transformation (section IV.B): the switch matrix from `G S` to `S'`, so that
/// `S' c' = G S c + E c* = w G x + G e + E c*`.
#[derive(Clone, Debug)]
pub struct LinearTransformKey {
    m: SwitchMatrix,
    from_id: u64,
    from_dim: usize,
    /// `max_r Σ_j |G_rj|`.
    g_norm: u128,
}

impl LinearTransformKey {
    /// `g` has `to.dim()` rows of `from.dim()` integers.
    pub fn new<R: CryptoRng + ?Sized>(
        g: &[Vec<i64>],
        from: &SecretKey,
        to: &SecretKey,
        rng: &mut R,
    ) -> Result<Self> {
        same_params(from, to, "linear transform")?;
        check_len("linear transform: rows of G", to.dim(), g.len())?;
        let n = from.ciphertext_len();
        let s = from.s_matrix();
        let mut gs = vec![0i128; to.dim() * n];
        let mut g_norm = 0u128;
        for (r, row) in g.iter().enumerate() {
            check_len("linear transform: columns of G", from.dim(), row.len())?;
            g_norm = g_norm.max(row.iter().map(|v| v.unsigned_abs() as u128).sum());
            for (i, &gi) in row.iter().enumerate() {
                for j in 0..n {
                    gs[r * n + j] += gi as i128 * s[i * n + j];
                }
            }
        }
        Ok(Self {
            m: SwitchMatrix::generate(&gs, n, to, rng)?,
            from_id: from.id(),
            from_dim: from.dim(),
            g_norm,
        })
    }

    pub fn apply(&self, c: &Ciphertext) -> Result<Ciphertext> {
        let p = self.m.params;
        check_input(c, &p, self.from_id, self.from_dim, "linear transform")?;
        let plain = bounded_plain(&p, "linear transform", mul(self.g_norm, c.plain_bound))?;
        let (data, l1) = self.m.apply(&c.data);
        let noise = bounded_noise(
            &p,
            "linear transform",
            mul(self.g_norm, c.noise_bound).and_then(|n| add(n, mul(p.e_bound() as u128, l1)?)),
        )?;
        Ok(Ciphertext {
            params: p,
            key_id: self.m.target_id,
            dim: self.m.out_dim,
            data,
            noise_bound: noise,
            plain_bound: plain,
        })
    }
}

/// Bilinear forms on two ciphertexts (section IV.C): output slot `k` holds `x₁ᵀ H_k x₂`.
/// The client publishes the switch matrix from the key whose row `k` is
/// `vec(S₁ᵀ H_k S₂)ᵀ` to `S'`; the server forms `round(vec(c₁ c₂ᵀ) / w)` and switches it.
///
/// With `q = t w` and `S_i c_i = w x_i + e_i + q k_i` over the integers,
/// `(S₁c₁)ᵀ H (S₂c₂) / w ≡ w x₁ᵀHx₂ + x₁ᵀHe₂ + e₁ᵀHx₂ + e₁ᵀHe₂/w + t(k₁ᵀHe₂ + e₁ᵀHk₂)
/// (mod q)`, so the noise grows by about `2 t |k| ‖H‖₁ B` per product.
#[derive(Clone, Debug)]
pub struct BilinearKey {
    m: SwitchMatrix,
    left_id: u64,
    right_id: u64,
    left_dim: usize,
    right_dim: usize,
    /// `Σ_ij |H_k,ij|` per output slot.
    h_norms: Vec<u128>,
}

impl BilinearKey {
    /// One `left.dim() × right.dim()` integer matrix `H_k` per slot of `to`.
    pub fn new<R: CryptoRng + ?Sized>(
        h: &[Vec<Vec<i64>>],
        left: &SecretKey,
        right: &SecretKey,
        to: &SecretKey,
        rng: &mut R,
    ) -> Result<Self> {
        same_params(left, right, "bilinear key")?;
        same_params(left, to, "bilinear key")?;
        check_len("bilinear key: number of forms", to.dim(), h.len())?;
        let (m1, m2) = (left.dim(), right.dim());
        let (n1, n2) = (left.ciphertext_len(), right.ciphertext_len());
        let (s1, s2) = (left.s_matrix(), right.s_matrix());
        let mut source = vec![0i128; to.dim() * n1 * n2];
        let mut h_norms = Vec::with_capacity(h.len());
        for (k, hk) in h.iter().enumerate() {
            check_len("bilinear key: rows of H", m1, hk.len())?;
            let mut norm = 0u128;
            // (S₁ᵀ H S₂)_{ab} = Σ_ij S₁_ia H_ij S₂_jb.
            let row = &mut source[k * n1 * n2..][..n1 * n2];
            for (i, hrow) in hk.iter().enumerate() {
                check_len("bilinear key: columns of H", m2, hrow.len())?;
                for (j, &hij) in hrow.iter().enumerate() {
                    if hij == 0 {
                        continue;
                    }
                    norm += hij.unsigned_abs() as u128;
                    for a in 0..n1 {
                        let sia = s1[i * n1 + a];
                        if sia == 0 {
                            continue;
                        }
                        for b in 0..n2 {
                            row[a * n2 + b] += sia * hij as i128 * s2[j * n2 + b];
                        }
                    }
                }
            }
            h_norms.push(norm);
        }
        Ok(Self {
            m: SwitchMatrix::generate(&source, n1 * n2, to, rng)?,
            left_id: left.id(),
            right_id: right.id(),
            left_dim: m1,
            right_dim: m2,
            h_norms,
        })
    }

    /// The inner product `x₁ · x₂` (`H = I`) into a one-slot key.
    pub fn inner_product<R: CryptoRng + ?Sized>(
        left: &SecretKey,
        right: &SecretKey,
        to: &SecretKey,
        rng: &mut R,
    ) -> Result<Self> {
        check_len("inner product", left.dim(), right.dim())?;
        let m = left.dim();
        let h: Vec<Vec<i64>> = (0..m)
            .map(|i| (0..m).map(|j| i64::from(i == j)).collect())
            .collect();
        Self::new(&[h], left, right, to, rng)
    }

    /// The weighted inner product `x₁ᵀ H x₂` into a one-slot key.
    pub fn weighted_inner_product<R: CryptoRng + ?Sized>(
        h: &[Vec<i64>],
        left: &SecretKey,
        right: &SecretKey,
        to: &SecretKey,
        rng: &mut R,
    ) -> Result<Self> {
        Self::new(&[h.to_vec()], left, right, to, rng)
    }

    /// Scalar times vector: `left` has one slot, slot `k` of the result is `x₁ · x₂_k`
    /// (Trask's outer product with a one-slot factor).
    pub fn scalar_vector<R: CryptoRng + ?Sized>(
        left: &SecretKey,
        right: &SecretKey,
        to: &SecretKey,
        rng: &mut R,
    ) -> Result<Self> {
        check_len("scalar-vector product: left", 1, left.dim())?;
        check_len("scalar-vector product: result", right.dim(), to.dim())?;
        let m = right.dim();
        let h: Vec<Vec<Vec<i64>>> = (0..m)
            .map(|k| vec![(0..m).map(|j| i64::from(j == k)).collect()])
            .collect();
        Self::new(&h, left, right, to, rng)
    }

    /// The slots of the result.
    pub fn out_dim(&self) -> usize {
        self.m.out_dim
    }

    /// Evaluates the forms on `c₁` (left) and `c₂` (right).
    pub fn apply(&self, c1: &Ciphertext, c2: &Ciphertext) -> Result<Ciphertext> {
        let p = self.m.params;
        const OP: &str = "inner product";
        check_input(c1, &p, self.left_id, self.left_dim, OP)?;
        check_input(c2, &p, self.right_id, self.right_dim, OP)?;
        // Plaintext bound: |x₁ᵀ H x₂| ≤ ‖H‖₁ X₁ X₂.
        let hmax = self.h_norms.iter().copied().max().unwrap_or(0);
        let plain = bounded_plain(
            &p,
            OP,
            mul(c1.plain_bound, c2.plain_bound).and_then(|v| mul(v, hmax)),
        )?;
        // Noise without the E c* term (known only after the digits are formed).
        let (b1, b2) = (c1.noise_bound, c2.noise_bound);
        let (x1, x2) = (c1.plain_bound, c2.plain_bound);
        let kb = p.k_bound();
        let s_norm = p.s_row_norm();
        let pre = (|| {
            let mut worst = 0u128;
            for &h in &self.h_norms {
                // ‖H‖₁ (X₁B₂ + B₁X₂ + ceil(B₁B₂/w) + t K (B₁ + B₂)) + ceil(‖vec(S₁ᵀHS₂)‖₁/2),
                // with ‖vec(S₁ᵀHS₂)‖₁ ≤ ‖H‖₁ ‖S‖²_row.
                let cross = add(mul(x1, b2)?, mul(b1, x2)?)?;
                let quad = mul(b1, b2)?.div_ceil(p.w());
                let wrap = mul(mul(p.t(), kb)?, add(b1, b2)?)?;
                let inner = add(add(cross, quad)?, wrap)?;
                let s_term = mul(h, mul(s_norm, s_norm)?)?.div_ceil(2);
                worst = worst.max(add(mul(h, inner)?, s_term)?);
            }
            Some(worst)
        })();
        bounded_noise(&p, OP, pre)?;
        // round(vec(c₁ c₂ᵀ) / w) modulo q, exactly (|c_i| ≤ q/2 ≤ 2^125).
        let lq = p.log2_q();
        let lw = p.log2_w();
        let mask = p.mask();
        let v1: Vec<i128> = c1.data.iter().map(|&x| center(x, lq)).collect();
        let v2: Vec<i128> = c2.data.iter().map(|&x| center(x, lq)).collect();
        let mut tensor = Vec::with_capacity(v1.len() * v2.len());
        for &a in &v1 {
            for &b in &v2 {
                tensor.push(round_product(a, b, lw, mask, lq));
            }
        }
        let (data, l1) = self.m.apply(&tensor);
        let noise = bounded_noise(
            &p,
            OP,
            pre.and_then(|n| add(n, mul(p.e_bound() as u128, l1)?)),
        )?;
        Ok(Ciphertext {
            params: p,
            key_id: self.m.target_id,
            dim: self.m.out_dim,
            data,
            noise_bound: noise,
            plain_bound: plain,
        })
    }
}

fn same_params(a: &SecretKey, b: &SecretKey, op: &'static str) -> Result<()> {
    if a.params() != b.params() {
        return Err(IntVecError::ParamsMismatch { op });
    }
    Ok(())
}

fn check_input(
    c: &Ciphertext,
    p: &IntVecParams,
    key_id: u64,
    dim: usize,
    op: &'static str,
) -> Result<()> {
    if c.params != *p {
        return Err(IntVecError::ParamsMismatch { op });
    }
    if c.key_id != key_id {
        return Err(IntVecError::KeyMismatch {
            op,
            expected: key_id,
            got: c.key_id,
        });
    }
    check_len(op, dim, c.dim)
}
