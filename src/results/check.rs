//! Regression check of a run against committed baselines, one per machine class.
//!
//! A baseline is a quick run kept in `results/baselines/<class>/`, where the
//! class ([`MachineClass`]) is the CPU (CPUID vendor, family, model) and the
//! arithmetic kernel that served it: timings of two classes say more about the
//! machines than about heml (an AVX2 CPU runs the NTT 2.5-4x slower than an
//! AVX-512 IFMA one, and the calibration workload, GMP and f64, cannot see it).
//! Among the baselines of the run's profile, [`compare`] picks:
//!
//! - the **same-class baseline**: the one of the run's own class (known vendor,
//!   family, model and kernel), if there is one;
//! - the **reference baseline**: the same-class one, else the first by name of
//!   those with the run's kernel, else the first by name of all.
//!
//! Every row of the reference is then judged by one rule, named in
//! [`CheckRow::judged_by`]:
//!
//! - **Quality, error counts and verdicts** always against the reference
//!   ([`JudgedBy::SameClassBaseline`] or [`JudgedBy::ReferenceBaseline`]): an
//!   accuracy that drops by more than its limit, an error that grows or a
//!   verdict that gets worse fails, on any machine.
//! - **Timings and rates with a same-class baseline**: divided by each run's
//!   calibration workload and compared; slower than `time_factor` times the
//!   baseline fails ([`JudgedBy::SameClassBaseline`]).
//! - **Timings and rates without one** ([`JudgedBy::PeerRatio`]): heml's row is
//!   divided by the peer library's row of the same stage, metric and step
//!   measured in the same run (TenSEAL, python-paillier: see `is_peer`), which
//!   cancels the machine. That cost ratio (heml time / peer time; peer rate /
//!   heml rate) fails when it exceeds `time_factor` times the same ratio in a
//!   baseline of the run's kernel (the first by name that has both rows). The
//!   ratio moves with the kernel (heml / TenSEAL is 0.2-0.6 on AVX-512 IFMA and
//!   0.4-1.6 on AVX2), so baselines of other kernels are never asked; when no
//!   baseline of the kernel has the ratio, heml fails only if it is more than
//!   `time_factor` times slower than the peer.
//! - **Timings with neither** (no same-class baseline, no peer row in the run)
//!   are [`Status::NotJudged`]: printed, never a failure. So are a peer's own
//!   timings on another class (they are only the denominators).
//!
//! A row of the reference that the run lacks fails (a peer's is only noted),
//! as does an experiment that finished in the reference and not in the run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

use serde::Serialize;

use super::record::{Measurement, MetricKind};
use super::run::{ExperimentRecord, ExperimentState, MachineClass, RunInfo};

/// Limits of the check.
#[derive(Debug, Clone, Copy)]
pub struct CheckLimits {
    /// Allowed drop of a quality metric in percentage points (unit `%`).
    pub quality_points: f64,
    /// Allowed relative drop of other quality metrics.
    pub quality_relative: f64,
    /// A calibrated timing may be this many times the same-class baseline's,
    /// and a ratio to a peer this many times the baseline's ratio.
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

/// A baseline run: the folder it was read from and its contents.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The folder's name (its class slug under `results/baselines/`) or path.
    pub name: String,
    pub info: RunInfo,
    pub experiments: Vec<ExperimentRecord>,
}

impl Baseline {
    pub fn class(&self) -> MachineClass {
        self.info.machine.machine_class()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    #[error(
        "no baseline to compare with: make one from a quick run with `heml baseline RUN` \
         (it goes to results/baselines/<machine class>/)"
    )]
    NoBaseline,
    #[error(
        "no baseline of the {profile} profile (there are: {}): compare runs of the same \
         profile, or make one with `heml baseline RUN`",
        available.iter().map(|(n, p)| format!("{n} ({p})")).collect::<Vec<_>>().join(", ")
    )]
    NoBaselineOfProfile {
        profile: String,
        /// Every baseline's name and profile.
        available: Vec<(String, String)>,
    },
}

/// Why the reference baseline was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceRule {
    /// The run's own class.
    SameClass,
    /// Another CPU, the run's kernel: the first such baseline by name.
    SameKernel,
    /// No baseline of the run's class or kernel: the first baseline by name.
    FirstByName,
}

/// A baseline the check used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineUsed {
    pub name: String,
    pub class: MachineClass,
}

/// The rule that judged a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum JudgedBy {
    /// The baseline of the run's own class (timings after calibration).
    SameClassBaseline { class: MachineClass },
    /// heml's cost relative to `peer` in this run, against the same ratio in a
    /// baseline of class `baseline` (the run's kernel), or, when `None`, against
    /// the bound "at most `time_factor` times the peer's time".
    PeerRatio {
        peer: String,
        baseline: Option<MachineClass>,
    },
    /// The reference baseline of another class (quality, errors, verdicts).
    ReferenceBaseline { class: MachineClass },
    /// A timing without a same-class baseline or a peer to divide by.
    NotJudged,
}

impl fmt::Display for JudgedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JudgedBy::SameClassBaseline { class } => write!(f, "same class {}", class.slug()),
            JudgedBy::PeerRatio {
                peer,
                baseline: Some(class),
            } => write!(f, "ratio to {peer}, as in {}", class.slug()),
            JudgedBy::PeerRatio {
                peer,
                baseline: None,
            } => write!(f, "ratio to {peer}, bound"),
            JudgedBy::ReferenceBaseline { class } => write!(f, "reference {}", class.slug()),
            JudgedBy::NotJudged => f.write_str("not judged"),
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
    /// A timing no rule could judge: printed, never a failure.
    NotJudged,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Better => "better",
            Status::Worse => "worse",
            Status::Missing => "missing",
            Status::New => "new",
            Status::NotJudged => "not judged",
        }
    }

    fn fails(self) -> bool {
        matches!(self, Status::Worse | Status::Missing)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckRow {
    pub experiment: String,
    pub key: String,
    /// The baseline's value, or for a peer ratio the baseline's ratio.
    pub baseline: Option<f64>,
    /// The run's value, or for a peer ratio the run's ratio.
    pub run: Option<f64>,
    pub unit: String,
    pub change: String,
    pub status: Status,
    pub judged_by: JudgedBy,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// The class of the checked run.
    pub run_class: MachineClass,
    /// The baseline of the run's class, when there is one: it judged the timings.
    pub same_class: Option<BaselineUsed>,
    /// The baseline that judged quality, errors and verdicts, and why it.
    pub reference: BaselineUsed,
    pub reference_rule: ReferenceRule,
    /// Baselines that gave heml / peer ratios (the run's kernel), by name.
    pub ratio_baselines: Vec<BaselineUsed>,
    /// Baselines left out because they are of another profile.
    pub ignored: Vec<String>,
    pub rows: Vec<CheckRow>,
    pub failures: usize,
    /// Experiments of the reference the run did not attempt.
    pub not_run: Vec<String>,
    /// Experiments of the run the reference does not have (not checked).
    pub not_in_baseline: Vec<String>,
    /// Run time / same-class baseline time of the calibration workload.
    pub calibration_ratio: Option<f64>,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.failures == 0
    }

    fn count(&self, status: Status) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }

    /// The baselines and rules, then a table of everything that changed or was
    /// not judged, failures first.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "run class: {} ({})",
            self.run_class.slug(),
            self.run_class
        );
        match &self.same_class {
            Some(b) => {
                let _ = write!(out, "timings: against baseline {} (same class)", b.name);
                match self.calibration_ratio {
                    Some(r) => {
                        let _ = writeln!(
                            out,
                            ", calibrated: this machine takes {r:.2}x the baseline's time"
                        );
                    }
                    None => out.push_str(", uncalibrated (a run has no calibration)\n"),
                }
            }
            None => {
                let _ = writeln!(
                    out,
                    "timings: no baseline of class {}: heml's timings are judged by their ratio \
                     to the peer measured in this run, against {}; timings without a peer are \
                     not judged",
                    self.run_class.slug(),
                    if self.ratio_baselines.is_empty() {
                        "the bound of the time factor (no baseline of this kernel)".to_string()
                    } else {
                        format!(
                            "the ratio in the baseline(s) of this kernel {}",
                            self.ratio_baselines
                                .iter()
                                .map(|b| b.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                );
            }
        }
        let why = match self.reference_rule {
            ReferenceRule::SameClass => "the run's class".to_string(),
            ReferenceRule::SameKernel => format!(
                "class {}: another CPU, the same kernel",
                self.reference.class.slug()
            ),
            ReferenceRule::FirstByName => format!(
                "class {}: no baseline of this class or kernel, the first by name",
                self.reference.class.slug()
            ),
        };
        let _ = writeln!(
            out,
            "quality, errors and verdicts: against baseline {} ({why})",
            self.reference.name
        );
        for name in &self.ignored {
            let _ = writeln!(out, "note: baseline {name} is of another profile, not used");
        }
        let mut rows: Vec<&CheckRow> = self
            .rows
            .iter()
            .filter(|r| !matches!(r.status, Status::Ok | Status::NotJudged))
            .collect();
        rows.sort_by_key(|r| !r.status.fails());
        if rows.is_empty() {
            let _ = writeln!(
                out,
                "{} measurements compared, none changed beyond its limit",
                self.rows.len()
            );
        } else {
            let _ = writeln!(
                out,
                "{:<10} {:<22} {:<48} {:>12} {:>12} {:<24} {:<50} reason",
                "status", "experiment", "measurement", "baseline", "run", "change", "judged by"
            );
            for r in rows {
                let f = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into());
                let _ = writeln!(
                    out,
                    "{:<10} {:<22} {:<48} {:>12} {:>12} {:<24} {:<50} {}",
                    r.status.label(),
                    r.experiment,
                    r.key,
                    f(r.baseline),
                    f(r.run),
                    r.change,
                    r.judged_by.to_string(),
                    r.reason
                );
            }
        }
        // Rows no rule judged, by reason, then by experiment: one line each.
        let mut not_judged: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
        for r in self.rows.iter().filter(|r| r.status == Status::NotJudged) {
            not_judged
                .entry(r.reason.as_str())
                .or_default()
                .entry(r.experiment.as_str())
                .or_default()
                .push(r.key.as_str());
        }
        for (reason, by_experiment) in &not_judged {
            let n: usize = by_experiment.values().map(Vec::len).sum();
            let _ = writeln!(out, "not judged ({reason}): {n} row(s)");
            for (experiment, keys) in by_experiment {
                let _ = writeln!(out, "  {experiment}: {}", keys.join(", "));
            }
        }
        let judged =
            |p: fn(&JudgedBy) -> bool| self.rows.iter().filter(|r| p(&r.judged_by)).count();
        let _ = writeln!(
            out,
            "{} rows: {} by the same-class baseline, {} by peer ratio, {} by the reference \
             baseline, {} not judged",
            self.rows.len(),
            judged(|j| matches!(j, JudgedBy::SameClassBaseline { .. })),
            judged(|j| matches!(j, JudgedBy::PeerRatio { .. })),
            judged(|j| matches!(j, JudgedBy::ReferenceBaseline { .. })),
            self.count(Status::NotJudged),
        );
        for e in &self.not_run {
            let _ = writeln!(
                out,
                "note: experiment {e} is in the baseline but not in this run"
            );
        }
        for e in &self.not_in_baseline {
            let _ = writeln!(
                out,
                "note: experiment {e} is not in the baseline {}: not checked",
                self.reference.name
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

fn is_timing(m: &Measurement) -> bool {
    matches!(m.kind, MetricKind::Time | MetricKind::Rate)
}

/// The peer's row of heml's row `m` in `rows`: the same stage, metric, step,
/// kind and unit (the claim may differ), by `scheme` or, when `None`, by the
/// first peer by scheme name.
fn peer_row<'a>(
    rows: &'a [Measurement],
    m: &Measurement,
    scheme: Option<&str>,
) -> Option<&'a Measurement> {
    rows.iter()
        .filter(|p| {
            is_peer(p)
                && scheme.is_none_or(|s| p.scheme == s)
                && p.stage == m.stage
                && p.metric == m.metric
                && p.step == m.step
                && p.kind == m.kind
                && p.unit == m.unit
        })
        .min_by(|a, b| a.scheme.cmp(&b.scheme))
}

/// heml's cost relative to the peer: heml time / peer time, or peer rate / heml
/// rate; above 1 heml is slower. `None` unless both are positive numbers.
fn cost_ratio(heml: &Measurement, peer: &Measurement) -> Option<f64> {
    let (h, p) = (heml.value, peer.value);
    if !(h.is_finite() && p.is_finite() && h > 0.0 && p > 0.0) {
        return None;
    }
    Some(if heml.kind == MetricKind::Rate {
        p / h
    } else {
        h / p
    })
}

/// Which baselines judge what, chosen from `baselines` for a run.
struct Choice<'a> {
    same_class: Option<&'a Baseline>,
    reference: &'a Baseline,
    reference_rule: ReferenceRule,
    /// The run's kernel, the order they are asked in.
    ratio_sources: Vec<&'a Baseline>,
    ignored: Vec<String>,
    /// How rows judged by the reference say so.
    reference_judge: JudgedBy,
}

fn choose<'a>(run_info: &RunInfo, baselines: &'a [Baseline]) -> Result<Choice<'a>, CheckError> {
    if baselines.is_empty() {
        return Err(CheckError::NoBaseline);
    }
    let mut candidates: Vec<&Baseline> = baselines
        .iter()
        .filter(|b| b.info.profile == run_info.profile)
        .collect();
    candidates.sort_by(|a, b| a.name.cmp(&b.name));
    let ignored: Vec<String> = baselines
        .iter()
        .filter(|b| b.info.profile != run_info.profile)
        .map(|b| b.name.clone())
        .collect();
    let run_class = run_info.machine.machine_class();
    let same_class = run_class
        .is_identified()
        .then(|| candidates.iter().copied().find(|b| b.class() == run_class))
        .flatten();
    let same_kernel: Vec<&Baseline> = match run_class.kernel {
        Some(k) => candidates
            .iter()
            .copied()
            .filter(|b| b.class().kernel == Some(k))
            .collect(),
        None => Vec::new(),
    };
    let (reference, reference_rule) = match (same_class, same_kernel.first(), candidates.first()) {
        (Some(b), _, _) => (b, ReferenceRule::SameClass),
        (None, Some(b), _) => (*b, ReferenceRule::SameKernel),
        (None, None, Some(b)) => (*b, ReferenceRule::FirstByName),
        (None, None, None) => {
            return Err(CheckError::NoBaselineOfProfile {
                profile: run_info.profile.clone(),
                available: baselines
                    .iter()
                    .map(|b| (b.name.clone(), b.info.profile.clone()))
                    .collect(),
            });
        }
    };
    let reference_judge = if same_class.is_some() {
        JudgedBy::SameClassBaseline {
            class: reference.class(),
        }
    } else {
        JudgedBy::ReferenceBaseline {
            class: reference.class(),
        }
    };
    Ok(Choice {
        same_class,
        reference,
        reference_rule,
        ratio_sources: same_kernel,
        ignored,
        reference_judge,
    })
}

/// Compares a run with the baselines (see the module's doc for the rules).
pub fn compare(
    run_info: &RunInfo,
    run: &[ExperimentRecord],
    baselines: &[Baseline],
    limits: CheckLimits,
) -> Result<CheckReport, CheckError> {
    let choice = choose(run_info, baselines)?;
    let run_class = run_info.machine.machine_class();
    let calibration_ratio =
        choice
            .same_class
            .and_then(|b| match (&b.info.calibration, &run_info.calibration) {
                (Some(b), Some(r)) if b.elapsed_ms > 0.0 => Some(r.elapsed_ms / b.elapsed_ms),
                _ => None,
            });
    let cal = calibration_ratio.unwrap_or(1.0);
    let reference = choice.reference;
    let reference_judge = &choice.reference_judge;
    let run_by_id: BTreeMap<&str, &ExperimentRecord> =
        run.iter().map(|e| (e.id.as_str(), e)).collect();
    let ref_ids: BTreeSet<&str> = reference
        .experiments
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    let mut rows = Vec::new();
    let mut not_run = Vec::new();
    for b in &reference.experiments {
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
                judged_by: reference_judge.clone(),
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
                    judged_by: reference_judge.clone(),
                    reason: "measured in the baseline, not in this run".into(),
                },
                Some(rm) if is_timing(bm) && choice.same_class.is_none() => {
                    judge_without_class(&b.id, k, bm, rm, r, &choice, limits)
                }
                Some(rm) => judge(&b.id, k, bm, rm, cal, limits, reference_judge.clone()),
            };
            let row = if is_peer(bm) && row.status.fails() {
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
                    judged_by: JudgedBy::NotJudged,
                    reason: "not in the baseline".into(),
                });
            }
        }
    }
    let not_in_baseline = run
        .iter()
        .filter(|e| !ref_ids.contains(e.id.as_str()))
        .map(|e| e.id.clone())
        .collect();
    let failures = rows.iter().filter(|r| r.status.fails()).count();
    let used = |b: &Baseline| BaselineUsed {
        name: b.name.clone(),
        class: b.class(),
    };
    Ok(CheckReport {
        run_class,
        same_class: choice.same_class.map(used),
        reference: used(reference),
        reference_rule: choice.reference_rule,
        ratio_baselines: if choice.same_class.is_some() {
            Vec::new()
        } else {
            choice.ratio_sources.iter().map(|b| used(b)).collect()
        },
        ignored: choice.ignored,
        rows,
        failures,
        not_run,
        not_in_baseline,
        calibration_ratio,
    })
}

/// A timing or rate row when no baseline of the run's class exists: by its
/// ratio to the peer in the same run, else not judged. A timing of heml that
/// has no value (measured in the reference) and a verdict that got worse than
/// the reference's fail whatever the rule.
fn judge_without_class(
    exp: &str,
    key: String,
    bm: &Measurement,
    rm: &Measurement,
    run: &ExperimentRecord,
    choice: &Choice<'_>,
    l: CheckLimits,
) -> CheckRow {
    let not_judged = |reason: String| CheckRow {
        experiment: exp.to_string(),
        key: key.clone(),
        baseline: Some(bm.value),
        run: Some(rm.value),
        unit: bm.unit.clone(),
        change: "-".into(),
        status: Status::NotJudged,
        judged_by: JudgedBy::NotJudged,
        reason,
    };
    let mut row = if !is_peer(rm) && rm.value.is_nan() && !bm.value.is_nan() {
        CheckRow {
            change: "not measured".into(),
            status: Status::Worse,
            judged_by: choice.reference_judge.clone(),
            reason: "measured in the baseline, no value in this run".into(),
            ..not_judged(String::new())
        }
    } else if is_peer(rm) {
        not_judged(
            "a peer library's timing on another machine class: only the denominator of heml's \
             ratios"
                .into(),
        )
    } else {
        match peer_row(&run.measurements, rm, None) {
            None => not_judged(
                "no baseline of this machine class and no peer row in this run to divide by".into(),
            ),
            Some(peer) => match cost_ratio(rm, peer) {
                None => not_judged(format!(
                    "heml's or the {} row has no positive value to divide",
                    peer.scheme
                )),
                Some(run_ratio) => peer_ratio_row(exp, key.clone(), peer, run_ratio, choice, l),
            },
        }
    };
    if rm.verdict.rank() < bm.verdict.rank() && !row.status.fails() {
        row.status = Status::Worse;
        row.reason = format!(
            "verdict went from {} to {}",
            bm.verdict.as_str(),
            rm.verdict.as_str()
        );
    }
    row
}

/// heml / peer in this run against the same ratio in the first baseline of the
/// run's kernel that has both rows, or against the bound `time_factor`.
fn peer_ratio_row(
    exp: &str,
    key: String,
    peer: &Measurement,
    run_ratio: f64,
    choice: &Choice<'_>,
    l: CheckLimits,
) -> CheckRow {
    let from_baseline = choice.ratio_sources.iter().find_map(|b| {
        let e = b.experiments.iter().find(|e| e.id == exp)?;
        let heml = e
            .measurements
            .iter()
            .find(|m| comparable(m) && key_of_heml(m) == key)?;
        let p = peer_row(&e.measurements, heml, Some(&peer.scheme))?;
        Some((b.class(), cost_ratio(heml, p)?))
    });
    let (status, change, baseline, judged_class, reason) = match from_baseline {
        Some((class, base_ratio)) => {
            let rel = run_ratio / base_ratio;
            let status = if rel > l.time_factor {
                Status::Worse
            } else if rel < 1.0 / l.time_factor {
                Status::Better
            } else {
                Status::Ok
            };
            let reason = if status == Status::Worse {
                format!(
                    "heml/{} is {rel:.2}x the baseline's ratio (limit {}x)",
                    peer.scheme, l.time_factor
                )
            } else {
                String::new()
            };
            (
                status,
                format!("{rel:.2}x the ratio"),
                Some(base_ratio),
                Some(class),
                reason,
            )
        }
        None => {
            let status = if run_ratio > l.time_factor {
                Status::Worse
            } else {
                Status::Ok
            };
            let reason = if status == Status::Worse {
                format!(
                    "heml takes {run_ratio:.2}x {}'s time, more than {}x (no baseline of this \
                     kernel has the ratio)",
                    peer.scheme, l.time_factor
                )
            } else {
                String::new()
            };
            (
                status,
                format!("{run_ratio:.2}x the peer"),
                None,
                None,
                reason,
            )
        }
    };
    CheckRow {
        experiment: exp.to_string(),
        key,
        baseline,
        run: Some(run_ratio),
        unit: format!("heml/{}", peer.scheme),
        change,
        status,
        judged_by: JudgedBy::PeerRatio {
            peer: peer.scheme.clone(),
            baseline: judged_class,
        },
        reason,
    }
}

/// The key of a heml row (never a peer's).
fn key_of_heml(m: &Measurement) -> String {
    if is_peer(m) { String::new() } else { key(m) }
}

fn judge(
    exp: &str,
    key: String,
    b: &Measurement,
    r: &Measurement,
    cal: f64,
    l: CheckLimits,
    judged_by: JudgedBy,
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
        judged_by,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::he::math::kernel::Kernel;
    use crate::results::record::Verdict;
    use crate::results::run::{Calibration, MachineInfo};

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
            kernel: Some(Kernel::Avx2),
            security: "112-bit".into(),
            warnings: vec![],
            measurements: ms,
        }
    }

    /// A Zen 3 (AVX2), a Zen 4 with IFMA and an Intel AVX2 core.
    fn zen3(kernel: Kernel) -> MachineInfo {
        machine("AuthenticAMD", 25, 1, kernel)
    }

    fn machine(vendor: &str, family: u32, model: u32, kernel: Kernel) -> MachineInfo {
        MachineInfo {
            cpu_vendor: vendor.into(),
            cpu_family: family,
            cpu_model: model,
            arith_kernel: Some(kernel),
            ..MachineInfo::default()
        }
    }

    fn info_on(cal_ms: f64, machine: MachineInfo) -> RunInfo {
        RunInfo {
            profile: "quick".into(),
            machine,
            calibration: Some(Calibration {
                workload: "w".into(),
                elapsed_ms: cal_ms,
            }),
            ..RunInfo::default()
        }
    }

    fn info(cal_ms: f64) -> RunInfo {
        info_on(cal_ms, zen3(Kernel::Avx2))
    }

    fn base(info: RunInfo, experiments: Vec<ExperimentRecord>) -> Baseline {
        Baseline {
            name: info.machine.machine_class().slug(),
            info,
            experiments,
        }
    }

    fn check(baselines: &[Baseline], run_info: &RunInfo, run: Vec<Measurement>) -> CheckReport {
        compare(run_info, &[rec(run)], baselines, CheckLimits::default()).unwrap()
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

    /// heml's CKKS timings beside TenSEAL's rows of the same stage and metric
    /// (TenSEAL's carry a claim, as in cs21-mnist), and a rate.
    fn with_peers(heml_factor: f64, peer_factor: f64) -> Vec<Measurement> {
        let mut rows = vec![m(
            "acc",
            MetricKind::Quality,
            98.0,
            "%",
            Verdict::Reproduced,
        )];
        for (stage, heml_s, peer_s) in [("conv", 0.04, 0.35), ("fc1", 0.07, 4.3)] {
            let mut h = m(
                "layer_s",
                MetricKind::Time,
                heml_s * heml_factor,
                "s",
                Verdict::Measured,
            );
            h.scheme = "ckks".into();
            h.stage = stage.into();
            let mut p = h.clone();
            p.scheme = "tenseal".into();
            p.value = peer_s * peer_factor;
            p.claim = Some("CS21-T3".into());
            p.verdict = Verdict::Reproduced;
            rows.extend([h, p]);
        }
        let mut rate = m(
            "images_per_hour",
            MetricKind::Rate,
            5e5 / heml_factor,
            "1/h",
            Verdict::Measured,
        );
        rate.scheme = "ckks".into();
        let mut peer_rate = rate.clone();
        peer_rate.scheme = "tenseal".into();
        peer_rate.value = 600.0 / peer_factor;
        rows.extend([rate, peer_rate]);
        rows
    }

    fn statuses(r: &CheckReport, status: Status) -> Vec<&str> {
        r.rows
            .iter()
            .filter(|row| row.status == status)
            .map(|row| row.key.as_str())
            .collect()
    }

    #[test]
    fn the_same_numbers_pass() {
        let r = check(
            &[base(info(10.0), vec![rec(baseline())])],
            &info(10.0),
            baseline(),
        );
        assert!(r.passed(), "{}", r.render());
        assert_eq!(r.reference_rule, ReferenceRule::SameClass);
        assert!(
            r.rows
                .iter()
                .all(|row| matches!(row.judged_by, JudgedBy::SameClassBaseline { .. })),
            "{}",
            r.render()
        );
        let text = r.render();
        assert!(
            text.contains("run class: authenticamd-f25-m1-avx2"),
            "{text}"
        );
        assert!(
            text.contains("timings: against baseline authenticamd-f25-m1-avx2 (same class)"),
            "{text}"
        );
    }

    #[test]
    fn a_wrong_model_fails() {
        let mut run = baseline();
        run[0].value = 85.0;
        run[0].verdict = Verdict::Deviates;
        run[1].value = 12.0;
        let r = check(&[base(info(10.0), vec![rec(baseline())])], &info(10.0), run);
        assert_eq!(r.failures, 2, "{}", r.render());
        assert!(r.render().contains("differing_predictions"));
    }

    #[test]
    fn a_slower_machine_passes_but_slower_code_fails() {
        let mut run = baseline();
        run[2].value = 300.0;
        let baselines = [base(info(10.0), vec![rec(baseline())])];
        // The calibration workload also took 3x: the machine is slower.
        let slow_machine = check(&baselines, &info(30.0), run.clone());
        assert!(slow_machine.passed(), "{}", slow_machine.render());
        let slow_code = check(&baselines, &info(10.0), run);
        assert!(!slow_code.passed());
    }

    #[test]
    fn a_missing_measurement_or_failed_experiment_fails() {
        let other_class = info_on(10.0, machine("GenuineIntel", 6, 140, Kernel::Avx2));
        for run_info in [info(10.0), other_class] {
            let baselines = [base(info(10.0), vec![rec(baseline())])];
            let mut run = rec(baseline()[..2].to_vec());
            let r = compare(
                &run_info,
                std::slice::from_ref(&run),
                &baselines,
                CheckLimits::default(),
            )
            .unwrap();
            assert_eq!(r.failures, 1, "{}", r.render());
            assert_eq!(statuses(&r, Status::Missing), ["s/encrypt_ms"]);
            run.state = ExperimentState::Failed;
            let r = compare(&run_info, &[run], &baselines, CheckLimits::default()).unwrap();
            assert_eq!(r.failures, 1, "{}", r.render());
            // A timing without a value fails too, whether or not a rule judges timings.
            let mut unmeasured = baseline();
            unmeasured[2].value = f64::NAN;
            let r = check(&baselines, &run_info, unmeasured);
            assert_eq!(
                statuses(&r, Status::Worse),
                ["s/encrypt_ms"],
                "{}",
                r.render()
            );
        }
    }

    #[test]
    fn a_peers_rows_are_kept_apart_and_never_fail_the_check() {
        let mut heml = baseline()[2].clone();
        heml.scheme = "ckks".into();
        let mut peer = heml.clone();
        peer.scheme = "tenseal".into();
        peer.value = 5000.0;
        let b = vec![heml.clone(), peer.clone()];
        let baselines = [base(info(10.0), vec![rec(b)])];
        // The peer is 10x slower and then absent: both pass; heml's own row still counts.
        let mut slower = peer.clone();
        slower.value = 50000.0;
        let r = check(&baselines, &info(10.0), vec![heml.clone(), slower]);
        assert!(r.passed(), "{}", r.render());
        assert_eq!(r.rows.len(), 2, "{}", r.render());
        let r = check(&baselines, &info(10.0), vec![heml.clone()]);
        assert!(r.passed(), "{}", r.render());
        let mut slow_heml = heml;
        slow_heml.value *= 10.0;
        let r = check(&baselines, &info(10.0), vec![slow_heml, peer]);
        assert!(!r.passed());
    }

    #[test]
    fn another_class_3x_slower_with_the_same_peer_ratios_passes() {
        // The baseline: a Zen 4 with IFMA... and one Intel core on AVX2.
        let ifma = info_on(10.0, machine("AuthenticAMD", 25, 17, Kernel::Avx512Ifma));
        let intel = info_on(10.0, machine("GenuineIntel", 6, 140, Kernel::Avx2));
        let baselines = [
            base(ifma, vec![rec(with_peers(1.0, 1.0))]),
            base(intel, vec![rec(with_peers(1.0, 1.0))]),
        ];
        // This Zen 3 on AVX2 takes 3x for everything, TenSEAL included, and its
        // calibration does not see it.
        let r = check(&baselines, &info(10.0), with_peers(3.0, 3.0));
        assert!(r.passed(), "{}", r.render());
        assert_eq!(r.same_class, None);
        // Quality against the baseline of the same kernel, and it says so.
        assert_eq!(r.reference_rule, ReferenceRule::SameKernel);
        assert_eq!(r.reference.name, "genuineintel-f6-m140-avx2");
        let ratio_rows: Vec<&CheckRow> = r
            .rows
            .iter()
            .filter(|row| matches!(row.judged_by, JudgedBy::PeerRatio { .. }))
            .collect();
        assert_eq!(ratio_rows.len(), 3, "{}", r.render());
        for row in ratio_rows {
            assert_eq!(
                row.judged_by,
                JudgedBy::PeerRatio {
                    peer: "tenseal".into(),
                    baseline: Some(baselines[1].class()),
                }
            );
            assert!((row.run.unwrap() - row.baseline.unwrap()).abs() < 1e-9);
        }
        // TenSEAL's own timings are not judged on another class; never a failure.
        assert_eq!(statuses(&r, Status::NotJudged).len(), 3, "{}", r.render());
        let text = r.render();
        assert!(
            text.contains("no baseline of class authenticamd-f25-m1-avx2"),
            "{text}"
        );
        assert!(
            text.contains("against baseline genuineintel-f6-m140-avx2 (class genuineintel-f6-m140-avx2: another CPU, the same kernel)"),
            "{text}"
        );
        // Under the calibrated rule the same numbers would have failed.
        let as_same_class = [base(info(10.0), vec![rec(with_peers(1.0, 1.0))])];
        assert!(!check(&as_same_class, &info(10.0), with_peers(3.0, 3.0)).passed());
    }

    #[test]
    fn a_deliberately_slower_kernel_fails_by_class_and_by_peer_ratio() {
        // heml 3x slower, TenSEAL unchanged, in the same run.
        let slow = with_peers(3.0, 1.0);
        // Same class: calibrated timings.
        let same = [base(info(10.0), vec![rec(with_peers(1.0, 1.0))])];
        let r = check(&same, &info(10.0), slow.clone());
        assert_eq!(r.failures, 3, "{}", r.render());
        // Another CPU, same kernel: heml / TenSEAL is 3x the baseline's ratio.
        let intel = info_on(10.0, machine("GenuineIntel", 6, 140, Kernel::Avx2));
        let other = [base(intel, vec![rec(with_peers(1.0, 1.0))])];
        let r = check(&other, &info(10.0), slow.clone());
        assert_eq!(r.failures, 3, "{}", r.render());
        assert!(
            r.rows
                .iter()
                .filter(|row| row.status == Status::Worse)
                .all(|row| matches!(row.judged_by, JudgedBy::PeerRatio { .. })),
            "{}",
            r.render()
        );
        assert!(
            r.render()
                .contains("ratio to tenseal, as in genuineintel-f6-m140-avx2")
        );
        // Only a baseline of another kernel: its ratio is not asked, and heml
        // may take at most the time factor of TenSEAL's time.
        let ifma = info_on(10.0, machine("AuthenticAMD", 25, 17, Kernel::Avx512Ifma));
        let other_kernel = [base(ifma, vec![rec(with_peers(1.0, 1.0))])];
        let r = check(&other_kernel, &info(10.0), slow);
        assert!(
            r.passed(),
            "heml is still faster than TenSEAL: {}",
            r.render()
        );
        assert_eq!(r.reference_rule, ReferenceRule::FirstByName);
        let slower_than_peer = with_peers(30.0, 1.0); // conv: 1.2 s against 0.35 s
        let r = check(&other_kernel, &info(10.0), slower_than_peer);
        let worse: Vec<&CheckRow> = r
            .rows
            .iter()
            .filter(|row| row.status == Status::Worse)
            .collect();
        assert_eq!(worse.len(), 1, "{}", r.render());
        assert_eq!(worse[0].key, "conv/layer_s");
        assert_eq!(
            worse[0].judged_by,
            JudgedBy::PeerRatio {
                peer: "tenseal".into(),
                baseline: None
            }
        );
    }

    #[test]
    fn quality_regressions_fail_whatever_the_class() {
        let ifma = info_on(10.0, machine("AuthenticAMD", 25, 17, Kernel::Avx512Ifma));
        let intel = info_on(10.0, machine("GenuineIntel", 6, 140, Kernel::Avx2));
        let mut worse = with_peers(1.0, 1.0);
        worse[0].value = 90.0;
        for b in [info(10.0), ifma, intel] {
            let baselines = [base(b, vec![rec(with_peers(1.0, 1.0))])];
            let r = check(&baselines, &info(10.0), worse.clone());
            assert_eq!(r.failures, 1, "{}", r.render());
            assert_eq!(statuses(&r, Status::Worse), ["s/acc"]);
            // A verdict that gets worse fails too, on a timing row as well.
            let mut deviates = with_peers(1.0, 1.0);
            deviates[1].verdict = Verdict::Failed;
            let r = check(&baselines, &info(10.0), deviates);
            assert_eq!(
                statuses(&r, Status::Worse),
                ["conv/layer_s"],
                "{}",
                r.render()
            );
        }
    }

    #[test]
    fn a_timing_without_peer_or_class_baseline_is_not_judged() {
        let ifma = info_on(10.0, machine("AuthenticAMD", 25, 17, Kernel::Avx512Ifma));
        let baselines = [base(ifma, vec![rec(baseline())])];
        let mut run = baseline();
        run[2].value = 1e6; // 10,000x slower: no rule can tell.
        let r = check(&baselines, &info(10.0), run);
        assert!(r.passed(), "{}", r.render());
        assert_eq!(statuses(&r, Status::NotJudged), ["s/encrypt_ms"]);
        let row = r.rows.iter().find(|row| row.key == "s/encrypt_ms").unwrap();
        assert_eq!(row.judged_by, JudgedBy::NotJudged);
        let text = r.render();
        assert!(
            text.contains(
                "not judged (no baseline of this machine class and no peer row in this run to \
                 divide by): 1 row(s)\n  e: s/encrypt_ms\n"
            ),
            "{text}"
        );
        assert!(text.contains("1 not judged"), "{text}");
        // The quality rows were judged by the reference of another class.
        assert!(r.rows.iter().any(|row| row.judged_by
            == JudgedBy::ReferenceBaseline {
                class: baselines[0].class()
            }));
    }

    #[test]
    fn baselines_are_chosen_by_class_then_kernel_then_name() {
        let mk = |name: &str, info: RunInfo| Baseline {
            name: name.into(),
            info,
            experiments: vec![rec(baseline())],
        };
        let ifma = || info_on(10.0, machine("AuthenticAMD", 25, 17, Kernel::Avx512Ifma));
        let mut full = info(10.0);
        full.profile = "full".into();
        let all = [
            mk("b-ifma", ifma()),
            mk("a-ifma", ifma()),
            mk("zen3-full", full),
        ];
        let r = check(&all, &info(10.0), baseline());
        assert_eq!(r.reference.name, "a-ifma");
        assert_eq!(r.reference_rule, ReferenceRule::FirstByName);
        assert_eq!(r.ignored, ["zen3-full"]);
        assert!(
            r.render()
                .contains("baseline zen3-full is of another profile")
        );
        // A run of unknown class (an old run.json) never matches a class.
        let mut unknown = info(10.0);
        unknown.machine = MachineInfo::default();
        let old = [mk("old", {
            let mut i = info(10.0);
            i.machine = MachineInfo::default();
            i
        })];
        let r = check(&old, &unknown, baseline());
        assert_eq!(r.same_class, None);
        assert_eq!(statuses(&r, Status::NotJudged), ["s/encrypt_ms"]);
        // No baseline, or none of the profile: an error that says what there is.
        assert_eq!(
            compare(&info(10.0), &[], &[], CheckLimits::default()).unwrap_err(),
            CheckError::NoBaseline
        );
        let mut full_run = info(10.0);
        full_run.profile = "full".into();
        let e = compare(&full_run, &[], &all[..2], CheckLimits::default()).unwrap_err();
        assert!(e.to_string().contains("a-ifma (quick)"), "{e}");
    }
}
