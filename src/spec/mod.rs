//! Experiment specs: YAML in `experiments/`, parsed into literal structs
//! ([`literal`]), then validated in one place ([`validate`]) into [`Spec`].
//! Everything downstream takes a [`Spec`] and never re-checks it.

pub mod literal;
pub mod locate;
pub mod validate;

pub use validate::{
    Baseline, BaselineModel, Claim, DatasetRef, EncryptedTraining, ExperimentKind, Keep, Optimizer,
    Packing, Profile, Scheme, Settings, SigmoidPolynomial, Spec, SpecError, Tolerance, load_spec,
    parse_spec,
};
