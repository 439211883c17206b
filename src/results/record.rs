//! One measurement = one row of the results table.
//!
//! Every experiment turns into a list of [`Measurement`]s; the store writes them
//! as Parquet and CSV, `check` compares them with a baseline and the report
//! draws them. Nothing here knows how a number was produced.

use serde::{Deserialize, Serialize};

/// How a measured value compares with the paper's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within the tolerance the spec states.
    Reproduced,
    /// Outside the tolerance; the row's note says why.
    Deviates,
    /// A measurement without a paper value to compare with (timings on this
    /// machine, per-epoch curves, peer ratios).
    Measured,
    /// The experiment failed before it could measure this.
    Failed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Deviates => "deviates",
            Verdict::Measured => "measured",
            Verdict::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Some(match s {
            "reproduced" => Verdict::Reproduced,
            "deviates" => Verdict::Deviates,
            "measured" => Verdict::Measured,
            "failed" => Verdict::Failed,
            _ => return None,
        })
    }

    /// Higher is better; `check` fails when a verdict gets worse.
    pub fn rank(self) -> u8 {
        match self {
            Verdict::Reproduced => 3,
            Verdict::Measured => 2,
            Verdict::Deviates => 1,
            Verdict::Failed => 0,
        }
    }
}

/// Whether larger values of a metric are better, for regression checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Accuracy-like: higher is better, compared in absolute terms.
    Quality,
    /// Error counts, differences: lower is better, compared in absolute terms.
    Error,
    /// Wall-clock durations: lower is better, compared after calibration.
    Time,
    /// Throughput: higher is better, compared after calibration.
    Rate,
    /// Sizes, counts and other facts: reported, not checked.
    Info,
}

impl MetricKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Quality => "quality",
            MetricKind::Error => "error",
            MetricKind::Time => "time",
            MetricKind::Rate => "rate",
            MetricKind::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<MetricKind> {
        Some(match s {
            "quality" => MetricKind::Quality,
            "error" => MetricKind::Error,
            "time" => MetricKind::Time,
            "rate" => MetricKind::Rate,
            "info" => MetricKind::Info,
            _ => return None,
        })
    }
}

/// One row of the results table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Experiment id (the spec's `id`).
    pub experiment: String,
    /// Claim id from CLAIMS.md, when this row is the measurement of a claim.
    pub claim: Option<String>,
    /// Metric name, e.g. `test_accuracy`, `encrypt_ms_per_image`.
    pub metric: String,
    pub kind: MetricKind,
    /// NaN when nothing could be measured (stored as JSON `null`).
    #[serde(with = "nan_as_null")]
    pub value: f64,
    /// Unit of `value` and `paper_value`, e.g. `%`, `ms`, `count`.
    pub unit: String,
    /// Position in a series (epoch, sample size, ...) or `None`.
    pub step: Option<i64>,
    /// The paper's value this row is compared with.
    pub paper_value: Option<f64>,
    /// The tolerance as written for people, e.g. `band [92.0, 93.2]`.
    pub tolerance: Option<String>,
    pub verdict: Verdict,
    /// `plaintext`, `paillier`, `ckks`, `intvec`.
    pub scheme: String,
    /// Scheme and model parameters as compact JSON.
    pub parameters: String,
    /// `128-bit`, `112-bit`, `insecure: ...` or `n/a` for plaintext rows.
    pub security: String,
    /// Pipeline stage: `train`, `keygen`, `encrypt`, `evaluate`, `decrypt`, ...
    pub stage: String,
    pub threads: u32,
    pub seed: u64,
    /// `quick` or `full`.
    pub profile: String,
    pub git_commit: String,
    /// RFC 3339 time at which the experiment finished.
    pub timestamp: String,
    /// Why a claim deviates, or anything a reader needs beside the value.
    pub note: String,
}

/// JSON has no NaN: write it as `null` and read `null` back as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}
