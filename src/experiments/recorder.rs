//! Collects the measurements of one experiment and attaches the spec's claims.

use crate::results::record::{Measurement, MetricKind, Verdict};
use crate::spec::{Claim, Profile, Spec};

/// Fields every row of an experiment shares.
#[derive(Debug, Clone)]
pub struct RowContext {
    pub experiment: String,
    pub profile: Profile,
    pub threads: u32,
    pub seed: u64,
    pub git_commit: String,
    pub timestamp: String,
}

/// Builds the rows of one experiment.
#[derive(Debug)]
pub struct Recorder {
    ctx: RowContext,
    rows: Vec<Measurement>,
    scheme: String,
    parameters: String,
    security: String,
}

impl Recorder {
    pub fn new(ctx: RowContext) -> Recorder {
        Recorder {
            ctx,
            rows: Vec::new(),
            scheme: "plaintext".into(),
            parameters: "{}".into(),
            security: "n/a".into(),
        }
    }

    /// Sets the scheme, parameters and security level of the rows that follow.
    pub fn set_scheme(&mut self, scheme: &str, parameters: String, security: String) {
        self.scheme = scheme.to_string();
        self.parameters = parameters;
        self.security = security;
    }

    pub fn set_seed(&mut self, seed: u64) {
        self.ctx.seed = seed;
    }

    /// Records one value.
    pub fn measure(
        &mut self,
        stage: &str,
        metric: &str,
        kind: MetricKind,
        value: f64,
        unit: &str,
    ) -> &mut Measurement {
        self.push(stage, metric, kind, value, unit, None)
    }

    /// Records one point of a series (epoch, sample size, ...).
    pub fn series(&mut self, stage: &str, metric: &str, step: i64, value: f64, unit: &str) {
        self.push(stage, metric, MetricKind::Quality, value, unit, Some(step));
    }

    fn push(
        &mut self,
        stage: &str,
        metric: &str,
        kind: MetricKind,
        value: f64,
        unit: &str,
        step: Option<i64>,
    ) -> &mut Measurement {
        self.rows.push(Measurement {
            experiment: self.ctx.experiment.clone(),
            claim: None,
            metric: metric.to_string(),
            kind,
            value,
            unit: unit.to_string(),
            step,
            paper_value: None,
            tolerance: None,
            verdict: Verdict::Measured,
            scheme: self.scheme.clone(),
            parameters: self.parameters.clone(),
            security: self.security.clone(),
            stage: stage.to_string(),
            threads: self.ctx.threads,
            seed: self.ctx.seed,
            profile: self.ctx.profile.name().to_string(),
            git_commit: self.ctx.git_commit.clone(),
            timestamp: self.ctx.timestamp.clone(),
            note: String::new(),
        });
        self.rows.last_mut().expect("just pushed")
    }

    /// Attaches every claim of `spec` to the row it is measured by and gives
    /// the verdict. A claim with a `step` is compared with the series value at
    /// that step (or at the last step the run reached, with a note); a claim
    /// whose metric was not measured is left to the report as not measured.
    pub fn finish(mut self, spec: &Spec) -> Vec<Measurement> {
        for claim in &spec.claims {
            self.attach(claim);
        }
        self.rows
    }

    fn attach(&mut self, claim: &Claim) {
        let profile = self.ctx.profile;
        match claim.step {
            None => {
                let Some(i) = self.rows.iter().rposition(|r| {
                    r.metric == claim.metric && r.step.is_none() && r.claim.is_none()
                }) else {
                    return;
                };
                judge(&mut self.rows[i], claim, profile, None);
            }
            Some(step) => {
                let series: Vec<&Measurement> = self
                    .rows
                    .iter()
                    .filter(|r| r.metric == claim.metric && r.step.is_some() && r.claim.is_none())
                    .collect();
                let at = series
                    .iter()
                    .find(|r| r.step == Some(step))
                    .or_else(|| series.iter().max_by_key(|r| r.step));
                let Some(row) = at else { return };
                let reached = row.step;
                let mut row = (*row).clone();
                row.step = Some(step);
                let note = (reached != Some(step)).then(|| {
                    format!(
                        "the run's last {} step is {}; its value is shown at the paper's step {step}",
                        claim.metric,
                        reached.unwrap_or(0)
                    )
                });
                judge(&mut row, claim, profile, note);
                self.rows.push(row);
            }
        }
    }
}

fn judge(row: &mut Measurement, claim: &Claim, profile: Profile, extra: Option<String>) {
    row.claim = Some(claim.id.clone());
    row.paper_value = claim.paper_value;
    row.tolerance = claim.tolerance.map(|t| t.to_string());
    let mut notes = vec![claim.note.clone()];
    notes.extend(extra);
    row.verdict = match (claim.paper_value, claim.tolerance) {
        (Some(paper), Some(tol)) if claim.verdict_in.contains(&profile) => {
            if tol.accepts(row.value, paper) {
                Verdict::Reproduced
            } else {
                notes.push(format!(
                    "measured {} {} against the paper's {} {} ({tol})",
                    fmt_value(row.value),
                    claim.unit,
                    fmt_value(paper),
                    claim.unit
                ));
                Verdict::Deviates
            }
        }
        (Some(_), Some(_)) => {
            notes.push(format!(
                "no verdict in the {} profile (sizes too small); see the full profile",
                profile.name()
            ));
            Verdict::Measured
        }
        _ => Verdict::Measured,
    };
    row.note = notes
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
}

fn fmt_value(v: f64) -> String {
    if v.abs() >= 1000.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse_spec;

    fn spec() -> Spec {
        let text = include_str!("../../experiments/mu18-paillier-mnist.yaml");
        parse_spec(std::path::Path::new("mu18.yaml"), text).unwrap()
    }

    fn rec(profile: Profile) -> Recorder {
        Recorder::new(RowContext {
            experiment: "mu18".into(),
            profile,
            threads: 1,
            seed: 1,
            git_commit: "x".into(),
            timestamp: "t".into(),
        })
    }

    #[test]
    fn claims_get_verdicts_in_their_profiles() {
        let spec = spec();
        let mut r = rec(Profile::Full);
        r.measure("train", "test_accuracy", MetricKind::Quality, 92.5, "%");
        r.measure(
            "paillier",
            "differing_predictions",
            MetricKind::Error,
            3.0,
            "count",
        );
        for e in 1..=10 {
            r.series("train", "test_accuracy", e, 90.0 + e as f64 / 10.0, "%");
        }
        let rows = r.finish(&spec);
        let train = rows
            .iter()
            .find(|m| m.claim.as_deref() == Some("MU18-train"))
            .unwrap();
        assert_eq!(train.verdict, Verdict::Reproduced);
        let diff = rows
            .iter()
            .find(|m| m.metric == "differing_predictions" && m.claim.is_some())
            .unwrap();
        assert_eq!(diff.verdict, Verdict::Deviates, "{diff:?}");
        let fig = rows
            .iter()
            .find(|m| m.claim.as_deref() == Some("MU18-fig3"))
            .unwrap();
        assert_eq!(fig.value, 91.0);
        assert!(fig.note.contains("last"), "{}", fig.note);
    }

    #[test]
    fn quick_profile_gives_no_verdict_where_the_spec_says_so() {
        let spec = spec();
        let mut r = rec(Profile::Quick);
        r.measure("train", "test_accuracy", MetricKind::Quality, 80.0, "%");
        let rows = r.finish(&spec);
        let train = rows
            .iter()
            .find(|m| m.claim.as_deref() == Some("MU18-train"))
            .unwrap();
        assert_eq!(train.verdict, Verdict::Measured);
    }
}
