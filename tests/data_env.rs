//! HEML_DATA_CACHE / HEML_DATA_MIRROR resolution. One test in its own binary, because it
//! changes the process environment.

use std::path::{Path, PathBuf};

use heml::data::DataStore;
use heml::data::store::{CACHE_ENV, MIRROR_ENV, default_cache_dir, mirror_from_env};

#[test]
fn cache_and_mirror_come_from_flag_env_or_default() {
    let mirror = tempfile::tempdir().unwrap();
    // SAFETY: this binary runs only this test, so no other thread reads the environment.
    unsafe {
        std::env::remove_var(CACHE_ENV);
        std::env::remove_var(MIRROR_ENV);
    }
    let root = Path::new("/project");
    assert_eq!(default_cache_dir(root), root.join("datasets").join("cache"));
    assert_eq!(mirror_from_env(None), None);
    assert_eq!(
        mirror_from_env(Some(PathBuf::from("/flag"))),
        Some(PathBuf::from("/flag"))
    );

    unsafe {
        std::env::set_var(CACHE_ENV, "/elsewhere/cache");
        std::env::set_var(MIRROR_ENV, mirror.path());
    }
    assert_eq!(default_cache_dir(root), PathBuf::from("/elsewhere/cache"));
    assert_eq!(mirror_from_env(None), Some(mirror.path().to_path_buf()));
    // The flag wins over the environment.
    assert_eq!(
        mirror_from_env(Some(PathBuf::from("/flag"))),
        Some(PathBuf::from("/flag"))
    );
    let store = DataStore::from_env(root, None).unwrap();
    assert_eq!(store.mirror(), Some(mirror.path()));
    assert_eq!(store.cache_dir(), Path::new("/elsewhere/cache"));

    unsafe {
        std::env::set_var(MIRROR_ENV, "/no/such/mirror");
    }
    let e = DataStore::from_env(root, None).unwrap_err().to_string();
    assert!(
        e.contains("/no/such/mirror") && e.contains(MIRROR_ENV),
        "{e}"
    );
    let e = DataStore::from_env(root, Some(PathBuf::from("/no/flag/dir")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("--data-mirror"), "{e}");
    unsafe {
        std::env::remove_var(CACHE_ENV);
        std::env::remove_var(MIRROR_ENV);
    }
}
