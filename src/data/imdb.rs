//! Reading primitives for the IMDB sentiment data: the Maas et al. review archive and
//! Trask's `labels.txt` / `reviews.txt`. Tokenising and vocabulary building live elsewhere.

use std::path::Path;

use crate::data::error::{DataError, Result};
use crate::data::registry::Format;
use crate::data::store::DataStore;
use crate::data::tar::{EntryKind, open_tar_gz};

/// Official split of the Maas data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImdbSplit {
    Train,
    Test,
}

/// Sentiment label; `Negative = 0`, `Positive = 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sentiment {
    Negative = 0,
    Positive = 1,
}

/// One review file `aclImdb/<split>/<pos|neg>/<id>_<rating>.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub split: ImdbSplit,
    pub sentiment: Sentiment,
    /// The number before the underscore.
    pub id: u32,
    /// Stars 1..=10 (pos: 7..=10, neg: 1..=4).
    pub rating: u8,
    /// The file name, e.g. `0_9.txt` (Trask's order sorts these as strings).
    pub file_name: String,
    /// The review, UTF-8, as stored (with `<br />` tags).
    pub text: String,
}

/// Reads the reviews of an aclImdb archive (`.tar.gz`; the shared mirror's labeled archive or
/// the original `aclImdb_v1.tar.gz`), in archive order. `split = None` reads both splits.
/// Other members (README, `unsup/`, `*.feat`, vocabularies) are skipped.
pub fn read_imdb_reviews(archive: &Path, split: Option<ImdbSplit>) -> Result<Vec<Review>> {
    let mut reviews = Vec::new();
    for entry in open_tar_gz(archive)? {
        let entry = entry?;
        if entry.kind != EntryKind::File {
            continue;
        }
        let parts: Vec<&str> = entry.path.trim_start_matches("./").split('/').collect();
        let [_, s, label, file_name] = parts.as_slice() else {
            continue;
        };
        let entry_split = match *s {
            "train" => ImdbSplit::Train,
            "test" => ImdbSplit::Test,
            _ => continue,
        };
        let sentiment = match *label {
            "pos" => Sentiment::Positive,
            "neg" => Sentiment::Negative,
            _ => continue,
        };
        if split.is_some_and(|want| want != entry_split) {
            continue;
        }
        let bad_name = || {
            DataError::parse(
                archive,
                format!("member {}: expected a name <id>_<rating>.txt", entry.path),
            )
        };
        let stem = file_name.strip_suffix(".txt").ok_or_else(bad_name)?;
        let (id, rating) = stem.split_once('_').ok_or_else(bad_name)?;
        let id: u32 = id.parse().map_err(|_| bad_name())?;
        let rating: u8 = rating.parse().map_err(|_| bad_name())?;
        let consistent = match sentiment {
            Sentiment::Positive => (7..=10).contains(&rating),
            Sentiment::Negative => (1..=4).contains(&rating),
        };
        if !consistent {
            return Err(DataError::parse(
                archive,
                format!(
                    "member {}: rating {rating} contradicts its directory",
                    entry.path
                ),
            ));
        }
        let text = String::from_utf8(entry.data).map_err(|_| {
            DataError::parse(archive, format!("member {} is not UTF-8", entry.path))
        })?;
        reviews.push(Review {
            split: entry_split,
            sentiment,
            id,
            rating,
            file_name: file_name.to_string(),
            text,
        });
    }
    Ok(reviews)
}

/// Reads the reviews of a registry data set of format `imdb-tar` (`imdb` for the mirror's
/// labeled archive, `imdb-acl-full` for the original download).
pub fn load_imdb_reviews(
    store: &DataStore,
    dataset: &str,
    split: Option<ImdbSplit>,
) -> Result<Vec<Review>> {
    let ds = store.registry().get(dataset)?;
    let Format::ImdbTar { archive, .. } = &ds.format else {
        return Err(DataError::WrongFormat {
            dataset: dataset.to_string(),
            kind: ds.format.kind().to_string(),
            loader: "load_imdb_reviews".to_string(),
        });
    };
    read_imdb_reviews(&store.path(dataset, archive)?, split)
}

/// Indices of `reviews` (train split, both labels) in Trask's order: entry `2k` is the k-th
/// positive review and `2k+1` the k-th negative one, each sorted by file name as strings
/// (`0_9.txt` < `10000_8.txt` < `10001_10.txt` ...). This is the order of Trask's
/// `labels.txt` / `reviews.txt` (see the imdb manifest). Errors unless there are as many
/// positive as negative train reviews.
pub fn trask_order(reviews: &[Review]) -> Result<Vec<usize>> {
    let mut pos: Vec<usize> = Vec::new();
    let mut neg: Vec<usize> = Vec::new();
    for (i, r) in reviews.iter().enumerate() {
        if r.split == ImdbSplit::Train {
            match r.sentiment {
                Sentiment::Positive => pos.push(i),
                Sentiment::Negative => neg.push(i),
            }
        }
    }
    if pos.len() != neg.len() {
        return Err(DataError::InvalidSplit {
            message: format!(
                "Trask's order alternates positive and negative train reviews, but there are \
                 {} positive and {} negative",
                pos.len(),
                neg.len()
            ),
        });
    }
    pos.sort_by(|&a, &b| reviews[a].file_name.cmp(&reviews[b].file_name));
    neg.sort_by(|&a, &b| reviews[a].file_name.cmp(&reviews[b].file_name));
    Ok(pos.into_iter().zip(neg).flat_map(|(p, n)| [p, n]).collect())
}

/// Reads Trask's `labels.txt`: one `positive` or `negative` per line (blank lines skipped).
pub fn read_trask_labels(path: &Path) -> Result<Vec<Sentiment>> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match line.trim() {
            "positive" => labels.push(Sentiment::Positive),
            "negative" => labels.push(Sentiment::Negative),
            "" => {}
            other => {
                return Err(DataError::parse_at(
                    path,
                    i + 1,
                    None,
                    format!("expected 'positive' or 'negative', found {other:?}"),
                ));
            }
        }
    }
    Ok(labels)
}

/// Trask's labels from the registry's `imdb` data set (`trask/labels.txt`).
pub fn load_trask_labels(store: &DataStore) -> Result<Vec<Sentiment>> {
    let ds = store.registry().get("imdb")?;
    let Format::ImdbTar {
        labels: Some(labels),
        ..
    } = &ds.format
    else {
        return Err(DataError::WrongFormat {
            dataset: "imdb".to_string(),
            kind: ds.format.kind().to_string(),
            loader: "load_trask_labels".to_string(),
        });
    };
    read_trask_labels(&store.path("imdb", labels)?)
}

/// Reads a text file as lines (without `\n`/`\r\n`), e.g. Trask's `reviews.txt`: one review
/// per line. A final line terminator does not add an empty line.
pub fn read_lines(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    Ok(text.lines().map(str::to_string).collect())
}

/// Trask's `reviews.txt` lines (data set `trask-reviews`, not in the mirror: needs a
/// download and `--allow-unverified`, since its sha256 is unknown).
pub fn load_trask_reviews(store: &DataStore) -> Result<Vec<String>> {
    let ds = store.registry().get("trask-reviews")?;
    let Format::TextLines { file } = &ds.format else {
        return Err(DataError::WrongFormat {
            dataset: "trask-reviews".to_string(),
            kind: ds.format.kind().to_string(),
            loader: "load_trask_reviews".to_string(),
        });
    };
    read_lines(&store.path("trask-reviews", file)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tar::write_ustar;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn archive(dir: &Path, entries: &[(&str, &[u8])]) -> std::path::PathBuf {
        let p = dir.join("a.tar.gz");
        let mut enc = GzEncoder::new(std::fs::File::create(&p).unwrap(), Compression::fast());
        enc.write_all(&write_ustar(entries)).unwrap();
        enc.finish().unwrap();
        p
    }

    #[test]
    fn reads_reviews_and_orders_like_trask() {
        let dir = tempfile::tempdir().unwrap();
        let p = archive(
            dir.path(),
            &[
                ("aclImdb/", b""),
                ("aclImdb/README", b"readme"),
                ("aclImdb/train/pos/10_7.txt", b"good"),
                ("aclImdb/train/pos/2_9.txt", b"great"),
                ("aclImdb/train/neg/1_1.txt", b"bad"),
                ("aclImdb/train/neg/3_4.txt", b"meh"),
                ("aclImdb/train/unsup/5_0.txt", b"?"),
                ("aclImdb/test/pos/0_10.txt", b"wow"),
            ],
        );
        let all = read_imdb_reviews(&p, None).unwrap();
        assert_eq!(all.len(), 5);
        let train = read_imdb_reviews(&p, Some(ImdbSplit::Train)).unwrap();
        assert_eq!(train.len(), 4);
        assert_eq!((train[1].id, train[1].rating), (2, 9));
        let order = trask_order(&train).unwrap();
        let texts: Vec<_> = order.iter().map(|&i| train[i].text.as_str()).collect();
        assert_eq!(texts, vec!["good", "bad", "great", "meh"]);
    }

    #[test]
    fn inconsistent_rating_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = archive(dir.path(), &[("aclImdb/train/pos/1_2.txt", b"x")]);
        let e = read_imdb_reviews(&p, None).unwrap_err().to_string();
        assert!(e.contains("rating 2"), "{e}");
    }

    #[test]
    fn trask_labels_parse_and_reject_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("labels.txt");
        std::fs::write(&p, "positive\nnegative\n").unwrap();
        assert_eq!(
            read_trask_labels(&p).unwrap(),
            vec![Sentiment::Positive, Sentiment::Negative]
        );
        std::fs::write(&p, "positive\nneutral\n").unwrap();
        let e = read_trask_labels(&p).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("neutral"), "{e}");
    }
}
