//! Samplers for RLWE: uniform residues, ternary secrets and rounded Gaussian
//! errors. Keys and noise must come from a cryptographic generator; a seeded
//! generator is only for the public uniform polynomial of seeded encryption.

use super::ntt::NttTable;
use super::poly::RnsPoly;
use rand::{CryptoRng, Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, Normal};

/// Standard deviation of the RLWE error (HomomorphicEncryption.org standard).
pub const ERROR_STD_DEV: f64 = 3.2;
/// Errors are cut at six standard deviations, as SEAL does.
pub const ERROR_BOUND: f64 = 6.0 * ERROR_STD_DEV;

/// A ChaCha20 generator seeded from the operating system.
pub fn os_rng() -> ChaCha20Rng {
    rand::make_rng::<ChaCha20Rng>()
}

/// A fresh 32-byte seed from the operating system.
pub fn os_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    os_rng().fill_bytes(&mut seed);
    seed
}

/// Uniform residues for every row, produced directly in whichever domain the caller
/// means (uniform is uniform in both). Rejection sampling keeps it exact.
pub fn uniform_poly<R: Rng + ?Sized>(rng: &mut R, n: usize, tables: &[&NttTable]) -> RnsPoly {
    let mut p = RnsPoly::zero(n, tables.len());
    for (row, t) in p.rows_iter_mut().zip(tables) {
        let q = t.modulus().value();
        let mask = u64::MAX >> q.leading_zeros();
        for x in row.iter_mut() {
            *x = loop {
                let v = rng.next_u64() & mask;
                if v < q {
                    break v;
                }
            };
        }
    }
    p
}

/// The uniform polynomial expanded from a public seed.
pub fn uniform_poly_from_seed(seed: [u8; 32], n: usize, tables: &[&NttTable]) -> RnsPoly {
    let mut rng = ChaCha20Rng::from_seed(seed);
    uniform_poly(&mut rng, n, tables)
}

/// Uniform ternary coefficients in {-1, 0, 1}.
pub fn ternary<R: CryptoRng + ?Sized>(rng: &mut R, n: usize) -> Vec<i64> {
    (0..n)
        .map(|_| {
            loop {
                // Two bits, rejecting one value of four, for an exact 1/3 each.
                let v = rng.next_u32() & 3;
                if v < 3 {
                    break v as i64 - 1;
                }
            }
        })
        .collect()
}

/// Rounded Gaussian errors with standard deviation `std_dev`, cut at `bound`.
pub fn gaussian<R: CryptoRng + ?Sized>(
    rng: &mut R,
    n: usize,
    std_dev: f64,
    bound: f64,
) -> Vec<i64> {
    let normal = Normal::new(0.0, std_dev).expect("positive standard deviation");
    (0..n)
        .map(|_| {
            loop {
                let v: f64 = normal.sample(rng);
                if v.abs() <= bound {
                    break v.round() as i64;
                }
            }
        })
        .collect()
}

/// A uniform 64-bit value, for identifiers.
pub fn random_u64<R: Rng + ?Sized>(rng: &mut R) -> u64 {
    rng.random()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ternary_and_gaussian_ranges() {
        let mut rng = os_rng();
        let t = ternary(&mut rng, 3000);
        assert!(t.iter().all(|&x| (-1..=1).contains(&x)));
        let zeros = t.iter().filter(|&&x| x == 0).count();
        assert!((800..1200).contains(&zeros));
        let g = gaussian(&mut rng, 3000, ERROR_STD_DEV, ERROR_BOUND);
        assert!(g.iter().all(|&x| x.abs() <= 20));
        let var = g.iter().map(|&x| (x * x) as f64).sum::<f64>() / 3000.0;
        assert!((7.0..14.0).contains(&var), "variance {var}");
    }
}
