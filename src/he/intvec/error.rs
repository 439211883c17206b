//! Errors of the integer-vector scheme. Every check that guards correctness (dimensions,
//! keys, the worst-case noise against the decryption limit `w/2`, the plaintext range
//! against `t/2`) returns one of these instead of panicking or wrapping silently.

/// Result of the integer-vector scheme.
pub type Result<T> = std::result::Result<T, IntVecError>;

/// What went wrong in an integer-vector operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntVecError {
    /// A parameter of the literal is out of its valid range.
    #[error("invalid parameter {field} = {value}: must be {valid}")]
    InvalidParameter {
        field: &'static str,
        value: String,
        valid: String,
    },
    /// A vector, matrix or ciphertext has the wrong length.
    #[error("dimension mismatch in {what}: expected {expected}, got {got}")]
    DimensionMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// The worst-case noise after the operation would not stay below `w/2`, so decryption
    /// could round to a wrong integer.
    #[error(
        "noise bound exceeded in {op}: the worst-case noise {bound} would reach the \
         decryption limit w/2 = {limit}"
    )]
    NoiseBoundExceeded {
        op: &'static str,
        bound: u128,
        limit: u128,
    },
    /// The worst-case plaintext magnitude would not stay below `t/2`, so the plaintext
    /// would wrap modulo `t`.
    #[error(
        "plaintext overflow in {op}: the worst-case magnitude {bound} would reach the \
         plaintext limit t/2 = {limit}"
    )]
    PlaintextOverflow {
        op: &'static str,
        bound: u128,
        limit: u128,
    },
    /// A ciphertext is under another secret key than the operation expects.
    #[error("key mismatch in {op}: expected key {expected:#018x}, got key {got:#018x}")]
    KeyMismatch {
        op: &'static str,
        expected: u64,
        got: u64,
    },
    /// Two objects were made under different parameter sets.
    #[error("parameter mismatch in {op}: the operands were made under different parameters")]
    ParamsMismatch { op: &'static str },
    /// The key-recovery attack did not find the key.
    #[error("key recovery failed: {reason}")]
    AttackFailed { reason: String },
}
