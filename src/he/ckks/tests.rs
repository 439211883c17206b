//! Scheme-level tests: every evaluator operation against plaintext arithmetic,
//! worst case over all slots, with keys shared through the key cache.

use super::keycache::{CachedContext, cached_context};
use super::*;
use proptest::prelude::*;

pub(crate) fn small_literal() -> CkksParametersLiteral {
    CkksParametersLiteral {
        poly_modulus_degree: 1024,
        coeff_mod_bit_sizes: vec![55, 40, 40, 40, 55],
        log2_scale: 40,
        security: SecurityLevel::Insecure,
    }
}

pub(crate) const EXTRA_STEPS: [i64; 3] = [3, -5, 7];

pub(crate) fn ctx() -> &'static CachedContext {
    let rotations = RotationSet {
        steps: EXTRA_STEPS.to_vec(),
        power_of_two: true,
        conjugate: true,
    };
    cached_context(&small_literal(), &rotations)
}

/// Worst-case error bound for the operations below on values in [-1, 1].
const BOUND: f64 = 1e-6;

fn max_err(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn vec_strategy(len: usize) -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(-1.0f64..1.0, len)
}

fn slots() -> usize {
    ctx().params.slots()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn encrypt_decrypt(v in vec_strategy(512), symmetric in any::<bool>()) {
        let c = ctx();
        let enc = if symmetric { &c.symmetric_encryptor } else { &c.encryptor };
        let ct = enc.encrypt_real(&v).unwrap();
        prop_assert_eq!(ct.seed.is_some(), symmetric);
        let err = max_err(&c.decryptor.decrypt_real(&ct), &v);
        prop_assert!(err < 1e-7, "error {}", err);
    }

    #[test]
    fn add_sub_neg(a in vec_strategy(512), b in vec_strategy(512)) {
        let c = ctx();
        let (x, y) = (c.encryptor.encrypt_real(&a).unwrap(), c.encryptor.encrypt_real(&b).unwrap());
        let e = &c.evaluator;
        let sum: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p + q).collect();
        let diff: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p - q).collect();
        prop_assert!(max_err(&c.decryptor.decrypt_real(&e.add(&x, &y).unwrap()), &sum) < BOUND);
        prop_assert!(max_err(&c.decryptor.decrypt_real(&e.sub(&x, &y).unwrap()), &diff) < BOUND);
        let neg: Vec<f64> = a.iter().map(|p| -p).collect();
        prop_assert!(max_err(&c.decryptor.decrypt_real(&e.neg(&x)), &neg) < BOUND);
        let plus: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p + q).collect();
        prop_assert!(max_err(&c.decryptor.decrypt_real(&e.add_values(&x, &b).unwrap()), &plus) < BOUND);
        let minus: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p - q).collect();
        prop_assert!(max_err(&c.decryptor.decrypt_real(&e.sub_values(&x, &b).unwrap()), &minus) < BOUND);
        let shifted: Vec<f64> = a.iter().map(|p| p + 0.75).collect();
        prop_assert!(max_err(&c.decryptor.decrypt_real(&e.add_scalar(&x, 0.75).unwrap()), &shifted) < BOUND);
    }

    #[test]
    fn multiplications(a in vec_strategy(512), b in vec_strategy(512), k in -4.0f64..4.0) {
        let c = ctx();
        let (x, y) = (c.encryptor.encrypt_real(&a).unwrap(), c.encryptor.encrypt_real(&b).unwrap());
        let prod: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p * q).collect();
        // Explicit: tensor, relinearise, rescale.
        let e = &c.evaluator;
        let t = e.mul(&x, &y).unwrap();
        prop_assert_eq!(t.size(), 3);
        prop_assert!(max_err(&c.decryptor.decrypt_real(&t), &prod) < BOUND);
        let r = e.rescale(&e.relinearize(&t).unwrap()).unwrap();
        prop_assert_eq!(r.level(), x.level() - 1);
        prop_assert!(max_err(&c.decryptor.decrypt_real(&r), &prod) < BOUND);
        let sq: Vec<f64> = a.iter().map(|p| p * p).collect();
        prop_assert!(max_err(&c.decryptor.decrypt_real(&e.square(&x).unwrap()), &sq) < BOUND);
        // Auto mode.
        let ea = &c.auto_evaluator;
        let r = ea.mul(&x, &y).unwrap();
        prop_assert_eq!((r.size(), r.level()), (2, x.level() - 1));
        prop_assert!(max_err(&c.decryptor.decrypt_real(&r), &prod) < BOUND);
        let scaled: Vec<f64> = a.iter().map(|p| p * k).collect();
        let s = ea.mul_scalar(&x, k).unwrap();
        prop_assert!(scales_match(s.scale(), x.scale()));
        prop_assert!(max_err(&c.decryptor.decrypt_real(&s), &scaled) < BOUND);
        let pv = ea.mul_values(&x, &b).unwrap();
        prop_assert!(scales_match(pv.scale(), x.scale()));
        prop_assert!(max_err(&c.decryptor.decrypt_real(&pv), &prod) < BOUND);
        let three: Vec<f64> = a.iter().map(|p| 3.0 * p).collect();
        let m3 = ea.mul_scalar(&x, 3.0).unwrap();
        prop_assert_eq!(m3.level(), x.level());
        prop_assert!(max_err(&c.decryptor.decrypt_real(&m3), &three) < BOUND);
        // Mixed levels and scales: x*y (rescaled) + a fresh ciphertext.
        let mixed = ea.add(&r, &y).unwrap();
        let expected: Vec<f64> = prod.iter().zip(&b).map(|(p, q)| p + q).collect();
        prop_assert!(max_err(&c.decryptor.decrypt_real(&mixed), &expected) < BOUND);
        // Depth to the end of the chain.
        let mut z = x.clone();
        let mut expected = a.clone();
        while z.level() > 0 {
            z = ea.mul(&z, &y).unwrap();
            expected.iter_mut().zip(&b).for_each(|(p, q)| *p *= q);
        }
        prop_assert!(max_err(&c.decryptor.decrypt_real(&z), &expected) < 1e-5);
    }

    #[test]
    fn rotations_for_every_generated_step(a in vec_strategy(512)) {
        let c = ctx();
        let x = c.encryptor.encrypt_real(&a).unwrap();
        let s = slots() as i64;
        let mut steps: Vec<i64> = EXTRA_STEPS.to_vec();
        let mut k = 1;
        while k < s {
            steps.push(k);
            steps.push(-k);
            k *= 2;
        }
        steps.push(6); // not generated: composed from powers of two
        for &step in &steps {
            let r = c.evaluator.rotate(&x, step).unwrap();
            let out = c.decryptor.decrypt_real(&r);
            let expected: Vec<f64> = (0..s).map(|i| a[(i + step).rem_euclid(s) as usize]).collect();
            prop_assert!(max_err(&out, &expected) < BOUND, "step {}", step);
        }
        let hoisted = c.evaluator.rotate_hoisted(&x, &[1, 2, 3, 0]).unwrap();
        for (r, step) in hoisted.iter().zip([1i64, 2, 3, 0]) {
            let expected: Vec<f64> = (0..s).map(|i| a[(i + step).rem_euclid(s) as usize]).collect();
            prop_assert!(max_err(&c.decryptor.decrypt_real(r), &expected) < BOUND);
        }
    }
}

#[test]
fn conjugation() {
    let c = ctx();
    let v: Vec<Complex> = (0..slots())
        .map(|i| Complex::new((i as f64).sin(), (i as f64).cos()))
        .collect();
    let x = c.encryptor.encrypt_complex(&v).unwrap();
    let out = c
        .decryptor
        .decrypt_complex(&c.evaluator.conjugate(&x).unwrap());
    for (a, b) in v.iter().zip(&out) {
        assert!((a.conj() - *b).abs() < BOUND);
    }
}

#[test]
fn explicit_mode_reports_mismatches() {
    let c = ctx();
    let e = &c.evaluator;
    let x = c.encryptor.encrypt_real(&[1.0]).unwrap();
    let y = e.mod_switch_to(&x, 1).unwrap();
    assert!(matches!(
        e.add(&x, &y),
        Err(CkksError::LevelMismatch { .. })
    ));
    let z = e
        .rescale(&e.relinearize(&e.mul(&x, &x).unwrap()).unwrap())
        .unwrap();
    let w = e.mod_switch_to(&x, z.level()).unwrap();
    let err = e.add(&z, &w).unwrap_err();
    assert!(matches!(err, CkksError::ScaleMismatch { .. }));
    assert!(err.to_string().contains("expected 2^"));
    let bottom = e.mod_switch_to(&x, 0).unwrap();
    assert!(matches!(e.rescale(&bottom), Err(CkksError::OutOfLevels)));
    assert!(matches!(
        c.evaluator.rotate(&e.mul(&x, &x).unwrap(), 1),
        Err(CkksError::CiphertextSize { .. })
    ));
    let bare = Evaluator::new(c.params.clone());
    assert!(matches!(
        bare.rotate(&x, 1),
        Err(CkksError::MissingGaloisKey { .. })
    ));
    assert!(matches!(
        bare.relinearize(&e.mul(&x, &x).unwrap()),
        Err(CkksError::MissingRelinKey)
    ));
}

#[test]
fn mismatched_keys_are_refused() {
    let c = ctx();
    let other = KeySet::generate(&c.params, &RotationSet::steps(&[1]));
    let e = Evaluator::new(c.params.clone())
        .with_relin_key(c.keys.relin.clone())
        .unwrap()
        .with_galois_keys(other.galois.clone());
    assert!(matches!(e, Err(CkksError::KeyMismatch { .. })));
    assert!(other.timings.total_ms() > 0.0);
}

#[test]
fn release_decryption_rounds_and_floods() {
    let c = ctx();
    let v: Vec<f64> = (0..slots()).map(|i| (i as f64 * 0.01).sin()).collect();
    let x = c.encryptor.encrypt_real(&v).unwrap();
    let out = c.decryptor.decrypt_for_release(&x, 12).unwrap();
    let unit = 2f64.powi(12);
    assert!(out.iter().all(|y| (y * unit).fract() == 0.0));
    assert!(max_err(&out, &v) < 4.0 / unit);
    // The flooding noise is really there: two releases differ somewhere.
    let again = c.decryptor.decrypt_for_release(&x, 12).unwrap();
    assert!(out != again || max_err(&out, &v) > 0.0);
}

#[test]
fn release_flooding_is_sized_from_a_noise_estimate() {
    let c = ctx();
    let v: Vec<f64> = (0..slots()).map(|i| (i as f64 * 0.02).cos()).collect();
    let x = c.encryptor.encrypt_real(&v).unwrap();
    let y = c
        .evaluator
        .rescale(
            &c.evaluator
                .relinearize(&c.evaluator.tensor(&x, &x).unwrap())
                .unwrap(),
        )
        .unwrap();
    let want: Vec<f64> = v.iter().map(|a| a * a).collect();
    let noise = c.decryptor.estimate_noise_log2(&y, &want).unwrap();
    // A fresh-ish product at N = 1024 carries noise of a few bits to tens of bits.
    assert!((1.0..30.0).contains(&noise), "noise 2^{noise}");
    let r = c
        .decryptor
        .decrypt_for_release_estimated(&y, noise, ReleasePolicy::default())
        .unwrap();
    assert!(r.flood_log2 >= noise + 15.0);
    let unit = f64::from(r.precision_bits).exp2();
    assert!(r.values.iter().all(|a| (a * unit).fract() == 0.0));
    // The flooding costs precision but the values stay within its reach.
    assert!(
        max_err(&r.values, &want) < 64.0 / unit,
        "precision {}",
        r.precision_bits
    );
    // A wrong expectation shows up as a large "noise".
    let wrong: Vec<f64> = want.iter().map(|a| a + 0.5).collect();
    assert!(c.decryptor.estimate_noise_log2(&y, &wrong).unwrap() > 30.0);
    // Too much noise for the scale: refused, with the numbers.
    let err = c
        .decryptor
        .decrypt_for_release_estimated(&y, 36.0, ReleasePolicy::default())
        .unwrap_err();
    assert!(matches!(err, CkksError::ReleaseImpossible { .. }), "{err}");
}

/// A random valid (insecure, small) parameter set: N in 2^10..2^12, a chain of
/// 2..4 primes under a scale of 30..40 bits, a first prime of 50..60 bits and
/// a special prime at least as large.
fn random_literal() -> impl Strategy<Value = CkksParametersLiteral> {
    (10u32..=12, 30u32..=40, 1usize..=3, 50u32..=60, 0u32..=10).prop_map(
        |(log_n, scale, middle, first, extra)| {
            let special = (first + extra).min(60);
            let mut bits = vec![first];
            bits.extend(std::iter::repeat_n(scale, middle));
            bits.push(special);
            CkksParametersLiteral {
                poly_modulus_degree: 1 << log_n,
                coeff_mod_bit_sizes: bits,
                log2_scale: scale,
                security: SecurityLevel::Insecure,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5))]
    /// The scheme on random parameters: encryption, every arithmetic
    /// operation, a rotation and serialisation round trips, worst case over
    /// all slots, within a bound that follows the scale.
    #[test]
    fn scheme_on_random_parameters(lit in random_literal(), seed in any::<u64>(), step in 1i64..64) {
        let params = lit.validate().unwrap();
        let keys = KeySet::generate(&params, &RotationSet::steps(&[step]));
        let enc = Encryptor::with_public_key(params.clone(), keys.public.clone());
        let sym = Encryptor::with_secret_key(params.clone(), keys.secret.clone());
        let dec = Decryptor::new(params.clone(), keys.secret.clone());
        let ev = Evaluator::new(params.clone())
            .with_relin_key(keys.relin.clone())
            .and_then(|e| e.with_galois_keys(keys.galois.clone()))
            .unwrap();
        let n = params.slots();
        let a: Vec<f64> = (0..n).map(|i| ((i as u64 ^ seed) % 1000) as f64 / 500.0 - 1.0).collect();
        let b: Vec<f64> = (0..n).map(|i| ((i as u64).wrapping_mul(seed | 1) % 997) as f64 / 498.5 - 1.0).collect();
        // Fresh noise is about 2^(log2 N / 2 + 4) at scale 2^scale; products add a few bits.
        let bound = (f64::from(params.degree().ilog2()) + 8.0 - f64::from(lit.log2_scale)).exp2();
        let x = enc.encrypt_real(&a).unwrap();
        let y = sym.encrypt_real(&b).unwrap();
        prop_assert!(max_err(&dec.decrypt_real(&x), &a) < bound);
        prop_assert!(max_err(&dec.decrypt_real(&y), &b) < bound);
        let sum: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p + q).collect();
        prop_assert!(max_err(&dec.decrypt_real(&ev.add(&x, &y).unwrap()), &sum) < 2.0 * bound);
        let prod: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p * q).collect();
        let xy = ev.rescale(&ev.relinearize(&ev.tensor(&x, &y).unwrap()).unwrap()).unwrap();
        prop_assert_eq!(xy.level(), params.max_level() - 1);
        prop_assert!(max_err(&dec.decrypt_real(&xy), &prod) < 4.0 * bound);
        let rot: Vec<f64> = (0..n).map(|i| a[(i + step as usize) % n]).collect();
        prop_assert!(max_err(&dec.decrypt_real(&ev.rotate(&x, step).unwrap()), &rot) < 2.0 * bound);
        // Serialisation: parameters, keys and both kinds of ciphertext.
        use super::serialization::*;
        let p2 = deserialize_parameters(&serialize_parameters(&params)).unwrap();
        prop_assert_eq!(p2.fingerprint(), params.fingerprint());
        for ct in [&x, &y, &xy] {
            let bytes = serialize_ciphertext(&params, ct);
            let back = deserialize_ciphertext(&params, &bytes).unwrap();
            prop_assert_eq!(dec.decrypt_real(&back), dec.decrypt_real(ct));
            let mut bad = bytes.clone();
            let i = (seed as usize) % bad.len();
            bad[i] ^= 0x20;
            prop_assert!(deserialize_ciphertext(&params, &bad).is_err());
            prop_assert!(deserialize_ciphertext(&params, &bytes[..bytes.len() - 1]).is_err());
        }
        let gk = deserialize_galois_keys(&params, &serialize_galois_keys(&params, &keys.galois)).unwrap();
        let rk = deserialize_relin_key(&params, &serialize_relin_key(&params, &keys.relin)).unwrap();
        let pk = deserialize_public_key(&params, &serialize_public_key(&params, &keys.public)).unwrap();
        let ev2 = Evaluator::new(params.clone()).with_relin_key(std::sync::Arc::new(rk)).and_then(|e| e.with_galois_keys(std::sync::Arc::new(gk))).unwrap();
        let x2 = Encryptor::with_public_key(params.clone(), pk).encrypt_real(&a).unwrap();
        let xy2 = ev2.rescale(&ev2.relinearize(&ev2.tensor(&x2, &y).unwrap()).unwrap()).unwrap();
        prop_assert!(max_err(&dec.decrypt_real(&xy2), &prod) < 4.0 * bound);
        prop_assert!(max_err(&dec.decrypt_real(&ev2.rotate(&x2, step).unwrap()), &rot) < 2.0 * bound);
    }
}
