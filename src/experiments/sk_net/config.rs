//! Settings of the sentiment network.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use super::error::{Result, SkNetError};
use crate::he::intvec::IntVecParamsLiteral;

/// The network and its training (both modes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetConfig {
    /// Hidden units (Trask: 8).
    pub hidden: usize,
    /// SGD step (the paper: 0.001).
    pub learning_rate: f64,
    /// Seed of the initial `weights_1_2`.
    pub seed: u64,
    /// Record the running accuracy every this many reviews.
    pub sample_every: usize,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            hidden: 8,
            learning_rate: 0.001,
            seed: 1234,
            sample_every: 100,
        }
    }
}

impl NetConfig {
    pub(crate) fn check(&self) -> Result<()> {
        if !(1..=64).contains(&self.hidden) {
            return Err(SkNetError::InvalidConfig {
                field: "hidden",
                value: self.hidden.to_string(),
                valid: "in 1..=64",
            });
        }
        if !(self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && self.learning_rate <= 1.0)
        {
            return Err(SkNetError::InvalidConfig {
                field: "learning_rate",
                value: self.learning_rate.to_string(),
                valid: "in (0, 1]",
            });
        }
        if self.sample_every == 0 {
            return Err(SkNetError::InvalidConfig {
                field: "sample_every",
                value: "0".to_string(),
                valid: "≥ 1",
            });
        }
        Ok(())
    }

    /// Trask's initial weights: `weights_0_1` zero, `weights_1_2` normal with mean 0 and
    /// standard deviation `output_nodes^-0.5 = 1`, drawn from ChaCha20 seeded with `seed`
    /// (numpy's draws under `np.random.seed(1234)` are not reproduced).
    pub fn initial_weights_1_2(&self) -> Vec<f64> {
        let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
        let normal = Normal::new(0.0, 1.0).expect("unit normal");
        (0..self.hidden).map(|_| normal.sample(&mut rng)).collect()
    }
}

/// Which version of the privacy-preserving (PP) network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PpVariant {
    /// What Trask's notebook computes, slips included (see `pp`).
    Trask,
    /// What it means to compute: the output error from the actual prediction and the
    /// sigmoid's Taylor coefficients on the odd powers.
    Corrected,
}

/// The arithmetic of a PP run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PpArithmetic {
    /// Weights encrypted with `intvec`, fixed point at `scale`.
    Encrypted,
    /// The same fixed-point arithmetic and rounding on plaintext integers.
    FixedPoint,
    /// Floating point, no rounding: what Trask's floating-point ciphertexts amount to.
    Float,
}

/// Settings of the PP network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PpConfig {
    pub variant: PpVariant,
    /// Fixed-point scaling factor (the paper: 1000).
    pub scale: i64,
    pub params: IntVecParamsLiteral,
    /// Seed of the key generator; `None` seeds ChaCha20 from the operating system.
    pub key_seed: Option<u64>,
}

impl Default for PpConfig {
    fn default() -> Self {
        Self {
            variant: PpVariant::Trask,
            scale: 1000,
            params: IntVecParamsLiteral::default_network(),
            key_seed: None,
        }
    }
}

impl PpConfig {
    pub(crate) fn check(&self) -> Result<()> {
        if !(1..=1_000_000_000).contains(&self.scale) {
            return Err(SkNetError::InvalidConfig {
                field: "scale",
                value: self.scale.to_string(),
                valid: "in 1..=10^9",
            });
        }
        Ok(())
    }
}
