//! The CKKS operation table: each single operation of the engine and the
//! vector-matrix products of Chen & Song's networks, timed on one thread at
//! one parameter set, each result checked against plaintext arithmetic with
//! its precision (Lattigo's min/mean/median/max log2 error).
//!
//! `heml peers ckks` times the same table against TenSEAL; the `ckks-ops`
//! experiment records it.

use std::hint::black_box;
use std::time::Instant;

use anyhow::{Result, bail};
use serde::Serialize;

use crate::he::ckks::circuits::{
    InputLayout, LinearTransform, Polynomial, evaluate_polynomial, inner_product,
};
use crate::he::ckks::keycache::CachedContext;
use crate::he::ckks::{CkksParametersLiteral, PrecisionStats, RotationSet};

/// Chen & Song's degree-3 sigmoid, 0.5 + 0.197 x - 0.004 x^3.
pub const SIGMOID3: [f64; 4] = [0.5, 0.197, 0.0, -0.004];

/// The vector-matrix shapes (rows x cols: a rows-vector times the matrix) of
/// the MNIST networks: 784 -> 1024 -> 64 -> 10.
pub const MM_SHAPES: [(usize, usize); 3] = [(784, 1024), (1024, 64), (64, 10)];

/// How often each operation is repeated; the median is reported.
#[derive(Debug, Clone, Copy)]
pub struct OpRepeats {
    pub single: usize,
    /// Vector-matrix products.
    pub heavy: usize,
}

/// One operation of the table.
#[derive(Debug, Clone, Serialize)]
pub struct OpRow {
    /// Stage name, also the peer's JSON key without `_s`: `encrypt`, `mm_784x1024`, ...
    pub operation: String,
    /// Median wall time, seconds.
    pub elapsed_s: f64,
    pub precision: PrecisionStats,
    /// The absolute error bound the result was checked against.
    pub bound: f64,
    pub note: String,
}

/// The whole table at one parameter set.
#[derive(Debug, Clone, Serialize)]
pub struct OpTable {
    pub parameters: String,
    pub literal: CkksParametersLiteral,
    pub security: String,
    pub log2_qp: f64,
    pub keygen_s: f64,
    pub galois_keys: usize,
    pub rows: Vec<OpRow>,
}

pub use crate::timing::{median_s, peak_rss_mib};

/// Deterministic values in [lo, hi) (xorshift), so heml's inputs are reproducible.
fn uniform(n: usize, lo: f64, hi: f64, seed: u64) -> Vec<f64> {
    let mut state = seed | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// Times the operation table at `literal` on the calling thread. `progress`
/// hears each operation's name before it runs. Fails when a result is off
/// plaintext arithmetic by more than its bound.
pub fn measure(
    literal: &CkksParametersLiteral,
    repeats: OpRepeats,
    progress: &dyn Fn(&str),
) -> Result<OpTable> {
    let params = literal.validate()?;
    let slots = params.slots();
    let dot_len = 4096.min(slots);
    let transforms: Vec<(usize, usize, Vec<Vec<f64>>, LinearTransform)> = MM_SHAPES
        .iter()
        .enumerate()
        .map(|(s, &(rows, cols))| {
            let flat = uniform(rows * cols, -0.5, 0.5, 0x5eed + s as u64);
            let m: Vec<Vec<f64>> = flat.chunks(cols).map(<[f64]>::to_vec).collect();
            let lt = LinearTransform::vector_matrix_with(&m, slots, InputLayout::Staggered)?;
            Ok((rows, cols, m, lt))
        })
        .collect::<Result<_>>()?;
    let mut steps: Vec<i64> = vec![1];
    steps.extend((0..dot_len.trailing_zeros()).map(|i| 1i64 << i));
    for (_, _, _, lt) in &transforms {
        steps.extend(lt.rotation_steps());
    }
    steps.sort_unstable();
    steps.dedup();

    progress("keygen");
    let t0 = Instant::now();
    let ctx = CachedContext::new(literal, &RotationSet::steps(&steps));
    let keygen_s = t0.elapsed().as_secs_f64();
    let (enc, dec, ev, auto) = (
        &ctx.encryptor,
        &ctx.decryptor,
        &ctx.evaluator,
        &ctx.auto_evaluator,
    );
    let n = repeats.single;
    let x = uniform(slots, -1.0, 1.0, 1);
    let y = uniform(slots, -1.0, 1.0, 2);
    let mut rows = Vec::new();
    let mut push = |operation: &str,
                    elapsed_s: f64,
                    expected: &[f64],
                    got: &[f64],
                    bound: f64,
                    note: &str|
     -> Result<()> {
        let precision = PrecisionStats::compute(expected, got).expect("non-empty");
        if precision.max_abs_error.is_nan() || precision.max_abs_error > bound {
            bail!(
                "heml's {operation} at {} is off plaintext by {:.3e} (bound {bound:.1e})",
                params.describe(),
                precision.max_abs_error
            );
        }
        rows.push(OpRow {
            operation: operation.into(),
            elapsed_s,
            precision,
            bound,
            note: note.into(),
        });
        Ok(())
    };
    // Elementwise operations on values in [-1, 1] at scale 2^40 are good to
    // about 2^-23 at N = 8192. Sums of thousands of
    // products: 2^-14.
    // Key switching at N = 16384 with seven 40-bit digits and one 60-bit special
    // prime adds about 2^-19 (a rotation measured 2^-18.7): 2^-17 for all.
    let single_bound = 2f64.powi(-17);
    let sum_bound = 2f64.powi(-14);

    progress("encrypt");
    let t = median_s(n, || {
        black_box(enc.encrypt_real(black_box(&x)).unwrap());
    });
    let cx = enc.encrypt_real(&x)?;
    let cy = enc.encrypt_real(&y)?;
    push(
        "encrypt",
        t,
        &x,
        &dec.decrypt_real(&cx),
        single_bound,
        "public key, N/2 values (encoding included)",
    )?;

    progress("decrypt");
    let t = median_s(n, || {
        black_box(dec.decrypt_real(black_box(&cx)));
    });
    push(
        "decrypt",
        t,
        &x,
        &dec.decrypt_real(&cx),
        single_bound,
        "decoding included",
    )?;

    progress("add");
    let t = median_s(n, || {
        black_box(ev.add(black_box(&cx), black_box(&cy)).unwrap());
    });
    let want: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
    push(
        "add",
        t,
        &want,
        &dec.decrypt_real(&ev.add(&cx, &cy)?),
        single_bound,
        "",
    )?;

    let prod: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a * b).collect();
    progress("mul_plain");
    let t = median_s(n, || {
        black_box(auto.mul_values(black_box(&cx), black_box(&y)).unwrap());
    });
    push(
        "mul_plain",
        t,
        &prod,
        &dec.decrypt_real(&auto.mul_values(&cx, &y)?),
        single_bound,
        "encoding and rescale included (auto mode)",
    )?;

    progress("mul");
    let t = median_s(n, || {
        black_box(auto.mul(black_box(&cx), black_box(&cy)).unwrap());
    });
    push(
        "mul",
        t,
        &prod,
        &dec.decrypt_real(&auto.mul(&cx, &cy)?),
        single_bound,
        "tensor + relinearise + rescale (auto mode)",
    )?;

    progress("rotate_1");
    let t = median_s(n, || {
        black_box(ev.rotate(black_box(&cx), 1).unwrap());
    });
    let want: Vec<f64> = (0..slots).map(|i| x[(i + 1) % slots]).collect();
    push(
        "rotate_1",
        t,
        &want,
        &dec.decrypt_real(&ev.rotate(&cx, 1)?),
        single_bound,
        "",
    )?;

    progress("dot_4096");
    let (a, b) = (&x[..dot_len], &y[..dot_len]);
    let ca = enc.encrypt_real(a)?;
    let cb = enc.encrypt_real(b)?;
    let t = median_s(n, || {
        black_box(inner_product(ev, black_box(&ca), black_box(&cb), dot_len).unwrap());
    });
    let want: f64 = a.iter().zip(b).map(|(p, q)| p * q).sum();
    let got = dec.decrypt_real(&inner_product(ev, &ca, &cb, dot_len)?)[0];
    push(
        &format!("dot_{dot_len}"),
        t,
        &[want],
        &[got],
        sum_bound,
        "mul + relinearise + rescale + log2(n) rotate-and-adds",
    )?;

    for (s, (r, c, m, lt)) in transforms.iter().enumerate() {
        let name = format!("mm_{r}x{c}");
        progress(&name);
        let v = uniform(*r, 0.0, 1.0, 0x1234 + s as u64);
        let cts: Vec<_> = lt
            .pack_input(&v)?
            .iter()
            .map(|p| enc.encrypt_real(p))
            .collect::<Result<_, _>>()?;
        let prepared = lt.prepare(ev, cts[0].level())?;
        let t = median_s(repeats.heavy, || {
            black_box(lt.apply_prepared(ev, &prepared, black_box(&cts)).unwrap());
        });
        let out = lt.apply_prepared(ev, &prepared, &cts)?;
        let got = lt.unpack_output(&out.iter().map(|o| dec.decrypt_real(o)).collect::<Vec<_>>());
        let want: Vec<f64> = (0..*c)
            .map(|j| (0..*r).map(|i| v[i] * m[i][j]).sum())
            .collect();
        push(
            &name,
            t,
            &want,
            &got,
            sum_bound,
            &format!(
                "vector_matrix, prepared once: {} diagonals, BSGS, hoisted baby steps; fresh input packed in {} staggered copies; output replicated with period {} (chainable)",
                lt.diagonal_count(),
                lt.copies(),
                lt.output_period()
            ),
        )?;
    }

    progress("polyval_sigmoid3");
    let poly = Polynomial::power(&SIGMOID3);
    let scale = params.default_scale();
    let t = median_s(n, || {
        black_box(evaluate_polynomial(ev, black_box(&cx), &poly, scale).unwrap());
    });
    let want: Vec<f64> = x.iter().map(|&v| poly.eval_plain(v)).collect();
    let got = dec.decrypt_real(&evaluate_polynomial(ev, &cx, &poly, scale)?);
    push(
        "polyval_sigmoid3",
        t,
        &want,
        &got,
        single_bound,
        "depth 2, power basis",
    )?;

    Ok(OpTable {
        parameters: params.describe(),
        literal: literal.clone(),
        security: params.security().to_string(),
        log2_qp: params.log2_qp(),
        keygen_s,
        galois_keys: ctx.keys.galois.galois_elements().len(),
        rows,
    })
}

/// The `ckks-ops` experiment: the operation table at each parameter set of
/// the profile, every time with its precision and security level.
pub fn run(
    spec: &crate::spec::Spec,
    ctx: &super::Context,
    rec: &mut super::Recorder,
) -> Result<super::Outcome> {
    use crate::results::record::MetricKind;
    use crate::spec::Scheme;

    let settings = spec.settings(ctx.profile);
    let single = settings.repeats.unwrap_or(9);
    let repeats = OpRepeats {
        single,
        heavy: single.div_ceil(3),
    };
    let mut security = Vec::new();
    let mut warnings = Vec::new();
    for scheme in &settings.schemes {
        let Scheme::Ckks { params } = scheme else {
            bail!("kind ckks-ops needs engine ckks, got {}", scheme.engine());
        };
        let literal = params.literal();
        let n = literal.poly_modulus_degree;
        rec.set_scheme(
            "ckks",
            serde_json::to_string(literal)?,
            params.security().to_string(),
        );
        let table = measure(literal, repeats, &|op| {
            ctx.progress.println(format!("  N={n}: {op}"))
        })?;
        let suffix = format!("n{n}");
        rec.measure(
            "keygen",
            &format!("elapsed_ms_{suffix}"),
            MetricKind::Info,
            table.keygen_s * 1e3,
            "ms",
        )
        .note = format!(
            "secret, public, relinearisation and {} Galois keys",
            table.galois_keys
        );
        for row in &table.rows {
            let p = &row.precision;
            rec.measure(
                &row.operation,
                &format!("elapsed_ms_{suffix}"),
                MetricKind::Time,
                row.elapsed_s * 1e3,
                "ms",
            )
            .note = format!(
                "{}log2 error min/mean/median/max {:.1}/{:.1}/{:.1}/{:.1} (bound {:.1e})",
                if row.note.is_empty() {
                    String::new()
                } else {
                    format!("{}; ", row.note)
                },
                p.min_log2_error,
                p.mean_log2_error,
                p.median_log2_error,
                p.max_log2_error,
                row.bound
            );
            for (stat, v) in [
                ("min", p.min_log2_error),
                ("mean", p.mean_log2_error),
                ("median", p.median_log2_error),
                ("max", p.max_log2_error),
            ] {
                rec.measure(
                    &row.operation,
                    &format!("log2_error_{stat}_{suffix}"),
                    MetricKind::Info,
                    v,
                    "log2",
                );
            }
        }
        security.push(format!("N={n}: {}", table.security));
        if scheme.is_insecure() {
            warnings.push(format!(
                "{} runs without a security level",
                table.parameters
            ));
        }
    }
    if let Some(mib) = peak_rss_mib() {
        rec.measure("process", "peak_rss_mib", MetricKind::Info, mib, "MiB")
            .note = "VmHWM of the whole process, which may include earlier experiments".into();
    }
    Ok(super::Outcome {
        security: security.join("; "),
        warnings,
    })
}
