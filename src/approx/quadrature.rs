//! Adaptive Gauss–Kronrod quadrature (G7/K15).
//!
//! The inner products `<f, g> = ∫_X f g dμ` of CryptoDL Section 2 are
//! integrals against a finite measure; this file computes them. The scheme is
//! QUADPACK's QAG with a global error estimate: the subintervals with the
//! largest `|K15 - G7|` (the worst eighth of them, at least one, per round) are
//! bisected until the sum of the estimates is below `max(abs_tol, rel_tol · |I|)`
//! or the subdivision budget is spent (then an error names the accuracy
//! reached). Several integrands can share one
//! subdivision ([`integrate_vec`]), which is how all projections `<f, u_k>`
//! are computed in one pass.
//!
//! Weights singular at the end points like `1/sqrt(1 - t^2)` are handled by a
//! substitution, not by bisecting towards the singularity (that converges only
//! like `2^(-n/2)`): [`integrate_sqrt_endpoints`] maps `x = m + h sin φ`,
//! which turns `(1 - t^2)^(-1/2) dt` into `dφ`. The measures of
//! [`super::weight::Weight`] use the same substitution.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::error::{ApproxError, Result};

/// Kronrod 15-point abscissae on [-1, 1] (non-negative half, descending).
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];

/// Kronrod 15-point weights matching [`XGK`].
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_18,
    0.140_653_259_715_525_92,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_83,
];

/// Gauss 7-point weights for the abscissae `XGK[1], XGK[3], XGK[5], XGK[7]`.
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// Tolerances and budget of the adaptive scheme.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QuadratureOptions {
    /// Absolute tolerance on the (vector) integral.
    pub abs_tol: f64,
    /// Relative tolerance on the (vector) integral.
    pub rel_tol: f64,
    /// Largest number of subintervals before giving up.
    pub max_subintervals: usize,
}

impl Default for QuadratureOptions {
    fn default() -> Self {
        Self {
            abs_tol: 1e-14,
            rel_tol: 1e-12,
            max_subintervals: 4096,
        }
    }
}

/// A scalar integral with its error estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quadrature {
    /// The integral (K15 sums).
    pub value: f64,
    /// Sum of `|K15 - G7|` over the final subintervals.
    pub error_estimate: f64,
    /// Final number of subintervals.
    pub subintervals: usize,
    /// Integrand evaluations.
    pub evaluations: usize,
}

/// A vector of integrals sharing one subdivision.
#[derive(Clone, Debug, PartialEq)]
pub struct VecQuadrature {
    /// One integral per component.
    pub values: Vec<f64>,
    /// Euclidean norm of the summed per-component error estimates.
    pub error_estimate: f64,
    /// The final subintervals, sorted by their lower end.
    pub subintervals: Vec<(f64, f64)>,
    /// Integrand evaluations.
    pub evaluations: usize,
}

/// The 15 Kronrod nodes and weights of `[a, b]` (for building discrete measures).
pub fn kronrod_rule(a: f64, b: f64) -> [(f64, f64); 15] {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let mut out = [(0.0, 0.0); 15];
    for j in 0..7 {
        out[2 * j] = (c - h * XGK[j], h * WGK[j]);
        out[2 * j + 1] = (c + h * XGK[j], h * WGK[j]);
    }
    out[14] = (c, h * WGK[7]);
    out
}

struct Panel {
    a: f64,
    b: f64,
    values: Vec<f64>,
    errors: Vec<f64>,
    error: f64,
}

impl PartialEq for Panel {
    fn eq(&self, other: &Self) -> bool {
        self.error.total_cmp(&other.error) == Ordering::Equal
    }
}
impl Eq for Panel {}
impl PartialOrd for Panel {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Panel {
    fn cmp(&self, other: &Self) -> Ordering {
        self.error.total_cmp(&other.error)
    }
}

/// Applies G7/K15 to one panel of a vector integrand.
fn gk15<F: FnMut(f64, &mut [f64])>(
    f: &mut F,
    a: f64,
    b: f64,
    dim: usize,
    buf: &mut [f64],
) -> Result<Panel> {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let mut kron = vec![0.0; dim];
    let mut gauss = vec![0.0; dim];
    let mut eval = |x: f64, buf: &mut [f64]| -> Result<()> {
        f(x, buf);
        if let Some(&v) = buf.iter().find(|v| !v.is_finite()) {
            return Err(ApproxError::NonFinite { x, value: v });
        }
        Ok(())
    };
    eval(c, buf)?;
    for i in 0..dim {
        kron[i] += WGK[7] * buf[i];
        gauss[i] += WG[3] * buf[i];
    }
    for j in 0..7 {
        for x in [c - h * XGK[j], c + h * XGK[j]] {
            eval(x, buf)?;
            for i in 0..dim {
                kron[i] += WGK[j] * buf[i];
                if j % 2 == 1 {
                    gauss[i] += WG[j / 2] * buf[i];
                }
            }
        }
    }
    let mut errors = vec![0.0; dim];
    let mut err2 = 0.0;
    for i in 0..dim {
        kron[i] *= h;
        gauss[i] *= h;
        // Round-off floor: a panel cannot be more accurate than its sum.
        let e = (kron[i] - gauss[i]).abs() + 10.0 * f64::EPSILON * kron[i].abs();
        errors[i] = e;
        err2 += e * e;
    }
    Ok(Panel {
        a,
        b,
        values: kron,
        errors,
        error: err2.sqrt(),
    })
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// Integrates a vector-valued function over `[points[0], points[last]]`,
/// starting from the panels between consecutive `points` (break points where
/// the integrand has a kink or a steep feature help the scheme).
///
/// `f(x, out)` writes the `dim` components at `x` into `out`. Convergence is
/// declared when the Euclidean norm of the summed per-component error
/// estimates is at most `max(abs_tol, rel_tol · ‖I‖₂)`.
pub fn integrate_vec<F: FnMut(f64, &mut [f64])>(
    mut f: F,
    dim: usize,
    points: &[f64],
    opts: &QuadratureOptions,
) -> Result<VecQuadrature> {
    let (lo, hi) = match (points.first(), points.last()) {
        (Some(&lo), Some(&hi)) if points.len() >= 2 => (lo, hi),
        _ => {
            let v = points.first().copied().unwrap_or(f64::NAN);
            return Err(ApproxError::EmptyInterval { lo: v, hi: v });
        }
    };
    if !points.iter().all(|p| p.is_finite()) || points.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ApproxError::EmptyInterval { lo, hi });
    }
    let mut buf = vec![0.0; dim];
    let mut heap = BinaryHeap::new();
    let mut done: Vec<Panel> = Vec::new();
    let mut evaluations = 0;
    for w in points.windows(2) {
        heap.push(gk15(&mut f, w[0], w[1], dim, &mut buf)?);
        evaluations += 15;
    }
    let totals = |heap: &BinaryHeap<Panel>, done: &[Panel]| {
        let mut values = vec![0.0; dim];
        let mut errors = vec![0.0; dim];
        for p in heap.iter().chain(done.iter()) {
            for i in 0..dim {
                values[i] += p.values[i];
                errors[i] += p.errors[i];
            }
        }
        (values, norm(&errors))
    };
    loop {
        let (values, error) = totals(&heap, &done);
        let tol = opts.abs_tol.max(opts.rel_tol * norm(&values));
        let count = heap.len() + done.len();
        if error <= tol || heap.is_empty() || count >= opts.max_subintervals {
            if error > tol {
                return Err(ApproxError::QuadratureNotConverged {
                    a: lo,
                    b: hi,
                    subintervals: count,
                    achieved: error,
                    requested: tol,
                });
            }
            let mut subintervals: Vec<(f64, f64)> =
                heap.iter().chain(done.iter()).map(|p| (p.a, p.b)).collect();
            subintervals.sort_by(|x, y| x.0.total_cmp(&y.0));
            return Ok(VecQuadrature {
                values,
                error_estimate: error,
                subintervals,
                evaluations,
            });
        }
        // Bisect a batch of the worst panels before re-summing (cheap totals).
        let batch = (heap.len() / 8).max(1);
        for _ in 0..batch {
            let Some(worst) = heap.pop() else { break };
            let mid = 0.5 * (worst.a + worst.b);
            if !(worst.a < mid && mid < worst.b) {
                // Cannot be split further in floating point.
                done.push(worst);
                continue;
            }
            heap.push(gk15(&mut f, worst.a, mid, dim, &mut buf)?);
            heap.push(gk15(&mut f, mid, worst.b, dim, &mut buf)?);
            evaluations += 30;
            if heap.len() + done.len() >= opts.max_subintervals {
                break;
            }
        }
    }
}

/// Integrates a scalar function over `[a, b]`.
pub fn integrate<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    opts: &QuadratureOptions,
) -> Result<Quadrature> {
    integrate_with_breakpoints(&mut f, &[a, b], opts)
}

/// Integrates a scalar function over `[points[0], points[last]]` with
/// initial break points.
pub fn integrate_with_breakpoints<F: FnMut(f64) -> f64>(
    mut f: F,
    points: &[f64],
    opts: &QuadratureOptions,
) -> Result<Quadrature> {
    let r = integrate_vec(|x, out| out[0] = f(x), 1, points, opts)?;
    Ok(Quadrature {
        value: r.values[0],
        error_estimate: r.error_estimate,
        subintervals: r.subintervals.len(),
        evaluations: r.evaluations,
    })
}

/// Integrates `f` over `[a, b]` when `f` may have inverse-square-root
/// singularities at both ends, like `1/sqrt((x - a)(b - x))`.
///
/// Substitutes `x = m + h sin φ` (`m`, `h` the midpoint and half-width), so
/// `dx = h cos φ dφ` and `cos φ = sqrt(1 - ((x - m)/h)^2)` cancels the
/// singularity; the smooth `φ`-integrand over `[-π/2, π/2]` is integrated
/// adaptively.
pub fn integrate_sqrt_endpoints<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    opts: &QuadratureOptions,
) -> Result<Quadrature> {
    if !(a.is_finite() && b.is_finite() && a < b) {
        return Err(ApproxError::EmptyInterval { lo: a, hi: b });
    }
    let m = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let half_pi = std::f64::consts::FRAC_PI_2;
    integrate(
        |phi| {
            let x = (m + h * phi.sin()).clamp(a, b);
            f(x) * h * phi.cos()
        },
        -half_pi,
        half_pi,
        opts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn opts() -> QuadratureOptions {
        QuadratureOptions::default()
    }

    #[test]
    fn kronrod_weights_sum_to_two_and_gauss_weights_too() {
        let k: f64 = WGK[..7].iter().sum::<f64>() * 2.0 + WGK[7];
        let g: f64 = WG[..3].iter().sum::<f64>() * 2.0 + WG[3];
        assert!((k - 2.0).abs() < 1e-15, "{k}");
        assert!((g - 2.0).abs() < 1e-15, "{g}");
    }

    #[test]
    fn single_panel_is_exact_for_degree_22_polynomials() {
        // K15 is exact to degree 22, G7 to degree 13.
        let rule = kronrod_rule(-1.0, 1.0);
        for n in 0..=22u32 {
            let s: f64 = rule.iter().map(|(x, w)| w * x.powi(n as i32)).sum();
            let exact = if n % 2 == 1 {
                0.0
            } else {
                2.0 / f64::from(n + 1)
            };
            assert!((s - exact).abs() < 1e-14, "n = {n}: {s} vs {exact}");
        }
    }

    #[test]
    fn known_integrals() {
        let r = integrate(f64::exp, 0.0, 1.0, &opts()).unwrap();
        assert!((r.value - (1f64.exp() - 1.0)).abs() < 1e-14);
        let r = integrate(f64::sin, 0.0, PI, &opts()).unwrap();
        assert!((r.value - 2.0).abs() < 1e-14);
        // Derivative singular at 0: adaptive bisection copes.
        let r = integrate(f64::sqrt, 0.0, 1.0, &opts()).unwrap();
        assert!((r.value - 2.0 / 3.0).abs() < 1e-12, "{}", r.value);
        // Kink, with and without a break point.
        let r = integrate(|x: f64| x.abs(), -1.0, 2.0, &opts()).unwrap();
        assert!((r.value - 2.5).abs() < 1e-12);
        let r = integrate_with_breakpoints(|x: f64| x.abs(), &[-1.0, 0.0, 2.0], &opts()).unwrap();
        assert!((r.value - 2.5).abs() < 1e-14);
        assert_eq!(r.subintervals, 2);
        // Smooth but flat at 0: exp(-1/x^2); ∫_{-1}^{1} = 2(e^{-1} - sqrt(pi) erfc(1)).
        let erfc1 = 0.157_299_207_050_285_13;
        let exact = 2.0 * ((-1f64).exp() - PI.sqrt() * erfc1);
        let r = integrate(
            |x: f64| {
                if x == 0.0 {
                    0.0
                } else {
                    (-1.0 / (x * x)).exp()
                }
            },
            -1.0,
            1.0,
            &opts(),
        )
        .unwrap();
        assert!((r.value - exact).abs() < 1e-13, "{} vs {exact}", r.value);
    }

    #[test]
    fn inverse_sqrt_endpoint_singularities_by_substitution() {
        let r =
            integrate_sqrt_endpoints(|x| 1.0 / (1.0 - x * x).sqrt(), -1.0, 1.0, &opts()).unwrap();
        assert!((r.value - PI).abs() < 1e-12, "{}", r.value);
        let r =
            integrate_sqrt_endpoints(|x| x * x / (1.0 - x * x).sqrt(), -1.0, 1.0, &opts()).unwrap();
        assert!((r.value - PI / 2.0).abs() < 1e-12, "{}", r.value);
        // Shifted, scaled: ∫_2^6 dx / sqrt((x-2)(6-x)) = π.
        let r =
            integrate_sqrt_endpoints(|x| 1.0 / ((x - 2.0) * (6.0 - x)).sqrt(), 2.0, 6.0, &opts())
                .unwrap();
        assert!((r.value - PI).abs() < 1e-10, "{}", r.value);
    }

    #[test]
    fn direct_bisection_on_the_singular_weight_reports_non_convergence() {
        let tight = QuadratureOptions {
            max_subintervals: 64,
            ..opts()
        };
        let r = integrate(|x| 1.0 / (1.0 - x * x).sqrt(), -1.0, 1.0, &tight);
        assert!(
            matches!(r, Err(ApproxError::QuadratureNotConverged { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn vector_integrals_share_a_subdivision() {
        let r = integrate_vec(
            |x, out| {
                out[0] = 1.0;
                out[1] = x;
                out[2] = x * x;
            },
            3,
            &[0.0, 1.0],
            &opts(),
        )
        .unwrap();
        assert!((r.values[0] - 1.0).abs() < 1e-15);
        assert!((r.values[1] - 0.5).abs() < 1e-15);
        assert!((r.values[2] - 1.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(integrate(|x| x, 1.0, 0.0, &opts()).is_err());
        assert!(integrate(|x| x, f64::NAN, 0.0, &opts()).is_err());
        assert!(integrate_with_breakpoints(|x| x, &[0.0], &opts()).is_err());
        assert!(matches!(
            integrate(|x| 1.0 / x, -1.0, 1.0, &opts()),
            Err(ApproxError::NonFinite { .. })
        ));
    }
}
