//! Polynomial bases and conversions: power and Chebyshev coefficients in the
//! scaled variable `t = (2x - a - b)/(b - a)` of an interval `[a, b]`, and the
//! power coefficients in the original variable `x`.
//!
//! CryptoDL (Section 2, Table 8) works with monomials in `x` directly; with
//! `x` up to `10^4` a degree-9 monomial is `10^36`, so every computation here
//! happens in `t ∈ [-1, 1]` and the power coefficients in `x` are produced
//! only at the end, by composing with the affine map.

use super::error::{ApproxError, Result};

/// Horner evaluation of `Σ c_k x^k`.
pub fn horner(coeffs: &[f64], x: f64) -> f64 {
    coeffs.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// Clenshaw evaluation of `Σ a_k T_k(t)`.
pub fn clenshaw(cheb: &[f64], t: f64) -> f64 {
    let (mut b1, mut b2) = (0.0, 0.0);
    for &a in cheb.iter().skip(1).rev() {
        let b0 = 2.0 * t * b1 - b2 + a;
        b2 = b1;
        b1 = b0;
    }
    cheb.first().copied().unwrap_or(0.0) + t * b1 - b2
}

/// Multiplies a Chebyshev series by `t` (`t T_0 = T_1`,
/// `t T_j = (T_{j+1} + T_{j-1})/2`).
pub fn chebyshev_times_t(cheb: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; cheb.len() + 1];
    for (j, &a) in cheb.iter().enumerate() {
        if j == 0 {
            out[1] += a;
        } else {
            out[j + 1] += 0.5 * a;
            out[j - 1] += 0.5 * a;
        }
    }
    out
}

/// Power coefficients of `Σ a_k T_k(t)`.
pub fn chebyshev_to_power(cheb: &[f64]) -> Vec<f64> {
    let n = cheb.len();
    let mut out = vec![0.0; n];
    // T_{k} in the power basis, by T_{k+1} = 2t T_k - T_{k-1}.
    let mut prev = vec![0.0; n];
    let mut cur = vec![0.0; n];
    if n == 0 {
        return out;
    }
    cur[0] = 1.0;
    for (k, &a) in cheb.iter().enumerate() {
        for j in 0..n {
            out[j] += a * cur[j];
        }
        if k + 1 < n {
            let mut next = vec![0.0; n];
            for j in 0..n {
                let shifted = if j == 0 { 0.0 } else { cur[j - 1] };
                next[j] = if k == 0 {
                    shifted
                } else {
                    2.0 * shifted - prev[j]
                };
            }
            prev = std::mem::replace(&mut cur, next);
        }
    }
    out
}

/// Chebyshev coefficients of `Σ c_k t^k` (Horner in the Chebyshev basis).
pub fn power_to_chebyshev(power: &[f64]) -> Vec<f64> {
    let n = power.len();
    let mut acc: Vec<f64> = Vec::with_capacity(n);
    for &c in power.iter().rev() {
        // acc·t + c; `chebyshev_times_t(&[])` is `[0.0]`.
        let mut next = chebyshev_times_t(&acc);
        next[0] += c;
        acc = next;
    }
    acc.resize(n, 0.0);
    acc
}

/// Coefficients of `q(y) = p(alpha + beta·y)`.
pub fn compose_linear(coeffs: &[f64], alpha: f64, beta: f64) -> Vec<f64> {
    if alpha == 0.0 {
        return coeffs
            .iter()
            .enumerate()
            .map(|(k, &c)| c * beta.powi(k as i32))
            .collect();
    }
    let n = coeffs.len();
    let mut acc = vec![0.0; n];
    for &c in coeffs.iter().rev() {
        let mut next = vec![0.0; n];
        for j in 0..n {
            next[j] = alpha * acc[j] + if j > 0 { beta * acc[j - 1] } else { 0.0 };
        }
        next[0] += c;
        acc = next;
    }
    acc
}

/// Degree ignoring trailing exact zeros (0 for the zero polynomial).
pub fn effective_degree(coeffs: &[f64]) -> usize {
    coeffs.iter().rposition(|&c| c != 0.0).unwrap_or(0)
}

/// Solves `A x = b` by Gaussian elimination with partial pivoting.
pub fn solve_linear(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Result<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        if a[pivot][col] == 0.0 || !a[pivot][col].is_finite() {
            return Err(ApproxError::Singular { size: n });
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for (offset, row) in lower.iter_mut().enumerate() {
            let factor = row[col] / pivot_row[col];
            if factor != 0.0 {
                for (v, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                    *v -= factor * p;
                }
                b[col + 1 + offset] -= factor * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    if x.iter().all(|v| v.is_finite()) {
        Ok(x)
    } else {
        Err(ApproxError::Singular { size: n })
    }
}

/// `v` rounded to `digits` significant decimal digits (round half to even on
/// the exact decimal expansion of `v`).
pub fn round_significant(v: f64, digits: u32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let s = format!("{:.*e}", (digits - 1) as usize, v);
    s.parse().unwrap_or(v)
}

/// `v` cut (rounded toward zero) to `digits` significant decimal digits, the
/// way printed tables truncate.
pub fn chop_significant(v: f64, digits: u32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    // 17 significant digits identify the double; cut the mantissa string.
    let s = format!("{:.16e}", v);
    let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
    let negative = mantissa.starts_with('-');
    let digits_only: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let kept = &digits_only[..(digits as usize).min(digits_only.len())];
    let (head, tail) = kept.split_at(1);
    let text = format!(
        "{}{}.{}e{}",
        if negative { "-" } else { "" },
        head,
        if tail.is_empty() { "0" } else { tail },
        exponent
    );
    text.parse().unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chebyshev_power_round_trip_on_t3() {
        // T_3 = 4t^3 - 3t.
        assert_eq!(
            chebyshev_to_power(&[0.0, 0.0, 0.0, 1.0]),
            vec![0.0, -3.0, 0.0, 4.0]
        );
        let c = power_to_chebyshev(&[0.0, -3.0, 0.0, 4.0]);
        for (a, b) in c.iter().zip([0.0, 0.0, 0.0, 1.0]) {
            assert!((a - b).abs() < 1e-15);
        }
        assert_eq!(power_to_chebyshev(&[]), Vec::<f64>::new());
        assert_eq!(power_to_chebyshev(&[2.5]), vec![2.5]);
    }

    #[test]
    fn significant_digits() {
        assert_eq!(round_significant(0.000953863, 3), 0.000954);
        assert_eq!(chop_significant(0.000953863, 3), 0.000953);
        assert_eq!(chop_significant(-4.80591e-10, 4), -4.805e-10);
        assert_eq!(round_significant(-4.80591e-10, 4), -4.806e-10);
        assert_eq!(chop_significant(0.49999999999, 3), 0.499);
        assert_eq!(chop_significant(7.0, 1), 7.0);
        assert_eq!(round_significant(0.0, 3), 0.0);
    }

    #[test]
    fn solve_small_system() {
        let x = solve_linear(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-15 && (x[1] - 1.4).abs() < 1e-15);
        assert!(solve_linear(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn conversions_agree_with_direct_evaluation(
            coeffs in prop::collection::vec(-10.0f64..10.0, 1..12),
            t in -1.0f64..1.0,
            alpha in -3.0f64..3.0,
            beta in 0.1f64..3.0,
        ) {
            let cheb = power_to_chebyshev(&coeffs);
            let scale: f64 = coeffs.iter().map(|c| c.abs()).sum::<f64>() + 1.0;
            prop_assert!((clenshaw(&cheb, t) - horner(&coeffs, t)).abs() < 1e-12 * scale);
            let back = chebyshev_to_power(&cheb);
            for (a, b) in back.iter().zip(&coeffs) {
                prop_assert!((a - b).abs() < 1e-11 * scale);
            }
            let q = compose_linear(&coeffs, alpha, beta);
            let direct = horner(&coeffs, alpha + beta * t);
            let big = scale * (alpha.abs() + beta + 1.0).powi(coeffs.len() as i32);
            prop_assert!((horner(&q, t) - direct).abs() < 1e-12 * big);
        }
    }
}
