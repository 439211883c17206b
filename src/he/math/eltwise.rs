//! Element-wise arithmetic modulo one word-size modulus over slices: the rows of
//! [`super::poly::RnsPoly`] and the loops of RNS rescaling and key switching.
//!
//! On x86_64 CPUs with AVX-512F/DQ (detected once per process) every function runs
//! the vector kernels of `eltwise_avx512` (with IFMA for moduli below 2^50), whose
//! results are bit-identical to the [`scalar`] code's, which serves every other CPU
//! and target, and moduli that are powers of two.
//!
//! Inputs are residues in [0, q) unless a function says otherwise; all slices of one
//! call have the same length (the functions panic otherwise). In-place forms are
//! `*_assign`; out-of-place forms write every value of an [`Output`], which may be
//! uninitialised (a vector's spare capacity), so that a result is written in one pass
//! without zeroing its buffer first.

#[cfg(target_arch = "x86_64")]
use super::eltwise_avx512 as avx;
use super::zq::Modulus;
use std::mem::MaybeUninit;

mod sealed {
    pub trait Sealed {}
    impl Sealed for [u64] {}
    impl Sealed for [std::mem::MaybeUninit<u64>] {}
}

/// A slice the out-of-place functions overwrite entirely: initialised (`[u64]`) or not
/// (`[MaybeUninit<u64>]`).
pub trait Output: sealed::Sealed {
    /// The number of values.
    fn slots(&self) -> usize;

    /// The first value; writing any u64 to the `slots()` values is sound.
    fn out_ptr(&mut self) -> *mut u64;
}

impl Output for [u64] {
    fn slots(&self) -> usize {
        self.len()
    }

    fn out_ptr(&mut self) -> *mut u64 {
        self.as_mut_ptr()
    }
}

impl Output for [MaybeUninit<u64>] {
    fn slots(&self) -> usize {
        self.len()
    }

    fn out_ptr(&mut self) -> *mut u64 {
        self.as_mut_ptr().cast()
    }
}

/// The common length of a call's slices.
#[inline]
#[track_caller]
fn common_len(n: usize, others: &[usize]) -> usize {
    assert!(
        others.iter().all(|&m| m == n),
        "element-wise operands of different lengths: {n}, {others:?}"
    );
    n
}

/// The vector kernel for q on this CPU, if any.
#[cfg(target_arch = "x86_64")]
#[inline]
fn kernel(q: &Modulus) -> Option<avx::Kernel> {
    avx::detect(q.value())
}

// Every call below: SAFETY: `detect` chose the kernel for q on this CPU, `common_len`
// checked that every slice holds n values, and an output is either a `&mut` slice
// disjoint from the inputs or, in the `*_assign` forms, the first input itself; the
// inputs' ranges are the function's documented ones. (The scalar code checks the
// lengths itself.)

/// out = a + b mod q.
pub fn add<O: Output + ?Sized>(q: &Modulus, a: &[u64], b: &[u64], out: &mut O) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[b.len(), out.slots()]);
        // SAFETY: see above.
        unsafe { avx::add(k, *q, a.as_ptr(), b.as_ptr(), out.out_ptr(), n) };
        return;
    }
    scalar::add(q, a, b, out);
}

/// a = a + b mod q.
pub fn add_assign(q: &Modulus, a: &mut [u64], b: &[u64]) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[b.len()]);
        let p = a.as_mut_ptr();
        // SAFETY: see above.
        unsafe { avx::add(k, *q, p, b.as_ptr(), p, n) };
        return;
    }
    scalar::add_assign(q, a, b);
}

/// out = a - b mod q.
pub fn sub<O: Output + ?Sized>(q: &Modulus, a: &[u64], b: &[u64], out: &mut O) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[b.len(), out.slots()]);
        // SAFETY: see above.
        unsafe { avx::sub(k, *q, a.as_ptr(), b.as_ptr(), out.out_ptr(), n) };
        return;
    }
    scalar::sub(q, a, b, out);
}

/// a = a - b mod q.
pub fn sub_assign(q: &Modulus, a: &mut [u64], b: &[u64]) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[b.len()]);
        let p = a.as_mut_ptr();
        // SAFETY: see above.
        unsafe { avx::sub(k, *q, p, b.as_ptr(), p, n) };
        return;
    }
    scalar::sub_assign(q, a, b);
}

/// out = -a mod q.
pub fn neg<O: Output + ?Sized>(q: &Modulus, a: &[u64], out: &mut O) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[out.slots()]);
        // SAFETY: see above.
        unsafe { avx::neg(k, *q, a.as_ptr(), out.out_ptr(), n) };
        return;
    }
    scalar::neg(q, a, out);
}

/// a = -a mod q.
pub fn neg_assign(q: &Modulus, a: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = a.len();
        let p = a.as_mut_ptr();
        // SAFETY: see above.
        unsafe { avx::neg(k, *q, p, p, n) };
        return;
    }
    scalar::neg_assign(q, a);
}

/// a = a + c mod q for a constant c < q.
pub fn add_scalar_assign(q: &Modulus, a: &mut [u64], c: u64) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = a.len();
        let p = a.as_mut_ptr();
        // SAFETY: see above.
        unsafe { avx::add_scalar(k, *q, p, c, p, n) };
        return;
    }
    scalar::add_scalar_assign(q, a, c);
}

/// out = a b mod q.
pub fn mul<O: Output + ?Sized>(q: &Modulus, a: &[u64], b: &[u64], out: &mut O) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[b.len(), out.slots()]);
        // SAFETY: see above.
        unsafe { avx::mul(k, *q, a.as_ptr(), b.as_ptr(), out.out_ptr(), n) };
        return;
    }
    scalar::mul(q, a, b, out);
}

/// a = a b mod q.
pub fn mul_assign(q: &Modulus, a: &mut [u64], b: &[u64]) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[b.len()]);
        let p = a.as_mut_ptr();
        // SAFETY: see above.
        unsafe { avx::mul(k, *q, p, b.as_ptr(), p, n) };
        return;
    }
    scalar::mul_assign(q, a, b);
}

/// acc = acc + a b mod q.
pub fn add_mul_assign(q: &Modulus, acc: &mut [u64], a: &[u64], b: &[u64]) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(acc.len(), &[a.len(), b.len()]);
        let p = acc.as_mut_ptr();
        // SAFETY: see above (the output is the accumulator, read as the third input).
        unsafe { avx::mul_add(k, *q, a.as_ptr(), b.as_ptr(), p, p, n) };
        return;
    }
    scalar::add_mul_assign(q, acc, a, b);
}

/// out = a w mod q for a constant w < q (by Shoup's method).
pub fn mul_scalar<O: Output + ?Sized>(q: &Modulus, a: &[u64], w: u64, out: &mut O) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[out.slots()]);
        let w = (w, q.shoup(w));
        // SAFETY: see above.
        unsafe { avx::mul_shoup(k, *q, a.as_ptr(), w, out.out_ptr(), n) };
        return;
    }
    scalar::mul_scalar(q, a, w, out);
}

/// a = a w mod q for a constant w < q (by Shoup's method).
pub fn mul_scalar_assign(q: &Modulus, a: &mut [u64], w: u64) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = a.len();
        let p = a.as_mut_ptr();
        let w = (w, q.shoup(w));
        // SAFETY: see above.
        unsafe { avx::mul_shoup(k, *q, p, w, p, n) };
        return;
    }
    scalar::mul_scalar_assign(q, a, w);
}

/// out = (a - b) w mod q for a < q, b < 4q (a lazy NTT output) and a constant w < q:
/// the last step of a division by a prime in NTT form.
pub fn sub_lazy_mul_scalar<O: Output + ?Sized>(
    q: &Modulus,
    a: &[u64],
    b: &[u64],
    w: u64,
    out: &mut O,
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[b.len(), out.slots()]);
        let w = (w, q.shoup(w));
        // SAFETY: see above.
        unsafe { avx::sub_lazy_mul_shoup(k, *q, a.as_ptr(), b.as_ptr(), w, out.out_ptr(), n) };
        return;
    }
    scalar::sub_lazy_mul_scalar(q, a, b, w, out);
}

/// a = (a - b) w mod q for a < q, b < 4q and a constant w < q, as
/// `sub_lazy_mul_scalar`.
pub fn sub_lazy_mul_scalar_assign(q: &Modulus, a: &mut [u64], b: &[u64], w: u64) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(a.len(), &[b.len()]);
        let p = a.as_mut_ptr();
        let w = (w, q.shoup(w));
        // SAFETY: see above.
        unsafe { avx::sub_lazy_mul_shoup(k, *q, p, b.as_ptr(), w, p, n) };
        return;
    }
    scalar::sub_lazy_mul_scalar_assign(q, a, b, w);
}

/// out = x mod q for any words x (e.g. residues modulo another prime).
pub fn reduce<O: Output + ?Sized>(q: &Modulus, x: &[u64], out: &mut O) {
    reduce_add_scalar(q, x, 0, out);
}

/// out = (x mod q) + c mod q for any words x and a constant c < q.
pub fn reduce_add_scalar<O: Output + ?Sized>(q: &Modulus, x: &[u64], c: u64, out: &mut O) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(x.len(), &[out.slots()]);
        // SAFETY: see above.
        unsafe { avx::reduce_add_scalar(k, *q, x.as_ptr(), c, out.out_ptr(), n) };
        return;
    }
    scalar::reduce_add_scalar(q, x, c, out);
}

/// out = x mod q for any signed words x.
pub fn reduce_i64<O: Output + ?Sized>(q: &Modulus, x: &[i64], out: &mut O) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(x.len(), &[out.slots()]);
        // SAFETY: see above; i64 and u64 share size and alignment.
        unsafe { avx::reduce_i64(k, *q, x.as_ptr().cast(), out.out_ptr(), n) };
        return;
    }
    scalar::reduce_i64(q, x, out);
}

/// The pointwise tensor product of (x0, x1) and (y0, y1):
/// out = (x0 y0, x0 y1 + x1 y0, x1 y1) mod q.
pub fn tensor<O: Output + ?Sized>(
    q: &Modulus,
    [x0, x1]: [&[u64]; 2],
    [y0, y1]: [&[u64]; 2],
    [o0, o1, o2]: [&mut O; 3],
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = kernel(q) {
        let n = common_len(
            x0.len(),
            &[
                x1.len(),
                y0.len(),
                y1.len(),
                o0.slots(),
                o1.slots(),
                o2.slots(),
            ],
        );
        let (x, y) = ([x0.as_ptr(), x1.as_ptr()], [y0.as_ptr(), y1.as_ptr()]);
        let out = [o0.out_ptr(), o1.out_ptr(), o2.out_ptr()];
        // SAFETY: see above; the three outputs are distinct `&mut` slices.
        unsafe { avx::tensor(k, *q, x, y, out, n) };
        return;
    }
    scalar::tensor(q, [x0, x1], [y0, y1], [o0, o1, o2]);
}

/// The portable code, bit-identical to the vector kernels; the dispatching functions
/// fall back to it, and tests compare with it.
pub mod scalar {
    use super::{Modulus, Output, common_len};

    /// Writes f(0), ..., f(n - 1) to `out`, which holds n values.
    #[inline]
    fn write<O: Output + ?Sized>(out: &mut O, n: usize, mut f: impl FnMut(usize) -> u64) {
        common_len(n, &[out.slots()]);
        let p = out.out_ptr();
        for i in 0..n {
            // SAFETY: i < n = out.slots(), and `Output` allows writing any u64.
            unsafe { p.add(i).write(f(i)) };
        }
    }

    pub fn add<O: Output + ?Sized>(q: &Modulus, a: &[u64], b: &[u64], out: &mut O) {
        let n = common_len(a.len(), &[b.len()]);
        write(out, n, |i| q.add(a[i], b[i]));
    }

    pub fn add_assign(q: &Modulus, a: &mut [u64], b: &[u64]) {
        common_len(a.len(), &[b.len()]);
        for (x, &y) in a.iter_mut().zip(b) {
            *x = q.add(*x, y);
        }
    }

    pub fn sub<O: Output + ?Sized>(q: &Modulus, a: &[u64], b: &[u64], out: &mut O) {
        let n = common_len(a.len(), &[b.len()]);
        write(out, n, |i| q.sub(a[i], b[i]));
    }

    pub fn sub_assign(q: &Modulus, a: &mut [u64], b: &[u64]) {
        common_len(a.len(), &[b.len()]);
        for (x, &y) in a.iter_mut().zip(b) {
            *x = q.sub(*x, y);
        }
    }

    pub fn neg<O: Output + ?Sized>(q: &Modulus, a: &[u64], out: &mut O) {
        write(out, a.len(), |i| q.neg(a[i]));
    }

    pub fn neg_assign(q: &Modulus, a: &mut [u64]) {
        for x in a.iter_mut() {
            *x = q.neg(*x);
        }
    }

    pub fn add_scalar_assign(q: &Modulus, a: &mut [u64], c: u64) {
        for x in a.iter_mut() {
            *x = q.add(*x, c);
        }
    }

    pub fn mul<O: Output + ?Sized>(q: &Modulus, a: &[u64], b: &[u64], out: &mut O) {
        let n = common_len(a.len(), &[b.len()]);
        write(out, n, |i| q.mul(a[i], b[i]));
    }

    pub fn mul_assign(q: &Modulus, a: &mut [u64], b: &[u64]) {
        common_len(a.len(), &[b.len()]);
        for (x, &y) in a.iter_mut().zip(b) {
            *x = q.mul(*x, y);
        }
    }

    pub fn add_mul_assign(q: &Modulus, acc: &mut [u64], a: &[u64], b: &[u64]) {
        common_len(acc.len(), &[a.len(), b.len()]);
        for ((z, &x), &y) in acc.iter_mut().zip(a).zip(b) {
            *z = q.add(*z, q.mul(x, y));
        }
    }

    pub fn mul_scalar<O: Output + ?Sized>(q: &Modulus, a: &[u64], w: u64, out: &mut O) {
        let ws = q.shoup(w);
        write(out, a.len(), |i| q.mul_shoup(a[i], w, ws));
    }

    pub fn mul_scalar_assign(q: &Modulus, a: &mut [u64], w: u64) {
        let ws = q.shoup(w);
        for x in a.iter_mut() {
            *x = q.mul_shoup(*x, w, ws);
        }
    }

    /// (x - y) w as (x + 2q - (y mod 2q)) w: the operand stays below 3q, so no
    /// overflow for any q < 2^62.
    #[inline]
    fn sub_lazy_mul_shoup(q: &Modulus, x: u64, y: u64, w: u64, w_shoup: u64) -> u64 {
        let two_q = 2 * q.value();
        let y = if y >= two_q { y - two_q } else { y };
        q.mul_shoup(x + two_q - y, w, w_shoup)
    }

    pub fn sub_lazy_mul_scalar<O: Output + ?Sized>(
        q: &Modulus,
        a: &[u64],
        b: &[u64],
        w: u64,
        out: &mut O,
    ) {
        let n = common_len(a.len(), &[b.len()]);
        let ws = q.shoup(w);
        write(out, n, |i| sub_lazy_mul_shoup(q, a[i], b[i], w, ws));
    }

    pub fn sub_lazy_mul_scalar_assign(q: &Modulus, a: &mut [u64], b: &[u64], w: u64) {
        common_len(a.len(), &[b.len()]);
        let ws = q.shoup(w);
        for (x, &y) in a.iter_mut().zip(b) {
            *x = sub_lazy_mul_shoup(q, *x, y, w, ws);
        }
    }

    pub fn reduce<O: Output + ?Sized>(q: &Modulus, x: &[u64], out: &mut O) {
        write(out, x.len(), |i| q.reduce(x[i]));
    }

    pub fn reduce_add_scalar<O: Output + ?Sized>(q: &Modulus, x: &[u64], c: u64, out: &mut O) {
        write(out, x.len(), |i| q.add(q.reduce(x[i]), c));
    }

    pub fn reduce_i64<O: Output + ?Sized>(q: &Modulus, x: &[i64], out: &mut O) {
        write(out, x.len(), |i| q.reduce_i64(x[i]));
    }

    pub fn tensor<O: Output + ?Sized>(
        q: &Modulus,
        [x0, x1]: [&[u64]; 2],
        [y0, y1]: [&[u64]; 2],
        [o0, o1, o2]: [&mut O; 3],
    ) {
        let n = common_len(x0.len(), &[x1.len(), y0.len(), y1.len()]);
        let wide = |x: &[u64], i: usize| x[i] as u128;
        write(o0, n, |i| q.reduce_u128(wide(x0, i) * wide(y0, i)));
        write(o1, n, |i| {
            q.reduce_u128(wide(x0, i) * wide(y1, i) + wide(x1, i) * wide(y0, i))
        });
        write(o2, n, |i| q.reduce_u128(wide(x1, i) * wide(y1, i)));
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::primes::is_prime;
    use super::*;
    use proptest::prelude::*;

    /// A SplitMix64 stream of test values.
    pub struct Values(pub u64);

    impl Values {
        pub fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// A word whose 32-bit halves are each 0, 1, 2^31 - 1, 2^31, 2^32 - 2, 2^32 - 1
        /// or random: the carries between partial products random words rarely cause.
        pub fn structured(&mut self) -> u64 {
            let mut half = || match self.next() % 7 {
                0 => 0,
                1 => 1,
                2 => 0x7fff_ffff,
                3 => 0x8000_0000,
                4 => 0xffff_fffe,
                5 => 0xffff_ffff,
                _ => self.next() & 0xffff_ffff,
            };
            half() << 32 | half()
        }

        /// A value below `bound` (> 1): an extreme (0, 1, bound - 1, bound - 2, about
        /// bound / 2), a structured word cut to the bit size of bound, or uniform.
        pub fn below(&mut self, bound: u64) -> u64 {
            let bits = 64 - bound.leading_zeros();
            let mask = if bits == 64 {
                u64::MAX
            } else {
                (1 << bits) - 1
            };
            match self.next() % 10 {
                0 => 0,
                1 => 1 % bound,
                2 => bound - 1,
                3 => bound - 2,
                4 => bound / 2,
                5 => bound / 2 + 1,
                6 | 7 => {
                    // Below 2^bits < 2 bound.
                    let s = self.structured() & mask;
                    if s >= bound { s - bound } else { s }
                }
                _ => self.next() % bound,
            }
        }

        pub fn vec_below(&mut self, n: usize, bound: u64) -> Vec<u64> {
            (0..n).map(|_| self.below(bound)).collect()
        }

        /// Any words, with the extremes and multiples of q near them.
        pub fn words(&mut self, n: usize, q: u64) -> Vec<u64> {
            (0..n)
                .map(|_| match self.next() % 10 {
                    0 => u64::MAX,
                    1 => 1 << 63,
                    2 => (1 << 63) - 1,
                    3 => (u64::MAX / q) * q,
                    4 => (u64::MAX / q) * q - 1,
                    5 => q * (self.next() % (u64::MAX / q + 1)),
                    6 => self.structured(),
                    _ => self.next(),
                })
                .collect()
        }
    }

    pub fn prime_from(mut p: u64) -> u64 {
        p |= 1;
        while !is_prime(p) {
            p += 2;
        }
        p
    }

    pub fn prime_below(mut p: u64) -> u64 {
        p = (p - 1) | 1;
        while !is_prime(p) {
            p -= 2;
        }
        p
    }

    /// The primes around the kernels' boundaries: the smallest and largest of 20 bits,
    /// around IFMA's 2^50, and the largest `Modulus` takes.
    pub fn boundary_primes() -> Vec<u64> {
        vec![
            prime_from(1 << 19),
            prime_below(1 << 20),
            prime_below(1 << 49),
            prime_from(1 << 49),
            prime_below(1 << 50),
            prime_from(1 << 50),
            prime_below(1 << 61),
            prime_below(1 << 62),
        ]
    }

    /// Moduli for the kernels: random primes of 20 to 61 bits, any odd modulus of 2 to
    /// 62 bits, and the primes around the kernels' boundaries.
    pub fn modulus() -> impl Strategy<Value = u64> {
        prop_oneof![
            (20u32..=61, any::<u64>())
                .prop_map(|(bits, r)| prime_from((1 << (bits - 1)) | (r >> (65 - bits)))),
            (2u32..=62, any::<u64>())
                .prop_map(|(bits, r)| (1 << (bits - 1)) | (r >> (65 - bits)) | 1),
            prop::sample::select(boundary_primes()),
        ]
    }

    /// The dispatching functions (the vector kernels where this CPU has them) agree
    /// with the scalar code, and the scalar code with wide-integer arithmetic, out of
    /// place (into initialised and uninitialised outputs) and in place.
    fn check_dispatch(q: u64, n: usize, seed: u64) {
        let m = Modulus::new(q);
        let mut g = Values(seed);
        let a = g.vec_below(n, q);
        let b = g.vec_below(n, q);
        let c = g.vec_below(n, q);
        let lazy = g.vec_below(n, 4 * q);
        let words = g.words(n, q);
        let ints: Vec<i64> = words.iter().map(|&x| x as i64).collect();
        let (w, k) = (g.below(q), g.below(q));
        let (q128, w128) = (q as u128, w as u128);
        let ctx = format!("q = {q}, n = {n}");

        // Out of place, into both kinds of output, checked against `want`.
        let check = |name: &str,
                     f: &dyn Fn(&mut [u64]),
                     f_uninit: &dyn Fn(&mut [MaybeUninit<u64>]),
                     g: &dyn Fn(&mut [u64]),
                     want: &dyn Fn(usize) -> u64| {
            let expected: Vec<u64> = (0..n).map(want).collect();
            let mut out = vec![u64::MAX; n];
            g(&mut out);
            assert_eq!(out, expected, "scalar {name}, {ctx}");
            let mut out = vec![u64::MAX; n];
            f(&mut out);
            assert_eq!(out, expected, "{name}, {ctx}");
            let mut buf: Vec<u64> = Vec::with_capacity(n);
            f_uninit(&mut buf.spare_capacity_mut()[..n]);
            // SAFETY: the out-of-place functions write their whole output.
            unsafe { buf.set_len(n) };
            assert_eq!(buf, expected, "{name} (uninitialised output), {ctx}");
        };
        let mq = |x: u128| (x % q128) as u64;
        check(
            "add",
            &|o| add(&m, &a, &b, o),
            &|o| add(&m, &a, &b, o),
            &|o| scalar::add(&m, &a, &b, o),
            &|i| mq(a[i] as u128 + b[i] as u128),
        );
        check(
            "sub",
            &|o| sub(&m, &a, &b, o),
            &|o| sub(&m, &a, &b, o),
            &|o| scalar::sub(&m, &a, &b, o),
            &|i| mq(a[i] as u128 + q128 - b[i] as u128),
        );
        check(
            "neg",
            &|o| neg(&m, &a, o),
            &|o| neg(&m, &a, o),
            &|o| scalar::neg(&m, &a, o),
            &|i| mq(q128 - a[i] as u128),
        );
        check(
            "mul",
            &|o| mul(&m, &a, &b, o),
            &|o| mul(&m, &a, &b, o),
            &|o| scalar::mul(&m, &a, &b, o),
            &|i| mq(a[i] as u128 * b[i] as u128),
        );
        check(
            "mul_scalar",
            &|o| mul_scalar(&m, &a, w, o),
            &|o| mul_scalar(&m, &a, w, o),
            &|o| scalar::mul_scalar(&m, &a, w, o),
            &|i| mq(a[i] as u128 * w128),
        );
        check(
            "sub_lazy_mul_scalar",
            &|o| sub_lazy_mul_scalar(&m, &a, &lazy, w, o),
            &|o| sub_lazy_mul_scalar(&m, &a, &lazy, w, o),
            &|o| scalar::sub_lazy_mul_scalar(&m, &a, &lazy, w, o),
            &|i| mq((a[i] as u128 + 4 * q128 - lazy[i] as u128) * w128),
        );
        check(
            "reduce",
            &|o| reduce(&m, &words, o),
            &|o| reduce(&m, &words, o),
            &|o| scalar::reduce(&m, &words, o),
            &|i| words[i] % q,
        );
        check(
            "reduce_add_scalar",
            &|o| reduce_add_scalar(&m, &words, k, o),
            &|o| reduce_add_scalar(&m, &words, k, o),
            &|o| scalar::reduce_add_scalar(&m, &words, k, o),
            &|i| mq((words[i] % q) as u128 + k as u128),
        );
        check(
            "reduce_i64",
            &|o| reduce_i64(&m, &ints, o),
            &|o| reduce_i64(&m, &ints, o),
            &|o| scalar::reduce_i64(&m, &ints, o),
            &|i| (ints[i] as i128).rem_euclid(q as i128) as u64,
        );
        let wide = |x: &[u64], i: usize| x[i] as u128;
        let tensor_want: [&dyn Fn(usize) -> u64; 3] = [
            &|i| mq(wide(&a, i) * wide(&c, i)),
            &|i| mq(wide(&a, i) * wide(&lazy, i) % q128 + wide(&b, i) * wide(&c, i)),
            &|i| mq(wide(&b, i) * wide(&lazy, i)),
        ];
        let y1: Vec<u64> = lazy.iter().map(|&y| y % q).collect();
        let expected: Vec<Vec<u64>> = tensor_want
            .iter()
            .map(|f| (0..n).map(f).collect())
            .collect();
        let (mut o0, mut o1, mut o2) = (vec![0; n], vec![0; n], vec![0; n]);
        tensor(
            &m,
            [&a, &b],
            [&c, &y1],
            [&mut o0[..], &mut o1[..], &mut o2[..]],
        );
        assert_eq!([o0, o1, o2].to_vec(), expected, "tensor, {ctx}");
        let (mut o0, mut o1, mut o2) = (vec![0; n], vec![0; n], vec![0; n]);
        scalar::tensor(
            &m,
            [&a, &b],
            [&c, &y1],
            [&mut o0[..], &mut o1[..], &mut o2[..]],
        );
        assert_eq!([o0, o1, o2].to_vec(), expected, "scalar tensor, {ctx}");

        // In place.
        let in_place = |name: &str,
                        f: &dyn Fn(&mut [u64]),
                        g: &dyn Fn(&mut [u64]),
                        want: &dyn Fn(usize) -> u64| {
            let expected: Vec<u64> = (0..n).map(want).collect();
            let mut x = a.clone();
            g(&mut x);
            assert_eq!(x, expected, "scalar {name}, {ctx}");
            let mut x = a.clone();
            f(&mut x);
            assert_eq!(x, expected, "{name}, {ctx}");
        };
        in_place(
            "add_assign",
            &|x| add_assign(&m, x, &b),
            &|x| scalar::add_assign(&m, x, &b),
            &|i| mq(a[i] as u128 + b[i] as u128),
        );
        in_place(
            "sub_assign",
            &|x| sub_assign(&m, x, &b),
            &|x| scalar::sub_assign(&m, x, &b),
            &|i| mq(a[i] as u128 + q128 - b[i] as u128),
        );
        in_place(
            "neg_assign",
            &|x| neg_assign(&m, x),
            &|x| scalar::neg_assign(&m, x),
            &|i| mq(q128 - a[i] as u128),
        );
        in_place(
            "add_scalar_assign",
            &|x| add_scalar_assign(&m, x, k),
            &|x| scalar::add_scalar_assign(&m, x, k),
            &|i| mq(a[i] as u128 + k as u128),
        );
        in_place(
            "mul_assign",
            &|x| mul_assign(&m, x, &b),
            &|x| scalar::mul_assign(&m, x, &b),
            &|i| mq(a[i] as u128 * b[i] as u128),
        );
        in_place(
            "add_mul_assign",
            &|x| add_mul_assign(&m, x, &b, &c),
            &|x| scalar::add_mul_assign(&m, x, &b, &c),
            &|i| mq(a[i] as u128 + b[i] as u128 * c[i] as u128),
        );
        in_place(
            "mul_scalar_assign",
            &|x| mul_scalar_assign(&m, x, w),
            &|x| scalar::mul_scalar_assign(&m, x, w),
            &|i| mq(a[i] as u128 * w128),
        );
        in_place(
            "sub_lazy_mul_scalar_assign",
            &|x| sub_lazy_mul_scalar_assign(&m, x, &lazy, w),
            &|x| scalar::sub_lazy_mul_scalar_assign(&m, x, &lazy, w),
            &|i| mq((a[i] as u128 + 4 * q128 - lazy[i] as u128) * w128),
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn dispatch_matches_scalar_and_wide_arithmetic(
            q in prop_oneof![modulus(), (2u32..62).prop_map(|k| 1u64 << k)],
            n in 0usize..70,
            seed in any::<u64>(),
        ) {
            check_dispatch(q, n, seed);
        }
    }

    #[test]
    #[should_panic(expected = "different lengths")]
    fn operands_of_different_lengths_panic() {
        let m = Modulus::new(65537);
        add_assign(&m, &mut [1, 2, 3], &[1, 2]);
    }

    #[test]
    #[should_panic(expected = "different lengths")]
    fn outputs_of_different_lengths_panic() {
        let m = Modulus::new(65537);
        mul(&m, &[1, 2, 3], &[1, 2, 3], &mut [0u64; 4][..]);
    }
}
