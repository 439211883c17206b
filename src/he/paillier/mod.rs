//! Paillier homomorphic encryption for heml, compatible with
//! python-paillier (`phe`) 1.5: the same `g = n + 1` keys, the same
//! fixed-point `EncodedNumber` (base 16), the same homomorphic semantics
//! and its JSON serialisations, so a Python client can exchange keys and
//! ciphertexts with heml.
//!
//! Beyond python-paillier it offers the Damgard-Jurik-Nielsen encryption
//! variant with a fixed-base table ([`EncryptionMode::Djn`]), offline
//! randomness pools ([`RandomnessPool`]), multi-exponentiation for dot
//! products and plaintext-matrix x encrypted-vector products
//! ([`EncodedMatrix`], [`LinearLayer`]), rayon batch operations, and slot
//! packing of small results so one decryption yields many values
//! ([`PackedEncryptedVector`]).
//!
//! ```no_run
//! use heml::he::paillier::*;
//!
//! let params = PaillierParams::new(2048, EncryptionMode::Djn)?;
//! let Keypair { public, secret } = generate_keypair(&params)?;
//! let pixels = vec![0.5_f64; 784];
//! let image = public.encrypt_f64_batch(&pixels)?; // all cores
//! let weights = vec![0.01_f64; 10 * 784];
//! let bias = vec![0.1_f64; 10];
//! let layer = LinearLayer::new(10, 784, &weights, Some(&bias), WeightEncoding::PythonDefault)?;
//! let logits = layer.forward(&image)?; // one thread; forward_par for all cores
//! let plain: Vec<f64> = secret.decrypt_f64_batch(&logits)?;
//! # Ok::<(), PaillierError>(())
//! ```

pub mod batch;
pub mod encoding;
pub mod error;
pub mod json;
pub mod keys;
pub mod matrix;
pub mod multiexp;
pub mod ops;
pub mod pack;
pub mod params;
mod rng;

#[cfg(test)]
mod proptests;

pub use batch::rerandomize_batch;
pub use encoding::{BASE, EncodedNumber, FLOAT_MANTISSA_BITS, LOG2_BASE};
pub use error::{PaillierError, Result};
pub use json::ExportMode;
pub use keys::{KeyFingerprint, Keypair, PublicKey, SecretKey, generate_keypair};
pub use matrix::{EncodedMatrix, LinearLayer, PlainMatrix, WeightEncoding};
pub use ops::{EncryptedNumber, RandomnessPool, dot, dot_f64};
pub use pack::PackedEncryptedVector;
pub use params::{
    DEFAULT_KEY_BITS, EncryptionMode, MAX_KEY_BITS, MIN_INSECURE_KEY_BITS, MIN_SECURE_KEY_BITS,
    PaillierParams, PaillierParamsLiteral,
};

/// Keys shared by the test suite: generated once per test binary.
#[cfg(test)]
pub(crate) mod test_keys {
    use std::sync::OnceLock;

    use super::*;

    fn make(bits: u32, mode: EncryptionMode) -> Keypair {
        let params = PaillierParams::from_literal(&PaillierParamsLiteral {
            key_bits: bits,
            mode,
            allow_insecure: bits < MIN_SECURE_KEY_BITS,
        })
        .expect("test params");
        generate_keypair(&params).expect("test key generation")
    }

    /// An insecure 1024-bit Standard key (explicitly opted in).
    pub(crate) fn key_1024() -> &'static Keypair {
        static K: OnceLock<Keypair> = OnceLock::new();
        K.get_or_init(|| make(1024, EncryptionMode::Standard))
    }

    /// A second, different insecure 1024-bit key.
    pub(crate) fn key_1024_other() -> &'static Keypair {
        static K: OnceLock<Keypair> = OnceLock::new();
        K.get_or_init(|| make(1024, EncryptionMode::Standard))
    }

    /// An insecure 1024-bit DJN key.
    pub(crate) fn key_1024_djn() -> &'static Keypair {
        static K: OnceLock<Keypair> = OnceLock::new();
        K.get_or_init(|| make(1024, EncryptionMode::Djn))
    }

    /// A 2048-bit Standard key.
    pub(crate) fn key_2048_standard() -> &'static Keypair {
        static K: OnceLock<Keypair> = OnceLock::new();
        K.get_or_init(|| make(2048, EncryptionMode::Standard))
    }

    /// A 2048-bit DJN key.
    pub(crate) fn key_2048_djn() -> &'static Keypair {
        static K: OnceLock<Keypair> = OnceLock::new();
        K.get_or_init(|| make(2048, EncryptionMode::Djn))
    }
}
