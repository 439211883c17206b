//! Parameters: an unchecked, serialisable literal (as TenSEAL writes them) and the
//! validated, immutable, shared parameter object everything else takes.

use super::error::{CkksError, Result};
use crate::he::math::ntt::NttTable;
use crate::he::math::primes::ntt_primes;
use crate::he::math::rns::CrtComposer;
use crate::he::math::zq::{MAX_MODULUS_BITS, Modulus};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Security level asked of a parameter set (classical attacks, ternary secret,
/// error standard deviation 3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SecurityLevel {
    #[default]
    Tc128,
    Tc192,
    Tc256,
    /// No check: must be written explicitly, and is recorded as "insecure".
    Insecure,
}

impl fmt::Display for SecurityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tc128 => "128-bit classical",
            Self::Tc192 => "192-bit classical",
            Self::Tc256 => "256-bit classical",
            Self::Insecure => "insecure",
        })
    }
}

/// Largest log2(Q*P) for a ring degree and security level.
///
/// N = 2^10..2^15: HomomorphicEncryption.org Security Standard (Albrecht et al.,
/// 2018), Table 1, ternary secret, the values SEAL enforces. N = 2^16: "Security
/// Guidelines for Implementing Homomorphic Encryption" (Bossuat et al., 2024).
pub fn max_log2_qp(n: usize, level: SecurityLevel) -> Option<u32> {
    let row: [u32; 7] = match level {
        SecurityLevel::Tc128 => [27, 54, 109, 218, 438, 881, 1747],
        SecurityLevel::Tc192 => [19, 37, 75, 152, 305, 611, 1199],
        SecurityLevel::Tc256 => [14, 29, 58, 118, 237, 476, 929],
        SecurityLevel::Insecure => return None,
    };
    if !n.is_power_of_two() || !(1024..=65536).contains(&n) {
        return None;
    }
    Some(row[(n.trailing_zeros() - 10) as usize])
}

/// The unchecked parameter literal, e.g. N = 8192, bit sizes [60, 40, 40, 60],
/// scale 2^40: the first primes form the ciphertext modulus Q = q_0 ... q_L, the
/// last one is the special prime P used only in key switching.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CkksParametersLiteral {
    pub poly_modulus_degree: usize,
    pub coeff_mod_bit_sizes: Vec<u32>,
    pub log2_scale: u32,
    #[serde(default)]
    pub security: SecurityLevel,
}

impl CkksParametersLiteral {
    /// Chen & Song's set (TenSEAL defaults): N = 8192, [60, 40, 40, 60], 2^40.
    pub fn tenseal_8192() -> Self {
        Self {
            poly_modulus_degree: 8192,
            coeff_mod_bit_sizes: vec![60, 40, 40, 60],
            log2_scale: 40,
            security: SecurityLevel::Tc128,
        }
    }

    pub fn validate(&self) -> Result<Arc<CkksParameters>> {
        CkksParameters::new(self).map(Arc::new)
    }
}

/// Validated, immutable CKKS parameters, shared through `Arc`.
pub struct CkksParameters {
    literal: CkksParametersLiteral,
    n: usize,
    /// NTT tables of q_0..q_L followed by the special prime P.
    tables: Vec<NttTable>,
    default_scale: f64,
    log2_qp: f64,
    fingerprint: [u8; 32],
    /// CRT reconstruction for each level l (basis q_0..q_l).
    composers: Vec<CrtComposer>,
    /// 5^j mod 2N for j < N/2: slot j is the evaluation at psi^(5^j).
    rot_group: Vec<usize>,
    /// exp(2 pi i k / 2N) for k = 0..=2N.
    roots: Vec<(f64, f64)>,
    /// The twiddles of the special FFT (decoding), stage by stage (layout in
    /// [`CkksParameters::fft_twiddles`]).
    fft_twiddles: Vec<(f64, f64)>,
    /// The same for the inverse special FFT (encoding).
    ifft_twiddles: Vec<(f64, f64)>,
}

/// A unit root (cos, sin).
type Root = (f64, f64);

/// The twiddle tables of [`CkksParameters::fft_twiddles`] and
/// [`CkksParameters::ifft_twiddles`] for slots = rot.len() = N/2 and m = 2N.
fn special_fft_twiddles(m: usize, rot: &[usize], roots: &[(f64, f64)]) -> (Vec<Root>, Vec<Root>) {
    let slots = m / 4;
    let mut fft = Vec::with_capacity(slots);
    let mut ifft = Vec::with_capacity(slots);
    let mut h = 1;
    while h < slots.max(2) {
        let lenq = 8 * h;
        let gap = m / lenq;
        for &r in &rot[..h] {
            let r = r % lenq;
            fft.push(roots[r * gap]);
            ifft.push(roots[(lenq - r) * gap]);
        }
        h *= 2;
    }
    (fft, ifft)
}

impl fmt::Debug for CkksParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CkksParameters")
            .field("n", &self.n)
            .field("moduli", &self.moduli_values())
            .field("log2_scale", &self.default_scale.log2())
            .field("security", &self.literal.security)
            .finish()
    }
}

impl CkksParameters {
    fn new(lit: &CkksParametersLiteral) -> Result<Self> {
        let n = lit.poly_modulus_degree;
        if !n.is_power_of_two() || !(1024..=65536).contains(&n) {
            return Err(CkksError::InvalidDegree { n });
        }
        let sizes = &lit.coeff_mod_bit_sizes;
        if sizes.len() < 2 {
            return Err(CkksError::TooFewPrimes { count: sizes.len() });
        }
        let min_bits = (2 * n as u64).ilog2() + 2;
        for (index, &bits) in sizes.iter().enumerate() {
            if !(min_bits..=MAX_MODULUS_BITS).contains(&bits) {
                return Err(CkksError::InvalidBitSize {
                    index,
                    bits,
                    min: min_bits,
                    max: MAX_MODULUS_BITS,
                });
            }
        }
        let (&special, rest) = sizes.split_last().expect("two or more primes");
        if let Some(&largest) = rest.iter().max().filter(|&&m| m > special) {
            return Err(CkksError::SmallSpecialPrime { special, largest });
        }
        if lit.log2_scale == 0 || lit.log2_scale > 60 {
            return Err(CkksError::InvalidScale {
                log2_scale: lit.log2_scale,
                max: 60,
            });
        }
        let total_bits: u32 = sizes.iter().sum();
        if let Some(max_bits) = max_log2_qp(n, lit.security) {
            if total_bits > max_bits {
                return Err(CkksError::Insecure {
                    log2_qp: total_bits,
                    max_bits,
                    n,
                    level: lit.security.to_string(),
                });
            }
        } else if lit.security != SecurityLevel::Insecure {
            unreachable!("every degree in range has a bound");
        }
        // As SEAL's CoeffModulus::Create: primes of each size, largest first, handed
        // out in order of appearance.
        let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
        for &b in sizes {
            *counts.entry(b).or_default() += 1;
        }
        let mut pools: BTreeMap<u32, std::vec::IntoIter<u64>> = BTreeMap::new();
        for (&bits, &count) in &counts {
            let primes = ntt_primes(bits, count, n, &[]).ok_or(CkksError::NotEnoughPrimes {
                bits,
                count,
                two_n: 2 * n,
            })?;
            pools.insert(bits, primes.into_iter());
        }
        let primes: Vec<u64> = sizes
            .iter()
            .map(|b| pools.get_mut(b).and_then(Iterator::next).expect("counted"))
            .collect();
        let tables: Vec<NttTable> = primes
            .iter()
            .map(|&p| NttTable::new(Modulus::new(p), n).expect("NTT-friendly prime"))
            .collect();
        let log2_qp = primes.iter().map(|&p| (p as f64).log2()).sum();
        let q_moduli: Vec<Modulus> = tables[..tables.len() - 1]
            .iter()
            .map(|t| *t.modulus())
            .collect();
        let composers = (1..=q_moduli.len())
            .map(|k| CrtComposer::new(&q_moduli[..k]))
            .collect();

        let m = 2 * n;
        let mut rot_group = Vec::with_capacity(n / 2);
        let mut g = 1usize;
        for _ in 0..n / 2 {
            rot_group.push(g);
            g = g * 5 % m;
        }
        let roots = (0..=m)
            .map(|k| {
                let a = 2.0 * std::f64::consts::PI * k as f64 / m as f64;
                (a.cos(), a.sin())
            })
            .collect::<Vec<_>>();
        let (fft_twiddles, ifft_twiddles) = special_fft_twiddles(m, &rot_group, &roots);

        let mut h = Sha256::new();
        h.update(b"heml-ckks-params-v1");
        h.update((n as u64).to_le_bytes());
        for p in &primes {
            h.update(p.to_le_bytes());
        }
        h.update(lit.log2_scale.to_le_bytes());
        let fingerprint: [u8; 32] = h.finalize().into();

        Ok(Self {
            literal: lit.clone(),
            n,
            tables,
            default_scale: 2f64.powi(lit.log2_scale as i32),
            log2_qp,
            fingerprint,
            composers,
            rot_group,
            roots,
            fft_twiddles,
            ifft_twiddles,
        })
    }

    pub fn literal(&self) -> &CkksParametersLiteral {
        &self.literal
    }

    /// Ring degree N.
    pub fn degree(&self) -> usize {
        self.n
    }

    /// Number of complex slots, N/2.
    pub fn slots(&self) -> usize {
        self.n / 2
    }

    /// Highest level L: a fresh ciphertext has L + 1 primes and can be rescaled L times.
    pub fn max_level(&self) -> usize {
        self.tables.len() - 2
    }

    pub fn default_scale(&self) -> f64 {
        self.default_scale
    }

    pub fn security(&self) -> SecurityLevel {
        self.literal.security
    }

    /// log2 of Q * P, the quantity the security table bounds.
    pub fn log2_qp(&self) -> f64 {
        self.log2_qp
    }

    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// Tables of q_0..q_level.
    pub fn q_tables(&self, level: usize) -> Vec<&NttTable> {
        self.tables[..=level].iter().collect()
    }

    /// Tables of q_0..q_level followed by P: the key-switching basis.
    pub fn qp_tables(&self, level: usize) -> Vec<&NttTable> {
        let mut v: Vec<&NttTable> = self.tables[..=level].iter().collect();
        v.push(self.special_table());
        v
    }

    pub fn q_table(&self, i: usize) -> &NttTable {
        &self.tables[i]
    }

    pub fn special_table(&self) -> &NttTable {
        self.tables.last().expect("at least two primes")
    }

    /// q_i (i <= L).
    pub fn q(&self, i: usize) -> u64 {
        self.tables[i].modulus().value()
    }

    /// All primes, special prime last.
    pub fn moduli_values(&self) -> Vec<u64> {
        self.tables.iter().map(|t| t.modulus().value()).collect()
    }

    pub fn composer(&self, level: usize) -> &CrtComposer {
        &self.composers[level]
    }

    pub fn rot_group(&self) -> &[usize] {
        &self.rot_group
    }

    pub fn roots(&self) -> &[(f64, f64)] {
        &self.roots
    }

    /// Twiddles of the special FFT (coefficients -> slots): the stage whose
    /// butterflies span 2h values uses entries h - 1 .. 2h - 1, entry h - 1 + j being
    /// `roots()[(rot_group()[j] mod 8h) * 2N / 8h]`. Precomputed, so that a
    /// decoding spends no integer divisions on indices.
    pub fn fft_twiddles(&self) -> &[(f64, f64)] {
        &self.fft_twiddles
    }

    /// Twiddles of the inverse special FFT (slots -> coefficients), laid out as
    /// [`Self::fft_twiddles`], entry h - 1 + j being
    /// `roots()[(8h - rot_group()[j] mod 8h) * 2N / 8h]`.
    pub fn ifft_twiddles(&self) -> &[(f64, f64)] {
        &self.ifft_twiddles
    }

    /// The Galois element of a left rotation by `step` slots (negative: right).
    pub fn galois_element_for_step(&self, step: i64) -> usize {
        let slots = self.slots() as i64;
        let k = step.rem_euclid(slots) as usize;
        self.rot_group[k]
    }

    /// The Galois element of complex conjugation, X -> X^(2N-1).
    pub fn galois_element_conjugate(&self) -> usize {
        2 * self.n - 1
    }

    /// The permutation of NTT values that applies X -> X^g: out[j] = in[perm[j]].
    pub fn galois_permutation(&self, g: usize) -> Vec<usize> {
        let n = self.n;
        let log_n = n.trailing_zeros();
        let m = 2 * n;
        (0..n)
            .map(|j| {
                let e = 2 * crate::he::math::ntt::bit_reverse(j, log_n) + 1;
                let e2 = e * g % m;
                crate::he::math::ntt::bit_reverse((e2 - 1) / 2, log_n)
            })
            .collect()
    }

    /// A short description for reports, e.g. "N=8192 [60,40,40,60] 2^40 128-bit classical".
    pub fn describe(&self) -> String {
        format!(
            "N={} {:?} 2^{} {}",
            self.n,
            self.literal.coeff_mod_bit_sizes,
            self.literal.log2_scale,
            self.literal.security
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(n: usize, bits: &[u32], security: SecurityLevel) -> CkksParametersLiteral {
        CkksParametersLiteral {
            poly_modulus_degree: n,
            coeff_mod_bit_sizes: bits.to_vec(),
            log2_scale: 40,
            security,
        }
    }

    #[test]
    fn tenseal_set_validates() {
        let p = CkksParametersLiteral::tenseal_8192().validate().unwrap();
        assert_eq!(p.max_level(), 2);
        assert_eq!(p.slots(), 4096);
        let q = p.moduli_values();
        assert_eq!(q.len(), 4);
        assert!(q.iter().all(|&x| x % 16384 == 1));
        assert_ne!(q[0], q[3]);
        assert_ne!(q[1], q[2]);
        assert!((p.log2_qp() - 200.0).abs() < 0.01);
    }

    #[test]
    fn insecure_sets_are_refused_unless_explicit() {
        let e = lit(4096, &[60, 40, 40, 60], SecurityLevel::Tc128)
            .validate()
            .unwrap_err();
        assert!(
            matches!(e, CkksError::Insecure { max_bits: 109, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("109"));
        let p = lit(4096, &[60, 40, 40, 60], SecurityLevel::Insecure)
            .validate()
            .unwrap();
        assert_eq!(p.security().to_string(), "insecure");
        assert!(
            lit(8192, &[60, 40, 40, 60], SecurityLevel::Tc256)
                .validate()
                .is_err()
        );
        assert!(
            lit(8192, &[40, 30, 40], SecurityLevel::Tc256)
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn malformed_literals_are_refused() {
        assert!(matches!(
            lit(1000, &[30, 30], SecurityLevel::Insecure).validate(),
            Err(CkksError::InvalidDegree { .. })
        ));
        assert!(matches!(
            lit(1024, &[30], SecurityLevel::Insecure).validate(),
            Err(CkksError::TooFewPrimes { .. })
        ));
        assert!(matches!(
            lit(1024, &[30, 62], SecurityLevel::Insecure).validate(),
            Err(CkksError::InvalidBitSize { index: 1, .. })
        ));
        assert!(matches!(
            lit(1024, &[60, 40, 50], SecurityLevel::Insecure).validate(),
            Err(CkksError::SmallSpecialPrime {
                special: 50,
                largest: 60
            })
        ));
        let json = r#"{"poly_modulus_degree": 8192, "coeff_mod_bit_sizes": [60, 40, 60], "log2_scale": 40, "extra": 1}"#;
        assert!(serde_json::from_str::<CkksParametersLiteral>(json).is_err());
    }

    #[test]
    fn galois_permutation_is_a_permutation() {
        let p = lit(1024, &[30, 30], SecurityLevel::Insecure)
            .validate()
            .unwrap();
        for g in [5, 25, 2047] {
            let mut perm = p.galois_permutation(g);
            perm.sort_unstable();
            assert!(perm.iter().enumerate().all(|(i, &x)| i == x));
        }
    }
}
