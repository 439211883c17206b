//! Experiments: a validated spec in, measurements out. This is where plaintext
//! models (tch), data sets and the encryption engines meet.

pub mod ckks_ops;
pub mod cs21_lr;
pub mod cs21_lr_train;
pub mod cs21_mnist;
pub mod he18_approx;
pub mod he18_uci;
pub mod mu18;
pub mod paillier_layer;
pub mod recorder;
pub mod sk_imdb;
pub mod sk_net;

use anyhow::Result;

use crate::data::DataStore;
use crate::progress::Progress;
use crate::spec::{ExperimentKind, Profile, Spec};
pub use recorder::{Recorder, RowContext};

/// What an experiment may use.
pub struct Context<'a> {
    pub profile: Profile,
    pub data: &'a DataStore,
    pub threads: u32,
    pub progress: &'a Progress,
    /// The peer libraries' Python and scripts, when this machine has them.
    pub peer: Option<crate::peers::PeerEnv>,
}

/// What an experiment leaves besides its measurements.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Security level of what ran, or `insecure: ...`.
    pub security: String,
    /// Warnings every report repeats next to this experiment.
    pub warnings: Vec<String>,
}

/// MNIST as tensors for training: the profile's rows of each split (all when
/// it does not say), pixels scaled to [0, 1] when `unit`.
pub(crate) struct MnistTensors {
    pub n_train: usize,
    pub n_test: usize,
    pub x_train: tch::Tensor,
    pub y_train: tch::Tensor,
    pub x_test: tch::Tensor,
    pub y_test: tch::Tensor,
}

impl MnistTensors {
    /// Loads MNIST for `spec` (its `dataset.scaling` decides `unit`) and the
    /// profile's rows as tensors; returns the data set, the tensors and `unit`.
    pub(crate) fn load(
        spec: &Spec,
        ctx: &Context,
        settings: &crate::spec::Settings,
    ) -> Result<(crate::data::mnist::Mnist, MnistTensors, bool)> {
        use anyhow::Context as _;
        let unit = spec
            .dataset
            .as_ref()
            .with_context(|| format!("kind {} needs a `dataset` section", spec.kind.name()))?
            .unit_scale;
        let mnist = crate::data::load_mnist(ctx.data).context("loading MNIST")?;
        let n_train = settings
            .train_samples
            .unwrap_or(mnist.train.n)
            .min(mnist.train.n);
        let n_test = settings
            .test_samples
            .unwrap_or(mnist.test.n)
            .min(mnist.test.n);
        let (x_train, y_train) =
            mnist_rows(&mnist.train.images, &mnist.train.labels, n_train, unit);
        let (x_test, y_test) = mnist_rows(&mnist.test.images, &mnist.test.labels, n_test, unit);
        let t = MnistTensors {
            n_train,
            n_test,
            x_train,
            y_train,
            x_test,
            y_test,
        };
        Ok((mnist, t, unit))
    }
}

/// Rows `0..n` of an MNIST split as tensors: pixels (scaled to [0, 1] when
/// `unit`) and labels.
fn mnist_rows(images: &[u8], labels: &[u8], n: usize, unit: bool) -> (tch::Tensor, tch::Tensor) {
    let scale = if unit { 1.0 / 255.0 } else { 1.0 };
    let x: Vec<f32> = images[..n * 784]
        .iter()
        .map(|&p| p as f32 * scale)
        .collect();
    let y: Vec<i64> = labels[..n].iter().map(|&l| l as i64).collect();
    (
        tch::Tensor::from_slice(&x).view([n as i64, 784]),
        tch::Tensor::from_slice(&y),
    )
}

/// The CKKS parameters of a profile's scheme, or an error naming the kind.
pub(crate) fn ckks_params<'a>(
    spec: &Spec,
    settings: &'a crate::spec::Settings,
) -> Result<&'a std::sync::Arc<crate::he::ckks::CkksParameters>> {
    match &settings.scheme {
        crate::spec::Scheme::Ckks { params } => Ok(params),
        other => anyhow::bail!(
            "kind {} needs engine ckks, got {}",
            spec.kind.name(),
            other.engine()
        ),
    }
}

/// Runs `spec`, writing its measurements into `rec` as they are made, so that
/// a failure keeps what was measured before it.
pub fn run(spec: &Spec, ctx: &Context, rec: &mut Recorder) -> Result<Outcome> {
    match spec.kind {
        ExperimentKind::Mu18Paillier => mu18::run(spec, ctx, rec),
        ExperimentKind::CkksOps => ckks_ops::run(spec, ctx, rec),
        ExperimentKind::Cs21Lr => cs21_lr::run(spec, ctx, rec),
        ExperimentKind::Cs21LrTrain => cs21_lr_train::run(spec, ctx, rec),
        ExperimentKind::He18Approx => he18_approx::run(spec, ctx, rec),
        ExperimentKind::He18Uci => he18_uci::run(spec, ctx, rec),
        ExperimentKind::SkImdb => sk_imdb::run(spec, ctx, rec),
        ExperimentKind::Cs21Mnist => cs21_mnist::run(spec, ctx, rec),
    }
}
