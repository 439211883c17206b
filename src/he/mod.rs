//! The encryption engines. Nothing here knows of datasets, tch, Polars or
//! YAML. Layers import only downward: `math` (modular and polynomial
//! arithmetic, NTT, RNS) <- `ckks` (RNS-CKKS, then its `circuits`);
//! `paillier` stands on GMP.

pub mod ckks;
pub mod math;
pub mod paillier;
