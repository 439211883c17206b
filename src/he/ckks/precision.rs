//! Precision statistics of a decrypted result against the expected values, as
//! Lattigo's `GetPrecisionStats`: min, mean, median and max absolute error, given
//! in log2 (so -20 means errors of about 2^-20, i.e. 20 bits of precision).

use serde::{Deserialize, Serialize};

/// log2 errors are clamped here so exact results stay finite in reports.
pub const LOG2_ERROR_FLOOR: f64 = -64.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrecisionStats {
    pub count: usize,
    pub min_log2_error: f64,
    pub mean_log2_error: f64,
    pub median_log2_error: f64,
    pub max_log2_error: f64,
    pub max_abs_error: f64,
}

impl PrecisionStats {
    /// Statistics over the first min(len) pairs. None for empty input.
    pub fn compute(expected: &[f64], actual: &[f64]) -> Option<Self> {
        let mut errors: Vec<f64> = expected
            .iter()
            .zip(actual)
            .map(|(e, a)| (e - a).abs())
            .collect();
        if errors.is_empty() {
            return None;
        }
        let log2 = |x: f64| {
            if x > 0.0 {
                x.log2().max(LOG2_ERROR_FLOOR)
            } else {
                LOG2_ERROR_FLOOR
            }
        };
        errors.sort_by(f64::total_cmp);
        let count = errors.len();
        let mean = errors.iter().sum::<f64>() / count as f64;
        let median = if count % 2 == 1 {
            errors[count / 2]
        } else {
            0.5 * (errors[count / 2 - 1] + errors[count / 2])
        };
        let max = errors[count - 1];
        Some(Self {
            count,
            min_log2_error: log2(errors[0]),
            mean_log2_error: log2(mean),
            median_log2_error: log2(median),
            max_log2_error: if max.is_nan() {
                f64::INFINITY
            } else {
                log2(max)
            },
            max_abs_error: max,
        })
    }

    /// Bits of precision in the worst slot, -max_log2_error.
    pub fn min_precision_bits(&self) -> f64 {
        -self.max_log2_error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats() {
        let e = [1.0, 2.0, 3.0, 4.0];
        let a = [
            1.0 + 2f64.powi(-10),
            2.0 - 2f64.powi(-20),
            3.0,
            4.0 + 2f64.powi(-12),
        ];
        let s = PrecisionStats::compute(&e, &a).unwrap();
        assert_eq!(s.count, 4);
        assert_eq!(s.max_log2_error, -10.0);
        assert_eq!(s.min_log2_error, LOG2_ERROR_FLOOR);
        assert!(s.median_log2_error < -12.0 && s.median_log2_error > -20.0);
        assert!((s.min_precision_bits() - 10.0).abs() < 1e-12);
        assert!(PrecisionStats::compute(&[], &[]).is_none());
    }
}
