//! NTT-friendly primes: q = 1 mod 2N, so that Z_q holds a primitive 2N-th root
//! of unity and X^N + 1 splits into linear factors.

use super::zq::Modulus;

/// Deterministic Miller-Rabin for all 64-bit integers.
pub fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    const SMALL: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    for p in SMALL {
        if n.is_multiple_of(p) {
            return n == p;
        }
    }
    let mul = |a: u64, b: u64| (a as u128 * b as u128 % n as u128) as u64;
    let pow = |mut b: u64, mut e: u64| {
        let mut acc = 1u64;
        while e > 0 {
            if e & 1 == 1 {
                acc = mul(acc, b);
            }
            b = mul(b, b);
            e >>= 1;
        }
        acc
    };
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    'witness: for a in SMALL {
        let mut x = pow(a, d);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mul(x, x);
            if x == n - 1 {
                continue 'witness;
            }
        }
        return false;
    }
    true
}

/// `count` distinct primes of exactly `bits` bits with q = 1 mod 2n, largest first,
/// skipping those in `exclude`. None if the range runs out.
pub fn ntt_primes(bits: u32, count: usize, n: usize, exclude: &[u64]) -> Option<Vec<u64>> {
    let step = 2 * n as u64;
    if !(2..=62).contains(&bits) || step >= (1u64 << (bits - 1)) {
        return None;
    }
    let upper = 1u64 << bits;
    let lower = 1u64 << (bits - 1);
    let mut candidate = upper - step + 1;
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        if candidate <= lower {
            return None;
        }
        if is_prime(candidate) && !exclude.contains(&candidate) {
            out.push(candidate);
        }
        candidate -= step;
    }
    Some(out)
}

/// The smallest primitive 2n-th root of unity modulo a prime q = 1 mod 2n.
pub fn minimal_primitive_root(q: &Modulus, n: usize) -> Option<u64> {
    let two_n = 2 * n as u64;
    let qv = q.value();
    if !(qv - 1).is_multiple_of(two_n) {
        return None;
    }
    let cofactor = (qv - 1) / two_n;
    // Any generator g of the 2n-th roots gives all primitive ones as g^k, k odd.
    let mut generator = None;
    for x in 2..qv.min(1 << 20) {
        let g = q.pow(x, cofactor);
        if q.pow(g, n as u64) == qv - 1 {
            generator = Some(g);
            break;
        }
    }
    let g = generator?;
    let g2 = q.mul(g, g);
    let mut best = g;
    let mut cur = g;
    for _ in 0..n {
        cur = q.mul(cur, g2);
        if cur < best {
            best = cur;
        }
    }
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_primes() {
        let primes: Vec<u64> = (0..100).filter(|&n| is_prime(n)).collect();
        assert_eq!(primes.len(), 25);
        assert!(is_prime(1_152_921_504_606_846_883)); // 2^60 - 93
        assert!(!is_prime(1_152_921_504_606_846_881));
        assert!(!is_prime(3_215_031_751)); // strong pseudoprime to bases 2, 3, 5, 7
    }

    #[test]
    fn ntt_primes_are_friendly_and_distinct() {
        for (bits, n) in [(40, 8192), (60, 8192), (30, 1024), (61, 1 << 16)] {
            let ps = ntt_primes(bits, 3, n, &[]).unwrap();
            for &p in &ps {
                assert!(is_prime(p));
                assert_eq!(p % (2 * n as u64), 1);
                assert_eq!(64 - p.leading_zeros(), bits);
            }
            assert!(ps[0] > ps[1] && ps[1] > ps[2]);
        }
    }

    #[test]
    fn primitive_root_has_order_2n() {
        let n = 1024;
        let q = Modulus::new(ntt_primes(50, 1, n, &[]).unwrap()[0]);
        let psi = minimal_primitive_root(&q, n).unwrap();
        assert_eq!(q.pow(psi, n as u64), q.value() - 1);
        assert_eq!(q.pow(psi, 2 * n as u64), 1);
    }
}
