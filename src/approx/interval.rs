//! Approximation intervals, and CryptoDL's Algorithm 1 (Section 3.1), which
//! picks the interval from the data: the mean of every feature is taken, then
//! the mean of those means (`meanMean`), and the activation is approximated on
//! `[-meanMean, meanMean]` for every degree up to `MaxDegree` with the
//! coefficients cut to a given precision. The paper also tried the maximum
//! (`maxMean`) and minimum (`minMean`) of the feature means; all three are
//! offered by [`MeanStatistic`].

use super::activations::Activation;
use super::error::{ApproxError, Result};
use super::{Approximation, Method};

/// A closed, bounded, non-empty interval `[lo, hi]`.
///
/// The affine map `t = (2x - lo - hi)/(hi - lo)` takes it onto `[-1, 1]`;
/// Chebyshev coefficients "on the interval" are in this `t`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "IntervalBounds", into = "IntervalBounds")]
pub struct Interval {
    lo: f64,
    hi: f64,
}

/// The unchecked serialised form of [`Interval`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalBounds {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl TryFrom<IntervalBounds> for Interval {
    type Error = ApproxError;
    fn try_from(b: IntervalBounds) -> Result<Self> {
        Interval::new(b.lo, b.hi)
    }
}

impl From<Interval> for IntervalBounds {
    fn from(i: Interval) -> Self {
        IntervalBounds { lo: i.lo, hi: i.hi }
    }
}

impl Interval {
    /// `[lo, hi]`; both finite and `lo < hi`.
    pub fn new(lo: f64, hi: f64) -> Result<Self> {
        if lo.is_finite() && hi.is_finite() && lo < hi && (hi - lo).is_finite() {
            Ok(Self { lo, hi })
        } else {
            Err(ApproxError::EmptyInterval { lo, hi })
        }
    }

    /// `[-l, l]`; `l` finite and positive.
    pub fn symmetric(half_width: f64) -> Result<Self> {
        Self::new(-half_width, half_width)
    }

    /// Lower end.
    pub fn lo(&self) -> f64 {
        self.lo
    }

    /// Upper end.
    pub fn hi(&self) -> f64 {
        self.hi
    }

    /// `(lo + hi)/2`.
    pub fn midpoint(&self) -> f64 {
        0.5 * self.lo + 0.5 * self.hi
    }

    /// `(hi - lo)/2`.
    pub fn half_width(&self) -> f64 {
        0.5 * self.hi - 0.5 * self.lo
    }

    /// `t = (x - midpoint)/half_width`, in `[-1, 1]` for `x` in the interval.
    pub fn to_unit(&self, x: f64) -> f64 {
        (x - self.midpoint()) / self.half_width()
    }

    /// `x = midpoint + half_width · t`, clamped into the interval.
    pub fn from_unit(&self, t: f64) -> f64 {
        (self.midpoint() + self.half_width() * t).clamp(self.lo, self.hi)
    }

    /// Whether `x` lies in `[lo, hi]`.
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// Whether the interval is `[-l, l]`.
    pub fn is_symmetric(&self) -> bool {
        self.lo == -self.hi
    }
}

/// Which statistic of the feature means gives the half-width `m` of `[-m, m]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeanStatistic {
    /// Mean of the feature means (Algorithm 1 as written; the paper's best).
    MeanMean,
    /// Largest feature mean.
    MaxMean,
    /// Smallest feature mean.
    MinMean,
}

/// The mean of every column of a feature matrix given as rows.
pub fn feature_means(rows: &[Vec<f64>]) -> Result<Vec<f64>> {
    let columns = rows.first().map(Vec::len).unwrap_or(0);
    if columns == 0 {
        return Err(ApproxError::EmptyData);
    }
    let mut sums = vec![0.0; columns];
    for (r, row) in rows.iter().enumerate() {
        if row.len() != columns {
            return Err(ApproxError::RaggedRows {
                row: r,
                len: row.len(),
                expected: columns,
            });
        }
        for (s, v) in sums.iter_mut().zip(row) {
            *s += v;
        }
    }
    let n = rows.len() as f64;
    Ok(sums.into_iter().map(|s| s / n).collect())
}

/// The mean of every column of a row-major feature matrix stored flat.
pub fn feature_means_flat(values: &[f64], columns: usize) -> Result<Vec<f64>> {
    if columns == 0 || values.is_empty() {
        return Err(ApproxError::EmptyData);
    }
    if !values.len().is_multiple_of(columns) {
        return Err(ApproxError::BadShape {
            len: values.len(),
            columns,
        });
    }
    let mut sums = vec![0.0; columns];
    for row in values.chunks_exact(columns) {
        for (s, v) in sums.iter_mut().zip(row) {
            *s += v;
        }
    }
    let n = (values.len() / columns) as f64;
    Ok(sums.into_iter().map(|s| s / n).collect())
}

/// The statistic of a list of feature means (NaN if any mean is NaN).
pub fn mean_statistic(means: &[f64], statistic: MeanStatistic) -> Result<f64> {
    if means.is_empty() {
        return Err(ApproxError::EmptyData);
    }
    if let Some(&m) = means.iter().find(|m| !m.is_finite()) {
        return Err(ApproxError::DegenerateMean { m });
    }
    Ok(match statistic {
        MeanStatistic::MeanMean => means.iter().sum::<f64>() / means.len() as f64,
        MeanStatistic::MaxMean => means.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        MeanStatistic::MinMean => means.iter().copied().fold(f64::INFINITY, f64::min),
    })
}

/// `[-|m|, |m|]` for the chosen statistic `m` of the feature means.
///
/// Algorithm 1 writes `[-Mean, Mean]`; a negative statistic would make that
/// interval reversed, so its absolute value is used.
pub fn interval_from_means(means: &[f64], statistic: MeanStatistic) -> Result<Interval> {
    let m = mean_statistic(means, statistic)?;
    if m == 0.0 {
        return Err(ApproxError::DegenerateMean { m });
    }
    Interval::symmetric(m.abs())
}

/// The interval of Algorithm 1 (or its max/min variants) for a data set.
pub fn algorithm1_interval(rows: &[Vec<f64>], statistic: MeanStatistic) -> Result<Interval> {
    interval_from_means(&feature_means(rows)?, statistic)
}

/// Algorithm 1: approximations of `activation` of degrees `1..=max_degree` on
/// `[-meanMean, meanMean]` (or the chosen statistic), each computed by
/// `method` and with its power coefficients rounded to `precision`
/// significant digits.
pub fn algorithm1(
    rows: &[Vec<f64>],
    max_degree: usize,
    activation: Activation,
    method: &Method,
    statistic: MeanStatistic,
    precision: u32,
) -> Result<Vec<Approximation>> {
    let interval = algorithm1_interval(rows, statistic)?;
    (1..=max_degree)
        .map(|degree| {
            Approximation::new(method, activation, interval, degree)?
                .truncate_significant_digits(precision)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approx::weight::Weight;

    fn rows() -> Vec<Vec<f64>> {
        vec![
            vec![1.0, 10.0, -2.0],
            vec![3.0, 30.0, -4.0],
            vec![2.0, 20.0, -3.0],
        ]
    }

    #[test]
    fn feature_means_and_statistics() {
        let means = feature_means(&rows()).unwrap();
        assert_eq!(means, vec![2.0, 20.0, -3.0]);
        let flat: Vec<f64> = rows().concat();
        assert_eq!(feature_means_flat(&flat, 3).unwrap(), means);
        assert_eq!(
            mean_statistic(&means, MeanStatistic::MeanMean).unwrap(),
            19.0 / 3.0
        );
        assert_eq!(
            mean_statistic(&means, MeanStatistic::MaxMean).unwrap(),
            20.0
        );
        assert_eq!(
            mean_statistic(&means, MeanStatistic::MinMean).unwrap(),
            -3.0
        );
        let i = algorithm1_interval(&rows(), MeanStatistic::MeanMean).unwrap();
        assert_eq!((i.lo(), i.hi()), (-19.0 / 3.0, 19.0 / 3.0));
        let i = algorithm1_interval(&rows(), MeanStatistic::MinMean).unwrap();
        assert_eq!((i.lo(), i.hi()), (-3.0, 3.0));
    }

    #[test]
    fn bad_data_is_an_error() {
        assert_eq!(feature_means(&[]), Err(ApproxError::EmptyData));
        assert_eq!(feature_means(&[vec![]]), Err(ApproxError::EmptyData));
        assert!(matches!(
            feature_means(&[vec![1.0, 2.0], vec![1.0]]),
            Err(ApproxError::RaggedRows { row: 1, .. })
        ));
        assert!(matches!(
            feature_means_flat(&[1.0, 2.0, 3.0], 2),
            Err(ApproxError::BadShape { .. })
        ));
        assert!(matches!(
            algorithm1_interval(&[vec![1.0, -1.0]], MeanStatistic::MeanMean),
            Err(ApproxError::DegenerateMean { .. })
        ));
        assert!(matches!(
            algorithm1_interval(&[vec![f64::NAN, 1.0]], MeanStatistic::MaxMean),
            Err(ApproxError::DegenerateMean { .. })
        ));
    }

    #[test]
    fn algorithm1_produces_one_polynomial_per_degree() {
        let method = Method::WeightedL2 {
            weight: Weight::ExpInverseSquare,
            basis: crate::approx::BasisConstruction::Stieltjes,
        };
        let polys = algorithm1(
            &rows(),
            4,
            Activation::Sigmoid,
            &method,
            MeanStatistic::MeanMean,
            10,
        )
        .unwrap();
        assert_eq!(polys.len(), 4);
        for (k, p) in polys.iter().enumerate() {
            assert_eq!(p.degree, k + 1);
            assert_eq!(p.significant_digits, Some(10));
            assert_eq!(p.interval, Interval::symmetric(19.0 / 3.0).unwrap());
        }
    }

    #[test]
    fn interval_checks_and_serde() {
        assert!(Interval::new(1.0, 1.0).is_err());
        assert!(Interval::new(2.0, 1.0).is_err());
        assert!(Interval::new(f64::NEG_INFINITY, 1.0).is_err());
        assert!(Interval::symmetric(-1.0).is_err());
        let i = Interval::new(-2.0, 6.0).unwrap();
        assert_eq!(i.to_unit(6.0), 1.0);
        assert_eq!(i.to_unit(2.0), 0.0);
        assert_eq!(i.from_unit(-1.0), -2.0);
        let s = serde_json::to_string(&i).unwrap();
        assert_eq!(s, r#"{"lo":-2.0,"hi":6.0}"#);
        assert_eq!(serde_json::from_str::<Interval>(&s).unwrap(), i);
        assert!(serde_json::from_str::<Interval>(r#"{"lo":3.0,"hi":1.0}"#).is_err());
    }
}
