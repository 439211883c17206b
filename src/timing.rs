//! Whole-operation timing used by experiments and peer comparisons (the
//! criterion benches time single operations on their own).

use std::time::Instant;

/// Median wall time of `f` over `n` runs (at least one), in seconds.
pub fn median_s(n: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..n.max(1))
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

/// Peak resident memory of this process so far (VmHWM), in MiB; None off Linux.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Keeps freed memory in the process for reuse, as SEAL keeps its memory
/// pool: glibc otherwise serves every block above 128 KiB (a ciphertext row
/// at N >= 16384) with mmap and returns freed memory to the system, so each
/// CKKS operation pays page faults for its output (measured: 1.6 of the
/// 1.8 ms of a tensor product at N = 16384). Called once at start-up by the
/// binaries and benchmarks; a no-op off glibc.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning parameters; it is called
    // before other threads allocate and takes no pointers.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_run() {
        let mut k = 0u64;
        let t = median_s(3, || {
            k += 1;
            std::thread::sleep(std::time::Duration::from_millis(k * 5));
        });
        assert!((0.009..0.015).contains(&t), "{t}");
        assert!(peak_rss_mib().is_none_or(|m| m > 1.0));
    }
}
