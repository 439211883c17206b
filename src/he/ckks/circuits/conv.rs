//! Convolution on an im2col-encoded image, as TenSEAL's `im2col_encoding` and
//! `conv2d_im2col`: slot k * W + w holds the image value under kernel position k
//! of window w (W windows, K = kh * kw kernel positions). A product with the
//! kernel (entry k repeated over its W slots) and a rotate-and-add over the K
//! position rows (padded to a power of two) leaves the W outputs in slots 0..W.
//! One level; log2(K) rotations by multiples of W.

//!
//! Several channels: `im2col_encode_channels` stacks the kernel positions of
//! every input channel (K = C_in kh kw), and `conv2d_im2col_transform` turns
//! C_out kernels into one plaintext linear map from the im2col slots to the
//! outputs packed channel-major (slot c W + w). Output slot c W + w reads only
//! input slots p W + w, so the map has non-zero generalised diagonals only at
//! multiples of W: K products and about log2 of the rest in rotations compute
//! every output channel at once, already packed (TenSEAL computes one channel
//! per `conv2d_im2col` and packs them with `pack_vectors` afterwards). The
//! output is replicated with the next power of two of C_out W, as every
//! `LinearTransform` output, so a dense layer chains on directly.

use super::linear::LinearTransform;
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

/// The im2col vector of a multi-channel image (channels x rows x cols): slot
/// p W + w holds the value under kernel position p = (channel, ky, kx) of
/// window w, positions padded to a power of two; and the window count W.
pub fn im2col_encode_channels(
    image: &[Vec<Vec<f64>>],
    kh: usize,
    kw: usize,
    stride: usize,
) -> Result<(Vec<f64>, usize)> {
    let mut windows = 0;
    let mut per_channel = Vec::with_capacity(image.len());
    for channel in image {
        let (v, w) = im2col_encode(channel, kh, kw, stride)?;
        if windows != 0 && w != windows {
            return Err(CircuitError::Shape(
                "every channel must have the same size".into(),
            ));
        }
        windows = w;
        per_channel.push(v);
    }
    if per_channel.is_empty() {
        return Err(CircuitError::Shape("an image needs a channel".into()));
    }
    let k = kh * kw;
    let positions = (image.len() * k).next_power_of_two();
    let mut v = vec![0.0; positions * windows];
    for (ci, enc) in per_channel.iter().enumerate() {
        let start = ci * k * windows;
        v[start..start + k * windows].copy_from_slice(&enc[..k * windows]);
    }
    Ok((v, windows))
}

/// The convolution of an im2col-encoded image (`im2col_encode_channels`)
/// with `kernels` (output channels x input channels x kh x kw) as a linear
/// transform: y[c W + w] = sum_p kernels[c][p] x[p W + w]. Pack the im2col
/// vector with the transform's `pack_input`; read the outputs with
/// `unpack_output` (length C_out W, channel-major).
pub fn conv2d_im2col_transform(
    kernels: &[Vec<Vec<Vec<f64>>>],
    windows: usize,
    slots: usize,
) -> Result<LinearTransform> {
    let c_out = kernels.len();
    let c_in = kernels.first().map_or(0, Vec::len);
    let kh = kernels.first().and_then(|k| k.first()).map_or(0, Vec::len);
    let kw = kernels
        .first()
        .and_then(|k| k.first())
        .and_then(|k| k.first())
        .map_or(0, Vec::len);
    let rectangular = kernels.iter().all(|k| {
        k.len() == c_in
            && k.iter()
                .all(|ch| ch.len() == kh && ch.iter().all(|r| r.len() == kw))
    });
    if c_out == 0 || c_in * kh * kw == 0 || !rectangular || windows == 0 {
        return Err(CircuitError::Shape(
            "kernels must be non-empty and rectangular (out x in x kh x kw)".into(),
        ));
    }
    let k = c_in * kh * kw;
    let cols = k.next_power_of_two() * windows;
    if cols > slots {
        return Err(CircuitError::Shape(format!(
            "im2col needs {cols} slots, the parameters have {slots}"
        )));
    }
    let mut matrix = vec![vec![0.0; cols]; c_out * windows];
    for (c, kernel) in kernels.iter().enumerate() {
        for (p, &kv) in kernel.iter().flatten().flatten().enumerate() {
            for w in 0..windows {
                matrix[c * windows + w][p * windows + w] = kv;
            }
        }
    }
    LinearTransform::matrix_vector(&matrix, slots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::ckks::tests::ctx;

    #[test]
    fn multi_channel_convolution_matches_plain_and_packs_the_channels() {
        let c = ctx();
        let slots = c.params.slots();
        // 2 input channels of 6x6, 3 output channels, 3x3 kernels, stride 1.
        let image: Vec<Vec<Vec<f64>>> = (0..2)
            .map(|ch| {
                (0..6)
                    .map(|i| {
                        (0..6)
                            .map(|j| ((ch * 36 + i * 6 + j) as f64 * 0.29).sin())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let kernels: Vec<Vec<Vec<Vec<f64>>>> = (0..3)
            .map(|co| {
                (0..2)
                    .map(|ci| {
                        (0..3)
                            .map(|ky| {
                                (0..3)
                                    .map(|kx| {
                                        (((co * 18 + ci * 9 + ky * 3 + kx) as f64) * 0.41).cos()
                                            * 0.5
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let (v, windows) = im2col_encode_channels(&image, 3, 3, 1).unwrap();
        assert_eq!(windows, 16);
        let lt = conv2d_im2col_transform(&kernels, windows, slots).unwrap();
        // Only the diagonals at multiples of W are non-zero.
        assert!(
            lt.diagonal_count() <= 32,
            "{} diagonals",
            lt.diagonal_count()
        );
        let cts: Vec<_> = lt
            .pack_input(&v)
            .unwrap()
            .iter()
            .map(|p| c.encryptor.encrypt_real(p).unwrap())
            .collect();
        let out = lt.apply(&c.evaluator, &cts).unwrap();
        let y = lt.unpack_output(
            &out.iter()
                .map(|o| c.decryptor.decrypt_real(o))
                .collect::<Vec<_>>(),
        );
        assert_eq!(y.len(), 3 * windows);
        for (co, kernel) in kernels.iter().enumerate() {
            for win in 0..windows {
                let (oy, ox) = (win / 4, win % 4);
                let mut expected = 0.0;
                for (ci, ch) in kernel.iter().enumerate() {
                    for (ky, row) in ch.iter().enumerate() {
                        for (kx, &kv) in row.iter().enumerate() {
                            expected += kv * image[ci][oy + ky][ox + kx];
                        }
                    }
                }
                let got = y[co * windows + win];
                assert!(
                    (got - expected).abs() < 1e-5,
                    "channel {co} window {win}: {got} vs {expected}"
                );
            }
        }
        let ragged = vec![
            vec![vec![vec![1.0; 3]; 3]; 2],
            vec![vec![vec![1.0; 3]; 3]; 1],
        ];
        assert!(conv2d_im2col_transform(&ragged, windows, slots).is_err());
        assert!(conv2d_im2col_transform(&kernels, windows * 4, slots).is_err());
    }

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
