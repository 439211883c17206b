//! Homomorphic evaluation.
//!
//! Every operation comes as `op(&a, ..) -> Result<Ciphertext>` (allocates) and,
//! where it makes sense, `op_assign(&mut a, ..) -> Result<()>`. By default the
//! operations are explicit: operands must share level and scale, and `mul` leaves
//! a three-component ciphertext at the product scale. `AutoOptions` turns on
//! TenSEAL-style automatic relinearisation, rescaling and level/scale matching.

use super::encoder::{Encoder, Plaintext};
use super::encryption::Ciphertext;
use super::error::{CkksError, Result};
use super::keys::{GaloisKeys, KeySwitchKey, RelinKey};
use super::params::CkksParameters;
use crate::he::math::ntt::NttTable;
use crate::he::math::poly::RnsPoly;
use crate::he::math::rns::{divide_round_by_last, divided_round_by_last, lift_digit};
use std::sync::Arc;

/// Relative tolerance under which two scales count as equal.
pub const SCALE_TOLERANCE: f64 = 1e-9;

/// TenSEAL's context flags: relinearise after every product, rescale after every
/// product, and mod-switch (with scale correction) to match levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AutoOptions {
    pub relinearize: bool,
    pub rescale: bool,
    pub mod_switch: bool,
}

impl AutoOptions {
    pub fn all() -> Self {
        Self {
            relinearize: true,
            rescale: true,
            mod_switch: true,
        }
    }
}

pub fn scales_match(a: f64, b: f64) -> bool {
    (a - b).abs() <= SCALE_TOLERANCE * a.abs().max(b.abs())
}

/// The digits of a ciphertext component for key switching, lifted to the
/// basis q_0..q_l, P in NTT form; reusable across rotations (hoisting).
pub struct Decomposition {
    level: usize,
    digits: Vec<RnsPoly>,
}

/// Where key switching takes its digits from.
#[derive(Clone, Copy)]
enum Digits<'a> {
    Stored(&'a Decomposition),
    /// Lift each residue of this component (at this level) when needed.
    Lift(&'a RnsPoly, usize),
}

/// Per-thread buffers for key switching, reused so that large accumulators are
/// not allocated (and page-faulted in) on every call.
#[derive(Default)]
struct Scratch {
    acc0: Vec<u128>,
    acc1: Vec<u128>,
    coeffs: Vec<u64>,
    lifted: Vec<u64>,
    permuted: Vec<u64>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

pub struct Evaluator {
    params: Arc<CkksParameters>,
    encoder: Encoder,
    relin: Option<Arc<RelinKey>>,
    galois: Option<Arc<GaloisKeys>>,
    auto: AutoOptions,
}

impl Evaluator {
    pub fn new(params: Arc<CkksParameters>) -> Self {
        Self {
            encoder: Encoder::new(params.clone()),
            params,
            relin: None,
            galois: None,
            auto: AutoOptions::default(),
        }
    }

    pub fn with_relin_key(mut self, key: Arc<RelinKey>) -> Result<Self> {
        if let Some(g) = &self.galois
            && g.key_id != key.key_id
        {
            return Err(CkksError::KeyMismatch {
                expected: g.key_id,
                found: key.key_id,
            });
        }
        self.relin = Some(key);
        Ok(self)
    }

    pub fn with_galois_keys(mut self, keys: Arc<GaloisKeys>) -> Result<Self> {
        if let Some(r) = &self.relin
            && r.key_id != keys.key_id
        {
            return Err(CkksError::KeyMismatch {
                expected: r.key_id,
                found: keys.key_id,
            });
        }
        self.galois = Some(keys);
        Ok(self)
    }

    pub fn with_auto(mut self, auto: AutoOptions) -> Self {
        self.auto = auto;
        self
    }

    pub fn auto(&self) -> AutoOptions {
        self.auto
    }

    pub fn params(&self) -> &Arc<CkksParameters> {
        &self.params
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    pub fn galois_keys(&self) -> Option<&GaloisKeys> {
        self.galois.as_deref()
    }

    fn tables(&self, level: usize) -> Vec<&NttTable> {
        self.params.q_tables(level)
    }

    fn check_level(&self, expected: usize, found: usize) -> Result<()> {
        if expected == found {
            Ok(())
        } else {
            Err(CkksError::LevelMismatch { expected, found })
        }
    }

    fn check_scale(expected: f64, found: f64) -> Result<()> {
        if scales_match(expected, found) {
            Ok(())
        } else {
            Err(CkksError::ScaleMismatch {
                expected_log2: expected.log2(),
                found_log2: found.log2(),
            })
        }
    }

    // ----- levels and scales -----

    /// Drops primes down to `level` (same message, same scale).
    pub fn mod_switch_to_assign(&self, ct: &mut Ciphertext, level: usize) -> Result<()> {
        if level > ct.level {
            return Err(CkksError::InvalidLevel {
                level,
                max: ct.level,
            });
        }
        for p in &mut ct.parts {
            p.truncate(level + 1);
        }
        ct.level = level;
        ct.clear_seed();
        Ok(())
    }

    pub fn mod_switch_to(&self, ct: &Ciphertext, level: usize) -> Result<Ciphertext> {
        let mut out = ct.clone();
        self.mod_switch_to_assign(&mut out, level)?;
        Ok(out)
    }

    /// Divides by the last prime q_l, dropping it: scale / q_l, one level down.
    pub fn rescale_assign(&self, ct: &mut Ciphertext) -> Result<()> {
        if ct.level == 0 {
            return Err(CkksError::OutOfLevels);
        }
        let tables = self.tables(ct.level);
        for p in &mut ct.parts {
            divide_round_by_last(p, &tables);
        }
        ct.scale /= self.params.q(ct.level) as f64;
        ct.level -= 1;
        ct.clear_seed();
        Ok(())
    }

    /// `rescale_assign` on a copy, written in one pass over memory.
    pub fn rescale(&self, ct: &Ciphertext) -> Result<Ciphertext> {
        if ct.level == 0 {
            return Err(CkksError::OutOfLevels);
        }
        let tables = self.tables(ct.level);
        Ok(Ciphertext {
            parts: ct
                .parts
                .iter()
                .map(|p| divided_round_by_last(p, &tables))
                .collect(),
            level: ct.level - 1,
            scale: ct.scale / self.params.q(ct.level) as f64,
            seed: None,
        })
    }

    /// Brings `ct` down to `level` with scale `scale`: a plain mod switch when the
    /// scales agree, otherwise a multiplication by round(scale q_(level+1) / ct.scale)
    /// and a rescale, which fixes the scale up to a relative 2^-40 or so.
    pub fn match_level_and_scale(
        &self,
        ct: &Ciphertext,
        level: usize,
        scale: f64,
    ) -> Result<Ciphertext> {
        if level > ct.level {
            return Err(CkksError::LevelMismatch {
                expected: level,
                found: ct.level,
            });
        }
        if scales_match(ct.scale, scale) {
            let mut out = self.mod_switch_to(ct, level)?;
            out.scale = scale;
            return Ok(out);
        }
        if level == ct.level {
            return Err(CkksError::ScaleMismatch {
                expected_log2: scale.log2(),
                found_log2: ct.scale.log2(),
            });
        }
        let mut out = self.mod_switch_to(ct, level + 1)?;
        let factor = scale * self.params.q(level + 1) as f64 / out.scale;
        self.mul_integer_f64_assign(&mut out, factor);
        self.rescale_assign(&mut out)?;
        out.scale = scale;
        Ok(out)
    }

    /// Makes two operands of an addition agree on level and scale (auto mode) or
    /// checks that they do.
    fn align_pair<'a>(
        &self,
        a: &'a Ciphertext,
        b: &'a Ciphertext,
    ) -> Result<(
        std::borrow::Cow<'a, Ciphertext>,
        std::borrow::Cow<'a, Ciphertext>,
    )> {
        use std::borrow::Cow;
        if a.level == b.level && scales_match(a.scale, b.scale) {
            return Ok((Cow::Borrowed(a), Cow::Borrowed(b)));
        }
        if !self.auto.mod_switch {
            self.check_level(a.level, b.level)?;
            Self::check_scale(a.scale, b.scale)?;
        }
        if a.level > b.level {
            Ok((
                Cow::Owned(self.match_level_and_scale(a, b.level, b.scale)?),
                Cow::Borrowed(b),
            ))
        } else if b.level > a.level {
            Ok((
                Cow::Borrowed(a),
                Cow::Owned(self.match_level_and_scale(b, a.level, a.scale)?),
            ))
        } else {
            Err(CkksError::ScaleMismatch {
                expected_log2: a.scale.log2(),
                found_log2: b.scale.log2(),
            })
        }
    }

    // ----- addition -----

    pub(crate) fn add_parts(&self, a: &mut Ciphertext, b: &Ciphertext, subtract: bool) {
        let tables = self.tables(a.level);
        if a.parts.len() < b.parts.len() {
            let n = self.params.degree();
            a.parts.resize(b.parts.len(), RnsPoly::zero(n, a.level + 1));
        }
        for (x, y) in a.parts.iter_mut().zip(&b.parts) {
            if subtract {
                x.sub_assign(y, &tables);
            } else {
                x.add_assign(y, &tables);
            }
        }
        a.clear_seed();
    }

    /// a + b (or a - b): `clone` then `add_parts`, but in one pass over memory into
    /// fresh buffers when both have the same number of components.
    pub(crate) fn add_parts_to(
        &self,
        a: &Ciphertext,
        b: &Ciphertext,
        subtract: bool,
    ) -> Ciphertext {
        if a.parts.len() != b.parts.len() {
            let mut out = a.clone();
            self.add_parts(&mut out, b, subtract);
            return out;
        }
        let tables = self.tables(a.level);
        let parts = a
            .parts
            .iter()
            .zip(&b.parts)
            .map(|(x, y)| {
                if subtract {
                    x.sub(y, &tables)
                } else {
                    x.add(y, &tables)
                }
            })
            .collect();
        Ciphertext {
            parts,
            level: a.level,
            scale: a.scale,
            seed: None,
        }
    }

    /// a + b (or a - b) for operands from `align_pair`: in place on a copy it already
    /// made, else out of place.
    fn add_aligned(
        &self,
        a: std::borrow::Cow<'_, Ciphertext>,
        b: &Ciphertext,
        subtract: bool,
    ) -> Ciphertext {
        use std::borrow::Cow;
        match a {
            Cow::Borrowed(a) => self.add_parts_to(a, b, subtract),
            Cow::Owned(mut a) => {
                self.add_parts(&mut a, b, subtract);
                a
            }
        }
    }

    pub fn add_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<()> {
        *a = self.add(a, b)?;
        Ok(())
    }

    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        let (a, b) = self.align_pair(a, b)?;
        Ok(self.add_aligned(a, &b, false))
    }

    pub fn sub_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<()> {
        *a = self.sub(a, b)?;
        Ok(())
    }

    pub fn sub(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        let (a, b) = self.align_pair(a, b)?;
        Ok(self.add_aligned(a, &b, true))
    }

    pub fn neg_assign(&self, a: &mut Ciphertext) {
        let tables = self.tables(a.level);
        for p in &mut a.parts {
            p.neg_assign(&tables);
        }
        a.clear_seed();
    }

    pub fn neg(&self, a: &Ciphertext) -> Ciphertext {
        let tables = self.tables(a.level);
        Ciphertext {
            parts: a.parts.iter().map(|p| p.neg(&tables)).collect(),
            level: a.level,
            scale: a.scale,
            seed: None,
        }
    }

    /// The plaintext restricted to `level` (auto mode) or checked to be at it.
    fn plaintext_at<'a>(
        &self,
        pt: &'a Plaintext,
        level: usize,
    ) -> Result<std::borrow::Cow<'a, RnsPoly>> {
        use std::borrow::Cow;
        if pt.level == level {
            Ok(Cow::Borrowed(&pt.poly))
        } else if self.auto.mod_switch && pt.level > level {
            Ok(Cow::Owned(pt.poly.prefix(level + 1)))
        } else {
            Err(CkksError::LevelMismatch {
                expected: level,
                found: pt.level,
            })
        }
    }

    pub fn add_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext) -> Result<()> {
        Self::check_scale(ct.scale, pt.scale)?;
        let poly = self.plaintext_at(pt, ct.level)?;
        ct.parts[0].add_assign(&poly, &self.tables(ct.level));
        ct.clear_seed();
        Ok(())
    }

    pub fn add_plain(&self, ct: &Ciphertext, pt: &Plaintext) -> Result<Ciphertext> {
        Self::check_scale(ct.scale, pt.scale)?;
        let poly = self.plaintext_at(pt, ct.level)?;
        let mut parts = Vec::with_capacity(ct.parts.len());
        parts.push(ct.parts[0].add(&poly, &self.tables(ct.level)));
        parts.extend_from_slice(&ct.parts[1..]);
        Ok(Ciphertext {
            parts,
            level: ct.level,
            scale: ct.scale,
            seed: None,
        })
    }

    pub fn sub_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext) -> Result<()> {
        Self::check_scale(ct.scale, pt.scale)?;
        let poly = self.plaintext_at(pt, ct.level)?;
        ct.parts[0].sub_assign(&poly, &self.tables(ct.level));
        ct.clear_seed();
        Ok(())
    }

    /// Adds real values slot-wise, encoded at the ciphertext's level and scale.
    pub fn add_values(&self, ct: &Ciphertext, values: &[f64]) -> Result<Ciphertext> {
        let pt = self.encoder.encode_real(values, ct.scale, ct.level)?;
        self.add_plain(ct, &pt)
    }

    /// Subtracts real values slot-wise.
    pub fn sub_values(&self, ct: &Ciphertext, values: &[f64]) -> Result<Ciphertext> {
        let pt = self.encoder.encode_real(values, ct.scale, ct.level)?;
        let mut out = ct.clone();
        self.sub_plain_assign(&mut out, &pt)?;
        Ok(out)
    }

    fn constant_residues(&self, value: f64, level: usize) -> Vec<u64> {
        self.tables(level)
            .iter()
            .map(|t| t.modulus().reduce_f64(value))
            .collect()
    }

    /// Adds the constant `c` to every slot.
    pub fn add_scalar_assign(&self, ct: &mut Ciphertext, c: f64) -> Result<()> {
        let v = c * ct.scale;
        if !v.is_finite() {
            return Err(CkksError::EncodingOverflow {
                value: c,
                log2_scale: ct.scale.log2(),
            });
        }
        let residues = self.constant_residues(v, ct.level);
        ct.parts[0].add_scalar_assign(&residues, &self.tables(ct.level));
        ct.clear_seed();
        Ok(())
    }

    pub fn add_scalar(&self, ct: &Ciphertext, c: f64) -> Result<Ciphertext> {
        let mut out = ct.clone();
        self.add_scalar_assign(&mut out, c)?;
        Ok(out)
    }

    pub fn sub_scalar(&self, ct: &Ciphertext, c: f64) -> Result<Ciphertext> {
        self.add_scalar(ct, -c)
    }

    // ----- multiplication by constants and plaintexts -----

    /// Multiplies by the integer round(k) (any magnitude): exact, scale unchanged.
    pub fn mul_integer_f64_assign(&self, ct: &mut Ciphertext, k: f64) {
        let residues = self.constant_residues(k, ct.level);
        let tables = self.tables(ct.level);
        for p in &mut ct.parts {
            p.mul_scalar_assign(&residues, &tables);
        }
        ct.clear_seed();
    }

    /// `mul_integer_f64_assign` on a copy, in one pass over memory.
    fn mul_integer_f64(&self, ct: &Ciphertext, k: f64) -> Ciphertext {
        let residues = self.constant_residues(k, ct.level);
        let tables = self.tables(ct.level);
        Ciphertext {
            parts: ct
                .parts
                .iter()
                .map(|p| p.mul_scalar(&residues, &tables))
                .collect(),
            level: ct.level,
            scale: ct.scale,
            seed: None,
        }
    }

    /// Multiplies by an integer: exact, no level used, scale unchanged.
    pub fn mul_integer(&self, ct: &Ciphertext, k: i64) -> Ciphertext {
        self.mul_integer_f64(ct, k as f64)
    }

    /// Multiplies by the constant `c` encoded at `const_scale`, without rescaling:
    /// the result has scale ct.scale * const_scale.
    pub fn mul_scalar_at_scale(
        &self,
        ct: &Ciphertext,
        c: f64,
        const_scale: f64,
    ) -> Result<Ciphertext> {
        let v = c * const_scale;
        if !v.is_finite() {
            return Err(CkksError::EncodingOverflow {
                value: c,
                log2_scale: const_scale.log2(),
            });
        }
        let mut out = self.mul_integer_f64(ct, v);
        out.scale *= const_scale;
        Ok(out)
    }

    /// The scale at which to encode a multiplicand: q_l when the result will be
    /// rescaled (the scale then comes back exactly), else the default scale.
    fn multiplicand_scale(&self, level: usize) -> f64 {
        if self.auto.rescale && level > 0 {
            self.params.q(level) as f64
        } else {
            self.params.default_scale()
        }
    }

    fn after_product(&self, ct: &mut Ciphertext) -> Result<()> {
        if self.auto.relinearize && ct.parts.len() == 3 {
            self.relinearize_assign(ct)?;
        }
        if self.auto.rescale {
            self.rescale_assign(ct)?;
        }
        Ok(())
    }

    /// Multiplies every slot by the real constant `c`. Small integers are exact and
    /// free; other constants use one level when auto rescaling is on.
    pub fn mul_scalar(&self, ct: &Ciphertext, c: f64) -> Result<Ciphertext> {
        if c.fract() == 0.0 && c.abs() < 1048576.0 {
            return Ok(self.mul_integer(ct, c as i64));
        }
        let mut out = self.mul_scalar_at_scale(ct, c, self.multiplicand_scale(ct.level))?;
        if self.auto.rescale {
            self.rescale_assign(&mut out)?;
        }
        Ok(out)
    }

    /// Multiplies by a plaintext without rescaling, whatever the auto options.
    pub fn mul_plain_no_rescale(&self, ct: &Ciphertext, pt: &Plaintext) -> Result<Ciphertext> {
        let poly = self.plaintext_at(pt, ct.level)?;
        let tables = self.tables(ct.level);
        Ok(Ciphertext {
            parts: ct.parts.iter().map(|p| p.mul(&poly, &tables)).collect(),
            level: ct.level,
            scale: ct.scale * pt.scale,
            seed: None,
        })
    }

    pub fn mul_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext) -> Result<()> {
        let poly = self.plaintext_at(pt, ct.level)?;
        let tables = self.tables(ct.level);
        for p in &mut ct.parts {
            p.mul_assign(&poly, &tables);
        }
        ct.scale *= pt.scale;
        ct.clear_seed();
        if self.auto.rescale {
            self.rescale_assign(ct)?;
        }
        Ok(())
    }

    pub fn mul_plain(&self, ct: &Ciphertext, pt: &Plaintext) -> Result<Ciphertext> {
        let mut out = self.mul_plain_no_rescale(ct, pt)?;
        if self.auto.rescale {
            self.rescale_assign(&mut out)?;
        }
        Ok(out)
    }

    /// Multiplies slot-wise by real values.
    pub fn mul_values(&self, ct: &Ciphertext, values: &[f64]) -> Result<Ciphertext> {
        let pt = self
            .encoder
            .encode_real(values, self.multiplicand_scale(ct.level), ct.level)?;
        self.mul_plain(ct, &pt)
    }

    // ----- ciphertext multiplication -----

    /// The tensor product (d0, d1, d2) of two 2-component ciphertexts at one level;
    /// relinearised and rescaled afterwards in auto mode.
    pub fn mul(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        let mut out = self.tensor(a, b)?;
        self.after_product(&mut out)?;
        Ok(out)
    }

    /// The tensor product alone (never relinearised or rescaled); operands at
    /// different levels are matched only in auto mode.
    pub fn tensor(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext> {
        use std::borrow::Cow;
        let (a, b) = if a.level == b.level {
            (Cow::Borrowed(a), Cow::Borrowed(b))
        } else if self.auto.mod_switch {
            let l = a.level.min(b.level);
            (
                Cow::Owned(self.mod_switch_to(a, l)?),
                Cow::Owned(self.mod_switch_to(b, l)?),
            )
        } else {
            return Err(CkksError::LevelMismatch {
                expected: a.level,
                found: b.level,
            });
        };
        for c in [&a, &b] {
            if c.parts.len() != 2 {
                return Err(CkksError::CiphertextSize {
                    size: c.parts.len(),
                    expected: 2,
                });
            }
        }
        let tables = self.tables(a.level);
        // One pass; the middle term is reduced once from a 128-bit sum.
        let (x, y) = (&a.parts, &b.parts);
        let parts = RnsPoly::tensor([&x[0], &x[1]], [&y[0], &y[1]], &tables);
        Ok(Ciphertext {
            parts: parts.into(),
            level: a.level,
            scale: a.scale * b.scale,
            seed: None,
        })
    }

    pub fn square(&self, a: &Ciphertext) -> Result<Ciphertext> {
        if a.parts.len() != 2 {
            return Err(CkksError::CiphertextSize {
                size: a.parts.len(),
                expected: 2,
            });
        }
        let tables = self.tables(a.level);
        // (c0^2, 2 c0 c1, c1^2): the tensor product with itself.
        let x = [&a.parts[0], &a.parts[1]];
        let parts = RnsPoly::tensor(x, x, &tables);
        let mut out = Ciphertext {
            parts: parts.into(),
            level: a.level,
            scale: a.scale * a.scale,
            seed: None,
        };
        self.after_product(&mut out)?;
        Ok(out)
    }

    pub fn mul_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<()> {
        *a = self.mul(a, b)?;
        Ok(())
    }

    // ----- key switching -----

    /// Decomposes one component (NTT form, at `level`) into its key-switching digits.
    pub fn decompose(&self, c: &RnsPoly, level: usize) -> Decomposition {
        let n = self.params.degree();
        let qp = self.params.qp_tables(level);
        let digits = (0..=level)
            .map(|j| {
                let mut coeffs = c.row(j).to_vec();
                qp[j].inverse(&mut coeffs);
                let mut d = RnsPoly::zero(n, level + 2);
                for (k, t) in qp.iter().enumerate() {
                    if k == j {
                        d.row_mut(k).copy_from_slice(c.row(j));
                    } else {
                        lift_digit(&coeffs, t, d.row_mut(k), false);
                    }
                }
                d
            })
            .collect();
        Decomposition { level, digits }
    }

    /// sum_j perm(digit_j) * key_j, divided by P: (k0, k1) over q_0..q_l with
    /// k0 + k1 s = perm(c) * s' + small noise. Digits come either from a stored
    /// decomposition (hoisting) or are lifted on the fly from `c`, one at a time.
    fn key_switch(
        &self,
        digits: Digits<'_>,
        perm: Option<&[usize]>,
        key: &KeySwitchKey,
    ) -> (RnsPoly, RnsPoly) {
        let level = match digits {
            Digits::Stored(d) => d.level,
            Digits::Lift(_, level) => level,
        };
        let n = self.params.degree();
        let qp = self.params.qp_tables(level);
        let rows = level + 2;
        let special_key_row = self.params.max_level() + 1;
        let mut out0 = RnsPoly::zero(n, rows);
        let mut out1 = RnsPoly::zero(n, rows);
        SCRATCH.with(|cell| {
            let scratch = &mut *cell.borrow_mut();
            let Scratch {
                acc0,
                acc1,
                coeffs,
                lifted,
                permuted,
            } = scratch;
            acc0.resize(n, 0);
            acc1.resize(n, 0);
            lifted.resize(n, 0);
            permuted.resize(n, 0);
            // Coefficient form of every residue of c, once.
            if let Digits::Lift(c, _) = digits {
                coeffs.resize((level + 1) * n, 0);
                for j in 0..=level {
                    let row = &mut coeffs[j * n..(j + 1) * n];
                    row.copy_from_slice(c.row(j));
                    qp[j].inverse(row);
                }
            }
            // Lifted digits may stay in [0, 4q) while the 128-bit sums cannot
            // overflow: (level + 1) * 4q * q < 2^128.
            let max_bits = qp.iter().map(|t| t.modulus().bits()).max().unwrap_or(62);
            let lazy = ((level + 1) as u32).ilog2() + 1 + 2 + 2 * max_bits <= 127;
            // One target row at a time, so the 128-bit accumulators stay in cache.
            for (k, t) in qp.iter().enumerate() {
                let key_row = if k <= level { k } else { special_key_row };
                acc0.fill(0);
                acc1.fill(0);
                for (j, (kb, ka)) in key.digits.iter().enumerate().take(level + 1) {
                    let mut row: &[u64] = match digits {
                        Digits::Stored(d) => d.digits[j].row(k),
                        Digits::Lift(c, _) if k == j => c.row(j),
                        Digits::Lift(..) => {
                            lift_digit(&coeffs[j * n..(j + 1) * n], t, lifted, lazy);
                            lifted
                        }
                    };
                    if let Some(p) = perm {
                        for (o, &i) in permuted.iter_mut().zip(p) {
                            *o = row[i];
                        }
                        row = permuted;
                    }
                    let (b, a) = (kb.row(key_row), ka.row(key_row));
                    for ((((x, &bi), &ai), s0), s1) in row
                        .iter()
                        .zip(b)
                        .zip(a)
                        .zip(acc0.iter_mut())
                        .zip(acc1.iter_mut())
                    {
                        let x = *x as u128;
                        *s0 += x * bi as u128;
                        *s1 += x * ai as u128;
                    }
                }
                let q = t.modulus();
                for (o, &v) in out0.row_mut(k).iter_mut().zip(acc0.iter()) {
                    *o = q.reduce_u128(v);
                }
                for (o, &v) in out1.row_mut(k).iter_mut().zip(acc1.iter()) {
                    *o = q.reduce_u128(v);
                }
            }
        });
        divide_round_by_last(&mut out0, &qp);
        divide_round_by_last(&mut out1, &qp);
        (out0, out1)
    }

    pub fn relinearize_assign(&self, ct: &mut Ciphertext) -> Result<()> {
        if ct.parts.len() == 2 {
            return Ok(());
        }
        if ct.parts.len() != 3 {
            return Err(CkksError::CiphertextSize {
                size: ct.parts.len(),
                expected: 3,
            });
        }
        let rk = self.relin.as_ref().ok_or(CkksError::MissingRelinKey)?;
        let c2 = ct.parts.pop().expect("three parts");
        let (k0, k1) = self.key_switch(Digits::Lift(&c2, ct.level), None, &rk.key);
        let tables = self.tables(ct.level);
        ct.parts[0].add_assign(&k0, &tables);
        ct.parts[1].add_assign(&k1, &tables);
        ct.clear_seed();
        Ok(())
    }

    pub fn relinearize(&self, ct: &Ciphertext) -> Result<Ciphertext> {
        let mut out = ct.clone();
        self.relinearize_assign(&mut out)?;
        Ok(out)
    }

    fn galois_key(&self, g: usize, step: i64) -> Result<&(KeySwitchKey, Arc<Vec<usize>>)> {
        self.galois
            .as_ref()
            .and_then(|k| k.keys.get(&g))
            .ok_or(CkksError::MissingGaloisKey {
                step,
                galois_element: g,
            })
    }

    /// Applies X -> X^g; c_1's digits either hoisted or lifted on the fly.
    fn apply_galois(
        &self,
        ct: &Ciphertext,
        dec: Option<&Decomposition>,
        g: usize,
        step: i64,
    ) -> Result<Ciphertext> {
        let (key, perm) = self.galois_key(g, step)?;
        let (k0, k1) = match dec {
            Some(d) => self.key_switch(Digits::Stored(d), Some(perm), key),
            None => {
                // Automorphism first, then an ordinary key switch of sigma(c_1).
                let c1 = ct.parts[1].permuted(perm);
                self.key_switch(Digits::Lift(&c1, ct.level), None, key)
            }
        };
        let mut c0 = ct.parts[0].permuted(perm);
        c0.add_assign(&k0, &self.tables(ct.level));
        Ok(Ciphertext {
            parts: vec![c0, k1],
            level: ct.level,
            scale: ct.scale,
            seed: None,
        })
    }

    fn require_two_parts(ct: &Ciphertext) -> Result<()> {
        if ct.parts.len() == 2 {
            Ok(())
        } else {
            Err(CkksError::CiphertextSize {
                size: ct.parts.len(),
                expected: 2,
            })
        }
    }

    /// Rotates the slots left by `step` (right for negative steps). Without a key
    /// for the step itself, composes power-of-two rotations if those keys exist.
    pub fn rotate(&self, ct: &Ciphertext, step: i64) -> Result<Ciphertext> {
        Self::require_two_parts(ct)?;
        let slots = self.params.slots() as i64;
        let k = step.rem_euclid(slots);
        if k == 0 {
            return Ok(ct.clone());
        }
        let g = self.params.galois_element_for_step(k);
        let have = self.galois.as_ref().is_some_and(|keys| keys.contains(g));
        if have {
            return self.apply_galois(ct, None, g, step);
        }
        // Sum of powers of two; each must have a key.
        let mut out = ct.clone();
        let mut rest = k;
        let mut bit = 1i64;
        let mut any = false;
        while rest > 0 {
            if rest & 1 == 1 {
                let gb = self.params.galois_element_for_step(bit);
                if !self.galois.as_ref().is_some_and(|keys| keys.contains(gb)) {
                    return Err(CkksError::MissingGaloisKey {
                        step,
                        galois_element: g,
                    });
                }
                out = self.apply_galois(&out, None, gb, bit)?;
                any = true;
            }
            rest >>= 1;
            bit <<= 1;
        }
        debug_assert!(any);
        Ok(out)
    }

    /// Several rotations of one ciphertext sharing a single decomposition
    /// (hoisting, Halevi-Shoup 2018 §5). Steps without their own key fall back
    /// to composed power-of-two rotations.
    pub fn rotate_hoisted(&self, ct: &Ciphertext, steps: &[i64]) -> Result<Vec<Ciphertext>> {
        Self::require_two_parts(ct)?;
        let slots = self.params.slots() as i64;
        let needs_keys = steps.iter().any(|s| s.rem_euclid(slots) != 0);
        let dec = needs_keys.then(|| self.decompose(&ct.parts[1], ct.level));
        steps
            .iter()
            .map(|&s| {
                let g = self.params.galois_element_for_step(s);
                if s.rem_euclid(slots) == 0 {
                    Ok(ct.clone())
                } else if self.galois.as_ref().is_some_and(|k| k.contains(g)) {
                    self.apply_galois(ct, dec.as_ref(), g, s)
                } else {
                    self.rotate(ct, s)
                }
            })
            .collect()
    }

    /// Complex conjugation of every slot.
    pub fn conjugate(&self, ct: &Ciphertext) -> Result<Ciphertext> {
        Self::require_two_parts(ct)?;
        let g = self.params.galois_element_conjugate();
        self.apply_galois(ct, None, g, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::ckks::tests::ctx;
    use crate::he::math::eltwise::scalar;
    use crate::he::math::zq::Modulus;

    /// A copy of `parts` with `f(component, row, q, row values)` applied to each row:
    /// the scalar computation the evaluator's results must reproduce bit for bit.
    fn rowwise(
        e: &Evaluator,
        ct: &Ciphertext,
        f: impl Fn(usize, usize, &Modulus, &mut [u64]),
    ) -> Vec<RnsPoly> {
        let tables = e.tables(ct.level);
        let mut parts = ct.parts.clone();
        for (c, p) in parts.iter_mut().enumerate() {
            for (r, (row, t)) in p.rows_iter_mut().zip(&tables).enumerate() {
                f(c, r, t.modulus(), row);
            }
        }
        parts
    }

    fn expect(ct: &Ciphertext, parts: Vec<RnsPoly>, level: usize, scale: f64) {
        assert_eq!(ct.parts, parts);
        assert_eq!((ct.level, ct.scale, ct.seed), (level, scale, None));
    }

    /// The operations that now write their result in one pass give the values, level,
    /// scale and (cleared) seed of the scalar clone-then-update computations.
    #[test]
    fn one_pass_operations_match_scalar() {
        let c = ctx();
        let e = &c.evaluator;
        let slots = e.params().slots();
        let v: Vec<f64> = (0..slots).map(|i| (i as f64 * 0.01).sin()).collect();
        let w: Vec<f64> = (0..slots).map(|i| (i as f64 * 0.03).cos()).collect();
        // A seeded (symmetric) ciphertext and a public-key one.
        let x = c.symmetric_encryptor.encrypt_real(&v).unwrap();
        let y = c.encryptor.encrypt_real(&w).unwrap();
        assert!(x.seed.is_some());
        let (level, scale) = (x.level, x.scale);
        let pt = e.encoder().encode_real(&w, scale, level).unwrap();

        let add = rowwise(e, &x, |i, r, q, row| {
            scalar::add_assign(q, row, y.parts[i].row(r))
        });
        expect(&e.add(&x, &y).unwrap(), add, level, scale);
        let sub = rowwise(e, &x, |i, r, q, row| {
            scalar::sub_assign(q, row, y.parts[i].row(r))
        });
        expect(&e.sub(&x, &y).unwrap(), sub, level, scale);
        let neg = rowwise(e, &x, |_, _, q, row| scalar::neg_assign(q, row));
        expect(&e.neg(&x), neg, level, scale);
        let prod = rowwise(e, &x, |_, r, q, row| {
            scalar::mul_assign(q, row, pt.poly.row(r))
        });
        expect(
            &e.mul_plain_no_rescale(&x, &pt).unwrap(),
            prod.clone(),
            level,
            scale * scale,
        );
        expect(&e.mul_plain(&x, &pt).unwrap(), prod, level, scale * scale);
        let plus = rowwise(e, &x, |i, r, q, row| {
            if i == 0 {
                scalar::add_assign(q, row, pt.poly.row(r))
            }
        });
        expect(&e.add_plain(&x, &pt).unwrap(), plus, level, scale);
        let times = rowwise(e, &x, |_, _, q, row| {
            scalar::mul_scalar_assign(q, row, q.reduce_i64(-12345))
        });
        expect(&e.mul_integer(&x, -12345), times, level, scale);

        // Tensor product and square: (x0 y0, x0 y1 + x1 y0, x1 y1).
        let tensor = |a: &Ciphertext, b: &Ciphertext| {
            let tables = e.tables(level);
            let mut out = [a.parts[0].clone(), a.parts[0].clone(), a.parts[0].clone()];
            for (r, t) in tables.iter().enumerate() {
                let [o0, o1, o2] = out.each_mut().map(|p| p.row_mut(r));
                let (xs, ys) = (
                    [a.parts[0].row(r), a.parts[1].row(r)],
                    [b.parts[0].row(r), b.parts[1].row(r)],
                );
                scalar::tensor(t.modulus(), xs, ys, [o0, o1, o2]);
            }
            Vec::from(out)
        };
        let xy = e.tensor(&x, &y).unwrap();
        expect(&xy, tensor(&x, &y), level, scale * scale);
        expect(&e.square(&x).unwrap(), tensor(&x, &x), level, scale * scale);

        // Operands of different sizes keep the old clone-and-update path.
        let mut y = y.clone();
        y.set_scale(scale * scale);
        let diff = e.sub(&xy, &y).unwrap();
        let want = rowwise(e, &xy, |i, r, q, row| {
            if i < 2 {
                scalar::sub_assign(q, row, y.parts[i].row(r))
            }
        });
        expect(&diff, want, level, scale * scale);
        let diff = e.sub(&y, &xy).unwrap();
        let mut padded = y.clone();
        padded
            .parts
            .push(RnsPoly::zero(e.params().degree(), level + 1));
        let want = rowwise(e, &padded, |i, r, q, row| {
            scalar::sub_assign(q, row, xy.parts[i].row(r))
        });
        expect(&diff, want, level, scale * scale);

        // Rescaling into a new ciphertext, as rescaling a copy in place.
        let mut rescaled = xy.clone();
        e.rescale_assign(&mut rescaled).unwrap();
        assert_eq!(e.rescale(&xy).unwrap(), rescaled);
        assert_eq!(rescaled.level, level - 1);
        let bottom = e.mod_switch_to(&x, 0).unwrap();
        assert!(matches!(e.rescale(&bottom), Err(CkksError::OutOfLevels)));
    }

    /// In auto mode an operand one level up is matched first (a copy), then added in
    /// place: the same as matching it explicitly and adding.
    #[test]
    fn auto_matched_sums_match_explicit_ones() {
        let c = ctx();
        let e = &c.auto_evaluator;
        let slots = e.params().slots();
        let v: Vec<f64> = (0..slots).map(|i| (i as f64 * 0.02).sin()).collect();
        let x = c.encryptor.encrypt_real(&v).unwrap();
        let y = c.evaluator.mod_switch_to(&x, x.level - 1).unwrap();
        for subtract in [false, true] {
            let got = if subtract {
                e.sub(&x, &y)
            } else {
                e.add(&x, &y)
            }
            .unwrap();
            let mut want = e.match_level_and_scale(&x, y.level, y.scale).unwrap();
            c.evaluator.add_parts(&mut want, &y, subtract);
            assert_eq!(got, want);
            let got = if subtract {
                e.sub(&y, &x)
            } else {
                e.add(&y, &x)
            }
            .unwrap();
            let matched = e.match_level_and_scale(&x, y.level, y.scale).unwrap();
            assert_eq!(got, c.evaluator.add_parts_to(&y, &matched, subtract));
        }
    }
}
