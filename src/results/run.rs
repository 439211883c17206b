//! What a run records besides its measurements: the machine, the code, the
//! calibration workload, and the outcome of every experiment it attempted.

use serde::{Deserialize, Serialize};

use super::record::Measurement;

/// The machine a run ran on (read with sysinfo).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MachineInfo {
    pub cpu_brand: String,
    pub physical_cores: u32,
    pub logical_cores: u32,
    pub memory_gib: f64,
    pub os: String,
    pub kernel: String,
    pub hostname_hash: String,
}

/// A fixed workload timed in every run so that timings of two runs on
/// different machines can be compared (see `check`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Calibration {
    /// What was timed, e.g. `modexp-2048 x 64 + f64 matmul 256`.
    pub workload: String,
    /// Median wall time of the workload in milliseconds.
    pub elapsed_ms: f64,
}

/// One run: `results/<run-id>/run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunInfo {
    pub run_id: String,
    /// `quick` or `full`.
    pub profile: String,
    pub git_commit: String,
    /// True when the working tree had uncommitted changes.
    pub git_dirty: bool,
    pub heml_version: String,
    pub started: String,
    pub finished: Option<String>,
    pub machine: MachineInfo,
    pub calibration: Option<Calibration>,
    /// Threads the run was allowed to use.
    pub threads: u32,
    /// The command line that started the run.
    pub command: String,
}

/// How an experiment of a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentState {
    Done,
    Failed,
    /// Its spec did not validate; it never started.
    Invalid,
}

/// `results/<run-id>/experiments/<id>.json`: one experiment of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRecord {
    pub id: String,
    pub title: String,
    /// Spec file, relative to the project root.
    pub spec_path: String,
    /// Paper file and section, as the spec states them.
    pub paper: String,
    pub state: ExperimentState,
    /// The error, with its chain, when `state` is not `Done`.
    pub error: Option<String>,
    /// sha256 of the spec file and of the heml binary that ran it: an
    /// experiment is reused by a later run only when both are equal.
    pub spec_sha256: String,
    pub code_sha256: String,
    pub profile: String,
    pub started: String,
    pub elapsed_s: f64,
    /// Set when the record was carried over from an earlier run.
    pub reused_from: Option<String>,
    /// Security level of the scheme it ran, or `insecure: ...`.
    pub security: String,
    /// Warnings every report must show next to this experiment
    /// (insecure parameters, broken schemes).
    pub warnings: Vec<String>,
    pub measurements: Vec<Measurement>,
}

/// A claim of CLAIMS.md as listed in `experiments/claims.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimEntry {
    /// e.g. `MU18-train`.
    pub id: String,
    /// Paper key: `CS21`, `MU18`, `HE18`, `SK`.
    pub paper: String,
    pub what: String,
    /// The paper's value as the paper states it (text).
    pub paper_value: String,
    /// Why heml does not attempt this claim (yet); `None` when a spec covers it.
    #[serde(default)]
    pub not_attempted: Option<String>,
}
