//! A dry-run evaluator (Lattigo's SimEvaluator idea): the same circuits, run on
//! (level, scale) pairs instead of ciphertexts, so a spec can be checked for
//! depth before anything is encrypted. It also counts the operations and records
//! the rotation steps used, which tells which Galois keys to generate.

use super::{CkksBackend, Result, check_same};
use crate::he::ckks::error::CkksError;
use crate::he::ckks::params::CkksParameters;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SimCiphertext {
    pub level: usize,
    pub scale: f64,
}

/// Operation counts of a dry run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpCounts {
    pub ct_mults: usize,
    pub plain_mults: usize,
    pub const_mults: usize,
    pub rescales: usize,
    pub rotations: usize,
    pub additions: usize,
}

pub struct DryRun {
    params: Arc<CkksParameters>,
    counts: RefCell<OpCounts>,
    steps: RefCell<BTreeSet<i64>>,
}

impl DryRun {
    pub fn new(params: Arc<CkksParameters>) -> Self {
        Self {
            params,
            counts: RefCell::new(OpCounts::default()),
            steps: RefCell::new(BTreeSet::new()),
        }
    }

    /// A fresh ciphertext at the top level and default scale.
    pub fn fresh(&self) -> SimCiphertext {
        SimCiphertext {
            level: self.params.max_level(),
            scale: self.params.default_scale(),
        }
    }

    pub fn counts(&self) -> OpCounts {
        self.counts.borrow().clone()
    }

    /// The rotation steps used so far (normalised to 0..slots).
    pub fn rotation_steps(&self) -> Vec<i64> {
        self.steps.borrow().iter().copied().collect()
    }

    fn count(&self, f: impl FnOnce(&mut OpCounts)) {
        f(&mut self.counts.borrow_mut());
    }
}

impl CkksBackend for DryRun {
    type Ct = SimCiphertext;
    /// A plaintext is only its level and scale.
    type Pt = SimCiphertext;

    fn encode_values(&self, values: &[f64], scale: f64, level: usize) -> Result<SimCiphertext> {
        if values.len() > self.params.slots() {
            return Err(CkksError::TooManyValues {
                count: values.len(),
                slots: self.params.slots(),
            }
            .into());
        }
        Ok(SimCiphertext { level, scale })
    }

    fn mul_plain(&self, ct: &SimCiphertext, pt: &SimCiphertext) -> Result<SimCiphertext> {
        if ct.level != pt.level {
            return Err(CkksError::LevelMismatch {
                expected: ct.level,
                found: pt.level,
            }
            .into());
        }
        self.count(|c| c.plain_mults += 1);
        Ok(SimCiphertext {
            level: ct.level,
            scale: ct.scale * pt.scale,
        })
    }

    fn params(&self) -> &Arc<CkksParameters> {
        &self.params
    }

    fn level(&self, ct: &SimCiphertext) -> usize {
        ct.level
    }

    fn scale(&self, ct: &SimCiphertext) -> f64 {
        ct.scale
    }

    fn mod_switch_to(&self, ct: &SimCiphertext, level: usize) -> Result<SimCiphertext> {
        if level > ct.level {
            return Err(CkksError::InvalidLevel {
                level,
                max: ct.level,
            }
            .into());
        }
        Ok(SimCiphertext { level, ..*ct })
    }

    fn rescale(&self, ct: &SimCiphertext) -> Result<SimCiphertext> {
        if ct.level == 0 {
            return Err(CkksError::OutOfLevels.into());
        }
        self.count(|c| c.rescales += 1);
        Ok(SimCiphertext {
            level: ct.level - 1,
            scale: ct.scale / self.params.q(ct.level) as f64,
        })
    }

    fn mul_relin(&self, a: &SimCiphertext, b: &SimCiphertext) -> Result<SimCiphertext> {
        if a.level != b.level {
            return Err(CkksError::LevelMismatch {
                expected: a.level,
                found: b.level,
            }
            .into());
        }
        self.count(|c| c.ct_mults += 1);
        Ok(SimCiphertext {
            level: a.level,
            scale: a.scale * b.scale,
        })
    }

    fn mul_const_at_scale(
        &self,
        ct: &SimCiphertext,
        _c: f64,
        const_scale: f64,
    ) -> Result<SimCiphertext> {
        self.count(|c| c.const_mults += 1);
        Ok(SimCiphertext {
            level: ct.level,
            scale: ct.scale * const_scale,
        })
    }

    fn mul_integer(&self, ct: &SimCiphertext, _k: i64) -> SimCiphertext {
        *ct
    }

    fn mul_values_at_scale(
        &self,
        ct: &SimCiphertext,
        values: &[f64],
        scale: f64,
    ) -> Result<SimCiphertext> {
        if values.len() > self.params.slots() {
            return Err(CkksError::TooManyValues {
                count: values.len(),
                slots: self.params.slots(),
            }
            .into());
        }
        self.count(|c| c.plain_mults += 1);
        Ok(SimCiphertext {
            level: ct.level,
            scale: ct.scale * scale,
        })
    }

    fn add(&self, a: &SimCiphertext, b: &SimCiphertext) -> Result<SimCiphertext> {
        check_same(a.level, a.scale, b.level, b.scale)?;
        self.count(|c| c.additions += 1);
        Ok(*a)
    }

    fn add_const(&self, ct: &SimCiphertext, _c: f64) -> Result<SimCiphertext> {
        Ok(*ct)
    }

    fn rotate(&self, ct: &SimCiphertext, step: i64) -> Result<SimCiphertext> {
        let k = step.rem_euclid(self.params.slots() as i64);
        if k != 0 {
            self.count(|c| c.rotations += 1);
            self.steps.borrow_mut().insert(k);
        }
        Ok(*ct)
    }

    fn rotate_hoisted(&self, ct: &SimCiphertext, steps: &[i64]) -> Result<Vec<SimCiphertext>> {
        steps.iter().map(|&s| self.rotate(ct, s)).collect()
    }
}
