//! Errors of the CKKS layer: each says what was expected.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CkksError {
    #[error("ring degree {n} is not a power of two in 2^10..=2^16")]
    InvalidDegree { n: usize },
    #[error(
        "coefficient modulus needs at least two primes (the last one is the special \
         key-switching prime), got {count}"
    )]
    TooFewPrimes { count: usize },
    #[error("coefficient modulus bit size {bits} at index {index} is outside {min}..={max}")]
    InvalidBitSize {
        index: usize,
        bits: u32,
        min: u32,
        max: u32,
    },
    #[error("not enough {bits}-bit primes congruent to 1 mod {two_n} (needed {count})")]
    NotEnoughPrimes {
        bits: u32,
        count: usize,
        two_n: usize,
    },
    #[error(
        "log2(Q*P) = {log2_qp} bits exceeds {max_bits} bits, the HomomorphicEncryption.org \
         bound for N = {n} at {level}; shrink the modulus, raise N, or set security: insecure"
    )]
    Insecure {
        log2_qp: u32,
        max_bits: u32,
        n: usize,
        level: String,
    },
    #[error(
        "the special prime (the last, {special} bits) must be at least as large as every \
         other prime (the largest has {largest} bits): key-switching noise grows as q_i / P, \
         as in SEAL's and TenSEAL's conventions (e.g. [60, 40, 40, 60])"
    )]
    SmallSpecialPrime { special: u32, largest: u32 },
    #[error("log2 scale {log2_scale} is outside 1..={max}")]
    InvalidScale { log2_scale: u32, max: u32 },
    #[error("level mismatch: expected level {expected}, found {found}")]
    LevelMismatch { expected: usize, found: usize },
    #[error("level {level} is out of range: this chain has levels 0..={max}")]
    InvalidLevel { level: usize, max: usize },
    #[error("scale mismatch: expected 2^{expected_log2:.6}, found 2^{found_log2:.6}")]
    ScaleMismatch { expected_log2: f64, found_log2: f64 },
    #[error("cannot rescale: the ciphertext is already at level 0 (the chain is exhausted)")]
    OutOfLevels,
    #[error("ciphertext has {size} components; this operation needs {expected}")]
    CiphertextSize { size: usize, expected: usize },
    #[error("{count} values do not fit in {slots} slots")]
    TooManyValues { count: usize, slots: usize },
    #[error("no relinearisation key: generate one with the key generator")]
    MissingRelinKey,
    #[error(
        "no Galois key for rotation by {step} (element {galois_element}); generate keys for this step"
    )]
    MissingGaloisKey { step: i64, galois_element: usize },
    #[error("object was made for other parameters (fingerprint mismatch)")]
    ParameterMismatch,
    #[error(
        "keys belong to different key sets: expected key id {expected:#018x}, found {found:#018x}"
    )]
    KeyMismatch { expected: u64, found: u64 },
    #[error("malformed serialised object: {0}")]
    Malformed(String),
    #[error("value {value} cannot be encoded at scale 2^{log2_scale:.2}: it overflows the modulus")]
    EncodingOverflow { value: f64, log2_scale: f64 },
    #[error(
        "cannot release this result: flooding noise 2^{flood_log2:.1} (ciphertext noise 2^{noise_log2:.1} plus the statistical margin) leaves no precision at scale 2^{log2_scale:.1}; evaluate at a larger scale"
    )]
    ReleaseImpossible {
        noise_log2: f64,
        flood_log2: f64,
        log2_scale: f64,
    },
}

pub type Result<T> = std::result::Result<T, CkksError>;
