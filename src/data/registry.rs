//! The data-set registry: `datasets/registry.yaml` parsed into literal structs (which deny
//! unknown fields) and validated into checked types.
//!
//! Literal in, checked value out: the `*Literal` structs mirror the YAML exactly; [`Registry`]
//! and the types it hands out are only made by [`Registry::from_yaml_str`], which checks every
//! value (sha256 is 64 lowercase hex digits, URLs use https, names and paths are unique and
//! safe, formats name files of their data set, ...). Code that holds a [`Dataset`] never
//! re-checks it.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use serde::Deserialize;

use crate::data::error::{DataError, Result};

/// The registry shipped with heml (`datasets/registry.yaml`, compiled in).
pub const BUILTIN_REGISTRY_YAML: &str = include_str!("../../datasets/registry.yaml");

/// Name under which errors refer to the built-in registry.
pub const BUILTIN_REGISTRY_NAME: &str = "datasets/registry.yaml";

/// Paper keys used in `papers:` (see shared/papers/CLAIMS.md).
pub const PAPERS: [&str; 4] = ["CS21", "MU18", "HE18", "SK"];

// ---------------------------------------------------------------------------------------------
// Literal (serialised) form.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryLiteral {
    version: u32,
    datasets: Vec<DatasetLiteral>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetLiteral {
    name: String,
    title: String,
    folder: String,
    status: Status,
    papers: Vec<String>,
    homepage: String,
    license: String,
    shape: ShapeLiteral,
    files: Vec<FileLiteral>,
    format: FormatLiteral,
    #[serde(default)]
    notes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShapeLiteral {
    rows: Option<u64>,
    features: Option<u64>,
    classes: Option<u64>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLiteral {
    path: String,
    /// Outer `None`: key absent (an error); `Some(None)`: written as `null`.
    #[serde(default, deserialize_with = "present")]
    bytes: Option<Option<u64>>,
    #[serde(default, deserialize_with = "present")]
    sha256: Option<Option<String>>,
    url: String,
    #[serde(default)]
    mirrors: Vec<String>,
    #[serde(default)]
    derived: Option<DerivedLiteral>,
    #[serde(default)]
    note: Option<String>,
}

/// Deserialises a field that must be written out, possibly as `null`.
fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DerivedLiteral {
    method: DeriveMethod,
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum FormatLiteral {
    IdxGzip {
        train_images: String,
        train_labels: String,
        test_images: String,
        test_labels: String,
    },
    Delimited {
        file: String,
        delimiter: Delimiter,
        header: bool,
        #[serde(default)]
        columns: Option<Vec<String>>,
        #[serde(default)]
        drop: Vec<ColumnRef>,
        #[serde(default)]
        categorical: Vec<ColumnRef>,
        #[serde(default)]
        missing: Vec<String>,
        targets: Vec<TargetLiteral>,
    },
    DataLabels {
        delimiter: Delimiter,
        parts: Vec<PartLiteral>,
    },
    ImdbTar {
        archive: String,
        #[serde(default)]
        labels: Option<String>,
    },
    TextLines {
        file: String,
    },
    Cifar10Binary {
        archive: String,
    },
    Archive {
        note: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetLiteral {
    name: String,
    label: LabelLiteral,
    #[serde(default)]
    drop: Vec<ColumnRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelLiteral {
    #[serde(default)]
    column: Option<ColumnRef>,
    #[serde(default)]
    one_hot: Option<Vec<usize>>,
    #[serde(default)]
    class_names: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartLiteral {
    data: String,
    labels: String,
}

// ---------------------------------------------------------------------------------------------
// Checked form.

/// Whether the shared mirror holds the data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Complete in the mirror.
    Present,
    /// In the mirror, with parts missing (see the data set's notes).
    Partial,
    /// Not in the mirror: only downloadable, often without a known sha256.
    NotInMirror,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Partial => "partial",
            Status::NotInMirror => "not-in-mirror",
        }
    }
}

/// How a derived file was made from the file at its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeriveMethod {
    /// Remove everything up to and including the first `\n`; heml does this after download.
    DropFirstLine,
    /// Made by hand (e.g. an .xls export); heml cannot regenerate it.
    Manual,
}

/// Field separator of a delimited text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delimiter {
    Comma,
    Tab,
    Semicolon,
    /// Runs of spaces or tabs; leading and trailing whitespace ignored.
    Whitespace,
}

/// A column named by its header name or by its 0-based index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ColumnRef {
    Index(usize),
    Name(String),
}

impl std::fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnRef::Index(i) => write!(f, "#{i}"),
            ColumnRef::Name(n) => write!(f, "'{n}'"),
        }
    }
}

/// Lower-case hex sha256 (64 digits), checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Checks that `s` is 64 lowercase hex digits.
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        if s.len() != 64 {
            return Err(format!(
                "sha256 must be 64 hex digits, got {} characters",
                s.len()
            ));
        }
        if let Some(c) = s.chars().find(|c| !matches!(c, '0'..='9' | 'a'..='f')) {
            return Err(format!(
                "sha256 must be lowercase hex digits (0-9, a-f), found {c:?}"
            ));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shape facts as checked by reading the data (`None`: not checked or not applicable).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Shape {
    pub rows: Option<u64>,
    pub features: Option<u64>,
    pub classes: Option<u64>,
    pub note: Option<String>,
}

/// How a derived file was made.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Derived {
    pub method: DeriveMethod,
    pub note: String,
}

/// One file of a data set.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DataFile {
    /// Relative to the data set's folder, `/`-separated.
    pub path: String,
    /// Exact size, when known.
    pub bytes: Option<u64>,
    /// Expected sha256; `None` means the file can only be used with `--allow-unverified`.
    pub sha256: Option<Sha256Hex>,
    /// Where `fetch` downloads from (first choice).
    pub url: String,
    /// Further URLs serving the same bytes.
    pub mirrors: Vec<String>,
    pub derived: Option<Derived>,
    pub note: Option<String>,
}

impl DataFile {
    /// `url` followed by `mirrors`.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.url.as_str()).chain(self.mirrors.iter().map(String::as_str))
    }
}

/// Which column holds the label, or which columns hold a one-hot label.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Label {
    /// One column; classes are its distinct values in sorted order (see `data::tabular`).
    Column(ColumnRef),
    /// Several 0/1 columns; class `i` is the column `indices[i]` holding 1.
    OneHot {
        indices: Vec<usize>,
        class_names: Vec<String>,
    },
}

/// A named prediction target of a delimited data set.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Target {
    pub name: String,
    pub label: Label,
    /// Columns dropped for this target only (e.g. the other target's column).
    pub drop: Vec<ColumnRef>,
}

/// Layout of one delimited text file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DelimitedFormat {
    pub file: String,
    pub delimiter: Delimiter,
    pub header: bool,
    /// Column names for a file without header.
    pub columns: Option<Vec<String>>,
    /// Columns never used (ids).
    pub drop: Vec<ColumnRef>,
    /// Feature columns coded as 0..k-1 in sorted order of their distinct values.
    pub categorical: Vec<ColumnRef>,
    /// Field values that mean "missing"; they load as NaN.
    pub missing: Vec<String>,
    /// At least one; the first is the default.
    pub targets: Vec<Target>,
}

/// Separate feature and label files, concatenated part after part (Arcene).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DataLabelsFormat {
    pub delimiter: Delimiter,
    /// `(data file, labels file)` pairs.
    pub parts: Vec<(String, String)>,
}

/// What the loaders need to read a data set.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Format {
    IdxGzip {
        train_images: String,
        train_labels: String,
        test_images: String,
        test_labels: String,
    },
    Delimited(DelimitedFormat),
    DataLabels(DataLabelsFormat),
    ImdbTar {
        archive: String,
        labels: Option<String>,
    },
    TextLines {
        file: String,
    },
    Cifar10Binary {
        archive: String,
    },
    /// An archive heml has no loader for yet.
    Archive {
        note: String,
    },
}

impl Format {
    /// The `kind:` name in the YAML.
    pub fn kind(&self) -> &'static str {
        match self {
            Format::IdxGzip { .. } => "idx-gzip",
            Format::Delimited(_) => "delimited",
            Format::DataLabels(_) => "data-labels",
            Format::ImdbTar { .. } => "imdb-tar",
            Format::TextLines { .. } => "text-lines",
            Format::Cifar10Binary { .. } => "cifar10-binary",
            Format::Archive { .. } => "archive",
        }
    }

    /// Files of the data set that this format reads.
    pub fn files(&self) -> Vec<&str> {
        match self {
            Format::IdxGzip {
                train_images,
                train_labels,
                test_images,
                test_labels,
            } => vec![train_images, train_labels, test_images, test_labels]
                .into_iter()
                .map(String::as_str)
                .collect(),
            Format::Delimited(d) => vec![d.file.as_str()],
            Format::DataLabels(d) => d
                .parts
                .iter()
                .flat_map(|(a, b)| [a.as_str(), b.as_str()])
                .collect(),
            Format::ImdbTar { archive, labels } => std::iter::once(archive.as_str())
                .chain(labels.as_deref())
                .collect(),
            Format::TextLines { file } => vec![file.as_str()],
            Format::Cifar10Binary { archive } => vec![archive.as_str()],
            Format::Archive { .. } => vec![],
        }
    }
}

/// One checked data set.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Dataset {
    pub name: String,
    pub title: String,
    /// Folder in the mirror and in the cache.
    pub folder: String,
    pub status: Status,
    /// Paper keys from [`PAPERS`].
    pub papers: Vec<String>,
    pub homepage: String,
    pub license: String,
    pub shape: Shape,
    pub files: Vec<DataFile>,
    pub format: Format,
    pub notes: Vec<String>,
}

impl Dataset {
    /// The file with this path, or an error listing the data set's files.
    pub fn file(&self, path: &str) -> Result<&DataFile> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .ok_or_else(|| DataError::UnknownFile {
                dataset: self.name.clone(),
                file: path.to_string(),
                known: self
                    .files
                    .iter()
                    .map(|f| f.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// The checked registry.
#[derive(Debug, Clone)]
pub struct Registry {
    source: String,
    datasets: Vec<Dataset>,
}

impl Registry {
    /// The registry compiled into heml.
    pub fn builtin() -> Result<Self> {
        Self::from_yaml_str(BUILTIN_REGISTRY_YAML, BUILTIN_REGISTRY_NAME)
    }

    /// Reads and checks a registry file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        Self::from_yaml_str(&text, &path.display().to_string())
    }

    /// Parses and checks registry YAML; `source` names it in errors.
    pub fn from_yaml_str(text: &str, source: &str) -> Result<Self> {
        let literal: RegistryLiteral =
            serde_yaml_ng::from_str(text).map_err(|e| parse_error(&e, source))?;
        validate(literal, text, source)
    }

    /// Where the registry came from (file name).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// All data sets, in file order.
    pub fn datasets(&self) -> &[Dataset] {
        &self.datasets
    }

    /// The data set of that name, or an error listing the known names.
    pub fn get(&self, name: &str) -> Result<&Dataset> {
        self.datasets
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| DataError::UnknownDataset {
                name: name.to_string(),
                known: self
                    .datasets
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

fn parse_error(e: &serde_yaml_ng::Error, source: &str) -> DataError {
    let location = e.location();
    let mut message = e.to_string();
    // serde_yaml_ng appends " at line L column C"; the position is reported separately.
    if let Some(loc) = &location {
        let suffix = format!(" at line {} column {}", loc.line(), loc.column());
        if let Some(stripped) = message.strip_suffix(&suffix) {
            message = stripped.to_string();
        }
    }
    DataError::RegistryParse {
        file: source.to_string(),
        line: location.as_ref().map(|l| l.line()),
        column: location.as_ref().map(|l| l.column()),
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// Validation.

struct Checker<'a> {
    source: &'a str,
    text: &'a str,
    dataset: String,
}

impl Checker<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> DataError {
        // serde keeps no spans for values, so point at the data set's `name:` line instead.
        let line = self.text.lines().position(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim_start();
            t.strip_prefix("name:")
                .is_some_and(|rest| rest.trim().trim_matches('"') == self.dataset)
        });
        let file = match line {
            Some(i) => format!("{}, line {}", self.source, i + 1),
            None => self.source.to_string(),
        };
        DataError::RegistryInvalid {
            file,
            dataset: self.dataset.clone(),
            field: field.into(),
            message: message.into(),
        }
    }

    fn url(&self, field: &str, url: &str) -> Result<()> {
        let rest = if let Some(rest) = url.strip_prefix("https://") {
            rest
        } else if let Some(rest) = url.strip_prefix("http://") {
            // Plain http only for loopback hosts (local test servers).
            let host = rest.split(['/', ':']).next().unwrap_or("");
            let loopback =
                host == "localhost" || host.starts_with("127.") || rest.starts_with("[::1]");
            if !loopback {
                return Err(self.err(
                    field,
                    format!("URL must start with https:// (http only for loopback hosts): {url}"),
                ));
            }
            rest
        } else {
            return Err(self.err(field, format!("URL must start with https://: {url}")));
        };
        if rest.is_empty() || rest.starts_with('/') || url.chars().any(char::is_whitespace) {
            return Err(self.err(field, format!("malformed URL: {url:?}")));
        }
        Ok(())
    }

    fn rel_path(&self, field: &str, path: &str) -> Result<()> {
        let ok = !path.is_empty()
            && !path.starts_with('/')
            && !path.contains('\\')
            && path.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
            });
        if ok {
            Ok(())
        } else {
            Err(self.err(
                field,
                format!(
                    "{path:?} is not a safe relative path ('/'-separated segments of \
                     letters, digits, '.', '_', '-', '+'; no '..')"
                ),
            ))
        }
    }

    fn non_empty(&self, field: &str, value: &str) -> Result<()> {
        if value.trim().is_empty() {
            Err(self.err(field, "must not be empty"))
        } else {
            Ok(())
        }
    }
}

fn validate(literal: RegistryLiteral, text: &str, source: &str) -> Result<Registry> {
    let mut checker = Checker {
        source,
        text,
        dataset: "-".to_string(),
    };
    if literal.version != 1 {
        return Err(checker.err(
            "version",
            format!(
                "unsupported registry version {}, expected 1",
                literal.version
            ),
        ));
    }
    if literal.datasets.is_empty() {
        return Err(checker.err("datasets", "the registry lists no data sets"));
    }
    let mut names = HashSet::new();
    let mut locations = HashSet::new();
    let mut datasets = Vec::with_capacity(literal.datasets.len());
    for d in literal.datasets {
        checker.dataset = d.name.clone();
        let ds = validate_dataset(&checker, d)?;
        if !names.insert(ds.name.clone()) {
            return Err(checker.err("name", "a data set of this name is already listed"));
        }
        for f in &ds.files {
            if !locations.insert((ds.folder.clone(), f.path.clone())) {
                return Err(checker.err(
                    "files",
                    format!(
                        "file {}/{} is already listed by another data set",
                        ds.folder, f.path
                    ),
                ));
            }
        }
        datasets.push(ds);
    }
    Ok(Registry {
        source: source.to_string(),
        datasets,
    })
}

fn validate_dataset(c: &Checker<'_>, d: DatasetLiteral) -> Result<Dataset> {
    if d.name.is_empty()
        || !d
            .name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        || d.name.starts_with('-')
    {
        return Err(c.err(
            "name",
            format!("{:?}: names are lowercase letters, digits and '-'", d.name),
        ));
    }
    c.non_empty("title", &d.title)?;
    c.non_empty("license", &d.license)?;
    c.rel_path("folder", &d.folder)?;
    if d.folder.contains('/') {
        return Err(c.err("folder", "must be a single folder name"));
    }
    c.url("homepage", &d.homepage)?;
    if d.papers.is_empty() {
        return Err(c.err("papers", "name at least one paper"));
    }
    for p in &d.papers {
        if !PAPERS.contains(&p.as_str()) {
            return Err(c.err(
                "papers",
                format!("unknown paper {p:?}; known: {}", PAPERS.join(", ")),
            ));
        }
    }
    if d.files.is_empty() {
        return Err(c.err("files", "a data set needs at least one file"));
    }

    let mut files = Vec::with_capacity(d.files.len());
    let mut seen = HashSet::new();
    for f in d.files {
        let field = |name: &str| format!("files[{}].{name}", f.path);
        c.rel_path(&field("path"), &f.path)?;
        if !seen.insert(f.path.clone()) {
            return Err(c.err(field("path"), "listed twice"));
        }
        let bytes = f.bytes.ok_or_else(|| {
            c.err(
                field("bytes"),
                "missing: give the size in bytes, or `bytes: null` if unknown",
            )
        })?;
        let sha256 = match f.sha256 {
            None => {
                return Err(c.err(
                    field("sha256"),
                    "missing: give the sha256, or `sha256: null` if unknown (the file then \
                     needs --allow-unverified)",
                ));
            }
            Some(None) => None,
            Some(Some(s)) => Some(Sha256Hex::parse(&s).map_err(|m| c.err(field("sha256"), m))?),
        };
        if d.status != Status::NotInMirror {
            if sha256.is_none() {
                return Err(c.err(
                    field("sha256"),
                    format!(
                        "a {} data set is in the mirror, so its sha256 is known: set it \
                         (sha256: null is only for status not-in-mirror)",
                        d.status.as_str()
                    ),
                ));
            }
            if bytes.is_none() {
                return Err(c.err(field("bytes"), "set the size of a file in the mirror"));
            }
        }
        c.url(&field("url"), &f.url)?;
        for m in &f.mirrors {
            c.url(&field("mirrors"), m)?;
        }
        let derived = match f.derived {
            None => None,
            Some(dl) => {
                c.non_empty(&field("derived.note"), &dl.note)?;
                Some(Derived {
                    method: dl.method,
                    note: dl.note,
                })
            }
        };
        files.push(DataFile {
            path: f.path,
            bytes,
            sha256,
            url: f.url,
            mirrors: f.mirrors,
            derived,
            note: f.note,
        });
    }

    let format = validate_format(c, d.format)?;
    for f in format.files() {
        if !files.iter().any(|df| df.path == f) {
            return Err(c.err(
                "format",
                format!("refers to file {f:?}, which is not in this data set's files"),
            ));
        }
    }

    Ok(Dataset {
        name: d.name,
        title: d.title,
        folder: d.folder,
        status: d.status,
        papers: d.papers,
        homepage: d.homepage,
        license: d.license,
        shape: Shape {
            rows: d.shape.rows,
            features: d.shape.features,
            classes: d.shape.classes,
            note: d.shape.note,
        },
        files,
        format,
        notes: d.notes,
    })
}

fn validate_format(c: &Checker<'_>, f: FormatLiteral) -> Result<Format> {
    Ok(match f {
        FormatLiteral::IdxGzip {
            train_images,
            train_labels,
            test_images,
            test_labels,
        } => Format::IdxGzip {
            train_images,
            train_labels,
            test_images,
            test_labels,
        },
        FormatLiteral::Delimited {
            file,
            delimiter,
            header,
            columns,
            drop,
            categorical,
            missing,
            targets,
        } => {
            if let Some(cols) = &columns {
                if header {
                    return Err(c.err(
                        "format.columns",
                        "give column names only for a file without header",
                    ));
                }
                let mut names = HashSet::new();
                for n in cols {
                    if !names.insert(n) {
                        return Err(c.err("format.columns", format!("{n:?} listed twice")));
                    }
                }
            }
            // Without header and without `columns`, only indices can name columns.
            let check_ref = |field: &str, r: &ColumnRef| -> Result<()> {
                match (r, &columns) {
                    (ColumnRef::Name(n), Some(cols)) if !cols.contains(n) => {
                        Err(c.err(field, format!("column {n:?} is not in format.columns")))
                    }
                    (ColumnRef::Name(n), None) if !header => Err(c.err(
                        field,
                        format!(
                            "column {n:?} named, but the file has no header and no format.columns"
                        ),
                    )),
                    (ColumnRef::Index(i), Some(cols)) if *i >= cols.len() => Err(c.err(
                        field,
                        format!(
                            "column index {i} but format.columns has {} names",
                            cols.len()
                        ),
                    )),
                    _ => Ok(()),
                }
            };
            for r in &drop {
                check_ref("format.drop", r)?;
            }
            for r in &categorical {
                check_ref("format.categorical", r)?;
            }
            if targets.is_empty() {
                return Err(c.err("format.targets", "give at least one target"));
            }
            let mut tnames = BTreeSet::new();
            let mut checked = Vec::with_capacity(targets.len());
            for t in targets {
                let field = format!("format.targets[{}]", t.name);
                if t.name.is_empty() || t.name.contains(':') {
                    return Err(c.err(&field, "target names are non-empty and have no ':'"));
                }
                if !tnames.insert(t.name.clone()) {
                    return Err(c.err(&field, "target listed twice"));
                }
                for r in &t.drop {
                    check_ref(&format!("{field}.drop"), r)?;
                }
                let label = match (t.label.column, t.label.one_hot, t.label.class_names) {
                    (Some(col), None, None) => {
                        check_ref(&format!("{field}.label.column"), &col)?;
                        Label::Column(col)
                    }
                    (None, Some(indices), Some(class_names)) => {
                        if indices.len() < 2 || indices.len() != class_names.len() {
                            return Err(c.err(
                                format!("{field}.label"),
                                "one_hot needs at least 2 column indices and as many class_names",
                            ));
                        }
                        let distinct: HashSet<_> = indices.iter().collect();
                        if distinct.len() != indices.len() {
                            return Err(
                                c.err(format!("{field}.label.one_hot"), "column listed twice")
                            );
                        }
                        Label::OneHot {
                            indices,
                            class_names,
                        }
                    }
                    _ => {
                        return Err(c.err(
                            format!("{field}.label"),
                            "give either `column` or both `one_hot` and `class_names`",
                        ));
                    }
                };
                checked.push(Target {
                    name: t.name,
                    label,
                    drop: t.drop,
                });
            }
            Format::Delimited(DelimitedFormat {
                file,
                delimiter,
                header,
                columns,
                drop,
                categorical,
                missing,
                targets: checked,
            })
        }
        FormatLiteral::DataLabels { delimiter, parts } => {
            if parts.is_empty() {
                return Err(c.err("format.parts", "give at least one part"));
            }
            Format::DataLabels(DataLabelsFormat {
                delimiter,
                parts: parts.into_iter().map(|p| (p.data, p.labels)).collect(),
            })
        }
        FormatLiteral::ImdbTar { archive, labels } => Format::ImdbTar { archive, labels },
        FormatLiteral::TextLines { file } => Format::TextLines { file },
        FormatLiteral::Cifar10Binary { archive } => Format::Cifar10Binary { archive },
        FormatLiteral::Archive { note } => {
            c.non_empty("format.note", &note)?;
            Format::Archive { note }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
version: 1
datasets:
  - name: tiny
    title: "Tiny"
    folder: tiny
    status: present
    papers: [HE18]
    homepage: "https://example.org/tiny"
    license: "CC0"
    shape: { rows: 2, features: 1, classes: 2 }
    files:
      - path: tiny.csv
        bytes: 10
        sha256: 0000000000000000000000000000000000000000000000000000000000000000
        url: "https://example.org/tiny.csv"
    format:
      kind: delimited
      file: tiny.csv
      delimiter: comma
      header: true
      targets:
        - name: y
          label: { column: y }
"#;

    #[test]
    fn builtin_registry_is_valid_and_complete() {
        let r = Registry::builtin().unwrap();
        for name in [
            "mnist",
            "pima-diabetes",
            "imdb",
            "trask-reviews",
            "arcene",
            "banknote",
            "blood-transfusion",
            "breast-tissue",
            "cardiotocography",
            "climate-model-crashes",
            "cnae9",
            "sonar",
            "vowel",
            "crab",
            "daphnet-fog",
            "fertility",
            "theorem-proving",
            "ovarian",
            "wine",
            "sensorless-drive",
            "cifar10",
        ] {
            r.get(name).unwrap();
        }
        for d in r.datasets() {
            if d.status == Status::NotInMirror {
                continue;
            }
            for f in &d.files {
                assert!(f.sha256.is_some(), "{} {}", d.name, f.path);
            }
        }
        assert_eq!(r.get("cifar10").unwrap().status, Status::NotInMirror);
    }

    #[test]
    fn minimal_parses() {
        let r = Registry::from_yaml_str(MINIMAL, "mini.yaml").unwrap();
        let d = r.get("tiny").unwrap();
        assert_eq!(d.files[0].bytes, Some(10));
        assert!(matches!(d.format, Format::Delimited(_)));
    }

    #[test]
    fn unknown_field_names_line_and_column() {
        let bad = MINIMAL.replace(
            "    license: \"CC0\"\n",
            "    license: \"CC0\"\n    licence: x\n",
        );
        let e = Registry::from_yaml_str(&bad, "bad.yaml").unwrap_err();
        let DataError::RegistryParse { line, column, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(*line, Some(11)); // MINIMAL starts with an empty line
        assert!(column.is_some());
        let msg = e.to_string();
        assert!(msg.starts_with("bad.yaml, line 11, column"), "{msg}");
        assert!(msg.contains("licence"), "{msg}");
    }

    #[test]
    fn bad_sha_is_rejected() {
        let bad = MINIMAL.replace(
            "0000000000000000000000000000000000000000000000000000000000000000",
            "00ff",
        );
        let e = Registry::from_yaml_str(&bad, "bad.yaml").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("64 hex digits"), "{msg}");
        assert!(msg.contains("tiny"), "{msg}");
        assert!(msg.contains("line 4"), "{msg}");
    }

    #[test]
    fn http_url_is_rejected_but_loopback_allowed() {
        let bad = MINIMAL.replace("https://example.org/tiny.csv", "http://example.org/t.csv");
        let msg = Registry::from_yaml_str(&bad, "b").unwrap_err().to_string();
        assert!(msg.contains("https://"), "{msg}");
        let ok = MINIMAL.replace(
            "https://example.org/tiny.csv",
            "http://127.0.0.1:8080/t.csv",
        );
        Registry::from_yaml_str(&ok, "b").unwrap();
    }

    #[test]
    fn null_sha_needs_not_in_mirror_and_missing_sha_is_an_error() {
        let null = MINIMAL.replace(
            "sha256: 0000000000000000000000000000000000000000000000000000000000000000",
            "sha256: null",
        );
        let msg = Registry::from_yaml_str(&null, "b").unwrap_err().to_string();
        assert!(msg.contains("not-in-mirror"), "{msg}");
        let ok = null.replace("status: present", "status: not-in-mirror");
        let r = Registry::from_yaml_str(&ok, "b").unwrap();
        assert!(r.get("tiny").unwrap().files[0].sha256.is_none());
        let missing = MINIMAL.replace(
            "        sha256: 0000000000000000000000000000000000000000000000000000000000000000\n",
            "",
        );
        let msg = Registry::from_yaml_str(&missing, "b")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("sha256: null"), "{msg}");
    }

    #[test]
    fn duplicate_names_and_unsafe_paths_are_rejected() {
        let body = MINIMAL.split_once("datasets:\n").unwrap().1;
        let twice = format!("{MINIMAL}{body}");
        let msg = Registry::from_yaml_str(&twice, "b")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("already listed"), "{msg}");
        let unsafe_path = MINIMAL.replace("- path: tiny.csv", "- path: ../tiny.csv");
        let msg = Registry::from_yaml_str(&unsafe_path, "b")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("safe relative path"), "{msg}");
    }

    #[test]
    fn format_must_name_listed_files() {
        let bad = MINIMAL.replace("file: tiny.csv", "file: other.csv");
        let msg = Registry::from_yaml_str(&bad, "b").unwrap_err().to_string();
        assert!(msg.contains("other.csv"), "{msg}");
    }
}
