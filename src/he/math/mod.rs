//! Modular and polynomial arithmetic: word-size Z_q, NTT-friendly primes, the
//! negacyclic NTT, RNS polynomials and the samplers RLWE needs.
pub mod eltwise;
mod eltwise_avx2;
mod eltwise_avx512;
pub mod kernel;
pub mod ntt;
mod ntt_avx2;
mod ntt_avx512;
pub mod poly;
pub mod primes;
pub mod rns;
pub mod sampling;
pub mod zq;
