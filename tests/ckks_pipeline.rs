//! End to end on Chen & Song's parameters (TenSEAL defaults: N = 8192,
//! [60, 40, 40, 60], scale 2^40): encrypt a batch of features, a linear layer
//! (encrypted vector times plaintext matrix), a square activation, decrypt, and
//! record precision statistics; the dry run predicts levels and rotation keys.

use heml::he::ckks::circuits::{
    CkksBackend, DryRun, LinearTransform, Polynomial, evaluate_polynomial,
};
use heml::he::ckks::keycache::cached_context;
use heml::he::ckks::{CkksParametersLiteral, PrecisionStats, RotationSet};

#[test]
fn linear_layer_and_square_activation() {
    let lit = CkksParametersLiteral::tenseal_8192();
    let params = lit.validate().unwrap();
    let (d_in, d_out) = (32, 10);
    let weights: Vec<Vec<f64>> = (0..d_in)
        .map(|i| {
            (0..d_out)
                .map(|j| (((i * 13 + j * 7) % 17) as f64 - 8.0) / 40.0)
                .collect()
        })
        .collect();
    let layer = LinearTransform::vector_matrix(&weights, params.slots()).unwrap();
    // x^2 by the polynomial evaluator would take ceil(log2 3) = 2 levels (its
    // constant needs one); a bare square takes one, as in Chen & Song.
    fn square<B: CkksBackend>(b: &B, x: &B::Ct) -> B::Ct {
        b.rescale(&b.mul_relin(x, x).unwrap()).unwrap()
    }
    let too_deep = Polynomial::power(&[0.0, 0.0, 1.0]);

    // Dry run: the circuit fits the chain and needs exactly these rotations.
    let dry = DryRun::new(params.clone());
    let sim = layer.apply(&dry, &[dry.fresh()]).unwrap();
    let err = evaluate_polynomial(&dry, &sim[0], &too_deep, params.default_scale()).unwrap_err();
    assert!(
        err.to_string().contains("needs depth 2, the chain has 1"),
        "{err}"
    );
    let sim = square(&dry, &sim[0]);
    assert_eq!(sim.level, 0);
    let mut steps = dry.rotation_steps();
    let mut expected_steps = layer.rotation_steps();
    steps.sort_unstable();
    expected_steps.sort_unstable();
    assert_eq!(steps, expected_steps);

    let ctx = cached_context(&lit, &RotationSet::steps(&steps));
    let x: Vec<f64> = (0..d_in).map(|i| (i as f64 * 0.2).sin()).collect();
    let cts: Vec<_> = layer
        .pack_input(&x)
        .unwrap()
        .iter()
        .map(|v| ctx.encryptor.encrypt_real(v).unwrap())
        .collect();
    let h = layer.apply(&ctx.evaluator, &cts).unwrap();
    let y = square(&ctx.evaluator, &h[0]);
    assert_eq!(y.level(), 0);
    let out = layer.unpack_output(&[ctx.decryptor.decrypt_real(&y)]);
    let expected: Vec<f64> = (0..d_out)
        .map(|j| {
            let z: f64 = (0..d_in).map(|i| x[i] * weights[i][j]).sum();
            z * z
        })
        .collect();
    let stats = PrecisionStats::compute(&expected, &out).unwrap();
    assert!(stats.max_log2_error < -15.0, "{stats:?}");
}
