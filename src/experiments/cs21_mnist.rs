//! Chen & Song 2021, the MNIST networks (TenSEAL's tutorials): a fully
//! connected network with square activations (CS21-T1-FCNN, EncFCNN, T2) and
//! the tutorial CNN (CS21-T1-CNN, EncCNN, T3), trained with tch and evaluated
//! on encrypted images with heml's CKKS engine, beside TenSEAL in the same run.
//!
//! Latency mode (what the paper measured): one encrypted image at a time.
//! The client packs the image (the FCNN's pixels in the first layer's
//! staggered layout, the CNN's im2col windows) and encrypts it; the server
//! applies each layer as a plaintext linear transform (generalised diagonals,
//! baby-step giant-step, hoisted rotations; the convolution's output channels
//! at once), adds the bias, squares (one ciphertext product); the client
//! decrypts the logits. Every layer is timed.
//!
//! Throughput mode: a batch of images packed feature-major (ciphertext j holds
//! input j of every image in the batch, one image per slot), each layer a sum
//! of constant products without rotations (zero weights skipped): images per
//! hour.

use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use super::{Context, Outcome, Recorder};
use crate::he::ckks::circuits::conv::{conv2d_im2col_transform, im2col_encode_channels};
use crate::he::ckks::circuits::linear::{PreparedTransform, replicate};
use crate::he::ckks::circuits::{CkksBackend, InputLayout, LinearTransform, batched_matrix_vector};
use crate::he::ckks::{
    Ciphertext, CkksParameters, Decryptor, Encryptor, Evaluator, KeySet, Plaintext, RotationSet,
};
use crate::plain::cnn::{Cnn, CnnShape, forward_f64};
use crate::plain::{DenseLayer, Mlp, Net, TrainConfig, train_net};
use crate::results::MetricKind;
use crate::spec::validate::{TENSEAL_CNN_KERNEL, TENSEAL_CNN_STRIDE};
use crate::spec::{BaselineModel, Spec};

/// The trained network, as the encrypted side sees it.
enum Model {
    /// Dense layers with the square between them.
    Fcnn(Vec<DenseLayer>),
    /// The convolution (as a k^2 -> C layer), fc1, fc2.
    Cnn(CnnShape, Vec<DenseLayer>),
}

impl Model {
    fn name(&self) -> &'static str {
        match self {
            Model::Fcnn(_) => "fcnn",
            Model::Cnn(..) => "cnn",
        }
    }

    /// The f64 logits of one image (pixels as trained on).
    fn forward(&self, image: &[f64]) -> Vec<f64> {
        match self {
            Model::Fcnn(layers) => {
                let mut h = image.to_vec();
                for (i, l) in layers.iter().enumerate() {
                    h = l.apply(&h);
                    if i + 1 < layers.len() {
                        h.iter_mut().for_each(|v| *v *= *v);
                    }
                }
                h
            }
            Model::Cnn(shape, layers) => forward_f64(shape, layers, image),
        }
    }

    /// The layers' names in order, activations included.
    fn stage_names(&self) -> Vec<&'static str> {
        match self {
            Model::Fcnn(l) if l.len() == 3 => vec!["fc1", "square1", "fc2", "square2", "fc3"],
            Model::Fcnn(l) => {
                let mut v = Vec::new();
                for i in 0..l.len() {
                    v.push(["fc1", "fc2", "fc3", "fc4", "fc5", "fc6"][i.min(5)]);
                    if i + 1 < l.len() {
                        v.push(["square1", "square2", "square3", "square4", "square5"][i.min(4)]);
                    }
                }
                v
            }
            Model::Cnn(..) => vec!["conv", "square1", "fc1", "square2", "fc2"],
        }
    }
}

/// One server-side step of the latency pipeline.
enum Step {
    Linear {
        name: &'static str,
        lt: Box<LinearTransform>,
        prepared: PreparedTransform<Plaintext>,
        /// The bias replicated with the output period.
        bias: Vec<f64>,
    },
    Square {
        name: &'static str,
    },
}

/// The encrypted network for one image per ciphertext.
struct LatencyPipeline {
    first: LinearTransform,
    /// The level the client encrypts at.
    input_level: usize,
    /// For the CNN: the im2col window count.
    windows: usize,
    steps: Vec<Step>,
    rows_out: usize,
}

/// A layer's name, its transform and its bias (before replication).
type NamedTransform = (&'static str, LinearTransform, Vec<f64>);

/// The convolution's kernels (out x in = 1 x k x k) from its k^2 -> C layer.
fn conv_kernels(shape: &CnnShape, conv: &DenseLayer) -> Vec<Vec<Vec<Vec<f64>>>> {
    let k = shape.kernel;
    conv.w
        .chunks(k * k)
        .take(shape.channels)
        .map(|kernel| vec![kernel.chunks(k).map(<[f64]>::to_vec).collect()])
        .collect()
}

fn matrix(l: &DenseLayer) -> Vec<Vec<f64>> {
    l.w.chunks(l.in_dim).map(<[f64]>::to_vec).collect()
}

impl LatencyPipeline {
    /// The transforms (before key generation: their rotations decide the keys).
    fn transforms(model: &Model, slots: usize) -> Result<(Vec<NamedTransform>, usize)> {
        let names = model.stage_names();
        let linear_names: Vec<&'static str> = names
            .iter()
            .copied()
            .filter(|n| !n.starts_with("square"))
            .collect();
        let mut out = Vec::new();
        let mut windows = 0;
        match model {
            Model::Fcnn(layers) => {
                for (i, l) in layers.iter().enumerate() {
                    let layout = if i == 0 {
                        InputLayout::Staggered
                    } else {
                        InputLayout::Replicated
                    };
                    let lt = LinearTransform::matrix_vector_with(&matrix(l), slots, layout)?;
                    out.push((linear_names[i], lt, l.b.clone()));
                }
            }
            Model::Cnn(shape, layers) => {
                let kernels = conv_kernels(shape, &layers[0]);
                let o = shape.conv_side();
                windows = o * o;
                let conv = conv2d_im2col_transform(&kernels, windows, slots)?;
                // Bias per channel, channel-major over the windows.
                let bias: Vec<f64> = (0..shape.channels)
                    .flat_map(|c| std::iter::repeat_n(layers[0].b[c], windows))
                    .collect();
                out.push((linear_names[0], conv, bias));
                for (i, l) in layers[1..].iter().enumerate() {
                    let lt = LinearTransform::matrix_vector(&matrix(l), slots)?;
                    out.push((linear_names[i + 1], lt, l.b.clone()));
                }
            }
        }
        Ok((out, windows))
    }

    fn build(
        model: &Model,
        ev: &Evaluator,
        transforms: Vec<NamedTransform>,
        windows: usize,
    ) -> Result<Self> {
        let slots = ev.params().slots();
        let count = transforms.len();
        // Each layer and each square takes one level. The client encrypts at
        // the level the network needs plus one when the chain has it: the
        // logits are then decrypted above the base prime alone, whose
        // headroom over the scale (here 2^31 / 2^26) is too small for the
        // logits of a square-activation network (measured: one FCNN image in
        // 50 wrapped around when decrypted at level 0).
        let needed = 2 * count - 1;
        let top = ev.params().max_level();
        if needed > top {
            bail!("the network needs {needed} levels, the chain has {top}");
        }
        let input_level = (needed + 1).min(top);
        let mut level = input_level;
        let mut steps = Vec::new();
        let mut first = None;
        let rows_out = match model {
            Model::Fcnn(l) => l.last().map_or(0, |l| l.out_dim),
            Model::Cnn(_, l) => l[2].out_dim,
        };
        for (i, (name, lt, bias)) in transforms.into_iter().enumerate() {
            let prepared = lt.prepare(ev, level)?;
            let bias = replicate(&bias, lt.output_period(), slots);
            if first.is_none() {
                first = Some(lt.clone());
            }
            steps.push(Step::Linear {
                name,
                lt: Box::new(lt),
                prepared,
                bias,
            });
            level -= 1;
            if i + 1 < count {
                steps.push(Step::Square {
                    name: ["square1", "square2", "square3", "square4", "square5"][i.min(4)],
                });
                level -= 1;
            }
        }
        Ok(LatencyPipeline {
            first: first.context("a network has at least one layer")?,
            input_level,
            windows,
            steps,
            rows_out,
        })
    }

    /// The client's ciphertext(s) for one image.
    fn encrypt(&self, enc: &Encryptor, model: &Model, image: &[f64]) -> Result<Vec<Ciphertext>> {
        self.pack(model, image)?
            .iter()
            .map(|v| Ok(enc.encrypt_real_at_level(v, self.input_level)?))
            .collect()
    }

    /// The client's slot vector(s) for one image.
    fn pack(&self, model: &Model, image: &[f64]) -> Result<Vec<Vec<f64>>> {
        match model {
            Model::Fcnn(_) => Ok(self.first.pack_input(image)?),
            Model::Cnn(shape, _) => {
                let rows: Vec<Vec<f64>> = image.chunks(shape.side).map(<[f64]>::to_vec).collect();
                let (v, w) =
                    im2col_encode_channels(&[rows], shape.kernel, shape.kernel, shape.stride)?;
                if w != self.windows {
                    bail!(
                        "im2col gave {w} windows, the transform expects {}",
                        self.windows
                    );
                }
                Ok(self.first.pack_input(&v)?)
            }
        }
    }

    /// Runs the server's steps, timing each (seconds added to `times`).
    fn eval(
        &self,
        ev: &Evaluator,
        mut x: Vec<Ciphertext>,
        times: &mut [f64],
    ) -> Result<Vec<Ciphertext>> {
        for (i, step) in self.steps.iter().enumerate() {
            let t = Instant::now();
            x = match step {
                Step::Linear {
                    lt, prepared, bias, ..
                } => {
                    let y = lt.apply_prepared(ev, prepared, &x)?;
                    y.iter()
                        .map(|c| ev.add_values(c, bias))
                        .collect::<Result<Vec<_>, _>>()?
                }
                Step::Square { .. } => x
                    .iter()
                    .map(|c| CkksBackend::rescale(ev, &CkksBackend::mul_relin(ev, c, c)?))
                    .collect::<Result<Vec<_>, _>>()?,
            };
            times[i] += t.elapsed().as_secs_f64();
        }
        Ok(x)
    }

    fn names(&self) -> Vec<&'static str> {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Linear { name, .. } | Step::Square { name } => *name,
            })
            .collect()
    }

    fn unpack(&self, blocks: &[Vec<f64>]) -> Vec<f64> {
        let last = self.steps.iter().rev().find_map(|s| match s {
            Step::Linear { lt, .. } => Some(lt),
            Step::Square { .. } => None,
        });
        let out = last.map(|lt| lt.unpack_output(blocks)).unwrap_or_default();
        out[..self.rows_out.min(out.len())].to_vec()
    }
}

/// Images timed alone, one at a time (latency); the rest of the encrypted
/// sample runs on every thread, for accuracy only.
const TIMED_IMAGES: usize = 100;

/// One encrypted image's decrypted logits, with its label and the f64 logits.
struct ImageResult {
    label: usize,
    reference: Vec<f64>,
    logits: Vec<f64>,
}

fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}

/// The network as dense matrices over the flattened input, for the batched
/// (feature-major) mode: the convolution becomes a sparse C o^2 x side^2 map.
fn batched_layers(model: &Model) -> Vec<(Vec<Vec<f64>>, Vec<f64>)> {
    match model {
        Model::Fcnn(layers) => layers.iter().map(|l| (matrix(l), l.b.clone())).collect(),
        Model::Cnn(shape, layers) => {
            let (side, k, s, o) = (shape.side, shape.kernel, shape.stride, shape.conv_side());
            let mut rows = Vec::with_capacity(shape.conv_outputs());
            let mut bias = Vec::with_capacity(shape.conv_outputs());
            for c in 0..shape.channels {
                for wy in 0..o {
                    for wx in 0..o {
                        let mut row = vec![0.0; side * side];
                        for ky in 0..k {
                            for kx in 0..k {
                                row[(wy * s + ky) * side + wx * s + kx] =
                                    layers[0].w[c * k * k + ky * k + kx];
                            }
                        }
                        rows.push(row);
                        bias.push(layers[0].b[c]);
                    }
                }
            }
            let mut out = vec![(rows, bias)];
            out.extend(layers[1..].iter().map(|l| (matrix(l), l.b.clone())));
            out
        }
    }
}

fn pixels(images: &[u8], i: usize, unit: bool) -> Vec<f64> {
    let scale = if unit { 1.0 / 255.0 } else { 1.0 };
    images[i * 784..(i + 1) * 784]
        .iter()
        .map(|&p| p as f64 * scale)
        .collect()
}

fn ckks_scheme(rec: &mut Recorder, params: &CkksParameters) -> Result<()> {
    rec.set_scheme(
        "ckks",
        serde_json::to_string(params.literal())?,
        params.security().to_string(),
    );
    Ok(())
}

pub fn run(spec: &Spec, ctx: &Context, rec: &mut Recorder) -> Result<Outcome> {
    let settings = spec.settings(ctx.profile).clone();
    let params = super::ckks_params(spec, &settings)?;
    let baseline = spec
        .baseline
        .clone()
        .context("kind cs21-mnist needs a `baseline` section")?;
    let (mnist, t, unit) = super::MnistTensors::load(spec, ctx, &settings)?;
    let (n_train, n_test) = (t.n_train, t.n_test);
    let (x_train, y_train, x_test, y_test) = (&t.x_train, &t.y_train, &t.x_test, &t.y_test);
    let n_enc = settings.encrypted_samples.unwrap_or(n_test).min(n_test);

    // 1. The plaintext network (CS21-T1-FCNN / CS21-T1-CNN).
    let epochs = settings.epochs.unwrap_or(baseline.epochs);
    tch::manual_seed(spec.seed as i64);
    let cnn_shape = (baseline.model == BaselineModel::TensealCnn).then(|| {
        let side = (baseline.layers[0] as f64).sqrt() as usize;
        let o = (side - TENSEAL_CNN_KERNEL) / TENSEAL_CNN_STRIDE + 1;
        CnnShape {
            side,
            channels: baseline.layers[1] / (o * o),
            kernel: TENSEAL_CNN_KERNEL,
            stride: TENSEAL_CNN_STRIDE,
            hidden: baseline.layers[2],
            classes: baseline.layers[3],
        }
    });
    let net: Box<dyn Net> = match cnn_shape {
        Some(shape) => Box::new(Cnn::new(shape)),
        None => Box::new(Mlp::new(&baseline.layers, baseline.activation)),
    };
    rec.set_scheme(
        "plaintext",
        serde_json::json!({
            "model": format!("{:?}", baseline.model), "layers": baseline.layers,
            "optimizer": format!("{:?}", baseline.optimizer).to_lowercase(),
            "learning_rate": baseline.learning_rate, "batch_size": baseline.batch_size,
            "epochs": epochs, "train_rows": n_train, "test_rows": n_test,
        })
        .to_string(),
        "n/a".into(),
    );
    let cfg = TrainConfig {
        baseline: baseline.clone(),
        epochs,
        seed: spec.seed,
        threads: ctx.threads.max(1),
    };
    let trained = train_net(
        net.as_ref(),
        &cfg,
        x_train,
        y_train,
        x_test,
        y_test,
        ctx.progress,
    )?;
    for e in &trained.epochs {
        rec.series(
            "plain",
            "test_accuracy",
            e.epoch as i64,
            e.test_accuracy,
            "%",
        );
    }
    rec.measure(
        "plain",
        "plain_accuracy",
        MetricKind::Quality,
        trained.kept_test_accuracy,
        "%",
    )
    .note = format!(
        "tch, {n_test} test images, epoch {} of {epochs} kept ({} thread(s), {:.1} s training)",
        trained.kept_epoch, trained.threads, trained.elapsed_s
    );
    let model = match cnn_shape {
        Some(shape) => Model::Cnn(shape, trained.layers.clone()),
        None => Model::Fcnn(trained.layers.clone()),
    };
    // Plaintext latency: one image per forward pass, one thread (as the
    // encrypted side is measured).
    tch::set_num_threads(1);
    let n_time = n_test.min(1000);
    let t = Instant::now();
    tch::no_grad(|| {
        for i in 0..n_time {
            let _ = net.forward(&x_test.narrow(0, i as i64, 1));
        }
    });
    rec.measure(
        "plain",
        "plain_ms_per_image",
        MetricKind::Time,
        t.elapsed().as_secs_f64() / n_time as f64 * 1e3,
        "ms",
    )
    .note = format!("tch forward pass of one image, mean over {n_time} images, one thread");

    // 2. Keys for every rotation the latency pipeline needs.
    let slots = params.slots();
    let (transforms, windows) = LatencyPipeline::transforms(&model, slots)?;
    let mut steps: Vec<i64> = transforms
        .iter()
        .flat_map(|(_, lt, _)| lt.rotation_steps())
        .collect();
    steps.sort_unstable();
    steps.dedup();
    let t = Instant::now();
    let keys = KeySet::generate(params, &RotationSet::steps(&steps));
    let keygen_s = t.elapsed().as_secs_f64();
    let enc = Encryptor::with_public_key(params.clone(), keys.public.clone());
    let dec = Decryptor::new(params.clone(), keys.secret.clone());
    let ev = Evaluator::new(params.clone())
        .with_relin_key(keys.relin.clone())?
        .with_galois_keys(keys.galois.clone())?;
    ckks_scheme(rec, params)?;
    rec.measure("keys", "keygen_s", MetricKind::Info, keygen_s, "s")
        .note = format!("public, relinearisation and {} Galois keys", steps.len());
    let t = Instant::now();
    let pipe = LatencyPipeline::build(&model, &ev, transforms, windows)?;
    rec.measure(
        "keys",
        "encode_model_s",
        MetricKind::Info,
        t.elapsed().as_secs_f64(),
        "s",
    )
    .note = "every diagonal of every layer encoded once, reused for all images".into();

    // 3. Latency: one encrypted image at a time, alone on one thread, for
    // the first TIMED_IMAGES images; the rest of the sample only for
    // accuracy, agreement and precision, on every thread.
    let names = pipe.names();
    let mut times = vec![0.0; names.len()];
    let (mut t_enc, mut t_dec) = (0.0, 0.0);
    let n_timed = n_enc.min(TIMED_IMAGES);
    let mut results: Vec<ImageResult> = Vec::with_capacity(n_enc);
    let mut input_bytes = 0usize;
    let bar = ctx
        .progress
        .bar(n_enc as u64, "encrypted images (one at a time)");
    for i in 0..n_timed {
        let image = pixels(&mnist.test.images, i, unit);
        let t0 = Instant::now();
        let cts = pipe.encrypt(&enc, &model, &image)?;
        t_enc += t0.elapsed().as_secs_f64();
        if i == 0 {
            input_bytes = cts
                .iter()
                .map(|c| crate::he::ckks::serialization::serialize_ciphertext(ev.params(), c).len())
                .sum();
        }
        let out = pipe.eval(&ev, cts, &mut times)?;
        let t1 = Instant::now();
        let blocks: Vec<Vec<f64>> = out.iter().map(|c| dec.decrypt_real(c)).collect();
        let logits = pipe.unpack(&blocks);
        t_dec += t1.elapsed().as_secs_f64();
        results.push(ImageResult {
            label: mnist.test.labels[i] as usize,
            reference: model.forward(&image),
            logits,
        });
        bar.inc(1);
    }
    {
        use rayon::prelude::*;
        let rest: Vec<ImageResult> = (n_timed..n_enc)
            .into_par_iter()
            .map(|i| -> Result<ImageResult> {
                let image = pixels(&mnist.test.images, i, unit);
                let cts = pipe.encrypt(&enc, &model, &image)?;
                let mut scratch = vec![0.0; names.len()];
                let out = pipe.eval(&ev, cts, &mut scratch)?;
                let blocks: Vec<Vec<f64>> = out.iter().map(|c| dec.decrypt_real(c)).collect();
                bar.inc(1);
                Ok(ImageResult {
                    label: mnist.test.labels[i] as usize,
                    reference: model.forward(&image),
                    logits: pipe.unpack(&blocks),
                })
            })
            .collect::<Result<_>>()?;
        results.extend(rest);
    }
    bar.finish_and_clear();
    let (mut correct, mut agree, mut plain_correct) = (0usize, 0usize, 0usize);
    let (mut expected, mut got) = (Vec::new(), Vec::new());
    for r in &results {
        let p = argmax(&r.logits);
        correct += usize::from(p == r.label);
        agree += usize::from(p == argmax(&r.reference));
        plain_correct += usize::from(argmax(&r.reference) == r.label);
        expected.extend_from_slice(&r.reference);
        got.extend_from_slice(&r.logits);
    }
    let per = |s: f64| s / n_timed.max(1) as f64;
    let server: f64 = times.iter().sum();
    for (name, t) in names.iter().zip(&times) {
        rec.measure(name, "layer_s", MetricKind::Time, per(*t), "s");
    }
    rec.measure("client", "encrypt_s", MetricKind::Time, per(t_enc), "s");
    rec.measure("client", "decrypt_s", MetricKind::Time, per(t_dec), "s");
    rec.measure(
        "total",
        "enc_image_s",
        MetricKind::Time,
        per(server + t_enc + t_dec),
        "s",
    )
    .note = format!(
        "encryption, every layer and decryption of one image, mean over the first {n_timed} images, one thread"
    );
    let pct = |k: usize| 100.0 * k as f64 / n_enc.max(1) as f64;
    rec.measure(
        "encrypted",
        "enc_accuracy",
        MetricKind::Quality,
        pct(correct),
        "%",
    )
    .note = format!(
        "{correct} of the first {n_enc} test images (the first {n_timed} timed alone, the rest on every thread); the f64 model gets {plain_correct}"
    );
    rec.measure(
        "encrypted",
        "enc_agreement",
        MetricKind::Quality,
        pct(agree),
        "%",
    )
    .note = "images whose encrypted prediction equals the f64 model's".into();
    rec.precision(
        "encrypted",
        "logit_max_log2_error",
        &expected,
        &got,
        "decrypted logits against f64",
    );
    rec.measure(
        "client",
        "input_bytes",
        MetricKind::Info,
        input_bytes as f64,
        "B",
    )
    .note = "serialised ciphertext(s) of one encrypted image".into();
    ctx.progress.println(format!(
        "  {}: {:.1} ms per encrypted image, accuracy {:.2} % on {n_enc}",
        model.name(),
        per(server + t_enc + t_dec) * 1e3,
        pct(correct)
    ));

    // 4. Throughput: a batch of images feature-major.
    if let Some(images) = settings.throughput_images {
        let batch = images.min(slots).min(mnist.test.n);
        throughput(
            &model,
            &ev,
            &enc,
            &dec,
            &mnist.test.images,
            &mnist.test.labels,
            batch,
            unit,
            rec,
            ctx,
        )?;
    }

    // 5. TenSEAL's tutorial implementation, same weights and images.
    let peer_total = peer(
        &settings,
        ctx,
        &model,
        &mnist.test.images,
        &mnist.test.labels,
        unit,
        rec,
    )?;
    if let Some((peer_s, peer_stages)) = peer_total {
        ckks_scheme(rec, params)?;
        // The paper's time of a stage, from the spec's claims (references only).
        let paper = |metric: &str, stage: &str| {
            spec.claims
                .iter()
                .find(|c| c.metric == metric && c.stage.as_deref().is_none_or(|s| s == stage))
                .and_then(|c| c.paper_value)
        };
        let ratio_note = |paper_s: Option<f64>, tenseal_s: f64, heml_s: f64| {
            let paper_part = paper_s.map_or(String::new(), |p| {
                format!(
                    "paper {p} s (Core i7-8550U, paper/heml {:.0}x), ",
                    p / heml_s
                )
            });
            format!(
                "{paper_part}TenSEAL here {tenseal_s:.4} s, heml here {heml_s:.4} s: TenSEAL/heml {:.1}x, same run, one thread",
                tenseal_s / heml_s
            )
        };
        for (stage, tenseal_s) in &peer_stages {
            if let Some(i) = names.iter().position(|n| n == stage) {
                let heml_s = per(times[i]);
                rec.measure(
                    stage,
                    "speedup_vs_tenseal",
                    MetricKind::Info,
                    tenseal_s / heml_s,
                    "x",
                )
                .note = ratio_note(paper("layer_s", stage), *tenseal_s, heml_s);
            }
        }
        let heml_s = per(server + t_enc + t_dec);
        let speedup = peer_s / heml_s;
        rec.measure(
            "total",
            "speedup_vs_tenseal",
            MetricKind::Info,
            speedup,
            "x",
        )
        .note = format!(
            "{}; target >= 30x: {}",
            ratio_note(paper("enc_image_s", "total"), peer_s, heml_s),
            if speedup >= 30.0 { "met" } else { "missed" }
        );
    }
    Ok(Outcome {
        security: params.security().to_string(),
        warnings: Vec::new(),
    })
}

/// Seconds of the batched mode's client and server stages.
struct BatchTimes {
    encrypt: f64,
    eval: f64,
    decrypt: f64,
}

/// Logits of `images` (at most `slots`) evaluated feature-major: ciphertext j
/// holds input j of every image.
fn batched_logits(
    model: &Model,
    ev: &Evaluator,
    enc: &Encryptor,
    dec: &Decryptor,
    images: &[Vec<f64>],
    ctx: Option<&Context>,
) -> Result<(Vec<Vec<f64>>, BatchTimes)> {
    let layers = batched_layers(model);
    let inputs = layers[0].0[0].len();
    let t = Instant::now();
    let mut x: Vec<Ciphertext> = (0..inputs)
        .map(|j| {
            let column: Vec<f64> = images.iter().map(|im| im[j]).collect();
            enc.encrypt_real(&column)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let encrypt = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let bar = ctx.map(|c| {
        c.progress
            .bar(layers.len() as u64, "encrypted batch (feature-major)")
    });
    for (i, (m, b)) in layers.iter().enumerate() {
        let y = batched_matrix_vector(ev, m, &x)?;
        x = y
            .iter()
            .zip(b)
            .map(|(c, bias)| ev.add_scalar(c, *bias))
            .collect::<Result<Vec<_>, _>>()?;
        if i + 1 < layers.len() {
            x = x
                .iter()
                .map(|c| CkksBackend::rescale(ev, &CkksBackend::mul_relin(ev, c, c)?))
                .collect::<Result<Vec<_>, _>>()?;
        }
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let eval = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let outs: Vec<Vec<f64>> = x.iter().map(|c| dec.decrypt_real(c)).collect();
    let decrypt = t.elapsed().as_secs_f64();
    let logits = (0..images.len())
        .map(|i| outs.iter().map(|o| o[i]).collect())
        .collect();
    Ok((
        logits,
        BatchTimes {
            encrypt,
            eval,
            decrypt,
        },
    ))
}

#[allow(clippy::too_many_arguments)]
fn throughput(
    model: &Model,
    ev: &Evaluator,
    enc: &Encryptor,
    dec: &Decryptor,
    images: &[u8],
    labels: &[u8],
    batch: usize,
    unit: bool,
    rec: &mut Recorder,
    ctx: &Context,
) -> Result<()> {
    let imgs: Vec<Vec<f64>> = (0..batch).map(|i| pixels(images, i, unit)).collect();
    let (logits, t) = batched_logits(model, ev, enc, dec, &imgs, Some(ctx))?;
    let mut correct = 0;
    let mut agree = 0;
    for (i, l) in logits.iter().enumerate() {
        correct += usize::from(argmax(l) == labels[i] as usize);
        agree += usize::from(argmax(l) == argmax(&model.forward(&imgs[i])));
    }
    let inputs = imgs.first().map_or(0, Vec::len);
    let total = t.encrypt + t.eval + t.decrypt;
    rec.measure(
        "throughput",
        "batch_encrypt_s",
        MetricKind::Time,
        t.encrypt,
        "s",
    )
    .note = format!("{inputs} ciphertexts, one per input feature, {batch} images in the slots");
    rec.measure("throughput", "batch_eval_s", MetricKind::Time, t.eval, "s");
    rec.measure(
        "throughput",
        "batch_decrypt_s",
        MetricKind::Time,
        t.decrypt,
        "s",
    );
    rec.measure(
        "throughput",
        "images_per_hour",
        MetricKind::Info,
        batch as f64 / total * 3600.0,
        "images/h",
    )
    .note = format!(
        "{batch} images per batch in {total:.1} s (encryption, every layer, decryption), one thread; \
         {correct} of {batch} correct, {agree} agree with the f64 model"
    );
    rec.measure(
        "throughput",
        "batch_accuracy",
        MetricKind::Quality,
        100.0 * correct as f64 / batch as f64,
        "%",
    );
    rec.measure(
        "throughput",
        "batch_agreement",
        MetricKind::Quality,
        100.0 * agree as f64 / batch as f64,
        "%",
    );
    Ok(())
}

/// TenSEAL's median seconds per image, and per stage.
type PeerTimes = (f64, Vec<(&'static str, f64)>);

/// Runs TenSEAL's tutorial pipeline on the first `peer_samples` images with
/// the same weights; records its rows under scheme `tenseal` and returns its
/// median seconds per image and per stage.
#[allow(clippy::too_many_arguments)]
fn peer(
    settings: &crate::spec::Settings,
    ctx: &Context,
    model: &Model,
    images: &[u8],
    labels: &[u8],
    unit: bool,
    rec: &mut Recorder,
) -> Result<Option<PeerTimes>> {
    let Some(samples) = settings.peer_samples else {
        rec.measure("peer", "peer_ran", MetricKind::Info, 0.0, "")
            .note = "TenSEAL not run: this profile sets no peer_samples".into();
        return Ok(None);
    };
    let Some(env) = &ctx.peer else {
        rec.measure("peer", "peer_ran", MetricKind::Info, 0.0, "")
            .note =
            "TenSEAL not run: no peer Python (HEML_PEER_PYTHON, or `just peers-venv`)".into();
        return Ok(None);
    };
    let imgs: Vec<Vec<f64>> = (0..samples).map(|i| pixels(images, i, unit)).collect();
    let labs: Vec<u8> = labels[..samples].to_vec();
    let w = |l: &DenseLayer| matrix(l);
    let (task, input) = match model {
        Model::Fcnn(l) => {
            if l.len() != 3 {
                bail!(
                    "the TenSEAL FCNN peer takes three dense layers, the model has {}",
                    l.len()
                );
            }
            (
                "fcnn",
                serde_json::json!({
                    "fc1_weight": w(&l[0]), "fc1_bias": l[0].b, "fc2_weight": w(&l[1]), "fc2_bias": l[1].b,
                    "fc3_weight": w(&l[2]), "fc3_bias": l[2].b, "images": imgs, "labels": labs,
                }),
            )
        }
        Model::Cnn(shape, l) => {
            let kernels = conv_kernels(shape, &l[0]);
            (
                "cnn",
                serde_json::json!({
                    "conv_weight": kernels, "conv_bias": l[0].b, "conv_stride": shape.stride,
                    "fc1_weight": w(&l[1]), "fc1_bias": l[1].b, "fc2_weight": w(&l[2]), "fc2_bias": l[2].b,
                    "images": imgs, "labels": labs,
                }),
            )
        }
    };
    ctx.progress
        .println(format!("  TenSEAL ({task}) on {samples} image(s)..."));
    let out = match env.cs21(task, &input, &["--samples".into(), samples.to_string()]) {
        Ok(out) => out,
        Err(e) => {
            rec.measure("peer", "peer_ran", MetricKind::Info, 0.0, "")
                .note = format!("TenSEAL failed: {e:#}");
            return Ok(None);
        }
    };
    let p = &out["params"];
    rec.set_scheme(
        "tenseal",
        serde_json::json!({
            "library": format!("TenSEAL {}", out["tenseal_version"].as_str().unwrap_or("?")),
            "poly_modulus_degree": p["poly_modulus_degree"], "coeff_mod_bit_sizes": p["coeff_mod_bit_sizes"],
            "log2_scale": p["log2_scale"],
        })
        .to_string(),
        "tc128 (SEAL's default)".into(),
    );
    let t = &out["timings_s"];
    let median = |k: &str| t[k]["median"].as_f64();
    let stages: Vec<(&str, f64)> = match model {
        Model::Fcnn(_) => ["fc1", "square1", "fc2", "square2", "fc3"]
            .iter()
            .filter_map(|s| Some((*s, median(s)?)))
            .collect(),
        Model::Cnn(..) => {
            let conv = median("conv").zip(median("pack")).map(|(a, b)| a + b);
            [
                ("conv", conv),
                ("square1", median("square1")),
                ("fc1", median("fc1")),
                ("square2", median("square2")),
                ("fc2", median("fc2")),
            ]
            .into_iter()
            .filter_map(|(s, v)| Some((s, v?)))
            .collect()
        }
    };
    for (stage, v) in &stages {
        rec.measure(stage, "layer_s", MetricKind::Time, *v, "s");
    }
    if let Some(v) = median("encrypt") {
        rec.measure("client", "encrypt_s", MetricKind::Time, v, "s");
    }
    if let Some(v) = median("decrypt") {
        rec.measure("client", "decrypt_s", MetricKind::Time, v, "s");
    }
    let total =
        median("total_per_image").context("the peer's JSON lacks timings_s.total_per_image")?;
    rec.measure("total", "enc_image_s", MetricKind::Time, total, "s")
        .note = format!(
        "TenSEAL's tutorial pipeline, median over {samples} image(s), one thread{}",
        if task == "cnn" {
            "; its conv row is conv2d_im2col per channel + pack_vectors"
        } else {
            ""
        }
    );
    if let Some(a) = out["accuracy"].as_f64() {
        rec.measure(
            "encrypted",
            "enc_accuracy",
            MetricKind::Quality,
            100.0 * a,
            "%",
        )
        .note = format!("TenSEAL on the first {samples} test image(s)");
    }
    if let Some(d) = out["logits_max_abs_diff"].as_f64() {
        rec.measure(
            "encrypted",
            "logit_max_log2_error",
            MetricKind::Error,
            d.log2(),
            "log2",
        );
    }
    Ok(Some((total, stages)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::ckks::keycache::cached_context;
    use crate::he::ckks::{CkksParametersLiteral, SecurityLevel};

    fn layer(i: usize, o: usize, seed: usize) -> DenseLayer {
        let w = (0..i * o)
            .map(|k| (((k + seed) * 7919 % 1000) as f64 / 1000.0 - 0.5) * 0.6)
            .collect();
        let b = (0..o)
            .map(|k| ((k + seed) % 5) as f64 * 0.05 - 0.1)
            .collect();
        DenseLayer::new(i, o, w, b)
    }

    fn image(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|k| ((k * 31 + seed * 17) % 97) as f64 / 97.0)
            .collect()
    }

    /// Both modes of both networks against the f64 forward pass; an encrypted
    /// result that drifts from it (a wrong layout, bias or level) fails.
    #[test]
    fn encrypted_networks_match_the_f64_forward_pass() {
        let fcnn = Model::Fcnn(vec![layer(16, 12, 1), layer(12, 6, 2), layer(6, 3, 3)]);
        let shape = CnnShape {
            side: 13,
            channels: 2,
            kernel: 7,
            stride: 3,
            hidden: 5,
            classes: 3,
        };
        let cnn = Model::Cnn(
            shape,
            vec![
                layer(49, 2, 4),
                layer(shape.conv_outputs(), 5, 5),
                layer(5, 3, 6),
            ],
        );
        let literal = CkksParametersLiteral {
            poly_modulus_degree: 2048,
            coeff_mod_bit_sizes: vec![60, 40, 40, 40, 40, 40, 60],
            log2_scale: 40,
            security: SecurityLevel::Insecure,
        };
        for (model, inputs) in [(fcnn, 16), (cnn, 169)] {
            let slots = literal.poly_modulus_degree / 2;
            let (transforms, windows) = LatencyPipeline::transforms(&model, slots).unwrap();
            let mut steps: Vec<i64> = transforms
                .iter()
                .flat_map(|(_, lt, _)| lt.rotation_steps())
                .collect();
            steps.sort_unstable();
            steps.dedup();
            let c = cached_context(&literal, &RotationSet::steps(&steps));
            let pipe = LatencyPipeline::build(&model, &c.evaluator, transforms, windows).unwrap();
            let images: Vec<Vec<f64>> = (0..3).map(|s| image(inputs, s)).collect();
            let (batched, _) = batched_logits(
                &model,
                &c.evaluator,
                &c.encryptor,
                &c.decryptor,
                &images,
                None,
            )
            .unwrap();
            for (im, got_batched) in images.iter().zip(&batched) {
                let want = model.forward(im);
                let cts = pipe.encrypt(&c.encryptor, &model, im).unwrap();
                let mut times = vec![0.0; pipe.names().len()];
                let out = pipe.eval(&c.evaluator, cts, &mut times).unwrap();
                let blocks: Vec<Vec<f64>> =
                    out.iter().map(|ct| c.decryptor.decrypt_real(ct)).collect();
                let got = pipe.unpack(&blocks);
                assert_eq!(got.len(), want.len(), "{}", model.name());
                for ((g, b), w) in got.iter().zip(got_batched).zip(&want) {
                    assert!(
                        (g - w).abs() < 1e-4 * (1.0 + w.abs()),
                        "{}: {got:?} vs {want:?}",
                        model.name()
                    );
                    assert!(
                        (b - w).abs() < 1e-4 * (1.0 + w.abs()),
                        "{}: {got_batched:?} vs {want:?}",
                        model.name()
                    );
                }
            }
            assert_eq!(pipe.names(), model.stage_names());
        }
    }
}
