//! Measurements, runs and their storage. Reads and writes measurements; knows
//! nothing of how they were produced.

pub mod check;
pub mod machine;
pub mod record;
pub mod run;
pub mod store;
pub mod table;

pub use record::{Measurement, MetricKind, Verdict};
pub use run::{Calibration, ClaimEntry, ExperimentRecord, ExperimentState, MachineInfo, RunInfo};
pub use store::{RunDir, list_runs, resolve_run, write_atomic};
