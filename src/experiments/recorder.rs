//! Collects the measurements of one experiment and attaches the spec's claims.

use crate::results::record::{Measurement, MetricKind, Verdict};
use crate::spec::{Claim, Profile, Spec, Tolerance};

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

    /// Records the largest log2 error of `got` against `expected` (Lattigo's
    /// precision statistics), the median in the note after `what`; nothing
    /// when there is nothing to compare.
    pub fn precision(
        &mut self,
        stage: &str,
        metric: &str,
        expected: &[f64],
        got: &[f64],
        what: &str,
    ) {
        if let Some(p) = crate::he::ckks::PrecisionStats::compute(expected, got) {
            self.measure(stage, metric, MetricKind::Error, p.max_log2_error, "log2")
                .note = format!("{what} (median log2 error {:.1})", p.median_log2_error);
        }
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
        let of_scheme = |r: &Measurement| {
            claim.scheme.as_ref().is_none_or(|s| *s == r.scheme)
                && claim.stage.as_ref().is_none_or(|s| *s == r.stage)
        };
        // The distribution a quantile tolerance is judged on.
        let per_seed = format!("{}_per_seed", claim.metric);
        let seeds: Vec<f64> = self
            .rows
            .iter()
            .filter(|r| r.metric == per_seed && r.claim.is_none() && of_scheme(r))
            .map(|r| r.value)
            .collect();
        match claim.step {
            None => {
                let Some(i) = self.rows.iter().rposition(|r| {
                    r.metric == claim.metric
                        && r.step.is_none()
                        && r.claim.is_none()
                        && of_scheme(r)
                }) else {
                    return;
                };
                judge(&mut self.rows[i], claim, profile, None, &seeds);
            }
            Some(step) => {
                let series: Vec<&Measurement> = self
                    .rows
                    .iter()
                    .filter(|r| {
                        r.metric == claim.metric
                            && r.step.is_some()
                            && r.claim.is_none()
                            && of_scheme(r)
                    })
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
                judge(&mut row, claim, profile, note, &seeds);
                self.rows.push(row);
            }
        }
    }
}

fn judge(
    row: &mut Measurement,
    claim: &Claim,
    profile: Profile,
    extra: Option<String>,
    seeds: &[f64],
) {
    row.claim = Some(claim.id.clone());
    row.paper_value = claim.paper_value;
    row.tolerance = claim.tolerance.map(|t| t.to_string());
    // The claim's note first, then what the row said of its own measurement.
    let mut notes = vec![claim.note.clone(), std::mem::take(&mut row.note)];
    notes.extend(extra);
    row.verdict = match (claim.paper_value, claim.tolerance) {
        (Some(paper), Some(tol @ Tolerance::Quantiles(..)))
            if claim.verdict_in.contains(&profile) =>
        {
            match tol.quantile_interval(seeds) {
                Some((lo, hi)) if (lo..=hi).contains(&paper) => {
                    notes.push(format!(
                        "the paper's {} {} lies in [{}, {}] ({tol}, {} seeds)",
                        fmt_value(paper),
                        claim.unit,
                        fmt_value(lo),
                        fmt_value(hi),
                        seeds.len()
                    ));
                    Verdict::Reproduced
                }
                Some((lo, hi)) => {
                    notes.push(format!(
                        "the paper's {} {} lies outside [{}, {}] ({tol}, {} seeds)",
                        fmt_value(paper),
                        claim.unit,
                        fmt_value(lo),
                        fmt_value(hi),
                        seeds.len()
                    ));
                    Verdict::Deviates
                }
                None => {
                    notes.push(format!(
                        "no {}_per_seed rows to judge the distribution by",
                        claim.metric
                    ));
                    Verdict::Deviates
                }
            }
        }
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

    fn distribution_spec() -> Spec {
        let text = "id: d\ntitle: t\nkind: ckks-ops\npaper: {file: f.txt, section: s}\n\
seed: 1\nscheme: {engine: ckks, poly_modulus_degree: 8192, coeff_mod_bit_sizes: [60, 40, 40, 60], log2_scale: 40}\n\
profiles: {quick: {}, full: {}}\nclaims:\n\
  - {id: CS21-a, metric: acc, paper_value: 68.0, unit: '%', tolerance: {quantiles: [0.05, 0.95]}, note: ''}\n\
  - {id: CS21-b, metric: time_s, paper_value: 10.0, unit: s, scheme: tenseal, stage: s, note: ''}\n";
        parse_spec(std::path::Path::new("d.yaml"), text).unwrap()
    }

    #[test]
    fn quantile_claims_are_judged_on_the_seeds_and_scheme_claims_on_their_rows() {
        let spec = distribution_spec();
        let verdict = |values: &[f64]| {
            let mut r = rec(Profile::Full);
            for (i, v) in values.iter().enumerate() {
                r.series("s", "acc_per_seed", i as i64, *v, "%");
            }
            r.measure(
                "s",
                "acc",
                MetricKind::Quality,
                values[values.len() / 2],
                "%",
            );
            r.set_scheme("tenseal", "{}".into(), "tc128".into());
            r.measure("s", "time_s", MetricKind::Time, 4.0, "s");
            r.measure("other", "time_s", MetricKind::Time, 5.0, "s");
            r.set_scheme("ckks", "{}".into(), "tc128".into());
            r.measure("s", "time_s", MetricKind::Time, 0.04, "s");
            let rows = r.finish(&spec);
            let timed = rows
                .iter()
                .find(|m| m.claim.as_deref() == Some("CS21-b"))
                .unwrap();
            assert_eq!((timed.scheme.as_str(), timed.value), ("tenseal", 4.0));
            let acc = rows
                .iter()
                .find(|m| m.claim.as_deref() == Some("CS21-a"))
                .unwrap();
            (acc.verdict, acc.note.clone())
        };
        // 21 values 60..80: the 5-95 % interval is [61, 79].
        let wide: Vec<f64> = (60..=80).map(f64::from).collect();
        assert_eq!(verdict(&wide).0, Verdict::Reproduced);
        let high: Vec<f64> = (70..=90).map(f64::from).collect();
        let (v, note) = verdict(&high);
        assert_eq!(v, Verdict::Deviates);
        assert!(note.contains("outside [71, 89]"), "{note}");
        assert_eq!(
            Tolerance::Quantiles(0.25, 0.75).quantile_interval(&[4.0, 1.0, 3.0, 2.0]),
            Some((1.75, 3.25))
        );
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
