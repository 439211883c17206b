//! Muhammad et al. 2018: an MLP with identity activations trained on MNIST,
//! collapsed to one 10x784 affine layer, applied to Paillier-encrypted images.

use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use rayon::prelude::*;
use tch::Kind;

use super::{Context, Outcome, Recorder};
use crate::plain::linear::argmax;
use crate::plain::{DenseLayer, TrainConfig, collapse_affine, train};
use crate::results::MetricKind;
use crate::spec::{Scheme, Spec};

pub fn run(spec: &Spec, ctx: &Context, rec: &mut Recorder) -> Result<Outcome> {
    let settings = spec.settings(ctx.profile).clone();
    let baseline = spec
        .baseline
        .clone()
        .context("this experiment needs a `baseline` section")?;
    let scheme = spec.scheme_for(ctx.profile).clone();
    let (mnist, t, unit) = super::MnistTensors::load(spec, ctx, &settings)?;
    let (n_train, n_test) = (t.n_train, t.n_test);
    let (x_train, y_train, x_test, y_test) = (&t.x_train, &t.y_train, &t.x_test, &t.y_test);

    // 1. The plaintext network (MU18-train, MU18-fig3).
    let epochs = settings.epochs.unwrap_or(baseline.epochs);
    rec.set_scheme(
        "plaintext",
        serde_json::json!({
            "layers": baseline.layers, "activation": format!("{:?}", baseline.activation).to_lowercase(),
            "optimizer": format!("{:?}", baseline.optimizer).to_lowercase(), "learning_rate": baseline.learning_rate,
            "batch_size": baseline.batch_size, "epochs": epochs, "train_rows": n_train, "test_rows": n_test,
        })
        .to_string(),
        "n/a".into(),
    );
    let cfg = TrainConfig {
        baseline: baseline.clone(),
        epochs,
        seed: spec.seed,
        threads: 1,
    };
    let trained = train(&cfg, x_train, y_train, x_test, y_test, ctx.progress)?;
    for e in &trained.epochs {
        rec.series(
            "train",
            "train_accuracy",
            e.epoch as i64,
            e.train_accuracy,
            "%",
        );
        rec.series(
            "train",
            "test_accuracy",
            e.epoch as i64,
            e.test_accuracy,
            "%",
        );
    }
    rec.measure(
        "train",
        "test_accuracy",
        MetricKind::Quality,
        trained.kept_test_accuracy,
        "%",
    )
    .note = format!(
        "epoch {} of {} kept ({:?})",
        trained.kept_epoch, epochs, baseline.keep
    );
    rec.measure(
        "train",
        "kept_epoch",
        MetricKind::Info,
        trained.kept_epoch as f64,
        "epoch",
    );
    rec.measure(
        "train",
        "train_seconds_per_epoch",
        MetricKind::Time,
        trained.elapsed_s / epochs as f64,
        "s",
    )
    .note = format!("libtorch with {} threads", trained.threads);

    // 2. The collapse (MU18-collapse): softmax dropped, W' = W4 W3 W2.
    let collapsed = collapse_affine(&trained.layers);
    let classes = collapsed.out_dim;
    let test_x: Vec<f64> = Vec::<f32>::try_from(&x_test.to_kind(Kind::Float).flatten(0, -1))?
        .into_iter()
        .map(f64::from)
        .collect();
    let mut disagreements = 0usize;
    let mut max_diff = 0.0f64;
    let mut plain_pred = Vec::with_capacity(n_test);
    for i in 0..n_test {
        let logits = collapsed.apply(&test_x[i * 784..(i + 1) * 784]);
        let net: Vec<f64> = trained.test_logits[i * classes..(i + 1) * classes]
            .iter()
            .map(|&v| v as f64)
            .collect();
        for (a, b) in logits.iter().zip(&net) {
            max_diff = max_diff.max((a - b).abs());
        }
        if argmax(&logits) != argmax(&net) {
            disagreements += 1;
        }
        plain_pred.push(argmax(&logits));
    }
    let labels = &mnist.test.labels[..n_test];
    let collapsed_acc = accuracy(&plain_pred, labels);
    rec.measure(
        "collapse",
        "collapse_disagreements",
        MetricKind::Error,
        disagreements as f64,
        "images",
    )
    .note = format!("over {n_test} test images");
    rec.measure(
        "collapse",
        "max_logit_difference",
        MetricKind::Error,
        max_diff,
        "logit",
    )
    .note =
        "largest |logit| difference between the network (f32) and the collapsed layer (f64)".into();
    rec.measure(
        "collapse",
        "collapsed_accuracy",
        MetricKind::Quality,
        collapsed_acc,
        "%",
    );

    // 3. Paillier (MU18-paillier).
    let Scheme::Paillier {
        params,
        weight_precision_bits,
    } = &scheme
    else {
        bail!("this experiment needs `scheme.engine: paillier`");
    };
    // Pixels are encrypted as integers 0..255; the 1/255 goes into the weights.
    let layer: DenseLayer = if unit {
        collapsed.scale_inputs(1.0 / 255.0)
    } else {
        collapsed.clone()
    };
    let n_enc = settings.encrypted_samples.unwrap_or(n_test).min(n_test);
    let enc =
        super::paillier_layer::EncryptedLayer::new(params, &layer, *weight_precision_bits, rec)?;
    let bar = ctx.progress.bar(
        n_enc as u64,
        format!("Paillier-{}: encrypted images", params.key_bits()),
    );
    let wall = Instant::now();
    let images = &mnist.test.images;
    let per_image: Vec<super::paillier_layer::ImageResult> = (0..n_enc)
        .into_par_iter()
        .map(|i| {
            let r = enc.classify(&images[i * 784..(i + 1) * 784]);
            bar.inc(1);
            r
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let wall_s = wall.elapsed().as_secs_f64();
    let differing = per_image
        .iter()
        .zip(&plain_pred)
        .filter(|(r, p)| r.predicted != **p)
        .count();
    let exact_mismatch = per_image.iter().filter(|r| !r.matches_fixed_point).count();
    let max_logit_err = per_image
        .iter()
        .map(|r| r.max_logit_error)
        .fold(0.0, f64::max);
    let enc_pred: Vec<usize> = per_image.iter().map(|r| r.predicted).collect();
    let mean = |f: fn(&super::paillier_layer::ImageResult) -> f64| {
        per_image.iter().map(f).sum::<f64>() / n_enc.max(1) as f64
    };
    rec.measure(
        "paillier",
        "differing_predictions",
        MetricKind::Error,
        differing as f64,
        "images",
    )
    .note = format!(
        "decrypted argmax vs the plaintext collapsed model (f64), over {n_enc} encrypted test images"
    );
    rec.measure("paillier", "fixed_point_mismatches", MetricKind::Error, exact_mismatch as f64, "images").note =
        "decrypted logits that differ from the same fixed-point arithmetic done in the clear (must be 0)".into();
    rec.measure(
        "paillier",
        "max_logit_error",
        MetricKind::Error,
        max_logit_err,
        "logit",
    )
    .note = "largest |decrypted logit - f64 logit| (fixed-point encoding error)".into();
    rec.measure(
        "paillier",
        "encrypted_accuracy",
        MetricKind::Quality,
        accuracy(&enc_pred, &labels[..n_enc]),
        "%",
    )
    .note = format!("on {n_enc} encrypted test images");
    rec.measure(
        "paillier",
        "plain_accuracy_same_images",
        MetricKind::Quality,
        accuracy(&plain_pred[..n_enc], &labels[..n_enc]),
        "%",
    );
    rec.measure(
        "encrypt",
        "encrypt_ms_per_image",
        MetricKind::Time,
        mean(|r| r.encrypt_ms),
        "ms",
    )
    .note = "784 pixels, one thread per image".into();
    rec.measure(
        "evaluate",
        "evaluate_ms_per_image",
        MetricKind::Time,
        mean(|r| r.evaluate_ms),
        "ms",
    )
    .note = "the 10x784 layer and bias, homomorphically, and the packing of the 10 logits into one ciphertext; one thread per image".into();
    rec.measure(
        "decrypt",
        "decrypt_ms_per_image",
        MetricKind::Time,
        mean(|r| r.decrypt_ms),
        "ms",
    )
    .note = "the 10 logits packed in one ciphertext: one CRT decryption".into();
    rec.measure(
        "total",
        "images_per_second",
        MetricKind::Rate,
        n_enc as f64 / wall_s,
        "images/s",
    )
    .note = format!(
        "wall clock over {n_enc} images on {} threads, encryption included",
        ctx.threads
    );
    rec.measure(
        "encrypt",
        "ciphertext_bytes_per_image",
        MetricKind::Info,
        enc.ciphertext_bytes_per_image() as f64,
        "bytes",
    );
    Ok(Outcome {
        security: params.security_label(),
        warnings: Vec::new(),
    })
}

fn accuracy(pred: &[usize], labels: &[u8]) -> f64 {
    let ok = pred
        .iter()
        .zip(labels)
        .filter(|(p, l)| **p == **l as usize)
        .count();
    100.0 * ok as f64 / pred.len().max(1) as f64
}
