//! Reference values from CryptoDL (Hesamifard et al. 2018), Tables 8 and 9,
//! and end-to-end checks of [`Approximation`].

use super::*;

fn table_fit(weight: Weight, l: f64, degree: usize) -> Approximation {
    Approximation::weighted_l2(
        Activation::Sigmoid,
        Interval::symmetric(l).unwrap(),
        degree,
        weight,
    )
    .unwrap()
}

fn m2() -> Weight {
    Weight::ExpInverseSquare
}

/// The reconstructed method-1 weight (`c = 1.001`).
fn m1c() -> Weight {
    Weight::StretchedChebyshev { c: 1.001 }
}

/// `v` cut to `decimals` decimal places (how the tables print norms).
fn chop_decimals(v: f64, decimals: i32) -> f64 {
    let s = 10f64.powi(decimals);
    (v * s).trunc() / s
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn table8_method2_degree3_coefficients_and_norm() {
    let p = table_fit(m2(), 1e3, 3);
    let c = &p.power_coeffs;
    assert!(close(c[3], -4.80591e-10, 1e-5), "{c:?}");
    assert!(close(c[1], 9.5386e-4, 1e-5), "{c:?}");
    assert!((c[0] - 0.5).abs() < 1e-12, "{c:?}");
    assert!(c[2].abs() < 1e-18, "{c:?}");
    let n = p.weighted_l2_error.unwrap();
    assert_eq!(chop_decimals(n, 3), 0.270, "{n}");
    // Printed, cut to four digits: -4.805e-10 x^3 ... + 0.0009 x + 0.500.
    let cut = p.chop_significant_digits(4).unwrap();
    assert_eq!(cut.power_coeffs[3], -4.805e-10);
    assert_eq!(poly::chop_significant(c[1], 1), 0.0009);
}

#[test]
fn table8_method2_norms_and_leading_coefficients() {
    // (degree, printed norm, printed leading coefficient).
    for (d, norm, lead) in [
        (5, 0.094159, 6.653e-16),
        (7, 0.037212, -1.098e-21),
        (9, 0.016006, 2.002e-27),
    ] {
        let p = table_fit(m2(), 1e3, d);
        let n = p.weighted_l2_error.unwrap();
        assert!((n - norm).abs() < 1e-6, "degree {d}: {n} vs {norm}");
        assert_eq!(
            poly::chop_significant(p.power_coeffs[d], 4),
            lead,
            "degree {d}"
        );
        assert_eq!(p.ckks_depth(), (d as u32).ilog2() + 1);
    }
}

#[test]
fn table8_method1_printed_weight_degree3() {
    let p = table_fit(Weight::chebyshev(), 1e3, 3);
    assert!(
        close(p.power_coeffs[3], -8.48814e-10, 1e-5),
        "{:?}",
        p.power_coeffs
    );
    let n = p.weighted_l2_error.unwrap();
    assert!((n - 0.277573).abs() < 1e-6, "{n}");
}

#[test]
fn table8_method1_reconstructed_weight() {
    // Degree 3: printed -8.606e-10 x^3 and norm 0.276 (both cut, not rounded).
    let p = table_fit(m1c(), 1e3, 3);
    assert_eq!(poly::chop_significant(p.power_coeffs[3], 4), -8.606e-10);
    assert_eq!(chop_decimals(p.weighted_l2_error.unwrap(), 3), 0.276);
    for (d, norm, lead) in [
        (5, 0.226704, 2.069e-15),
        (7, 0.196167, -5.917e-21),
        (9, 0.175104, 1.841e-26),
    ] {
        let p = table_fit(m1c(), 1e3, d);
        let n = p.weighted_l2_error.unwrap();
        assert!((n - norm).abs() < 1e-6, "degree {d}: {n} vs {norm}");
        assert_eq!(
            poly::chop_significant(p.power_coeffs[d], 4),
            lead,
            "degree {d}"
        );
    }
}

/// `v` rounded to `decimals` decimal places.
fn round_decimals(v: f64, decimals: i32) -> f64 {
    let s = 10f64.powi(decimals);
    (v * s).round() / s
}

#[test]
fn table9_norms() {
    // Table 9 rounds its norms to three decimals (0.065775 prints as 0.066).
    // (l, printed method-1 norm, printed method-2 norm), degree 5; the
    // method-2 value at l = 1e4 is printed 0.300, see the next test.
    for (l, n1, n2) in [
        (1e1, 0.066, Some(0.008)),
        (1e2, 0.207, Some(0.030)),
        (1e3, 0.227, Some(0.094)),
        (1e4, 0.229, None),
    ] {
        let a = table_fit(m1c(), l, 5).weighted_l2_error.unwrap();
        assert_eq!(round_decimals(a, 3), n1, "l = {l}: method 1 {a}");
        if let Some(n2) = n2 {
            let b = table_fit(m2(), l, 5).weighted_l2_error.unwrap();
            assert_eq!(round_decimals(b, 3), n2, "l = {l}: method 2 {b}");
        }
        // The printed weight (c = 1) is within one unit of the last digit.
        let c1 = table_fit(Weight::chebyshev(), l, 5)
            .weighted_l2_error
            .unwrap();
        assert!((c1 - n1).abs() < 1e-3, "l = {l}: {c1}");
    }
}

#[test]
fn table9_method2_widest_interval_deviates_from_the_print() {
    // The paper prints 0.300 for [-1e4, 1e4]; the norm here (confirmed at 30
    // digits with mpmath) is 0.297758, i.e. 0.30 to two digits. The method-2
    // norms grow like sqrt(l) (0.0298, 0.0942, 0.2978), as the measure's mass does.
    let n = table_fit(m2(), 1e4, 5).weighted_l2_error.unwrap();
    assert!((n - 0.297758).abs() < 1e-6, "{n}");
    assert_eq!(poly::round_significant(n, 2), 0.30);
}

#[test]
fn symmetric_fits_of_the_sigmoid_have_constant_one_half_and_no_even_terms() {
    // The steep part of the sigmoid is 1e-4 of the interval at l = 1e4.
    for w in [Weight::Lebesgue, Weight::chebyshev(), m1c(), m2()] {
        for l in [1e1, 1e3, 1e4, 1e5] {
            let p = table_fit(w, l, 7);
            assert!(
                (p.chebyshev_coeffs[0] - 0.5).abs() < 1e-12,
                "{w:?} {l}: {:?}",
                p.chebyshev_coeffs
            );
            for k in [2, 4, 6] {
                assert!(
                    p.chebyshev_coeffs[k].abs() < 1e-12,
                    "{w:?} {l}: {:?}",
                    p.chebyshev_coeffs
                );
            }
        }
    }
}

#[test]
fn table9_coefficients() {
    let p = table_fit(m2(), 10.0, 5);
    assert_eq!(poly::chop_significant(p.power_coeffs[5], 4), 6.371e-6);
    assert_eq!(chop_decimals(p.power_coeffs[1], 3), 0.124);
    let p = table_fit(m2(), 100.0, 5);
    assert_eq!(poly::chop_significant(p.power_coeffs[5], 4), 6.653e-11);
    assert_eq!(chop_decimals(p.power_coeffs[1], 3), 0.012);
    let p = table_fit(m1c(), 10.0, 5);
    assert_eq!(poly::round_significant(p.power_coeffs[5], 1), 1e-5);
    assert_eq!(chop_decimals(p.power_coeffs[1], 3), 0.160);
    let p = table_fit(m1c(), 100.0, 5);
    assert_eq!(poly::chop_significant(p.power_coeffs[5], 4), 2.060e-10);
    assert_eq!(chop_decimals(p.power_coeffs[1], 3), 0.019);
}

#[test]
fn a_table8_column_is_fast() {
    let start = std::time::Instant::now();
    for d in [3, 5, 7, 9] {
        table_fit(m2(), 1e3, d);
        table_fit(m1c(), 1e3, d);
    }
    let elapsed = start.elapsed();
    // Two columns; generous for unoptimised and shared machines.
    assert!(elapsed.as_secs_f64() < 5.0, "{elapsed:?}");
}

#[test]
fn stable_and_gram_schmidt_give_the_table_values() {
    for d in [3, 5, 7, 9] {
        let a = table_fit(m2(), 1e3, d);
        let b = Approximation::new(
            &Method::WeightedL2 {
                weight: m2(),
                basis: BasisConstruction::GramSchmidtMonomial,
            },
            Activation::Sigmoid,
            Interval::symmetric(1e3).unwrap(),
            d,
        )
        .unwrap();
        let (na, nb) = (a.weighted_l2_error.unwrap(), b.weighted_l2_error.unwrap());
        assert!((na - nb).abs() < 1e-9, "degree {d}: {na} vs {nb}");
        for (x, y) in a.chebyshev_coeffs.iter().zip(&b.chebyshev_coeffs) {
            assert!((x - y).abs() < 1e-8, "degree {d}");
        }
    }
}

#[test]
fn taylor_of_sigmoid() {
    let i = Interval::symmetric(1.0).unwrap();
    let p = Approximation::taylor(Activation::Sigmoid, i, 7).unwrap();
    assert_eq!(p.power_coeffs.len(), 8);
    assert!((p.power_coeffs[7] + 17.0 / 80640.0).abs() < 1e-18);
    // Next term 31 x^9/1451520 ≈ 2.1e-5 at x = 1.
    assert!(p.sup_error < 2.2e-5, "{}", p.sup_error);
    assert!((p.eval(0.5) - p.eval_power(0.5)).abs() < 1e-15);
    assert_eq!(p.effective_degree(), 7);
    assert!(matches!(
        Approximation::taylor(Activation::Relu, i, 3),
        Err(ApproxError::NotAnalytic { .. })
    ));
}

#[test]
fn fixed_published_polynomial() {
    let i = Interval::symmetric(5.0).unwrap();
    let p = Approximation::fixed(Activation::Sigmoid, i, vec![0.5, 0.197, 0.0, -0.004]).unwrap();
    assert_eq!(p.degree, 3);
    assert_eq!(p.ckks_depth(), 2);
    assert!((p.eval(2.0) - (0.5 + 0.394 - 0.032)).abs() < 1e-15);
    assert!(p.weighted_l2_error.is_none());
    assert!(p.sup_error > 0.0 && p.sup_error < 0.1, "{}", p.sup_error);
    // The TenSEAL case study's text prints -0.0004 x^3 (its tutorial code uses
    // -0.004); that polynomial is far from the sigmoid at the ends of [-5, 5].
    let typo =
        Approximation::fixed(Activation::Sigmoid, i, vec![0.5, 0.197, 0.0, -0.0004]).unwrap();
    assert!(typo.sup_error > 0.4, "{}", typo.sup_error);
    assert!(matches!(
        Approximation::new(&Method::Fixed, Activation::Sigmoid, i, 3),
        Err(ApproxError::NeedsCoefficients)
    ));
    assert!(matches!(
        Approximation::fixed(Activation::Sigmoid, i, vec![]),
        Err(ApproxError::EmptyCoefficients)
    ));
    assert!(matches!(
        Approximation::fixed(Activation::Sigmoid, i, vec![0.5, f64::NAN]),
        Err(ApproxError::NonFiniteCoefficient { index: 1, .. })
    ));
}

#[test]
fn ckks_depth_of_degrees() {
    let i = Interval::symmetric(1.0).unwrap();
    for (coeffs, depth) in [
        (vec![1.0], 0),
        (vec![1.0, 0.0, 0.0], 0),
        (vec![0.0, 1.0], 1),
        (vec![0.0, 0.0, 1.0], 2),
        (vec![0.0, 0.0, 0.0, 1.0], 2),
        (vec![0.0, 0.0, 0.0, 0.0, 1.0], 3),
        (vec![1.0; 8], 3),
        (vec![1.0; 9], 4),
    ] {
        let p = Approximation::fixed(Activation::Square, i, coeffs.clone()).unwrap();
        assert_eq!(p.ckks_depth(), depth, "{coeffs:?}");
    }
}

#[test]
fn truncation_rounds_and_recomputes() {
    let p = table_fit(m2(), 1e3, 3);
    let q = p.truncate_significant_digits(3).unwrap();
    assert_eq!(q.significant_digits, Some(3));
    assert_eq!(q.power_coeffs[3], -4.81e-10);
    assert_eq!(q.power_coeffs[1], 9.54e-4);
    let n = q.weighted_l2_error.unwrap();
    assert!(n > p.weighted_l2_error.unwrap() && n < 0.3, "{n}");
    assert!(matches!(
        p.truncate_significant_digits(0),
        Err(ApproxError::InvalidPrecision { digits: 0 })
    ));
    assert!(p.truncate_significant_digits(18).is_err());
    // Chebyshev coefficients follow the rounded power coefficients.
    for x in [-700.0, 3.0, 250.0] {
        assert!((q.eval(x) - q.eval_power(x)).abs() < 1e-12);
    }
}

#[test]
fn every_method_and_activation_works() {
    let i = Interval::symmetric(4.0).unwrap();
    let methods = [
        Method::weighted_l2(Weight::Lebesgue),
        Method::weighted_l2(Weight::chebyshev()),
        Method::weighted_l2(m1c()),
        Method::weighted_l2(m2()),
        Method::ChebyshevInterpolation,
        Method::Minimax,
        Method::Taylor,
    ];
    for f in Activation::ALL {
        for m in &methods {
            let r = Approximation::new(m, f, i, 4);
            if f == Activation::Relu && *m == Method::Taylor {
                assert!(r.is_err());
                continue;
            }
            let p = r.unwrap_or_else(|e| panic!("{f} {m:?}: {e}"));
            assert_eq!(p.power_coeffs.len(), 5);
            assert!(p.sup_error.is_finite());
            if f == Activation::Square {
                assert!(p.sup_error < 1e-10, "{f} {m:?}: {}", p.sup_error);
            }
        }
        // Minimax has the smallest sup error (up to the sampling).
        let best = Approximation::minimax(f, i, 4).unwrap().sup_error;
        let cheb = Approximation::chebyshev_interpolation(f, i, 4)
            .unwrap()
            .sup_error;
        assert!(best <= cheb * (1.0 + 1e-6) + 1e-14, "{f}: {best} vs {cheb}");
    }
}

#[test]
fn minimax_of_sigmoid_on_the_table_interval() {
    let i = Interval::symmetric(1e3).unwrap();
    for d in [3, 5] {
        let p = Approximation::minimax(Activation::Sigmoid, i, d).unwrap();
        let l2 = table_fit(m2(), 1e3, d);
        assert!(
            p.sup_error < l2.sup_error,
            "{d}: {} vs {}",
            p.sup_error,
            l2.sup_error
        );
        assert!(p.sup_error < 0.5);
    }
}

#[test]
fn minimax_is_robust_across_activations_and_scales() {
    // Includes near-polynomial cases (sigmoid on [-1, 1]) whose error at the
    // centre of symmetry is pure rounding noise.
    for l in [1.0, 10.0, 1e3, 1e4] {
        let i = Interval::symmetric(l).unwrap();
        for f in Activation::ALL {
            for d in [2, 3, 4, 7, 9] {
                let m = fit::minimax_fit(|x| f.eval(x), &i, d)
                    .unwrap_or_else(|e| panic!("{f} l = {l} d = {d}: {e}"));
                assert!(
                    m.max_error - m.levelled_error <= 1e-4 * m.max_error + 1e-15,
                    "{f} l = {l} d = {d}: {m:?}"
                );
            }
        }
    }
}

#[test]
fn serde_round_trip() {
    let p = table_fit(m1c(), 1e3, 5);
    let s = serde_json::to_string(&p).unwrap();
    let q: Approximation = serde_json::from_str(&s).unwrap();
    // serde_json's default float parser may be one ulp off.
    let near = |a: &[f64], b: &[f64]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= 4.0 * f64::EPSILON * x.abs())
    };
    assert!(near(&p.power_coeffs, &q.power_coeffs));
    assert!(near(&p.chebyshev_coeffs, &q.chebyshev_coeffs));
    assert_eq!(
        (p.method, p.function, p.interval, p.degree),
        (q.method, q.function, q.interval, q.degree)
    );
    assert!(s.contains(r#""method":{"kind":"weighted_l2","weight":{"kind":"stretched_chebyshev","c":1.001},"basis":"stieltjes"}"#), "{s}");
}

#[test]
fn bad_degree_and_interval() {
    let i = Interval::symmetric(1.0).unwrap();
    for m in [
        Method::weighted_l2(m2()),
        Method::Minimax,
        Method::Taylor,
        Method::ChebyshevInterpolation,
    ] {
        assert!(matches!(
            Approximation::new(&m, Activation::Sigmoid, i, MAX_DEGREE + 1),
            Err(ApproxError::DegreeTooHigh { .. })
        ));
    }
    assert!(matches!(
        Interval::new(3.0, 3.0),
        Err(ApproxError::EmptyInterval { .. })
    ));
}

/// Prints Tables 8 and 9 as computed here (run with `--ignored --nocapture`).
#[test]
#[ignore = "prints the tables; no assertions"]
fn print_tables() {
    let weights = [
        ("m1 printed (c=1)", Weight::chebyshev()),
        ("m1 c=1.001", m1c()),
        ("m2", m2()),
    ];
    println!("Table 8: sigmoid on [-1e3, 1e3]");
    for d in [3, 5, 7, 9] {
        for (name, w) in weights {
            let p = table_fit(w, 1e3, d);
            println!(
                "  d={d} {name:>17}: norm {:.8}  c_d {:.5e}  c_(d-1) {:.3e}  c_1 {:.6e}  c_0 {:.12}  sup {:.4}",
                p.weighted_l2_error.unwrap(),
                p.power_coeffs[d],
                p.power_coeffs[d - 1],
                p.power_coeffs[1],
                p.power_coeffs[0],
                p.sup_error
            );
        }
    }
    println!("Table 9: degree 5 on [-10^i, 10^i]");
    for l in [1e1, 1e2, 1e3, 1e4] {
        for (name, w) in weights {
            let p = table_fit(w, l, 5);
            println!(
                "  l={l:e} {name:>17}: norm {:.8}  c_5 {:.5e}  c_4 {:.3e}  c_1 {:.6e}  c_0 {:.12}",
                p.weighted_l2_error.unwrap(),
                p.power_coeffs[5],
                p.power_coeffs[4],
                p.power_coeffs[1],
                p.power_coeffs[0]
            );
        }
    }
}
