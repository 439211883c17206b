//! Batch operations on all cores (rayon). Each item is processed exactly
//! as the single-item function does; only the scheduling differs. Every
//! rayon worker draws randomness from its own OS-seeded ChaCha20.

use rayon::prelude::*;
use rug::Integer;

use crate::he::paillier::encoding::EncodedNumber;
use crate::he::paillier::error::Result;
use crate::he::paillier::keys::{PublicKey, SecretKey};
use crate::he::paillier::ops::EncryptedNumber;

impl PublicKey {
    /// Encodes (python-paillier default) and encrypts every value in parallel.
    ///
    /// # Errors
    /// The first encoding or RNG error.
    pub fn encrypt_f64_batch(&self, values: &[f64]) -> Result<Vec<EncryptedNumber>> {
        values.par_iter().map(|&x| self.encrypt_f64(x)).collect()
    }

    /// [`PublicKey::encrypt_f64_batch`] with python's `precision` /
    /// `max_exponent` (e.g. `max_exponent = Some(-16)` gives a whole image
    /// one exponent).
    ///
    /// # Errors
    /// The first encoding or RNG error.
    pub fn encrypt_f64_batch_with(
        &self,
        values: &[f64],
        precision: Option<f64>,
        max_exponent: Option<i32>,
    ) -> Result<Vec<EncryptedNumber>> {
        values
            .par_iter()
            .map(|&x| self.encrypt_f64_with(x, precision, max_exponent))
            .collect()
    }

    /// Encrypts already-encoded numbers in parallel.
    ///
    /// # Errors
    /// The first key-mismatch or RNG error.
    pub fn encrypt_encoded_batch(&self, values: &[EncodedNumber]) -> Result<Vec<EncryptedNumber>> {
        values.par_iter().map(|e| self.encrypt_encoded(e)).collect()
    }

    /// Encrypts signed integers (exponent 0) in parallel.
    ///
    /// # Errors
    /// The first encoding or RNG error.
    pub fn encrypt_integer_batch(&self, values: &[Integer]) -> Result<Vec<EncryptedNumber>> {
        values.par_iter().map(|v| self.encrypt_integer(v)).collect()
    }
}

impl SecretKey {
    /// Decrypts to encoded numbers in parallel.
    ///
    /// # Errors
    /// The first key-mismatch error.
    pub fn decrypt_encoded_batch(&self, values: &[EncryptedNumber]) -> Result<Vec<EncodedNumber>> {
        values.par_iter().map(|c| self.decrypt_encoded(c)).collect()
    }

    /// Decrypts and decodes to `f64` in parallel.
    ///
    /// # Errors
    /// The first key-mismatch or decoding error.
    pub fn decrypt_f64_batch(&self, values: &[EncryptedNumber]) -> Result<Vec<f64>> {
        values.par_iter().map(|c| self.decrypt_f64(c)).collect()
    }

    /// Decrypts to exact `(mantissa, exponent)` pairs in parallel.
    ///
    /// # Errors
    /// The first key-mismatch or decoding error.
    pub fn decrypt_exact_batch(&self, values: &[EncryptedNumber]) -> Result<Vec<(Integer, i32)>> {
        values.par_iter().map(|c| self.decrypt_exact(c)).collect()
    }
}

/// Re-randomises every value in parallel (before export).
///
/// # Errors
/// The first RNG error.
pub fn rerandomize_batch(values: &mut [EncryptedNumber]) -> Result<()> {
    values
        .par_iter_mut()
        .try_for_each(EncryptedNumber::rerandomize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::paillier::test_keys;

    #[test]
    fn batch_round_trips() {
        let kp = test_keys::key_1024();
        let xs: Vec<f64> = (0..20).map(|i| f64::from(i) / 7.0 - 1.0).collect();
        let enc = kp.public.encrypt_f64_batch(&xs).unwrap();
        assert_eq!(kp.secret.decrypt_f64_batch(&enc).unwrap(), xs);
        let enc16 = kp
            .public
            .encrypt_f64_batch_with(&xs, None, Some(-16))
            .unwrap();
        assert!(enc16.iter().all(|e| e.exponent() == -16));
        let mut enc16 = enc16;
        let before: Vec<Integer> = enc16.iter().map(|e| e.ciphertext().clone()).collect();
        rerandomize_batch(&mut enc16).unwrap();
        assert!(enc16.iter().zip(&before).all(|(e, b)| e.ciphertext() != b));
        assert_eq!(kp.secret.decrypt_f64_batch(&enc16).unwrap(), xs);
        let ints: Vec<Integer> = (-3..3).map(Integer::from).collect();
        let ei = kp.public.encrypt_integer_batch(&ints).unwrap();
        let ex = kp.secret.decrypt_exact_batch(&ei).unwrap();
        assert!(ex.iter().zip(&ints).all(|((m, e), i)| m == i && *e == 0));
        let encoded = kp.secret.decrypt_encoded_batch(&ei).unwrap();
        let again = kp.public.encrypt_encoded_batch(&encoded).unwrap();
        assert_eq!(kp.secret.decrypt_exact_batch(&again).unwrap(), ex);
    }
}
