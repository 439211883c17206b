//! A one-hidden-layer classifier trained with tch the way MATLAB's pattern
//! recognition network trains (CryptoDL used MATLAB's Neural Network
//! Toolbox): full-batch steps, a validation split watched for early stopping
//! (MATLAB's `max_fail` of 6 failures, at most 1000 epochs), the weights of the
//! best validation epoch kept. The hidden activation is pluggable, polynomials
//! included; the output is a softmax over the classes.

use anyhow::Result;
use tch::{Device, Kind, Tensor, nn, nn::Module, nn::OptimizerConfig};

/// The hidden layer's activation.
#[derive(Debug, Clone, PartialEq)]
pub enum HiddenActivation {
    Sigmoid,
    /// CryptoDL's f2(x) = 2 / (1 + e^(-4x)) - 1.
    F2,
    Square,
    /// sum_k c_k x^k (power coefficients c_0..c_d).
    Polynomial(Vec<f64>),
}

impl HiddenActivation {
    fn apply(&self, x: &Tensor) -> Tensor {
        match self {
            HiddenActivation::Sigmoid => x.sigmoid(),
            HiddenActivation::F2 => (x * 4.0).sigmoid() * 2.0 - 1.0,
            HiddenActivation::Square => x * x,
            HiddenActivation::Polynomial(c) => {
                // Horner.
                let mut acc = x.zeros_like() + c.last().copied().unwrap_or(0.0);
                for &ck in c.iter().rev().skip(1) {
                    acc = acc * x + ck;
                }
                acc
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShallowConfig {
    pub hidden: usize,
    pub learning_rate: f64,
    pub max_epochs: usize,
    /// Consecutive epochs without a better validation loss before stopping.
    pub patience: usize,
    /// Epochs before validation failures count: one Adam step moves far less
    /// than one of MATLAB's scaled-conjugate-gradient epochs, and the
    /// validation loss of the first steps is noisy.
    pub min_epochs: usize,
    pub seed: u64,
}

impl Default for ShallowConfig {
    /// MATLAB's patternnet defaults where they carry over: 10 hidden units,
    /// 1000 epochs at most, 6 validation failures.
    fn default() -> Self {
        Self {
            hidden: 10,
            learning_rate: 0.01,
            max_epochs: 1000,
            patience: 6,
            min_epochs: 50,
            seed: 0,
        }
    }
}

/// Rows and labels of one split.
pub struct Split<'a> {
    pub x: &'a Tensor,
    pub y: &'a Tensor,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShallowReport {
    /// Test accuracy (percent) of the weights of the best validation epoch.
    pub test_accuracy: f64,
    /// Epochs run before stopping (MATLAB's iteration count).
    pub epochs_run: usize,
    pub best_epoch: usize,
    /// The loss became NaN or infinite (an unbounded activation blew up).
    pub diverged: bool,
}

/// Trains on `train`, stops on `val`, reports on `test`. Runs on the calling
/// thread's libtorch settings.
pub fn train_shallow(
    cfg: &ShallowConfig,
    activation: &HiddenActivation,
    classes: usize,
    train: Split<'_>,
    val: Split<'_>,
    test: Split<'_>,
) -> Result<ShallowReport> {
    tch::manual_seed(cfg.seed as i64);
    let vs = nn::VarStore::new(Device::Cpu);
    let root = vs.root();
    let inputs = train.x.size()[1];
    let l1 = nn::linear(
        &root / "hidden",
        inputs,
        cfg.hidden as i64,
        Default::default(),
    );
    let l2 = nn::linear(
        &root / "out",
        cfg.hidden as i64,
        classes as i64,
        Default::default(),
    );
    let forward = |x: &Tensor| l2.forward(&activation.apply(&l1.forward(x)));
    // Adam moves every weight by about the learning rate per step, so a
    // pre-activation moves by up to lr * inputs: scale the step by
    // sqrt(10 / inputs) beyond 10 inputs, or wide sparse inputs (CNAE-9's 857,
    // Arcene's 10,000) saturate after one step and validation stops at once.
    let lr = cfg.learning_rate * (10.0 / inputs.max(10) as f64).sqrt();
    let mut opt = nn::Adam::default().build(&vs, lr)?;
    let mut best_val = f64::INFINITY;
    let mut best_epoch = 0;
    let mut best_test = 100.0 / classes as f64;
    let mut failures = 0;
    let mut diverged = false;
    let mut epochs_run = 0;
    for epoch in 1..=cfg.max_epochs {
        epochs_run = epoch;
        let loss = forward(train.x).cross_entropy_for_logits(train.y);
        let loss_value = loss.double_value(&[]);
        if !loss_value.is_finite() {
            diverged = true;
            break;
        }
        opt.backward_step(&loss);
        let (val_loss, test_acc) = tch::no_grad(|| {
            let v = forward(val.x)
                .cross_entropy_for_logits(val.y)
                .double_value(&[]);
            let t = 100.0
                * forward(test.x)
                    .accuracy_for_logits(test.y)
                    .double_value(&[]);
            (v, t)
        });
        if !val_loss.is_finite() {
            diverged = true;
            break;
        }
        if val_loss < best_val {
            best_val = val_loss;
            best_epoch = epoch;
            best_test = test_acc;
            failures = 0;
        } else {
            failures += 1;
            if failures >= cfg.patience && epoch >= cfg.min_epochs {
                break;
            }
        }
    }
    Ok(ShallowReport {
        test_accuracy: best_test,
        epochs_run,
        best_epoch,
        diverged,
    })
}

/// Rows as a float tensor (n x cols) and labels as int64.
pub fn tensors(rows: &[f64], cols: usize, labels: &[usize]) -> (Tensor, Tensor) {
    let n = labels.len() as i64;
    let x = Tensor::from_slice(rows)
        .to_kind(Kind::Float)
        .reshape([n, cols as i64]);
    let y = Tensor::from_slice(&labels.iter().map(|&l| l as i64).collect::<Vec<_>>());
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_problem_with_every_activation_and_stops_early() {
        // Two Gaussian-ish blobs from a fixed formula.
        let n = 120;
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..n {
            let c = i % 2;
            let t = i as f64 * 0.37;
            let sign = if c == 0 { -1.0 } else { 1.0 };
            rows.push(sign * 0.6 + 0.2 * t.sin());
            rows.push(sign * 0.4 + 0.2 * (1.7 * t).cos());
            labels.push(c);
        }
        let (x, y) = tensors(&rows, 2, &labels);
        let (xt, yt) = (x.narrow(0, 0, 80), y.narrow(0, 0, 80));
        let (xv, yv) = (x.narrow(0, 80, 20), y.narrow(0, 80, 20));
        let (xs, ys) = (x.narrow(0, 100, 20), y.narrow(0, 100, 20));
        for act in [
            HiddenActivation::Sigmoid,
            HiddenActivation::F2,
            HiddenActivation::Square,
            HiddenActivation::Polynomial(vec![0.5, 0.25, 0.0, -0.02]),
        ] {
            let cfg = ShallowConfig {
                max_epochs: 120,
                learning_rate: 0.05,
                ..Default::default()
            };
            let r = train_shallow(
                &cfg,
                &act,
                2,
                Split { x: &xt, y: &yt },
                Split { x: &xv, y: &yv },
                Split { x: &xs, y: &ys },
            )
            .unwrap();
            assert!(r.test_accuracy >= 90.0, "{act:?}: {r:?}");
            assert!(r.best_epoch <= r.epochs_run && !r.diverged);
        }
        let poly = HiddenActivation::Polynomial(vec![1.0, 2.0, 3.0]);
        let v = Tensor::from_slice(&[2.0f64]);
        assert_eq!(poly.apply(&v).double_value(&[0]), 17.0);
    }
}
