//! Encrypted linear algebra: sums of slots, inner products, and plaintext-matrix
//! times encrypted-vector products by the diagonal method (Halevi-Shoup, CRYPTO
//! 2014) with baby-step giant-step and hoisted baby rotations (Halevi-Shoup,
//! "Faster homomorphic linear transformations in HElib", CRYPTO 2018).
//!
//! Layout. A vector of length n <= slots is encrypted replicated with period
//! c = next_pow2(n): slot i holds x[i mod c] (zero beyond n), so a rotation by
//! k reads x[(i + k) mod c]. For y = M x with M of r' x c' (r = next_pow2(r'),
//! c = next_pow2(c')) the output comes back replicated with period r, the
//! input period of the next layer: products chain without re-packing. Only
//! min(r, c) generalised diagonals d_k[i] = M[i mod r][(i + k) mod c] are
//! needed; a wide matrix (r < c) then folds its c / r partial sums with
//! log2(c / r) rotate-and-adds (the hybrid method of GAZELLE, Juvekar et al.,
//! USENIX Security 2018, §5.2). Matrices larger than the slot count use blocks
//! of `slots` x `slots`, one ciphertext per block of the vector.

use super::{CircuitError, CkksBackend, Result};

/// Rotate-and-add: every slot i ends up with sum_{k < n} x[i + k]; n a power of
/// two <= slots (n = slots: the total in every slot).
pub fn sum_slots<B: CkksBackend>(b: &B, ct: &B::Ct, n: usize) -> Result<B::Ct> {
    if !n.is_power_of_two() || n > b.params().slots() {
        return Err(CircuitError::Shape(format!(
            "sum over {n} slots: need a power of two <= {}",
            b.params().slots()
        )));
    }
    let mut acc = ct.clone();
    let mut k = 1;
    while k < n {
        let r = b.rotate(&acc, k as i64)?;
        acc = b.add(&acc, &r)?;
        k *= 2;
    }
    Ok(acc)
}

/// <x, y> over the first n slots (n a power of two), in every slot; one level.
pub fn inner_product<B: CkksBackend>(b: &B, x: &B::Ct, y: &B::Ct, n: usize) -> Result<B::Ct> {
    let prod = b.rescale(&b.mul_relin(x, y)?)?;
    sum_slots(b, &prod, n)
}

/// <x, w> for plaintext weights w (zero-padded to n, a power of two); one level.
/// The weights are encoded at q_level so the scale comes back unchanged.
pub fn inner_product_plain<B: CkksBackend>(b: &B, x: &B::Ct, w: &[f64], n: usize) -> Result<B::Ct> {
    let scale = b.params().q(b.level(x)) as f64;
    let prod = b.rescale(&b.mul_values_at_scale(x, w, scale)?)?;
    sum_slots(b, &prod, n)
}

/// SIMD batching of many samples, feature-major: ciphertext j holds feature j of
/// up to `slots` samples (sample s in slot s). y_r = sum_j M[r][j] x_j needs no
/// rotation: constant products at scale q_l, summed, then one rescale per output.
/// Zero weights are skipped (a convolution's sparse rows cost only their taps).
pub fn batched_matrix_vector<B: CkksBackend>(
    b: &B,
    matrix: &[Vec<f64>],
    features: &[B::Ct],
) -> Result<Vec<B::Ct>> {
    if features.is_empty() || matrix.iter().any(|r| r.len() != features.len()) {
        return Err(CircuitError::Shape(format!(
            "matrix rows must have one weight per feature ciphertext ({})",
            features.len()
        )));
    }
    let level = b.level(&features[0]);
    let scale = b.params().q(level) as f64;
    matrix
        .iter()
        .map(|row| {
            let mut acc: Option<B::Ct> = None;
            for (w, x) in row.iter().zip(features).filter(|(w, _)| **w != 0.0) {
                let t = b.mul_const_at_scale(x, *w, scale)?;
                acc = Some(match acc {
                    None => t,
                    Some(a) => b.add(&a, &t)?,
                });
            }
            // An all-zero row: zero times a feature, at the same scale.
            let acc = match acc {
                Some(a) => a,
                None => b.mul_const_at_scale(&features[0], 0.0, scale)?,
            };
            b.rescale(&acc)
        })
        .collect()
}

/// Repeats `x` (zero-padded to `period`) across `slots` slots.
pub fn replicate(x: &[f64], period: usize, slots: usize) -> Vec<f64> {
    (0..slots)
        .map(|i| x.get(i % period).copied().unwrap_or(0.0))
        .collect()
}

fn transpose(matrix: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
    let rows = matrix.len();
    let cols = matrix.first().map_or(0, Vec::len);
    if matrix.iter().any(|r| r.len() != cols) {
        return Err(CircuitError::Shape("matrix must be rectangular".into()));
    }
    Ok((0..cols)
        .map(|j| (0..rows).map(|i| matrix[i][j]).collect())
        .collect())
}

/// A diagonal index k and its values over all slots.
type Diagonal = (usize, Vec<f64>);

/// A plaintext matrix prepared for products with encrypted vectors.
#[derive(Clone, Debug)]
pub struct LinearTransform {
    rows: usize,
    cols: usize,
    slots: usize,
    /// Period of the input layout (power of two <= slots); `slots` in block mode.
    period: usize,
    /// Period of the output layout; `slots` in block mode.
    out_period: usize,
    /// Staggered copies of the input (1: replicated).
    copies: usize,
    baby: usize,
    /// blocks[r][c]: for each non-zero diagonal k, the giant-step pre-rotated
    /// diagonal values over all slots.
    blocks: Vec<Vec<Vec<Diagonal>>>,
    /// For the packed method: slot i p + j holds M[i][j].
    packed: Option<Vec<f64>>,
}

/// How a `LinearTransform` computes its product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Diagonals with baby-step giant-step: output in the input's replicated
    /// layout (chainable), about 2 sqrt(p) rotations.
    Diagonal,
    /// The whole matrix in one plaintext (rows * p <= slots): one product, then
    /// log2(p) rotate-and-adds after the rescale, at the lower level. Output y_i
    /// sits in slot i p (strided), the other slots hold partial sums.
    Packed,
}

/// How the client packs the input vector into the slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputLayout {
    /// x repeated with period c = next_pow2(cols) over all slots: what every
    /// transform outputs, so transforms chain.
    Replicated,
    /// The slots split into m blocks (a power of two, m * max(r, c) <= slots),
    /// block a holding x replicated but rotated left by a * (count / m), where
    /// count = min(r, c) is the number of generalised diagonals. One rotation
    /// of the input by k then serves diagonals k, k + count/m, ... at once:
    /// count / m plaintext products and about 2 sqrt(count / m) rotations,
    /// plus log2(m) rotate-and-adds folding the blocks after the rescale, which
    /// leaves the output replicated. m is chosen by an operation-cost model.
    /// For a freshly encrypted input (the client packs it); in block mode
    /// (matrices larger than the slots) it falls back to `Replicated`.
    Staggered,
}

/// The staggered layout: slot s holds input index
/// ((s mod block) + (s / block) * shift) mod period.
#[derive(Clone, Copy, Debug)]
struct Stagger {
    block: usize,
    shift: usize,
    period: usize,
}

impl Stagger {
    fn index(&self, s: usize) -> usize {
        (s % self.block + (s / self.block) * self.shift) % self.period
    }
}

/// Baby-step count for `diagonals` diagonals: next_pow2(ceil(sqrt(n))) <= n.
fn baby_steps(diagonals: usize) -> usize {
    let baby = (diagonals as f64).sqrt().ceil() as usize;
    baby.next_power_of_two().min(diagonals).max(1)
}

/// The number of staggered copies m (a power of two <= min(count, max_copies))
/// minimising an operation-cost model in units of one key switch: a hoisted
/// baby rotation 0.6, a giant or fold rotation 1, a plaintext product 0.03.
fn best_copies(count: usize, max_copies: usize) -> usize {
    let cost = |m: usize| {
        let per_copy = count / m;
        let baby = baby_steps(per_copy);
        let giants = per_copy.div_ceil(baby);
        0.6 * (baby - 1) as f64
            + (giants - 1) as f64
            + m.trailing_zeros() as f64
            + 0.03 * per_copy as f64
    };
    let mut best = 1;
    let mut m = 2;
    while m <= count.min(max_copies) {
        if cost(m) < cost(best) {
            best = m;
        }
        m *= 2;
    }
    best
}

impl LinearTransform {
    /// y = M x for an encrypted x; `matrix` is row-major, rows x cols. The
    /// input is replicated (`InputLayout::Replicated`), so the output of a
    /// previous transform chains in directly.
    pub fn matrix_vector(matrix: &[Vec<f64>], slots: usize) -> Result<Self> {
        Self::matrix_vector_with(matrix, slots, InputLayout::Replicated)
    }

    /// y = M x with the input packed as `layout` says.
    pub fn matrix_vector_with(
        matrix: &[Vec<f64>],
        slots: usize,
        layout: InputLayout,
    ) -> Result<Self> {
        let rows = matrix.len();
        let cols = matrix.first().map_or(0, Vec::len);
        if rows == 0 || cols == 0 || matrix.iter().any(|r| r.len() != cols) {
            return Err(CircuitError::Shape(
                "matrix must be non-empty and rectangular".into(),
            ));
        }
        let block_mode = rows.max(cols).next_power_of_two() > slots;
        let (in_period, out_period) = if block_mode {
            (slots, slots)
        } else {
            (cols.next_power_of_two(), rows.next_power_of_two())
        };
        let count = in_period.min(out_period);
        let span = in_period.max(out_period);
        let copies = match layout {
            InputLayout::Staggered if !block_mode => best_copies(count, slots / span),
            _ => 1,
        };
        let per_copy = count / copies;
        let baby = baby_steps(per_copy);
        let staggered = Stagger {
            block: slots / copies,
            shift: per_copy,
            period: in_period,
        };
        let row_blocks = rows.div_ceil(out_period);
        let col_blocks = cols.div_ceil(in_period);
        let mut blocks = Vec::with_capacity(row_blocks);
        for rb in 0..row_blocks {
            let mut row = Vec::with_capacity(col_blocks);
            for cb in 0..col_blocks {
                let entry = |i: usize, j: usize| {
                    matrix
                        .get(rb * out_period + i)
                        .and_then(|r| r.get(cb * in_period + j))
                        .copied()
                        .unwrap_or(0.0)
                };
                // Slot s, after the input is rotated by k, holds input index
                // layout(s + k) and contributes to output row s mod r.
                let diagonal =
                    |k: usize, s: usize| entry(s % out_period, staggered.index((s + k) % slots));
                let mut diags = Vec::new();
                for k in 0..per_copy {
                    if (0..slots).all(|s| diagonal(k, s) == 0.0) {
                        continue;
                    }
                    // Pre-rotate right by the giant step so the giant rotation can
                    // be applied after the inner sum.
                    let giant = (k / baby) * baby;
                    let full: Vec<f64> = (0..slots)
                        .map(|s| diagonal(k, (s + slots - giant % slots) % slots))
                        .collect();
                    diags.push((k, full));
                }
                row.push(diags);
            }
            blocks.push(row);
        }
        Ok(Self {
            rows,
            cols,
            slots,
            period: in_period,
            out_period,
            copies,
            baby,
            blocks,
            packed: None,
        })
    }

    /// y = M x by the packed method (see `Method::Packed`); needs
    /// rows * next_pow2(cols) <= slots.
    pub fn matrix_vector_packed(matrix: &[Vec<f64>], slots: usize) -> Result<Self> {
        let rows = matrix.len();
        let cols = matrix.first().map_or(0, Vec::len);
        if rows == 0 || cols == 0 || matrix.iter().any(|r| r.len() != cols) {
            return Err(CircuitError::Shape(
                "matrix must be non-empty and rectangular".into(),
            ));
        }
        let period = cols.next_power_of_two();
        if rows * period > slots {
            return Err(CircuitError::Shape(format!(
                "packed method needs rows * next_pow2(cols) = {} <= {slots} slots; use the diagonal method",
                rows * period
            )));
        }
        let mut w = vec![0.0; rows * period];
        for (i, r) in matrix.iter().enumerate() {
            w[i * period..i * period + cols].copy_from_slice(r);
        }
        Ok(Self {
            rows,
            cols,
            slots,
            period,
            out_period: period,
            copies: 1,
            baby: 1,
            blocks: Vec::new(),
            packed: Some(w),
        })
    }

    /// y^T = x^T M by the packed method.
    pub fn vector_matrix_packed(matrix: &[Vec<f64>], slots: usize) -> Result<Self> {
        Self::matrix_vector_packed(&transpose(matrix)?, slots)
    }

    pub fn method(&self) -> Method {
        if self.packed.is_some() {
            Method::Packed
        } else {
            Method::Diagonal
        }
    }

    /// y^T = x^T M for an encrypted x (TenSEAL's `mm` / `vm`): M^T x, with a
    /// replicated (chainable) input.
    pub fn vector_matrix(matrix: &[Vec<f64>], slots: usize) -> Result<Self> {
        Self::matrix_vector(&transpose(matrix)?, slots)
    }

    /// y^T = x^T M with the input packed as `layout` says.
    pub fn vector_matrix_with(
        matrix: &[Vec<f64>],
        slots: usize,
        layout: InputLayout,
    ) -> Result<Self> {
        Self::matrix_vector_with(&transpose(matrix)?, slots, layout)
    }

    /// Staggered copies of the input (1: replicated).
    pub fn copies(&self) -> usize {
        self.copies
    }

    pub fn input_layout(&self) -> InputLayout {
        if self.copies > 1 {
            InputLayout::Staggered
        } else {
            InputLayout::Replicated
        }
    }

    fn stagger(&self) -> Stagger {
        Stagger {
            block: self.slots / self.copies,
            shift: self.period.min(self.out_period) / self.copies,
            period: self.period,
        }
    }

    /// Period of the replicated input layout.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Non-zero diagonals over all blocks (plaintext products per application).
    pub fn diagonal_count(&self) -> usize {
        self.blocks.iter().flatten().map(Vec::len).sum()
    }

    /// Period of the replicated output layout (the diagonal method): the
    /// input period of a following transform.
    pub fn output_period(&self) -> usize {
        self.out_period
    }

    /// Rotate-and-add steps after the rescale: a wide matrix's partial sums
    /// (r, 2r, ..., c/2), then the staggered copies (block, 2 block, ...,
    /// slots/2). The sum over all of them is order-independent.
    fn fold_steps(&self) -> Vec<i64> {
        if self.packed.is_some() {
            return Vec::new();
        }
        let mut steps = Vec::new();
        let mut s = self.out_period;
        while s < self.period {
            steps.push(s as i64);
            s *= 2;
        }
        let mut s = self.slots / self.copies;
        while s < self.slots {
            steps.push(s as i64);
            s *= 2;
        }
        steps
    }

    pub fn input_blocks(&self) -> usize {
        self.cols.div_ceil(self.period)
    }

    pub fn output_blocks(&self) -> usize {
        if self.packed.is_some() {
            return 1;
        }
        self.rows.div_ceil(self.out_period)
    }

    /// The slot vectors to encrypt for an input of length cols.
    pub fn pack_input(&self, x: &[f64]) -> Result<Vec<Vec<f64>>> {
        if x.len() != self.cols {
            return Err(CircuitError::Shape(format!(
                "input of length {}, the matrix has {} columns",
                x.len(),
                self.cols
            )));
        }
        if self.copies > 1 {
            let st = self.stagger();
            return Ok(vec![
                (0..self.slots)
                    .map(|s| x.get(st.index(s)).copied().unwrap_or(0.0))
                    .collect(),
            ]);
        }
        Ok((0..self.input_blocks())
            .map(|c| {
                let end = ((c + 1) * self.period).min(self.cols);
                replicate(&x[c * self.period..end], self.period, self.slots)
            })
            .collect())
    }

    /// The output vector (length rows) from the decrypted output blocks.
    pub fn unpack_output(&self, blocks: &[Vec<f64>]) -> Vec<f64> {
        if self.packed.is_some() {
            return (0..self.rows).map(|i| blocks[0][i * self.period]).collect();
        }
        (0..self.rows)
            .map(|i| blocks[i / self.out_period][i % self.out_period])
            .collect()
    }

    /// Rotation steps this transform uses (for Galois key generation).
    pub fn rotation_steps(&self) -> Vec<i64> {
        if self.packed.is_some() {
            return (0..self.period.trailing_zeros())
                .map(|i| 1i64 << i)
                .collect();
        }
        let mut steps: Vec<i64> = self.fold_steps();
        for row in &self.blocks {
            for diags in row {
                for (k, _) in diags {
                    steps.push((k % self.baby) as i64);
                    steps.push(((k / self.baby) * self.baby) as i64);
                }
            }
        }
        steps.retain(|&s| s != 0);
        steps.sort_unstable();
        steps.dedup();
        steps
    }

    /// y = M x: one level (plaintext products at scale q_l, one rescale per
    /// output block). Baby rotations are hoisted per input block; a wide
    /// matrix adds log2(c / r) rotate-and-adds after the rescale.
    pub fn apply<B: CkksBackend>(&self, b: &B, x: &[B::Ct]) -> Result<Vec<B::Ct>> {
        let level = x.first().map_or(0, |c| b.level(c));
        let prepared = self.prepare(b, level)?;
        self.apply_prepared(b, &prepared, x)
    }

    /// Encodes every diagonal (or the packed matrix) once for inputs at `level`,
    /// at scale q_level so the product comes back at the input's scale after
    /// the rescale. Reuse the result across inputs: encoding dominates otherwise.
    pub fn prepare<B: CkksBackend>(&self, b: &B, level: usize) -> Result<PreparedTransform<B::Pt>> {
        if b.params().slots() != self.slots {
            return Err(CircuitError::Shape(
                "transform built for another slot count".into(),
            ));
        }
        let scale = b.params().q(level) as f64;
        if let Some(w) = &self.packed {
            return Ok(PreparedTransform {
                level,
                packed: Some(b.encode_values(w, scale, level)?),
                blocks: Vec::new(),
            });
        }
        let blocks = self
            .blocks
            .iter()
            .map(|row| {
                row.iter()
                    .map(|diags| {
                        diags
                            .iter()
                            .map(|(k, d)| Ok((*k, b.encode_values(d, scale, level)?)))
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PreparedTransform {
            level,
            packed: None,
            blocks,
        })
    }

    /// y = M x with pre-encoded plaintexts: one level (plaintext products, one
    /// rescale per output block). Baby rotations are hoisted per input block.
    pub fn apply_prepared<B: CkksBackend>(
        &self,
        b: &B,
        prepared: &PreparedTransform<B::Pt>,
        x: &[B::Ct],
    ) -> Result<Vec<B::Ct>> {
        if x.len() != self.input_blocks() {
            return Err(CircuitError::Shape(format!(
                "{} input ciphertexts, expected {}",
                x.len(),
                self.input_blocks()
            )));
        }
        if let Some(c) = x.iter().find(|c| b.level(c) != prepared.level) {
            return Err(crate::he::ckks::error::CkksError::LevelMismatch {
                expected: prepared.level,
                found: b.level(c),
            }
            .into());
        }
        if let Some(w) = &prepared.packed {
            let prod = b.rescale(&b.mul_plain(&x[0], w)?)?;
            return Ok(vec![sum_slots(b, &prod, self.period)?]);
        }
        // Only the baby steps some non-zero diagonal uses (a convolution's
        // diagonals sit at multiples of the window count: often none).
        let mut used = vec![false; self.baby];
        for (k, _) in prepared.blocks.iter().flatten().flatten() {
            used[k % self.baby] = true;
        }
        let baby_steps: Vec<i64> = (0..self.baby as i64)
            .filter(|&s| used[s as usize])
            .collect();
        let babies: Vec<Vec<Option<B::Ct>>> = x
            .iter()
            .map(|ct| {
                let mut rotated = b.rotate_hoisted(ct, &baby_steps)?.into_iter();
                Ok(used
                    .iter()
                    .map(|&u| if u { rotated.next() } else { None })
                    .collect())
            })
            .collect::<Result<_>>()?;
        let giants = (self.period.min(self.out_period) / self.copies).div_ceil(self.baby);
        let mut out = Vec::with_capacity(self.output_blocks());
        for row in &prepared.blocks {
            let mut total: Option<B::Ct> = None;
            for gi in 0..giants {
                let mut inner: Option<B::Ct> = None;
                for (cb, diags) in row.iter().enumerate() {
                    for (k, pt) in diags.iter().filter(|(k, _)| k / self.baby == gi) {
                        let baby = babies[cb][k % self.baby]
                            .as_ref()
                            .expect("every used baby step is rotated");
                        let term = b.mul_plain(baby, pt)?;
                        inner = Some(match inner {
                            None => term,
                            Some(acc) => b.add(&acc, &term)?,
                        });
                    }
                }
                if let Some(inner) = inner {
                    let rotated = b.rotate(&inner, (gi * self.baby) as i64)?;
                    total = Some(match total {
                        None => rotated,
                        Some(acc) => b.add(&acc, &rotated)?,
                    });
                }
            }
            let total = match total {
                Some(t) => t,
                // An all-zero block row: zero times the input, at the same scale.
                None => {
                    b.mul_values_at_scale(&x[0], &[0.0], b.params().q(prepared.level) as f64)?
                }
            };
            // A wide matrix: fold the partial sums (after the rescale, on fewer primes).
            let mut acc = b.rescale(&total)?;
            for step in self.fold_steps() {
                let r = b.rotate(&acc, step)?;
                acc = b.add(&acc, &r)?;
            }
            out.push(acc);
        }
        Ok(out)
    }
}

/// A `LinearTransform`'s plaintexts encoded for one input level.
pub struct PreparedTransform<P> {
    level: usize,
    packed: Option<P>,
    blocks: Vec<Vec<Vec<(usize, P)>>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::ckks::circuits::dry_run::DryRun;
    use crate::he::ckks::tests::ctx;
    use proptest::prelude::*;

    fn matrix(rows: usize, cols: usize, seed: u64) -> Vec<Vec<f64>> {
        (0..rows)
            .map(|i| {
                (0..cols)
                    .map(|j| (((i * 31 + j * 17) as u64 ^ seed) % 97) as f64 / 97.0 - 0.5)
                    .collect()
            })
            .collect()
    }

    fn check(m: &[Vec<f64>], x: &[f64], vector_matrix: bool) -> f64 {
        check_with(m, x, vector_matrix, InputLayout::Replicated)
    }

    fn check_with(m: &[Vec<f64>], x: &[f64], vector_matrix: bool, layout: InputLayout) -> f64 {
        let c = ctx();
        let slots = c.params.slots();
        let lt = if vector_matrix {
            LinearTransform::vector_matrix_with(m, slots, layout).unwrap()
        } else {
            LinearTransform::matrix_vector_with(m, slots, layout).unwrap()
        };
        let cts: Vec<_> = lt
            .pack_input(x)
            .unwrap()
            .iter()
            .map(|v| c.encryptor.encrypt_real(v).unwrap())
            .collect();
        let out = lt.apply(&c.evaluator, &cts).unwrap();
        assert!(out.iter().all(|o| o.level() == cts[0].level() - 1));
        let dec: Vec<Vec<f64>> = out.iter().map(|o| c.decryptor.decrypt_real(o)).collect();
        let y = lt.unpack_output(&dec);
        let expected: Vec<f64> = if vector_matrix {
            (0..m[0].len())
                .map(|j| (0..m.len()).map(|i| x[i] * m[i][j]).sum())
                .collect()
        } else {
            m.iter()
                .map(|r| r.iter().zip(x).map(|(a, b)| a * b).sum())
                .collect()
        };
        assert_eq!(y.len(), expected.len());
        y.iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]
        #[test]
        fn matrix_vector_matches_plain(rows in 1usize..40, cols in 1usize..40, seed in any::<u64>(), vm in any::<bool>(), staggered in any::<bool>()) {
            let m = matrix(rows, cols, seed);
            let n = if vm { rows } else { cols };
            let x: Vec<f64> = (0..n).map(|i| ((i as f64) * 0.7).cos()).collect();
            let layout = if staggered { InputLayout::Staggered } else { InputLayout::Replicated };
            let err = check_with(&m, &x, vm, layout);
            prop_assert!(err < 1e-5, "error {}", err);
        }
    }

    #[test]
    fn staggered_layout_serves_several_diagonals_per_rotation() {
        let slots = ctx().params.slots();
        // Square, tall and wide shapes whose span leaves room for copies.
        for (rows, cols) in [
            (slots / 4, slots / 4),
            (slots / 8, slots / 32),
            (slots / 32, slots / 8),
            (10, 64),
        ] {
            let m = matrix(rows, cols, (rows * cols) as u64);
            let staggered =
                LinearTransform::vector_matrix_with(&m, slots, InputLayout::Staggered).unwrap();
            let replicated = LinearTransform::vector_matrix(&m, slots).unwrap();
            assert!(staggered.copies() > 1, "{rows}x{cols}");
            assert_eq!(staggered.input_layout(), InputLayout::Staggered);
            assert_eq!(replicated.copies(), 1);
            assert!(staggered.diagonal_count() * staggered.copies() <= replicated.diagonal_count());
            assert_eq!(staggered.output_period(), replicated.output_period());
            let x: Vec<f64> = (0..rows).map(|i| ((i as f64) * 0.37).sin()).collect();
            let err = check_with(&m, &x, true, InputLayout::Staggered);
            assert!(err < 1e-5, "{rows}x{cols}: error {err}");
        }
        // Matrices larger than the slots keep the replicated blocks.
        let big = matrix(slots + 1, 3, 1);
        let lt = LinearTransform::matrix_vector_with(&big, slots, InputLayout::Staggered).unwrap();
        assert_eq!(lt.copies(), 1);
    }

    #[test]
    fn staggered_output_chains_into_a_replicated_transform() {
        let c = ctx();
        let slots = c.params.slots();
        let a1 = matrix(slots / 4, 40, 11);
        let a2 = matrix(40, 6, 12);
        let l1 = LinearTransform::vector_matrix_with(&a1, slots, InputLayout::Staggered).unwrap();
        let l2 = LinearTransform::vector_matrix(&a2, slots).unwrap();
        assert!(l1.copies() > 1);
        let x: Vec<f64> = (0..slots / 4).map(|i| ((i as f64) * 0.21).cos()).collect();
        let ct = c
            .encryptor
            .encrypt_real(&l1.pack_input(&x).unwrap()[0])
            .unwrap();
        let h = l1.apply(&c.evaluator, &[ct]).unwrap();
        let out = l2.apply(&c.evaluator, &h).unwrap();
        let y = l2.unpack_output(&[c.decryptor.decrypt_real(&out[0])]);
        for (k, yk) in y.iter().enumerate() {
            let want: f64 = (0..40)
                .map(|j| a2[j][k] * (0..x.len()).map(|i| x[i] * a1[i][j]).sum::<f64>())
                .sum();
            assert!((yk - want).abs() < 1e-4, "output {k}: {yk} vs {want}");
        }
    }

    #[test]
    fn packed_method_matches_plain() {
        let c = ctx();
        let slots = c.params.slots();
        let m = matrix(12, 20, 3);
        let x: Vec<f64> = (0..12).map(|i| ((i as f64) * 0.4).sin()).collect();
        let lt = LinearTransform::vector_matrix_packed(&m, slots).unwrap();
        assert_eq!(lt.method(), Method::Packed);
        let cts: Vec<_> = lt
            .pack_input(&x)
            .unwrap()
            .iter()
            .map(|v| c.encryptor.encrypt_real(v).unwrap())
            .collect();
        let out = lt.apply(&c.evaluator, &cts).unwrap();
        let y = lt.unpack_output(&[c.decryptor.decrypt_real(&out[0])]);
        for (j, yj) in y.iter().enumerate() {
            let expected: f64 = (0..12).map(|i| x[i] * m[i][j]).sum();
            assert!((yj - expected).abs() < 1e-5);
        }
        assert!(LinearTransform::matrix_vector_packed(&matrix(40, 40, 1), slots).is_err());
    }

    #[test]
    fn rectangular_layers_chain_and_use_min_rows_cols_diagonals() {
        let c = ctx();
        let slots = c.params.slots();
        // x (12) -> x^T A1 (40) -> (x^T A1) A2 (6): a tall then a wide transform.
        let a1 = matrix(12, 40, 7);
        let a2 = matrix(40, 6, 8);
        let l1 = LinearTransform::vector_matrix(&a1, slots).unwrap();
        let l2 = LinearTransform::vector_matrix(&a2, slots).unwrap();
        assert_eq!((l1.period(), l1.output_period()), (16, 64));
        assert_eq!((l2.period(), l2.output_period()), (64, 8));
        assert!(l1.blocks[0][0].len() <= 16 && l2.blocks[0][0].len() <= 8);
        let x: Vec<f64> = (0..12).map(|i| ((i as f64) * 0.9).cos()).collect();
        let ct = c
            .encryptor
            .encrypt_real(&l1.pack_input(&x).unwrap()[0])
            .unwrap();
        let h = l1.apply(&c.evaluator, &[ct]).unwrap();
        let out = l2.apply(&c.evaluator, &h).unwrap();
        let dec = c.decryptor.decrypt_real(&out[0]);
        let h_plain: Vec<f64> = (0..40)
            .map(|j| (0..12).map(|i| x[i] * a1[i][j]).sum())
            .collect();
        for k in 0..6 {
            let want: f64 = (0..40).map(|j| h_plain[j] * a2[j][k]).sum();
            // Every slot holds the output replicated with period 8.
            for copy in [0, 8, slots - 8] {
                assert!((dec[copy + k] - want).abs() < 1e-5, "slot {}", copy + k);
            }
        }
    }

    #[test]
    fn larger_than_slots_uses_blocks() {
        let slots = ctx().params.slots();
        let m = matrix(slots + 3, 2 * slots + 1, 5);
        let x: Vec<f64> = (0..2 * slots + 1)
            .map(|i| ((i as f64) * 0.3).sin())
            .collect();
        assert!(check(&m, &x, false) < 1e-4);
    }

    #[test]
    fn batched_samples() {
        let c = ctx();
        let slots = c.params.slots();
        let m = matrix(3, 4, 9);
        let samples: Vec<Vec<f64>> = (0..slots)
            .map(|s| (0..4).map(|j| ((s * 4 + j) as f64 * 0.1).cos()).collect())
            .collect();
        let features: Vec<_> = (0..4)
            .map(|j| {
                let v: Vec<f64> = samples.iter().map(|x| x[j]).collect();
                c.encryptor.encrypt_real(&v).unwrap()
            })
            .collect();
        let out = batched_matrix_vector(&c.evaluator, &m, &features).unwrap();
        for (r, ct) in out.iter().enumerate() {
            let dec = c.decryptor.decrypt_real(ct);
            for (s, x) in samples.iter().enumerate() {
                let expected: f64 = m[r].iter().zip(x).map(|(a, b)| a * b).sum();
                assert!((dec[s] - expected).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn sums_and_inner_products() {
        let c = ctx();
        let a: Vec<f64> = (0..16).map(|i| i as f64 / 16.0).collect();
        let w: Vec<f64> = (0..16).map(|i| 1.0 - i as f64 / 32.0).collect();
        let expected: f64 = a.iter().zip(&w).map(|(x, y)| x * y).sum();
        let x = c.encryptor.encrypt_real(&a).unwrap();
        let y = c.encryptor.encrypt_real(&w).unwrap();
        let ip = c
            .decryptor
            .decrypt_real(&inner_product(&c.evaluator, &x, &y, 16).unwrap());
        assert!((ip[0] - expected).abs() < 1e-6);
        let ipp = c
            .decryptor
            .decrypt_real(&inner_product_plain(&c.evaluator, &x, &w, 16).unwrap());
        assert!((ipp[0] - expected).abs() < 1e-6);
        let total: f64 = a.iter().sum();
        let s = c
            .decryptor
            .decrypt_real(&sum_slots(&c.evaluator, &x, c.params.slots()).unwrap());
        assert!(s.iter().all(|v| (v - total).abs() < 1e-6));
        let dry = DryRun::new(c.params.clone());
        let sim = inner_product(&dry, &dry.fresh(), &dry.fresh(), 16).unwrap();
        assert_eq!(sim.level, c.params.max_level() - 1);
        assert_eq!(dry.rotation_steps(), vec![1, 2, 4, 8]);
    }
}
