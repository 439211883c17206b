//! The machine and the calibration workload recorded with every run.

use std::time::Instant;

use rug::Integer;
use rug::ops::Pow;
use sysinfo::System;

use super::run::{Calibration, MachineInfo};

pub fn machine_info() -> MachineInfo {
    let Ok(mut sys) = System::new() else {
        return MachineInfo::default();
    };
    sys.refresh_cpu_all();
    sys.refresh_memory();
    let cpu_brand = sys
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .unwrap_or_default();
    let logical = sys.cpus().len() as u32;
    MachineInfo {
        cpu_brand,
        physical_cores: System::physical_core_count().unwrap_or(0) as u32,
        logical_cores: logical,
        memory_gib: sys.total_memory() as f64 / (1u64 << 30) as f64,
        os: System::long_os_version().unwrap_or_default(),
        kernel: System::kernel_version().unwrap_or_default(),
        hostname_hash: String::new(),
    }
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
