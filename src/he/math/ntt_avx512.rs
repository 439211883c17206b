//! AVX-512 kernels for the negacyclic NTT of [`super::ntt`], after Intel HEXL
//! (F. Boemer et al., "Intel HEXL: Accelerating Homomorphic Encryption with Intel
//! AVX512-IFMA52", WAHC 2021): the same Harvey butterflies as the scalar code, eight
//! 64-bit lanes at a time.
//!
//! Every lane computes exactly what the scalar code computes, including Shoup's
//! quotient floor(y w' / 2^64), so the results are bit-identical to the scalar path
//! (lazy outputs included). The quotient comes from one of two kernels:
//! - [`Kernel::Avx512`], any q: four 32x32 -> 64 products (`vpmuludq`) assembled into
//!   the high word of the 64x64 product (one shift is opaque inline assembly, or LLVM
//!   turns the whole into eight scalar `mul`s);
//! - [`Kernel::Avx512Ifma`], q < 2^50, so every operand is below 4q < 2^52: with
//!   w' = wh 2^52 + wl, y w' = 2^52 (y wh + hi52(y wl)) + lo52(y wl), hence
//!   floor(y w' / 2^64) = floor((y wh + hi52(y wl)) / 2^12): one 52-bit multiply-add
//!   on the 64-bit product y wh, which cannot overflow (y wh + 2^52 < 2^52 2^12); and
//!   y w - qhat q, known to lie in [0, 2q), from its value modulo 2^52.
//!
//! Layout: the stages with half-block t >= 16 run on whole vectors with broadcast
//! twiddles, two stages per pass over memory where possible (radix 4); the four stages
//! with t = 8, 4, 2, 1 run together on 16 values held in two registers, re-paired by
//! permutations between stages. The inverse merges its last stage (two when N >= 64)
//! with the scaling by 1/N, and the forward its final reduction with its last stage.
//!
//! Bounds, as in the scalar code (q < 2^62, so 4q < 2^64 and no sum wraps; heml's
//! primes have at most 61 bits):
//! - forward, x, y < 4q: x -> min(x, x - 2q) < 2q (when x < 2q the difference wraps
//!   to 2^64 - (2q - x) > x, so the unsigned minimum keeps x); s = y w mod q in
//!   [0, 2q) for any 64-bit y (Harvey); outputs x + s < 4q and x + 2q - s in (0, 4q);
//! - inverse, x, y < 2q: x + y < 4q -> min(x + y, x + y - 2q) < 2q; x + 2q - y < 4q
//!   -> (x + 2q - y) w in [0, 2q); the last stage's Shoup products, of values below
//!   4q, end in [0, 2q) and one conditional subtraction brings them to [0, q).

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

/// The AVX-512 kernel a table runs; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kernel {
    /// AVX-512F/DQ, any modulus below 2^61.
    Avx512,
    /// AVX-512F/DQ/IFMA, moduli below 2^50.
    Avx512Ifma,
}

/// The fastest kernel this CPU supports for modulus q, None without AVX-512F/DQ.
pub(super) fn detect(q: u64) -> Option<Kernel> {
    let cpu = super::kernel::CpuFeatures::detect();
    if !cpu.avx512 {
        return None;
    }
    if q < IFMA_BOUND && cpu.avx512ifma {
        Some(Kernel::Avx512Ifma)
    } else {
        Some(Kernel::Avx512)
    }
}

/// Every kernel this CPU supports for modulus q, for tests comparing each with the
/// scalar path.
#[cfg(test)]
pub(super) fn supported(q: u64) -> Vec<Kernel> {
    // Scoped like `detect`: Avx512 whenever AVX-512F/DQ exist, IFMA when it applies.
    let mut v = Vec::new();
    if detect(q).is_some() {
        v.push(Kernel::Avx512);
    }
    if detect(q) == Some(Kernel::Avx512Ifma) {
        v.push(Kernel::Avx512Ifma);
    }
    v
}

/// Moduli below this bound keep every operand below 4q <= 2^52 for IFMA.
const IFMA_BOUND: u64 = 1 << 50;

/// The per-prime constants the last inverse stage needs: 1/N and psi^-brev(1)/N
/// with their Shoup constants.
#[derive(Clone, Copy, Debug)]
pub(super) struct InverseScale {
    pub n_inv: u64,
    pub n_inv_shoup: u64,
    pub last_root: u64,
    pub last_root_shoup: u64,
}

/// In-place forward transform of `a` (length N = 2^k >= 16, values below 4q), with the
/// twiddles psi^brev(k) of `roots` and their Shoup constants; output in [0, 4q), or in
/// [0, q) with `reduce`.
///
/// # Safety
/// `kernel` must come from [`detect`] (or, in tests, `supported`) on this CPU for this q.
pub(super) unsafe fn forward(
    kernel: Kernel,
    a: &mut [u64],
    q: u64,
    roots: &[u64],
    roots_shoup: &[u64],
    reduce: bool,
) {
    check(kernel, a, q, roots, roots_shoup);
    // SAFETY: the caller guarantees the CPU features each kernel enables.
    unsafe {
        match kernel {
            Kernel::Avx512 => forward_avx512(a, q, roots, roots_shoup, reduce),
            Kernel::Avx512Ifma => forward_ifma(a, q, roots, roots_shoup, reduce),
        }
    }
}

/// In-place inverse transform of `a` (length N = 2^k >= 16, values below 2q), with the
/// twiddles psi^-brev(k) of `roots` and their Shoup constants; output in [0, q).
///
/// # Safety
/// As for [`forward`].
pub(super) unsafe fn inverse(
    kernel: Kernel,
    a: &mut [u64],
    q: u64,
    roots: &[u64],
    roots_shoup: &[u64],
    scale: InverseScale,
) {
    check(kernel, a, q, roots, roots_shoup);
    // SAFETY: the caller guarantees the CPU features each kernel enables.
    unsafe {
        match kernel {
            Kernel::Avx512 => inverse_avx512(a, q, roots, roots_shoup, scale),
            Kernel::Avx512Ifma => inverse_ifma(a, q, roots, roots_shoup, scale),
        }
    }
}

/// The kernels' memory accesses stay in bounds when the first two hold, their
/// arithmetic is exact when the last two do.
fn check(kernel: Kernel, a: &[u64], q: u64, roots: &[u64], roots_shoup: &[u64]) {
    let n = a.len();
    assert!(n >= 16 && n.is_power_of_two(), "NTT length {n}");
    assert!(
        roots.len() == n && roots_shoup.len() == n,
        "NTT twiddle tables"
    );
    assert!(q < 1 << 62, "NTT modulus {q}");
    assert!(
        kernel != Kernel::Avx512Ifma || q < IFMA_BOUND,
        "IFMA modulus {q}"
    );
}

#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn forward_avx512(a: &mut [u64], q: u64, roots: &[u64], shoup: &[u64], reduce: bool) {
    // SAFETY: this function's features are those `Mul64` needs; `check` held.
    unsafe { forward_impl(Mul64::new(q), a, q, roots, shoup, reduce) }
}

#[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
unsafe fn forward_ifma(a: &mut [u64], q: u64, roots: &[u64], shoup: &[u64], reduce: bool) {
    // SAFETY: this function's features are those `Mul52` needs; `check` held.
    unsafe { forward_impl(Mul52::new(q), a, q, roots, shoup, reduce) }
}

#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn inverse_avx512(a: &mut [u64], q: u64, roots: &[u64], shoup: &[u64], scale: InverseScale) {
    // SAFETY: this function's features are those `Mul64` needs; `check` held.
    unsafe { inverse_impl(Mul64::new(q), a, q, roots, shoup, scale) }
}

#[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
unsafe fn inverse_ifma(a: &mut [u64], q: u64, roots: &[u64], shoup: &[u64], scale: InverseScale) {
    // SAFETY: this function's features are those `Mul52` needs; `check` held.
    unsafe { inverse_impl(Mul52::new(q), a, q, roots, shoup, scale) }
}

/// Lane-wise Shoup multiplication y w mod q in [0, 2q), bit-identical to
/// `Modulus::mul_shoup_lazy`.
trait ShoupMul: Copy {
    /// A twiddle w < q with its Shoup constant, in the form `mul_lazy` uses.
    type Twiddle: Copy;

    /// # Safety
    /// The implementation's CPU features must be available.
    unsafe fn twiddle(self, w: __m512i, w_shoup: __m512i) -> Self::Twiddle;

    /// # Safety
    /// The implementation's CPU features must be available; y below 4q.
    unsafe fn mul_lazy(self, y: __m512i, w: Self::Twiddle) -> __m512i;
}

/// Shoup products for any q from 32-bit multiplies.
#[derive(Clone, Copy)]
struct Mul64 {
    q: __m512i,
}

impl Mul64 {
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn new(q: u64) -> Self {
        Self {
            q: _mm512_set1_epi64(q as i64),
        }
    }
}

impl ShoupMul for Mul64 {
    /// (w, w', w' >> 32).
    type Twiddle = (__m512i, __m512i, __m512i);

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq")]
    unsafe fn twiddle(self, w: __m512i, w_shoup: __m512i) -> Self::Twiddle {
        (w, w_shoup, _mm512_srli_epi64::<32>(w_shoup))
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq")]
    unsafe fn mul_lazy(self, y: __m512i, (w, ws, ws_hi): Self::Twiddle) -> __m512i {
        // High word of y w' from y = y1 2^32 + y0 and w' = w1 2^32 + w0 (any words):
        // c1 = y0 w1 + hi(y0 w0) and c2 = y1 w0 + lo(c1) fit in 64 bits, and
        // y w' = 2^64 (y1 w1 + hi(c1) + hi(c2)) + 2^32 lo(c2) + lo(y0 w0).
        // y1 comes from an opaque shift: LLVM otherwise recognises the whole as a
        // 64x64 -> 128 product and lowers it to eight scalar `mul`s.
        let y_hi = super::eltwise_avx512::high_half(y);
        let p00 = _mm512_mul_epu32(y, ws);
        let p01 = _mm512_mul_epu32(y, ws_hi);
        let p10 = _mm512_mul_epu32(y_hi, ws);
        let p11 = _mm512_mul_epu32(y_hi, ws_hi);
        let c1 = _mm512_add_epi64(p01, _mm512_srli_epi64::<32>(p00));
        let c2 = _mm512_add_epi64(p10, _mm512_and_si512(c1, _mm512_set1_epi64(0xffff_ffff)));
        let qhat = _mm512_add_epi64(
            _mm512_add_epi64(p11, _mm512_srli_epi64::<32>(c1)),
            _mm512_srli_epi64::<32>(c2),
        );
        _mm512_sub_epi64(_mm512_mullo_epi64(y, w), _mm512_mullo_epi64(qhat, self.q))
    }
}

/// Shoup products for q < 2^50 from 52-bit multiply-adds (see the module docs).
#[derive(Clone, Copy)]
struct Mul52 {
    /// 2^52 - q, so that lo52(qhat (2^52 - q)) = -qhat q mod 2^52.
    neg_q: __m512i,
    mask52: __m512i,
}

impl Mul52 {
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn new(q: u64) -> Self {
        Self {
            neg_q: _mm512_set1_epi64(((1u64 << 52) - q) as i64),
            mask52: _mm512_set1_epi64(((1u64 << 52) - 1) as i64),
        }
    }
}

impl ShoupMul for Mul52 {
    /// (w, w' mod 2^52, w' >> 52).
    type Twiddle = (__m512i, __m512i, __m512i);

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    unsafe fn twiddle(self, w: __m512i, w_shoup: __m512i) -> Self::Twiddle {
        (
            w,
            _mm512_and_si512(w_shoup, self.mask52),
            _mm512_srli_epi64::<52>(w_shoup),
        )
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    unsafe fn mul_lazy(self, y: __m512i, (w, wl, wh): Self::Twiddle) -> __m512i {
        // y < 2^52 and wh < 2^12: y wh (exact in a word) + hi52(y wl) < 2^64, and
        // its top 52 bits are floor(y w' / 2^64) < y < 2^52.
        let qhat = _mm512_srli_epi64::<12>(_mm512_madd52hi_epu64(_mm512_mullo_epi64(y, wh), y, wl));
        // y w - qhat q lies in [0, 2q) and is known modulo 2^52.
        let lo = _mm512_madd52lo_epu64(_mm512_setzero_si512(), y, w);
        _mm512_and_si512(_mm512_madd52lo_epu64(lo, qhat, self.neg_q), self.mask52)
    }
}

/// min(x, x - m) for unsigned lanes: x - m if x >= m, else x (then the difference
/// wraps to 2^64 - (m - x) > x).
#[inline(always)]
unsafe fn reduce_once(x: __m512i, m: __m512i) -> __m512i {
    // SAFETY: only inlined into the kernels, which enable AVX-512F.
    unsafe { _mm512_min_epu64(x, _mm512_sub_epi64(x, m)) }
}

/// Forward (Cooley-Tukey) butterfly: x, y < 4q -> (x + s, x + 2q - s), s = y w mod q.
#[inline(always)]
unsafe fn forward_butterfly<M: ShoupMul>(
    mul: M,
    x: __m512i,
    y: __m512i,
    w: M::Twiddle,
    two_q: __m512i,
) -> (__m512i, __m512i) {
    // SAFETY: only inlined into the kernels, which enable M's features.
    unsafe {
        let x = reduce_once(x, two_q);
        let s = mul.mul_lazy(y, w);
        (
            _mm512_add_epi64(x, s),
            _mm512_sub_epi64(_mm512_add_epi64(x, two_q), s),
        )
    }
}

/// Inverse (Gentleman-Sande) butterfly: x, y < 2q -> ((x + y) mod 2q, (x + 2q - y) w).
#[inline(always)]
unsafe fn inverse_butterfly<M: ShoupMul>(
    mul: M,
    x: __m512i,
    y: __m512i,
    w: M::Twiddle,
    two_q: __m512i,
) -> (__m512i, __m512i) {
    // SAFETY: only inlined into the kernels, which enable M's features.
    unsafe {
        let s = reduce_once(_mm512_add_epi64(x, y), two_q);
        let d = _mm512_sub_epi64(_mm512_add_epi64(x, two_q), y);
        (s, mul.mul_lazy(d, w))
    }
}

#[inline(always)]
unsafe fn load(p: *const u64) -> __m512i {
    // SAFETY: callers pass pointers to 8 readable values.
    unsafe { _mm512_loadu_epi64(p.cast()) }
}

#[inline(always)]
unsafe fn store(p: *mut u64, v: __m512i) {
    // SAFETY: callers pass pointers to 8 writable values.
    unsafe { _mm512_storeu_epi64(p.cast(), v) }
}

#[inline(always)]
unsafe fn splat(x: u64) -> __m512i {
    // SAFETY: only inlined into the kernels, which enable AVX-512F.
    unsafe { _mm512_set1_epi64(x as i64) }
}

/// Lane indices, lowest lane first.
#[inline(always)]
unsafe fn lanes(i: [i64; 8]) -> __m512i {
    // SAFETY: only inlined into the kernels, which enable AVX-512F.
    unsafe { _mm512_setr_epi64(i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]) }
}

/// Pairings of 16 values held in two registers for the stages with t = 8, 4, 2, 1,
/// block j of a stage with half-block t owning values [2tj, 2tj + 2t):
/// - t = 8: x = [0..8], y = [8..16], one twiddle r0;
/// - t = 4: x = [0..4, 8..12], y = [4..8, 12..16], twiddles [r0; 4] ++ [r1; 4];
/// - t = 2: x = [0, 1, 4, 5, 8, 9, 12, 13], y = x + 2, twiddles r0 r0 r1 r1 ... r3 r3;
/// - t = 1: x = evens, y = odds, twiddles r0 ... r7.
struct Pairings {
    dup4: __m512i,
    dup2: __m512i,
    /// From the t = 4 pairing to the t = 2 one, and back.
    pair2_x: __m512i,
    pair2_y: __m512i,
    /// From the t = 1 pairing to the t = 8 one.
    interleave_lo: __m512i,
    interleave_hi: __m512i,
    /// From the t = 8 pairing to the t = 1 one.
    evens: __m512i,
    odds: __m512i,
}

impl Pairings {
    #[inline(always)]
    unsafe fn new() -> Self {
        // SAFETY: only inlined into the kernels, which enable AVX-512F.
        unsafe {
            Self {
                dup4: lanes([0, 0, 0, 0, 1, 1, 1, 1]),
                dup2: lanes([0, 0, 1, 1, 2, 2, 3, 3]),
                pair2_x: lanes([0, 1, 8, 9, 4, 5, 12, 13]),
                pair2_y: lanes([2, 3, 10, 11, 6, 7, 14, 15]),
                interleave_lo: lanes([0, 8, 1, 9, 2, 10, 3, 11]),
                interleave_hi: lanes([4, 12, 5, 13, 6, 14, 7, 15]),
                evens: lanes([0, 2, 4, 6, 8, 10, 12, 14]),
                odds: lanes([1, 3, 5, 7, 9, 11, 13, 15]),
            }
        }
    }

    /// t = 8 -> t = 4 (and t = 4 -> t = 8: the map is an involution).
    #[inline(always)]
    unsafe fn swap8_4(&self, x: __m512i, y: __m512i) -> (__m512i, __m512i) {
        // SAFETY: only inlined into the kernels, which enable AVX-512F.
        unsafe {
            (
                _mm512_shuffle_i64x2::<0b01_00_01_00>(x, y),
                _mm512_shuffle_i64x2::<0b11_10_11_10>(x, y),
            )
        }
    }

    /// t = 4 -> t = 2 and t = 2 -> t = 4 (an involution too).
    #[inline(always)]
    unsafe fn swap4_2(&self, x: __m512i, y: __m512i) -> (__m512i, __m512i) {
        // SAFETY: only inlined into the kernels, which enable AVX-512F.
        unsafe {
            (
                _mm512_permutex2var_epi64(x, self.pair2_x, y),
                _mm512_permutex2var_epi64(x, self.pair2_y, y),
            )
        }
    }

    /// t = 2 -> t = 1 and t = 1 -> t = 2 (an involution too).
    #[inline(always)]
    unsafe fn swap2_1(&self, x: __m512i, y: __m512i) -> (__m512i, __m512i) {
        // SAFETY: only inlined into the kernels, which enable AVX-512F.
        unsafe { (_mm512_unpacklo_epi64(x, y), _mm512_unpackhi_epi64(x, y)) }
    }

    /// t = 1 -> t = 8.
    #[inline(always)]
    unsafe fn from1_to8(&self, x: __m512i, y: __m512i) -> (__m512i, __m512i) {
        // SAFETY: only inlined into the kernels, which enable AVX-512F.
        unsafe {
            (
                _mm512_permutex2var_epi64(x, self.interleave_lo, y),
                _mm512_permutex2var_epi64(x, self.interleave_hi, y),
            )
        }
    }

    /// t = 8 -> t = 1.
    #[inline(always)]
    unsafe fn from8_to1(&self, x: __m512i, y: __m512i) -> (__m512i, __m512i) {
        // SAFETY: only inlined into the kernels, which enable AVX-512F.
        unsafe {
            (
                _mm512_permutex2var_epi64(x, self.evens, y),
                _mm512_permutex2var_epi64(x, self.odds, y),
            )
        }
    }

    /// Twiddles of the t = 8 stage: the table entry at p in every lane.
    #[inline(always)]
    unsafe fn twiddles8(&self, p: *const u64) -> __m512i {
        // SAFETY: p points to a readable value; AVX-512F is enabled by the kernels.
        unsafe { splat(*p) }
    }

    /// Twiddles of the t = 4 stage: two consecutive table entries at p.
    #[inline(always)]
    unsafe fn twiddles4(&self, p: *const u64) -> __m512i {
        // SAFETY: p points to 2 readable values; AVX-512F is enabled by the kernels.
        unsafe {
            _mm512_permutexvar_epi64(self.dup4, _mm512_castsi128_si512(_mm_loadu_si128(p.cast())))
        }
    }

    /// Twiddles of the t = 2 stage: four consecutive table entries at p.
    #[inline(always)]
    unsafe fn twiddles2(&self, p: *const u64) -> __m512i {
        // SAFETY: p points to 4 readable values; AVX-512F is enabled by the kernels.
        unsafe {
            _mm512_permutexvar_epi64(
                self.dup2,
                _mm512_castsi256_si512(_mm256_loadu_si256(p.cast())),
            )
        }
    }

    /// Twiddles of the t = 1 stage: eight consecutive table entries at p.
    #[inline(always)]
    unsafe fn twiddles1(&self, p: *const u64) -> __m512i {
        // SAFETY: p points to 8 readable values.
        unsafe { load(p) }
    }
}

/// The broadcast twiddle k of a stage whose blocks span whole vectors.
#[inline(always)]
unsafe fn block_twiddle<M: ShoupMul>(
    mul: M,
    roots: *const u64,
    shoup: *const u64,
    k: usize,
) -> M::Twiddle {
    // SAFETY: callers pass k below the tables' length; the kernels enable M's features.
    unsafe { mul.twiddle(splat(*roots.add(k)), splat(*shoup.add(k))) }
}

/// The last inverse butterfly merged with the scaling by 1/N: x, y < 2q ->
/// ((x + y) / N, (x + 2q - y) w / N) fully reduced, with `last` = w / N.
#[inline(always)]
unsafe fn scaled<M: ShoupMul>(
    mul: M,
    x: __m512i,
    y: __m512i,
    n_inv: M::Twiddle,
    last: M::Twiddle,
    two_q: __m512i,
    q: __m512i,
) -> (__m512i, __m512i) {
    // SAFETY: only inlined into the kernels, which enable M's features.
    unsafe {
        let sum = _mm512_add_epi64(x, y);
        let diff = _mm512_sub_epi64(_mm512_add_epi64(x, two_q), y);
        (
            reduce_once(mul.mul_lazy(sum, n_inv), q),
            reduce_once(mul.mul_lazy(diff, last), q),
        )
    }
}

/// The forward transform; see [`forward`].
#[inline(always)]
unsafe fn forward_impl<M: ShoupMul>(
    mul: M,
    a: &mut [u64],
    q: u64,
    roots: &[u64],
    shoup: &[u64],
    reduce: bool,
) {
    let n = a.len();
    let p = a.as_mut_ptr();
    let (r, rs) = (roots.as_ptr(), shoup.as_ptr());
    // SAFETY: the entry points enable M's features and `check` held: N = 2^k >= 16
    // and both tables hold N entries. Stage (m, t) reads table entries m..2m < N and
    // values 2it + j, 2it + t + j < 2mt = N (i < m, j < t); the radix-4 passes do two
    // such stages, the in-register one the last four, reading entries at most
    // 8m + 8g + 7 < N (m = N/16, g < N/16) and values 16g + 15 < N.
    unsafe {
        let two_q = splat(2 * q);
        let mut t = n >> 1;
        let mut m = 1;
        while t >= 16 {
            if t >= 32 {
                // Stages (m, t) and (2m, t/2) on the quarters A, B, C, D of each block:
                // (A, C), (B, D) with twiddle m + i, then (A, B) and (C, D) with 2m + 2i
                // and 2m + 2i + 1.
                let h = t / 2;
                for i in 0..m {
                    let w = block_twiddle(mul, r, rs, m + i);
                    let w0 = block_twiddle(mul, r, rs, 2 * (m + i));
                    let w1 = block_twiddle(mul, r, rs, 2 * (m + i) + 1);
                    let pa = p.add(2 * i * t);
                    let (pb, pc, pd) = (pa.add(h), pa.add(t), pa.add(t + h));
                    for j in (0..h).step_by(8) {
                        let (a0, b0) = (load(pa.add(j)), load(pb.add(j)));
                        let (c0, d0) = (load(pc.add(j)), load(pd.add(j)));
                        let (a1, c1) = forward_butterfly(mul, a0, c0, w, two_q);
                        let (b1, d1) = forward_butterfly(mul, b0, d0, w, two_q);
                        let (a2, b2) = forward_butterfly(mul, a1, b1, w0, two_q);
                        let (c2, d2) = forward_butterfly(mul, c1, d1, w1, two_q);
                        store(pa.add(j), a2);
                        store(pb.add(j), b2);
                        store(pc.add(j), c2);
                        store(pd.add(j), d2);
                    }
                }
                m <<= 2;
                t >>= 2;
            } else {
                for i in 0..m {
                    let w = block_twiddle(mul, r, rs, m + i);
                    let x = p.add(2 * i * t);
                    let y = x.add(t);
                    for j in (0..t).step_by(8) {
                        let (u, v) =
                            forward_butterfly(mul, load(x.add(j)), load(y.add(j)), w, two_q);
                        store(x.add(j), u);
                        store(y.add(j), v);
                    }
                }
                m <<= 1;
                t >>= 1;
            }
        }
        // t = 8, 4, 2, 1 on 16 values at a time; m = N / 16.
        let s = Pairings::new();
        let q_vec = splat(q);
        for g in 0..n / 16 {
            let base = p.add(16 * g);
            let (x, y) = (load(base), load(base.add(8)));
            let k = m + g;
            let w = mul.twiddle(s.twiddles8(r.add(k)), s.twiddles8(rs.add(k)));
            let (x, y) = forward_butterfly(mul, x, y, w, two_q);

            let (x, y) = s.swap8_4(x, y);
            let k = 2 * m + 2 * g;
            let w = mul.twiddle(s.twiddles4(r.add(k)), s.twiddles4(rs.add(k)));
            let (x, y) = forward_butterfly(mul, x, y, w, two_q);

            let (x, y) = s.swap4_2(x, y);
            let k = 4 * m + 4 * g;
            let w = mul.twiddle(s.twiddles2(r.add(k)), s.twiddles2(rs.add(k)));
            let (x, y) = forward_butterfly(mul, x, y, w, two_q);

            let (x, y) = s.swap2_1(x, y);
            let k = 8 * m + 8 * g;
            let w = mul.twiddle(s.twiddles1(r.add(k)), s.twiddles1(rs.add(k)));
            let (mut x, mut y) = forward_butterfly(mul, x, y, w, two_q);

            if reduce {
                x = reduce_once(reduce_once(x, two_q), q_vec);
                y = reduce_once(reduce_once(y, two_q), q_vec);
            }
            let (x, y) = s.from1_to8(x, y);
            store(base, x);
            store(base.add(8), y);
        }
    }
}

/// The inverse transform; see [`inverse`].
#[inline(always)]
unsafe fn inverse_impl<M: ShoupMul>(
    mul: M,
    a: &mut [u64],
    q: u64,
    roots: &[u64],
    shoup: &[u64],
    scale: InverseScale,
) {
    let n = a.len();
    let p = a.as_mut_ptr();
    let (r, rs) = (roots.as_ptr(), shoup.as_ptr());
    // SAFETY: as in `forward_impl`, with the stages in the opposite order; stage (h, t)
    // reads table entries h..2h < N and values below 2ht = N.
    unsafe {
        let two_q = splat(2 * q);
        let q_vec = splat(q);
        // t = 1, 2, 4 (and 8 unless it is the last stage) on 16 values at a time.
        let s = Pairings::new();
        let with8 = n >= 32;
        let h = n >> 1;
        for g in 0..n / 16 {
            let base = p.add(16 * g);
            let (x, y) = s.from8_to1(load(base), load(base.add(8)));
            let k = h + 8 * g;
            let w = mul.twiddle(s.twiddles1(r.add(k)), s.twiddles1(rs.add(k)));
            let (x, y) = inverse_butterfly(mul, x, y, w, two_q);

            let (x, y) = s.swap2_1(x, y);
            let k = h / 2 + 4 * g;
            let w = mul.twiddle(s.twiddles2(r.add(k)), s.twiddles2(rs.add(k)));
            let (x, y) = inverse_butterfly(mul, x, y, w, two_q);

            let (x, y) = s.swap4_2(x, y);
            let k = h / 4 + 2 * g;
            let w = mul.twiddle(s.twiddles4(r.add(k)), s.twiddles4(rs.add(k)));
            let (x, y) = inverse_butterfly(mul, x, y, w, two_q);

            let (mut x, mut y) = s.swap8_4(x, y);
            if with8 {
                let k = h / 8 + g;
                let w = mul.twiddle(s.twiddles8(r.add(k)), s.twiddles8(rs.add(k)));
                (x, y) = inverse_butterfly(mul, x, y, w, two_q);
            }
            store(base, x);
            store(base.add(8), y);
        }
        let (mut h, mut t) = if with8 { (n >> 5, 16) } else { (1, 8) };
        while h >= 4 {
            // Stages (h, t) and (h/2, 2t) on the quarters A, B, C, D of each block of 4t:
            // (A, B) and (C, D) with twiddles h + 2i and h + 2i + 1, then (A, C), (B, D)
            // with h/2 + i.
            for i in 0..h / 2 {
                let w0 = block_twiddle(mul, r, rs, h + 2 * i);
                let w1 = block_twiddle(mul, r, rs, h + 2 * i + 1);
                let w = block_twiddle(mul, r, rs, h / 2 + i);
                let pa = p.add(4 * i * t);
                let (pb, pc, pd) = (pa.add(t), pa.add(2 * t), pa.add(3 * t));
                for j in (0..t).step_by(8) {
                    let (a0, b0) = (load(pa.add(j)), load(pb.add(j)));
                    let (c0, d0) = (load(pc.add(j)), load(pd.add(j)));
                    let (a1, b1) = inverse_butterfly(mul, a0, b0, w0, two_q);
                    let (c1, d1) = inverse_butterfly(mul, c0, d0, w1, two_q);
                    let (a2, c2) = inverse_butterfly(mul, a1, c1, w, two_q);
                    let (b2, d2) = inverse_butterfly(mul, b1, d1, w, two_q);
                    store(pa.add(j), a2);
                    store(pb.add(j), b2);
                    store(pc.add(j), c2);
                    store(pd.add(j), d2);
                }
            }
            h >>= 2;
            t <<= 2;
        }
        // The last stage merged with the scaling by 1/N: x' = (x + y) / N and
        // y' = (x - y) w / N, fully reduced; with the stage before it if that is left.
        let n_inv = mul.twiddle(splat(scale.n_inv), splat(scale.n_inv_shoup));
        let last = mul.twiddle(splat(scale.last_root), splat(scale.last_root_shoup));
        if h == 2 {
            let w0 = block_twiddle(mul, r, rs, 2);
            let w1 = block_twiddle(mul, r, rs, 3);
            let (pa, pb, pc, pd) = (p, p.add(t), p.add(2 * t), p.add(3 * t));
            for j in (0..t).step_by(8) {
                let (a0, b0) = (load(pa.add(j)), load(pb.add(j)));
                let (c0, d0) = (load(pc.add(j)), load(pd.add(j)));
                let (a1, b1) = inverse_butterfly(mul, a0, b0, w0, two_q);
                let (c1, d1) = inverse_butterfly(mul, c0, d0, w1, two_q);
                let (a2, c2) = scaled(mul, a1, c1, n_inv, last, two_q, q_vec);
                let (b2, d2) = scaled(mul, b1, d1, n_inv, last, two_q, q_vec);
                store(pa.add(j), a2);
                store(pb.add(j), b2);
                store(pc.add(j), c2);
                store(pd.add(j), d2);
            }
        } else {
            let y = p.add(t);
            for j in (0..t).step_by(8) {
                let (u, v) = scaled(
                    mul,
                    load(p.add(j)),
                    load(y.add(j)),
                    n_inv,
                    last,
                    two_q,
                    q_vec,
                );
                store(p.add(j), u);
                store(y.add(j), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::zq::Modulus;
    use super::*;
    use proptest::prelude::*;

    /// `Mul64::mul_lazy` lane by lane.
    #[target_feature(enable = "avx512f,avx512dq")]
    fn mul64(q: u64, y: [u64; 8], w: [u64; 8], ws: [u64; 8]) -> [u64; 8] {
        let v = |x: [u64; 8]| -> __m512i {
            // SAFETY: reads the 8 values of x.
            unsafe { load(x.as_ptr()) }
        };
        let mul = Mul64::new(q);
        // SAFETY: this function enables Mul64's features.
        let r = unsafe { mul.mul_lazy(v(y), mul.twiddle(v(w), v(ws))) };
        let mut out = [0; 8];
        // SAFETY: writes the 8 values of out.
        unsafe { store(out.as_mut_ptr(), r) };
        out
    }

    /// `Mul52::mul_lazy` lane by lane.
    #[target_feature(enable = "avx512f,avx512dq,avx512ifma")]
    fn mul52(q: u64, y: [u64; 8], w: [u64; 8], ws: [u64; 8]) -> [u64; 8] {
        let v = |x: [u64; 8]| -> __m512i {
            // SAFETY: reads the 8 values of x.
            unsafe { load(x.as_ptr()) }
        };
        let mul = Mul52::new(q);
        // SAFETY: this function enables Mul52's features.
        let r = unsafe { mul.mul_lazy(v(y), mul.twiddle(v(w), v(ws))) };
        let mut out = [0; 8];
        // SAFETY: writes the 8 values of out.
        unsafe { store(out.as_mut_ptr(), r) };
        out
    }

    /// A word whose 32-bit halves are each 0, 1, 2^31 - 1, 2^31, 2^32 - 2, 2^32 - 1
    /// or random: the carries between partial products that random words almost
    /// never exercise.
    fn structured() -> impl Strategy<Value = u64> {
        let half = prop_oneof![
            Just(0u64),
            Just(1),
            Just(0x7fff_ffff),
            Just(0x8000_0000),
            Just(0xffff_fffe),
            Just(0xffff_ffff),
            any::<u32>().prop_map(u64::from),
        ];
        (half.clone(), half).prop_map(|(hi, lo)| hi << 32 | lo)
    }

    /// The 32-bit-product kernel reproduces y w - floor(y w' / 2^64) q mod 2^64 for any
    /// words, as `Modulus::mul_shoup_lazy` computes it.
    #[test]
    #[cfg_attr(not(heml_cpu_avx512), ignore = "this CPU lacks AVX-512F/DQ")]
    fn mul64_is_exact() {
        if detect(3).is_none() {
            eprintln!(
                "skipped: this CPU lacks AVX-512F/DQ (the build-time probe said it had them)"
            );
            return;
        }
        proptest!(ProptestConfig::with_cases(2000), |(
            q in structured(),
            y in prop::array::uniform8(structured()),
            w in prop::array::uniform8(structured()),
            ws in prop::array::uniform8(structured()),
        )| {
            let m = Modulus::new(q.clamp(2, (1 << 62) - 1));
            // SAFETY: AVX-512F/DQ were detected.
            let got = unsafe { mul64(m.value(), y, w, ws) };
            for i in 0..8 {
                prop_assert_eq!(got[i], m.mul_shoup_lazy(y[i], w[i], ws[i]));
            }
        });
    }

    /// The IFMA kernel matches `Modulus::mul_shoup_lazy` for q < 2^50, w < q with its
    /// Shoup constant and y < 4q.
    #[test]
    #[cfg_attr(not(heml_cpu_avx512ifma), ignore = "this CPU lacks AVX-512 IFMA")]
    fn mul52_is_exact() {
        if detect(3) != Some(Kernel::Avx512Ifma) {
            eprintln!("skipped: this CPU lacks AVX-512 IFMA (the build-time probe said it had it)");
            return;
        }
        proptest!(ProptestConfig::with_cases(2000), |(
            q in 2u64..IFMA_BOUND,
            y in prop::array::uniform8(structured()),
            w in prop::array::uniform8(structured()),
        )| {
            let m = Modulus::new(q);
            let w = w.map(|w| w % q);
            let ws = w.map(|w| m.shoup(w));
            let y = y.map(|y| if y < 4 * q { y } else { 4 * q - 1 - y % (4 * q) });
            // SAFETY: AVX-512F/DQ/IFMA were detected.
            let got = unsafe { mul52(q, y, w, ws) };
            for i in 0..8 {
                prop_assert_eq!(got[i], m.mul_shoup_lazy(y[i], w[i], ws[i]));
            }
        });
    }
}
