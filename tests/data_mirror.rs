//! Loaders against the real shared mirror, checked against the counts its manifests state.
//!
//! The mirror is `$HEML_DATA_MIRROR`, else `shared/datasets` beside the crate (as in CI).
//! Without one these tests print why and pass without checking, except under CI (`CI` set),
//! where a missing mirror fails them.
//! Nothing here touches the network: the store has downloads off and an empty cache.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use heml::data::imdb::{ImdbSplit, Sentiment, trask_order};
use heml::data::store::{Location, Source, Verification};
use heml::data::{
    DataStore, NoProgress, Status, load_imdb_reviews, load_mnist, load_tabular, load_trask_labels,
};

fn mirror() -> Option<PathBuf> {
    if let Some(v) = std::env::var_os("HEML_DATA_MIRROR").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(v));
    }
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        here.join("../shared/datasets"),
        here.join("../../shared/datasets"),
    ]
    .into_iter()
    .find(|p| p.join("mnist").is_dir())
}

/// One store for all tests of this file, so each mirror file is hashed once.
fn store() -> Option<&'static DataStore> {
    static STORE: OnceLock<Option<(tempfile::TempDir, DataStore)>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let Some(m) = mirror() else {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI needs the data mirror: set HEML_DATA_MIRROR"
                );
                eprintln!("no data mirror (set HEML_DATA_MIRROR): mirror tests check nothing");
                return None;
            };
            let cache = tempfile::tempdir().unwrap();
            let store = DataStore::new(cache.path(), Some(m))
                .unwrap()
                .downloads(false);
            Some((cache, store))
        })
        .as_ref()
        .map(|(_, s)| s)
}

#[test]
fn every_mirror_file_verifies() {
    let Some(store) = store() else { return };
    let t = Instant::now();
    let mut bytes = 0u64;
    for ds in store.registry().datasets() {
        if ds.status == Status::NotInMirror {
            continue;
        }
        for check in store.verify(&ds.name, &mut NoProgress).unwrap() {
            let report = check
                .result
                .unwrap_or_else(|e| panic!("{} {}: {e}", check.dataset, check.file));
            assert_eq!(report.source, Source::Mirror);
            assert_eq!(report.verification, Verification::Sha256);
            bytes += std::fs::metadata(&report.path).unwrap().len();
        }
    }
    eprintln!(
        "hashed {bytes} bytes of the mirror in {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let listing = store.list();
    let trask = listing.iter().find(|d| d.name == "trask-reviews").unwrap();
    assert_eq!(trask.files[0].location, Location::Missing);
    assert!(
        listing
            .iter()
            .find(|d| d.name == "mnist")
            .unwrap()
            .available()
    );
}

#[test]
fn not_in_mirror_files_are_missing_with_a_clear_error() {
    let Some(store) = store() else { return };
    let e = store
        .path("sensorless-drive", "Sensorless_drive_diagnosis.txt")
        .unwrap_err()
        .to_string();
    assert!(e.contains("heml datasets fetch sensorless-drive"), "{e}");
    assert!(e.contains("archive.ics.uci.edu"), "{e}");
}

fn check(spec: &str, rows: usize, features: usize, counts: &[usize]) -> heml::data::Tabular {
    let store = store().unwrap();
    let t = load_tabular(store, spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
    assert_eq!((t.n_rows, t.n_features), (rows, features), "{spec}");
    assert_eq!(t.features.len(), rows * features, "{spec}");
    assert_eq!(t.feature_names.len(), features, "{spec}");
    assert_eq!(t.n_classes, counts.len(), "{spec}");
    assert_eq!(t.class_counts(), counts, "{spec}");
    assert!(t.features.iter().all(|x| x.is_finite()), "{spec}");
    t
}

#[test]
fn tabular_data_sets_match_their_manifests() {
    if store().is_none() {
        return;
    }
    let pima = check("pima-diabetes", 768, 8, &[500, 268]);
    assert_eq!(pima.feature_names[0], "Pregnancies");
    assert_eq!(
        pima.row(0),
        &[6.0, 148.0, 72.0, 35.0, 0.0, 33.6, 0.627, 50.0]
    );
    check("banknote", 1372, 4, &[762, 610]);
    let blood = check("blood-transfusion", 748, 4, &[570, 178]);
    assert_eq!(blood.row(0), &[2.0, 50.0, 12500.0, 98.0]);
    let bt = check("breast-tissue", 106, 9, &[22, 21, 14, 15, 16, 18]);
    assert_eq!(bt.class_names, ["adi", "car", "con", "fad", "gla", "mas"]);
    assert!(!bt.feature_names.iter().any(|n| n == "Case #"));
    let nsp = check("cardiotocography", 2126, 21, &[1655, 295, 176]);
    assert!(!nsp.feature_names.iter().any(|n| n == "CLASS" || n == "NSP"));
    check("cardiotocography:nsp", 2126, 21, &[1655, 295, 176]);
    let class = check(
        "cardiotocography:class",
        2126,
        21,
        &[384, 579, 53, 81, 72, 332, 252, 107, 69, 197],
    );
    assert_eq!(class.class_names[9], "10");
    let climate = check("climate-model-crashes", 540, 18, &[46, 494]);
    assert_eq!(climate.feature_names[0], "vconst_corr");
    check("cnae9", 1080, 856, &[120; 9]);
    let sonar = check("sonar", 208, 60, &[111, 97]);
    assert_eq!(sonar.class_names, ["M", "R"]);
    let vowel = check("vowel", 528, 10, &[48; 11]);
    assert_eq!(vowel.feature_names[0], "x.1");
    let crab = check("crab", 200, 6, &[100, 100]);
    assert_eq!(crab.feature_names, ["sp", "FL", "RW", "CL", "CW", "BD"]);
    assert_eq!(crab.class_names, ["F", "M"]);
    assert_eq!(crab.row(0), &[0.0, 8.1, 6.7, 16.1, 19.0, 7.0]);
    let species = check("crab:species", 200, 5, &[100, 100]);
    assert_eq!(species.class_names, ["B", "O"]);
    let fert = check("fertility", 100, 9, &[88, 12]);
    assert_eq!(fert.class_names, ["N", "O"]);
    let ov = check("ovarian", 216, 100, &[121, 95]);
    assert_eq!(ov.class_names, ["cancer", "normal"]);
    let wine = check("wine", 178, 13, &[59, 71, 48]);
    assert_eq!(wine.row(0)[7], 0.28);
    let arcene = check("arcene", 200, 10000, &[112, 88]);
    assert_eq!(arcene.class_names, ["-1", "1"]);

    let e = load_tabular(store().unwrap(), "cardiotocography:fhr")
        .unwrap_err()
        .to_string();
    assert!(e.contains("nsp, class"), "{e}");
    let e = load_tabular(store().unwrap(), "mnist")
        .unwrap_err()
        .to_string();
    assert!(e.contains("idx-gzip"), "{e}");
}

#[test]
fn mnist_matches_its_manifest() {
    let Some(store) = store() else { return };
    let t = Instant::now();
    let m = load_mnist(store).unwrap();
    eprintln!("load_mnist: {:.2} s", t.elapsed().as_secs_f64());
    assert_eq!((m.train.n, m.train.rows, m.train.cols), (60000, 28, 28));
    assert_eq!(m.test.n, 10000);
    assert_eq!(m.train.images.len(), 60000 * 784);
    assert_eq!(
        m.train.class_counts(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        m.test.class_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert_eq!(m.train.labels[..5], [5, 0, 4, 1, 9]);
    assert_eq!(m.test.labels[..3], [7, 2, 1]);
    assert_eq!(m.train.images.iter().max(), Some(&255));
}

#[test]
fn imdb_archive_and_trask_labels_match_their_manifest() {
    let Some(store) = store() else { return };
    let t = Instant::now();
    let train = load_imdb_reviews(store, "imdb", Some(ImdbSplit::Train)).unwrap();
    eprintln!("imdb train: {:.2} s", t.elapsed().as_secs_f64());
    assert_eq!(train.len(), 25000);
    let pos = train
        .iter()
        .filter(|r| r.sentiment == Sentiment::Positive)
        .count();
    assert_eq!(pos, 12500);
    let order = trask_order(&train).unwrap();
    let first = &train[order[0]];
    assert_eq!(first.file_name, "0_9.txt");
    assert!(first.text.starts_with("Bromwell High is a cartoon comedy."));
    assert_eq!(train[order[2]].file_name, "10000_8.txt");

    let labels = load_trask_labels(store).unwrap();
    assert_eq!(labels.len(), 25000);
    for (i, (l, &idx)) in labels.iter().zip(&order).enumerate() {
        assert_eq!(*l, train[idx].sentiment, "line {}", i + 1);
    }
}
