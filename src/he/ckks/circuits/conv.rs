//! Convolution on an im2col-encoded image, as TenSEAL's `im2col_encoding` and
//! `conv2d_im2col`: slot k * W + w holds the image value under kernel position k
//! of window w (W windows, K = kh * kw kernel positions). A product with the
//! kernel (entry k repeated over its W slots) and a rotate-and-add over the K
//! position rows (padded to a power of two) leaves the W outputs in slots 0..W.
//! One level; log2(K) rotations by multiples of W.

use super::{CircuitError, CkksBackend, Result};

/// The im2col slot vector of a single-channel `image` (rows of equal length) for
/// a kh x kw kernel with `stride`, and the number of windows.
pub fn im2col_encode(
    image: &[Vec<f64>],
    kh: usize,
    kw: usize,
    stride: usize,
) -> Result<(Vec<f64>, usize)> {
    let h = image.len();
    let w = image.first().map_or(0, Vec::len);
    if image.iter().any(|r| r.len() != w) || kh == 0 || kw == 0 || stride == 0 || kh > h || kw > w {
        return Err(CircuitError::Shape(format!(
            "cannot slide a {kh}x{kw} kernel with stride {stride} over a {h}x{w} image"
        )));
    }
    let out_h = (h - kh) / stride + 1;
    let out_w = (w - kw) / stride + 1;
    let windows = out_h * out_w;
    let k = kh * kw;
    let mut v = vec![0.0; k.next_power_of_two() * windows];
    for oy in 0..out_h {
        for ox in 0..out_w {
            let win = oy * out_w + ox;
            for ky in 0..kh {
                for kx in 0..kw {
                    v[(ky * kw + kx) * windows + win] = image[oy * stride + ky][ox * stride + kx];
                }
            }
        }
    }
    Ok((v, windows))
}

/// Slot length an im2col encoding needs: next_pow2(kh kw) * windows.
pub fn im2col_slots(kh: usize, kw: usize, windows: usize) -> usize {
    (kh * kw).next_power_of_two() * windows
}

/// Rotation steps `conv2d_im2col` uses for this kernel size and window count.
pub fn conv2d_rotation_steps(kh: usize, kw: usize, windows: usize) -> Vec<i64> {
    let kp = (kh * kw).next_power_of_two();
    let mut steps = Vec::new();
    let mut s = 1;
    while s < kp {
        steps.push((s * windows) as i64);
        s *= 2;
    }
    steps
}

/// The convolution of the encrypted im2col image with a plaintext kernel: outputs
/// for the `windows` windows in slots 0..windows.
pub fn conv2d_im2col<B: CkksBackend>(
    b: &B,
    x: &B::Ct,
    kernel: &[Vec<f64>],
    windows: usize,
) -> Result<B::Ct> {
    let kh = kernel.len();
    let kw = kernel.first().map_or(0, Vec::len);
    let k = kh * kw;
    if k == 0 || kernel.iter().any(|r| r.len() != kw) || windows == 0 {
        return Err(CircuitError::Shape(
            "kernel must be non-empty and rectangular".into(),
        ));
    }
    let needed = im2col_slots(kh, kw, windows);
    if needed > b.params().slots() {
        return Err(CircuitError::Shape(format!(
            "im2col needs {needed} slots, the parameters have {}",
            b.params().slots()
        )));
    }
    let mut weights = vec![0.0; k * windows];
    for (pos, &kv) in kernel.iter().flatten().enumerate() {
        weights[pos * windows..(pos + 1) * windows].fill(kv);
    }
    let scale = b.params().q(b.level(x)) as f64;
    let mut acc = b.rescale(&b.mul_values_at_scale(x, &weights, scale)?)?;
    for step in conv2d_rotation_steps(kh, kw, windows) {
        let r = b.rotate(&acc, step)?;
        acc = b.add(&acc, &r)?;
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::ckks::tests::ctx;

    #[test]
    fn convolution_matches_plain() {
        let c = ctx();
        let image: Vec<Vec<f64>> = (0..6)
            .map(|i| (0..7).map(|j| ((i * 7 + j) as f64 * 0.37).sin()).collect())
            .collect();
        let kernel = vec![
            vec![0.5, -0.25, 0.1],
            vec![0.3, 0.9, -0.7],
            vec![0.2, 0.0, -0.4],
        ];
        for stride in [1, 2] {
            let (v, windows) = im2col_encode(&image, 3, 3, stride).unwrap();
            let x = c.encryptor.encrypt_real(&v).unwrap();
            let y = conv2d_im2col(&c.evaluator, &x, &kernel, windows).unwrap();
            let out = c.decryptor.decrypt_real(&y);
            let out_w = (7 - 3) / stride + 1;
            for (win, &got) in out.iter().enumerate().take(windows) {
                let (oy, ox) = (win / out_w, win % out_w);
                let mut expected = 0.0;
                for (ky, row) in kernel.iter().enumerate() {
                    for (kx, &kv) in row.iter().enumerate() {
                        expected += kv * image[oy * stride + ky][ox * stride + kx];
                    }
                }
                assert!((got - expected).abs() < 1e-5, "window {win}");
            }
        }
        assert!(im2col_encode(&image, 9, 3, 1).is_err());
    }
}
