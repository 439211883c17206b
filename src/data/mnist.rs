//! MNIST in its original gzip-compressed IDX files.
//!
//! IDX (LeCun et al.): a big-endian u32 magic `0x0000_08_NN` where `08` says u8 data and
//! `NN` is the number of dimensions, then `NN` big-endian u32 sizes, then the data. MNIST
//! images have magic 2051 (3 dimensions: count, rows, columns), labels 2049 (1 dimension).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;

use crate::data::error::{DataError, Result};
use crate::data::registry::Format;
use crate::data::store::DataStore;

/// Magic number of an IDX file of u8 images (3 dimensions).
pub const IDX_IMAGES_MAGIC: u32 = 2051;
/// Magic number of an IDX file of u8 labels (1 dimension).
pub const IDX_LABELS_MAGIC: u32 = 2049;

/// Images of one IDX file: `n` images of `rows x cols` u8 pixels, row-major, image after image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pub pixels: Vec<u8>,
    pub n: usize,
    pub rows: usize,
    pub cols: usize,
}

/// One split of MNIST (train or test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistSplit {
    /// `n x rows x cols` u8 pixels (0 = background, 255 = ink), row-major.
    pub images: Vec<u8>,
    /// `n` digits 0..=9.
    pub labels: Vec<u8>,
    pub n: usize,
    pub rows: usize,
    pub cols: usize,
}

impl MnistSplit {
    /// Pixels per image (784 for MNIST).
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let p = self.pixels_per_image();
        &self.images[i * p..(i + 1) * p]
    }

    /// All pixels as f32 in [0, 1] (`pixel / 255`), same layout as `images`.
    pub fn images_f32(&self) -> Vec<f32> {
        self.images.iter().map(|&p| f32::from(p) / 255.0).collect()
    }

    /// Labels as i64 (the type tch uses for class indices).
    pub fn labels_i64(&self) -> Vec<i64> {
        self.labels.iter().map(|&l| i64::from(l)).collect()
    }

    /// Number of images per digit 0..=9.
    pub fn class_counts(&self) -> [usize; 10] {
        let mut counts = [0; 10];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }

    /// The first `n` images (or all, if fewer), e.g. for the papers' 50- and 100-image
    /// encrypted evaluations.
    pub fn head(&self, n: usize) -> MnistSplit {
        let n = n.min(self.n);
        MnistSplit {
            images: self.images[..n * self.pixels_per_image()].to_vec(),
            labels: self.labels[..n].to_vec(),
            n,
            rows: self.rows,
            cols: self.cols,
        }
    }
}

/// MNIST train (60000) and test (10000) splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    pub train: MnistSplit,
    pub test: MnistSplit,
}

/// Loads the registry's `mnist` data set through the store (verified files).
pub fn load_mnist(store: &DataStore) -> Result<Mnist> {
    load_idx_dataset(store, "mnist")
}

/// Loads any registry data set of format `idx-gzip` (MNIST and look-alikes) with 10 classes.
pub fn load_idx_dataset(store: &DataStore, name: &str) -> Result<Mnist> {
    let ds = store.registry().get(name)?;
    let Format::IdxGzip {
        train_images,
        train_labels,
        test_images,
        test_labels,
    } = &ds.format
    else {
        return Err(DataError::WrongFormat {
            dataset: name.to_string(),
            kind: ds.format.kind().to_string(),
            loader: "load_idx_dataset".to_string(),
        });
    };
    let train = read_mnist_split(
        &store.path(name, train_images)?,
        &store.path(name, train_labels)?,
    )?;
    let test = read_mnist_split(
        &store.path(name, test_images)?,
        &store.path(name, test_labels)?,
    )?;
    Ok(Mnist { train, test })
}

/// Reads one split from an images file and a labels file (gzip IDX), checking that the
/// counts agree and every label is a digit.
pub fn read_mnist_split(images_path: &Path, labels_path: &Path) -> Result<MnistSplit> {
    let images = read_idx_images(images_path)?;
    let labels = read_idx_labels(labels_path)?;
    if labels.len() != images.n {
        return Err(DataError::parse(
            labels_path,
            format!(
                "{} labels but {} has {} images",
                labels.len(),
                images_path.display(),
                images.n
            ),
        ));
    }
    if let Some(i) = labels.iter().position(|&l| l > 9) {
        return Err(DataError::parse(
            labels_path,
            format!("label {} of item {i} is not a digit 0..=9", labels[i]),
        ));
    }
    Ok(MnistSplit {
        images: images.pixels,
        labels,
        n: images.n,
        rows: images.rows,
        cols: images.cols,
    })
}

/// Reads a gzip IDX images file (magic 2051).
pub fn read_idx_images(path: &Path) -> Result<IdxImages> {
    let bytes = read_gzip(path)?;
    let (dims, data) = idx_header(path, &bytes, IDX_IMAGES_MAGIC, 3)?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows == 0 || cols == 0 {
        return Err(DataError::parse(
            path,
            format!("IDX images of size {rows} x {cols}"),
        ));
    }
    check_len(path, data.len(), &[n, rows, cols])?;
    Ok(IdxImages {
        pixels: data.to_vec(),
        n,
        rows,
        cols,
    })
}

/// Reads a gzip IDX labels file (magic 2049).
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_gzip(path)?;
    let (dims, data) = idx_header(path, &bytes, IDX_LABELS_MAGIC, 1)?;
    check_len(path, data.len(), &dims)?;
    Ok(data.to_vec())
}

fn read_gzip(path: &Path) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut out = Vec::new();
    GzDecoder::new(BufReader::new(file))
        .read_to_end(&mut out)
        .map_err(|e| DataError::parse(path, format!("not a valid gzip file: {e}")))?;
    Ok(out)
}

/// Checks magic and dimension count; returns the dimensions and the data after the header.
fn idx_header<'a>(
    path: &Path,
    bytes: &'a [u8],
    magic: u32,
    ndims: usize,
) -> Result<(Vec<usize>, &'a [u8])> {
    let header_len = 4 + 4 * ndims;
    let too_short = || {
        DataError::parse(
            path,
            format!(
                "IDX file too short: {} bytes, the header alone is {header_len}",
                bytes.len()
            ),
        )
    };
    if bytes.len() < 4 {
        return Err(too_short());
    }
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let found = be(0);
    if found != magic {
        let what = match magic {
            IDX_IMAGES_MAGIC => "images",
            IDX_LABELS_MAGIC => "labels",
            _ => "IDX",
        };
        return Err(DataError::parse(
            path,
            format!(
                "bad IDX magic number {found} (0x{found:08x}), expected {magic} for {what}; \
                 is this the right file?"
            ),
        ));
    }
    if bytes.len() < header_len {
        return Err(too_short());
    }
    let dims = (0..ndims).map(|d| be(4 + 4 * d) as usize).collect();
    Ok((dims, &bytes[header_len..]))
}

fn check_len(path: &Path, actual: usize, dims: &[usize]) -> Result<()> {
    let expected = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| DataError::parse(path, format!("IDX dimensions {dims:?} overflow")))?;
    if actual != expected {
        return Err(DataError::parse(
            path,
            format!(
                "IDX header says {} = {expected} bytes of data, the file has {actual}",
                dims.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(" x ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn write_gz(path: &Path, bytes: &[u8]) {
        let mut enc = GzEncoder::new(File::create(path).unwrap(), Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap();
    }

    fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn round_trip_small_idx() {
        let dir = tempfile::tempdir().unwrap();
        let (ip, lp) = (dir.path().join("i.gz"), dir.path().join("l.gz"));
        write_gz(
            &ip,
            &idx(2051, &[2, 2, 3], &[0, 1, 2, 3, 4, 5, 255, 7, 8, 9, 10, 11]),
        );
        write_gz(&lp, &idx(2049, &[2], &[3, 9]));
        let s = read_mnist_split(&ip, &lp).unwrap();
        assert_eq!((s.n, s.rows, s.cols), (2, 2, 3));
        assert_eq!(s.image(1), &[255, 7, 8, 9, 10, 11]);
        assert_eq!(s.images_f32()[6], 1.0);
        assert_eq!(s.labels_i64(), vec![3, 9]);
        assert_eq!(s.head(1).labels, vec![3]);
    }

    #[test]
    fn header_errors_are_clear() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.gz");
        write_gz(&p, &idx(2049, &[2], &[1, 2]));
        let e = read_idx_images(&p).unwrap_err().to_string();
        assert!(
            e.contains("bad IDX magic number 2049") && e.contains("expected 2051"),
            "{e}"
        );

        write_gz(&p, &idx(2051, &[2, 2, 2], &[0; 7]));
        let e = read_idx_images(&p).unwrap_err().to_string();
        assert!(
            e.contains("2 x 2 x 2 = 8 bytes") && e.contains("has 7"),
            "{e}"
        );

        write_gz(&p, &[0, 0, 8, 1, 0]);
        let e = read_idx_labels(&p).unwrap_err().to_string();
        assert!(e.contains("too short"), "{e}");

        std::fs::write(&p, b"not gzip").unwrap();
        let e = read_idx_labels(&p).unwrap_err().to_string();
        assert!(e.contains("not a valid gzip"), "{e}");
    }

    #[test]
    fn label_count_and_range_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let (ip, lp) = (dir.path().join("i.gz"), dir.path().join("l.gz"));
        write_gz(&ip, &idx(2051, &[1, 1, 1], &[0]));
        write_gz(&lp, &idx(2049, &[2], &[0, 1]));
        let e = read_mnist_split(&ip, &lp).unwrap_err().to_string();
        assert!(e.contains("2 labels but") && e.contains("1 images"), "{e}");
        write_gz(&lp, &idx(2049, &[1], &[10]));
        let e = read_mnist_split(&ip, &lp).unwrap_err().to_string();
        assert!(e.contains("not a digit"), "{e}");
    }
}
