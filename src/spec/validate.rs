//! Literal spec -> validated [`Spec`], with errors that name file, line,
//! column, field, what was given and what would be valid.

// A SpecError carries everything a person needs to fix the spec; validation
// runs once per spec, so its size is of no consequence.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::path::{Path, PathBuf};

use super::literal::{
    BaselineLiteral, ClaimLiteral, DatasetLiteral, EncryptedTrainingLiteral, ProfileLiteral,
    SchemeLiteral, SigmoidLiteral, SpecLiteral, ToleranceLiteral,
};
use super::locate::locate;
use crate::he::ckks::{CkksError, CkksParameters, CkksParametersLiteral, SecurityLevel};
use crate::he::intvec::{IntVecError, IntVecParams, IntVecParamsLiteral};
use crate::he::paillier::{EncryptionMode, PaillierParams, PaillierParamsLiteral};
use std::sync::Arc;

/// A spec that could not be read or validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted field path, e.g. `scheme.key_bits`; empty for syntax errors.
    pub field: String,
    /// What the spec gave, as written.
    pub given: String,
    /// What would be valid.
    pub expected: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.given)?;
        } else {
            write!(f, ": field `{}`: {}", self.field, self.given)?;
        }
        if !self.expected.is_empty() {
            write!(f, "; expected {}", self.expected)?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// Which runner executes a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExperimentKind {
    /// Muhammad et al. 2018: MLP on MNIST, collapsed, applied to Paillier-encrypted images.
    Mu18Paillier,
    /// The CKKS operation table (single operations, vector-matrix products,
    /// the degree-3 sigmoid) timed with its precision; no paper claims.
    CkksOps,
    /// Chen & Song: logistic regression on Pima, plaintext and evaluated on
    /// encrypted rows with encrypted weights (CKKS).
    Cs21Lr,
    /// Chen & Song: logistic regression trained on encrypted Pima rows
    /// (CKKS), beside TenSEAL's tutorial run in the same process tree.
    Cs21LrTrain,
    /// CryptoDL Tables 8 and 9: polynomial approximations of the sigmoid
    /// (pure numerics, no data set, no encryption).
    He18Approx,
    /// CryptoDL Table 2, Algorithm 1 and Figure 1: shallow networks on the
    /// UCI data sets with polynomial activations (plaintext, tch).
    He18Uci,
    /// Sayyad & Kulkarni: Trask's IMDB network with weights encrypted by the
    /// integer-vector scheme, against plaintext weights.
    SkImdb,
    /// Chen & Song: an MNIST network (FCNN `mlp` with square activations, or
    /// the tutorial's `tenseal-cnn`) trained with tch and evaluated on
    /// encrypted images (CKKS), beside TenSEAL.
    Cs21Mnist,
}

impl ExperimentKind {
    pub const ALL: &'static [(&'static str, ExperimentKind)] = &[
        ("mu18-paillier", ExperimentKind::Mu18Paillier),
        ("ckks-ops", ExperimentKind::CkksOps),
        ("cs21-lr", ExperimentKind::Cs21Lr),
        ("cs21-lr-train", ExperimentKind::Cs21LrTrain),
        ("he18-approx", ExperimentKind::He18Approx),
        ("he18-uci", ExperimentKind::He18Uci),
        ("sk-imdb", ExperimentKind::SkImdb),
        ("cs21-mnist", ExperimentKind::Cs21Mnist),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimizer {
    Adam,
    Sgd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Identity,
    Relu,
    Sigmoid,
    Tanh,
    Square,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    BestTest,
    Last,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub model: BaselineModel,
    pub layers: Vec<usize>,
    pub activation: Activation,
    pub optimizer: Optimizer,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub epochs: usize,
    pub keep: Keep,
}

/// Which plaintext model a baseline trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineModel {
    /// A tch multilayer perceptron.
    Mlp,
    /// Trask's IMDB sentiment network (pure Rust, online SGD).
    TraskSentiment,
    /// TenSEAL's tutorial CNN (tch): conv 7x7 stride 3 from one channel,
    /// square, dense, square, dense. Layers [side^2, channels * o^2, hidden,
    /// classes] with o = (side - 7) / 3 + 1.
    TensealCnn,
}

/// Kernel side and stride of the `tenseal-cnn` baseline's convolution.
pub const TENSEAL_CNN_KERNEL: usize = 7;
pub const TENSEAL_CNN_STRIDE: usize = 3;

#[derive(Debug, Clone)]
pub enum Scheme {
    Plaintext,
    Paillier {
        params: PaillierParams,
        /// Significant bits of the encoded weights; `None` = python-paillier default.
        weight_precision_bits: Option<u32>,
    },
    Ckks {
        params: Arc<CkksParameters>,
    },
    /// Zhou-Wornell integer vectors: broken, always insecure.
    IntVec {
        params: IntVecParams,
    },
}

impl Scheme {
    pub fn engine(&self) -> &'static str {
        match self {
            Scheme::Plaintext => "plaintext",
            Scheme::Paillier { .. } => "paillier",
            Scheme::Ckks { .. } => "ckks",
            Scheme::IntVec { .. } => "intvec",
        }
    }

    pub fn security(&self) -> String {
        match self {
            Scheme::Plaintext => "n/a".into(),
            Scheme::Paillier { params, .. } => params.security_label(),
            Scheme::Ckks { params } => params.security().to_string(),
            Scheme::IntVec { .. } => "insecure: reproduction only".into(),
        }
    }

    pub fn is_insecure(&self) -> bool {
        match self {
            Scheme::Plaintext => false,
            Scheme::Paillier { params, .. } => params.is_insecure(),
            Scheme::Ckks { params } => params.security() == SecurityLevel::Insecure,
            Scheme::IntVec { .. } => true,
        }
    }
}

/// How encrypted training lays the training rows out in slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    /// Each feature column of all rows in one ciphertext's slots.
    Columns,
    /// One ciphertext per row (TenSEAL's tutorial 1).
    Rows,
}

impl Packing {
    pub fn name(self) -> &'static str {
        match self {
            Packing::Columns => "columns",
            Packing::Rows => "rows",
        }
    }
}

/// A polynomial stand-in for the sigmoid, with its source.
#[derive(Debug, Clone, PartialEq)]
pub struct SigmoidPolynomial {
    /// c_0, c_1, ... (increasing powers).
    pub coefficients: Vec<f64>,
    pub interval: f64,
    pub source: String,
}

/// Kind `cs21-lr-train`: how the LR is trained on encrypted data.
#[derive(Debug, Clone, PartialEq)]
pub struct EncryptedTraining {
    pub packing: Packing,
    pub regularisation: f64,
    pub sigmoid: SigmoidPolynomial,
    pub printed_sigmoid: Option<SigmoidPolynomial>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    Absolute(f64),
    Relative(f64),
    Band(f64, f64),
    /// The paper's value lies between these quantiles of the values measured
    /// over seeds (a distribution against a single published number).
    Quantiles(f64, f64),
}

impl Tolerance {
    /// Whether `measured` agrees with `paper` within this tolerance. A
    /// quantile tolerance needs the distribution: see [`Tolerance::accepts_distribution`].
    pub fn accepts(self, measured: f64, paper: f64) -> bool {
        if !measured.is_finite() {
            return false;
        }
        match self {
            Tolerance::Absolute(a) => (measured - paper).abs() <= a,
            Tolerance::Relative(r) => (measured - paper).abs() <= r * paper.abs(),
            Tolerance::Band(lo, hi) => (lo..=hi).contains(&measured),
            Tolerance::Quantiles(..) => false,
        }
    }

    /// For a quantile tolerance: the interval the paper's value must lie in,
    /// from the values measured over seeds (linear interpolation between
    /// order statistics, as numpy's default). `None` for other kinds or
    /// without finite values.
    pub fn quantile_interval(self, values: &[f64]) -> Option<(f64, f64)> {
        let Tolerance::Quantiles(lo, hi) = self else {
            return None;
        };
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let pos = p * (v.len() - 1) as f64;
            let (i, frac) = (pos.floor() as usize, pos.fract());
            let next = v[(i + 1).min(v.len() - 1)];
            v[i] + frac * (next - v[i])
        };
        Some((q(lo), q(hi)))
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tolerance::Absolute(a) => write!(f, "± {a}"),
            Tolerance::Relative(r) => write!(f, "± {}%", r * 100.0),
            Tolerance::Band(lo, hi) => write!(f, "band [{lo}, {hi}]"),
            Tolerance::Quantiles(lo, hi) => write!(
                f,
                "paper within the {}-{} % quantiles over seeds",
                lo * 100.0,
                hi * 100.0
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub id: String,
    pub metric: String,
    pub paper_value: Option<f64>,
    pub unit: String,
    pub step: Option<i64>,
    pub tolerance: Option<Tolerance>,
    /// Only rows of this scheme measure the claim; any when `None`.
    pub scheme: Option<String>,
    /// Only rows of this stage measure the claim; any when `None`.
    pub stage: Option<String>,
    pub verdict_in: Vec<Profile>,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    Quick,
    Full,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Full => "full",
        }
    }

    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "quick" => Some(Profile::Quick),
            "full" => Some(Profile::Full),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatasetRef {
    pub name: String,
    pub test_fraction: Option<f64>,
    /// Divide raw values by this (e.g. 255 for MNIST pixels) before use.
    pub unit_scale: bool,
}

/// Sizes of one profile, resolved from the spec and its overrides.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The spec's scheme with this profile's overrides applied.
    pub scheme: Scheme,
    /// Data sets this profile runs, when the spec covers several.
    pub datasets: Option<Vec<String>>,
    pub epochs: Option<usize>,
    pub train_samples: Option<usize>,
    pub test_samples: Option<usize>,
    pub encrypted_samples: Option<usize>,
    /// Samples the peer library runs side by side (none when absent).
    pub peer_samples: Option<usize>,
    /// Images in one throughput batch (none when absent).
    pub throughput_images: Option<usize>,
    pub key_bits: Option<u32>,
    pub seeds: usize,
    /// Repeats of each timed operation, when the profile sets them.
    pub repeats: Option<usize>,
    /// The parameter sets this profile runs: the scheme's own unless the
    /// profile lists others (CKKS).
    pub schemes: Vec<Scheme>,
}

/// A validated experiment spec.
#[derive(Debug, Clone)]
pub struct Spec {
    pub path: PathBuf,
    /// sha256 of the spec file's bytes.
    pub sha256: String,
    pub id: String,
    pub title: String,
    pub kind: ExperimentKind,
    pub paper_file: String,
    pub paper_section: String,
    pub seed: u64,
    /// Absent for experiments on synthetic inputs.
    pub dataset: Option<DatasetRef>,
    pub baseline: Option<Baseline>,
    pub scheme: Scheme,
    pub quick: Settings,
    pub full: Settings,
    pub claims: Vec<Claim>,
    /// Kind `cs21-lr-train` only (required there).
    pub encrypted_training: Option<EncryptedTraining>,
    pub notes: Option<String>,
}

impl Spec {
    pub fn settings(&self, profile: Profile) -> &Settings {
        match profile {
            Profile::Quick => &self.quick,
            Profile::Full => &self.full,
        }
    }

    /// The scheme with the profile's overrides (key size) applied.
    pub fn scheme_for(&self, profile: Profile) -> &Scheme {
        &self.settings(profile).scheme
    }

    pub fn paper(&self) -> String {
        format!("{}, {}", self.paper_file, self.paper_section)
    }
}

/// Reads and validates the spec at `path`.
pub fn load_spec(path: &Path) -> Result<Spec, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecError {
        file: path.to_path_buf(),
        line: None,
        column: None,
        field: String::new(),
        given: format!("cannot read the file: {e}"),
        expected: "a readable YAML file".into(),
    })?;
    parse_spec(path, &text)
}

/// Parses and validates spec text; `path` is used in errors only.
pub fn parse_spec(path: &Path, text: &str) -> Result<Spec, SpecError> {
    let literal: SpecLiteral = serde_yaml_ng::from_str(text).map_err(|e| {
        let loc = e.location();
        let msg = e.to_string();
        // serde_yaml_ng prefixes the message with the field path ("a.b: ...").
        let (field, given) = match msg.split_once(": ") {
            Some((p, rest)) if !p.contains(' ') => (p.to_string(), rest.to_string()),
            _ => (String::new(), msg.clone()),
        };
        let given = strip_location(&given);
        SpecError {
            file: path.to_path_buf(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            field,
            given,
            expected: "a spec as documented in README.md (section 'Adding an experiment')".into(),
        }
    })?;
    let v = Validator { path, text };
    v.spec(literal, sha256_hex(text.as_bytes()))
}

fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Validator<'_> {
    fn err(&self, field: &str, given: impl fmt::Display, expected: impl Into<String>) -> SpecError {
        let (line, column) = match locate(self.text, field) {
            Some((l, c)) => (Some(l), Some(c)),
            None => (None, None),
        };
        SpecError {
            file: self.path.to_path_buf(),
            line,
            column,
            field: field.to_string(),
            given: format!("given {given}"),
            expected: expected.into(),
        }
    }

    fn spec(&self, lit: SpecLiteral, sha256: String) -> Result<Spec, SpecError> {
        if lit.id.is_empty()
            || !lit
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(self.err(
                "id",
                format!("{:?}", lit.id),
                "a non-empty id of lowercase letters, digits and '-'",
            ));
        }
        let kind = ExperimentKind::ALL
            .iter()
            .find(|(n, _)| *n == lit.kind)
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                let names: Vec<_> = ExperimentKind::ALL.iter().map(|(n, _)| *n).collect();
                self.err(
                    "kind",
                    format!("{:?}", lit.kind),
                    format!("one of {}", names.join(", ")),
                )
            })?;
        if lit.paper.file.is_empty() {
            return Err(self.err("paper.file", "an empty name", "the paper's file name"));
        }
        let dataset = lit.dataset.as_ref().map(|d| self.dataset(d)).transpose()?;
        let baseline = lit
            .baseline
            .as_ref()
            .map(|b| self.baseline(b))
            .transpose()?;
        let scheme = self.scheme(&lit.scheme)?;
        match kind {
            ExperimentKind::Mu18Paillier if dataset.is_none() => {
                return Err(self.err(
                    "dataset",
                    "no data set",
                    "a `dataset` section (kind mu18-paillier reads MNIST)",
                ));
            }
            ExperimentKind::Cs21Lr
                if !matches!(scheme, Scheme::Ckks { .. }) || baseline.is_none() =>
            {
                return Err(self.err(
                    "scheme.engine",
                    format!("{:?}", scheme.engine()),
                    "`ckks` and a `baseline` section (kind cs21-lr trains the LR with tch and evaluates it under CKKS)",
                ));
            }
            ExperimentKind::Cs21Mnist
                if !matches!(scheme, Scheme::Ckks { .. })
                    || dataset.is_none()
                    || !baseline.as_ref().is_some_and(|b| {
                        b.model == BaselineModel::TensealCnn
                            || (b.model == BaselineModel::Mlp && b.activation == Activation::Square)
                    }) =>
            {
                return Err(self.err(
                    "scheme.engine",
                    format!("{:?}", scheme.engine()),
                    "`ckks`, a `dataset` and a `baseline` that is `tenseal-cnn` or an `mlp` with `square` activations (kind cs21-mnist evaluates the trained network on encrypted images)",
                ));
            }
            ExperimentKind::Cs21LrTrain
                if !matches!(scheme, Scheme::Ckks { .. }) || baseline.is_none() =>
            {
                return Err(self.err(
                    "scheme.engine",
                    format!("{:?}", scheme.engine()),
                    "`ckks` and a `baseline` section (kind cs21-lr-train trains the LR on encrypted rows; the baseline gives its learning rate and epochs)",
                ));
            }
            ExperimentKind::CkksOps if !matches!(scheme, Scheme::Ckks { .. }) => {
                return Err(self.err(
                    "scheme.engine",
                    format!("{:?}", scheme.engine()),
                    "`ckks` (kind ckks-ops times the CKKS engine)",
                ));
            }
            ExperimentKind::SkImdb if !matches!(scheme, Scheme::IntVec { .. }) => {
                return Err(self.err(
                    "scheme.engine",
                    format!("{:?}", scheme.engine()),
                    "`intvec` (kind sk-imdb encrypts the weights with the integer-vector scheme)",
                ));
            }
            ExperimentKind::SkImdb
                if baseline.as_ref().map(|b| b.model) != Some(BaselineModel::TraskSentiment) =>
            {
                return Err(self.err(
                    "baseline.model",
                    "another model or none",
                    "a `baseline` with model `trask-sentiment` (kind sk-imdb trains Trask's network)",
                ));
            }
            ExperimentKind::He18Approx | ExperimentKind::He18Uci
                if !matches!(scheme, Scheme::Plaintext) =>
            {
                return Err(self.err(
                    "scheme.engine",
                    format!("{:?}", scheme.engine()),
                    "`plaintext` (nothing is encrypted in kinds he18-approx and he18-uci)",
                ));
            }
            _ => {}
        }
        let encrypted_training = match (kind, &lit.encrypted_training) {
            (ExperimentKind::Cs21LrTrain, Some(t)) => Some(self.encrypted_training(t)?),
            (ExperimentKind::Cs21LrTrain, None) => {
                return Err(self.err(
                    "encrypted_training",
                    "no `encrypted_training` section",
                    "a section with packing (columns or rows), regularisation and sigmoid (kind cs21-lr-train)",
                ));
            }
            (_, Some(_)) => {
                return Err(self.err(
                    "encrypted_training",
                    "an `encrypted_training` section",
                    format!(
                        "none: kind {} does not train on encrypted data",
                        kind.name()
                    ),
                ));
            }
            (_, None) => None,
        };
        // Kinds that build their own networks take `epochs` without a baseline.
        let own_networks = kind == ExperimentKind::He18Uci;
        let quick = self.profile(
            "quick",
            &lit.profiles.quick,
            baseline.as_ref(),
            own_networks,
        )?;
        let full = self.profile("full", &lit.profiles.full, baseline.as_ref(), own_networks)?;
        let mut quick = quick;
        let mut full = full;
        for (name, settings) in [("quick", &mut quick), ("full", &mut full)] {
            settings.scheme = match (&scheme, settings.key_bits) {
                (
                    Scheme::Paillier {
                        weight_precision_bits,
                        ..
                    },
                    Some(bits),
                ) => Scheme::Paillier {
                    params: self.paillier_params(
                        &lit.scheme,
                        bits,
                        &format!("profiles.{name}.key_bits"),
                    )?,
                    weight_precision_bits: *weight_precision_bits,
                },
                (_, Some(_)) => {
                    return Err(self.err(
                        &format!("profiles.{name}.key_bits"),
                        "a key size",
                        "no key size: the engine has none",
                    ));
                }
                (s, None) => s.clone(),
            };
            let sets = match name {
                "quick" => &lit.profiles.quick.parameter_sets,
                _ => &lit.profiles.full.parameter_sets,
            };
            settings.schemes = match (sets, &scheme) {
                (None, _) => vec![settings.scheme.clone()],
                (Some(sets), Scheme::Ckks { .. }) => {
                    if sets.is_empty() {
                        return Err(self.err(
                            &format!("profiles.{name}.parameter_sets"),
                            "an empty list",
                            "at least one parameter set, or leave it out",
                        ));
                    }
                    sets.iter()
                        .enumerate()
                        .map(|(i, p)| {
                            let field = format!("profiles.{name}.parameter_sets[{i}]");
                            self.ckks_params(p, lit.scheme.allow_insecure, &field)
                                .map(|params| Scheme::Ckks { params })
                        })
                        .collect::<Result<_, _>>()?
                }
                (Some(_), s) => {
                    return Err(self.err(
                        &format!("profiles.{name}.parameter_sets"),
                        "parameter sets",
                        format!("none: engine `{}` has no parameter sets", s.engine()),
                    ));
                }
            };
        }
        let mut claims = Vec::new();
        for (i, c) in lit.claims.iter().enumerate() {
            claims.push(self.claim(i, c)?);
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in claims.iter().enumerate() {
            if !seen.insert((
                c.id.clone(),
                c.metric.clone(),
                c.step,
                c.stage.clone(),
                c.scheme.clone(),
            )) {
                return Err(self.err(
                    &format!("claims[{i}].id"),
                    format!("{:?} a second time for metric {:?}", c.id, c.metric),
                    "each (claim, metric, step, stage, scheme) once",
                ));
            }
        }
        Ok(Spec {
            path: self.path.to_path_buf(),
            sha256,
            id: lit.id,
            title: lit.title,
            kind,
            paper_file: lit.paper.file,
            paper_section: lit.paper.section,
            seed: lit.seed,
            dataset,
            baseline,
            scheme,
            quick,
            full,
            claims,
            encrypted_training,
            notes: lit.notes,
        })
    }

    fn encrypted_training(
        &self,
        t: &EncryptedTrainingLiteral,
    ) -> Result<EncryptedTraining, SpecError> {
        let packing = match t.packing.as_str() {
            "columns" => Packing::Columns,
            "rows" => Packing::Rows,
            other => {
                return Err(self.err(
                    "encrypted_training.packing",
                    format!("{other:?}"),
                    "`columns` (feature columns in slots) or `rows` (one ciphertext per row)",
                ));
            }
        };
        if !(t.regularisation >= 0.0 && t.regularisation.is_finite()) {
            return Err(self.err(
                "encrypted_training.regularisation",
                t.regularisation,
                "a non-negative number",
            ));
        }
        let sigmoid = self.sigmoid("encrypted_training.sigmoid", &t.sigmoid)?;
        let printed_sigmoid = t
            .printed_sigmoid
            .as_ref()
            .map(|p| self.sigmoid("encrypted_training.printed_sigmoid", p))
            .transpose()?;
        Ok(EncryptedTraining {
            packing,
            regularisation: t.regularisation,
            sigmoid,
            printed_sigmoid,
        })
    }

    fn sigmoid(&self, field: &str, s: &SigmoidLiteral) -> Result<SigmoidPolynomial, SpecError> {
        let degree = s.coefficients.iter().rposition(|&c| c != 0.0).unwrap_or(0);
        if degree == 0 || s.coefficients.iter().any(|c| !c.is_finite()) {
            return Err(self.err(
                &format!("{field}.coefficients"),
                format!("{:?}", s.coefficients),
                "finite coefficients in increasing powers, degree 1 or more",
            ));
        }
        if !(s.interval > 0.0 && s.interval.is_finite()) {
            return Err(self.err(
                &format!("{field}.interval"),
                s.interval,
                "a positive half-width",
            ));
        }
        if s.source.trim().is_empty() {
            return Err(self.err(
                &format!("{field}.source"),
                "an empty source",
                "where the coefficients come from (a citation)",
            ));
        }
        Ok(SigmoidPolynomial {
            coefficients: s.coefficients[..=degree].to_vec(),
            interval: s.interval,
            source: s.source.clone(),
        })
    }

    fn dataset(&self, d: &DatasetLiteral) -> Result<DatasetRef, SpecError> {
        if d.name.is_empty() {
            return Err(self.err(
                "dataset.name",
                "an empty name",
                "a name from datasets/registry.yaml",
            ));
        }
        if let Some(f) = d.test_fraction
            && !(f > 0.0 && f < 1.0)
        {
            return Err(self.err("dataset.test_fraction", f, "a fraction in (0, 1)"));
        }
        let unit_scale = match d.scaling.as_deref() {
            None | Some("none") => false,
            Some("unit") => true,
            Some(other) => {
                return Err(self.err("dataset.scaling", format!("{other:?}"), "`unit` or `none`"));
            }
        };
        Ok(DatasetRef {
            name: d.name.clone(),
            test_fraction: d.test_fraction,
            unit_scale,
        })
    }

    fn baseline(&self, b: &BaselineLiteral) -> Result<Baseline, SpecError> {
        let model = match b.model.as_str() {
            "mlp" => BaselineModel::Mlp,
            "trask-sentiment" => BaselineModel::TraskSentiment,
            "tenseal-cnn" => BaselineModel::TensealCnn,
            other => {
                return Err(self.err(
                    "baseline.model",
                    format!("{other:?}"),
                    "`mlp`, `trask-sentiment` or `tenseal-cnn`",
                ));
            }
        };
        if model == BaselineModel::TensealCnn {
            let side = (b.layers.first().copied().unwrap_or(0) as f64).sqrt() as usize;
            let o = side.saturating_sub(TENSEAL_CNN_KERNEL) / TENSEAL_CNN_STRIDE + 1;
            let fits = b.layers.len() == 4
                && side >= TENSEAL_CNN_KERNEL
                && side * side == b.layers[0]
                && b.layers[1] > 0
                && b.layers[1].is_multiple_of(o * o)
                && b.layers[2] > 0
                && b.layers[3] > 0;
            if !fits {
                return Err(self.err(
                    "baseline.layers",
                    format!("{:?}", b.layers),
                    "[side^2, channels * o^2, hidden, classes] with o = (side - 7) / 3 + 1, e.g. [784, 256, 64, 10]",
                ));
            }
            if b.activation != "square" {
                return Err(self.err(
                    "baseline.activation",
                    format!("{:?}", b.activation),
                    "`square` (the tutorial CNN's activation)",
                ));
            }
        }
        if model == BaselineModel::TraskSentiment
            && (b.layers.len() != 3 || b.layers[0] != 0 || b.layers[1] == 0 || b.layers[2] != 1)
        {
            return Err(self.err(
                "baseline.layers",
                format!("{:?}", b.layers),
                "[0, hidden, 1]: the input width is the vocabulary's (0), one output",
            ));
        }
        if model == BaselineModel::Mlp && (b.layers.len() < 2 || b.layers.contains(&0)) {
            return Err(self.err(
                "baseline.layers",
                format!("{:?}", b.layers),
                "at least two positive widths, input first and output last",
            ));
        }
        let activation = match b.activation.as_str() {
            "identity" => Activation::Identity,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "square" => Activation::Square,
            other => {
                return Err(self.err(
                    "baseline.activation",
                    format!("{other:?}"),
                    "one of identity, relu, sigmoid, tanh, square",
                ));
            }
        };
        let optimizer = match b.optimizer.as_str() {
            "adam" => Optimizer::Adam,
            "sgd" => Optimizer::Sgd,
            other => {
                return Err(self.err(
                    "baseline.optimizer",
                    format!("{other:?}"),
                    "`adam` or `sgd`",
                ));
            }
        };
        if !(b.learning_rate > 0.0 && b.learning_rate.is_finite()) {
            return Err(self.err(
                "baseline.learning_rate",
                b.learning_rate,
                "a positive number",
            ));
        }
        if b.batch_size == 0 {
            return Err(self.err("baseline.batch_size", 0, "a positive batch size"));
        }
        if b.epochs == 0 {
            return Err(self.err("baseline.epochs", 0, "at least 1 epoch"));
        }
        let keep = match b.keep.as_deref() {
            None | Some("best_test") => Keep::BestTest,
            Some("last") => Keep::Last,
            Some(other) => {
                return Err(self.err(
                    "baseline.keep",
                    format!("{other:?}"),
                    "`best_test` or `last`",
                ));
            }
        };
        Ok(Baseline {
            model,
            layers: b.layers.clone(),
            activation,
            optimizer,
            learning_rate: b.learning_rate,
            batch_size: b.batch_size,
            epochs: b.epochs,
            keep,
        })
    }

    fn paillier_params(
        &self,
        s: &SchemeLiteral,
        key_bits: u32,
        field: &str,
    ) -> Result<PaillierParams, SpecError> {
        let mode = match s.mode.as_deref() {
            None | Some("djn") => EncryptionMode::Djn,
            Some("standard") => EncryptionMode::Standard,
            Some(other) => {
                return Err(self.err("scheme.mode", format!("{other:?}"), "`standard` or `djn`"));
            }
        };
        let lit = PaillierParamsLiteral {
            key_bits,
            mode,
            allow_insecure: s.allow_insecure.unwrap_or(false),
        };
        PaillierParams::from_literal(&lit).map_err(|e| self.err(field, key_bits, e.to_string()))
    }

    /// The Paillier-only fields must be absent for other engines.
    fn no_paillier_fields(&self, s: &SchemeLiteral, engine: &str) -> Result<(), SpecError> {
        for (set, name) in [
            (s.key_bits.is_some(), "key_bits"),
            (s.mode.is_some(), "mode"),
            (s.weight_precision_bits.is_some(), "weight_precision_bits"),
        ] {
            if set {
                return Err(self.err(
                    &format!("scheme.{name}"),
                    "a value",
                    format!("no such field for engine `{engine}`"),
                ));
            }
        }
        Ok(())
    }

    fn scheme(&self, s: &SchemeLiteral) -> Result<Scheme, SpecError> {
        match s.engine.as_str() {
            "plaintext" => {
                self.no_paillier_fields(s, "plaintext")?;
                Ok(Scheme::Plaintext)
            }
            "paillier" => {
                let bits = s.key_bits.unwrap_or(3072);
                let params = self.paillier_params(s, bits, "scheme.key_bits")?;
                if let Some(p) = s.weight_precision_bits
                    && !(8..=53).contains(&p)
                {
                    return Err(self.err(
                        "scheme.weight_precision_bits",
                        p,
                        "8 to 53 significant bits, or leave it out for python-paillier's default",
                    ));
                }
                Ok(Scheme::Paillier {
                    params,
                    weight_precision_bits: s.weight_precision_bits,
                })
            }
            "ckks" => {
                self.no_paillier_fields(s, "ckks")?;
                let missing = |f: &str| {
                    self.err(
                        &format!("scheme.{f}"),
                        "nothing",
                        "a value for engine `ckks`",
                    )
                };
                let lit = CkksParametersLiteral {
                    poly_modulus_degree: s
                        .poly_modulus_degree
                        .ok_or_else(|| missing("poly_modulus_degree"))?,
                    coeff_mod_bit_sizes: s
                        .coeff_mod_bit_sizes
                        .clone()
                        .ok_or_else(|| missing("coeff_mod_bit_sizes"))?,
                    log2_scale: s.log2_scale.ok_or_else(|| missing("log2_scale"))?,
                    security: s.security.unwrap_or_default(),
                };
                let params = self.ckks_params(&lit, s.allow_insecure, "scheme")?;
                Ok(Scheme::Ckks { params })
            }
            "intvec" => {
                self.no_paillier_fields(s, "intvec")?;
                if s.allow_insecure != Some(true) {
                    return Err(self.err(
                        "scheme.allow_insecure",
                        format!("{:?}", s.allow_insecure),
                        "`true`: the integer-vector scheme is broken (its key is recovered from the public key); it runs only as a labelled reproduction",
                    ));
                }
                let lit = s
                    .intvec
                    .clone()
                    .unwrap_or_else(IntVecParamsLiteral::default_network);
                let params = lit.check().map_err(|e| {
                    let field = match &e {
                        IntVecError::InvalidParameter { field, .. } => {
                            format!("scheme.intvec.{field}")
                        }
                        _ => "scheme.intvec".to_string(),
                    };
                    self.err(&field, format!("{lit:?}"), e.to_string())
                })?;
                Ok(Scheme::IntVec { params })
            }
            other => Err(self.err(
                "scheme.engine",
                format!("{other:?}"),
                "one of plaintext, paillier, ckks, intvec",
            )),
        }
    }

    /// The engine's validation, its error placed on the field it concerns
    /// (`prefix` is `scheme` or a profile's parameter set).
    fn ckks_params(
        &self,
        lit: &CkksParametersLiteral,
        allow_insecure: Option<bool>,
        prefix: &str,
    ) -> Result<Arc<CkksParameters>, SpecError> {
        if lit.security == SecurityLevel::Insecure && allow_insecure != Some(true) {
            return Err(self.err(
                &format!("{prefix}.security"),
                "`insecure`",
                "`allow_insecure: true` in the scheme as well, or a security level (tc128, tc192, tc256)",
            ));
        }
        lit.validate().map_err(|e| {
            let (field, given) = match &e {
                CkksError::InvalidDegree { n } => ("poly_modulus_degree", n.to_string()),
                CkksError::InvalidBitSize { index, bits, .. } => {
                    return self.err(
                        &format!("{prefix}.coeff_mod_bit_sizes[{index}]"),
                        bits,
                        e.to_string(),
                    );
                }
                CkksError::TooFewPrimes { .. }
                | CkksError::NotEnoughPrimes { .. }
                | CkksError::Insecure { .. } => (
                    "coeff_mod_bit_sizes",
                    format!("{:?}", lit.coeff_mod_bit_sizes),
                ),
                CkksError::InvalidScale { log2_scale, .. } => {
                    ("log2_scale", log2_scale.to_string())
                }
                _ => ("", format!("{lit:?}")),
            };
            let field = if field.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}.{field}")
            };
            self.err(&field, given, e.to_string())
        })
    }

    fn profile(
        &self,
        name: &str,
        p: &ProfileLiteral,
        baseline: Option<&Baseline>,
        own_networks: bool,
    ) -> Result<Settings, SpecError> {
        let field = |f: &str| format!("profiles.{name}.{f}");
        for (v, f) in [
            (p.epochs, "epochs"),
            (p.train_samples, "train_samples"),
            (p.test_samples, "test_samples"),
            (p.encrypted_samples, "encrypted_samples"),
            (p.peer_samples, "peer_samples"),
            (p.throughput_images, "throughput_images"),
            (p.seeds, "seeds"),
            (p.repeats, "repeats"),
        ] {
            if v == Some(0) {
                return Err(self.err(&field(f), 0, "a positive number, or leave it out"));
            }
        }
        if p.epochs.is_some() && baseline.is_none() && !own_networks {
            return Err(self.err(
                &field("epochs"),
                "epochs",
                "a `baseline` section to apply them to",
            ));
        }
        if let Some(list) = &p.datasets
            && (list.is_empty() || list.iter().any(|d| d.trim().is_empty()))
        {
            return Err(self.err(
                &field("datasets"),
                format!("{list:?}"),
                "a non-empty list of registry names (see `heml datasets list`)",
            ));
        }
        Ok(Settings {
            scheme: Scheme::Plaintext,
            datasets: p.datasets.clone(),
            epochs: p.epochs.or(baseline.map(|b| b.epochs)),
            train_samples: p.train_samples,
            test_samples: p.test_samples,
            encrypted_samples: p.encrypted_samples,
            peer_samples: p.peer_samples,
            throughput_images: p.throughput_images,
            key_bits: p.key_bits,
            seeds: p.seeds.unwrap_or(1),
            repeats: p.repeats,
            schemes: Vec::new(),
        })
    }

    fn claim(&self, i: usize, c: &ClaimLiteral) -> Result<Claim, SpecError> {
        let at = |f: &str| format!("claims[{i}].{f}");
        let valid_id = c.id.split('-').count() >= 2
            && ["CS21-", "MU18-", "HE18-", "SK-"]
                .iter()
                .any(|p| c.id.starts_with(p));
        if !valid_id {
            return Err(self.err(
                &at("id"),
                format!("{:?}", c.id),
                "a claim id from CLAIMS.md (CS21-*, MU18-*, HE18-*, SK-*)",
            ));
        }
        if c.metric.is_empty() {
            return Err(self.err(
                &at("metric"),
                "an empty name",
                "the metric the claim is compared with",
            ));
        }
        let tolerance = c
            .tolerance
            .as_ref()
            .map(|t| self.tolerance(&at("tolerance"), t))
            .transpose()?;
        if tolerance.is_some() && c.paper_value.is_none() {
            return Err(self.err(
                &at("tolerance"),
                "a tolerance without a paper_value",
                "a `paper_value` to compare with, or no tolerance",
            ));
        }
        let verdict_in = match &c.verdict_in {
            None => vec![Profile::Quick, Profile::Full],
            Some(list) => {
                let mut out = Vec::new();
                for p in list {
                    out.push(Profile::parse(p).ok_or_else(|| {
                        self.err(
                            &at("verdict_in"),
                            format!("{p:?}"),
                            "a list of `quick` and/or `full`",
                        )
                    })?);
                }
                out
            }
        };
        Ok(Claim {
            id: c.id.clone(),
            metric: c.metric.clone(),
            paper_value: c.paper_value,
            unit: c.unit.clone(),
            step: c.step,
            tolerance,
            scheme: c.scheme.clone(),
            stage: c.stage.clone(),
            verdict_in,
            note: c.note.clone(),
        })
    }

    fn tolerance(&self, field: &str, t: &ToleranceLiteral) -> Result<Tolerance, SpecError> {
        let given = [
            t.absolute.is_some(),
            t.relative.is_some(),
            t.band.is_some(),
            t.quantiles.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if given != 1 {
            return Err(self.err(
                field,
                format!("{given} kinds of tolerance"),
                "exactly one of `absolute`, `relative`, `band: [low, high]` or `quantiles: [low, high]`",
            ));
        }
        if let Some(a) = t.absolute {
            if !(a >= 0.0 && a.is_finite()) {
                return Err(self.err(&format!("{field}.absolute"), a, "a non-negative number"));
            }
            return Ok(Tolerance::Absolute(a));
        }
        if let Some(r) = t.relative {
            if !(r >= 0.0 && r.is_finite()) {
                return Err(self.err(&format!("{field}.relative"), r, "a non-negative fraction"));
            }
            return Ok(Tolerance::Relative(r));
        }
        if let Some(q) = &t.quantiles {
            return match q.as_slice() {
                [lo, hi] if (0.0..=1.0).contains(lo) && (0.0..=1.0).contains(hi) && lo < hi => {
                    Ok(Tolerance::Quantiles(*lo, *hi))
                }
                _ => Err(self.err(
                    &format!("{field}.quantiles"),
                    format!("{q:?}"),
                    "two fractions [low, high] with 0 <= low < high <= 1, e.g. [0.05, 0.95]",
                )),
            };
        }
        let band = t.band.as_ref().expect("one tolerance kind is set");
        match band.as_slice() {
            [lo, hi] if lo <= hi && lo.is_finite() && hi.is_finite() => {
                Ok(Tolerance::Band(*lo, *hi))
            }
            _ => Err(self.err(
                &format!("{field}.band"),
                format!("{band:?}"),
                "two finite numbers [low, high] with low <= high",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = include_str!("../../experiments/mu18-paillier-mnist.yaml");

    fn parse(text: &str) -> Result<Spec, SpecError> {
        parse_spec(Path::new("experiments/x.yaml"), text)
    }

    #[test]
    fn the_committed_spec_validates() {
        let spec = parse(GOOD).unwrap();
        assert_eq!(spec.kind, ExperimentKind::Mu18Paillier);
        assert_eq!(spec.settings(Profile::Quick).epochs, Some(3));
        assert_eq!(spec.settings(Profile::Full).epochs, Some(150));
        assert!(matches!(spec.scheme, Scheme::Paillier { .. }));
        assert_eq!(spec.scheme.security(), "112-bit");
    }

    #[test]
    fn an_unknown_field_names_file_line_column_and_the_valid_fields() {
        let text = GOOD.replace("  key_bits: 2048", "  key_bts: 2048");
        let e = parse(&text).unwrap_err();
        let line = text.lines().position(|l| l.contains("key_bts")).unwrap() + 1;
        assert_eq!(e.line, Some(line), "{e}");
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("experiments/x.yaml:{line}:")),
            "{msg}"
        );
        assert!(msg.contains("key_bts") && msg.contains("key_bits"), "{msg}");
    }

    #[test]
    fn a_wrong_type_is_located() {
        let text = GOOD.replace("seed: 2018", "seed: soon");
        let e = parse(&text).unwrap_err();
        assert_eq!(
            e.line,
            Some(text.lines().position(|l| l.starts_with("seed:")).unwrap() + 1),
            "{e}"
        );
    }

    #[test]
    fn an_invalid_value_names_the_field_what_was_given_and_what_is_valid() {
        let text = GOOD.replace("optimizer: adam", "optimizer: adagrad");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "baseline.optimizer");
        assert_eq!(
            e.line,
            Some(text.lines().position(|l| l.contains("adagrad")).unwrap() + 1)
        );
        let msg = e.to_string();
        assert!(
            msg.contains("\"adagrad\"") && msg.contains("`adam` or `sgd`"),
            "{msg}"
        );
    }

    #[test]
    fn insecure_key_sizes_are_refused_unless_opted_in() {
        let text = GOOD.replace("key_bits: 2048", "key_bits: 1024");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "scheme.key_bits");
        assert!(e.to_string().contains("2048"), "{e}");
        let opted = text.replace("  mode: djn", "  mode: djn\n  allow_insecure: true");
        let spec = parse(&opted).unwrap();
        assert!(spec.scheme.is_insecure());
        assert!(
            spec.scheme.security().starts_with("insecure"),
            "{}",
            spec.scheme.security()
        );
    }

    #[test]
    fn a_profile_key_size_is_checked_too() {
        let text = GOOD.replace(
            "    encrypted_samples: 100",
            "    encrypted_samples: 100\n    key_bits: 512",
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "profiles.quick.key_bits", "{e}");
    }

    #[test]
    fn tolerances_need_exactly_one_kind() {
        let text = GOOD.replace(
            "tolerance: {absolute: 0}",
            "tolerance: {absolute: 0, relative: 0.1}",
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "claims[2].tolerance", "{e}");
        assert!(e.line.is_some());
        let text = GOOD.replace(
            "band: [92.0, 93.2]}\n    verdict_in: [full]\n    note: \"Best",
            "band: [93.2, 92.0]}\n    verdict_in: [full]\n    note: \"Best",
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "claims[0].tolerance.band", "{e}");
    }

    #[test]
    fn tolerance_arithmetic() {
        assert!(Tolerance::Absolute(0.0).accepts(0.0, 0.0));
        assert!(!Tolerance::Absolute(0.0).accepts(1.0, 0.0));
        assert!(Tolerance::Relative(0.1).accepts(105.0, 100.0));
        assert!(!Tolerance::Relative(0.1).accepts(111.0, 100.0));
        assert!(Tolerance::Band(92.0, 93.2).accepts(92.0, 92.5));
        assert!(!Tolerance::Band(92.0, 93.2).accepts(f64::NAN, 92.5));
    }

    #[test]
    fn unknown_kinds_and_claims_list_what_is_valid() {
        let e = parse(&GOOD.replace("kind: mu18-paillier", "kind: mu19")).unwrap_err();
        assert!(e.to_string().contains("mu18-paillier"), "{e}");
        let e = parse(&GOOD.replace("id: MU18-collapse", "id: collapse")).unwrap_err();
        assert_eq!(e.field, "claims[2].id");
    }

    const CKKS_OPS: &str = include_str!("../../experiments/ckks-ops.yaml");

    #[test]
    fn the_ckks_ops_spec_validates_with_one_set_quick_and_two_full() {
        let spec = parse(CKKS_OPS).unwrap();
        assert_eq!(spec.kind, ExperimentKind::CkksOps);
        assert!(spec.dataset.is_none());
        assert_eq!(spec.scheme.security(), "128-bit classical");
        let quick = spec.settings(Profile::Quick);
        assert_eq!(quick.schemes.len(), 1);
        assert_eq!(quick.repeats, Some(15));
        let full = spec.settings(Profile::Full);
        let degrees: Vec<usize> = full
            .schemes
            .iter()
            .map(|s| match s {
                Scheme::Ckks { params } => params.degree(),
                _ => 0,
            })
            .collect();
        assert_eq!(degrees, vec![8192, 16384]);
    }

    #[test]
    fn ckks_errors_come_from_the_engine_and_are_located() {
        let text = CKKS_OPS.replace(
            "  coeff_mod_bit_sizes: [60, 40, 40, 60]",
            "  coeff_mod_bit_sizes: [60, 40, 40, 40, 40, 60]",
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "scheme.coeff_mod_bit_sizes", "{e}");
        let line = text
            .lines()
            .position(|l| l.starts_with("  coeff_mod_bit_sizes"))
            .unwrap()
            + 1;
        assert_eq!(e.line, Some(line), "{e}");
        assert!(e.to_string().contains("218"), "{e}");

        let text = CKKS_OPS.replace("  poly_modulus_degree: 8192", "  poly_modulus_degree: 8000");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "scheme.poly_modulus_degree", "{e}");
        assert!(e.to_string().contains("power of two"), "{e}");

        let text = CKKS_OPS.replace("  security: tc128", "  security: insecure");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "scheme.security", "{e}");
        assert!(e.to_string().contains("allow_insecure"), "{e}");

        let text = CKKS_OPS.replace("  security: tc128", "  security: tc129");
        let e = parse(&text).unwrap_err();
        assert!(e.to_string().contains("tc128"), "{e}");

        let text = CKKS_OPS.replace(
            "log2_scale: 40, security: tc128}\n      - {poly_modulus_degree: 16384",
            "log2_scale: 70, security: tc128}\n      - {poly_modulus_degree: 16384",
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "profiles.full.parameter_sets[0].log2_scale", "{e}");
        assert!(e.line.is_some(), "{e}");
    }

    const CS21_TRAIN: &str = include_str!("../../experiments/cs21-lr-enctrain.yaml");

    #[test]
    fn the_encrypted_training_spec_validates_and_its_section_is_checked() {
        let spec = parse(CS21_TRAIN).unwrap();
        assert_eq!(spec.kind, ExperimentKind::Cs21LrTrain);
        let t = spec.encrypted_training.as_ref().unwrap();
        assert_eq!(t.packing, Packing::Columns);
        assert_eq!(t.sigmoid.coefficients.len(), 4);
        assert!(t.printed_sigmoid.is_some());
        assert_eq!(spec.settings(Profile::Full).peer_samples, Some(5));

        let e = parse(&CS21_TRAIN.replace("packing: columns", "packing: diagonal")).unwrap_err();
        assert_eq!(e.field, "encrypted_training.packing", "{e}");
        assert!(e.line.is_some() && e.to_string().contains("`rows`"), "{e}");
        let rows = parse(&CS21_TRAIN.replace("packing: columns", "packing: rows")).unwrap();
        assert_eq!(rows.encrypted_training.unwrap().packing, Packing::Rows);

        let e = parse(&CS21_TRAIN.replace("[0.5, 0.197, 0.0, -0.004]", "[0.5, 0.0]")).unwrap_err();
        assert_eq!(e.field, "encrypted_training.sigmoid.coefficients", "{e}");
        let e =
            parse(&CS21_TRAIN.replace("regularisation: 0.05", "regularisation: -1")).unwrap_err();
        assert_eq!(e.field, "encrypted_training.regularisation", "{e}");

        let start = CS21_TRAIN.find("encrypted_training:").unwrap();
        let end = CS21_TRAIN.find("scheme:").unwrap();
        let without = format!("{}{}", &CS21_TRAIN[..start], &CS21_TRAIN[end..]);
        let e = parse(&without).unwrap_err();
        assert_eq!(e.field, "encrypted_training", "{e}");
        let e = parse(&CS21_TRAIN.replace("kind: cs21-lr-train", "kind: cs21-lr")).unwrap_err();
        assert_eq!(e.field, "encrypted_training", "{e}");
    }

    #[test]
    fn a_paillier_spec_cannot_list_parameter_sets_and_mu18_needs_a_dataset() {
        let text = GOOD.replace("    epochs: 3\n", "    epochs: 3\n    parameter_sets: []\n");
        assert_ne!(text, GOOD);
        let e = parse(&text).unwrap_err();
        assert_eq!(e.field, "profiles.quick.parameter_sets", "{e}");
        let e = parse(&CKKS_OPS.replace("kind: ckks-ops", "kind: mu18-paillier")).unwrap_err();
        assert_eq!(e.field, "dataset", "{e}");
    }
}
