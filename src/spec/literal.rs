//! The spec as written: plain serde structs, every field as the YAML has it.
//!
//! Unknown fields are errors (`deny_unknown_fields`); nothing here is checked
//! beyond its YAML type. [`super::validate`] turns a literal into a [`super::Spec`].

use serde::Deserialize;

use crate::he::ckks::{CkksParametersLiteral, SecurityLevel};
use crate::he::intvec::IntVecParamsLiteral;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecLiteral {
    /// Unique experiment id, e.g. `mu18-paillier-mnist`.
    pub id: String,
    pub title: String,
    /// Which runner executes the spec, e.g. `mu18-paillier`.
    pub kind: String,
    pub paper: PaperLiteral,
    pub seed: u64,
    /// Absent for experiments on synthetic inputs (e.g. `ckks-ops`).
    #[serde(default)]
    pub dataset: Option<DatasetLiteral>,
    #[serde(default)]
    pub baseline: Option<BaselineLiteral>,
    pub scheme: SchemeLiteral,
    pub profiles: ProfilesLiteral,
    #[serde(default)]
    pub claims: Vec<ClaimLiteral>,
    /// Kind `cs21-lr-train` only: how the logistic regression is trained on
    /// encrypted data (packing, regularisation, the polynomial sigmoid).
    #[serde(default)]
    pub encrypted_training: Option<EncryptedTrainingLiteral>,
    /// Free text shown in the report: protocol decisions, known deviations.
    #[serde(default)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperLiteral {
    /// Paper file name under the papers folder.
    pub file: String,
    /// Table, figure or section reproduced.
    pub section: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetLiteral {
    /// Registry name, e.g. `mnist`.
    pub name: String,
    /// Fraction of rows held out for testing where the data set has no fixed split.
    #[serde(default)]
    pub test_fraction: Option<f64>,
    /// Scale pixel / feature values, e.g. `unit` (divide MNIST by 255).
    #[serde(default)]
    pub scaling: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineLiteral {
    /// `mlp` (tch), or `trask-sentiment` (Trask's IMDB network: layers
    /// [vocabulary, hidden, 1], online SGD; the input width is the vocabulary's).
    pub model: String,
    /// Layer widths including input and output, e.g. `[784, 256, 128, 10]`.
    pub layers: Vec<usize>,
    /// Hidden activation: `identity`, `relu`, `sigmoid`, `square`, `tanh`.
    pub activation: String,
    /// `adam` or `sgd`.
    pub optimizer: String,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
    /// `best_test` keeps the epoch with the best test accuracy (as the paper
    /// did), `last` keeps the final one.
    #[serde(default)]
    pub keep: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeLiteral {
    /// `paillier`, `ckks`, `intvec` or `plaintext`.
    pub engine: String,
    // --- Paillier
    #[serde(default)]
    pub key_bits: Option<u32>,
    /// `standard` (fresh r^n) or `djn` (Damgard-Jurik-Nielsen fixed-base).
    #[serde(default)]
    pub mode: Option<String>,
    /// Fixed-point precision of the plaintext weights: significant bits kept,
    /// or absent for python-paillier's default encoding (53-bit mantissas).
    #[serde(default)]
    pub weight_precision_bits: Option<u32>,
    /// Must be `true` for parameters below the security floor.
    #[serde(default)]
    pub allow_insecure: Option<bool>,
    // --- CKKS (checked by the engine's `CkksParametersLiteral`)
    /// Ring degree N, a power of two in 2^10..=2^16.
    #[serde(default)]
    pub poly_modulus_degree: Option<usize>,
    /// Bit sizes of the primes q_0..q_L, then the special prime P.
    #[serde(default)]
    pub coeff_mod_bit_sizes: Option<Vec<u32>>,
    #[serde(default)]
    pub log2_scale: Option<u32>,
    /// `tc128` (default), `tc192`, `tc256` or `insecure` (with `allow_insecure: true`).
    #[serde(default)]
    pub security: Option<SecurityLevel>,
    // --- integer vectors (checked by the engine's `IntVecParamsLiteral`)
    /// Moduli, decomposition and bounds; absent: the sentiment network's defaults.
    #[serde(default)]
    pub intvec: Option<IntVecParamsLiteral>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedTrainingLiteral {
    /// `columns` (each feature column of all training rows in the slots of
    /// one ciphertext) or `rows` (one ciphertext per training row, as
    /// TenSEAL's tutorial 1).
    pub packing: String,
    /// lambda of the update w -= lr (mean((yhat - y) x) + lambda w).
    pub regularisation: f64,
    /// The polynomial the training runs in place of the sigmoid.
    pub sigmoid: SigmoidLiteral,
    /// Another polynomial to report against the sigmoid (e.g. as a paper
    /// prints it), not used for training.
    #[serde(default)]
    pub printed_sigmoid: Option<SigmoidLiteral>,
}

/// A polynomial approximation of the sigmoid on [-interval, interval].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmoidLiteral {
    /// Coefficients in increasing powers: c_0, c_1, ...
    pub coefficients: Vec<f64>,
    /// Half-width of the interval the polynomial is meant for.
    pub interval: f64,
    /// Where the coefficients come from (a citation).
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilesLiteral {
    pub quick: ProfileLiteral,
    pub full: ProfileLiteral,
}

/// Overrides of the spec for one profile; absent fields keep the spec's values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileLiteral {
    #[serde(default)]
    pub epochs: Option<usize>,
    /// Training rows used (all when absent).
    #[serde(default)]
    pub train_samples: Option<usize>,
    /// Plaintext test rows evaluated (all when absent).
    #[serde(default)]
    pub test_samples: Option<usize>,
    /// Test rows evaluated encrypted.
    #[serde(default)]
    pub encrypted_samples: Option<usize>,
    #[serde(default)]
    pub key_bits: Option<u32>,
    /// Number of seeds to repeat the experiment over.
    #[serde(default)]
    pub seeds: Option<usize>,
    /// Repeats of each timed operation (the median is recorded).
    #[serde(default)]
    pub repeats: Option<usize>,
    /// Data sets this profile runs (registry names, `name:target` for another
    /// target), for specs over several data sets; all of the spec's when absent.
    #[serde(default)]
    pub datasets: Option<Vec<String>>,
    /// Samples (images, training epochs) the peer library (TenSEAL) runs in
    /// the same run, side by side with heml, when a peer Python is available
    /// (`HEML_PEER_PYTHON` or the clone's `.venv`); no peer run when absent.
    #[serde(default)]
    pub peer_samples: Option<usize>,
    /// Images packed into one batch for a throughput measurement (SIMD over
    /// the slots); no throughput run when absent.
    #[serde(default)]
    pub throughput_images: Option<usize>,
    /// CKKS: the parameter sets this profile runs, in place of the scheme's own.
    #[serde(default)]
    pub parameter_sets: Option<Vec<CkksParametersLiteral>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimLiteral {
    /// Claim id from CLAIMS.md, e.g. `MU18-train`.
    pub id: String,
    /// The measured metric this claim is compared with.
    pub metric: String,
    /// The paper's value (reference only; absent for a curve or a formula).
    #[serde(default)]
    pub paper_value: Option<f64>,
    pub unit: String,
    /// Position in a series the paper's value refers to (e.g. its best epoch).
    #[serde(default)]
    pub step: Option<i64>,
    #[serde(default)]
    pub tolerance: Option<ToleranceLiteral>,
    /// Only rows of this scheme measure the claim (e.g. `tenseal` for a
    /// time the paper measured with TenSEAL); any scheme when absent.
    #[serde(default)]
    pub scheme: Option<String>,
    /// Only rows of this stage measure the claim (e.g. one layer of a
    /// per-layer table); any stage when absent.
    #[serde(default)]
    pub stage: Option<String>,
    /// Profiles in which a verdict is given (default: all).
    #[serde(default)]
    pub verdict_in: Option<Vec<String>>,
    pub note: String,
}

/// Exactly one of the four must be given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToleranceLiteral {
    #[serde(default)]
    pub absolute: Option<f64>,
    #[serde(default)]
    pub relative: Option<f64>,
    #[serde(default)]
    pub band: Option<Vec<f64>>,
    /// `[low, high]` quantiles of a distribution over seeds (rows
    /// `<metric>_per_seed`): the paper's value must lie between them.
    #[serde(default)]
    pub quantiles: Option<Vec<f64>>,
}
