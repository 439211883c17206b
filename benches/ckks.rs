//! Single-thread benchmarks of every CKKS operation at N = 2^12 .. 2^15; the
//! parameters are in each benchmark ID. `HEML_BENCH_MAX_LOG_N` (default 15)
//! caps the ring degree for quick runs; `HEML_KERNEL` chooses the arithmetic kernel
//! (scalar, avx2, avx512, avx512ifma), which each ID names.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use heml::he::ckks::circuits::{InputLayout, LinearTransform};
use heml::he::ckks::keycache::cached_context;
use heml::he::ckks::{CkksParametersLiteral, RotationSet, SecurityLevel};
use std::hint::black_box;
use std::time::Duration;

fn literal(log_n: u32) -> CkksParametersLiteral {
    let (bits, log2_scale) = match log_n {
        12 => (vec![40, 29, 40], 29),
        13 => (vec![60, 40, 40, 60], 40),
        14 => (vec![60, 40, 40, 40, 40, 40, 60], 40),
        _ => (vec![60, 40, 40, 40, 40, 40, 40, 40, 40, 60], 40),
    };
    CkksParametersLiteral {
        poly_modulus_degree: 1 << log_n,
        coeff_mod_bit_sizes: bits,
        log2_scale,
        security: SecurityLevel::Tc128,
    }
}

/// The parameters and the arithmetic kernel (`HEML_KERNEL`, default the best this
/// CPU has) in every benchmark ID.
fn id(lit: &CkksParametersLiteral) -> String {
    format!(
        "N={},Q={:?},scale=2^{},kernel={}",
        lit.poly_modulus_degree,
        lit.coeff_mod_bit_sizes,
        lit.log2_scale,
        heml::he::math::kernel::active()
    )
    .replace(' ', "")
}

fn bench_ops(c: &mut Criterion) {
    heml::timing::keep_freed_memory();
    let max_log_n: u32 = std::env::var("HEML_BENCH_MAX_LOG_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let mut group = c.benchmark_group("ckks");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(300));
    group.measurement_time(Duration::from_secs(1));
    for log_n in 12..=max_log_n {
        let lit = literal(log_n);
        let pid = id(&lit);
        let ctx = cached_context(&lit, &RotationSet::steps(&[1]));
        let p = &ctx.params;
        let values: Vec<f64> = (0..p.slots()).map(|i| (i as f64 * 0.001).sin()).collect();
        let encoder = ctx.evaluator.encoder();
        let level = p.max_level();
        let x = ctx.encryptor.encrypt_real(&values).unwrap();
        let y = ctx.encryptor.encrypt_real(&values).unwrap();
        let pt = encoder
            .encode_real(&values, p.default_scale(), level)
            .unwrap();
        let e = &ctx.evaluator;
        let tensor = e.tensor(&x, &y).unwrap();
        let relin = e.relinearize(&tensor).unwrap();

        group.bench_function(BenchmarkId::new("encode", &pid), |b| {
            b.iter(|| {
                encoder
                    .encode_real(black_box(&values), p.default_scale(), level)
                    .unwrap()
            })
        });
        group.bench_function(BenchmarkId::new("decode", &pid), |b| {
            b.iter(|| encoder.decode_real(black_box(&pt)))
        });
        group.bench_function(BenchmarkId::new("encrypt_public", &pid), |b| {
            b.iter(|| ctx.encryptor.encrypt(black_box(&pt)))
        });
        group.bench_function(BenchmarkId::new("encrypt_symmetric", &pid), |b| {
            b.iter(|| ctx.symmetric_encryptor.encrypt(black_box(&pt)))
        });
        group.bench_function(BenchmarkId::new("decrypt", &pid), |b| {
            b.iter(|| ctx.decryptor.decrypt(black_box(&x)))
        });
        group.bench_function(BenchmarkId::new("add", &pid), |b| {
            b.iter(|| e.add(black_box(&x), black_box(&y)).unwrap())
        });
        group.bench_function(BenchmarkId::new("mul_plain", &pid), |b| {
            b.iter(|| e.mul_plain(black_box(&x), black_box(&pt)).unwrap())
        });
        group.bench_function(BenchmarkId::new("mul_scalar_integer", &pid), |b| {
            b.iter(|| e.mul_integer(black_box(&x), 3))
        });
        group.bench_function(BenchmarkId::new("tensor", &pid), |b| {
            b.iter(|| e.tensor(black_box(&x), black_box(&y)).unwrap())
        });
        group.bench_function(BenchmarkId::new("relinearize", &pid), |b| {
            b.iter(|| e.relinearize(black_box(&tensor)).unwrap())
        });
        group.bench_function(BenchmarkId::new("rescale", &pid), |b| {
            b.iter(|| e.rescale(black_box(&relin)).unwrap())
        });
        group.bench_function(BenchmarkId::new("rotate_1", &pid), |b| {
            b.iter(|| e.rotate(black_box(&x), 1).unwrap())
        });
        let table = p.q_table(0);
        let mut row = pt.poly().row(0).to_vec();
        group.bench_function(BenchmarkId::new("ntt_forward_one_prime", &pid), |b| {
            b.iter(|| table.forward(black_box(&mut row)))
        });
        group.bench_function(BenchmarkId::new("ntt_inverse_one_prime", &pid), |b| {
            b.iter(|| table.inverse(black_box(&mut row)))
        });
    }
    group.finish();
}

/// Encrypted vector times plaintext matrix (TenSEAL's `mm`), 64 x 64 at N = 8192:
/// the diagonal method (chainable layout, and a staggered fresh input) and the
/// packed method, each with the
/// encoding inside the timed call and with plaintexts prepared once.
fn bench_vec_mat(c: &mut Criterion) {
    heml::timing::keep_freed_memory();
    let lit = literal(13);
    let pid = id(&lit);
    let slots = 1 << 12;
    let m: Vec<Vec<f64>> = (0..64)
        .map(|i| (0..64).map(|j| ((i * 7 + j) % 13) as f64 / 13.0).collect())
        .collect();
    let diagonal = LinearTransform::vector_matrix(&m, slots).unwrap();
    let packed = LinearTransform::vector_matrix_packed(&m, slots).unwrap();
    let staggered = LinearTransform::vector_matrix_with(&m, slots, InputLayout::Staggered).unwrap();
    let mut steps = diagonal.rotation_steps();
    steps.extend(packed.rotation_steps());
    steps.extend(staggered.rotation_steps());
    let ctx = cached_context(&lit, &RotationSet::steps(&steps));
    let x: Vec<f64> = (0..64).map(|i| i as f64 / 64.0).collect();
    let cts: Vec<_> = diagonal
        .pack_input(&x)
        .unwrap()
        .iter()
        .map(|v| ctx.encryptor.encrypt_real(v).unwrap())
        .collect();
    let e = &ctx.evaluator;
    let level = cts[0].level();
    let diagonal_prepared = diagonal.prepare(e, level).unwrap();
    let packed_prepared = packed.prepare(e, level).unwrap();
    let staggered_cts: Vec<_> = staggered
        .pack_input(&x)
        .unwrap()
        .iter()
        .map(|v| ctx.encryptor.encrypt_real(v).unwrap())
        .collect();
    let staggered_prepared = staggered.prepare(e, level).unwrap();
    let mut group = c.benchmark_group("ckks");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(2));
    group.bench_function(
        BenchmarkId::new("vec_mat_64x64_diagonal_bsgs_hoisted", &pid),
        |b| b.iter(|| diagonal.apply(e, black_box(&cts)).unwrap()),
    );
    group.bench_function(
        BenchmarkId::new("vec_mat_64x64_diagonal_prepared", &pid),
        |b| {
            b.iter(|| {
                diagonal
                    .apply_prepared(e, &diagonal_prepared, black_box(&cts))
                    .unwrap()
            })
        },
    );
    group.bench_function(
        BenchmarkId::new(
            format!(
                "vec_mat_64x64_staggered_{}_copies_prepared",
                staggered.copies()
            ),
            &pid,
        ),
        |b| {
            b.iter(|| {
                staggered
                    .apply_prepared(e, &staggered_prepared, black_box(&staggered_cts))
                    .unwrap()
            })
        },
    );
    group.bench_function(BenchmarkId::new("vec_mat_64x64_packed", &pid), |b| {
        b.iter(|| packed.apply(e, black_box(&cts)).unwrap())
    });
    group.bench_function(
        BenchmarkId::new("vec_mat_64x64_packed_prepared", &pid),
        |b| {
            b.iter(|| {
                packed
                    .apply_prepared(e, &packed_prepared, black_box(&cts))
                    .unwrap()
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench_ops, bench_vec_mat);
criterion_main!(benches);
