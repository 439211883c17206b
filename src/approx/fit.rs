//! Polynomial fits of a function on an interval.
//!
//! - [`weighted_l2_fit`]: the best `‖·‖_{2,μ}` approximation of CryptoDL
//!   Section 2, Theorem 3: `p = Σ <f, u_k> u_k` over an orthonormal basis
//!   `u_0..u_d` for `μ`; its error `‖f - p‖_{2,μ}` is integrated directly
//!   (not as `‖f‖² - Σ c_k²`, which cancels), and is not divided by `μ(X)`.
//! - [`chebyshev_interpolation`]: interpolation at the `d + 1` Chebyshev nodes
//!   (the roots of `T_{d+1}`, Section 2's "nodes we use in polynomial
//!   interpolation").
//! - [`minimax_fit`]: the best `‖·‖_∞` approximation by the Remez exchange.
//! - [`sup_error`]: `‖f - p‖_∞` by dense sampling and local refinement (the
//!   paper notes the exact sup norm is hard in general; this is an estimate
//!   from below that is sharp for the smooth error curves met here).
//!
//! Everything is computed in the scaled variable `t ∈ [-1, 1]`; coefficients
//! are Chebyshev coefficients in `t` unless a name says otherwise.

use std::cell::Cell;

use super::MAX_DEGREE;
use super::error::{ApproxError, Result};
use super::interval::Interval;
use super::orthogonal::{BasisConstruction, OrthonormalBasis};
use super::poly;
use super::quadrature::QuadratureOptions;
use super::weight::Weight;

/// A best weighted-L2 fit.
#[derive(Clone, Debug, PartialEq)]
pub struct PolyFit {
    /// Chebyshev coefficients in `t` (on the interval).
    pub chebyshev_coeffs: Vec<f64>,
    /// Power coefficients in `x`.
    pub power_coeffs: Vec<f64>,
    /// `<f, u_k>`, the coordinates in the orthonormal basis.
    pub orthonormal_coeffs: Vec<f64>,
    /// `‖f - p‖_{2,μ}`.
    pub weighted_l2_error: f64,
}

/// A minimax (Remez) fit.
#[derive(Clone, Debug, PartialEq)]
pub struct MinimaxFit {
    /// Chebyshev coefficients in `t`.
    pub chebyshev_coeffs: Vec<f64>,
    /// `|E|` on the final reference.
    pub levelled_error: f64,
    /// `‖f - p‖_∞` of the final polynomial.
    pub max_error: f64,
    /// The final reference points (in `x`).
    pub reference: Vec<f64>,
    /// Exchange iterations performed.
    pub iterations: usize,
}

fn check_degree(degree: usize) -> Result<()> {
    if degree > MAX_DEGREE {
        Err(ApproxError::DegreeTooHigh {
            degree,
            max: MAX_DEGREE,
        })
    } else {
        Ok(())
    }
}

/// Remembers the first non-finite value of `f`, so an error names `x`.
struct Checked<F> {
    f: F,
    bad: Cell<Option<(f64, f64)>>,
}

impl<F: Fn(f64) -> f64> Checked<F> {
    fn new(f: F) -> Self {
        Self {
            f,
            bad: Cell::new(None),
        }
    }
    fn eval(&self, x: f64) -> f64 {
        let v = (self.f)(x);
        if !v.is_finite() && self.bad.get().is_none() {
            self.bad.set(Some((x, v)));
        }
        v
    }
    fn map_err<T>(&self, r: Result<T>) -> Result<T> {
        match (r, self.bad.get()) {
            (Err(ApproxError::NonFinite { .. }), Some((x, value))) => {
                Err(ApproxError::NonFinite { x, value })
            }
            (r, _) => r,
        }
    }
}

/// The best approximation of degree `≤ degree` to `f` in `‖·‖_{2,μ}`.
pub fn weighted_l2_fit<F: Fn(f64) -> f64>(
    f: F,
    interval: &Interval,
    degree: usize,
    weight: Weight,
    construction: BasisConstruction,
    opts: &QuadratureOptions,
) -> Result<PolyFit> {
    check_degree(degree)?;
    let f = Checked::new(f);
    let basis = OrthonormalBasis::new(weight, *interval, degree, construction, opts)?;
    let n = degree + 1;
    let mut u = vec![0.0; n];
    let proj = weight.integrate_vec(
        interval,
        n,
        |x, t, out| {
            let fx = f.eval(x);
            basis.eval_unit_into(t, &mut u);
            for (o, uk) in out.iter_mut().zip(&u) {
                *o = fx * uk;
            }
        },
        opts,
    );
    let coeffs = f.map_err(proj)?.values;
    let (chebyshev_coeffs, power_t) = match construction {
        BasisConstruction::Stieltjes => {
            let mut cheb = vec![0.0; n];
            for (c, uk) in coeffs.iter().zip(&basis.chebyshev) {
                for (a, v) in cheb.iter_mut().zip(uk) {
                    *a += c * v;
                }
            }
            let power = poly::chebyshev_to_power(&cheb);
            (cheb, power)
        }
        BasisConstruction::GramSchmidtMonomial => {
            let mut power = vec![0.0; n];
            for (c, uk) in coeffs.iter().zip(&basis.power_t) {
                for (a, v) in power.iter_mut().zip(uk) {
                    *a += c * v;
                }
            }
            (poly::power_to_chebyshev(&power), power)
        }
    };
    let weighted_l2_error = f.map_err(weighted_l2_distance_unit(
        |x| f.eval(x),
        |t| match construction {
            BasisConstruction::Stieltjes => poly::clenshaw(&chebyshev_coeffs, t),
            BasisConstruction::GramSchmidtMonomial => poly::horner(&power_t, t),
        },
        interval,
        weight,
        opts,
    ))?;
    Ok(PolyFit {
        power_coeffs: power_x_from_t(&power_t, interval),
        chebyshev_coeffs,
        orthonormal_coeffs: coeffs,
        weighted_l2_error,
    })
}

/// `‖f - p‖_{2,μ}` for two functions of `x`.
pub fn weighted_l2_distance<F: Fn(f64) -> f64, P: Fn(f64) -> f64>(
    f: F,
    p: P,
    interval: &Interval,
    weight: Weight,
    opts: &QuadratureOptions,
) -> Result<f64> {
    weighted_l2_distance_unit(&f, |t| p(interval.from_unit(t)), interval, weight, opts)
}

/// `‖f - p‖_{2,μ}` with `p` a function of `t`.
fn weighted_l2_distance_unit<F: Fn(f64) -> f64, P: Fn(f64) -> f64>(
    f: F,
    p_unit: P,
    interval: &Interval,
    weight: Weight,
    opts: &QuadratureOptions,
) -> Result<f64> {
    let r = weight.integrate(
        interval,
        |x| {
            let e = f(x) - p_unit(interval.to_unit(x));
            e * e
        },
        opts,
    )?;
    Ok(r.value.max(0.0).sqrt())
}

/// Power coefficients in `x` of a polynomial given by power coefficients in `t`.
pub fn power_x_from_t(power_t: &[f64], interval: &Interval) -> Vec<f64> {
    let (m, h) = (interval.midpoint(), interval.half_width());
    poly::compose_linear(power_t, -m / h, 1.0 / h)
}

/// Power coefficients in `t` of a polynomial given by power coefficients in `x`.
pub fn power_t_from_x(power_x: &[f64], interval: &Interval) -> Vec<f64> {
    poly::compose_linear(power_x, interval.midpoint(), interval.half_width())
}

/// Chebyshev coefficients in `t` of the polynomial of degree `≤ degree`
/// interpolating `f` at the Chebyshev nodes `t_j = cos(π (j + 1/2)/(d + 1))`.
pub fn chebyshev_interpolation<F: Fn(f64) -> f64>(
    f: F,
    interval: &Interval,
    degree: usize,
) -> Result<Vec<f64>> {
    check_degree(degree)?;
    let n = degree + 1;
    let nf = n as f64;
    let mut values = Vec::with_capacity(n);
    for j in 0..n {
        let t = (std::f64::consts::PI * (j as f64 + 0.5) / nf).cos();
        let x = interval.from_unit(t);
        let v = f(x);
        if !v.is_finite() {
            return Err(ApproxError::NonFinite { x, value: v });
        }
        values.push(v);
    }
    Ok((0..n)
        .map(|k| {
            let s: f64 = values
                .iter()
                .enumerate()
                .map(|(j, v)| v * (std::f64::consts::PI * k as f64 * (j as f64 + 0.5) / nf).cos())
                .sum();
            if k == 0 { s / nf } else { 2.0 * s / nf }
        })
        .collect())
}

/// Sample points in `t`: uniform, Chebyshev-clustered, and geometric towards
/// the centre and towards `x = 0` (where activations change fastest).
fn sample_grid_unit(interval: &Interval) -> Vec<f64> {
    const N: usize = 2048;
    let mut g = Vec::with_capacity(2 * N + 300);
    for i in 0..=N {
        g.push(-1.0 + 2.0 * i as f64 / N as f64);
        g.push(-(std::f64::consts::PI * i as f64 / N as f64).cos());
    }
    let mut centres = vec![0.0];
    if interval.contains(0.0) {
        centres.push(interval.to_unit(0.0));
    }
    for c in centres {
        g.push(c);
        for k in 0..=64 {
            let d = 10f64.powf(-(k as f64) / 4.0);
            g.push(c - d);
            g.push(c + d);
        }
    }
    g.retain(|t| (-1.0..=1.0).contains(t));
    g.sort_by(f64::total_cmp);
    g.dedup();
    g
}

/// Maximises `g` on `[a, b]` by golden-section search; returns `(argmax, max)`.
fn golden_max<G: Fn(f64) -> f64>(g: G, mut a: f64, mut b: f64) -> (f64, f64) {
    let r = 0.5 * (5f64.sqrt() - 1.0);
    let mut best = if g(a) >= g(b) { (a, g(a)) } else { (b, g(b)) };
    let mut c = b - r * (b - a);
    let mut d = a + r * (b - a);
    let (mut gc, mut gd) = (g(c), g(d));
    for _ in 0..80 {
        if gc >= gd {
            b = d;
            d = c;
            gd = gc;
            c = b - r * (b - a);
            gc = g(c);
        } else {
            a = c;
            c = d;
            gc = gd;
            d = a + r * (b - a);
            gd = g(d);
        }
        if b - a <= 4.0 * f64::EPSILON * (a.abs() + b.abs()) {
            break;
        }
    }
    for (t, v) in [(c, gc), (d, gd)] {
        if v > best.1 {
            best = (t, v);
        }
    }
    best
}

/// `‖f - p‖_∞` on the interval, with the `x` where it is reached.
pub fn sup_error<F: Fn(f64) -> f64, P: Fn(f64) -> f64>(
    f: F,
    p: P,
    interval: &Interval,
) -> Result<(f64, f64)> {
    let (value, t) = sup_error_unit(
        |t| {
            let x = interval.from_unit(t);
            f(x) - p(x)
        },
        interval,
    )?;
    Ok((value, interval.from_unit(t)))
}

/// `max |e(t)|` over `t ∈ [-1, 1]` and its location.
fn sup_error_unit<E: Fn(f64) -> f64>(e: E, interval: &Interval) -> Result<(f64, f64)> {
    let grid = sample_grid_unit(interval);
    let vals: Vec<f64> = grid.iter().map(|&t| e(t).abs()).collect();
    if let Some(i) = vals.iter().position(|v| !v.is_finite()) {
        return Err(ApproxError::NonFinite {
            x: interval.from_unit(grid[i]),
            value: vals[i],
        });
    }
    let n = grid.len();
    let mut peaks: Vec<usize> = (0..n)
        .filter(|&i| (i == 0 || vals[i] >= vals[i - 1]) && (i + 1 == n || vals[i] >= vals[i + 1]))
        .collect();
    peaks.sort_by(|&i, &j| vals[j].total_cmp(&vals[i]));
    peaks.truncate(24);
    let mut best = (0.0, 0.0);
    for &i in &peaks {
        if vals[i] > best.0 {
            best = (vals[i], grid[i]);
        }
        let a = grid[i.saturating_sub(1)];
        let b = grid[(i + 1).min(n - 1)];
        if a < b {
            let (t, v) = golden_max(|t| e(t).abs(), a, b);
            if v.is_finite() && v > best.0 {
                best = (v, t);
            }
        }
    }
    Ok(best)
}

/// Alternating extrema of `e` on the grid, refined: one per run of equal sign.
/// Values with `|e| ≤ floor` (rounding noise where `p` matches `f` exactly,
/// e.g. at a centre of symmetry) neither start nor break a run.
fn alternating_extrema<E: Fn(f64) -> f64>(e: &E, grid: &[f64], floor: f64) -> Vec<(f64, f64)> {
    let vals: Vec<f64> = grid.iter().map(|&t| e(t)).collect();
    let max = vals.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let floor = floor.max(1e-6 * max);
    let n = grid.len();
    let mut runs: Vec<(usize, f64)> = Vec::new(); // (index of max |e|, sign)
    for i in 0..n {
        let v = vals[i];
        if v.abs() <= floor {
            continue;
        }
        let s = v.signum();
        match runs.last_mut() {
            Some((j, sign)) if *sign == s => {
                if v.abs() > vals[*j].abs() {
                    *j = i;
                }
            }
            _ => runs.push((i, s)),
        }
    }
    runs.into_iter()
        .map(|(i, s)| {
            let a = grid[i.saturating_sub(1)];
            let b = grid[(i + 1).min(n - 1)];
            let (mut t, mut v) = (grid[i], vals[i]);
            if a < b {
                let (tt, sv) = golden_max(|t| s * e(t), a, b);
                if sv > s * v {
                    t = tt;
                    v = s * sv;
                }
            }
            (t, v)
        })
        .collect()
}

/// The best approximation of degree `≤ degree` to `f` in `‖·‖_∞` on the
/// interval, by the Remez exchange (multiple exchange on a dense grid with
/// local refinement), in the Chebyshev basis of `t`.
pub fn minimax_fit<F: Fn(f64) -> f64>(
    f: F,
    interval: &Interval,
    degree: usize,
) -> Result<MinimaxFit> {
    const MAX_ITERATIONS: usize = 100;
    const TOLERANCE: f64 = 1e-10;
    // When |E| nears the rounding noise of f the spread stalls; a spread of
    // 1e-4 is still within 0.01 % of the best sup error.
    const ACCEPT: f64 = 1e-4;
    check_degree(degree)?;
    let f = Checked::new(f);
    let fu = |t: f64| f.eval(interval.from_unit(t));
    let n = degree + 2;
    let grid = sample_grid_unit(interval);
    let scale = grid.iter().map(|&t| fu(t).abs()).fold(0.0, f64::max);
    if let Some((x, value)) = f.bad.get() {
        return Err(ApproxError::NonFinite { x, value });
    }
    // The first d + 2 of the d + 3 extrema of T_{d+2}: not symmetric, so a
    // function of definite parity on a symmetric interval does not give E = 0
    // (which would leave too few sign changes to exchange).
    let mut reference: Vec<f64> = (0..n)
        .map(|i| -(std::f64::consts::PI * i as f64 / n as f64).cos())
        .collect();
    let mut last = None;
    for iteration in 1..=MAX_ITERATIONS {
        let rows: Vec<Vec<f64>> = reference
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let mut row = Vec::with_capacity(n);
                let (mut prev, mut cur) = (0.0, 1.0);
                for j in 0..=degree {
                    row.push(cur);
                    let next = if j == 0 { t } else { 2.0 * t * cur - prev };
                    prev = cur;
                    cur = next;
                }
                row.push(if i % 2 == 0 { 1.0 } else { -1.0 });
                row
            })
            .collect();
        let rhs: Vec<f64> = reference.iter().map(|&t| fu(t)).collect();
        let sol = poly::solve_linear(rows, rhs)?;
        let cheb = sol[..=degree].to_vec();
        let levelled = sol[degree + 1].abs();
        let e = |t: f64| fu(t) - poly::clenshaw(&cheb, t);
        // The reference points carry alternating signs: sample them too.
        let mut points = grid.clone();
        points.extend_from_slice(&reference);
        points.sort_by(f64::total_cmp);
        points.dedup();
        let mut ext = alternating_extrema(&e, &points, 32.0 * f64::EPSILON * scale);
        if let Some((x, value)) = f.bad.get() {
            return Err(ApproxError::NonFinite { x, value });
        }
        let max_error = ext.iter().map(|p| p.1.abs()).fold(0.0, f64::max);
        let fit = MinimaxFit {
            chebyshev_coeffs: cheb.clone(),
            levelled_error: levelled,
            max_error,
            reference: reference.iter().map(|&t| interval.from_unit(t)).collect(),
            iterations: iteration,
        };
        if max_error <= 1e-12 * scale.max(f64::MIN_POSITIVE) {
            // f is (numerically) a polynomial of degree ≤ d.
            return Ok(fit);
        }
        if ext.len() < n {
            return Err(ApproxError::RemezReference {
                found: ext.len(),
                needed: n,
            });
        }
        while ext.len() > n {
            if ext[0].1.abs() < ext[ext.len() - 1].1.abs() {
                ext.remove(0);
            } else {
                ext.pop();
            }
        }
        let min_ref = ext.iter().map(|p| p.1.abs()).fold(f64::INFINITY, f64::min);
        let spread = (max_error - min_ref) / max_error;
        if spread <= TOLERANCE {
            return Ok(fit);
        }
        if last.as_ref().is_none_or(|(_, best)| spread < *best) {
            last = Some((fit, spread));
        }
        reference = ext.iter().map(|p| p.0).collect();
    }
    match last {
        Some((fit, spread)) if spread <= ACCEPT => Ok(fit),
        Some((fit, _)) => Err(ApproxError::RemezNotConverged {
            iterations: fit.iterations,
            levelled_error: fit.levelled_error,
            max_error: fit.max_error,
        }),
        None => Err(ApproxError::RemezNotConverged {
            iterations: 0,
            levelled_error: f64::NAN,
            max_error: f64::NAN,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn opts() -> QuadratureOptions {
        QuadratureOptions::default()
    }

    fn weights() -> [Weight; 4] {
        [
            Weight::Lebesgue,
            Weight::chebyshev(),
            Weight::StretchedChebyshev { c: 1.001 },
            Weight::ExpInverseSquare,
        ]
    }

    #[test]
    fn chebyshev_weight_fit_of_a_smooth_function_matches_interpolation_closely() {
        // exp on [-1, 1]: the Chebyshev projection and interpolation differ
        // by aliasing of the tail, O(a_{d+1}) ~ 1e-9 at degree 10.
        let i = Interval::symmetric(1.0).unwrap();
        let fit = weighted_l2_fit(
            f64::exp,
            &i,
            10,
            Weight::chebyshev(),
            BasisConstruction::Stieltjes,
            &opts(),
        )
        .unwrap();
        let interp = chebyshev_interpolation(f64::exp, &i, 10).unwrap();
        for (a, b) in fit.chebyshev_coeffs.iter().zip(&interp) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        // a_0 = I_0(1) (modified Bessel), known value.
        assert!((fit.chebyshev_coeffs[0] - 1.266_065_877_752_008_4).abs() < 1e-14);
    }

    #[test]
    fn interpolation_reproduces_values_at_the_nodes() {
        let i = Interval::new(2.0, 5.0).unwrap();
        let c = chebyshev_interpolation(f64::ln, &i, 6).unwrap();
        for j in 0..7 {
            let t = (std::f64::consts::PI * (j as f64 + 0.5) / 7.0).cos();
            let x = i.from_unit(t);
            assert!((poly::clenshaw(&c, t) - x.ln()).abs() < 1e-14);
        }
    }

    #[test]
    fn remez_equioscillates() {
        type Case<'a> = (&'a dyn Fn(f64) -> f64, f64, f64, usize);
        let cases: [Case; 4] = [
            (&f64::exp, -1.0, 1.0, 5),
            (&|x: f64| 1.0 / (1.0 + (-x).exp()), -8.0, 8.0, 3),
            (&|x: f64| x.abs(), -1.0, 1.0, 4),
            (&f64::sqrt, 0.0, 1.0, 3),
        ];
        for (f, lo, hi, d) in cases {
            let i = Interval::new(lo, hi).unwrap();
            let m = minimax_fit(f, &i, d).unwrap();
            assert_eq!(m.reference.len(), d + 2);
            let errs: Vec<f64> = m
                .reference
                .iter()
                .map(|&x| f(x) - poly::clenshaw(&m.chebyshev_coeffs, i.to_unit(x)))
                .collect();
            for w in errs.windows(2) {
                assert!(w[0] * w[1] < 0.0, "signs alternate: {errs:?}");
            }
            for e in &errs {
                assert!(
                    (e.abs() - m.levelled_error).abs() < 1e-6 * m.levelled_error,
                    "{errs:?} vs {}",
                    m.levelled_error
                );
            }
            assert!((m.max_error - m.levelled_error) <= 1e-6 * m.max_error);
            // Better in sup norm than interpolation and the Chebyshev L2 fit.
            let c = chebyshev_interpolation(f, &i, d).unwrap();
            let (sup_interp, _) = sup_error(f, |x| poly::clenshaw(&c, i.to_unit(x)), &i).unwrap();
            assert!(m.max_error <= sup_interp * (1.0 + 1e-9));
        }
        // Known: best linear approximation of x^2 on [-1, 1] is 1/2, error 1/2.
        let i = Interval::symmetric(1.0).unwrap();
        let m = minimax_fit(|x| x * x, &i, 1).unwrap();
        assert!((m.levelled_error - 0.5).abs() < 1e-12);
        assert!((m.chebyshev_coeffs[0] - 0.5).abs() < 1e-12);
        assert!(m.chebyshev_coeffs[1].abs() < 1e-12);
        // exp on [-1, 1], degree 1: slope sinh 1, interior extremum at
        // x0 = ln(sinh 1), E = (e - 2 sinh 1 + x0 sinh 1)/2.
        let a = 1f64.sinh();
        let exact = (1f64.exp() - 2.0 * a + a.ln() * a) / 2.0;
        let m = minimax_fit(f64::exp, &i, 1).unwrap();
        assert!(
            (m.levelled_error - exact).abs() < 1e-12,
            "{} vs {exact}",
            m.levelled_error
        );
        assert!((m.chebyshev_coeffs[1] - a).abs() < 1e-12);
    }

    #[test]
    fn sup_error_finds_a_narrow_peak() {
        let i = Interval::symmetric(1000.0).unwrap();
        let (v, at) = sup_error(|x| (-(x - 3.3) * (x - 3.3)).exp(), |_| 0.0, &i).unwrap();
        assert!((v - 1.0).abs() < 1e-12, "{v}");
        assert!((at - 3.3).abs() < 1e-5, "{at}");
    }

    #[test]
    fn weighted_fit_rejects_bad_input() {
        let i = Interval::symmetric(1.0).unwrap();
        assert!(matches!(
            weighted_l2_fit(
                f64::exp,
                &i,
                MAX_DEGREE + 1,
                Weight::Lebesgue,
                BasisConstruction::Stieltjes,
                &opts()
            ),
            Err(ApproxError::DegreeTooHigh { .. })
        ));
        let r = weighted_l2_fit(
            |x| if x > 0.5 { f64::NAN } else { x },
            &i,
            3,
            Weight::Lebesgue,
            BasisConstruction::Stieltjes,
            &opts(),
        );
        assert!(
            matches!(r, Err(ApproxError::NonFinite { x, .. }) if x > 0.5),
            "{r:?}"
        );
        assert!(minimax_fit(|x| 1.0 / x, &i, 3).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn fitting_a_polynomial_of_degree_at_most_d_returns_it(
            cheb in prop::collection::vec(-2.0f64..2.0, 1..8),
            extra in 0usize..4,
            lo in -20.0f64..5.0,
            width in 0.5f64..40.0,
            which in 0usize..4,
            gs in any::<bool>(),
        ) {
            let i = Interval::new(lo, lo + width).unwrap();
            let d = cheb.len() - 1 + extra;
            let construction = if gs {
                BasisConstruction::GramSchmidtMonomial
            } else {
                BasisConstruction::Stieltjes
            };
            let f = |x: f64| poly::clenshaw(&cheb, i.to_unit(x));
            let fit = weighted_l2_fit(f, &i, d, weights()[which], construction, &opts()).unwrap();
            let scale = cheb.iter().map(|c| c.abs()).sum::<f64>() + 1.0;
            let tol = if gs { 1e-7 } else { 1e-10 } * scale;
            for (k, a) in fit.chebyshev_coeffs.iter().enumerate() {
                let b = cheb.get(k).copied().unwrap_or(0.0);
                prop_assert!((a - b).abs() < tol, "a_{}: {} vs {}", k, a, b);
            }
            let mass = weights()[which].mass(&i, &opts()).unwrap();
            prop_assert!(fit.weighted_l2_error < tol * mass.sqrt(), "{}", fit.weighted_l2_error);
            // Interpolation and minimax also return it.
            let c = chebyshev_interpolation(f, &i, d).unwrap();
            for (k, a) in c.iter().enumerate() {
                let b = cheb.get(k).copied().unwrap_or(0.0);
                prop_assert!((a - b).abs() < 1e-12 * scale);
            }
            let m = minimax_fit(f, &i, d).unwrap();
            prop_assert!(m.max_error < 1e-10 * scale);
        }

        #[test]
        fn odd_function_gives_vanishing_even_coefficients(
            l in 0.5f64..2000.0,
            which in 0usize..4,
            d in 1usize..10,
        ) {
            let i = Interval::symmetric(l).unwrap();
            let f = |x: f64| (x / l * 3.0).tanh() + (x / l).powi(3);
            let fit = weighted_l2_fit(f, &i, d, weights()[which], BasisConstruction::Stieltjes, &opts()).unwrap();
            for (k, a) in fit.chebyshev_coeffs.iter().enumerate() {
                if k % 2 == 0 {
                    prop_assert!(a.abs() < 1e-12, "a_{} = {}", k, a);
                }
            }
        }

        #[test]
        fn stieltjes_and_gram_schmidt_fits_agree_at_low_degree(
            l in 1.0f64..1e4,
            which in 0usize..4,
            d in 0usize..8,
        ) {
            let i = Interval::symmetric(l).unwrap();
            let f = |x: f64| 1.0 / (1.0 + (-x).exp());
            let a = weighted_l2_fit(f, &i, d, weights()[which], BasisConstruction::Stieltjes, &opts()).unwrap();
            let b = weighted_l2_fit(f, &i, d, weights()[which], BasisConstruction::GramSchmidtMonomial, &opts()).unwrap();
            for (x, y) in a.chebyshev_coeffs.iter().zip(&b.chebyshev_coeffs) {
                prop_assert!((x - y).abs() < 1e-8, "{} vs {}", x, y);
            }
            prop_assert!((a.weighted_l2_error - b.weighted_l2_error).abs() < 1e-8 * (1.0 + a.weighted_l2_error));
        }
    }
}
