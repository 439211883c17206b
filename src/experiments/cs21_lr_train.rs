//! Chen & Song 2021, §3.2 and §4.4: logistic regression trained on encrypted
//! Pima rows (CS21-LR-enctrain-*), TenSEAL's tutorial 1 procedure, with
//! TenSEAL itself run on the same split and initial weights when a peer
//! Python is available.
//!
//! Protocol. The split is the tutorial's (`cs21_lr::split`: balanced,
//! standardised, 376 training and 160 test rows); the initial weights are
//! torch.nn.Linear's, seeded. Each epoch the client encrypts the model and
//! sends it; the server runs, on ciphertexts only,
//!
//!   z = w.x + b,  yhat = p(z),  d = yhat - y,
//!   w <- (1 - lr lambda) w - (lr / n) sum_i d_i x_i,   b <- b - (lr / n) sum_i d_i
//!
//! with p the spec's polynomial sigmoid, and sends the model back; the client
//! decrypts it and re-encrypts it for the next epoch (the tutorial's "we
//! decrypt and re-encrypt the model" between epochs). The client holds the
//! secret key and encrypts with it (the paper: "the data owner keeps the
//! secret key and encrypts the data with it"), so fresh ciphertexts travel as
//! a seed and one polynomial.
//!
//! Packing (the spec's `packing`):
//! - `columns`: the features of all n rows side by side in blocks of
//!   B = next_pow2(n) slots (slot k B + i holds x_i[k]), as many features per
//!   ciphertext as blocks fit; y replicated in every block; w_k replicated
//!   over block k; b over the rows of block 0. Forward: one product per
//!   ciphertext, a sum across blocks (log2(slots / B) rotations) gives z in
//!   every block. Gradients: one product X (.) d per ciphertext and a slot sum
//!   within each block (log2 B rotations); the bias gradient masks block 0.
//! - `rows`: one ciphertext per row as the tutorial (x_i replicated with
//!   period next_pow2(features), y_i in every slot); the forward sums one
//!   period (3 rotations for 8 features); the gradients accumulate
//!   slot-wise, with no rotation at all.
//!
//! Depth and scales: z (1), the cubic (2) and the gradient product (1) make
//! multiplicative depth 4; the update's constant (-lr / n, with 1/n and the
//! learning rate folded in) is encoded across every level left, so that it
//! keeps 20 bits or more even with primes of about 21 bits, and every term of
//! the new model meets at level 0 and one scale exactly, the level the server
//! sends back. Rotations run before their rescale, at the product's scale, so
//! key-switching noise stays far below it. With primes smaller than the
//! scale, a rescale's rounding is large against what remains: z is
//! multiplied by 2^5 before its rescale, and the cubic's output scale is
//! chosen so that its inner leaf c_3 z works at 2^4 times the default scale
//! (at 2^21 both as they come left d off by about 3e-2; so they leave it
//! near the fresh encryption noise).

use std::time::Instant;

use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use serde_json::{Value, json};

use super::cs21_lr::{Split, accuracy, init_linear, sigmoid, split, summary};
use crate::data::tabular::load_tabular;
use crate::he::ckks::circuits::{
    self, CkksBackend, DryRun, Polynomial, evaluate_polynomial, sum_slots,
};
use crate::he::ckks::serialization::serialize_ciphertext;
use crate::he::ckks::{
    Ciphertext, CkksParameters, Decryptor, Encryptor, Evaluator, KeySet, PrecisionStats,
    RotationSet,
};
use crate::results::record::MetricKind;
use crate::spec::{Packing, SigmoidPolynomial};

/// Bits of headroom between the model's scale and q_0 when it is sent back
/// at level 0: decrypted slots up to 2^10 in magnitude decode correctly.
const LEVEL0_HEADROOM_BITS: i32 = 10;

/// z = w.x + b is multiplied by 2^5 (exactly) before its rescale.
const Z_BOOST_BITS: i32 = 5;

/// The cubic's inner leaf works at 2^4 times the default scale.
const LEAF_EXTRA_BITS: i32 = 4;

/// A constant encoded for a multiplication keeps at least 2^20 (relative
/// rounding under 1e-6).
const MIN_CONSTANT_BITS: i32 = 20;

/// The tutorial's update: learning rate, L2 regularisation, polynomial sigmoid.
#[derive(Clone, Debug)]
pub(crate) struct Hyper {
    pub learning_rate: f64,
    pub regularisation: f64,
    /// The sigmoid's polynomial stand-in (power basis).
    pub sigmoid: Polynomial,
}

/// One epoch of the float64 mirror of the encrypted procedure: the same
/// polynomial, the same full-batch update, no encryption.
pub(crate) fn mirror_epoch(
    x: &[Vec<f64>],
    y: &[f64],
    w: &[f64],
    b: f64,
    h: &Hyper,
) -> (Vec<f64>, f64) {
    let n = x.len() as f64;
    let mut gw = vec![0.0; w.len()];
    let mut gb = 0.0;
    for (xi, yi) in x.iter().zip(y) {
        let z = xi.iter().zip(w).map(|(a, c)| a * c).sum::<f64>() + b;
        let d = h.sigmoid.eval_plain(z) - yi;
        for (g, xij) in gw.iter_mut().zip(xi) {
            *g += xij * d;
        }
        gb += d;
    }
    let step = h.learning_rate / n;
    let w_new = w
        .iter()
        .zip(&gw)
        .map(|(wj, g)| wj - (g * step + wj * h.learning_rate * h.regularisation))
        .collect();
    (w_new, b - gb * step)
}

fn logits(x: &[Vec<f64>], w: &[f64], b: f64) -> Vec<f64> {
    x.iter()
        .map(|xi| xi.iter().zip(w).map(|(a, c)| a * c).sum::<f64>() + b)
        .collect()
}

/// Where the training rows, labels and model sit in the slots. Public: the
/// server knows the layout (row and feature counts), never the values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Features side by side in blocks of `block` slots: slot k block + i of
    /// ciphertext c holds x_i[c per_ct + k].
    Columns {
        rows: usize,
        features: usize,
        slots: usize,
        block: usize,
        per_ct: usize,
        cts: usize,
    },
    /// One ciphertext per row, features replicated with period `period`.
    Rows {
        rows: usize,
        features: usize,
        slots: usize,
        period: usize,
    },
}

/// The column layout's slot vectors: ciphertext c holds features
/// c per_ct .. (c + 1) per_ct, feature j in block j mod per_ct (`block` slots);
/// `fill(j, block)` writes feature j's block.
fn column_blocks(
    features: usize,
    slots: usize,
    block: usize,
    per_ct: usize,
    cts: usize,
    fill: impl Fn(usize, &mut [f64]),
) -> Vec<Vec<f64>> {
    (0..cts)
        .map(|c| {
            let mut v = vec![0.0; slots];
            for k in 0..per_ct {
                let j = c * per_ct + k;
                if j < features {
                    fill(j, &mut v[k * block..(k + 1) * block]);
                }
            }
            v
        })
        .collect()
}

impl Layout {
    pub fn new(packing: Packing, rows: usize, features: usize, slots: usize) -> Result<Layout> {
        if rows == 0 || features == 0 {
            bail!("encrypted training needs rows and features, got {rows} x {features}");
        }
        match packing {
            Packing::Columns => {
                let block = rows.next_power_of_two();
                if block > slots {
                    bail!(
                        "{rows} training rows do not fit in the {slots} slots of one ciphertext; use packing `rows` or a larger ring"
                    );
                }
                let per_ct = slots / block;
                Ok(Layout::Columns {
                    rows,
                    features,
                    slots,
                    block,
                    per_ct,
                    cts: features.div_ceil(per_ct),
                })
            }
            Packing::Rows => {
                let period = features.next_power_of_two();
                if period > slots {
                    bail!("{features} features do not fit in {slots} slots");
                }
                Ok(Layout::Rows {
                    rows,
                    features,
                    slots,
                    period,
                })
            }
        }
    }

    pub fn rows(&self) -> usize {
        match *self {
            Layout::Columns { rows, .. } | Layout::Rows { rows, .. } => rows,
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            Layout::Columns {
                rows,
                features,
                block,
                per_ct,
                cts,
                ..
            } => format!(
                "columns: {features} feature columns of {rows} rows in {cts} ciphertext(s) of {per_ct} blocks of {block} slots, labels in 1"
            ),
            Layout::Rows {
                rows,
                features,
                period,
                ..
            } => format!(
                "rows (the tutorial's): one ciphertext per row ({features} features, period {period}) and one per label, {} in all",
                2 * rows
            ),
        }
    }

    /// Slot vectors of the training rows: one per ciphertext.
    pub fn pack_x(&self, x: &[Vec<f64>]) -> Vec<Vec<f64>> {
        match *self {
            Layout::Columns {
                features,
                slots,
                block,
                per_ct,
                cts,
                ..
            } => column_blocks(features, slots, block, per_ct, cts, |j, dst| {
                for (d, xi) in dst.iter_mut().zip(x) {
                    *d = xi[j];
                }
            }),
            Layout::Rows { slots, period, .. } => x
                .iter()
                .map(|xi| {
                    (0..slots)
                        .map(|s| xi.get(s % period).copied().unwrap_or(0.0))
                        .collect()
                })
                .collect(),
        }
    }

    /// Slot vectors of the labels: one (columns) or one per row (rows).
    pub fn pack_y(&self, y: &[f64]) -> Vec<Vec<f64>> {
        match *self {
            Layout::Columns {
                slots,
                block,
                per_ct,
                ..
            } => {
                let mut v = vec![0.0; slots];
                for k in 0..per_ct {
                    v[k * block..k * block + y.len()].copy_from_slice(y);
                }
                vec![v]
            }
            Layout::Rows { slots, .. } => y.iter().map(|&yi| vec![yi; slots]).collect(),
        }
    }

    /// Slot vectors of the weights: one per training ciphertext (columns) or one.
    pub fn pack_weights(&self, w: &[f64]) -> Vec<Vec<f64>> {
        match *self {
            Layout::Columns {
                features,
                slots,
                block,
                per_ct,
                cts,
                ..
            } => column_blocks(features, slots, block, per_ct, cts, |j, dst| dst.fill(w[j])),
            Layout::Rows { slots, period, .. } => vec![
                (0..slots)
                    .map(|s| w.get(s % period).copied().unwrap_or(0.0))
                    .collect(),
            ],
        }
    }

    /// The bias where the forward pass adds it once per sum: over the rows
    /// of block 0 (columns), at the first slot of every period (rows).
    pub fn pack_bias(&self, b: f64) -> Vec<f64> {
        match *self {
            Layout::Columns { rows, slots, .. } => {
                let mut v = vec![0.0; slots];
                v[..rows].fill(b);
                v
            }
            Layout::Rows { slots, period, .. } => (0..slots)
                .map(|s| if s % period == 0 { b } else { 0.0 })
                .collect(),
        }
    }

    /// Reads the weights from the decrypted slot vectors of an updated model:
    /// the first slot of each block (columns) or the first period (rows).
    pub fn unpack_weights(&self, decrypted: &[Vec<f64>]) -> Vec<f64> {
        match *self {
            Layout::Columns {
                features,
                block,
                per_ct,
                ..
            } => (0..features)
                .map(|j| decrypted[j / per_ct][(j % per_ct) * block])
                .collect(),
            Layout::Rows { features, .. } => decrypted[0][..features].to_vec(),
        }
    }

    pub fn unpack_bias(&self, decrypted: &[f64]) -> f64 {
        decrypted[0]
    }

    /// The public mask of the rows of block 0 (columns), for the bias gradient.
    fn bias_mask(&self) -> Option<Vec<f64>> {
        match *self {
            Layout::Columns { rows, slots, .. } => {
                let mut v = vec![0.0; slots];
                v[..rows].fill(1.0);
                Some(v)
            }
            Layout::Rows { .. } => None,
        }
    }
}

/// The encrypted training set as the server holds it.
#[derive(Clone)]
pub(crate) struct EncryptedSet<C> {
    pub x: Vec<C>,
    pub y: Vec<C>,
}

/// The encrypted model: weights (one ciphertext per training ciphertext for
/// columns, one for rows) and bias.
#[derive(Clone)]
pub(crate) struct EncryptedModel<C> {
    pub w: Vec<C>,
    pub b: C,
}

/// The scale of the updated model: as large as level 0 allows with
/// `LEVEL0_HEADROOM_BITS` to spare, and no smaller than the default scale.
fn update_scale(params: &CkksParameters) -> f64 {
    let q0_bits = (params.q(0) as f64).log2().floor() as i32;
    2f64.powi(q0_bits - LEVEL0_HEADROOM_BITS)
        .max(params.default_scale())
}

/// c * ct brought down `rescales` levels to scale `target` exactly: the
/// constant is encoded at target * q_l ... q_(l - rescales + 1) / scale(ct),
/// and must keep `MIN_CONSTANT_BITS` bits there.
fn scaled_down<B: CkksBackend>(
    be: &B,
    ct: &B::Ct,
    c: f64,
    target: f64,
    rescales: usize,
) -> circuits::Result<B::Ct> {
    let level = be.level(ct);
    if rescales > level {
        return Err(circuits::CircuitError::DepthExceeded {
            needed: rescales,
            available: level,
        });
    }
    let primes: f64 = (0..rescales)
        .map(|i| be.params().q(level - i) as f64)
        .product();
    let const_scale = target * primes / be.scale(ct);
    if c != 0.0 && (c * const_scale).abs() < 2f64.powi(MIN_CONSTANT_BITS) {
        return Err(circuits::CircuitError::Shape(format!(
            "the constant {c} would be encoded at scale 2^{:.1}, under {MIN_CONSTANT_BITS} bits: the chain needs more levels or larger primes",
            const_scale.log2()
        )));
    }
    let mut out = be.mul_const_at_scale(ct, c, const_scale)?;
    for _ in 0..rescales {
        out = be.rescale(&out)?;
    }
    Ok(out)
}

fn sum_all<B: CkksBackend>(be: &B, terms: Vec<B::Ct>) -> circuits::Result<B::Ct> {
    let mut it = terms.into_iter();
    let first = it
        .next()
        .ok_or_else(|| circuits::CircuitError::Shape("nothing to sum".into()))?;
    it.try_fold(first, |acc, t| be.add(&acc, &t))
}

/// w.x + b before its rescale: the bias multiplied by the constant 1 at the
/// scale of the products so that it adds exactly.
fn linear_unrescaled<B: CkksBackend>(
    be: &B,
    xs: &[&B::Ct],
    ws: &[B::Ct],
    b: &B::Ct,
) -> circuits::Result<B::Ct> {
    let products = xs
        .iter()
        .zip(ws)
        .map(|(x, w)| be.mul_relin(x, w))
        .collect::<circuits::Result<Vec<_>>>()?;
    let p = sum_all(be, products)?;
    let bias = be.mul_const_at_scale(b, 1.0, be.scale(&p) / be.scale(b))?;
    be.add(&p, &bias)
}

/// z = w.x + b from its unrescaled sum: multiplied by 2^Z_BOOST_BITS
/// (exactly) before the rescale, so that the rescale's rounding is small
/// against z's scale.
fn rescaled_z<B: CkksBackend>(be: &B, p: &B::Ct) -> circuits::Result<B::Ct> {
    let boosted = be.mul_const_at_scale(p, 1.0, 2f64.powi(Z_BOOST_BITS))?;
    be.rescale(&boosted)
}

/// d = p(z) - y. The cubic's quotient leaf c_3 z (multiplied by z^2 at the
/// end) works at scale 2^LEAF_EXTRA_BITS times the default scale: the output
/// scale is chosen for that (the evaluator derives every inner scale from
/// it), and y is brought to the output's level and scale exactly.
fn error_term<B: CkksBackend>(
    be: &B,
    z: &B::Ct,
    y: &B::Ct,
    poly: &Polynomial,
) -> circuits::Result<B::Ct> {
    let l = be.level(z);
    if l < 2 {
        return Err(circuits::CircuitError::DepthExceeded {
            needed: 2,
            available: l,
        });
    }
    let params = be.params();
    let leaf = params.default_scale() * 2f64.powi(LEAF_EXTRA_BITS);
    let z_squared = be.scale(z).powi(2) / params.q(l) as f64;
    let out_scale = leaf * z_squared / params.q(l - 1) as f64;
    let out = evaluate_polynomial(be, z, poly, out_scale)?;
    let y = scaled_down(be, y, 1.0, out_scale, 1)?;
    let y = be.mod_switch_to(&y, be.level(&out))?;
    be.add(&out, &be.mul_integer(&y, -1))
}

/// The server's epoch: forward, backward and update on ciphertexts only;
/// returns the updated model at level 0 (what it sends back). Generic over
/// the backend so that the dry run checks depth and collects the rotation
/// steps first.
pub(crate) fn server_epoch<B: CkksBackend>(
    be: &B,
    layout: &Layout,
    hyper: &Hyper,
    data: &EncryptedSet<B::Ct>,
    model: &EncryptedModel<B::Ct>,
) -> circuits::Result<EncryptedModel<B::Ct>> {
    let target = update_scale(be.params());
    let step = -hyper.learning_rate / layout.rows() as f64;
    let keep = 1.0 - hyper.learning_rate * hyper.regularisation;
    // Gradient sums, unrescaled, at the level of d.
    let (gw, gb) = match *layout {
        Layout::Columns { slots, block, .. } => {
            let xs: Vec<&B::Ct> = data.x.iter().collect();
            let mut p = linear_unrescaled(be, &xs, &model.w, &model.b)?;
            // Sum across blocks: z in every block (before the rescale).
            let mut k = block;
            while k < slots {
                let r = be.rotate(&p, k as i64)?;
                p = be.add(&p, &r)?;
                k *= 2;
            }
            let z = rescaled_z(be, &p)?;
            let d = error_term(be, &z, &data.y[0], &hyper.sigmoid)?;
            let level = be.level(&d);
            let gw = data
                .x
                .iter()
                .map(|x| {
                    let g = be.mul_relin(&be.mod_switch_to(x, level)?, &d)?;
                    sum_slots(be, &g, block)
                })
                .collect::<circuits::Result<Vec<_>>>()?;
            let mask = layout.bias_mask().expect("columns have a bias mask");
            let mask = be.encode_values(&mask, be.params().default_scale(), level)?;
            let gb = sum_slots(be, &be.mul_plain(&d, &mask)?, block)?;
            (gw, gb)
        }
        Layout::Rows { period, .. } => {
            let mut gw = Vec::with_capacity(data.x.len());
            let mut gb = Vec::with_capacity(data.x.len());
            for (x, y) in data.x.iter().zip(&data.y) {
                let p = linear_unrescaled(be, &[x], &model.w, &model.b)?;
                let z = rescaled_z(be, &sum_slots(be, &p, period)?)?;
                let d = error_term(be, &z, y, &hyper.sigmoid)?;
                let x = be.mod_switch_to(x, be.level(&d))?;
                gw.push(be.mul_relin(&x, &d)?);
                gb.push(d);
            }
            // x_i d_i is already replicated with the weights' period.
            (vec![sum_all(be, gw)?], sum_all(be, gb)?)
        }
    };
    // The step -lr/n is encoded across every level left (the finer, the
    // more), the kept part of the old model with one rescale; both meet at
    // level 0, the level the server sends.
    let update = |g: &B::Ct, old: &B::Ct, keep: f64| -> circuits::Result<B::Ct> {
        if be.level(g) == 0 {
            return Err(circuits::CircuitError::DepthExceeded {
                needed: 1,
                available: 0,
            });
        }
        let g = scaled_down(be, g, step, target, be.level(g))?;
        let old = be.mod_switch_to(&scaled_down(be, old, keep, target, 1)?, 0)?;
        be.add(&g, &old)
    };
    Ok(EncryptedModel {
        w: gw
            .iter()
            .zip(&model.w)
            .map(|(g, w)| update(g, w, keep))
            .collect::<circuits::Result<_>>()?,
        b: update(&gb, &model.b, 1.0)?,
    })
}

/// What a dry run of one epoch tells before anything is encrypted.
#[derive(Debug, Clone)]
pub(crate) struct EpochPlan {
    pub rotation_steps: Vec<i64>,
    pub multiplicative_depth: usize,
    pub levels_used: usize,
    pub ct_mults: usize,
    pub rotations: usize,
    pub rescales: usize,
}

/// Runs one epoch on (level, scale) pairs: checks that it fits the chain and
/// lists the rotations it needs.
pub(crate) fn plan_epoch(
    params: &Arc<CkksParameters>,
    layout: &Layout,
    hyper: &Hyper,
) -> circuits::Result<EpochPlan> {
    let dry = DryRun::new(params.clone());
    let (x_count, y_count, w_count) = match *layout {
        Layout::Columns { cts, .. } => (cts, 1, cts),
        Layout::Rows { rows, .. } => (rows, rows, 1),
    };
    let data = EncryptedSet {
        x: vec![dry.fresh(); x_count],
        y: vec![dry.fresh(); y_count],
    };
    let model = EncryptedModel {
        w: vec![dry.fresh(); w_count],
        b: dry.fresh(),
    };
    server_epoch(&dry, layout, hyper, &data, &model)?;
    let counts = dry.counts();
    Ok(EpochPlan {
        rotation_steps: dry.rotation_steps(),
        // z, the polynomial, the gradient product; the update's constant
        // spans the levels left.
        multiplicative_depth: 2 + hyper.sigmoid.depth(),
        levels_used: dry.fresh().level,
        ct_mults: counts.ct_mults,
        rotations: counts.rotations,
        rescales: counts.rescales,
    })
}

/// The client: the secret key's holder, who encrypts the data and the
/// model and decrypts the model between epochs.
pub(crate) struct Client {
    params: Arc<CkksParameters>,
    encryptor: Encryptor,
    decryptor: Decryptor,
}

impl Client {
    pub fn new(params: Arc<CkksParameters>, keys: &KeySet) -> Client {
        Client {
            encryptor: Encryptor::with_secret_key(params.clone(), keys.secret.clone()),
            decryptor: Decryptor::new(params.clone(), keys.secret.clone()),
            params,
        }
    }

    fn encrypt_all(&self, vectors: &[Vec<f64>]) -> Result<Vec<Ciphertext>> {
        Ok(vectors
            .iter()
            .map(|v| self.encryptor.encrypt_real(v))
            .collect::<Result<_, _>>()?)
    }

    pub fn encrypt_set(
        &self,
        layout: &Layout,
        x: &[Vec<f64>],
        y: &[f64],
    ) -> Result<EncryptedSet<Ciphertext>> {
        Ok(EncryptedSet {
            x: self.encrypt_all(&layout.pack_x(x))?,
            y: self.encrypt_all(&layout.pack_y(y))?,
        })
    }

    pub fn encrypt_model(
        &self,
        layout: &Layout,
        w: &[f64],
        b: f64,
    ) -> Result<EncryptedModel<Ciphertext>> {
        Ok(EncryptedModel {
            w: self.encrypt_all(&layout.pack_weights(w))?,
            b: self.encryptor.encrypt_real(&layout.pack_bias(b))?,
        })
    }

    pub fn decrypt_model(
        &self,
        layout: &Layout,
        model: &EncryptedModel<Ciphertext>,
    ) -> (Vec<f64>, f64) {
        let w: Vec<Vec<f64>> = model
            .w
            .iter()
            .map(|c| self.decryptor.decrypt_real(c))
            .collect();
        let b = self.decryptor.decrypt_real(&model.b);
        (layout.unpack_weights(&w), layout.unpack_bias(&b))
    }

    /// Bytes of the model as serialised by heml (what crosses the wire).
    pub fn model_bytes(&self, model: &EncryptedModel<Ciphertext>) -> usize {
        model
            .w
            .iter()
            .chain(std::iter::once(&model.b))
            .map(|c| serialize_ciphertext(&self.params, c).len())
            .sum()
    }

    pub fn set_bytes(&self, data: &EncryptedSet<Ciphertext>) -> usize {
        data.x
            .iter()
            .chain(&data.y)
            .map(|c| serialize_ciphertext(&self.params, c).len())
            .sum()
    }
}

/// One epoch as the client sees it: the model it got back and what the
/// epoch cost.
#[derive(Debug, Clone)]
pub(crate) struct EpochRecord {
    pub w: Vec<f64>,
    pub b: f64,
    pub encrypt_model_s: f64,
    pub epoch_s: f64,
    pub decrypt_model_s: f64,
    /// Client to server: the freshly encrypted model.
    pub up_bytes: usize,
    /// Server to client: the updated model (level 0).
    pub down_bytes: usize,
}

/// Trains for `epochs` epochs from (w0, b0): each epoch the client encrypts
/// the model, the server updates it, the client decrypts it. The decryption
/// and re-encryption between two epochs is one round trip (epochs - 1 in all).
pub(crate) fn train_encrypted(
    client: &Client,
    server: &Evaluator,
    layout: &Layout,
    hyper: &Hyper,
    data: &EncryptedSet<Ciphertext>,
    (w0, b0): (&[f64], f64),
    epochs: usize,
) -> Result<Vec<EpochRecord>> {
    let (mut w, mut b) = (w0.to_vec(), b0);
    let mut out = Vec::with_capacity(epochs);
    for _ in 0..epochs {
        let t0 = Instant::now();
        let model = client.encrypt_model(layout, &w, b)?;
        let t1 = Instant::now();
        let updated = server_epoch(server, layout, hyper, data, &model)?;
        let t2 = Instant::now();
        (w, b) = client.decrypt_model(layout, &updated);
        let t3 = Instant::now();
        out.push(EpochRecord {
            w: w.clone(),
            b,
            encrypt_model_s: (t1 - t0).as_secs_f64(),
            epoch_s: (t2 - t1).as_secs_f64(),
            decrypt_model_s: (t3 - t2).as_secs_f64(),
            up_bytes: client.model_bytes(&model),
            down_bytes: client.model_bytes(&updated),
        });
    }
    Ok(out)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(f64::NAN)
}

/// What one seed measured.
struct SeedRun {
    /// Test accuracy after each epoch (index 0: the initial weights).
    accuracy: Vec<f64>,
    mirror_accuracy: Vec<f64>,
    /// Test rows predicted as the mirror predicts, %.
    agreement: f64,
    encrypt_set_s: f64,
    /// The same slot vectors under the public key (as TenSEAL encrypts).
    encrypt_set_public_s: f64,
    set_bytes: usize,
    epochs: Vec<EpochRecord>,
    /// max |one encrypted epoch - the float64 epoch from the same decrypted start|.
    step_error: f64,
    /// Final decrypted model and the mirror's, flattened (w then b).
    model: Vec<f64>,
    mirror_model: Vec<f64>,
}

impl SeedRun {
    fn train_s(&self) -> f64 {
        self.epochs
            .iter()
            .map(|e| e.encrypt_model_s + e.epoch_s + e.decrypt_model_s)
            .sum()
    }
}

/// heml's side: keys made for the layout's rotations, the client and the server.
struct Trainer<'a> {
    params: &'a Arc<CkksParameters>,
    keys: KeySet,
    client: Client,
    server: Evaluator,
    layout: Layout,
    hyper: &'a Hyper,
    epochs: usize,
}

impl Trainer<'_> {
    /// Encrypts the seed's training set, trains, and compares with the mirror.
    fn run_seed(&self, sp: &Split, seed: u64) -> Result<SeedRun> {
        let (layout, hyper) = (&self.layout, self.hyper);
        if sp.x_train.len() != layout.rows() {
            bail!(
                "seed {seed}: {} training rows, the layout has {}",
                sp.x_train.len(),
                layout.rows()
            );
        }
        let (w0, b0) = init_linear(sp.x_train[0].len(), seed);
        let t = Instant::now();
        let data = self.client.encrypt_set(layout, &sp.x_train, &sp.y_train)?;
        let encrypt_set_s = t.elapsed().as_secs_f64();
        let public = Encryptor::with_public_key(self.params.clone(), self.keys.public.clone());
        let t = Instant::now();
        for v in layout
            .pack_x(&sp.x_train)
            .iter()
            .chain(&layout.pack_y(&sp.y_train))
        {
            std::hint::black_box(public.encrypt_real(v)?);
        }
        let encrypt_set_public_s = t.elapsed().as_secs_f64();
        let records = train_encrypted(
            &self.client,
            &self.server,
            layout,
            hyper,
            &data,
            (&w0, b0),
            self.epochs,
        )?;
        // The float64 mirror from the same start, and one float64 epoch from
        // each decrypted start (the error of one encrypted epoch).
        let test_accuracy = |w: &[f64], b: f64| accuracy(&logits(&sp.x_test, w, b), &sp.y_test);
        let (mut mw, mut mb) = (w0.clone(), b0);
        let (mut pw, mut pb) = (w0, b0);
        let mut mirror_accuracy = vec![test_accuracy(&mw, mb)];
        let mut enc_accuracy = mirror_accuracy.clone();
        let mut step_error = 0.0f64;
        for r in &records {
            (mw, mb) = mirror_epoch(&sp.x_train, &sp.y_train, &mw, mb, hyper);
            mirror_accuracy.push(test_accuracy(&mw, mb));
            enc_accuracy.push(test_accuracy(&r.w, r.b));
            let (sw, sb) = mirror_epoch(&sp.x_train, &sp.y_train, &pw, pb, hyper);
            for (a, e) in r.w.iter().zip(&sw).chain([(&r.b, &sb)]) {
                step_error = step_error.max((a - e).abs());
            }
            (pw, pb) = (r.w.clone(), r.b);
        }
        let enc_logits = logits(&sp.x_test, &pw, pb);
        let same = enc_logits
            .iter()
            .zip(logits(&sp.x_test, &mw, mb))
            .filter(|(a, m)| (**a >= 0.0) == (*m >= 0.0))
            .count();
        pw.push(pb);
        mw.push(mb);
        Ok(SeedRun {
            accuracy: enc_accuracy,
            mirror_accuracy,
            agreement: 100.0 * same as f64 / enc_logits.len() as f64,
            encrypt_set_s,
            encrypt_set_public_s,
            set_bytes: self.client.set_bytes(&data),
            epochs: records,
            step_error,
            model: pw,
            mirror_model: mw,
        })
    }
}

/// The sigmoid and the polynomials on [-l, l] as curves (x in per mille of
/// l), their largest error and range.
fn record_sigmoid_curves(
    rec: &mut super::Recorder,
    trained: &SigmoidPolynomial,
    printed: Option<&SigmoidPolynomial>,
) {
    let l = trained.interval;
    let eval = |p: &SigmoidPolynomial, x: f64| Polynomial::power(&p.coefficients).eval_plain(x);
    rec.set_scheme("plaintext", "{}".into(), "n/a".into());
    for i in (-1000..=1000).step_by(50) {
        let x = l * i as f64 / 1000.0;
        rec.series("exact", "exact_curve_sigmoid", i, sigmoid(x), "");
        rec.series("trained", "trained_curve_sigmoid", i, eval(trained, x), "");
        if let Some(p) = printed {
            rec.series("printed", "printed_curve_sigmoid", i, eval(p, x), "");
        }
    }
    let fine = 20_000;
    let grid: Vec<f64> = (0..=fine)
        .map(|i| -l + 2.0 * l * i as f64 / fine as f64)
        .collect();
    for (name, p, role) in [
        ("trained", Some(trained), "the polynomial the training runs"),
        ("printed", printed, "as printed, not used for training"),
    ] {
        let Some(p) = p else { continue };
        let values: Vec<f64> = grid.iter().map(|&x| eval(p, x)).collect();
        let err = grid
            .iter()
            .zip(&values)
            .map(|(&x, v)| (v - sigmoid(x)).abs())
            .fold(0.0, f64::max);
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let coeffs = p
            .coefficients
            .iter()
            .map(|c| format!("{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        rec.measure(
            name,
            &format!("{name}_sigmoid_max_abs_error"),
            MetricKind::Error,
            err,
            "",
        )
        .note = format!(
            "max |p(x) - sigmoid(x)| on [-{l}, {l}] for p = [{coeffs}] (increasing powers), {role}; source: {}",
            p.source
        );
        rec.measure(
            name,
            &format!("{name}_sigmoid_min"),
            MetricKind::Info,
            lo,
            "",
        )
        .note = format!("smallest p(x) on [-{l}, {l}]");
        rec.measure(
            name,
            &format!("{name}_sigmoid_max"),
            MetricKind::Info,
            hi,
            "",
        )
        .note = format!("largest p(x) on [-{l}, {l}]");
        rec.measure(
            name,
            &format!("{name}_sigmoid_leaves_unit_interval"),
            MetricKind::Info,
            f64::from(u8::from(lo < 0.0 || hi > 1.0)),
            "",
        )
        .note = format!(
            "1 if p leaves [0, 1] on [-{l}, {l}], as no probability may (its range: [{lo:.4}, {hi:.4}])"
        );
    }
}

/// Accuracy rows: the distribution over seeds, the mirror's, and the curves
/// per epoch (seed 0, comparable with TenSEAL's run; and the median over seeds).
fn record_accuracy(
    rec: &mut super::Recorder,
    runs: &[SeedRun],
    scheme: &SchemeRow,
    test_rows: usize,
    note: &str,
) {
    let epochs = runs[0].epochs.len();
    scheme.set(rec);
    summary(
        rec,
        "train",
        "lr_enctrain_accuracy",
        runs.iter().map(|r| r.accuracy[epochs]).collect(),
        &format!(
            "test accuracy ({test_rows} rows, exact sigmoid) of the model trained on encrypted rows for {epochs} epochs; {note}"
        ),
    );
    summary(
        rec,
        "train",
        "lr_enctrain_mirror_agreement",
        runs.iter().map(|r| r.agreement).collect(),
        "test rows whose prediction equals the float64 mirror's",
    );
    rec.set_scheme("plaintext", "{}".into(), "n/a".into());
    summary(
        rec,
        "mirror",
        "lr_enctrain_mirror_accuracy",
        runs.iter().map(|r| r.mirror_accuracy[epochs]).collect(),
        "the float64 mirror: the same polynomial, update and start, no encryption",
    );
    for (encrypted, stage) in [(true, "train"), (false, "mirror")] {
        if encrypted {
            scheme.set(rec);
        } else {
            rec.set_scheme("plaintext", "{}".into(), "n/a".into());
        }
        let of = |r: &SeedRun, e: usize| {
            if encrypted {
                r.accuracy[e]
            } else {
                r.mirror_accuracy[e]
            }
        };
        for e in 0..=epochs {
            let v: Vec<f64> = runs.iter().map(|r| of(r, e)).collect();
            rec.series(
                stage,
                "lr_enctrain_accuracy_epoch",
                e as i64,
                of(&runs[0], e),
                "%",
            );
            rec.series(
                stage,
                "lr_enctrain_accuracy_epoch_median",
                e as i64,
                median(&v),
                "%",
            );
        }
    }

    // Precision of the decrypted model against the mirror.
    scheme.set(rec);
    let expected: Vec<f64> = runs.iter().flat_map(|r| r.mirror_model.clone()).collect();
    let got: Vec<f64> = runs.iter().flat_map(|r| r.model.clone()).collect();
    if let Some(p) = PrecisionStats::compute(&expected, &got) {
        rec.measure(
            "precision",
            "model_max_abs_diff",
            MetricKind::Error,
            p.max_abs_error,
            "",
        )
        .note = format!(
            "decrypted weights and bias after {epochs} epochs against the float64 mirror's, over every seed (log2 error max {:.1}, median {:.1})",
            p.max_log2_error, p.median_log2_error
        );
    }
    rec.measure(
        "precision",
        "epoch_step_max_abs_error",
        MetricKind::Error,
        runs.iter().map(|r| r.step_error).fold(0.0, f64::max),
        "",
    )
    .note = "one encrypted epoch against one float64 epoch from the same decrypted model, worst weight over every epoch and seed".into();
}

/// The scheme columns of heml's rows.
struct SchemeRow {
    literal: String,
    security: String,
}

impl SchemeRow {
    fn set(&self, rec: &mut super::Recorder) {
        rec.set_scheme("ckks", self.literal.clone(), self.security.clone());
    }
}

pub fn run(
    spec: &crate::spec::Spec,
    ctx: &super::Context,
    rec: &mut super::Recorder,
) -> Result<super::Outcome> {
    let settings = spec.settings(ctx.profile);
    let params = super::ckks_params(spec, settings)?;
    let Some(baseline) = &spec.baseline else {
        bail!("kind cs21-lr-train needs a `baseline` (learning rate and epochs)");
    };
    let Some(training) = &spec.encrypted_training else {
        bail!("kind cs21-lr-train needs an `encrypted_training` section");
    };
    let dataset = spec
        .dataset
        .as_ref()
        .map_or("pima-diabetes", |d| d.name.as_str());
    let table = load_tabular(ctx.data, dataset)?;
    let epochs = settings.epochs.unwrap_or(baseline.epochs);
    let hyper = Hyper {
        learning_rate: baseline.learning_rate,
        regularisation: training.regularisation,
        sigmoid: Polynomial::power(&training.sigmoid.coefficients),
    };
    tch::set_num_threads(1);
    record_sigmoid_curves(rec, &training.sigmoid, training.printed_sigmoid.as_ref());

    let features = table.n_features;
    let split_of = |seed| split(&table.features, &table.labels, features, seed);
    let first = split_of(spec.seed)?;
    let layout = Layout::new(
        training.packing,
        first.x_train.len(),
        features,
        params.slots(),
    )?;
    let plan = plan_epoch(params, &layout, &hyper)
        .with_context(|| format!("the epoch does not fit {}", params.describe()))?;
    let t = Instant::now();
    let keys = KeySet::generate(params, &RotationSet::steps(&plan.rotation_steps));
    let keygen_s = t.elapsed().as_secs_f64();
    let scheme = SchemeRow {
        literal: serde_json::to_string(params.literal())?,
        security: params.security().to_string(),
    };
    scheme.set(rec);
    rec.measure("keygen", "keygen_s", MetricKind::Time, keygen_s, "s")
        .note = format!(
        "secret, public, relinearisation and {} Galois keys (rotations {:?})",
        plan.rotation_steps.len(),
        plan.rotation_steps
    );
    let trainer = Trainer {
        params,
        client: Client::new(params.clone(), &keys),
        server: Evaluator::new(params.clone())
            .with_relin_key(keys.relin.clone())?
            .with_galois_keys(keys.galois.clone())?,
        keys,
        layout,
        hyper: &hyper,
        epochs,
    };
    let packing_note = format!("packing {}", trainer.layout.describe());

    let mut runs = Vec::new();
    for s in 0..settings.seeds.max(1) {
        let seed = spec.seed + s as u64;
        let run = if s == 0 {
            trainer.run_seed(&first, seed)?
        } else {
            trainer.run_seed(&split_of(seed)?, seed)?
        };
        ctx.progress.println(format!(
            "  seed {seed}: encrypted training {:.3} %, float64 mirror {:.3} %, {:.3} s for {epochs} epochs",
            run.accuracy[epochs],
            run.mirror_accuracy[epochs],
            run.train_s()
        ));
        runs.push(run);
    }
    record_accuracy(rec, &runs, &scheme, first.x_test.len(), &packing_note);

    // Times: medians over seeds, or over every epoch of every seed.
    scheme.set(rec);
    let all_epochs: Vec<&EpochRecord> = runs.iter().flat_map(|r| &r.epochs).collect();
    let per_epoch =
        |f: fn(&EpochRecord) -> f64| median(&all_epochs.iter().map(|r| f(r)).collect::<Vec<_>>());
    let heml = TimingRows {
        encrypt_set_s: median(&runs.iter().map(|r| r.encrypt_set_s).collect::<Vec<_>>()),
        epoch_s: per_epoch(|r| r.epoch_s),
        train_s: median(&runs.iter().map(SeedRun::train_s).collect::<Vec<_>>()),
        model_encrypt_s: per_epoch(|r| r.encrypt_model_s),
        model_decrypt_s: per_epoch(|r| r.decrypt_model_s),
    };
    let train_metric = format!("train_{epochs}_epochs_s");
    let train_what = format!(
        "{epochs} epochs including the client's encryption and decryption of the model each epoch"
    );
    heml.record(
        rec,
        (&train_metric, &train_what),
        &format!("heml, {packing_note}"),
        None,
    );
    rec.measure(
        "encrypt",
        "encrypt_training_set_public_key_s",
        MetricKind::Info,
        median(&runs.iter().map(|r| r.encrypt_set_public_s).collect::<Vec<_>>()),
        "s",
    )
    .note = "the same slot vectors encrypted under the public key (as TenSEAL encrypts), for a like-for-like look at encryption".into();
    record_traffic(
        rec,
        all_epochs.first().map_or(0, |r| r.up_bytes),
        all_epochs.first().map_or(0, |r| r.down_bytes),
        epochs,
        runs[0].set_bytes,
        "heml's serialisation (8 bytes per residue; fresh symmetric ciphertexts as a seed and one polynomial; the updated model mod-switched to level 0)",
    );
    record_plan(rec, &trainer.layout, &plan, params, &packing_note);

    // TenSEAL's tutorial on seed 0's split and start, when asked for and present.
    let mut warnings = Vec::new();
    let peer_reason = match (settings.peer_samples, &ctx.peer) {
        (None, _) => Some("not requested in this profile (no peer_samples)".to_string()),
        (Some(_), None) => Some(
            "no peer Python with TenSEAL (set HEML_PEER_PYTHON or run `just peers-venv`)".into(),
        ),
        (Some(peer_epochs), Some(peer)) => {
            let peer_epochs = peer_epochs.min(epochs);
            ctx.progress.println(format!(
                "  TenSEAL: tutorial 1 training on seed {}'s split, {peer_epochs} epoch(s)",
                spec.seed
            ));
            let input = peer_input(
                &first,
                init_linear(features, spec.seed),
                &hyper,
                peer_epochs,
            );
            match peer.cs21("lr-train", &input, &peer_args(params)) {
                Ok(out) => {
                    let c = PeerContext {
                        scheme: &scheme,
                        epochs,
                        peer_epochs,
                        train_metric: &train_metric,
                        heml: &heml,
                        heml_seed0_accuracy: &runs[0].accuracy,
                    };
                    record_peer(rec, &out, &c)?;
                    None
                }
                Err(e) => {
                    warnings.push(format!("the TenSEAL peer failed: {e:#}"));
                    Some(format!("it failed: {e:#}"))
                }
            }
        }
    };
    rec.set_scheme("tenseal", scheme.literal.clone(), scheme.security.clone());
    rec.measure(
        "peer",
        "tenseal_peer_ran",
        MetricKind::Info,
        f64::from(u8::from(peer_reason.is_none())),
        "",
    )
    .note = match &peer_reason {
        None => "TenSEAL's tutorial 1 ran in this run on seed 0's split and initial weights, same parameters, one thread".into(),
        Some(why) => format!("the TenSEAL peer did not run: {why}; the claims it measures show as not measured"),
    };
    scheme.set(rec);
    Ok(super::Outcome {
        security: params.security().to_string(),
        warnings,
    })
}

fn record_plan(
    rec: &mut super::Recorder,
    layout: &Layout,
    plan: &EpochPlan,
    params: &CkksParameters,
    packing_note: &str,
) {
    rec.measure(
        "plan",
        "training_set_ciphertexts",
        MetricKind::Info,
        match *layout {
            Layout::Columns { cts, .. } => (cts + 1) as f64,
            Layout::Rows { rows, .. } => (2 * rows) as f64,
        },
        "",
    )
    .note = packing_note.to_string();
    for (metric, v, note) in [
        (
            "multiplicative_depth",
            plan.multiplicative_depth,
            "products on the longest path of one epoch: z, the cubic (2), the gradient",
        ),
        (
            "levels_used",
            plan.levels_used,
            "levels an epoch takes from a fresh ciphertext to the model sent back at level 0 (the update's constant spans those the products leave)",
        ),
        (
            "ct_mults_per_epoch",
            plan.ct_mults,
            "ciphertext products (with relinearisation) per epoch",
        ),
        ("rotations_per_epoch", plan.rotations, "rotations per epoch"),
        ("rescales_per_epoch", plan.rescales, "rescalings per epoch"),
    ] {
        rec.measure("plan", metric, MetricKind::Info, v as f64, "")
            .note = format!("{note}; from the dry run, {}", params.describe());
    }
}

/// The peer's input: seed 0's split and initial weights, the same update.
fn peer_input(sp: &Split, (w0, b0): (Vec<f64>, f64), hyper: &Hyper, epochs: usize) -> Value {
    json!({
        "x_train": sp.x_train,
        "y_train": sp.y_train,
        "x_test": sp.x_test,
        "y_test": sp.y_test,
        "init_weight": w0,
        "init_bias": b0,
        "epochs": epochs,
        "learning_rate": hyper.learning_rate,
        "regularisation": hyper.regularisation,
        "sigmoid_coeffs": hyper.sigmoid.coeffs,
    })
}

/// heml's parameters, passed to the peer explicitly.
fn peer_args(params: &CkksParameters) -> Vec<String> {
    let lit = params.literal();
    let bits: Vec<String> = lit.coeff_mod_bit_sizes.iter().map(u32::to_string).collect();
    vec![
        "--n".into(),
        lit.poly_modulus_degree.to_string(),
        "--bits".into(),
        bits.join(","),
        "--log2-scale".into(),
        lit.log2_scale.to_string(),
    ]
}

/// The timing rows one side (heml or TenSEAL) records under its scheme.
struct TimingRows {
    encrypt_set_s: f64,
    epoch_s: f64,
    train_s: f64,
    model_encrypt_s: f64,
    model_decrypt_s: f64,
}

impl TimingRows {
    /// Records the rows; `versus` (heml's) adds heml's time and the ratio to
    /// each note.
    fn record(
        &self,
        rec: &mut super::Recorder,
        (train_metric, train_what): (&str, &str),
        how: &str,
        versus: Option<&TimingRows>,
    ) {
        let rows = [
            (
                "encrypt",
                "encrypt_training_set_s",
                self.encrypt_set_s,
                versus.map(|h| h.encrypt_set_s),
                "encoding and encrypting every training row and label".to_string(),
            ),
            (
                "train",
                "epoch_s",
                self.epoch_s,
                versus.map(|h| h.epoch_s),
                "the server's forward, backward and update over all rows, median epoch".into(),
            ),
            (
                "train",
                train_metric,
                self.train_s,
                versus.map(|h| h.train_s),
                train_what.to_string(),
            ),
            (
                "client",
                "model_encrypt_s",
                self.model_encrypt_s,
                versus.map(|h| h.model_encrypt_s),
                "the client encrypts the model, median per epoch".into(),
            ),
            (
                "client",
                "model_decrypt_s",
                self.model_decrypt_s,
                versus.map(|h| h.model_decrypt_s),
                "the client decrypts the model, median per epoch".into(),
            ),
        ];
        for (stage, metric, value, heml, what) in rows {
            let versus = heml.map_or(String::new(), |h| {
                format!(
                    "; heml here: {} (TenSEAL / heml = {:.0}x)",
                    fmt_s(h),
                    value / h
                )
            });
            rec.measure(stage, metric, MetricKind::Time, value, "s")
                .note = format!("{what}; {how}{versus}");
        }
    }
}

fn record_traffic(
    rec: &mut super::Recorder,
    up: usize,
    down: usize,
    epochs: usize,
    set_bytes: usize,
    how: &str,
) {
    rec.measure(
        "traffic",
        "round_trips",
        MetricKind::Info,
        epochs.saturating_sub(1) as f64,
        "",
    )
    .note = format!(
        "decrypt and re-encrypt between epochs ({epochs} model encryptions and decryptions in all)"
    );
    for (metric, value, what) in [
        (
            "round_trip_up_bytes",
            up,
            "client to server per epoch: the encrypted model",
        ),
        (
            "round_trip_down_bytes",
            down,
            "server to client per epoch: the updated model",
        ),
        (
            "training_set_bytes",
            set_bytes,
            "the encrypted training set, sent once",
        ),
    ] {
        rec.measure("traffic", metric, MetricKind::Info, value as f64, "B")
            .note = format!("{what}; {how}");
    }
}

struct PeerContext<'a> {
    scheme: &'a SchemeRow,
    epochs: usize,
    peer_epochs: usize,
    train_metric: &'a str,
    heml: &'a TimingRows,
    heml_seed0_accuracy: &'a [f64],
}

fn number(v: &Value, path: &[&str]) -> Result<f64> {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_f64()
        .with_context(|| format!("the TenSEAL peer's JSON lacks {}", path.join(".")))
}

fn numbers(v: &Value, key: &str) -> Result<Vec<f64>> {
    Ok(v[key]
        .as_array()
        .with_context(|| format!("the TenSEAL peer's JSON lacks {key}"))?
        .iter()
        .filter_map(Value::as_f64)
        .collect())
}

/// TenSEAL's rows (scheme `tenseal`) and the ratios TenSEAL / heml.
fn record_peer(rec: &mut super::Recorder, out: &Value, c: &PeerContext) -> Result<()> {
    let epoch_times = numbers(out, "epoch_times_s")?;
    if epoch_times.is_empty() {
        bail!("the TenSEAL peer ran no epoch");
    }
    let stage = |name: &str, stat: &str| number(out, &["timings_s", name, stat]);
    let complete = c.peer_epochs == c.epochs;
    let ts_epoch = median(&epoch_times);
    let (model_enc, model_dec) = (
        stage("model_encrypt", "median")?,
        stage("model_decrypt", "median")?,
    );
    let ts = TimingRows {
        encrypt_set_s: stage("encrypt_training_set", "median")?,
        epoch_s: ts_epoch,
        train_s: if complete {
            epoch_times.iter().sum::<f64>()
                + (stage("model_encrypt", "mean")? + stage("model_decrypt", "mean")?)
                    * c.epochs as f64
        } else {
            c.epochs as f64 * (ts_epoch + model_enc + model_dec)
        },
        model_encrypt_s: model_enc,
        model_decrypt_s: model_dec,
    };
    let how = format!(
        "TenSEAL {} tutorial 1 (one ciphertext per row and per label), one thread, seed 0's split",
        out["tenseal_version"].as_str().unwrap_or("?"),
    );
    let mut train_what = format!(
        "{} epochs including the client's encryption and decryption of the model each epoch",
        c.epochs
    );
    if !complete {
        train_what += &format!(
            ", estimated as {} x (median epoch + model encryption and decryption) from {} measured epoch(s)",
            c.epochs, c.peer_epochs
        );
    }
    rec.set_scheme(
        "tenseal",
        c.scheme.literal.clone(),
        c.scheme.security.clone(),
    );
    ts.record(rec, (c.train_metric, &train_what), &how, Some(c.heml));
    rec.measure(
        "keygen",
        "keygen_s",
        MetricKind::Time,
        stage("context_keygen", "median")?,
        "s",
    )
    .note = "TenSEAL: the context with relinearisation and Galois keys".into();
    let bytes = &out["bytes_per_round_trip"];
    let set_bytes = number(out, &["training_rows"])?
        * (number(out, &["ciphertext_bytes", "training_row_x"])?
            + number(out, &["ciphertext_bytes", "training_row_y"])?);
    record_traffic(
        rec,
        number(bytes, &["client_to_server"])? as usize,
        number(bytes, &["server_to_client"])? as usize,
        c.epochs,
        set_bytes as usize,
        "TenSEAL's serialize() (SEAL's compressed format)",
    );
    // Accuracy after each epoch (index 0: the initial weights), seed 0.
    let accs: Vec<f64> = numbers(out, "accuracy_per_epoch")?
        .into_iter()
        .map(|a| 100.0 * a)
        .collect();
    for (e, a) in accs.iter().enumerate() {
        rec.series("train", "lr_enctrain_accuracy_epoch", e as i64, *a, "%");
    }
    if let Some(&last) = accs.last() {
        let heml = c
            .heml_seed0_accuracy
            .get(c.peer_epochs)
            .copied()
            .unwrap_or(f64::NAN);
        rec.measure(
            "train",
            "lr_enctrain_accuracy_seed0",
            MetricKind::Quality,
            last,
            "%",
        )
        .note = format!(
            "TenSEAL after {} epoch(s) on seed 0 (heml on the same split and start: {heml:.3} %)",
            c.peer_epochs
        );
    }
    let diffs = numbers(out, "model_max_abs_diff_per_epoch")?;
    let peer_notes: Vec<&str> = out["notes"]
        .as_array()
        .map(|n| n.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let rescale_note = peer_notes
        .iter()
        .find(|n| n.contains("rescale"))
        .map_or(String::new(), |n| format!(" The peer: {n}"));
    rec.measure(
        "precision",
        "model_max_abs_diff",
        MetricKind::Error,
        diffs.iter().copied().fold(0.0, f64::max),
        "",
    )
    .note = format!(
        "TenSEAL's decrypted model against its float64 mirror (same polynomial and update) over {} epoch(s), seed 0.{rescale_note}",
        c.peer_epochs
    );
    // Ratios TenSEAL / heml, with the targets.
    c.scheme.set(rec);
    let train_ratio = format!("speedup_{}", c.train_metric.trim_end_matches("_s"));
    for (metric, peer, heml, target, what) in [
        (
            "speedup_encrypt_training_set",
            ts.encrypt_set_s,
            c.heml.encrypt_set_s,
            Some(20.0),
            "encrypting the training set",
        ),
        (
            train_ratio.as_str(),
            ts.train_s,
            c.heml.train_s,
            Some(50.0),
            "the whole training",
        ),
        (
            "speedup_epoch",
            ts.epoch_s,
            c.heml.epoch_s,
            None,
            "one epoch (server side)",
        ),
    ] {
        let ratio = peer / heml;
        let target_text = match target {
            Some(t) if ratio >= t => format!("; target >= {t}x: met"),
            Some(t) => format!("; target >= {t}x: MISSED"),
            None => String::new(),
        };
        rec.measure("speedup", metric, MetricKind::Info, ratio, "x")
            .note = format!(
            "TenSEAL / heml for {what}: {} / {}{target_text}{}",
            fmt_s(peer),
            fmt_s(heml),
            if complete || target.is_none() || metric.contains("encrypt") {
                ""
            } else {
                " (TenSEAL's time estimated from fewer epochs)"
            }
        );
    }
    Ok(())
}

fn fmt_s(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.2} ms", s * 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::ckks::keycache::{CachedContext, cached_context};
    use crate::he::ckks::{CkksParametersLiteral, SecurityLevel};

    /// The tutorial's chain and scale on a ring small enough for tests
    /// (insecure: tests only).
    fn small() -> CkksParametersLiteral {
        CkksParametersLiteral {
            poly_modulus_degree: 2048,
            coeff_mod_bit_sizes: vec![40, 21, 21, 21, 21, 21, 21, 40],
            log2_scale: 21,
            security: SecurityLevel::Insecure,
        }
    }

    fn hyper() -> Hyper {
        Hyper {
            learning_rate: 1.0,
            regularisation: 0.1,
            sigmoid: Polynomial::power(&[0.5, 0.2, 0.0, -0.005]),
        }
    }

    /// A synthetic separable-ish set: n rows of f features.
    fn synthetic(n: usize, f: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
        let x: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..f)
                    .map(|j| ((i * 7 + j * 13) as f64 * 0.37).sin() * 1.5)
                    .collect()
            })
            .collect();
        let y = x
            .iter()
            .map(|r| f64::from(u8::from(r.iter().sum::<f64>() > 0.0)))
            .collect();
        (x, y)
    }

    fn context(layout: &Layout, h: &Hyper) -> &'static CachedContext {
        let params = small().validate().unwrap();
        let plan = plan_epoch(&params, layout, h).unwrap();
        cached_context(&small(), &RotationSet::steps(&plan.rotation_steps))
    }

    fn client(c: &CachedContext) -> Client {
        Client::new(c.params.clone(), &c.keys)
    }

    /// One encrypted epoch against the float64 epoch, both packings.
    #[test]
    fn an_encrypted_epoch_equals_the_float64_mirror() {
        let h = hyper();
        let (x, y) = synthetic(40, 5);
        let w0 = vec![0.3, -0.2, 0.1, 0.25, -0.35];
        let b0 = 0.05;
        let (ew, eb) = mirror_epoch(&x, &y, &w0, b0, &h);
        for packing in [Packing::Columns, Packing::Rows] {
            let layout = Layout::new(packing, x.len(), 5, 1024).unwrap();
            let c = context(&layout, &h);
            let client = client(c);
            let data = client.encrypt_set(&layout, &x, &y).unwrap();
            let model = client.encrypt_model(&layout, &w0, b0).unwrap();
            let out = server_epoch(&c.evaluator, &layout, &h, &data, &model).unwrap();
            assert!(out.w.iter().all(|w| w.level() == 0) && out.b.level() == 0);
            let (w, b) = client.decrypt_model(&layout, &out);
            let err = w
                .iter()
                .zip(&ew)
                .chain([(&b, &eb)])
                .map(|(a, e)| (a - e).abs())
                .fold(0.0, f64::max);
            // The step moves the weights by ~0.5; the fresh encryption noise
            // at scale 2^21 leaves ~1e-4 (measured 3e-5 to 8e-5).
            let moved = w0
                .iter()
                .zip(&ew)
                .map(|(a, e)| (a - e).abs())
                .fold(0.0, f64::max);
            assert!(
                moved > 0.02,
                "the synthetic step is too small to test: {moved}"
            );
            assert!(
                err < 5e-4,
                "{packing:?}: max error {err} against the mirror"
            );
        }
    }

    #[test]
    fn the_epoch_fits_the_tutorial_chain_and_a_shorter_one_is_refused() {
        let h = hyper();
        let tutorial = CkksParametersLiteral {
            poly_modulus_degree: 8192,
            ..small()
        }
        .validate()
        .unwrap();
        let layout = Layout::new(Packing::Columns, 376, 8, tutorial.slots()).unwrap();
        let plan = plan_epoch(&tutorial, &layout, &h).unwrap();
        assert_eq!((plan.multiplicative_depth, plan.levels_used), (4, 6));
        // Sums across 8 blocks of 512 and within a block of 512.
        let mut steps = plan.rotation_steps.clone();
        steps.sort_unstable();
        assert_eq!(
            steps,
            vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
        );
        let rows = Layout::new(Packing::Rows, 376, 8, tutorial.slots()).unwrap();
        assert_eq!(
            plan_epoch(&tutorial, &rows, &h).unwrap().rotation_steps,
            vec![1, 2, 4]
        );
        let short = CkksParametersLiteral {
            poly_modulus_degree: 8192,
            coeff_mod_bit_sizes: vec![40, 21, 21, 21, 40],
            ..small()
        }
        .validate()
        .unwrap();
        let err = plan_epoch(&short, &layout, &h).unwrap_err();
        assert!(
            matches!(err, circuits::CircuitError::DepthExceeded { .. }),
            "{err}"
        );
    }

    #[test]
    fn packing_puts_each_value_where_the_server_reads_it() {
        let (x, y) = synthetic(5, 3);
        let cols = Layout::new(Packing::Columns, 5, 3, 64).unwrap();
        assert_eq!(
            cols,
            Layout::Columns {
                rows: 5,
                features: 3,
                slots: 64,
                block: 8,
                per_ct: 8,
                cts: 1
            }
        );
        let px = cols.pack_x(&x);
        assert_eq!(px.len(), 1);
        assert_eq!(px[0][2 * 8 + 4], x[4][2]);
        assert_eq!(px[0][2 * 8 + 5], 0.0, "padding rows are zero");
        let py = cols.pack_y(&y);
        assert_eq!(py[0][7 * 8 + 3], y[3], "labels in every block");
        let w = [0.5, -1.0, 2.0];
        let pw = cols.pack_weights(&w);
        assert_eq!(pw[0][8 + 7], -1.0);
        assert_eq!(pw[0][3 * 8], 0.0, "no fourth feature");
        assert_eq!(cols.unpack_weights(&pw), w);
        let pb = cols.pack_bias(0.25);
        assert_eq!((pb[4], pb[5], pb[8]), (0.25, 0.0, 0.0));
        assert_eq!(cols.unpack_bias(&pb), 0.25);
        // More features than blocks: a second ciphertext.
        let wide = Layout::new(Packing::Columns, 5, 10, 64).unwrap();
        assert!(matches!(wide, Layout::Columns { cts: 2, .. }));
        let wv: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(wide.unpack_weights(&wide.pack_weights(&wv)), wv);
        assert!(Layout::new(Packing::Columns, 65, 3, 64).is_err());

        let rows = Layout::new(Packing::Rows, 5, 3, 64).unwrap();
        let px = rows.pack_x(&x);
        assert_eq!(px.len(), 5);
        assert_eq!((px[2][4 + 1], px[2][4 + 3]), (x[2][1], 0.0));
        assert_eq!(rows.pack_y(&y)[3], vec![y[3]; 64]);
        assert_eq!(rows.unpack_weights(&rows.pack_weights(&w)), w);
        let pb = rows.pack_bias(0.25);
        assert_eq!((pb[4], pb[5]), (0.25, 0.0));
    }

    #[test]
    fn round_trips_and_bytes_are_counted_per_epoch() {
        let h = hyper();
        let (x, y) = synthetic(40, 5);
        let layout = Layout::new(Packing::Columns, x.len(), 5, 1024).unwrap();
        let c = context(&layout, &h);
        let client = client(c);
        let data = client.encrypt_set(&layout, &x, &y).unwrap();
        let w0 = vec![0.1; 5];
        let records =
            train_encrypted(&client, &c.evaluator, &layout, &h, &data, (&w0, 0.0), 2).unwrap();
        assert_eq!(records.len(), 2);
        let n = c.params.degree();
        let top = c.params.max_level() + 1;
        // Up: two fresh symmetric ciphertexts (weights, bias), each one
        // polynomial over every prime of the chain and a seed; down: two
        // ciphertexts of two polynomials at level 0.
        let fresh = serialize_ciphertext(
            &c.params,
            &client.encrypt_model(&layout, &w0, 0.0).unwrap().b,
        )
        .len();
        assert!(fresh >= 8 * n * top && fresh < 8 * n * top + 256, "{fresh}");
        for r in &records {
            assert_eq!(r.up_bytes, 2 * fresh);
            assert!(r.down_bytes >= 2 * 2 * 8 * n && r.down_bytes < 2 * (2 * 8 * n + 256));
            assert!(r.epoch_s > 0.0 && r.encrypt_model_s > 0.0);
        }
        // The second epoch starts from the first one's decrypted model.
        let (w1, b1) = mirror_epoch(&x, &y, &records[0].w, records[0].b, &h);
        let err = records[1]
            .w
            .iter()
            .zip(&w1)
            .chain([(&records[1].b, &b1)])
            .map(|(a, e)| (a - e).abs())
            .fold(0.0, f64::max);
        assert!(err < 5e-4, "{err}");
    }
}
