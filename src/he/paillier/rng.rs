//! Cryptographic randomness.
//!
//! All randomness comes from ChaCha20 generators seeded from the operating
//! system (`getrandom` through `rand::rngs::SysRng`): one fresh generator
//! per key generation, and one per thread for encryption randomness (so
//! rayon workers never contend on a lock). Seeded (deterministic)
//! generators appear only in `#[cfg(test)]` code.

use std::cell::RefCell;

use rand::rngs::SysRng;
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rug::Integer;
use rug::integer::Order;
use zeroize::Zeroize;

use crate::he::paillier::error::{PaillierError, Result};

/// A ChaCha20 generator seeded from the operating system.
///
/// # Errors
/// [`PaillierError::Rng`] if the OS generator fails.
pub(crate) fn os_seeded_chacha() -> Result<ChaCha20Rng> {
    ChaCha20Rng::try_from_rng(&mut SysRng).map_err(|e| PaillierError::Rng {
        what: e.to_string(),
    })
}

thread_local! {
    static THREAD_RNG: RefCell<Option<ChaCha20Rng>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's OS-seeded ChaCha20 generator.
///
/// # Errors
/// [`PaillierError::Rng`] if seeding fails.
pub(crate) fn with_thread_rng<T>(f: impl FnOnce(&mut ChaCha20Rng) -> T) -> Result<T> {
    THREAD_RNG.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(os_seeded_chacha()?);
        }
        match slot.as_mut() {
            Some(rng) => Ok(f(rng)),
            None => Err(PaillierError::Rng {
                what: "thread generator missing".into(),
            }),
        }
    })
}

/// Uniform integer in `[0, 2^bits)`.
pub(crate) fn random_bits<R: CryptoRng + ?Sized>(rng: &mut R, bits: u32) -> Integer {
    if bits == 0 {
        return Integer::new();
    }
    let nbytes = bits.div_ceil(8) as usize;
    let mut buf = vec![0u8; nbytes];
    rng.fill_bytes(&mut buf);
    let excess = (nbytes as u32) * 8 - bits;
    buf[0] &= 0xffu8 >> excess;
    let x = Integer::from_digits(&buf, Order::Msf);
    buf.zeroize();
    x
}

/// Uniform integer in `[0, bound)` by rejection sampling (`bound > 0`).
pub(crate) fn random_below<R: CryptoRng + ?Sized>(rng: &mut R, bound: &Integer) -> Integer {
    debug_assert!(*bound > 0);
    let bits = bound.significant_bits();
    loop {
        let x = random_bits(rng, bits);
        if x < *bound {
            return x;
        }
    }
}

/// Uniform unit of `Z_n`: `r` in `[1, n)` with `gcd(r, n) = 1`.
pub(crate) fn random_unit<R: CryptoRng + ?Sized>(rng: &mut R, n: &Integer) -> Integer {
    loop {
        let r = random_below(rng, n);
        if r != 0 && Integer::from(r.gcd_ref(n)) == 1 {
            return r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bits_bounds_and_spread() {
        let mut rng = os_seeded_chacha().unwrap();
        let mut top_set = 0;
        for _ in 0..200 {
            let x = random_bits(&mut rng, 13);
            assert!(x < (1u32 << 13));
            if x.get_bit(12) {
                top_set += 1;
            }
        }
        assert!((50..150).contains(&top_set), "{top_set}");
        assert_eq!(random_bits(&mut rng, 0), 0);
    }

    #[test]
    fn random_below_and_unit() {
        let mut rng = os_seeded_chacha().unwrap();
        let bound = Integer::from(1000);
        for _ in 0..100 {
            let x = random_below(&mut rng, &bound);
            assert!(x >= 0 && x < bound);
        }
        let n = Integer::from(15);
        for _ in 0..50 {
            let r = random_unit(&mut rng, &n);
            assert!(r > 0 && r < 15);
            assert_eq!(Integer::from(r.gcd_ref(&n)), 1);
        }
        assert!(with_thread_rng(|r| random_bits(r, 64)).is_ok());
    }
}
