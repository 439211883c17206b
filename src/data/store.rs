//! Where data files come from, and the guarantee that they are the registry's bytes.
//!
//! [`DataStore::path`] returns a file only after checking its sha256 against the registry:
//!
//! 1. With a mirror (`--data-mirror DIR` or `HEML_DATA_MIRROR`, laid out like
//!    `shared/datasets`: `DIR/<folder>/<file>`), the mirror's copy is used if it exists.
//! 2. Otherwise the cache (`<project>/datasets/cache/`, or `HEML_DATA_CACHE`) is used,
//!    at `<cache>/<folder>/<file>`.
//! 3. Otherwise, if downloads are on (the default), the file is downloaded from its URLs with
//!    ureq into a temporary file in the cache folder, checked (size, sha256) and renamed into
//!    place atomically. A failed or wrong download leaves nothing behind.
//!
//! Hashing is not cached on disk: the whole shared mirror (~50 MB) hashes in about 0.1 s with
//! sha2 optimised (`[profile.dev.package.sha2] opt-level = 3`; 2.7 s without it). Each
//! `DataStore` remembers the files it has verified (by path, size and mtime) so a run hashes
//! each file at most once.
//!
//! A registry file without sha256 (only data sets not in the mirror) is an error unless the
//! store was made with [`DataStore::allow_unverified`]; then it is checked by size when the
//! size is known, and the progress sink gets a note that it is unverified.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::data::error::{DataError, Remedy, Result};
use crate::data::registry::{DataFile, Dataset, DeriveMethod, Registry, Status};

/// Environment variable that overrides the cache folder.
pub const CACHE_ENV: &str = "HEML_DATA_CACHE";
/// Environment variable that names a mirror folder (like `--data-mirror DIR`).
pub const MIRROR_ENV: &str = "HEML_DATA_MIRROR";

const CHUNK: usize = 1 << 16;

/// What a long operation is doing, for [`Progress::begin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Download,
    Verify,
}

/// A long operation on one file.
#[derive(Debug, Clone)]
pub struct Task<'a> {
    pub action: Action,
    pub dataset: &'a str,
    pub file: &'a str,
    /// URL for a download, path for a verification.
    pub from: String,
    /// Bytes to process, when known (drives a progress bar's length).
    pub total_bytes: Option<u64>,
}

/// Receives progress of downloads and hashing. The CLI attaches a progress bar; the library
/// never prints.
pub trait Progress {
    /// A download or verification starts.
    fn begin(&mut self, _task: &Task<'_>) {}
    /// `bytes` more bytes were processed.
    fn advance(&mut self, _bytes: u64) {}
    /// The task begun last ended (successfully or not).
    fn end(&mut self) {}
    /// Something the user should know (e.g. an unverified file was accepted).
    fn note(&mut self, _message: &str) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Where a usable file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Mirror,
    Cache,
    Downloaded,
}

/// How far a file was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// sha256 matches the registry.
    Sha256,
    /// No sha256 in the registry; size matches (`--allow-unverified`).
    SizeOnly,
    /// No sha256 and no size in the registry (`--allow-unverified`).
    Unchecked,
}

/// A file that is ready to use.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub dataset: String,
    pub file: String,
    pub path: PathBuf,
    pub source: Source,
    pub verification: Verification,
}

/// Outcome for one file of `fetch` or `verify`.
#[derive(Debug)]
pub struct FileCheck {
    pub dataset: String,
    pub file: String,
    pub result: Result<FileReport>,
}

/// Where a file is, without hashing it (for `list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Mirror(PathBuf),
    Cache(PathBuf),
    Missing,
}

/// One file in [`DataStore::list`].
#[derive(Debug, Clone)]
pub struct FileListing {
    pub path: String,
    pub bytes: Option<u64>,
    pub has_sha256: bool,
    pub location: Location,
}

/// One data set in [`DataStore::list`].
#[derive(Debug, Clone)]
pub struct DatasetListing {
    pub name: String,
    pub title: String,
    pub status: Status,
    pub papers: Vec<String>,
    pub files: Vec<FileListing>,
}

impl DatasetListing {
    /// True if every file is in the mirror or the cache.
    pub fn available(&self) -> bool {
        self.files.iter().all(|f| f.location != Location::Missing)
    }
}

/// Verified access to the registry's files.
#[derive(Debug)]
pub struct DataStore {
    registry: Registry,
    cache_dir: PathBuf,
    mirror: Option<PathBuf>,
    allow_unverified: bool,
    downloads: bool,
    /// Files already verified in this run: path -> (size, mtime).
    verified: Mutex<HashMap<PathBuf, (u64, Option<SystemTime>)>>,
}

/// The cache folder: `$HEML_DATA_CACHE` if set and non-empty, else
/// `<project_root>/datasets/cache`.
pub fn default_cache_dir(project_root: &Path) -> PathBuf {
    match std::env::var_os(CACHE_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => project_root.join("datasets").join("cache"),
    }
}

/// The mirror folder: the `--data-mirror` value if given, else `$HEML_DATA_MIRROR` if set
/// and non-empty.
pub fn mirror_from_env(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| match std::env::var_os(MIRROR_ENV) {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => None,
    })
}

impl DataStore {
    /// A store over the built-in registry. `mirror`, if given, must be an existing folder.
    pub fn new(cache_dir: impl Into<PathBuf>, mirror: Option<PathBuf>) -> Result<Self> {
        Self::with_registry(Registry::builtin()?, cache_dir, mirror)
    }

    /// A store over the built-in registry, with the cache and mirror the CLI uses:
    /// [`default_cache_dir`] and [`mirror_from_env`].
    pub fn from_env(project_root: &Path, mirror_flag: Option<PathBuf>) -> Result<Self> {
        let from_flag = mirror_flag.is_some();
        let mirror = mirror_from_env(mirror_flag);
        let store =
            Self::with_registry(Registry::builtin()?, default_cache_dir(project_root), None)?;
        store.set_mirror(
            mirror,
            if from_flag {
                "--data-mirror"
            } else {
                MIRROR_ENV
            },
        )
    }

    /// A store over any registry (tests, custom registries).
    pub fn with_registry(
        registry: Registry,
        cache_dir: impl Into<PathBuf>,
        mirror: Option<PathBuf>,
    ) -> Result<Self> {
        let store = DataStore {
            registry,
            cache_dir: cache_dir.into(),
            mirror: None,
            allow_unverified: false,
            downloads: true,
            verified: Mutex::new(HashMap::new()),
        };
        store.set_mirror(mirror, "the mirror argument")
    }

    fn set_mirror(mut self, mirror: Option<PathBuf>, source_name: &str) -> Result<Self> {
        if let Some(m) = &mirror
            && !m.is_dir()
        {
            return Err(DataError::MirrorNotFound {
                path: m.clone(),
                source_name: source_name.to_string(),
            });
        }
        self.mirror = mirror;
        Ok(self)
    }

    /// Accept files the registry has no sha256 for (`--allow-unverified`). Off by default.
    pub fn allow_unverified(mut self, yes: bool) -> Self {
        self.allow_unverified = yes;
        self
    }

    /// Download missing files in [`path`](Self::path) (default on). When off, a missing file
    /// is a [`DataError::Missing`]; `fetch` downloads regardless.
    pub fn downloads(mut self, yes: bool) -> Self {
        self.downloads = yes;
        self
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    pub fn mirror(&self) -> Option<&Path> {
        self.mirror.as_deref()
    }

    /// Path of a verified copy of `file` of `dataset`, downloading it into the cache if it is
    /// missing and downloads are on.
    pub fn path(&self, dataset: &str, file: &str) -> Result<PathBuf> {
        self.path_with(dataset, file, &mut NoProgress)
    }

    /// [`path`](Self::path) with progress reports.
    pub fn path_with(
        &self,
        dataset: &str,
        file: &str,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf> {
        let ds = self.registry.get(dataset)?;
        let f = ds.file(file)?;
        self.locate(ds, f, self.downloads, progress).map(|r| r.path)
    }

    /// Makes every file of `dataset` available (mirror, cache or download) and verified.
    /// One result per file; an unknown data set is the only outer error.
    pub fn fetch(&self, dataset: &str, progress: &mut dyn Progress) -> Result<Vec<FileCheck>> {
        let ds = self.registry.get(dataset)?;
        Ok(ds
            .files
            .iter()
            .map(|f| FileCheck {
                dataset: ds.name.clone(),
                file: f.path.clone(),
                result: self.locate(ds, f, true, progress),
            })
            .collect())
    }

    /// Checks every file of `dataset` that is present (mirror or cache) against the registry,
    /// without downloading; a file that is nowhere is reported as [`DataError::Missing`].
    pub fn verify(&self, dataset: &str, progress: &mut dyn Progress) -> Result<Vec<FileCheck>> {
        let ds = self.registry.get(dataset)?;
        Ok(ds
            .files
            .iter()
            .map(|f| FileCheck {
                dataset: ds.name.clone(),
                file: f.path.clone(),
                result: self.locate(ds, f, false, progress),
            })
            .collect())
    }

    /// Every data set with where each of its files is (no hashing, no network).
    pub fn list(&self) -> Vec<DatasetListing> {
        self.registry
            .datasets()
            .iter()
            .map(|ds| DatasetListing {
                name: ds.name.clone(),
                title: ds.title.clone(),
                status: ds.status,
                papers: ds.papers.clone(),
                files: ds
                    .files
                    .iter()
                    .map(|f| FileListing {
                        path: f.path.clone(),
                        bytes: f.bytes,
                        has_sha256: f.sha256.is_some(),
                        location: self.where_is(ds, f),
                    })
                    .collect(),
            })
            .collect()
    }

    fn mirror_path(&self, ds: &Dataset, f: &DataFile) -> Option<PathBuf> {
        self.mirror
            .as_ref()
            .map(|m| m.join(&ds.folder).join(rel(&f.path)))
    }

    /// Where a file of the cache lives (whether or not it exists).
    pub fn cache_path(&self, ds: &Dataset, f: &DataFile) -> PathBuf {
        self.cache_dir.join(&ds.folder).join(rel(&f.path))
    }

    fn where_is(&self, ds: &Dataset, f: &DataFile) -> Location {
        if let Some(p) = self.mirror_path(ds, f)
            && p.is_file()
        {
            return Location::Mirror(p);
        }
        let c = self.cache_path(ds, f);
        if c.is_file() {
            Location::Cache(c)
        } else {
            Location::Missing
        }
    }

    fn locate(
        &self,
        ds: &Dataset,
        f: &DataFile,
        download: bool,
        progress: &mut dyn Progress,
    ) -> Result<FileReport> {
        let mut looked = Vec::new();
        if let Some(p) = self.mirror_path(ds, f) {
            if p.is_file() {
                let verification = self.check(ds, f, &p, Remedy::RestoreMirror, progress)?;
                return Ok(self.report(ds, f, p, Source::Mirror, verification));
            }
            looked.push(p);
        }
        let c = self.cache_path(ds, f);
        if c.is_file() {
            let verification = self.check(ds, f, &c, Remedy::DeleteAndFetch, progress)?;
            return Ok(self.report(ds, f, c, Source::Cache, verification));
        }
        looked.push(c.clone());
        if !download {
            return Err(DataError::Missing {
                dataset: ds.name.clone(),
                file: f.path.clone(),
                folder: ds.folder.clone(),
                looked,
                url: f.url.clone(),
            });
        }
        let verification = self.download(ds, f, &c, progress)?;
        Ok(self.report(ds, f, c, Source::Downloaded, verification))
    }

    fn report(
        &self,
        ds: &Dataset,
        f: &DataFile,
        path: PathBuf,
        source: Source,
        verification: Verification,
    ) -> FileReport {
        FileReport {
            dataset: ds.name.clone(),
            file: f.path.clone(),
            path,
            source,
            verification,
        }
    }

    /// Checks an existing file: sha256 (memoised per path, size and mtime), or for a file
    /// without sha256 the explicit opt-in and the size.
    fn check(
        &self,
        ds: &Dataset,
        f: &DataFile,
        path: &Path,
        remedy: Remedy,
        progress: &mut dyn Progress,
    ) -> Result<Verification> {
        let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
        let stamp = (meta.len(), meta.modified().ok());
        if let Some(expected) = f.bytes
            && expected != meta.len()
        {
            return Err(DataError::SizeMismatch {
                dataset: ds.name.clone(),
                file: f.path.clone(),
                location: path.display().to_string(),
                expected,
                actual: meta.len(),
                remedy,
            });
        }
        let Some(expected) = &f.sha256 else {
            return self.accept_unverified(ds, f, progress);
        };
        if self.verified.lock().expect("lock").get(path) == Some(&stamp) {
            return Ok(Verification::Sha256);
        }
        progress.begin(&Task {
            action: Action::Verify,
            dataset: &ds.name,
            file: &f.path,
            from: path.display().to_string(),
            total_bytes: Some(meta.len()),
        });
        let actual = sha256_file(path, progress);
        progress.end();
        let actual = actual?;
        if actual != expected.as_str() {
            return Err(DataError::Corrupt {
                dataset: ds.name.clone(),
                file: f.path.clone(),
                location: path.display().to_string(),
                expected: expected.to_string(),
                actual,
                remedy,
            });
        }
        self.verified
            .lock()
            .expect("lock")
            .insert(path.to_path_buf(), stamp);
        Ok(Verification::Sha256)
    }

    fn accept_unverified(
        &self,
        ds: &Dataset,
        f: &DataFile,
        progress: &mut dyn Progress,
    ) -> Result<Verification> {
        if !self.allow_unverified {
            return Err(DataError::Unverified {
                dataset: ds.name.clone(),
                file: f.path.clone(),
                url: f.url.clone(),
                bytes: f.bytes,
            });
        }
        let (verification, how) = match f.bytes {
            Some(b) => (
                Verification::SizeOnly,
                format!("checked by size only ({b} bytes)"),
            ),
            None => (
                Verification::Unchecked,
                "not checked at all (size unknown)".to_string(),
            ),
        };
        progress.note(&format!(
            "UNVERIFIED: data set '{}', file '{}' has no sha256 in the registry; used because \
             of --allow-unverified, {how}",
            ds.name, f.path
        ));
        Ok(verification)
    }

    fn download(
        &self,
        ds: &Dataset,
        f: &DataFile,
        dest: &Path,
        progress: &mut dyn Progress,
    ) -> Result<Verification> {
        if let Some(d) = &f.derived
            && d.method == DeriveMethod::Manual
        {
            return Err(DataError::NotDownloadable {
                dataset: ds.name.clone(),
                file: f.path.clone(),
                url: f.url.clone(),
                how: d.note.clone(),
                target: dest.to_path_buf(),
            });
        }
        if f.sha256.is_none() && !self.allow_unverified {
            return Err(DataError::Unverified {
                dataset: ds.name.clone(),
                file: f.path.clone(),
                url: f.url.clone(),
                bytes: f.bytes,
            });
        }
        let dir = dest.parent().expect("cache paths have a parent");
        std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
        let name = dest
            .file_name()
            .expect("cache paths have a file name")
            .to_string_lossy();
        // Unique per process and call, so concurrent downloads never share a temporary file.
        static DOWNLOADS: AtomicU64 = AtomicU64::new(0);
        let tmp = dir.join(format!(
            ".{name}.part-{}-{}",
            std::process::id(),
            DOWNLOADS.fetch_add(1, Ordering::Relaxed)
        ));

        let mut failures = Vec::new();
        let mut content_error = None;
        for url in f.urls() {
            let mut guard = RemoveOnDrop(Some(tmp.clone()));
            match self.download_one(ds, f, url, &tmp, progress) {
                Ok(()) => {
                    std::fs::rename(&tmp, dest).map_err(|e| DataError::io(dest, e))?;
                    guard.0 = None;
                    let verification = match &f.sha256 {
                        Some(_) => {
                            if let Ok(meta) = std::fs::metadata(dest) {
                                self.verified
                                    .lock()
                                    .expect("lock")
                                    .insert(dest.to_path_buf(), (meta.len(), meta.modified().ok()));
                            }
                            Verification::Sha256
                        }
                        None => self.accept_unverified(ds, f, progress)?,
                    };
                    return Ok(verification);
                }
                Err(e @ (DataError::Corrupt { .. } | DataError::SizeMismatch { .. })) => {
                    failures.push(format!("{url}: {e}"));
                    content_error.get_or_insert(e);
                }
                Err(e) => failures.push(format!("{url}: {e}")),
            }
            drop(guard);
        }
        Err(content_error.unwrap_or_else(|| DataError::Download {
            dataset: ds.name.clone(),
            file: f.path.clone(),
            message: failures.join("; "),
        }))
    }

    /// Downloads one URL into `tmp`, applying a `drop-first-line` derivation on the fly, and
    /// checks size and sha256.
    fn download_one(
        &self,
        ds: &Dataset,
        f: &DataFile,
        url: &str,
        tmp: &Path,
        progress: &mut dyn Progress,
    ) -> Result<()> {
        let download_err = |message: String| DataError::Download {
            dataset: ds.name.clone(),
            file: f.path.clone(),
            message,
        };
        let loopback = url.starts_with("http://");
        let mut config = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .user_agent(concat!("heml/", env!("CARGO_PKG_VERSION")));
        if loopback {
            config = config.proxy(None);
        }
        let agent: ureq::Agent = config.build().into();
        let response = agent
            .get(url)
            // Files are stored as served; never let the transport decompress a .gz.
            .header("Accept-Encoding", "identity")
            .call()
            .map_err(|e| download_err(format!("GET {url}: {e}")))?;
        let content_length = response.body().content_length();
        let mut reader = response.into_body().into_reader();

        let mut out = File::create(tmp).map_err(|e| DataError::io(tmp, e))?;
        let mut hasher = Sha256::new();
        let mut written: u64 = 0;
        let mut skipping_first_line = matches!(
            f.derived.as_ref().map(|d| d.method),
            Some(DeriveMethod::DropFirstLine)
        );
        let limit = f.bytes;
        progress.begin(&Task {
            action: Action::Download,
            dataset: &ds.name,
            file: &f.path,
            from: url.to_string(),
            total_bytes: content_length,
        });
        let mut buf = vec![0u8; CHUNK];
        let result = loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(download_err(format!("reading {url}: {e}"))),
            };
            progress.advance(n as u64);
            let mut chunk = &buf[..n];
            if skipping_first_line {
                match chunk.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        chunk = &chunk[i + 1..];
                        skipping_first_line = false;
                    }
                    None => continue,
                }
            }
            hasher.update(chunk);
            written += chunk.len() as u64;
            if let Some(max) = limit
                && written > max
            {
                break Err(DataError::SizeMismatch {
                    dataset: ds.name.clone(),
                    file: f.path.clone(),
                    location: url.to_string(),
                    expected: max,
                    actual: written,
                    remedy: Remedy::ServerDiffers,
                });
            }
            if let Err(e) = out.write_all(chunk) {
                break Err(DataError::io(tmp, e));
            }
        };
        progress.end();
        result?;
        out.sync_all().map_err(|e| DataError::io(tmp, e))?;
        drop(out);

        if let Some(expected) = f.bytes
            && expected != written
        {
            return Err(DataError::SizeMismatch {
                dataset: ds.name.clone(),
                file: f.path.clone(),
                location: url.to_string(),
                expected,
                actual: written,
                remedy: Remedy::ServerDiffers,
            });
        }
        if let Some(expected) = &f.sha256 {
            let actual = hex::encode(hasher.finalize());
            if actual != expected.as_str() {
                return Err(DataError::Corrupt {
                    dataset: ds.name.clone(),
                    file: f.path.clone(),
                    location: url.to_string(),
                    expected: expected.to_string(),
                    actual,
                    remedy: Remedy::ServerDiffers,
                });
            }
        }
        Ok(())
    }
}

/// Deletes a temporary file when dropped (unless forgotten).
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// `/`-separated registry path as a native relative path.
fn rel(path: &str) -> PathBuf {
    path.split('/').collect()
}

/// Lower-case hex sha256 of a file, reporting bytes hashed to `progress`.
pub fn sha256_file(path: &Path, progress: &mut dyn Progress) -> Result<String> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = BufReader::with_capacity(CHUNK, file);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DataError::io(path, e)),
        };
        hasher.update(&buf[..n]);
        progress.advance(n as u64);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p, &mut NoProgress).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn missing_mirror_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = DataStore::new(dir.path(), Some(dir.path().join("nope"))).unwrap_err();
        assert!(matches!(e, DataError::MirrorNotFound { .. }), "{e}");
        assert!(e.to_string().contains("nope"));
    }

    #[test]
    fn rel_splits_on_slash() {
        assert_eq!(
            rel("trask/labels.txt"),
            Path::new("trask").join("labels.txt")
        );
    }
}
