//! Which implementation serves the NTT and the element-wise modular arithmetic.
//!
//! Four kernels compute bit-identical results (every SIMD path is tested against
//! the scalar one on each CPU): the portable scalar code, AVX2 (four 64-bit lanes,
//! 32 x 32 -> 64-bit products), AVX-512F/DQ (eight lanes) and AVX-512 with IFMA
//! (52-bit multiply-adds for primes below 2^50; the AVX-512 kernel serves the
//! larger primes). One kernel serves a whole process: the best the CPU has, or the
//! one `HEML_KERNEL=auto|scalar|avx2|avx512|avx512ifma` names, chosen once, before
//! the first NTT table is built. Runs record it (see `heml`'s `run.json`).

use std::fmt;
use std::sync::OnceLock;

/// The environment variable that forces a kernel.
pub const KERNEL_ENV: &str = "HEML_KERNEL";

/// An implementation of the modular arithmetic, slowest first.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// Portable 64-bit code (any CPU, any target).
    Scalar,
    /// AVX2: four lanes, products from `vpmuludq`.
    Avx2,
    /// AVX-512F/DQ: eight lanes, products from `vpmuludq`.
    Avx512,
    /// AVX-512F/DQ/IFMA: 52-bit multiply-adds for primes below 2^50.
    Avx512Ifma,
}

impl Kernel {
    pub const ALL: [Kernel; 4] = [
        Kernel::Scalar,
        Kernel::Avx2,
        Kernel::Avx512,
        Kernel::Avx512Ifma,
    ];

    /// The name `HEML_KERNEL` takes and runs record.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
            Kernel::Avx512Ifma => "avx512ifma",
        }
    }

    pub fn parse(s: &str) -> Option<Kernel> {
        Kernel::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The CPU features the kernel needs, as people name them.
    pub fn needs(self) -> &'static str {
        match self {
            Kernel::Scalar => "nothing",
            Kernel::Avx2 => "AVX2",
            Kernel::Avx512 => "AVX-512F and AVX-512DQ",
            Kernel::Avx512Ifma => "AVX-512F, AVX-512DQ and AVX-512 IFMA",
        }
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What `HEML_KERNEL` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelChoice {
    /// The best kernel the CPU has.
    Auto,
    Force(Kernel),
}

impl KernelChoice {
    pub fn parse(s: &str) -> Option<KernelChoice> {
        match s.trim() {
            "" | "auto" => Some(KernelChoice::Auto),
            other => Kernel::parse(other).map(KernelChoice::Force),
        }
    }
}

/// The SIMD features of this CPU the kernels use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CpuFeatures {
    pub avx2: bool,
    /// AVX-512F and AVX-512DQ.
    pub avx512: bool,
    pub avx512ifma: bool,
}

impl CpuFeatures {
    /// This CPU's features (cached by `is_x86_feature_detected!`).
    pub fn detect() -> CpuFeatures {
        #[cfg(target_arch = "x86_64")]
        {
            let avx512 =
                is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512dq");
            CpuFeatures {
                avx2: is_x86_feature_detected!("avx2"),
                avx512,
                avx512ifma: avx512 && is_x86_feature_detected!("avx512ifma"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        CpuFeatures::default()
    }

    pub fn supports(self, kernel: Kernel) -> bool {
        match kernel {
            Kernel::Scalar => true,
            Kernel::Avx2 => self.avx2,
            Kernel::Avx512 => self.avx512,
            Kernel::Avx512Ifma => self.avx512ifma,
        }
    }

    /// Every kernel this CPU runs, slowest first.
    pub fn kernels(self) -> Vec<Kernel> {
        Kernel::ALL
            .into_iter()
            .filter(|&k| self.supports(k))
            .collect()
    }

    /// The fastest kernel this CPU runs.
    pub fn best(self) -> Kernel {
        *self.kernels().last().expect("scalar runs everywhere")
    }

    /// The features by the names heml records them under (`avx2`, `avx512`,
    /// `avx512ifma`), those this CPU has.
    pub fn ids(self) -> Vec<&'static str> {
        [
            (self.avx2, "avx2"),
            (self.avx512, "avx512"),
            (self.avx512ifma, "avx512ifma"),
        ]
        .into_iter()
        .filter_map(|(has, name)| has.then_some(name))
        .collect()
    }

    /// The features as people name them, e.g. `AVX2, AVX-512F/DQ` or `none of AVX2,
    /// AVX-512`.
    pub fn describe(self) -> String {
        let names: Vec<&str> = [
            (self.avx2, "AVX2"),
            (self.avx512, "AVX-512F/DQ"),
            (self.avx512ifma, "AVX-512 IFMA"),
        ]
        .into_iter()
        .filter_map(|(has, name)| has.then_some(name))
        .collect();
        if names.is_empty() {
            "none of AVX2, AVX-512".into()
        } else {
            names.join(", ")
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    #[error(
        "{KERNEL_ENV}={given:?} is not a kernel: valid are auto, scalar, avx2, avx512, avx512ifma"
    )]
    Unknown { given: String },
    #[error(
        "{KERNEL_ENV}={requested} needs {needs}, which this CPU lacks; it has {has}, so valid \
         choices here are auto, {available}",
        needs = requested.needs(),
        has = cpu.describe(),
        available = cpu.kernels().iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
    )]
    Unsupported { requested: Kernel, cpu: CpuFeatures },
    #[error(
        "the arithmetic kernel is already {active}; {requested} must be chosen before the first NTT table"
    )]
    AlreadyChosen { active: Kernel, requested: Kernel },
}

/// The kernel a choice resolves to on a CPU with `cpu`'s features.
pub fn resolve(choice: KernelChoice, cpu: CpuFeatures) -> Result<Kernel, KernelError> {
    match choice {
        KernelChoice::Auto => Ok(cpu.best()),
        KernelChoice::Force(k) if cpu.supports(k) => Ok(k),
        KernelChoice::Force(requested) => Err(KernelError::Unsupported { requested, cpu }),
    }
}

/// The kernel `HEML_KERNEL` asks for on this CPU (auto when unset).
pub fn from_env() -> Result<Kernel, KernelError> {
    let choice = match std::env::var(KERNEL_ENV) {
        Err(_) => KernelChoice::Auto,
        Ok(s) => KernelChoice::parse(&s).ok_or(KernelError::Unknown { given: s })?,
    };
    resolve(choice, CpuFeatures::detect())
}

static ACTIVE: OnceLock<Kernel> = OnceLock::new();

/// Chooses the process's kernel from `HEML_KERNEL`: call it before any engine work
/// (the command line does, and fails with this error). Calling it again is fine
/// while the answer is the same.
pub fn init_from_env() -> Result<Kernel, KernelError> {
    let wanted = from_env()?;
    let active = *ACTIVE.get_or_init(|| wanted);
    if active == wanted {
        Ok(active)
    } else {
        Err(KernelError::AlreadyChosen {
            active,
            requested: wanted,
        })
    }
}

/// The kernel serving this process. Chosen on first use from `HEML_KERNEL`; a value
/// that cannot be honoured there (a library user who did not call
/// [`init_from_env`]) falls back to the best kernel, with a warning on stderr.
pub fn active() -> Kernel {
    *ACTIVE.get_or_init(|| {
        from_env().unwrap_or_else(|e| {
            let best = CpuFeatures::detect().best();
            eprintln!("heml: {e}; using {best}");
            best
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in Kernel::ALL {
            assert_eq!(Kernel::parse(k.name()), Some(k));
            assert_eq!(KernelChoice::parse(k.name()), Some(KernelChoice::Force(k)));
        }
        assert_eq!(KernelChoice::parse("auto"), Some(KernelChoice::Auto));
        assert_eq!(KernelChoice::parse("AVX2"), None);
        assert_eq!(KernelChoice::parse("avx-512"), None);
    }

    #[test]
    fn a_kernel_the_cpu_lacks_is_an_error_naming_what_it_has() {
        let zen3 = CpuFeatures {
            avx2: true,
            avx512: false,
            avx512ifma: false,
        };
        assert_eq!(resolve(KernelChoice::Auto, zen3), Ok(Kernel::Avx2));
        assert_eq!(
            resolve(KernelChoice::Force(Kernel::Scalar), zen3),
            Ok(Kernel::Scalar)
        );
        let e = resolve(KernelChoice::Force(Kernel::Avx512Ifma), zen3).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("HEML_KERNEL=avx512ifma needs AVX-512F, AVX-512DQ and AVX-512 IFMA"),
            "{msg}"
        );
        assert!(msg.contains("it has AVX2"), "{msg}");
        assert!(msg.contains("auto, scalar, avx2"), "{msg}");
        let none = CpuFeatures::default();
        assert_eq!(none.best(), Kernel::Scalar);
        assert!(
            resolve(KernelChoice::Force(Kernel::Avx2), none)
                .unwrap_err()
                .to_string()
                .contains("none of AVX2")
        );
        let icelake = CpuFeatures {
            avx2: true,
            avx512: true,
            avx512ifma: true,
        };
        assert_eq!(icelake.best(), Kernel::Avx512Ifma);
        assert_eq!(icelake.kernels(), Kernel::ALL.to_vec());
    }

    /// Under `HEML_KERNEL` (as CI forces each kernel in turn) the whole suite runs on
    /// the kernel asked for: a value this CPU cannot honour fails here rather than
    /// letting every other test pass on another kernel.
    #[test]
    fn the_forced_kernel_serves_the_process() {
        match std::env::var(KERNEL_ENV) {
            Ok(s) => {
                let k = from_env().unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(active(), k, "{KERNEL_ENV}={s}");
                eprintln!("tests run on the {k} kernel ({KERNEL_ENV}={s})");
            }
            Err(_) => assert_eq!(active(), CpuFeatures::detect().best()),
        }
    }
}
