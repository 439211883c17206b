//! Which claims of the catalog a run measured, and with what outcome.

use std::collections::{BTreeMap, HashSet};

use crate::report::ReportInput;
use crate::report::format::first_line;
use crate::results::record::{Measurement, Verdict};
use crate::results::run::{ClaimEntry, ExperimentRecord, ExperimentState};

/// The outcome of one claim in one run, as the claims table shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClaimState {
    Reproduced,
    Deviates,
    Measured,
    Failed,
    /// The catalog says why heml does not attempt it.
    NotAttempted,
    /// A spec covers it, but this run has no measurement of it.
    NotRun,
}

impl ClaimState {
    pub const ALL: [ClaimState; 6] = [
        ClaimState::Reproduced,
        ClaimState::Deviates,
        ClaimState::Measured,
        ClaimState::Failed,
        ClaimState::NotAttempted,
        ClaimState::NotRun,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::Reproduced => "reproduced",
            ClaimState::Deviates => "deviates",
            ClaimState::Measured => "measured",
            ClaimState::Failed => "failed",
            ClaimState::NotAttempted => "not attempted",
            ClaimState::NotRun => "not run",
        }
    }

    /// CSS class of the verdict badge.
    pub fn css_class(self) -> &'static str {
        match self {
            ClaimState::Reproduced => "v-reproduced",
            ClaimState::Deviates => "v-deviates",
            ClaimState::Measured => "v-measured",
            ClaimState::Failed => "v-failed",
            ClaimState::NotAttempted => "v-not-attempted",
            ClaimState::NotRun => "v-not-run",
        }
    }

    pub fn from_verdict(verdict: Verdict) -> ClaimState {
        match verdict {
            Verdict::Reproduced => ClaimState::Reproduced,
            Verdict::Deviates => ClaimState::Deviates,
            Verdict::Measured => ClaimState::Measured,
            Verdict::Failed => ClaimState::Failed,
        }
    }
}

/// One measurement shown in the claims table. A claim measured only as a
/// series is shown by its last point, with `series` telling how many points
/// and which steps it summarises.
#[derive(Debug, Clone)]
pub struct ShownRow<'a> {
    pub row: &'a Measurement,
    /// `(points, first step, last step)` when `row` stands for a series.
    pub series: Option<(usize, i64, i64)>,
}

/// A claim of the catalog (or a claim id some row carries that the catalog
/// lacks) with what this run found for it.
#[derive(Debug, Clone)]
pub struct ClaimStatus<'a> {
    pub id: &'a str,
    /// Paper key; `other` for ids missing from the catalog.
    pub paper: &'a str,
    /// `None` when a measurement names a claim id the catalog does not know.
    pub entry: Option<&'a ClaimEntry>,
    pub state: ClaimState,
    /// The rows the table shows (see [`claim_statuses`]).
    pub shown: Vec<ShownRow<'a>>,
    /// Ids of the experiments that measured the claim or failed on it.
    pub experiments: Vec<&'a str>,
    /// Why it is not attempted, the experiment's error, `not run in this run`,
    /// or a remark about the experiment (e.g. that it failed later).
    pub reason: Option<String>,
}

/// How many claims ended in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimCounts {
    pub reproduced: usize,
    pub deviates: usize,
    pub measured: usize,
    pub failed: usize,
    pub not_attempted: usize,
    pub not_run: usize,
}

impl ClaimCounts {
    pub fn get(&self, state: ClaimState) -> usize {
        match state {
            ClaimState::Reproduced => self.reproduced,
            ClaimState::Deviates => self.deviates,
            ClaimState::Measured => self.measured,
            ClaimState::Failed => self.failed,
            ClaimState::NotAttempted => self.not_attempted,
            ClaimState::NotRun => self.not_run,
        }
    }

    fn add(&mut self, state: ClaimState) {
        let slot = match state {
            ClaimState::Reproduced => &mut self.reproduced,
            ClaimState::Deviates => &mut self.deviates,
            ClaimState::Measured => &mut self.measured,
            ClaimState::Failed => &mut self.failed,
            ClaimState::NotAttempted => &mut self.not_attempted,
            ClaimState::NotRun => &mut self.not_run,
        };
        *slot += 1;
    }

    pub fn total(&self) -> usize {
        ClaimState::ALL.iter().map(|s| self.get(*s)).sum()
    }

    pub fn of(statuses: &[ClaimStatus<'_>]) -> ClaimCounts {
        let mut counts = ClaimCounts::default();
        for status in statuses {
            counts.add(status.state);
        }
        counts
    }
}

/// The text shown for a claim that a spec covers but this run did not measure.
pub const NOT_RUN_REASON: &str = "not run in this run";

/// The status of every claim of the catalog, in catalog order, followed by
/// the claim ids that measurements carry but the catalog lacks.
///
/// Rules, for the rows whose `claim` equals the claim's id:
/// - rows without `step` are shown; a claim with only series rows shows the
///   rows that carry a paper value, else the last point of each series;
/// - the state is `failed` if a shown row failed, else `deviates` if one
///   deviates, else `reproduced` if one was reproduced, else `measured`;
/// - without rows: `failed` when an experiment that covers the claim failed
///   (its error names the claim id), else `not attempted` with the catalog's
///   reason, else `not run` ([`NOT_RUN_REASON`]).
pub fn claim_statuses(input: &ReportInput) -> Vec<ClaimStatus<'_>> {
    let mut by_claim: BTreeMap<&str, Vec<(&ExperimentRecord, &Measurement)>> = BTreeMap::new();
    for experiment in &input.experiments {
        for row in &experiment.measurements {
            if let Some(claim) = row.claim.as_deref() {
                by_claim.entry(claim).or_default().push((experiment, row));
            }
        }
    }

    let mut statuses = Vec::with_capacity(input.claims.len());
    let mut seen = HashSet::new();
    for entry in &input.claims {
        seen.insert(entry.id.as_str());
        let rows = by_claim
            .get(entry.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        statuses.push(status_of(
            &entry.id,
            &entry.paper,
            Some(entry),
            rows,
            &input.experiments,
        ));
    }
    for (id, rows) in &by_claim {
        if !seen.contains(id) {
            statuses.push(status_of(id, "other", None, rows, &input.experiments));
        }
    }
    statuses
}

fn is_failed(experiment: &ExperimentRecord) -> bool {
    experiment.state != ExperimentState::Done
}

fn failure_text(experiment: &ExperimentRecord) -> String {
    let state = match experiment.state {
        ExperimentState::Invalid => "is invalid",
        _ => "failed",
    };
    match experiment.error.as_deref() {
        Some(error) if !error.trim().is_empty() => {
            format!("experiment {} {state}: {}", experiment.id, error.trim())
        }
        _ => format!("experiment {} {state}", experiment.id),
    }
}

fn status_of<'a>(
    id: &'a str,
    paper: &'a str,
    entry: Option<&'a ClaimEntry>,
    rows: &[(&'a ExperimentRecord, &'a Measurement)],
    experiments: &'a [ExperimentRecord],
) -> ClaimStatus<'a> {
    if rows.is_empty() {
        let covering: Vec<&ExperimentRecord> = experiments
            .iter()
            .filter(|e| is_failed(e) && e.error.as_deref().is_some_and(|err| mentions(err, id)))
            .collect();
        let (state, reason) = if !covering.is_empty() {
            let text: Vec<String> = covering.iter().map(|e| failure_text(e)).collect();
            (ClaimState::Failed, text.join("\n"))
        } else if let Some(reason) = entry.and_then(|e| e.not_attempted.as_deref()) {
            (ClaimState::NotAttempted, reason.to_string())
        } else {
            (ClaimState::NotRun, NOT_RUN_REASON.to_string())
        };
        return ClaimStatus {
            id,
            paper,
            entry,
            state,
            shown: Vec::new(),
            experiments: covering.iter().map(|e| e.id.as_str()).collect(),
            reason: Some(reason),
        };
    }

    let mut shown: Vec<ShownRow<'a>> = rows
        .iter()
        .filter(|(_, r)| r.step.is_none())
        .map(|(_, r)| ShownRow {
            row: r,
            series: None,
        })
        .collect();
    if shown.is_empty() {
        shown = rows
            .iter()
            .filter(|(_, r)| r.paper_value.is_some())
            .map(|(_, r)| ShownRow {
                row: r,
                series: None,
            })
            .collect();
    }
    if shown.is_empty() {
        shown = series_summaries(rows);
    }

    let verdicts: Vec<Verdict> = shown.iter().map(|s| s.row.verdict).collect();
    let state = if verdicts.contains(&Verdict::Failed) {
        ClaimState::Failed
    } else if verdicts.contains(&Verdict::Deviates) {
        ClaimState::Deviates
    } else if verdicts.contains(&Verdict::Reproduced) {
        ClaimState::Reproduced
    } else {
        ClaimState::Measured
    };

    let mut experiment_ids: Vec<&'a str> = Vec::new();
    let mut failed: Vec<&'a ExperimentRecord> = Vec::new();
    for (experiment, _) in rows {
        if !experiment_ids.contains(&experiment.id.as_str()) {
            experiment_ids.push(&experiment.id);
            if is_failed(experiment) {
                failed.push(experiment);
            }
        }
    }
    let reason = if failed.is_empty() {
        None
    } else if state == ClaimState::Failed {
        Some(
            failed
                .iter()
                .map(|e| failure_text(e))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    } else {
        Some(
            failed
                .iter()
                .map(|e| {
                    let error = e.error.as_deref().map(first_line).unwrap_or("");
                    format!("experiment {} failed after measuring this: {error}", e.id)
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };

    ClaimStatus {
        id,
        paper,
        entry,
        state,
        shown,
        experiments: experiment_ids,
        reason,
    }
}

/// The last point of every series (experiment, metric, scheme) among `rows`.
fn series_summaries<'a>(rows: &[(&'a ExperimentRecord, &'a Measurement)]) -> Vec<ShownRow<'a>> {
    let mut order: Vec<(&str, &str, &str)> = Vec::new();
    let mut groups: BTreeMap<(&str, &str, &str), Vec<&'a Measurement>> = BTreeMap::new();
    for (experiment, row) in rows {
        let key = (
            experiment.id.as_str(),
            row.metric.as_str(),
            row.scheme.as_str(),
        );
        if !groups.contains_key(&key) {
            order.push(key);
        }
        groups.entry(key).or_default().push(row);
    }
    order
        .iter()
        .filter_map(|key| {
            let group = &groups[key];
            let steps = group.iter().filter_map(|r| r.step);
            let first = steps.clone().min()?;
            let last_row = group.iter().max_by_key(|r| r.step.unwrap_or(i64::MIN))?;
            let last = last_row.step?;
            Some(ShownRow {
                row: last_row,
                series: Some((group.len(), first, last)),
            })
        })
        .collect()
}

/// Whether `text` names the claim `id` as a whole word (so that `MU18-train`
/// does not match `MU18-train-time`).
fn mentions(text: &str, id: &str) -> bool {
    if id.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    text.match_indices(id).any(|(start, _)| {
        let before = text[..start].chars().next_back();
        let after = text[start + id.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::{claim, experiment, input, row};

    #[test]
    fn measured_claim_takes_the_rows_verdict() {
        let mut exp = experiment("e1", ExperimentState::Done);
        let mut r = row("e1", "test_accuracy", 92.0, "%");
        r.claim = Some("A-acc".into());
        r.paper_value = Some(92.5);
        r.verdict = Verdict::Reproduced;
        exp.measurements.push(r);
        let mut t = row("e1", "train_time", 3.0, "s");
        t.claim = Some("A-acc".into());
        t.verdict = Verdict::Measured;
        exp.measurements.push(t);
        let input = input(vec![exp], vec![claim("A-acc", "A", None)]);
        let statuses = claim_statuses(&input);
        assert_eq!(statuses.len(), 1);
        assert_eq!(statuses[0].state, ClaimState::Reproduced);
        assert_eq!(statuses[0].shown.len(), 2);
        assert_eq!(statuses[0].experiments, vec!["e1"]);
        assert_eq!(statuses[0].reason, None);
    }

    #[test]
    fn deviation_wins_over_reproduction_and_measured_only_is_measured() {
        let mut exp = experiment("e1", ExperimentState::Done);
        for (claim_id, verdict) in [
            ("A-1", Verdict::Reproduced),
            ("A-1", Verdict::Deviates),
            ("A-2", Verdict::Measured),
        ] {
            let mut r = row("e1", "m", 1.0, "ms");
            r.claim = Some(claim_id.into());
            r.verdict = verdict;
            exp.measurements.push(r);
        }
        let input = input(
            vec![exp],
            vec![claim("A-1", "A", None), claim("A-2", "A", None)],
        );
        let statuses = claim_statuses(&input);
        assert_eq!(statuses[0].state, ClaimState::Deviates);
        assert_eq!(statuses[1].state, ClaimState::Measured);
    }

    #[test]
    fn series_claims_show_the_paper_point_or_the_last_point() {
        let mut exp = experiment("e1", ExperimentState::Done);
        for epoch in 1..=5 {
            let mut r = row("e1", "test_accuracy", 80.0 + epoch as f64, "%");
            r.claim = Some("A-curve".into());
            r.step = Some(epoch);
            r.verdict = Verdict::Measured;
            if epoch == 5 {
                r.paper_value = Some(85.5);
                r.verdict = Verdict::Reproduced;
            }
            exp.measurements.push(r);
            let mut l = row("e1", "loss", 1.0 / epoch as f64, "");
            l.claim = Some("A-loss".into());
            l.step = Some(epoch);
            exp.measurements.push(l);
        }
        let input = input(
            vec![exp],
            vec![claim("A-curve", "A", None), claim("A-loss", "A", None)],
        );
        let statuses = claim_statuses(&input);
        assert_eq!(statuses[0].state, ClaimState::Reproduced);
        assert_eq!(statuses[0].shown.len(), 1);
        assert_eq!(statuses[0].shown[0].row.step, Some(5));
        assert!(statuses[0].shown[0].series.is_none());
        assert_eq!(statuses[1].state, ClaimState::Measured);
        assert_eq!(statuses[1].shown.len(), 1);
        assert_eq!(statuses[1].shown[0].series, Some((5, 1, 5)));
        assert_eq!(statuses[1].shown[0].row.value, 0.2);
    }

    #[test]
    fn claims_without_rows_are_not_attempted_not_run_or_failed() {
        let mut failed = experiment("e2", ExperimentState::Failed);
        failed.error = Some("claim B-enc: keygen panicked\ncaused by: out of memory".into());
        let input = input(
            vec![failed],
            vec![
                claim("B-na", "B", Some("needs a GPU")),
                claim("B-later", "B", None),
                claim("B-enc", "B", None),
                claim("B-enc-time", "B", None),
            ],
        );
        let statuses = claim_statuses(&input);
        assert_eq!(statuses[0].state, ClaimState::NotAttempted);
        assert_eq!(statuses[0].reason.as_deref(), Some("needs a GPU"));
        assert_eq!(statuses[1].state, ClaimState::NotRun);
        assert_eq!(statuses[1].reason.as_deref(), Some(NOT_RUN_REASON));
        assert_eq!(statuses[2].state, ClaimState::Failed);
        assert!(
            statuses[2]
                .reason
                .as_deref()
                .unwrap()
                .contains("out of memory")
        );
        assert_eq!(statuses[2].experiments, vec!["e2"]);
        // `B-enc` in the error does not cover `B-enc-time`.
        assert_eq!(statuses[3].state, ClaimState::NotRun);
    }

    #[test]
    fn failed_rows_carry_the_experiment_error() {
        let mut failed = experiment("e3", ExperimentState::Failed);
        failed.error = Some("decryption mismatch".into());
        let mut r = row("e3", "test_accuracy", f64::NAN, "%");
        r.claim = Some("C-1".into());
        r.verdict = Verdict::Failed;
        failed.measurements.push(r);
        let mut ok = row("e3", "keygen_ms", 12.0, "ms");
        ok.claim = Some("C-2".into());
        ok.verdict = Verdict::Measured;
        failed.measurements.push(ok);
        let input = input(
            vec![failed],
            vec![claim("C-1", "C", None), claim("C-2", "C", None)],
        );
        let statuses = claim_statuses(&input);
        assert_eq!(statuses[0].state, ClaimState::Failed);
        assert!(
            statuses[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("decryption mismatch")
        );
        assert_eq!(statuses[1].state, ClaimState::Measured);
        assert!(
            statuses[1]
                .reason
                .as_deref()
                .unwrap()
                .contains("failed after measuring")
        );
    }

    #[test]
    fn unknown_claim_ids_are_listed_after_the_catalog() {
        let mut exp = experiment("e1", ExperimentState::Done);
        let mut r = row("e1", "m", 1.0, "ms");
        r.claim = Some("Z-unknown".into());
        exp.measurements.push(r);
        let input = input(vec![exp], vec![claim("A-1", "A", None)]);
        let statuses = claim_statuses(&input);
        assert_eq!(statuses.len(), 2);
        assert_eq!(statuses[1].id, "Z-unknown");
        assert_eq!(statuses[1].paper, "other");
        assert!(statuses[1].entry.is_none());
        let counts = ClaimCounts::of(&statuses);
        assert_eq!(counts.not_run, 1);
        assert_eq!(counts.measured, 1);
        assert_eq!(counts.total(), 2);
    }

    #[test]
    fn whole_word_mentions() {
        assert!(mentions("failed on MU18-train.", "MU18-train"));
        assert!(mentions("MU18-train", "MU18-train"));
        assert!(!mentions("MU18-train-time failed", "MU18-train"));
        assert!(!mentions("xMU18-train", "MU18-train"));
        assert!(!mentions("anything", ""));
    }
}
