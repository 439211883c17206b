//! heml: reproduce, measure and compare machine learning on homomorphically
//! encrypted data.
//!
//! Layers, each importing only those above it in this list:
//! - [`he`]: the encryption engines (no datasets, tch, Polars or YAML inside);
//! - [`approx`]: polynomial approximations of activations (pure numerics);
//! - [`data`]: the data-set registry, verified downloads and loaders;
//! - [`spec`]: experiment specs, literal YAML -> validated [`spec::Spec`];
//! - [`plain`]: plaintext models trained with tch;
//! - [`experiments`]: a spec in, measurements out;
//! - [`results`], [`report`]: measurements stored, checked and drawn.

pub mod approx;
pub mod cli;
pub mod data;
pub mod experiments;
pub mod he;
pub mod peers;
pub mod plain;
pub mod progress;
pub mod report;
pub mod results;
pub mod runner;
pub mod spec;
pub mod timing;
