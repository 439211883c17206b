//! The CKKS encoder: the canonical embedding restricted to N/2 slots, slot j being
//! the evaluation at psi^(5^j), so that X -> X^(5^k) rotates the slots by k
//! (Cheon, Kim, Kim, Song, ASIACRYPT 2017, §3.1). The O(N log N) "special FFT"
//! follows HEAAN; a real-vector API sits on top.

use super::error::{CkksError, Result};
use super::params::CkksParameters;
use crate::he::math::poly::RnsPoly;
use std::ops::{Add, Mul, Sub};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Complex {
    pub re: f64,
    pub im: f64,
}

impl Complex {
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    pub fn conj(self) -> Self {
        Self::new(self.re, -self.im)
    }

    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
}

impl Add for Complex {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self::new(self.re + o.re, self.im + o.im)
    }
}

impl Sub for Complex {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self::new(self.re - o.re, self.im - o.im)
    }
}

impl Mul for Complex {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Self::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
}

/// An encoded message: an RNS polynomial in NTT form at a level, with its scale.
#[derive(Clone, Debug)]
pub struct Plaintext {
    pub(crate) poly: RnsPoly,
    pub(crate) level: usize,
    pub(crate) scale: f64,
}

impl Plaintext {
    pub fn level(&self) -> usize {
        self.level
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    pub fn poly(&self) -> &RnsPoly {
        &self.poly
    }
}

pub struct Encoder {
    params: Arc<CkksParameters>,
}

fn bit_reverse_in_place(v: &mut [Complex]) {
    let n = v.len();
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = crate::he::math::ntt::bit_reverse(i, bits);
        if i < j {
            v.swap(i, j);
        }
    }
}

impl Encoder {
    pub fn new(params: Arc<CkksParameters>) -> Self {
        Self { params }
    }

    pub fn params(&self) -> &Arc<CkksParameters> {
        &self.params
    }

    /// Slots -> coefficients (up to the factor N/2 folded in at the end).
    fn special_ifft(&self, v: &mut [Complex]) {
        let slots = v.len();
        let twiddles = self.params.ifft_twiddles();
        let mut len = slots;
        while len >= 2 {
            let lenh = len / 2;
            let stage = &twiddles[lenh - 1..len - 1];
            for block in v.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(lenh);
                for ((x, y), &(c, s)) in lo.iter_mut().zip(hi.iter_mut()).zip(stage) {
                    let u = *x + *y;
                    let w = (*x - *y) * Complex::new(c, s);
                    *x = u;
                    *y = w;
                }
            }
            len /= 2;
        }
        bit_reverse_in_place(v);
        let inv = 1.0 / slots as f64;
        for x in v.iter_mut() {
            x.re *= inv;
            x.im *= inv;
        }
    }

    /// Coefficients -> slots.
    fn special_fft(&self, v: &mut [Complex]) {
        let slots = v.len();
        let twiddles = self.params.fft_twiddles();
        bit_reverse_in_place(v);
        let mut len = 2;
        while len <= slots {
            let lenh = len / 2;
            let stage = &twiddles[lenh - 1..len - 1];
            for block in v.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(lenh);
                for ((x, y), &(c, s)) in lo.iter_mut().zip(hi.iter_mut()).zip(stage) {
                    let u = *x;
                    let w = *y * Complex::new(c, s);
                    *x = u + w;
                    *y = u - w;
                }
            }
            len *= 2;
        }
    }

    /// Encodes up to N/2 complex values (zero-padded) at `scale` and `level`.
    pub fn encode(&self, values: &[Complex], scale: f64, level: usize) -> Result<Plaintext> {
        let coeffs = self.encode_to_coefficients(values, scale, level)?;
        let tables = self.params.q_tables(level);
        let n = self.params.degree();
        let small = coeffs.iter().all(|c| c.abs() < 9.0e18);
        let mut poly = if small {
            let rounded: Vec<i64> = coeffs.iter().map(|c| c.round() as i64).collect();
            RnsPoly::from_signed(&rounded, &tables)
        } else {
            let mut poly = RnsPoly::zero(n, level + 1);
            for (row, t) in poly.rows_iter_mut().zip(&tables) {
                let q = t.modulus();
                for (r, &c) in row.iter_mut().zip(&coeffs) {
                    *r = q.reduce_f64(c);
                }
            }
            poly
        };
        poly.ntt_forward(&tables);
        Ok(Plaintext { poly, level, scale })
    }

    /// The scaled real coefficients of the encoding, before reduction.
    fn encode_to_coefficients(
        &self,
        values: &[Complex],
        scale: f64,
        level: usize,
    ) -> Result<Vec<f64>> {
        let slots = self.params.slots();
        if values.len() > slots {
            return Err(CkksError::TooManyValues {
                count: values.len(),
                slots,
            });
        }
        if level > self.params.max_level() {
            return Err(CkksError::InvalidLevel {
                level,
                max: self.params.max_level(),
            });
        }
        let mut v = vec![Complex::default(); slots];
        v[..values.len()].copy_from_slice(values);
        self.special_ifft(&mut v);
        let n = self.params.degree();
        let mut coeffs = vec![0.0; n];
        for (i, c) in v.iter().enumerate() {
            coeffs[i] = c.re * scale;
            coeffs[i + slots] = c.im * scale;
        }
        let max_log2 = self.params.composer(level).log2_product() - 1.0;
        if let Some(bad) = coeffs
            .iter()
            .find(|c| !c.is_finite() || c.abs().log2() >= max_log2)
        {
            return Err(CkksError::EncodingOverflow {
                value: *bad / scale,
                log2_scale: scale.log2(),
            });
        }
        Ok(coeffs)
    }

    /// Encodes real values.
    pub fn encode_real(&self, values: &[f64], scale: f64, level: usize) -> Result<Plaintext> {
        let c: Vec<Complex> = values.iter().map(|&x| Complex::new(x, 0.0)).collect();
        self.encode(&c, scale, level)
    }

    /// Decodes a polynomial in NTT form at `level` and `scale` into N/2 complex values.
    pub fn decode_poly(&self, poly: &RnsPoly, level: usize, scale: f64) -> Vec<Complex> {
        let tables = self.params.q_tables(level);
        let mut p = poly.prefix(level + 1);
        p.ntt_inverse(&tables);
        let composer = self.params.composer(level);
        let n = self.params.degree();
        let slots = n / 2;
        let mut coeffs = vec![0.0; n];
        let rows: Vec<&[u64]> = p.rows_iter().collect();
        composer.compose_centered_rows_f64(&rows, scale, &mut coeffs);
        let mut v: Vec<Complex> = (0..slots)
            .map(|i| Complex::new(coeffs[i], coeffs[i + slots]))
            .collect();
        self.special_fft(&mut v);
        v
    }

    pub fn decode(&self, pt: &Plaintext) -> Vec<Complex> {
        self.decode_poly(&pt.poly, pt.level, pt.scale)
    }

    pub fn decode_real(&self, pt: &Plaintext) -> Vec<f64> {
        self.decode(pt).into_iter().map(|c| c.re).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::ckks::params::{CkksParametersLiteral, SecurityLevel};
    use crate::he::math::ntt::NttTable;

    fn params() -> Arc<CkksParameters> {
        CkksParametersLiteral {
            poly_modulus_degree: 1024,
            coeff_mod_bit_sizes: vec![50, 40, 50],
            log2_scale: 30,
            security: SecurityLevel::Insecure,
        }
        .validate()
        .unwrap()
    }

    fn values(slots: usize, seed: f64) -> Vec<Complex> {
        (0..slots)
            .map(|i| {
                Complex::new(
                    (i as f64 * 0.37 + seed).sin(),
                    (i as f64 * 0.11 - seed).cos() * 0.5,
                )
            })
            .collect()
    }

    #[test]
    fn round_trip() {
        let p = params();
        let e = Encoder::new(p.clone());
        let v = values(p.slots(), 0.3);
        for level in 0..=p.max_level() {
            let pt = e.encode(&v, p.default_scale(), level).unwrap();
            let w = e.decode(&pt);
            for (a, b) in v.iter().zip(&w) {
                assert!((*a - *b).abs() < 1e-6, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn products_are_slotwise_and_automorphisms_rotate() {
        let p = params();
        let e = Encoder::new(p.clone());
        let (a, b) = (values(p.slots(), 0.1), values(p.slots(), 0.9));
        let scale = p.default_scale();
        let pa = e.encode(&a, scale, 1).unwrap();
        let pb = e.encode(&b, scale, 1).unwrap();
        let tables: Vec<&NttTable> = p.q_tables(1);
        let mut prod = pa.poly.clone();
        prod.mul_assign(&pb.poly, &tables);
        let w = e.decode_poly(&prod, 1, scale * scale);
        for ((ai, bi), wi) in a.iter().zip(&b).zip(&w) {
            assert!((*ai * *bi - *wi).abs() < 1e-5);
        }
        for step in [1i64, 3, -1, 100] {
            let perm = p.galois_permutation(p.galois_element_for_step(step));
            let rotated = pa.poly.permuted(&perm);
            let w = e.decode_poly(&rotated, 1, scale);
            let s = p.slots() as i64;
            for (i, wi) in w.iter().enumerate() {
                let src = (i as i64 + step).rem_euclid(s) as usize;
                assert!((a[src] - *wi).abs() < 1e-6, "step {step} slot {i}");
            }
        }
        let conj = pa
            .poly
            .permuted(&p.galois_permutation(p.galois_element_conjugate()));
        let w = e.decode_poly(&conj, 1, scale);
        for (ai, wi) in a.iter().zip(&w) {
            assert!((ai.conj() - *wi).abs() < 1e-6);
        }
    }

    #[test]
    fn overflow_is_an_error() {
        let p = params();
        let e = Encoder::new(p.clone());
        assert!(matches!(
            e.encode_real(&[1e9], 2f64.powi(45), 0),
            Err(CkksError::EncodingOverflow { .. })
        ));
        assert!(e.encode_real(&vec![0.0; p.slots() + 1], 1.0, 0).is_err());
        // A large scale with several primes takes the multi-word path.
        let pt = e.encode_real(&[3.5], 2f64.powi(70), 1).unwrap();
        assert!((e.decode_real(&pt)[0] - 3.5).abs() < 1e-9);
    }
}
