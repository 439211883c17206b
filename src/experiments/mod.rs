//! Experiments: a validated spec in, measurements out. This is where plaintext
//! models (tch), data sets and the encryption engines meet.

pub mod ckks_ops;
pub mod cs21_lr;
pub mod cs21_lr_train;
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
    }
}
