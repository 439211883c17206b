//! What a training run reports.

use serde::Serialize;

/// Running accuracy after `reviews` reviews.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    pub reviews: usize,
    pub correct: usize,
    pub accuracy: f64,
}

/// Count and total time of one kind of homomorphic step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpStat {
    pub name: String,
    pub count: u64,
    pub total_s: f64,
}

impl OpStat {
    /// Mean seconds per call.
    pub fn mean_s(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total_s / self.count as f64
        }
    }
}

/// The outcome of one online training pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainResult {
    /// `plain` (Non PP), or `encrypted` / `fixed-point` / `float` for the PP network.
    pub mode: String,
    /// The PP variant (`trask` or `corrected`); empty for the plain network.
    pub variant: String,
    pub reviews: usize,
    /// Reviews counted correct while training ("correct so far").
    pub correct: usize,
    pub accuracy: f64,
    /// Running accuracy every `sample_every` reviews, and after the last one.
    pub curve: Vec<CurvePoint>,
    /// Key generation and encryption of the initial weights (zero for plaintext runs).
    pub setup_s: f64,
    /// The training pass alone.
    pub elapsed_s: f64,
    pub reviews_per_s: f64,
    /// Steps of the encrypted run (empty otherwise).
    pub ops: Vec<OpStat>,
    /// The network's output for each review before its update (sigmoid output, or the
    /// Taylor polynomial value for PP).
    pub outputs: Vec<f64>,
    /// Largest |hidden · weights_1_2| seen (the sigmoid's argument).
    pub max_abs_logit: f64,
    pub vocab_size: usize,
}
