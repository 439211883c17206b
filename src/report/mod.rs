//! The HTML report of a run: every claim of the catalog beside its
//! reproduction, a section per experiment with its measurements and charts.
//!
//! [`write_report`] writes `index.html` and `charts/*.png|svg` into a
//! directory; the page is self-contained (inline CSS, no external URL, works
//! without JavaScript).

pub mod charts;
pub mod claims;
pub mod format;
pub mod html;
#[cfg(test)]
pub(crate) mod testdata;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::results::run::{ClaimEntry, ExperimentRecord, MachineClass, RunInfo};

pub use claims::{ClaimCounts, ClaimState, ClaimStatus, claim_statuses};

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    pub run: RunInfo,
    /// The experiments of the run, measurements included, in report order.
    pub experiments: Vec<ExperimentRecord>,
    /// The catalog of all claims of the papers (`experiments/claims.yaml`),
    /// in catalog order.
    pub claims: Vec<ClaimEntry>,
    /// A remark on the baseline the run was checked against, if any.
    pub baseline_note: Option<String>,
    /// The class of the committed baseline that `heml check` compares this
    /// run's timings with (the run's own class), when there is one.
    pub baseline_class: Option<MachineClass>,
}

/// What [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSummary {
    /// `out_dir/index.html`.
    pub index: PathBuf,
    /// Every chart file written (PNG and SVG).
    pub charts: Vec<PathBuf>,
    /// Charts that could not be drawn; the page says so in their place.
    pub chart_errors: Vec<String>,
    /// Claims per state, over the catalog and unknown claim ids.
    pub claims: ClaimCounts,
    /// Number of warnings in the warnings block.
    pub warnings: usize,
    /// Experiments whose state is not `done`.
    pub failed_experiments: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot draw chart {path}: {message}")]
    Chart { path: PathBuf, message: String },
}

/// A chart of the page: where its files are (relative to `index.html`) or
/// why it could not be drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFile {
    pub experiment: String,
    pub spec: charts::ChartSpec,
    /// `charts/<experiment>-<name>.png`, relative to `index.html`.
    pub png: String,
    pub svg: String,
    pub error: Option<String>,
}

/// Writes the report of `input` into `out_dir` (created if missing):
/// `index.html` and `charts/<experiment>-<chart>.png|svg`, each file written
/// to a temporary file in its directory and renamed into place.
///
/// A chart that cannot be drawn does not stop the report: the page shows
/// the error in its place and [`ReportSummary::chart_errors`] lists it.
pub fn write_report(input: &ReportInput, out_dir: &Path) -> Result<ReportSummary, ReportError> {
    let charts_dir = out_dir.join("charts");
    std::fs::create_dir_all(&charts_dir).map_err(|source| ReportError::Io {
        path: charts_dir.clone(),
        source,
    })?;

    let mut files = Vec::new();
    let mut written = Vec::new();
    let mut chart_errors = Vec::new();
    let mut stems = std::collections::HashSet::new();
    for experiment in &input.experiments {
        let exp_slug = format::slug(&experiment.id);
        for spec in charts::plan_charts(experiment) {
            let mut stem = format!("{exp_slug}-{}", spec.name);
            let mut n = 2;
            while !stems.insert(stem.clone()) {
                stem = format!("{exp_slug}-{}-{n}", spec.name);
                n += 1;
            }
            let png_path = charts_dir.join(format!("{stem}.png"));
            let svg_path = charts_dir.join(format!("{stem}.svg"));
            let error = match charts::render_chart(&spec, &png_path, &svg_path) {
                Ok(()) => {
                    written.push(png_path);
                    written.push(svg_path);
                    None
                }
                Err(e) => {
                    chart_errors.push(e.to_string());
                    Some(e.to_string())
                }
            };
            files.push(ChartFile {
                experiment: experiment.id.clone(),
                spec,
                png: format!("charts/{stem}.png"),
                svg: format!("charts/{stem}.svg"),
                error,
            });
        }
    }

    let statuses = claim_statuses(input);
    let generated = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let page = html::render_page(input, &statuses, &files, &generated);
    let index = out_dir.join("index.html");
    atomic_write(&index, page.as_bytes())?;

    Ok(ReportSummary {
        index,
        charts: written,
        chart_errors,
        claims: ClaimCounts::of(&statuses),
        warnings: html::warnings(input).len(),
        failed_experiments: input
            .experiments
            .iter()
            .filter(|e| e.state != crate::results::run::ExperimentState::Done)
            .count(),
    })
}

/// A temporary path beside `path`, with the same extension (some writers
/// choose the format by it): `dir/.name.<pid>.tmp.ext`.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp{ext}", std::process::id()))
}

/// Writes `bytes` to a temporary file beside `path`, then renames it.
pub(crate) fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tmp = temp_path(path);
    let io = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::sample_input;

    #[test]
    fn writes_page_and_charts_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report");
        let input = sample_input();
        let summary = write_report(&input, &out).unwrap();
        assert!(
            summary.chart_errors.is_empty(),
            "{:?}",
            summary.chart_errors
        );
        assert_eq!(summary.index, out.join("index.html"));
        assert!(summary.charts.len() >= 4);
        for chart in &summary.charts {
            let len = std::fs::metadata(chart).unwrap().len();
            assert!(len > 1000, "{} is {len} bytes", chart.display());
        }
        let page = std::fs::read_to_string(&summary.index).unwrap();
        for chart in &summary.charts {
            let name = chart.file_name().unwrap().to_string_lossy();
            assert!(
                page.contains(&format!("charts/{name}")),
                "{name} not referenced"
            );
        }
        // No temporary file is left behind.
        for dir in [&out, &out.join("charts")] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                assert!(!name.contains(".tmp"), "left over: {name}");
            }
        }
        // Writing again replaces the files.
        write_report(&input, &out).unwrap();
    }

    #[test]
    fn odd_data_still_draws() {
        use crate::report::testdata::{experiment, input, row};
        use crate::results::record::MetricKind;
        use crate::results::run::ExperimentState;

        let mut odd = experiment("odd <id> & co", ExperimentState::Invalid);
        // A one-point series with a paper point at a later step.
        let mut single = row("odd", "test_accuracy", 50.0, "%");
        single.step = Some(3);
        odd.measurements.push(single);
        let mut paper_only = row("odd", "test_accuracy", f64::NAN, "%");
        paper_only.step = Some(10);
        paper_only.claim = Some("X-1".into());
        paper_only.paper_value = Some(70.0);
        odd.measurements.push(paper_only);
        // Negative values, constant values.
        for step in 0..4 {
            let mut r = row("odd", "delta", -1.5 * step as f64, "");
            r.step = Some(step);
            odd.measurements.push(r);
            let mut c = row("odd", "flat", 2.0, "count");
            c.step = Some(step * 1000);
            odd.measurements.push(c);
        }
        // Timings with a zero, a huge span, units that do not convert, and
        // many bars with long labels.
        for (i, (value, unit)) in [(0.0, "ms"), (1e-3, "ms"), (5e4, "ms"), (3.0, "cycles")]
            .into_iter()
            .enumerate()
        {
            let mut r = row(
                "odd",
                &format!("step_{i}_with_a_rather_long_metric_name"),
                value,
                unit,
            );
            r.kind = MetricKind::Time;
            r.stage = format!("stage{i}");
            odd.measurements.push(r);
        }
        for i in 0..30 {
            let mut r = row("odd", &format!("t{i}"), 1.0 + i as f64, "ms");
            r.kind = MetricKind::Time;
            r.stage = "many".into();
            odd.measurements.push(r);
        }
        let empty = experiment("empty", ExperimentState::Done);
        let input = input(vec![odd, empty], Vec::new());

        let dir = tempfile::tempdir().unwrap();
        let summary = write_report(&input, dir.path()).unwrap();
        assert!(
            summary.chart_errors.is_empty(),
            "{:?}",
            summary.chart_errors
        );
        // Series: accuracy, delta, flat; timings: ms and cycles.
        assert_eq!(summary.charts.len(), 10, "{:?}", summary.charts);
        assert_eq!(summary.failed_experiments, 1);
        assert_eq!(summary.claims.measured, 1);
        let page = std::fs::read_to_string(&summary.index).unwrap();
        assert!(page.contains("odd &lt;id&gt; &amp; co"));
        assert!(page.contains("id=\"exp-odd-id-co\""));
    }

    #[test]
    fn distributions_and_grouped_bars_are_on_the_page() {
        use crate::report::format::escape_html;
        use crate::report::testdata::{input, seeds_and_layers};

        let input = input(vec![seeds_and_layers()], Vec::new());
        let dir = tempfile::tempdir().unwrap();
        let summary = write_report(&input, dir.path()).unwrap();
        assert!(
            summary.chart_errors.is_empty(),
            "{:?}",
            summary.chart_errors
        );
        let names: Vec<String> = summary
            .charts
            .iter()
            .map(|c| c.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for stem in [
            "cs21-lr-seeds-accuracy",
            "cs21-lr-seeds-agreement",
            "cs21-lr-stages-layer_time_ms",
            "cs21-lr-timings",
        ] {
            for ext in ["png", "svg"] {
                let name = format!("{stem}.{ext}");
                assert!(names.contains(&name), "{name} not in {names:?}");
            }
        }
        assert_eq!(names.len(), 8, "{names:?}");

        let page = std::fs::read_to_string(&summary.index).unwrap();
        let seeds = page.find("<h4>Over seeds</h4>").expect("seeds section");
        let timings = page.find("<h4>Timings per stage</h4>").expect("timings");
        let dist = page.find("charts/cs21-lr-seeds-accuracy.png").unwrap();
        let grouped = page
            .find("charts/cs21-lr-stages-layer_time_ms.png")
            .unwrap();
        assert!(seeds < dist && dist < timings && timings < grouped);
        assert!(!page.contains("<h4>Series</h4>"));
        let charts = charts::plan_charts(&input.experiments[0]);
        for spec in &charts {
            assert!(
                page.contains(&format!("alt=\"{}\"", escape_html(&spec.alt))),
                "alt of {} missing",
                spec.name
            );
        }
        // The values of each seed are in the chart's data table.
        assert!(page.contains("<code>lr_plain_accuracy_per_seed</code>"));
        assert!(page.contains("0: 66, 1: 67.5, 2: 68"));
    }

    #[test]
    fn temp_path_keeps_extension_and_directory() {
        let tmp = temp_path(Path::new("/a/b/chart.png"));
        assert_eq!(tmp.parent(), Some(Path::new("/a/b")));
        assert!(tmp.to_string_lossy().ends_with(".tmp.png"));
    }
}
