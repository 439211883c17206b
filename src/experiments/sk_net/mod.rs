//! Trask's IMDB sentiment network (Udacity `SentimentNetwork`; "Building Safe A.I.", 2017),
//! as trained by Sayyad and Kulkarni with plaintext weights (Non PP) and with weights
//! encrypted by the integer-vector scheme (PP), both online over the reviews with the
//! accuracy counted while training (section IV, tables II and III).
//!
//! * [`trask_line`] regenerates a line of Trask's `reviews.txt` from a raw review;
//! * [`PreparedData`] is his vocabulary (`min_count`, `polarity_cutoff`) and the reviews
//!   as sets of word indices;
//! * [`train_plain`] is the Non PP network;
//! * [`train_pp`] / [`train_encrypted`] the PP network, encrypted or on plaintext fixed /
//!   floating point with the same steps (see `pp` for what Trask's notebook computes and
//!   `arith` for the fixed point and the refresh the scheme needs).

mod arith;
mod config;
mod error;
mod plain;
mod pp;
mod result;
mod tokenizer;
mod vocab;

pub use config::{NetConfig, PpArithmetic, PpConfig, PpVariant};
pub use error::{Result, SkNetError};
pub use plain::train_plain;
pub use pp::{SIGMOID_TAYLOR, taylor_sigmoid, train_encrypted, train_pp, trask_polynomial};
pub use result::{CurvePoint, OpStat, TrainResult};
pub use tokenizer::{trask_line, trask_words};
pub use vocab::{POLARITY_MIN_COUNT, PreparedData, VocabStats, polarity};

/// Trask's vocabulary cut: words counted more than 20 times.
pub const TRASK_MIN_COUNT: u64 = 20;
/// Trask's vocabulary cut: `|polarity| ≥ 0.15` for words with a polarity.
pub const TRASK_POLARITY_CUTOFF: f64 = 0.15;

#[cfg(test)]
mod tests;
