//! Slot packing: several small encrypted values in one ciphertext, so the
//! key holder decrypts once instead of once per value (e.g. the 10 logits
//! of a linear layer: one 2048-bit decryption instead of ten).
//!
//! Values `v_0..v_{K-1}` with a common exponent and `|v_k| < 2^(s-2)` are
//! packed (server side, public key only) as
//! `P = sum_k (v_k + 2^(s-1)) * 2^(s k)`, computed by Horner's rule on the
//! ciphertexts (`(K-1) s` squarings modulo n^2) and one plaintext addition.
//! Every slot then holds a value in `[2^(s-2), 3 * 2^(s-2))`; decryption
//! splits `P` and refuses slots outside that range (which catches values
//! that broke the promised bound by up to a factor of two; larger
//! violations may corrupt neighbouring slots undetected, so the bound must
//! be a true bound). `K s <= bits(n) - 2` keeps `P < n`.
//!
//! Not part of python-paillier: a heml extension.

use rug::Integer;

use crate::he::paillier::encoding::{EncodedNumber, LOG2_BASE};
use crate::he::paillier::error::{PaillierError, Result};
use crate::he::paillier::keys::SecretKey;
use crate::he::paillier::multiexp::{ModArith, NSquareMod};
use crate::he::paillier::ops::EncryptedNumber;

/// Several encrypted values packed into one ciphertext.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedEncryptedVector {
    packed: EncryptedNumber,
    slots: usize,
    slot_bits: u32,
}

impl PackedEncryptedVector {
    /// Packs values (exponents are aligned to the smallest one) whose
    /// signed mantissas are promised to satisfy `|m| < 2^(slot_bits - 2)`.
    ///
    /// # Errors
    /// [`PaillierError::DimensionMismatch`] when empty or when the slots do
    /// not fit into the key (`len * slot_bits > bits(n) - 2`);
    /// [`PaillierError::KeyMismatch`]; [`PaillierError::ExponentOutOfRange`]
    /// for `slot_bits < 3`.
    pub fn pack(values: &[EncryptedNumber], slot_bits: u32) -> Result<Self> {
        let Some(first) = values.first() else {
            return Err(PaillierError::DimensionMismatch {
                what: "values to pack (must be non-empty)".into(),
                expected: 1,
                found: 0,
            });
        };
        if slot_bits < 3 {
            return Err(PaillierError::ExponentOutOfRange {
                what: format!("slot_bits = {slot_bits} (need at least 3)"),
            });
        }
        let pk = first.public_key().clone();
        let capacity = (pk.bits().saturating_sub(2) / slot_bits) as usize;
        if values.len() > capacity {
            return Err(PaillierError::DimensionMismatch {
                what: format!(
                    "values to pack ({slot_bits}-bit slots in a {}-bit key)",
                    pk.bits()
                ),
                expected: capacity,
                found: values.len(),
            });
        }
        for v in values {
            pk.check_same(v.public_key())?;
        }
        let exp = values
            .iter()
            .map(EncryptedNumber::exponent)
            .min()
            .unwrap_or(0);
        let aligned: Vec<EncryptedNumber> = values
            .iter()
            .map(|v| v.decrease_exponent_to(exp))
            .collect::<Result<_>>()?;
        let mut ar = NSquareMod::new(pk.n());
        let mut acc = ar.load(aligned[values.len() - 1].ciphertext());
        for v in aligned[..values.len() - 1].iter().rev() {
            for _ in 0..slot_bits {
                ar.square(&mut acc);
            }
            let b = ar.load(v.ciphertext());
            ar.mul(&mut acc, &b);
        }
        let ct = ar.store(&acc);
        // offsets 2^(s-1) in every slot, added as a plaintext
        let mut offsets = Integer::new();
        for k in 0..values.len() {
            offsets.set_bit(slot_bits * k as u32 + slot_bits - 1, true);
        }
        let packed = pk
            .encrypted_number_from_raw(ct, exp)?
            .add_encoded(&EncodedNumber::from_raw(&pk, offsets, exp)?)?;
        Ok(Self {
            packed,
            slots: values.len(),
            slot_bits,
        })
    }

    /// Packs values whose decoded magnitudes are at most `max_abs`,
    /// choosing the slot size from the bound and the common exponent.
    ///
    /// # Errors
    /// As [`PackedEncryptedVector::pack`]; [`PaillierError::NonFinite`] for a
    /// non-finite or negative bound.
    pub fn pack_with_bound(values: &[EncryptedNumber], max_abs: f64) -> Result<Self> {
        if !(max_abs.is_finite() && max_abs >= 0.0) {
            return Err(PaillierError::NonFinite { value: max_abs });
        }
        let exp = values
            .iter()
            .map(EncryptedNumber::exponent)
            .min()
            .unwrap_or(0);
        // |m| <= max_abs * 16^-exp < 2^(log2(max_abs) - 4 exp + 1)
        let log2 = if max_abs == 0.0 {
            0
        } else {
            max_abs.log2().ceil() as i64 + 1
        };
        let bits = log2 - i64::from(LOG2_BASE) * i64::from(exp);
        let slot_bits =
            u32::try_from(bits.max(1) + 2).map_err(|_| PaillierError::ExponentOutOfRange {
                what: format!("slot size for bound {max_abs} at exponent {exp}"),
            })?;
        Self::pack(values, slot_bits)
    }

    /// The packed ciphertext (exponent = the common exponent).
    pub fn ciphertext(&self) -> &EncryptedNumber {
        &self.packed
    }

    /// Number of packed values.
    pub fn len(&self) -> usize {
        self.slots
    }

    /// True when nothing is packed (never, by construction).
    pub fn is_empty(&self) -> bool {
        self.slots == 0
    }

    /// Bits per slot.
    pub fn slot_bits(&self) -> u32 {
        self.slot_bits
    }

    /// Re-randomises the packed ciphertext (before sending it to the key holder).
    ///
    /// # Errors
    /// [`PaillierError::Rng`].
    pub fn rerandomize(&mut self) -> Result<()> {
        self.packed.rerandomize()
    }
}

impl SecretKey {
    /// Decrypts a packed vector with one decryption.
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`]; [`PaillierError::DecodeOverflow`] for a
    /// slot outside its valid range (the promised bound was broken).
    pub fn decrypt_packed(&self, packed: &PackedEncryptedVector) -> Result<Vec<EncodedNumber>> {
        let p = self.decrypt_encoded(&packed.packed)?;
        let raw = p.encoding();
        let s = packed.slot_bits;
        let offset = Integer::from(1) << (s - 1);
        let guard = Integer::from(1) << (s - 2);
        (0..packed.slots)
            .map(|k| {
                let u = Integer::from(raw >> (s * k as u32)).keep_bits(s);
                let v = u - &offset;
                if Integer::from(v.abs_ref()) >= guard {
                    return Err(PaillierError::DecodeOverflow {
                        encoding: format!("slot {k}"),
                        max_int: guard.to_string(),
                    });
                }
                EncodedNumber::from_signed(self.public_key(), &v, packed.packed.exponent())
            })
            .collect()
    }

    /// [`SecretKey::decrypt_packed`] decoded to `f64`s.
    ///
    /// # Errors
    /// As [`SecretKey::decrypt_packed`], plus [`PaillierError::FloatOverflow`].
    pub fn decrypt_packed_f64(&self, packed: &PackedEncryptedVector) -> Result<Vec<f64>> {
        self.decrypt_packed(packed)?
            .iter()
            .map(EncodedNumber::decode_f64)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::paillier::matrix::{EncodedMatrix, WeightEncoding};
    use crate::he::paillier::test_keys;

    #[test]
    fn pack_round_trip_integers_and_floats() {
        let kp = test_keys::key_1024();
        let (pk, sk) = (&kp.public, &kp.secret);
        let vals = [5i64, -3, 0, 1 << 40, -(1 << 40) + 1];
        let enc: Vec<_> = vals.iter().map(|&v| pk.encrypt_i64(v).unwrap()).collect();
        let mut p = PackedEncryptedVector::pack(&enc, 43).unwrap();
        p.rerandomize().unwrap();
        assert_eq!(p.len(), 5);
        let out: Vec<Integer> = sk
            .decrypt_packed(&p)
            .unwrap()
            .iter()
            .map(|e| e.decode_integer().unwrap())
            .collect();
        assert_eq!(out, vals.map(Integer::from));
        // a broken bound is detected in its slot
        let big = vec![pk.encrypt_i64(1 << 42).unwrap(), pk.encrypt_i64(1).unwrap()];
        let bad = PackedEncryptedVector::pack(&big, 43).unwrap();
        assert!(matches!(
            sk.decrypt_packed(&bad),
            Err(PaillierError::DecodeOverflow { .. })
        ));
        // too many slots for the key
        assert!(PackedEncryptedVector::pack(&enc, 300).is_err());
        assert!(PackedEncryptedVector::pack(&[], 40).is_err());
        assert!(PackedEncryptedVector::pack(&enc, 2).is_err());
    }

    #[test]
    fn pack_layer_outputs_with_bound() {
        let kp = test_keys::key_2048_djn();
        let (pk, sk) = (&kp.public, &kp.secret);
        let xs: Vec<f64> = (0..30).map(|i| f64::from(i % 7) / 7.0).collect();
        let w: Vec<f64> = (0..300).map(|i| f64::from(i % 11) / 11.0 - 0.5).collect();
        let enc = pk.encrypt_f64_batch(&xs).unwrap();
        let m = EncodedMatrix::encode_f64(10, 30, &w, WeightEncoding::PythonDefault).unwrap();
        let out = m.apply(&enc).unwrap();
        let direct = sk.decrypt_f64_batch(&out).unwrap();
        let p = PackedEncryptedVector::pack_with_bound(&out, 30.0 * 0.5).unwrap();
        assert_eq!(sk.decrypt_packed_f64(&p).unwrap(), direct);
        let other = test_keys::key_2048_standard();
        assert!(other.secret.decrypt_packed(&p).is_err());
        assert!(PackedEncryptedVector::pack_with_bound(&out, f64::NAN).is_err());
    }
}
