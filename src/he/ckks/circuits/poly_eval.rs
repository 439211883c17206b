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

    /// Multiplicative depth under `strategy`: ceil(log2(d + 1)), one more for
    /// Paterson-Stockmeyer leaves of degree >= 3 (their constant products need
    /// a level of their own under exact scale management).
    pub fn depth_with(&self, strategy: PolyStrategy) -> usize {
        let d = self.degree();
        depth_of(d) + usize::from(baby_count(d, strategy) >= 4 && d >= 4)
    }

    /// Ciphertext-ciphertext products the evaluation takes under `strategy`
    /// (powers and giant-step products; constant products are not counted).
    pub fn nonscalar_products(&self, strategy: PolyStrategy) -> usize {
        let d = self.degree();
        if d <= 1 {
            return 0;
        }
        let k = baby_count(d, strategy);
        let giants = depth_of(d)
            .saturating_sub(1)
            .saturating_sub(k.trailing_zeros() as usize);
        // Powers 2..=k, giants above k, then one product per split with a
        // non-constant quotient.
        (k - 1) + giants + splits(&self.coeffs[..=d], k, self.basis)
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

/// How `evaluate_polynomial_with` evaluates p of degree d.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolyStrategy {
    /// Recursive split at the giant powers x^(2^m) down to degree-one leaves:
    /// depth ceil(log2(d + 1)), about d/2 ciphertext products.
    #[default]
    DepthOptimal,
    /// Paterson-Stockmeyer: baby powers x, ..., x^(k-1) with k = 2^ceil(m/2)
    /// (m = ceil(log2(d + 1))), leaves of degree < k as constant-weighted sums
    /// of them, giant powers x^k, x^(2k), ...: about 2 sqrt(d) ciphertext
    /// products, at one more level when k >= 4.
    PatersonStockmeyer,
}

/// Baby-step count k (a power of two): leaves have degree < k.
fn baby_count(d: usize, strategy: PolyStrategy) -> usize {
    match strategy {
        PolyStrategy::DepthOptimal => 2,
        PolyStrategy::PatersonStockmeyer => 1 << (depth_of(d).div_ceil(2)).max(1),
    }
}

/// The two halves of p around the giant B_M: p = q B_M + r (deg r < M).
fn split(coeffs: &[f64], big_m: usize, basis: Basis) -> (Vec<f64>, Vec<f64>) {
    let deg = coeffs.len() - 1;
    match basis {
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
    }
}

/// Giant-step products of the recursion on `coeffs` with leaves below k.
fn splits(coeffs: &[f64], k: usize, basis: Basis) -> usize {
    let deg = coeffs.iter().rposition(|&c| c != 0.0).unwrap_or(0);
    if deg < k {
        return 0;
    }
    let big_m = 1usize << (depth_of(deg) - 1);
    let (q, r) = split(&coeffs[..=deg], big_m, basis);
    let q_deg = q.iter().rposition(|&c| c != 0.0).unwrap_or(0);
    usize::from(q_deg > 0) + splits(&q, k, basis) + splits(&r, k, basis)
}

enum Term<C> {
    Const(f64),
    Ct(C),
}

struct Ctx<'a, B: CkksBackend> {
    b: &'a B,
    basis: Basis,
    /// Leaves have degree < babies.
    babies: usize,
    /// powers[i] = x^i or T_i for i = 1..=babies and the giant powers 2^j above.
    powers: std::collections::BTreeMap<usize, B::Ct>,
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

    fn power(&self, i: usize) -> &B::Ct {
        &self.powers[&i]
    }

    /// sum c_i B_i at exactly (level, scale).
    fn eval(&self, coeffs: &[f64], level: usize, scale: f64) -> Result<Term<B::Ct>> {
        let deg = coeffs.iter().rposition(|&c| c != 0.0).unwrap_or(0);
        if deg == 0 {
            return Ok(Term::Const(coeffs.first().copied().unwrap_or(0.0)));
        }
        if deg < self.babies {
            // A leaf: each c_i B_i at (level + 1, scale q_(level+1)), summed,
            // the constant added, one rescale.
            let mut acc: Option<B::Ct> = None;
            for (i, &c) in coeffs.iter().enumerate().take(deg + 1).skip(1) {
                if c == 0.0 {
                    continue;
                }
                let g = self.b.mod_switch_to(self.power(i), level + 1)?;
                let const_scale = scale * self.q(level + 1) / self.b.scale(&g);
                let t = self.b.mul_const_at_scale(&g, c, const_scale)?;
                acc = Some(match acc {
                    None => t,
                    Some(a) => self.b.add(&a, &t)?,
                });
            }
            let t = self.b.add_const(&acc.expect("degree >= 1"), coeffs[0])?;
            return Ok(Term::Ct(self.b.rescale(&t)?));
        }
        let big_m = 1usize << (depth_of(deg) - 1);
        let (q, r) = split(&coeffs[..=deg], big_m, self.basis);
        let g = self.power(big_m);
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

/// Evaluates `poly` at the encrypted x, slot-wise, at depth ceil(log2(d + 1)).
/// The result is at level level(x) - depth with scale `target_scale` (exactly,
/// up to float rounding). Chebyshev polynomials expect x in [-1, 1]; map other
/// intervals first.
pub fn evaluate_polynomial<B: CkksBackend>(
    b: &B,
    x: &B::Ct,
    poly: &Polynomial,
    target_scale: f64,
) -> Result<B::Ct> {
    evaluate_polynomial_with(b, x, poly, target_scale, PolyStrategy::DepthOptimal)
}

/// `evaluate_polynomial` under a chosen strategy; the result is at level
/// level(x) - poly.depth_with(strategy).
pub fn evaluate_polynomial_with<B: CkksBackend>(
    b: &B,
    x: &B::Ct,
    poly: &Polynomial,
    target_scale: f64,
    strategy: PolyStrategy,
) -> Result<B::Ct> {
    let depth = poly.depth_with(strategy);
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
    let babies = baby_count(deg, strategy);
    let mut powers = std::collections::BTreeMap::new();
    powers.insert(1, x.clone());
    // Baby powers 2..=k: B_(2a) from B_a^2, other B_i from B_a B_(i-a) with a
    // the largest power of two below i, each at depth ceil(log2 i).
    for i in 2..=babies.min(deg) {
        let a = 1usize << (usize::BITS - 1 - (i - 1).leading_zeros());
        let next = product(
            b,
            poly.basis,
            &powers[&a],
            &powers[&(i - a)],
            powers.get(&(a - (i - a))),
        )?;
        powers.insert(i, next);
    }
    // Giant powers B_(2^j) above the babies, by squaring.
    let mut g = babies;
    while 2 * g <= deg {
        let next = product(b, poly.basis, &powers[&g], &powers[&g], None)?;
        powers.insert(2 * g, next);
        g *= 2;
    }
    let ctx = Ctx {
        b,
        basis: poly.basis,
        babies,
        powers,
    };
    let level = available - depth;
    match ctx.eval(&poly.coeffs[..=deg], level, target_scale)? {
        Term::Ct(c) => Ok(c),
        Term::Const(_) => {
            Err(CkksError::Malformed("polynomial reduced to a constant".into()).into())
        }
    }
}

/// B_a B_b rescaled: x^a x^b, or for Chebyshev 2 T_a T_b - T_(a-b) (`diff`
/// is T_(a-b), None when a = b: T_0 = 1). Operands meet at the lower level.
fn product<B: CkksBackend>(
    b: &B,
    basis: Basis,
    x: &B::Ct,
    y: &B::Ct,
    diff: Option<&B::Ct>,
) -> Result<B::Ct> {
    let level = b.level(x).min(b.level(y));
    let (x, y) = (b.mod_switch_to(x, level)?, b.mod_switch_to(y, level)?);
    let prod = b.mul_relin(&x, &y)?;
    let next = match basis {
        Basis::Power => prod,
        Basis::Chebyshev => {
            let two = b.mul_integer(&prod, 2);
            match diff {
                None => b.add_const(&two, -1.0)?,
                Some(d) => {
                    // -T_(a-b) brought to the product's level and scale exactly.
                    let d = b.mod_switch_to(d, level)?;
                    let neg = b.mul_const_at_scale(&d, -1.0, b.scale(&two) / b.scale(&d))?;
                    b.add(&two, &neg)?
                }
            }
        }
    };
    b.rescale(&next)
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

    #[test]
    fn paterson_stockmeyer_takes_fewer_products_and_its_stated_depth() {
        let c = ctx();
        let dry = DryRun::new(c.params.clone());
        let x = dry.fresh();
        for d in 1..=31 {
            for basis in [Basis::Power, Basis::Chebyshev] {
                let p = Polynomial {
                    basis,
                    coeffs: (0..=d).map(|i| 1.0 / (i + 1) as f64).collect(),
                };
                let opt = p.nonscalar_products(PolyStrategy::DepthOptimal);
                let ps = p.nonscalar_products(PolyStrategy::PatersonStockmeyer);
                assert!(ps <= opt, "degree {d}: {ps} > {opt}");
                if d >= 15 {
                    assert!(ps < opt, "degree {d}: {ps} vs {opt}");
                }
                let strategy = PolyStrategy::PatersonStockmeyer;
                assert!(p.depth_with(strategy) <= p.depth() + 1);
                if p.depth_with(strategy) <= x.level {
                    let out = evaluate_polynomial_with(&dry, &x, &p, 1e12, strategy).unwrap();
                    assert_eq!(out.level, x.level - p.depth_with(strategy), "degree {d}");
                }
            }
        }
        assert_eq!(
            Polynomial::power(&[0.0; 32]).nonscalar_products(PolyStrategy::PatersonStockmeyer),
            0
        );
    }

    #[test]
    fn paterson_stockmeyer_matches_plaintext_on_a_deep_chain() {
        // Degree 9 (the largest CryptoDL activation) needs depth 4 + 1.
        let lit = crate::he::ckks::CkksParametersLiteral {
            poly_modulus_degree: 2048,
            coeff_mod_bit_sizes: vec![50, 30, 30, 30, 30, 30, 50],
            log2_scale: 30,
            security: crate::he::ckks::SecurityLevel::Insecure,
        };
        let c = crate::he::ckks::keycache::cached_context(
            &lit,
            &crate::he::ckks::RotationSet::steps(&[]),
        );
        let xs: Vec<f64> = (0..c.params.slots())
            .map(|i| (i as f64 * 0.011).sin())
            .collect();
        let x = c.encryptor.encrypt_real(&xs).unwrap();
        for basis in [Basis::Power, Basis::Chebyshev] {
            let p = Polynomial {
                basis,
                coeffs: vec![0.5, 0.3, -0.2, 0.1, 0.05, -0.04, 0.03, 0.02, -0.01, 0.005],
            };
            let strategy = PolyStrategy::PatersonStockmeyer;
            let y =
                evaluate_polynomial_with(&c.evaluator, &x, &p, c.params.default_scale(), strategy)
                    .unwrap();
            assert_eq!(y.level(), x.level() - p.depth_with(strategy));
            let out = c.decryptor.decrypt_real(&y);
            let err = xs
                .iter()
                .zip(&out)
                .map(|(&a, &b)| (p.eval_plain(a) - b).abs())
                .fold(0.0, f64::max);
            assert!(err < 1e-3, "{basis:?}: error {err}");
        }
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
