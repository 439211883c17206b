// TEMPORARY compile scaffold, replaced by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptionMode {
    Standard,
    Djn,
}
#[derive(Debug, Clone)]
pub struct PaillierParamsLiteral {
    pub key_bits: u32,
    pub mode: EncryptionMode,
    pub allow_insecure: bool,
}
#[derive(Debug, Clone)]
pub struct PaillierParams {
    lit: PaillierParamsLiteral,
}
impl PaillierParams {
    pub fn new(lit: PaillierParamsLiteral) -> Result<Self, String> {
        if lit.key_bits < 2048 && !lit.allow_insecure {
            return Err("key too small: at least 2048 bits, or allow_insecure".into());
        }
        Ok(Self { lit })
    }
    pub fn literal(&self) -> PaillierParamsLiteral {
        self.lit.clone()
    }
    pub fn security_label(&self) -> String {
        if self.lit.key_bits < 2048 {
            "insecure".into()
        } else {
            "112-bit".into()
        }
    }
    pub fn is_insecure(&self) -> bool {
        self.lit.key_bits < 2048
    }
    pub fn key_bits(&self) -> u32 {
        self.lit.key_bits
    }
}
