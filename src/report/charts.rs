//! The charts of an experiment: which to draw ([`plan_charts`]) and drawing
//! them as PNG and SVG with plotters ([`render_chart`]).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::format::{format_number, format_value};
use crate::report::{ReportError, atomic_write, temp_path};
use crate::results::record::{Measurement, MetricKind};
use crate::results::run::ExperimentRecord;

const FONT: &str = "sans-serif";

/// Colours of the series and bars (Tableau 10, readable on white).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const PAPER_COLOUR: RGBColor = RGBColor(20, 20, 20);
const GRID: RGBColor = RGBColor(232, 232, 232);
const TEXT: RGBColor = RGBColor(30, 30, 30);

/// One line of a series chart.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesLine {
    /// Legend text: the metric, with the scheme when one metric has several.
    pub label: String,
    pub metric: String,
    /// `(step, value)`, sorted by step.
    pub points: Vec<(i64, f64)>,
}

/// The paper's value of a series at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperPoint {
    pub metric: String,
    pub step: i64,
    pub value: f64,
    /// `paper: 92.1% @ 20`.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub unit: String,
    /// Description of the y axis, e.g. `accuracy (%)`.
    pub y_label: String,
    /// Description of the x axis: `step` (epochs, sample sizes), or for
    /// `*curve*` series x in per mille of the interval's half-width.
    pub x_label: String,
    pub series: Vec<SeriesLine>,
    pub paper: Vec<PaperPoint>,
}

/// One bar of a timing chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// `stage · metric`.
    pub label: String,
    pub stage: String,
    /// The label at the end of the bar: value and unit as measured.
    pub value_label: String,
    /// Length of the bar in `BarChart::axis_unit`.
    pub axis_value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub axis_unit: String,
    pub bars: Vec<Bar>,
    pub log_scale: bool,
}

/// The five-number summary of a column of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub min: f64,
    /// The 25th percentile (linear interpolation between ranks).
    pub q1: f64,
    pub median: f64,
    /// The 75th percentile.
    pub q3: f64,
    pub max: f64,
}

impl Summary {
    /// The summary of `values` (finite), or `None` when there is none.
    pub fn of(values: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        Some(Summary {
            min,
            q1: quantile(&sorted, 0.25),
            median: quantile(&sorted, 0.5),
            q3: quantile(&sorted, 0.75),
            max,
        })
    }
}

/// The `q`-quantile of non-empty sorted values, interpolated linearly
/// between the two nearest ranks (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let position = q.clamp(0.0, 1.0) * last as f64;
    let lo = position.floor() as usize;
    let hi = position.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo as f64)
}

/// One column of a distribution chart: one metric (and scheme) over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedColumn {
    /// Axis text: the metric without `_per_seed`, underscores as spaces, with
    /// the scheme when one metric has several.
    pub label: String,
    /// The per-seed metric, e.g. `lr_plain_accuracy_per_seed`.
    pub metric: String,
    /// `(seed index, value)`, sorted by seed index.
    pub values: Vec<(i64, f64)>,
    pub summary: Summary,
    /// The paper's value: the `paper_value` of the first claim row (same
    /// unit) of the metric without `_per_seed`, or of the per-seed metric
    /// itself (such a row is no dot).
    pub paper: Option<f64>,
}

/// Values repeated over seeds as box-and-strip plots side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionChart {
    pub unit: String,
    /// Description of the y axis, e.g. `accuracy (%)`.
    pub y_label: String,
    pub columns: Vec<SeedColumn>,
}

/// One bar of a group of a [`GroupedBarChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedBar {
    /// Index into [`GroupedBarChart::series`]: the bar's slot and colour.
    pub series: usize,
    /// The label above the bar: the value in the axis unit.
    pub value_label: String,
    /// Length of the bar in [`GroupedBarChart::axis_unit`].
    pub axis_value: f64,
}

/// The bars of one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct BarGroup {
    pub stage: String,
    /// At most one bar per series, in series order; a series without a
    /// value at this stage leaves its slot empty.
    pub bars: Vec<GroupedBar>,
}

/// One timing metric per stage: the paper's value, the peers' and heml's.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedBarChart {
    pub metric: String,
    pub axis_unit: String,
    /// Legend texts in slot order: `paper` first when the paper gives a
    /// value of any stage, then the schemes (see [`scheme_label`]).
    pub series: Vec<String>,
    /// Whether series 0 is the paper's.
    pub has_paper: bool,
    /// One group per stage, in order of first appearance.
    pub groups: Vec<BarGroup>,
    pub log_scale: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChartKind {
    Line(LineChart),
    Bar(BarChart),
    Distribution(DistributionChart),
    GroupedBars(GroupedBarChart),
}

/// A chart to draw: its file name stem, its texts, its size in pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// File name stem within the experiment, e.g. `series-accuracy`, `timings`.
    pub name: String,
    pub title: String,
    /// Text alternative for the `<img>`: what the chart shows, in words.
    pub alt: String,
    pub width: u32,
    pub height: u32,
    pub kind: ChartKind,
}

/// Split or stage prefixes that series of one chart may differ by.
const SPLIT_PREFIXES: [&str; 9] = [
    "train_",
    "training_",
    "test_",
    "testing_",
    "val_",
    "valid_",
    "validation_",
    "eval_",
    "evaluate_",
];

/// The name series are grouped by: the metric without its split or stage
/// prefix, so that `train_accuracy` and `test_accuracy` share a chart.
pub fn series_base(metric: &str, stage: &str) -> String {
    let stage_prefix = format!("{stage}_");
    for prefix in SPLIT_PREFIXES
        .iter()
        .copied()
        .chain([stage_prefix.as_str()])
    {
        if prefix != "_"
            && let Some(rest) = metric.strip_prefix(prefix)
            && !rest.is_empty()
        {
            return rest.to_string();
        }
    }
    metric.to_string()
}

/// Suffix of the metrics measured once per seed: their rows hold one value
/// each, `step` being the seed's index.
pub const PER_SEED_SUFFIX: &str = "_per_seed";

/// The metric a per-seed metric repeats (`lr_plain_accuracy_per_seed` gives
/// `lr_plain_accuracy`, the metric of its claim), or `None` when `metric` is
/// not measured per seed.
pub fn per_seed_base(metric: &str) -> Option<&str> {
    metric
        .strip_suffix(PER_SEED_SUFFIX)
        .filter(|base| !base.is_empty())
}

/// What a per-seed metric measures, the name distribution charts are grouped
/// by: the last word of the metric without `_per_seed`, so that
/// `lr_plain_accuracy_per_seed` and `lr_enceval_accuracy_per_seed` share a
/// chart (`accuracy`) and `lr_enceval_agreement_per_seed` gets its own.
pub fn seed_quantity(base: &str) -> &str {
    match base.rsplit('_').next() {
        Some(word) if !word.is_empty() => word,
        _ => base,
    }
}

/// How legends name a scheme: heml's own schemes as `heml (<scheme>)`, a
/// peer by its project's name (`tenseal` is `TenSEAL`), anything else as is.
pub fn scheme_label(scheme: &str) -> String {
    match scheme {
        "ckks" | "paillier" | "intvec" | "plaintext" => format!("heml ({scheme})"),
        "tenseal" => "TenSEAL".to_string(),
        "seal" => "SEAL".to_string(),
        "openfhe" => "OpenFHE".to_string(),
        "" => "measured".to_string(),
        other => other.to_string(),
    }
}

/// The charts of one experiment, in this order:
///
/// 1. one line chart per group of series (rows with `step`, except per-seed
///    metrics; same unit and same [`series_base`]);
/// 2. one distribution chart per group of per-seed metrics (metric ending in
///    [`PER_SEED_SUFFIX`]; same unit and same [`seed_quantity`], at most
///    [`MAX_SEED_COLUMNS`] metrics a chart), the paper's value taken from the
///    claim rows of the metric without the suffix;
/// 3. one grouped bar chart per timing metric (kind `time`, no `step`) that
///    occurs in at least two stages and either with at least two schemes or
///    with a paper value (claim rows): a group per stage, a bar per scheme and
///    one for the paper;
/// 4. the per-stage timing bars of the other timing rows (one chart per unit
///    when their units cannot be converted to one another).
pub fn plan_charts(experiment: &ExperimentRecord) -> Vec<ChartSpec> {
    let mut charts = series_charts(experiment);
    charts.extend(distribution_charts(experiment));
    let (grouped, drawn) = grouped_bar_charts(experiment);
    charts.extend(grouped);
    charts.extend(timing_charts(experiment, &drawn));
    let mut used = HashSet::new();
    for chart in &mut charts {
        let base = chart.name.clone();
        let mut n = 2;
        while !used.insert(chart.name.clone()) {
            chart.name = format!("{base}-{n}");
            n += 1;
        }
    }
    charts
}

fn series_charts(experiment: &ExperimentRecord) -> Vec<ChartSpec> {
    let rows: Vec<&Measurement> = experiment
        .measurements
        .iter()
        // A claim row with a step compares the series with the paper's point:
        // it is drawn as the paper marker, not as a point of the curve.
        .filter(|r| r.step.is_some() && r.value.is_finite())
        .filter(|r| r.claim.is_none() || r.paper_value.is_none())
        .filter(|r| per_seed_base(&r.metric).is_none())
        .collect();
    // Schemes per metric, to name series only by metric when that is enough.
    let mut schemes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in &rows {
        let list = schemes.entry(row.metric.as_str()).or_default();
        if !list.contains(&row.scheme.as_str()) {
            list.push(&row.scheme);
        }
    }

    // group key -> series key -> points, all in order of first appearance.
    type Group<'a> = Vec<((&'a str, &'a str), Vec<(i64, f64)>)>;
    let mut groups: Vec<((String, &str), Group<'_>)> = Vec::new();
    for row in &rows {
        let key = (series_base(&row.metric, &row.stage), row.unit.as_str());
        let index = match groups.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                groups.push((key, Vec::new()));
                groups.len() - 1
            }
        };
        let group = &mut groups[index].1;
        let series_key = (row.metric.as_str(), row.scheme.as_str());
        let step = row.step.unwrap_or_default();
        match group.iter_mut().find(|(k, _)| *k == series_key) {
            Some((_, points)) => points.push((step, row.value)),
            None => group.push((series_key, vec![(step, row.value)])),
        }
    }

    let mut charts = Vec::new();
    for ((base, unit), group) in groups {
        let series: Vec<SeriesLine> = group
            .into_iter()
            .map(|((metric, scheme), mut points)| {
                points.sort_by_key(|p| p.0);
                let label = if schemes.get(metric).is_some_and(|s| s.len() > 1) {
                    format!("{metric} ({scheme})")
                } else {
                    metric.to_string()
                };
                SeriesLine {
                    label,
                    metric: metric.to_string(),
                    points,
                }
            })
            .collect();
        let paper: Vec<PaperPoint> = experiment
            .measurements
            .iter()
            .filter(|r| r.claim.is_some() && r.unit == unit)
            .filter(|r| series.iter().any(|s| s.metric == r.metric))
            .filter_map(|r| {
                let step = r.step?;
                let value = r.paper_value.filter(|v| v.is_finite())?;
                Some(PaperPoint {
                    metric: r.metric.clone(),
                    step,
                    value,
                    label: format!("paper: {} @ {step}", format_value(value, unit)),
                })
            })
            .collect();
        let metrics: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
        let unit_text = if unit.is_empty() {
            String::new()
        } else {
            format!(" ({unit})")
        };
        let title = format!("{}{unit_text} per step", metrics.join(" / "));
        let alt = series_alt(&series, &paper, unit);
        charts.push(ChartSpec {
            name: format!("series-{}", crate::report::format::slug(&base)),
            title,
            alt,
            width: 960,
            height: 460,
            kind: ChartKind::Line(LineChart {
                unit: unit.to_string(),
                y_label: format!("{}{unit_text}", base.replace('_', " ")),
                x_label: if base.starts_with("curve") {
                    "x / l (per mille of the interval's half-width)".into()
                } else {
                    "step".into()
                },
                series,
                paper,
            }),
        });
    }
    charts
}

fn series_alt(series: &[SeriesLine], paper: &[PaperPoint], unit: &str) -> String {
    let mut parts = Vec::new();
    for s in series {
        let (Some(first), Some(last)) = (s.points.first(), s.points.last()) else {
            continue;
        };
        parts.push(format!(
            "{} from {} at step {} to {} at step {}",
            s.label,
            format_value(first.1, unit),
            first.0,
            format_value(last.1, unit),
            last.0
        ));
    }
    let mut alt = format!("Line chart: {}", parts.join("; "));
    for p in paper {
        alt.push_str(&format!("; {} ({})", p.label, p.metric));
    }
    alt.push('.');
    alt
}

/// Most metrics one distribution chart puts side by side; more make another
/// chart.
pub const MAX_SEED_COLUMNS: usize = 8;

/// Longest list of metric names a distribution chart's title spells out.
const TITLE_NAMES_MAX: usize = 70;

/// Whether a row carries a paper value for its claim (a copy of a measured
/// row, or the paper's point alone): drawn as the paper's mark.
fn is_paper_row(row: &Measurement) -> bool {
    row.claim.is_some() && row.paper_value.is_some()
}

fn distribution_charts(experiment: &ExperimentRecord) -> Vec<ChartSpec> {
    let rows: Vec<(&Measurement, &str)> = experiment
        .measurements
        .iter()
        .filter(|r| r.value.is_finite() && !is_paper_row(r))
        .filter_map(|r| per_seed_base(&r.metric).map(|base| (r, base)))
        .collect();
    let mut schemes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (row, _) in &rows {
        let list = schemes.entry(row.metric.as_str()).or_default();
        if !list.contains(&row.scheme.as_str()) {
            list.push(&row.scheme);
        }
    }

    // (quantity, unit) -> (metric, base, scheme) -> values, all in order of
    // first appearance.
    type Column<'a> = ((&'a str, &'a str, &'a str), Vec<(i64, f64)>);
    let mut groups: Vec<((&str, &str), Vec<Column<'_>>)> = Vec::new();
    for (row, base) in &rows {
        let key = (seed_quantity(base), row.unit.as_str());
        let index = match groups.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                groups.push((key, Vec::new()));
                groups.len() - 1
            }
        };
        let group = &mut groups[index].1;
        let column_key = (row.metric.as_str(), *base, row.scheme.as_str());
        let index = match group.iter().position(|(k, _)| *k == column_key) {
            Some(i) => i,
            None => {
                group.push((column_key, Vec::new()));
                group.len() - 1
            }
        };
        let values = &mut group[index].1;
        // Rows without a step are numbered in order.
        let seed = row.step.unwrap_or(values.len() as i64);
        values.push((seed, row.value));
    }

    let mut charts = Vec::new();
    for ((quantity, unit), group) in groups {
        let columns: Vec<SeedColumn> = group
            .into_iter()
            .filter_map(|((metric, base, scheme), mut values)| {
                values.sort_by_key(|v| v.0);
                let summary = Summary::of(&values.iter().map(|v| v.1).collect::<Vec<f64>>())?;
                let mut label = base.replace('_', " ");
                if schemes.get(metric).is_some_and(|s| s.len() > 1) {
                    label.push_str(&format!(" ({})", scheme_label(scheme)));
                }
                let paper = experiment
                    .measurements
                    .iter()
                    .filter(|r| r.claim.is_some() && r.unit == unit)
                    .filter(|r| r.metric == base || r.metric == metric)
                    .find_map(|r| r.paper_value.filter(|v| v.is_finite()));
                Some(SeedColumn {
                    label,
                    metric: metric.to_string(),
                    values,
                    summary,
                    paper,
                })
            })
            .collect();
        let several = columns.len() > MAX_SEED_COLUMNS;
        for (part, chunk) in columns.chunks(MAX_SEED_COLUMNS).enumerate() {
            let unit_text = if unit.is_empty() {
                String::new()
            } else {
                format!(" ({unit})")
            };
            let seeds: Vec<usize> = chunk.iter().map(|c| c.values.len()).collect();
            let over = match seeds.iter().max() {
                Some(&n) if seeds.iter().all(|s| *s == n) => {
                    format!("over {n} seed{}", if n == 1 { "" } else { "s" })
                }
                _ => "over seeds".to_string(),
            };
            let labels: Vec<&str> = chunk.iter().map(|c| c.label.as_str()).collect();
            // The metrics by name while the title stays short, else counted.
            let names = labels.join(" / ");
            let names = if names.chars().count() <= TITLE_NAMES_MAX {
                names
            } else {
                format!("{} of {} metrics", quantity.replace('_', " "), labels.len())
            };
            let slug = crate::report::format::slug(quantity);
            charts.push(ChartSpec {
                name: if several {
                    format!("seeds-{slug}-{}", part + 1)
                } else {
                    format!("seeds-{slug}")
                },
                title: format!("{names}{unit_text} {over}"),
                alt: distribution_alt(chunk, unit),
                width: (160 + 200 * chunk.len() as u32).max(760),
                height: 500,
                kind: ChartKind::Distribution(DistributionChart {
                    unit: unit.to_string(),
                    y_label: if quantity == unit || unit.is_empty() {
                        quantity.replace('_', " ")
                    } else {
                        format!("{}{unit_text}", quantity.replace('_', " "))
                    },
                    columns: chunk.to_vec(),
                }),
            });
        }
    }
    charts
}

/// `paper: 68.1%`, the text beside the paper's mark.
pub fn paper_label(value: f64, unit: &str) -> String {
    format!("paper: {}", format_value(value, unit))
}

fn distribution_alt(columns: &[SeedColumn], unit: &str) -> String {
    let parts: Vec<String> = columns
        .iter()
        .map(|c| {
            let s = &c.summary;
            let n = c.values.len();
            let mut text = format!(
                "{}: {n} seed{}, median {}, min {}, max {}, middle half {} to {}",
                c.label,
                if n == 1 { "" } else { "s" },
                format_value(s.median, unit),
                format_value(s.min, unit),
                format_value(s.max, unit),
                format_value(s.q1, unit),
                format_value(s.q3, unit),
            );
            match c.paper {
                Some(p) => text.push_str(&format!(", {}", paper_label(p, unit))),
                None => text.push_str(", no paper value"),
            }
            text
        })
        .collect();
    format!(
        "Box-and-strip chart, one dot per seed: {}.",
        parts.join("; ")
    )
}

/// Most timing values of one grouped chart may differ by this factor before
/// its axis becomes logarithmic.
const GROUPED_LINEAR_SPAN: f64 = 30.0;

/// The grouped bar charts and the indices (into the experiment's
/// measurements) of the rows they draw, which the timing charts leave out.
fn grouped_bar_charts(experiment: &ExperimentRecord) -> (Vec<ChartSpec>, HashSet<usize>) {
    // A row draws a bar with its value, or, for a claim, with the paper's.
    let rows: Vec<(usize, &Measurement)> = timing_rows(experiment)
        .filter(|(_, r)| {
            r.value.is_finite() || (is_paper_row(r) && r.paper_value.is_some_and(f64::is_finite))
        })
        .collect();
    let mut metrics: Vec<&str> = Vec::new();
    for (_, row) in &rows {
        if !metrics.contains(&row.metric.as_str()) {
            metrics.push(&row.metric);
        }
    }

    let mut charts = Vec::new();
    let mut drawn = HashSet::new();
    for metric in metrics {
        let of_metric: Vec<(usize, &Measurement)> = rows
            .iter()
            .copied()
            .filter(|(_, r)| r.metric == metric)
            .collect();
        let Some(axis_unit) = of_metric.first().map(|(_, r)| r.unit.as_str()) else {
            continue;
        };
        // Rows in another unit are converted when both are times; others are
        // left to the timing charts.
        let factor = |unit: &str| -> Option<f64> {
            if unit == axis_unit {
                Some(1.0)
            } else {
                Some(seconds_per(unit)? / seconds_per(axis_unit)?)
            }
        };
        let of_metric: Vec<(usize, &Measurement, f64)> = of_metric
            .into_iter()
            .filter_map(|(i, r)| Some((i, r, factor(&r.unit)?)))
            .collect();
        let mut stages: Vec<&str> = Vec::new();
        let mut schemes: Vec<&str> = Vec::new();
        for (_, r, _) in &of_metric {
            if !stages.contains(&r.stage.as_str()) {
                stages.push(&r.stage);
            }
            if r.value.is_finite() && !schemes.contains(&r.scheme.as_str()) {
                schemes.push(&r.scheme);
            }
        }
        let paper_of = |stage: &str| {
            of_metric.iter().find_map(|(_, r, f)| {
                let paper = r.paper_value.filter(|v| v.is_finite())?;
                (r.claim.is_some() && r.stage == stage).then_some(paper * f)
            })
        };
        let has_paper = stages.iter().any(|s| paper_of(s).is_some());
        if stages.len() < 2 || !(schemes.len() >= 2 || has_paper) {
            continue;
        }

        let mut series: Vec<String> = Vec::new();
        if has_paper {
            series.push("paper".to_string());
        }
        let first_scheme = series.len();
        series.extend(schemes.iter().map(|s| scheme_label(s)));
        let bar = |series: usize, axis_value: f64| GroupedBar {
            series,
            value_label: format_number(axis_value),
            axis_value,
        };
        let groups: Vec<BarGroup> = stages
            .iter()
            .map(|&stage| {
                let mut bars = Vec::new();
                if let Some(paper) = paper_of(stage) {
                    bars.push(bar(0, paper));
                }
                for (j, &scheme) in schemes.iter().enumerate() {
                    let at = |r: &Measurement| {
                        r.stage == stage && r.scheme == scheme && r.value.is_finite()
                    };
                    // A measured row, else the value a claim row copies.
                    let value = of_metric
                        .iter()
                        .find(|(_, r, _)| at(r) && !is_paper_row(r))
                        .or_else(|| of_metric.iter().find(|(_, r, _)| at(r)))
                        .map(|(_, r, f)| r.value * f);
                    if let Some(value) = value {
                        bars.push(bar(first_scheme + j, value));
                    }
                }
                BarGroup {
                    stage: stage.to_string(),
                    bars,
                }
            })
            .collect();
        drawn.extend(of_metric.iter().map(|(i, _, _)| *i));

        let positive: Vec<f64> = groups
            .iter()
            .flat_map(|g| g.bars.iter().map(|b| b.axis_value))
            .filter(|v| *v > 0.0)
            .collect();
        let max = positive.iter().copied().fold(f64::MIN, f64::max);
        let min = positive.iter().copied().fold(f64::MAX, f64::min);
        let log_scale = positive.len() >= 2 && max / min > GROUPED_LINEAR_SPAN;
        let chart = GroupedBarChart {
            metric: metric.to_string(),
            axis_unit: axis_unit.to_string(),
            series,
            has_paper,
            groups,
            log_scale,
        };
        let slots = chart.series.len() * chart.groups.len();
        charts.push(ChartSpec {
            name: format!("stages-{}", crate::report::format::slug(metric)),
            title: format!(
                "{metric} per stage ({axis_unit}{})",
                if log_scale { ", log scale" } else { "" }
            ),
            alt: grouped_alt(&chart),
            width: (160 + 64 * slots as u32).max(960),
            height: 500,
            kind: ChartKind::GroupedBars(chart),
        });
    }
    (charts, drawn)
}

fn grouped_alt(chart: &GroupedBarChart) -> String {
    let groups: Vec<String> = chart
        .groups
        .iter()
        .map(|g| {
            let bars: Vec<String> = g
                .bars
                .iter()
                .map(|b| {
                    let name = chart.series.get(b.series).map_or("?", String::as_str);
                    format!("{name} {}", format_value(b.axis_value, &chart.axis_unit))
                })
                .collect();
            format!("{}: {}", g.stage, bars.join(", "))
        })
        .collect();
    format!(
        "Grouped bar chart of {} per stage{}, bars for {}: {}.",
        chart.metric,
        if chart.log_scale { " (log scale)" } else { "" },
        chart.series.join(", "),
        groups.join("; ")
    )
}

/// The label of an axis tick: the value, or on a log10 axis the power of ten
/// at whole decades (nothing between them).
fn axis_tick(v: f64, log_scale: bool) -> String {
    if !log_scale {
        format_number(v)
    } else if (v - v.round()).abs() < 1e-9 {
        format_number(10f64.powf(v.round()))
    } else {
        String::new()
    }
}

/// Seconds per unit for the time units a timing row may have.
fn seconds_per(unit: &str) -> Option<f64> {
    Some(match unit.trim() {
        "ns" => 1e-9,
        "us" | "µs" | "μs" => 1e-6,
        "ms" => 1e-3,
        "s" | "sec" | "secs" => 1.0,
        "min" => 60.0,
        "h" => 3600.0,
        _ => return None,
    })
}

/// The rows of kind `time` without `step` that are not measured per seed,
/// with their index in the experiment's measurements.
fn timing_rows(experiment: &ExperimentRecord) -> impl Iterator<Item = (usize, &Measurement)> {
    experiment.measurements.iter().enumerate().filter(|(_, r)| {
        r.kind == MetricKind::Time && r.step.is_none() && per_seed_base(&r.metric).is_none()
    })
}

/// The timing bars of the rows not drawn elsewhere (`drawn` holds indices
/// into the experiment's measurements).
fn timing_charts(experiment: &ExperimentRecord, drawn: &HashSet<usize>) -> Vec<ChartSpec> {
    let rows: Vec<&Measurement> = timing_rows(experiment)
        .filter(|(i, r)| !drawn.contains(i) && r.value.is_finite())
        .map(|(_, r)| r)
        .collect();
    if rows.is_empty() {
        return Vec::new();
    }
    let mut units: Vec<&str> = Vec::new();
    for row in &rows {
        if !units.contains(&row.unit.as_str()) {
            units.push(&row.unit);
        }
    }
    // One axis when all units are equal or all convert to seconds; else
    // one chart per unit.
    let groups: Vec<(String, Vec<&Measurement>, Option<f64>)> = if units.len() == 1 {
        vec![(units[0].to_string(), rows.clone(), None)]
    } else if units.iter().all(|u| seconds_per(u).is_some()) {
        vec![("s".to_string(), rows.clone(), Some(1.0))]
    } else {
        units
            .iter()
            .map(|u| {
                let group = rows.iter().copied().filter(|r| r.unit == *u).collect();
                (u.to_string(), group, None)
            })
            .collect()
    };
    // Labels need the scheme only when a (stage, metric) pair repeats.
    let mut pair_count: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for row in &rows {
        *pair_count.entry((&row.stage, &row.metric)).or_default() += 1;
    }

    let several = groups.len() > 1;
    groups
        .into_iter()
        .map(|(axis_unit, group, convert)| {
            let bars: Vec<Bar> = group
                .iter()
                .map(|r| {
                    let mut label = if r.stage.is_empty() || r.metric.starts_with(&r.stage) {
                        r.metric.clone()
                    } else {
                        format!("{} · {}", r.stage, r.metric)
                    };
                    if pair_count[&(r.stage.as_str(), r.metric.as_str())] > 1 {
                        label.push_str(&format!(" ({})", r.scheme));
                    }
                    let axis_value = match convert {
                        Some(_) => r.value * seconds_per(&r.unit).unwrap_or(1.0),
                        None => r.value,
                    };
                    Bar {
                        label,
                        stage: r.stage.clone(),
                        value_label: format_value(r.value, &r.unit),
                        axis_value,
                    }
                })
                .collect();
            let positive: Vec<f64> = bars
                .iter()
                .map(|b| b.axis_value)
                .filter(|v| *v > 0.0)
                .collect();
            let max = positive.iter().copied().fold(f64::MIN, f64::max);
            let min = positive.iter().copied().fold(f64::MAX, f64::min);
            let log_scale = positive.len() >= 2 && max / min > 100.0;
            let name = if several {
                format!("timings-{}", crate::report::format::slug(&axis_unit))
            } else {
                "timings".to_string()
            };
            let listed: Vec<String> = bars
                .iter()
                .take(16)
                .map(|b| format!("{} {}", b.label, b.value_label))
                .collect();
            let more = if bars.len() > 16 {
                format!(" and {} more", bars.len() - 16)
            } else {
                String::new()
            };
            let alt = format!(
                "Horizontal bar chart of per-stage timings{}: {}{more}.",
                if log_scale { " (log scale)" } else { "" },
                listed.join(", ")
            );
            let height = (110 + 34 * bars.len() as u32).max(200);
            ChartSpec {
                name,
                title: format!(
                    "Time per stage ({axis_unit}{})",
                    if log_scale { ", log scale" } else { "" }
                ),
                alt,
                width: 960,
                height,
                kind: ChartKind::Bar(BarChart {
                    axis_unit,
                    bars,
                    log_scale,
                }),
            }
        })
        .collect()
}

/// Draws `spec` into `png` and `svg`, each written atomically.
pub fn render_chart(spec: &ChartSpec, png: &Path, svg: &Path) -> Result<(), ReportError> {
    let chart_error = |path: &Path, message: String| ReportError::Chart {
        path: path.to_path_buf(),
        message,
    };

    // The bitmap backend writes the file itself and picks the encoder by the
    // extension, so it draws into a temporary `.png` beside the target.
    let tmp = temp_path(png);
    let drawn = {
        let root = BitMapBackend::new(&tmp, (spec.width, spec.height)).into_drawing_area();
        draw(&root, spec).and_then(|()| root.present().map_err(|e| e.to_string()))
    };
    if let Err(message) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(chart_error(png, message));
    }
    std::fs::rename(&tmp, png).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        ReportError::Io {
            path: png.to_path_buf(),
            source,
        }
    })?;

    let mut text = String::new();
    {
        let root =
            SVGBackend::with_string(&mut text, (spec.width, spec.height)).into_drawing_area();
        draw(&root, spec)
            .and_then(|()| root.present().map_err(|e| e.to_string()))
            .map_err(|message| chart_error(svg, message))?;
    }
    atomic_write(svg, text.as_bytes())
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, spec: &ChartSpec) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    match &spec.kind {
        ChartKind::Line(chart) => draw_line(root, &spec.title, chart),
        ChartKind::Bar(chart) => draw_bars(root, &spec.title, chart),
        ChartKind::Distribution(chart) => draw_distribution(root, &spec.title, chart),
        ChartKind::GroupedBars(chart) => draw_grouped_bars(root, &spec.title, chart),
    }
    .map_err(|e| e.to_string())
}

/// Lower and upper end of an axis holding `values`, with some room around.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.08;
    (lo - pad, hi + pad)
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    chart: &LineChart,
) -> DrawResult<DB> {
    let steps = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(chart.paper.iter().map(|p| p.step));
    let (mut x_lo, mut x_hi) = (i64::MAX, i64::MIN);
    for step in steps {
        x_lo = x_lo.min(step);
        x_hi = x_hi.max(step);
    }
    if x_lo > x_hi {
        (x_lo, x_hi) = (0, 1);
    }
    // At most one label per step: no ticks between integer steps.
    let x_labels = usize::try_from(x_hi.saturating_sub(x_lo))
        .unwrap_or(usize::MAX)
        .saturating_add(1)
        .clamp(2, 12);
    // Steps are integers; the axis is not, so that the first and last
    // points (and the paper's marker) keep some room from the frame.
    let (x_lo, x_hi) = if x_lo == x_hi {
        (x_lo as f64 - 1.0, x_hi as f64 + 1.0)
    } else {
        let pad = ((x_hi - x_lo) as f64 * 0.035).max(0.3);
        (x_lo as f64 - pad, x_hi as f64 + pad)
    };
    let values = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(chart.paper.iter().map(|p| p.value));
    let (y_lo, y_hi) = padded_range(values);

    let mut ctx = ChartBuilder::on(root)
        .caption(title, (FONT, 22).into_font().color(&TEXT))
        .margin(14)
        .margin_right(28)
        .x_label_area_size(50)
        .y_label_area_size(84)
        .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
    ctx.configure_mesh()
        .max_light_lines(0)
        .bold_line_style(GRID)
        .x_labels(x_labels)
        .y_labels(8)
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-9 {
                format!("{}", x.round() as i64)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format_number(*y))
        .label_style((FONT, 15).into_font().color(&TEXT))
        .axis_desc_style((FONT, 16).into_font().color(&TEXT))
        .draw()?;

    for (i, series) in chart.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let points: Vec<(f64, f64)> = series.points.iter().map(|p| (p.0 as f64, p.1)).collect();
        ctx.draw_series(LineSeries::new(
            points.iter().copied(),
            colour.stroke_width(2),
        ))?
        .label(series.label.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], colour.stroke_width(3)));
        if series.points.len() <= 60 {
            ctx.draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))?;
        }
    }

    if !chart.paper.is_empty() {
        let marker = |c: (f64, f64)| {
            EmptyElement::at(c)
                + Circle::new((0, 0), 8, PAPER_COLOUR.stroke_width(2))
                + Cross::new((0, 0), 5, PAPER_COLOUR.stroke_width(2))
        };
        ctx.draw_series(chart.paper.iter().map(|p| marker((p.step as f64, p.value))))?
            .label("paper value")
            .legend(move |(x, y)| {
                EmptyElement::at((x + 11, y))
                    + Circle::new((0, 0), 6, PAPER_COLOUR.stroke_width(2))
                    + Cross::new((0, 0), 4, PAPER_COLOUR.stroke_width(2))
            });
        let (px_range, py_range) = ctx.plotting_area().get_pixel_range();
        let style = TextStyle::from((FONT, 15).into_font()).color(&PAPER_COLOUR);
        for point in &chart.paper {
            let (px, py) = ctx.backend_coord(&(point.step as f64, point.value));
            let (w, h) = root.estimate_text_size(&point.label, &style)?;
            let (w, h) = (w as i32, h as i32);
            // Right of the point when it fits, else left of it; above the
            // point when there is room, else below.
            let x0 = if px + 12 + w < px_range.end - 4 {
                px + 12
            } else {
                px - 12 - w
            };
            let y0 = if py - 14 - h > py_range.start + 4 {
                py - 14 - h
            } else {
                py + 14
            };
            root.draw(&Rectangle::new(
                [(x0 - 4, y0 - 3), (x0 + w + 4, y0 + h + 3)],
                WHITE.mix(0.85).filled(),
            ))?;
            root.draw(&Rectangle::new(
                [(x0 - 4, y0 - 3), (x0 + w + 4, y0 + h + 3)],
                PAPER_COLOUR.stroke_width(1),
            ))?;
            root.draw_text(
                &point.label,
                &style.pos(Pos::new(HPos::Left, VPos::Top)),
                (x0, y0),
            )?;
        }
    }

    let position = legend_position(chart, (x_lo, x_hi), (y_lo, y_hi));
    ctx.configure_series_labels()
        .position(position)
        .margin(12)
        .legend_area_size(34)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .label_font((FONT, 15).into_font().color(&TEXT))
        .draw()?;
    Ok(())
}

/// The corner of the plot with the fewest points (paper points count more,
/// their labels sit beside them), lower right first.
fn legend_position(chart: &LineChart, x: (f64, f64), y: (f64, f64)) -> SeriesLabelPosition {
    let corners = [
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerLeft, false, false),
        (SeriesLabelPosition::UpperLeft, false, true),
    ];
    let in_corner = |px: f64, py: f64, right: bool, upper: bool| {
        let fx = (px - x.0) / (x.1 - x.0);
        let fy = (py - y.0) / (y.1 - y.0);
        let horizontal = if right { fx > 0.6 } else { fx < 0.4 };
        let vertical = if upper { fy > 0.62 } else { fy < 0.38 };
        horizontal && vertical
    };
    let mut best = (SeriesLabelPosition::LowerRight, usize::MAX);
    for (position, right, upper) in corners {
        let points = chart
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| in_corner(p.0 as f64, p.1, right, upper))
            .count();
        let paper = chart
            .paper
            .iter()
            .filter(|p| in_corner(p.step as f64, p.value, right, upper))
            .count();
        let score = points + 10 * paper;
        if score < best.1 {
            best = (position, score);
        }
    }
    best.0
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    chart: &BarChart,
) -> DrawResult<DB> {
    let label_style = TextStyle::from((FONT, 15).into_font()).color(&TEXT);
    let mut label_w = 0;
    for bar in &chart.bars {
        label_w = label_w.max(root.estimate_text_size(&bar.label, &label_style)?.0);
    }
    let mut value_w = 0;
    for bar in &chart.bars {
        value_w = value_w.max(root.estimate_text_size(&bar.value_label, &label_style)?.0);
    }
    let (width, _) = root.dim_in_pixel();
    let label_area = (label_w + 20).min(width / 2);
    let plot_w = (width as f64 - label_area as f64 - 40.0).max(100.0);
    // Room right of the longest bar for its value label.
    let stretch = plot_w / (plot_w - value_w as f64 - 16.0).max(plot_w * 0.5);

    let positive = chart.bars.iter().map(|b| b.axis_value).filter(|v| *v > 0.0);
    let max = positive.clone().fold(0.0_f64, f64::max);
    let min = positive.fold(f64::MAX, f64::min);
    // On a log scale the axis runs over decades (log10 of the value).
    let (x_lo, x_hi) = if chart.log_scale {
        // Half a decade below the shortest bar, so that it shows.
        let lo = (min.log10() - 0.5).floor();
        let hi = max.log10().ceil().max(lo + 1.0);
        (lo, lo + (hi - lo) * stretch)
    } else {
        let hi = if max > 0.0 { max } else { 1.0 };
        (0.0, hi * stretch)
    };
    let axis = |v: f64| {
        if chart.log_scale {
            if v > 0.0 { v.log10().max(x_lo) } else { x_lo }
        } else {
            v.max(0.0)
        }
    };

    let n = chart.bars.len();
    let mut ctx = ChartBuilder::on(root)
        .caption(title, (FONT, 22).into_font().color(&TEXT))
        .margin(14)
        .margin_right(26)
        .x_label_area_size(48)
        .y_label_area_size(label_area)
        .build_cartesian_2d(x_lo..x_hi, -0.5..(n as f64 - 0.5))?;
    let decades = (x_hi - x_lo).ceil() as usize + 1;
    let log_scale = chart.log_scale;
    let x_desc = if log_scale {
        format!("{} (log scale)", chart.axis_unit)
    } else {
        chart.axis_unit.clone()
    };
    ctx.configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .max_light_lines(0)
        .bold_line_style(GRID)
        .x_labels(if log_scale { decades } else { 8 })
        .x_label_formatter(&|x| axis_tick(*x, log_scale))
        .x_desc(x_desc)
        .label_style((FONT, 15).into_font().color(&TEXT))
        .axis_desc_style((FONT, 16).into_font().color(&TEXT))
        .draw()?;

    let mut stages: Vec<&str> = Vec::new();
    for bar in &chart.bars {
        if !stages.contains(&bar.stage.as_str()) {
            stages.push(&bar.stage);
        }
    }
    for (i, bar) in chart.bars.iter().enumerate() {
        let y = (n - 1 - i) as f64;
        let colour = PALETTE[stages.iter().position(|s| *s == bar.stage).unwrap_or(0) % 10];
        let end = axis(bar.axis_value);
        ctx.draw_series(std::iter::once(Rectangle::new(
            [(x_lo, y - 0.32), (end, y + 0.32)],
            colour.mix(0.85).filled(),
        )))?;
        let (lx, ly) = ctx.backend_coord(&(x_lo, y));
        root.draw_text(
            &bar.label,
            &label_style.pos(Pos::new(HPos::Right, VPos::Center)),
            (lx - 8, ly),
        )?;
        let (vx, vy) = ctx.backend_coord(&(end, y));
        root.draw_text(
            &bar.value_label,
            &label_style.pos(Pos::new(HPos::Left, VPos::Center)),
            (vx + 6, vy),
        )?;
    }
    Ok(())
}

/// A mark of a legend row.
#[derive(Debug, Clone, Copy)]
enum LegendMark {
    /// A filled square: a bar's colour.
    Swatch(RGBColor),
    /// A dot: one value.
    Dot(RGBColor),
    /// A thick horizontal line: a median.
    Line(RGBColor),
    /// An open box: the middle half of the values.
    Box(RGBColor),
    /// The paper's diamond on a dashed line.
    Paper,
}

/// Neutral colour of the legend marks that stand for every column.
const NEUTRAL: RGBColor = RGBColor(110, 110, 110);
/// Height of the band above the plot holding the title and the legend.
const HEADER_HEIGHT: u32 = 78;

/// The title, centred at the top of `area`.
fn draw_title<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, title: &str) -> DrawResult<DB> {
    let (width, _) = area.dim_in_pixel();
    let style = TextStyle::from((FONT, 22).into_font())
        .color(&TEXT)
        .pos(Pos::new(HPos::Center, VPos::Top));
    area.draw_text(title, &style, (width as i32 / 2, 8))
}

/// One row of legend entries, centred horizontally around pixel row `y`.
fn draw_legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    y: i32,
    entries: &[(LegendMark, String)],
) -> DrawResult<DB> {
    const MARK: i32 = 24;
    const GAP: i32 = 22;
    let style = TextStyle::from((FONT, 15).into_font()).color(&TEXT);
    let mut widths = Vec::with_capacity(entries.len());
    for (_, text) in entries {
        widths.push(area.estimate_text_size(text, &style)?.0 as i32);
    }
    let total: i32 =
        widths.iter().map(|w| MARK + 6 + w).sum::<i32>() + GAP * (entries.len() as i32 - 1).max(0);
    let (width, _) = area.dim_in_pixel();
    let mut x = ((width as i32 - total) / 2).max(8);
    for ((mark, text), w) in entries.iter().zip(widths) {
        match *mark {
            LegendMark::Swatch(colour) => {
                area.draw(&Rectangle::new(
                    [(x + 3, y - 8), (x + 20, y + 8)],
                    colour.mix(0.85).filled(),
                ))?;
            }
            LegendMark::Dot(colour) => {
                area.draw(&Circle::new((x + 12, y), 4, colour.mix(0.75).filled()))?;
                area.draw(&Circle::new((x + 12, y), 4, colour.stroke_width(1)))?;
            }
            LegendMark::Line(colour) => {
                area.draw(&PathElement::new(
                    vec![(x + 1, y), (x + 23, y)],
                    colour.stroke_width(3),
                ))?;
            }
            LegendMark::Box(colour) => {
                area.draw(&Rectangle::new(
                    [(x + 4, y - 8), (x + 20, y + 8)],
                    colour.mix(0.18).filled(),
                ))?;
                area.draw(&Rectangle::new(
                    [(x + 4, y - 8), (x + 20, y + 8)],
                    colour.stroke_width(2),
                ))?;
            }
            LegendMark::Paper => {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + 5, y)],
                    PAPER_COLOUR.stroke_width(2),
                ))?;
                area.draw(&PathElement::new(
                    vec![(x + 19, y), (x + 24, y)],
                    PAPER_COLOUR.stroke_width(2),
                ))?;
                area.draw(&diamond_points((x + 12, y), 6, PAPER_COLOUR.filled()))?;
            }
        }
        area.draw_text(
            text,
            &style.pos(Pos::new(HPos::Left, VPos::Center)),
            (x + MARK + 6, y),
        )?;
        x += MARK + 6 + w + GAP;
    }
    Ok(())
}

/// A diamond of half-diagonal `size` pixels around `centre`, in pixels.
fn diamond_points(centre: (i32, i32), size: i32, style: ShapeStyle) -> Polygon<(i32, i32)> {
    let (x, y) = centre;
    Polygon::new(
        vec![(x, y - size), (x + size, y), (x, y + size), (x - size, y)],
        style,
    )
}

/// Horizontal offset of the dot of seed `seed` within its column, in
/// columns: deterministic, spread evenly by the golden ratio, within
/// `±DOT_SPREAD`.
pub fn jitter(seed: i64) -> f64 {
    const GOLDEN: f64 = 0.618_033_988_749_895;
    ((seed as f64 + 0.5) * GOLDEN).rem_euclid(1.0) * 2.0 * DOT_SPREAD - DOT_SPREAD
}

/// Half-width of the cloud of dots of a column, in columns.
const DOT_SPREAD: f64 = 0.15;
/// Half-width of a box, in columns.
const BOX_HALF: f64 = 0.22;
/// Half-width of the paper's dashed line, in columns.
const PAPER_HALF: f64 = 0.34;
// The dots stay within their box's width, the paper's line reaches beyond.
const _: () = assert!(DOT_SPREAD < BOX_HALF && BOX_HALF < PAPER_HALF);

fn draw_distribution<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    chart: &DistributionChart,
) -> DrawResult<DB> {
    let (top, plot) = root.split_vertically(HEADER_HEIGHT);
    draw_title(&top, title)?;
    let mut legend = vec![
        (LegendMark::Dot(NEUTRAL), "one seed".to_string()),
        (LegendMark::Line(TEXT), "median".to_string()),
        (
            LegendMark::Box(NEUTRAL),
            "25th to 75th percentile, whiskers min to max".to_string(),
        ),
    ];
    if chart.columns.iter().any(|c| c.paper.is_some()) {
        legend.push((LegendMark::Paper, "paper".to_string()));
    }
    draw_legend_row(&top, 56, &legend)?;

    let n = chart.columns.len().max(1);
    let values = chart
        .columns
        .iter()
        .flat_map(|c| c.values.iter().map(|v| v.1).chain(c.paper));
    let (y_lo, y_hi) = padded_range(values);
    let mut ctx = ChartBuilder::on(&plot)
        .margin(14)
        .margin_top(6)
        .margin_right(28)
        .x_label_area_size(64)
        .y_label_area_size(84)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), y_lo..y_hi)?;
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .max_light_lines(0)
        .bold_line_style(GRID)
        .y_labels(8)
        .y_desc(chart.y_label.as_str())
        .y_label_formatter(&|y| format_number(*y))
        .label_style((FONT, 15).into_font().color(&TEXT))
        .axis_desc_style((FONT, 16).into_font().color(&TEXT))
        .draw()?;

    let label_style = TextStyle::from((FONT, 15).into_font()).color(&TEXT);
    let count_style = TextStyle::from((FONT, 13).into_font()).color(&NEUTRAL);
    let paper_style = TextStyle::from((FONT, 14).into_font()).color(&PAPER_COLOUR);
    let (px_range, py_range) = ctx.plotting_area().get_pixel_range();
    let column_px = (px_range.end - px_range.start) / n as i32;
    for (i, column) in chart.columns.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let x = i as f64;
        let s = &column.summary;
        let bounds = [(x - BOX_HALF, s.q1), (x + BOX_HALF, s.q3)];
        ctx.draw_series([
            Rectangle::new(bounds, colour.mix(0.18).filled()),
            Rectangle::new(bounds, colour.stroke_width(2)),
        ])?;
        let whisker = colour.stroke_width(2);
        ctx.draw_series([
            PathElement::new(vec![(x, s.min), (x, s.q1)], whisker),
            PathElement::new(vec![(x, s.q3), (x, s.max)], whisker),
            PathElement::new(vec![(x - 0.08, s.min), (x + 0.08, s.min)], whisker),
            PathElement::new(vec![(x - 0.08, s.max), (x + 0.08, s.max)], whisker),
        ])?;
        ctx.draw_series(std::iter::once(PathElement::new(
            vec![(x - BOX_HALF, s.median), (x + BOX_HALF, s.median)],
            TEXT.stroke_width(3),
        )))?;
        ctx.draw_series(column.values.iter().map(|&(seed, value)| {
            EmptyElement::at((x + jitter(seed), value))
                + Circle::new((0, 0), 4, colour.mix(0.75).filled())
                + Circle::new((0, 0), 4, colour.stroke_width(1))
        }))?;

        if let Some(paper) = column.paper {
            ctx.draw_series(DashedLineSeries::new(
                [(x - PAPER_HALF, paper), (x + PAPER_HALF, paper)],
                7,
                4,
                PAPER_COLOUR.stroke_width(2),
            ))?;
            let (dx, dy) = ctx.backend_coord(&(x + PAPER_HALF, paper));
            root.draw(&diamond_points((dx, dy), 7, PAPER_COLOUR.filled()))?;
            let text = paper_label(paper, &chart.unit);
            let (w, h) = root.estimate_text_size(&text, &paper_style)?;
            let (w, h) = (w as i32, h as i32);
            // Right of the diamond when the text fits before the next box,
            // else left of the line when it fits after the previous box, else
            // above the line (below it at the top of the plot).
            let next_box = ctx.backend_coord(&(x + 1.0 - BOX_HALF, paper)).0;
            let previous_box = ctx.backend_coord(&(x - 1.0 + BOX_HALF, paper)).0;
            let line_start = ctx.backend_coord(&(x - PAPER_HALF, paper)).0;
            let (x0, y0) = if dx + 11 + w < next_box.min(px_range.end - 2) {
                (dx + 11, dy - h / 2)
            } else if line_start - 8 - w > previous_box.max(px_range.start + 2) {
                (line_start - 8 - w, dy - h / 2)
            } else {
                let above = dy - 6 - h;
                let y0 = if above > py_range.start + 2 {
                    above
                } else {
                    dy + 6
                };
                (line_start, y0)
            };
            root.draw(&Rectangle::new(
                [(x0 - 3, y0 - 2), (x0 + w + 3, y0 + h + 2)],
                WHITE.mix(0.8).filled(),
            ))?;
            root.draw_text(
                &text,
                &paper_style.pos(Pos::new(HPos::Left, VPos::Top)),
                (x0, y0),
            )?;
        }

        // The column's name under the axis, on two lines when it is wide,
        // then the number of seeds.
        let (cx, cy) = ctx.backend_coord(&(x, y_lo));
        let mut lines = vec![column.label.clone()];
        if root.estimate_text_size(&column.label, &label_style)?.0 as i32 > column_px - 8 {
            lines = split_in_two(&column.label);
        }
        let mut y = cy + 8;
        for line in &lines {
            root.draw_text(
                line,
                &label_style.pos(Pos::new(HPos::Center, VPos::Top)),
                (cx, y),
            )?;
            y += 18;
        }
        root.draw_text(
            &format!("n = {}", column.values.len()),
            &count_style.pos(Pos::new(HPos::Center, VPos::Top)),
            (cx, y),
        )?;
    }
    Ok(())
}

/// `text` in two lines, split at the space nearest its middle (one line
/// when it has no space).
fn split_in_two(text: &str) -> Vec<String> {
    let middle = text.len() / 2;
    let split = text
        .match_indices(' ')
        .map(|(i, _)| i)
        .min_by_key(|i| i.abs_diff(middle));
    match split {
        Some(i) => vec![text[..i].to_string(), text[i + 1..].to_string()],
        None => vec![text.to_string()],
    }
}

/// Width of the bars of one group, in groups.
const GROUP_WIDTH: f64 = 0.8;

fn draw_grouped_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    chart: &GroupedBarChart,
) -> DrawResult<DB> {
    let first_scheme = usize::from(chart.has_paper);
    let colour = |series: usize| {
        if series < first_scheme {
            PAPER_COLOUR
        } else {
            PALETTE[(series - first_scheme) % PALETTE.len()]
        }
    };
    let (top, plot) = root.split_vertically(HEADER_HEIGHT);
    draw_title(&top, title)?;
    let legend: Vec<(LegendMark, String)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(k, name)| (LegendMark::Swatch(colour(k)), name.clone()))
        .collect();
    draw_legend_row(&top, 56, &legend)?;

    let values = chart.groups.iter().flat_map(|g| g.bars.iter());
    let positive = values.map(|b| b.axis_value).filter(|v| *v > 0.0);
    let max = positive.clone().fold(0.0_f64, f64::max);
    let min = positive.fold(f64::MAX, f64::min);
    let log_scale = chart.log_scale && max > 0.0;
    // Room above the tallest bar for its label.
    let (y_lo, y_hi) = if log_scale {
        let lo = (min.log10() - 0.5).floor();
        let hi = max.log10();
        (lo, (hi + (hi - lo) * 0.1).max(lo + 1.0))
    } else {
        (0.0, if max > 0.0 { max * 1.12 } else { 1.0 })
    };
    let axis = |v: f64| {
        if log_scale {
            if v > 0.0 { v.log10().max(y_lo) } else { y_lo }
        } else {
            v.max(0.0)
        }
    };

    let n = chart.groups.len().max(1);
    let mut ctx = ChartBuilder::on(&plot)
        .margin(14)
        .margin_top(6)
        .margin_right(28)
        .x_label_area_size(44)
        .y_label_area_size(84)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), y_lo..y_hi)?;
    let decades = (y_hi - y_lo).ceil() as usize + 1;
    let y_desc = if log_scale {
        format!("{} ({}, log scale)", chart.metric, chart.axis_unit)
    } else {
        format!("{} ({})", chart.metric, chart.axis_unit)
    };
    ctx.configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .max_light_lines(0)
        .bold_line_style(GRID)
        .y_labels(if log_scale { decades } else { 8 })
        .y_label_formatter(&|y| axis_tick(*y, log_scale))
        .y_desc(y_desc)
        .label_style((FONT, 15).into_font().color(&TEXT))
        .axis_desc_style((FONT, 16).into_font().color(&TEXT))
        .draw()?;

    let slots = chart.series.len().max(1) as f64;
    let slot = GROUP_WIDTH / slots;
    let value_style = TextStyle::from((FONT, 13).into_font())
        .color(&TEXT)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    let stage_style = TextStyle::from((FONT, 15).into_font())
        .color(&TEXT)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (i, group) in chart.groups.iter().enumerate() {
        let centre = i as f64;
        for bar in &group.bars {
            let x0 = centre - GROUP_WIDTH / 2.0 + bar.series as f64 * slot + slot * 0.08;
            let x1 = x0 + slot * 0.84;
            let end = axis(bar.axis_value);
            ctx.draw_series(std::iter::once(Rectangle::new(
                [(x0, y_lo), (x1, end)],
                colour(bar.series).mix(0.85).filled(),
            )))?;
            let (bx, by) = ctx.backend_coord(&((x0 + x1) / 2.0, end));
            root.draw_text(&bar.value_label, &value_style, (bx, by - 4))?;
        }
        let (sx, sy) = ctx.backend_coord(&(centre, y_lo));
        root.draw_text(&group.stage, &stage_style, (sx, sy + 8))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::{PLAIN_ACCURACY, experiment, row, seeds_and_layers};
    use crate::results::run::ExperimentState;

    #[test]
    fn series_of_a_split_share_a_chart() {
        assert_eq!(series_base("train_accuracy", "train"), "accuracy");
        assert_eq!(series_base("test_accuracy", "evaluate"), "accuracy");
        assert_eq!(series_base("encrypt_ms", "encrypt"), "ms");
        assert_eq!(series_base("loss", "train"), "loss");
        assert_eq!(series_base("train_", "train"), "train_");

        let mut exp = experiment("e1", ExperimentState::Done);
        for epoch in 1..=3 {
            for (metric, stage) in [("train_accuracy", "train"), ("test_accuracy", "evaluate")] {
                let mut r = row("e1", metric, 90.0 + epoch as f64, "%");
                r.step = Some(epoch);
                r.stage = stage.into();
                if epoch == 3 && metric == "test_accuracy" {
                    r.claim = Some("X-1".into());
                    r.paper_value = Some(92.5);
                }
                exp.measurements.push(r);
            }
            let mut loss = row("e1", "train_loss", 1.0 / epoch as f64, "");
            loss.step = Some(epoch);
            exp.measurements.push(loss);
        }
        let charts = plan_charts(&exp);
        assert_eq!(charts.len(), 2);
        let ChartKind::Line(acc) = &charts[0].kind else {
            panic!("line chart expected")
        };
        assert_eq!(charts[0].name, "series-accuracy");
        assert_eq!(acc.series.len(), 2);
        assert_eq!(acc.paper.len(), 1);
        assert_eq!(acc.paper[0].label, "paper: 92.5% @ 3");
        assert!(charts[0].alt.contains("paper: 92.5% @ 3"));
        assert_eq!(charts[1].name, "series-loss");
    }

    #[test]
    fn timings_use_one_axis_and_log_scale_over_two_decades() {
        let mut exp = experiment("e1", ExperimentState::Done);
        for (stage, metric, value, unit) in [
            ("keygen", "keygen_s", 2.0, "s"),
            ("encrypt", "encrypt_ms", 15.0, "ms"),
            ("decrypt", "decrypt_ms", 0.5, "ms"),
        ] {
            let mut r = row("e1", metric, value, unit);
            r.kind = MetricKind::Time;
            r.stage = stage.into();
            exp.measurements.push(r);
        }
        let charts = plan_charts(&exp);
        assert_eq!(charts.len(), 1);
        let ChartKind::Bar(bars) = &charts[0].kind else {
            panic!("bar chart expected")
        };
        assert_eq!(bars.axis_unit, "s");
        assert!(bars.log_scale);
        assert_eq!(bars.bars[1].value_label, "15 ms");
        assert!((bars.bars[1].axis_value - 0.015).abs() < 1e-12);
        assert_eq!(bars.bars[0].label, "keygen_s");
    }

    fn kinds(charts: &[ChartSpec]) -> Vec<(&str, &'static str)> {
        charts
            .iter()
            .map(|c| {
                let kind = match c.kind {
                    ChartKind::Line(_) => "line",
                    ChartKind::Bar(_) => "bar",
                    ChartKind::Distribution(_) => "distribution",
                    ChartKind::GroupedBars(_) => "grouped",
                };
                (c.name.as_str(), kind)
            })
            .collect()
    }

    #[test]
    fn summary_interpolates_between_ranks() {
        let s = Summary::of(&[4.0, 1.0, f64::NAN, 3.0, 2.0]).unwrap();
        assert_eq!((s.min, s.median, s.max), (1.0, 2.5, 4.0));
        assert!((s.q1 - 1.75).abs() < 1e-12 && (s.q3 - 3.25).abs() < 1e-12);
        let one = Summary::of(&[5.0]).unwrap();
        assert_eq!(
            (one.min, one.q1, one.median, one.q3, one.max),
            (5.0, 5.0, 5.0, 5.0, 5.0)
        );
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[f64::NAN]), None);
    }

    #[test]
    fn per_seed_names() {
        assert_eq!(
            per_seed_base("lr_plain_accuracy_per_seed"),
            Some("lr_plain_accuracy")
        );
        assert_eq!(per_seed_base("lr_plain_accuracy"), None);
        assert_eq!(per_seed_base("_per_seed"), None);
        assert_eq!(seed_quantity("lr_plain_accuracy"), "accuracy");
        assert_eq!(seed_quantity("accuracy"), "accuracy");
        assert_eq!(seed_quantity("odd_"), "odd_");
        assert_eq!(scheme_label("ckks"), "heml (ckks)");
        assert_eq!(scheme_label("plaintext"), "heml (plaintext)");
        assert_eq!(scheme_label("tenseal"), "TenSEAL");
        assert_eq!(scheme_label("concrete"), "concrete");
    }

    #[test]
    fn jitter_is_deterministic_distinct_and_narrow() {
        let offsets: Vec<f64> = (0..20).map(jitter).collect();
        assert_eq!(offsets, (0..20).map(jitter).collect::<Vec<f64>>());
        for (i, a) in offsets.iter().enumerate() {
            assert!(a.abs() <= DOT_SPREAD, "{a}");
            for b in &offsets[i + 1..] {
                assert!((a - b).abs() > 1e-3, "{a} and {b} coincide");
            }
        }
    }

    #[test]
    fn per_seed_rows_are_distributions_not_series() {
        let exp = seeds_and_layers();
        let charts = plan_charts(&exp);
        assert_eq!(
            kinds(&charts),
            [
                ("seeds-accuracy", "distribution"),
                ("seeds-agreement", "distribution"),
                ("stages-layer_time_ms", "grouped"),
                ("timings", "bar"),
            ]
        );
        let ChartKind::Distribution(acc) = &charts[0].kind else {
            panic!("distribution chart expected")
        };
        assert_eq!(acc.unit, "%");
        assert_eq!(acc.y_label, "accuracy (%)");
        let labels: Vec<&str> = acc.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["lr plain accuracy", "lr enceval accuracy"]);
        let plain = &acc.columns[0];
        assert_eq!(plain.metric, "lr_plain_accuracy_per_seed");
        assert_eq!(plain.values.len(), 10);
        assert_eq!(plain.values[3], (3, PLAIN_ACCURACY[3]));
        assert_eq!(plain.summary.median, 68.25);
        assert_eq!((plain.summary.min, plain.summary.max), (65.5, 71.0));
        assert!((plain.summary.q1 - 67.125).abs() < 1e-9);
        assert!((plain.summary.q3 - 69.375).abs() < 1e-9);
        // The paper's values come from the claims on the metrics without
        // the suffix.
        assert_eq!(plain.paper, Some(68.1));
        assert_eq!(acc.columns[1].paper, Some(67.4));
        assert_eq!(
            charts[0].title,
            "lr plain accuracy / lr enceval accuracy (%) over 10 seeds"
        );
        let alt = &charts[0].alt;
        assert!(
            alt.contains(
                "lr plain accuracy: 10 seeds, median 68.25%, min 65.5%, max 71%, \
                 middle half 67.12% to 69.38%, paper: 68.1%"
            ),
            "{alt}"
        );
        assert!(alt.contains("paper: 67.4%"), "{alt}");

        let ChartKind::Distribution(agreement) = &charts[1].kind else {
            panic!("distribution chart expected")
        };
        assert_eq!(agreement.columns.len(), 1);
        assert_eq!(agreement.columns[0].paper, None);
        assert!(charts[1].alt.contains("no paper value"));
    }

    #[test]
    fn per_seed_rows_stay_out_of_series_and_timings() {
        let mut exp = experiment("e1", ExperimentState::Done);
        for seed in 0..3 {
            let mut r = row("e1", "train_s_per_seed", 10.0 + seed as f64, "s");
            r.kind = MetricKind::Time;
            r.step = Some(seed);
            exp.measurements.push(r);
            // Without a step, the rows are numbered in order.
            let mut r = row("e1", "test_s_per_seed", 1.0 + seed as f64, "s");
            r.kind = MetricKind::Time;
            exp.measurements.push(r);
            let mut r = row("e1", "test_accuracy", 90.0 + seed as f64, "%");
            r.step = Some(seed);
            exp.measurements.push(r);
        }
        let charts = plan_charts(&exp);
        assert_eq!(
            kinds(&charts),
            [("series-accuracy", "line"), ("seeds-s", "distribution")]
        );
        let ChartKind::Line(line) = &charts[0].kind else {
            panic!("line chart expected")
        };
        assert!(line.series.iter().all(|s| !s.metric.ends_with("_per_seed")));
        let ChartKind::Distribution(dist) = &charts[1].kind else {
            panic!("distribution chart expected")
        };
        assert_eq!(dist.y_label, "s");
        assert_eq!(dist.columns.len(), 2);
        assert_eq!(dist.columns[1].values, [(0, 1.0), (1, 2.0), (2, 3.0)]);
    }

    #[test]
    fn many_per_seed_metrics_split_into_several_charts() {
        let mut exp = experiment("e1", ExperimentState::Done);
        for m in 0..MAX_SEED_COLUMNS + 2 {
            for seed in 0..2 {
                let mut r = row("e1", &format!("m{m}_loss_per_seed"), seed as f64, "");
                r.step = Some(seed);
                exp.measurements.push(r);
            }
        }
        let charts = plan_charts(&exp);
        assert_eq!(
            kinds(&charts),
            [
                ("seeds-loss-1", "distribution"),
                ("seeds-loss-2", "distribution")
            ]
        );
    }

    #[test]
    fn layer_timings_of_heml_and_a_peer_are_grouped_per_stage() {
        let exp = seeds_and_layers();
        let charts = plan_charts(&exp);
        let grouped = charts
            .iter()
            .find(|c| c.name == "stages-layer_time_ms")
            .expect("grouped chart");
        let ChartKind::GroupedBars(chart) = &grouped.kind else {
            panic!("grouped bar chart expected")
        };
        assert_eq!(chart.series, ["paper", "heml (ckks)", "TenSEAL"]);
        assert!(chart.has_paper);
        assert_eq!(chart.axis_unit, "ms");
        // heml is about 100x faster than TenSEAL: a log axis.
        assert!(chart.log_scale);
        assert_eq!(grouped.title, "layer_time_ms per stage (ms, log scale)");
        let stages: Vec<&str> = chart.groups.iter().map(|g| g.stage.as_str()).collect();
        assert_eq!(stages, ["conv", "square1", "fc1", "square2", "fc2"]);
        let conv: Vec<(usize, f64)> = chart.groups[0]
            .bars
            .iter()
            .map(|b| (b.series, b.axis_value))
            .collect();
        assert_eq!(conv, [(0, 1200.0), (1, 9.0), (2, 950.0)]);
        assert_eq!(chart.groups[0].bars[0].value_label, "1200");
        // No paper value for the activation layers: no paper bar.
        let square1: Vec<usize> = chart.groups[1].bars.iter().map(|b| b.series).collect();
        assert_eq!(square1, [1, 2]);
        assert!(
            grouped
                .alt
                .contains("conv: paper 1200 ms, heml (ckks) 9 ms, TenSEAL 950 ms"),
            "{}",
            grouped.alt
        );

        // The timing chart keeps the other timings only.
        let timings = charts
            .iter()
            .find(|c| c.name == "timings")
            .expect("timings");
        let ChartKind::Bar(bars) = &timings.kind else {
            panic!("bar chart expected")
        };
        let labels: Vec<&str> = bars.bars.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["keygen_ms", "conv · rotate_ms", "fc1 · rotate_ms"]);
    }

    #[test]
    fn grouped_chart_needs_two_stages_and_a_comparison() {
        let time = |stage: &str, scheme: &str, value: f64, unit: &str| {
            let mut r = row("e1", "op_time", value, unit);
            r.kind = MetricKind::Time;
            r.stage = stage.into();
            r.scheme = scheme.into();
            r
        };
        // Two stages, one scheme, no paper value: timings only.
        let mut exp = experiment("e1", ExperimentState::Done);
        exp.measurements.push(time("a", "ckks", 2.0, "ms"));
        exp.measurements.push(time("b", "ckks", 3.0, "ms"));
        assert_eq!(kinds(&plan_charts(&exp)), [("timings", "bar")]);

        // One stage, two schemes: timings only.
        let mut exp = experiment("e1", ExperimentState::Done);
        exp.measurements.push(time("a", "ckks", 2.0, "ms"));
        exp.measurements.push(time("a", "tenseal", 3.0, "ms"));
        assert_eq!(kinds(&plan_charts(&exp)), [("timings", "bar")]);

        // Two stages and a paper value: grouped, nothing left for the timing
        // chart; a row in seconds is converted, the span stays linear.
        let mut exp = experiment("e1", ExperimentState::Done);
        exp.measurements.push(time("a", "ckks", 2.0, "ms"));
        exp.measurements.push(time("b", "ckks", 0.003, "s"));
        let mut claim = time("b", "ckks", 0.003, "s");
        claim.claim = Some("X-1".into());
        claim.paper_value = Some(0.004);
        exp.measurements.push(claim);
        let charts = plan_charts(&exp);
        assert_eq!(kinds(&charts), [("stages-op_time", "grouped")]);
        let ChartKind::GroupedBars(chart) = &charts[0].kind else {
            panic!("grouped bar chart expected")
        };
        assert!(!chart.log_scale);
        assert_eq!(chart.series, ["paper", "heml (ckks)"]);
        let b: Vec<(usize, f64)> = chart.groups[1]
            .bars
            .iter()
            .map(|b| (b.series, b.axis_value))
            .collect();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].0, 0);
        assert!((b[0].1 - 4.0).abs() < 1e-9 && (b[1].1 - 3.0).abs() < 1e-9);
        assert_eq!(chart.groups[0].bars.len(), 1);
        assert_eq!(charts[0].title, "op_time per stage (ms)");
    }

    #[test]
    fn new_kinds_render_to_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let charts = plan_charts(&seeds_and_layers());
        let mut drawn = 0;
        for spec in &charts {
            let (texts, marks): (&[&str], &str) = match &spec.kind {
                ChartKind::Distribution(d) if d.columns.len() == 2 => (
                    &["paper: 68.1%", "lr plain accuracy", "n = 10", "median"],
                    "<polygon",
                ),
                ChartKind::GroupedBars(_) => {
                    (&["TenSEAL", "heml (ckks)", "square2", "1200"], "<rect")
                }
                _ => continue,
            };
            let png = dir.path().join(format!("{}.png", spec.name));
            let svg = dir.path().join(format!("{}.svg", spec.name));
            render_chart(spec, &png, &svg).unwrap();
            let bytes = std::fs::read(&png).unwrap();
            assert!(bytes.len() > 5000, "{} is {} bytes", spec.name, bytes.len());
            assert!(bytes.starts_with(b"\x89PNG"));
            let text = std::fs::read_to_string(&svg).unwrap();
            assert!(text.len() > 5000, "{} is {} bytes", spec.name, text.len());
            for t in texts {
                assert!(text.contains(t), "{}: no {t:?} in the SVG", spec.name);
            }
            assert!(text.contains(marks), "{}: no {marks}", spec.name);
            drawn += 1;
        }
        assert_eq!(drawn, 2);
    }

    #[test]
    fn odd_distributions_and_groups_still_draw() {
        let mut exp = experiment("e1", ExperimentState::Done);
        // One seed; equal values; negative values; long names; many columns.
        let mut r = row("e1", "single_loss_per_seed", 0.5, "");
        r.step = Some(4);
        exp.measurements.push(r);
        for m in 0..7 {
            for seed in 0..5 {
                let metric = format!("a_rather_long_metric_name_number_{m}_loss_per_seed");
                let value = if m == 0 {
                    1.0
                } else {
                    -(m as f64) * seed as f64
                };
                let mut r = row("e1", &metric, value, "");
                r.step = Some(seed);
                exp.measurements.push(r);
            }
        }
        // A paper value far outside the values, at the top of the plot.
        let mut claim = row("e1", "single_loss", 0.5, "");
        claim.claim = Some("X-1".into());
        claim.paper_value = Some(1e3);
        exp.measurements.push(claim);
        // Grouped timings with a zero, a paper value without a measurement
        // and a scheme missing from a stage.
        for (stage, scheme, value, paper) in [
            ("a", "ckks", 0.0, None),
            ("a", "tenseal", 5.0, None),
            ("b", "tenseal", 5e4, None),
            ("c", "ckks", f64::NAN, Some(7.0)),
        ] {
            let mut r = row("e1", "t_ms", value, "ms");
            r.kind = MetricKind::Time;
            r.stage = stage.into();
            r.scheme = scheme.into();
            if let Some(paper) = paper {
                r.claim = Some("X-2".into());
                r.paper_value = Some(paper);
            }
            exp.measurements.push(r);
        }
        let charts = plan_charts(&exp);
        assert_eq!(
            kinds(&charts),
            [("seeds-loss", "distribution"), ("stages-t_ms", "grouped")]
        );
        assert_eq!(charts[0].title, "loss of 8 metrics over seeds");
        let ChartKind::GroupedBars(grouped) = &charts[1].kind else {
            panic!("grouped bar chart expected")
        };
        assert!(grouped.log_scale);
        assert_eq!(grouped.series, ["paper", "heml (ckks)", "TenSEAL"]);
        let c: Vec<(usize, f64)> = grouped.groups[2]
            .bars
            .iter()
            .map(|b| (b.series, b.axis_value))
            .collect();
        assert_eq!(c, [(0, 7.0)]);

        let dir = tempfile::tempdir().unwrap();
        for spec in &charts {
            let png = dir.path().join(format!("{}.png", spec.name));
            let svg = dir.path().join(format!("{}.svg", spec.name));
            render_chart(spec, &png, &svg).unwrap();
            assert!(std::fs::metadata(&png).unwrap().len() > 1000);
            assert!(std::fs::metadata(&svg).unwrap().len() > 1000);
        }
    }
}
