//! Keys and key generation.
//!
//! * `g = n + 1` always (as python-paillier), so `(1 + n)^m = 1 + m n mod n^2`.
//! * p and q are primes of `key_bits / 2` bits each with their two top bits
//!   set, so n has exactly `key_bits` bits; they come from a ChaCha20
//!   generator seeded from the operating system (see `rng`). Candidates are
//!   drawn at random and moved to the next prime with GMP's `mpz_nextprime`
//!   (sieving, then Baillie-PSW plus a Miller-Rabin round in GMP >= 6.2),
//!   as python-paillier's `getprimeover` does; p != q,
//!   |p - q| > 2^(key_bits/2 - 100) (FIPS 186-5 A.1.3 style) and
//!   gcd(n, (p-1)(q-1)) = 1 are enforced.
//! * Decryption uses the CRT with python-paillier's precomputation:
//!   `hp = L_p(g^(p-1) mod p^2)^-1 mod p`, same for q, and `p^-1 mod q`.
//!
//! # Zeroisation
//! [`SecretKey`] overwrites the limbs of every secret integer (p, q, p^2,
//! q^2, p-1, q-1, hp, hq, p^-1 mod q) when it is dropped or
//! [`Zeroize::zeroize`]d: the value is set to 0 and then a bit just below the
//! allocated capacity is set, which makes GMP zero-fill every allocated
//! limb below it (the top limb then holds only that single bit), and the
//! value is set to 0 again. What this does **not** cover: copies GMP makes
//! in its own scratch space during `powm`/`nextprime`/`invert` (freed
//! without wiping), buffers released when an integer was reallocated while
//! it grew, intermediate rug temporaries, CPU registers, swap, and core
//! dumps. The key is never printed: `Debug` shows
//! `SecretKey { .. redacted .. }` and there is no `Display` or `Serialize`.
//!
//! Timing: decryption uses GMP's variable-time `mpz_powm`, as
//! python-paillier does; this engine is not hardened against timing
//! attacks by a co-located adversary.

use std::fmt;
use std::sync::Arc;

use rand::CryptoRng;
use rug::integer::{IsPrime, Order};
use rug::{Assign, Integer};
use zeroize::Zeroize;

use crate::he::paillier::error::{PaillierError, Result};
use crate::he::paillier::multiexp::{FixedBaseTable, reduce};
use crate::he::paillier::params::{
    EncryptionMode, PaillierParams, check_key_bits_size, security_bits_for_modulus, security_label,
};
use crate::he::paillier::rng::{os_seeded_chacha, random_bits, random_unit};

/// A 128-bit identifier of a public key: FNV-1a-128 over
/// `"heml-paillier-n:" || n` (big-endian bytes). It catches values used
/// with the wrong key; it is not a cryptographic commitment.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyFingerprint([u8; 16]);

impl KeyFingerprint {
    /// Fingerprint of the modulus `n`.
    pub fn of_modulus(n: &Integer) -> Self {
        const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
        const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
        let mut h = OFFSET;
        let mut eat = |b: u8| {
            h ^= u128::from(b);
            h = h.wrapping_mul(PRIME);
        };
        for &b in b"heml-paillier-n:" {
            eat(b);
        }
        let mut bytes = vec![0u8; n.significant_digits::<u8>()];
        n.write_digits(&mut bytes, Order::Msf);
        for b in bytes {
            eat(b);
        }
        Self(h.to_be_bytes())
    }

    /// The raw 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for KeyFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyFingerprint({self})")
    }
}

/// DJN public data: `h_s = (-x^2)^n mod n^2` and its fixed-base table.
pub(crate) struct DjnPublic {
    pub(crate) h_s: Integer,
    pub(crate) exponent_bits: u32,
    pub(crate) table: FixedBaseTable,
}

pub(crate) struct PublicKeyInner {
    pub(crate) n: Integer,
    pub(crate) n_squared: Integer,
    /// python-paillier's `max_int = n // 3 - 1`.
    pub(crate) max_int: Integer,
    /// `n - max_int`: encodings at or above it are negative.
    pub(crate) neg_threshold: Integer,
    pub(crate) bits: u32,
    pub(crate) fingerprint: KeyFingerprint,
    pub(crate) djn: Option<DjnPublic>,
}

/// A Paillier public key (`g = n + 1`). Cloning is cheap (shared).
#[derive(Clone)]
pub struct PublicKey {
    pub(crate) inner: Arc<PublicKeyInner>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.inner.bits)
            .field("fingerprint", &self.inner.fingerprint)
            .field("mode", &self.mode())
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner) || self.inner.n == other.inner.n
    }
}

impl Eq for PublicKey {}

/// Small odd primes for the sanity check of imported moduli.
fn has_small_factor(n: &Integer) -> bool {
    (3u32..2000)
        .step_by(2)
        .filter(|&d| {
            (3..)
                .step_by(2)
                .take_while(|k| k * k <= d)
                .all(|k| d % k != 0)
        })
        .any(|d| n.is_divisible_u(d) && *n != d)
}

impl PublicKey {
    fn build(n: Integer, djn: Option<DjnPublic>) -> Self {
        let n_squared = Integer::from(n.square_ref());
        let mut max_int = Integer::from(&n / 3u32);
        max_int -= 1;
        let neg_threshold = Integer::from(&n - &max_int);
        let bits = n.significant_bits();
        let fingerprint = KeyFingerprint::of_modulus(&n);
        Self {
            inner: Arc::new(PublicKeyInner {
                n,
                n_squared,
                max_int,
                neg_threshold,
                bits,
                fingerprint,
                djn,
            }),
        }
    }

    /// A public key from its modulus, as received from elsewhere (e.g. a
    /// python-paillier client). Validates: n odd, of an accepted size
    /// (>= 2048 bits, or >= 512 with `allow_insecure`), not a perfect
    /// square, not prime, without prime factors below 2000.
    ///
    /// # Errors
    /// [`PaillierError::InvalidPublicKey`], [`PaillierError::KeyTooSmall`],
    /// [`PaillierError::KeyTooLarge`].
    pub fn from_modulus(n: Integer, allow_insecure: bool) -> Result<Self> {
        if n <= 1 {
            return Err(PaillierError::InvalidPublicKey {
                reason: "n must be greater than 1".into(),
            });
        }
        check_key_bits_size(n.significant_bits(), allow_insecure)?;
        if n.is_even() {
            return Err(PaillierError::InvalidPublicKey {
                reason: "n must be odd".into(),
            });
        }
        if n.is_perfect_square() {
            return Err(PaillierError::InvalidPublicKey {
                reason: "n is a perfect square (p == q)".into(),
            });
        }
        if has_small_factor(&n) {
            return Err(PaillierError::InvalidPublicKey {
                reason: "n has a small prime factor".into(),
            });
        }
        if n.is_probably_prime(2) != IsPrime::No {
            return Err(PaillierError::InvalidPublicKey {
                reason: "n is prime, not a product of two primes".into(),
            });
        }
        Ok(Self::build(n, None))
    }

    /// The modulus n.
    pub fn n(&self) -> &Integer {
        &self.inner.n
    }

    /// The generator `g = n + 1`.
    pub fn g(&self) -> Integer {
        Integer::from(&self.inner.n + 1u32)
    }

    /// `n^2`.
    pub fn n_squared(&self) -> &Integer {
        &self.inner.n_squared
    }

    /// Largest encodable magnitude, python-paillier's `n // 3 - 1`.
    pub fn max_int(&self) -> &Integer {
        &self.inner.max_int
    }

    /// Size of n in bits.
    pub fn bits(&self) -> u32 {
        self.inner.bits
    }

    /// Key fingerprint (hash of n).
    pub fn fingerprint(&self) -> KeyFingerprint {
        self.inner.fingerprint
    }

    /// The mode fresh encryptions use: [`EncryptionMode::Djn`] when the key
    /// carries DJN data, else [`EncryptionMode::Standard`].
    pub fn mode(&self) -> EncryptionMode {
        if self.inner.djn.is_some() {
            EncryptionMode::Djn
        } else {
            EncryptionMode::Standard
        }
    }

    /// DJN's `h_s`, when present.
    pub fn djn_h_s(&self) -> Option<&Integer> {
        self.inner.djn.as_ref().map(|d| &d.h_s)
    }

    /// Bit length of the DJN short exponent, when present.
    pub fn djn_exponent_bits(&self) -> Option<u32> {
        self.inner.djn.as_ref().map(|d| d.exponent_bits)
    }

    /// Bytes held by the DJN fixed-base table (0 without DJN).
    pub fn djn_table_bytes(&self) -> usize {
        self.inner
            .djn
            .as_ref()
            .map_or(0, |d| d.table.memory_bytes())
    }

    /// Estimated security strength of n (see `params`).
    pub fn security_bits(&self) -> u32 {
        security_bits_for_modulus(self.inner.bits)
    }

    /// Label as [`PaillierParams::security_label`].
    pub fn security_label(&self) -> String {
        security_label(self.inner.bits, false)
    }

    /// Errors unless `found` is this key's fingerprint.
    pub(crate) fn check_fingerprint(&self, found: KeyFingerprint) -> Result<()> {
        if found == self.inner.fingerprint {
            Ok(())
        } else {
            Err(PaillierError::KeyMismatch {
                expected: self.inner.fingerprint.to_string(),
                found: found.to_string(),
            })
        }
    }

    /// Errors unless `other` is the same key.
    pub(crate) fn check_same(&self, other: &PublicKey) -> Result<()> {
        if Arc::ptr_eq(&self.inner, &other.inner) {
            return Ok(());
        }
        self.check_fingerprint(other.inner.fingerprint)?;
        if self.inner.n != other.inner.n {
            return Err(PaillierError::KeyMismatch {
                expected: self.inner.fingerprint.to_string(),
                found: format!("{} (fingerprint collision)", other.inner.fingerprint),
            });
        }
        Ok(())
    }

    /// Checks that `c` is a valid ciphertext: in `[1, n^2)` and coprime to n.
    ///
    /// # Errors
    /// [`PaillierError::InvalidCiphertext`].
    pub fn validate_ciphertext(&self, c: &Integer) -> Result<()> {
        if *c < 1 || *c >= self.inner.n_squared {
            return Err(PaillierError::InvalidCiphertext {
                reason: "ciphertext must lie in [1, n^2)".into(),
            });
        }
        if Integer::from(c.gcd_ref(&self.inner.n)) != 1 {
            return Err(PaillierError::InvalidCiphertext {
                reason: "ciphertext is not coprime to n".into(),
            });
        }
        Ok(())
    }
}

/// Overwrites every allocated limb of `x` except the top one with zeros
/// (which then holds a single set bit); see the module docs.
pub(crate) fn overwrite_limbs(x: &mut Integer) {
    let cap = x.capacity();
    x.assign(0);
    if cap > 0
        && let Ok(top) = u32::try_from(cap - 1)
    {
        x.set_bit(top, true);
    }
}

/// Overwrites and zeroes `x` (see [`overwrite_limbs`]).
pub(crate) fn wipe_integer(x: &mut Integer) {
    overwrite_limbs(x);
    x.assign(0);
}

/// A Paillier secret key with CRT precomputation. Never printed; wiped on
/// drop (see the module docs for what that guarantees).
pub struct SecretKey {
    public: PublicKey,
    p: Integer,
    q: Integer,
    p_squared: Integer,
    q_squared: Integer,
    p_minus_1: Integer,
    q_minus_1: Integer,
    hp: Integer,
    hq: Integer,
    p_inverse: Integer,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey { .. redacted .. }")
    }
}

impl Zeroize for SecretKey {
    fn zeroize(&mut self) {
        for x in [
            &mut self.p,
            &mut self.q,
            &mut self.p_squared,
            &mut self.q_squared,
            &mut self.p_minus_1,
            &mut self.q_minus_1,
            &mut self.hp,
            &mut self.hq,
            &mut self.p_inverse,
        ] {
            wipe_integer(x);
        }
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for SecretKey {}

/// `L(x) = (x - 1) / d` (exact division).
fn l_function(mut x: Integer, d: &Integer) -> Integer {
    x -= 1;
    x.div_exact_mut(d);
    x
}

/// python-paillier's `h_function`: `L_x(g^(x-1) mod x^2)^-1 mod x`.
fn h_function(g: &Integer, x: &Integer, x_squared: &Integer) -> Result<Integer> {
    let xm1 = Integer::from(x - 1u32);
    let t = g
        .clone()
        .pow_mod(&xm1, x_squared)
        .map_err(|_| PaillierError::KeyGeneration {
            what: "g^(x-1) mod x^2 failed".into(),
        })?;
    l_function(t, x)
        .invert(x)
        .map_err(|_| PaillierError::KeyGeneration {
            what: "h-function is not invertible".into(),
        })
}

impl SecretKey {
    /// Builds a secret key from the two primes (in either order) and the
    /// public key they belong to.
    ///
    /// # Errors
    /// [`PaillierError::KeyGeneration`] if `p * q != n`, `p == q`, or the
    /// precomputation fails.
    pub fn from_primes(public: PublicKey, p: Integer, q: Integer) -> Result<Self> {
        if Integer::from(&p * &q) != *public.n() {
            return Err(PaillierError::KeyGeneration {
                what: "p * q does not equal the public modulus".into(),
            });
        }
        if p == q {
            return Err(PaillierError::KeyGeneration {
                what: "p and q must differ".into(),
            });
        }
        let (p, q) = if q < p { (q, p) } else { (p, q) };
        let g = public.g();
        let p_squared = Integer::from(p.square_ref());
        let q_squared = Integer::from(q.square_ref());
        let hp = h_function(&g, &p, &p_squared)?;
        let hq = h_function(&g, &q, &q_squared)?;
        let p_inverse = p
            .clone()
            .invert(&q)
            .map_err(|_| PaillierError::KeyGeneration {
                what: "p is not invertible modulo q".into(),
            })?;
        let p_minus_1 = Integer::from(&p - 1u32);
        let q_minus_1 = Integer::from(&q - 1u32);
        Ok(Self {
            public,
            p,
            q,
            p_squared,
            q_squared,
            p_minus_1,
            q_minus_1,
            hp,
            hq,
            p_inverse,
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn half(c: &Integer, x: &Integer, x2: &Integer, xm1: &Integer, h: &Integer) -> Integer {
        let mut t = Integer::from(c % x2);
        if t.pow_mod_mut(xm1, x2).is_err() {
            return Integer::new();
        }
        let mut t = l_function(t, x);
        t *= h;
        t %= x;
        t
    }

    /// Paillier decryption of a raw ciphertext in `[1, n^2)`, giving the
    /// raw plaintext in `[0, n)` (CRT, two half-size exponentiations).
    /// The ciphertext is not validated here; see
    /// [`PublicKey::validate_ciphertext`].
    pub fn raw_decrypt(&self, c: &Integer) -> Integer {
        let mp = Self::half(c, &self.p, &self.p_squared, &self.p_minus_1, &self.hp);
        let mq = Self::half(c, &self.q, &self.q_squared, &self.q_minus_1, &self.hq);
        let mut u = Integer::from(&mq - &mp);
        u *= &self.p_inverse;
        let mut u = reduce(&u, &self.q);
        u *= &self.p;
        u += mp;
        u
    }
}

/// A public/secret key pair.
pub struct Keypair {
    /// The public key.
    pub public: PublicKey,
    /// The secret key.
    pub secret: SecretKey,
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keypair")
            .field("public", &self.public)
            .field("secret", &self.secret)
            .finish()
    }
}

/// A random prime of exactly `bits` bits with its two top bits set.
fn random_prime<R: CryptoRng + ?Sized>(rng: &mut R, bits: u32) -> Integer {
    loop {
        let mut x = random_bits(rng, bits);
        x.set_bit(bits - 1, true);
        x.set_bit(bits - 2, true);
        x.next_prime_mut();
        if x.significant_bits() == bits {
            return x;
        }
        wipe_integer(&mut x);
    }
}

/// Builds the DJN public data for modulus n.
fn djn_setup<R: CryptoRng + ?Sized>(
    rng: &mut R,
    n: &Integer,
    n_squared: &Integer,
    exponent_bits: u32,
) -> Result<DjnPublic> {
    let mut x = random_unit(rng, n);
    let mut h = Integer::from(x.square_ref());
    h %= n;
    h = Integer::from(n - &h); // -x^2 mod n (x is a unit, so h != 0)
    let h_s = h
        .pow_mod(n, n_squared)
        .map_err(|_| PaillierError::KeyGeneration {
            what: "h^n mod n^2 failed".into(),
        })?;
    wipe_integer(&mut x);
    let window = FixedBaseTable::default_window(n_squared.significant_bits());
    let table = FixedBaseTable::new_mod_n_squared(&h_s, n, exponent_bits, window);
    Ok(DjnPublic {
        h_s,
        exponent_bits,
        table,
    })
}

fn generate_with_rng<R: CryptoRng + ?Sized>(
    params: &PaillierParams,
    rng: &mut R,
) -> Result<Keypair> {
    let bits = params.key_bits();
    let half = bits / 2;
    for _ in 0..1000 {
        let mut p = random_prime(rng, half);
        let mut q = random_prime(rng, half);
        let n = Integer::from(&p * &q);
        let diff = Integer::from(&p - &q).abs();
        let far_enough = diff.significant_bits() > half.saturating_sub(100);
        let phi = Integer::from(&p - 1u32) * Integer::from(&q - 1u32);
        let coprime = Integer::from(n.gcd_ref(&phi)) == 1;
        if p == q || !far_enough || !coprime || n.significant_bits() != bits {
            wipe_integer(&mut p);
            wipe_integer(&mut q);
            continue;
        }
        let djn = match params.mode() {
            EncryptionMode::Standard => None,
            EncryptionMode::Djn => {
                let n_squared = Integer::from(n.square_ref());
                Some(djn_setup(rng, &n, &n_squared, params.djn_exponent_bits())?)
            }
        };
        let public = PublicKey::build(n, djn);
        let secret = SecretKey::from_primes(public.clone(), p, q)?;
        return Ok(Keypair { public, secret });
    }
    Err(PaillierError::KeyGeneration {
        what: "no suitable primes after 1000 attempts".into(),
    })
}

/// Generates a key pair with primes from a ChaCha20 generator freshly
/// seeded from the operating system.
///
/// # Errors
/// [`PaillierError::Rng`] if the OS generator fails;
/// [`PaillierError::KeyGeneration`] should never happen.
pub fn generate_keypair(params: &PaillierParams) -> Result<Keypair> {
    let mut rng = os_seeded_chacha()?;
    generate_with_rng(params, &mut rng)
}

/// TEST ONLY: a key pair from a *seeded* generator, so tests can ask for
/// the same key twice. Never compiled outside `cargo test`.
#[cfg(test)]
pub(crate) fn insecure_deterministic_keypair_for_tests(
    params: &PaillierParams,
    seed: u64,
) -> Keypair {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    generate_with_rng(params, &mut rng).expect("deterministic test key generation")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::paillier::params::PaillierParamsLiteral;
    use crate::he::paillier::test_keys;

    fn insecure(bits: u32, mode: EncryptionMode) -> PaillierParams {
        PaillierParams::from_literal(&PaillierParamsLiteral {
            key_bits: bits,
            mode,
            allow_insecure: true,
        })
        .unwrap()
    }

    #[test]
    fn generated_key_has_exact_size_and_valid_crt() {
        let kp = test_keys::key_2048_djn();
        assert_eq!(kp.public.bits(), 2048);
        assert_eq!(kp.public.mode(), EncryptionMode::Djn);
        assert_eq!(kp.public.djn_exponent_bits(), Some(224));
        let sk = &kp.secret;
        assert_eq!(sk.p.significant_bits(), 1024);
        assert_eq!(sk.q.significant_bits(), 1024);
        assert!(sk.p < sk.q);
        assert_eq!(Integer::from(&sk.p * &sk.q), *kp.public.n());
        // hp = (-q)^-1 mod p when g = n + 1
        let expect = Integer::from(-&sk.q).invert(&sk.p).unwrap();
        assert_eq!(sk.hp, expect);
        // decryption of the nude ciphertext 1 + m n
        let m = Integer::from(123_456_789u64);
        let c = Integer::from(&m * kp.public.n()) + 1u32;
        assert_eq!(sk.raw_decrypt(&c), m);
    }

    #[test]
    fn deterministic_test_keys_repeat_and_real_keys_do_not() {
        let params = insecure(512, EncryptionMode::Standard);
        let a = insecure_deterministic_keypair_for_tests(&params, 42);
        let b = insecure_deterministic_keypair_for_tests(&params, 42);
        assert_eq!(a.public, b.public);
        let c = generate_keypair(&params).unwrap();
        let d = generate_keypair(&params).unwrap();
        assert_ne!(c.public, d.public);
        assert_ne!(a.public, c.public);
        assert_eq!(c.public.bits(), 512);
    }

    #[test]
    fn secret_key_is_redacted_in_debug() {
        let kp = test_keys::key_1024();
        let s = format!("{:?}", kp.secret);
        assert_eq!(s, "SecretKey { .. redacted .. }");
        let all = format!("{kp:?}");
        assert!(all.contains("redacted"));
        let p_dec = kp.secret.p.to_string();
        assert!(!all.contains(&p_dec[..20]));
    }

    #[test]
    fn wipe_overwrites_all_allocated_limbs() {
        let mut x = Integer::from(Integer::u_pow_u(3, 700));
        let cap = x.capacity();
        assert!(x.as_limbs().iter().any(|&l| l != 0));
        overwrite_limbs(&mut x);
        assert_eq!(x.capacity(), cap, "no reallocation");
        let limbs = x.as_limbs();
        let limb_bits = cap / limbs.len();
        assert_eq!(limbs.len() * limb_bits, cap, "every allocated limb visible");
        let (top, rest) = limbs.split_last().unwrap();
        assert!(rest.iter().all(|&l| l == 0));
        assert_eq!(top.count_ones(), 1);
        wipe_integer(&mut x);
        assert_eq!(x, 0);
    }

    #[test]
    fn zeroize_clears_secret_key() {
        let params = insecure(512, EncryptionMode::Standard);
        let mut kp = insecure_deterministic_keypair_for_tests(&params, 7);
        kp.secret.zeroize();
        assert_eq!(kp.secret.p, 0);
        assert_eq!(kp.secret.q, 0);
        assert_eq!(kp.secret.hp, 0);
        assert_eq!(kp.secret.p_inverse, 0);
    }

    #[test]
    fn from_modulus_validation() {
        let kp = test_keys::key_2048_standard();
        let n = kp.public.n().clone();
        let pk = PublicKey::from_modulus(n.clone(), false).unwrap();
        assert_eq!(pk, kp.public);
        assert_eq!(pk.fingerprint(), kp.public.fingerprint());
        let even = Integer::from(&n + 1u32);
        assert!(matches!(
            PublicKey::from_modulus(even, false),
            Err(PaillierError::InvalidPublicKey { .. })
        ));
        let small = test_keys::key_1024().public.n().clone();
        assert!(matches!(
            PublicKey::from_modulus(small.clone(), false),
            Err(PaillierError::KeyTooSmall {
                bits: 1024,
                min_bits: 2048,
                ..
            })
        ));
        assert!(PublicKey::from_modulus(small, true).is_ok());
        let prime = Integer::from(Integer::u_pow_u(2, 2203)) - 1u32; // Mersenne prime
        assert!(matches!(
            PublicKey::from_modulus(prime, false),
            Err(PaillierError::InvalidPublicKey { .. })
        ));
        let square = Integer::from(Integer::u_pow_u(3, 700)).square();
        assert!(PublicKey::from_modulus(square, false).is_err());
        assert!(PublicKey::from_modulus(Integer::from(1), true).is_err());
        let three_factor = Integer::from(&n * 3u32);
        assert!(PublicKey::from_modulus(three_factor, false).is_err());
    }

    #[test]
    fn fingerprints_differ_and_display_as_hex() {
        let a = KeyFingerprint::of_modulus(&Integer::from(1_000_003));
        let b = KeyFingerprint::of_modulus(&Integer::from(1_000_033));
        assert_ne!(a, b);
        assert_eq!(a.to_string().len(), 32);
        assert!(format!("{a:?}").starts_with("KeyFingerprint("));
    }

    #[test]
    fn from_primes_rejects_wrong_primes() {
        let kp = test_keys::key_1024();
        let e = SecretKey::from_primes(kp.public.clone(), Integer::from(3), Integer::from(5));
        assert!(matches!(e, Err(PaillierError::KeyGeneration { .. })));
    }
}
