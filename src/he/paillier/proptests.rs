//! Property tests. Keys come from the shared `test_keys` caches; most use
//! the explicitly opted-in insecure 1024-bit keys to stay fast.

use proptest::prelude::*;
use rug::Integer;

use crate::he::paillier::json::{self, ExportMode};
use crate::he::paillier::test_keys;
use crate::he::paillier::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Integers spread over the whole signed plaintext range, edges included.
fn plaintext(max_int: &Integer) -> impl Strategy<Value = Integer> + use<> {
    let max = max_int.clone();
    let max2 = max_int.clone();
    prop_oneof![
        any::<i64>().prop_map(Integer::from),
        Just(Integer::new()),
        Just(max.clone()),
        Just(Integer::from(-&max)),
        (any::<u64>(), any::<bool>()).prop_map(move |(x, neg)| {
            // near the edges
            let v = Integer::from(&max2 - x);
            if neg { -v } else { v }
        }),
    ]
}

proptest! {
    #![proptest_config(config(12))]

    #[test]
    fn round_trip_integers_both_modes(v in any::<i64>(), djn in any::<bool>()) {
        let kp = if djn { test_keys::key_1024_djn() } else { test_keys::key_1024() };
        let c = kp.public.encrypt_i64(v).unwrap();
        prop_assert_eq!(kp.secret.decrypt_integer(&c).unwrap(), v);
    }

    #[test]
    fn round_trip_floats_exact(x in prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO) {
        let kp = test_keys::key_1024_djn();
        match kp.public.encrypt_f64(x) {
            Ok(c) => prop_assert_eq!(kp.secret.decrypt_f64(&c).unwrap(), x),
            // tiny keys cannot hold 1e300 * 16^k: a clear error
            Err(e) => {
                let ok = matches!(e, PaillierError::EncodingOverflow { .. });
                prop_assert!(ok);
            }
        }
    }

    #[test]
    fn encode_decode_f64_is_identity(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        let kp = test_keys::key_2048_standard();
        let e = EncodedNumber::encode_f64(&kp.public, x).unwrap();
        prop_assert_eq!(e.decode_f64().unwrap(), x);
    }
}

proptest! {
    #![proptest_config(config(10))]

    #[test]
    fn sums_and_scalar_products_match_or_overflow_is_detected(
        (a, b, k) in {
            let max = test_keys::key_1024().public.max_int().clone();
            (plaintext(&max), plaintext(&max), prop_oneof![any::<i64>().prop_map(Integer::from), Just(Integer::new()), Just(Integer::from(-1))])
        }
    ) {
        let kp = test_keys::key_1024();
        let (pk, sk) = (&kp.public, &kp.secret);
        let max = pk.max_int().clone();
        let ea = pk.encrypt_integer(&a).unwrap();
        let eb = pk.encrypt_integer(&b).unwrap();
        let check = |enc: &EncryptedNumber, expect: Integer| -> std::result::Result<(), TestCaseError> {
            let got = sk.decrypt_integer(enc);
            if Integer::from(expect.abs_ref()) <= max {
                prop_assert_eq!(got.unwrap(), expect);
            } else {
                // wraps mod n: either detected in the band or a value congruent mod n
                match got {
                    Err(PaillierError::DecodeOverflow { .. }) => {}
                    Ok(v) => prop_assert_eq!(crate::he::paillier::multiexp::reduce(&Integer::from(&v - &expect), pk.n()), 0),
                    Err(e) => prop_assert!(false, "unexpected error {e}"),
                }
            }
            Ok(())
        };
        check(&ea.add(&eb).unwrap(), Integer::from(&a + &b))?;
        check(&ea.sub(&eb).unwrap(), Integer::from(&a - &b))?;
        check(&ea.add_integer(&b).unwrap(), Integer::from(&a + &b))?;
        check(&ea.mul_integer(&k).unwrap(), Integer::from(&a * &k))?;
        check(&ea.neg().unwrap(), Integer::from(-&a))?;
    }

    #[test]
    fn matvec_equals_plain_integer_matvec(
        (rows, cols, w, x) in (1usize..4, 1usize..9).prop_flat_map(|(r, c)| {
            (
                Just(r),
                Just(c),
                prop::collection::vec(-(1i64 << 40)..(1i64 << 40), r * c),
                prop::collection::vec(-(1i64 << 20)..(1i64 << 20), c),
            )
        }),
        par in any::<bool>(),
    ) {
        let kp = test_keys::key_1024();
        let (pk, sk) = (&kp.public, &kp.secret);
        let m = EncodedMatrix::from_i64(rows, cols, &w).unwrap();
        let enc: Vec<EncryptedNumber> = x.iter().map(|&v| pk.encrypt_i64(v).unwrap()).collect();
        let out = if par { m.apply_par(&enc).unwrap() } else { m.apply(&enc).unwrap() };
        prop_assert_eq!(out.len(), rows);
        for r in 0..rows {
            let expect: Integer = (0..cols)
                .map(|c| Integer::from(w[r * cols + c]) * x[c])
                .sum();
            prop_assert_eq!(out[r].exponent(), 0);
            prop_assert_eq!(sk.decrypt_integer(&out[r]).unwrap(), expect);
        }
    }

    #[test]
    fn encoding_overflow_is_detected(extra in 1u64.., neg in any::<bool>()) {
        let kp = test_keys::key_1024();
        let v = Integer::from(kp.public.max_int() + extra);
        let v = if neg { -v } else { v };
        let is_overflow = matches!(
            EncodedNumber::encode_integer(&kp.public, &v),
            Err(PaillierError::EncodingOverflow { .. })
        );
        prop_assert!(is_overflow);
        prop_assert!(kp.public.encrypt_integer(&v).is_err());
    }

    #[test]
    fn json_round_trip(xs in prop::collection::vec(-1e6f64..1e6, 0..5)) {
        let kp = test_keys::key_2048_djn();
        let pk = &kp.public;
        let enc = pk.encrypt_f64_batch(&xs).unwrap();
        let text = json::encrypted_values_to_json(pk, &enc, ExportMode::RerandomizeDerived).unwrap();
        let (pk2, back) = json::encrypted_values_from_json(&text, false).unwrap();
        prop_assert_eq!(&pk2, pk);
        prop_assert_eq!(&back, &enc);
        prop_assert_eq!(kp.secret.decrypt_f64_batch(&back).unwrap(), xs);
    }

    #[test]
    fn json_garbage_never_panics(s in ".{0,200}") {
        let pk = &test_keys::key_1024().public;
        let _ = json::public_key_from_json(&s, true);
        let _ = json::public_key_from_jwk(&s, true);
        let _ = json::encrypted_values_from_json(&s, true);
        let _ = json::encrypted_number_from_cli_json(&s, pk);
    }

    #[test]
    fn json_mutations_are_errors_not_panics(cut in 0usize..400, byte in any::<u8>()) {
        let kp = test_keys::key_1024();
        let enc = vec![kp.public.encrypt_i64(3).unwrap()];
        let text = json::encrypted_values_to_json(&kp.public, &enc, ExportMode::AsIs).unwrap();
        let mut bytes = text.into_bytes();
        let at = cut % bytes.len();
        bytes[at] = byte;
        if let Ok(s) = String::from_utf8(bytes) {
            // Either still valid (e.g. a digit swapped for a digit) or an error.
            if let Ok((_, vals)) = json::encrypted_values_from_json(&s, true) {
                prop_assert_eq!(vals.len(), 1);
            }
        }
    }
}

#[test]
fn max_int_edges_and_overflow_band() {
    let kp = test_keys::key_1024();
    let (pk, sk) = (&kp.public, &kp.secret);
    let max = pk.max_int().clone();
    let top = pk.encrypt_integer(&max).unwrap();
    let bottom = pk.encrypt_integer(&Integer::from(-&max)).unwrap();
    let zero = pk.encrypt_i64(0).unwrap();
    assert_eq!(sk.decrypt_integer(&top.add(&zero).unwrap()).unwrap(), max);
    assert_eq!(sk.decrypt_integer(&top.add(&bottom).unwrap()).unwrap(), 0);
    let one = pk.encrypt_i64(1).unwrap();
    assert!(matches!(
        sk.decrypt_integer(&top.add(&one).unwrap()),
        Err(PaillierError::DecodeOverflow { .. })
    ));
    assert!(matches!(
        sk.decrypt_integer(&bottom.sub(&one).unwrap()),
        Err(PaillierError::DecodeOverflow { .. })
    ));
    assert!(matches!(
        sk.decrypt_f64(&top.mul_i64(2).unwrap()),
        Err(PaillierError::DecodeOverflow { .. })
    ));
}

#[test]
fn layer_2048_against_python_style_terms() {
    // A 3x40 layer at 2048 bits with weights in [-0.5, 0.5] and pixels k/255:
    // the multi-exponentiation result decrypts to exactly python's sum(w*x).
    let kp = test_keys::key_2048_djn();
    let (pk, sk) = (&kp.public, &kp.secret);
    let cols = 40;
    let xs: Vec<f64> = (0..cols)
        .map(|i| f64::from((i * 37 % 256) as u8) / 255.0)
        .collect();
    let w: Vec<f64> = (0..3 * cols)
        .map(|i| ((i * 7919 % 1000) as f64) / 1000.0 - 0.5)
        .collect();
    let enc = pk.encrypt_f64_batch(&xs).unwrap();
    let m = EncodedMatrix::encode_f64(3, cols, &w, WeightEncoding::PythonDefault).unwrap();
    let out = m.apply(&enc).unwrap();
    for r in 0..3 {
        let mut acc = enc[0].mul_f64(w[r * cols]).unwrap();
        for c in 1..cols {
            acc = acc.add(&enc[c].mul_f64(w[r * cols + c]).unwrap()).unwrap();
        }
        let (m1, e1) = sk.decrypt_exact(&out[r]).unwrap();
        let (m2, e2) = sk.decrypt_exact(&acc).unwrap();
        let lo = e1.min(e2);
        assert_eq!(m1 << (4 * (e1 - lo)) as u32, m2 << (4 * (e2 - lo)) as u32);
    }
}
