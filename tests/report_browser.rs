//! Loads a written report in headless Chromium and checks that the page is
//! whole: every image loaded and no resource failed.
//!
//! Skips (with a message) when no Chromium is found, unless
//! `HEML_REQUIRE_BROWSER=1`. `HEML_CHROMIUM` names the binary to use;
//! `HEML_KEEP_SCREENSHOT=<path>` keeps the screenshot and
//! `HEML_KEEP_REPORT=<dir>` a copy of the report.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use heml::he::math::kernel::Kernel;
use heml::report::{ReportInput, write_report};
use heml::results::record::{Measurement, MetricKind, Verdict};
use heml::results::run::{
    Calibration, ClaimEntry, ExperimentRecord, ExperimentState, MachineInfo, RunInfo,
};

const RUN_ID: &str = "2025-06-01T10-00-00Z-quick";

fn row(experiment: &str, metric: &str, kind: MetricKind, value: f64, unit: &str) -> Measurement {
    Measurement {
        experiment: experiment.into(),
        claim: None,
        metric: metric.into(),
        kind,
        value,
        unit: unit.into(),
        step: None,
        paper_value: None,
        tolerance: None,
        verdict: Verdict::Measured,
        scheme: "intvec".into(),
        parameters: r#"{"dimension":784,"hidden":[128],"lr":0.1,"key_bits":64}"#.into(),
        security: "insecure: reproduction only".into(),
        stage: "train".into(),
        threads: 2,
        seed: 42,
        profile: "quick".into(),
        git_commit: "3f2c9a1b7d4e".into(),
        timestamp: "2025-06-01T10:12:00Z".into(),
        note: String::new(),
    }
}

fn claim(
    id: &str,
    paper: &str,
    what: &str,
    value: &str,
    not_attempted: Option<&str>,
) -> ClaimEntry {
    ClaimEntry {
        id: id.into(),
        paper: paper.into(),
        what: what.into(),
        paper_value: value.into(),
        not_attempted: not_attempted.map(str::to_string),
    }
}

fn realistic_input() -> ReportInput {
    // An experiment that trains for 20 epochs on encrypted data.
    let id = "mu18-intvec-mnist";
    let mut training = ExperimentRecord {
        id: id.into(),
        title: "MLP training on integer-vector encrypted MNIST".into(),
        spec_path: "experiments/mu18-intvec-mnist.yaml".into(),
        paper: "papers/MU18.md §5.2, Fig. 4".into(),
        state: ExperimentState::Done,
        error: None,
        spec_sha256: "ab".repeat(32),
        code_sha256: "cd".repeat(32),
        profile: "quick".into(),
        started: "2025-06-01T10:00:05Z".into(),
        elapsed_s: 412.7,
        reused_from: Some("2025-05-30T08-00-00Z-quick".into()),
        kernel: Some(Kernel::Avx512Ifma),
        security: "insecure: reproduction only".into(),
        warnings: vec![
            "insecure: reproduction only — the integer-vector scheme is broken (key recovery from few plaintext/ciphertext pairs)".into(),
        ],
        measurements: Vec::new(),
    };
    for epoch in 1..=20_i64 {
        let t = epoch as f64;
        let train = 97.5 - 40.0 * (-t / 3.5).exp();
        let test = 95.8 - 40.0 * (-t / 3.8).exp();
        let loss = 0.08 + 2.2 * (-t / 3.0).exp();
        for (metric, stage, kind, value, unit) in [
            ("train_accuracy", "train", MetricKind::Quality, train, "%"),
            ("test_accuracy", "evaluate", MetricKind::Quality, test, "%"),
            ("train_loss", "train", MetricKind::Error, loss, ""),
        ] {
            let mut r = row(id, metric, kind, value, unit);
            r.step = Some(epoch);
            r.stage = stage.into();
            if metric == "test_accuracy" && epoch == 20 {
                r.claim = Some("MU18-curve".into());
                r.paper_value = Some(96.5);
                r.tolerance = Some("± 1.0 points".into());
                r.verdict = Verdict::Reproduced;
            }
            training.measurements.push(r);
        }
    }
    let mut acc = row(id, "test_accuracy", MetricKind::Quality, 95.79, "%");
    acc.claim = Some("MU18-acc".into());
    acc.stage = "evaluate".into();
    acc.paper_value = Some(97.0);
    acc.tolerance = Some("band [96.5, 97.5]".into());
    acc.verdict = Verdict::Deviates;
    acc.note = "20 epochs in the quick profile instead of the paper's 50".into();
    training.measurements.push(acc);
    let mut size = row(
        id,
        "ciphertext_bytes_per_image",
        MetricKind::Info,
        50176.0,
        "bytes",
    );
    size.stage = "encrypt".into();
    training.measurements.push(size);
    for (stage, metric, value, unit, claim_id) in [
        ("keygen", "keygen_ms", 3.2, "ms", None),
        (
            "encrypt",
            "encrypt_ms_per_image",
            0.84,
            "ms",
            Some("MU18-enc-time"),
        ),
        ("train", "train_epoch_s", 18.4, "s", Some("MU18-train")),
        ("evaluate", "evaluate_s", 2.1, "s", None),
        ("decrypt", "decrypt_us_per_value", 35.0, "µs", None),
    ] {
        let mut r = row(id, metric, MetricKind::Time, value, unit);
        r.stage = stage.into();
        r.claim = claim_id.map(str::to_string);
        if claim_id == Some("MU18-train") {
            r.note = "paper used a 2.4 GHz Xeon; timing measured only".into();
        }
        training.measurements.push(r);
    }

    // An experiment that failed after key generation.
    let id = "cs21-ckks-inference";
    let mut failed = ExperimentRecord {
        id: id.into(),
        title: "Encrypted inference with CKKS (ResNet-20 surrogate)".into(),
        spec_path: "experiments/cs21-ckks-inference.yaml".into(),
        paper: "papers/CS21.md §4, Table 3".into(),
        state: ExperimentState::Failed,
        error: Some(
            "evaluating layer 7 of the network\n\ncaused by:\n    0: bootstrapping needs 2^16 slots, the parameters give 2^15\n    1: noise budget exhausted <level 0>".into(),
        ),
        spec_sha256: "ef".repeat(32),
        code_sha256: "cd".repeat(32),
        profile: "quick".into(),
        started: "2025-06-01T10:07:00Z".into(),
        elapsed_s: 95.2,
        reused_from: None,
        kernel: Some(Kernel::Avx512Ifma),
        security: "128-bit".into(),
        warnings: Vec::new(),
        measurements: Vec::new(),
    };
    for (stage, metric, value, unit) in [
        ("keygen", "keygen_s", 14.2, "s"),
        ("encrypt", "encrypt_ms_per_image", 310.0, "ms"),
    ] {
        let mut r = row(id, metric, MetricKind::Time, value, unit);
        r.stage = stage.into();
        r.scheme = "ckks".into();
        r.security = "128-bit".into();
        r.parameters = r#"{"poly_degree":32768,"levels":14,"scale_bits":40}"#.into();
        failed.measurements.push(r);
    }
    let mut latency = row(id, "inference_s_per_image", MetricKind::Time, f64::NAN, "s");
    latency.claim = Some("CS21-latency".into());
    latency.stage = "evaluate".into();
    latency.scheme = "ckks".into();
    latency.security = "128-bit".into();
    latency.paper_value = Some(88.0);
    latency.verdict = Verdict::Failed;
    failed.measurements.push(latency);

    let claims = vec![
        claim(
            "CS21-latency",
            "CS21",
            "Encrypted ResNet-20 inference latency per image",
            "88 s",
            None,
        ),
        claim(
            "CS21-accuracy",
            "CS21",
            "Accuracy of encrypted inference on CIFAR-10",
            "92.4 %",
            None,
        ),
        claim(
            "CS21-memory",
            "CS21",
            "Peak memory of bootstrapping",
            "about 150 GB",
            Some("needs > 24 GiB of memory"),
        ),
        claim(
            "MU18-acc",
            "MU18",
            "Test accuracy of the MLP trained on encrypted MNIST",
            "97 %",
            None,
        ),
        claim(
            "MU18-curve",
            "MU18",
            "Test accuracy after 20 epochs (Fig. 4)",
            "≈ 96.5 % at epoch 20",
            None,
        ),
        claim(
            "MU18-train",
            "MU18",
            "Training time per epoch",
            "21 s",
            None,
        ),
        claim(
            "MU18-enc-time",
            "MU18",
            "Encryption time per image",
            "1.1 ms",
            None,
        ),
        claim(
            "HE18-logreg",
            "HE18",
            "Logistic regression on encrypted genomic data, AUC",
            "0.93",
            None,
        ),
        claim(
            "SK-survey",
            "SK",
            "Survey's comparison of FHE libraries",
            "table",
            Some("qualitative survey claim; nothing to measure"),
        ),
    ];

    let machine = MachineInfo {
        cpu_brand: "AMD EPYC 7B13 <virtual>".into(),
        physical_cores: 1,
        logical_cores: 2,
        memory_gib: 23.47,
        os: "Debian GNU/Linux 12 (bookworm)".into(),
        kernel: "6.1.0-18-amd64".into(),
        hostname_hash: "9f86d081".into(),
        cpu_vendor: "AuthenticAMD".into(),
        cpu_family: 25,
        cpu_model: 17,
        cpu_features: vec!["avx2".into(), "avx512".into(), "avx512ifma".into()],
        arith_kernel: Some(Kernel::Avx512Ifma),
    };
    ReportInput {
        run: RunInfo {
            run_id: RUN_ID.into(),
            profile: "quick".into(),
            git_commit: "3f2c9a1b7d4e5f60718293a4b5c6d7e8f9012345".into(),
            git_dirty: true,
            heml_version: "0.1.0".into(),
            started: "2025-06-01T10:00:00Z".into(),
            finished: Some("2025-06-01T10:14:21Z".into()),
            machine: machine.clone(),
            calibration: Some(Calibration {
                workload: "modexp-2048 x 64 + f64 matmul 256".into(),
                elapsed_ms: 187.3,
            }),
            threads: 2,
            command: "heml run --quick --threads 2".into(),
        },
        experiments: vec![training, failed],
        claims,
        baseline_note: Some(
            "compared with baseline run 2025-05-30T08-00-00Z-quick: no regression".into(),
        ),
        baseline_class: Some(machine.machine_class()),
    }
}

fn find_chromium() -> Option<PathBuf> {
    // An explicit HEML_CHROMIUM is the only candidate.
    if let Some(path) = std::env::var_os("HEML_CHROMIUM").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    for name in names {
        for dir in dirs
            .iter()
            .map(PathBuf::as_path)
            .chain([Path::new("/usr/bin")])
        {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn browser_required() -> bool {
    std::env::var("HEML_REQUIRE_BROWSER")
        .map(|v| !matches!(v.trim(), "" | "0" | "false" | "no"))
        .unwrap_or(false)
}

/// Runs Chromium headless with `extra` arguments on `url`, in a fresh
/// profile, and returns its standard output.
fn run_chromium(chromium: &Path, profile: &Path, extra: &[String], url: &str) -> String {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = out_reader.join().unwrap();
    let err = err_reader.join().unwrap();
    assert!(
        status.success(),
        "chromium exited with {status}\nstderr:\n{err}"
    );
    out
}

/// The `content` of `<meta name="NAME" content="...">` in a dumped DOM.
fn meta_content<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let start = dom.find(&format!("<meta name=\"{name}\" content=\""))?;
    let rest = &dom[start..];
    let value = &rest[rest.find("content=\"")? + 9..];
    Some(&value[..value.find('"')?])
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn report_loads_in_headless_chromium() {
    let Some(chromium) = find_chromium() else {
        if browser_required() {
            panic!(
                "HEML_REQUIRE_BROWSER is set but no chromium binary was found (install Debian's `chromium`)"
            );
        }
        // Straight to stderr, past the test harness's output capture, so
        // that the skip shows in a normal `cargo test` run.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED report_loads_in_headless_chromium: no chromium binary found \
             (apt-get install chromium, or set HEML_CHROMIUM); set HEML_REQUIRE_BROWSER=1 to fail instead"
        );
        return;
    };

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let input = realistic_input();
    let summary = write_report(&input, &out).unwrap();
    assert!(
        summary.chart_errors.is_empty(),
        "{:?}",
        summary.chart_errors
    );
    assert_eq!(summary.failed_experiments, 1);
    assert!(summary.warnings >= 1);
    // Series (accuracy, loss) and timings for the first experiment, timings
    // for the failed one: 4 charts, PNG and SVG each.
    assert_eq!(summary.charts.len(), 8, "{:?}", summary.charts);
    if let Some(keep) = std::env::var_os("HEML_KEEP_REPORT").filter(|p| !p.is_empty()) {
        copy_dir(&out, Path::new(&keep));
    }

    let index = std::fs::canonicalize(&summary.index).unwrap();
    let url = format!("file://{}", index.display());

    let profile = tempfile::tempdir().unwrap();
    let dom = run_chromium(&chromium, profile.path(), &["--dump-dom".to_string()], &url);
    let images = meta_content(&dom, "heml-images")
        .unwrap_or_else(|| panic!("no heml-images meta in the dumped DOM:\n{dom}"));
    let (loaded, total) = images
        .split_once('/')
        .unwrap_or_else(|| panic!("images not counted (the load event did not run?): {images:?}"));
    let (loaded, total): (usize, usize) = (loaded.parse().unwrap(), total.parse().unwrap());
    assert!(total > 0, "the page has no image");
    assert_eq!(loaded, total, "only {loaded} of {total} images loaded");
    assert_eq!(total, summary.charts.len() / 2);
    let failed = meta_content(&dom, "heml-failed").unwrap_or("missing");
    assert_eq!(failed, "", "resources failed to load: {failed}");
    for claim in &input.claims {
        assert!(
            dom.contains(&claim.id),
            "claim {} missing from the page",
            claim.id
        );
    }
    assert!(dom.contains("insecure: reproduction only"));
    assert!(
        dom.contains("<code id=\"arith-kernel\">avx512ifma</code>"),
        "the machine block lacks the kernel"
    );
    assert!(dom.contains("authenticamd-f25-m17-avx512ifma"));

    let shot = dir.path().join("report.png");
    let shot_profile = tempfile::tempdir().unwrap();
    run_chromium(
        &chromium,
        shot_profile.path(),
        &[
            "--run-all-compositor-stages-before-draw".to_string(),
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".to_string(),
        ],
        &url,
    );
    let len = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(len > 10_000, "screenshot missing or empty ({len} bytes)");
    if let Some(keep) = std::env::var_os("HEML_KEEP_SCREENSHOT").filter(|p| !p.is_empty()) {
        std::fs::copy(&shot, &keep).unwrap();
        println!("screenshot kept at {}", Path::new(&keep).display());
    }
}
