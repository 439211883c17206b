//! Runs specs one after another into a run folder: a spec that fails to
//! validate or an experiment that fails is recorded and the others go on;
//! each experiment's record is written when it ends; experiments already done
//! with the same spec, code and profile are reused unless forced.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::data::DataStore;
use crate::experiments::{self, Context, Recorder, RowContext};
use crate::he::math::kernel::{self, Kernel};
use crate::progress::Progress;
use crate::results::machine::{calibrate, machine_info};
use crate::results::store::{RunDir, list_runs};
use crate::results::{
    ExperimentRecord, ExperimentState, Measurement, MetricKind, RunInfo, Verdict,
};
use crate::spec::{Profile, Spec, load_spec, validate::sha256_hex};

pub struct RunOptions<'a> {
    pub profile: Profile,
    pub force: bool,
    pub results_dir: PathBuf,
    pub project_root: PathBuf,
    pub data: &'a DataStore,
    pub threads: u32,
    pub progress: &'a Progress,
    pub command: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExperimentSummary {
    pub id: String,
    pub state: ExperimentState,
    pub elapsed_s: f64,
    pub reused_from: Option<String>,
    pub error: Option<String>,
    pub claims: Vec<(String, String, f64, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run_id: String,
    pub run_dir: PathBuf,
    pub profile: String,
    pub experiments: Vec<ExperimentSummary>,
}

impl RunSummary {
    pub fn failed(&self) -> usize {
        self.experiments
            .iter()
            .filter(|e| e.state != ExperimentState::Done)
            .count()
    }
}

/// `git rev-parse HEAD` and whether the tree is dirty, or `unknown`.
pub fn git_state(root: &Path) -> (String, bool) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "HEAD"])
        .output();
    let commit = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => return ("unknown".into(), false),
    };
    let dirty = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .map(|o| !o.stdout.is_empty())
        .unwrap_or(false);
    (commit, dirty)
}

/// sha256 of the running binary: "same code" for reuse.
fn code_sha256() -> String {
    std::env::current_exe()
        .and_then(std::fs::read)
        .map(|b| sha256_hex(&b))
        .unwrap_or_else(|_| "unknown".into())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A new run id: UTC time, sortable.
fn new_run_id(results_dir: &Path) -> String {
    let base = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let mut id = base.clone();
    let mut k = 1;
    while results_dir.join(&id).exists() {
        k += 1;
        id = format!("{base}-{k}");
    }
    id
}

/// An earlier record of the same experiment, spec, code and profile, run on
/// the same arithmetic kernel (timings on another kernel are another machine's).
fn reusable(
    results_dir: &Path,
    spec: &Spec,
    code: &str,
    profile: Profile,
    kernel: Kernel,
) -> Option<(String, ExperimentRecord)> {
    let runs = list_runs(results_dir).ok()?;
    for run in runs.iter().rev() {
        let path = run.experiments_dir().join(format!("{}.json", spec.id));
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(rec) = serde_json::from_slice::<ExperimentRecord>(&bytes) else {
            continue;
        };
        if is_reusable(&rec, &spec.sha256, code, profile, kernel) {
            return Some((run.run_id(), rec));
        }
    }
    None
}

/// Whether `rec` may stand for a run of the spec with sha256 `spec_sha256`, by
/// the binary `code`, in `profile`, on `kernel`. A record without a kernel (written
/// before heml recorded it) is never reused.
fn is_reusable(
    rec: &ExperimentRecord,
    spec_sha256: &str,
    code: &str,
    profile: Profile,
    kernel: Kernel,
) -> bool {
    rec.state == ExperimentState::Done
        && rec.spec_sha256 == spec_sha256
        && rec.code_sha256 == code
        && rec.profile == profile.name()
        && rec.kernel == Some(kernel)
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

pub fn run_specs(paths: &[PathBuf], opts: &RunOptions) -> Result<RunSummary> {
    let run_id = new_run_id(&opts.results_dir);
    let dir = RunDir::new(&opts.results_dir, &run_id);
    let (git_commit, git_dirty) = git_state(&opts.project_root);
    opts.progress.println(format!(
        "run {run_id} ({} profile) -> {}",
        opts.profile.name(),
        dir.root.display()
    ));
    let mut info = RunInfo {
        run_id: run_id.clone(),
        profile: opts.profile.name().into(),
        git_commit: git_commit.clone(),
        git_dirty,
        heml_version: env!("CARGO_PKG_VERSION").into(),
        started: now(),
        finished: None,
        machine: machine_info(),
        calibration: Some(calibrate()),
        threads: opts.threads,
        command: opts.command.clone(),
    };
    dir.write_info(&info).context("writing run.json")?;
    let code = code_sha256();
    let kernel = kernel::active();
    let mut summary = RunSummary {
        run_id: run_id.clone(),
        run_dir: dir.root.clone(),
        profile: opts.profile.name().into(),
        experiments: Vec::new(),
    };
    let mut ids = std::collections::HashSet::new();
    for path in paths {
        let started = now();
        let t0 = Instant::now();
        let rec = match load_spec(path) {
            Err(e) => {
                let id = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("spec")
                    .to_string();
                opts.progress.println(format!("invalid spec: {e}"));
                invalid_record(
                    id,
                    relative(&opts.project_root, path),
                    e.to_string(),
                    opts.profile,
                    started,
                )
            }
            Ok(spec) if !ids.insert(spec.id.clone()) => invalid_record(
                format!("{}-duplicate", spec.id),
                relative(&opts.project_root, path),
                format!(
                    "{}: id `{}` is used by another spec of this run",
                    path.display(),
                    spec.id
                ),
                opts.profile,
                started,
            ),
            Ok(spec) => match (!opts.force)
                .then(|| reusable(&opts.results_dir, &spec, &code, opts.profile, kernel))
                .flatten()
            {
                Some((from, mut rec)) => {
                    opts.progress.println(format!("{}: done in run {from} with the same spec and code; reused (--force reruns)", spec.id));
                    rec.reused_from = Some(rec.reused_from.clone().unwrap_or(from));
                    rec
                }
                None => {
                    opts.progress
                        .println(format!("{}: {}", spec.id, spec.title));
                    run_one(
                        &spec,
                        opts,
                        &git_commit,
                        &code,
                        started,
                        t0,
                        &opts.project_root,
                    )
                }
            },
        };
        dir.write_experiment(&rec)
            .with_context(|| format!("writing the record of {}", rec.id))?;
        dir.write_tables()
            .context("writing the measurement tables")?;
        let claims = rec
            .measurements
            .iter()
            .filter_map(|m| {
                m.claim.as_ref().map(|c| {
                    (
                        c.clone(),
                        m.metric.clone(),
                        m.value,
                        m.verdict.as_str().to_string(),
                    )
                })
            })
            .collect();
        match &rec.error {
            Some(e) if rec.state != ExperimentState::Done => opts
                .progress
                .println(format!("{}: {:?}: {e}", rec.id, rec.state)),
            _ => opts
                .progress
                .println(format!("{}: done in {:.1} s", rec.id, rec.elapsed_s)),
        }
        summary.experiments.push(ExperimentSummary {
            id: rec.id.clone(),
            state: rec.state,
            elapsed_s: rec.elapsed_s,
            reused_from: rec.reused_from.clone(),
            error: rec.error.clone(),
            claims,
        });
    }
    info.finished = Some(now());
    dir.write_info(&info).context("writing run.json")?;
    Ok(summary)
}

fn invalid_record(
    id: String,
    spec_path: String,
    error: String,
    profile: Profile,
    started: String,
) -> ExperimentRecord {
    ExperimentRecord {
        id,
        title: String::new(),
        spec_path,
        paper: String::new(),
        state: ExperimentState::Invalid,
        error: Some(error),
        spec_sha256: String::new(),
        code_sha256: String::new(),
        profile: profile.name().into(),
        started,
        elapsed_s: 0.0,
        reused_from: None,
        // It never started: no kernel ran it.
        kernel: None,
        security: String::new(),
        warnings: vec![],
        measurements: vec![],
    }
}

#[allow(clippy::too_many_arguments)]
fn run_one(
    spec: &Spec,
    opts: &RunOptions,
    git_commit: &str,
    code: &str,
    started: String,
    t0: Instant,
    root: &Path,
) -> ExperimentRecord {
    let ctx = Context {
        profile: opts.profile,
        data: opts.data,
        threads: opts.threads,
        progress: opts.progress,
        peer: crate::peers::PeerEnv::discover(&opts.project_root),
    };
    let mut rec = Recorder::new(RowContext {
        experiment: spec.id.clone(),
        profile: opts.profile,
        threads: opts.threads,
        seed: spec.seed,
        git_commit: git_commit.to_string(),
        timestamp: now(),
    });
    let result =
        std::panic::catch_unwind(AssertUnwindSafe(|| experiments::run(spec, &ctx, &mut rec)));
    let (state, error, outcome) = match result {
        Ok(Ok(outcome)) => (ExperimentState::Done, None, outcome),
        Ok(Err(e)) => (
            ExperimentState::Failed,
            Some(format!("{e:#}")),
            Default::default(),
        ),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            (
                ExperimentState::Failed,
                Some(format!("bug: the experiment panicked: {msg}")),
                Default::default(),
            )
        }
    };
    let mut measurements = rec.finish(spec);
    if let Some(err) = &error {
        // Claims the failure left unmeasured are reported as failed, with the error.
        for claim in &spec.claims {
            if !measurements
                .iter()
                .any(|m| m.claim.as_deref() == Some(claim.id.as_str()))
            {
                let mut row = failed_row(spec, claim, opts.profile, git_commit, err);
                row.threads = opts.threads;
                measurements.push(row);
            }
        }
    }
    let mut warnings = outcome.warnings;
    let security = if outcome.security.is_empty() {
        spec.scheme.security()
    } else {
        outcome.security
    };
    if security.starts_with("insecure") && !warnings.iter().any(|w| w.contains("insecure")) {
        warnings.push(format!(
            "{security}: parameters below the security floor, opted in by the spec"
        ));
    }
    ExperimentRecord {
        id: spec.id.clone(),
        title: spec.title.clone(),
        spec_path: relative(root, &spec.path),
        paper: spec.paper(),
        state,
        error,
        spec_sha256: spec.sha256.clone(),
        code_sha256: code.to_string(),
        profile: opts.profile.name().into(),
        started,
        elapsed_s: t0.elapsed().as_secs_f64(),
        reused_from: None,
        kernel: Some(kernel::active()),
        security,
        warnings,
        measurements,
    }
}

fn failed_row(
    spec: &Spec,
    claim: &crate::spec::Claim,
    profile: Profile,
    git_commit: &str,
    err: &str,
) -> Measurement {
    Measurement {
        experiment: spec.id.clone(),
        claim: Some(claim.id.clone()),
        metric: claim.metric.clone(),
        kind: MetricKind::Info,
        value: f64::NAN,
        unit: claim.unit.clone(),
        step: claim.step,
        paper_value: claim.paper_value,
        tolerance: claim.tolerance.map(|t| t.to_string()),
        verdict: Verdict::Failed,
        scheme: spec.scheme.engine().into(),
        parameters: String::new(),
        security: spec.scheme.security(),
        stage: "failed".into(),
        threads: 0,
        seed: spec.seed,
        profile: profile.name().into(),
        git_commit: git_commit.into(),
        timestamp: now(),
        note: format!("the experiment failed: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(kernel: Option<Kernel>) -> ExperimentRecord {
        let mut rec = invalid_record(
            "e".into(),
            "e.yaml".into(),
            String::new(),
            Profile::Quick,
            "t".into(),
        );
        rec.state = ExperimentState::Done;
        rec.error = None;
        rec.spec_sha256 = "spec".into();
        rec.code_sha256 = "code".into();
        rec.kernel = kernel;
        rec
    }

    #[test]
    fn a_record_is_reused_only_on_the_same_kernel() {
        let rec = done(Some(Kernel::Avx2));
        let reuse = |k| is_reusable(&rec, "spec", "code", Profile::Quick, k);
        assert!(reuse(Kernel::Avx2));
        assert!(!reuse(Kernel::Scalar));
        assert!(!reuse(Kernel::Avx512Ifma));
        assert!(!is_reusable(
            &rec,
            "other",
            "code",
            Profile::Quick,
            Kernel::Avx2
        ));
        assert!(!is_reusable(
            &rec,
            "spec",
            "code",
            Profile::Full,
            Kernel::Avx2
        ));
        // Written before records named their kernel: rerun, whatever the kernel.
        let old = done(None);
        for k in Kernel::ALL {
            assert!(!is_reusable(&old, "spec", "code", Profile::Quick, k));
        }
    }
}
