//! The encryption engines. Nothing here knows of datasets, tch, Polars or
//! YAML. Layers import only downward: `math` (modular and polynomial
//! arithmetic, NTT, RNS) <- `ckks` (RNS-CKKS, then its `circuits`);
//! `paillier` stands on GMP; `intvec` (Zhou-Wornell integer vectors, broken,
//! a reproduction artifact) on 128-bit words.

pub mod ckks;
pub mod intvec;
pub mod math;
pub mod paillier;
