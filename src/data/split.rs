//! Seeded, reproducible splits: train/test, stratified train/test, k-fold, and class balancing
//! by undersampling.
//!
//! Everything here is defined exactly, so another implementation can reproduce the indices:
//!
//! - **Generator.** `ChaCha8Rng::from_seed(key)` (rand_chacha 0.10: ChaCha with 8 rounds,
//!   stream 0, starting at block 0) where the 32-byte key is the u64 seed in little-endian
//!   followed by 24 zero bytes. Numbers are taken with `next_u64`.
//! - **Uniform index** `below(b)` for `b >= 1`: draw `x = next_u64()`; reject it and draw
//!   again while `x >= 2^64 - (2^64 mod b)`; return `x mod b`. (No dependence on `rand`'s
//!   distribution code, which has changed between versions.)
//! - **Shuffle** (Fisher-Yates, Durstenfeld): for `i` from `len-1` down to `1`:
//!   `j = below(i+1)`, swap items `i` and `j`.
//! - **Permutation** `permutation(n, seed)`: shuffle `[0, 1, ..., n-1]` with a fresh
//!   generator from `seed`.
//!
//! Each public function starts its own generator from `seed`, so results depend only on the
//! arguments.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::error::{DataError, Result};

/// Indices of a train/test split (or of one fold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// The generator every function here uses: ChaCha8 keyed by the seed (little-endian) and 24
/// zero bytes.
pub fn rng_from_seed(seed: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    ChaCha8Rng::from_seed(key)
}

/// Uniform integer in `0..bound` by rejection sampling (see the module docs). `bound >= 1`.
pub fn below(rng: &mut impl Rng, bound: usize) -> usize {
    assert!(bound >= 1, "below(0)");
    let b = bound as u128;
    let limit = (1u128 << 64) - ((1u128 << 64) % b);
    loop {
        let x = u128::from(rng.next_u64());
        if x < limit {
            return (x % b) as usize;
        }
    }
}

/// Fisher-Yates shuffle in place (see the module docs).
pub fn shuffle<T>(rng: &mut impl Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i + 1);
        items.swap(i, j);
    }
}

/// `0..n` shuffled with a generator from `seed`.
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    shuffle(&mut rng_from_seed(seed), &mut v);
    v
}

fn check_fraction(test_fraction: f64) -> Result<()> {
    if test_fraction.is_finite() && (0.0..=1.0).contains(&test_fraction) {
        Ok(())
    } else {
        Err(DataError::InvalidSplit {
            message: format!("test_fraction must be in [0, 1], got {test_fraction}"),
        })
    }
}

/// Number of test items for `n` items: `round(test_fraction * n)`, halves rounded away from
/// zero (`f64::round`).
pub fn test_count(n: usize, test_fraction: f64) -> usize {
    ((test_fraction * n as f64).round() as usize).min(n)
}

/// Random train/test split of `0..n`: `p = permutation(n, seed)`,
/// `test = p[..k]`, `train = p[k..]` with `k = test_count(n, test_fraction)`. Both lists keep
/// the permutation's (shuffled) order.
pub fn train_test_split(n: usize, test_fraction: f64, seed: u64) -> Result<Split> {
    check_fraction(test_fraction)?;
    let p = permutation(n, seed);
    let k = test_count(n, test_fraction);
    Ok(Split {
        test: p[..k].to_vec(),
        train: p[k..].to_vec(),
    })
}

/// Indices of each class `0..=max(labels)`, in increasing index order.
fn by_class(labels: &[usize]) -> Vec<Vec<usize>> {
    let k = labels.iter().max().map_or(0, |&m| m + 1);
    let mut classes = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        classes[l].push(i);
    }
    classes
}

/// Stratified train/test split: one generator from `seed`; for each class `c` in increasing
/// order, its indices (increasing) are shuffled and the first `test_count(n_c, test_fraction)`
/// go to test, the rest to train (appended class after class). Finally the train list and
/// then the test list are shuffled with the same generator.
pub fn stratified_train_test_split(
    labels: &[usize],
    test_fraction: f64,
    seed: u64,
) -> Result<Split> {
    check_fraction(test_fraction)?;
    let mut rng = rng_from_seed(seed);
    let mut split = Split {
        train: Vec::new(),
        test: Vec::new(),
    };
    for mut members in by_class(labels) {
        shuffle(&mut rng, &mut members);
        let k = test_count(members.len(), test_fraction);
        split.test.extend_from_slice(&members[..k]);
        split.train.extend_from_slice(&members[k..]);
    }
    shuffle(&mut rng, &mut split.train);
    shuffle(&mut rng, &mut split.test);
    Ok(split)
}

/// K-fold cross-validation: `p = permutation(n, seed)` cut into `k` consecutive folds, the
/// first `n mod k` of size `n/k + 1` and the rest of size `n/k` (as scikit-learn's KFold).
/// Fold `i` tests on its slice and trains on the rest of `p`, in `p`'s order.
pub fn k_fold(n: usize, k: usize, seed: u64) -> Result<Vec<Split>> {
    if k < 2 || k > n {
        return Err(DataError::InvalidSplit {
            message: format!("k-fold needs 2 <= k <= n, got k = {k}, n = {n}"),
        });
    }
    let p = permutation(n, seed);
    let mut folds = Vec::with_capacity(k);
    let mut start = 0;
    for i in 0..k {
        let size = n / k + usize::from(i < n % k);
        let end = start + size;
        folds.push(Split {
            test: p[start..end].to_vec(),
            train: p[..start].iter().chain(&p[end..]).copied().collect(),
        });
        start = end;
    }
    Ok(folds)
}

/// Class balancing by undersampling: `m` = size of the smallest class present; one generator
/// from `seed`; for each class in increasing order with at least one member, its indices
/// (increasing) are shuffled and the first `m` kept. Returns the kept indices in increasing
/// order (the original row order).
pub fn undersample_balanced(labels: &[usize], seed: u64) -> Vec<usize> {
    let classes: Vec<Vec<usize>> = by_class(labels)
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect();
    let Some(m) = classes.iter().map(Vec::len).min() else {
        return Vec::new();
    };
    let mut rng = rng_from_seed(seed);
    let mut kept = Vec::with_capacity(m * classes.len());
    for mut members in classes {
        shuffle(&mut rng, &mut members);
        kept.extend_from_slice(&members[..m]);
    }
    kept.sort_unstable();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generator_is_pinned() {
        // ChaCha8 with an all-zero key: the published keystream starts 3e 00 ef 2f 89 5f 40 d6.
        assert_eq!(rng_from_seed(0).next_u64(), 0xd640_5f89_2fef_003e);
        // The documented algorithms: these values must never change.
        assert_eq!(permutation(10, 42), vec![2, 1, 4, 3, 7, 0, 5, 8, 6, 9]);
        let s = train_test_split(10, 0.3, 7).unwrap();
        assert_eq!(s.test, vec![0, 5, 7]);
        assert_eq!(s.train, vec![4, 1, 3, 2, 8, 6, 9]);
    }

    #[test]
    fn below_handles_edges() {
        let mut rng = rng_from_seed(7);
        assert_eq!(below(&mut rng, 1), 0);
        for _ in 0..1000 {
            assert!(below(&mut rng, 3) < 3);
        }
    }

    #[test]
    fn pima_sized_split_counts() {
        let s = train_test_split(768, 0.3, 1).unwrap();
        assert_eq!((s.train.len(), s.test.len()), (538, 230));
        assert!(train_test_split(10, 1.5, 0).is_err());
        assert!(train_test_split(10, f64::NAN, 0).is_err());
    }

    #[test]
    fn k_fold_sizes_follow_kfold() {
        let folds = k_fold(10, 3, 5).unwrap();
        let sizes: Vec<_> = folds.iter().map(|f| f.test.len()).collect();
        assert_eq!(sizes, vec![4, 3, 3]);
        assert!(k_fold(3, 4, 0).is_err());
        assert!(k_fold(3, 1, 0).is_err());
    }

    #[test]
    fn undersampling_balances() {
        let labels = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0];
        let kept = undersample_balanced(&labels, 3);
        assert_eq!(kept.len(), 6);
        for c in 0..3 {
            assert_eq!(kept.iter().filter(|&&i| labels[i] == c).count(), 2);
        }
        assert!(kept.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(kept, undersample_balanced(&labels, 3));
    }

    fn sorted(mut v: Vec<usize>) -> Vec<usize> {
        v.sort_unstable();
        v
    }

    proptest! {
        #[test]
        fn permutation_is_a_permutation(n in 0usize..300, seed: u64) {
            prop_assert_eq!(sorted(permutation(n, seed)), (0..n).collect::<Vec<_>>());
        }

        #[test]
        fn split_partitions(n in 0usize..300, f in 0.0f64..=1.0, seed: u64) {
            let s = train_test_split(n, f, seed).unwrap();
            prop_assert_eq!(s.test.len(), test_count(n, f));
            prop_assert_eq!(sorted([s.train, s.test].concat()), (0..n).collect::<Vec<_>>());
        }

        #[test]
        fn stratified_split_keeps_proportions(
            labels in proptest::collection::vec(0usize..4, 1..200),
            f in 0.0f64..=1.0,
            seed: u64,
        ) {
            let s = stratified_train_test_split(&labels, f, seed).unwrap();
            let n = labels.len();
            prop_assert_eq!(sorted([s.train.clone(), s.test.clone()].concat()), (0..n).collect::<Vec<_>>());
            for c in 0..4 {
                let n_c = labels.iter().filter(|&&l| l == c).count();
                let t_c = s.test.iter().filter(|&&i| labels[i] == c).count();
                prop_assert_eq!(t_c, test_count(n_c, f));
            }
        }

        #[test]
        fn folds_cover_each_index_once(n in 2usize..200, k in 2usize..10, seed: u64) {
            prop_assume!(k <= n);
            let folds = k_fold(n, k, seed).unwrap();
            let all_test: Vec<usize> = folds.iter().flat_map(|f| f.test.clone()).collect();
            prop_assert_eq!(sorted(all_test), (0..n).collect::<Vec<_>>());
            for f in &folds {
                prop_assert_eq!(f.train.len() + f.test.len(), n);
            }
        }
    }
}
