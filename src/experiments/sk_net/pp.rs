//! The privacy-preserving (PP) network: Trask's `SentimentNetwork` with encrypted weights
//! ("Building Safe A.I.", 2017, part 9), on plaintext data.
//!
//! # What Trask's notebook computes
//!
//! Weights: `weights_0_1` (one encrypted row of 8 values per vocabulary word, all zero at
//! first) and `weights_1_2` (one encrypted vector of 8 values, normal with standard
//! deviation 1), scaled by 1000. Per review, with `R` its set of vocabulary indices:
//!
//! 1. hidden layer `h = (Σ_{i∈R} W01[i]) / |R|` — the *mean* of the rows (the plaintext
//!    network uses the sum), a ciphertext divided by a plaintext integer;
//! 2. `a = h · W12` by an encrypted inner product, then `/1000`;
//! 3. the "sigmoid" of every slot `z` of the 8-slot vector holding `a` in slot 1 and 0
//!    elsewhere: the powers `z, z², z³, z⁵, z⁷` by inner products (each `/1000`), placed in
//!    a vector `(1, z, z², z³, z⁵, z⁷)` and multiplied by the encrypted coefficients
//!    `(1/2, 1/4, −1/48, 1/480, −17/80640)`. The coefficients belong to `1, z, z³, z⁵, z⁷`
//!    but meet `1, z, z², z³, z⁵`, so the polynomial evaluated is
//!    `p(z) = 1/2 + z/4 − z²/48 + z³/480 − 17 z⁵/80640`;
//! 4. the output is the first two entries of the encrypted result vector
//!    `(p(0), p(a), p(0), …)`, reinterpreted as a one-slot ciphertext under another key.
//!    Its decryption is `p(0) + t₀ p(a) = 1/2 + t₀ p(a)`, where `t₀ ∈ [0, 1)` is the
//!    secret key entry, and its slot is `p(0) = 1/2`;
//! 5. the output error is that slot minus the label: `δ = 1/2 − y`, whatever the
//!    prediction. Backpropagation: `δ₁ = δ W12`, `W12 −= lr δ h`, `W01[i] −= lr δ₁`
//!    (`W12` of before the step; no sigmoid derivative);
//! 6. the prediction `1/2 + t₀ p(a)` is decrypted after every review and counted correct if
//!    it is at least the running mean of all predictions so far (a sum started at 1/2 and
//!    divided by `i + 2`) for a positive review, below it for a negative one. Since
//!    `t₀ > 0` cancels from that comparison, it is evaluated here with `t₀ = 1`.
//!
//! [`PpVariant::Trask`] reproduces this. Because `δ` never depends on the prediction, the
//! weights evolve as a fixed linear function of the initial `W12`: every row of `W01` and
//! `W12` itself stay multiples of the initial `W12`.
//!
//! [`PpVariant::Corrected`] keeps Trask's structure (mean hidden layer, no sigmoid
//! derivative) but uses the actual prediction: `δ = p(a) − y` with
//! `p(z) = 1/2 + z/4 − z³/48 + z⁵/480 − 17 z⁷/80640`, counted correct if `|p(a) − y| < 0.5`.
//!
//! Only the two slots that matter are computed (positions 0 and 1 of Trask's 8-slot loop;
//! the other six repeat position 0). Each division by 1000 or `|R|`, and each multiplication
//! by the learning rate, is a fixed-point rescale (see `arith`).

use std::time::Instant;

use super::arith::{Arith, EncArith, FixedArith, FloatArith, Ratio};
use super::config::{NetConfig, PpArithmetic, PpConfig, PpVariant};
use super::error::{Result, SkNetError};
use super::plain::{ratio, record};
use super::result::TrainResult;
use super::vocab::PreparedData;

/// Taylor coefficients of the sigmoid at 0 for `1, z, z³, z⁵, z⁷` (Trask's `H_sigmoid`).
pub const SIGMOID_TAYLOR: [f64; 5] = [0.5, 0.25, -1.0 / 48.0, 1.0 / 480.0, -17.0 / 80640.0];

/// The polynomial Trask's code evaluates (coefficients on `1, z, z², z³, z⁵`).
pub fn trask_polynomial(z: f64) -> f64 {
    let c = SIGMOID_TAYLOR;
    c[0] + c[1] * z + c[2] * z * z + c[3] * z.powi(3) + c[4] * z.powi(5)
}

/// The sigmoid's Taylor polynomial of degree 7.
pub fn taylor_sigmoid(z: f64) -> f64 {
    let c = SIGMOID_TAYLOR;
    c[0] + c[1] * z + c[2] * z.powi(3) + c[3] * z.powi(5) + c[4] * z.powi(7)
}

/// One online pass of the PP network over `data` with the chosen arithmetic.
pub fn train_pp(
    data: &PreparedData,
    net: &NetConfig,
    pp: &PpConfig,
    arithmetic: PpArithmetic,
    progress: Option<&mut dyn FnMut(usize)>,
) -> Result<TrainResult> {
    net.check()?;
    pp.check()?;
    match arithmetic {
        PpArithmetic::Float => run(&mut FloatArith, data, net, pp.variant, progress),
        PpArithmetic::FixedPoint => run(
            &mut FixedArith {
                scale: pp.scale as i128,
            },
            data,
            net,
            pp.variant,
            progress,
        ),
        PpArithmetic::Encrypted => {
            let params = pp.params.check().map_err(|e| engine(0, e))?;
            let mut arith = EncArith::new(params, pp.scale as i128, pp.key_seed);
            run(&mut arith, data, net, pp.variant, progress)
        }
    }
}

/// [`train_pp`] with encrypted weights.
pub fn train_encrypted(
    data: &PreparedData,
    net: &NetConfig,
    pp: &PpConfig,
    progress: Option<&mut dyn FnMut(usize)>,
) -> Result<TrainResult> {
    train_pp(data, net, pp, PpArithmetic::Encrypted, progress)
}

fn engine(review: usize, source: crate::he::intvec::IntVecError) -> SkNetError {
    SkNetError::Engine { review, source }
}

fn run<A: Arith>(
    arith: &mut A,
    data: &PreparedData,
    net: &NetConfig,
    variant: PpVariant,
    mut progress: Option<&mut dyn FnMut(usize)>,
) -> Result<TrainResult> {
    let hidden = net.hidden;
    let lr = Ratio::from_f64(net.learning_rate);
    let setup = Instant::now();
    let e0 = |e| engine(0, e);
    // Key holder: the encrypted model and the encrypted constants.
    let mut w12 = arith.input(&net.initial_weights_1_2()).map_err(e0)?;
    let zero_row = vec![0.0; hidden];
    let mut w01 = (0..data.words.len())
        .map(|_| arith.input(&zero_row))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(e0)?;
    let coeffs: Vec<f64> = match variant {
        // One more slot than coefficients, as in Trask's (1, z, z², z³, z⁵, z⁷).
        PpVariant::Trask => SIGMOID_TAYLOR.iter().copied().chain([0.0]).collect(),
        PpVariant::Corrected => SIGMOID_TAYLOR.to_vec(),
    };
    let h_sigmoid = arith.input(&coeffs).map_err(e0)?;
    let one = arith.input(&[1.0]).map_err(e0)?;
    let zero = arith.input(&[0.0]).map_err(e0)?;
    let setup_s = setup.elapsed().as_secs_f64();

    let mut correct = 0usize;
    let mut curve = Vec::new();
    let mut outputs = Vec::with_capacity(data.len());
    let mut max_abs_logit = 0.0f64;
    let mut total_pred = 0.5f64;
    let start = Instant::now();
    for (i, (review, &label)) in data.reviews.iter().zip(&data.labels).enumerate() {
        let y = if label { 1.0 } else { 0.0 };
        let step = |arith: &mut A, w12: &mut A::V, w01: &mut Vec<A::V>| {
            // 1. mean of the rows (an empty review keeps the zero vector: Trask divides by 0).
            let mut sum = arith.zeros(hidden)?;
            for &r in review {
                arith.add_assign(&mut sum, &w01[r as usize])?;
            }
            let h = if review.is_empty() {
                sum
            } else {
                arith.scale(&sum, Ratio::new(1, review.len() as i128))?
            };
            // 2. the logit.
            let a = arith.dot(&h, w12, Ratio::ONE)?;
            // 3. the powers and the polynomial.
            let a2 = arith.dot(&a, &a, Ratio::ONE)?;
            let a3 = arith.dot(&a, &a2, Ratio::ONE)?;
            let a5 = arith.dot(&a3, &a2, Ratio::ONE)?;
            let a7 = arith.dot(&a5, &a2, Ratio::ONE)?;
            let xs = match variant {
                PpVariant::Trask => arith.pack(&[one.clone(), a.clone(), a2, a3, a5, a7])?,
                PpVariant::Corrected => arith.pack(&[one.clone(), a.clone(), a3, a5, a7])?,
            };
            let p = arith.dot(&h_sigmoid, &xs, Ratio::ONE)?;
            // 4.–5. the output error.
            let delta = match variant {
                PpVariant::Trask => {
                    // The slot Trask's code takes as the output: the polynomial at 0.
                    let z = zero.clone();
                    let x0 = arith.pack(&[
                        one.clone(),
                        z.clone(),
                        z.clone(),
                        z.clone(),
                        z.clone(),
                        z,
                    ])?;
                    let p0 = arith.dot(&h_sigmoid, &x0, Ratio::ONE)?;
                    arith.add_const(&p0, -y)?
                }
                PpVariant::Corrected => arith.add_const(&p, -y)?,
            };
            // Backpropagation with the weights of before the step.
            let d1 = arith.scalar_times(&delta, w12, Ratio::ONE)?;
            let dw12 = arith.scalar_times(&delta, &h, lr)?;
            arith.sub_assign(w12, &dw12)?;
            let dw01 = arith.scale(&d1, lr)?;
            for &r in review {
                arith.sub_assign(&mut w01[r as usize], &dw01)?;
            }
            // 6. decrypted after every review, as in the notebook.
            let pv = arith.reveal(&p)?[0];
            let av = arith.reveal(&a)?[0];
            Ok::<_, crate::he::intvec::IntVecError>((pv, av))
        };
        let (pv, av) = step(arith, &mut w12, &mut w01).map_err(|e| engine(i, e))?;
        max_abs_logit = max_abs_logit.max(av.abs());
        outputs.push(pv);
        let ok = match variant {
            PpVariant::Trask => {
                let pred = 0.5 + pv;
                total_pred += pred;
                let mean = total_pred / (i + 2) as f64;
                (label && pred >= mean) || (!label && pred < mean)
            }
            PpVariant::Corrected => (pv - y).abs() < 0.5,
        };
        correct += usize::from(ok);
        record(&mut curve, i + 1, correct, net.sample_every, data.len());
        if let Some(p) = progress.as_mut() {
            p(i + 1);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    Ok(TrainResult {
        mode: arith.name().to_string(),
        variant: match variant {
            PpVariant::Trask => "trask",
            PpVariant::Corrected => "corrected",
        }
        .to_string(),
        reviews: data.len(),
        correct,
        accuracy: ratio(correct, data.len()),
        curve,
        setup_s,
        elapsed_s: elapsed,
        reviews_per_s: data.len() as f64 / elapsed.max(1e-12),
        ops: arith.op_stats(),
        outputs,
        max_abs_logit,
        vocab_size: data.words.len(),
    })
}
