//! A minimal reader of tar archives (ustar, with GNU long names and pax `path`/`size`
//! records), enough for the IMDB and CIFAR-10 archives.
//!
//! Each regular file's content is read into memory; other members (directories, links,
//! global pax headers) are reported with their kind and no data. Header checksums are
//! verified.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::data::error::{DataError, Result};

const BLOCK: usize = 512;

/// The kind of a tar member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Directory,
    /// Any other type flag (links, devices, ...); its data is skipped.
    Other(u8),
}

/// One member of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Path inside the archive, `/`-separated, as stored (no leading `./` removed).
    pub path: String,
    pub kind: EntryKind,
    /// Size in bytes of the member's data.
    pub size: u64,
    /// Content of a regular file; empty for other kinds.
    pub data: Vec<u8>,
}

/// Iterates the members of a tar stream.
pub struct TarReader<R> {
    inner: R,
    source: PathBuf,
    offset: u64,
    done: bool,
}

/// Opens a gzip-compressed tar file.
pub fn open_tar_gz(path: &Path) -> Result<TarReader<GzDecoder<BufReader<File>>>> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    Ok(TarReader::new(
        GzDecoder::new(BufReader::with_capacity(1 << 16, file)),
        path,
    ))
}

impl<R: Read> TarReader<R> {
    /// Reads tar from `inner`; `source` names the archive in errors.
    pub fn new(inner: R, source: &Path) -> Self {
        TarReader {
            inner,
            source: source.to_path_buf(),
            offset: 0,
            done: false,
        }
    }

    fn err(&self, message: impl Into<String>) -> DataError {
        DataError::parse(
            &self.source,
            format!("tar, at byte {}: {}", self.offset, message.into()),
        )
    }

    /// Fills `buf`; returns false on a clean end of stream before the first byte.
    fn read_block(&mut self, buf: &mut [u8]) -> Result<bool> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.inner.read(&mut buf[filled..]) {
                Ok(0) if filled == 0 => return Ok(false),
                Ok(0) => return Err(self.err("archive is truncated")),
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.err(format!("read error: {e}"))),
            }
        }
        self.offset += buf.len() as u64;
        Ok(true)
    }

    /// Reads `size` bytes of member data plus the padding to the next block.
    fn read_data(&mut self, size: u64, keep: bool) -> Result<Vec<u8>> {
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        let mut data = Vec::new();
        if keep {
            let size_usize =
                usize::try_from(size).map_err(|_| self.err("member too large for memory"))?;
            data = vec![0u8; padded as usize];
            if !self.read_block(&mut data)? && padded > 0 {
                return Err(self.err("archive is truncated"));
            }
            data.truncate(size_usize);
        } else {
            let mut remaining = padded;
            let mut buf = [0u8; BLOCK];
            while remaining > 0 {
                if !self.read_block(&mut buf)? {
                    return Err(self.err("archive is truncated"));
                }
                remaining -= BLOCK as u64;
            }
        }
        Ok(data)
    }

    fn next_entry(&mut self) -> Result<Option<TarEntry>> {
        let mut long_name: Option<String> = None;
        let mut pax_path: Option<String> = None;
        let mut pax_size: Option<u64> = None;
        loop {
            let mut header = [0u8; BLOCK];
            if !self.read_block(&mut header)? {
                // Some writers omit the two zero blocks at the end.
                return Ok(None);
            }
            if header.iter().all(|&b| b == 0) {
                return Ok(None);
            }
            self.check_checksum(&header)?;
            let size = match pax_size.take() {
                Some(s) => s,
                None => self.octal(&header[124..136], "size")?,
            };
            let typeflag = header[156];
            match typeflag {
                b'L' => {
                    let data = self.read_data(size, true)?;
                    long_name = Some(c_string(&data));
                    continue;
                }
                b'x' => {
                    let data = self.read_data(size, true)?;
                    for (key, value) in parse_pax(&data).map_err(|m| self.err(m))? {
                        match key.as_str() {
                            "path" => pax_path = Some(value),
                            "size" => {
                                pax_size =
                                    Some(value.parse().map_err(|_| {
                                        self.err(format!("bad pax size {value:?}"))
                                    })?);
                            }
                            _ => {}
                        }
                    }
                    continue;
                }
                _ => {}
            }
            let mut path = c_string(&header[0..100]);
            // POSIX ustar: a prefix field joins the name (GNU tar uses that area otherwise).
            if &header[257..263] == b"ustar\0" {
                let prefix = c_string(&header[345..500]);
                if !prefix.is_empty() {
                    path = format!("{prefix}/{path}");
                }
            }
            if let Some(p) = long_name.take() {
                path = p;
            }
            if let Some(p) = pax_path.take() {
                path = p;
            }
            let kind = match typeflag {
                b'0' | 0 | b'7' => EntryKind::File,
                b'5' => EntryKind::Directory,
                other => EntryKind::Other(other),
            };
            // Directories and links carry no data (size 0), but skip whatever is declared.
            let data = self.read_data(size, kind == EntryKind::File)?;
            return Ok(Some(TarEntry {
                path,
                kind,
                size,
                data,
            }));
        }
    }

    fn octal(&self, field: &[u8], what: &str) -> Result<u64> {
        if field[0] & 0x80 != 0 {
            // GNU base-256: big-endian, high bit of the first byte is the marker.
            let mut v: u64 = u64::from(field[0] & 0x7f);
            for &b in &field[1..] {
                v = v
                    .checked_mul(256)
                    .and_then(|v| v.checked_add(u64::from(b)))
                    .ok_or_else(|| self.err(format!("{what} field overflows")))?;
            }
            return Ok(v);
        }
        let text: String = field
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| b as char)
            .collect();
        let text = text.trim();
        if text.is_empty() {
            return Ok(0);
        }
        u64::from_str_radix(text, 8)
            .map_err(|_| self.err(format!("{what} field {text:?} is not octal")))
    }

    fn check_checksum(&self, header: &[u8; BLOCK]) -> Result<()> {
        let stored = self.octal(&header[148..156], "checksum")?;
        let unsigned: u64 = header
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(b)
                }
            })
            .sum();
        let signed: i64 = header
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    i64::from(b as i8)
                }
            })
            .sum();
        if stored == unsigned || stored as i64 == signed {
            Ok(())
        } else {
            Err(self.err(format!(
                "header checksum {stored} does not match {unsigned}: not a tar archive, or corrupt"
            )))
        }
    }
}

impl<R: Read> Iterator for TarReader<R> {
    type Item = Result<TarEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_entry() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Parses pax records `"<len> <key>=<value>\n"`.
fn parse_pax(data: &[u8]) -> std::result::Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() && rest[0] != 0 {
        let space = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or("pax record without length")?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("bad pax record length")?;
        if len <= space + 1 || len > rest.len() {
            return Err("pax record length out of range".to_string());
        }
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or("pax record without '='")?;
        out.push((
            String::from_utf8_lossy(&record[..eq]).into_owned(),
            String::from_utf8_lossy(&record[eq + 1..]).into_owned(),
        ));
        rest = &rest[len..];
    }
    Ok(out)
}

/// Writes a ustar archive in memory (tests, and tools that need a tiny archive).
#[cfg(test)]
pub(crate) fn write_ustar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, data) in entries {
        let mut h = [0u8; BLOCK];
        let (prefix, name) = if path.len() > 100 {
            let cut = path[..path.len() - 1].rfind('/').unwrap();
            (&path[..cut], &path[cut + 1..])
        } else {
            ("", *path)
        };
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = if path.ends_with('/') { b'5' } else { b'0' };
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_dirs_and_long_prefix_names() {
        let long = format!("{}/{}/file.txt", "a".repeat(60), "b".repeat(60));
        let tar = write_ustar(&[("d/", b""), ("d/x.txt", b"hello"), (&long, b"")]);
        let entries: Vec<_> = TarReader::new(&tar[..], Path::new("t.tar"))
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].kind, EntryKind::Directory);
        assert_eq!(entries[1].path, "d/x.txt");
        assert_eq!(entries[1].data, b"hello");
        assert_eq!(entries[2].path, long);
    }

    #[test]
    fn corrupt_header_and_truncation_are_errors() {
        let mut tar = write_ustar(&[("x.txt", b"hello")]);
        tar[0] ^= 1;
        let e = TarReader::new(&tar[..], Path::new("t.tar"))
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(e.contains("checksum") && e.contains("t.tar"), "{e}");
        let tar = write_ustar(&[("x.txt", &[7u8; 600])]);
        let e = TarReader::new(&tar[..700], Path::new("t.tar"))
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn pax_records_parse() {
        let recs = parse_pax(b"20 path=some/file.x\n11 size=42\n").unwrap();
        assert_eq!(recs[0], ("path".into(), "some/file.x".into()));
        assert_eq!(recs[1], ("size".into(), "42".into()));
    }
}
