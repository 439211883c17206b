//! Parameters of the integer-vector scheme: an unchecked serde literal and the checked
//! [`IntVecParams`] made from it.
//!
//! # The moduli
//!
//! Both the ciphertext modulus `q` and the weight `w` are powers of two, `w = 2^log2_w`,
//! `q = 2^(log2_w + log2_t)`, so `q = t·w` with the plaintext modulus `t = 2^log2_t`.
//! `w | q` is what makes the weighted inner product of section IV.C work modulo `q`: the
//! multiples of `q` that the reduction adds to `S c` are divided by `w` together with the
//! product, and `q/w = t` turns them into multiples of `q` plus a noise term `t·k·e` with a
//! small integer `k` (see `ops.rs`). Plaintexts are therefore integers modulo `t`, decrypted
//! to the centered range `(-t/2, t/2)`.
//!
//! `q ≤ 2^126` keeps every residue and every centered value in `u128` / `i128` with two
//! spare bits; residues are reduced by masking, and sums and products of residues are
//! computed with wrapping `u128` arithmetic, which is exact modulo `2^128` and hence modulo
//! `q` (a power of two dividing `2^128`). The tensor products of the inner product are
//! computed exactly in 256 bits.
//!
//! # Bit decomposition
//!
//! Key switching (equations 4–10) decomposes each centered ciphertext entry `c` into
//! `l = ceil(log2 q / digit_bits)` signed digits of base `2^digit_bits` (`digit_bits = 1` is
//! the paper's bit vector `c*`; `|c| ≤ q/2` fits in `log2 q` bits). The switch matrix adds
//! the noise `E c*`, at most `e_bound · Σ|c*_i|`.
//!
//! # The secret key
//!
//! `S = [I | T]` with `T` an integer `m × t_columns` matrix, entries uniform in
//! `[-t_bound, t_bound]`. `T` must be small: the inner product's noise grows with
//! `‖S‖`, as in Zhou and Wornell's scheme. There is no security level (see
//! [`super::SECURITY_WARNING`]).

use serde::{Deserialize, Serialize};

use super::error::{IntVecError, Result};

/// The parameter literal as written in a spec file. Check it with
/// [`IntVecParamsLiteral::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntVecParamsLiteral {
    /// `w = 2^log2_w`, the weight of the message in `S c = w x + e`.
    pub log2_w: u32,
    /// `t = 2^log2_t`, the plaintext modulus; `q = t·w`.
    pub log2_t: u32,
    /// Bits per digit of the decomposition `c*` (1 = the paper's bit vector).
    pub digit_bits: u32,
    /// Number of columns of `T` (`n - m`; Trask's code uses 1).
    pub t_columns: usize,
    /// `|T_ij| ≤ t_bound`.
    pub t_bound: u64,
    /// `|E_ij| ≤ e_bound` for the noise matrices of key switching and of the secret-key
    /// encryption.
    pub e_bound: u64,
    /// Largest plaintext dimension `m` a key may have.
    pub max_dim: usize,
}

impl IntVecParamsLiteral {
    /// The parameters the sentiment network uses: `t = 2^48`, `w = 2^78` (so `q = 2^126`),
    /// the paper's bit decomposition, Trask's one-column `T` and his bounds of 10 for the
    /// entries of `T` and of the noise.
    ///
    /// `t`: the largest plaintext is the product `z⁵ · z²` of the sigmoid's powers at scale
    /// `1000²`, `10^12 |z|^7`, below `t/2 ≈ 1.4·10^14` while the logit `|z| < 14` (Trask's
    /// network reaches about 7 on the IMDB reviews). `w`: an inner product of 8 slots adds
    /// about `2 t |k| ‖H‖₁ B ≈ 2^55 B` to the operands' noise `B`, which stays below
    /// `w/2 = 2^77` while `B < 2^22`; the weights accumulate about `10` per update.
    pub fn default_network() -> Self {
        Self {
            log2_w: 78,
            log2_t: 48,
            digit_bits: 1,
            t_columns: 1,
            t_bound: 10,
            e_bound: 10,
            max_dim: 16,
        }
    }

    /// Checks every field and derives the moduli.
    pub fn check(&self) -> Result<IntVecParams> {
        fn bad<T: std::fmt::Display>(field: &'static str, value: T, valid: &str) -> IntVecError {
            IntVecError::InvalidParameter {
                field,
                value: value.to_string(),
                valid: valid.to_string(),
            }
        }
        if !(2..=120).contains(&self.log2_w) {
            return Err(bad("log2_w", self.log2_w, "in 2..=120"));
        }
        if !(1..=100).contains(&self.log2_t) {
            return Err(bad("log2_t", self.log2_t, "in 1..=100"));
        }
        let log2_q = self.log2_w + self.log2_t;
        if log2_q > MAX_LOG2_Q {
            return Err(bad(
                "log2_t",
                self.log2_t,
                &format!(
                    "at most {} so that q = 2^(log2_w + log2_t) ≤ 2^{MAX_LOG2_Q}",
                    MAX_LOG2_Q - self.log2_w
                ),
            ));
        }
        if !(1..=16).contains(&self.digit_bits) {
            return Err(bad("digit_bits", self.digit_bits, "in 1..=16"));
        }
        if !(1..=16).contains(&self.t_columns) {
            return Err(bad("t_columns", self.t_columns, "in 1..=16"));
        }
        if !(1..=(1 << 20)).contains(&self.t_bound) {
            return Err(bad("t_bound", self.t_bound, "in 1..=2^20"));
        }
        if !(1..=(1 << 20)).contains(&self.e_bound) {
            return Err(bad("e_bound", self.e_bound, "in 1..=2^20"));
        }
        if !(1..=256).contains(&self.max_dim) {
            return Err(bad("max_dim", self.max_dim, "in 1..=256"));
        }
        let digits = log2_q.div_ceil(self.digit_bits);
        // One key switch of a fresh (noise-free) vector of the largest length must decrypt:
        // e_bound · (max entries) · digits · (2^digit_bits - 1) < w/2.
        let max_len = (self.max_dim + self.t_columns) as u128;
        let worst =
            (self.e_bound as u128) * max_len * digits as u128 * ((1u128 << self.digit_bits) - 1);
        let half_w = 1u128 << (self.log2_w - 1);
        if worst >= half_w {
            return Err(bad(
                "log2_w",
                self.log2_w,
                &format!("large enough that one key switch (noise up to {worst}) stays below w/2"),
            ));
        }
        Ok(IntVecParams {
            log2_w: self.log2_w,
            log2_t: self.log2_t,
            log2_q,
            digit_bits: self.digit_bits,
            digits,
            t_columns: self.t_columns,
            t_bound: self.t_bound,
            e_bound: self.e_bound,
            max_dim: self.max_dim,
        })
    }
}

/// Largest `log2 q`: residues and centered values then fit `u128`/`i128` with room to add.
pub const MAX_LOG2_Q: u32 = 126;

/// Checked parameters. Made only by [`IntVecParamsLiteral::check`] (or deserialised through
/// it), so every instance satisfies the bounds documented on the literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "IntVecParamsLiteral", into = "IntVecParamsLiteral")]
pub struct IntVecParams {
    log2_w: u32,
    log2_t: u32,
    log2_q: u32,
    digit_bits: u32,
    digits: u32,
    t_columns: usize,
    t_bound: u64,
    e_bound: u64,
    max_dim: usize,
}

impl TryFrom<IntVecParamsLiteral> for IntVecParams {
    type Error = IntVecError;
    fn try_from(lit: IntVecParamsLiteral) -> Result<Self> {
        lit.check()
    }
}

impl From<IntVecParams> for IntVecParamsLiteral {
    fn from(p: IntVecParams) -> Self {
        p.literal()
    }
}

impl IntVecParams {
    /// The literal these parameters were checked from.
    pub fn literal(&self) -> IntVecParamsLiteral {
        IntVecParamsLiteral {
            log2_w: self.log2_w,
            log2_t: self.log2_t,
            digit_bits: self.digit_bits,
            t_columns: self.t_columns,
            t_bound: self.t_bound,
            e_bound: self.e_bound,
            max_dim: self.max_dim,
        }
    }
    pub fn log2_w(&self) -> u32 {
        self.log2_w
    }
    pub fn log2_t(&self) -> u32 {
        self.log2_t
    }
    pub fn log2_q(&self) -> u32 {
        self.log2_q
    }
    /// `w = 2^log2_w`.
    pub fn w(&self) -> u128 {
        1u128 << self.log2_w
    }
    /// `t = 2^log2_t`.
    pub fn t(&self) -> u128 {
        1u128 << self.log2_t
    }
    /// `q = 2^log2_q`.
    pub fn q(&self) -> u128 {
        1u128 << self.log2_q
    }
    /// Decryption is exact while the noise stays strictly below this (`w/2`).
    pub fn noise_limit(&self) -> u128 {
        1u128 << (self.log2_w - 1)
    }
    /// Plaintexts must stay strictly below this in magnitude (`t/2`).
    pub fn plain_limit(&self) -> u128 {
        1u128 << (self.log2_t - 1)
    }
    pub fn digit_bits(&self) -> u32 {
        self.digit_bits
    }
    /// `l`, the number of digits per ciphertext entry.
    pub fn digits(&self) -> u32 {
        self.digits
    }
    pub fn t_columns(&self) -> usize {
        self.t_columns
    }
    pub fn t_bound(&self) -> u64 {
        self.t_bound
    }
    pub fn e_bound(&self) -> u64 {
        self.e_bound
    }
    pub fn max_dim(&self) -> usize {
        self.max_dim
    }
    /// `q - 1` as a mask: reducing modulo `q` is `x & mask`.
    pub(crate) fn mask(&self) -> u128 {
        (1u128 << self.log2_q) - 1
    }
    /// Bound on the integer `k` with `S c = w x + e + q k` for a centered ciphertext
    /// (`|c_i| ≤ q/2`): `|k_r| < (‖S_r‖₁ + 1)/2 + 1/2`, and `‖S_r‖₁ ≤ 1 + t_columns·t_bound`.
    pub(crate) fn k_bound(&self) -> u128 {
        (self.t_columns as u128 * self.t_bound as u128 + 2) / 2 + 1
    }
    /// Public bound on `‖S_r‖₁ = 1 + Σ_c |T_rc|`.
    pub(crate) fn s_row_norm(&self) -> u128 {
        1 + self.t_columns as u128 * self.t_bound as u128
    }
}
