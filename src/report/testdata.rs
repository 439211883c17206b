//! Small builders of report inputs for the unit tests.

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
