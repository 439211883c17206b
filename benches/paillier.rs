//! Single-thread benchmarks of heml's Paillier engine, comparable with
//! `peers/paillier_peer.py` (python-paillier + gmpy2).
//!
//! Run with e.g.
//! `cargo bench --bench paillier -- --warm-up-time 1 --measurement-time 3`.
//! Set `HEML_PAILLIER_BENCH_BITS=2048` (comma-separated; default
//! `2048,3072`) to choose key sizes. Every benchmark ID carries its
//! parameters (`bits=..,mode=..`).
//!
//! With `HEML_BENCH_CPU_TIME=1` (64-bit Linux) the benches measure the CPU
//! time of the benchmarking thread (`CLOCK_THREAD_CPUTIME_ID`) instead of
//! wall-clock time, which keeps single-thread figures meaningful when other
//! processes share the cores; compare with the Python peer's `cpu_*` fields.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkId, Criterion, Throughput};
use heml::he::paillier::{
    EncodedMatrix, EncodedNumber, EncryptedNumber, EncryptionMode, Keypair, PaillierParams,
    WeightEncoding, generate_keypair,
};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::hint::black_box;
use std::time::Duration;

fn bench_bits() -> Vec<u32> {
    std::env::var("HEML_PAILLIER_BENCH_BITS")
        .ok()
        .map(|s| s.split(',').filter_map(|t| t.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![2048, 3072])
}

fn keypair(bits: u32, mode: EncryptionMode) -> Keypair {
    generate_keypair(&PaillierParams::new(bits, mode).expect("params")).expect("keygen")
}

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

unsafe extern "C" {
    // POSIX, from the C library std already links.
    fn clock_gettime(clock_id: i32, tp: *mut Timespec) -> i32;
}

/// Linux `CLOCK_THREAD_CPUTIME_ID`.
const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

/// CPU time of the calling thread in nanoseconds.
fn thread_cpu_ns() -> u64 {
    if !cfg!(all(target_os = "linux", target_pointer_width = "64")) {
        panic!("HEML_BENCH_CPU_TIME is supported on 64-bit Linux only");
    }
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec with the 64-bit Linux layout.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Criterion measurement: CPU time of the benchmarking thread.
struct ThreadCpuTime;

struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else if typical < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        for v in values.iter_mut() {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let per = match t {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                *n as f64
            }
            _ => 1.0,
        };
        for v in values.iter_mut() {
            *v = per * 1e9 / *v;
        }
        "elem/cpu-s"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, i: u64) -> u64 {
        thread_cpu_ns().saturating_sub(i)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

fn bench_paillier<M: Measurement + 'static>(c: &mut Criterion<M>) {
    // Benchmark inputs only: a seeded generator for weights and pixels.
    let mut rng = ChaCha20Rng::seed_from_u64(20240601);
    for bits in bench_bits() {
        let std_kp = keypair(bits, EncryptionMode::Standard);
        let djn_kp = keypair(bits, EncryptionMode::Djn);
        let djn_bits = djn_kp.public.djn_exponent_bits().unwrap_or(0);
        let p_std = format!("bits={bits},mode=standard");
        let p_djn = format!("bits={bits},mode=djn,a_bits={djn_bits}");

        let mut g = c.benchmark_group("paillier");
        g.sample_size(10);
        for (mode, label) in [
            (EncryptionMode::Standard, &p_std),
            (EncryptionMode::Djn, &p_djn),
        ] {
            g.bench_function(BenchmarkId::new("keygen", label), |b| {
                b.iter(|| black_box(keypair(bits, mode)))
            });
        }
        g.finish();

        let mut g = c.benchmark_group("paillier");
        let pixel = 37.0 / 255.0;
        g.bench_function(BenchmarkId::new("encrypt", &p_std), |b| {
            b.iter(|| black_box(std_kp.public.encrypt_f64(black_box(pixel)).unwrap()))
        });
        g.bench_function(BenchmarkId::new("encrypt", &p_djn), |b| {
            b.iter(|| black_box(djn_kp.public.encrypt_f64(black_box(pixel)).unwrap()))
        });
        for (kp, label) in [(&std_kp, &p_std), (&djn_kp, &p_djn)] {
            // Offline: one randomiser (r^n or h_s^a) for the pool.
            g.bench_function(
                BenchmarkId::new("pool_offline_per_randomiser", label),
                |b| b.iter(|| black_box(kp.public.fresh_randomiser().unwrap())),
            );
            // Online: encode + (1 + m n) * randomiser mod n^2.
            let rand = kp.public.fresh_randomiser().unwrap();
            g.bench_function(BenchmarkId::new("encrypt_online_with_pool", label), |b| {
                b.iter(|| {
                    let e = EncodedNumber::encode_f64(&kp.public, black_box(pixel)).unwrap();
                    black_box(
                        kp.public
                            .raw_encrypt_with_randomiser(e.encoding(), &rand)
                            .unwrap(),
                    )
                })
            });
        }
        let ct = djn_kp.public.encrypt_f64(pixel).unwrap();
        let ct2 = djn_kp.public.encrypt_f64(0.75).unwrap();
        g.bench_function(BenchmarkId::new("decrypt", &p_djn), |b| {
            b.iter(|| black_box(djn_kp.secret.decrypt_f64(black_box(&ct)).unwrap()))
        });
        g.bench_function(BenchmarkId::new("add", &p_djn), |b| {
            b.iter(|| black_box(ct.add(black_box(&ct2)).unwrap()))
        });
        let w = rng.random_range(-0.5..0.5);
        g.bench_function(
            BenchmarkId::new("mul_scalar", format!("{p_djn},weight=f64_python_default")),
            |b| b.iter(|| black_box(ct.mul_f64(black_box(w)).unwrap())),
        );
        g.bench_function(BenchmarkId::new("rerandomize", &p_djn), |b| {
            b.iter(|| black_box(ct.rerandomized().unwrap()))
        });
        g.finish();

        // The 10x784 layer: pixels k/255 encrypted with python's default
        // encoding (per-pixel exponents), weights uniform in [-0.5, 0.5]
        // with python's default encoding brought to one exponent per row.
        let pixels: Vec<f64> = (0..784)
            .map(|_| f64::from(rng.next_u32() % 256) / 255.0)
            .collect();
        let weights: Vec<f64> = (0..10 * 784)
            .map(|_| rng.random_range(-0.5..=0.5))
            .collect();
        let image: Vec<EncryptedNumber> = djn_kp.public.encrypt_f64_batch(&pixels).unwrap();
        let matrix =
            EncodedMatrix::encode_f64(10, 784, &weights, WeightEncoding::PythonDefault).unwrap();
        let mut g = c.benchmark_group("paillier_layer");
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(5));
        let label = format!(
            "bits={bits},shape=10x784,weights=uniform[-0.5,0.5]_python_default,mantissa_bits={}",
            matrix.max_mantissa_bits()
        );
        g.bench_function(BenchmarkId::new("linear_layer_1thread", &label), |b| {
            b.iter(|| black_box(matrix.apply(black_box(&image)).unwrap()))
        });
        let outputs = matrix.apply(&image).unwrap();
        // |y| <= sum |w| |x| <= 784 * 0.5
        let bound = 784.0 * 0.5;
        let packed =
            heml::he::paillier::PackedEncryptedVector::pack_with_bound(&outputs, bound).unwrap();
        let plabel = format!("{p_djn},values=10,slot_bits={}", packed.slot_bits());
        g.bench_function(BenchmarkId::new("pack_layer_outputs", &plabel), |b| {
            b.iter(|| {
                black_box(
                    heml::he::paillier::PackedEncryptedVector::pack_with_bound(&outputs, bound)
                        .unwrap(),
                )
            })
        });
        g.bench_function(
            BenchmarkId::new("decrypt_packed_layer_outputs", &plabel),
            |b| {
                b.iter(|| {
                    black_box(
                        djn_kp
                            .secret
                            .decrypt_packed_f64(black_box(&packed))
                            .unwrap(),
                    )
                })
            },
        );
        g.bench_function(
            BenchmarkId::new("decrypt_layer_outputs_one_by_one", &p_djn),
            |b| {
                b.iter(|| {
                    black_box(
                        outputs
                            .iter()
                            .map(|o| djn_kp.secret.decrypt_f64(o).unwrap())
                            .collect::<Vec<_>>(),
                    )
                })
            },
        );
        g.bench_function(BenchmarkId::new("encrypt_image_784_1thread", &p_djn), |b| {
            b.iter(|| {
                black_box(
                    pixels
                        .iter()
                        .map(|&x| djn_kp.public.encrypt_f64(x).unwrap())
                        .collect::<Vec<_>>(),
                )
            })
        });
        g.finish();
    }
}

fn main() {
    if std::env::var_os("HEML_BENCH_CPU_TIME").is_some() {
        let mut c = Criterion::default()
            .with_measurement(ThreadCpuTime)
            .configure_from_args();
        bench_paillier(&mut c);
        c.final_summary();
    } else {
        let mut c = Criterion::default()
            .with_measurement(WallTime)
            .configure_from_args();
        bench_paillier(&mut c);
        c.final_summary();
    }
}
