//! The activation functions CryptoDL replaces by polynomials (Section 3.1):
//! the sigmoid `f1(x) = 1/(1 + e^(-x))`, its variant
//! `f2(x) = 2/(1 + e^(-4x)) - 1`, the square `f3(x) = x^2`, and the tanh and
//! ReLU of the appendix (`tanh(x) = 2σ(2x) - 1`, `ReLU(x) = max(0, x)`).
//!
//! Every `eval` is safe for large `|x|` (no overflow into NaN), and the
//! analytic ones have Taylor coefficients at 0 computed by power-series
//! arithmetic: `σ(x) = 1/(1 + e^(-x))` is the reciprocal of the series of
//! `1 + e^(-x)`.

use std::fmt;

use super::error::{ApproxError, Result};

/// An activation function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `σ(x) = 1/(1 + e^(-x))`.
    Sigmoid,
    /// `tanh(x) = 2σ(2x) - 1`.
    Tanh,
    /// `max(0, x)`.
    Relu,
    /// CryptoDL's `f2(x) = 2/(1 + e^(-4x)) - 1` (equal to `tanh(2x)`).
    F2,
    /// `x^2`.
    Square,
}

impl Activation {
    /// All supported activations.
    pub const ALL: [Activation; 5] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::F2,
        Activation::Square,
    ];

    /// Value at `x`.
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Activation::Sigmoid => sigmoid(x),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
            // 2/(1 + e^(-4x)) - 1 = (1 - e^(-4x))/(1 + e^(-4x)) = tanh(2x),
            // which has no cancellation near 0 and no overflow.
            Activation::F2 => (2.0 * x).tanh(),
            Activation::Square => x * x,
        }
    }

    /// Short name, as used in specs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::F2 => "f2",
            Activation::Square => "square",
        }
    }

    /// Whether the function is analytic at 0 (has a Taylor expansion there).
    pub fn is_analytic_at_zero(self) -> bool {
        !matches!(self, Activation::Relu)
    }

    /// Taylor coefficients `c_0..=c_degree` of the expansion at 0.
    pub fn taylor_coeffs(self, degree: usize) -> Result<Vec<f64>> {
        let n = degree + 1;
        let scaled_sigmoid = |scale: f64| {
            let s = sigmoid_series(n);
            let mut p = 1.0;
            s.into_iter()
                .map(|c| {
                    let v = 2.0 * c * p;
                    p *= scale;
                    v
                })
                .collect::<Vec<f64>>()
        };
        let mut c = match self {
            Activation::Sigmoid => sigmoid_series(n),
            Activation::Tanh => scaled_sigmoid(2.0),
            Activation::F2 => scaled_sigmoid(4.0),
            Activation::Square => {
                let mut c = vec![0.0; n];
                if n > 2 {
                    c[2] = 1.0;
                }
                c
            }
            Activation::Relu => return Err(ApproxError::NotAnalytic { function: self }),
        };
        if matches!(self, Activation::Tanh | Activation::F2) {
            // 2σ(kx) - 1: the constant 2 · 1/2 - 1 is exactly 0.
            c[0] = 0.0;
        }
        Ok(c)
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `1/(1 + e^(-x))` without overflow: for negative `x` use `e^x/(1 + e^x)`.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// First `n` Taylor coefficients of `σ` at 0, as the reciprocal of the series
/// `1 + e^(-x) = 2 - x + x^2/2 - x^3/6 + ...`.
fn sigmoid_series(n: usize) -> Vec<f64> {
    let mut d = vec![0.0; n];
    let mut fact = 1.0;
    for (k, dk) in d.iter_mut().enumerate() {
        if k > 0 {
            fact *= k as f64;
        }
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        *dk = sign / fact;
    }
    if let Some(d0) = d.first_mut() {
        *d0 += 1.0;
    }
    let mut r = vec![0.0; n];
    for k in 0..n {
        let mut s = if k == 0 { 1.0 } else { 0.0 };
        for j in 1..=k {
            s -= d[j] * r[k - j];
        }
        r[k] = s / d[0];
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_is_safe_for_large_arguments() {
        for a in Activation::ALL {
            for x in [-1e308, -1000.0, -50.0, 0.0, 50.0, 1000.0] {
                let v = a.eval(x);
                if a == Activation::Square && x.abs() > 1e200 {
                    continue;
                }
                assert!(v.is_finite(), "{a}({x}) = {v}");
            }
        }
        assert_eq!(Activation::Sigmoid.eval(-1000.0), 0.0);
        assert_eq!(Activation::Sigmoid.eval(1000.0), 1.0);
        assert_eq!(Activation::Sigmoid.eval(0.0), 0.5);
        assert!((Activation::Sigmoid.eval(-40.0) - 4.248354255291589e-18).abs() < 1e-30);
        assert_eq!(Activation::F2.eval(-1000.0), -1.0);
        assert_eq!(Activation::Relu.eval(-3.0), 0.0);
        assert_eq!(Activation::Relu.eval(3.0), 3.0);
    }

    #[test]
    fn f2_is_the_papers_formula() {
        for x in [-3.0f64, -0.5, 0.1, 0.7, 2.0] {
            let direct = 2.0 / (1.0 + (-4.0 * x).exp()) - 1.0;
            assert!((Activation::F2.eval(x) - direct).abs() < 1e-15);
        }
    }

    #[test]
    fn sigmoid_taylor_coefficients() {
        let c = Activation::Sigmoid.taylor_coeffs(9).unwrap();
        let expect = [
            0.5,
            0.25,
            0.0,
            -1.0 / 48.0,
            0.0,
            1.0 / 480.0,
            0.0,
            -17.0 / 80640.0,
            0.0,
            31.0 / 1_451_520.0,
        ];
        for (k, (a, b)) in c.iter().zip(expect).enumerate() {
            assert!((a - b).abs() < 1e-16, "c_{k}: {a} vs {b}");
        }
    }

    #[test]
    fn tanh_and_f2_taylor_coefficients() {
        // tanh x = x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835.
        let t = Activation::Tanh.taylor_coeffs(9).unwrap();
        let expect = [
            0.0,
            1.0,
            0.0,
            -1.0 / 3.0,
            0.0,
            2.0 / 15.0,
            0.0,
            -17.0 / 315.0,
            0.0,
            62.0 / 2835.0,
        ];
        for (k, (a, b)) in t.iter().zip(expect).enumerate() {
            assert!((a - b).abs() < 1e-15, "c_{k}: {a} vs {b}");
        }
        let f2 = Activation::F2.taylor_coeffs(5).unwrap();
        for (k, (a, b)) in f2.iter().zip(expect).enumerate() {
            assert!((a - b * 2f64.powi(k as i32)).abs() < 1e-14, "c_{k}");
        }
        assert_eq!(
            Activation::Square.taylor_coeffs(3).unwrap(),
            vec![0.0, 0.0, 1.0, 0.0]
        );
        assert_eq!(Activation::Square.taylor_coeffs(1).unwrap(), vec![0.0, 0.0]);
        assert!(matches!(
            Activation::Relu.taylor_coeffs(3),
            Err(ApproxError::NotAnalytic { .. })
        ));
    }

    #[test]
    fn serde_names() {
        let s = serde_json::to_string(&Activation::F2).unwrap();
        assert_eq!(s, "\"f2\"");
        let a: Activation = serde_json::from_str("\"sigmoid\"").unwrap();
        assert_eq!(a, Activation::Sigmoid);
    }
}
