//! The charts of an experiment: which to draw ([`plan_charts`]) and drawing
//! them as PNG and SVG with plotters ([`render_chart`]).

use std::collections::BTreeMap;
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

#[derive(Debug, Clone, PartialEq)]
pub enum ChartKind {
    Line(LineChart),
    Bar(BarChart),
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

/// The charts of one experiment, in this order: one line chart per group of
/// series (rows with `step`; same unit and same [`series_base`]), then the
/// per-stage timing bars (rows of kind `time` without `step`; one chart per
/// unit when their units cannot be converted to one another).
pub fn plan_charts(experiment: &ExperimentRecord) -> Vec<ChartSpec> {
    let mut charts = series_charts(experiment);
    charts.extend(timing_charts(experiment));
    let mut used = std::collections::HashSet::new();
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

fn timing_charts(experiment: &ExperimentRecord) -> Vec<ChartSpec> {
    let rows: Vec<&Measurement> = experiment
        .measurements
        .iter()
        .filter(|r| r.kind == MetricKind::Time && r.step.is_none() && r.value.is_finite())
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
        .x_label_formatter(&|x| {
            if !log_scale {
                format_number(*x)
            } else if (x - x.round()).abs() < 1e-9 {
                format_number(10f64.powf(x.round()))
            } else {
                String::new()
            }
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testdata::{experiment, row};
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
}
