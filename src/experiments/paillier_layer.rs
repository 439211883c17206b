// TEMPORARY scaffold until the engine lands.
use super::Recorder;
use crate::he::paillier::PaillierParams;
use crate::plain::DenseLayer;
use anyhow::{Result, bail};
pub struct EncryptedLayer;
pub struct ImageResult {
    pub predicted: usize,
    pub matches_fixed_point: bool,
    pub max_logit_error: f64,
    pub encrypt_ms: f64,
    pub evaluate_ms: f64,
    pub decrypt_ms: f64,
}
impl EncryptedLayer {
    pub fn new(
        _p: &PaillierParams,
        _l: &DenseLayer,
        _b: Option<u32>,
        _r: &mut Recorder,
    ) -> Result<Self> {
        bail!("not yet")
    }
    pub fn classify(&self, _px: &[u8]) -> Result<ImageResult> {
        bail!("not yet")
    }
    pub fn ciphertext_bytes_per_image(&self) -> usize {
        0
    }
}
