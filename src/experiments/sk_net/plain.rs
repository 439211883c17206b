//! The plaintext network (Non PP): Udacity's `SentimentNetwork` (project 6 solution) that
//! Trask's encrypted version starts from.
//!
//! Per review, with `R` the set of vocabulary indices it contains:
//! `h = Σ_{i∈R} W01[i]` (8 linear units), `o = σ(h · W12)`, error `o − y`,
//! `δ₂ = (o − y) o (1 − o)`, `δ₁ = δ₂ W12`, then `W12 −= lr δ₂ h` and `W01[i] −= lr δ₁` for
//! `i ∈ R` (with the `W12` of before the step). The review counts as correct while training
//! if `o ≥ 0.5` for a positive review or `o < 0.5` for a negative one (the project 6
//! solution; earlier versions test `|o − y| < 0.5`, which differs only at `o = 0.5`, e.g.
//! the first review, counted correct here because it is positive).

use std::time::Instant;

use super::config::NetConfig;
use super::error::Result;
use super::result::{CurvePoint, TrainResult};
use super::vocab::PreparedData;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// One online pass of the plaintext network over `data`.
pub fn train_plain(
    data: &PreparedData,
    net: &NetConfig,
    mut progress: Option<&mut dyn FnMut(usize)>,
) -> Result<TrainResult> {
    net.check()?;
    let hidden = net.hidden;
    let lr = net.learning_rate;
    let mut w01 = vec![0.0f64; data.words.len() * hidden];
    let mut w12 = net.initial_weights_1_2();
    let mut h = vec![0.0f64; hidden];
    let mut d1 = vec![0.0f64; hidden];
    let mut correct = 0usize;
    let mut curve = Vec::new();
    let mut outputs = Vec::with_capacity(data.len());
    let mut max_abs_logit = 0.0f64;
    let start = Instant::now();
    for (i, (review, &label)) in data.reviews.iter().zip(&data.labels).enumerate() {
        h.iter_mut().for_each(|v| *v = 0.0);
        for &r in review {
            let row = &w01[r as usize * hidden..][..hidden];
            h.iter_mut().zip(row).for_each(|(a, b)| *a += b);
        }
        let logit: f64 = h.iter().zip(&w12).map(|(a, b)| a * b).sum();
        max_abs_logit = max_abs_logit.max(logit.abs());
        let out = sigmoid(logit);
        outputs.push(out);
        let y = if label { 1.0 } else { 0.0 };
        let err = out - y;
        let d2 = err * out * (1.0 - out);
        d1.iter_mut().zip(&w12).for_each(|(d, w)| *d = d2 * w);
        w12.iter_mut().zip(&h).for_each(|(w, a)| *w -= a * d2 * lr);
        for &r in review {
            let row = &mut w01[r as usize * hidden..][..hidden];
            row.iter_mut().zip(&d1).for_each(|(w, d)| *w -= d * lr);
        }
        if (label && out >= 0.5) || (!label && out < 0.5) {
            correct += 1;
        }
        record(&mut curve, i + 1, correct, net.sample_every, data.len());
        if let Some(p) = progress.as_mut() {
            p(i + 1);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    Ok(TrainResult {
        mode: "plain".to_string(),
        variant: String::new(),
        reviews: data.len(),
        correct,
        accuracy: ratio(correct, data.len()),
        curve,
        setup_s: 0.0,
        elapsed_s: elapsed,
        reviews_per_s: data.len() as f64 / elapsed.max(1e-12),
        ops: Vec::new(),
        outputs,
        max_abs_logit,
        vocab_size: data.words.len(),
    })
}

pub(crate) fn ratio(correct: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        correct as f64 / total as f64
    }
}

pub(crate) fn record(
    curve: &mut Vec<CurvePoint>,
    seen: usize,
    correct: usize,
    every: usize,
    total: usize,
) {
    if seen.is_multiple_of(every) || seen == total {
        curve.push(CurvePoint {
            reviews: seen,
            correct,
            accuracy: ratio(correct, seen),
        });
    }
}
