//! Errors of the sentiment network.

use crate::he::intvec::IntVecError;

pub type Result<T> = std::result::Result<T, SkNetError>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SkNetError {
    /// Reviews and labels differ in number.
    #[error("{reviews} reviews but {labels} labels")]
    LengthMismatch { reviews: usize, labels: usize },
    /// A configuration value is out of range.
    #[error("invalid configuration {field} = {value}: must be {valid}")]
    InvalidConfig {
        field: &'static str,
        value: String,
        valid: &'static str,
    },
    /// The encryption engine refused an operation (noise or plaintext bound, ...); `review`
    /// is the index of the review being trained on (0 also for the setup before training).
    #[error("encrypted network, review {review}: {source}")]
    Engine {
        review: usize,
        #[source]
        source: IntVecError,
    },
}
