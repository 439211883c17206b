//! AVX-512 kernels for the element-wise arithmetic of [`super::eltwise`], after Intel
//! HEXL's `eltwise` kernels (F. Boemer et al., "Intel HEXL: Accelerating Homomorphic
//! Encryption with Intel AVX512-IFMA52", WAHC 2021): eight 64-bit lanes at a time,
//! the elements past the last multiple of eight on the scalar code.
//!
//! Every kernel returns the fully reduced residue the scalar code (`Modulus`) returns,
//! which is exact, so the results are bit-identical. Two kernels, as in `ntt_avx512`:
//! - [`Kernel::Avx512`] (AVX-512F/DQ), any q: each 64 x 64 -> 128-bit product from four
//!   32 x 32 -> 64-bit products (`vpmuludq`); one shift is opaque inline assembly, or
//!   LLVM turns the whole into eight scalar `mul`s;
//! - [`Kernel::Avx512Ifma`] (and IFMA), q < 2^50: 52-bit multiply-adds (`vpmadd52luq`,
//!   `vpmadd52huq`) on operands below 2^52.
//!
//! Products x of residues (a b, a b + c, a b + c d) are reduced by Barrett's method with
//! the quotient estimated from the top bits of x, as HEXL's `EltwiseMultMod` does. For 2^(N-1) < q < 2^N (q not a power of two), L = 64 (52 with IFMA),
//! m = floor(2^(N-1+L) / q) < 2^L, c = floor(x / 2^(N-1)) and qhat = floor(c m / 2^L):
//! - qhat <= x / q, as c <= x / 2^(N-1) and m <= 2^(N-1+L) / q, so x - qhat q >= 0;
//! - for x >= 2^(N-1) (else c = qhat = 0 and x < q), c m / 2^L exceeds
//!   (x / 2^(N-1) - 1) (2^(N-1+L) / q - 1) / 2^L > x / q - x / 2^(N-1+L) - 2^(N-1) / q,
//!   whose two subtracted terms are below 1 while x < 2^(N-1+L) (c then has at most
//!   L bits); so qhat >= floor(x / q) - 2 and x - qhat q < 3q.
//!
//! The x reduced this way are below 2q^2 < 2^(2N+1) <= 2^(N-1+L) since N <= 62 (q <
//! 2^62, as `Modulus` requires) and N <= 50 with IFMA; x - qhat q < 3q is known from its
//! low word, or modulo 2^52 with IFMA (3q < 2^52), and two conditional subtractions
//! finish.
//!
//! Products by a constant w < q use Shoup's quotient (D. Harvey, "Faster arithmetic for
//! number-theoretic transforms", 2014): qhat = floor(a w' / 2^L) with w' = floor(w 2^L /
//! q), the `Modulus::shoup` constant for L = 64 and that constant shifted right by 12
//! for L = 52; for any a < 2^L, a w - qhat q lies in [0, 2q). A word a is reduced with
//! `Modulus::reduce`'s estimate floor(a floor(2^64 / q) / 2^64), off by at most one.
//!
//! Sums of residues stay below 2q < 2^63 and are reduced by min(s, s - q): for s < q
//! the difference wraps above s. Differences add q back under the mask a < b, as the
//! scalar code does.

#![cfg(target_arch = "x86_64")]

use super::kernel::CpuFeatures;
use super::zq::Modulus;
use std::arch::x86_64::*;

/// The AVX-512 kernel for one modulus; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kernel {
    /// AVX-512F/DQ, any modulus below 2^62 but powers of two.
    Avx512,
    /// AVX-512F/DQ/IFMA, moduli below 2^50.
    Avx512Ifma,
}

/// Moduli below this bound keep every IFMA operand below 2^52 (see the module docs).
const IFMA_BOUND: u64 = 1 << 50;

/// The fastest kernel this CPU runs for modulus q: None without AVX-512F/DQ, and for
/// the moduli the kernels do not cover (powers of two, which have no Barrett constant
/// below 2^64, and q >= 2^62, which `Modulus` rejects anyway).
pub(super) fn detect(q: u64) -> Option<Kernel> {
    let plain = plain(q)?;
    if q < IFMA_BOUND && CpuFeatures::detect().avx512ifma {
        Some(Kernel::Avx512Ifma)
    } else {
        Some(plain)
    }
}

/// The kernel without IFMA for modulus q (what `HEML_KERNEL=avx512` runs), None
/// where `detect` gives None.
pub(super) fn plain(q: u64) -> Option<Kernel> {
    (CpuFeatures::detect().avx512 && q >= 3 && !q.is_power_of_two() && q < 1 << 62)
        .then_some(Kernel::Avx512)
}

/// Every kernel this CPU runs for modulus q, for tests comparing each with the scalar
/// code.
#[cfg(test)]
pub(super) fn supported(q: u64) -> Vec<Kernel> {
    match detect(q) {
        None => vec![],
        Some(Kernel::Avx512) => vec![Kernel::Avx512],
        Some(Kernel::Avx512Ifma) => vec![Kernel::Avx512, Kernel::Avx512Ifma],
    }
}

// ----- entry points -----
//
// # Safety (all of them)
// `kernel` comes from `detect(q.value())` (or, in tests, `supported`) on this CPU;
// every input pointer is readable and every output pointer writable for `n` values;
// an output either equals an input (in place) or overlaps no input and no other
// output; and the inputs lie in the ranges each function states.

/// out = a + b mod q; a, b < q.
pub(super) unsafe fn add(
    kernel: Kernel,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract; `Add` needs AVX-512F only.
    unsafe { run(kernel, Add(q), [a, b], [out], n) }
}

/// out = a - b mod q; a, b < q.
pub(super) unsafe fn sub(
    kernel: Kernel,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract; `Sub` needs AVX-512F only.
    unsafe { run(kernel, Sub(q), [a, b], [out], n) }
}

/// out = -a mod q; a < q.
pub(super) unsafe fn neg(kernel: Kernel, q: Modulus, a: *const u64, out: *mut u64, n: usize) {
    // SAFETY: the caller's contract; `Neg` needs AVX-512F only.
    unsafe { run(kernel, Neg(q), [a], [out], n) }
}

/// out = a + c mod q; a, c < q.
pub(super) unsafe fn add_scalar(
    kernel: Kernel,
    q: Modulus,
    a: *const u64,
    c: u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract; `AddScalar` needs AVX-512F only.
    unsafe { run(kernel, AddScalar(q, c), [a], [out], n) }
}

/// out = a b mod q; a, b < q.
pub(super) unsafe fn mul(
    kernel: Kernel,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract; each engine runs under its own features.
    unsafe {
        match kernel {
            Kernel::Avx512 => run(kernel, Mul(Wide::new(q)), [a, b], [out], n),
            Kernel::Avx512Ifma => run(kernel, Mul(Ifma::new(q)), [a, b], [out], n),
        }
    }
}

/// out = c + a b mod q; a, b, c < q.
pub(super) unsafe fn mul_add(
    kernel: Kernel,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    c: *const u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: as for `mul`.
    unsafe {
        match kernel {
            Kernel::Avx512 => run(kernel, MulAdd(Wide::new(q)), [a, b, c], [out], n),
            Kernel::Avx512Ifma => run(kernel, MulAdd(Ifma::new(q)), [a, b, c], [out], n),
        }
    }
}

/// out = a w mod q for a fixed w < q with its Shoup constant `q.shoup(w)`, given as
/// (w, w'); a < q.
pub(super) unsafe fn mul_shoup(
    kernel: Kernel,
    q: Modulus,
    a: *const u64,
    (w, w_shoup): (u64, u64),
    out: *mut u64,
    n: usize,
) {
    // SAFETY: as for `mul`.
    unsafe {
        match kernel {
            Kernel::Avx512 => run(kernel, MulShoup(Wide::new(q), w, w_shoup), [a], [out], n),
            Kernel::Avx512Ifma => run(kernel, MulShoup(Ifma::new(q), w, w_shoup), [a], [out], n),
        }
    }
}

/// out = (a - b) w mod q for a < q, b < 4q (a lazy NTT output) and a fixed w < q with
/// its Shoup constant, as for `mul_shoup`.
pub(super) unsafe fn sub_lazy_mul_shoup(
    kernel: Kernel,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    (w, w_shoup): (u64, u64),
    out: *mut u64,
    n: usize,
) {
    // SAFETY: as for `mul`.
    unsafe {
        match kernel {
            Kernel::Avx512 => {
                let op = SubLazyMulShoup(Wide::new(q), w, w_shoup);
                run(kernel, op, [a, b], [out], n)
            }
            Kernel::Avx512Ifma => {
                let op = SubLazyMulShoup(Ifma::new(q), w, w_shoup);
                run(kernel, op, [a, b], [out], n)
            }
        }
    }
}

/// out = (a mod q) + c mod q for any words a and c < q.
pub(super) unsafe fn reduce_add_scalar(
    kernel: Kernel,
    q: Modulus,
    a: *const u64,
    c: u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract; `ReduceAdd` needs AVX-512F/DQ.
    unsafe { run(kernel, ReduceAdd::new(q, c), [a], [out], n) }
}

/// out = a mod q for signed words a, read through `a` as their two's complement bits.
pub(super) unsafe fn reduce_i64(
    kernel: Kernel,
    q: Modulus,
    a: *const u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract; `ReduceI64` needs AVX-512F/DQ.
    unsafe { run(kernel, ReduceI64(ReduceAdd::new(q, 0)), [a], [out], n) }
}

/// The tensor product of (x0, x1) and (y0, y1): out = (x0 y0, x0 y1 + x1 y0, x1 y1)
/// mod q; all inputs below q.
pub(super) unsafe fn tensor(
    kernel: Kernel,
    q: Modulus,
    x: [*const u64; 2],
    y: [*const u64; 2],
    out: [*mut u64; 3],
    n: usize,
) {
    let src = [x[0], x[1], y[0], y[1]];
    // SAFETY: as for `mul`.
    unsafe {
        match kernel {
            Kernel::Avx512 => run(kernel, Tensor(Wide::new(q)), src, out, n),
            Kernel::Avx512Ifma => run(kernel, Tensor(Ifma::new(q)), src, out, n),
        }
    }
}

// ----- the loop -----

/// An element-wise operation with I inputs and O outputs: eight lanes at a time, and
/// one element at a time for the tail.
trait Lanes<const I: usize, const O: usize>: Copy {
    /// # Safety
    /// The CPU features of the kernel the operation is run under (see `run`); the
    /// inputs in the operation's ranges.
    unsafe fn lanes(self, x: [__m512i; I]) -> [__m512i; O];

    /// The scalar code, for the tail.
    fn one(self, x: [u64; I]) -> [u64; O];
}

/// Runs `op` under the features of `kernel`.
///
/// # Safety
/// As for the entry points.
#[inline(always)]
unsafe fn run<const I: usize, const O: usize, L: Lanes<I, O>>(
    kernel: Kernel,
    op: L,
    src: [*const u64; I],
    dst: [*mut u64; O],
    n: usize,
) {
    // SAFETY: the caller guarantees the features of `kernel` and the pointers' extent.
    unsafe {
        match kernel {
            Kernel::Avx512 => run_avx512(op, src, dst, n),
            Kernel::Avx512Ifma => run_ifma(op, src, dst, n),
        }
    }
}

#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn run_avx512<const I: usize, const O: usize, L: Lanes<I, O>>(
    op: L,
    src: [*const u64; I],
    dst: [*mut u64; O],
    n: usize,
) {
    // SAFETY: operations run under `Kernel::Avx512` need no more than AVX-512F/DQ.
    unsafe { run_loop(op, src, dst, n) }
}

#[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
unsafe fn run_ifma<const I: usize, const O: usize, L: Lanes<I, O>>(
    op: L,
    src: [*const u64; I],
    dst: [*mut u64; O],
    n: usize,
) {
    // SAFETY: operations run under `Kernel::Avx512Ifma` need no more than
    // AVX-512F/DQ/IFMA.
    unsafe { run_loop(op, src, dst, n) }
}

/// The loop itself, inlined into the `run_*` functions so that `op` is compiled with
/// their features. All eight lanes of a group are loaded before any is stored, so an
/// output may be an input.
#[inline(always)]
unsafe fn run_loop<const I: usize, const O: usize, L: Lanes<I, O>>(
    op: L,
    src: [*const u64; I],
    dst: [*mut u64; O],
    n: usize,
) {
    // SAFETY: the pointers are valid for n values (the entry points' contract) and
    // i + 8 <= n, resp. i < n, at every access; the features are enabled by the caller.
    unsafe {
        let full = n - n % 8;
        let mut i = 0;
        while i < full {
            let mut x = [_mm512_setzero_si512(); I];
            for (v, p) in x.iter_mut().zip(src) {
                *v = _mm512_loadu_epi64(p.add(i).cast());
            }
            let y = op.lanes(x);
            for (v, p) in y.into_iter().zip(dst) {
                _mm512_storeu_epi64(p.add(i).cast(), v);
            }
            i += 8;
        }
        while i < n {
            let mut x = [0u64; I];
            for (v, p) in x.iter_mut().zip(src) {
                *v = p.add(i).read();
            }
            let y = op.one(x);
            for (v, p) in y.into_iter().zip(dst) {
                p.add(i).write(v);
            }
            i += 1;
        }
    }
}

// ----- lane arithmetic -----
//
// The helpers below are only inlined into the `run_*` functions (through `Lanes`),
// which enable AVX-512F/DQ, and IFMA for the `Ifma` engine.

#[inline(always)]
unsafe fn splat(x: u64) -> __m512i {
    // SAFETY: AVX-512F is enabled by the callers.
    unsafe { _mm512_set1_epi64(x as i64) }
}

/// min(x, x - m): x - m if x >= m, else x (the difference then wraps above x).
#[inline(always)]
unsafe fn reduce_once(x: __m512i, m: __m512i) -> __m512i {
    // SAFETY: AVX-512F is enabled by the callers.
    unsafe { _mm512_min_epu64(x, _mm512_sub_epi64(x, m)) }
}

/// a + b mod q for a + b < 2q, as `Modulus::add`.
#[inline(always)]
unsafe fn add_mod(a: __m512i, b: __m512i, q: __m512i) -> __m512i {
    // SAFETY: AVX-512F is enabled by the callers.
    unsafe { reduce_once(_mm512_add_epi64(a, b), q) }
}

/// a - b, plus q where a < b, as `Modulus::sub` (wrapping).
#[inline(always)]
unsafe fn sub_mod(a: __m512i, b: __m512i, q: __m512i) -> __m512i {
    // SAFETY: AVX-512F is enabled by the callers.
    unsafe {
        let d = _mm512_sub_epi64(a, b);
        _mm512_mask_add_epi64(d, _mm512_cmplt_epu64_mask(a, b), d, q)
    }
}

/// x >> 32 in every lane, opaque to LLVM: it otherwise recognises the products below
/// as 64 x 64 -> 128-bit multiplications and lowers them to eight scalar `mul`s.
/// (`#[inline]` with the feature the register class needs; always inlined into the
/// kernels, which enable it.)
/// Shared with the NTT kernels.
#[inline]
#[target_feature(enable = "avx512f")]
pub(super) fn high_half(x: __m512i) -> __m512i {
    let hi: __m512i;
    // SAFETY: a register-only AVX-512F instruction; this function enables AVX-512F.
    unsafe {
        core::arch::asm!(
            "vpsrlq {hi}, {x}, 32",
            hi = lateout(zmm_reg) hi,
            x = in(zmm_reg) x,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    hi
}

/// The four 32 x 32 -> 64-bit partial products of a = a1 2^32 + a0 and
/// b = b1 2^32 + b0, b1 given: (a0 b0, c1, c2, a1 b1) with c1 = a0 b1 + hi(a0 b0) and
/// c2 = a1 b0 + lo(c1), neither of which overflows, so that
/// a b = 2^64 (a1 b1 + hi(c1) + hi(c2)) + 2^32 lo(c2) + lo(a0 b0).
#[inline(always)]
unsafe fn partial_products(
    a: __m512i,
    b: __m512i,
    b_hi: __m512i,
) -> (__m512i, __m512i, __m512i, __m512i) {
    // SAFETY: AVX-512F is enabled by the callers.
    unsafe {
        let a_hi = high_half(a);
        let p00 = _mm512_mul_epu32(a, b);
        let c1 = _mm512_add_epi64(_mm512_mul_epu32(a, b_hi), _mm512_srli_epi64::<32>(p00));
        let c2 = _mm512_add_epi64(
            _mm512_mul_epu32(a_hi, b),
            _mm512_and_si512(c1, splat(0xffff_ffff)),
        );
        (p00, c1, c2, _mm512_mul_epu32(a_hi, b_hi))
    }
}

/// floor(a b / 2^64), b1 = b >> 32 given (hoisted for constants).
#[inline(always)]
unsafe fn mul_hi(a: __m512i, b: __m512i, b_hi: __m512i) -> __m512i {
    // SAFETY: AVX-512F is enabled by the callers.
    unsafe {
        let (_, c1, c2, p11) = partial_products(a, b, b_hi);
        _mm512_add_epi64(
            _mm512_add_epi64(p11, _mm512_srli_epi64::<32>(c1)),
            _mm512_srli_epi64::<32>(c2),
        )
    }
}

/// The 128-bit product a b as (high word, low word).
#[inline(always)]
unsafe fn mul_wide(a: __m512i, b: __m512i) -> (__m512i, __m512i) {
    // SAFETY: AVX-512F is enabled by the callers.
    unsafe {
        let (p00, c1, c2, p11) = partial_products(a, b, _mm512_srli_epi64::<32>(b));
        let hi = _mm512_add_epi64(
            _mm512_add_epi64(p11, _mm512_srli_epi64::<32>(c1)),
            _mm512_srli_epi64::<32>(c2),
        );
        let lo = _mm512_or_si512(
            _mm512_slli_epi64::<32>(c2),
            _mm512_and_si512(p00, splat(0xffff_ffff)),
        );
        (hi, lo)
    }
}

/// Modular products, in lanes.
trait Engine: Copy {
    fn modulus(self) -> Modulus;

    /// a b mod q; a, b < q.
    ///
    /// # Safety
    /// The engine's CPU features.
    unsafe fn mul(self, a: __m512i, b: __m512i) -> __m512i;

    /// a b + c mod q; a, b, c < q.
    ///
    /// # Safety
    /// As for `mul`.
    unsafe fn mul_add(self, a: __m512i, b: __m512i, c: __m512i) -> __m512i;

    /// a b + c d mod q; all below q.
    ///
    /// # Safety
    /// As for `mul`.
    unsafe fn dot2(self, a: __m512i, b: __m512i, c: __m512i, d: __m512i) -> __m512i;

    /// a w mod q for a fixed w < q with its (64-bit) Shoup constant; a below 2^52
    /// (any word for the 64-bit engine), e.g. below 3q.
    ///
    /// # Safety
    /// As for `mul`.
    unsafe fn mul_shoup(self, a: __m512i, w: u64, w_shoup: u64) -> __m512i;
}

/// The 64-bit engine: products from 32-bit multiplies, any q (see the module docs).
#[derive(Clone, Copy)]
struct Wide {
    q: Modulus,
    /// N - 1 and 65 - N for 2^(N-1) < q < 2^N.
    shift: u64,
    shift_back: u64,
    /// floor(2^(N + 63) / q), below 2^64.
    barrett: u64,
}

impl Wide {
    fn new(q: Modulus) -> Self {
        let bits = q.bits();
        Self {
            q,
            shift: u64::from(bits - 1),
            shift_back: u64::from(65 - bits),
            barrett: ((1u128 << (bits + 63)) / u128::from(q.value())) as u64,
        }
    }

    /// x mod q for x = 2^64 hi + lo < 2^(N + 63).
    #[inline(always)]
    unsafe fn reduce(self, hi: __m512i, lo: __m512i) -> __m512i {
        // SAFETY: AVX-512F/DQ are enabled by the callers.
        unsafe {
            let q = splat(self.q.value());
            // x >> (N - 1), below 2^64.
            let c = _mm512_or_si512(
                _mm512_srl_epi64(lo, _mm_cvtsi64_si128(self.shift as i64)),
                _mm512_sll_epi64(hi, _mm_cvtsi64_si128(self.shift_back as i64)),
            );
            let qhat = mul_hi(c, splat(self.barrett), splat(self.barrett >> 32));
            // x - qhat q in [0, 3q), from its low word.
            let r = _mm512_sub_epi64(lo, _mm512_mullo_epi64(qhat, q));
            reduce_once(reduce_once(r, q), q)
        }
    }
}

impl Engine for Wide {
    fn modulus(self) -> Modulus {
        self.q
    }

    #[inline(always)]
    unsafe fn mul(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F/DQ are enabled by the callers.
        unsafe {
            let (hi, lo) = mul_wide(a, b);
            self.reduce(hi, lo)
        }
    }

    #[inline(always)]
    unsafe fn mul_add(self, a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        // SAFETY: AVX-512F/DQ are enabled by the callers.
        unsafe { add_mod(self.mul(a, b), c, splat(self.q.value())) }
    }

    #[inline(always)]
    unsafe fn dot2(self, a: __m512i, b: __m512i, c: __m512i, d: __m512i) -> __m512i {
        // SAFETY: AVX-512F/DQ are enabled by the callers.
        unsafe {
            let (h0, l0) = mul_wide(a, b);
            let (h1, l1) = mul_wide(c, d);
            let lo = _mm512_add_epi64(l0, l1);
            let carry = _mm512_cmplt_epu64_mask(lo, l0);
            let hi = _mm512_add_epi64(h0, h1);
            let hi = _mm512_mask_add_epi64(hi, carry, hi, splat(1));
            self.reduce(hi, lo)
        }
    }

    #[inline(always)]
    unsafe fn mul_shoup(self, a: __m512i, w: u64, w_shoup: u64) -> __m512i {
        // SAFETY: AVX-512F/DQ are enabled by the callers.
        unsafe {
            let q = splat(self.q.value());
            let qhat = mul_hi(a, splat(w_shoup), splat(w_shoup >> 32));
            let r = _mm512_sub_epi64(_mm512_mullo_epi64(a, splat(w)), _mm512_mullo_epi64(qhat, q));
            reduce_once(r, q)
        }
    }
}

/// The IFMA engine, q < 2^50 (see the module docs).
#[derive(Clone, Copy)]
struct Ifma {
    q: Modulus,
    /// N - 1 and 53 - N for 2^(N-1) < q < 2^N.
    shift: u64,
    shift_back: u64,
    /// floor(2^(N + 51) / q), below 2^52.
    barrett: u64,
}

const MASK52: u64 = (1 << 52) - 1;

impl Ifma {
    fn new(q: Modulus) -> Self {
        let bits = q.bits();
        debug_assert!(q.value() < IFMA_BOUND);
        Self {
            q,
            shift: u64::from(bits - 1),
            shift_back: u64::from(53 - bits),
            barrett: ((1u128 << (bits + 51)) / u128::from(q.value())) as u64,
        }
    }

    /// x mod q for x = 2^52 hi + lo < 2^(N + 51), lo < 2^63.
    #[inline(always)]
    unsafe fn reduce(self, hi: __m512i, lo: __m512i) -> __m512i {
        // SAFETY: AVX-512F/DQ/IFMA are enabled by the callers.
        unsafe {
            let q = splat(self.q.value());
            // x >> (N - 1) = hi 2^(53 - N) + (lo >> (N - 1)), below 2^52.
            let c = _mm512_add_epi64(
                _mm512_srl_epi64(lo, _mm_cvtsi64_si128(self.shift as i64)),
                _mm512_sll_epi64(hi, _mm_cvtsi64_si128(self.shift_back as i64)),
            );
            let qhat = _mm512_madd52hi_epu64(_mm512_setzero_si512(), c, splat(self.barrett));
            // x - qhat q in [0, 3q) from its value modulo 2^52: lo - qhat q mod 2^52,
            // as lo + lo52(qhat (2^52 - q)).
            let neg_q = splat((1 << 52) - self.q.value());
            let r = _mm512_and_si512(_mm512_madd52lo_epu64(lo, qhat, neg_q), splat(MASK52));
            reduce_once(reduce_once(r, q), q)
        }
    }
}

impl Engine for Ifma {
    fn modulus(self) -> Modulus {
        self.q
    }

    #[inline(always)]
    unsafe fn mul(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: AVX-512F/DQ/IFMA are enabled by the callers.
        unsafe {
            let zero = _mm512_setzero_si512();
            let lo = _mm512_madd52lo_epu64(zero, a, b);
            let hi = _mm512_madd52hi_epu64(zero, a, b);
            self.reduce(hi, lo)
        }
    }

    #[inline(always)]
    unsafe fn mul_add(self, a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        // SAFETY: AVX-512F/DQ/IFMA are enabled by the callers.
        unsafe {
            // lo = c + lo52(a b) < 2^53.
            let lo = _mm512_madd52lo_epu64(c, a, b);
            let hi = _mm512_madd52hi_epu64(_mm512_setzero_si512(), a, b);
            self.reduce(hi, lo)
        }
    }

    #[inline(always)]
    unsafe fn dot2(self, a: __m512i, b: __m512i, c: __m512i, d: __m512i) -> __m512i {
        // SAFETY: AVX-512F/DQ/IFMA are enabled by the callers.
        unsafe {
            let zero = _mm512_setzero_si512();
            let lo = _mm512_madd52lo_epu64(_mm512_madd52lo_epu64(zero, a, b), c, d);
            let hi = _mm512_madd52hi_epu64(_mm512_madd52hi_epu64(zero, a, b), c, d);
            self.reduce(hi, lo)
        }
    }

    #[inline(always)]
    unsafe fn mul_shoup(self, a: __m512i, w: u64, w_shoup: u64) -> __m512i {
        // SAFETY: AVX-512F/DQ/IFMA are enabled by the callers.
        unsafe {
            let zero = _mm512_setzero_si512();
            let q = splat(self.q.value());
            // floor(w 2^52 / q) = floor(w' / 2^12); qhat = floor(a w'' / 2^52), and
            // a w - qhat q in [0, 2q) for a < 2^52 from its value modulo 2^52.
            let qhat = _mm512_madd52hi_epu64(zero, a, splat(w_shoup >> 12));
            let neg_q = splat((1 << 52) - self.q.value());
            let lo = _mm512_madd52lo_epu64(zero, a, splat(w));
            let r = _mm512_and_si512(_mm512_madd52lo_epu64(lo, qhat, neg_q), splat(MASK52));
            reduce_once(r, q)
        }
    }
}

// ----- the operations -----

#[derive(Clone, Copy)]
struct Add(Modulus);

impl Lanes<2, 1> for Add {
    #[inline(always)]
    unsafe fn lanes(self, [a, b]: [__m512i; 2]) -> [__m512i; 1] {
        // SAFETY: AVX-512F is enabled by `run`.
        unsafe { [add_mod(a, b, splat(self.0.value()))] }
    }

    fn one(self, [a, b]: [u64; 2]) -> [u64; 1] {
        [self.0.add(a, b)]
    }
}

#[derive(Clone, Copy)]
struct Sub(Modulus);

impl Lanes<2, 1> for Sub {
    #[inline(always)]
    unsafe fn lanes(self, [a, b]: [__m512i; 2]) -> [__m512i; 1] {
        // SAFETY: AVX-512F is enabled by `run`.
        unsafe { [sub_mod(a, b, splat(self.0.value()))] }
    }

    fn one(self, [a, b]: [u64; 2]) -> [u64; 1] {
        [self.0.sub(a, b)]
    }
}

#[derive(Clone, Copy)]
struct Neg(Modulus);

impl Lanes<1, 1> for Neg {
    #[inline(always)]
    unsafe fn lanes(self, [a]: [__m512i; 1]) -> [__m512i; 1] {
        // SAFETY: AVX-512F is enabled by `run`.
        unsafe {
            // q - a where a != 0, else 0.
            let nonzero = _mm512_test_epi64_mask(a, a);
            [_mm512_maskz_sub_epi64(nonzero, splat(self.0.value()), a)]
        }
    }

    fn one(self, [a]: [u64; 1]) -> [u64; 1] {
        [self.0.neg(a)]
    }
}

#[derive(Clone, Copy)]
struct AddScalar(Modulus, u64);

impl Lanes<1, 1> for AddScalar {
    #[inline(always)]
    unsafe fn lanes(self, [a]: [__m512i; 1]) -> [__m512i; 1] {
        // SAFETY: AVX-512F is enabled by `run`.
        unsafe { [add_mod(a, splat(self.1), splat(self.0.value()))] }
    }

    fn one(self, [a]: [u64; 1]) -> [u64; 1] {
        [self.0.add(a, self.1)]
    }
}

#[derive(Clone, Copy)]
struct Mul<E>(E);

impl<E: Engine> Lanes<2, 1> for Mul<E> {
    #[inline(always)]
    unsafe fn lanes(self, [a, b]: [__m512i; 2]) -> [__m512i; 1] {
        // SAFETY: `run` enables the engine's features.
        unsafe { [self.0.mul(a, b)] }
    }

    fn one(self, [a, b]: [u64; 2]) -> [u64; 1] {
        [self.0.modulus().mul(a, b)]
    }
}

#[derive(Clone, Copy)]
struct MulAdd<E>(E);

impl<E: Engine> Lanes<3, 1> for MulAdd<E> {
    #[inline(always)]
    unsafe fn lanes(self, [a, b, c]: [__m512i; 3]) -> [__m512i; 1] {
        // SAFETY: `run` enables the engine's features.
        unsafe { [self.0.mul_add(a, b, c)] }
    }

    fn one(self, [a, b, c]: [u64; 3]) -> [u64; 1] {
        let q = self.0.modulus();
        [q.add(c, q.mul(a, b))]
    }
}

/// a w for a fixed w with its Shoup constant.
#[derive(Clone, Copy)]
struct MulShoup<E>(E, u64, u64);

impl<E: Engine> Lanes<1, 1> for MulShoup<E> {
    #[inline(always)]
    unsafe fn lanes(self, [a]: [__m512i; 1]) -> [__m512i; 1] {
        // SAFETY: `run` enables the engine's features.
        unsafe { [self.0.mul_shoup(a, self.1, self.2)] }
    }

    fn one(self, [a]: [u64; 1]) -> [u64; 1] {
        [self.0.modulus().mul_shoup(a, self.1, self.2)]
    }
}

/// (a - b) w, b < 4q, as a + 2q - (b mod 2q) < 3q times w.
#[derive(Clone, Copy)]
struct SubLazyMulShoup<E>(E, u64, u64);

impl<E: Engine> Lanes<2, 1> for SubLazyMulShoup<E> {
    #[inline(always)]
    unsafe fn lanes(self, [a, b]: [__m512i; 2]) -> [__m512i; 1] {
        // SAFETY: `run` enables the engine's features.
        unsafe {
            let two_q = splat(2 * self.0.modulus().value());
            let d = _mm512_sub_epi64(_mm512_add_epi64(a, two_q), reduce_once(b, two_q));
            [self.0.mul_shoup(d, self.1, self.2)]
        }
    }

    fn one(self, [a, b]: [u64; 2]) -> [u64; 1] {
        let q = self.0.modulus();
        let two_q = 2 * q.value();
        let b = if b >= two_q { b - two_q } else { b };
        [q.mul_shoup(a + two_q - b, self.1, self.2)]
    }
}

/// (a mod q) + c mod q for any word a: single-word Barrett as `Modulus::reduce`.
#[derive(Clone, Copy)]
struct ReduceAdd {
    q: Modulus,
    /// floor(2^64 / q) (q is not a power of two).
    ratio: u64,
    c: u64,
}

impl ReduceAdd {
    fn new(q: Modulus, c: u64) -> Self {
        Self {
            q,
            ratio: u64::MAX / q.value(),
            c,
        }
    }

    /// a mod q for any word a.
    #[inline(always)]
    unsafe fn reduce(self, a: __m512i) -> __m512i {
        // SAFETY: AVX-512F/DQ are enabled by `run`.
        unsafe {
            let q = splat(self.q.value());
            // The estimate floor(a floor(2^64 / q) / 2^64) is off by at most one.
            let qhat = mul_hi(a, splat(self.ratio), splat(self.ratio >> 32));
            reduce_once(_mm512_sub_epi64(a, _mm512_mullo_epi64(qhat, q)), q)
        }
    }
}

impl Lanes<1, 1> for ReduceAdd {
    #[inline(always)]
    unsafe fn lanes(self, [a]: [__m512i; 1]) -> [__m512i; 1] {
        // SAFETY: AVX-512F/DQ are enabled by `run`.
        unsafe {
            [add_mod(
                self.reduce(a),
                splat(self.c),
                splat(self.q.value()),
            )]
        }
    }

    fn one(self, [a]: [u64; 1]) -> [u64; 1] {
        [self.q.add(self.q.reduce(a), self.c)]
    }
}

/// a mod q for signed a: |a| mod q, negated for negative a.
#[derive(Clone, Copy)]
struct ReduceI64(ReduceAdd);

impl Lanes<1, 1> for ReduceI64 {
    #[inline(always)]
    unsafe fn lanes(self, [a]: [__m512i; 1]) -> [__m512i; 1] {
        // SAFETY: AVX-512F/DQ are enabled by `run`.
        unsafe {
            // |i64::MIN| = 2^63 as an unsigned word, as `unsigned_abs`.
            let r = self.0.reduce(_mm512_abs_epi64(a));
            let negate =
                _mm512_cmplt_epi64_mask(a, _mm512_setzero_si512()) & _mm512_test_epi64_mask(r, r);
            [_mm512_mask_sub_epi64(r, negate, splat(self.0.q.value()), r)]
        }
    }

    fn one(self, [a]: [u64; 1]) -> [u64; 1] {
        [self.0.q.reduce_i64(a as i64)]
    }
}

#[derive(Clone, Copy)]
struct Tensor<E>(E);

impl<E: Engine> Lanes<4, 3> for Tensor<E> {
    #[inline(always)]
    unsafe fn lanes(self, [x0, x1, y0, y1]: [__m512i; 4]) -> [__m512i; 3] {
        // SAFETY: `run` enables the engine's features.
        unsafe {
            [
                self.0.mul(x0, y0),
                self.0.dot2(x0, y1, x1, y0),
                self.0.mul(x1, y1),
            ]
        }
    }

    fn one(self, [x0, x1, y0, y1]: [u64; 4]) -> [u64; 3] {
        let q = self.0.modulus();
        let (x0, x1, y0, y1) = (x0 as u128, x1 as u128, y0 as u128, y1 as u128);
        [
            q.reduce_u128(x0 * y0),
            q.reduce_u128(x0 * y1 + x1 * y0),
            q.reduce_u128(x1 * y1),
        ]
    }
}
