//! Ciphertexts, encryption (public key, or symmetric with a seeded `a` so a fresh
//! ciphertext serialises at half size) and decryption, including a decryption for
//! results that leave the key owner (rounding and noise flooding, as OpenFHE does
//! against the Li-Micciancio attack, EUROCRYPT 2021).

use super::encoder::{Complex, Encoder, Plaintext};
use super::error::{CkksError, Result};
use super::keys::{PublicKey, SecretKey};
use super::params::CkksParameters;
use crate::he::math::poly::RnsPoly;
use crate::he::math::sampling::{
    ERROR_BOUND, ERROR_STD_DEV, gaussian, os_rng, os_seed, ternary, uniform_poly_from_seed,
};
use rand_distr::{Distribution, Normal};
use std::sync::Arc;
use zeroize::Zeroize;

/// A CKKS ciphertext: components (c_0, c_1[, c_2]) in NTT form over q_0..q_level,
/// decrypting to sum_i c_i s^i = scale * m + e.
#[derive(Clone, Debug, PartialEq)]
pub struct Ciphertext {
    pub(crate) parts: Vec<RnsPoly>,
    pub(crate) level: usize,
    pub(crate) scale: f64,
    /// For a fresh symmetric encryption: the seed c_1 was expanded from.
    pub(crate) seed: Option<[u8; 32]>,
}

impl Ciphertext {
    pub fn level(&self) -> usize {
        self.level
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Number of components: 2, or 3 after a multiplication without relinearisation.
    pub fn size(&self) -> usize {
        self.parts.len()
    }

    /// Overrides the recorded scale (for callers that track scales themselves).
    pub fn set_scale(&mut self, scale: f64) {
        self.scale = scale;
    }

    pub(crate) fn clear_seed(&mut self) {
        self.seed = None;
    }
}

pub struct Encryptor {
    params: Arc<CkksParameters>,
    encoder: Encoder,
    public: Option<PublicKey>,
    secret: Option<SecretKey>,
}

impl Encryptor {
    pub fn with_public_key(params: Arc<CkksParameters>, pk: PublicKey) -> Self {
        Self {
            encoder: Encoder::new(params.clone()),
            params,
            public: Some(pk),
            secret: None,
        }
    }

    /// Symmetric encryption: fresh ciphertexts carry a seed instead of c_1.
    pub fn with_secret_key(params: Arc<CkksParameters>, sk: SecretKey) -> Self {
        Self {
            encoder: Encoder::new(params.clone()),
            params,
            public: None,
            secret: Some(sk),
        }
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    fn error_poly(&self, level: usize) -> RnsPoly {
        let tables = self.params.q_tables(level);
        let mut rng = os_rng();
        let mut e = gaussian(&mut rng, self.params.degree(), ERROR_STD_DEV, ERROR_BOUND);
        let mut p = RnsPoly::from_signed(&e, &tables);
        e.zeroize();
        p.ntt_forward(&tables);
        p
    }

    /// Encrypts a plaintext at its level and scale.
    pub fn encrypt(&self, pt: &Plaintext) -> Ciphertext {
        let level = pt.level;
        let tables = self.params.q_tables(level);
        let n = self.params.degree();
        if let Some(sk) = &self.secret {
            let seed = os_seed();
            let a = uniform_poly_from_seed(seed, n, &tables);
            let mut c0 = self.error_poly(level);
            let mut as_ = a.clone();
            as_.mul_assign(&sk.poly.prefix(level + 1), &tables);
            c0.sub_assign(&as_, &tables);
            c0.add_assign(&pt.poly, &tables);
            return Ciphertext {
                parts: vec![c0, a],
                level,
                scale: pt.scale,
                seed: Some(seed),
            };
        }
        let pk = self.public.as_ref().expect("an encryptor holds a key");
        let mut rng = os_rng();
        let mut u_coeffs = ternary(&mut rng, n);
        let mut u = RnsPoly::from_signed(&u_coeffs, &tables);
        u_coeffs.zeroize();
        u.ntt_forward(&tables);
        let mut c0 = pk.b.prefix(level + 1);
        c0.mul_assign(&u, &tables);
        c0.add_assign(&self.error_poly(level), &tables);
        c0.add_assign(&pt.poly, &tables);
        let mut c1 = pk.a.prefix(level + 1);
        c1.mul_assign(&u, &tables);
        c1.add_assign(&self.error_poly(level), &tables);
        u.zeroize();
        Ciphertext {
            parts: vec![c0, c1],
            level,
            scale: pt.scale,
            seed: None,
        }
    }

    /// Encodes real values at the default scale and top level, then encrypts.
    pub fn encrypt_real(&self, values: &[f64]) -> Result<Ciphertext> {
        let pt = self.encoder.encode_real(
            values,
            self.params.default_scale(),
            self.params.max_level(),
        )?;
        Ok(self.encrypt(&pt))
    }

    /// Encodes real values at the default scale at `level` (below the top:
    /// fewer primes, a smaller ciphertext, when a circuit needs fewer levels
    /// than the chain has), then encrypts.
    pub fn encrypt_real_at_level(&self, values: &[f64], level: usize) -> Result<Ciphertext> {
        let pt = self
            .encoder
            .encode_real(values, self.params.default_scale(), level)?;
        Ok(self.encrypt(&pt))
    }

    pub fn encrypt_complex(&self, values: &[Complex]) -> Result<Ciphertext> {
        let pt =
            self.encoder
                .encode(values, self.params.default_scale(), self.params.max_level())?;
        Ok(self.encrypt(&pt))
    }
}

/// How much a released decryption must hide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleasePolicy {
    /// lambda: the statistical distance to a noise-free release is 2^-lambda.
    pub statistical_security_bits: u32,
    /// t: decryptions of results under the same key an adversary may see.
    pub decryptions: u64,
}

impl Default for ReleasePolicy {
    /// OpenFHE's default statistical security (30 bits), one decryption.
    fn default() -> Self {
        Self {
            statistical_security_bits: 30,
            decryptions: 1,
        }
    }
}

/// A released decryption and what it cost in precision.
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    pub values: Vec<f64>,
    /// The ciphertext noise the flooding was sized for (log2, coefficients).
    pub noise_log2: f64,
    /// The flooding noise's standard deviation (log2, coefficients).
    pub flood_log2: f64,
    /// Values are rounded to multiples of 2^-precision_bits.
    pub precision_bits: u32,
}

pub struct Decryptor {
    params: Arc<CkksParameters>,
    encoder: Encoder,
    sk: SecretKey,
}

impl Decryptor {
    pub fn new(params: Arc<CkksParameters>, sk: SecretKey) -> Self {
        Self {
            encoder: Encoder::new(params.clone()),
            params,
            sk,
        }
    }

    /// sum_i c_i s^i in NTT form: the plaintext with the noise.
    pub fn decrypt(&self, ct: &Ciphertext) -> Plaintext {
        let tables = self.params.q_tables(ct.level);
        let s = self.sk.poly.prefix(ct.level + 1);
        let mut acc = ct.parts[ct.parts.len() - 1].clone();
        for part in ct.parts[..ct.parts.len() - 1].iter().rev() {
            acc.mul_assign(&s, &tables);
            acc.add_assign(part, &tables);
        }
        Plaintext {
            poly: acc,
            level: ct.level,
            scale: ct.scale,
        }
    }

    pub fn decrypt_complex(&self, ct: &Ciphertext) -> Vec<Complex> {
        self.encoder.decode(&self.decrypt(ct))
    }

    pub fn decrypt_real(&self, ct: &Ciphertext) -> Vec<f64> {
        self.encoder.decode_real(&self.decrypt(ct))
    }

    /// Decryption for results that leave the key owner: Gaussian flooding noise
    /// with a slot-domain standard deviation of 2^-(precision_bits + 1), then
    /// rounding of every value to a multiple of 2^-precision_bits. The flooding
    /// hides the ciphertext noise (and so the secret) only if it dominates it:
    /// choose `precision_bits` several bits below the result's measured precision.
    pub fn decrypt_for_release(&self, ct: &Ciphertext, precision_bits: u32) -> Result<Vec<f64>> {
        let mut pt = self.decrypt(ct);
        let tables = self.params.q_tables(ct.level);
        let n = self.params.degree();
        // A coefficient error sigma gives slot errors of standard deviation about
        // sigma * sqrt(N/2) / scale (each slot sums N coefficients times unit roots).
        let slot_sigma = 2f64.powi(-(precision_bits as i32) - 1);
        let coeff_sigma = slot_sigma * ct.scale / (n as f64 / 2.0).sqrt();
        if coeff_sigma >= 2f64.powi(62) || !coeff_sigma.is_finite() {
            return Err(CkksError::EncodingOverflow {
                value: slot_sigma,
                log2_scale: ct.scale.log2(),
            });
        }
        if coeff_sigma >= 1.0 {
            let normal = Normal::new(0.0, coeff_sigma).expect("finite sigma");
            let mut rng = os_rng();
            let flood: Vec<i64> = (0..n)
                .map(|_| normal.sample(&mut rng).round() as i64)
                .collect();
            let mut f = RnsPoly::from_signed(&flood, &tables);
            f.ntt_forward(&tables);
            pt.poly.add_assign(&f, &tables);
        }
        let unit = 2f64.powi(precision_bits as i32);
        Ok(self
            .encoder
            .decode_real(&pt)
            .into_iter()
            .map(|x| (x * unit).round() / unit)
            .collect())
    }

    /// The noise of `ct` measured against the values it should hold (a noise
    /// estimation run on known inputs, as OpenFHE's EXEC_NOISE_ESTIMATION
    /// mode): log2 of the largest coefficient of decrypt(ct) - encode(expected)
    /// at the ciphertext's scale. Run the same circuit on data whose result is
    /// known, then pass the estimate to `decrypt_for_release_estimated`.
    pub fn estimate_noise_log2(&self, ct: &Ciphertext, expected: &[f64]) -> Result<f64> {
        let tables = self.params.q_tables(ct.level);
        let mut diff = self.decrypt(ct).poly;
        let want = self.encoder.encode_real(expected, ct.scale, ct.level)?;
        diff.sub_assign(&want.poly, &tables);
        diff.ntt_inverse(&tables);
        // The difference is a small integer: its residue mod q_0, centred, is it.
        let q0 = tables[0].modulus();
        let max = diff
            .row(0)
            .iter()
            .map(|&v| q0.center(v).unsigned_abs())
            .max()
            .unwrap_or(0);
        Ok((max.max(1) as f64).log2())
    }

    /// Decryption for release with the flooding noise sized from a noise
    /// estimate (see `estimate_noise_log2`): coefficient standard deviation
    /// 2^(noise_log2 + lambda/2 + log2(64 t)/2) for statistical security
    /// lambda over t decryptions (the bound that Li, Micciancio, Schultz and
    /// Sorrell, CRYPTO 2022, §6 quote from the prior art), then rounding to
    /// the precision the flooding leaves (3 bits below its slot-domain
    /// standard deviation). Refuses when no bit of precision would be left.
    pub fn decrypt_for_release_estimated(
        &self,
        ct: &Ciphertext,
        noise_log2: f64,
        policy: ReleasePolicy,
    ) -> Result<Release> {
        let n = self.params.degree() as f64;
        let flood_log2 = noise_log2
            + f64::from(policy.statistical_security_bits) / 2.0
            + (64.0 * policy.decryptions.max(1) as f64).log2() / 2.0;
        let slot_log2 = flood_log2 + (n / 2.0).log2() / 2.0 - ct.scale.log2();
        let precision = (-slot_log2 - 3.0).floor();
        if !precision.is_finite() || precision < 1.0 || flood_log2 >= 62.0 {
            return Err(CkksError::ReleaseImpossible {
                noise_log2,
                flood_log2,
                log2_scale: ct.scale.log2(),
            });
        }
        let precision_bits = precision as u32;
        let mut pt = self.decrypt(ct);
        let tables = self.params.q_tables(ct.level);
        let normal = Normal::new(0.0, flood_log2.exp2()).expect("finite sigma");
        let mut rng = os_rng();
        let flood: Vec<i64> = (0..self.params.degree())
            .map(|_| normal.sample(&mut rng).round() as i64)
            .collect();
        let mut f = RnsPoly::from_signed(&flood, &tables);
        f.ntt_forward(&tables);
        pt.poly.add_assign(&f, &tables);
        let unit = precision.exp2();
        let values = self
            .encoder
            .decode_real(&pt)
            .into_iter()
            .map(|x| (x * unit).round() / unit)
            .collect();
        Ok(Release {
            values,
            noise_log2,
            flood_log2,
            precision_bits,
        })
    }

    /// Drops nothing but exposes the encoder for decoding plaintexts.
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    pub fn key_id(&self) -> u64 {
        self.sk.key_id
    }
}
