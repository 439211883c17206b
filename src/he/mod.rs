pub mod paillier;
