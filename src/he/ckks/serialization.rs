//! Binary serialisation of ciphertexts and keys, JSON for parameters.
//!
//! Layout: magic "HEML", format version, object kind, the parameters'
//! fingerprint, the payload (little-endian words), and a SHA-256 of all that.
//! Reading validates everything against the parameters it is given: a malformed,
//! corrupted or mismatched object is an error, never a panic or a wrong result.
//! A fresh symmetric ciphertext stores its seed instead of c_1 (half the size).
//! The secret key is written only by `serialize_secret_key`.

use super::encryption::Ciphertext;
use super::error::{CkksError, Result};
use super::keys::{GaloisKeys, KeySwitchKey, PublicKey, RelinKey, SecretKey};
use super::params::{CkksParameters, CkksParametersLiteral};
use crate::he::math::ntt::NttTable;
use crate::he::math::poly::RnsPoly;
use crate::he::math::sampling::uniform_poly_from_seed;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

const MAGIC: &[u8; 4] = b"HEML";
const VERSION: u8 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Ciphertext = 1,
    PublicKey = 2,
    RelinKey = 3,
    GaloisKeys = 4,
    SecretKey = 5,
}

fn malformed(msg: impl Into<String>) -> CkksError {
    CkksError::Malformed(msg.into())
}

struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    fn new(params: &CkksParameters, kind: Kind) -> Self {
        let mut buf = Vec::new();
        buf.extend_from_slice(MAGIC);
        buf.push(VERSION);
        buf.push(kind as u8);
        buf.extend_from_slice(params.fingerprint());
        Self { buf }
    }

    fn u64(&mut self, x: u64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }

    fn f64(&mut self, x: f64) {
        self.u64(x.to_bits());
    }

    fn poly(&mut self, p: &RnsPoly) {
        self.u64(p.rows() as u64);
        for &x in p.data() {
            self.u64(x);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        let digest = Sha256::digest(&self.buf);
        self.buf.extend_from_slice(&digest);
        self.buf
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], params: &CkksParameters, kind: Kind) -> Result<Self> {
        if bytes.len() < 4 + 2 + 32 + 32 {
            return Err(malformed("too short"));
        }
        let (body, digest) = bytes.split_at(bytes.len() - 32);
        if Sha256::digest(body).as_slice() != digest {
            return Err(malformed("checksum mismatch (corrupted bytes)"));
        }
        if &body[..4] != MAGIC {
            return Err(malformed("not a heml object (bad magic)"));
        }
        if body[4] != VERSION {
            return Err(malformed(format!("unsupported format version {}", body[4])));
        }
        if body[5] != kind as u8 {
            return Err(malformed(format!(
                "expected object kind {kind:?}, found {}",
                body[5]
            )));
        }
        if &body[6..38] != params.fingerprint() {
            return Err(CkksError::ParameterMismatch);
        }
        Ok(Self {
            data: body,
            pos: 38,
        })
    }

    fn u64(&mut self) -> Result<u64> {
        let end = self.pos + 8;
        let b = self
            .data
            .get(self.pos..end)
            .ok_or_else(|| malformed("truncated"))?;
        self.pos = end;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn f64(&mut self) -> Result<f64> {
        self.u64().map(f64::from_bits)
    }

    fn bytes32(&mut self) -> Result<[u8; 32]> {
        let end = self.pos + 32;
        let b = self
            .data
            .get(self.pos..end)
            .ok_or_else(|| malformed("truncated"))?;
        self.pos = end;
        Ok(b.try_into().expect("32 bytes"))
    }

    /// A polynomial over `tables`, every residue checked below its prime.
    fn poly(&mut self, n: usize, tables: &[&NttTable]) -> Result<RnsPoly> {
        let rows = self.u64()? as usize;
        if rows != tables.len() {
            return Err(malformed(format!(
                "expected {} rows, found {rows}",
                tables.len()
            )));
        }
        let count = rows * n;
        let bytes = self
            .data
            .get(self.pos..self.pos + 8 * count)
            .ok_or_else(|| malformed("truncated polynomial"))?;
        self.pos += 8 * count;
        let data: Vec<u64> = bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let p = RnsPoly::from_rows(n, data).ok_or_else(|| malformed("bad polynomial shape"))?;
        if !p.is_reduced(tables) {
            return Err(malformed("residue not below its modulus"));
        }
        Ok(p)
    }

    fn end(&self) -> Result<()> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(malformed("trailing bytes"))
        }
    }
}

/// Parameters as JSON (the literal; primes are regenerated deterministically).
pub fn serialize_parameters(params: &CkksParameters) -> String {
    serde_json::to_string(params.literal()).expect("literal serialises")
}

pub fn deserialize_parameters(json: &str) -> Result<Arc<CkksParameters>> {
    let lit: CkksParametersLiteral =
        serde_json::from_str(json).map_err(|e| malformed(e.to_string()))?;
    lit.validate()
}

pub fn serialize_ciphertext(params: &CkksParameters, ct: &Ciphertext) -> Vec<u8> {
    let mut w = Writer::new(params, Kind::Ciphertext);
    w.u64(ct.level as u64);
    w.f64(ct.scale);
    match ct.seed {
        Some(seed) => {
            w.u64(1);
            w.poly(&ct.parts[0]);
            w.buf.extend_from_slice(&seed);
        }
        None => {
            w.u64(0);
            w.u64(ct.parts.len() as u64);
            for p in &ct.parts {
                w.poly(p);
            }
        }
    }
    w.finish()
}

pub fn deserialize_ciphertext(params: &CkksParameters, bytes: &[u8]) -> Result<Ciphertext> {
    let mut r = Reader::new(bytes, params, Kind::Ciphertext)?;
    let level = r.u64()? as usize;
    if level > params.max_level() {
        return Err(CkksError::InvalidLevel {
            level,
            max: params.max_level(),
        });
    }
    let scale = r.f64()?;
    if !scale.is_finite() || scale <= 0.0 {
        return Err(malformed(format!("invalid scale {scale}")));
    }
    let tables = params.q_tables(level);
    let n = params.degree();
    let ct = match r.u64()? {
        1 => {
            let c0 = r.poly(n, &tables)?;
            let seed = r.bytes32()?;
            let c1 = uniform_poly_from_seed(seed, n, &tables);
            Ciphertext {
                parts: vec![c0, c1],
                level,
                scale,
                seed: Some(seed),
            }
        }
        0 => {
            let size = r.u64()? as usize;
            if !(2..=3).contains(&size) {
                return Err(malformed(format!("ciphertext with {size} components")));
            }
            let parts = (0..size)
                .map(|_| r.poly(n, &tables))
                .collect::<Result<_>>()?;
            Ciphertext {
                parts,
                level,
                scale,
                seed: None,
            }
        }
        other => return Err(malformed(format!("unknown ciphertext form {other}"))),
    };
    r.end()?;
    Ok(ct)
}

pub fn serialize_public_key(params: &CkksParameters, pk: &PublicKey) -> Vec<u8> {
    let mut w = Writer::new(params, Kind::PublicKey);
    w.u64(pk.key_id);
    w.poly(&pk.b);
    w.poly(&pk.a);
    w.finish()
}

pub fn deserialize_public_key(params: &CkksParameters, bytes: &[u8]) -> Result<PublicKey> {
    let mut r = Reader::new(bytes, params, Kind::PublicKey)?;
    let key_id = r.u64()?;
    let tables = params.q_tables(params.max_level());
    let b = r.poly(params.degree(), &tables)?;
    let a = r.poly(params.degree(), &tables)?;
    r.end()?;
    Ok(PublicKey { b, a, key_id })
}

fn write_ksk(w: &mut Writer, k: &KeySwitchKey) {
    w.u64(k.digits.len() as u64);
    for (b, a) in &k.digits {
        w.poly(b);
        w.poly(a);
    }
}

fn read_ksk(r: &mut Reader, params: &CkksParameters) -> Result<KeySwitchKey> {
    let count = r.u64()? as usize;
    if count != params.max_level() + 1 {
        return Err(malformed(format!(
            "key-switching key with {count} digits, expected {}",
            params.max_level() + 1
        )));
    }
    let tables = params.qp_tables(params.max_level());
    let n = params.degree();
    let digits = (0..count)
        .map(|_| Ok((r.poly(n, &tables)?, r.poly(n, &tables)?)))
        .collect::<Result<_>>()?;
    Ok(KeySwitchKey { digits })
}

pub fn serialize_relin_key(params: &CkksParameters, rk: &RelinKey) -> Vec<u8> {
    let mut w = Writer::new(params, Kind::RelinKey);
    w.u64(rk.key_id);
    write_ksk(&mut w, &rk.key);
    w.finish()
}

pub fn deserialize_relin_key(params: &CkksParameters, bytes: &[u8]) -> Result<RelinKey> {
    let mut r = Reader::new(bytes, params, Kind::RelinKey)?;
    let key_id = r.u64()?;
    let key = read_ksk(&mut r, params)?;
    r.end()?;
    Ok(RelinKey { key, key_id })
}

pub fn serialize_galois_keys(params: &CkksParameters, gk: &GaloisKeys) -> Vec<u8> {
    let mut w = Writer::new(params, Kind::GaloisKeys);
    w.u64(gk.key_id);
    w.u64(gk.keys.len() as u64);
    for (&g, (k, _)) in &gk.keys {
        w.u64(g as u64);
        write_ksk(&mut w, k);
    }
    w.finish()
}

pub fn deserialize_galois_keys(params: &CkksParameters, bytes: &[u8]) -> Result<GaloisKeys> {
    let mut r = Reader::new(bytes, params, Kind::GaloisKeys)?;
    let key_id = r.u64()?;
    let count = r.u64()? as usize;
    let two_n = 2 * params.degree();
    let mut keys = BTreeMap::new();
    for _ in 0..count {
        let g = r.u64()? as usize;
        if g.is_multiple_of(2) || g >= two_n || g == 1 {
            return Err(malformed(format!("invalid Galois element {g}")));
        }
        let k = read_ksk(&mut r, params)?;
        if keys
            .insert(g, (k, Arc::new(params.galois_permutation(g))))
            .is_some()
        {
            return Err(malformed(format!("duplicate Galois element {g}")));
        }
    }
    r.end()?;
    Ok(GaloisKeys { keys, key_id })
}

/// Writes the secret key: only on explicit request, never as part of a context.
pub fn serialize_secret_key(params: &CkksParameters, sk: &SecretKey) -> Vec<u8> {
    let mut w = Writer::new(params, Kind::SecretKey);
    w.u64(sk.key_id);
    w.poly(&sk.poly);
    w.finish()
}

pub fn deserialize_secret_key(params: &CkksParameters, bytes: &[u8]) -> Result<SecretKey> {
    let mut r = Reader::new(bytes, params, Kind::SecretKey)?;
    let key_id = r.u64()?;
    let poly = r.poly(params.degree(), &params.qp_tables(params.max_level()))?;
    r.end()?;
    Ok(SecretKey { poly, key_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::ckks::tests::{ctx, small_literal};
    use crate::he::ckks::{CkksParametersLiteral, SecurityLevel};

    #[test]
    fn ciphertext_round_trips_and_seeded_is_half_size() {
        let c = ctx();
        let p = &c.params;
        let v: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
        let full = c.encryptor.encrypt_real(&v).unwrap();
        let seeded = c.symmetric_encryptor.encrypt_real(&v).unwrap();
        let bf = serialize_ciphertext(p, &full);
        let bs = serialize_ciphertext(p, &seeded);
        assert!(
            bs.len() * 2 < bf.len() + 200,
            "{} vs {}",
            bs.len(),
            bf.len()
        );
        assert_eq!(deserialize_ciphertext(p, &bf).unwrap(), full);
        let back = deserialize_ciphertext(p, &bs).unwrap();
        assert_eq!(back, seeded);
        let out = c.decryptor.decrypt_real(&back);
        assert!(out.iter().zip(&v).all(|(a, b)| (a - b).abs() < 1e-6));
        let three = c.evaluator.mul(&full, &full).unwrap();
        assert_eq!(
            deserialize_ciphertext(p, &serialize_ciphertext(p, &three)).unwrap(),
            three
        );
    }

    #[test]
    fn keys_round_trip() {
        let c = ctx();
        let p = &c.params;
        let pk = deserialize_public_key(p, &serialize_public_key(p, &c.keys.public)).unwrap();
        assert_eq!(
            (pk.b.clone(), pk.a.clone()),
            (c.keys.public.b.clone(), c.keys.public.a.clone())
        );
        let rk = deserialize_relin_key(p, &serialize_relin_key(p, &c.keys.relin)).unwrap();
        assert_eq!(rk.key.digits, c.keys.relin.key.digits);
        let gk = deserialize_galois_keys(p, &serialize_galois_keys(p, &c.keys.galois)).unwrap();
        assert_eq!(gk.galois_elements(), c.keys.galois.galois_elements());
        let sk = deserialize_secret_key(p, &serialize_secret_key(p, &c.keys.secret)).unwrap();
        assert_eq!(sk.poly, c.keys.secret.poly);
        let json = serialize_parameters(p);
        assert_eq!(
            deserialize_parameters(&json).unwrap().fingerprint(),
            p.fingerprint()
        );
    }

    #[test]
    fn corrupted_and_mismatched_bytes_are_errors() {
        let c = ctx();
        let p = &c.params;
        let ct = c.encryptor.encrypt_real(&[1.0]).unwrap();
        let bytes = serialize_ciphertext(p, &ct);
        for i in [0, 5, 6, 40, bytes.len() / 2, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(deserialize_ciphertext(p, &bad).is_err(), "flip at {i}");
        }
        assert!(deserialize_ciphertext(p, &bytes[..bytes.len() - 9]).is_err());
        assert!(deserialize_ciphertext(p, &[]).is_err());
        assert!(deserialize_public_key(p, &bytes).is_err());
        let other = CkksParametersLiteral {
            coeff_mod_bit_sizes: vec![55, 40, 40, 55],
            security: SecurityLevel::Insecure,
            ..small_literal()
        }
        .validate()
        .unwrap();
        assert!(matches!(
            deserialize_ciphertext(&other, &bytes),
            Err(CkksError::ParameterMismatch)
        ));
        // A structurally wrong payload with a valid checksum is still refused.
        let mut w = Writer::new(p, Kind::Ciphertext);
        w.u64(99);
        assert!(matches!(
            deserialize_ciphertext(p, &w.finish()),
            Err(CkksError::InvalidLevel { .. })
        ));
        let mut w = Writer::new(p, Kind::Ciphertext);
        w.u64(0);
        w.f64(1.0);
        w.u64(0);
        w.u64(2);
        w.u64(1);
        for _ in 0..p.degree() {
            w.u64(u64::MAX);
        }
        assert!(deserialize_ciphertext(p, &w.finish()).is_err());
        assert!(deserialize_parameters("{\"poly_modulus_degree\": 3}").is_err());
    }
}
