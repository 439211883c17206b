//! The collapsed MU18 layer on Paillier: keys, encoded weights, and one image
//! classified end to end with every stage timed and the result checked
//! against the same fixed-point arithmetic done in the clear.

use std::time::Instant;

use anyhow::{Context as _, Result, ensure};
use rug::Integer;
use rug::ops::Pow;

use super::Recorder;
use crate::he::paillier::{
    EncodedNumber, EncryptedNumber, Keypair, LinearLayer, PackedEncryptedVector, PaillierParams,
    WeightEncoding, generate_keypair,
};
use crate::plain::DenseLayer;
use crate::plain::linear::argmax;
use crate::results::MetricKind;

/// A key pair and the layer's weights encoded under it.
pub struct EncryptedLayer {
    keys: Keypair,
    layer: LinearLayer,
    plain: DenseLayer,
    /// The bias as python-paillier encodes it: (mantissa, exponent).
    bias: Vec<(Integer, i32)>,
    /// A true bound on |logit| for pixels in 0..=255: the server packs the
    /// logits into one ciphertext so the key owner decrypts once per image.
    logit_bound: f64,
}

/// One classified image.
#[derive(Debug, Clone)]
pub struct ImageResult {
    pub predicted: usize,
    /// The decrypted logits equal the plaintext fixed-point computation exactly.
    pub matches_fixed_point: bool,
    /// Largest |decrypted logit - f64 logit|.
    pub max_logit_error: f64,
    pub encrypt_ms: f64,
    pub evaluate_ms: f64,
    pub decrypt_ms: f64,
}

/// `m * 16^e` brought to exponent `to <= e`.
fn at_exponent(m: &Integer, e: i32, to: i32) -> Integer {
    debug_assert!(to <= e);
    m * Integer::from(16).pow((e - to) as u32)
}

impl EncryptedLayer {
    /// Generates the key pair (timed as the `keygen` stage) and encodes the
    /// weights: python-paillier's default (53-bit mantissas, one exponent per
    /// row) or `precision_bits` significant bits of the largest weight.
    pub fn new(
        params: &PaillierParams,
        plain: &DenseLayer,
        precision_bits: Option<u32>,
        rec: &mut Recorder,
    ) -> Result<EncryptedLayer> {
        rec.set_scheme(
            "paillier",
            serde_json::json!({
                "key_bits": params.key_bits(),
                "mode": format!("{:?}", params.mode()).to_lowercase(),
                "weights": match precision_bits {
                    None => "python-paillier default (53-bit mantissas)".to_string(),
                    Some(p) => format!("{p} significant bits"),
                },
                "layer": format!("{}x{}", plain.out_dim, plain.in_dim),
            })
            .to_string(),
            params.security_label(),
        );
        let t0 = Instant::now();
        let keys = generate_keypair(params).context("generating the Paillier key pair")?;
        rec.measure(
            "keygen",
            "keygen_ms",
            MetricKind::Info,
            t0.elapsed().as_secs_f64() * 1e3,
            "ms",
        )
        .note = format!(
            "{}-bit n, primes from the OS CSPRNG; the prime search takes a random time, so this is reported, not checked",
            params.key_bits()
        );
        let encoding = match precision_bits {
            None => WeightEncoding::PythonDefault,
            Some(p) => {
                let max = plain
                    .w
                    .iter()
                    .fold(0.0f64, |m, w| m.max(w.abs()))
                    .max(f64::MIN_POSITIVE);
                WeightEncoding::Precision(max * 2f64.powi(-(p as i32)))
            }
        };
        let layer = LinearLayer::new(
            plain.out_dim,
            plain.in_dim,
            &plain.w,
            Some(&plain.b),
            encoding,
        )
        .context("encoding the weights")?;
        rec.measure(
            "encode",
            "weight_mantissa_bits",
            MetricKind::Info,
            layer.weights().max_mantissa_bits() as f64,
            "bits",
        )
        .note = "largest encoded weight; the exponent size of the multi-exponentiation".into();
        let bias = plain
            .b
            .iter()
            .map(|&b| EncodedNumber::encode_f64(&keys.public, b)?.decode_exact())
            .collect::<Result<Vec<_>, _>>()
            .context("encoding the bias")?;
        let logit_bound = (0..plain.out_dim)
            .map(|r| {
                let row = &plain.w[r * plain.in_dim..(r + 1) * plain.in_dim];
                row.iter().map(|w| w.abs() * 255.0).sum::<f64>() + plain.b[r].abs()
            })
            .fold(0.0, f64::max)
            * 1.01
            + 1.0;
        Ok(EncryptedLayer {
            keys,
            layer,
            plain: plain.clone(),
            bias,
            logit_bound,
        })
    }

    /// Encrypts `pixels` (integers 0..255, exact), applies the layer
    /// homomorphically, decrypts the logits, and checks them.
    pub fn classify(&self, pixels: &[u8]) -> Result<ImageResult> {
        ensure!(
            pixels.len() == self.plain.in_dim,
            "an image of {} pixels, not {}",
            self.plain.in_dim,
            pixels.len()
        );
        let pk = &self.keys.public;
        let t0 = Instant::now();
        let image: Vec<EncryptedNumber> = pixels
            .iter()
            .map(|&p| pk.encrypt_i64(i64::from(p)))
            .collect::<Result<_, _>>()?;
        let t1 = Instant::now();
        let logits = self.layer.forward(&image)?;
        let packed = PackedEncryptedVector::pack_with_bound(&logits, self.logit_bound)?;
        let t2 = Instant::now();
        let decrypted: Vec<(Integer, i32)> = self
            .keys
            .secret
            .decrypt_packed(&packed)?
            .iter()
            .map(EncodedNumber::decode_exact)
            .collect::<Result<_, _>>()?;
        let t3 = Instant::now();

        let x: Vec<f64> = pixels.iter().map(|&p| f64::from(p)).collect();
        let reference = self.plain.apply(&x);
        let mut values = Vec::with_capacity(decrypted.len());
        let mut matches = true;
        let weights = self.layer.weights();
        for (r, (m, e)) in decrypted.iter().enumerate() {
            let value = m.to_f64() * 16f64.powi(*e);
            values.push(value);
            // The same fixed-point arithmetic in the clear: sum of integer
            // weight mantissas times pixels at the row's exponent, plus the
            // encoded bias.
            let row_e = weights.row_exponent(r);
            let dot = weights
                .row(r)
                .iter()
                .zip(pixels)
                .fold(Integer::new(), |acc, (w, &p)| acc + w * u32::from(p));
            let (bm, be) = &self.bias[r];
            let low = row_e.min(*be).min(*e);
            let expected = at_exponent(&dot, row_e, low) + at_exponent(bm, *be, low);
            matches &= expected == at_exponent(m, *e, low);
        }
        let max_logit_error = values
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        Ok(ImageResult {
            predicted: argmax(&values),
            matches_fixed_point: matches,
            max_logit_error,
            encrypt_ms: (t1 - t0).as_secs_f64() * 1e3,
            evaluate_ms: (t2 - t1).as_secs_f64() * 1e3,
            decrypt_ms: (t3 - t2).as_secs_f64() * 1e3,
        })
    }

    /// Bytes of the encrypted image sent to the server (784 ciphertexts mod n^2).
    pub fn ciphertext_bytes_per_image(&self) -> usize {
        self.plain.in_dim * (2 * self.keys.public.bits() as usize).div_ceil(8)
    }
}
