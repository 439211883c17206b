//! A multilayer perceptron trained with tch, as Keras' `Sequential` of `Dense`
//! layers would be: Glorot-uniform weights, zero biases, softmax cross-entropy.

use std::time::Instant;

use anyhow::{Result, bail};
use tch::{Device, Kind, Tensor, nn, nn::Module, nn::OptimizerConfig};

use super::linear::DenseLayer;
use crate::progress::Progress;
use crate::spec::validate::Activation;
use crate::spec::{Baseline, Optimizer};

/// Training settings resolved from a spec and its profile.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub baseline: Baseline,
    pub epochs: usize,
    pub seed: u64,
    /// libtorch intra-op threads. Steps of small batches are too small to
    /// share: measured here, 2 threads made a batch-32 epoch of the MU18 MLP
    /// up to 9x slower than 1 on a loaded 2-core machine (OpenMP spinning).
    pub threads: u32,
}

/// One epoch's numbers; accuracies in percent.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochStats {
    pub epoch: usize,
    /// Accuracy over the training batches while the epoch ran (Keras' `acc`).
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub train_loss: f64,
    pub elapsed_s: f64,
}

#[derive(Debug)]
pub struct TrainReport {
    pub epochs: Vec<EpochStats>,
    /// The epoch kept (1-based).
    pub kept_epoch: usize,
    /// Test accuracy of the kept epoch, in percent.
    pub kept_test_accuracy: f64,
    /// The kept model's weights, first layer first.
    pub layers: Vec<DenseLayer>,
    /// The kept model's test-set logits (n_test x classes, row-major).
    pub test_logits: Vec<f32>,
    pub threads: u32,
    pub elapsed_s: f64,
}

/// A tch network the training loop can train: logits, parameters, and a
/// snapshot of its weights as dense layers (first layer first).
pub trait Net {
    /// Logits (no softmax) for a batch of flattened inputs.
    fn forward(&self, x: &Tensor) -> Tensor;
    fn var_store(&self) -> &nn::VarStore;
    /// The weights, first layer first (a convolution as one row per output
    /// channel, see the implementor).
    fn layers(&self) -> Vec<DenseLayer>;

    /// Logits for `x` in batches, without gradients.
    fn logits(&self, x: &Tensor) -> Tensor {
        tch::no_grad(|| {
            let n = x.size()[0];
            let chunks: Vec<Tensor> = (0..n)
                .step_by(2048)
                .map(|s| self.forward(&x.narrow(0, s, (n - s).min(2048))))
                .collect();
            Tensor::cat(&chunks, 0)
        })
    }
}

pub struct Mlp {
    vs: nn::VarStore,
    linears: Vec<nn::Linear>,
    activation: Activation,
}

impl Mlp {
    pub fn new(layers: &[usize], activation: Activation) -> Mlp {
        let vs = nn::VarStore::new(Device::Cpu);
        let root = vs.root();
        let linears = layers
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let bound = (6.0 / (w[0] + w[1]) as f64).sqrt();
                let cfg = nn::LinearConfig {
                    ws_init: nn::Init::Uniform {
                        lo: -bound,
                        up: bound,
                    },
                    bs_init: Some(nn::Init::Const(0.0)),
                    bias: true,
                };
                nn::linear(&root / format!("dense{i}"), w[0] as i64, w[1] as i64, cfg)
            })
            .collect();
        Mlp {
            vs,
            linears,
            activation,
        }
    }
}

impl Net for Mlp {
    /// Logits (no softmax).
    fn forward(&self, x: &Tensor) -> Tensor {
        let last = self.linears.len() - 1;
        let mut h = x.shallow_clone();
        for (i, l) in self.linears.iter().enumerate() {
            h = l.forward(&h);
            if i < last {
                h = match self.activation {
                    Activation::Identity => h,
                    Activation::Relu => h.relu(),
                    Activation::Sigmoid => h.sigmoid(),
                    Activation::Tanh => h.tanh(),
                    Activation::Square => &h * &h,
                };
            }
        }
        h
    }

    fn layers(&self) -> Vec<DenseLayer> {
        self.linears
            .iter()
            .map(|l| {
                let size = l.ws.size();
                let (out_dim, in_dim) = (size[0] as usize, size[1] as usize);
                let w = to_f64(&l.ws);
                let b =
                    l.bs.as_ref()
                        .map(to_f64)
                        .unwrap_or_else(|| vec![0.0; out_dim]);
                DenseLayer::new(in_dim, out_dim, w, b)
            })
            .collect()
    }

    fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }
}

pub(crate) fn to_f64(t: &Tensor) -> Vec<f64> {
    let flat = t.detach().to_kind(Kind::Double).flatten(0, -1);
    Vec::<f64>::try_from(&flat).expect("a CPU tensor of doubles")
}

/// Percent of rows whose argmax equals the label.
pub fn accuracy(logits: &Tensor, labels: &Tensor) -> f64 {
    100.0 * logits.accuracy_for_logits(labels).double_value(&[])
}

/// Trains a fresh MLP on `(x_train, y_train)`, evaluating on the test set
/// after every epoch, and keeps the epoch the baseline asks for.
pub fn train(
    cfg: &TrainConfig,
    x_train: &Tensor,
    y_train: &Tensor,
    x_test: &Tensor,
    y_test: &Tensor,
    progress: &Progress,
) -> Result<TrainReport> {
    let b = &cfg.baseline;
    if x_train.size()[1] != b.layers[0] as i64 {
        bail!(
            "the data has {} features but the network's input is {}",
            x_train.size()[1],
            b.layers[0]
        );
    }
    tch::manual_seed(cfg.seed as i64);
    let mlp = Mlp::new(&b.layers, b.activation);
    train_net(&mlp, cfg, x_train, y_train, x_test, y_test, progress)
}

/// Trains `net` (freshly initialised by the caller, after seeding tch with
/// `cfg.seed`) with the baseline's optimiser, batch size and epochs on the
/// softmax cross-entropy, evaluating on the test set after every epoch.
pub fn train_net(
    mlp: &dyn Net,
    cfg: &TrainConfig,
    x_train: &Tensor,
    y_train: &Tensor,
    x_test: &Tensor,
    y_test: &Tensor,
    progress: &Progress,
) -> Result<TrainReport> {
    let b = &cfg.baseline;
    let threads_before = tch::get_num_threads();
    tch::set_num_threads(cfg.threads.max(1) as i32);
    let started = Instant::now();
    let mut opt = match b.optimizer {
        Optimizer::Adam => nn::Adam::default().build(mlp.var_store(), b.learning_rate)?,
        Optimizer::Sgd => nn::Sgd::default().build(mlp.var_store(), b.learning_rate)?,
    };
    let n = x_train.size()[0];
    let batch = b.batch_size as i64;
    let bar = progress.bar(cfg.epochs as u64, "training (tch)");
    let mut epochs = Vec::with_capacity(cfg.epochs);
    let mut best: Option<(usize, f64, Vec<DenseLayer>, Vec<f32>)> = None;
    for epoch in 1..=cfg.epochs {
        let t0 = Instant::now();
        let perm = Tensor::randperm(n, (Kind::Int64, Device::Cpu));
        let (mut correct, mut loss_sum, mut seen) = (0.0f64, 0.0f64, 0i64);
        let mut start = 0;
        while start < n {
            let len = batch.min(n - start);
            let idx = perm.narrow(0, start, len);
            let xb = x_train.index_select(0, &idx);
            let yb = y_train.index_select(0, &idx);
            let logits = mlp.forward(&xb);
            let loss = logits.cross_entropy_for_logits(&yb);
            opt.backward_step(&loss);
            tch::no_grad(|| {
                correct += logits
                    .argmax(-1, false)
                    .eq_tensor(&yb)
                    .sum(Kind::Int64)
                    .int64_value(&[]) as f64;
            });
            loss_sum += loss.double_value(&[]) * len as f64;
            seen += len;
            start += len;
        }
        let test_logits = mlp.logits(x_test);
        let test_accuracy = accuracy(&test_logits, y_test);
        let stats = EpochStats {
            epoch,
            train_accuracy: 100.0 * correct / seen as f64,
            test_accuracy,
            train_loss: loss_sum / seen as f64,
            elapsed_s: t0.elapsed().as_secs_f64(),
        };
        let keep_this = match b.keep {
            crate::spec::Keep::BestTest => best
                .as_ref()
                .is_none_or(|(_, acc, _, _)| test_accuracy > *acc),
            crate::spec::Keep::Last => true,
        };
        if keep_this {
            let logits = Vec::<f32>::try_from(&test_logits.to_kind(Kind::Float).flatten(0, -1))?;
            best = Some((epoch, test_accuracy, mlp.layers(), logits));
        }
        bar.set_message(format!("training: epoch {epoch} test {test_accuracy:.2}%"));
        bar.inc(1);
        epochs.push(stats);
    }
    bar.finish_and_clear();
    let threads = tch::get_num_threads() as u32;
    tch::set_num_threads(threads_before);
    let (kept_epoch, kept_test_accuracy, layers, test_logits) = best.expect("at least one epoch");
    Ok(TrainReport {
        epochs,
        kept_epoch,
        kept_test_accuracy,
        layers,
        test_logits,
        threads,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}
