//! Parameters: an unchecked, serialisable literal and its validated,
//! immutable counterpart.
//!
//! Key-size policy: moduli of [`MIN_SECURE_KEY_BITS`] (2048) bits and more
//! are accepted; smaller ones (down to [`MIN_INSECURE_KEY_BITS`]) only when
//! the literal sets `allow_insecure = true`, e.g. for fast tests. Security
//! strengths follow NIST SP 800-57 Part 1 Rev. 5, Table 2 (1024 -> 80,
//! 2048 -> 112, 3072 -> 128, 7680 -> 192, 15360 -> 256) and NIST
//! SP 800-56B Rev. 2, Appendix D (4096 -> 152, 6144 -> 176, 8192 -> 200);
//! other sizes use the GNFS work-factor formula of SP 800-56B Rev. 2
//! Appendix D rounded to a multiple of 8 bits, kept monotone between the
//! tabulated sizes.

use serde::{Deserialize, Serialize};

use crate::he::paillier::error::{PaillierError, Result};

/// Smallest modulus accepted without opting in to insecure keys.
pub const MIN_SECURE_KEY_BITS: u32 = 2048;
/// Smallest modulus accepted at all (with `allow_insecure = true`).
pub const MIN_INSECURE_KEY_BITS: u32 = 512;
/// Largest modulus accepted.
pub const MAX_KEY_BITS: u32 = 16384;
/// Default modulus size (128-bit security).
pub const DEFAULT_KEY_BITS: u32 = 3072;

/// How fresh ciphertext randomness is produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncryptionMode {
    /// Paillier's original scheme, as python-paillier: `c = (1 + n)^m * r^n
    /// mod n^2` with `r` uniform in `[1, n)`.
    #[default]
    Standard,
    /// The Damgard-Jurik-Nielsen variant: `c = (1 + n)^m * h_s^a mod n^2`
    /// with `h_s = (-x^2)^n mod n^2` published in the public key and a
    /// short random exponent `a` of `2 * security_bits` bits, computed with
    /// a fixed-base table. Ciphertexts are ordinary Paillier ciphertexts
    /// (any Paillier decryptor, python-paillier included, decrypts them).
    Djn,
}

/// Unchecked parameters as written in a configuration file.
///
/// Turn it into [`PaillierParams`] with [`PaillierParams::from_literal`]
/// (the only validation entry point).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaillierParamsLiteral {
    /// Size of the modulus n in bits (even; 2048 and up).
    pub key_bits: u32,
    /// Encryption mode.
    pub mode: EncryptionMode,
    /// Opt in to moduli below 2048 bits (tests, toy runs).
    pub allow_insecure: bool,
}

impl Default for PaillierParamsLiteral {
    fn default() -> Self {
        Self {
            key_bits: DEFAULT_KEY_BITS,
            mode: EncryptionMode::Standard,
            allow_insecure: false,
        }
    }
}

/// Validated, immutable Paillier parameters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PaillierParams {
    key_bits: u32,
    mode: EncryptionMode,
    insecure: bool,
    security_bits: u32,
}

impl PaillierParams {
    /// Validates a literal: the single entry point from unchecked input.
    ///
    /// # Errors
    /// [`PaillierError::KeyBitsOdd`], [`PaillierError::KeyTooSmall`],
    /// [`PaillierError::KeyTooLarge`].
    pub fn from_literal(literal: &PaillierParamsLiteral) -> Result<Self> {
        let bits = literal.key_bits;
        check_key_bits(bits, literal.allow_insecure)?;
        Ok(Self {
            key_bits: bits,
            mode: literal.mode,
            insecure: bits < MIN_SECURE_KEY_BITS,
            security_bits: security_bits_for_modulus(bits),
        })
    }

    /// Shorthand for `from_literal` with `allow_insecure = false`.
    ///
    /// # Errors
    /// As [`PaillierParams::from_literal`].
    pub fn new(key_bits: u32, mode: EncryptionMode) -> Result<Self> {
        Self::from_literal(&PaillierParamsLiteral {
            key_bits,
            mode,
            allow_insecure: false,
        })
    }

    /// Back to the serialisable literal (round-trips through `from_literal`).
    pub fn to_literal(&self) -> PaillierParamsLiteral {
        PaillierParamsLiteral {
            key_bits: self.key_bits,
            mode: self.mode,
            allow_insecure: self.insecure,
        }
    }

    /// Modulus size in bits.
    pub fn key_bits(&self) -> u32 {
        self.key_bits
    }

    /// Encryption mode.
    pub fn mode(&self) -> EncryptionMode {
        self.mode
    }

    /// True when the modulus is below 2048 bits (accepted by opt-in only).
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    /// Estimated security strength in bits (see the module docs).
    pub fn security_bits(&self) -> u32 {
        self.security_bits
    }

    /// Human-readable strength: `"112-bit"`, or for opted-in small keys
    /// `"insecure: 1024-bit modulus (80-bit), opted in"`.
    pub fn security_label(&self) -> String {
        security_label(self.key_bits, self.insecure)
    }

    /// Bit length of the DJN short exponent: `2 * security_bits`.
    pub fn djn_exponent_bits(&self) -> u32 {
        2 * self.security_bits
    }
}

impl TryFrom<PaillierParamsLiteral> for PaillierParams {
    type Error = PaillierError;
    fn try_from(value: PaillierParamsLiteral) -> Result<Self> {
        Self::from_literal(&value)
    }
}

impl TryFrom<&PaillierParamsLiteral> for PaillierParams {
    type Error = PaillierError;
    fn try_from(value: &PaillierParamsLiteral) -> Result<Self> {
        Self::from_literal(value)
    }
}

/// Checks a modulus size against the policy (also used on key import,
/// where the size is that of the imported n and need not be even).
pub(crate) fn check_key_bits_size(bits: u32, allow_insecure: bool) -> Result<()> {
    if bits > MAX_KEY_BITS {
        return Err(PaillierError::KeyTooLarge {
            bits,
            max_bits: MAX_KEY_BITS,
        });
    }
    let floor = if allow_insecure {
        MIN_INSECURE_KEY_BITS
    } else {
        MIN_SECURE_KEY_BITS
    };
    if bits < floor {
        return Err(PaillierError::KeyTooSmall {
            bits,
            min_bits: MIN_SECURE_KEY_BITS,
            absolute_min_bits: MIN_INSECURE_KEY_BITS,
            insecure_allowed: allow_insecure,
        });
    }
    Ok(())
}

fn check_key_bits(bits: u32, allow_insecure: bool) -> Result<()> {
    check_key_bits_size(bits, allow_insecure)?;
    if !bits.is_multiple_of(2) {
        return Err(PaillierError::KeyBitsOdd {
            bits,
            suggestion: bits + 1,
        });
    }
    Ok(())
}

/// Tabulated NIST strengths (SP 800-57 Pt. 1 Rev. 5 Table 2 and
/// SP 800-56B Rev. 2 Appendix D).
const NIST_TABLE: [(u32, u32); 8] = [
    (1024, 80),
    (2048, 112),
    (3072, 128),
    (4096, 152),
    (6144, 176),
    (7680, 192),
    (8192, 200),
    (15360, 256),
];

/// GNFS work factor of SP 800-56B Rev. 2 Appendix D:
/// `(1.923 * cbrt(L ln 2) * cbrt(ln(L ln 2))^2 - 4.69) / ln 2`.
fn gnfs_strength(bits: u32) -> f64 {
    let x = f64::from(bits) * std::f64::consts::LN_2;
    (1.923 * x.cbrt() * x.ln().cbrt().powi(2) - 4.69) / std::f64::consts::LN_2
}

/// Estimated security strength of an RSA/Paillier modulus of `bits` bits.
pub fn security_bits_for_modulus(bits: u32) -> u32 {
    if let Some(&(_, s)) = NIST_TABLE.iter().find(|(b, _)| *b == bits) {
        return s;
    }
    // Formula rounded to the nearest multiple of 8, kept between the
    // strengths of the neighbouring tabulated sizes.
    let est = gnfs_strength(bits).max(0.0);
    let mut s = ((est / 8.0).round() * 8.0) as u32;
    if let Some(&(_, lo)) = NIST_TABLE.iter().rev().find(|(b, _)| *b < bits) {
        s = s.max(lo);
    }
    if let Some(&(_, hi)) = NIST_TABLE.iter().find(|(b, _)| *b > bits) {
        s = s.min(hi);
    }
    s
}

/// The label of [`PaillierParams::security_label`] for any modulus size.
pub fn security_label(bits: u32, insecure: bool) -> String {
    let s = security_bits_for_modulus(bits);
    if insecure || bits < MIN_SECURE_KEY_BITS {
        format!("insecure: {bits}-bit modulus ({s}-bit), opted in")
    } else {
        format!("{s}-bit")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nist_strengths() {
        for (bits, s) in [
            (1024, 80),
            (2048, 112),
            (3072, 128),
            (4096, 152),
            (7680, 192),
            (15360, 256),
        ] {
            assert_eq!(security_bits_for_modulus(bits), s, "{bits}");
        }
        // The formula agrees with the tabulated 4096-bit value.
        assert!((gnfs_strength(4096) - 152.0).abs() < 4.0);
        // Monotone over the whole accepted range.
        let mut last = 0;
        for bits in (MIN_INSECURE_KEY_BITS..=MAX_KEY_BITS).step_by(2) {
            let s = security_bits_for_modulus(bits);
            assert!(s >= last, "{bits}: {s} < {last}");
            last = s;
        }
    }

    #[test]
    fn default_is_3072_standard() {
        let p = PaillierParams::from_literal(&PaillierParamsLiteral::default()).unwrap();
        assert_eq!(p.key_bits(), 3072);
        assert_eq!(p.mode(), EncryptionMode::Standard);
        assert_eq!(p.security_bits(), 128);
        assert_eq!(p.security_label(), "128-bit");
        assert_eq!(p.djn_exponent_bits(), 256);
    }

    #[test]
    fn policy_1024_needs_opt_in_and_message_names_minimum() {
        let lit = PaillierParamsLiteral {
            key_bits: 1024,
            mode: EncryptionMode::Standard,
            allow_insecure: false,
        };
        let err = PaillierParams::from_literal(&lit).unwrap_err();
        assert_eq!(
            err,
            PaillierError::KeyTooSmall {
                bits: 1024,
                min_bits: 2048,
                absolute_min_bits: MIN_INSECURE_KEY_BITS,
                insecure_allowed: false
            }
        );
        assert!(err.to_string().contains("minimum is 2048 bits"), "{err}");

        let ok = PaillierParams::from_literal(&PaillierParamsLiteral {
            allow_insecure: true,
            ..lit
        })
        .unwrap();
        assert!(ok.is_insecure());
        assert_eq!(ok.security_bits(), 80);
        assert_eq!(
            ok.security_label(),
            "insecure: 1024-bit modulus (80-bit), opted in"
        );
    }

    #[test]
    fn policy_rejects_odd_tiny_and_huge() {
        let odd = PaillierParams::new(2049, EncryptionMode::Djn).unwrap_err();
        assert_eq!(
            odd,
            PaillierError::KeyBitsOdd {
                bits: 2049,
                suggestion: 2050
            }
        );
        let tiny = PaillierParams::from_literal(&PaillierParamsLiteral {
            key_bits: 256,
            mode: EncryptionMode::Standard,
            allow_insecure: true,
        })
        .unwrap_err();
        assert!(matches!(tiny, PaillierError::KeyTooSmall { bits: 256, .. }));
        let huge = PaillierParams::new(32768, EncryptionMode::Standard).unwrap_err();
        assert!(matches!(
            huge,
            PaillierError::KeyTooLarge {
                max_bits: 16384,
                ..
            }
        ));
        // A 2048-bit key does not need (and keeps no trace of) the opt-in.
        let p = PaillierParams::from_literal(&PaillierParamsLiteral {
            key_bits: 2048,
            mode: EncryptionMode::Djn,
            allow_insecure: true,
        })
        .unwrap();
        assert!(!p.is_insecure());
        assert_eq!(p.security_label(), "112-bit");
        assert_eq!(p.djn_exponent_bits(), 224);
    }

    #[test]
    fn literal_serde_round_trip_and_strictness() {
        let lit = PaillierParamsLiteral {
            key_bits: 2048,
            mode: EncryptionMode::Djn,
            allow_insecure: false,
        };
        let s = serde_json::to_string(&lit).unwrap();
        assert_eq!(
            s,
            r#"{"key_bits":2048,"mode":"djn","allow_insecure":false}"#
        );
        let back: PaillierParamsLiteral = serde_json::from_str(&s).unwrap();
        assert_eq!(back, lit);
        let p = PaillierParams::try_from(back).unwrap();
        assert_eq!(p.to_literal(), lit);
        let dflt: PaillierParamsLiteral = serde_json::from_str("{}").unwrap();
        assert_eq!(dflt, PaillierParamsLiteral::default());
        assert!(serde_json::from_str::<PaillierParamsLiteral>(r#"{"key_bit":2048}"#).is_err());
    }
}
