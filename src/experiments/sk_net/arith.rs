//! The arithmetic the PP network runs on: encrypted fixed point, the same fixed point on
//! plaintext integers, and floating point. The network code (`pp`) is written once against
//! [`Arith`], so the three runs perform the same steps in the same order.
//!
//! Fixed point: a value `v` is the integer `round(scale · v)`. A product of two values is
//! exact at `scale²`; every product is followed by a rescale, `round(x · num / (den ·
//! scale))`, rounding halves away from zero — Trask's `/ scaling_factor` after each
//! `innerProd`. The integer-vector scheme cannot divide an encrypted integer (it is exact
//! modulo `t` and has no rescaling), so the encrypted rescale is a *refresh*: the key
//! holder decrypts, rounds and re-encrypts (counted as the step `rescale (refresh)`). The
//! key holder therefore sees every rescaled intermediate (hidden layer, logit, powers,
//! deltas); it sees a weight vector only if that vector's noise grows too large for a
//! product and is refreshed (`noise refresh`, which did not happen on the IMDB reviews at
//! the default parameters). The server sees only ciphertexts.
//! Trask's Python needs no such step only because his ciphertexts are floating-point
//! vectors without a modulus whose first entries are `w x` plus a small term.

use std::collections::HashMap;
use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::he::intvec::{
    BilinearKey, Ciphertext, IntVecError, IntVecParams, LinearTransformKey, SecretKey,
};

use super::result::OpStat;

/// A positive rational factor `num / den`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ratio {
    pub num: i128,
    pub den: i128,
}

impl Ratio {
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    pub fn new(num: i128, den: i128) -> Self {
        debug_assert!(den > 0);
        let g = gcd(num.unsigned_abs(), den.unsigned_abs()).max(1) as i128;
        Self {
            num: num / g,
            den: den / g,
        }
    }

    /// `x` as a fraction with denominator `10^9` (exact for Trask's rates 0.001, 0.0125).
    pub fn from_f64(x: f64) -> Self {
        Self::new((x * 1e9).round() as i128, 1_000_000_000)
    }

    pub fn as_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `round(x · num / den)`, halves away from zero. `|x · num|` stays far below `2^127` for
/// the values of the network (`|x| < 2^54`, `num ≤ 10^9`).
pub(crate) fn round_ratio(x: i128, num: i128, den: i128) -> i128 {
    let p = x * num;
    let q = p / den;
    let r = p % den;
    if 2 * r.abs() >= den {
        q + p.signum()
    } else {
        q
    }
}

/// The operations of the PP network. Scalars are values of dimension 1.
pub(crate) trait Arith {
    type V: Clone;
    /// Encrypts (or encodes) real values.
    fn input(&mut self, values: &[f64]) -> Result<Self::V, IntVecError>;
    fn zeros(&mut self, dim: usize) -> Result<Self::V, IntVecError>;
    fn add_assign(&mut self, a: &mut Self::V, b: &Self::V) -> Result<(), IntVecError>;
    fn sub_assign(&mut self, a: &mut Self::V, b: &Self::V) -> Result<(), IntVecError>;
    /// `a + c` in every slot, `c` a plaintext constant.
    fn add_const(&mut self, a: &Self::V, c: f64) -> Result<Self::V, IntVecError>;
    /// `(a · b) · f`, a one-slot value.
    fn dot(&mut self, a: &Self::V, b: &Self::V, f: Ratio) -> Result<Self::V, IntVecError>;
    /// `s · v_k · f` in slot `k`, `s` one slot.
    fn scalar_times(&mut self, s: &Self::V, v: &Self::V, f: Ratio) -> Result<Self::V, IntVecError>;
    /// `a · f`.
    fn scale(&mut self, a: &Self::V, f: Ratio) -> Result<Self::V, IntVecError>;
    /// The one-slot values `parts` as one vector.
    fn pack(&mut self, parts: &[Self::V]) -> Result<Self::V, IntVecError>;
    /// Decrypts (or decodes) to real values.
    fn reveal(&mut self, a: &Self::V) -> Result<Vec<f64>, IntVecError>;
    /// Step counts and times (encrypted runs only).
    fn op_stats(&self) -> Vec<OpStat> {
        Vec::new()
    }
    fn name(&self) -> &'static str;
}

/// Floating point: exact real arithmetic up to `f64` rounding.
pub(crate) struct FloatArith;

impl Arith for FloatArith {
    type V = Vec<f64>;
    fn input(&mut self, values: &[f64]) -> Result<Vec<f64>, IntVecError> {
        Ok(values.to_vec())
    }
    fn zeros(&mut self, dim: usize) -> Result<Vec<f64>, IntVecError> {
        Ok(vec![0.0; dim])
    }
    fn add_assign(&mut self, a: &mut Vec<f64>, b: &Vec<f64>) -> Result<(), IntVecError> {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        Ok(())
    }
    fn sub_assign(&mut self, a: &mut Vec<f64>, b: &Vec<f64>) -> Result<(), IntVecError> {
        a.iter_mut().zip(b).for_each(|(x, y)| *x -= y);
        Ok(())
    }
    fn add_const(&mut self, a: &Vec<f64>, c: f64) -> Result<Vec<f64>, IntVecError> {
        Ok(a.iter().map(|x| x + c).collect())
    }
    fn dot(&mut self, a: &Vec<f64>, b: &Vec<f64>, f: Ratio) -> Result<Vec<f64>, IntVecError> {
        Ok(vec![
            a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() * f.as_f64(),
        ])
    }
    fn scalar_times(
        &mut self,
        s: &Vec<f64>,
        v: &Vec<f64>,
        f: Ratio,
    ) -> Result<Vec<f64>, IntVecError> {
        Ok(v.iter().map(|x| s[0] * x * f.as_f64()).collect())
    }
    fn scale(&mut self, a: &Vec<f64>, f: Ratio) -> Result<Vec<f64>, IntVecError> {
        Ok(a.iter().map(|x| x * f.as_f64()).collect())
    }
    fn pack(&mut self, parts: &[Vec<f64>]) -> Result<Vec<f64>, IntVecError> {
        Ok(parts.iter().map(|p| p[0]).collect())
    }
    fn reveal(&mut self, a: &Vec<f64>) -> Result<Vec<f64>, IntVecError> {
        Ok(a.clone())
    }
    fn name(&self) -> &'static str {
        "float"
    }
}

/// Fixed point on plaintext integers, rounded exactly as the encrypted run rounds.
pub(crate) struct FixedArith {
    pub scale: i128,
}

impl FixedArith {
    fn encode(&self, v: f64) -> i128 {
        (v * self.scale as f64).round() as i128
    }
}

impl Arith for FixedArith {
    type V = Vec<i128>;
    fn input(&mut self, values: &[f64]) -> Result<Vec<i128>, IntVecError> {
        Ok(values.iter().map(|&v| self.encode(v)).collect())
    }
    fn zeros(&mut self, dim: usize) -> Result<Vec<i128>, IntVecError> {
        Ok(vec![0; dim])
    }
    fn add_assign(&mut self, a: &mut Vec<i128>, b: &Vec<i128>) -> Result<(), IntVecError> {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        Ok(())
    }
    fn sub_assign(&mut self, a: &mut Vec<i128>, b: &Vec<i128>) -> Result<(), IntVecError> {
        a.iter_mut().zip(b).for_each(|(x, y)| *x -= y);
        Ok(())
    }
    fn add_const(&mut self, a: &Vec<i128>, c: f64) -> Result<Vec<i128>, IntVecError> {
        let c = self.encode(c);
        Ok(a.iter().map(|x| x + c).collect())
    }
    fn dot(&mut self, a: &Vec<i128>, b: &Vec<i128>, f: Ratio) -> Result<Vec<i128>, IntVecError> {
        let p: i128 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        Ok(vec![round_ratio(p, f.num, f.den * self.scale)])
    }
    fn scalar_times(
        &mut self,
        s: &Vec<i128>,
        v: &Vec<i128>,
        f: Ratio,
    ) -> Result<Vec<i128>, IntVecError> {
        Ok(v.iter()
            .map(|x| round_ratio(s[0] * x, f.num, f.den * self.scale))
            .collect())
    }
    fn scale(&mut self, a: &Vec<i128>, f: Ratio) -> Result<Vec<i128>, IntVecError> {
        Ok(a.iter().map(|&x| round_ratio(x, f.num, f.den)).collect())
    }
    fn pack(&mut self, parts: &[Vec<i128>]) -> Result<Vec<i128>, IntVecError> {
        Ok(parts.iter().map(|p| p[0]).collect())
    }
    fn reveal(&mut self, a: &Vec<i128>) -> Result<Vec<f64>, IntVecError> {
        Ok(a.iter().map(|&x| x as f64 / self.scale as f64).collect())
    }
    fn name(&self) -> &'static str {
        "fixed-point"
    }
}

/// Step names of the encrypted run.
pub(crate) mod step {
    pub const KEYGEN: &str = "key generation";
    pub const ENCRYPT: &str = "encrypt";
    pub const ADD: &str = "add";
    pub const ADD_PLAIN: &str = "add plaintext";
    pub const SCALAR_MUL: &str = "multiply by plaintext integer";
    pub const INNER_PRODUCT: &str = "inner product (key switch)";
    pub const SCALAR_VECTOR: &str = "scalar-vector product (key switch)";
    pub const LINEAR_TRANSFORM: &str = "linear transform (key switch)";
    pub const RESCALE: &str = "rescale (refresh: decrypt, round, re-encrypt)";
    pub const NOISE_REFRESH: &str = "noise refresh (decrypt, re-encrypt)";
    pub const DECRYPT: &str = "decrypt";
}

/// Encrypted fixed point on the integer-vector scheme. One secret key per dimension;
/// the switching keys are made the first time they are needed.
pub(crate) struct EncArith {
    params: IntVecParams,
    scale: i128,
    rng: ChaCha20Rng,
    keys: HashMap<usize, SecretKey>,
    dot_keys: HashMap<usize, BilinearKey>,
    sv_keys: HashMap<usize, BilinearKey>,
    pack_keys: HashMap<(usize, usize), LinearTransformKey>,
    stats: HashMap<&'static str, (u64, f64)>,
}

impl EncArith {
    pub fn new(params: IntVecParams, scale: i128, key_seed: Option<u64>) -> Self {
        let rng = match key_seed {
            Some(s) => ChaCha20Rng::seed_from_u64(s),
            None => rand::make_rng::<ChaCha20Rng>(),
        };
        Self {
            params,
            scale,
            rng,
            keys: HashMap::new(),
            dot_keys: HashMap::new(),
            sv_keys: HashMap::new(),
            pack_keys: HashMap::new(),
            stats: HashMap::new(),
        }
    }

    fn timed<T>(&mut self, name: &'static str, f: impl FnOnce(&mut Self) -> T) -> T {
        let t0 = Instant::now();
        let out = f(self);
        let e = self.stats.entry(name).or_default();
        e.0 += 1;
        e.1 += t0.elapsed().as_secs_f64();
        out
    }

    fn key(&mut self, dim: usize) -> Result<&SecretKey, IntVecError> {
        if !self.keys.contains_key(&dim) {
            let p = self.params;
            let k = self.timed(step::KEYGEN, |s| SecretKey::generate(&p, dim, &mut s.rng))?;
            self.keys.insert(dim, k);
        }
        Ok(&self.keys[&dim])
    }

    fn ensure_dot_key(&mut self, dim: usize) -> Result<(), IntVecError> {
        if !self.dot_keys.contains_key(&dim) {
            let a = self.key(dim)?.clone();
            let one = self.key(1)?.clone();
            let k = self.timed(step::KEYGEN, |s| {
                BilinearKey::inner_product(&a, &a, &one, &mut s.rng)
            })?;
            self.dot_keys.insert(dim, k);
        }
        Ok(())
    }

    fn ensure_sv_key(&mut self, dim: usize) -> Result<(), IntVecError> {
        if !self.sv_keys.contains_key(&dim) {
            let one = self.key(1)?.clone();
            let v = self.key(dim)?.clone();
            let k = self.timed(step::KEYGEN, |s| {
                BilinearKey::scalar_vector(&one, &v, &v, &mut s.rng)
            })?;
            self.sv_keys.insert(dim, k);
        }
        Ok(())
    }

    /// Key holder: decrypt, `round(x · num / den)`, re-encrypt under the same key.
    fn refresh(
        &mut self,
        name: &'static str,
        c: &Ciphertext,
        num: i128,
        den: i128,
    ) -> Result<Ciphertext, IntVecError> {
        let dim = c.dim();
        self.key(dim)?;
        self.timed(name, |s| {
            let sk = &s.keys[&dim];
            let x = sk.decrypt(c)?;
            let y: Vec<i128> = x.iter().map(|&v| round_ratio(v, num, den)).collect();
            sk.encrypt(&y, &mut s.rng)
        })
    }

    /// Applies a bilinear key; if the worst-case noise of the result would be too large,
    /// refreshes both operands first (counted) and tries once more.
    fn bilinear(
        &mut self,
        which: &'static str,
        dim: usize,
        a: &Ciphertext,
        b: &Ciphertext,
    ) -> Result<Ciphertext, IntVecError> {
        let first = self.timed(which, |s| {
            let key = if which == step::INNER_PRODUCT {
                &s.dot_keys[&dim]
            } else {
                &s.sv_keys[&dim]
            };
            key.apply(a, b)
        });
        match first {
            Err(IntVecError::NoiseBoundExceeded { .. }) => {
                let a2 = self.refresh(step::NOISE_REFRESH, a, 1, 1)?;
                let b2 = self.refresh(step::NOISE_REFRESH, b, 1, 1)?;
                self.timed(which, |s| {
                    let key = if which == step::INNER_PRODUCT {
                        &s.dot_keys[&dim]
                    } else {
                        &s.sv_keys[&dim]
                    };
                    key.apply(&a2, &b2)
                })
            }
            other => other,
        }
    }

    fn encode(&self, v: f64) -> i128 {
        (v * self.scale as f64).round() as i128
    }
}

impl Arith for EncArith {
    type V = Ciphertext;

    fn input(&mut self, values: &[f64]) -> Result<Ciphertext, IntVecError> {
        let x: Vec<i128> = values.iter().map(|&v| self.encode(v)).collect();
        self.key(values.len())?;
        self.timed(step::ENCRYPT, |s| {
            s.keys[&values.len()].encrypt(&x, &mut s.rng)
        })
    }

    fn zeros(&mut self, dim: usize) -> Result<Ciphertext, IntVecError> {
        let id = self.key(dim)?.id();
        Ciphertext::zero(&self.params, id, dim)
    }

    fn add_assign(&mut self, a: &mut Ciphertext, b: &Ciphertext) -> Result<(), IntVecError> {
        self.timed(step::ADD, |_| a.add_assign(b))
    }

    fn sub_assign(&mut self, a: &mut Ciphertext, b: &Ciphertext) -> Result<(), IntVecError> {
        self.timed(step::ADD, |_| a.sub_assign(b))
    }

    fn add_const(&mut self, a: &Ciphertext, c: f64) -> Result<Ciphertext, IntVecError> {
        let x = vec![self.encode(c); a.dim()];
        self.timed(step::ADD_PLAIN, |_| a.add_plain(&x))
    }

    fn dot(&mut self, a: &Ciphertext, b: &Ciphertext, f: Ratio) -> Result<Ciphertext, IntVecError> {
        let dim = a.dim();
        self.ensure_dot_key(dim)?;
        let p = self.bilinear(step::INNER_PRODUCT, dim, a, b)?;
        self.refresh(step::RESCALE, &p, f.num, f.den * self.scale)
    }

    fn scalar_times(
        &mut self,
        s: &Ciphertext,
        v: &Ciphertext,
        f: Ratio,
    ) -> Result<Ciphertext, IntVecError> {
        let dim = v.dim();
        self.ensure_sv_key(dim)?;
        let p = self.bilinear(step::SCALAR_VECTOR, dim, s, v)?;
        self.refresh(step::RESCALE, &p, f.num, f.den * self.scale)
    }

    fn scale(&mut self, a: &Ciphertext, f: Ratio) -> Result<Ciphertext, IntVecError> {
        if f.den == 1 {
            let k = i64::try_from(f.num).map_err(|_| IntVecError::PlaintextOverflow {
                op: "multiply by plaintext integer",
                bound: f.num.unsigned_abs(),
                limit: i64::MAX as u128,
            })?;
            self.timed(step::SCALAR_MUL, |_| a.mul_scalar(k))
        } else {
            self.refresh(step::RESCALE, a, f.num, f.den)
        }
    }

    fn pack(&mut self, parts: &[Ciphertext]) -> Result<Ciphertext, IntVecError> {
        let k = parts.len();
        for j in 0..k {
            if !self.pack_keys.contains_key(&(k, j)) {
                let one = self.key(1)?.clone();
                let to = self.key(k)?.clone();
                // G = e_j (k × 1): slot j of the result is the one slot of the part.
                let g: Vec<Vec<i64>> = (0..k).map(|r| vec![i64::from(r == j)]).collect();
                let key = self.timed(step::KEYGEN, |s| {
                    LinearTransformKey::new(&g, &one, &to, &mut s.rng)
                })?;
                self.pack_keys.insert((k, j), key);
            }
        }
        let mut acc = self.zeros(k)?;
        for (j, part) in parts.iter().enumerate() {
            let moved = self.timed(step::LINEAR_TRANSFORM, |s| s.pack_keys[&(k, j)].apply(part))?;
            self.add_assign(&mut acc, &moved)?;
        }
        Ok(acc)
    }

    fn reveal(&mut self, a: &Ciphertext) -> Result<Vec<f64>, IntVecError> {
        let dim = a.dim();
        self.key(dim)?;
        let x = self.timed(step::DECRYPT, |s| s.keys[&dim].decrypt(a))?;
        Ok(x.iter().map(|&v| v as f64 / self.scale as f64).collect())
    }

    fn op_stats(&self) -> Vec<OpStat> {
        let mut v: Vec<OpStat> = self
            .stats
            .iter()
            .map(|(name, (count, total))| OpStat {
                name: name.to_string(),
                count: *count,
                total_s: *total,
            })
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    fn name(&self) -> &'static str {
        "encrypted"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_ratio(5, 1, 10), 1);
        assert_eq!(round_ratio(-5, 1, 10), -1);
        assert_eq!(round_ratio(4, 1, 10), 0);
        assert_eq!(round_ratio(-14, 1, 10), -1);
        assert_eq!(round_ratio(15, 1, 10), 2);
        assert_eq!(round_ratio(7, 3, 2), 11);
        assert_eq!(Ratio::from_f64(0.001), Ratio { num: 1, den: 1000 });
        assert_eq!(Ratio::from_f64(0.0125), Ratio { num: 1, den: 80 });
    }
}
