//! Negacyclic number-theoretic transform over Z_q[X]/(X^N + 1).
//!
//! Forward: Cooley-Tukey with powers of a primitive 2N-th root psi in bit-reversed
//! order, merged with the negacyclic twist; inverse: Gentleman-Sande
//! (P. Longa and M. Naehrig, "Speeding up the NTT...", CANS 2016, Algorithms 1-2).
//! Butterflies are lazy in Harvey's sense: values stay in [0, 4q) inside the forward
//! transform and in [0, 2q) inside the inverse, with one final reduction.
//!
//! The forward output at index j is the evaluation a(psi^(2 brev(j) + 1)).
//!
//! A table runs the process's kernel ([`super::kernel::active`], chosen once): the
//! vector kernels of `ntt_avx2` (N >= 8, q < 2^61) or `ntt_avx512` (N >= 16, IFMA for
//! q < 2^50), whose results are bit-identical to the scalar code's (`*_scalar`), which
//! serves every other CPU, target and size.

use super::kernel::Kernel as ProcessKernel;
#[cfg(target_arch = "x86_64")]
use super::ntt_avx2;
#[cfg(target_arch = "x86_64")]
use super::ntt_avx512::{self, InverseScale, Kernel};
use super::primes::minimal_primitive_root;
use super::zq::Modulus;

/// Bit reversal of the low `bits` bits of `x`.
#[inline]
pub fn bit_reverse(x: usize, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        x.reverse_bits() >> (usize::BITS - bits)
    }
}

/// x - m if x >= m, else x, without a branch: when x < m the difference wraps above
/// x, so the minimum keeps x (a data-dependent branch here mispredicted half the
/// time and cost more than the butterflies).
#[inline(always)]
fn sub_if_ge(x: u64, m: u64) -> u64 {
    x.min(x.wrapping_sub(m))
}

/// Precomputed twiddles for one prime and one ring degree.
#[derive(Clone, Debug)]
pub struct NttTable {
    q: Modulus,
    n: usize,
    log_n: u32,
    psi: u64,
    /// psi^brev(k), k < N, with Shoup constants.
    roots: Vec<u64>,
    roots_shoup: Vec<u64>,
    /// psi^-brev(k), k < N, with Shoup constants.
    inv_roots: Vec<u64>,
    inv_roots_shoup: Vec<u64>,
    n_inv: u64,
    n_inv_shoup: u64,
    /// psi^-brev(1) / N, for the merged last inverse stage.
    last_inv_root_n: u64,
    last_inv_root_n_shoup: u64,
    /// The kernel of the process for this prime and degree.
    kernel: ProcessKernel,
}

/// The vector kernel a table runs.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vector {
    Avx2,
    Avx512(Kernel),
}

/// What `kernel` runs for q at degree n: the vector kernel where it covers them, the
/// scalar code otherwise.
fn table_kernel(kernel: ProcessKernel, q: u64, n: usize) -> ProcessKernel {
    #[cfg(target_arch = "x86_64")]
    {
        let served = match kernel {
            ProcessKernel::Scalar => false,
            ProcessKernel::Avx2 => n >= 8 && ntt_avx2::available(q),
            ProcessKernel::Avx512 | ProcessKernel::Avx512Ifma => {
                n >= 16 && ntt_avx512::detect(q).is_some()
            }
        };
        match (served, kernel) {
            (false, _) => ProcessKernel::Scalar,
            // IFMA serves primes below 2^50 only.
            (true, ProcessKernel::Avx512Ifma)
                if ntt_avx512::detect(q) != Some(Kernel::Avx512Ifma) =>
            {
                ProcessKernel::Avx512
            }
            (true, k) => k,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (kernel, q, n);
        ProcessKernel::Scalar
    }
}

impl NttTable {
    /// Tables for `q` (prime, q = 1 mod 2n) and a power-of-two `n`; None otherwise.
    pub fn new(q: Modulus, n: usize) -> Option<Self> {
        if !n.is_power_of_two() || n < 2 {
            return None;
        }
        let psi = minimal_primitive_root(&q, n)?;
        let psi_inv = q.inv(psi)?;
        let log_n = n.trailing_zeros();
        let mut roots = vec![0; n];
        let mut inv_roots = vec![0; n];
        let (mut p, mut pi) = (1u64, 1u64);
        for k in 0..n {
            let r = bit_reverse(k, log_n);
            roots[r] = p;
            inv_roots[r] = pi;
            p = q.mul(p, psi);
            pi = q.mul(pi, psi_inv);
        }
        let roots_shoup = roots.iter().map(|&w| q.shoup(w)).collect();
        let inv_roots_shoup = inv_roots.iter().map(|&w| q.shoup(w)).collect();
        let n_inv = q.inv(n as u64)?;
        let last_inv_root_n = q.mul(inv_roots[1], n_inv);
        Some(Self {
            q,
            n,
            log_n,
            psi,
            roots,
            roots_shoup,
            inv_roots,
            inv_roots_shoup,
            n_inv,
            n_inv_shoup: q.shoup(n_inv),
            last_inv_root_n,
            last_inv_root_n_shoup: q.shoup(last_inv_root_n),
            kernel: table_kernel(super::kernel::active(), q.value(), n),
        })
    }

    /// The implementation `forward` and `inverse` run: the process's kernel, or the
    /// scalar code where that kernel does not cover this prime and degree (IFMA
    /// serves primes below 2^50, the plain AVX-512 kernel the others).
    pub fn backend(&self) -> ProcessKernel {
        self.kernel
    }

    /// The vector kernel, if this table runs one.
    #[cfg(target_arch = "x86_64")]
    #[inline]
    fn simd_kernel(&self) -> Option<Vector> {
        match self.kernel {
            ProcessKernel::Scalar => None,
            ProcessKernel::Avx2 => Some(Vector::Avx2),
            ProcessKernel::Avx512 => Some(Vector::Avx512(Kernel::Avx512)),
            ProcessKernel::Avx512Ifma => Some(Vector::Avx512(Kernel::Avx512Ifma)),
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn inverse_scale(&self) -> InverseScale {
        InverseScale {
            n_inv: self.n_inv,
            n_inv_shoup: self.n_inv_shoup,
            last_root: self.last_inv_root_n,
            last_root_shoup: self.last_inv_root_n_shoup,
        }
    }

    pub fn modulus(&self) -> &Modulus {
        &self.q
    }

    pub fn degree(&self) -> usize {
        self.n
    }

    pub fn log_degree(&self) -> u32 {
        self.log_n
    }

    /// The primitive 2N-th root used.
    pub fn psi(&self) -> u64 {
        self.psi
    }

    /// In-place forward transform; input in [0, q) (any values below 4q work),
    /// output in [0, q).
    pub fn forward(&self, a: &mut [u64]) {
        assert_eq!(a.len(), self.n, "NTT input length");
        if !self.forward_simd(a, true) {
            self.forward_scalar(a);
        }
    }

    /// Forward transform leaving values in [0, 4q); input below 4q.
    pub fn forward_lazy(&self, a: &mut [u64]) {
        assert_eq!(a.len(), self.n, "NTT input length");
        if !self.forward_simd(a, false) {
            self.forward_lazy_scalar(a);
        }
    }

    /// In-place inverse transform; input in [0, 2q), output in [0, q).
    pub fn inverse(&self, a: &mut [u64]) {
        assert_eq!(a.len(), self.n, "NTT input length");
        if !self.inverse_simd(a) {
            self.inverse_scalar(a);
        }
    }

    /// The vector forward transform, fully reduced or lazy; false, leaving `a` alone,
    /// if this CPU or N has none.
    #[inline]
    fn forward_simd(&self, a: &mut [u64], reduce: bool) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Some(kernel) = self.simd_kernel() {
            let (q, r, rs) = (self.q.value(), &self.roots, &self.roots_shoup);
            // SAFETY: `table_kernel` chose the kernel on this CPU for this q and N.
            unsafe {
                match kernel {
                    Vector::Avx2 => ntt_avx2::forward(a, q, r, rs, reduce),
                    Vector::Avx512(k) => ntt_avx512::forward(k, a, q, r, rs, reduce),
                }
            }
            return true;
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (a, reduce);
        false
    }

    /// The vector inverse transform; false, leaving `a` alone, if this CPU or N has none.
    #[inline]
    fn inverse_simd(&self, a: &mut [u64]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Some(kernel) = self.simd_kernel() {
            let scale = self.inverse_scale();
            let (q, roots, shoup) = (self.q.value(), &self.inv_roots, &self.inv_roots_shoup);
            // SAFETY: `table_kernel` chose the kernel on this CPU for this q and N.
            unsafe {
                match kernel {
                    Vector::Avx2 => ntt_avx2::inverse(a, q, roots, shoup, scale),
                    Vector::Avx512(k) => ntt_avx512::inverse(k, a, q, roots, shoup, scale),
                }
            }
            return true;
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = a;
        false
    }

    /// `forward` on the portable scalar code, whatever the CPU.
    pub fn forward_scalar(&self, a: &mut [u64]) {
        self.forward_lazy_scalar(a);
        let q = self.q.value();
        let two_q = 2 * q;
        for x in a.iter_mut() {
            *x = sub_if_ge(sub_if_ge(*x, two_q), q);
        }
    }

    /// `forward_lazy` on the portable scalar code, whatever the CPU.
    pub fn forward_lazy_scalar(&self, a: &mut [u64]) {
        assert_eq!(a.len(), self.n, "NTT input length");
        let q = self.q;
        let two_q = 2 * q.value();
        let n = self.n;
        let mut t = n >> 1;
        let mut m = 1;
        while m < n {
            let roots = &self.roots[m..2 * m];
            let shoup = &self.roots_shoup[m..2 * m];
            if t == 1 {
                for ((pair, &w), &ws) in a.chunks_exact_mut(2).zip(roots).zip(shoup) {
                    let u = sub_if_ge(pair[0], two_q);
                    let v = q.mul_shoup_lazy(pair[1], w, ws);
                    pair[0] = u + v;
                    pair[1] = u + two_q - v;
                }
            } else {
                for ((block, &w), &ws) in a.chunks_exact_mut(2 * t).zip(roots).zip(shoup) {
                    let (lo, hi) = block.split_at_mut(t);
                    for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                        let u = sub_if_ge(*x, two_q);
                        let v = q.mul_shoup_lazy(*y, w, ws);
                        *x = u + v;
                        *y = u + two_q - v;
                    }
                }
            }
            m <<= 1;
            t >>= 1;
        }
    }

    /// `inverse` on the portable scalar code, whatever the CPU.
    pub fn inverse_scalar(&self, a: &mut [u64]) {
        assert_eq!(a.len(), self.n, "NTT input length");
        let q = self.q;
        let two_q = 2 * q.value();
        let n = self.n;
        let mut t = 1;
        let mut h = n >> 1;
        while h >= 1 {
            let roots = &self.inv_roots[h..2 * h];
            let shoup = &self.inv_roots_shoup[h..2 * h];
            if t == 1 {
                for ((pair, &w), &ws) in a.chunks_exact_mut(2).zip(roots).zip(shoup) {
                    let (u, v) = (pair[0], pair[1]);
                    pair[0] = sub_if_ge(u + v, two_q);
                    pair[1] = q.mul_shoup_lazy(u + two_q - v, w, ws);
                }
            } else if h == 1 {
                // Last stage merged with the multiplication by 1/N:
                // x' = (u + v) / N, y' = (u - v) w / N with w / N precomputed.
                let (lo, hi) = a.split_at_mut(t);
                let (wn, wns) = (self.last_inv_root_n, self.last_inv_root_n_shoup);
                for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                    let (u, v) = (*x, *y);
                    *x = q.mul_shoup(u + v, self.n_inv, self.n_inv_shoup);
                    *y = q.mul_shoup(u + two_q - v, wn, wns);
                }
                return;
            } else {
                for ((block, &w), &ws) in a.chunks_exact_mut(2 * t).zip(roots).zip(shoup) {
                    let (lo, hi) = block.split_at_mut(t);
                    for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                        let (u, v) = (*x, *y);
                        *x = sub_if_ge(u + v, two_q);
                        *y = q.mul_shoup_lazy(u + two_q - v, w, ws);
                    }
                }
            }
            t <<= 1;
            h >>= 1;
        }
        // Only reached for N = 2, where the first stage is also the last.
        for x in a.iter_mut() {
            *x = q.mul_shoup(*x, self.n_inv, self.n_inv_shoup);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::math::primes::ntt_primes;
    use proptest::prelude::*;

    fn schoolbook(a: &[u64], b: &[u64], q: &Modulus) -> Vec<u64> {
        let n = a.len();
        let mut c = vec![0u64; n];
        for i in 0..n {
            for j in 0..n {
                let p = q.mul(a[i], b[j]);
                if i + j < n {
                    c[i + j] = q.add(c[i + j], p);
                } else {
                    c[i + j - n] = q.sub(c[i + j - n], p);
                }
            }
        }
        c
    }

    fn table(bits: u32, n: usize) -> NttTable {
        let q = Modulus::new(ntt_primes(bits, 1, n, &[]).unwrap()[0]);
        NttTable::new(q, n).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn round_trip(log_n in 1u32..12, bits in 30u32..62, seed in any::<u64>()) {
            let n = 1usize << log_n;
            prop_assume!(2 * n as u64 <= (1u64 << (bits - 2)));
            let t = table(bits, n);
            let q = t.modulus().value();
            let a: Vec<u64> = (0..n as u64).map(|i| (i.wrapping_mul(seed) ^ seed) % q).collect();
            let mut b = a.clone();
            t.forward(&mut b);
            t.inverse(&mut b);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn product_matches_schoolbook(log_n in 1u32..7, bits in 20u32..62, seed in any::<u64>()) {
            let n = 1usize << log_n;
            prop_assume!(2 * n as u64 <= (1u64 << (bits - 2)));
            let t = table(bits, n);
            let q = *t.modulus();
            let a: Vec<u64> = (0..n as u64).map(|i| q.reduce(i.wrapping_mul(seed).rotate_left(7))).collect();
            let b: Vec<u64> = (0..n as u64).map(|i| q.reduce(seed.wrapping_sub(i * 977).rotate_left(13))).collect();
            let expected = schoolbook(&a, &b, &q);
            let (mut fa, mut fb) = (a.clone(), b.clone());
            t.forward(&mut fa);
            t.forward(&mut fb);
            let mut c: Vec<u64> = fa.iter().zip(&fb).map(|(&x, &y)| q.mul(x, y)).collect();
            t.inverse(&mut c);
            prop_assert_eq!(c, expected);
        }
    }

    /// N values below `bound` from a SplitMix64 stream, one in eight replaced by an
    /// extreme (0 or bound - 1).
    fn values_below(n: usize, bound: u64, seed: u64) -> Vec<u64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^= z >> 31;
                match z >> 61 {
                    0 => 0,
                    1 => bound - 1,
                    _ => z % bound,
                }
            })
            .collect()
    }

    /// Every implementation of `forward_lazy`, `forward` and `inverse` this machine has
    /// (the dispatching methods and each vector kernel the CPU supports) agrees bit for
    /// bit with the scalar code, on inputs up to 4q - 1 (forward) and 2q - 1 (inverse).
    fn check_against_scalar(t: &NttTable, seed: u64) {
        let n = t.degree();
        let q = t.modulus().value();
        let lazy_in = values_below(n, 4 * q, seed);
        let inv_in = values_below(n, 2 * q, seed ^ 0x5555);
        let run = |f: &dyn Fn(&mut [u64]), input: &[u64]| {
            let mut v = input.to_vec();
            f(&mut v);
            v
        };
        let lazy = run(&|a| t.forward_lazy_scalar(a), &lazy_in);
        let full = run(&|a| t.forward_scalar(a), &lazy_in);
        let inv = run(&|a| t.inverse_scalar(a), &inv_in);
        assert!(lazy.iter().all(|&x| x < 4 * q));
        assert!(full.iter().all(|&x| x < q) && inv.iter().all(|&x| x < q));
        let ctx = format!("q = {q}, N = {n}, {}", t.backend());
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (q, n);
        assert_eq!(run(&|a| t.forward_lazy(a), &lazy_in), lazy, "lazy, {ctx}");
        assert_eq!(run(&|a| t.forward(a), &lazy_in), full, "forward, {ctx}");
        assert_eq!(run(&|a| t.inverse(a), &inv_in), inv, "inverse, {ctx}");
        #[cfg(target_arch = "x86_64")]
        {
            let scale = t.inverse_scale();
            let (r, rs) = (&t.roots, &t.roots_shoup);
            let (ir, irs) = (&t.inv_roots, &t.inv_roots_shoup);
            for kernel in vectors_supported(q, n) {
                let fwd = |reduce| {
                    move |a: &mut [u64]| {
                        // SAFETY: `vectors_supported` lists only kernels this CPU runs
                        // for q and N.
                        unsafe {
                            match kernel {
                                Vector::Avx2 => ntt_avx2::forward(a, q, r, rs, reduce),
                                Vector::Avx512(k) => ntt_avx512::forward(k, a, q, r, rs, reduce),
                            }
                        }
                    }
                };
                let ctx = format!("q = {q}, N = {n}, {kernel:?}");
                assert_eq!(run(&fwd(false), &lazy_in), lazy, "lazy, {ctx}");
                assert_eq!(run(&fwd(true), &lazy_in), full, "forward, {ctx}");
                let inv_k = |a: &mut [u64]| {
                    // SAFETY: as above.
                    unsafe {
                        match kernel {
                            Vector::Avx2 => ntt_avx2::inverse(a, q, ir, irs, scale),
                            Vector::Avx512(k) => ntt_avx512::inverse(k, a, q, ir, irs, scale),
                        }
                    }
                };
                assert_eq!(run(&inv_k, &inv_in), inv, "inverse, {ctx}");
            }
        }
    }

    /// Every vector kernel this CPU runs for q at degree n.
    #[cfg(target_arch = "x86_64")]
    fn vectors_supported(q: u64, n: usize) -> Vec<Vector> {
        let mut v = Vec::new();
        if n >= 8 && ntt_avx2::available(q) {
            v.push(Vector::Avx2);
        }
        if n >= 16 {
            v.extend(ntt_avx512::supported(q).into_iter().map(Vector::Avx512));
        }
        v
    }

    /// The kernels this CPU has, printed once per test so that a run shows which
    /// vector paths its comparisons covered.
    fn print_coverage(test: &str) {
        let cpu = crate::he::math::kernel::CpuFeatures::detect();
        let names: Vec<&str> = cpu.kernels().iter().map(|k| k.name()).collect();
        eprintln!(
            "{test}: compared scalar with {} (this CPU: {})",
            names.join(", "),
            cpu.describe()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn vector_kernels_match_scalar(log_n in 1u32..=16, bits in 20u32..=61, seed in any::<u64>()) {
            let n = 1usize << log_n;
            let primes = ntt_primes(bits, 1, n, &[]);
            prop_assume!(primes.is_some());
            let t = NttTable::new(Modulus::new(primes.unwrap()[0]), n).unwrap();
            check_against_scalar(&t, seed);
        }
    }

    /// Every N from 2 to 2^16 against moduli around the kernels' boundaries: the
    /// smallest sizes, IFMA's last (50 bits) and the plain kernel's first (51), and the
    /// largest heml allows.
    #[test]
    fn vector_kernels_match_scalar_for_every_size() {
        print_coverage("vector_kernels_match_scalar_for_every_size");
        for log_n in 1..=16 {
            let n = 1usize << log_n;
            for bits in [20, 32, 40, 49, 50, 51, 52, 59, 60, 61] {
                let Some(primes) = ntt_primes(bits, 2, n, &[]) else {
                    continue;
                };
                for (i, &p) in primes.iter().enumerate() {
                    let t = NttTable::new(Modulus::new(p), n).unwrap();
                    check_against_scalar(&t, (log_n as u64) << 8 | bits as u64 | (i as u64) << 16);
                }
            }
        }
    }

    #[test]
    fn backend_reports_the_kernel() {
        use crate::he::math::kernel::Kernel as K;
        let q40 = ntt_primes(40, 1, 1024, &[]).unwrap()[0];
        let q60 = ntt_primes(60, 1, 1024, &[]).unwrap()[0];
        let q62 = (1u64 << 62) - 57; // not NTT-friendly; only the routing matters here
        for k in K::ALL {
            assert_eq!(table_kernel(k, q40, 4), K::Scalar, "{k}: N = 4 is scalar");
        }
        assert_eq!(table_kernel(K::Scalar, q40, 1024), K::Scalar);
        #[cfg(target_arch = "x86_64")]
        {
            let cpu = crate::he::math::kernel::CpuFeatures::detect();
            let avx2 = if cpu.avx2 { K::Avx2 } else { K::Scalar };
            assert_eq!(table_kernel(K::Avx2, q40, 1024), avx2);
            assert_eq!(table_kernel(K::Avx2, q40, 8), avx2);
            assert_eq!(
                table_kernel(K::Avx2, q62, 1024),
                K::Scalar,
                "AVX2 takes q < 2^61"
            );
            let avx512 = if cpu.avx512 { K::Avx512 } else { K::Scalar };
            assert_eq!(table_kernel(K::Avx512, q40, 1024), avx512);
            assert_eq!(table_kernel(K::Avx512, q40, 8), K::Scalar);
            let ifma = if cpu.avx512ifma {
                K::Avx512Ifma
            } else {
                avx512
            };
            assert_eq!(table_kernel(K::Avx512Ifma, q40, 1024), ifma);
            assert_eq!(
                table_kernel(K::Avx512Ifma, q60, 1024),
                avx512,
                "IFMA takes q < 2^50"
            );
        }
        let active = crate::he::math::kernel::active();
        assert_eq!(
            table(40, 1024).backend(),
            table_kernel(active, table(40, 1024).modulus().value(), 1024)
        );
    }

    #[test]
    fn output_is_evaluation_at_odd_powers() {
        let n = 16;
        let t = table(40, n);
        let q = *t.modulus();
        let a: Vec<u64> = (0..n as u64).map(|i| i * i + 3).collect();
        let mut fa = a.clone();
        t.forward(&mut fa);
        for (j, &v) in fa.iter().enumerate() {
            let x = q.pow(t.psi(), 2 * bit_reverse(j, t.log_degree()) as u64 + 1);
            let mut acc = 0;
            for &c in a.iter().rev() {
                acc = q.add(q.mul(acc, x), c);
            }
            assert_eq!(v, acc);
        }
    }
}
