//! The on-disk layout of a run, written atomically:
//!
//! ```text
//! results/<run-id>/run.json                 RunInfo
//! results/<run-id>/experiments/<id>.json    ExperimentRecord, one per experiment
//! results/<run-id>/measurements.parquet     every measurement of the run (Polars)
//! results/<run-id>/measurements.csv         the same table as CSV
//! ```
//!
//! Each experiment's record is written as soon as it ends, so an interrupted
//! run keeps what it finished. Baselines of `heml check` are run folders too,
//! one per machine class: `results/baselines/<class-slug>/`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::record::Measurement;
use super::run::{ExperimentRecord, RunInfo};
use super::table;

/// Writes `bytes` to `path` atomically: a temporary file in the same folder,
/// flushed to disk, then renamed over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes)
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all().ok();
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// One run's folder.
#[derive(Debug, Clone)]
pub struct RunDir {
    pub root: PathBuf,
}

impl RunDir {
    pub fn new(results_dir: &Path, run_id: &str) -> RunDir {
        RunDir {
            root: results_dir.join(run_id),
        }
    }

    pub fn run_id(&self) -> String {
        self.root
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string()
    }

    pub fn experiments_dir(&self) -> PathBuf {
        self.root.join("experiments")
    }

    pub fn write_info(&self, info: &RunInfo) -> Result<()> {
        write_atomic(
            &self.root.join("run.json"),
            &serde_json::to_vec_pretty(info)?,
        )
    }

    pub fn read_info(&self) -> Result<RunInfo> {
        let path = self.root.join("run.json");
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn write_experiment(&self, rec: &ExperimentRecord) -> Result<()> {
        let path = self.experiments_dir().join(format!("{}.json", rec.id));
        write_atomic(&path, &serde_json::to_vec_pretty(rec)?)
    }

    /// Every experiment record of the run, sorted by id.
    pub fn read_experiments(&self) -> Result<Vec<ExperimentRecord>> {
        let dir = self.experiments_dir();
        let mut out = Vec::new();
        if !dir.exists() {
            return Ok(out);
        }
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))?
        {
            let path = entry?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let rec: ExperimentRecord = serde_json::from_slice(&bytes)
                .with_context(|| format!("parsing {}", path.display()))?;
            out.push(rec);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Rewrites the Parquet and CSV tables from all experiment records.
    pub fn write_tables(&self) -> Result<usize> {
        let rows: Vec<Measurement> = self
            .read_experiments()?
            .into_iter()
            .flat_map(|r| r.measurements)
            .collect();
        let mut df = table::to_frame(&rows)?;
        write_atomic(
            &self.root.join("measurements.parquet"),
            &table::parquet_bytes(&mut df)?,
        )?;
        write_atomic(
            &self.root.join("measurements.csv"),
            &table::csv_bytes(&mut df)?,
        )?;
        Ok(rows.len())
    }

    /// The measurements table of the run, read back through Polars.
    pub fn read_table(&self) -> Result<Vec<Measurement>> {
        let path = self.root.join("measurements.parquet");
        table::read_parquet(&path)
    }
}

/// The run folders under `results_dir`, oldest first (run ids sort by time).
pub fn list_runs(results_dir: &Path) -> Result<Vec<RunDir>> {
    let mut runs = Vec::new();
    if !results_dir.exists() {
        return Ok(runs);
    }
    for entry in std::fs::read_dir(results_dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.join("run.json").exists() && name != "baseline" {
            runs.push(RunDir { root: path });
        }
    }
    runs.sort_by(|a, b| a.root.cmp(&b.root));
    Ok(runs)
}

/// The baseline folders under `dir` (`results/baselines/`): every subfolder
/// with a `run.json`, sorted by name. None when `dir` does not exist.
pub fn list_baselines(dir: &Path) -> Result<Vec<RunDir>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.join("run.json").exists() {
            out.push(RunDir { root: path });
        }
    }
    out.sort_by(|a, b| a.root.cmp(&b.root));
    Ok(out)
}

/// Copies the run folder `from` (its files and `experiments/`) to `to`,
/// replacing what `to` held: the copy is made beside `to` and renamed over it,
/// so `to` is always either the old folder or the complete new one.
pub fn copy_run_atomic(from: &Path, to: &Path) -> Result<()> {
    let name = to
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} names no folder", to.display()))?;
    let parent = to.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    for stale in [&tmp, &old] {
        if stale.exists() {
            std::fs::remove_dir_all(stale)
                .with_context(|| format!("removing {}", stale.display()))?;
        }
    }
    for sub in ["", "experiments"] {
        let src = from.join(sub);
        let dst = tmp.join(sub);
        std::fs::create_dir_all(&dst).with_context(|| format!("creating {}", dst.display()))?;
        if !src.is_dir() {
            continue;
        }
        for entry in
            std::fs::read_dir(&src).with_context(|| format!("listing {}", src.display()))?
        {
            let p = entry?.path();
            if p.is_file() {
                let target = dst.join(p.file_name().expect("a file name"));
                std::fs::copy(&p, &target)
                    .with_context(|| format!("copying {} to {}", p.display(), target.display()))?;
            }
        }
    }
    if to.exists() {
        std::fs::rename(to, &old)
            .with_context(|| format!("moving the old {} aside", to.display()))?;
    }
    std::fs::rename(&tmp, to)
        .with_context(|| format!("renaming {} to {}", tmp.display(), to.display()))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
    }
    Ok(())
}

/// `arg` as a run folder: a path, a run id under `results_dir`, or the
/// newest run when `None`.
pub fn resolve_run(results_dir: &Path, arg: Option<&str>) -> Result<RunDir> {
    match arg {
        Some(a) => {
            let as_path = PathBuf::from(a);
            let candidates = [as_path.clone(), results_dir.join(a)];
            for c in candidates {
                if c.join("run.json").exists() {
                    return Ok(RunDir { root: c });
                }
            }
            bail!(
                "no run `{a}`: neither {} nor {} holds a run.json (runs are listed under {})",
                as_path.display(),
                results_dir.join(a).display(),
                results_dir.display()
            )
        }
        None => match list_runs(results_dir)?.pop() {
            Some(r) => Ok(r),
            None => bail!(
                "no runs under {}: run `heml reproduce` (or `just reproduce`) first",
                results_dir.display()
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_copy_replaces_the_old_folder_whole() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("results/20260101T000000Z");
        std::fs::create_dir_all(run.join("experiments")).unwrap();
        std::fs::write(run.join("run.json"), "{}").unwrap();
        std::fs::write(run.join("experiments/e.json"), "new").unwrap();
        let baselines = dir.path().join("results/baselines");
        let to = baselines.join("authenticamd-f25-m1-avx2");
        std::fs::create_dir_all(to.join("experiments")).unwrap();
        std::fs::write(to.join("experiments/gone.json"), "old").unwrap();
        copy_run_atomic(&run, &to).unwrap();
        assert_eq!(
            std::fs::read_to_string(to.join("experiments/e.json")).unwrap(),
            "new"
        );
        assert!(!to.join("experiments/gone.json").exists());
        // Nothing but the class folder is left beside it, and it is listed.
        let names: Vec<_> = std::fs::read_dir(&baselines)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["authenticamd-f25-m1-avx2"]);
        let listed = list_baselines(&baselines).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].run_id(), "authenticamd-f25-m1-avx2");
        // `results/baselines` is not a run.
        assert_eq!(list_runs(&dir.path().join("results")).unwrap().len(), 1);
        assert!(list_baselines(&dir.path().join("none")).unwrap().is_empty());
    }
}
