//! Small builders of report inputs for the unit tests.

use crate::he::math::kernel::Kernel;
use crate::report::ReportInput;
use crate::results::record::{Measurement, MetricKind, Verdict};
use crate::results::run::{
    Calibration, ClaimEntry, ExperimentRecord, ExperimentState, MachineInfo, RunInfo,
};

pub fn row(experiment: &str, metric: &str, value: f64, unit: &str) -> Measurement {
    Measurement {
        experiment: experiment.into(),
        claim: None,
        metric: metric.into(),
        kind: MetricKind::Quality,
        value,
        unit: unit.into(),
        step: None,
        paper_value: None,
        tolerance: None,
        verdict: Verdict::Measured,
        scheme: "paillier".into(),
        parameters: r#"{"n_bits":2048}"#.into(),
        security: "112-bit".into(),
        stage: "evaluate".into(),
        threads: 2,
        seed: 7,
        profile: "quick".into(),
        git_commit: "0123456789abcdef".into(),
        timestamp: "2025-01-01T00:00:00Z".into(),
        note: String::new(),
    }
}

pub fn experiment(id: &str, state: ExperimentState) -> ExperimentRecord {
    ExperimentRecord {
        id: id.into(),
        title: format!("Experiment {id}"),
        spec_path: format!("experiments/{id}.yaml"),
        paper: "papers/x.md §3".into(),
        state,
        error: None,
        spec_sha256: "00".into(),
        code_sha256: "11".into(),
        profile: "quick".into(),
        started: "2025-01-01T00:00:00Z".into(),
        elapsed_s: 12.5,
        reused_from: None,
        kernel: Some(Kernel::Avx2),
        security: "112-bit".into(),
        warnings: Vec::new(),
        measurements: Vec::new(),
    }
}

pub fn claim(id: &str, paper: &str, not_attempted: Option<&str>) -> ClaimEntry {
    ClaimEntry {
        id: id.into(),
        paper: paper.into(),
        what: format!("what {id} says"),
        paper_value: "92.5 %".into(),
        not_attempted: not_attempted.map(str::to_string),
    }
}

pub fn input(experiments: Vec<ExperimentRecord>, claims: Vec<ClaimEntry>) -> ReportInput {
    ReportInput {
        run: RunInfo {
            run_id: "2025-01-01T00-00-00Z-abc".into(),
            profile: "quick".into(),
            git_commit: "0123456789abcdef0123".into(),
            git_dirty: true,
            heml_version: "0.1.0".into(),
            started: "2025-01-01T00:00:00Z".into(),
            finished: Some("2025-01-01T00:10:00Z".into()),
            machine: MachineInfo {
                cpu_brand: "Test CPU <x86>".into(),
                physical_cores: 1,
                logical_cores: 2,
                memory_gib: 23.4,
                os: "Debian 12".into(),
                kernel: "6.1".into(),
                hostname_hash: "ff".into(),
                cpu_vendor: "AuthenticAMD".into(),
                cpu_family: 25,
                cpu_model: 1,
                cpu_features: vec!["avx2".into()],
                arith_kernel: Some(Kernel::Avx2),
            },
            calibration: Some(Calibration {
                workload: "modexp-2048 x 64".into(),
                elapsed_ms: 123.4,
            }),
            threads: 2,
            command: "heml run --quick".into(),
        },
        experiments,
        claims,
        baseline_note: None,
        baseline_class: None,
    }
}

/// Two experiments (one failed), a 5-epoch series with a paper point,
/// timings, and a catalog with attempted and not attempted claims.
pub fn sample_input() -> ReportInput {
    let mut done = experiment("mu18-train", ExperimentState::Done);
    done.warnings
        .push("insecure: reproduction only (integer-vector scheme)".into());
    for epoch in 1..=5 {
        for (metric, stage, base) in [
            ("train_accuracy", "train", 80.0),
            ("test_accuracy", "evaluate", 78.0),
        ] {
            let mut r = row("mu18-train", metric, base + 2.0 * epoch as f64, "%");
            r.step = Some(epoch);
            r.stage = stage.into();
            if metric == "test_accuracy" && epoch == 5 {
                r.claim = Some("MU18-curve".into());
                r.paper_value = Some(89.0);
                r.tolerance = Some("± 1.5 points".into());
                r.verdict = Verdict::Reproduced;
            }
            done.measurements.push(r);
        }
    }
    let mut acc = row("mu18-train", "test_accuracy", 88.2, "%");
    acc.claim = Some("MU18-acc".into());
    acc.paper_value = Some(92.5);
    acc.tolerance = Some("band [92.0, 93.2]".into());
    acc.verdict = Verdict::Deviates;
    acc.note = "fewer epochs in the quick profile <5 vs 30>".into();
    done.measurements.push(acc);
    for (stage, metric, value, unit) in [
        ("keygen", "keygen_ms", 850.0, "ms"),
        ("encrypt", "encrypt_ms_per_image", 12.5, "ms"),
        ("train", "train_s", 95.0, "s"),
    ] {
        let mut r = row("mu18-train", metric, value, unit);
        r.kind = MetricKind::Time;
        r.stage = stage.into();
        done.measurements.push(r);
    }

    let mut failed = experiment("cs21-infer", ExperimentState::Failed);
    failed.error = Some("CS21-infer: decryption failed\ncaused by: noise budget exhausted".into());
    let mut keygen = row("cs21-infer", "keygen_ms", 40.0, "ms");
    keygen.kind = MetricKind::Time;
    keygen.stage = "keygen".into();
    keygen.scheme = "ckks".into();
    failed.measurements.push(keygen);

    input(
        vec![done, failed],
        vec![
            claim("MU18-acc", "MU18", None),
            claim("MU18-curve", "MU18", None),
            claim("MU18-gpu", "MU18", Some("needs a GPU & CUDA")),
            claim("CS21-infer", "CS21", None),
            claim("CS21-size", "CS21", None),
        ],
    )
}

/// Test accuracies of the plaintext model over ten seeds: median 68.25,
/// quartiles 67.125 and 69.375, min 65.5, max 71.
pub const PLAIN_ACCURACY: [f64; 10] = [66.0, 67.5, 68.0, 69.0, 70.5, 65.5, 68.5, 67.0, 69.5, 71.0];

/// An experiment with results repeated over seeds (`*_per_seed`, with claims
/// on the metrics without the suffix) and per-layer timings of heml and a
/// peer (`layer_time_ms`, claims on three layers), plus timings that stay in
/// the per-stage chart (`keygen_ms`; `rotate_ms`, in two stages but of one
/// scheme and without a claim).
pub fn seeds_and_layers() -> ExperimentRecord {
    let id = "cs21-lr";
    let mut e = experiment(id, ExperimentState::Done);
    for (seed, plain) in PLAIN_ACCURACY.iter().enumerate() {
        let mut r = row(id, "lr_plain_accuracy_per_seed", *plain, "%");
        r.step = Some(seed as i64);
        r.stage = "plain".into();
        r.scheme = "plaintext".into();
        e.measurements.push(r);
        let mut r = row(id, "lr_enceval_accuracy_per_seed", plain - 0.5, "%");
        r.step = Some(seed as i64);
        r.stage = "encrypted".into();
        r.scheme = "ckks".into();
        e.measurements.push(r);
        let mut r = row(
            id,
            "lr_enceval_agreement_per_seed",
            99.0 + 0.1 * seed as f64,
            "%",
        );
        r.step = Some(seed as i64);
        r.stage = "encrypted".into();
        r.scheme = "ckks".into();
        e.measurements.push(r);
    }
    for (metric, value, paper, claim_id) in [
        ("lr_plain_accuracy", 68.25, 68.1, "CS21-LR-plain"),
        ("lr_enceval_accuracy", 67.75, 67.4, "CS21-LR-enceval"),
    ] {
        let mut r = row(id, metric, value, "%");
        r.claim = Some(claim_id.into());
        r.paper_value = Some(paper);
        r.tolerance = Some("± 2 points".into());
        r.verdict = Verdict::Reproduced;
        e.measurements.push(r);
    }
    // heml about 100x faster than TenSEAL, the paper about TenSEAL's speed.
    for (stage, heml, tenseal, paper) in [
        ("conv", 9.0, 950.0, Some(1200.0)),
        ("square1", 1.5, 160.0, None),
        ("fc1", 4.0, 420.0, Some(510.0)),
        ("square2", 0.8, 90.0, None),
        ("fc2", 0.6, 70.0, Some(64.0)),
    ] {
        for (scheme, value) in [("ckks", heml), ("tenseal", tenseal)] {
            let mut r = row(id, "layer_time_ms", value, "ms");
            r.kind = MetricKind::Time;
            r.stage = stage.into();
            r.scheme = scheme.into();
            e.measurements.push(r);
        }
        if let Some(paper) = paper {
            let mut r = row(id, "layer_time_ms", heml, "ms");
            r.kind = MetricKind::Time;
            r.stage = stage.into();
            r.scheme = "ckks".into();
            r.claim = Some(format!("CS21-{stage}"));
            r.paper_value = Some(paper);
            e.measurements.push(r);
        }
    }
    for (stage, metric, value) in [
        ("keygen", "keygen_ms", 850.0),
        ("conv", "rotate_ms", 2.5),
        ("fc1", "rotate_ms", 2.7),
    ] {
        let mut r = row(id, metric, value, "ms");
        r.kind = MetricKind::Time;
        r.stage = stage.into();
        r.scheme = "ckks".into();
        e.measurements.push(r);
    }
    e
}
