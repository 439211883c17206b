//! Regression check of a run against a committed baseline run.
//!
//! Quality and verdicts are compared as they are; timings after dividing by
//! each run's calibration workload, so that a slower machine does not fail
//! the check but a slower heml does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::record::{Measurement, MetricKind};
use super::run::{ExperimentRecord, ExperimentState, RunInfo};

/// Limits of the check.
#[derive(Debug, Clone, Copy)]
pub struct CheckLimits {
    /// Allowed drop of a quality metric in percentage points (unit `%`).
    pub quality_points: f64,
    /// Allowed relative drop of other quality metrics.
    pub quality_relative: f64,
    /// A calibrated timing may be this many times the baseline's.
    pub time_factor: f64,
}

impl Default for CheckLimits {
    fn default() -> Self {
        CheckLimits {
            quality_points: 1.0,
            quality_relative: 0.02,
            time_factor: 2.5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Better,
    Worse,
    Missing,
    New,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckRow {
    pub experiment: String,
    pub key: String,
    pub baseline: Option<f64>,
    pub run: Option<f64>,
    pub unit: String,
    pub change: String,
    pub status: Status,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub rows: Vec<CheckRow>,
    pub failures: usize,
    /// Experiments of the baseline the run did not attempt.
    pub not_run: Vec<String>,
    /// Run time / baseline time of the calibration workload.
    pub calibration_ratio: Option<f64>,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.failures == 0
    }

    /// A plain-text table of everything that changed, failures first.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(r) = self.calibration_ratio {
            let _ = writeln!(
                out,
                "calibration: this machine takes {r:.2}x the baseline machine's time"
            );
        }
        let mut rows: Vec<&CheckRow> = self
            .rows
            .iter()
            .filter(|r| r.status != Status::Ok)
            .collect();
        rows.sort_by_key(|r| !matches!(r.status, Status::Worse | Status::Missing));
        if rows.is_empty() {
            let _ = writeln!(
                out,
                "{} measurements compared, none changed beyond its limit",
                self.rows.len()
            );
        } else {
            let _ = writeln!(
                out,
                "{:<7} {:<22} {:<48} {:>12} {:>12} {:<10} reason",
                "status", "experiment", "measurement", "baseline", "run", "change"
            );
            for r in rows {
                let f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into());
                let _ = writeln!(
                    out,
                    "{:<7} {:<22} {:<48} {:>12} {:>12} {:<10} {}",
                    format!("{:?}", r.status).to_lowercase(),
                    r.experiment,
                    r.key,
                    f(r.baseline),
                    f(r.run),
                    r.change,
                    r.reason
                );
            }
        }
        for e in &self.not_run {
            let _ = writeln!(
                out,
                "note: experiment {e} is in the baseline but not in this run"
            );
        }
        let _ = writeln!(
            out,
            "{}",
            if self.passed() {
                "check passed".to_string()
            } else {
                format!("check FAILED: {} regression(s)", self.failures)
            }
        );
        out
    }
}

fn key(m: &Measurement) -> String {
    let mut k = format!("{}/{}", m.stage, m.metric);
    // heml's and a peer's rows of one metric are different measurements.
    if is_peer(m) {
        k = format!("{k} ({})", m.scheme);
    }
    if let Some(c) = &m.claim {
        k = format!("{k} [{c}]");
    }
    if let Some(s) = m.step {
        k = format!("{k} @{s}");
    }
    k
}

/// Rows a peer library measured in the same run (TenSEAL, python-paillier):
/// compared and shown, but a slower or absent peer is not a heml regression.
fn is_peer(m: &Measurement) -> bool {
    !matches!(
        m.scheme.as_str(),
        "plaintext" | "ckks" | "paillier" | "intvec" | ""
    )
}

/// Rows that `check` compares: everything but series points that carry no claim.
fn comparable(m: &Measurement) -> bool {
    m.step.is_none() || m.claim.is_some()
}

pub fn compare(
    base_info: &RunInfo,
    base: &[ExperimentRecord],
    run_info: &RunInfo,
    run: &[ExperimentRecord],
    limits: CheckLimits,
) -> CheckReport {
    let calibration_ratio = match (&base_info.calibration, &run_info.calibration) {
        (Some(b), Some(r)) if b.elapsed_ms > 0.0 => Some(r.elapsed_ms / b.elapsed_ms),
        _ => None,
    };
    let cal = calibration_ratio.unwrap_or(1.0);
    let run_by_id: BTreeMap<&str, &ExperimentRecord> =
        run.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut rows = Vec::new();
    let mut not_run = Vec::new();
    for b in base {
        let Some(r) = run_by_id.get(b.id.as_str()) else {
            not_run.push(b.id.clone());
            continue;
        };
        if b.state == ExperimentState::Done && r.state != ExperimentState::Done {
            rows.push(CheckRow {
                experiment: b.id.clone(),
                key: "state".into(),
                baseline: None,
                run: None,
                unit: String::new(),
                change: "failed".into(),
                status: Status::Worse,
                reason: r
                    .error
                    .clone()
                    .unwrap_or_else(|| "the experiment did not finish".into()),
            });
            continue;
        }
        let run_rows: BTreeMap<String, &Measurement> = r
            .measurements
            .iter()
            .filter(|m| comparable(m))
            .map(|m| (key(m), m))
            .collect();
        let mut seen = BTreeSet::new();
        for bm in b.measurements.iter().filter(|m| comparable(m)) {
            let k = key(bm);
            seen.insert(k.clone());
            let row = match run_rows.get(&k) {
                None => CheckRow {
                    experiment: b.id.clone(),
                    key: k,
                    baseline: Some(bm.value),
                    run: None,
                    unit: bm.unit.clone(),
                    change: "-".into(),
                    status: Status::Missing,
                    reason: "measured in the baseline, not in this run".into(),
                },
                Some(rm) => judge(&b.id, k, bm, rm, cal, limits),
            };
            let row = if is_peer(bm) && matches!(row.status, Status::Worse | Status::Missing) {
                CheckRow {
                    status: Status::Ok,
                    reason: format!(
                        "{} (a peer library's row: not a heml regression)",
                        row.reason
                    ),
                    ..row
                }
            } else {
                row
            };
            rows.push(row);
        }
        for (k, rm) in &run_rows {
            if !seen.contains(k) {
                rows.push(CheckRow {
                    experiment: b.id.clone(),
                    key: k.clone(),
                    baseline: None,
                    run: Some(rm.value),
                    unit: rm.unit.clone(),
                    change: "new".into(),
                    status: Status::New,
                    reason: "not in the baseline".into(),
                });
            }
        }
    }
    let failures = rows
        .iter()
        .filter(|r| matches!(r.status, Status::Worse | Status::Missing))
        .count();
    CheckReport {
        rows,
        failures,
        not_run,
        calibration_ratio,
    }
}

fn judge(
    exp: &str,
    key: String,
    b: &Measurement,
    r: &Measurement,
    cal: f64,
    l: CheckLimits,
) -> CheckRow {
    let mut status = Status::Ok;
    let mut reason = String::new();
    let (bv, rv) = (b.value, r.value);
    let mut change = if bv != 0.0 && bv.is_finite() && rv.is_finite() {
        format!("{:+.1}%", 100.0 * (rv - bv) / bv.abs())
    } else {
        format!("{:+.4}", rv - bv)
    };
    match b.kind {
        MetricKind::Quality => {
            let allowed = if b.unit == "%" {
                l.quality_points
            } else {
                l.quality_relative * bv.abs()
            };
            if rv.is_nan() || rv < bv - allowed {
                status = Status::Worse;
                reason = format!("dropped by more than {allowed:.4} {}", b.unit);
            } else if rv > bv + allowed {
                status = Status::Better;
            }
        }
        MetricKind::Error => {
            let counted = matches!(b.unit.as_str(), "images" | "count" | "rows");
            let allowed = if counted { 0.0 } else { bv.abs().max(1e-12) };
            if rv.is_nan() || rv > bv + allowed {
                status = Status::Worse;
                reason = format!("error grew beyond {:.4e} {}", bv + allowed, b.unit);
            } else if rv < bv - allowed {
                status = Status::Better;
            }
        }
        MetricKind::Time | MetricKind::Rate => {
            // Express both as "time per unit of work" normalised by calibration.
            let ratio = if b.kind == MetricKind::Time {
                rv / (bv * cal)
            } else {
                bv / (rv * cal)
            };
            change = format!("{ratio:.2}x calibrated");
            if ratio.is_nan() || ratio > l.time_factor {
                status = Status::Worse;
                reason = format!(
                    "slower than {}x the baseline after calibration",
                    l.time_factor
                );
            } else if ratio < 1.0 / l.time_factor {
                status = Status::Better;
            }
        }
        MetricKind::Info => {}
    }
    if r.verdict.rank() < b.verdict.rank() && status != Status::Worse {
        status = Status::Worse;
        reason = format!(
            "verdict went from {} to {}",
            b.verdict.as_str(),
            r.verdict.as_str()
        );
    }
    CheckRow {
        experiment: exp.to_string(),
        key,
        baseline: Some(bv),
        run: Some(rv),
        unit: b.unit.clone(),
        change,
        status,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::record::Verdict;
    use crate::results::run::Calibration;

    fn m(metric: &str, kind: MetricKind, value: f64, unit: &str, verdict: Verdict) -> Measurement {
        Measurement {
            experiment: "e".into(),
            claim: None,
            metric: metric.into(),
            kind,
            value,
            unit: unit.into(),
            step: None,
            paper_value: None,
            tolerance: None,
            verdict,
            scheme: "paillier".into(),
            parameters: "{}".into(),
            security: "112-bit".into(),
            stage: "s".into(),
            threads: 1,
            seed: 1,
            profile: "quick".into(),
            git_commit: "x".into(),
            timestamp: "t".into(),
            note: String::new(),
        }
    }

    fn rec(ms: Vec<Measurement>) -> ExperimentRecord {
        ExperimentRecord {
            id: "e".into(),
            title: "t".into(),
            spec_path: "e.yaml".into(),
            paper: "p".into(),
            state: ExperimentState::Done,
            error: None,
            spec_sha256: "a".into(),
            code_sha256: "b".into(),
            profile: "quick".into(),
            started: "t".into(),
            elapsed_s: 1.0,
            reused_from: None,
            security: "112-bit".into(),
            warnings: vec![],
            measurements: ms,
        }
    }

    fn info(cal_ms: f64) -> RunInfo {
        RunInfo {
            calibration: Some(Calibration {
                workload: "w".into(),
                elapsed_ms: cal_ms,
            }),
            ..RunInfo::default()
        }
    }

    fn baseline() -> Vec<Measurement> {
        vec![
            m("acc", MetricKind::Quality, 92.5, "%", Verdict::Reproduced),
            m(
                "differing_predictions",
                MetricKind::Error,
                0.0,
                "images",
                Verdict::Reproduced,
            ),
            m(
                "encrypt_ms",
                MetricKind::Time,
                100.0,
                "ms",
                Verdict::Measured,
            ),
        ]
    }

    #[test]
    fn the_same_numbers_pass() {
        let r = compare(
            &info(10.0),
            &[rec(baseline())],
            &info(10.0),
            &[rec(baseline())],
            CheckLimits::default(),
        );
        assert!(r.passed(), "{}", r.render());
    }

    #[test]
    fn a_wrong_model_fails() {
        let mut run = baseline();
        run[0].value = 85.0;
        run[0].verdict = Verdict::Deviates;
        run[1].value = 12.0;
        let r = compare(
            &info(10.0),
            &[rec(baseline())],
            &info(10.0),
            &[rec(run)],
            CheckLimits::default(),
        );
        assert_eq!(r.failures, 2, "{}", r.render());
        assert!(r.render().contains("differing_predictions"));
    }

    #[test]
    fn a_slower_machine_passes_but_slower_code_fails() {
        let mut run = baseline();
        run[2].value = 300.0;
        // The calibration workload also took 3x: the machine is slower.
        let slow_machine = compare(
            &info(10.0),
            &[rec(baseline())],
            &info(30.0),
            &[rec(run.clone())],
            CheckLimits::default(),
        );
        assert!(slow_machine.passed(), "{}", slow_machine.render());
        let slow_code = compare(
            &info(10.0),
            &[rec(baseline())],
            &info(10.0),
            &[rec(run)],
            CheckLimits::default(),
        );
        assert!(!slow_code.passed());
    }

    #[test]
    fn a_missing_measurement_or_failed_experiment_fails() {
        let mut run = rec(baseline()[..2].to_vec());
        let r = compare(
            &info(10.0),
            &[rec(baseline())],
            &info(10.0),
            std::slice::from_ref(&run),
            CheckLimits::default(),
        );
        assert_eq!(r.failures, 1);
        run.state = ExperimentState::Failed;
        let r = compare(
            &info(10.0),
            &[rec(baseline())],
            &info(10.0),
            &[run],
            CheckLimits::default(),
        );
        assert_eq!(r.failures, 1);
    }

    #[test]
    fn a_peers_rows_are_kept_apart_and_never_fail_the_check() {
        let mut heml = baseline()[2].clone();
        heml.scheme = "ckks".into();
        let mut peer = heml.clone();
        peer.scheme = "tenseal".into();
        peer.value = 5000.0;
        let base = vec![heml.clone(), peer.clone()];
        // The peer is 10x slower and then absent: both pass; heml's own row still counts.
        let mut slower = peer.clone();
        slower.value = 50000.0;
        let r = compare(
            &info(10.0),
            &[rec(base.clone())],
            &info(10.0),
            &[rec(vec![heml.clone(), slower])],
            CheckLimits::default(),
        );
        assert!(r.passed(), "{}", r.render());
        assert_eq!(r.rows.len(), 2, "{}", r.render());
        let r = compare(
            &info(10.0),
            &[rec(base.clone())],
            &info(10.0),
            &[rec(vec![heml.clone()])],
            CheckLimits::default(),
        );
        assert!(r.passed(), "{}", r.render());
        let mut slow_heml = heml;
        slow_heml.value *= 10.0;
        let r = compare(
            &info(10.0),
            &[rec(base)],
            &info(10.0),
            &[rec(vec![slow_heml, peer])],
            CheckLimits::default(),
        );
        assert!(!r.passed());
    }
}
