//! What a run records besides its measurements: the machine, the code, the
//! calibration workload, and the outcome of every experiment it attempted.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::record::Measurement;
use crate::he::math::kernel::Kernel;

/// The machine a run ran on (sysinfo, and CPUID on x86-64).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MachineInfo {
    pub cpu_brand: String,
    pub physical_cores: u32,
    pub logical_cores: u32,
    pub memory_gib: f64,
    pub os: String,
    /// The operating system's kernel version (not the arithmetic kernel).
    pub kernel: String,
    pub hostname_hash: String,
    /// CPUID's vendor string, e.g. `AuthenticAMD`, `GenuineIntel`; empty off
    /// x86-64 and in runs recorded before heml read it.
    #[serde(default)]
    pub cpu_vendor: String,
    /// CPUID's display family (base family plus extended family when the base
    /// is 15), e.g. 25 for AMD Zen 3/4, 6 for most Intel cores; 0 when unknown.
    #[serde(default)]
    pub cpu_family: u32,
    /// CPUID's display model (extended model in the high nibble for families
    /// 6 and 15); 0 when unknown.
    #[serde(default)]
    pub cpu_model: u32,
    /// The SIMD features the arithmetic kernels use that this CPU has, by the
    /// names `HEML_KERNEL` takes (`avx2`, `avx512`, `avx512ifma`).
    #[serde(default)]
    pub cpu_features: Vec<String>,
    /// The kernel that served the NTT and the element-wise modular
    /// arithmetic; `None` in runs recorded before heml recorded it.
    #[serde(default)]
    pub arith_kernel: Option<Kernel>,
}

impl MachineInfo {
    /// The class of machine whose timings compare with this one's: the CPU
    /// (vendor, family, model) and the arithmetic kernel.
    pub fn machine_class(&self) -> MachineClass {
        MachineClass {
            vendor: self.cpu_vendor.clone(),
            family: self.cpu_family,
            model: self.cpu_model,
            kernel: self.arith_kernel,
        }
    }
}

/// Machines whose timings `heml check` compares directly: the same CPU
/// (CPUID vendor, display family and model) running the same arithmetic
/// kernel. Baselines are kept per class, in `results/baselines/<slug>/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MachineClass {
    /// CPUID's vendor string; empty when unknown.
    pub vendor: String,
    /// Display family; 0 when unknown.
    pub family: u32,
    /// Display model; 0 when unknown (with the family).
    pub model: u32,
    /// `None` when unknown.
    pub kernel: Option<Kernel>,
}

impl MachineClass {
    /// A lowercase, filesystem-safe name: `<vendor>-f<family>-m<model>-<kernel>`,
    /// e.g. `authenticamd-f25-m1-avx2`, with `unknown` for what a run did not
    /// record (`authenticamd-unknown-avx512ifma`).
    pub fn slug(&self) -> String {
        let vendor: String = self
            .vendor
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let vendor = if vendor.is_empty() {
            "unknown".to_string()
        } else {
            vendor
        };
        let cpu = if self.family == 0 {
            "unknown".to_string()
        } else {
            format!("f{}-m{}", self.family, self.model)
        };
        let kernel = self.kernel.map_or("unknown", Kernel::name);
        format!("{vendor}-{cpu}-{kernel}")
    }

    /// Vendor, family, model and kernel are all known: only then do two runs of
    /// the same class run on comparable machines.
    pub fn is_identified(&self) -> bool {
        !self.vendor.is_empty() && self.family != 0 && self.kernel.is_some()
    }
}

impl fmt::Display for MachineClass {
    /// e.g. `AuthenticAMD family 25 model 1, avx2 kernel`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let vendor = if self.vendor.is_empty() {
            "unknown vendor"
        } else {
            &self.vendor
        };
        write!(f, "{vendor} ")?;
        if self.family == 0 {
            write!(f, "family and model unknown")?;
        } else {
            write!(f, "family {} model {}", self.family, self.model)?;
        }
        match self.kernel {
            Some(k) => write!(f, ", {k} kernel"),
            None => write!(f, ", kernel unknown"),
        }
    }
}

/// A fixed workload timed in every run so that timings of two runs on
/// different machines can be compared (see `check`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Calibration {
    /// What was timed, e.g. `modexp-2048 x 64 + f64 matmul 256`.
    pub workload: String,
    /// Median wall time of the workload in milliseconds.
    pub elapsed_ms: f64,
}

/// One run: `results/<run-id>/run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunInfo {
    pub run_id: String,
    /// `quick` or `full`.
    pub profile: String,
    pub git_commit: String,
    /// True when the working tree had uncommitted changes.
    pub git_dirty: bool,
    pub heml_version: String,
    pub started: String,
    pub finished: Option<String>,
    pub machine: MachineInfo,
    pub calibration: Option<Calibration>,
    /// Threads the run was allowed to use.
    pub threads: u32,
    /// The command line that started the run.
    pub command: String,
}

/// How an experiment of a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentState {
    Done,
    Failed,
    /// Its spec did not validate; it never started.
    Invalid,
}

/// `results/<run-id>/experiments/<id>.json`: one experiment of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRecord {
    pub id: String,
    pub title: String,
    /// Spec file, relative to the project root.
    pub spec_path: String,
    /// Paper file and section, as the spec states them.
    pub paper: String,
    pub state: ExperimentState,
    /// The error, with its chain, when `state` is not `Done`.
    pub error: Option<String>,
    /// sha256 of the spec file and of the heml binary that ran it: an
    /// experiment is reused by a later run only when both are equal.
    pub spec_sha256: String,
    pub code_sha256: String,
    pub profile: String,
    pub started: String,
    pub elapsed_s: f64,
    /// Set when the record was carried over from an earlier run.
    pub reused_from: Option<String>,
    /// The arithmetic kernel that ran it (`None` in records written before
    /// heml recorded it): a record is reused only by a run on the same kernel.
    #[serde(default)]
    pub kernel: Option<Kernel>,
    /// Security level of the scheme it ran, or `insecure: ...`.
    pub security: String,
    /// Warnings every report must show next to this experiment
    /// (insecure parameters, broken schemes).
    pub warnings: Vec<String>,
    pub measurements: Vec<Measurement>,
}

/// A claim of CLAIMS.md as listed in `experiments/claims.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimEntry {
    /// e.g. `MU18-train`.
    pub id: String,
    /// Paper key: `CS21`, `MU18`, `HE18`, `SK`.
    pub paper: String,
    pub what: String,
    /// The paper's value as the paper states it (text).
    pub paper_value: String,
    /// Why heml does not attempt this claim (yet); `None` when a spec covers it.
    #[serde(default)]
    pub not_attempted: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zen3(kernel: Option<Kernel>) -> MachineInfo {
        MachineInfo {
            cpu_brand: "AMD EPYC".into(),
            cpu_vendor: "AuthenticAMD".into(),
            cpu_family: 25,
            cpu_model: 1,
            cpu_features: vec!["avx2".into()],
            arith_kernel: kernel,
            ..MachineInfo::default()
        }
    }

    #[test]
    fn a_class_slug_names_cpu_and_kernel_and_is_filesystem_safe() {
        let c = zen3(Some(Kernel::Avx2)).machine_class();
        assert_eq!(c.slug(), "authenticamd-f25-m1-avx2");
        assert_eq!(c.to_string(), "AuthenticAMD family 25 model 1, avx2 kernel");
        assert!(c.is_identified());
        let icelake = MachineClass {
            vendor: "GenuineIntel".into(),
            family: 6,
            model: 106,
            kernel: Some(Kernel::Avx512Ifma),
        };
        assert_eq!(icelake.slug(), "genuineintel-f6-m106-avx512ifma");
        // The same CPU on another kernel is another class.
        assert_ne!(zen3(Some(Kernel::Scalar)).machine_class(), c);
        let odd = MachineClass {
            vendor: " Weird/Vendor.. ".into(),
            family: 0,
            model: 0,
            kernel: None,
        };
        assert_eq!(odd.slug(), "weirdvendor-unknown-unknown");
        assert!(!odd.is_identified());
        for slug in [c.slug(), icelake.slug(), odd.slug()] {
            assert!(
                slug.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{slug}"
            );
        }
    }

    #[test]
    fn a_run_json_without_the_class_fields_still_loads() {
        let old = r#"{"cpu_brand": "AMD EPYC", "physical_cores": 2, "logical_cores": 2,
            "memory_gib": 23.5, "os": "Linux", "kernel": "6.1", "hostname_hash": ""}"#;
        let m: MachineInfo = serde_json::from_str(old).unwrap();
        assert_eq!(m.cpu_vendor, "");
        assert_eq!(m.arith_kernel, None);
        assert_eq!(m.machine_class().slug(), "unknown-unknown-unknown");
        let back: MachineInfo =
            serde_json::from_str(&serde_json::to_string(&zen3(Some(Kernel::Avx2))).unwrap())
                .unwrap();
        assert_eq!(back, zen3(Some(Kernel::Avx2)));
    }

    #[test]
    fn kernels_are_recorded_by_the_names_heml_kernel_takes() {
        for k in Kernel::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
            let back: Kernel = serde_json::from_value(k.name().into()).unwrap();
            assert_eq!(back, k);
        }
    }
}
