//! AVX2 kernels for the element-wise arithmetic of [`super::eltwise`]: four 64-bit
//! lanes at a time, the elements past the last multiple of four on the scalar code.
//!
//! The arithmetic is that of `eltwise_avx512`'s 64-bit engine (see its module
//! documentation for the bounds): 64 x 64 -> 128-bit products from four 32 x 32 ->
//! 64-bit products (`vpmuludq`), Barrett reduction with the quotient estimated from
//! the top bits of the product, Shoup products by constants, and single-word
//! Barrett for reducing arbitrary words. Every kernel returns the fully reduced
//! residue, so the results are bit-identical to the scalar code's.
//!
//! What AVX2 lacks is emulated: the low word of a 64 x 64-bit product from three
//! 32-bit products, and unsigned comparisons by signed ones, which is exact because
//! every compared value stays below 2^63: sums of residues below 2q, Barrett and
//! Shoup remainders below 3q, lazy inputs below 4q, all with q < 2^61 ([`MAX_Q`]).
//! Larger moduli (and powers of two) take the scalar code.

#![cfg(target_arch = "x86_64")]

use super::ntt_avx2::high_half;
use super::zq::Modulus;
use std::arch::x86_64::*;

/// Moduli below this bound keep every compared value below 2^63.
pub(super) const MAX_Q: u64 = 1 << 61;

/// Proof that the AVX2 kernels run on this CPU for one modulus: made only by
/// [`Avx2::for_modulus`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Avx2(());

impl Avx2 {
    /// The kernel for q, None if this CPU lacks AVX2 or q is out of the kernels'
    /// range (q < 3, powers of two, q >= 2^61).
    pub(super) fn for_modulus(q: u64) -> Option<Avx2> {
        (q >= 3 && !q.is_power_of_two() && q < MAX_Q && super::kernel::CpuFeatures::detect().avx2)
            .then_some(Avx2(()))
    }
}

// ----- entry points -----
//
// # Safety (all of them)
// The token comes from `Avx2::for_modulus(q.value())`; every input pointer is
// readable and every output pointer writable for `n` values; an output either equals
// an input (in place) or overlaps no input and no other output; and the inputs lie
// in the ranges each function states.

/// out = a + b mod q; a, b < q.
pub(super) unsafe fn add(
    _: Avx2,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract.
    unsafe { run(Add(q), [a, b], [out], n) }
}

/// out = a - b mod q; a, b < q.
pub(super) unsafe fn sub(
    _: Avx2,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract.
    unsafe { run(Sub(q), [a, b], [out], n) }
}

/// out = -a mod q; a < q.
pub(super) unsafe fn neg(_: Avx2, q: Modulus, a: *const u64, out: *mut u64, n: usize) {
    // SAFETY: the caller's contract.
    unsafe { run(Neg(q), [a], [out], n) }
}

/// out = a + c mod q; a, c < q.
pub(super) unsafe fn add_scalar(
    _: Avx2,
    q: Modulus,
    a: *const u64,
    c: u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract.
    unsafe { run(AddScalar(q, c), [a], [out], n) }
}

/// out = a b mod q; a, b < q.
pub(super) unsafe fn mul(
    _: Avx2,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract.
    unsafe { run(Mul(Wide::new(q)), [a, b], [out], n) }
}

/// out = c + a b mod q; a, b, c < q.
pub(super) unsafe fn mul_add(
    _: Avx2,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    c: *const u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract.
    unsafe { run(MulAdd(Wide::new(q)), [a, b, c], [out], n) }
}

/// out = a w mod q for a fixed w < q with its Shoup constant, given as (w, w'); a < q.
pub(super) unsafe fn mul_shoup(
    _: Avx2,
    q: Modulus,
    a: *const u64,
    (w, w_shoup): (u64, u64),
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract.
    unsafe { run(MulShoup(Wide::new(q), w, w_shoup), [a], [out], n) }
}

/// out = (a - b) w mod q for a < q, b < 4q (a lazy NTT output) and a fixed w < q with
/// its Shoup constant, as for `mul_shoup`.
pub(super) unsafe fn sub_lazy_mul_shoup(
    _: Avx2,
    q: Modulus,
    a: *const u64,
    b: *const u64,
    (w, w_shoup): (u64, u64),
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract.
    unsafe { run(SubLazyMulShoup(Wide::new(q), w, w_shoup), [a, b], [out], n) }
}

/// out = (a mod q) + c mod q for any words a and c < q.
pub(super) unsafe fn reduce_add_scalar(
    _: Avx2,
    q: Modulus,
    a: *const u64,
    c: u64,
    out: *mut u64,
    n: usize,
) {
    // SAFETY: the caller's contract.
    unsafe { run(ReduceAdd::new(q, c), [a], [out], n) }
}

/// out = a mod q for signed words a, read through `a` as their two's complement bits.
pub(super) unsafe fn reduce_i64(_: Avx2, q: Modulus, a: *const u64, out: *mut u64, n: usize) {
    // SAFETY: the caller's contract.
    unsafe { run(ReduceI64(ReduceAdd::new(q, 0)), [a], [out], n) }
}

/// The tensor product of (x0, x1) and (y0, y1): out = (x0 y0, x0 y1 + x1 y0, x1 y1)
/// mod q; all inputs below q.
pub(super) unsafe fn tensor(
    _: Avx2,
    q: Modulus,
    x: [*const u64; 2],
    y: [*const u64; 2],
    out: [*mut u64; 3],
    n: usize,
) {
    // SAFETY: the caller's contract.
    unsafe { run(Tensor(Wide::new(q)), [x[0], x[1], y[0], y[1]], out, n) }
}

// ----- the loop -----

/// An element-wise operation with I inputs and O outputs: four lanes at a time, and
/// one element at a time for the tail.
trait Lanes<const I: usize, const O: usize>: Copy {
    /// # Safety
    /// AVX2; the inputs in the operation's ranges.
    unsafe fn lanes(self, x: [__m256i; I]) -> [__m256i; O];

    /// The scalar code, for the tail.
    fn one(self, x: [u64; I]) -> [u64; O];
}

/// The loop, compiled with AVX2 so that `op` is. All four lanes of a group are
/// loaded before any is stored, so an output may be an input.
///
/// # Safety
/// As for the entry points.
#[target_feature(enable = "avx2")]
unsafe fn run<const I: usize, const O: usize, L: Lanes<I, O>>(
    op: L,
    src: [*const u64; I],
    dst: [*mut u64; O],
    n: usize,
) {
    // SAFETY: the pointers are valid for n values (the entry points' contract) and
    // i + 4 <= n, resp. i < n, at every access; this function enables AVX2.
    unsafe {
        let full = n - n % 4;
        let mut i = 0;
        while i < full {
            let mut x = [_mm256_setzero_si256(); I];
            for (v, p) in x.iter_mut().zip(src) {
                *v = _mm256_loadu_si256(p.add(i).cast());
            }
            let y = op.lanes(x);
            for (v, p) in y.into_iter().zip(dst) {
                _mm256_storeu_si256(p.add(i).cast(), v);
            }
            i += 4;
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
// The helpers below are only inlined into `run` (through `Lanes`), which enables
// AVX2.

#[inline(always)]
unsafe fn splat(x: u64) -> __m256i {
    // SAFETY: AVX2 is enabled by the callers.
    unsafe { _mm256_set1_epi64x(x as i64) }
}

/// x - m if x >= m, else x, for x, m < 2^63.
#[inline(always)]
unsafe fn reduce_once(x: __m256i, m: __m256i) -> __m256i {
    // SAFETY: AVX2 is enabled by the callers.
    unsafe { _mm256_sub_epi64(x, _mm256_andnot_si256(_mm256_cmpgt_epi64(m, x), m)) }
}

/// a + b mod q for a + b < 2q, as `Modulus::add`.
#[inline(always)]
unsafe fn add_mod(a: __m256i, b: __m256i, q: __m256i) -> __m256i {
    // SAFETY: AVX2 is enabled by the callers.
    unsafe { reduce_once(_mm256_add_epi64(a, b), q) }
}

/// a - b, plus q where a < b, as `Modulus::sub`; a, b < q.
#[inline(always)]
unsafe fn sub_mod(a: __m256i, b: __m256i, q: __m256i) -> __m256i {
    // SAFETY: AVX2 is enabled by the callers.
    unsafe {
        let d = _mm256_sub_epi64(a, b);
        _mm256_add_epi64(d, _mm256_and_si256(_mm256_cmpgt_epi64(b, a), q))
    }
}

/// The low word of a b, b1 = b >> 32 given.
#[inline(always)]
unsafe fn mul_lo(a: __m256i, b: __m256i, b_hi: __m256i) -> __m256i {
    // SAFETY: AVX2 is enabled by the callers.
    unsafe {
        let cross = _mm256_add_epi64(_mm256_mul_epu32(a, b_hi), _mm256_mul_epu32(high_half(a), b));
        _mm256_add_epi64(_mm256_mul_epu32(a, b), _mm256_slli_epi64::<32>(cross))
    }
}

/// The four 32 x 32 -> 64-bit partial products of a = a1 2^32 + a0 and
/// b = b1 2^32 + b0, b1 given: (a0 b0, c1, c2, a1 b1) with c1 = a0 b1 + hi(a0 b0) and
/// c2 = a1 b0 + lo(c1), neither of which overflows, so that
/// a b = 2^64 (a1 b1 + hi(c1) + hi(c2)) + 2^32 lo(c2) + lo(a0 b0).
#[inline(always)]
unsafe fn partial_products(
    a: __m256i,
    b: __m256i,
    b_hi: __m256i,
) -> (__m256i, __m256i, __m256i, __m256i) {
    // SAFETY: AVX2 is enabled by the callers.
    unsafe {
        let a_hi = high_half(a);
        let p00 = _mm256_mul_epu32(a, b);
        let c1 = _mm256_add_epi64(_mm256_mul_epu32(a, b_hi), _mm256_srli_epi64::<32>(p00));
        let c2 = _mm256_add_epi64(
            _mm256_mul_epu32(a_hi, b),
            _mm256_and_si256(c1, splat(0xffff_ffff)),
        );
        (p00, c1, c2, _mm256_mul_epu32(a_hi, b_hi))
    }
}

/// floor(a b / 2^64), b1 = b >> 32 given (hoisted for constants).
#[inline(always)]
unsafe fn mul_hi(a: __m256i, b: __m256i, b_hi: __m256i) -> __m256i {
    // SAFETY: AVX2 is enabled by the callers.
    unsafe {
        let (_, c1, c2, p11) = partial_products(a, b, b_hi);
        _mm256_add_epi64(
            _mm256_add_epi64(p11, _mm256_srli_epi64::<32>(c1)),
            _mm256_srli_epi64::<32>(c2),
        )
    }
}

/// The 128-bit product a b as (high word, low word).
#[inline(always)]
unsafe fn mul_wide(a: __m256i, b: __m256i) -> (__m256i, __m256i) {
    // SAFETY: AVX2 is enabled by the callers.
    unsafe {
        let (p00, c1, c2, p11) = partial_products(a, b, high_half(b));
        let hi = _mm256_add_epi64(
            _mm256_add_epi64(p11, _mm256_srli_epi64::<32>(c1)),
            _mm256_srli_epi64::<32>(c2),
        );
        let lo = _mm256_or_si256(
            _mm256_slli_epi64::<32>(c2),
            _mm256_and_si256(p00, splat(0xffff_ffff)),
        );
        (hi, lo)
    }
}

/// Products modulo q < 2^61 from 32-bit multiplies (the 64-bit engine of
/// `eltwise_avx512`, four lanes).
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
    unsafe fn reduce(self, hi: __m256i, lo: __m256i) -> __m256i {
        // SAFETY: AVX2 is enabled by the callers.
        unsafe {
            let q = splat(self.q.value());
            // x >> (N - 1), below 2^64.
            let c = _mm256_or_si256(
                _mm256_srl_epi64(lo, _mm_cvtsi64_si128(self.shift as i64)),
                _mm256_sll_epi64(hi, _mm_cvtsi64_si128(self.shift_back as i64)),
            );
            let qhat = mul_hi(c, splat(self.barrett), splat(self.barrett >> 32));
            // x - qhat q in [0, 3q), from its low word.
            let r = _mm256_sub_epi64(lo, mul_lo(qhat, q, splat(self.q.value() >> 32)));
            reduce_once(reduce_once(r, q), q)
        }
    }

    #[inline(always)]
    unsafe fn mul(self, a: __m256i, b: __m256i) -> __m256i {
        // SAFETY: AVX2 is enabled by the callers.
        unsafe {
            let (hi, lo) = mul_wide(a, b);
            self.reduce(hi, lo)
        }
    }

    /// a b + c d mod q; all below q.
    #[inline(always)]
    unsafe fn dot2(self, a: __m256i, b: __m256i, c: __m256i, d: __m256i) -> __m256i {
        // SAFETY: AVX2 is enabled by the callers.
        unsafe {
            let (h0, l0) = mul_wide(a, b);
            let (h1, l1) = mul_wide(c, d);
            let lo = _mm256_add_epi64(l0, l1);
            // The carry of the low words: lo < l0 as unsigned words.
            let sign = splat(1 << 63);
            let carry = _mm256_cmpgt_epi64(_mm256_xor_si256(l0, sign), _mm256_xor_si256(lo, sign));
            // carry is -1 where set.
            let hi = _mm256_sub_epi64(_mm256_add_epi64(h0, h1), carry);
            self.reduce(hi, lo)
        }
    }

    /// a w mod q for a fixed w < q with its Shoup constant; any word a.
    #[inline(always)]
    unsafe fn mul_shoup(self, a: __m256i, w: u64, w_shoup: u64) -> __m256i {
        // SAFETY: AVX2 is enabled by the callers.
        unsafe {
            let q = splat(self.q.value());
            let qhat = mul_hi(a, splat(w_shoup), splat(w_shoup >> 32));
            // a w - qhat q in [0, 2q), the cross terms summed before their shift.
            let (w_lo, w_hi) = (splat(w), splat(w >> 32));
            let q_hi = splat(self.q.value() >> 32);
            let low = _mm256_sub_epi64(_mm256_mul_epu32(a, w_lo), _mm256_mul_epu32(qhat, q));
            let cross = _mm256_sub_epi64(
                _mm256_add_epi64(
                    _mm256_mul_epu32(a, w_hi),
                    _mm256_mul_epu32(high_half(a), w_lo),
                ),
                _mm256_add_epi64(
                    _mm256_mul_epu32(qhat, q_hi),
                    _mm256_mul_epu32(high_half(qhat), q),
                ),
            );
            reduce_once(_mm256_add_epi64(low, _mm256_slli_epi64::<32>(cross)), q)
        }
    }
}

// ----- the operations -----

#[derive(Clone, Copy)]
struct Add(Modulus);

impl Lanes<2, 1> for Add {
    #[inline(always)]
    unsafe fn lanes(self, [a, b]: [__m256i; 2]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
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
    unsafe fn lanes(self, [a, b]: [__m256i; 2]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
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
    unsafe fn lanes(self, [a]: [__m256i; 1]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
        unsafe {
            // q - a where a != 0, else 0.
            let zero = _mm256_cmpeq_epi64(a, _mm256_setzero_si256());
            [_mm256_andnot_si256(
                zero,
                _mm256_sub_epi64(splat(self.0.value()), a),
            )]
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
    unsafe fn lanes(self, [a]: [__m256i; 1]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
        unsafe { [add_mod(a, splat(self.1), splat(self.0.value()))] }
    }

    fn one(self, [a]: [u64; 1]) -> [u64; 1] {
        [self.0.add(a, self.1)]
    }
}

#[derive(Clone, Copy)]
struct Mul(Wide);

impl Lanes<2, 1> for Mul {
    #[inline(always)]
    unsafe fn lanes(self, [a, b]: [__m256i; 2]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
        unsafe { [self.0.mul(a, b)] }
    }

    fn one(self, [a, b]: [u64; 2]) -> [u64; 1] {
        [self.0.q.mul(a, b)]
    }
}

#[derive(Clone, Copy)]
struct MulAdd(Wide);

impl Lanes<3, 1> for MulAdd {
    #[inline(always)]
    unsafe fn lanes(self, [a, b, c]: [__m256i; 3]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
        unsafe { [add_mod(self.0.mul(a, b), c, splat(self.0.q.value()))] }
    }

    fn one(self, [a, b, c]: [u64; 3]) -> [u64; 1] {
        let q = self.0.q;
        [q.add(c, q.mul(a, b))]
    }
}

/// a w for a fixed w with its Shoup constant.
#[derive(Clone, Copy)]
struct MulShoup(Wide, u64, u64);

impl Lanes<1, 1> for MulShoup {
    #[inline(always)]
    unsafe fn lanes(self, [a]: [__m256i; 1]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
        unsafe { [self.0.mul_shoup(a, self.1, self.2)] }
    }

    fn one(self, [a]: [u64; 1]) -> [u64; 1] {
        [self.0.q.mul_shoup(a, self.1, self.2)]
    }
}

/// (a - b) w, b < 4q, as a + 2q - (b mod 2q) < 3q times w.
#[derive(Clone, Copy)]
struct SubLazyMulShoup(Wide, u64, u64);

impl Lanes<2, 1> for SubLazyMulShoup {
    #[inline(always)]
    unsafe fn lanes(self, [a, b]: [__m256i; 2]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
        unsafe {
            let two_q = splat(2 * self.0.q.value());
            let d = _mm256_sub_epi64(_mm256_add_epi64(a, two_q), reduce_once(b, two_q));
            [self.0.mul_shoup(d, self.1, self.2)]
        }
    }

    fn one(self, [a, b]: [u64; 2]) -> [u64; 1] {
        let q = self.0.q;
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
    unsafe fn reduce(self, a: __m256i) -> __m256i {
        // SAFETY: AVX2 is enabled by `run`.
        unsafe {
            let q = splat(self.q.value());
            // The estimate floor(a floor(2^64 / q) / 2^64) is off by at most one, so
            // a - qhat q < 2q < 2^62.
            let qhat = mul_hi(a, splat(self.ratio), splat(self.ratio >> 32));
            let r = _mm256_sub_epi64(a, mul_lo(qhat, q, splat(self.q.value() >> 32)));
            reduce_once(r, q)
        }
    }
}

impl Lanes<1, 1> for ReduceAdd {
    #[inline(always)]
    unsafe fn lanes(self, [a]: [__m256i; 1]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
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
    unsafe fn lanes(self, [a]: [__m256i; 1]) -> [__m256i; 1] {
        // SAFETY: AVX2 is enabled by `run`.
        unsafe {
            // |a| = (a ^ s) - s with s = -1 for negative a; |i64::MIN| = 2^63 as an
            // unsigned word, as `unsigned_abs`.
            let negative = _mm256_cmpgt_epi64(_mm256_setzero_si256(), a);
            let r = self
                .0
                .reduce(_mm256_sub_epi64(_mm256_xor_si256(a, negative), negative));
            let zero = _mm256_cmpeq_epi64(r, _mm256_setzero_si256());
            let negate = _mm256_andnot_si256(zero, negative);
            let flipped = _mm256_sub_epi64(splat(self.0.q.value()), r);
            [_mm256_blendv_epi8(r, flipped, negate)]
        }
    }

    fn one(self, [a]: [u64; 1]) -> [u64; 1] {
        [self.0.q.reduce_i64(a as i64)]
    }
}

#[derive(Clone, Copy)]
struct Tensor(Wide);

impl Lanes<4, 3> for Tensor {
    #[inline(always)]
    unsafe fn lanes(self, [x0, x1, y0, y1]: [__m256i; 4]) -> [__m256i; 3] {
        // SAFETY: AVX2 is enabled by `run`.
        unsafe {
            [
                self.0.mul(x0, y0),
                self.0.dot2(x0, y1, x1, y0),
                self.0.mul(x1, y1),
            ]
        }
    }

    fn one(self, [x0, x1, y0, y1]: [u64; 4]) -> [u64; 3] {
        let q = self.0.q;
        let (x0, x1, y0, y1) = (x0 as u128, x1 as u128, y0 as u128, y1 as u128);
        [
            q.reduce_u128(x0 * y0),
            q.reduce_u128(x0 * y1 + x1 * y0),
            q.reduce_u128(x1 * y1),
        ]
    }
}
