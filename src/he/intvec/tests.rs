//! Tests of the scheme against plaintext integer arithmetic.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::*;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn lit(log2_w: u32, log2_t: u32, digit_bits: u32, t_columns: usize) -> IntVecParamsLiteral {
    IntVecParamsLiteral {
        log2_w,
        log2_t,
        digit_bits,
        t_columns,
        t_bound: 10,
        e_bound: 10,
        max_dim: 16,
    }
}

fn params(log2_w: u32, log2_t: u32) -> IntVecParams {
    lit(log2_w, log2_t, 1, 1).check().unwrap()
}

/// Random parameters that pass the checks, from the smallest to the largest sizes.
fn any_params() -> impl Strategy<Value = IntVecParams> {
    (
        20u32..=100,
        2u32..=60,
        1u32..=8,
        1usize..=3,
        1u64..=50,
        1u64..=50,
    )
        .prop_filter_map("valid parameters", |(lw, lt, db, tc, tb, eb)| {
            IntVecParamsLiteral {
                log2_w: lw,
                log2_t: lt,
                digit_bits: db,
                t_columns: tc,
                t_bound: tb,
                e_bound: eb,
                max_dim: 8,
            }
            .check()
            .ok()
        })
}

/// A vector of `dim` plaintexts with `|x| < limit`, half the time at the extremes.
fn plain_vec(dim: usize, limit: u128, seed: u64) -> Vec<i128> {
    let mut r = rng(seed);
    let lim = (limit - 1) as i128;
    (0..dim)
        .map(|i| match (seed as usize + i) % 4 {
            0 => lim,
            1 => -lim,
            _ => rand::RngExt::random_range(&mut r, -lim..=lim),
        })
        .collect()
}

fn check_noise(sk: &SecretKey, c: &Ciphertext, want: &[i128]) {
    let (x, e) = sk.decrypt_with_noise(c).unwrap();
    assert_eq!(x, want);
    for ei in e {
        assert!(
            ei.unsigned_abs() <= c.noise_bound(),
            "noise {ei} above its bound"
        );
    }
}

#[test]
fn literal_round_trips_and_rejects_unknown_fields() {
    let p = IntVecParamsLiteral::default_network().check().unwrap();
    let json = serde_json::to_string(&p).unwrap();
    let back: IntVecParams = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    let bad = json.replace("\"max_dim\"", "\"extra\":1,\"max_dim\"");
    assert!(serde_json::from_str::<IntVecParamsLiteral>(&bad).is_err());
    // An invalid literal is refused when deserialised as checked parameters.
    let invalid = json.replace("\"digit_bits\":1", "\"digit_bits\":0");
    assert!(serde_json::from_str::<IntVecParams>(&invalid).is_err());
    assert_eq!(p.q(), 1u128 << 126);
    assert_eq!(p.digits(), 126);
}

#[test]
fn invalid_parameters_name_the_field() {
    let base = IntVecParamsLiteral::default_network();
    let cases: Vec<(&str, IntVecParamsLiteral)> = vec![
        (
            "log2_w",
            IntVecParamsLiteral {
                log2_w: 1,
                ..base.clone()
            },
        ),
        (
            "log2_t",
            IntVecParamsLiteral {
                log2_t: 0,
                ..base.clone()
            },
        ),
        (
            "log2_t",
            IntVecParamsLiteral {
                log2_t: 49,
                ..base.clone()
            },
        ),
        (
            "digit_bits",
            IntVecParamsLiteral {
                digit_bits: 17,
                ..base.clone()
            },
        ),
        (
            "t_columns",
            IntVecParamsLiteral {
                t_columns: 0,
                ..base.clone()
            },
        ),
        (
            "t_bound",
            IntVecParamsLiteral {
                t_bound: 0,
                ..base.clone()
            },
        ),
        (
            "e_bound",
            IntVecParamsLiteral {
                e_bound: 0,
                ..base.clone()
            },
        ),
        (
            "max_dim",
            IntVecParamsLiteral {
                max_dim: 0,
                ..base.clone()
            },
        ),
        (
            "log2_w",
            IntVecParamsLiteral {
                log2_w: 8,
                ..base.clone()
            },
        ),
    ];
    for (field, l) in cases {
        match l.check() {
            Err(IntVecError::InvalidParameter { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected InvalidParameter, got {other:?}"),
        }
    }
}

#[test]
fn secret_key_debug_is_redacted() {
    let p = params(40, 20);
    let sk = SecretKey::generate(&p, 3, &mut rng(1)).unwrap();
    let s = format!("{sk:?}");
    assert!(s.contains("redacted"));
    assert!(!s.contains("t: ["));
    let os = SecretKey::generate_os(&p, 2).unwrap();
    assert_eq!(os.dim(), 2);
    assert!(SecretKey::generate(&p, 0, &mut rng(1)).is_err());
    assert!(SecretKey::generate(&p, 17, &mut rng(1)).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decrypt_encrypt_round_trip(p in any_params(), dim in 1usize..=8, seed in any::<u64>()) {
        let mut r = rng(seed);
        let sk = SecretKey::generate(&p, dim, &mut r).unwrap();
        let x = plain_vec(dim, p.plain_limit(), seed);
        let c = sk.encrypt(&x, &mut r).unwrap();
        check_noise(&sk, &c, &x);
        let ek = sk.encryption_key(&mut r).unwrap();
        let c = ek.encrypt(&x).unwrap();
        check_noise(&sk, &c, &x);
        prop_assert_eq!(sk.decrypt(&ek.zero()).unwrap(), vec![0; dim]);
    }

    #[test]
    fn addition_and_scalars_match_integers(p in any_params(), dim in 1usize..=8,
                                           k in -50i64..=50, seed in any::<u64>()) {
        let mut r = rng(seed);
        let sk = SecretKey::generate(&p, dim, &mut r).unwrap();
        let lim = p.plain_limit() / 64 + 1;
        let x = plain_vec(dim, lim, seed);
        let y = plain_vec(dim, lim, seed ^ 1);
        let cx = sk.encrypt(&x, &mut r).unwrap();
        let cy = sk.encrypt(&y, &mut r).unwrap();
        let sum: Vec<i128> = x.iter().zip(&y).map(|(a, b)| a + b).collect();
        let diff: Vec<i128> = x.iter().zip(&y).map(|(a, b)| a - b).collect();
        check_noise(&sk, &cx.add(&cy).unwrap(), &sum);
        check_noise(&sk, &cx.sub(&cy).unwrap(), &diff);
        check_noise(&sk, &cx.neg(), &x.iter().map(|a| -a).collect::<Vec<_>>());
        match cx.mul_scalar(k) {
            Ok(c) => check_noise(&sk, &c, &x.iter().map(|a| a * k as i128).collect::<Vec<_>>()),
            Err(IntVecError::PlaintextOverflow { .. }) => {
                prop_assert!(lim * (k.unsigned_abs() as u128) >= p.plain_limit());
            }
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        }
        check_noise(&sk, &cx.add_plain(&y).unwrap(), &sum);
    }

    #[test]
    fn key_switch_and_linear_transform(p in any_params(), dim in 1usize..=6, out in 1usize..=6,
                                       seed in any::<u64>()) {
        let mut r = rng(seed);
        let s1 = SecretKey::generate(&p, dim, &mut r).unwrap();
        let s2 = SecretKey::generate(&p, dim, &mut r).unwrap();
        let s3 = SecretKey::generate(&p, out, &mut r).unwrap();
        let lim = (p.plain_limit() - 1) / (8 * dim as u128) + 1;
        let x = plain_vec(dim, lim, seed);
        let c = s1.encrypt(&x, &mut r).unwrap();
        let ks = KeySwitchKey::new(&s1, &s2, &mut r).unwrap();
        check_noise(&s2, &ks.apply(&c).unwrap(), &x);
        let g: Vec<Vec<i64>> = (0..out)
            .map(|i| (0..dim).map(|j| ((i * 7 + j * 3 + seed as usize) % 17) as i64 - 8).collect())
            .collect();
        let gx: Vec<i128> = g
            .iter()
            .map(|row| row.iter().zip(&x).map(|(a, b)| *a as i128 * b).sum())
            .collect();
        let lt = LinearTransformKey::new(&g, &s1, &s3, &mut r).unwrap();
        check_noise(&s3, &lt.apply(&c).unwrap(), &gx);
        // The wrong key is refused.
        let refused = matches!(ks.apply(&ks.apply(&c).unwrap()), Err(IntVecError::KeyMismatch { .. }));
        prop_assert!(refused);
    }

    #[test]
    fn inner_products_match_integers(p in any_params(), m1 in 1usize..=6, m2 in 1usize..=6,
                                     seed in any::<u64>()) {
        let mut r = rng(seed);
        let a = SecretKey::generate(&p, m1, &mut r).unwrap();
        let b = SecretKey::generate(&p, m2, &mut r).unwrap();
        let one = SecretKey::generate(&p, 1, &mut r).unwrap();
        let outk = SecretKey::generate(&p, m2, &mut r).unwrap();
        // The largest inputs whose products still fit: ‖H‖₁ X² < t/2 with ‖H‖₁ ≤ 2 m₁ m₂.
        let lim = ((p.plain_limit() - 1) / (2 * (m1 * m2) as u128)).isqrt() + 1;
        let x = plain_vec(m1, lim, seed);
        let y = plain_vec(m2, lim, seed ^ 7);
        let cx = a.encrypt(&x, &mut r).unwrap();
        let cy = b.encrypt(&y, &mut r).unwrap();
        let h: Vec<Vec<i64>> = (0..m1)
            .map(|i| (0..m2).map(|j| ((i * 5 + j * 11 + seed as usize) % 5) as i64 - 2).collect())
            .collect();
        let want: i128 = (0..m1)
            .map(|i| (0..m2).map(|j| x[i] * h[i][j] as i128 * y[j]).sum::<i128>())
            .sum();
        let key = BilinearKey::weighted_inner_product(&h, &a, &b, &one, &mut r).unwrap();
        match key.apply(&cx, &cy) {
            Ok(c) => check_noise(&one, &c, &[want]),
            // Small w cannot absorb t·|k|·‖H‖·B; the error must say so.
            Err(IntVecError::NoiseBoundExceeded { bound, limit, .. }) => {
                prop_assert!(bound >= limit);
            }
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        }
        if m1 == m2 {
            let ip = BilinearKey::inner_product(&a, &b, &one, &mut r).unwrap();
            let dot: i128 = x.iter().zip(&y).map(|(u, v)| u * v).sum();
            if let Ok(c) = ip.apply(&cx, &cy) {
                check_noise(&one, &c, &[dot]);
            }
        }
        if m1 == 1 {
            let sv = BilinearKey::scalar_vector(&a, &b, &outk, &mut r).unwrap();
            if let Ok(c) = sv.apply(&cx, &cy) {
                check_noise(&outk, &c, &y.iter().map(|v| x[0] * v).collect::<Vec<_>>());
            }
        }
    }
}

#[test]
fn inner_product_at_the_network_parameters() {
    let p = IntVecParamsLiteral::default_network().check().unwrap();
    let mut r = rng(3);
    let a = SecretKey::generate(&p, 8, &mut r).unwrap();
    let one = SecretKey::generate(&p, 1, &mut r).unwrap();
    let ip = BilinearKey::inner_product(&a, &a, &one, &mut r).unwrap();
    // The largest values: 8·X² just below t/2.
    let x_max: i128 = ((p.plain_limit() as i128 - 1) / 8).isqrt();
    let x = vec![x_max, -x_max, x_max, x_max, -x_max, x_max, -x_max, x_max];
    let c = a.encrypt(&x, &mut r).unwrap();
    let out = ip.apply(&c, &c).unwrap();
    check_noise(&one, &out, &[8 * x_max * x_max]);
    // One more unit in every entry no longer fits: reported, not wrapped.
    let y: Vec<i128> = x.iter().map(|v| v + v.signum()).collect();
    let cy = a.encrypt(&y, &mut r).unwrap();
    match ip.apply(&cy, &cy) {
        Err(IntVecError::PlaintextOverflow { bound, limit, .. }) => assert!(bound >= limit),
        other => panic!("expected a plaintext overflow, got {other:?}"),
    }
}

#[test]
fn noise_growth_is_reported_before_decryption_fails() {
    // Small w: repeated squaring must stop with an error, and every ciphertext produced
    // before that must still decrypt correctly.
    let p = lit(70, 8, 1, 1).check().unwrap();
    let mut r = rng(5);
    let one = SecretKey::generate(&p, 1, &mut r).unwrap();
    let ip = BilinearKey::inner_product(&one, &one, &one, &mut r).unwrap();
    let mut c = one.encrypt(&[1], &mut r).unwrap();
    let mut steps = 0;
    loop {
        match ip.apply(&c, &c) {
            Ok(next) => {
                check_noise(&one, &next, &[1]);
                c = next;
                steps += 1;
            }
            Err(IntVecError::NoiseBoundExceeded { bound, limit, op }) => {
                assert_eq!(op, "inner product");
                assert!(bound >= limit);
                break;
            }
            Err(e) => panic!("unexpected {e}"),
        }
        assert!(steps < 100);
    }
    assert!(steps >= 1, "at least one product fits");
    // Sums too: adding a ciphertext to itself doubles the bound until it is refused.
    let mut s = one.encrypt(&[0], &mut r).unwrap();
    let err = loop {
        match s.add(&s) {
            Ok(next) => s = next,
            Err(e) => break e,
        }
    };
    assert!(matches!(
        err,
        IntVecError::NoiseBoundExceeded { op: "add", .. }
    ));
    check_noise(&one, &s, &[0]);
}

#[test]
fn mismatched_inputs_are_errors() {
    let p = params(40, 16);
    let q = params(41, 16);
    let mut r = rng(9);
    let a = SecretKey::generate(&p, 3, &mut r).unwrap();
    let b = SecretKey::generate(&p, 3, &mut r).unwrap();
    let c = SecretKey::generate(&p, 2, &mut r).unwrap();
    let d = SecretKey::generate(&q, 3, &mut r).unwrap();
    let ca = a.encrypt(&[1, 2, 3], &mut r).unwrap();
    let cb = b.encrypt(&[1, 2, 3], &mut r).unwrap();
    let cd = d.encrypt(&[1, 2, 3], &mut r).unwrap();
    assert!(matches!(ca.add(&cb), Err(IntVecError::KeyMismatch { .. })));
    assert!(matches!(
        ca.add(&cd),
        Err(IntVecError::ParamsMismatch { .. })
    ));
    assert!(matches!(
        a.encrypt(&[1, 2], &mut r),
        Err(IntVecError::DimensionMismatch {
            expected: 3,
            got: 2,
            ..
        })
    ));
    assert!(matches!(
        b.decrypt(&ca),
        Err(IntVecError::KeyMismatch { .. })
    ));
    assert!(matches!(
        BilinearKey::inner_product(&a, &c, &c, &mut r),
        Err(IntVecError::DimensionMismatch { .. })
    ));
    assert!(matches!(
        a.encrypt(&[1 << 15, 0, 0], &mut r),
        Err(IntVecError::PlaintextOverflow { .. })
    ));
    assert!(matches!(
        LinearTransformKey::new(
            &[vec![1, 2]],
            &a,
            &SecretKey::generate(&p, 1, &mut r).unwrap(),
            &mut r
        ),
        Err(IntVecError::DimensionMismatch { .. })
    ));
}

#[test]
fn attack_recovers_the_secret_key_from_the_public_key() {
    for (tc, tb, eb) in [
        (1usize, 10u64, 10u64),
        (1, 1 << 20, 10),
        (2, 1000, 3),
        (3, 5, 2),
    ] {
        let p = IntVecParamsLiteral {
            t_columns: tc,
            t_bound: tb,
            e_bound: eb,
            ..IntVecParamsLiteral::default_network()
        }
        .check()
        .unwrap();
        let mut r = rng(11 + tc as u64);
        let sk = SecretKey::generate(&p, 8, &mut r).unwrap();
        let ek = sk.encryption_key(&mut r).unwrap();
        let recovered = recover_secret_key(&ek).unwrap();
        for row in 0..8 {
            for col in 0..tc {
                assert_eq!(recovered.t_entry(row, col), sk.t_entry(row, col));
            }
        }
        // The recovered key decrypts ciphertexts it never saw.
        let x: Vec<i128> = (0..8).map(|i| i * 1000 - 3500).collect();
        let c = sk.encrypt(&x, &mut r).unwrap();
        assert_eq!(recovered.decrypt(&c).unwrap(), x);
    }
}
