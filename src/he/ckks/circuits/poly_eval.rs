//! Polynomial evaluation in the power or Chebyshev basis with depth
//! ceil(log2(d + 1)).
//!
//! p is split recursively around the giant power G = x^(2^m) (or T_(2^m)),
//! 2^m <= deg p < 2^(m+1): p = q G + r with deg q, deg r < 2^m, down to degree-one
//! pieces c_1 x + c_0 whose constant multiplication takes the level that the
//! powers of x leave free. Every piece is produced at exactly the level and scale
//! its consumer asks for: a constant multiplying a ciphertext of scale S to give
//! scale T before a rescale by q is encoded at scale T q / S (Bossuat et al.,
//! EUROCRYPT 2021, §6; Lattigo's `polynomial_evaluator`), so no scale is ever
//! approximated. Chebyshev splits use T_(2^m) T_j = (T_(2^m + j) + T_(2^m - j)) / 2.

use super::{CircuitError, CkksBackend, Result};
use crate::he::ckks::error::CkksError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    Power,
    /// Chebyshev polynomials of the first kind on [-1, 1].
    Chebyshev,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Polynomial {
    pub basis: Basis,
    /// c_0, c_1, ..., c_d.
    pub coeffs: Vec<f64>,
}

impl Polynomial {
    pub fn power(coeffs: &[f64]) -> Self {
        Self {
            basis: Basis::Power,
            coeffs: coeffs.to_vec(),
        }
    }

    pub fn chebyshev(coeffs: &[f64]) -> Self {
        Self {
            basis: Basis::Chebyshev,
            coeffs: coeffs.to_vec(),
        }
    }

    /// Degree, ignoring trailing zero coefficients.
    pub fn degree(&self) -> usize {
        self.coeffs.iter().rposition(|&c| c != 0.0).unwrap_or(0)
    }

    /// Multiplicative depth of the evaluation: ceil(log2(d + 1)).
    pub fn depth(&self) -> usize {
        depth_of(self.degree())
    }

    /// The plaintext value at x.
    pub fn eval_plain(&self, x: f64) -> f64 {
        match self.basis {
            Basis::Power => self.coeffs.iter().rev().fold(0.0, |acc, &c| acc * x + c),
            Basis::Chebyshev => {
                let (mut t0, mut t1) = (1.0, x);
                let mut acc = 0.0;
                for (i, &c) in self.coeffs.iter().enumerate() {
                    let t = match i {
                        0 => 1.0,
                        1 => x,
                        _ => {
                            let t2 = 2.0 * x * t1 - t0;
                            t0 = t1;
                            t1 = t2;
                            t2
                        }
                    };
                    acc += c * t;
                }
                acc
            }
        }
    }
}

fn depth_of(degree: usize) -> usize {
    (usize::BITS - degree.leading_zeros()) as usize
}

enum Term<C> {
    Const(f64),
    Ct(C),
}

struct Ctx<'a, B: CkksBackend> {
    b: &'a B,
    basis: Basis,
    /// giants[j] = x^(2^j) or T_(2^j).
    giants: Vec<B::Ct>,
}

impl<B: CkksBackend> Ctx<'_, B> {
    fn q(&self, level: usize) -> f64 {
        self.b.params().q(level) as f64
    }

    /// The term c * G mapped to (level, scale) with one rescale: G is brought
    /// to level + 1, multiplied by c at scale (scale q_(level+1) / S_G).
    fn const_times(&self, g: &B::Ct, c: f64, level: usize, scale: f64) -> Result<B::Ct> {
        let g = self.b.mod_switch_to(g, level + 1)?;
        let const_scale = scale * self.q(level + 1) / self.b.scale(&g);
        let t = self.b.mul_const_at_scale(&g, c, const_scale)?;
        self.b.rescale(&t)
    }

    /// sum c_i B_i at exactly (level, scale).
    fn eval(&self, coeffs: &[f64], level: usize, scale: f64) -> Result<Term<B::Ct>> {
        let deg = coeffs.iter().rposition(|&c| c != 0.0).unwrap_or(0);
        if deg == 0 {
            return Ok(Term::Const(coeffs.first().copied().unwrap_or(0.0)));
        }
        let x = &self.giants[0];
        if deg == 1 {
            let g = self.b.mod_switch_to(x, level + 1)?;
            let const_scale = scale * self.q(level + 1) / self.b.scale(&g);
            let t = self.b.mul_const_at_scale(&g, coeffs[1], const_scale)?;
            let t = self.b.add_const(&t, coeffs[0])?;
            return Ok(Term::Ct(self.b.rescale(&t)?));
        }
        let m = depth_of(deg) - 1;
        let big_m = 1usize << m;
        let (q, r): (Vec<f64>, Vec<f64>) = match self.basis {
            Basis::Power => (coeffs[big_m..=deg].to_vec(), coeffs[..big_m].to_vec()),
            Basis::Chebyshev => {
                let mut q = vec![0.0; deg - big_m + 1];
                q[0] = coeffs[big_m];
                for j in 1..=deg - big_m {
                    q[j] = 2.0 * coeffs[big_m + j];
                }
                let mut r = coeffs[..big_m].to_vec();
                for (i, ri) in r.iter_mut().enumerate().skip(1) {
                    if 2 * big_m - i <= deg {
                        *ri -= coeffs[2 * big_m - i];
                    }
                }
                (q, r)
            }
        };
        let g = &self.giants[m];
        let q_scale = scale * self.q(level + 1) / self.b.scale(g);
        let qg = match self.eval(&q, level + 1, q_scale)? {
            Term::Const(c) => self.const_times(g, c, level, scale)?,
            Term::Ct(qct) => {
                let g1 = self.b.mod_switch_to(g, level + 1)?;
                let prod = self.b.mul_relin(&qct, &g1)?;
                self.b.rescale(&prod)?
            }
        };
        Ok(Term::Ct(match self.eval(&r, level, scale)? {
            Term::Const(c) => self.b.add_const(&qg, c)?,
            Term::Ct(rct) => self.b.add(&qg, &rct)?,
        }))
    }
}

/// Evaluates `poly` at the encrypted x, slot-wise. The result is at level
/// level(x) - depth with scale `target_scale` (exactly, up to float rounding).
/// Chebyshev polynomials expect x in [-1, 1]; map other intervals first.
pub fn evaluate_polynomial<B: CkksBackend>(
    b: &B,
    x: &B::Ct,
    poly: &Polynomial,
    target_scale: f64,
) -> Result<B::Ct> {
    let depth = poly.depth();
    let available = b.level(x);
    if depth > available {
        return Err(CircuitError::DepthExceeded {
            needed: depth,
            available,
        });
    }
    let deg = poly.degree();
    if deg == 0 {
        let zero = b.mul_integer(x, 0);
        return b.add_const(&zero, poly.coeffs.first().copied().unwrap_or(0.0));
    }
    let mut giants = vec![x.clone()];
    for _ in 1..depth {
        let prev = giants.last().expect("non-empty");
        let sq = b.mul_relin(prev, prev)?;
        let next = match poly.basis {
            Basis::Power => sq,
            Basis::Chebyshev => {
                let two = b.mul_integer(&sq, 2);
                b.add_const(&two, -1.0)?
            }
        };
        giants.push(b.rescale(&next)?);
    }
    let ctx = Ctx {
        b,
        basis: poly.basis,
        giants,
    };
    let level = available - depth;
    match ctx.eval(&poly.coeffs[..=deg], level, target_scale)? {
        Term::Ct(c) => Ok(c),
        Term::Const(_) => {
            Err(CkksError::Malformed("polynomial reduced to a constant".into()).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::ckks::circuits::dry_run::DryRun;
    use crate::he::ckks::tests::ctx;
    use proptest::prelude::*;

    #[test]
    fn depth_formula() {
        for (d, k) in [
            (1, 1),
            (2, 2),
            (3, 2),
            (4, 3),
            (7, 3),
            (8, 4),
            (15, 4),
            (16, 5),
            (31, 5),
        ] {
            assert_eq!(
                Polynomial::power(&vec![1.0; d + 1]).depth(),
                k,
                "degree {d}"
            );
        }
    }

    #[test]
    fn dry_run_matches_depth_and_refuses_too_deep() {
        let c = ctx();
        let dry = DryRun::new(c.params.clone());
        let x = dry.fresh();
        for d in 1..=7 {
            let p = Polynomial::chebyshev(&vec![0.5; d + 1]);
            let out = evaluate_polynomial(&dry, &x, &p, c.params.default_scale()).unwrap();
            assert_eq!(out.level, x.level - p.depth());
            assert!((out.scale / c.params.default_scale() - 1.0).abs() < 1e-9);
        }
        let p = Polynomial::power(&[1.0; 17]);
        let err = evaluate_polynomial(&dry, &x, &p, 1.0).unwrap_err();
        assert_eq!(
            err,
            CircuitError::DepthExceeded {
                needed: 5,
                available: 3
            }
        );
        assert!(err.to_string().contains("needs depth 5, the chain has 3"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]
        #[test]
        fn matches_plaintext(coeffs in proptest::collection::vec(-1.0f64..1.0, 2..8), cheb in any::<bool>()) {
            let c = ctx();
            let p = if cheb { Polynomial::chebyshev(&coeffs) } else { Polynomial::power(&coeffs) };
            let xs: Vec<f64> = (0..c.params.slots()).map(|i| (i as f64 * 0.013).sin()).collect();
            let x = c.encryptor.encrypt_real(&xs).unwrap();
            let y = evaluate_polynomial(&c.evaluator, &x, &p, c.params.default_scale()).unwrap();
            prop_assert_eq!(y.level(), x.level() - p.depth());
            let out = c.decryptor.decrypt_real(&y);
            let err = xs.iter().zip(&out).map(|(&a, &b)| (p.eval_plain(a) - b).abs()).fold(0.0, f64::max);
            prop_assert!(err < 1e-5, "error {}", err);
        }
    }
}
