//! Fixed-point encoding compatible with python-paillier's `EncodedNumber`.
//!
//! A real `x` is represented as `mantissa * BASE^exponent` with an integer
//! mantissa in `[-max_int, max_int]` (`max_int = n // 3 - 1`), stored as
//! `mantissa mod n` (negative numbers as `n + mantissa`). Values between
//! `max_int` and `n - max_int` are the overflow band: decoding them is an
//! error, never a wrong answer.
//!
//! The exponent is chosen exactly as python-paillier 1.5's
//! `EncodedNumber.encode(scalar, precision=None, max_exponent=None)`:
//! * float, no precision: `floor((frexp(x).exp - 53) / 4)` (every bit of
//!   the float is kept, the encoding is exact);
//! * integer, no precision: 0;
//! * with `precision`: `floor(log(precision) / log(16))` (computed in
//!   floating point, as Python does);
//! * with `max_exponent`: the minimum of the above and `max_exponent`;
//!
//! and the mantissa is `round(Fraction(x) * 16^-exponent)` with Python's
//! round-half-to-even, computed exactly.

use std::fmt;

use rug::Integer;

use crate::he::paillier::error::{PaillierError, Result};
use crate::he::paillier::keys::PublicKey;
use crate::he::paillier::multiexp::reduce;

/// Base of the exponent, as python-paillier.
pub const BASE: u32 = 16;
/// `log2(BASE)`.
pub const LOG2_BASE: u32 = 4;
/// Mantissa bits of an IEEE-754 double (Python's `sys.float_info.mant_dig`).
pub const FLOAT_MANTISSA_BITS: i32 = 53;

/// Python's `math.frexp(x)[1]`: the `e` with `x = m * 2^e`, `0.5 <= |m| < 1`
/// (0 for 0.0). `x` must be finite.
pub fn frexp_exponent(x: f64) -> i32 {
    if x == 0.0 {
        return 0;
    }
    let bits = x.to_bits();
    let exp_field = ((bits >> 52) & 0x7ff) as i32;
    if exp_field != 0 {
        exp_field - 1022
    } else {
        let mant = bits & ((1u64 << 52) - 1);
        (64 - mant.leading_zeros()) as i32 - 1074
    }
}

/// Exact decomposition of a finite float: `x = m * 2^s`, `m` an integer.
pub(crate) fn float_parts(x: f64) -> (Integer, i64) {
    let bits = x.to_bits();
    let neg = bits >> 63 == 1;
    let exp_field = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, s) = if exp_field == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), exp_field - 1075)
    };
    let m = Integer::from(m);
    (if neg { -m } else { m }, s)
}

/// `round_half_even(v * 2^shift)` computed exactly (Python's `round` of a
/// `Fraction`).
pub(crate) fn round_scaled(v: &Integer, shift: i64) -> Integer {
    if shift >= 0 {
        return Integer::from(v << shift as u32);
    }
    let k = shift.unsigned_abs();
    let mag = Integer::from(v.abs_ref());
    if k > u64::from(mag.significant_bits()) + 1 {
        return Integer::new(); // |v * 2^shift| < 1/2
    }
    let k = k as u32;
    let q = Integer::from(&mag >> k);
    let rem = mag.keep_bits(k);
    let half = Integer::from(1) << (k - 1);
    let round_up = match rem.cmp(&half) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => q.is_odd(),
        std::cmp::Ordering::Less => false,
    };
    let q = if round_up { q + 1u32 } else { q };
    if *v < 0 { -q } else { q }
}

/// `m * 2^s` as the nearest `f64` (ties to even), as Python's
/// `int / int` true division is correctly rounded.
///
/// # Errors
/// [`PaillierError::FloatOverflow`] when the result exceeds `f64::MAX`.
pub(crate) fn integer_times_pow2_to_f64(m: &Integer, s: i64) -> Result<f64> {
    if *m == 0 {
        return Ok(0.0);
    }
    let neg = *m < 0;
    let mag = Integer::from(m.abs_ref());
    let b = i64::from(mag.significant_bits());
    let e = b + s; // 2^(e-1) <= |value| < 2^e
    if e > 1025 {
        return Err(PaillierError::FloatOverflow { log2: e });
    }
    let lsb = (e - 53).max(-1074);
    let r = round_scaled(&mag, s - lsb); // <= 2^53
    let r = r.to_u64().unwrap_or(u64::MAX);
    let value = if r == 0 {
        0.0
    } else if lsb == -1074 {
        // r * 2^-1074 is exactly the bit pattern r (subnormal or the
        // smallest normal binade).
        f64::from_bits(r)
    } else {
        let pow2 = if lsb >= -1022 {
            f64::from_bits(((lsb + 1023) as u64) << 52)
        } else {
            f64::from_bits(1u64 << (lsb + 1074))
        };
        (r as f64) * pow2
    };
    if value.is_infinite() {
        return Err(PaillierError::FloatOverflow { log2: e });
    }
    Ok(if neg { -value } else { value })
}

/// Python's exponent choice for given precision / max_exponent, where
/// `natural` is the exponent without them.
fn choose_exponent(natural: i32, precision: Option<f64>, max_exponent: Option<i32>) -> Result<i32> {
    let prec_exponent = match precision {
        None => natural,
        Some(p) => {
            if !(p.is_finite() && p > 0.0) {
                return Err(PaillierError::InvalidPrecision { precision: p });
            }
            // math.floor(math.log(precision, 16)) == floor(ln p / ln 16)
            let e = (p.ln() / f64::from(BASE).ln()).floor();
            if !(f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&e) {
                return Err(PaillierError::ExponentOutOfRange {
                    what: format!("precision {p} gives exponent {e}"),
                });
            }
            e as i32
        }
    };
    Ok(match max_exponent {
        None => prec_exponent,
        Some(m) => m.min(prec_exponent),
    })
}

/// A plaintext encoded for one public key: `encoding` in `[0, n)` and a
/// base-16 exponent.
#[derive(Clone)]
pub struct EncodedNumber {
    pub(crate) encoding: Integer,
    pub(crate) exponent: i32,
    pub(crate) public_key: PublicKey,
}

impl fmt::Debug for EncodedNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedNumber")
            .field("encoding_bits", &self.encoding.significant_bits())
            .field("exponent", &self.exponent)
            .field("key", &self.public_key.fingerprint())
            .finish()
    }
}

impl PartialEq for EncodedNumber {
    fn eq(&self, other: &Self) -> bool {
        self.exponent == other.exponent
            && self.encoding == other.encoding
            && self.public_key == other.public_key
    }
}

impl EncodedNumber {
    /// Encodes the exact value `v * 2^s` (shared by float and integer paths).
    fn encode_scaled(public_key: &PublicKey, v: &Integer, s: i64, exponent: i32) -> Result<Self> {
        let shift = s - i64::from(LOG2_BASE) * i64::from(exponent);
        let max_int = public_key.max_int();
        // Refuse before materialising a huge shifted value.
        if *v != 0 && i64::from(v.significant_bits()) + shift > i64::from(public_key.bits()) + 2 {
            return Err(PaillierError::EncodingOverflow {
                value: format!("{v} * 2^{shift}"),
                max_int: max_int.to_string(),
            });
        }
        let int_rep = round_scaled(v, shift);
        Self::from_signed(public_key, &int_rep, exponent)
    }

    /// Encodes a signed mantissa with a given exponent (no rounding).
    ///
    /// # Errors
    /// [`PaillierError::EncodingOverflow`] when `|mantissa| > max_int`.
    pub fn from_signed(public_key: &PublicKey, mantissa: &Integer, exponent: i32) -> Result<Self> {
        let max_int = public_key.max_int();
        if Integer::from(mantissa.abs_ref()) > *max_int {
            return Err(PaillierError::EncodingOverflow {
                value: mantissa.to_string(),
                max_int: max_int.to_string(),
            });
        }
        let encoding = reduce(mantissa, public_key.n());
        Ok(Self {
            encoding,
            exponent,
            public_key: public_key.clone(),
        })
    }

    /// python-paillier's default float encoding (`precision=None`,
    /// `max_exponent=None`): exact.
    ///
    /// # Errors
    /// [`PaillierError::NonFinite`], [`PaillierError::EncodingOverflow`].
    pub fn encode_f64(public_key: &PublicKey, x: f64) -> Result<Self> {
        Self::encode_f64_with(public_key, x, None, None)
    }

    /// python-paillier's `EncodedNumber.encode(key, x, precision, max_exponent)`
    /// for a float.
    ///
    /// # Errors
    /// [`PaillierError::NonFinite`], [`PaillierError::InvalidPrecision`],
    /// [`PaillierError::EncodingOverflow`].
    pub fn encode_f64_with(
        public_key: &PublicKey,
        x: f64,
        precision: Option<f64>,
        max_exponent: Option<i32>,
    ) -> Result<Self> {
        if !x.is_finite() {
            return Err(PaillierError::NonFinite { value: x });
        }
        let natural = (frexp_exponent(x) - FLOAT_MANTISSA_BITS).div_euclid(LOG2_BASE as i32);
        let exponent = choose_exponent(natural, precision, max_exponent)?;
        let (m, s) = float_parts(x);
        Self::encode_scaled(public_key, &m, s, exponent)
    }

    /// The exponent python-paillier's default float encoding gives `x`.
    pub fn natural_f64_exponent(x: f64) -> i32 {
        (frexp_exponent(x) - FLOAT_MANTISSA_BITS).div_euclid(LOG2_BASE as i32)
    }

    /// python-paillier's encoding of a Python `int` (exponent 0).
    ///
    /// # Errors
    /// [`PaillierError::EncodingOverflow`].
    pub fn encode_integer(public_key: &PublicKey, x: &Integer) -> Result<Self> {
        Self::from_signed(public_key, x, 0)
    }

    /// [`EncodedNumber::encode_integer`] for an `i64`.
    ///
    /// # Errors
    /// [`PaillierError::EncodingOverflow`] (only for tiny insecure keys).
    pub fn encode_i64(public_key: &PublicKey, x: i64) -> Result<Self> {
        Self::from_signed(public_key, &Integer::from(x), 0)
    }

    /// python-paillier's `encode(key, int, precision, max_exponent)`.
    ///
    /// # Errors
    /// [`PaillierError::InvalidPrecision`], [`PaillierError::EncodingOverflow`].
    pub fn encode_integer_with(
        public_key: &PublicKey,
        x: &Integer,
        precision: Option<f64>,
        max_exponent: Option<i32>,
    ) -> Result<Self> {
        let exponent = choose_exponent(0, precision, max_exponent)?;
        Self::encode_scaled(public_key, x, 0, exponent)
    }

    /// An encoding from its raw parts (e.g. deserialised).
    ///
    /// # Errors
    /// [`PaillierError::PlaintextOutOfRange`] unless `0 <= encoding < n`.
    pub fn from_raw(public_key: &PublicKey, encoding: Integer, exponent: i32) -> Result<Self> {
        if encoding < 0 || encoding >= *public_key.n() {
            return Err(PaillierError::PlaintextOutOfRange {
                reason: "an encoding must lie in [0, n)".into(),
            });
        }
        Ok(Self {
            encoding,
            exponent,
            public_key: public_key.clone(),
        })
    }

    /// The raw encoding in `[0, n)`.
    pub fn encoding(&self) -> &Integer {
        &self.encoding
    }

    /// The base-16 exponent.
    pub fn exponent(&self) -> i32 {
        self.exponent
    }

    /// The key this encoding is for.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The signed mantissa, or an error in the overflow band.
    ///
    /// # Errors
    /// [`PaillierError::DecodeOverflow`].
    pub fn signed_mantissa(&self) -> Result<Integer> {
        let pk = &self.public_key;
        if self.encoding <= *pk.max_int() {
            Ok(self.encoding.clone())
        } else if self.encoding >= pk.inner.neg_threshold {
            Ok(Integer::from(&self.encoding - pk.n()))
        } else {
            Err(PaillierError::DecodeOverflow {
                encoding: self.encoding.to_string(),
                max_int: pk.max_int().to_string(),
            })
        }
    }

    /// The value as `(mantissa, exponent)`: exactly `mantissa * 16^exponent`.
    ///
    /// # Errors
    /// [`PaillierError::DecodeOverflow`].
    pub fn decode_exact(&self) -> Result<(Integer, i32)> {
        Ok((self.signed_mantissa()?, self.exponent))
    }

    /// The value as an exact integer.
    ///
    /// # Errors
    /// [`PaillierError::DecodeOverflow`]; [`PaillierError::NotAnInteger`]
    /// when the exponent is negative and the value has a fractional part.
    pub fn decode_integer(&self) -> Result<Integer> {
        let m = self.signed_mantissa()?;
        if self.exponent >= 0 {
            let shift =
                u32::try_from(i64::from(self.exponent) * i64::from(LOG2_BASE)).map_err(|_| {
                    PaillierError::ExponentOutOfRange {
                        what: format!("exponent {} too large to expand", self.exponent),
                    }
                })?;
            return Ok(m << shift);
        }
        let k = u64::from(self.exponent.unsigned_abs()) * u64::from(LOG2_BASE);
        if m == 0 {
            return Ok(m);
        }
        if u64::from(m.find_one(0).unwrap_or(0)) >= k {
            Ok(m >> k as u32)
        } else {
            Err(PaillierError::NotAnInteger {
                mantissa: m.to_string(),
                exponent: self.exponent,
            })
        }
    }

    /// The value as the nearest `f64` (python-paillier's `decode()`).
    ///
    /// # Errors
    /// [`PaillierError::DecodeOverflow`], [`PaillierError::FloatOverflow`].
    pub fn decode_f64(&self) -> Result<f64> {
        let m = self.signed_mantissa()?;
        integer_times_pow2_to_f64(&m, i64::from(self.exponent) * i64::from(LOG2_BASE))
    }

    /// python-paillier's `decrease_exponent_to`: same value, lower exponent
    /// (`encoding * 16^(exponent - new_exp) mod n`; like Python, overflow
    /// past `max_int` is detected only when decoding).
    ///
    /// # Errors
    /// [`PaillierError::ExponentIncrease`] if `new_exp > exponent`.
    pub fn decrease_exponent_to(&self, new_exp: i32) -> Result<Self> {
        if new_exp > self.exponent {
            return Err(PaillierError::ExponentIncrease {
                current: self.exponent,
                requested: new_exp,
            });
        }
        let diff = i64::from(self.exponent) - i64::from(new_exp);
        let n = self.public_key.n();
        let factor = Integer::from(BASE)
            .pow_mod(&Integer::from(diff), n)
            .unwrap_or_default();
        let mut encoding = Integer::from(&self.encoding * &factor);
        encoding %= n;
        Ok(Self {
            encoding,
            exponent: new_exp,
            public_key: self.public_key.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::paillier::test_keys;

    #[test]
    fn frexp_matches_python() {
        // math.frexp values
        assert_eq!(frexp_exponent(1.0), 1);
        assert_eq!(frexp_exponent(0.5), 0);
        assert_eq!(frexp_exponent(0.4), -1);
        assert_eq!(frexp_exponent(-3.0), 2);
        assert_eq!(frexp_exponent(0.0), 0);
        assert_eq!(frexp_exponent(f64::MIN_POSITIVE), -1021);
        assert_eq!(frexp_exponent(5e-324), -1073);
        assert_eq!(frexp_exponent(f64::MAX), 1024);
    }

    #[test]
    fn natural_exponents_match_python() {
        // Values from python-paillier 1.5: EncodedNumber.encode(pk, x).exponent
        assert_eq!(EncodedNumber::natural_f64_exponent(0.0), -14);
        assert_eq!(EncodedNumber::natural_f64_exponent(0.5), -14);
        assert_eq!(EncodedNumber::natural_f64_exponent(1.0), -13);
        assert_eq!(EncodedNumber::natural_f64_exponent(0.2), -14);
        assert_eq!(EncodedNumber::natural_f64_exponent(0.01), -15);
        assert_eq!(EncodedNumber::natural_f64_exponent(1.0 / 255.0), -15);
        assert_eq!(EncodedNumber::natural_f64_exponent(-15.5), -13);
        assert_eq!(EncodedNumber::natural_f64_exponent(1e10), -5);
    }

    #[test]
    fn round_half_even() {
        let r = |v: i64, s: i64| round_scaled(&Integer::from(v), s);
        assert_eq!(r(5, -1), 2); // 2.5 -> 2
        assert_eq!(r(7, -1), 4); // 3.5 -> 4
        assert_eq!(r(-5, -1), -2);
        assert_eq!(r(-7, -1), -4);
        assert_eq!(r(3, -2), 1); // 0.75 -> 1
        assert_eq!(r(1, -2), 0); // 0.25 -> 0
        assert_eq!(r(1, -1), 0); // 0.5 -> 0
        assert_eq!(r(3, -1), 2); // 1.5 -> 2
        assert_eq!(r(3, 4), 48);
        assert_eq!(r(1, -200), 0);
    }

    #[test]
    fn to_f64_is_correctly_rounded() {
        let f = |m: Integer, s: i64| integer_times_pow2_to_f64(&m, s).unwrap();
        assert_eq!(f(Integer::from(3), -1), 1.5);
        assert_eq!(f(Integer::from(-1), 0), -1.0);
        // 2^53 + 1 rounds to even 2^53; 2^53 + 3 rounds up to 2^53 + 4
        let two53 = Integer::from(1) << 53;
        assert_eq!(f(Integer::from(&two53 + 1u32), 0), 9007199254740992.0);
        assert_eq!(f(Integer::from(&two53 + 3u32), 0), 9007199254740996.0);
        // subnormals and the smallest values
        assert_eq!(f(Integer::from(1), -1074), 5e-324);
        assert_eq!(f(Integer::from(1), -1075), 0.0); // tie to even -> 0
        assert_eq!(f(Integer::from(3), -1076), 5e-324); // 0.75 ulp -> 1 ulp
        assert_eq!(f(Integer::from(1), -1022), f64::MIN_POSITIVE);
        // exact round trip of every float class
        for x in [0.1, -0.3, 1e300, -1e-300, 5e-324, f64::MAX, 123456.789] {
            let (m, s) = float_parts(x);
            assert_eq!(f(m, s), x);
        }
        assert!(matches!(
            integer_times_pow2_to_f64(&Integer::from(1), 1024),
            Err(PaillierError::FloatOverflow { .. })
        ));
    }

    #[test]
    fn encode_decode_python_examples() {
        let kp = test_keys::key_1024();
        let pk = &kp.public;
        let e = EncodedNumber::encode_f64(pk, 0.4).unwrap();
        assert_eq!(e.exponent(), -14);
        // 0.4 * 16^14 exactly (0.4 is not exact in binary)
        let (m, s) = float_parts(0.4);
        assert_eq!(*e.encoding(), Integer::from(&m << (s + 56) as u32));
        assert_eq!(e.decode_f64().unwrap(), 0.4);

        let neg = EncodedNumber::encode_f64(pk, -1.5).unwrap();
        assert_eq!(neg.exponent(), -13);
        assert_eq!(
            *neg.encoding(),
            pk.n() - Integer::from(3) * (Integer::from(1) << 51)
        );
        assert_eq!(neg.decode_f64().unwrap(), -1.5);

        let i = EncodedNumber::encode_i64(pk, -42).unwrap();
        assert_eq!(i.exponent(), 0);
        assert_eq!(i.decode_integer().unwrap(), -42);
        assert_eq!(i.decode_f64().unwrap(), -42.0);

        // precision: exponent floor(log16(1e-3)) = -3, mantissa round(x * 4096)
        let p = EncodedNumber::encode_f64_with(pk, 0.123456, Some(1e-3), None).unwrap();
        assert_eq!(p.exponent(), -3);
        assert_eq!(p.signed_mantissa().unwrap(), 506); // round(505.68)
        // max_exponent lowers the exponent further
        let q = EncodedNumber::encode_f64_with(pk, 0.5, None, Some(-20)).unwrap();
        assert_eq!(q.exponent(), -20);
        assert_eq!(q.decode_f64().unwrap(), 0.5);
        // integer with precision 256 -> exponent 2, round(1000/256 = 3.90625) = 4
        let r = EncodedNumber::encode_integer_with(pk, &Integer::from(1000), Some(256.0), None)
            .unwrap();
        assert_eq!(
            (r.exponent(), r.signed_mantissa().unwrap()),
            (2, Integer::from(4))
        );
        assert_eq!(r.decode_integer().unwrap(), 1024);
    }

    #[test]
    fn overflow_is_detected_both_ways() {
        let kp = test_keys::key_1024();
        let pk = &kp.public;
        let max = pk.max_int().clone();
        assert!(EncodedNumber::encode_integer(pk, &max).is_ok());
        assert!(EncodedNumber::encode_integer(pk, &Integer::from(-&max)).is_ok());
        let over = Integer::from(&max + 1u32);
        let err = EncodedNumber::encode_integer(pk, &over).unwrap_err();
        assert!(matches!(err, PaillierError::EncodingOverflow { .. }));
        assert!(err.to_string().contains("max_int"));
        // python's default float encoding keeps 53 bits: 1e300 fits (positive exponent)
        assert_eq!(
            EncodedNumber::encode_f64(pk, 1e300)
                .unwrap()
                .decode_f64()
                .unwrap(),
            1e300
        );
        assert!(EncodedNumber::encode_f64_with(pk, 1e300, None, Some(-10)).is_err());
        assert!(EncodedNumber::encode_f64_with(pk, 1.0, None, Some(-100_000)).is_err());
        assert!(matches!(
            EncodedNumber::encode_f64(pk, f64::NAN),
            Err(PaillierError::NonFinite { .. })
        ));
        assert!(matches!(
            EncodedNumber::encode_f64_with(pk, 1.0, Some(0.0), None),
            Err(PaillierError::InvalidPrecision { .. })
        ));
        // a raw value in the band decodes to an error
        let band = EncodedNumber::from_raw(pk, Integer::from(&max + 1u32), 0).unwrap();
        assert!(matches!(
            band.decode_f64(),
            Err(PaillierError::DecodeOverflow { .. })
        ));
        let band2 = EncodedNumber::from_raw(pk, Integer::from(pk.n() - &max) - 1u32, 0).unwrap();
        assert!(band2.decode_integer().is_err());
        let edge = EncodedNumber::from_raw(pk, Integer::from(pk.n() - &max), 0).unwrap();
        assert_eq!(edge.decode_integer().unwrap(), Integer::from(-&max));
        assert!(EncodedNumber::from_raw(pk, pk.n().clone(), 0).is_err());
    }

    #[test]
    fn decrease_exponent_and_integers() {
        let kp = test_keys::key_1024();
        let pk = &kp.public;
        let e = EncodedNumber::encode_f64(pk, -2.25).unwrap();
        let d = e.decrease_exponent_to(e.exponent() - 3).unwrap();
        assert_eq!(d.exponent(), e.exponent() - 3);
        assert_eq!(d.decode_f64().unwrap(), -2.25);
        assert!(matches!(
            e.decrease_exponent_to(e.exponent() + 1),
            Err(PaillierError::ExponentIncrease { .. })
        ));
        assert!(matches!(
            e.decode_integer(),
            Err(PaillierError::NotAnInteger { .. })
        ));
        let four = EncodedNumber::encode_f64(pk, 4.0).unwrap();
        assert_eq!(four.decode_integer().unwrap(), 4);
    }
}
