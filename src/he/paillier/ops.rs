//! Encryption, decryption and homomorphic operations.
//!
//! Semantics follow python-paillier's `EncryptedNumber`: exponents are
//! aligned by lowering the larger one (multiplying the ciphertext by
//! `16^diff`), negative scalars multiply the inverted ciphertext by
//! `|scalar|`, and results of homomorphic operations are *not*
//! re-randomised: call [`EncryptedNumber::rerandomize`] (or export through
//! `json`, which does it for you) before a ciphertext leaves the machine.
//!
//! Fresh randomness: Standard mode `r^n mod n^2`, `r` uniform in `Z*_n`;
//! DJN mode `h_s^a mod n^2`, `a` uniform in `[0, 2^(2 * security_bits))`,
//! with a fixed-base table. The bound `2 * security_bits` is the usual
//! short-exponent choice: the best generic attack on a `2k`-bit exponent
//! (Pollard's lambda / van Oorschot-Wiener) costs about `2^k`. DJN's
//! paper (Damgard, Jurik, Nielsen, "A generalization of Paillier's
//! public-key system with applications to electronic voting", Int. J. Inf.
//! Secur. 9(6), 2010, section 4.2) proposes a random exponent of
//! `ceil(k/2)` bits for a `k`-bit modulus, i.e. 1024 bits at 2048; the
//! shorter `2 * security_bits` exponent rests on the short-exponent
//! discrete-log assumption as in later DJN implementations (e.g. ABY,
//! NDSS 2015). All single-value functions here are single-threaded.
//! Randomness (`r`, `a`, `r^n`, `h_s^a`) is overwritten after use, with
//! the limits described in `keys`.

use std::fmt;

use rug::Integer;

use crate::he::paillier::encoding::{BASE, EncodedNumber};
use crate::he::paillier::error::{PaillierError, Result};
use crate::he::paillier::keys::{KeyFingerprint, PublicKey, SecretKey, wipe_integer};
use crate::he::paillier::params::EncryptionMode;
use crate::he::paillier::rng::{random_bits, random_unit, with_thread_rng};

/// An encrypted, encoded number: ciphertext in `Z*_{n^2}`, base-16 exponent,
/// and the key it belongs to.
#[derive(Clone)]
pub struct EncryptedNumber {
    pub(crate) ciphertext: Integer,
    pub(crate) exponent: i32,
    pub(crate) public_key: PublicKey,
    /// True when the ciphertext carries fresh randomness (fresh encryption
    /// or re-randomised) rather than being derived by homomorphic ops.
    pub(crate) fresh: bool,
}

impl fmt::Debug for EncryptedNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedNumber")
            .field("ciphertext_bits", &self.ciphertext.significant_bits())
            .field("exponent", &self.exponent)
            .field("key", &self.public_key.fingerprint())
            .field("fresh", &self.fresh)
            .finish()
    }
}

impl PartialEq for EncryptedNumber {
    fn eq(&self, other: &Self) -> bool {
        self.ciphertext == other.ciphertext
            && self.exponent == other.exponent
            && self.public_key == other.public_key
    }
}

fn checked_exponent(a: i32, b: i32) -> Result<i32> {
    a.checked_add(b)
        .ok_or_else(|| PaillierError::ExponentOutOfRange {
            what: format!("{a} + {b} overflows i32"),
        })
}

/// `(1 + m n) * rand mod n^2` computed as `rand + n * (m * (rand mod n) mod n)`
/// (no multiplication modulo n^2 at all).
pub(crate) fn combine_with_randomiser(pk: &PublicKey, m: &Integer, rand: &Integer) -> Integer {
    let n = pk.n();
    let mut t = Integer::from(rand % n);
    t *= m;
    t %= n;
    t *= n;
    t += rand;
    if t >= *pk.n_squared() {
        t -= pk.n_squared();
    }
    t
}

impl PublicKey {
    /// A fresh randomiser of this key's mode: `h_s^a` (DJN) or `r^n`
    /// (Standard), reduced mod `n^2`.
    ///
    /// # Errors
    /// [`PaillierError::Rng`].
    pub fn fresh_randomiser(&self) -> Result<Integer> {
        match &self.inner.djn {
            Some(djn) => {
                let mut a = with_thread_rng(|rng| random_bits(rng, djn.exponent_bits))?;
                let r = djn.table.pow(&a);
                wipe_integer(&mut a);
                Ok(r)
            }
            None => self.fresh_randomiser_standard(),
        }
    }

    /// A Standard-mode randomiser `r^n mod n^2` regardless of the key's mode.
    ///
    /// # Errors
    /// [`PaillierError::Rng`].
    pub fn fresh_randomiser_standard(&self) -> Result<Integer> {
        let mut r = with_thread_rng(|rng| random_unit(rng, self.n()))?;
        let rn = r.pow_mod_ref(self.n(), self.n_squared()).map(Integer::from);
        wipe_integer(&mut r);
        Ok(rn.unwrap_or_default())
    }

    /// Encrypts a raw plaintext in `[0, n)` with fresh randomness of the
    /// key's mode (or Standard when `mode` says so).
    ///
    /// # Errors
    /// [`PaillierError::PlaintextOutOfRange`], [`PaillierError::Rng`],
    /// [`PaillierError::DjnUnavailable`] when DJN is requested without DJN data.
    pub fn raw_encrypt(
        &self,
        plaintext: &Integer,
        mode: Option<EncryptionMode>,
    ) -> Result<Integer> {
        if *plaintext < 0 || *plaintext >= *self.n() {
            return Err(PaillierError::PlaintextOutOfRange {
                reason: "raw plaintext must lie in [0, n)".into(),
            });
        }
        let mut rand = match mode {
            None => self.fresh_randomiser()?,
            Some(EncryptionMode::Standard) => self.fresh_randomiser_standard()?,
            Some(EncryptionMode::Djn) => {
                if self.inner.djn.is_none() {
                    return Err(PaillierError::DjnUnavailable);
                }
                self.fresh_randomiser()?
            }
        };
        let c = combine_with_randomiser(self, plaintext, &rand);
        wipe_integer(&mut rand);
        Ok(c)
    }

    /// Encrypts an encoded number in the key's mode.
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`], [`PaillierError::Rng`].
    pub fn encrypt_encoded(&self, encoded: &EncodedNumber) -> Result<EncryptedNumber> {
        self.check_same(&encoded.public_key)?;
        let ciphertext = self.raw_encrypt(&encoded.encoding, None)?;
        Ok(EncryptedNumber {
            ciphertext,
            exponent: encoded.exponent,
            public_key: self.clone(),
            fresh: true,
        })
    }

    /// Encrypts an encoded number with an explicit mode.
    ///
    /// # Errors
    /// As [`PublicKey::raw_encrypt`].
    pub fn encrypt_encoded_mode(
        &self,
        encoded: &EncodedNumber,
        mode: EncryptionMode,
    ) -> Result<EncryptedNumber> {
        self.check_same(&encoded.public_key)?;
        let ciphertext = self.raw_encrypt(&encoded.encoding, Some(mode))?;
        Ok(EncryptedNumber {
            ciphertext,
            exponent: encoded.exponent,
            public_key: self.clone(),
            fresh: true,
        })
    }

    /// Encodes (python-paillier default) and encrypts a float.
    ///
    /// # Errors
    /// Encoding errors, [`PaillierError::Rng`].
    pub fn encrypt_f64(&self, x: f64) -> Result<EncryptedNumber> {
        self.encrypt_encoded(&EncodedNumber::encode_f64(self, x)?)
    }

    /// Encodes with `precision` / `max_exponent` and encrypts a float.
    ///
    /// # Errors
    /// Encoding errors, [`PaillierError::Rng`].
    pub fn encrypt_f64_with(
        &self,
        x: f64,
        precision: Option<f64>,
        max_exponent: Option<i32>,
    ) -> Result<EncryptedNumber> {
        self.encrypt_encoded(&EncodedNumber::encode_f64_with(
            self,
            x,
            precision,
            max_exponent,
        )?)
    }

    /// Encrypts a signed integer (exponent 0).
    ///
    /// # Errors
    /// [`PaillierError::EncodingOverflow`], [`PaillierError::Rng`].
    pub fn encrypt_integer(&self, x: &Integer) -> Result<EncryptedNumber> {
        self.encrypt_encoded(&EncodedNumber::encode_integer(self, x)?)
    }

    /// Encrypts an `i64` (exponent 0).
    ///
    /// # Errors
    /// As [`PublicKey::encrypt_integer`].
    pub fn encrypt_i64(&self, x: i64) -> Result<EncryptedNumber> {
        self.encrypt_encoded(&EncodedNumber::encode_i64(self, x)?)
    }

    /// Online encryption with a precomputed randomiser from `pool`: one
    /// multiplication-free combination `(1 + m n) * rand mod n^2`.
    ///
    /// # Errors
    /// [`PaillierError::RandomnessPoolEmpty`], [`PaillierError::KeyMismatch`].
    pub fn encrypt_encoded_with_pool(
        &self,
        encoded: &EncodedNumber,
        pool: &mut RandomnessPool,
    ) -> Result<EncryptedNumber> {
        self.check_same(&encoded.public_key)?;
        self.check_fingerprint(pool.key)?;
        let mut rand = pool.take()?;
        let ciphertext = combine_with_randomiser(self, &encoded.encoding, &rand);
        wipe_integer(&mut rand);
        Ok(EncryptedNumber {
            ciphertext,
            exponent: encoded.exponent,
            public_key: self.clone(),
            fresh: true,
        })
    }

    /// Low-level online step `(1 + m n) * randomiser mod n^2` with a
    /// caller-supplied randomiser (python-paillier's `r_value`, but taking
    /// `r^n` / `h_s^a` itself). The caller must use each randomiser once;
    /// prefer [`PublicKey::encrypt_encoded_with_pool`].
    ///
    /// # Errors
    /// [`PaillierError::PlaintextOutOfRange`], [`PaillierError::InvalidCiphertext`]
    /// for a randomiser outside `[1, n^2)`.
    pub fn raw_encrypt_with_randomiser(
        &self,
        plaintext: &Integer,
        randomiser: &Integer,
    ) -> Result<Integer> {
        if *plaintext < 0 || *plaintext >= *self.n() {
            return Err(PaillierError::PlaintextOutOfRange {
                reason: "raw plaintext must lie in [0, n)".into(),
            });
        }
        if *randomiser < 1 || *randomiser >= *self.n_squared() {
            return Err(PaillierError::InvalidCiphertext {
                reason: "randomiser must lie in [1, n^2)".into(),
            });
        }
        Ok(combine_with_randomiser(self, plaintext, randomiser))
    }

    /// Wraps a received raw ciphertext, validating it (in `[1, n^2)`,
    /// coprime to n). Treated as fresh (it came from outside).
    ///
    /// # Errors
    /// [`PaillierError::InvalidCiphertext`].
    pub fn encrypted_number_from_raw(
        &self,
        ciphertext: Integer,
        exponent: i32,
    ) -> Result<EncryptedNumber> {
        self.validate_ciphertext(&ciphertext)?;
        Ok(EncryptedNumber {
            ciphertext,
            exponent,
            public_key: self.clone(),
            fresh: true,
        })
    }
}

/// Randomisers (`r^n` or `h_s^a` mod `n^2`) precomputed offline, each used
/// once by [`PublicKey::encrypt_encoded_with_pool`]. A randomiser decrypts
/// the ciphertext it was used for, so the pool is not `Clone` and its
/// integers are overwritten when used and when the pool is dropped (with the
/// same limits as `SecretKey`'s zeroisation).
pub struct RandomnessPool {
    key: KeyFingerprint,
    items: Vec<Integer>,
    filled: usize,
}

impl fmt::Debug for RandomnessPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RandomnessPool")
            .field("key", &self.key)
            .field("remaining", &self.items.len())
            .field("filled", &self.filled)
            .finish()
    }
}

impl Drop for RandomnessPool {
    fn drop(&mut self) {
        for x in &mut self.items {
            wipe_integer(x);
        }
    }
}

impl RandomnessPool {
    /// An empty pool for `public_key`.
    pub fn new(public_key: &PublicKey) -> Self {
        Self {
            key: public_key.fingerprint(),
            items: Vec::new(),
            filled: 0,
        }
    }

    /// Offline phase, one thread: adds `count` randomisers of the key's mode.
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`], [`PaillierError::Rng`].
    pub fn fill(&mut self, public_key: &PublicKey, count: usize) -> Result<()> {
        public_key.check_fingerprint(self.key)?;
        self.items.reserve(count);
        for _ in 0..count {
            self.items.push(public_key.fresh_randomiser()?);
        }
        self.filled += count;
        Ok(())
    }

    /// Offline phase on all cores (rayon).
    ///
    /// # Errors
    /// As [`RandomnessPool::fill`].
    pub fn fill_par(&mut self, public_key: &PublicKey, count: usize) -> Result<()> {
        use rayon::prelude::*;
        public_key.check_fingerprint(self.key)?;
        let fresh: Result<Vec<Integer>> = (0..count)
            .into_par_iter()
            .map(|_| public_key.fresh_randomiser())
            .collect();
        self.items.extend(fresh?);
        self.filled += count;
        Ok(())
    }

    /// Randomisers left.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no randomiser is left.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn take(&mut self) -> Result<Integer> {
        self.items.pop().ok_or(PaillierError::RandomnessPoolEmpty {
            capacity: self.filled,
        })
    }
}

impl EncryptedNumber {
    /// The raw ciphertext.
    pub fn ciphertext(&self) -> &Integer {
        &self.ciphertext
    }

    /// The base-16 exponent.
    pub fn exponent(&self) -> i32 {
        self.exponent
    }

    /// The key this number is encrypted under.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Fingerprint of that key.
    pub fn key_fingerprint(&self) -> KeyFingerprint {
        self.public_key.fingerprint()
    }

    /// True for fresh encryptions and re-randomised values; false for
    /// results of homomorphic operations.
    pub fn is_rerandomized(&self) -> bool {
        self.fresh
    }

    fn derived(&self, ciphertext: Integer, exponent: i32) -> Self {
        Self {
            ciphertext,
            exponent,
            public_key: self.public_key.clone(),
            fresh: false,
        }
    }

    /// Multiplies in a fresh randomiser (python-paillier's `obfuscate`).
    ///
    /// # Errors
    /// [`PaillierError::Rng`].
    pub fn rerandomize(&mut self) -> Result<()> {
        let mut r = self.public_key.fresh_randomiser()?;
        self.ciphertext *= &r;
        wipe_integer(&mut r);
        self.ciphertext %= self.public_key.n_squared();
        self.fresh = true;
        Ok(())
    }

    /// A re-randomised copy.
    ///
    /// # Errors
    /// [`PaillierError::Rng`].
    pub fn rerandomized(&self) -> Result<Self> {
        let mut c = self.clone();
        c.rerandomize()?;
        Ok(c)
    }

    /// `E(a * k)` for a raw plaintext `k` in `[0, n)`, python-paillier's
    /// `_raw_mul`: scalars in the negative range `[n - max_int, n)` invert
    /// the ciphertext and use `n - k`.
    fn raw_mul(&self, k: &Integer) -> Result<Integer> {
        let pk = &self.public_key;
        if *k < 0 || *k >= *pk.n() {
            return Err(PaillierError::PlaintextOutOfRange {
                reason: "scalar must lie in [0, n)".into(),
            });
        }
        let n2 = pk.n_squared();
        if *k >= pk.inner.neg_threshold {
            let inv =
                self.ciphertext
                    .clone()
                    .invert(n2)
                    .map_err(|_| PaillierError::NotInvertible {
                        what: "ciphertext".into(),
                    })?;
            let neg_k = Integer::from(pk.n() - k);
            Ok(inv.pow_mod(&neg_k, n2).unwrap_or_default())
        } else {
            Ok(self.ciphertext.clone().pow_mod(k, n2).unwrap_or_default())
        }
    }

    /// python-paillier's `decrease_exponent_to`: same plaintext value,
    /// lower exponent (ciphertext raised to `16^diff`).
    ///
    /// # Errors
    /// [`PaillierError::ExponentIncrease`]; [`PaillierError::EncodingOverflow`]
    /// when `16^diff` exceeds `max_int` (as Python's encode would raise).
    pub fn decrease_exponent_to(&self, new_exp: i32) -> Result<Self> {
        if new_exp > self.exponent {
            return Err(PaillierError::ExponentIncrease {
                current: self.exponent,
                requested: new_exp,
            });
        }
        if new_exp == self.exponent {
            return Ok(self.clone());
        }
        let diff = i64::from(self.exponent) - i64::from(new_exp);
        let bits = diff.saturating_mul(4);
        if bits >= i64::from(self.public_key.bits()) {
            return Err(PaillierError::EncodingOverflow {
                value: format!("16^{diff}"),
                max_int: self.public_key.max_int().to_string(),
            });
        }
        let factor = Integer::from(Integer::u_pow_u(BASE, diff as u32));
        let enc = EncodedNumber::encode_integer(&self.public_key, &factor)?;
        let c = self.raw_mul(&enc.encoding)?;
        Ok(self.derived(c, new_exp))
    }

    fn aligned_pair(&self, other_exp: i32) -> Result<(Self, i32)> {
        if self.exponent > other_exp {
            Ok((self.decrease_exponent_to(other_exp)?, other_exp))
        } else {
            Ok((self.clone(), self.exponent))
        }
    }

    /// `E(a + b)`; exponents aligned to the smaller one.
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`], alignment errors.
    pub fn add(&self, other: &EncryptedNumber) -> Result<Self> {
        self.public_key.check_same(&other.public_key)?;
        let (a, exp) = self.aligned_pair(other.exponent)?;
        let (b, _) = other.aligned_pair(exp)?;
        let mut c = Integer::from(&a.ciphertext * &b.ciphertext);
        c %= self.public_key.n_squared();
        Ok(self.derived(c, exp))
    }

    /// `E(a + b)` for an encoded plaintext `b` (python's `_add_encoded`).
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`], alignment errors.
    pub fn add_encoded(&self, b: &EncodedNumber) -> Result<Self> {
        self.public_key.check_same(&b.public_key)?;
        let (a, exp) = self.aligned_pair(b.exponent)?;
        let b = if b.exponent > exp {
            b.decrease_exponent_to(exp)?
        } else {
            b.clone()
        };
        // E(b) with r = 1 is 1 + b n; multiply it in.
        let nude = Integer::from(&b.encoding * self.public_key.n()) + 1u32;
        let mut c = Integer::from(&a.ciphertext * &nude);
        c %= self.public_key.n_squared();
        Ok(self.derived(c, exp))
    }

    /// `E(a + x)` for a float, encoded with `max_exponent = self.exponent`
    /// (python's `_add_scalar`).
    ///
    /// # Errors
    /// Encoding errors.
    pub fn add_f64(&self, x: f64) -> Result<Self> {
        let b = EncodedNumber::encode_f64_with(&self.public_key, x, None, Some(self.exponent))?;
        self.add_encoded(&b)
    }

    /// `E(a + x)` for an integer (python's `_add_scalar`).
    ///
    /// # Errors
    /// Encoding errors.
    pub fn add_integer(&self, x: &Integer) -> Result<Self> {
        let b = EncodedNumber::encode_integer_with(&self.public_key, x, None, Some(self.exponent))?;
        self.add_encoded(&b)
    }

    /// `E(a * b)` for an encoded scalar; exponents add.
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`], [`PaillierError::ExponentOutOfRange`].
    pub fn mul_encoded(&self, b: &EncodedNumber) -> Result<Self> {
        self.public_key.check_same(&b.public_key)?;
        let exp = checked_exponent(self.exponent, b.exponent)?;
        let c = self.raw_mul(&b.encoding)?;
        Ok(self.derived(c, exp))
    }

    /// `E(a * x)` for a float (python-paillier's default encoding of `x`).
    ///
    /// # Errors
    /// Encoding errors.
    pub fn mul_f64(&self, x: f64) -> Result<Self> {
        self.mul_encoded(&EncodedNumber::encode_f64(&self.public_key, x)?)
    }

    /// `E(a * x)` for a signed integer.
    ///
    /// # Errors
    /// Encoding errors.
    pub fn mul_integer(&self, x: &Integer) -> Result<Self> {
        self.mul_encoded(&EncodedNumber::encode_integer(&self.public_key, x)?)
    }

    /// `E(a * x)` for an `i64`.
    ///
    /// # Errors
    /// Encoding errors.
    pub fn mul_i64(&self, x: i64) -> Result<Self> {
        self.mul_integer(&Integer::from(x))
    }

    /// `E(-a)`: the inverse ciphertext.
    ///
    /// # Errors
    /// [`PaillierError::NotInvertible`] (impossible for valid ciphertexts).
    pub fn neg(&self) -> Result<Self> {
        let inv = self
            .ciphertext
            .clone()
            .invert(self.public_key.n_squared())
            .map_err(|_| PaillierError::NotInvertible {
                what: "ciphertext".into(),
            })?;
        Ok(self.derived(inv, self.exponent))
    }

    /// `E(a - b)`.
    ///
    /// # Errors
    /// As [`EncryptedNumber::add`].
    pub fn sub(&self, other: &EncryptedNumber) -> Result<Self> {
        self.add(&other.neg()?)
    }
}

impl SecretKey {
    fn check_key(&self, enc: &EncryptedNumber) -> Result<()> {
        self.public_key().check_same(&enc.public_key)
    }

    /// Decrypts to the encoded plaintext.
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`].
    pub fn decrypt_encoded(&self, enc: &EncryptedNumber) -> Result<EncodedNumber> {
        self.check_key(enc)?;
        let m = self.raw_decrypt(&enc.ciphertext);
        EncodedNumber::from_raw(self.public_key(), m, enc.exponent)
    }

    /// Decrypts and decodes to the nearest `f64` (python's `decrypt`).
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`], [`PaillierError::DecodeOverflow`],
    /// [`PaillierError::FloatOverflow`].
    pub fn decrypt_f64(&self, enc: &EncryptedNumber) -> Result<f64> {
        self.decrypt_encoded(enc)?.decode_f64()
    }

    /// Decrypts to `(signed mantissa, exponent)`: exactly `m * 16^e`.
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`], [`PaillierError::DecodeOverflow`].
    pub fn decrypt_exact(&self, enc: &EncryptedNumber) -> Result<(Integer, i32)> {
        self.decrypt_encoded(enc)?.decode_exact()
    }

    /// Decrypts to an exact signed integer.
    ///
    /// # Errors
    /// [`PaillierError::KeyMismatch`], [`PaillierError::DecodeOverflow`],
    /// [`PaillierError::NotAnInteger`].
    pub fn decrypt_integer(&self, enc: &EncryptedNumber) -> Result<Integer> {
        self.decrypt_encoded(enc)?.decode_integer()
    }
}

/// `sum_i inputs[i] * weights[i]` as an [`EncryptedNumber`], with a
/// multi-exponentiation (weights with different exponents are aligned to
/// the smallest one exactly, like python's `sum(w * x)`).
///
/// # Errors
/// [`PaillierError::DimensionMismatch`], [`PaillierError::KeyMismatch`],
/// [`PaillierError::DecodeOverflow`] for weights in the overflow band.
pub fn dot(inputs: &[EncryptedNumber], weights: &[EncodedNumber]) -> Result<EncryptedNumber> {
    if inputs.len() != weights.len() {
        return Err(PaillierError::DimensionMismatch {
            what: "dot weights".into(),
            expected: inputs.len(),
            found: weights.len(),
        });
    }
    let Some(first) = inputs.first() else {
        return Err(PaillierError::DimensionMismatch {
            what: "dot inputs (must be non-empty)".into(),
            expected: 1,
            found: 0,
        });
    };
    let pk = first.public_key.clone();
    for w in weights {
        pk.check_same(&w.public_key)?;
    }
    let w_min = weights.iter().map(|w| w.exponent).min().unwrap_or(0);
    let mut mantissas = Vec::with_capacity(weights.len());
    for w in weights {
        let m = signed_for_mul(&pk, &w.encoding);
        let shift = 4 * (i64::from(w.exponent) - i64::from(w_min));
        mantissas.push(shift_mantissa(m, shift)?);
    }
    let (c, in_exp) = crate::he::paillier::matrix::multi_exp_row(&pk, inputs, &mantissas)?;
    let exp = checked_exponent(w_min, in_exp)?;
    Ok(EncryptedNumber {
        ciphertext: c,
        exponent: exp,
        public_key: pk,
        fresh: false,
    })
}

/// [`dot`] with float weights in python-paillier's default encoding.
///
/// # Errors
/// As [`dot`], plus encoding errors.
pub fn dot_f64(inputs: &[EncryptedNumber], weights: &[f64]) -> Result<EncryptedNumber> {
    let Some(first) = inputs.first() else {
        return Err(PaillierError::DimensionMismatch {
            what: "dot inputs (must be non-empty)".into(),
            expected: 1,
            found: 0,
        });
    };
    let enc: Result<Vec<EncodedNumber>> = weights
        .iter()
        .map(|&w| EncodedNumber::encode_f64(&first.public_key, w))
        .collect();
    dot(inputs, &enc?)
}

/// The signed scalar python's `_raw_mul` effectively multiplies by: values
/// at or above `n - max_int` are negative.
pub(crate) fn signed_for_mul(pk: &PublicKey, encoding: &Integer) -> Integer {
    if *encoding >= pk.inner.neg_threshold {
        Integer::from(encoding - pk.n())
    } else {
        encoding.clone()
    }
}

pub(crate) fn shift_mantissa(mut m: Integer, shift_bits: i64) -> Result<Integer> {
    if shift_bits == 0 {
        return Ok(m);
    }
    let s = u32::try_from(shift_bits).map_err(|_| PaillierError::ExponentOutOfRange {
        what: format!("exponent alignment by {shift_bits} bits"),
    })?;
    if s > 1 << 20 {
        return Err(PaillierError::ExponentOutOfRange {
            what: format!("exponent alignment by {shift_bits} bits"),
        });
    }
    m <<= s;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::paillier::test_keys;

    #[test]
    fn round_trip_both_modes_and_fresh_randomness() {
        for kp in [test_keys::key_2048_standard(), test_keys::key_2048_djn()] {
            let pk = &kp.public;
            let a = pk.encrypt_f64(0.15625).unwrap();
            let b = pk.encrypt_f64(0.15625).unwrap();
            assert_ne!(a.ciphertext(), b.ciphertext(), "randomised");
            assert!(a.is_rerandomized());
            assert_eq!(kp.secret.decrypt_f64(&a).unwrap(), 0.15625);
            let i = pk.encrypt_i64(-7).unwrap();
            assert_eq!(kp.secret.decrypt_integer(&i).unwrap(), -7);
            // explicit Standard mode on a DJN key also decrypts
            let e = EncodedNumber::encode_i64(pk, 99).unwrap();
            let s = pk
                .encrypt_encoded_mode(&e, EncryptionMode::Standard)
                .unwrap();
            assert_eq!(kp.secret.decrypt_integer(&s).unwrap(), 99);
        }
        let std_key = test_keys::key_2048_standard();
        let e = EncodedNumber::encode_i64(&std_key.public, 1).unwrap();
        assert_eq!(
            std_key.public.encrypt_encoded_mode(&e, EncryptionMode::Djn),
            Err(PaillierError::DjnUnavailable)
        );
    }

    #[test]
    fn pool_online_encryption() {
        for kp in [test_keys::key_1024(), test_keys::key_2048_djn()] {
            let pk = &kp.public;
            let mut pool = RandomnessPool::new(pk);
            pool.fill(pk, 2).unwrap();
            pool.fill_par(pk, 1).unwrap();
            assert_eq!(pool.len(), 3);
            for v in [3i64, -4, 0] {
                let e = EncodedNumber::encode_i64(pk, v).unwrap();
                let c = pk.encrypt_encoded_with_pool(&e, &mut pool).unwrap();
                assert_eq!(kp.secret.decrypt_integer(&c).unwrap(), v);
            }
            let e = EncodedNumber::encode_i64(pk, 1).unwrap();
            assert_eq!(
                pk.encrypt_encoded_with_pool(&e, &mut pool).unwrap_err(),
                PaillierError::RandomnessPoolEmpty { capacity: 3 }
            );
            let r = pk.fresh_randomiser().unwrap();
            let c = pk
                .raw_encrypt_with_randomiser(&Integer::from(5), &r)
                .unwrap();
            let c = pk.encrypted_number_from_raw(c, 0).unwrap();
            assert_eq!(kp.secret.decrypt_integer(&c).unwrap(), 5);
            assert!(
                pk.raw_encrypt_with_randomiser(&Integer::from(5), &Integer::new())
                    .is_err()
            );
            assert!(pk.raw_encrypt_with_randomiser(pk.n(), &r).is_err());
            assert!(pk.raw_encrypt(&Integer::from(-1), None).is_err());
        }
    }

    #[test]
    fn homomorphic_ops_follow_python_semantics() {
        let kp = test_keys::key_1024();
        let (pk, sk) = (&kp.public, &kp.secret);
        let a = pk.encrypt_f64(1.5).unwrap(); // exponent -13
        let b = pk.encrypt_f64(0.25).unwrap(); // exponent -14
        let s = a.add(&b).unwrap();
        assert_eq!(s.exponent(), -14);
        assert!(!s.is_rerandomized());
        assert_eq!(sk.decrypt_f64(&s).unwrap(), 1.75);
        assert_eq!(sk.decrypt_f64(&a.sub(&b).unwrap()).unwrap(), 1.25);
        assert_eq!(sk.decrypt_f64(&a.neg().unwrap()).unwrap(), -1.5);
        assert_eq!(sk.decrypt_f64(&a.add_f64(-2.0).unwrap()).unwrap(), -0.5);
        assert_eq!(sk.decrypt_f64(&a.mul_f64(-2.0).unwrap()).unwrap(), -3.0);
        assert_eq!(sk.decrypt_f64(&a.mul_i64(0).unwrap()).unwrap(), 0.0);
        let ten = pk.encrypt_i64(10).unwrap();
        assert_eq!(
            sk.decrypt_integer(&ten.add_integer(&Integer::from(-11)).unwrap())
                .unwrap(),
            -1
        );
        let d = a.decrease_exponent_to(-20).unwrap();
        assert_eq!(d.exponent(), -20);
        assert_eq!(sk.decrypt_f64(&d).unwrap(), 1.5);
        assert!(a.decrease_exponent_to(0).is_err());
        let mut r = s.clone();
        r.rerandomize().unwrap();
        assert!(r.is_rerandomized());
        assert_ne!(r.ciphertext(), s.ciphertext());
        assert_eq!(sk.decrypt_f64(&r).unwrap(), 1.75);
    }

    #[test]
    fn other_key_is_refused() {
        let k1 = test_keys::key_1024();
        let k2 = test_keys::key_1024_other();
        let a = k1.public.encrypt_i64(1).unwrap();
        let b = k2.public.encrypt_i64(2).unwrap();
        assert!(matches!(a.add(&b), Err(PaillierError::KeyMismatch { .. })));
        assert!(matches!(
            k2.secret.decrypt_f64(&a),
            Err(PaillierError::KeyMismatch { .. })
        ));
        let e2 = EncodedNumber::encode_i64(&k2.public, 3).unwrap();
        assert!(a.mul_encoded(&e2).is_err());
        assert!(a.add_encoded(&e2).is_err());
        assert!(k1.public.encrypt_encoded(&e2).is_err());
        let mut pool = RandomnessPool::new(&k2.public);
        pool.fill(&k2.public, 1).unwrap();
        let e1 = EncodedNumber::encode_i64(&k1.public, 3).unwrap();
        assert!(k1.public.encrypt_encoded_with_pool(&e1, &mut pool).is_err());
        assert!(pool.fill(&k1.public, 1).is_err());
    }

    #[test]
    fn raw_ciphertext_validation() {
        let kp = test_keys::key_1024();
        let pk = &kp.public;
        assert!(pk.encrypted_number_from_raw(Integer::new(), 0).is_err());
        assert!(
            pk.encrypted_number_from_raw(pk.n_squared().clone(), 0)
                .is_err()
        );
        assert!(pk.encrypted_number_from_raw(pk.n().clone(), 0).is_err());
        let ok = pk
            .encrypted_number_from_raw(Integer::from(pk.n() + 1u32), 0)
            .unwrap();
        assert_eq!(kp.secret.decrypt_integer(&ok).unwrap(), 1);
    }

    #[test]
    fn dot_product_matches_plain() {
        let kp = test_keys::key_1024();
        let (pk, sk) = (&kp.public, &kp.secret);
        let xs = [0.5, -0.25, 3.0, 0.0, 1.0 / 3.0];
        let ws = [0.1, -0.7, 2.5, 9.0, -1e-3];
        let enc: Vec<_> = xs.iter().map(|&x| pk.encrypt_f64(x).unwrap()).collect();
        let r = dot_f64(&enc, &ws).unwrap();
        // exact check against python-style sum of w*x
        let mut py = enc[0].mul_f64(ws[0]).unwrap();
        for (e, &w) in enc.iter().zip(&ws).skip(1) {
            py = py.add(&e.mul_f64(w).unwrap()).unwrap();
        }
        let (m1, e1) = sk.decrypt_exact(&r).unwrap();
        let (m2, e2) = sk.decrypt_exact(&py).unwrap();
        let align = |m: Integer, e: i32, to: i32| m << (4 * (e - to)) as u32;
        let lo = e1.min(e2);
        assert_eq!(align(m1, e1, lo), align(m2, e2, lo));
        let plain: f64 = xs.iter().zip(&ws).map(|(x, w)| x * w).sum();
        assert!((sk.decrypt_f64(&r).unwrap() - plain).abs() < 1e-12);
        assert!(dot_f64(&enc, &ws[..2]).is_err());
        assert!(dot_f64(&[], &[]).is_err());
    }
}
