//! CryptoDL (Hesamifard et al. 2018) Section 3: networks with the sigmoid,
//! f2, the square or a polynomial approximation as hidden activation on the
//! UCI data sets of Table 1 (Table 2), the interval chosen from the feature
//! means (Algorithm 1), and the error rate against the share of training data
//! (Figure 1).
//!
//! What heml does where the paper (MATLAB's Neural Network Toolbox) is
//! silent, as MATLAB's pattern network defaults: one hidden layer of 10
//! units carrying the activation, softmax output; rows split 70/15/15 into
//! train / validation / test (seeded); inputs mapped to [-1, 1] by the
//! training rows' ranges (mapminmax); full-batch training (Adam, learning
//! rate 0.01 scaled by sqrt(10 / inputs) for wide inputs) stopped after 6
//! validation failures (counted from epoch 50: one Adam step is far smaller
//! than one of MATLAB's conjugate-gradient epochs) or the profile's epoch
//! limit, the weights of the best validation epoch kept. "Iterations" are the
//! epochs run. Every configuration runs over the profile's seeds and the
//! median accuracy is reported with its spread.
//!
//! The polynomial: the best approximation of the sigmoid under CryptoDL's
//! method-2 measure on [-m, m], m from Algorithm 1 on the features the
//! network sees, i.e. after the mapping to [-1, 1] (meanMean; maxMean and
//! minMean compared; the raw features' meanMean is recorded beside it), coefficients truncated to 10
//! significant digits; the lowest degree from 2 whose median accuracy comes
//! within a point of the sigmoid's is kept (the paper: "the polynomial
//! approximation with minimum degree").

use anyhow::{Context as _, Result};
use tch::Tensor;

use crate::approx::{Activation, Approximation, Interval, MeanStatistic, Method, Weight, interval};
use crate::data::split::{rng_from_seed, shuffle};
use crate::data::tabular::{Tabular, load_tabular};
use crate::plain::shallow::{HiddenActivation, ShallowConfig, Split, tensors, train_shallow};
use crate::results::record::MetricKind;

/// Table 1 of the paper: its number and heml's registry name for each set.
pub const TABLE1: [(usize, &str); 17] = [
    (1, "arcene"),
    (2, "banknote"),
    (3, "blood-transfusion"),
    (4, "breast-tissue"),
    (5, "cardiotocography:nsp"),
    (6, "cardiotocography:class"),
    (7, "climate-model-crashes"),
    (8, "cnae9"),
    (9, "sonar"),
    (10, "vowel"),
    (11, "crab"),
    (12, "daphnet-fog"),
    (13, "fertility"),
    (14, "theorem-proving"),
    (15, "ovarian"),
    (16, "wine"),
    (17, "sensorless-drive"),
];

/// Figure 1's four data sets (the paper does not name them): small, medium,
/// two-class and multi-class.
pub const FIGURE1: [&str; 4] = ["banknote", "climate-model-crashes", "crab", "wine"];

const MAX_DEGREE: usize = 9;
const SIGNIFICANT_DIGITS: u32 = 10;
/// A polynomial "works" within this many points of the sigmoid's accuracy,
/// and ties within it count as best.
const TIE_POINTS: f64 = 1.0;

/// One seeded split, normalised: train, validation, test tensors.
struct Prepared {
    train: (Tensor, Tensor),
    val: (Tensor, Tensor),
    test: (Tensor, Tensor),
    classes: usize,
}

fn prepare(t: &Tabular, seed: u64, train_share: f64) -> Prepared {
    let n = t.n_rows;
    let f = t.n_features;
    let mut idx: Vec<usize> = (0..n).collect();
    shuffle(&mut rng_from_seed(seed), &mut idx);
    let n_train = (0.70 * n as f64).round() as usize;
    let n_val = (0.15 * n as f64).round() as usize;
    let (tr, rest) = idx.split_at(n_train);
    let (va, te) = rest.split_at(n_val.min(rest.len()));
    let used = ((train_share * tr.len() as f64).round() as usize).clamp(1, tr.len());
    let tr = &tr[..used];
    // mapminmax on the training rows: [min, max] -> [-1, 1]; constant -> 0.
    let mut lo = vec![f64::INFINITY; f];
    let mut hi = vec![f64::NEG_INFINITY; f];
    for &r in tr {
        for j in 0..f {
            let v = t.features[r * f + j];
            lo[j] = lo[j].min(v);
            hi[j] = hi[j].max(v);
        }
    }
    let take = |rows: &[usize]| {
        let mut x = Vec::with_capacity(rows.len() * f);
        for &r in rows {
            for j in 0..f {
                let v = t.features[r * f + j];
                let span = hi[j] - lo[j];
                x.push(if span > 0.0 {
                    2.0 * (v - lo[j]) / span - 1.0
                } else {
                    0.0
                });
            }
        }
        let y: Vec<usize> = rows.iter().map(|&r| t.labels[r]).collect();
        tensors(&x, f, &y)
    };
    Prepared {
        train: take(tr),
        val: take(va),
        test: take(te),
        classes: t.n_classes,
    }
}

/// The feature means of the rows the network is trained on (after the
/// mapping to [-1, 1]): Algorithm 1's input.
fn network_input_means(p: &Prepared) -> Vec<f64> {
    let m = p.train.0.mean_dim(0, false, tch::Kind::Double);
    Vec::<f64>::try_from(&m).expect("a CPU tensor of doubles")
}

/// Median, min and max of accuracies and the median epoch count over seeds.
#[derive(Debug, Clone, Copy)]
struct Summary {
    median: f64,
    min: f64,
    max: f64,
    iterations: f64,
    diverged: usize,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn run_config(
    splits: &[Prepared],
    cfg: &ShallowConfig,
    act: &HiddenActivation,
    seed: u64,
) -> Result<Summary> {
    let mut acc = Vec::new();
    let mut its = Vec::new();
    let mut diverged = 0;
    for (s, p) in splits.iter().enumerate() {
        let cfg = ShallowConfig {
            seed: seed + s as u64,
            ..cfg.clone()
        };
        let r = train_shallow(
            &cfg,
            act,
            p.classes,
            Split {
                x: &p.train.0,
                y: &p.train.1,
            },
            Split {
                x: &p.val.0,
                y: &p.val.1,
            },
            Split {
                x: &p.test.0,
                y: &p.test.1,
            },
        )?;
        acc.push(r.test_accuracy);
        its.push(r.epochs_run as f64);
        diverged += usize::from(r.diverged);
    }
    let (min, max) = acc
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    Ok(Summary {
        median: median(&mut acc),
        min,
        max,
        iterations: median(&mut its),
        diverged,
    })
}

fn record_summary(rec: &mut super::Recorder, stage: &str, key: &str, s: &Summary, seeds: usize) {
    rec.measure(
        stage,
        &format!("{key}_accuracy"),
        MetricKind::Quality,
        s.median,
        "%",
    )
    .note = format!(
        "median test accuracy over {seeds} seeds (min {:.2}, max {:.2}){}",
        s.min,
        s.max,
        if s.diverged > 0 {
            format!(
                "; {} run(s) diverged (kept the best epoch before)",
                s.diverged
            )
        } else {
            String::new()
        }
    );
    rec.measure(
        stage,
        &format!("{key}_accuracy_min"),
        MetricKind::Info,
        s.min,
        "%",
    );
    rec.measure(
        stage,
        &format!("{key}_accuracy_max"),
        MetricKind::Info,
        s.max,
        "%",
    );
    rec.measure(
        stage,
        &format!("{key}_iterations"),
        MetricKind::Info,
        s.iterations,
        "epochs",
    )
    .note = "median epochs run before the validation stop".into();
}

/// Networks with one polynomial activation over the seeds' splits.
struct PolyRun<'a> {
    splits: &'a [Prepared],
    cfg: &'a ShallowConfig,
    seed: u64,
}

impl PolyRun<'_> {
    /// Trains with `a` as activation and records the summary as
    /// `{stage}_{name}_*` in stage `stage`.
    fn record(
        &self,
        rec: &mut super::Recorder,
        stage: &str,
        name: &str,
        a: &Approximation,
    ) -> Result<Summary> {
        let act = HiddenActivation::Polynomial(a.power_coeffs.clone());
        let s = run_config(self.splits, self.cfg, &act, self.seed)?;
        record_summary(
            rec,
            stage,
            &format!("{stage}_{name}"),
            &s,
            self.splits.len(),
        );
        Ok(s)
    }
}

/// The sigmoid's method-2 polynomial of `degree` on [-m, m], truncated.
fn polynomial(m: f64, degree: usize) -> Result<Approximation> {
    let a = Approximation::weighted_l2(
        Activation::Sigmoid,
        Interval::symmetric(m)?,
        degree,
        Weight::ExpInverseSquare,
    )?;
    Ok(a.truncate_significant_digits(SIGNIFICANT_DIGITS)?)
}

/// Results of one data set that Table 2 and the summaries need.
struct SetOutcome {
    poly_best_or_tied: bool,
    mean_mean_best_or_tied: Option<bool>,
}

#[allow(clippy::too_many_arguments)]
fn table2_set(
    rec: &mut super::Recorder,
    ctx: &super::Context,
    number: usize,
    t: &Tabular,
    seeds: usize,
    base_seed: u64,
    cfg: &ShallowConfig,
) -> Result<SetOutcome> {
    let splits: Vec<Prepared> = (0..seeds)
        .map(|s| prepare(t, base_seed + s as u64, 1.0))
        .collect();
    let key = |what: &str| format!("t2_d{number}_{what}");
    let stage = format!("table2_d{number}");
    let mut others = Vec::new();
    for (name, act) in [
        ("sigmoid", HiddenActivation::Sigmoid),
        ("f2", HiddenActivation::F2),
        ("square", HiddenActivation::Square),
    ] {
        let s = run_config(&splits, cfg, &act, base_seed)?;
        record_summary(rec, &stage, &key(name), &s, seeds);
        others.push(s.median);
    }
    let sigmoid = others[0];
    let means = network_input_means(&splits[0]);
    let m_mean = interval::mean_statistic(&means, MeanStatistic::MeanMean)?.abs();
    let m_max = interval::mean_statistic(&means, MeanStatistic::MaxMean)?.abs();
    let m_min = interval::mean_statistic(&means, MeanStatistic::MinMean)?.abs();
    rec.measure(&stage, &key("meanmean"), MetricKind::Info, m_mean, "")
        .note = format!(
        "Algorithm 1 on the network's inputs (mapped to [-1, 1]): meanMean (maxMean {m_max:.4}, minMean {m_min:.4})"
    );
    let raw = interval::feature_means_flat(&t.features, t.n_features)?;
    rec.measure(
        &stage,
        &key("meanmean_raw"),
        MetricKind::Info,
        interval::mean_statistic(&raw, MeanStatistic::MeanMean)?.abs(),
        "",
    )
    .note = "Algorithm 1 on the raw features, for reference (the network never sees them)".into();
    // The lowest degree that works on [-meanMean, meanMean].
    let mut chosen: Option<(usize, Approximation, Summary)> = None;
    let mut best: Option<(usize, Approximation, Summary)> = None;
    for degree in 2..=MAX_DEGREE {
        ctx.progress.println(format!(
            "    data set {number}: polynomial of degree {degree}"
        ));
        let a = polynomial(m_mean.max(1e-3), degree)?;
        let s = run_config(
            &splits,
            cfg,
            &HiddenActivation::Polynomial(a.power_coeffs.clone()),
            base_seed,
        )?;
        if best.as_ref().is_none_or(|(_, _, b)| s.median > b.median) {
            best = Some((degree, a.clone(), s));
        }
        if s.median >= sigmoid - TIE_POINTS {
            chosen = Some((degree, a, s));
            break;
        }
    }
    let (degree, approx, s) = chosen.or(best).expect("at least one degree tried");
    record_summary(rec, &stage, &key("poly"), &s, seeds);
    rec.measure(
        &stage,
        &key("poly_degree"),
        MetricKind::Info,
        degree as f64,
        "",
    )
    .note = "lowest degree within a point of the sigmoid's median accuracy (else the best)".into();
    rec.measure(
        &stage,
        &key("poly_norm"),
        MetricKind::Info,
        approx.weighted_l2_error.unwrap_or(f64::NAN),
        "",
    )
    .note = format!(
        "||sigmoid - p||_2 under the method-2 measure on [-{m_mean:.4}, {m_mean:.4}], coefficients cut to {SIGNIFICANT_DIGITS} digits"
    );
    let poly_best_or_tied = others.iter().all(|&o| s.median >= o - TIE_POINTS);
    // Algorithm 1: the same degree on the maxMean and minMean intervals.
    let mut a1 = Vec::new();
    for (name, m) in [("maxmean", m_max), ("minmean", m_min)] {
        if m < 1e-6 {
            continue;
        }
        let a = polynomial(m, degree)?;
        let run = PolyRun {
            splits: &splits,
            cfg,
            seed: base_seed,
        };
        a1.push(run.record(rec, &format!("a1_d{number}"), name, &a)?.median);
    }
    let mean_mean_best_or_tied =
        (!a1.is_empty()).then(|| a1.iter().all(|&o| s.median >= o - TIE_POINTS));
    // Beyond the paper: the other approximation methods at the same degree
    // and interval.
    for (name, method) in [
        ("l2_m1", Method::weighted_l2(Weight::chebyshev())),
        ("cheb_interp", Method::ChebyshevInterpolation),
        ("taylor", Method::Taylor),
        ("minimax", Method::Minimax),
    ] {
        let a = Approximation::new(
            &method,
            Activation::Sigmoid,
            Interval::symmetric(m_mean.max(1e-3))?,
            degree,
        )
        .with_context(|| format!("{name} of degree {degree}"))?;
        let run = PolyRun {
            splits: &splits,
            cfg,
            seed: base_seed,
        };
        run.record(rec, &format!("methods_d{number}"), name, &a)?;
    }
    Ok(SetOutcome {
        poly_best_or_tied,
        mean_mean_best_or_tied,
    })
}

/// Figure 1: error rate on one fixed test set against the share of the
/// training rows used (10 %, 20 %, ... 100 %), sigmoid against polynomial.
fn figure1_set(
    rec: &mut super::Recorder,
    name: &str,
    t: &Tabular,
    seeds: usize,
    base_seed: u64,
    cfg: &ShallowConfig,
    poly: &[f64],
) -> Result<f64> {
    let mut gaps = Vec::new();
    for tenth in 1..=10 {
        let share = tenth as f64 / 10.0;
        let splits: Vec<Prepared> = (0..seeds)
            .map(|s| prepare(t, base_seed + s as u64, share))
            .collect();
        let sig = run_config(&splits, cfg, &HiddenActivation::Sigmoid, base_seed)?;
        let pol = run_config(
            &splits,
            cfg,
            &HiddenActivation::Polynomial(poly.to_vec()),
            base_seed,
        )?;
        let short = name.replace('-', "_");
        rec.series(
            "sigmoid",
            &format!("sigmoid_error_rate_{short}"),
            tenth * 10,
            100.0 - sig.median,
            "%",
        );
        rec.series(
            "poly",
            &format!("poly_error_rate_{short}"),
            tenth * 10,
            100.0 - pol.median,
            "%",
        );
        gaps.push((sig.median - pol.median).abs());
    }
    Ok(gaps.iter().sum::<f64>() / gaps.len() as f64)
}

pub fn run(
    spec: &crate::spec::Spec,
    ctx: &super::Context,
    rec: &mut super::Recorder,
) -> Result<super::Outcome> {
    let settings = spec.settings(ctx.profile);
    let seeds = settings.seeds.max(1);
    let cfg = ShallowConfig {
        max_epochs: settings.epochs.unwrap_or(1000),
        ..Default::default()
    };
    let wanted = settings.datasets.clone();
    let runs = |name: &str| wanted.as_ref().is_none_or(|w| w.iter().any(|x| x == name));
    tch::set_num_threads(1);
    let mut attempted = 0usize;
    let mut poly_best = 0usize;
    let mut a1_best = 0usize;
    let mut a1_sets = 0usize;
    let mut chosen_poly: std::collections::HashMap<&str, Vec<f64>> = Default::default();
    for (number, name) in TABLE1 {
        if !runs(name) {
            continue;
        }
        let table = match load_tabular(ctx.data, name) {
            Ok(t) => t,
            Err(e) => {
                rec.measure(
                    &format!("table2_d{number}"),
                    &format!("t2_d{number}_available"),
                    MetricKind::Info,
                    0.0,
                    "",
                )
                .note = format!("not attempted: data set {name} not available ({e})");
                continue;
            }
        };
        ctx.progress.println(format!(
            "  Table 2, data set {number} ({name}): {} rows, {} features, {} classes",
            table.n_rows, table.n_features, table.n_classes
        ));
        attempted += 1;
        let out = table2_set(rec, ctx, number, &table, seeds, spec.seed, &cfg)
            .with_context(|| format!("Table 2, data set {number} ({name})"))?;
        poly_best += usize::from(out.poly_best_or_tied);
        if let Some(b) = out.mean_mean_best_or_tied {
            a1_sets += 1;
            a1_best += usize::from(b);
        }
        if FIGURE1.contains(&name) {
            let m = interval::mean_statistic(
                &network_input_means(&prepare(&table, spec.seed, 1.0)),
                MeanStatistic::MeanMean,
            )?
            .abs();
            let degree = 3;
            chosen_poly.insert(name, polynomial(m.max(1e-3), degree)?.power_coeffs);
        }
    }
    rec.measure(
        "table2",
        "t2_sets_attempted",
        MetricKind::Info,
        attempted as f64,
        "data sets",
    );
    rec.measure(
        "table2",
        "t2_poly_best_or_tied",
        MetricKind::Quality,
        poly_best as f64,
        "data sets",
    )
    .note = format!(
        "data sets (of {attempted}) where the polynomial's median accuracy is within {TIE_POINTS} point of the best of sigmoid, f2 and square, or above"
    );
    rec.measure(
        "a1",
        "a1_meanmean_best_or_tied",
        MetricKind::Quality,
        a1_best as f64,
        "data sets",
    )
    .note = format!(
        "data sets (of {a1_sets}) where [-meanMean, meanMean] is within {TIE_POINTS} point of the best of the maxMean and minMean intervals, or above"
    );
    let mut gaps = Vec::new();
    for name in FIGURE1 {
        if !runs(name) {
            continue;
        }
        let Some(poly) = chosen_poly.get(name) else {
            continue;
        };
        let table = load_tabular(ctx.data, name)?;
        ctx.progress.println(format!("  Figure 1: {name}"));
        gaps.push(figure1_set(
            rec, name, &table, seeds, spec.seed, &cfg, poly,
        )?);
    }
    if !gaps.is_empty() {
        rec.measure(
            "figure1",
            "f1_mean_gap",
            MetricKind::Error,
            gaps.iter().sum::<f64>() / gaps.len() as f64,
            "points",
        )
        .note = "mean |error(sigmoid) - error(polynomial of degree 3 on [-meanMean, meanMean])| over the shares and data sets, in points".into();
    }
    Ok(super::Outcome {
        security: "n/a (plaintext networks)".into(),
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Tabular {
        let n_rows = 40;
        let features: Vec<f64> = (0..n_rows * 3)
            .map(|i| {
                if i % 3 == 2 {
                    7.0
                } else {
                    (i as f64 * 0.7).sin() * 100.0
                }
            })
            .collect();
        Tabular {
            features,
            n_rows,
            n_features: 3,
            labels: (0..n_rows).map(|i| i % 2).collect(),
            n_classes: 2,
            feature_names: vec!["a".into(), "b".into(), "c".into()],
            class_names: vec!["0".into(), "1".into()],
        }
    }

    #[test]
    fn splits_are_70_15_15_and_inputs_are_mapped_to_the_unit_box() {
        let t = table();
        let p = prepare(&t, 7, 1.0);
        assert_eq!(p.train.0.size(), [28, 3]);
        assert_eq!(p.val.0.size(), [6, 3]);
        assert_eq!(p.test.0.size(), [6, 3]);
        let x = Vec::<f64>::try_from(&p.train.0.to_kind(tch::Kind::Double).flatten(0, -1)).unwrap();
        assert!(x.iter().all(|v| (-1.0..=1.0).contains(v)));
        // The constant feature maps to 0; the others reach both ends.
        assert!(x.iter().skip(2).step_by(3).all(|&v| v == 0.0));
        assert!(x.contains(&-1.0) && x.contains(&1.0));
        // A share of the training rows, the same test rows.
        let half = prepare(&t, 7, 0.5);
        assert_eq!(half.train.0.size(), [14, 3]);
        assert!(half.test.1.equal(&p.test.1));
        let means = network_input_means(&p);
        assert_eq!(means.len(), 3);
        assert_eq!(means[2], 0.0);
    }
}
