//! A process-wide cache of parameters and generated keys for tests, examples and
//! benchmarks (as tfhe-rs's keycache): key generation runs once per parameter set.

use super::encryption::{Decryptor, Encryptor};
use super::evaluator::{AutoOptions, Evaluator};
use super::keys::{KeySet, RotationSet};
use super::params::{CkksParameters, CkksParametersLiteral};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Parameters, keys and the objects built on them.
pub struct CachedContext {
    pub params: Arc<CkksParameters>,
    pub keys: KeySet,
    pub encryptor: Encryptor,
    pub symmetric_encryptor: Encryptor,
    pub decryptor: Decryptor,
    /// Explicit operations.
    pub evaluator: Evaluator,
    /// TenSEAL-style automatic relinearisation, rescaling and matching.
    pub auto_evaluator: Evaluator,
}

impl CachedContext {
    pub fn new(literal: &CkksParametersLiteral, rotations: &RotationSet) -> Self {
        let params = literal.validate().expect("valid cached parameters");
        let keys = KeySet::generate(&params, rotations);
        let make_eval = || {
            Evaluator::new(params.clone())
                .with_relin_key(keys.relin.clone())
                .and_then(|e| e.with_galois_keys(keys.galois.clone()))
                .expect("keys from one key set")
        };
        Self {
            encryptor: Encryptor::with_public_key(params.clone(), keys.public.clone()),
            symmetric_encryptor: Encryptor::with_secret_key(params.clone(), keys.secret.clone()),
            decryptor: Decryptor::new(params.clone(), keys.secret.clone()),
            evaluator: make_eval(),
            auto_evaluator: make_eval().with_auto(AutoOptions::all()),
            params,
            keys,
        }
    }
}

type Cache = Mutex<HashMap<String, &'static CachedContext>>;

/// The cached context for a literal and rotation set, generated on first use.
/// Contexts live for the whole process.
pub fn cached_context(
    literal: &CkksParametersLiteral,
    rotations: &RotationSet,
) -> &'static CachedContext {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = format!("{literal:?}|{rotations:?}");
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(c) = cache.lock().expect("cache lock").get(&key) {
        return c;
    }
    // Generate outside the lock; a rare duplicate generation is harmless.
    let ctx: &'static CachedContext = Box::leak(Box::new(CachedContext::new(literal, rotations)));
    cache.lock().expect("cache lock").entry(key).or_insert(ctx)
}
