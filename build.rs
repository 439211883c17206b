//! Embeds libtorch's library folder as an rpath so that `heml`, its tests and
//! its benchmarks load `libtorch_cpu.so` without LD_LIBRARY_PATH.
//!
//! Also probes the build machine's SIMD features (`heml_cpu_avx2`,
//! `heml_cpu_avx512`, `heml_cpu_avx512ifma`) so that a kernel's own tests are
//! marked ignored, with the reason printed by the test harness, on a CPU that
//! lacks the kernel. The tests check the CPU again at run time (a build cache
//! copied to another machine), and the engine itself dispatches at run time only.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    println!("cargo:rerun-if-changed=build.rs");
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    }
    for cfg in ["heml_cpu_avx2", "heml_cpu_avx512", "heml_cpu_avx512ifma"] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    // Only a native build runs its tests on the machine that built them.
    let native = std::env::var("HOST").ok() == std::env::var("TARGET").ok();
    #[cfg(target_arch = "x86_64")]
    if native {
        let avx512 = is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512dq");
        let features = [
            ("heml_cpu_avx2", is_x86_feature_detected!("avx2")),
            ("heml_cpu_avx512", avx512),
            (
                "heml_cpu_avx512ifma",
                avx512 && is_x86_feature_detected!("avx512ifma"),
            ),
        ];
        for (cfg, present) in features {
            if present {
                println!("cargo:rustc-cfg={cfg}");
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = native;
}
