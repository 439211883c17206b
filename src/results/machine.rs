//! The machine and the calibration workload recorded with every run.

use std::time::Instant;

use rug::Integer;
use rug::ops::Pow;
use sysinfo::System;

use super::run::{Calibration, MachineInfo};
use crate::he::math::kernel::{self, CpuFeatures};

/// The CPU as CPUID names it: vendor string and display family and model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CpuId {
    pub vendor: String,
    pub family: u32,
    pub model: u32,
}

impl CpuId {
    /// From leaf 0 (vendor in EBX, EDX, ECX) and leaf 1's EAX, by the rule of
    /// the Intel SDM (vol. 2A, CPUID, "Display Family / Display Model") and
    /// AMD's APM: the extended family is added when the base family is 15, and
    /// the extended model is the high nibble when the base family is 6 or 15.
    pub fn from_registers(vendor: [u32; 3], leaf1_eax: u32) -> CpuId {
        let bytes: Vec<u8> = vendor.iter().flat_map(|r| r.to_le_bytes()).collect();
        let vendor = String::from_utf8_lossy(&bytes)
            .trim_matches(char::from(0))
            .trim()
            .to_string();
        let base_model = (leaf1_eax >> 4) & 0xf;
        let base_family = (leaf1_eax >> 8) & 0xf;
        let ext_model = (leaf1_eax >> 16) & 0xf;
        let ext_family = (leaf1_eax >> 20) & 0xff;
        let family = if base_family == 0xf {
            base_family + ext_family
        } else {
            base_family
        };
        let model = if base_family == 0x6 || base_family == 0xf {
            (ext_model << 4) + base_model
        } else {
            base_model
        };
        CpuId {
            vendor,
            family,
            model,
        }
    }

    /// This CPU (empty and 0 off x86-64).
    pub fn detect() -> CpuId {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::__cpuid;
            #[allow(unused_unsafe)]
            // SAFETY: CPUID exists on every x86-64 CPU; leaf 0 and, when it
            // reports one, leaf 1 are always valid.
            let (leaf0, leaf1) = unsafe {
                let leaf0 = __cpuid(0);
                let leaf1 = (leaf0.eax >= 1).then(|| __cpuid(1));
                (leaf0, leaf1)
            };
            CpuId::from_registers(
                [leaf0.ebx, leaf0.edx, leaf0.ecx],
                leaf1.map_or(0, |l| l.eax),
            )
        }
        #[cfg(not(target_arch = "x86_64"))]
        CpuId::default()
    }
}

/// The kernels' features of a CPU by the names `HEML_KERNEL` takes.
pub fn feature_names(cpu: CpuFeatures) -> Vec<String> {
    cpu.ids().into_iter().map(String::from).collect()
}

/// This machine, with the arithmetic kernel serving this process.
pub fn machine_info() -> MachineInfo {
    let cpu = CpuId::detect();
    let with_cpu = |info: MachineInfo| MachineInfo {
        cpu_vendor: cpu.vendor.clone(),
        cpu_family: cpu.family,
        cpu_model: cpu.model,
        cpu_features: feature_names(CpuFeatures::detect()),
        arith_kernel: Some(kernel::active()),
        ..info
    };
    let Ok(mut sys) = System::new() else {
        return with_cpu(MachineInfo::default());
    };
    sys.refresh_cpu_all();
    sys.refresh_memory();
    let cpu_brand = sys
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .unwrap_or_default();
    let logical = sys.cpus().len() as u32;
    with_cpu(MachineInfo {
        cpu_brand,
        physical_cores: System::physical_core_count().unwrap_or(0) as u32,
        logical_cores: logical,
        memory_gib: sys.total_memory() as f64 / (1u64 << 30) as f64,
        os: System::long_os_version().unwrap_or_default(),
        kernel: System::kernel_version().unwrap_or_default(),
        hostname_hash: String::new(),
        ..MachineInfo::default()
    })
}

/// A fixed single-thread workload close to what heml spends its time on:
/// 2048-bit modular exponentiations (Paillier) and an f64 matrix product.
/// Its median time normalises timings between machines in `heml check`.
pub fn calibrate() -> Calibration {
    let modulus: Integer = Integer::from(2).pow(2048u32) - Integer::from(159);
    let base: Integer = Integer::from(3).pow(1000u32) % &modulus;
    let exponent: Integer = Integer::from(2).pow(2047u32) - Integer::from(1);
    let n = 128;
    let a: Vec<f64> = (0..n * n)
        .map(|i| ((i * 7919) % 1000) as f64 / 1000.0)
        .collect();
    let mut times = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let mut acc = Integer::from(1);
        for _ in 0..16 {
            let r = base
                .clone()
                .pow_mod(&exponent, &modulus)
                .expect("odd modulus");
            acc = (acc * r) % &modulus;
        }
        let mut c = vec![0.0f64; n * n];
        for i in 0..n {
            for k in 0..n {
                let x = a[i * n + k];
                for j in 0..n {
                    c[i * n + j] += x * a[k * n + j];
                }
            }
        }
        std::hint::black_box((acc, c));
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Calibration {
        workload: "16 x 2048-bit modexp + 128x128 f64 matmul, single thread, median of 5".into(),
        elapsed_ms: times[times.len() / 2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `GenuineIntel`, `AuthenticAMD` as CPUID returns them (EBX, EDX, ECX).
    fn regs(s: &[u8; 12]) -> [u32; 3] {
        let w = |i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]);
        [w(0), w(4), w(8)]
    }

    #[test]
    fn display_family_and_model_follow_the_extended_rule() {
        // AMD EPYC 7B13 (Zen 3): base family 15 + extended 10 = 25, model 1.
        let zen3 = CpuId::from_registers(regs(b"AuthenticAMD"), 0x00A0_0F11);
        assert_eq!(
            zen3,
            CpuId {
                vendor: "AuthenticAMD".into(),
                family: 25,
                model: 1
            }
        );
        // Zen 4 Genoa: 0x00A10F11 -> family 25, model 0x11 = 17.
        let genoa = CpuId::from_registers(regs(b"AuthenticAMD"), 0x00A1_0F11);
        assert_eq!((genoa.family, genoa.model), (25, 17));
        // Intel Ice Lake server: family 6, extended model 6, model 0xA -> 106.
        let icx = CpuId::from_registers(regs(b"GenuineIntel"), 0x0006_06A6);
        assert_eq!(
            (icx.vendor.as_str(), icx.family, icx.model),
            ("GenuineIntel", 6, 106)
        );
        // Below family 6 the extended fields do not count.
        let old = CpuId::from_registers(regs(b"GenuineIntel"), 0x000F_0543);
        assert_eq!((old.family, old.model), (5, 4));
    }

    #[test]
    fn this_machine_is_recorded_with_its_kernel() {
        let m = machine_info();
        assert_eq!(m.arith_kernel, Some(kernel::active()));
        let cpu = CpuFeatures::detect();
        assert_eq!(m.cpu_features, feature_names(cpu));
        // The active kernel is one the CPU has, and so one of its features.
        let k = kernel::active();
        assert!(cpu.supports(k));
        if k != kernel::Kernel::Scalar {
            assert!(m.cpu_features.iter().any(|f| f == k.name()), "{m:?}");
        }
        #[cfg(target_arch = "x86_64")]
        {
            assert!(!m.cpu_vendor.is_empty() && m.cpu_family != 0, "{m:?}");
            assert!(m.machine_class().is_identified());
        }
    }
}
