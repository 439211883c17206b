//! The store's failure paths and downloads, in temporary folders, against a small HTTP server
//! on 127.0.0.1 run by the test itself (bounded in requests and time).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use heml::data::store::{Action, FileCheck, Source, Task, Verification};
use heml::data::{DataError, DataStore, NoProgress, Progress, Registry};
use sha2::{Digest, Sha256};

const BODY: &[u8] = b"x,y\n1,0\n2,1\n";

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Serves `routes` (path -> body; anything else 404) for at most `max_requests` requests or
/// 20 seconds, whichever comes first. Returns the base URL.
fn serve(routes: HashMap<&'static str, Vec<u8>>, max_requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut served = 0;
        while served < max_requests && Instant::now() < deadline {
            let (stream, _) = match listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                Err(_) => return,
            };
            served += 1;
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" || line == "\n" => break,
                    Ok(_) => {}
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("/");
            let mut stream = reader.into_inner();
            let response = match routes.get(path) {
                Some(body) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(body);
                    r
                }
                None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = stream.write_all(&response);
        }
    });
    base
}

/// A registry with one data set `toy` holding one file `toy.csv`; `file_extra` is spliced
/// into the file entry, `status` is the data set's status.
fn registry(url: &str, sha256: &str, bytes: &str, status: &str, file_extra: &str) -> Registry {
    let yaml = format!(
        r#"version: 1
datasets:
  - name: toy
    title: "Toy"
    folder: toy
    status: {status}
    papers: [CS21]
    homepage: "https://example.org/toy"
    license: "CC0"
    shape: {{ rows: 2, features: 1, classes: 2 }}
    files:
      - path: toy.csv
        bytes: {bytes}
        sha256: {sha256}
        url: "{url}"
{file_extra}
    format:
      kind: delimited
      file: toy.csv
      delimiter: comma
      header: true
      targets:
        - name: y
          label: {{ column: y }}
"#
    );
    Registry::from_yaml_str(&yaml, "toy.yaml").unwrap()
}

fn good_registry(url: &str) -> Registry {
    registry(url, &sha(BODY), &BODY.len().to_string(), "present", "")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[derive(Default)]
struct Recorder {
    begun: Vec<(Action, Option<u64>)>,
    advanced: u64,
    ended: usize,
    notes: Vec<String>,
}

impl Progress for Recorder {
    fn begin(&mut self, task: &Task<'_>) {
        self.begun.push((task.action, task.total_bytes));
    }
    fn advance(&mut self, bytes: u64) {
        self.advanced += bytes;
    }
    fn end(&mut self) {
        self.ended += 1;
    }
    fn note(&mut self, message: &str) {
        self.notes.push(message.to_string());
    }
}

#[test]
fn missing_file_error_says_where_it_looked_and_how_to_get_it() {
    let cache = tempfile::tempdir().unwrap();
    let mirror = tempfile::tempdir().unwrap();
    let store = DataStore::with_registry(
        good_registry("https://example.org/toy.csv"),
        cache.path(),
        Some(mirror.path().to_path_buf()),
    )
    .unwrap()
    .downloads(false);
    let e = store.path("toy", "toy.csv").unwrap_err();
    assert!(matches!(e, DataError::Missing { .. }), "{e}");
    let msg = e.to_string();
    for needle in [
        "data set 'toy'",
        "file 'toy.csv'",
        "https://example.org/toy.csv",
        "heml datasets fetch toy",
        "--data-mirror",
        "HEML_DATA_MIRROR",
        &mirror
            .path()
            .join("toy")
            .join("toy.csv")
            .display()
            .to_string(),
        &cache
            .path()
            .join("toy")
            .join("toy.csv")
            .display()
            .to_string(),
    ] {
        assert!(msg.contains(needle), "{needle:?} not in: {msg}");
    }
    // verify() reports the same, without downloading.
    let checks = store.verify("toy", &mut NoProgress).unwrap();
    assert!(matches!(checks[0].result, Err(DataError::Missing { .. })));
    // Unknown names list what exists.
    let e = store.path("toy", "nope.csv").unwrap_err().to_string();
    assert!(e.contains("toy.csv"), "{e}");
    let e = store.path("nope", "x").unwrap_err().to_string();
    assert!(e.contains("known data sets: toy"), "{e}");
}

#[test]
fn corrupt_mirror_file_reports_both_hashes() {
    let cache = tempfile::tempdir().unwrap();
    let mirror = tempfile::tempdir().unwrap();
    std::fs::create_dir(mirror.path().join("toy")).unwrap();
    let mut flipped = BODY.to_vec();
    flipped[5] ^= 0x01;
    std::fs::write(mirror.path().join("toy/toy.csv"), &flipped).unwrap();
    let store = DataStore::with_registry(
        good_registry("https://example.org/toy.csv"),
        cache.path(),
        Some(mirror.path().to_path_buf()),
    )
    .unwrap()
    .downloads(false);
    let e = store.path("toy", "toy.csv").unwrap_err();
    let DataError::Corrupt {
        expected, actual, ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(expected, &sha(BODY));
    assert_eq!(actual, &sha(&flipped));
    let msg = e.to_string();
    assert!(
        msg.contains(&sha(BODY)) && msg.contains(&sha(&flipped)),
        "{msg}"
    );
    assert!(
        msg.contains("data set 'toy'") && msg.contains("toy.csv"),
        "{msg}"
    );
    assert!(msg.contains("mirror"), "{msg}");

    // A good copy verifies and is then used.
    std::fs::write(mirror.path().join("toy/toy.csv"), BODY).unwrap();
    let p = store.path("toy", "toy.csv").unwrap();
    assert_eq!(p, mirror.path().join("toy").join("toy.csv"));
}

#[test]
fn corrupt_or_truncated_cache_file_says_what_to_do() {
    let cache = tempfile::tempdir().unwrap();
    std::fs::create_dir(cache.path().join("toy")).unwrap();
    let mut flipped = BODY.to_vec();
    flipped[0] ^= 0x20;
    std::fs::write(cache.path().join("toy/toy.csv"), &flipped).unwrap();
    let store = DataStore::with_registry(
        good_registry("https://example.org/toy.csv"),
        cache.path(),
        None,
    )
    .unwrap()
    .downloads(false);
    let msg = store.path("toy", "toy.csv").unwrap_err().to_string();
    assert!(
        msg.contains("expected") && msg.contains(&sha(&flipped)),
        "{msg}"
    );
    assert!(
        msg.contains("Delete") && msg.contains("heml datasets fetch toy"),
        "{msg}"
    );

    std::fs::write(cache.path().join("toy/toy.csv"), &BODY[..4]).unwrap();
    let e = store.path("toy", "toy.csv").unwrap_err();
    assert!(
        matches!(
            e,
            DataError::SizeMismatch {
                expected: 12,
                actual: 4,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn malformed_registry_yaml_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("registry.yaml");
    std::fs::write(
        &p,
        "version: 1\ndatasets:\n  - name: x\n    title: [unclosed\n",
    )
    .unwrap();
    let e = Registry::load(&p).unwrap_err();
    let DataError::RegistryParse { line, column, .. } = &e else {
        panic!("{e}")
    };
    assert!(line.is_some() && column.is_some(), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("registry.yaml, line"), "{msg}");

    std::fs::write(&p, "version: 1\ndatasets: 7\n").unwrap();
    let msg = Registry::load(&p).unwrap_err().to_string();
    assert!(msg.contains("line 2, column 11"), "{msg}");
}

#[test]
fn download_with_good_sha_lands_in_cache() {
    let base = serve(HashMap::from([("/toy.csv", BODY.to_vec())]), 2);
    let cache = tempfile::tempdir().unwrap();
    let store = DataStore::with_registry(
        good_registry(&format!("{base}/toy.csv")),
        cache.path(),
        None,
    )
    .unwrap();
    let mut rec = Recorder::default();
    let p = store.path_with("toy", "toy.csv", &mut rec).unwrap();
    assert_eq!(p, cache.path().join("toy").join("toy.csv"));
    assert_eq!(std::fs::read(&p).unwrap(), BODY);
    assert_eq!(rec.begun, vec![(Action::Download, Some(BODY.len() as u64))]);
    assert_eq!(rec.advanced, BODY.len() as u64);
    assert_eq!(rec.ended, 1);
    assert_eq!(files_under(cache.path()), vec![p.clone()]);

    // Next time it comes from the cache, verified, without the network.
    let again = DataStore::with_registry(
        good_registry("https://example.invalid/x"),
        cache.path(),
        None,
    )
    .unwrap()
    .downloads(false);
    let checks: Vec<FileCheck> = again.verify("toy", &mut NoProgress).unwrap();
    let report = checks[0].result.as_ref().unwrap();
    assert_eq!(report.source, Source::Cache);
    assert_eq!(report.verification, Verification::Sha256);
    // And the loader reads it.
    let t = heml::data::load_tabular(&again, "toy").unwrap();
    assert_eq!(t.labels, vec![0, 1]);
}

#[test]
fn download_with_bad_sha_fails_and_leaves_nothing() {
    let served = b"x,y\n1,0\n2,2\n".to_vec(); // same size, one byte differs
    let base = serve(HashMap::from([("/toy.csv", served.clone())]), 1);
    let cache = tempfile::tempdir().unwrap();
    let store = DataStore::with_registry(
        good_registry(&format!("{base}/toy.csv")),
        cache.path(),
        None,
    )
    .unwrap();
    let e = store.path("toy", "toy.csv").unwrap_err();
    let DataError::Corrupt {
        expected, actual, ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(expected, &sha(BODY));
    assert_eq!(actual, &sha(&served));
    assert!(e.to_string().contains("nothing was stored"), "{e}");
    assert_eq!(files_under(cache.path()), Vec::<PathBuf>::new());
}

#[test]
fn http_errors_name_the_url_and_fall_back_to_mirrors() {
    let base = serve(HashMap::from([("/good.csv", BODY.to_vec())]), 4);
    let cache = tempfile::tempdir().unwrap();
    let store = DataStore::with_registry(
        good_registry(&format!("{base}/missing.csv")),
        cache.path(),
        None,
    )
    .unwrap();
    let e = store.path("toy", "toy.csv").unwrap_err();
    assert!(matches!(e, DataError::Download { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("/missing.csv") && msg.contains("404"), "{msg}");
    assert!(msg.contains("--data-mirror"), "{msg}");
    assert_eq!(files_under(cache.path()), Vec::<PathBuf>::new());

    let reg = registry(
        &format!("{base}/missing.csv"),
        &sha(BODY),
        &BODY.len().to_string(),
        "present",
        &format!("        mirrors: [\"{base}/good.csv\"]"),
    );
    let store = DataStore::with_registry(reg, cache.path(), None).unwrap();
    let checks = store.fetch("toy", &mut NoProgress).unwrap();
    let report = checks[0].result.as_ref().unwrap();
    assert_eq!(report.source, Source::Downloaded);
}

#[test]
fn file_without_sha_needs_allow_unverified() {
    let base = serve(HashMap::from([("/toy.csv", BODY.to_vec())]), 2);
    let cache = tempfile::tempdir().unwrap();
    let reg = || {
        registry(
            &format!("{base}/toy.csv"),
            "null",
            &BODY.len().to_string(),
            "not-in-mirror",
            "",
        )
    };
    let strict = DataStore::with_registry(reg(), cache.path(), None).unwrap();
    let e = strict.path("toy", "toy.csv").unwrap_err();
    assert!(matches!(e, DataError::Unverified { .. }), "{e}");
    assert!(e.to_string().contains("--allow-unverified"), "{e}");
    assert_eq!(files_under(cache.path()), Vec::<PathBuf>::new());

    let loose = DataStore::with_registry(reg(), cache.path(), None)
        .unwrap()
        .allow_unverified(true);
    let mut rec = Recorder::default();
    let checks = loose.fetch("toy", &mut rec).unwrap();
    assert_eq!(
        checks[0].result.as_ref().unwrap().verification,
        Verification::SizeOnly
    );
    assert!(
        rec.notes.iter().any(|n| n.contains("UNVERIFIED")),
        "{:?}",
        rec.notes
    );

    // Once cached, using it still needs the flag.
    let e = strict.path("toy", "toy.csv").unwrap_err();
    assert!(matches!(e, DataError::Unverified { .. }), "{e}");
}

#[test]
fn drop_first_line_derivation_is_applied_before_the_check() {
    let mut served = b"uploader,header\r\n".to_vec();
    served.extend_from_slice(BODY);
    let base = serve(HashMap::from([("/toy.csv", served)]), 1);
    let cache = tempfile::tempdir().unwrap();
    let reg = registry(
        &format!("{base}/toy.csv"),
        &sha(BODY),
        &BODY.len().to_string(),
        "present",
        "        derived: { method: drop-first-line, note: \"header removed\" }",
    );
    let store = DataStore::with_registry(reg, cache.path(), None).unwrap();
    let p = store.path("toy", "toy.csv").unwrap();
    assert_eq!(std::fs::read(p).unwrap(), BODY);
}

#[test]
fn manually_derived_files_cannot_be_downloaded() {
    let cache = tempfile::tempdir().unwrap();
    let reg = registry(
        "https://example.org/toy.xls",
        &sha(BODY),
        &BODY.len().to_string(),
        "present",
        "        derived: { method: manual, note: \"exported from toy.xls\" }",
    );
    let store = DataStore::with_registry(reg, cache.path(), None).unwrap();
    let e = store.path("toy", "toy.csv").unwrap_err();
    assert!(matches!(e, DataError::NotDownloadable { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("exported from toy.xls") && msg.contains("--data-mirror"),
        "{msg}"
    );
}
