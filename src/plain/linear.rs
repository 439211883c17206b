//! Dense layers as plain f64 matrices, and the collapse of a stack of affine
//! layers into one (Muhammad et al. 2018, equation 4).

/// y = W x + b with W row-major, `out_dim` x `in_dim`.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseLayer {
    pub in_dim: usize,
    pub out_dim: usize,
    pub w: Vec<f64>,
    pub b: Vec<f64>,
}

impl DenseLayer {
    pub fn new(in_dim: usize, out_dim: usize, w: Vec<f64>, b: Vec<f64>) -> DenseLayer {
        assert_eq!(
            w.len(),
            in_dim * out_dim,
            "weight matrix is out_dim x in_dim"
        );
        assert_eq!(b.len(), out_dim, "one bias per output");
        DenseLayer {
            in_dim,
            out_dim,
            w,
            b,
        }
    }

    /// W x + b.
    pub fn apply(&self, x: &[f64]) -> Vec<f64> {
        assert_eq!(x.len(), self.in_dim);
        (0..self.out_dim)
            .map(|o| {
                let row = &self.w[o * self.in_dim..(o + 1) * self.in_dim];
                row.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + self.b[o]
            })
            .collect()
    }

    /// The layer that computes `self(other(x))`.
    pub fn after(&self, other: &DenseLayer) -> DenseLayer {
        assert_eq!(self.in_dim, other.out_dim, "layer widths must chain");
        let (n, k, m) = (self.out_dim, self.in_dim, other.in_dim);
        let mut w = vec![0.0; n * m];
        for i in 0..n {
            for t in 0..k {
                let a = self.w[i * k + t];
                if a == 0.0 {
                    continue;
                }
                let row = &other.w[t * m..(t + 1) * m];
                for (dst, src) in w[i * m..(i + 1) * m].iter_mut().zip(row) {
                    *dst += a * src;
                }
            }
        }
        let b = self.apply(&other.b);
        DenseLayer {
            in_dim: m,
            out_dim: n,
            w,
            b,
        }
    }

    /// Multiplies every input weight by `s` (e.g. 1/255 to take raw pixels).
    pub fn scale_inputs(&self, s: f64) -> DenseLayer {
        DenseLayer {
            w: self.w.iter().map(|w| w * s).collect(),
            ..self.clone()
        }
    }
}

/// Collapses affine layers applied in order (first layer first) into one:
/// W' = W_k ... W_1 and b' = W_k(...(W_2 b_1 + b_2)...) + b_k.
/// Valid only when every activation between them is the identity.
pub fn collapse_affine(layers: &[DenseLayer]) -> DenseLayer {
    let (first, rest) = layers.split_first().expect("at least one layer");
    rest.iter()
        .fold(first.clone(), |acc, layer| layer.after(&acc))
}

/// Index of the largest value (the first one on ties), as numpy's argmax.
pub fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn layer(in_dim: usize, out_dim: usize, vals: &[f64]) -> DenseLayer {
        let w = (0..in_dim * out_dim)
            .map(|i| vals[i % vals.len()] * ((i % 7) as f64 - 3.0))
            .collect();
        let b = (0..out_dim)
            .map(|i| vals[i % vals.len()] + i as f64)
            .collect();
        DenseLayer::new(in_dim, out_dim, w, b)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn collapsed_layers_compute_the_same_function(
            vals in proptest::collection::vec(-2.0f64..2.0, 1..20),
            x in proptest::collection::vec(-1.0f64..1.0, 6),
        ) {
            let layers = [layer(6, 5, &vals), layer(5, 4, &vals), layer(4, 3, &vals)];
            let stepwise = layers.iter().fold(x.clone(), |h, l| l.apply(&h));
            let collapsed = collapse_affine(&layers).apply(&x);
            for (a, b) in stepwise.iter().zip(&collapsed) {
                prop_assert!((a - b).abs() <= 1e-9 * (1.0 + a.abs()), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn a_wrong_collapse_is_caught_by_the_comparison() {
        // Multiplying in the wrong order (W1 W2 W3 instead of W3 W2 W1) is the
        // classic mistake; with square layers it type-checks but must differ.
        let vals = [0.3, -1.2, 0.7, 2.0];
        let layers = [
            layer(3, 3, &vals),
            layer(3, 3, &[1.1, -0.4]),
            layer(3, 3, &[0.2, 0.9, -0.5]),
        ];
        let x = [0.5, -0.25, 1.0];
        let right = collapse_affine(&layers).apply(&x);
        let reversed: Vec<DenseLayer> = layers.iter().rev().cloned().collect();
        let wrong = collapse_affine(&reversed).apply(&x);
        assert!(right.iter().zip(&wrong).any(|(a, b)| (a - b).abs() > 1e-6));
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
    }
}
