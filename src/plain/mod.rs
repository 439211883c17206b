//! Plaintext models: trained with tch (libtorch), exported as plain weights.
//! The encrypted side never sees a tch tensor: it takes [`DenseLayer`]s.

pub mod cnn;
pub mod linear;
pub mod mlp;
pub mod shallow;

pub use linear::{DenseLayer, collapse_affine};
pub use mlp::{EpochStats, Mlp, Net, TrainConfig, TrainReport, train, train_net};
