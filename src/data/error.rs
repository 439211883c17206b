//! The one error type of the data layer.
//!
//! Every variant carries the facts a user needs to act: which data set and file, where heml
//! looked, the URL it comes from and the command or flag that gets it.

use std::fmt;
use std::path::PathBuf;

/// Result of the data layer.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

/// Everything that can go wrong while finding, checking, downloading or reading data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The registry YAML does not parse (syntax, wrong type, unknown field).
    #[error("{file}{}: {message}", Pos(*line, *column))]
    RegistryParse {
        file: String,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },

    /// The registry parses but a value is not valid.
    #[error("{file}: data set '{dataset}': {field}: {message}")]
    RegistryInvalid {
        file: String,
        dataset: String,
        field: String,
        message: String,
    },

    /// No data set of that name.
    #[error("unknown data set '{name}'; known data sets: {known}")]
    UnknownDataset { name: String, known: String },

    /// The data set has no file of that name.
    #[error("data set '{dataset}' has no file '{file}'; its files: {known}")]
    UnknownFile {
        dataset: String,
        file: String,
        known: String,
    },

    /// The data set exists but has no target (label definition) of that name.
    #[error("data set '{dataset}' has no target '{target}'; its targets: {known}")]
    UnknownTarget {
        dataset: String,
        target: String,
        known: String,
    },

    /// A loader was asked for a data set whose format it does not read.
    #[error("data set '{dataset}' has format '{kind}', which {loader} does not read")]
    WrongFormat {
        dataset: String,
        kind: String,
        loader: String,
    },

    /// The mirror folder given by --data-mirror or HEML_DATA_MIRROR does not exist.
    #[error(
        "data mirror {} (from {source_name}) is not a directory; give a folder laid out as \
         <DIR>/<data-set folder>/<file>, or unset it",
        path.display()
    )]
    MirrorNotFound { path: PathBuf, source_name: String },

    /// The file is neither in the mirror nor in the cache, and downloads are off.
    #[error(
        "data set '{dataset}': file '{file}' is missing; looked in {}. It comes from {url}. \
         Get it with `heml datasets fetch {dataset}`, or point --data-mirror DIR (or \
         HEML_DATA_MIRROR) at a folder that has it as DIR/{folder}/{file}",
        looked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and ")
    )]
    Missing {
        dataset: String,
        file: String,
        folder: String,
        looked: Vec<PathBuf>,
        url: String,
    },

    /// The file's sha256 is not the registry's.
    #[error(
        "data set '{dataset}': file '{file}' at {location} is corrupt: sha256 expected \
         {expected}, actual {actual}. {}",
        remedy.text(dataset, location)
    )]
    Corrupt {
        dataset: String,
        file: String,
        /// Path of the file, or the URL it was downloaded from.
        location: String,
        expected: String,
        actual: String,
        remedy: Remedy,
    },

    /// The file's size is not the registry's.
    #[error(
        "data set '{dataset}': file '{file}' at {location} has {actual} bytes, expected \
         {expected}. {}",
        remedy.text(dataset, location)
    )]
    SizeMismatch {
        dataset: String,
        file: String,
        /// Path of the file, or the URL it was downloaded from.
        location: String,
        expected: u64,
        actual: u64,
        remedy: Remedy,
    },

    /// The registry has no sha256 for the file and --allow-unverified was not given.
    #[error(
        "data set '{dataset}': file '{file}' has no sha256 in the registry, so heml cannot \
         verify it ({url}). Pass --allow-unverified to use it anyway (checked by size only{}), \
         or add its sha256 to datasets/registry.yaml",
        match bytes { Some(b) => format!(", {b} bytes"), None => ": size unknown too".to_string() }
    )]
    Unverified {
        dataset: String,
        file: String,
        url: String,
        bytes: Option<u64>,
    },

    /// The file is derived by hand from another file and cannot be downloaded as is.
    #[error(
        "data set '{dataset}': file '{file}' cannot be downloaded: it was derived by hand \
         from {url} ({how}). Use the shared mirror (--data-mirror DIR or HEML_DATA_MIRROR), \
         or make it as described and place it at {}",
        target.display()
    )]
    NotDownloadable {
        dataset: String,
        file: String,
        url: String,
        how: String,
        target: PathBuf,
    },

    /// Every URL of the file failed.
    #[error(
        "data set '{dataset}': downloading file '{file}' failed: {message}. Check the network, \
         or use a local copy with --data-mirror DIR (or HEML_DATA_MIRROR)"
    )]
    Download {
        dataset: String,
        file: String,
        message: String,
    },

    /// An operating-system error on a path.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A data file does not have the expected content.
    #[error("{}{}: {message}", path.display(), Pos(*line, *column))]
    Parse {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },

    /// Invalid arguments to a split or sampling function.
    #[error("invalid split: {message}")]
    InvalidSplit { message: String },
}

/// What to do about a corrupt or wrongly sized file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Remedy {
    /// The mirror's copy is damaged.
    RestoreMirror,
    /// The cached copy is damaged.
    DeleteAndFetch,
    /// A download served other bytes (nothing was stored).
    ServerDiffers,
}

impl Remedy {
    fn text(self, dataset: &str, location: &str) -> String {
        match self {
            Remedy::RestoreMirror => format!(
                "The mirror's copy is damaged: restore it from the original, or run without \
                 --data-mirror/HEML_DATA_MIRROR to use the cache (`heml datasets fetch {dataset}`)."
            ),
            Remedy::DeleteAndFetch => format!(
                "Delete {location} and run `heml datasets fetch {dataset}` to download it again."
            ),
            Remedy::ServerDiffers => "The server served other bytes than the registry records; \
                 nothing was stored. Use the shared mirror (--data-mirror DIR or \
                 HEML_DATA_MIRROR), or check the registry's url."
                .to_string(),
        }
    }
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn parse(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Parse {
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn parse_at(
        path: impl Into<PathBuf>,
        line: usize,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Self::Parse {
            path: path.into(),
            line: Some(line),
            column,
            message: message.into(),
        }
    }
}

/// Formats `, line L, column C` (or nothing) after a file name.
struct Pos(Option<usize>, Option<usize>);

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(l), Some(c)) => write!(f, ", line {l}, column {c}"),
            (Some(l), None) => write!(f, ", line {l}"),
            _ => Ok(()),
        }
    }
}
