//! CIFAR-10, binary version (`cifar-10-binary.tar.gz`, not in the shared mirror).
//!
//! Each batch file `cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin` is 10000 records of
//! 1 label byte followed by 3072 pixel bytes: the 1024 red values, then green, then blue, each
//! a 32 x 32 image row-major (so an image is channel-major, CHW).

use std::path::Path;

use crate::data::error::{DataError, Result};
use crate::data::registry::Format;
use crate::data::store::DataStore;
use crate::data::tar::{EntryKind, open_tar_gz};

/// Bytes per image (3 x 32 x 32).
pub const CIFAR_IMAGE_BYTES: usize = 3 * 32 * 32;
const RECORD: usize = 1 + CIFAR_IMAGE_BYTES;

/// Images and labels of one split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CifarSplit {
    /// `n x 3 x 32 x 32` u8, channel-major per image.
    pub images: Vec<u8>,
    /// Class 0..=9 per image.
    pub labels: Vec<u8>,
    pub n: usize,
}

impl CifarSplit {
    /// Pixels as f32 in [0, 1].
    pub fn images_f32(&self) -> Vec<f32> {
        self.images.iter().map(|&p| f32::from(p) / 255.0).collect()
    }
}

/// CIFAR-10: train (the 5 data batches in order) and test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cifar10 {
    pub train: CifarSplit,
    pub test: CifarSplit,
    /// From `batches.meta.txt` (airplane, automobile, ...), when present.
    pub class_names: Vec<String>,
}

/// Reads `cifar-10-binary.tar.gz`.
pub fn read_cifar10_binary(archive: &Path) -> Result<Cifar10> {
    let mut batches: Vec<Option<Vec<u8>>> = vec![None; 6];
    let mut class_names = Vec::new();
    for entry in open_tar_gz(archive)? {
        let entry = entry?;
        if entry.kind != EntryKind::File {
            continue;
        }
        let name = entry.path.rsplit('/').next().unwrap_or("");
        let slot = match name {
            "test_batch.bin" => 5,
            "batches.meta.txt" => {
                class_names = String::from_utf8_lossy(&entry.data)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                continue;
            }
            _ => match name
                .strip_prefix("data_batch_")
                .and_then(|s| s.strip_suffix(".bin"))
                .and_then(|s| s.parse::<usize>().ok())
            {
                Some(k @ 1..=5) => k - 1,
                _ => continue,
            },
        };
        if entry.data.len() % RECORD != 0 {
            return Err(DataError::parse(
                archive,
                format!(
                    "member {}: {} bytes is not a whole number of {RECORD}-byte records",
                    entry.path,
                    entry.data.len()
                ),
            ));
        }
        batches[slot] = Some(entry.data);
    }
    let mut splits = [CifarSplit::default(), CifarSplit::default()];
    for (slot, batch) in batches.into_iter().enumerate() {
        let name = if slot == 5 {
            "test_batch.bin".to_string()
        } else {
            format!("data_batch_{}.bin", slot + 1)
        };
        let data =
            batch.ok_or_else(|| DataError::parse(archive, format!("member {name} is missing")))?;
        let split = &mut splits[usize::from(slot == 5)];
        for record in data.chunks_exact(RECORD) {
            if record[0] > 9 {
                return Err(DataError::parse(
                    archive,
                    format!("member {name}: label {} is not 0..=9", record[0]),
                ));
            }
            split.labels.push(record[0]);
            split.images.extend_from_slice(&record[1..]);
            split.n += 1;
        }
    }
    let [train, test] = splits;
    Ok(Cifar10 {
        train,
        test,
        class_names,
    })
}

/// Loads the registry's `cifar10` data set (needs a download; its sha256 is unknown, so the
/// store must allow unverified files).
pub fn load_cifar10(store: &DataStore) -> Result<Cifar10> {
    let ds = store.registry().get("cifar10")?;
    let Format::Cifar10Binary { archive } = &ds.format else {
        return Err(DataError::WrongFormat {
            dataset: "cifar10".to_string(),
            kind: ds.format.kind().to_string(),
            loader: "load_cifar10".to_string(),
        });
    };
    read_cifar10_binary(&store.path("cifar10", archive)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::tar::write_ustar;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    #[test]
    fn reads_a_synthetic_archive() {
        let record = |label: u8| {
            let mut r = vec![label];
            r.extend((0..CIFAR_IMAGE_BYTES).map(|i| (i % 251) as u8));
            r
        };
        let batch: Vec<u8> = [record(3), record(9)].concat();
        let names: Vec<String> = (1..=5)
            .map(|k| format!("cifar-10-batches-bin/data_batch_{k}.bin"))
            .collect();
        let mut entries: Vec<(&str, &[u8])> = names
            .iter()
            .map(|n| (n.as_str(), batch.as_slice()))
            .collect();
        entries.push(("cifar-10-batches-bin/test_batch.bin", &batch[..RECORD]));
        entries.push((
            "cifar-10-batches-bin/batches.meta.txt",
            b"airplane\nautomobile\n\n",
        ));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.tar.gz");
        let mut enc = GzEncoder::new(std::fs::File::create(&p).unwrap(), Compression::fast());
        enc.write_all(&write_ustar(&entries)).unwrap();
        enc.finish().unwrap();
        let c = read_cifar10_binary(&p).unwrap();
        assert_eq!(c.train.n, 10);
        assert_eq!(c.test.n, 1);
        assert_eq!(c.train.labels[..2], [3, 9]);
        assert_eq!(c.test.images.len(), CIFAR_IMAGE_BYTES);
        assert_eq!(c.class_names, vec!["airplane", "automobile"]);
    }
}
