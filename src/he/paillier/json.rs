//! python-paillier's JSON serialisations.
//!
//! From python-paillier's documentation (`docs/serialisation.rst`) and its
//! command-line tool (`phe/command_line.py`):
//!
//! * Basic JSON: a public key `{"g": g, "n": n}` and a list of encrypted
//!   numbers under one key
//!   `{"public_key": {"g": .., "n": ..}, "values": [[ciphertext, exponent], ..]}`
//!   where the ciphertext is `str(int)` and the exponent a JSON number. We
//!   write big integers as decimal strings (`{"n": "<decimal>"}`); we read
//!   decimal strings or JSON integer literals of any length (Python's
//!   `json.dumps` writes `g` and `n` as bare numbers), which is why this
//!   module has its own small JSON reader: `serde_json` without its
//!   `arbitrary_precision` feature would round such numbers to `f64`.
//! * JWK public key (the CLI's format):
//!   `{"kty": "DAJ", "alg": "PAI-GN1", "key_ops": ["encrypt"], "n": "<base64url>", "kid": ".."}`
//!   with n as unpadded base64url of its minimal big-endian bytes.
//! * CLI ciphertext: `{"v": "<decimal ciphertext>", "e": exponent}`.
//!
//! Imports validate everything: n odd and of an accepted size (see
//! `PublicKey::from_modulus`), `g = n + 1` when present, ciphertexts in
//! `[1, n^2)` and coprime to n. Malformed input is a
//! [`PaillierError::MalformedJson`] (never a panic).

use rug::Integer;
use rug::integer::Order;
use serde_json::json;

use crate::he::paillier::error::{PaillierError, Result};
use crate::he::paillier::keys::PublicKey;
use crate::he::paillier::ops::EncryptedNumber;

/// Largest JSON document accepted (bytes).
pub const MAX_JSON_BYTES: usize = 256 << 20;
/// Deepest nesting accepted.
const MAX_DEPTH: usize = 64;
/// Longest decimal integer accepted (n^2 of a 16384-bit n has 9865 digits).
const MAX_DECIMAL_DIGITS: usize = 10_000;

fn malformed(what: impl Into<String>) -> PaillierError {
    PaillierError::MalformedJson { what: what.into() }
}

/// A parsed JSON value with numbers kept as their literal text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> PaillierError {
        malformed(format!("{what} at byte {}", self.pos))
    }

    fn ws(&mut self) {
        while let Some(&c) = self.s.get(self.pos) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &[u8], v: Json) -> Result<Json> {
        if self.s[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.ws();
        match self.s.get(self.pos) {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.literal(b"true", Json::Bool(true)),
            Some(b'f') => self.literal(b"false", Json::Bool(false)),
            Some(b'n') => self.literal(b"null", Json::Null),
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.number(),
            Some(_) => Err(self.err("unexpected character")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json> {
        self.pos += 1;
        let mut members: Vec<(String, Json)> = Vec::new();
        self.ws();
        if self.eat(b'}') {
            return Ok(Json::Object(members));
        }
        loop {
            self.ws();
            if self.s.get(self.pos) != Some(&b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                return Err(self.err(&format!("duplicate key {key:?}")));
            }
            self.ws();
            if !self.eat(b':') {
                return Err(self.err("expected ':'"));
            }
            let v = self.value(depth + 1)?;
            members.push((key, v));
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(Json::Object(members));
            }
            return Err(self.err("expected ',' or '}'"));
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(Json::Array(items));
            }
            return Err(self.err("expected ',' or ']'"));
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let h = self
            .s
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err("truncated \\u escape"))?;
        let t = std::str::from_utf8(h).map_err(|_| self.err("bad \\u escape"))?;
        let v = u32::from_str_radix(t, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String> {
        self.pos += 1; // opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return Err(self.err("unterminated string"));
            };
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.pos) else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.pos += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !(self.eat(b'\\') && self.eat(b'u')) {
                                    return Err(self.err("lone surrogate"));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("bad surrogate pair"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or_else(|| self.err("bad code point"))?
                        }
                        _ => return Err(self.err("bad escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.err("control character in string")),
                _ => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| self.err("invalid UTF-8 in string"))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json> {
        let start = self.pos;
        self.eat(b'-');
        if self.eat(b'0') {
            if self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err(self.err("leading zero in number"));
            }
        } else if self.digits() == 0 {
            return Err(self.err("expected digits"));
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.err("expected fraction digits"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.err("expected exponent digits"));
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.pos])
            .map_err(|_| self.err("bad number"))?
            .to_string();
        Ok(Json::Number(text))
    }
}

/// Parses a complete JSON document.
pub(crate) fn parse(text: &str) -> Result<Json> {
    if text.len() > MAX_JSON_BYTES {
        return Err(malformed(format!(
            "document of {} bytes exceeds the limit of {MAX_JSON_BYTES}",
            text.len()
        )));
    }
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

/// A non-negative decimal integer from a string or an integer literal.
fn decimal_uint(v: &Json, what: &str) -> Result<Integer> {
    let text = match v {
        Json::String(s) | Json::Number(s) => s.as_str(),
        other => {
            return Err(malformed(format!(
                "{what} must be a decimal integer, not {}",
                other.kind()
            )));
        }
    };
    if text.is_empty()
        || text.len() > MAX_DECIMAL_DIGITS
        || !text.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(malformed(format!(
            "{what} must be a non-negative decimal integer of at most {MAX_DECIMAL_DIGITS} digits"
        )));
    }
    Integer::parse(text)
        .map(Integer::from)
        .map_err(|_| malformed(format!("{what} is not a decimal integer")))
}

/// An `i32` exponent from an integer literal or a string.
fn exponent_of(v: &Json, what: &str) -> Result<i32> {
    let text = match v {
        Json::String(s) | Json::Number(s) => s.as_str(),
        other => {
            return Err(malformed(format!(
                "{what} must be an integer, not {}",
                other.kind()
            )));
        }
    };
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(format!(
            "{what} must be an integer, got {text:?}"
        )));
    }
    text.parse::<i32>()
        .map_err(|_| malformed(format!("{what} {text} is outside the i32 range")))
}

fn field<'a>(obj: &'a Json, key: &str, ctx: &str) -> Result<&'a Json> {
    match obj {
        Json::Object(_) => obj
            .get(key)
            .ok_or_else(|| malformed(format!("{ctx}: missing field {key:?}"))),
        other => Err(malformed(format!(
            "{ctx} must be an object, not {}",
            other.kind()
        ))),
    }
}

fn key_from_object(obj: &Json, ctx: &str, allow_insecure: bool) -> Result<PublicKey> {
    let n = decimal_uint(field(obj, "n", ctx)?, &format!("{ctx}.n"))?;
    if let Some(g) = obj.get("g") {
        let g = decimal_uint(g, &format!("{ctx}.g"))?;
        if g != Integer::from(&n + 1u32) {
            return Err(PaillierError::InvalidPublicKey {
                reason: "only g = n + 1 is supported (as python-paillier)".into(),
            });
        }
    }
    PublicKey::from_modulus(n, allow_insecure)
}

/// How [`encrypted_values_to_json`] treats values derived by homomorphic
/// operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExportMode {
    /// Re-randomise every value that is not fresh (python-paillier's
    /// `ciphertext(be_secure=True)` default).
    #[default]
    RerandomizeDerived,
    /// Write ciphertexts as they are (the caller has re-randomised them,
    /// or the receiver is trusted).
    AsIs,
}

/// Public key as python-paillier basic JSON: `{"n": "<decimal>"}`.
pub fn public_key_to_json(pk: &PublicKey) -> String {
    json!({ "n": pk.n().to_string() }).to_string()
}

/// Reads `{"n": ..}` or `{"g": .., "n": ..}` (decimal strings or numbers).
///
/// # Errors
/// [`PaillierError::MalformedJson`], key validation errors.
pub fn public_key_from_json(text: &str, allow_insecure: bool) -> Result<PublicKey> {
    key_from_object(&parse(text)?, "public key", allow_insecure)
}

/// Encrypted numbers under one key in python-paillier's basic JSON:
/// `{"public_key": {"g": .., "n": ..}, "values": [["<ciphertext>", exponent], ..]}`.
///
/// # Errors
/// [`PaillierError::KeyMismatch`] if a value is under another key;
/// [`PaillierError::Rng`] while re-randomising.
pub fn encrypted_values_to_json(
    pk: &PublicKey,
    values: &[EncryptedNumber],
    mode: ExportMode,
) -> Result<String> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        pk.check_same(v.public_key())?;
        let ct = if mode == ExportMode::RerandomizeDerived && !v.is_rerandomized() {
            v.rerandomized()?.ciphertext().to_string()
        } else {
            v.ciphertext().to_string()
        };
        out.push(json!([ct, v.exponent()]));
    }
    Ok(json!({
        "public_key": { "g": pk.g().to_string(), "n": pk.n().to_string() },
        "values": out,
    })
    .to_string())
}

fn values_from(doc: &Json, pk: &PublicKey) -> Result<Vec<EncryptedNumber>> {
    let Json::Array(items) = field(doc, "values", "document")? else {
        return Err(malformed("\"values\" must be an array"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let ctx = format!("values[{i}]");
            let Json::Array(pair) = item else {
                return Err(malformed(format!("{ctx} must be [ciphertext, exponent]")));
            };
            if pair.len() != 2 {
                return Err(malformed(format!("{ctx} must have exactly 2 entries")));
            }
            let c = decimal_uint(&pair[0], &format!("{ctx}[0]"))?;
            let e = exponent_of(&pair[1], &format!("{ctx}[1]"))?;
            pk.encrypted_number_from_raw(c, e)
        })
        .collect()
}

/// Reads python-paillier basic JSON, returning the key it names and the
/// validated values.
///
/// # Errors
/// [`PaillierError::MalformedJson`], key and ciphertext validation errors.
pub fn encrypted_values_from_json(
    text: &str,
    allow_insecure: bool,
) -> Result<(PublicKey, Vec<EncryptedNumber>)> {
    let doc = parse(text)?;
    let pk = key_from_object(
        field(&doc, "public_key", "document")?,
        "public_key",
        allow_insecure,
    )?;
    let values = values_from(&doc, &pk)?;
    Ok((pk, values))
}

/// Reads python-paillier basic JSON that must be under `expected`.
///
/// # Errors
/// [`PaillierError::KeyMismatch`] for another key; otherwise as
/// [`encrypted_values_from_json`].
pub fn encrypted_values_from_json_for_key(
    text: &str,
    expected: &PublicKey,
) -> Result<Vec<EncryptedNumber>> {
    let doc = parse(text)?;
    let pk_obj = field(&doc, "public_key", "document")?;
    let n = decimal_uint(field(pk_obj, "n", "public_key")?, "public_key.n")?;
    if n != *expected.n() {
        return Err(PaillierError::KeyMismatch {
            expected: expected.fingerprint().to_string(),
            found: crate::he::paillier::keys::KeyFingerprint::of_modulus(&n).to_string(),
        });
    }
    key_from_object(pk_obj, "public_key", true)?;
    values_from(&doc, expected)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url (RFC 4648 section 5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let n = chunk.len() + 1;
        for i in 0..n {
            out.push(B64[((v >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes base64url with or without `=` padding (as python-paillier's
/// `base64url_decode`); other characters are an error.
///
/// # Errors
/// [`PaillierError::MalformedJson`].
pub fn base64url_decode(text: &str) -> Result<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    if text.len() - trimmed.len() > 2
        || (text.len() != trimmed.len() && !text.len().is_multiple_of(4))
    {
        return Err(malformed("bad base64url padding"));
    }
    if trimmed.len() % 4 == 1 {
        return Err(malformed("invalid base64url length"));
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc = 0u32;
    let mut nbits = 0;
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(malformed("invalid base64url character")),
        };
        acc = (acc << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((acc >> nbits) as u8);
            acc &= (1 << nbits) - 1;
        }
    }
    if acc != 0 {
        return Err(malformed("non-zero trailing base64url bits"));
    }
    Ok(out)
}

/// python-paillier's `int_to_base64`: minimal big-endian bytes, base64url.
pub fn int_to_base64(x: &Integer) -> String {
    let mut bytes = vec![0u8; x.significant_digits::<u8>()];
    x.write_digits(&mut bytes, Order::Msf);
    base64url_encode(&bytes)
}

/// python-paillier's `base64_to_int`.
///
/// # Errors
/// [`PaillierError::MalformedJson`].
pub fn base64_to_int(text: &str) -> Result<Integer> {
    let bytes = base64url_decode(text)?;
    if bytes.is_empty() {
        return Err(malformed("empty base64url integer"));
    }
    Ok(Integer::from_digits(&bytes, Order::Msf))
}

/// The CLI's JWK public key:
/// `{"kty": "DAJ", "alg": "PAI-GN1", "key_ops": ["encrypt"], "n": "<b64url>", "kid": ..}`.
pub fn public_key_to_jwk(pk: &PublicKey, kid: Option<&str>) -> String {
    let kid = kid.map_or_else(
        || {
            format!(
                "Paillier public key generated by heml ({})",
                pk.fingerprint()
            )
        },
        str::to_string,
    );
    json!({
        "kty": "DAJ",
        "alg": "PAI-GN1",
        "key_ops": ["encrypt"],
        "n": int_to_base64(pk.n()),
        "kid": kid,
    })
    .to_string()
}

/// Reads a JWK public key, checking `kty == "DAJ"`, `alg == "PAI-GN1"`
/// and, when present, that `key_ops` contains `"encrypt"`.
///
/// # Errors
/// [`PaillierError::MalformedJson`], key validation errors.
pub fn public_key_from_jwk(text: &str, allow_insecure: bool) -> Result<PublicKey> {
    let doc = parse(text)?;
    let ctx = "JWK public key";
    let s = |key: &str| -> Result<String> {
        match field(&doc, key, ctx)? {
            Json::String(s) => Ok(s.clone()),
            other => Err(malformed(format!(
                "{ctx}.{key} must be a string, not {}",
                other.kind()
            ))),
        }
    };
    if s("kty")? != "DAJ" {
        return Err(malformed("JWK kty must be \"DAJ\""));
    }
    if s("alg")? != "PAI-GN1" {
        return Err(malformed("JWK alg must be \"PAI-GN1\""));
    }
    if let Some(ops) = doc.get("key_ops") {
        let Json::Array(ops) = ops else {
            return Err(malformed("JWK key_ops must be an array"));
        };
        if !ops.iter().any(|o| *o == Json::String("encrypt".into())) {
            return Err(malformed(
                "JWK key_ops of a public key must contain \"encrypt\"",
            ));
        }
    }
    if let Some(kid) = doc.get("kid")
        && !matches!(kid, Json::String(_))
    {
        return Err(malformed("JWK kid must be a string"));
    }
    let n = base64_to_int(&s("n")?)?;
    PublicKey::from_modulus(n, allow_insecure)
}

/// The CLI's ciphertext format `{"v": "<decimal>", "e": exponent}`.
///
/// # Errors
/// [`PaillierError::Rng`] when re-randomising a derived value.
pub fn encrypted_number_to_cli_json(enc: &EncryptedNumber, mode: ExportMode) -> Result<String> {
    let ct = if mode == ExportMode::RerandomizeDerived && !enc.is_rerandomized() {
        enc.rerandomized()?.ciphertext().to_string()
    } else {
        enc.ciphertext().to_string()
    };
    Ok(json!({ "v": ct, "e": enc.exponent() }).to_string())
}

/// Reads the CLI's ciphertext format under `pk`.
///
/// # Errors
/// [`PaillierError::MalformedJson`], [`PaillierError::InvalidCiphertext`].
pub fn encrypted_number_from_cli_json(text: &str, pk: &PublicKey) -> Result<EncryptedNumber> {
    let doc = parse(text)?;
    let c = decimal_uint(field(&doc, "v", "ciphertext")?, "v")?;
    let e = exponent_of(field(&doc, "e", "ciphertext")?, "e")?;
    pk.encrypted_number_from_raw(c, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::paillier::test_keys;

    #[test]
    fn parser_accepts_json_and_keeps_big_numbers() {
        let v = parse(r#" {"a": [1, -2.5e3, "x\u00e9\ud83d\ude00", true, false, null], "b": {}} "#)
            .unwrap();
        let Json::Array(a) = v.get("a").unwrap() else {
            panic!()
        };
        assert_eq!(a[1], Json::Number("-2.5e3".into()));
        assert_eq!(a[2], Json::String("xé😀".into()));
        let big = "1".repeat(700);
        let doc = format!("{{\"n\": {big}}}");
        assert_eq!(parse(&doc).unwrap().get("n"), Some(&Json::Number(big)));
    }

    #[test]
    fn parser_rejects_malformed() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "01",
            "1.",
            "-",
            "\"abc",
            "\"\\x\"",
            "{\"a\":1}x",
            "[\"\\ud800\"]",
            "tru",
            "{\"a\":1,\"a\":2}",
            "\"a\u{1}\"",
            "nul",
            "[1 2]",
            "{1:2}",
            "1e",
            "+1",
        ] {
            assert!(
                matches!(parse(bad), Err(PaillierError::MalformedJson { .. })),
                "{bad:?}"
            );
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn base64url_matches_python() {
        // python: base64url_encode(b"\x01\x00\x01") == "AQAB"; int_to_base64(65537) == "AQAB"
        assert_eq!(base64url_encode(&[1, 0, 1]), "AQAB");
        assert_eq!(int_to_base64(&Integer::from(65537)), "AQAB");
        assert_eq!(int_to_base64(&Integer::from(255)), "_w");
        assert_eq!(base64_to_int("_w").unwrap(), 255);
        assert_eq!(base64_to_int("_w==").unwrap(), 255);
        assert_eq!(base64url_decode("").unwrap(), Vec::<u8>::new());
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37).wrapping_add(n)).collect();
            assert_eq!(base64url_decode(&base64url_encode(&bytes)).unwrap(), bytes);
        }
        for bad in ["A", "AB+C", "AB/C", "A===", "AB=C", "_x"] {
            assert!(base64url_decode(bad).is_err(), "{bad}");
        }
        assert!(base64_to_int("").is_err());
        // the 256-bit example key of python-paillier's docs decodes to 256 bits
        let n = base64_to_int("m0lOEwDHVA_VieL2k3BKMjf_HIgagfhNIZy1YhgZF5M").unwrap();
        assert_eq!(n.significant_bits(), 256);
        assert!(n.is_odd());
    }

    #[test]
    fn basic_json_round_trip_and_python_number_form() {
        let kp = test_keys::key_2048_standard();
        let pk = &kp.public;
        let s = public_key_to_json(pk);
        assert_eq!(s, format!("{{\"n\":\"{}\"}}", pk.n()));
        assert_eq!(public_key_from_json(&s, false).unwrap(), *pk);
        // Python's json.dumps writes bare integers
        let py = format!("{{\"g\": {}, \"n\": {}}}", pk.g(), pk.n());
        assert_eq!(public_key_from_json(&py, false).unwrap(), *pk);
        let bad_g = format!("{{\"g\": {}, \"n\": {}}}", pk.n(), pk.n());
        assert!(public_key_from_json(&bad_g, false).is_err());

        let xs = [0.5, -1.25, 3.0];
        let enc = pk.encrypt_f64_batch(&xs).unwrap();
        let derived = enc[0].add(&enc[1]).unwrap();
        let mut all = enc.clone();
        all.push(derived.clone());
        let text = encrypted_values_to_json(pk, &all, ExportMode::RerandomizeDerived).unwrap();
        let (pk2, back) = encrypted_values_from_json(&text, false).unwrap();
        assert_eq!(pk2, *pk);
        assert_eq!(back.len(), 4);
        assert_eq!(
            back[0].ciphertext(),
            enc[0].ciphertext(),
            "fresh values kept"
        );
        assert_ne!(
            back[3].ciphertext(),
            derived.ciphertext(),
            "derived re-randomised"
        );
        let dec = kp.secret.decrypt_f64_batch(&back).unwrap();
        assert_eq!(dec, vec![0.5, -1.25, 3.0, -0.75]);
        let as_is = encrypted_values_to_json(pk, &all, ExportMode::AsIs).unwrap();
        let back2 = encrypted_values_from_json_for_key(&as_is, pk).unwrap();
        assert_eq!(back2[3].ciphertext(), derived.ciphertext());
        // python form: values as (str, int) tuples -> arrays; public key numbers
        let py_doc = format!(
            "{{\"public_key\": {{\"g\": {}, \"n\": {}}}, \"values\": [[\"{}\", -14]]}}",
            pk.g(),
            pk.n(),
            enc[0].ciphertext()
        );
        let (_, v) = encrypted_values_from_json(&py_doc, false).unwrap();
        assert_eq!(v[0].exponent(), -14);
    }

    #[test]
    fn basic_json_rejections() {
        let kp = test_keys::key_2048_standard();
        let other = test_keys::key_2048_djn();
        let pk = &kp.public;
        let enc = vec![pk.encrypt_i64(5).unwrap()];
        let text = encrypted_values_to_json(pk, &enc, ExportMode::AsIs).unwrap();
        assert!(matches!(
            encrypted_values_from_json_for_key(&text, &other.public),
            Err(PaillierError::KeyMismatch { .. })
        ));
        assert!(matches!(
            encrypted_values_to_json(&other.public, &enc, ExportMode::AsIs),
            Err(PaillierError::KeyMismatch { .. })
        ));
        let n = pk.n().to_string();
        let n2 = pk.n_squared().to_string();
        let docs = [
            "[]".to_string(),
            "{\"values\": []}".to_string(),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": {{}}}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": [[\"1\"]]}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": [[\"-5\", 0]]}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": [[\"0\", 0]]}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": [[\"{n2}\", 0]]}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": [[\"{n}\", 0]]}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": [[\"2\", 1.5]]}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": [[\"2\", 99999999999]]}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": [[2.0, 0]]}}"),
            format!("{{\"public_key\": {{\"n\": \"{n}\"}}, \"values\": [[null, 0]]}}"),
            "{\"public_key\": {\"n\": \"12a\"}, \"values\": []}".to_string(),
            "{\"public_key\": {\"n\": \"15\"}, \"values\": []}".to_string(),
            "{\"public_key\": {\"n\": 1e600}, \"values\": []}".to_string(),
            format!(
                "{{\"public_key\": {{\"n\": \"{}\"}}, \"values\": []}}",
                "9".repeat(20000)
            ),
        ];
        for d in &docs {
            assert!(encrypted_values_from_json(d, false).is_err(), "{d:.120}");
        }
        assert!(matches!(
            public_key_from_json("{\"n\": true}", false),
            Err(PaillierError::MalformedJson { .. })
        ));
    }

    #[test]
    fn jwk_round_trip_and_rejections() {
        let kp = test_keys::key_2048_standard();
        let pk = &kp.public;
        let jwk = public_key_to_jwk(pk, None);
        assert!(jwk.contains("\"kty\":\"DAJ\"") && jwk.contains("\"alg\":\"PAI-GN1\""));
        assert_eq!(public_key_from_jwk(&jwk, false).unwrap(), *pk);
        let named = public_key_to_jwk(pk, Some("k\"1"));
        assert_eq!(public_key_from_jwk(&named, false).unwrap(), *pk);
        let n64 = int_to_base64(pk.n());
        for bad in [
            format!("{{\"kty\":\"RSA\",\"alg\":\"PAI-GN1\",\"n\":\"{n64}\"}}"),
            format!("{{\"kty\":\"DAJ\",\"alg\":\"RS256\",\"n\":\"{n64}\"}}"),
            format!("{{\"kty\":\"DAJ\",\"alg\":\"PAI-GN1\",\"key_ops\":[\"decrypt\"],\"n\":\"{n64}\"}}"),
            format!("{{\"kty\":\"DAJ\",\"alg\":\"PAI-GN1\",\"n\":\"{n64}+\"}}"),
            "{\"kty\":\"DAJ\",\"alg\":\"PAI-GN1\",\"n\":5}".to_string(),
            format!("{{\"kty\":\"DAJ\",\"alg\":\"PAI-GN1\",\"n\":\"{n64}\",\"kid\":1}}"),
            "{\"kty\":\"DAJ\",\"alg\":\"PAI-GN1\"}".to_string(),
            "{\"kty\":\"DAJ\",\"alg\":\"PAI-GN1\",\"n\":\"m0lOEwDHVA_VieL2k3BKMjf_HIgagfhNIZy1YhgZF5M\"}"
                .to_string(),
        ] {
            assert!(public_key_from_jwk(&bad, false).is_err(), "{bad:.100}");
        }
    }

    #[test]
    fn cli_ciphertext_round_trip() {
        let kp = test_keys::key_2048_standard();
        let pk = &kp.public;
        let e = pk.encrypt_f64(-0.75).unwrap();
        let s = encrypted_number_to_cli_json(&e, ExportMode::RerandomizeDerived).unwrap();
        let back = encrypted_number_from_cli_json(&s, pk).unwrap();
        assert_eq!(back, e);
        assert_eq!(kp.secret.decrypt_f64(&back).unwrap(), -0.75);
        let derived = e.mul_i64(2).unwrap();
        let s2 = encrypted_number_to_cli_json(&derived, ExportMode::RerandomizeDerived).unwrap();
        let b2 = encrypted_number_from_cli_json(&s2, pk).unwrap();
        assert_ne!(b2.ciphertext(), derived.ciphertext());
        assert_eq!(kp.secret.decrypt_f64(&b2).unwrap(), -1.5);
        assert!(encrypted_number_from_cli_json("{\"v\": \"1\"}", pk).is_err());
        assert!(encrypted_number_from_cli_json("{\"v\": \"0\", \"e\": 0}", pk).is_err());
    }
}
