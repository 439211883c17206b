//! Tabular data sets (CSV and friends) read as the registry's `format` describes.
//!
//! Rules, the same for every data set:
//! - Lines end in `\n` or `\r\n`; blank lines (only whitespace) are skipped anywhere; a UTF-8
//!   byte-order mark is ignored.
//! - `comma`, `tab` and `semicolon` files: fields may be enclosed in double quotes (`""` is a
//!   quote inside); every field is trimmed of surrounding whitespace. `whitespace` files split
//!   on runs of spaces and tabs.
//! - Every data line must have as many fields as the header (or `columns`, or the first line).
//! - Feature columns are all columns except `drop`, the target's `drop` and the label
//!   column(s), in file order. They parse as f64 (`.28` and `1e-3` are fine; `nan`/`inf` are
//!   errors); a value listed in `missing` loads as NaN.
//! - `categorical` feature columns and label columns are coded 0..k-1 in the sorted order of
//!   their distinct values: numerically if every value parses as a number (so "2" < "10"),
//!   else by byte order ("B" < "O"). `class_names` holds the values in that order.
//! - A one-hot label (`one_hot: [i, j, ...]`) gives class `c` when column `indices[c]` is 1
//!   and the others 0; `class_names` come from the registry.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::data::error::{DataError, Result};
use crate::data::registry::{
    ColumnRef, DataLabelsFormat, DelimitedFormat, Delimiter, Format, Label, Target,
};
use crate::data::store::DataStore;

/// A labelled table of numeric features.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabular {
    /// `n_rows x n_features`, row-major.
    pub features: Vec<f64>,
    pub n_rows: usize,
    pub n_features: usize,
    /// Class index in `0..n_classes` per row.
    pub labels: Vec<usize>,
    pub n_classes: usize,
    pub feature_names: Vec<String>,
    /// Class `c` is `class_names[c]` (the raw label value, or the registry's name).
    pub class_names: Vec<String>,
}

impl Tabular {
    /// Features of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.n_features..(i + 1) * self.n_features]
    }

    /// Rows per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    /// The rows at `indices`, in that order (e.g. from [`crate::data::split`]).
    pub fn select(&self, indices: &[usize]) -> Tabular {
        let mut features = Vec::with_capacity(indices.len() * self.n_features);
        for &i in indices {
            features.extend_from_slice(self.row(i));
        }
        Tabular {
            features,
            n_rows: indices.len(),
            n_features: self.n_features,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            n_classes: self.n_classes,
            feature_names: self.feature_names.clone(),
            class_names: self.class_names.clone(),
        }
    }

    /// Features as f32 (for tch), same layout.
    pub fn features_f32(&self) -> Vec<f32> {
        self.features.iter().map(|&x| x as f32).collect()
    }

    /// Labels as i64 (for tch).
    pub fn labels_i64(&self) -> Vec<i64> {
        self.labels.iter().map(|&l| l as i64).collect()
    }
}

/// Loads a tabular data set by registry name, `"name"` (its first target) or
/// `"name:target"` (e.g. `"cardiotocography:class"`, `"crab:species"`).
pub fn load_tabular(store: &DataStore, spec: &str) -> Result<Tabular> {
    let (name, target) = match spec.split_once(':') {
        Some((n, t)) => (n, Some(t)),
        None => (spec, None),
    };
    let ds = store.registry().get(name)?;
    match &ds.format {
        Format::Delimited(fmt) => {
            let t = match target {
                None => &fmt.targets[0],
                Some(t) => fmt.targets.iter().find(|x| x.name == t).ok_or_else(|| {
                    DataError::UnknownTarget {
                        dataset: name.to_string(),
                        target: t.to_string(),
                        known: fmt
                            .targets
                            .iter()
                            .map(|x| x.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }
                })?,
            };
            let path = store.path(name, &fmt.file)?;
            read_delimited(&path, fmt, t)
        }
        Format::DataLabels(fmt) => {
            if let Some(t) = target {
                return Err(DataError::UnknownTarget {
                    dataset: name.to_string(),
                    target: t.to_string(),
                    known: "(none: this data set has one label file per part)".to_string(),
                });
            }
            let mut parts = Vec::with_capacity(fmt.parts.len());
            for (data, labels) in &fmt.parts {
                parts.push((store.path(name, data)?, store.path(name, labels)?));
            }
            read_data_labels(&parts, fmt)
        }
        other => Err(DataError::WrongFormat {
            dataset: name.to_string(),
            kind: other.kind().to_string(),
            loader: "load_tabular".to_string(),
        }),
    }
}

/// Names of the targets of a tabular data set (first = default), or an empty list for a
/// data set with one implicit target.
pub fn tabular_targets<'a>(store: &'a DataStore, name: &str) -> Result<Vec<&'a str>> {
    let ds = store.registry().get(name)?;
    Ok(match &ds.format {
        Format::Delimited(fmt) => fmt.targets.iter().map(|t| t.name.as_str()).collect(),
        _ => Vec::new(),
    })
}

/// A data line: its 1-based line number and its fields.
struct Row {
    line: usize,
    fields: Vec<String>,
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        DataError::parse(
            path,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..3);
    }
    Ok(text)
}

/// Non-blank lines with their 1-based numbers, `\r` removed.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
}

fn split_fields(
    path: &Path,
    line_no: usize,
    line: &str,
    delimiter: Delimiter,
) -> Result<Vec<String>> {
    let sep = match delimiter {
        Delimiter::Whitespace => {
            return Ok(line.split_whitespace().map(str::to_string).collect());
        }
        Delimiter::Comma => ',',
        Delimiter::Tab => '\t',
        Delimiter::Semicolon => ';',
    };
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
        } else if c == sep {
            fields.push(finish_field(&field, was_quoted));
            field.clear();
            was_quoted = false;
        } else if c == '"' && field.trim().is_empty() && !was_quoted {
            field.clear();
            in_quotes = true;
            was_quoted = true;
        } else {
            field.push(c);
        }
    }
    if in_quotes {
        return Err(DataError::parse_at(
            path,
            line_no,
            Some(fields.len() + 1),
            "unterminated quoted field",
        ));
    }
    fields.push(finish_field(&field, was_quoted));
    Ok(fields)
}

fn finish_field(field: &str, quoted: bool) -> String {
    if quoted {
        field.to_string()
    } else {
        field.trim().to_string()
    }
}

/// Resolves a column reference against the column names.
fn resolve(path: &Path, names: &[String], r: &ColumnRef) -> Result<usize> {
    match r {
        ColumnRef::Index(i) if *i < names.len() => Ok(*i),
        ColumnRef::Index(i) => Err(DataError::parse(
            path,
            format!(
                "registry names column index {i}, but the file has {} columns",
                names.len()
            ),
        )),
        ColumnRef::Name(n) => names.iter().position(|x| x == n).ok_or_else(|| {
            DataError::parse(
                path,
                format!(
                    "registry names column {n:?}, which is not one of the file's columns: {}",
                    names.join(", ")
                ),
            )
        }),
    }
}

/// Distinct values in heml's class order: numeric if all parse as finite numbers, else byte
/// order.
pub fn sorted_distinct<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut distinct: Vec<String> = values
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    let numbers: Option<Vec<f64>> = distinct
        .iter()
        .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    if numbers.is_some() {
        distinct.sort_by(|a, b| {
            let (x, y) = (a.parse::<f64>().unwrap(), b.parse::<f64>().unwrap());
            x.total_cmp(&y).then_with(|| a.cmp(b))
        });
    } else {
        distinct.sort();
    }
    distinct
}

fn parse_number(
    path: &Path,
    line: usize,
    col: usize,
    name: &str,
    value: &str,
    missing: &[String],
) -> Result<f64> {
    if missing.iter().any(|m| m == value) {
        return Ok(f64::NAN);
    }
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(DataError::parse_at(
            path,
            line,
            Some(col + 1),
            format!("column {name:?}: non-finite value {value:?}"),
        )),
        Err(_) => Err(DataError::parse_at(
            path,
            line,
            Some(col + 1),
            if value.is_empty() {
                format!("column {name:?}: empty field (not a listed missing-value marker)")
            } else {
                format!("column {name:?}: cannot parse {value:?} as a number")
            },
        )),
    }
}

/// Reads a delimited file for one target.
pub fn read_delimited(path: &Path, fmt: &DelimitedFormat, target: &Target) -> Result<Tabular> {
    let text = read_text(path)?;
    let mut it = lines(&text);
    let mut rows = Vec::new();
    let names: Vec<String> = if fmt.header {
        let (n, l) = it
            .next()
            .ok_or_else(|| DataError::parse(path, "empty file: no header line"))?;
        split_fields(path, n, l, fmt.delimiter)?
    } else if let Some(cols) = &fmt.columns {
        cols.clone()
    } else {
        Vec::new()
    };
    for (n, l) in it {
        rows.push(Row {
            line: n,
            fields: split_fields(path, n, l, fmt.delimiter)?,
        });
    }
    let names = if names.is_empty() {
        let width = rows.first().map_or(0, |r| r.fields.len());
        (0..width).map(|i| format!("col{i}")).collect()
    } else {
        names
    };
    if rows.is_empty() {
        return Err(DataError::parse(path, "no data lines"));
    }
    for r in &rows {
        if r.fields.len() != names.len() {
            return Err(DataError::parse_at(
                path,
                r.line,
                None,
                format!(
                    "{} fields, expected {} ({})",
                    r.fields.len(),
                    names.len(),
                    if fmt.header {
                        "as in the header"
                    } else {
                        "as in the first line or format.columns"
                    }
                ),
            ));
        }
    }

    let mut excluded = HashSet::new();
    for r in fmt.drop.iter().chain(&target.drop) {
        excluded.insert(resolve(path, &names, r)?);
    }
    let (labels, class_names) = match &target.label {
        Label::Column(c) => {
            let col = resolve(path, &names, c)?;
            excluded.insert(col);
            let classes = sorted_distinct(rows.iter().map(|r| r.fields[col].as_str()));
            let labels = rows
                .iter()
                .map(|r| {
                    classes
                        .iter()
                        .position(|c| *c == r.fields[col])
                        .expect("value is a class")
                })
                .collect();
            (labels, classes)
        }
        Label::OneHot {
            indices,
            class_names,
        } => {
            let cols = indices
                .iter()
                .map(|&i| resolve(path, &names, &ColumnRef::Index(i)))
                .collect::<Result<Vec<_>>>()?;
            excluded.extend(cols.iter().copied());
            let mut labels = Vec::with_capacity(rows.len());
            for r in &rows {
                let mut class = None;
                for (c, &col) in cols.iter().enumerate() {
                    let x = parse_number(path, r.line, col, &names[col], &r.fields[col], &[])?;
                    if x == 1.0 && class.is_none() {
                        class = Some(c);
                    } else if x != 0.0 {
                        class = None;
                        break;
                    }
                }
                labels.push(class.ok_or_else(|| {
                    DataError::parse_at(
                        path,
                        r.line,
                        Some(cols[0] + 1),
                        format!("one-hot label columns {indices:?} do not hold exactly one 1 and otherwise 0"),
                    )
                })?);
            }
            (labels, class_names.clone())
        }
    };

    let categorical: HashSet<usize> = fmt
        .categorical
        .iter()
        .map(|r| resolve(path, &names, r))
        .collect::<Result<_>>()?;
    let feature_cols: Vec<usize> = (0..names.len()).filter(|c| !excluded.contains(c)).collect();
    let codes: Vec<Option<Vec<String>>> = feature_cols
        .iter()
        .map(|&c| {
            categorical
                .contains(&c)
                .then(|| sorted_distinct(rows.iter().map(|r| r.fields[c].as_str())))
        })
        .collect();

    let mut features = Vec::with_capacity(rows.len() * feature_cols.len());
    for r in &rows {
        for (k, &c) in feature_cols.iter().enumerate() {
            let v = &r.fields[c];
            features.push(match &codes[k] {
                Some(levels) => levels
                    .iter()
                    .position(|l| l == v)
                    .expect("value is a level") as f64,
                None => parse_number(path, r.line, c, &names[c], v, &fmt.missing)?,
            });
        }
    }
    Ok(Tabular {
        n_rows: rows.len(),
        n_features: feature_cols.len(),
        features,
        labels,
        n_classes: class_names.len(),
        feature_names: feature_cols.iter().map(|&c| names[c].clone()).collect(),
        class_names,
    })
}

/// Reads separate data and label files (Arcene), part after part, rows concatenated. Feature
/// names are `col0`, `col1`, ...
pub fn read_data_labels(parts: &[(PathBuf, PathBuf)], fmt: &DataLabelsFormat) -> Result<Tabular> {
    let mut features = Vec::new();
    let mut raw_labels = Vec::new();
    let mut width: Option<usize> = None;
    let mut n_rows = 0;
    for (data_path, labels_path) in parts {
        let text = read_text(data_path)?;
        let mut part_rows = 0;
        for (n, l) in lines(&text) {
            let fields = split_fields(data_path, n, l, fmt.delimiter)?;
            match width {
                None => width = Some(fields.len()),
                Some(w) if w != fields.len() => {
                    return Err(DataError::parse_at(
                        data_path,
                        n,
                        None,
                        format!("{} fields, expected {w} as in the first row", fields.len()),
                    ));
                }
                Some(_) => {}
            }
            for (c, v) in fields.iter().enumerate() {
                features.push(parse_number(data_path, n, c, &format!("col{c}"), v, &[])?);
            }
            part_rows += 1;
        }
        let ltext = read_text(labels_path)?;
        let labels: Vec<String> = lines(&ltext).map(|(_, l)| l.trim().to_string()).collect();
        if labels.len() != part_rows {
            return Err(DataError::parse(
                labels_path,
                format!(
                    "{} labels but {} has {part_rows} rows",
                    labels.len(),
                    data_path.display()
                ),
            ));
        }
        raw_labels.extend(labels);
        n_rows += part_rows;
    }
    let class_names = sorted_distinct(raw_labels.iter().map(String::as_str));
    let n_features = width.unwrap_or(0);
    Ok(Tabular {
        features,
        n_rows,
        n_features,
        labels: raw_labels
            .iter()
            .map(|l| {
                class_names
                    .iter()
                    .position(|c| c == l)
                    .expect("label is a class")
            })
            .collect(),
        n_classes: class_names.len(),
        feature_names: (0..n_features).map(|i| format!("col{i}")).collect(),
        class_names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::registry::Registry;

    fn fmt_of(yaml_format: &str) -> DelimitedFormat {
        let yaml = format!(
            r#"
version: 1
datasets:
  - name: t
    title: t
    folder: t
    status: present
    papers: [HE18]
    homepage: "https://example.org"
    license: x
    shape: {{ rows: null, features: null, classes: null }}
    files:
      - {{ path: t.csv, bytes: 1, sha256: "{zero}", url: "https://example.org/t" }}
    format:
{yaml_format}
"#,
            zero = "0".repeat(64)
        );
        let r = Registry::from_yaml_str(&yaml, "t.yaml").unwrap();
        match &r.get("t").unwrap().format {
            Format::Delimited(d) => d.clone(),
            _ => unreachable!(),
        }
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("t.csv");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn quoted_header_trimmed_fields_crlf_and_numeric_class_order() {
        let f = fmt_of(
            "      kind: delimited\n      file: t.csv\n      delimiter: comma\n      header: true\n      targets:\n        - { name: y, label: { column: 2 } }",
        );
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a,\"b, quoted\",\"y\"\r\n1 ,.5,10\r\n\r\n2,3e1 ,2\r\n3,4,1",
        );
        let t = read_delimited(&p, &f, &f.targets[0]).unwrap();
        assert_eq!(t.feature_names, vec!["a", "b, quoted"]);
        assert_eq!(t.features, vec![1.0, 0.5, 2.0, 30.0, 3.0, 4.0]);
        assert_eq!(t.class_names, vec!["1", "2", "10"]);
        assert_eq!(t.labels, vec![2, 1, 0]);
        assert_eq!(t.select(&[2, 0]).labels, vec![0, 2]);
    }

    #[test]
    fn parse_error_names_file_line_and_column() {
        let f = fmt_of(
            "      kind: delimited\n      file: t.csv\n      delimiter: comma\n      header: false\n      columns: [a, b, y]\n      targets:\n        - { name: y, label: { column: y } }",
        );
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "1,2,x\n1,oops,y\n");
        let e = read_delimited(&p, &f, &f.targets[0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.csv, line 2, column 2"), "{e}");
        assert!(e.contains("\"b\"") && e.contains("\"oops\""), "{e}");
        let p = write(dir.path(), "1,2,x\n1,2\n");
        let e = read_delimited(&p, &f, &f.targets[0])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("2 fields, expected 3"),
            "{e}"
        );
    }

    #[test]
    fn categorical_missing_and_whitespace() {
        let f = fmt_of(
            "      kind: delimited\n      file: t.csv\n      delimiter: whitespace\n      header: true\n      categorical: [c]\n      missing: [\"?\"]\n      drop: [id]\n      targets:\n        - { name: y, label: { column: y } }",
        );
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "  id c   v y\n 1 O  ? b\n2 B 1.5   a\n");
        let t = read_delimited(&p, &f, &f.targets[0]).unwrap();
        assert_eq!(t.feature_names, vec!["c", "v"]);
        assert_eq!(t.features[0], 1.0);
        assert!(t.features[1].is_nan());
        assert_eq!(&t.features[2..], &[0.0, 1.5]);
        assert_eq!(t.class_names, vec!["a", "b"]);
        assert_eq!(t.labels, vec![1, 0]);
    }

    #[test]
    fn one_hot_labels() {
        let f = fmt_of(
            "      kind: delimited\n      file: t.csv\n      delimiter: tab\n      header: false\n      targets:\n        - { name: y, label: { one_hot: [1, 2], class_names: [p, q] } }",
        );
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "0.5\t1\t0\n0.25\t0\t1\n");
        let t = read_delimited(&p, &f, &f.targets[0]).unwrap();
        assert_eq!(t.labels, vec![0, 1]);
        assert_eq!(t.n_features, 1);
        let p = write(dir.path(), "0.5\t1\t1\n");
        let e = read_delimited(&p, &f, &f.targets[0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("one-hot") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn sorted_distinct_orders() {
        assert_eq!(
            sorted_distinct(["10", "9", "-1", "9"]),
            vec!["-1", "9", "10"]
        );
        assert_eq!(sorted_distinct(["O", "B", "10"]), vec!["10", "B", "O"]);
    }
}
