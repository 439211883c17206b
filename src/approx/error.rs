//! Errors of the approximation engine.
//!
//! One enum for the whole layer: every variant says what was wrong and what
//! would be valid, so that a caller can turn it into a message without
//! guessing.

use super::activations::Activation;

/// Why an approximation could not be computed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ApproxError {
    /// The requested degree is larger than the engine supports.
    #[error("degree {degree} is above the supported maximum {max}")]
    DegreeTooHigh {
        /// Requested degree.
        degree: usize,
        /// Largest supported degree for this method.
        max: usize,
    },
    /// The interval is empty, reversed or not finite.
    #[error("interval [{lo}, {hi}] is not valid: need finite end points with lo < hi")]
    EmptyInterval {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// A weight parameter is out of range.
    #[error("weight parameter c = {c} is not valid: need a finite c >= 1")]
    InvalidWeight {
        /// The offending parameter.
        c: f64,
    },
    /// Adaptive quadrature ran out of subdivisions before reaching the tolerance.
    #[error(
        "quadrature on [{a}, {b}] did not converge after {subintervals} subintervals: \
         estimated error {achieved:e} above the requested {requested:e}; \
         raise the subdivision limit or loosen the tolerance"
    )]
    QuadratureNotConverged {
        /// Lower end of the integration range (in the integration variable).
        a: f64,
        /// Upper end of the integration range.
        b: f64,
        /// Subintervals used.
        subintervals: usize,
        /// Error estimate reached.
        achieved: f64,
        /// Tolerance that was asked for.
        requested: f64,
    },
    /// A function (or integrand) returned NaN or an infinity.
    #[error("non-finite value {value} at x = {x}")]
    NonFinite {
        /// Where it was evaluated.
        x: f64,
        /// What it returned.
        value: f64,
    },
    /// Gram–Schmidt on monomials lost linear independence (the Gram matrix is
    /// too ill-conditioned at this degree); use the Stieltjes construction.
    #[error(
        "Gram-Schmidt on monomials broke down at degree {degree} \
         (relative residual norm {relative_norm:e}); use the Stieltjes construction"
    )]
    IllConditioned {
        /// Degree at which the breakdown happened.
        degree: usize,
        /// Norm of the orthogonalised monomial relative to its original norm.
        relative_norm: f64,
    },
    /// The Remez exchange did not level the error.
    #[error(
        "Remez exchange did not converge after {iterations} iterations: \
         levelled error {levelled_error:e}, maximum error {max_error:e}"
    )]
    RemezNotConverged {
        /// Iterations performed.
        iterations: usize,
        /// |E| of the last reference.
        levelled_error: f64,
        /// Maximum error of the last polynomial.
        max_error: f64,
    },
    /// The error curve did not have enough alternating extrema to form a
    /// reference for the Remez exchange.
    #[error("Remez exchange found {found} alternating extrema, needs {needed}")]
    RemezReference {
        /// Alternating extrema found.
        found: usize,
        /// Points a reference needs (degree + 2).
        needed: usize,
    },
    /// A linear system was singular.
    #[error("singular linear system of size {size}")]
    Singular {
        /// Size of the system.
        size: usize,
    },
    /// The function has no Taylor expansion at 0.
    #[error("{function} is not analytic at 0: no Taylor expansion; use another method")]
    NotAnalytic {
        /// The function asked for.
        function: Activation,
    },
    /// `Approximation::new` was asked for a fixed polynomial; those are built
    /// from their coefficients with `Approximation::fixed`.
    #[error("a fixed polynomial needs its coefficients: use Approximation::fixed")]
    NeedsCoefficients,
    /// A coefficient list was empty.
    #[error("the coefficient list is empty: give c_0 at least")]
    EmptyCoefficients,
    /// A coefficient was NaN or infinite.
    #[error("coefficient c_{index} = {value} is not finite")]
    NonFiniteCoefficient {
        /// Power of x it multiplies.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A number of significant digits outside 1..=17.
    #[error("{digits} significant digits asked for: need 1..=17")]
    InvalidPrecision {
        /// Digits asked for.
        digits: u32,
    },
    /// A feature matrix without rows or columns.
    #[error("the data set is empty: need at least one row and one column")]
    EmptyData,
    /// A row of a feature matrix with the wrong number of columns.
    #[error("row {row} has {len} values, the first row has {expected}")]
    RaggedRows {
        /// Index of the row.
        row: usize,
        /// Its length.
        len: usize,
        /// Length of the first row.
        expected: usize,
    },
    /// A flat feature matrix whose length is not a multiple of its column count.
    #[error("{len} values do not fill rows of {columns} columns")]
    BadShape {
        /// Number of values.
        len: usize,
        /// Columns per row.
        columns: usize,
    },
    /// The statistic of the feature means is zero (or not finite), so the
    /// interval `[-m, m]` would be empty.
    #[error("the feature means give m = {m}: the interval [-|m|, |m|] is empty")]
    DegenerateMean {
        /// The statistic.
        m: f64,
    },
}

/// Result type of the approximation engine.
pub type Result<T> = std::result::Result<T, ApproxError>;
