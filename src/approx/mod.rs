//! Polynomial approximation of activation functions, after CryptoDL
//! (Hesamifard et al. 2018), Sections 2 and 3 and the appendix tables.
//!
//! Homomorphic schemes evaluate only additions and multiplications, so an
//! activation `f` is replaced by a polynomial `p` on an interval `[a, b]`. The
//! paper's construction (Section 2, Theorems 2 and 3) is the best
//! approximation in `‖·‖_{2,μ}` for a measure `μ`: orthonormalise the
//! monomials under `<f, g> = ∫ f g dμ` and project `f`. Two measures are used,
//! the stretched Chebyshev measure (Equation 2) and `exp(-(l/x)^2) dx`
//! (Equation 3); see [`Weight`]. Chebyshev interpolation, Taylor expansion at
//! 0, the minimax (Remez) polynomial and fixed published polynomials are
//! offered behind the same [`Approximation`] type for comparison. Algorithm 1
//! (Section 3.1), which chooses the interval from the data, is in
//! [`interval`].
//!
//! Layout: [`quadrature`] (adaptive Gauss–Kronrod), [`weight`] (measures),
//! [`orthogonal`] (orthonormal bases), [`fit`] (the fits and error norms),
//! [`activations`], [`interval`] (intervals and Algorithm 1), `poly` (basis
//! conversions). All numerics run in the scaled variable
//! `t = (2x - a - b)/(b - a)`; power coefficients in `x` are derived at the end.

pub mod activations;
pub mod error;
pub mod fit;
pub mod interval;
pub mod orthogonal;
mod poly;
pub mod quadrature;
pub mod weight;

pub use activations::Activation;
pub use error::{ApproxError, Result};
pub use interval::{Interval, MeanStatistic, algorithm1, algorithm1_interval};
pub use orthogonal::{BasisConstruction, OrthonormalBasis};
pub use quadrature::QuadratureOptions;
pub use weight::Weight;

/// Largest polynomial degree any method accepts.
pub const MAX_DEGREE: usize = 30;

/// How an [`Approximation`] was obtained.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Method {
    /// Best approximation in `‖·‖_{2,μ}` (CryptoDL Section 2).
    WeightedL2 {
        /// The measure `μ`.
        weight: Weight,
        /// How the orthonormal basis is built.
        basis: BasisConstruction,
    },
    /// Interpolation at the Chebyshev nodes of the interval.
    ChebyshevInterpolation,
    /// Taylor expansion at 0.
    Taylor,
    /// Best approximation in `‖·‖_∞` (Remez exchange).
    Minimax,
    /// A published polynomial given by its power coefficients.
    Fixed,
}

impl Method {
    /// Weighted L2 with the stable (Stieltjes) basis.
    pub const fn weighted_l2(weight: Weight) -> Self {
        Method::WeightedL2 {
            weight,
            basis: BasisConstruction::Stieltjes,
        }
    }
}

/// A polynomial approximation of an activation on an interval.
///
/// `power_coeffs[k]` multiplies `x^k` (the original variable);
/// `chebyshev_coeffs[k]` multiplies `T_k((2x - lo - hi)/(hi - lo))`. Both have
/// `degree + 1` entries (trailing zeros kept).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Approximation {
    /// How it was computed.
    pub method: Method,
    /// The function approximated.
    pub function: Activation,
    /// Where.
    pub interval: Interval,
    /// The requested degree.
    pub degree: usize,
    /// `c_0..c_d` in the power basis of `x`.
    pub power_coeffs: Vec<f64>,
    /// Coefficients in the Chebyshev basis of the interval.
    pub chebyshev_coeffs: Vec<f64>,
    /// `‖f - p‖_{2,μ}` under the method's weight (weighted L2 only; not
    /// divided by `μ(X)`).
    pub weighted_l2_error: Option<f64>,
    /// `‖f - p‖_∞` on the interval (dense sampling and local refinement).
    pub sup_error: f64,
    /// Where `sup_error` is reached.
    pub sup_error_at: f64,
    /// Significant digits the power coefficients were cut to, if any.
    pub significant_digits: Option<u32>,
}

impl Approximation {
    /// Computes an approximation of `function` of degree `≤ degree` on
    /// `interval` with the default quadrature options.
    pub fn new(
        method: &Method,
        function: Activation,
        interval: Interval,
        degree: usize,
    ) -> Result<Self> {
        Self::with_options(
            method,
            function,
            interval,
            degree,
            &QuadratureOptions::default(),
        )
    }

    /// As [`Approximation::new`], with explicit quadrature options.
    pub fn with_options(
        method: &Method,
        function: Activation,
        interval: Interval,
        degree: usize,
        opts: &QuadratureOptions,
    ) -> Result<Self> {
        if degree > MAX_DEGREE {
            return Err(ApproxError::DegreeTooHigh {
                degree,
                max: MAX_DEGREE,
            });
        }
        let f = |x: f64| function.eval(x);
        let (chebyshev_coeffs, weighted_l2_error) = match *method {
            Method::WeightedL2 { weight, basis } => {
                let r = fit::weighted_l2_fit(f, &interval, degree, weight, basis, opts)?;
                (r.chebyshev_coeffs, Some(r.weighted_l2_error))
            }
            Method::ChebyshevInterpolation => {
                (fit::chebyshev_interpolation(f, &interval, degree)?, None)
            }
            Method::Minimax => (
                fit::minimax_fit(f, &interval, degree)?.chebyshev_coeffs,
                None,
            ),
            Method::Taylor => {
                let px = function.taylor_coeffs(degree)?;
                return Self::from_power(*method, function, interval, px, None);
            }
            Method::Fixed => return Err(ApproxError::NeedsCoefficients),
        };
        let power_t = poly::chebyshev_to_power(&chebyshev_coeffs);
        let power_coeffs = fit::power_x_from_t(&power_t, &interval);
        let (sup_error, sup_error_at) = fit::sup_error(
            f,
            |x| poly::clenshaw(&chebyshev_coeffs, interval.to_unit(x)),
            &interval,
        )?;
        Ok(Self {
            method: *method,
            function,
            interval,
            degree,
            power_coeffs,
            chebyshev_coeffs,
            weighted_l2_error,
            sup_error,
            sup_error_at,
            significant_digits: None,
        })
    }

    /// Best weighted-L2 approximation (Stieltjes basis).
    pub fn weighted_l2(
        function: Activation,
        interval: Interval,
        degree: usize,
        weight: Weight,
    ) -> Result<Self> {
        Self::new(&Method::weighted_l2(weight), function, interval, degree)
    }

    /// Chebyshev interpolation.
    pub fn chebyshev_interpolation(
        function: Activation,
        interval: Interval,
        degree: usize,
    ) -> Result<Self> {
        Self::new(&Method::ChebyshevInterpolation, function, interval, degree)
    }

    /// Taylor expansion at 0, assessed on `interval`.
    pub fn taylor(function: Activation, interval: Interval, degree: usize) -> Result<Self> {
        Self::new(&Method::Taylor, function, interval, degree)
    }

    /// Minimax (Remez) approximation.
    pub fn minimax(function: Activation, interval: Interval, degree: usize) -> Result<Self> {
        Self::new(&Method::Minimax, function, interval, degree)
    }

    /// A published polynomial `Σ c_k x^k` standing for `function` on
    /// `interval` (a low-degree polynomial published elsewhere, say).
    pub fn fixed(function: Activation, interval: Interval, power_coeffs: Vec<f64>) -> Result<Self> {
        Self::from_power(Method::Fixed, function, interval, power_coeffs, None)
    }

    fn from_power(
        method: Method,
        function: Activation,
        interval: Interval,
        power_coeffs: Vec<f64>,
        significant_digits: Option<u32>,
    ) -> Result<Self> {
        if power_coeffs.is_empty() {
            return Err(ApproxError::EmptyCoefficients);
        }
        if let Some((index, &value)) = power_coeffs
            .iter()
            .enumerate()
            .find(|(_, c)| !c.is_finite())
        {
            return Err(ApproxError::NonFiniteCoefficient { index, value });
        }
        let degree = power_coeffs.len() - 1;
        let chebyshev_coeffs =
            poly::power_to_chebyshev(&fit::power_t_from_x(&power_coeffs, &interval));
        let weighted_l2_error = match method {
            Method::WeightedL2 { weight, .. } => Some(fit::weighted_l2_distance(
                |x| function.eval(x),
                |x| poly::clenshaw(&chebyshev_coeffs, interval.to_unit(x)),
                &interval,
                weight,
                &QuadratureOptions::default(),
            )?),
            _ => None,
        };
        let (sup_error, sup_error_at) = fit::sup_error(
            |x| function.eval(x),
            |x| poly::clenshaw(&chebyshev_coeffs, interval.to_unit(x)),
            &interval,
        )?;
        Ok(Self {
            method,
            function,
            interval,
            degree,
            power_coeffs,
            chebyshev_coeffs,
            weighted_l2_error,
            sup_error,
            sup_error_at,
            significant_digits,
        })
    }

    /// `p(x)`, by Clenshaw's recurrence on the Chebyshev coefficients.
    pub fn eval(&self, x: f64) -> f64 {
        poly::clenshaw(&self.chebyshev_coeffs, self.interval.to_unit(x))
    }

    /// `p(x)`, by Horner's rule on the power coefficients (what a power-basis
    /// evaluator computes).
    pub fn eval_power(&self, x: f64) -> f64 {
        poly::horner(&self.power_coeffs, x)
    }

    /// The degree ignoring trailing zero power coefficients.
    pub fn effective_degree(&self) -> usize {
        poly::effective_degree(&self.power_coeffs)
    }

    /// Multiplicative depth of evaluating `p` homomorphically:
    /// `ceil(log2(d + 1))` for the effective degree `d ≥ 1`, 0 for constants.
    pub fn ckks_depth(&self) -> u32 {
        match self.effective_degree() {
            0 => 0,
            d => d.ilog2() + 1,
        }
    }

    /// `‖f - p‖_{2,μ}` under any weight.
    pub fn weighted_l2_error_under(&self, weight: Weight, opts: &QuadratureOptions) -> Result<f64> {
        fit::weighted_l2_distance(
            |x| self.function.eval(x),
            |x| self.eval(x),
            &self.interval,
            weight,
            opts,
        )
    }

    /// A copy with every power coefficient rounded to `digits` significant
    /// digits (the paper's "precision"); the Chebyshev coefficients and the
    /// errors are recomputed for the rounded polynomial.
    pub fn truncate_significant_digits(&self, digits: u32) -> Result<Self> {
        self.with_digits(digits, poly::round_significant)
    }

    /// As [`Approximation::truncate_significant_digits`], but cutting toward
    /// zero instead of rounding (how printed tables shorten numbers).
    pub fn chop_significant_digits(&self, digits: u32) -> Result<Self> {
        self.with_digits(digits, poly::chop_significant)
    }

    fn with_digits(&self, digits: u32, cut: fn(f64, u32) -> f64) -> Result<Self> {
        if !(1..=17).contains(&digits) {
            return Err(ApproxError::InvalidPrecision { digits });
        }
        let coeffs = self.power_coeffs.iter().map(|&c| cut(c, digits)).collect();
        Self::from_power(
            self.method,
            self.function,
            self.interval,
            coeffs,
            Some(digits),
        )
    }
}

#[cfg(test)]
mod tests;
