//! Element-wise arithmetic modulo one word-size modulus over slices: the rows of
//! [`super::poly::RnsPoly`] and the loops of RNS rescaling and key switching.
//!
//! Every function runs the process's kernel ([`super::kernel::active`]): the vector
//! kernels of `eltwise_avx2` or `eltwise_avx512` (with IFMA for moduli below 2^50),
//! whose results are bit-identical to the [`scalar`] code's, which serves every other
//! CPU and target, the scalar kernel, and the moduli a vector kernel does not cover
//! (powers of two; AVX2 also moduli of 2^61 and more).
//!
//! Inputs are residues in [0, q) unless a function says otherwise; all slices of one
//! call have the same length (the functions panic otherwise). In-place forms are
//! `*_assign`; out-of-place forms write every value of an [`Output`], which may be
//! uninitialised (a vector's spare capacity), so that a result is written in one pass
//! without zeroing its buffer first.

#[cfg(target_arch = "x86_64")]
use super::eltwise_avx2 as avx2;
#[cfg(target_arch = "x86_64")]
use super::eltwise_avx512 as avx512;
#[cfg(target_arch = "x86_64")]
use super::kernel::{self, Kernel};
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

/// A vector kernel for one modulus, with the proof that it runs on this CPU.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Vector {
    Avx2(avx2::Avx2),
    Avx512(avx512::Kernel),
}

#[cfg(target_arch = "x86_64")]
impl Vector {
    /// The vector kernel `kernel` runs for q, if any: the process's kernel where it
    /// covers q, the scalar code otherwise (powers of two, moduli above a kernel's
    /// range, and the scalar kernel itself).
    pub(super) fn for_kernel(kernel: Kernel, q: u64) -> Option<Vector> {
        match kernel {
            Kernel::Scalar => None,
            Kernel::Avx2 => avx2::Avx2::for_modulus(q).map(Vector::Avx2),
            Kernel::Avx512 => avx512::plain(q).map(Vector::Avx512),
            Kernel::Avx512Ifma => avx512::detect(q).map(Vector::Avx512),
        }
    }

    /// Every vector kernel this CPU has for q, for tests comparing each with the
    /// scalar code.
    #[cfg(test)]
    pub(super) fn supported(q: u64) -> Vec<Vector> {
        let mut v: Vec<Vector> = avx2::Avx2::for_modulus(q)
            .map(Vector::Avx2)
            .into_iter()
            .collect();
        v.extend(avx512::supported(q).into_iter().map(Vector::Avx512));
        v
    }
}

/// The vector kernel for q in this process, if any.
#[cfg(target_arch = "x86_64")]
#[inline]
fn kernel(q: &Modulus) -> Option<Vector> {
    Vector::for_kernel(kernel::active(), q.value())
}

/// Calls the kernel function `$f` of the vector kernel `$v` (AVX2 or AVX-512), which
/// take the kernel's token first and otherwise the same arguments.
#[cfg(target_arch = "x86_64")]
macro_rules! on_vector {
    ($v:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $v {
            Vector::Avx2(t) => avx2::$f(t, $($arg),*),
            Vector::Avx512(k) => avx512::$f(k, $($arg),*),
        }
    };
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
        unsafe { on_vector!(k, add(*q, a.as_ptr(), b.as_ptr(), out.out_ptr(), n)) };
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
        unsafe { on_vector!(k, add(*q, p, b.as_ptr(), p, n)) };
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
        unsafe { on_vector!(k, sub(*q, a.as_ptr(), b.as_ptr(), out.out_ptr(), n)) };
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
        unsafe { on_vector!(k, sub(*q, p, b.as_ptr(), p, n)) };
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
        unsafe { on_vector!(k, neg(*q, a.as_ptr(), out.out_ptr(), n)) };
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
        unsafe { on_vector!(k, neg(*q, p, p, n)) };
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
        unsafe { on_vector!(k, add_scalar(*q, p, c, p, n)) };
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
        unsafe { on_vector!(k, mul(*q, a.as_ptr(), b.as_ptr(), out.out_ptr(), n)) };
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
        unsafe { on_vector!(k, mul(*q, p, b.as_ptr(), p, n)) };
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
        unsafe { on_vector!(k, mul_add(*q, a.as_ptr(), b.as_ptr(), p, p, n)) };
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
        unsafe { on_vector!(k, mul_shoup(*q, a.as_ptr(), w, out.out_ptr(), n)) };
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
        unsafe { on_vector!(k, mul_shoup(*q, p, w, p, n)) };
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
        unsafe {
            on_vector!(
                k,
                sub_lazy_mul_shoup(*q, a.as_ptr(), b.as_ptr(), w, out.out_ptr(), n)
            )
        };
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
        unsafe { on_vector!(k, sub_lazy_mul_shoup(*q, p, b.as_ptr(), w, p, n)) };
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
        unsafe { on_vector!(k, reduce_add_scalar(*q, x.as_ptr(), c, out.out_ptr(), n)) };
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
        unsafe { on_vector!(k, reduce_i64(*q, x.as_ptr().cast(), out.out_ptr(), n)) };
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
        unsafe { on_vector!(k, tensor(*q, x, y, out, n)) };
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

/// Every vector kernel this CPU has (AVX2, AVX-512, IFMA), called directly, against
/// the scalar code.
#[cfg(all(test, target_arch = "x86_64"))]
mod vector_tests {
    use super::tests::{Values, boundary_primes, modulus, prime_below};
    use super::*;
    use super::{avx2, avx512};
    use proptest::prelude::*;

    /// Runs a kernel into a fresh output.
    fn out_of(n: usize, f: impl FnOnce(*mut u64)) -> Vec<u64> {
        let mut out = vec![0xdead_beef; n];
        f(out.as_mut_ptr());
        out
    }

    /// Every kernel this CPU has for q against the scalar code, out of place and in
    /// place, on n values of each operand.
    fn check_kernels(q: u64, n: usize, seed: u64) {
        let m = Modulus::new(q);
        let mut g = Values(seed);
        let a = g.vec_below(n, q);
        let b = g.vec_below(n, q);
        let c = g.vec_below(n, q);
        let lazy = g.vec_below(n, 4 * q);
        let words = g.words(n, q);
        let (w, k) = (g.below(q), g.below(q));
        let expect = |f: &dyn Fn(&mut [u64])| {
            let mut out = vec![0; n];
            f(&mut out);
            out
        };
        let sum = expect(&|o| scalar::add(&m, &a, &b, o));
        let diff = expect(&|o| scalar::sub(&m, &a, &b, o));
        let negated = expect(&|o| scalar::neg(&m, &a, o));
        let prod = expect(&|o| scalar::mul(&m, &a, &b, o));
        let scaled = expect(&|o| scalar::mul_scalar(&m, &a, w, o));
        let reduced = expect(&|o| scalar::reduce_add_scalar(&m, &words, k, o));
        let ints: Vec<i64> = words.iter().map(|&x| x as i64).collect();
        let reduced_i64 = expect(&|o| scalar::reduce_i64(&m, &ints, o));
        let mut fma = c.clone();
        scalar::add_mul_assign(&m, &mut fma, &a, &b);
        let mut plus_k = a.clone();
        scalar::add_scalar_assign(&m, &mut plus_k, k);
        let mut divided = a.clone();
        scalar::sub_lazy_mul_scalar_assign(&m, &mut divided, &lazy, w);
        let (mut t0, mut t1, mut t2) = (vec![0; n], vec![0; n], vec![0; n]);
        scalar::tensor(
            &m,
            [&a, &b],
            [&c, &lazy.iter().map(|&x| x % q).collect::<Vec<_>>()],
            [&mut t0[..], &mut t1[..], &mut t2[..]],
        );
        let y1: Vec<u64> = lazy.iter().map(|&x| x % q).collect();
        let shoup = (w, m.shoup(w));
        for kernel in Vector::supported(q) {
            let ctx = format!("q = {q}, n = {n}, {kernel:?}");
            let (pa, pb, pc) = (a.as_ptr(), b.as_ptr(), c.as_ptr());
            // SAFETY (every call below): `supported` lists kernels this CPU runs for
            // q; every operand holds n values in its documented range; outputs are
            // fresh vectors of n values or, in place, the first operand.
            unsafe {
                assert_eq!(
                    out_of(n, |o| on_vector!(kernel, add(m, pa, pb, o, n))),
                    sum,
                    "add, {ctx}"
                );
                assert_eq!(
                    out_of(n, |o| on_vector!(kernel, sub(m, pa, pb, o, n))),
                    diff,
                    "sub, {ctx}"
                );
                assert_eq!(
                    out_of(n, |o| on_vector!(kernel, neg(m, pa, o, n))),
                    negated,
                    "neg, {ctx}"
                );
                assert_eq!(
                    out_of(n, |o| on_vector!(kernel, mul(m, pa, pb, o, n))),
                    prod,
                    "mul, {ctx}"
                );
                let out = out_of(n, |o| on_vector!(kernel, mul_add(m, pa, pb, pc, o, n)));
                assert_eq!(out, fma, "mul_add, {ctx}");
                let out = out_of(n, |o| on_vector!(kernel, mul_shoup(m, pa, shoup, o, n)));
                assert_eq!(out, scaled, "mul_shoup, {ctx}");
                let out = out_of(n, |o| on_vector!(kernel, add_scalar(m, pa, k, o, n)));
                assert_eq!(out, plus_k, "add_scalar, {ctx}");
                let out = out_of(n, |o| {
                    on_vector!(kernel, reduce_add_scalar(m, words.as_ptr(), k, o, n))
                });
                assert_eq!(out, reduced, "reduce_add_scalar, {ctx}");
                let out = out_of(n, |o| {
                    on_vector!(kernel, reduce_i64(m, words.as_ptr(), o, n))
                });
                assert_eq!(out, reduced_i64, "reduce_i64, {ctx}");
                let lz = lazy.as_ptr();
                let out = out_of(n, |o| {
                    on_vector!(kernel, sub_lazy_mul_shoup(m, pa, lz, shoup, o, n))
                });
                assert_eq!(out, divided, "sub_lazy_mul_shoup, {ctx}");
                let (mut u0, mut u1, mut u2) = (vec![0; n], vec![0; n], vec![0; n]);
                let outs = [u0.as_mut_ptr(), u1.as_mut_ptr(), u2.as_mut_ptr()];
                on_vector!(kernel, tensor(m, [pa, pb], [pc, y1.as_ptr()], outs, n));
                assert_eq!((&u0, &u1, &u2), (&t0, &t1, &t2), "tensor, {ctx}");

                // In place: the output is the first operand.
                let in_place = |f: &dyn Fn(*mut u64)| {
                    let mut x = a.clone();
                    f(x.as_mut_ptr());
                    x
                };
                assert_eq!(
                    in_place(&|p| on_vector!(kernel, add(m, p, pb, p, n))),
                    sum,
                    "add=, {ctx}"
                );
                assert_eq!(
                    in_place(&|p| on_vector!(kernel, sub(m, p, pb, p, n))),
                    diff,
                    "sub=, {ctx}"
                );
                assert_eq!(
                    in_place(&|p| on_vector!(kernel, neg(m, p, p, n))),
                    negated,
                    "neg=, {ctx}"
                );
                assert_eq!(
                    in_place(&|p| on_vector!(kernel, mul(m, p, pb, p, n))),
                    prod,
                    "mul=, {ctx}"
                );
                let out = in_place(&|p| on_vector!(kernel, mul_shoup(m, p, shoup, p, n)));
                assert_eq!(out, scaled, "mul_shoup=, {ctx}");
                let out =
                    in_place(&|p| on_vector!(kernel, sub_lazy_mul_shoup(m, p, lz, shoup, p, n)));
                assert_eq!(out, divided, "sub_lazy_mul_shoup=, {ctx}");
                let mut acc = c.clone();
                let p = acc.as_mut_ptr();
                on_vector!(kernel, mul_add(m, pa, pb, p, p, n));
                assert_eq!(acc, fma, "mul_add=, {ctx}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        /// Every kernel matches the scalar code, on lengths around multiples of 4 and 8.
        #[test]
        fn kernels_match_scalar(q in modulus(), n in 0usize..70, seed in any::<u64>()) {
            check_kernels(q, n, seed);
        }
    }

    #[test]
    fn coverage() {
        let cpu = crate::he::math::kernel::CpuFeatures::detect();
        let names: Vec<&str> = cpu.kernels().iter().map(|k| k.name()).collect();
        eprintln!(
            "element-wise kernels compared with scalar: {} (this CPU: {})",
            names.join(", "),
            cpu.describe()
        );
        assert!(
            !Vector::supported(3).is_empty() || !cpu.avx2,
            "AVX2 serves q = 3"
        );
    }

    /// Long inputs of the extreme moduli: more chances of every extreme pairing.
    #[test]
    fn kernels_match_scalar_on_extreme_moduli() {
        let moduli = [3, 5, 7, (1 << 32) - 1, (1 << 32) + 1, (1 << 62) - 1];
        for (i, q) in moduli.into_iter().chain(boundary_primes()).enumerate() {
            check_kernels(q, 4096 + 3, i as u64);
        }
    }

    #[test]
    fn avx512_detection() {
        for q in [1u64 << 20, 1 << 40, 1 << 61, 1 << 62, (1 << 62) + 1, 2] {
            assert_eq!(avx512::detect(q), None, "{q}");
        }
        if let Some(kernel) = avx512::detect(3) {
            assert_eq!(avx512::detect((1 << 50) + 1), Some(avx512::Kernel::Avx512));
            assert_eq!(
                avx512::detect(prime_below(1 << 62)),
                Some(avx512::Kernel::Avx512)
            );
            let small = avx512::detect(prime_below(1 << 50)).unwrap();
            assert_eq!(small, kernel);
            assert!(avx512::supported(3).contains(&avx512::Kernel::Avx512));
        }
        for q in [3, 5, prime_below(1 << 50), prime_below(1 << 61)] {
            assert_eq!(
                avx2::Avx2::for_modulus(q).is_some(),
                is_x86_feature_detected!("avx2"),
                "{q}"
            );
        }
        for q in [1u64 << 20, 2, 1 << 61, prime_below(1 << 62)] {
            assert_eq!(avx2::Avx2::for_modulus(q), None, "{q}");
        }
    }
}
