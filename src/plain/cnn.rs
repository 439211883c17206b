//! TenSEAL's tutorial CNN ("Encrypted Convolution on MNIST"), as Chen & Song
//! 2021 evaluated it: one convolution of 1 -> C channels (k x k, stride s, no
//! padding), the square, a dense layer to `hidden`, the square, a dense layer
//! to the classes. PyTorch's default initialisation (U(-1/sqrt(fan_in),
//! 1/sqrt(fan_in)) for weights and biases).

use tch::{Device, Tensor, nn, nn::Module};

use super::linear::DenseLayer;
use super::mlp::{Net, to_f64};

/// The network's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CnnShape {
    /// Side of the square single-channel input image.
    pub side: usize,
    pub channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub hidden: usize,
    pub classes: usize,
}

impl CnnShape {
    /// Output side of the convolution (no padding).
    pub fn conv_side(&self) -> usize {
        (self.side - self.kernel) / self.stride + 1
    }

    /// Width of the flattened convolution output (channel-major).
    pub fn conv_outputs(&self) -> usize {
        self.channels * self.conv_side() * self.conv_side()
    }
}

pub struct Cnn {
    vs: nn::VarStore,
    shape: CnnShape,
    conv: nn::Conv2D,
    fc1: nn::Linear,
    fc2: nn::Linear,
}

fn torch_default(fan_in: usize) -> nn::Init {
    let bound = 1.0 / (fan_in as f64).sqrt();
    nn::Init::Uniform {
        lo: -bound,
        up: bound,
    }
}

impl Cnn {
    /// A freshly initialised network (seed tch first for reproducibility).
    pub fn new(shape: CnnShape) -> Cnn {
        let vs = nn::VarStore::new(Device::Cpu);
        let root = vs.root();
        let k = shape.kernel;
        let conv = nn::conv2d(
            &root / "conv1",
            1,
            shape.channels as i64,
            k as i64,
            nn::ConvConfig {
                stride: shape.stride as i64,
                padding: 0,
                ws_init: torch_default(k * k),
                bs_init: torch_default(k * k),
                ..Default::default()
            },
        );
        let linear = |name: &str, i: usize, o: usize| {
            nn::linear(
                &root / name,
                i as i64,
                o as i64,
                nn::LinearConfig {
                    ws_init: torch_default(i),
                    bs_init: Some(torch_default(i)),
                    bias: true,
                },
            )
        };
        let fc1 = linear("fc1", shape.conv_outputs(), shape.hidden);
        let fc2 = linear("fc2", shape.hidden, shape.classes);
        Cnn {
            vs,
            shape,
            conv,
            fc1,
            fc2,
        }
    }

    pub fn shape(&self) -> CnnShape {
        self.shape
    }
}

impl Net for Cnn {
    /// Logits for flattened images (n x side^2).
    fn forward(&self, x: &Tensor) -> Tensor {
        let side = self.shape.side as i64;
        let h = self.conv.forward(&x.view([-1, 1, side, side]));
        let h = (&h * &h).view([-1, self.shape.conv_outputs() as i64]);
        let h = self.fc1.forward(&h);
        self.fc2.forward(&(&h * &h))
    }

    fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    /// The convolution as a k^2 -> C layer (row c: kernel c, row-major),
    /// then fc1 and fc2.
    fn layers(&self) -> Vec<DenseLayer> {
        let k = self.shape.kernel;
        let conv_b = self
            .conv
            .bs
            .as_ref()
            .map(to_f64)
            .unwrap_or_else(|| vec![0.0; self.shape.channels]);
        let mut out = vec![DenseLayer::new(
            k * k,
            self.shape.channels,
            to_f64(&self.conv.ws),
            conv_b,
        )];
        for l in [&self.fc1, &self.fc2] {
            let size = l.ws.size();
            let b = l.bs.as_ref().map(to_f64).expect("dense layers have biases");
            out.push(DenseLayer::new(
                size[1] as usize,
                size[0] as usize,
                to_f64(&l.ws),
                b,
            ));
        }
        out
    }
}

/// The CNN's forward pass in f64 from its exported layers (the reference the
/// encrypted evaluation is compared with): channel-major convolution outputs.
pub fn forward_f64(shape: &CnnShape, layers: &[DenseLayer], image: &[f64]) -> Vec<f64> {
    let (side, k, s, o) = (shape.side, shape.kernel, shape.stride, shape.conv_side());
    let conv = &layers[0];
    let mut h = Vec::with_capacity(shape.conv_outputs());
    for c in 0..shape.channels {
        for wy in 0..o {
            for wx in 0..o {
                let mut acc = conv.b[c];
                for ky in 0..k {
                    for kx in 0..k {
                        acc += conv.w[c * k * k + ky * k + kx]
                            * image[(wy * s + ky) * side + wx * s + kx];
                    }
                }
                h.push(acc * acc);
            }
        }
    }
    let h: Vec<f64> = layers[1].apply(&h).iter().map(|v| v * v).collect();
    layers[2].apply(&h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_f64_forward_pass_equals_tch() {
        tch::manual_seed(3);
        let shape = CnnShape {
            side: 28,
            channels: 4,
            kernel: 7,
            stride: 3,
            hidden: 64,
            classes: 10,
        };
        assert_eq!((shape.conv_side(), shape.conv_outputs()), (8, 256));
        let net = Cnn::new(shape);
        let image: Vec<f64> = (0..784).map(|i| ((i * 37 % 101) as f64) / 100.0).collect();
        let x = Tensor::from_slice(&image)
            .to_kind(tch::Kind::Float)
            .view([1, 784]);
        let want = Vec::<f64>::try_from(&net.logits(&x).to_kind(tch::Kind::Double).flatten(0, -1))
            .unwrap();
        let got = forward_f64(&shape, &net.layers(), &image);
        for (a, b) in got.iter().zip(&want) {
            assert!(
                (a - b).abs() < 1e-3 * (1.0 + b.abs()),
                "{got:?} vs {want:?}"
            );
        }
    }
}
