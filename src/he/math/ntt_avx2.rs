//! AVX2 kernels for the negacyclic NTT of [`super::ntt`]: the Harvey butterflies of
//! the scalar code, four 64-bit lanes at a time, for CPUs without AVX-512 (the
//! Core i7 class the papers ran on, AMD Zen 2/3).
//!
//! Every lane computes exactly what the scalar code computes, including Shoup's
//! quotient floor(y w' / 2^64), so the results are bit-identical to the scalar path
//! (lazy outputs included). AVX2 has no 64-bit multiply, so each Shoup product takes
//! ten 32 x 32 -> 64-bit products (`vpmuludq`): four for the high word of y w', and
//! three each for the low words of y w and qhat q, of which only the difference
//! matters (it lies in [0, 2q)), so the cross terms are summed before one shift:
//! y w - qhat q = lo(y) lo(w) - lo(qhat) lo(q)
//!              + 2^32 (lo(y) hi(w) + hi(y) lo(w) - lo(qhat) hi(q) - hi(qhat) lo(q)) mod 2^64.
//! The alternatives measured against it are in `benches/ckks.rs` (`kernel/*`) and the
//! closing notes of the every-CPU issue: 64-bit scalar `mulx` (the scalar path) and
//! double-precision FMA arithmetic (not bit-identical for lazy outputs, see there).
//!
//! AVX2 also lacks unsigned 64-bit comparisons; the kernels compare as signed, which
//! is exact because every value stays below 4q < 2^63 (q < 2^61, [`MAX_Q`]).
//!
//! Layout: the stages with half-block t >= 4 run on whole vectors with broadcast
//! twiddles, two stages per pass over memory where possible (radix 4); the stages with
//! t = 2 and t = 1 run together on 8 values held in two registers, re-paired by
//! permutations between stages. The inverse merges its last stage (two when N >= 16)
//! with the scaling by 1/N, and the forward its final reduction with its last stage.
//! Bounds as in `ntt_avx512`.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

use super::ntt_avx512::InverseScale;

/// The kernels need every value below 4q < 2^63 for their signed comparisons.
pub(super) const MAX_Q: u64 = 1 << 61;

/// Whether the AVX2 kernel can serve modulus q on this CPU.
pub(super) fn available(q: u64) -> bool {
    q < MAX_Q && super::kernel::CpuFeatures::detect().avx2
}

/// In-place forward transform of `a` (length N = 2^k >= 8, values below 4q), with the
/// twiddles psi^brev(k) of `roots` and their Shoup constants; output in [0, 4q), or in
/// [0, q) with `reduce`.
///
/// # Safety
/// [`available`] must hold for q on this CPU.
pub(super) unsafe fn forward(
    a: &mut [u64],
    q: u64,
    roots: &[u64],
    roots_shoup: &[u64],
    reduce: bool,
) {
    check(a, q, roots, roots_shoup);
    // SAFETY: the caller guarantees AVX2; `check` held.
    unsafe { forward_avx2(a, q, roots, roots_shoup, reduce) }
}

/// In-place inverse transform of `a` (length N = 2^k >= 8, values below 2q), with the
/// twiddles psi^-brev(k) of `roots` and their Shoup constants; output in [0, q).
///
/// # Safety
/// As for [`forward`].
pub(super) unsafe fn inverse(
    a: &mut [u64],
    q: u64,
    roots: &[u64],
    roots_shoup: &[u64],
    scale: InverseScale,
) {
    check(a, q, roots, roots_shoup);
    // SAFETY: the caller guarantees AVX2; `check` held.
    unsafe { inverse_avx2(a, q, roots, roots_shoup, scale) }
}

/// The kernels' memory accesses stay in bounds when the first two hold, their
/// arithmetic is exact when the last does.
fn check(a: &[u64], q: u64, roots: &[u64], roots_shoup: &[u64]) {
    let n = a.len();
    assert!(n >= 8 && n.is_power_of_two(), "NTT length {n}");
    assert!(
        roots.len() == n && roots_shoup.len() == n,
        "NTT twiddle tables"
    );
    assert!(q < MAX_Q, "NTT modulus {q}");
}

/// A twiddle w < q with its Shoup constant w', split into 32-bit halves:
/// (w, w >> 32, w', w' >> 32).
type Twiddle = (__m256i, __m256i, __m256i, __m256i);

/// The modulus in the forms the butterflies use.
#[derive(Clone, Copy)]
struct Consts {
    q: __m256i,
    q_hi: __m256i,
    two_q: __m256i,
}

impl Consts {
    #[inline(always)]
    unsafe fn new(q: u64) -> Self {
        // SAFETY: only inlined into the kernels, which enable AVX2.
        unsafe {
            Self {
                q: splat(q),
                q_hi: splat(q >> 32),
                two_q: splat(2 * q),
            }
        }
    }
}

#[inline(always)]
unsafe fn splat(x: u64) -> __m256i {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe { _mm256_set1_epi64x(x as i64) }
}

#[inline(always)]
unsafe fn load(p: *const u64) -> __m256i {
    // SAFETY: callers pass pointers to 4 readable values.
    unsafe { _mm256_loadu_si256(p.cast()) }
}

#[inline(always)]
unsafe fn store(p: *mut u64, v: __m256i) {
    // SAFETY: callers pass pointers to 4 writable values.
    unsafe { _mm256_storeu_si256(p.cast(), v) }
}

/// x >> 32 in every lane, opaque to LLVM, which otherwise recognises the products
/// below as 64 x 64 -> 128-bit multiplications and lowers them to scalar `mul`s.
/// Shared with the element-wise kernels.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn high_half(x: __m256i) -> __m256i {
    let hi: __m256i;
    // SAFETY: a register-only AVX2 instruction; this function enables AVX2.
    unsafe {
        core::arch::asm!(
            "vpsrlq {hi}, {x}, 32",
            hi = lateout(ymm_reg) hi,
            x = in(ymm_reg) x,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    hi
}

/// The 32-bit halves of every lane swapped: the high half in the low one, where
/// `vpmuludq` reads it (a shuffle, which leaves the multiply ports to the products).
#[inline(always)]
pub(super) unsafe fn swap_halves(x: __m256i) -> __m256i {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe { _mm256_shuffle_epi32::<0b10_11_00_01>(x) }
}

/// x - m if x >= m, else x, for x, m < 2^63 (signed comparison).
#[inline(always)]
unsafe fn reduce_once(x: __m256i, m: __m256i) -> __m256i {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe { _mm256_sub_epi64(x, _mm256_andnot_si256(_mm256_cmpgt_epi64(m, x), m)) }
}

#[inline(always)]
unsafe fn twiddle(w: __m256i, ws: __m256i) -> Twiddle {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe {
        (
            w,
            _mm256_srli_epi64::<32>(w),
            ws,
            _mm256_srli_epi64::<32>(ws),
        )
    }
}

/// y w - floor(y w' / 2^64) q mod 2^64, in [0, 2q) for any word y, lane by lane:
/// `Modulus::mul_shoup_lazy`.
#[inline(always)]
unsafe fn mul_lazy(y: __m256i, (w, w_hi, ws, ws_hi): Twiddle, c: Consts) -> __m256i {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe {
        // High word of y w' from y = y1 2^32 + y0 and w' = w1 2^32 + w0:
        // c1 = y0 w1 + hi(y0 w0) and c2 = y1 w0 + lo(c1) fit in 64 bits, and
        // y w' = 2^64 (y1 w1 + hi(c1) + hi(c2)) + 2^32 lo(c2) + lo(y0 w0).
        let y_hi = swap_halves(y);
        let p00 = _mm256_mul_epu32(y, ws);
        let c1 = _mm256_add_epi64(_mm256_mul_epu32(y, ws_hi), _mm256_srli_epi64::<32>(p00));
        let c2 = _mm256_add_epi64(
            _mm256_mul_epu32(y_hi, ws),
            _mm256_and_si256(c1, splat(0xffff_ffff)),
        );
        let qhat = _mm256_add_epi64(
            _mm256_add_epi64(_mm256_mul_epu32(y_hi, ws_hi), _mm256_srli_epi64::<32>(c1)),
            _mm256_srli_epi64::<32>(c2),
        );
        // y w - qhat q mod 2^64, the cross terms summed before their shift.
        let qhat_hi = swap_halves(qhat);
        let low = _mm256_sub_epi64(_mm256_mul_epu32(y, w), _mm256_mul_epu32(qhat, c.q));
        let cross = _mm256_sub_epi64(
            _mm256_add_epi64(_mm256_mul_epu32(y, w_hi), _mm256_mul_epu32(y_hi, w)),
            _mm256_add_epi64(
                _mm256_mul_epu32(qhat, c.q_hi),
                _mm256_mul_epu32(qhat_hi, c.q),
            ),
        );
        _mm256_add_epi64(low, _mm256_slli_epi64::<32>(cross))
    }
}

/// Forward (Cooley-Tukey) butterfly: x, y < 4q -> (x + s, x + 2q - s), s = y w mod q.
#[inline(always)]
unsafe fn forward_butterfly(x: __m256i, y: __m256i, w: Twiddle, c: Consts) -> (__m256i, __m256i) {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe {
        let x = reduce_once(x, c.two_q);
        let s = mul_lazy(y, w, c);
        (
            _mm256_add_epi64(x, s),
            _mm256_sub_epi64(_mm256_add_epi64(x, c.two_q), s),
        )
    }
}

/// Inverse (Gentleman-Sande) butterfly: x, y < 2q -> ((x + y) mod 2q, (x + 2q - y) w).
#[inline(always)]
unsafe fn inverse_butterfly(x: __m256i, y: __m256i, w: Twiddle, c: Consts) -> (__m256i, __m256i) {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe {
        let s = reduce_once(_mm256_add_epi64(x, y), c.two_q);
        let d = _mm256_sub_epi64(_mm256_add_epi64(x, c.two_q), y);
        (s, mul_lazy(d, w, c))
    }
}

/// The last inverse butterfly merged with the scaling by 1/N: x, y < 2q ->
/// ((x + y) / N, (x + 2q - y) w / N) fully reduced, with `last` = w / N.
#[inline(always)]
unsafe fn scaled(
    x: __m256i,
    y: __m256i,
    n_inv: Twiddle,
    last: Twiddle,
    c: Consts,
) -> (__m256i, __m256i) {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe {
        let sum = _mm256_add_epi64(x, y);
        let diff = _mm256_sub_epi64(_mm256_add_epi64(x, c.two_q), y);
        (
            reduce_once(mul_lazy(sum, n_inv, c), c.q),
            reduce_once(mul_lazy(diff, last, c), c.q),
        )
    }
}

/// The broadcast twiddle k of a stage whose blocks span whole vectors.
#[inline(always)]
unsafe fn block_twiddle(roots: *const u64, shoup: *const u64, k: usize) -> Twiddle {
    // SAFETY: callers pass k below the tables' length; the kernels enable AVX2.
    unsafe { twiddle(splat(*roots.add(k)), splat(*shoup.add(k))) }
}

/// Twiddles of the t = 2 stage for 8 values: entries k and k + 1 as [r0, r0, r1, r1].
#[inline(always)]
unsafe fn twiddles2(roots: *const u64, shoup: *const u64, k: usize) -> Twiddle {
    // SAFETY: callers pass k + 1 below the tables' length; the kernels enable AVX2.
    unsafe {
        let dup = |p: *const u64| {
            _mm256_permute4x64_epi64::<0b01_01_00_00>(_mm256_castsi128_si256(_mm_loadu_si128(
                p.add(k).cast(),
            )))
        };
        twiddle(dup(roots), dup(shoup))
    }
}

/// Twiddles of the t = 1 stage for 8 values: entries k..k + 4.
#[inline(always)]
unsafe fn twiddles1(roots: *const u64, shoup: *const u64, k: usize) -> Twiddle {
    // SAFETY: callers pass k + 3 below the tables' length; the kernels enable AVX2.
    unsafe { twiddle(load(roots.add(k)), load(shoup.add(k))) }
}

/// Natural order [0..4], [4..8] <-> the t = 2 pairing [0, 1, 4, 5], [2, 3, 6, 7] (an
/// involution).
#[inline(always)]
unsafe fn swap4_2(x: __m256i, y: __m256i) -> (__m256i, __m256i) {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe {
        (
            _mm256_permute2x128_si256::<0x20>(x, y),
            _mm256_permute2x128_si256::<0x31>(x, y),
        )
    }
}

/// The t = 2 pairing <-> the t = 1 pairing [0, 2, 4, 6], [1, 3, 5, 7] (an involution).
#[inline(always)]
unsafe fn swap2_1(x: __m256i, y: __m256i) -> (__m256i, __m256i) {
    // SAFETY: only inlined into the kernels, which enable AVX2.
    unsafe { (_mm256_unpacklo_epi64(x, y), _mm256_unpackhi_epi64(x, y)) }
}

#[target_feature(enable = "avx2")]
unsafe fn forward_avx2(a: &mut [u64], q: u64, roots: &[u64], shoup: &[u64], reduce: bool) {
    let n = a.len();
    let p = a.as_mut_ptr();
    let (r, rs) = (roots.as_ptr(), shoup.as_ptr());
    // SAFETY: this function enables AVX2 and `check` held: N = 2^k >= 8 and both
    // tables hold N entries. Stage (m, t) reads table entries m..2m < N and values
    // 2it + j, 2it + t + j < 2mt = N (i < m, j < t); the radix-4 passes do two such
    // stages, the in-register one the last two, reading entries at most
    // N/2 + 4g + 3 < N (g < N/8) and values 8g + 7 < N.
    unsafe {
        let c = Consts::new(q);
        let mut t = n >> 1;
        let mut m = 1;
        while t >= 4 {
            if t >= 8 {
                // Stages (m, t) and (2m, t/2) on the quarters A, B, C, D of each block:
                // (A, C), (B, D) with twiddle m + i, then (A, B) and (C, D) with 2m + 2i
                // and 2m + 2i + 1.
                let h = t / 2;
                for i in 0..m {
                    let w = block_twiddle(r, rs, m + i);
                    let w0 = block_twiddle(r, rs, 2 * (m + i));
                    let w1 = block_twiddle(r, rs, 2 * (m + i) + 1);
                    let pa = p.add(2 * i * t);
                    let (pb, pc, pd) = (pa.add(h), pa.add(t), pa.add(t + h));
                    for j in (0..h).step_by(4) {
                        let (a0, b0) = (load(pa.add(j)), load(pb.add(j)));
                        let (c0, d0) = (load(pc.add(j)), load(pd.add(j)));
                        let (a1, c1) = forward_butterfly(a0, c0, w, c);
                        let (b1, d1) = forward_butterfly(b0, d0, w, c);
                        let (a2, b2) = forward_butterfly(a1, b1, w0, c);
                        let (c2, d2) = forward_butterfly(c1, d1, w1, c);
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
                    let w = block_twiddle(r, rs, m + i);
                    let x = p.add(2 * i * t);
                    let y = x.add(t);
                    for j in (0..t).step_by(4) {
                        let (u, v) = forward_butterfly(load(x.add(j)), load(y.add(j)), w, c);
                        store(x.add(j), u);
                        store(y.add(j), v);
                    }
                }
                m <<= 1;
                t >>= 1;
            }
        }
        // t = 2, 1 on 8 values at a time; m = N / 4.
        for g in 0..n / 8 {
            let base = p.add(8 * g);
            let (x, y) = swap4_2(load(base), load(base.add(4)));
            let (x, y) = forward_butterfly(x, y, twiddles2(r, rs, m + 2 * g), c);
            let (x, y) = swap2_1(x, y);
            let (mut x, mut y) = forward_butterfly(x, y, twiddles1(r, rs, 2 * m + 4 * g), c);
            if reduce {
                x = reduce_once(reduce_once(x, c.two_q), c.q);
                y = reduce_once(reduce_once(y, c.two_q), c.q);
            }
            let (x, y) = swap2_1(x, y);
            let (x, y) = swap4_2(x, y);
            store(base, x);
            store(base.add(4), y);
        }
    }
}

#[target_feature(enable = "avx2")]
unsafe fn inverse_avx2(a: &mut [u64], q: u64, roots: &[u64], shoup: &[u64], scale: InverseScale) {
    let n = a.len();
    let p = a.as_mut_ptr();
    let (r, rs) = (roots.as_ptr(), shoup.as_ptr());
    // SAFETY: as in `forward_avx2`, with the stages in the opposite order; stage (h, t)
    // reads table entries h..2h < N and values below 2ht = N.
    unsafe {
        let c = Consts::new(q);
        // t = 1, 2 on 8 values at a time.
        let h = n >> 1;
        for g in 0..n / 8 {
            let base = p.add(8 * g);
            let (x, y) = swap4_2(load(base), load(base.add(4)));
            let (x, y) = swap2_1(x, y);
            let (x, y) = inverse_butterfly(x, y, twiddles1(r, rs, h + 4 * g), c);
            let (x, y) = swap2_1(x, y);
            let (x, y) = inverse_butterfly(x, y, twiddles2(r, rs, h / 2 + 2 * g), c);
            let (x, y) = swap4_2(x, y);
            store(base, x);
            store(base.add(4), y);
        }
        let (mut h, mut t) = (n >> 3, 4);
        while h >= 4 {
            // Stages (h, t) and (h/2, 2t) on the quarters A, B, C, D of each block of 4t:
            // (A, B) and (C, D) with twiddles h + 2i and h + 2i + 1, then (A, C), (B, D)
            // with h/2 + i.
            for i in 0..h / 2 {
                let w0 = block_twiddle(r, rs, h + 2 * i);
                let w1 = block_twiddle(r, rs, h + 2 * i + 1);
                let w = block_twiddle(r, rs, h / 2 + i);
                let pa = p.add(4 * i * t);
                let (pb, pc, pd) = (pa.add(t), pa.add(2 * t), pa.add(3 * t));
                for j in (0..t).step_by(4) {
                    let (a0, b0) = (load(pa.add(j)), load(pb.add(j)));
                    let (c0, d0) = (load(pc.add(j)), load(pd.add(j)));
                    let (a1, b1) = inverse_butterfly(a0, b0, w0, c);
                    let (c1, d1) = inverse_butterfly(c0, d0, w1, c);
                    let (a2, c2) = inverse_butterfly(a1, c1, w, c);
                    let (b2, d2) = inverse_butterfly(b1, d1, w, c);
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
        let n_inv = twiddle(splat(scale.n_inv), splat(scale.n_inv_shoup));
        let last = twiddle(splat(scale.last_root), splat(scale.last_root_shoup));
        if h == 2 {
            let w0 = block_twiddle(r, rs, 2);
            let w1 = block_twiddle(r, rs, 3);
            let (pa, pb, pc, pd) = (p, p.add(t), p.add(2 * t), p.add(3 * t));
            for j in (0..t).step_by(4) {
                let (a0, b0) = (load(pa.add(j)), load(pb.add(j)));
                let (c0, d0) = (load(pc.add(j)), load(pd.add(j)));
                let (a1, b1) = inverse_butterfly(a0, b0, w0, c);
                let (c1, d1) = inverse_butterfly(c0, d0, w1, c);
                let (a2, c2) = scaled(a1, c1, n_inv, last, c);
                let (b2, d2) = scaled(b1, d1, n_inv, last, c);
                store(pa.add(j), a2);
                store(pb.add(j), b2);
                store(pc.add(j), c2);
                store(pd.add(j), d2);
            }
        } else {
            let y = p.add(t);
            for j in (0..t).step_by(4) {
                let (u, v) = scaled(load(p.add(j)), load(y.add(j)), n_inv, last, c);
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

    /// `mul_lazy` lane by lane.
    #[target_feature(enable = "avx2")]
    fn mul_lanes(q: u64, y: [u64; 4], w: [u64; 4], ws: [u64; 4]) -> [u64; 4] {
        let v = |x: [u64; 4]| -> __m256i {
            // SAFETY: reads the 4 values of x.
            unsafe { load(x.as_ptr()) }
        };
        // SAFETY: this function enables AVX2.
        let r = unsafe { mul_lazy(v(y), twiddle(v(w), v(ws)), Consts::new(q)) };
        let mut out = [0; 4];
        // SAFETY: writes the 4 values of out.
        unsafe { store(out.as_mut_ptr(), r) };
        out
    }

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

    /// The 32-bit-product Shoup multiplication reproduces y w - floor(y w' / 2^64) q
    /// mod 2^64 for any words, as `Modulus::mul_shoup_lazy` computes it.
    #[test]
    #[cfg_attr(not(heml_cpu_avx2), ignore = "this CPU lacks AVX2")]
    fn shoup_product_is_exact() {
        if !is_x86_feature_detected!("avx2") {
            eprintln!("skipped: this CPU lacks AVX2 (the build-time probe said it had it)");
            return;
        }
        proptest!(ProptestConfig::with_cases(2000), |(
            q in structured(),
            y in prop::array::uniform4(structured()),
            w in prop::array::uniform4(structured()),
            ws in prop::array::uniform4(structured()),
        )| {
            let m = Modulus::new(q.clamp(2, (1 << 62) - 1));
            // SAFETY: AVX2 was detected.
            let got = unsafe { mul_lanes(m.value(), y, w, ws) };
            for i in 0..4 {
                prop_assert_eq!(got[i], m.mul_shoup_lazy(y[i], w[i], ws[i]));
            }
        });
    }
}
