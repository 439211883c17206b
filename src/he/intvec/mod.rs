//! Homomorphic encryption on integer vectors (H. Zhou and G. Wornell, "Efficient
//! homomorphic encryption on integer vectors and its applications", ITA 2014), as ported by
//! Yu, Lai and Payor and used in Trask's encrypted sentiment network, following the
//! notation of Sayyad and Kulkarni (section III and IV).
//!
//! A ciphertext `c ∈ Z_q^n` of `x ∈ Z_t^m` under the secret key `S = [I | T]` satisfies
//! `S c ≡ w x + e (mod q)` with small noise `e` (equation 1); decryption is
//! `x = round(S c / w)` (equation 2). Everything else is key switching (equations 3–10):
//! encryption switches `w x` from the identity key to `S`, the linear transformation
//! switches from `G S` (IV.B), the weighted inner product switches `round(vec(c₁c₂ᵀ)/w)`
//! from `vec(S₁ᵀ H S₂)` (IV.C). Addition is the sum of ciphertexts (IV.A).
//!
//! Differences from the Python and C++ implementations: those compute over the integers
//! (numpy floats, NTL integers) with no modulus, and Trask's `T` is real-valued in `[0, 1)`;
//! here all arithmetic is modulo `q = t·w` with integer `T`, and every ciphertext carries
//! worst-case noise and plaintext bounds that are checked by each operation (see `ops`).
//! Parameters, the overflow argument and the reason for `q = t·w` are in `params`.
//!
//! The scheme is broken; see [`SECURITY_WARNING`] and [`recover_secret_key`].

mod arith;
mod attack;
mod error;
mod keys;
mod ops;
mod params;
#[cfg(test)]
mod tests;

pub use attack::recover_secret_key;
pub use error::{IntVecError, Result};
pub use keys::SecretKey;
pub use ops::{BilinearKey, Ciphertext, EncryptionKey, KeySwitchKey, LinearTransformKey};
pub use params::{IntVecParams, IntVecParamsLiteral, MAX_LOG2_Q};

/// Printed by every report that uses this scheme.
pub const SECURITY_WARNING: &str = "insecure: reproduction only. The integer-vector \
    homomorphic encryption of Zhou and Wornell is broken (Bogos, Gaspoz and Vaudenay, \
    Cryptography and Communications 2018; ePrint 2016/775): with the few columns of T used \
    here the secret key is recovered from the public key in milliseconds \
    (intvec::recover_secret_key), the public-key encryption is deterministic, and the \
    parameters carry no security level. Nothing encrypted with it is protected.";
