//! The one error type of the Paillier engine.

use thiserror::Error;

/// Everything that can go wrong in `crate::he::paillier`.
///
/// Variants carry the offending values and, where there is one, what would
/// have been accepted, so a message can tell the user how to fix the input.
/// Big integers are carried as decimal strings (the `Display` text shortens
/// them) so the error stays `Clone + Eq` and independent of GMP.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum PaillierError {
    /// The modulus is below the secure minimum (or below the absolute
    /// minimum even with `allow_insecure`).
    #[error(
        "Paillier key size of {bits} bits is too small: the minimum is {min_bits} bits \
         (112-bit security, NIST SP 800-57){}",
        if *insecure_allowed {
            format!("; with allow_insecure the floor is {absolute_min_bits} bits")
        } else {
            format!(
                "; smaller keys (down to {absolute_min_bits} bits) need allow_insecure = true"
            )
        }
    )]
    KeyTooSmall {
        /// Requested modulus size.
        bits: u32,
        /// Smallest size accepted without `allow_insecure` (2048).
        min_bits: u32,
        /// Smallest size accepted at all.
        absolute_min_bits: u32,
        /// Whether the caller had opted in to insecure sizes.
        insecure_allowed: bool,
    },
    /// The modulus is larger than this engine supports.
    #[error("Paillier key size of {bits} bits is too large: the maximum is {max_bits} bits")]
    KeyTooLarge {
        /// Requested modulus size.
        bits: u32,
        /// Largest size accepted.
        max_bits: u32,
    },
    /// p and q have equal size, so the modulus size must be even.
    #[error(
        "Paillier key size must be even (p and q have equal size): got {bits}, use {suggestion}"
    )]
    KeyBitsOdd {
        /// Requested modulus size.
        bits: u32,
        /// The nearest accepted size.
        suggestion: u32,
    },
    /// Key generation failed (should not happen with a working OS RNG).
    #[error("Paillier key generation failed: {what}")]
    KeyGeneration {
        /// What failed.
        what: String,
    },
    /// The operating system's random number generator failed.
    #[error("random number generator failure: {what}")]
    Rng {
        /// The underlying error text.
        what: String,
    },
    /// A value does not fit into the signed plaintext range `[-max_int, max_int]`.
    #[error(
        "encoding overflow: |{}| exceeds max_int = {} (n // 3 - 1); use a coarser precision or a larger key",
        abbreviate(value),
        abbreviate(max_int)
    )]
    EncodingOverflow {
        /// The integer representation that did not fit (decimal).
        value: String,
        /// The largest magnitude that fits (decimal).
        max_int: String,
    },
    /// A decrypted plaintext lies in the overflow band between `max_int`
    /// and `n - max_int`: the homomorphic computation overflowed.
    #[error(
        "overflow detected in decrypted number: {} lies between max_int = {} and n - max_int",
        abbreviate(encoding),
        abbreviate(max_int)
    )]
    DecodeOverflow {
        /// The raw plaintext (decimal).
        encoding: String,
        /// `max_int` of the key (decimal).
        max_int: String,
    },
    /// A decoded value is too large for an `f64`.
    #[error("decoded value is too large for an f64 (about 2^{log2} )")]
    FloatOverflow {
        /// Approximate base-2 logarithm of the magnitude.
        log2: i64,
    },
    /// NaN or an infinity cannot be encoded.
    #[error("cannot encode a non-finite float: {value}")]
    NonFinite {
        /// The offending value.
        value: f64,
    },
    /// `precision` must be a positive finite number.
    #[error("precision must be positive and finite, got {precision}")]
    InvalidPrecision {
        /// The offending precision.
        precision: f64,
    },
    /// The decoded value is not an integer (its exponent is negative and
    /// the mantissa is not a multiple of `16^-exponent`).
    #[error(
        "value with mantissa {} and exponent {exponent} is not an integer",
        abbreviate(mantissa)
    )]
    NotAnInteger {
        /// Signed mantissa (decimal).
        mantissa: String,
        /// Base-16 exponent.
        exponent: i32,
    },
    /// `decrease_exponent_to` was asked to raise the exponent.
    #[error("new exponent {requested} must not be larger than the current exponent {current}")]
    ExponentIncrease {
        /// Current exponent.
        current: i32,
        /// Requested exponent.
        requested: i32,
    },
    /// An exponent left the supported `i32` range, or an exponent difference
    /// is too large to apply.
    #[error("exponent out of range: {what}")]
    ExponentOutOfRange {
        /// Description.
        what: String,
    },
    /// Two objects belong to different public keys.
    #[error("key mismatch: expected a value under key {expected}, found one under key {found}")]
    KeyMismatch {
        /// Fingerprint of the key the operation uses.
        expected: String,
        /// Fingerprint of the key the value belongs to.
        found: String,
    },
    /// A raw ciphertext is not a valid element of `Z*_{n^2}`.
    #[error("invalid ciphertext: {reason}")]
    InvalidCiphertext {
        /// Why it was rejected.
        reason: String,
    },
    /// A public key failed validation.
    #[error("invalid public key: {reason}")]
    InvalidPublicKey {
        /// Why it was rejected.
        reason: String,
    },
    /// A raw plaintext is outside `[0, n)`.
    #[error("plaintext out of range [0, n): {reason}")]
    PlaintextOutOfRange {
        /// Why it was rejected.
        reason: String,
    },
    /// JSON input was malformed or did not have the expected shape.
    #[error("malformed JSON: {what}")]
    MalformedJson {
        /// What was wrong, with a path where known.
        what: String,
    },
    /// Sizes of vectors / matrices do not agree.
    #[error("dimension mismatch for {what}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// Which argument.
        what: String,
        /// Expected length.
        expected: usize,
        /// Actual length.
        found: usize,
    },
    /// A value that must be invertible modulo n^2 is not.
    #[error("value is not invertible modulo n^2: {what}")]
    NotInvertible {
        /// Which value.
        what: String,
    },
    /// The offline randomness pool has been used up.
    #[error("randomness pool is empty: precompute more randomisers (pool size was {capacity})")]
    RandomnessPoolEmpty {
        /// How many randomisers the pool was filled with in total.
        capacity: usize,
    },
    /// The operation needs the DJN public data, which this key lacks.
    #[error(
        "this public key has no Damgard-Jurik-Nielsen data (h_s); it was created in Standard mode or imported"
    )]
    DjnUnavailable,
}

/// Shortens a long decimal string for messages: `1234…5678 (617 digits)`.
pub(crate) fn abbreviate(s: &str) -> String {
    const KEEP: usize = 12;
    let digits = s.trim_start_matches('-').len();
    if s.len() <= 2 * KEEP + 4 {
        s.to_string()
    } else {
        format!("{}…{} ({digits} digits)", &s[..KEEP], &s[s.len() - KEEP..])
    }
}

/// Result alias of the engine.
pub type Result<T, E = PaillierError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviate_keeps_short_and_cuts_long() {
        assert_eq!(abbreviate("12345"), "12345");
        let long = "9".repeat(100);
        let a = abbreviate(&long);
        assert!(a.contains("(100 digits)"), "{a}");
        assert!(a.len() < 60);
    }

    #[test]
    fn key_too_small_names_minimum() {
        let e = PaillierError::KeyTooSmall {
            bits: 1024,
            min_bits: 2048,
            absolute_min_bits: 512,
            insecure_allowed: false,
        };
        let msg = e.to_string();
        assert!(msg.contains("2048"), "{msg}");
        assert!(msg.contains("allow_insecure"), "{msg}");
    }
}
