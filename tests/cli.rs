//! The command line end to end: bad input gets a clear error and nothing is
//! lost; a tiny MU18 run produces results, a report, and a check that passes
//! against itself and fails against a broken model.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn mirror() -> Option<PathBuf> {
    let found = std::env::var_os("HEML_DATA_MIRROR")
        .map(PathBuf::from)
        .or_else(|| {
            let p = root().join("../shared/datasets");
            p.join("mnist").exists().then_some(p)
        });
    assert!(
        found.is_some() || std::env::var_os("CI").is_none(),
        "CI needs the data mirror: set HEML_DATA_MIRROR"
    );
    found
}

fn heml(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heml"))
        .current_dir(dir)
        .env_remove("HEML_RESULTS")
        .env_remove("HEML_REPORTS")
        .args(args)
        .output()
        .expect("heml runs")
}

/// A scratch project: the registry, the claims catalog and given specs.
fn project(specs: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("experiments")).unwrap();
    std::fs::create_dir_all(p.join("datasets")).unwrap();
    std::fs::copy(
        root().join("datasets/registry.yaml"),
        p.join("datasets/registry.yaml"),
    )
    .unwrap();
    std::fs::copy(
        root().join("experiments/claims.yaml"),
        p.join("experiments/claims.yaml"),
    )
    .unwrap();
    for (name, text) in specs {
        std::fs::write(p.join("experiments").join(name), text).unwrap();
    }
    dir
}

fn mu18() -> String {
    std::fs::read_to_string(root().join("experiments/mu18-paillier-mnist.yaml")).unwrap()
}

/// The MU18 spec shrunk to seconds: 1 epoch on 3000 rows, 4 encrypted images,
/// an insecure 1024-bit key (opted in, so every report must flag it).
fn tiny_mu18() -> String {
    mu18()
        .replace("id: mu18-paillier-mnist", "id: tiny-mu18")
        .replace("  mode: djn", "  mode: djn\n  allow_insecure: true")
        .replace(
            "    epochs: 3\n    encrypted_samples: 100",
            "    epochs: 1\n    train_samples: 3000\n    test_samples: 500\n    encrypted_samples: 4\n    key_bits: 1024",
        )
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_explains_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        "run",
        "reproduce",
        "report",
        "check",
        "datasets",
        "baseline",
    ] {
        let o = heml(dir.path(), &[cmd, "--help"]);
        assert!(o.status.success(), "{cmd}: {}", text(&o));
        assert!(text(&o).len() > 100, "{cmd} --help says too little");
    }
}

#[test]
fn a_malformed_spec_is_reported_and_the_others_still_run() {
    let bad = mu18()
        .replace("id: mu18-paillier-mnist", "id: bad")
        .replace("  key_bits: 2048", "  key_bts: 2048");
    let insecure = mu18()
        .replace("id: mu18-paillier-mnist", "id: weak")
        .replace("key_bits: 2048", "key_bits: 1024");
    let Some(mirror) = mirror() else {
        eprintln!("skipped: no data mirror (set HEML_DATA_MIRROR)");
        return;
    };
    let dir = project(&[
        ("bad.yaml", bad),
        ("weak.yaml", insecure),
        ("tiny.yaml", tiny_mu18()),
    ]);
    let o = heml(
        dir.path(),
        &[
            "--json",
            "--data-mirror",
            mirror.to_str().unwrap(),
            "reproduce",
            "--profile",
            "quick",
        ],
    );
    let out = text(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a failed spec makes the exit code 1: {out}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{out}"));
    let exps = summary["run"]["experiments"].as_array().unwrap();
    let state = |id: &str| {
        exps.iter()
            .find(|e| e["id"] == id)
            .map(|e| e["state"].as_str().unwrap().to_string())
    };
    assert_eq!(state("bad").as_deref(), Some("invalid"));
    assert_eq!(state("weak").as_deref(), Some("invalid"));
    assert_eq!(state("tiny-mu18").as_deref(), Some("done"), "{out}");
    let err = |id: &str| {
        exps.iter().find(|e| e["id"] == id).unwrap()["error"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let bad_err = err("bad");
    assert!(
        bad_err.contains("bad.yaml:")
            && bad_err.contains("key_bts")
            && bad_err.contains("key_bits"),
        "{bad_err}"
    );
    let weak_err = err("weak");
    assert!(
        weak_err.contains("scheme.key_bits") && weak_err.contains("allow_insecure"),
        "{weak_err}"
    );

    // Results exist, the report flags the insecure key, and the run checks
    // clean against itself.
    let run_dir = PathBuf::from(summary["run"]["run_dir"].as_str().unwrap());
    let run_dir = if run_dir.is_absolute() {
        run_dir
    } else {
        dir.path().join(run_dir)
    };
    for f in [
        "run.json",
        "measurements.parquet",
        "measurements.csv",
        "experiments/tiny-mu18.json",
    ] {
        assert!(run_dir.join(f).exists(), "{f} missing");
    }
    let html = std::fs::read_to_string(dir.path().join("reports/index.html")).unwrap();
    assert!(
        html.contains("MU18-paillier") && html.contains("insecure"),
        "the report lacks the claims or the warning"
    );
    // With no baseline yet, the check says so and how to make one.
    let o = heml(dir.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("heml baseline RUN"), "{}", text(&o));
    // The baseline goes to the folder of the run's machine class, and the run
    // then checks clean against it, its timings judged by the same class.
    let o = heml(dir.path(), &["baseline"]);
    assert!(o.status.success(), "{}", text(&o));
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("run.json")).unwrap()).unwrap();
    let kernel = info["machine"]["arith_kernel"]
        .as_str()
        .unwrap()
        .to_string();
    let classes: Vec<String> = std::fs::read_dir(dir.path().join("results/baselines"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(classes.len(), 1, "{classes:?}");
    let class = &classes[0];
    assert!(class.ends_with(&format!("-{kernel}")), "{class}");
    assert!(text(&o).contains(class.as_str()), "{}", text(&o));
    for f in ["run.json", "measurements.csv", "experiments/tiny-mu18.json"] {
        assert!(
            dir.path()
                .join("results/baselines")
                .join(class)
                .join(f)
                .exists(),
            "{f}"
        );
    }
    let o = heml(dir.path(), &["check"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("timings: against baseline {class} (same class)")),
        "{}",
        text(&o)
    );

    // A broken model (here: the baseline says the collapse agreed on every
    // image and the encrypted predictions matched; the run says otherwise)
    // fails the check with a readable table.
    let rec_path = run_dir.join("experiments/tiny-mu18.json");
    let mut rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&rec_path).unwrap()).unwrap();
    for m in rec["measurements"].as_array_mut().unwrap() {
        if m["metric"] == "differing_predictions" || m["metric"] == "collapse_disagreements" {
            m["value"] = serde_json::json!(7.0);
        }
    }
    std::fs::write(&rec_path, serde_json::to_vec(&rec).unwrap()).unwrap();
    let o = heml(dir.path(), &["check"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("differing_predictions") && out.contains("FAILED"),
        "{out}"
    );

    // Run again: the finished experiment is reused, not recomputed.
    let o = heml(
        dir.path(),
        &[
            "--json",
            "--data-mirror",
            mirror.to_str().unwrap(),
            "run",
            "experiments/tiny.yaml",
            "--no-report",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    assert!(
        summary["run"]["experiments"][0]["reused_from"].is_string(),
        "{}",
        text(&o)
    );
}

#[test]
fn a_missing_data_set_says_where_to_get_it() {
    let dir = project(&[("tiny.yaml", tiny_mu18())]);
    let empty = tempfile::tempdir().unwrap();
    let o = heml(
        dir.path(),
        &[
            "--json",
            "--data-mirror",
            empty.path().to_str().unwrap(),
            "run",
            "experiments/tiny.yaml",
            "--no-report",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let err = summary["run"]["experiments"][0]["error"].as_str().unwrap();
    assert!(err.contains("mnist"), "{err}");
    assert!(
        err.contains("heml datasets fetch") || err.contains("HEML_DATA_MIRROR"),
        "{err}"
    );
}

#[test]
fn a_corrupt_data_set_is_refused_with_both_hashes() {
    let Some(mirror) = mirror() else {
        eprintln!("skipped: no data mirror (set HEML_DATA_MIRROR)");
        return;
    };
    let dir = project(&[("tiny.yaml", tiny_mu18())]);
    let bad = tempfile::tempdir().unwrap();
    let mnist = bad.path().join("mnist");
    std::fs::create_dir_all(&mnist).unwrap();
    for entry in std::fs::read_dir(mirror.join("mnist")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, mnist.join(p.file_name().unwrap())).unwrap();
    }
    let victim = mnist.join("t10k-labels-idx1-ubyte.gz");
    let mut bytes = std::fs::read(&victim).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&victim, bytes).unwrap();
    let o = heml(
        dir.path(),
        &[
            "--json",
            "--data-mirror",
            bad.path().to_str().unwrap(),
            "run",
            "experiments/tiny.yaml",
            "--no-report",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    let err = summary["run"]["experiments"][0]["error"].as_str().unwrap();
    assert!(
        err.contains("t10k-labels-idx1-ubyte.gz") && err.contains("sha256"),
        "{err}"
    );
    assert!(
        err.matches(|c: char| c.is_ascii_hexdigit()).count() >= 128,
        "both hashes expected: {err}"
    );
}
