//! Plaintext matrices times encrypted vectors (the encrypted linear layer).
//!
//! A row `r` of an [`EncodedMatrix`] holds signed integer mantissas with
//! one common base-16 exponent `e_r`, so row `r` of `W x` is the single
//! multi-exponentiation `prod_i c_i^(m_ri) mod n^2` with exponent
//! `e_r + e_x`. With [`WeightEncoding::PythonDefault`] the common exponent
//! is the smallest python-paillier default exponent of the row's weights,
//! and every weight is represented exactly (python-paillier's own default
//! float encoding is exact, and lowering an exponent is exact), so the
//! result decrypts to exactly what python-paillier's `sum(w * x)` gives.
//!
//! The ciphertexts are inverted once per call with Montgomery's trick and
//! shared by all rows; each row is a signed-digit Pippenger
//! multi-exponentiation (see `multiexp`). [`EncodedMatrix::apply`] runs on
//! the calling thread; [`EncodedMatrix::apply_par`] spreads the inversion
//! and the rows over rayon's pool.

use rayon::prelude::*;
use rug::Integer;

use crate::he::paillier::encoding::{
    EncodedNumber, LOG2_BASE, float_parts, integer_times_pow2_to_f64, round_scaled,
};
use crate::he::paillier::error::{PaillierError, Result};
use crate::he::paillier::keys::PublicKey;
use crate::he::paillier::multiexp::{
    BaseN, ModArith, NSquareMod, batch_invert_elems, choose_window, pippenger,
};
use crate::he::paillier::ops::{EncryptedNumber, shift_mantissa};

/// How float weights become integer mantissas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightEncoding {
    /// python-paillier's default float encoding (53-bit mantissas, exact),
    /// brought to the smallest exponent of the row.
    PythonDefault,
    /// A fixed absolute precision: exponent `floor(log16(precision))` for
    /// every row, mantissas rounded half-to-even (python's
    /// `encode(x, precision=p)`).
    Precision(f64),
}

/// A dense row-major plaintext matrix of signed mantissas with one
/// exponent per row. Independent of any key (checked against the key's
/// `max_int` when applied).
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedMatrix {
    rows: usize,
    cols: usize,
    exponents: Vec<i32>,
    mantissas: Vec<Integer>,
}

/// Alias: the plaintext matrix type of the linear layer.
pub type PlainMatrix = EncodedMatrix;

fn check_dims(rows: usize, cols: usize, len: usize) -> Result<()> {
    let expected = rows
        .checked_mul(cols)
        .ok_or(PaillierError::DimensionMismatch {
            what: "matrix size overflows usize".into(),
            expected: usize::MAX,
            found: len,
        })?;
    if expected != len || rows == 0 || cols == 0 {
        return Err(PaillierError::DimensionMismatch {
            what: format!("{rows}x{cols} matrix entries (non-empty, row-major)"),
            expected,
            found: len,
        });
    }
    Ok(())
}

impl EncodedMatrix {
    /// Encodes a dense row-major `rows x cols` matrix of floats.
    ///
    /// # Errors
    /// [`PaillierError::DimensionMismatch`], [`PaillierError::NonFinite`],
    /// [`PaillierError::InvalidPrecision`].
    pub fn encode_f64(
        rows: usize,
        cols: usize,
        weights: &[f64],
        encoding: WeightEncoding,
    ) -> Result<Self> {
        check_dims(rows, cols, weights.len())?;
        if let Some(&bad) = weights.iter().find(|w| !w.is_finite()) {
            return Err(PaillierError::NonFinite { value: bad });
        }
        let fixed_exponent = match encoding {
            WeightEncoding::PythonDefault => None,
            WeightEncoding::Precision(p) => {
                if !(p.is_finite() && p > 0.0) {
                    return Err(PaillierError::InvalidPrecision { precision: p });
                }
                Some((p.ln() / 16f64.ln()).floor() as i32)
            }
        };
        let mut exponents = Vec::with_capacity(rows);
        let mut mantissas = Vec::with_capacity(weights.len());
        for row in weights.chunks(cols) {
            let e = fixed_exponent.unwrap_or_else(|| {
                row.iter()
                    .map(|&w| EncodedNumber::natural_f64_exponent(w))
                    .min()
                    .unwrap_or(0)
            });
            exponents.push(e);
            for &w in row {
                mantissas.push(scaled_mantissa(w, e)?);
            }
        }
        Ok(Self {
            rows,
            cols,
            exponents,
            mantissas,
        })
    }

    /// An integer matrix (exponent 0).
    ///
    /// # Errors
    /// [`PaillierError::DimensionMismatch`].
    pub fn from_integers(rows: usize, cols: usize, values: Vec<Integer>) -> Result<Self> {
        check_dims(rows, cols, values.len())?;
        Ok(Self {
            rows,
            cols,
            exponents: vec![0; rows],
            mantissas: values,
        })
    }

    /// An integer matrix from `i64`s (exponent 0).
    ///
    /// # Errors
    /// [`PaillierError::DimensionMismatch`].
    pub fn from_i64(rows: usize, cols: usize, values: &[i64]) -> Result<Self> {
        Self::from_integers(
            rows,
            cols,
            values.iter().map(|&v| Integer::from(v)).collect(),
        )
    }

    /// From raw parts: row-major mantissas and one exponent per row.
    ///
    /// # Errors
    /// [`PaillierError::DimensionMismatch`].
    pub fn from_parts(
        rows: usize,
        cols: usize,
        mantissas: Vec<Integer>,
        row_exponents: Vec<i32>,
    ) -> Result<Self> {
        check_dims(rows, cols, mantissas.len())?;
        if row_exponents.len() != rows {
            return Err(PaillierError::DimensionMismatch {
                what: "row exponents".into(),
                expected: rows,
                found: row_exponents.len(),
            });
        }
        Ok(Self {
            rows,
            cols,
            exponents: row_exponents,
            mantissas,
        })
    }

    /// Number of rows (outputs).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (inputs).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Exponent of row `r`.
    pub fn row_exponent(&self, r: usize) -> i32 {
        self.exponents[r]
    }

    /// Mantissas of row `r`.
    pub fn row(&self, r: usize) -> &[Integer] {
        &self.mantissas[r * self.cols..(r + 1) * self.cols]
    }

    /// Largest mantissa size in bits (the multi-exponentiation's exponent size).
    pub fn max_mantissa_bits(&self) -> u32 {
        self.mantissas
            .iter()
            .map(|m| m.significant_bits())
            .max()
            .unwrap_or(0)
    }

    /// The value of entry `(r, c)` as the nearest f64.
    ///
    /// # Errors
    /// [`PaillierError::FloatOverflow`].
    pub fn value_f64(&self, r: usize, c: usize) -> Result<f64> {
        integer_times_pow2_to_f64(
            &self.mantissas[r * self.cols + c],
            i64::from(self.exponents[r]) * i64::from(LOG2_BASE),
        )
    }

    fn prepare(&self, inputs: &[EncryptedNumber]) -> Result<Prepared> {
        if inputs.len() != self.cols {
            return Err(PaillierError::DimensionMismatch {
                what: "encrypted input vector".into(),
                expected: self.cols,
                found: inputs.len(),
            });
        }
        let pk = inputs[0].public_key().clone();
        for x in inputs {
            pk.check_same(x.public_key())?;
        }
        let max_int = pk.max_int();
        let limit = max_int.significant_bits();
        for m in &self.mantissas {
            if m.significant_bits() >= limit && Integer::from(m.abs_ref()) > *max_int {
                return Err(PaillierError::EncodingOverflow {
                    value: m.to_string(),
                    max_int: max_int.to_string(),
                });
            }
        }
        let in_exp = inputs.iter().map(|x| x.exponent()).min().unwrap_or(0);
        let shifts: Vec<i64> = inputs
            .iter()
            .map(|x| i64::from(LOG2_BASE) * (i64::from(x.exponent()) - i64::from(in_exp)))
            .collect();
        let mut out_exps = Vec::with_capacity(self.rows);
        for &e in &self.exponents {
            out_exps.push(e.checked_add(in_exp).ok_or_else(|| {
                PaillierError::ExponentOutOfRange {
                    what: format!("{e} + {in_exp} overflows i32"),
                }
            })?);
        }
        Ok(Prepared {
            pk,
            shifts,
            out_exps,
        })
    }

    fn row_exps(&self, r: usize, shifts: &[i64]) -> Result<Vec<Integer>> {
        self.row(r)
            .iter()
            .zip(shifts)
            .map(|(m, &s)| shift_mantissa(m.clone(), s))
            .collect()
    }

    /// `W x` on the calling thread: one [`EncryptedNumber`] per row with
    /// exponent `row_exponent + min(input exponents)`. Results are not
    /// re-randomised.
    ///
    /// # Errors
    /// [`PaillierError::DimensionMismatch`], [`PaillierError::KeyMismatch`],
    /// [`PaillierError::EncodingOverflow`] for mantissas beyond `max_int`.
    pub fn apply(&self, inputs: &[EncryptedNumber]) -> Result<Vec<EncryptedNumber>> {
        let prep = self.prepare(inputs)?;
        let mut ar = NSquareMod::new(prep.pk.n());
        let bases: Vec<BaseN> = inputs.iter().map(|x| ar.load(x.ciphertext())).collect();
        let inverses = batch_invert_elems(&mut ar, &bases)?;
        (0..self.rows)
            .map(|r| {
                let exps = self.row_exps(r, &prep.shifts)?;
                let c = choose_window(&exps);
                let ct = pippenger(&mut ar, &bases, &inverses, &exps, c);
                Ok(derived(&prep.pk, ct, prep.out_exps[r]))
            })
            .collect()
    }

    /// [`EncodedMatrix::apply`] on all cores: chunked parallel inversion,
    /// then rows in parallel.
    ///
    /// # Errors
    /// As [`EncodedMatrix::apply`].
    pub fn apply_par(&self, inputs: &[EncryptedNumber]) -> Result<Vec<EncryptedNumber>> {
        let prep = self.prepare(inputs)?;
        let n = prep.pk.n();
        let chunk = inputs
            .len()
            .div_ceil(rayon::current_num_threads().max(1))
            .max(1);
        let parts: Result<Vec<(Vec<BaseN>, Vec<BaseN>)>> = inputs
            .par_chunks(chunk)
            .map(|part| {
                let mut ar = NSquareMod::new(n);
                let b: Vec<BaseN> = part.iter().map(|x| ar.load(x.ciphertext())).collect();
                let inv = batch_invert_elems(&mut ar, &b)?;
                Ok((b, inv))
            })
            .collect();
        let mut bases = Vec::with_capacity(inputs.len());
        let mut inverses = Vec::with_capacity(inputs.len());
        for (b, i) in parts? {
            bases.extend(b);
            inverses.extend(i);
        }
        (0..self.rows)
            .into_par_iter()
            .map(|r| {
                let mut ar = NSquareMod::new(n);
                let exps = self.row_exps(r, &prep.shifts)?;
                let c = choose_window(&exps);
                let ct = pippenger(&mut ar, &bases, &inverses, &exps, c);
                Ok(derived(&prep.pk, ct, prep.out_exps[r]))
            })
            .collect()
    }
}

struct Prepared {
    pk: PublicKey,
    shifts: Vec<i64>,
    out_exps: Vec<i32>,
}

fn derived(pk: &PublicKey, ciphertext: Integer, exponent: i32) -> EncryptedNumber {
    EncryptedNumber {
        ciphertext,
        exponent,
        public_key: pk.clone(),
        fresh: false,
    }
}

/// `round_half_even(w * 16^-e)`, exact.
fn scaled_mantissa(w: f64, e: i32) -> Result<Integer> {
    let (m, s) = float_parts(w);
    let shift = s - i64::from(LOG2_BASE) * i64::from(e);
    if shift > 1 << 20 {
        return Err(PaillierError::ExponentOutOfRange {
            what: format!("weight {w} at exponent {e}"),
        });
    }
    Ok(round_scaled(&m, shift))
}

/// One row's multi-exponentiation for [`crate::he::paillier::ops::dot`]:
/// returns the ciphertext and the input exponent used (the minimum).
pub(crate) fn multi_exp_row(
    pk: &PublicKey,
    inputs: &[EncryptedNumber],
    mantissas: &[Integer],
) -> Result<(Integer, i32)> {
    let m = EncodedMatrix::from_parts(1, inputs.len(), mantissas.to_vec(), vec![0])?;
    for x in inputs {
        pk.check_same(x.public_key())?;
    }
    let prep = m.prepare(inputs)?;
    let mut ar = NSquareMod::new(pk.n());
    let bases: Vec<BaseN> = inputs.iter().map(|x| ar.load(x.ciphertext())).collect();
    let inverses = batch_invert_elems(&mut ar, &bases)?;
    let exps = m.row_exps(0, &prep.shifts)?;
    let c = choose_window(&exps);
    Ok((
        pippenger(&mut ar, &bases, &inverses, &exps, c),
        prep.out_exps[0],
    ))
}

/// An encrypted affine layer `y = W x + b` with float weights and bias.
#[derive(Clone, Debug)]
pub struct LinearLayer {
    weights: EncodedMatrix,
    bias: Option<Vec<f64>>,
}

impl LinearLayer {
    /// Encodes `rows x cols` row-major weights; `bias` (one per row) is
    /// added homomorphically as an encoded plaintext (python's
    /// `enc + float`: encoded with `max_exponent` = the row's exponent).
    ///
    /// # Errors
    /// As [`EncodedMatrix::encode_f64`]; [`PaillierError::DimensionMismatch`]
    /// for a bias of the wrong length.
    pub fn new(
        rows: usize,
        cols: usize,
        weights: &[f64],
        bias: Option<&[f64]>,
        encoding: WeightEncoding,
    ) -> Result<Self> {
        let weights = EncodedMatrix::encode_f64(rows, cols, weights, encoding)?;
        if let Some(b) = bias {
            if b.len() != rows {
                return Err(PaillierError::DimensionMismatch {
                    what: "bias".into(),
                    expected: rows,
                    found: b.len(),
                });
            }
            if let Some(&bad) = b.iter().find(|x| !x.is_finite()) {
                return Err(PaillierError::NonFinite { value: bad });
            }
        }
        Ok(Self {
            weights,
            bias: bias.map(<[f64]>::to_vec),
        })
    }

    /// The encoded weights.
    pub fn weights(&self) -> &EncodedMatrix {
        &self.weights
    }

    fn add_bias(&self, out: Vec<EncryptedNumber>) -> Result<Vec<EncryptedNumber>> {
        match &self.bias {
            None => Ok(out),
            Some(b) => out.iter().zip(b).map(|(y, &bi)| y.add_f64(bi)).collect(),
        }
    }

    /// `W x + b` on the calling thread.
    ///
    /// # Errors
    /// As [`EncodedMatrix::apply`], plus bias encoding errors.
    pub fn forward(&self, inputs: &[EncryptedNumber]) -> Result<Vec<EncryptedNumber>> {
        self.add_bias(self.weights.apply(inputs)?)
    }

    /// `W x + b` on all cores.
    ///
    /// # Errors
    /// As [`LinearLayer::forward`].
    pub fn forward_par(&self, inputs: &[EncryptedNumber]) -> Result<Vec<EncryptedNumber>> {
        self.add_bias(self.weights.apply_par(inputs)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::paillier::test_keys;

    #[test]
    fn python_default_row_encoding_is_exact() {
        let w = [0.4, -0.001, 0.0, 0.25, 1e-7, -0.5];
        let m = EncodedMatrix::encode_f64(2, 3, &w, WeightEncoding::PythonDefault).unwrap();
        // row 0: min natural exponent of 0.4 (-14), -0.001 (-16), 0.0 (-14)
        assert_eq!(m.row_exponent(0), -16);
        assert_eq!(m.row_exponent(1), EncodedNumber::natural_f64_exponent(1e-7));
        for r in 0..2 {
            for c in 0..3 {
                assert_eq!(m.value_f64(r, c).unwrap(), w[r * 3 + c]);
            }
        }
        let p = EncodedMatrix::encode_f64(1, 2, &[0.123456, -2.5], WeightEncoding::Precision(1e-3))
            .unwrap();
        assert_eq!(p.row_exponent(0), -3);
        assert_eq!(p.row(0), &[Integer::from(506), Integer::from(-10240)]);
        assert!(EncodedMatrix::encode_f64(2, 2, &[0.0; 3], WeightEncoding::PythonDefault).is_err());
        assert!(
            EncodedMatrix::encode_f64(1, 1, &[f64::INFINITY], WeightEncoding::PythonDefault)
                .is_err()
        );
        assert!(EncodedMatrix::encode_f64(1, 1, &[1.0], WeightEncoding::Precision(-1.0)).is_err());
        let tiny = EncodedMatrix::encode_f64(1, 2, &[5e-324, -1.0], WeightEncoding::PythonDefault)
            .unwrap();
        assert_eq!(tiny.value_f64(0, 0).unwrap(), 5e-324);
        assert_eq!(tiny.value_f64(0, 1).unwrap(), -1.0);
    }

    #[test]
    fn layer_matches_python_style_sum_and_float() {
        let kp = test_keys::key_1024();
        let (pk, sk) = (&kp.public, &kp.secret);
        let xs = [0.0, 1.0 / 255.0, 0.5, 1.0, 0.2];
        let w = [
            0.3, -0.2, 0.1, -0.4, 0.05, //
            -0.5, 0.49, 0.0, 1e-4, -0.33,
        ];
        let bias = [0.1, -0.25];
        let enc = pk.encrypt_f64_batch(&xs).unwrap();
        let layer = LinearLayer::new(2, 5, &w, Some(&bias), WeightEncoding::PythonDefault).unwrap();
        let seq = layer.forward(&enc).unwrap();
        let par = layer.forward_par(&enc).unwrap();
        for r in 0..2 {
            assert_eq!(
                sk.decrypt_exact(&seq[r]).unwrap(),
                sk.decrypt_exact(&par[r]).unwrap()
            );
            // python: sum(w * x) + b
            let mut acc = enc[0].mul_f64(w[r * 5]).unwrap();
            for c in 1..5 {
                acc = acc.add(&enc[c].mul_f64(w[r * 5 + c]).unwrap()).unwrap();
            }
            let acc = acc.add_f64(bias[r]).unwrap();
            let (m1, e1) = sk.decrypt_exact(&seq[r]).unwrap();
            let (m2, e2) = sk.decrypt_exact(&acc).unwrap();
            let lo = e1.min(e2);
            assert_eq!(
                m1 << (4 * (e1 - lo)) as u32,
                m2 << (4 * (e2 - lo)) as u32,
                "row {r}"
            );
            let plain: f64 = (0..5).map(|c| w[r * 5 + c] * xs[c]).sum::<f64>() + bias[r];
            assert!((sk.decrypt_f64(&seq[r]).unwrap() - plain).abs() < 1e-12);
        }
        assert!(layer.forward(&enc[..4]).is_err());
    }

    #[test]
    fn mantissa_over_max_int_is_refused() {
        let kp = test_keys::key_1024();
        let big = Integer::from(kp.public.max_int() + 1u32);
        let m = EncodedMatrix::from_integers(1, 1, vec![big]).unwrap();
        let x = vec![kp.public.encrypt_i64(1).unwrap()];
        assert!(matches!(
            m.apply(&x),
            Err(PaillierError::EncodingOverflow { .. })
        ));
    }
}
