//! Keys: a ternary secret (zeroised on drop), the public key, and key-switching
//! keys for relinearisation and Galois automorphisms.
//!
//! Key switching is hybrid with one special prime P, as SEAL does: the digits of
//! c are its residues c mod q_j, and digit j's key encrypts P * s' in the RNS
//! component q_j only, so sum_j [c]_{q_j} * key_j = P * c * s' (mod Q P).

use super::params::CkksParameters;
use crate::he::math::ntt::NttTable;
use crate::he::math::poly::RnsPoly;
use crate::he::math::sampling::{
    ERROR_BOUND, ERROR_STD_DEV, gaussian, os_rng, random_u64, ternary, uniform_poly,
};
use rand::CryptoRng;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The secret key s, in NTT form over q_0..q_L, P. Zeroised on drop; never
/// printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey {
    pub(crate) poly: RnsPoly,
    #[zeroize(skip)]
    pub(crate) key_id: u64,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey {{ key_id: {:#018x}, .. }}", self.key_id)
    }
}

impl SecretKey {
    pub fn key_id(&self) -> u64 {
        self.key_id
    }
}

/// The public key (b, a) = (-a s + e, a) over q_0..q_L, in NTT form.
#[derive(Clone, Debug)]
pub struct PublicKey {
    pub(crate) b: RnsPoly,
    pub(crate) a: RnsPoly,
    pub(crate) key_id: u64,
}

impl PublicKey {
    pub fn key_id(&self) -> u64 {
        self.key_id
    }
}

/// One key-switching key: per digit j, (b_j, a_j) over q_0..q_L, P, NTT form.
#[derive(Clone, Debug)]
pub struct KeySwitchKey {
    pub(crate) digits: Vec<(RnsPoly, RnsPoly)>,
}

/// The relinearisation key: switches s^2 to s.
#[derive(Clone, Debug)]
pub struct RelinKey {
    pub(crate) key: KeySwitchKey,
    pub(crate) key_id: u64,
}

impl RelinKey {
    pub fn key_id(&self) -> u64 {
        self.key_id
    }
}

/// Galois keys by Galois element, each switching sigma_g(s) to s, with the NTT
/// permutation that applies sigma_g.
#[derive(Clone, Debug)]
pub struct GaloisKeys {
    pub(crate) keys: BTreeMap<usize, (KeySwitchKey, Arc<Vec<usize>>)>,
    pub(crate) key_id: u64,
}

impl GaloisKeys {
    pub fn key_id(&self) -> u64 {
        self.key_id
    }

    pub fn galois_elements(&self) -> Vec<usize> {
        self.keys.keys().copied().collect()
    }

    pub fn contains(&self, galois_element: usize) -> bool {
        self.keys.contains_key(&galois_element)
    }
}

/// Which rotations to make Galois keys for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationSet {
    /// Left rotation steps (negative: right), exactly these.
    pub steps: Vec<i64>,
    /// Also every power of two, left and right: any rotation is then a sum of them.
    pub power_of_two: bool,
    /// Also complex conjugation.
    pub conjugate: bool,
}

impl RotationSet {
    pub fn steps(steps: &[i64]) -> Self {
        Self {
            steps: steps.to_vec(),
            ..Self::default()
        }
    }

    pub fn power_of_two() -> Self {
        Self {
            power_of_two: true,
            ..Self::default()
        }
    }

    /// The Galois elements this set needs, each once.
    pub fn galois_elements(&self, params: &CkksParameters) -> Vec<usize> {
        let slots = params.slots() as i64;
        let mut steps: Vec<i64> = self.steps.clone();
        if self.power_of_two {
            let mut k = 1;
            while k < slots {
                steps.push(k);
                steps.push(-k);
                k *= 2;
            }
        }
        let mut elements: Vec<usize> = steps
            .iter()
            .filter(|&&s| s.rem_euclid(slots) != 0)
            .map(|&s| params.galois_element_for_step(s))
            .collect();
        if self.conjugate {
            elements.push(params.galois_element_conjugate());
        }
        elements.sort_unstable();
        elements.dedup();
        elements
    }
}

/// Wall-clock time of each key-generation stage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeygenTimings {
    pub secret_ms: f64,
    pub public_ms: f64,
    pub relin_ms: f64,
    pub galois_ms: f64,
}

impl KeygenTimings {
    pub fn total_ms(&self) -> f64 {
        self.secret_ms + self.public_ms + self.relin_ms + self.galois_ms
    }
}

/// Every key a session needs, made in one timed stage.
#[derive(Clone, Debug)]
pub struct KeySet {
    pub secret: SecretKey,
    pub public: PublicKey,
    pub relin: Arc<RelinKey>,
    pub galois: Arc<GaloisKeys>,
    pub timings: KeygenTimings,
}

impl KeySet {
    /// Generates secret, public, relinearisation and Galois keys from the OS CSPRNG.
    pub fn generate(params: &Arc<CkksParameters>, rotations: &RotationSet) -> Self {
        let mut timings = KeygenTimings::default();
        let t = Instant::now();
        let kg = KeyGenerator::new(params.clone());
        timings.secret_ms = ms(t);
        let t = Instant::now();
        let public = kg.public_key();
        timings.public_ms = ms(t);
        let t = Instant::now();
        let relin = Arc::new(kg.relin_key());
        timings.relin_ms = ms(t);
        let t = Instant::now();
        let galois = Arc::new(kg.galois_keys(rotations));
        timings.galois_ms = ms(t);
        Self {
            secret: kg.secret_key().clone(),
            public,
            relin,
            galois,
            timings,
        }
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Makes keys from one secret.
pub struct KeyGenerator {
    params: Arc<CkksParameters>,
    sk: SecretKey,
}

impl KeyGenerator {
    /// A fresh ternary secret from the OS CSPRNG.
    pub fn new(params: Arc<CkksParameters>) -> Self {
        let mut rng = os_rng();
        let n = params.degree();
        let mut coeffs = ternary(&mut rng, n);
        let tables = params.qp_tables(params.max_level());
        let mut poly = RnsPoly::from_signed(&coeffs, &tables);
        coeffs.zeroize();
        poly.ntt_forward(&tables);
        let key_id = random_u64(&mut rng);
        Self {
            params,
            sk: SecretKey { poly, key_id },
        }
    }

    /// A generator for an existing secret (e.g. one read back from storage).
    pub fn from_secret_key(params: Arc<CkksParameters>, sk: SecretKey) -> Self {
        Self { params, sk }
    }

    pub fn secret_key(&self) -> &SecretKey {
        &self.sk
    }

    fn error_poly<R: CryptoRng + ?Sized>(&self, rng: &mut R, tables: &[&NttTable]) -> RnsPoly {
        let mut e = gaussian(rng, self.params.degree(), ERROR_STD_DEV, ERROR_BOUND);
        let mut p = RnsPoly::from_signed(&e, tables);
        e.zeroize();
        p.ntt_forward(tables);
        p
    }

    pub fn public_key(&self) -> PublicKey {
        let mut rng = os_rng();
        let level = self.params.max_level();
        let tables = self.params.q_tables(level);
        let n = self.params.degree();
        let a = uniform_poly(&mut rng, n, &tables);
        let mut b = self.error_poly(&mut rng, &tables);
        let mut as_ = a.clone();
        as_.mul_assign(&self.sk.poly.prefix(level + 1), &tables);
        b.sub_assign(&as_, &tables);
        PublicKey {
            b,
            a,
            key_id: self.sk.key_id,
        }
    }

    /// A key switching from `from` (NTT form over q_0..q_L, P) to s.
    fn key_switch_key(&self, from: &RnsPoly) -> KeySwitchKey {
        let mut rng = os_rng();
        let level = self.params.max_level();
        let tables = self.params.qp_tables(level);
        let n = self.params.degree();
        let p = self.params.special_table().modulus().value();
        let digits = (0..=level)
            .map(|j| {
                let a = uniform_poly(&mut rng, n, &tables);
                let mut b = self.error_poly(&mut rng, &tables);
                let mut as_ = a.clone();
                as_.mul_assign(&self.sk.poly, &tables);
                b.sub_assign(&as_, &tables);
                let qj = tables[j].modulus();
                let factor = qj.reduce(p);
                let factor_shoup = qj.shoup(factor);
                for (x, &s) in b.row_mut(j).iter_mut().zip(from.row(j)) {
                    *x = qj.add(*x, qj.mul_shoup(s, factor, factor_shoup));
                }
                (b, a)
            })
            .collect();
        KeySwitchKey { digits }
    }

    pub fn relin_key(&self) -> RelinKey {
        let tables = self.params.qp_tables(self.params.max_level());
        let mut s2 = self.sk.poly.clone();
        s2.mul_assign(&self.sk.poly, &tables);
        let key = self.key_switch_key(&s2);
        s2.zeroize();
        RelinKey {
            key,
            key_id: self.sk.key_id,
        }
    }

    /// Galois keys for exactly the rotations asked for.
    pub fn galois_keys(&self, rotations: &RotationSet) -> GaloisKeys {
        let keys = rotations
            .galois_elements(&self.params)
            .into_iter()
            .map(|g| {
                let perm = self.params.galois_permutation(g);
                let mut s_g = self.sk.poly.permuted(&perm);
                let key = self.key_switch_key(&s_g);
                s_g.zeroize();
                (g, (key, Arc::new(perm)))
            })
            .collect();
        GaloisKeys {
            keys,
            key_id: self.sk.key_id,
        }
    }
}
