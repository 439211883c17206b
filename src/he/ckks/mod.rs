//! RNS-CKKS (Cheon, Kim, Kim, Song 2017; full-RNS variant of Cheon, Han, Kim,
//! Kim, Song 2018).
pub mod circuits;
pub mod encoder;
pub mod encryption;
pub mod error;
pub mod evaluator;
pub mod keycache;
pub mod keys;
pub mod params;
pub mod precision;
pub mod serialization;

#[cfg(test)]
mod tests;

pub use encoder::{Complex, Encoder, Plaintext};
pub use encryption::{Ciphertext, Decryptor, Encryptor, Release, ReleasePolicy};
pub use error::{CkksError, Result};
pub use evaluator::{AutoOptions, Evaluator, scales_match};
pub use keys::{GaloisKeys, KeyGenerator, KeySet, PublicKey, RelinKey, RotationSet, SecretKey};
pub use params::{CkksParameters, CkksParametersLiteral, SecurityLevel};
pub use precision::PrecisionStats;
