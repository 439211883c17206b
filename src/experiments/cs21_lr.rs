//! Chen & Song 2021, logistic regression on Pima (TenSEAL's tutorial 1):
//! a plaintext model trained with tch (CS21-LR-plain) and the same model
//! evaluated with encrypted weights and bias on encrypted test rows
//! (CS21-LR-enceval), over several seeds.
//!
//! Protocol (the tutorial's, which the paper ran): the classes are balanced
//! by sampling 268 rows of each (seeded), the features standardised over the
//! balanced rows, and the rows split at random into int(0.3 n) = 160 test and
//! 376 training rows. The model is a linear layer with a sigmoid, trained by
//! full-batch SGD (learning rate 1) on the binary cross-entropy for 5
//! epochs; a row is correct when |sigmoid(w.x + b) - y| < 0.5. Encrypted
//! evaluation: the client encrypts [x, 1], the model owner [w, b], and one
//! ciphertext product with a slot sum gives w.x + b (depth 1); the sigmoid is
//! applied after decryption, as in the tutorial.

use std::time::Instant;

use anyhow::{Result, bail};
use tch::{Kind, Tensor};

use crate::data::split::{rng_from_seed, shuffle};
use crate::data::tabular::load_tabular;
use crate::he::ckks::circuits::inner_product;
use crate::he::ckks::{Decryptor, Encryptor, Evaluator, KeySet, RotationSet};
use crate::results::record::MetricKind;

/// Slots the augmented rows [x, 1] take (a power of two).
const ROW_SLOTS: usize = 16;

/// One seeded split of the balanced, standardised Pima rows.
pub(crate) struct Split {
    pub x_train: Vec<Vec<f64>>,
    pub y_train: Vec<f64>,
    pub x_test: Vec<Vec<f64>>,
    pub y_test: Vec<f64>,
}

/// The tutorial's protocol: balance the classes by sampling, standardise
/// over the balanced rows, split 70/30 at random (all seeded by `seed`).
pub(crate) fn split(features: &[f64], labels: &[usize], cols: usize, seed: u64) -> Result<Split> {
    let mut rng = rng_from_seed(seed);
    let mut by_class: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for (i, &l) in labels.iter().enumerate() {
        if l > 1 {
            bail!("Pima labels must be 0 or 1, row {i} has {l}");
        }
        by_class[l].push(i);
    }
    let per_class = by_class[0].len().min(by_class[1].len());
    let mut rows = Vec::with_capacity(2 * per_class);
    for class in &mut by_class {
        shuffle(&mut rng, class);
        rows.extend_from_slice(&class[..per_class]);
    }
    // Standardise each feature over the balanced rows (sample deviation).
    let n = rows.len() as f64;
    let mut mean = vec![0.0; cols];
    let mut sd = vec![0.0; cols];
    for &r in &rows {
        for j in 0..cols {
            mean[j] += features[r * cols + j] / n;
        }
    }
    for &r in &rows {
        for j in 0..cols {
            sd[j] += (features[r * cols + j] - mean[j]).powi(2) / (n - 1.0);
        }
    }
    shuffle(&mut rng, &mut rows);
    let n_test = (rows.len() as f64 * 0.3) as usize;
    let row = |r: usize| -> Vec<f64> {
        (0..cols)
            .map(|j| {
                let s = sd[j].sqrt();
                if s > 0.0 {
                    (features[r * cols + j] - mean[j]) / s
                } else {
                    0.0
                }
            })
            .collect()
    };
    let (test, train) = rows.split_at(n_test);
    Ok(Split {
        x_train: train.iter().map(|&r| row(r)).collect(),
        y_train: train.iter().map(|&r| labels[r] as f64).collect(),
        x_test: test.iter().map(|&r| row(r)).collect(),
        y_test: test.iter().map(|&r| labels[r] as f64).collect(),
    })
}

/// torch.nn.Linear's initialisation of a [cols, 1] weight and a bias:
/// U(-1/sqrt(cols), 1/sqrt(cols)), drawn from tch's generator seeded with `seed`.
fn init_linear_tensors(cols: usize, seed: u64) -> (Tensor, Tensor) {
    tch::manual_seed(seed as i64);
    let bound = 1.0 / (cols as f64).sqrt();
    let w =
        Tensor::rand([cols as i64, 1], (Kind::Double, tch::Device::Cpu)) * (2.0 * bound) - bound;
    let b = Tensor::rand([1], (Kind::Double, tch::Device::Cpu)) * (2.0 * bound) - bound;
    (w, b)
}

/// The initial (weights, bias) the tutorial's LR starts from for `seed`.
pub(crate) fn init_linear(cols: usize, seed: u64) -> (Vec<f64>, f64) {
    let (w, b) = init_linear_tensors(cols, seed);
    let wv = Vec::<f64>::try_from(&w.flatten(0, -1)).expect("doubles");
    (wv, b.double_value(&[0]))
}

/// Trains the tutorial's LR: returns (weights, bias).
fn train_lr(s: &Split, epochs: usize, learning_rate: f64, seed: u64) -> (Vec<f64>, f64) {
    let cols = s.x_train[0].len();
    let flat: Vec<f64> = s.x_train.iter().flatten().copied().collect();
    let x = Tensor::from_slice(&flat).reshape([s.x_train.len() as i64, cols as i64]);
    let y = Tensor::from_slice(&s.y_train).reshape([-1, 1]);
    let (w, b) = init_linear_tensors(cols, seed);
    let mut w = w.set_requires_grad(true);
    let mut b = b.set_requires_grad(true);
    for _ in 0..epochs {
        let out = (x.matmul(&w) + &b).sigmoid();
        let loss = out.binary_cross_entropy::<Tensor>(&y, None, tch::Reduction::Mean);
        loss.backward();
        tch::no_grad(|| {
            let _ = w
                .f_sub_(&(w.grad() * learning_rate))
                .expect("in-place step");
            let _ = b
                .f_sub_(&(b.grad() * learning_rate))
                .expect("in-place step");
            let _ = w.grad().zero_();
            let _ = b.grad().zero_();
        });
    }
    let wv = Vec::<f64>::try_from(&w.detach().flatten(0, -1)).expect("doubles");
    let bv = b.detach().double_value(&[0]);
    (wv, bv)
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Percentage of rows with |sigmoid(logit) - y| < 0.5 (the tutorial's test).
pub(crate) fn accuracy(logits: &[f64], y: &[f64]) -> f64 {
    let correct = logits
        .iter()
        .zip(y)
        .filter(|(z, t)| (sigmoid(**z) - **t).abs() < 0.5)
        .count();
    100.0 * correct as f64 / y.len() as f64
}

/// One value per seed as `<metric>_per_seed` rows (step = seed index, the
/// distribution a quantile tolerance judges), then the median as `<metric>`
/// with `<metric>_min` and `<metric>_max` beside it.
pub(crate) fn summary(
    rec: &mut super::Recorder,
    stage: &str,
    metric: &str,
    mut v: Vec<f64>,
    note: &str,
) {
    for (i, value) in v.iter().enumerate() {
        rec.series(stage, &format!("{metric}_per_seed"), i as i64, *value, "%");
    }
    v.sort_by(f64::total_cmp);
    let median = v[v.len() / 2];
    rec.measure(stage, metric, MetricKind::Quality, median, "%")
        .note = format!(
        "{note}; median over {} seeds (min {:.3}, max {:.3})",
        v.len(),
        v[0],
        v[v.len() - 1]
    );
    rec.measure(stage, &format!("{metric}_min"), MetricKind::Info, v[0], "%");
    rec.measure(
        stage,
        &format!("{metric}_max"),
        MetricKind::Info,
        v[v.len() - 1],
        "%",
    );
}

pub fn run(
    spec: &crate::spec::Spec,
    ctx: &super::Context,
    rec: &mut super::Recorder,
) -> Result<super::Outcome> {
    let settings = spec.settings(ctx.profile);
    let params = super::ckks_params(spec, settings)?;
    let Some(baseline) = &spec.baseline else {
        bail!("kind cs21-lr needs a `baseline` (the logistic regression's training)");
    };
    let dataset = spec
        .dataset
        .as_ref()
        .map_or("pima-diabetes", |d| d.name.as_str());
    let table = load_tabular(ctx.data, dataset)?;
    let epochs = settings.epochs.unwrap_or(baseline.epochs);
    let seeds = settings.seeds.max(1);
    tch::set_num_threads(1);
    let t = Instant::now();
    let keys = KeySet::generate(params, &RotationSet::steps(&[1, 2, 4, 8]));
    let keygen_s = t.elapsed().as_secs_f64();
    let enc = Encryptor::with_public_key(params.clone(), keys.public.clone());
    let dec = Decryptor::new(params.clone(), keys.secret.clone());
    let ev = Evaluator::new(params.clone())
        .with_relin_key(keys.relin.clone())?
        .with_galois_keys(keys.galois.clone())?;
    rec.set_scheme(
        "ckks",
        serde_json::to_string(params.literal())?,
        params.security().to_string(),
    );
    rec.measure(
        "keygen",
        "keygen_ms",
        MetricKind::Info,
        keygen_s * 1e3,
        "ms",
    );
    let (mut plain_acc, mut enc_acc, mut agree) = (Vec::new(), Vec::new(), Vec::new());
    let (mut t_enc, mut t_eval, mut t_dec, mut rows_done) = (0.0, 0.0, 0.0, 0usize);
    let mut expected_all = Vec::new();
    let mut got_all = Vec::new();
    let mut seed0 = None;
    for s in 0..seeds {
        let seed = spec.seed + s as u64;
        let sp = split(&table.features, &table.labels, table.n_features, seed)?;
        let (w, b) = train_lr(&sp, epochs, baseline.learning_rate, seed);
        let plain_logits: Vec<f64> = sp
            .x_test
            .iter()
            .map(|x| x.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>() + b)
            .collect();
        plain_acc.push(accuracy(&plain_logits, &sp.y_test));
        // The model owner encrypts [w, b]; the client each [x, 1].
        let mut wb = w.clone();
        wb.push(b);
        let enc_model = enc.encrypt_real(&wb)?;
        let mut logits = Vec::with_capacity(sp.x_test.len());
        for x in &sp.x_test {
            let mut row = x.clone();
            row.push(1.0);
            let t0 = Instant::now();
            let cx = enc.encrypt_real(&row)?;
            let t1 = Instant::now();
            let out = inner_product(&ev, &cx, &enc_model, ROW_SLOTS)?;
            let t2 = Instant::now();
            let z = dec.decrypt_real(&out)[0];
            t_enc += (t1 - t0).as_secs_f64();
            t_eval += (t2 - t1).as_secs_f64();
            t_dec += t2.elapsed().as_secs_f64();
            rows_done += 1;
            logits.push(z);
        }
        enc_acc.push(accuracy(&logits, &sp.y_test));
        let same = logits
            .iter()
            .zip(&plain_logits)
            .filter(|(a, p)| (sigmoid(**a) >= 0.5) == (sigmoid(**p) >= 0.5))
            .count();
        agree.push(100.0 * same as f64 / logits.len() as f64);
        expected_all.extend(plain_logits);
        got_all.extend(logits.iter().copied());
        if s == 0 {
            seed0 = Some((sp, w, b, logits));
        }
        ctx.progress.println(format!(
            "  seed {seed}: plain {:.3} %, encrypted {:.3} %",
            plain_acc[s], enc_acc[s]
        ));
    }
    rec.set_scheme("plaintext", "{}".into(), "n/a".into());
    summary(
        rec,
        "plain",
        "lr_plain_accuracy",
        plain_acc,
        "test accuracy of the tch model (160 rows)",
    );
    rec.set_scheme(
        "ckks",
        serde_json::to_string(params.literal())?,
        params.security().to_string(),
    );
    summary(
        rec,
        "encrypted",
        "lr_enceval_accuracy",
        enc_acc,
        "accuracy of the decrypted outputs: encrypted weights and bias on encrypted rows",
    );
    summary(
        rec,
        "encrypted",
        "lr_enceval_agreement",
        agree,
        "rows whose encrypted prediction equals the plaintext model's",
    );
    rec.precision(
        "encrypted",
        "logit_max_log2_error",
        &expected_all,
        &got_all,
        "decrypted w.x + b against f64 over every row and seed",
    );
    let per = |t: f64| t / rows_done.max(1) as f64 * 1e3;
    rec.measure(
        "encrypted",
        "encrypt_row_ms",
        MetricKind::Time,
        per(t_enc),
        "ms",
    );
    rec.measure(
        "encrypted",
        "eval_row_ms",
        MetricKind::Time,
        per(t_eval),
        "ms",
    )
    .note = "one ciphertext product, relinearisation, rescale and log2(16) rotate-and-adds".into();
    rec.measure(
        "encrypted",
        "decrypt_row_ms",
        MetricKind::Time,
        per(t_dec),
        "ms",
    );

    // TenSEAL's evaluation of seed 0's model on its first test rows, at
    // heml's parameters, when asked for and present.
    let mut warnings = Vec::new();
    let heml_ms = [per(t_enc), per(t_eval), per(t_dec)];
    let why_not = match (settings.peer_samples, &ctx.peer, &seed0) {
        (None, ..) => Some("not requested in this profile (no peer_samples)".to_string()),
        (Some(_), None, _) => Some(
            "no peer Python with TenSEAL (set HEML_PEER_PYTHON or run `just peers-venv`)".into(),
        ),
        (Some(rows), Some(peer), Some((sp, w, b, logits))) => {
            let rows = rows.min(sp.x_test.len());
            ctx.progress.println(format!(
                "  TenSEAL: tutorial 1 evaluation of seed {}'s model on {rows} encrypted rows",
                spec.seed
            ));
            let input = serde_json::json!({
                "weight": w,
                "bias": b,
                "x_test": sp.x_test,
                "y_test": sp.y_test,
            });
            let lit = params.literal();
            let bits: Vec<String> = lit.coeff_mod_bit_sizes.iter().map(u32::to_string).collect();
            let args = [
                "--samples".to_string(),
                rows.to_string(),
                "--n".into(),
                lit.poly_modulus_degree.to_string(),
                "--bits".into(),
                bits.join(","),
                "--log2-scale".into(),
                lit.log2_scale.to_string(),
            ];
            match peer.cs21("lr-eval", &input, &args) {
                Ok(out) => {
                    let heml_accuracy = accuracy(&logits[..rows], &sp.y_test[..rows]);
                    let literal = serde_json::to_string(params.literal())?;
                    let security = params.security().to_string();
                    rec.set_scheme("tenseal", literal.clone(), security.clone());
                    record_peer_eval(
                        rec,
                        &out,
                        heml_ms,
                        heml_accuracy,
                        rows,
                        (&literal, &security),
                    )?;
                    None
                }
                Err(e) => {
                    warnings.push(format!("the TenSEAL peer failed: {e:#}"));
                    Some(format!("it failed: {e:#}"))
                }
            }
        }
        (Some(_), Some(_), None) => Some("no seed ran".into()),
    };
    rec.set_scheme(
        "tenseal",
        serde_json::to_string(params.literal())?,
        params.security().to_string(),
    );
    rec.measure(
        "peer",
        "tenseal_peer_ran",
        MetricKind::Info,
        f64::from(u8::from(why_not.is_none())),
        "",
    )
    .note = match &why_not {
        None => "TenSEAL's tutorial 1 evaluation ran in this run on seed 0's model and test rows, heml's parameters, one thread".into(),
        Some(why) => format!("the TenSEAL peer did not run: {why}"),
    };
    Ok(super::Outcome {
        security: params.security().to_string(),
        warnings,
    })
}

/// TenSEAL's per-row times and accuracy (scheme `tenseal`), and the ratios
/// TenSEAL / heml (scheme `ckks`).
fn record_peer_eval(
    rec: &mut super::Recorder,
    out: &serde_json::Value,
    heml_ms: [f64; 3],
    heml_accuracy: f64,
    rows: usize,
    heml_scheme: (&str, &str),
) -> Result<()> {
    let stage = |name: &str| -> Result<f64> {
        out["timings_s"][name]["median"]
            .as_f64()
            .map(|s| s * 1e3)
            .ok_or_else(|| anyhow::anyhow!("the TenSEAL peer's JSON lacks timings_s.{name}.median"))
    };
    let version = out["tenseal_version"].as_str().unwrap_or("?");
    let mut ratios = Vec::new();
    for ((metric, peer_stage, what), heml) in [
        ("encrypt_row_ms", "encrypt", "encrypting one test row"),
        ("eval_row_ms", "eval", "enc_x.dot(enc_w) + enc_b on one row"),
        ("decrypt_row_ms", "decrypt", "decrypting one output"),
    ]
    .into_iter()
    .zip(heml_ms)
    {
        let peer = stage(peer_stage)?;
        rec.measure("encrypted", metric, MetricKind::Time, peer, "ms")
            .note = format!(
            "TenSEAL {version}: {what}, median over {rows} rows of seed 0, one thread; heml here: {heml:.3} ms (TenSEAL / heml = {:.1}x)",
            peer / heml
        );
        ratios.push((metric.trim_end_matches("_ms"), peer / heml, peer, heml));
    }
    if let Some(a) = out["accuracy"].as_f64() {
        rec.measure(
            "encrypted",
            "lr_enceval_accuracy_seed0",
            MetricKind::Quality,
            100.0 * a,
            "%",
        )
        .note = format!(
            "TenSEAL on the first {rows} test rows of seed 0 (heml on the same rows: {heml_accuracy:.3} %)"
        );
    }
    if let Some(d) = out["outputs_max_abs_diff"].as_f64() {
        rec.measure("encrypted", "logit_max_abs_error", MetricKind::Error, d, "")
            .note = "TenSEAL's decrypted w.x + b against float64".into();
    }
    rec.set_scheme("ckks", heml_scheme.0.to_string(), heml_scheme.1.to_string());
    for (name, ratio, peer, heml) in ratios {
        rec.measure(
            "speedup",
            &format!("speedup_{name}"),
            MetricKind::Info,
            ratio,
            "x",
        )
        .note = format!("TenSEAL / heml: {peer:.3} ms / {heml:.3} ms per row");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tutorial_split_balances_and_holds_out_160_rows() {
        // 500 negatives and 268 positives, as Pima.
        let labels: Vec<usize> = (0..768).map(|i| usize::from(i % 768 < 268)).collect();
        let features: Vec<f64> = (0..768 * 8)
            .map(|i| (i as f64 * 0.37).sin() * 10.0)
            .collect();
        let s = split(&features, &labels, 8, 73).unwrap();
        assert_eq!(s.x_test.len(), 160);
        assert_eq!(s.x_train.len(), 376);
        let positives = s
            .y_train
            .iter()
            .chain(&s.y_test)
            .filter(|&&y| y == 1.0)
            .count();
        assert_eq!(positives, 268);
        let (w, b) = train_lr(&s, 5, 1.0, 1);
        assert_eq!(w.len(), 8);
        assert!(b.is_finite() && w.iter().all(|v| v.is_finite()));
    }
}
