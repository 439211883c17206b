//! Circuits on top of CKKS: sums and inner products, plaintext-matrix products
//! with diagonals, baby-step giant-step and hoisting, im2col convolution, and
//! polynomial evaluation, all written once against `CkksBackend` so the real
//! evaluator and the dry-run evaluator (levels and scales only) run the same code.

pub mod conv;
pub mod dry_run;
pub mod linear;
pub mod poly_eval;

use super::encoder::Plaintext;
use super::encryption::Ciphertext;
use super::error::CkksError;
use super::evaluator::{Evaluator, scales_match};
use super::params::CkksParameters;
use std::sync::Arc;
use thiserror::Error;

pub use dry_run::{DryRun, SimCiphertext};
pub use linear::{
    InputLayout, LinearTransform, batched_matrix_vector, inner_product, inner_product_plain,
    sum_slots,
};
pub use poly_eval::{
    Basis, PolyStrategy, Polynomial, evaluate_polynomial, evaluate_polynomial_with,
};

#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CircuitError {
    #[error(transparent)]
    Ckks(#[from] CkksError),
    #[error("circuit needs depth {needed}, the chain has {available} level(s) left")]
    DepthExceeded { needed: usize, available: usize },
    #[error("shape error: {0}")]
    Shape(String),
}

pub type Result<T> = std::result::Result<T, CircuitError>;

/// The operations circuits need, with explicit level and scale semantics: nothing
/// is rescaled or matched behind the caller's back.
pub trait CkksBackend {
    type Ct: Clone;
    /// An encoded plaintext.
    type Pt;
    fn params(&self) -> &Arc<CkksParameters>;
    fn level(&self, ct: &Self::Ct) -> usize;
    fn scale(&self, ct: &Self::Ct) -> f64;
    fn mod_switch_to(&self, ct: &Self::Ct, level: usize) -> Result<Self::Ct>;
    fn rescale(&self, ct: &Self::Ct) -> Result<Self::Ct>;
    /// Tensor product and relinearisation, no rescale; same level required.
    fn mul_relin(&self, a: &Self::Ct, b: &Self::Ct) -> Result<Self::Ct>;
    /// Multiplication by round(c * const_scale); the scale is multiplied by const_scale.
    fn mul_const_at_scale(&self, ct: &Self::Ct, c: f64, const_scale: f64) -> Result<Self::Ct>;
    /// Exact multiplication by an integer, scale unchanged.
    fn mul_integer(&self, ct: &Self::Ct, k: i64) -> Self::Ct;
    /// Slot-wise multiplication by values encoded at `scale`, no rescale.
    fn mul_values_at_scale(&self, ct: &Self::Ct, values: &[f64], scale: f64) -> Result<Self::Ct>;
    /// Encodes real values at `scale` and `level`.
    fn encode_values(&self, values: &[f64], scale: f64, level: usize) -> Result<Self::Pt>;
    /// Slot-wise product with a plaintext at the ciphertext's level, no rescale.
    fn mul_plain(&self, ct: &Self::Ct, pt: &Self::Pt) -> Result<Self::Ct>;
    /// Addition of operands with equal level and scale.
    fn add(&self, a: &Self::Ct, b: &Self::Ct) -> Result<Self::Ct>;
    /// Adds the constant c to every slot (encoded at the ciphertext's scale).
    fn add_const(&self, ct: &Self::Ct, c: f64) -> Result<Self::Ct>;
    fn rotate(&self, ct: &Self::Ct, step: i64) -> Result<Self::Ct>;
    /// Rotations of one ciphertext sharing one decomposition.
    fn rotate_hoisted(&self, ct: &Self::Ct, steps: &[i64]) -> Result<Vec<Self::Ct>>;
}

fn check_same(level_a: usize, scale_a: f64, level_b: usize, scale_b: f64) -> Result<()> {
    if level_a != level_b {
        return Err(CkksError::LevelMismatch {
            expected: level_a,
            found: level_b,
        }
        .into());
    }
    if !scales_match(scale_a, scale_b) {
        return Err(CkksError::ScaleMismatch {
            expected_log2: scale_a.log2(),
            found_log2: scale_b.log2(),
        }
        .into());
    }
    Ok(())
}

impl CkksBackend for Evaluator {
    type Ct = Ciphertext;
    type Pt = Plaintext;

    fn encode_values(&self, values: &[f64], scale: f64, level: usize) -> Result<Plaintext> {
        Ok(self.encoder().encode_real(values, scale, level)?)
    }

    fn mul_plain(&self, ct: &Ciphertext, pt: &Plaintext) -> Result<Ciphertext> {
        if pt.level() != ct.level() {
            return Err(CkksError::LevelMismatch {
                expected: ct.level(),
                found: pt.level(),
            }
            .into());
        }
        Ok(self.mul_plain_no_rescale(ct, pt)?)
    }

    fn params(&self) -> &Arc<CkksParameters> {
        Evaluator::params(self)
    }

    fn level(&self, ct: &Ciphertext) -> usize {
        ct.level()
    }

    fn scale(&self, ct: &Ciphertext) -> f64 {
        ct.scale()
    }

    fn mod_switch_to(&self, ct: &Ciphertext, level: usize) -> Result<Ciphertext> {
        Ok(Evaluator::mod_switch_to(self, ct, level)?)
    }

    fn rescale(&self, ct: &Ciphertext) -> Result<Ciphertext> {
        Ok(Evaluator::rescale(self, ct)?)
    }

    fn mul_relin(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        if a.level() != b.level() {
            return Err(CkksError::LevelMismatch {
                expected: a.level(),
                found: b.level(),
            }
            .into());
        }
        let mut t = self.tensor(a, b)?;
        self.relinearize_assign(&mut t)?;
        Ok(t)
    }

    fn mul_const_at_scale(&self, ct: &Ciphertext, c: f64, const_scale: f64) -> Result<Ciphertext> {
        Ok(self.mul_scalar_at_scale(ct, c, const_scale)?)
    }

    fn mul_integer(&self, ct: &Ciphertext, k: i64) -> Ciphertext {
        Evaluator::mul_integer(self, ct, k)
    }

    fn mul_values_at_scale(
        &self,
        ct: &Ciphertext,
        values: &[f64],
        scale: f64,
    ) -> Result<Ciphertext> {
        let pt = self.encoder().encode_real(values, scale, ct.level())?;
        Ok(self.mul_plain_no_rescale(ct, &pt)?)
    }

    fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        check_same(a.level(), a.scale(), b.level(), b.scale())?;
        Ok(self.add_parts_to(a, b, false))
    }

    fn add_const(&self, ct: &Ciphertext, c: f64) -> Result<Ciphertext> {
        Ok(self.add_scalar(ct, c)?)
    }

    fn rotate(&self, ct: &Ciphertext, step: i64) -> Result<Ciphertext> {
        Ok(Evaluator::rotate(self, ct, step)?)
    }

    fn rotate_hoisted(&self, ct: &Ciphertext, steps: &[i64]) -> Result<Vec<Ciphertext>> {
        Ok(Evaluator::rotate_hoisted(self, ct, steps)?)
    }
}
