//! The page itself: `index.html`, written by hand with every text escaped.

use std::fmt::Write;

use crate::report::claims::{ClaimCounts, ClaimState, ClaimStatus};
use crate::report::format::{
    escape_html as esc, first_line, format_duration, format_number, format_value, slug,
};
use crate::report::{ChartFile, ReportInput, charts::ChartKind};
use crate::results::record::{Measurement, Verdict};
use crate::results::run::{ExperimentRecord, ExperimentState};

/// A warning of the warnings block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub experiment: String,
    pub text: String,
}

/// Every warning of every experiment, plus an insecure security level that
/// no warning of its experiment already mentions.
pub fn warnings(input: &ReportInput) -> Vec<Warning> {
    let mut out = Vec::new();
    for experiment in &input.experiments {
        for text in experiment_warnings(experiment) {
            out.push(Warning {
                experiment: experiment.id.clone(),
                text,
            });
        }
    }
    out
}

fn experiment_warnings(experiment: &ExperimentRecord) -> Vec<String> {
    let mut out: Vec<String> = experiment
        .warnings
        .iter()
        .filter(|w| !w.trim().is_empty())
        .cloned()
        .collect();
    let mut levels: Vec<&str> = vec![experiment.security.as_str()];
    for row in &experiment.measurements {
        if !levels.contains(&row.security.as_str()) {
            levels.push(&row.security);
        }
    }
    for level in levels {
        let insecure = level
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("insecure");
        if insecure && !out.iter().any(|w| w.contains(level.trim())) {
            out.push(format!("security level: {}", level.trim()));
        }
    }
    out
}

const CSS: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--line:#d0d7de;--soft:#f6f8fa;--link:#0959c2}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans","Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
a{color:var(--link)}
.page{max-width:1280px;margin:0 auto;padding:20px 28px 40px}
header.top{border-bottom:3px solid #24292f;padding-bottom:10px}
h1{font-size:30px;margin:0 0 6px;letter-spacing:.5px}
h1 small{font-weight:400;color:var(--muted);font-size:18px;letter-spacing:0}
h2{font-size:23px;margin:34px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:20px;margin:0 0 8px}
h4{font-size:16px;margin:22px 0 8px}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);border:1px solid var(--line);padding:8px 10px;border-radius:4px;margin:4px 0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:1px 18px;margin:8px 0 0}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.small{font-size:13px}
nav.toc{margin:14px 0;font-size:14px}
nav.toc a{margin-right:12px;white-space:nowrap}
.alert{border:2px solid #b42318;background:#fff5f3;border-radius:6px;padding:10px 18px;margin:18px 0}
.alert h2{border:0;margin:0 0 6px;padding:0;color:#b42318;font-size:19px}
.alert ul{margin:4px 0;padding-left:22px}
.alert li{margin:2px 0}
.alert.failed{border-color:#8f1d1d;background:#fdf2f2}
.ok{border:1px solid #b7dfc0;background:#f0faf2;border-radius:6px;padding:8px 16px;margin:18px 0;color:#1a5e2c}
.info{border-left:4px solid #4a6a8a;background:#f3f6f9;padding:8px 14px;margin:14px 0}
.tablewrap{overflow-x:auto;margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600;white-space:nowrap;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.id{white-space:nowrap;font-weight:600}
tr.group th{background:#e6ebf1;font-size:15px;padding-top:8px}
table.claims td.what{min-width:13em}
table.claims td.paper{min-width:7em}
table.claims td.measured{min-width:15em}
table.claims td.note{min-width:12em;max-width:28em}
.m{margin:1px 0 5px}
.m:last-child{margin-bottom:1px}
.nw{white-space:nowrap}
.err{color:#b42318}
.err details summary{color:#b42318}
td.sec-insecure{color:#b42318}
.badge{display:inline-block;padding:1px 9px;border-radius:11px;font-size:12.5px;font-weight:600;line-height:1.6;color:#fff;white-space:nowrap}
.v-reproduced{background:#1a7f37}
.v-deviates{background:#c2570c}
.v-measured{background:#4a6a8a}
.v-failed{background:#c62828}
.v-not-attempted{background:#6e7781}
.v-not-run{background:#eef1f4;color:#424a53;border:1px dashed #8c959f}
.st-done{background:#2f6f4f}
.st-failed,.st-invalid{background:#c62828}
.dirty{background:#c2570c}
.counts{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;margin:8px 0 12px;font-size:15px}
.counts span.n{font-weight:700;margin-left:4px}
.insecure{color:#b42318;font-weight:600}
section.exp{border-top:2px solid #24292f;margin-top:40px;padding-top:12px}
section.exp .alert{margin:10px 0}
figure{margin:12px 0 20px}
figure img{display:block;max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
figcaption{font-size:13px;color:var(--muted);margin-top:4px}
details summary{cursor:pointer;color:var(--link)}
details pre{max-width:36em}
footer{margin-top:44px;border-top:1px solid var(--line);padding-top:10px;font-size:13px;color:var(--muted)}
.hidden{display:none}
@media print{thead th{position:static}.alert{break-inside:avoid}figure{break-inside:avoid}}
"#;

/// Counts the images that loaded and the resources that failed, so that a
/// headless browser can tell from the DOM whether the page is whole. The
/// page does not need it.
const SCRIPT: &str = r#"
(function(){
  var failed=[];
  window.addEventListener('error',function(e){
    var t=e.target;
    if(t&&t!==window&&(t.src||t.href)){failed.push(t.src||t.href);}
  },true);
  window.addEventListener('load',function(){
    var imgs=document.images,ok=0;
    for(var i=0;i<imgs.length;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0){ok++;}}
    var res=ok+'/'+imgs.length;
    document.querySelector('meta[name="heml-images"]').setAttribute('content',res);
    document.querySelector('meta[name="heml-failed"]').setAttribute('content',failed.join(' '));
    var el=document.getElementById('heml-images');
    if(el){el.textContent=res;}
  });
})();
"#;

/// The whole page. `charts` are the chart files of all experiments (see
/// [`crate::report::write_report`]); `generated` is the generation time.
pub fn render_page(
    input: &ReportInput,
    statuses: &[ClaimStatus<'_>],
    charts: &[ChartFile],
    generated: &str,
) -> String {
    let run = &input.run;
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"heml {}\">\n\
         <meta name=\"heml-images\" content=\"pending\">\n\
         <meta name=\"heml-failed\" content=\"\">\n\
         <title>heml report {}</title>\n<style>{CSS}</style>\n<script>{SCRIPT}</script>\n\
         </head>\n<body>\n<div class=\"page\">\n",
        esc(&run.heml_version),
        esc(&run.run_id),
    );

    header(&mut h, input);
    toc(&mut h, input);
    warnings_block(&mut h, input);
    failures_block(&mut h, input);
    if let Some(note) = input
        .baseline_note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        let _ = writeln!(
            h,
            "<div class=\"info\" id=\"baseline\"><strong>Baseline:</strong> {}</div>",
            esc(note)
        );
    }
    claims_section(&mut h, statuses);

    h.push_str("<h2 id=\"experiments\">Experiments</h2>\n");
    if input.experiments.is_empty() {
        h.push_str("<p class=\"muted\">This run has no experiment.</p>\n");
    }
    for experiment in &input.experiments {
        let own: Vec<&ChartFile> = charts
            .iter()
            .filter(|c| c.experiment == experiment.id)
            .collect();
        experiment_section(&mut h, experiment, &own);
    }

    let _ = write!(
        h,
        "<footer>\n<p>Regenerate this report with <code>heml report {}</code>.</p>\n\
         <p>Generated {} by heml {}. Charts are PNG images with an SVG version linked \
         beside each. <span class=\"hidden\">Images loaded: <span id=\"heml-images\">pending</span></span></p>\n\
         </footer>\n</div>\n</body>\n</html>\n",
        esc(&run.run_id),
        esc(generated),
        esc(&run.heml_version),
    );
    h
}

fn header(h: &mut String, input: &ReportInput) {
    let run = &input.run;
    let m = &run.machine;
    h.push_str("<header class=\"top\">\n<h1>heml <small>reproduction report</small></h1>\n<dl class=\"meta\">\n");
    let mut item = |key: &str, value_html: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{value_html}</dd>", esc(key));
    };
    item("Run", format!("<code>{}</code>", esc(&run.run_id)));
    item("Profile", esc(&run.profile));
    let dirty = if run.git_dirty {
        " <span class=\"badge dirty\" title=\"the working tree had uncommitted changes\">dirty</span>"
    } else {
        ""
    };
    let commit = if run.git_commit.is_empty() {
        "<span class=\"muted\">unknown</span>".to_string()
    } else {
        format!("<code>{}</code>", esc(&run.git_commit))
    };
    item("Git commit", format!("{commit}{dirty}"));
    if !run.heml_version.is_empty() {
        item("heml version", esc(&run.heml_version));
    }
    item("Started", esc(&run.started));
    item(
        "Finished",
        match run.finished.as_deref() {
            Some(f) => esc(f),
            None => "<span class=\"muted\">not finished</span>".to_string(),
        },
    );
    let mut machine = esc(if m.cpu_brand.is_empty() {
        "unknown CPU"
    } else {
        &m.cpu_brand
    });
    let _ = write!(
        machine,
        " · {} physical / {} logical cores · {} GiB memory",
        m.physical_cores,
        m.logical_cores,
        esc(&format_number(m.memory_gib))
    );
    let os: Vec<&str> = [m.os.as_str(), m.kernel.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if !os.is_empty() {
        let _ = write!(machine, " · {}", esc(&os.join(", kernel ")));
    }
    item("Machine", machine);
    let cpu = if m.cpu_vendor.is_empty() && m.cpu_family == 0 {
        "<span class=\"muted\">not recorded</span>".to_string()
    } else {
        esc(&format!(
            "{} family {} model {}",
            if m.cpu_vendor.is_empty() {
                "unknown vendor"
            } else {
                &m.cpu_vendor
            },
            m.cpu_family,
            m.cpu_model
        ))
    };
    let features = if m.cpu_features.is_empty() {
        "none of avx2, avx512, avx512ifma".to_string()
    } else {
        m.cpu_features.join(", ")
    };
    item("CPU", format!("{cpu} · SIMD features: {}", esc(&features)));
    item(
        "Arithmetic kernel",
        match m.arith_kernel {
            Some(k) => format!(
                "<code id=\"arith-kernel\">{}</code> <span class=\"muted\">(NTT and element-wise \
                 modular arithmetic; <code>HEML_KERNEL</code> chooses it)</span>",
                esc(k.name())
            ),
            None => "<span class=\"muted\">not recorded</span>".to_string(),
        },
    );
    let class = m.machine_class();
    item(
        "Machine class",
        format!("<code>{}</code>", esc(&class.slug())),
    );
    if let Some(b) = &input.baseline_class {
        item(
            "Baseline class",
            format!(
                "<code>{}</code> <span class=\"muted\">(results/baselines/{}: <code>heml check</code> \
                 compares this run's timings with it)</span>",
                esc(&b.slug()),
                esc(&b.slug())
            ),
        );
    }
    item("Threads", run.threads.to_string());
    item(
        "Calibration",
        match &run.calibration {
            Some(c) => format!(
                "{} — {}",
                esc(&c.workload),
                esc(&format_value(c.elapsed_ms, "ms"))
            ),
            None => "<span class=\"muted\">none</span>".to_string(),
        },
    );
    if !run.command.is_empty() {
        item("Command", format!("<code>{}</code>", esc(&run.command)));
    }
    h.push_str("</dl>\n</header>\n");
}

fn toc(h: &mut String, input: &ReportInput) {
    h.push_str("<nav class=\"toc\"><a href=\"#warnings\">Warnings</a><a href=\"#claims\">Claims</a><a href=\"#experiments\">Experiments:</a>");
    for e in &input.experiments {
        let _ = write!(h, "<a href=\"#exp-{}\">{}</a>", slug(&e.id), esc(&e.id));
    }
    h.push_str("</nav>\n");
}

fn warnings_block(h: &mut String, input: &ReportInput) {
    let all = warnings(input);
    if all.is_empty() {
        h.push_str("<div class=\"ok\" id=\"warnings\">No experiment of this run reported a warning.</div>\n");
        return;
    }
    let _ = write!(
        h,
        "<div class=\"alert\" id=\"warnings\" role=\"alert\">\n<h2>⚠ Warnings ({})</h2>\n<ul>\n",
        all.len()
    );
    for w in &all {
        let _ = writeln!(
            h,
            "<li><a href=\"#exp-{}\"><strong>{}</strong></a>: {}</li>",
            slug(&w.experiment),
            esc(&w.experiment),
            esc(&w.text)
        );
    }
    h.push_str("</ul>\n</div>\n");
}

fn failures_block(h: &mut String, input: &ReportInput) {
    let failed: Vec<&ExperimentRecord> = input
        .experiments
        .iter()
        .filter(|e| e.state != ExperimentState::Done)
        .collect();
    if failed.is_empty() {
        return;
    }
    let _ = write!(
        h,
        "<div class=\"alert failed\" id=\"failures\">\n<h2>✖ {} experiment{} did not complete</h2>\n<ul>\n",
        failed.len(),
        if failed.len() == 1 { "" } else { "s" }
    );
    for e in failed {
        let _ = writeln!(
            h,
            "<li><a href=\"#exp-{}\"><strong>{}</strong></a> ({}): {}</li>",
            slug(&e.id),
            esc(&e.id),
            state_str(e.state),
            esc(first_line(
                e.error.as_deref().unwrap_or("no error recorded")
            ))
        );
    }
    h.push_str("</ul>\n</div>\n");
}

fn state_str(state: ExperimentState) -> &'static str {
    match state {
        ExperimentState::Done => "done",
        ExperimentState::Failed => "failed",
        ExperimentState::Invalid => "invalid",
    }
}

fn claim_badge(state: ClaimState) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        state.css_class(),
        state.as_str()
    )
}

fn verdict_badge(verdict: Verdict) -> String {
    claim_badge(ClaimState::from_verdict(verdict))
}

/// Text that may be long or span lines: shown whole when short, else its
/// first line with the rest behind a disclosure.
fn long_text(text: &str) -> String {
    let text = text.trim();
    if text.len() <= 160 && !text.contains('\n') {
        return esc(text);
    }
    let mut head: String = first_line(text).chars().take(120).collect();
    if head.len() < first_line(text).len() {
        head.push('…');
    }
    format!(
        "<details><summary>{}</summary><pre>{}</pre></details>",
        esc(&head),
        esc(text)
    )
}

fn claims_section(h: &mut String, statuses: &[ClaimStatus<'_>]) {
    let counts = ClaimCounts::of(statuses);
    let _ = write!(
        h,
        "<h2 id=\"claims\">Claims ({})</h2>\n<div class=\"counts\">",
        counts.total()
    );
    for state in ClaimState::ALL {
        let _ = write!(
            h,
            "<span>{}<span class=\"n\">{}</span></span>",
            claim_badge(state),
            counts.get(state)
        );
    }
    h.push_str("</div>\n");
    if statuses.is_empty() {
        h.push_str("<p class=\"muted\">The claim catalog is empty.</p>\n");
        return;
    }
    h.push_str(
        "<div class=\"tablewrap\"><table class=\"claims\">\n<thead><tr><th>Claim</th><th>What</th>\
         <th>Paper</th><th>Measured</th><th>Tolerance</th><th>Verdict</th><th>Note</th></tr></thead>\n",
    );
    // Papers in order of first appearance, claims in catalog order.
    let mut papers: Vec<&str> = Vec::new();
    for s in statuses {
        if !papers.contains(&s.paper) {
            papers.push(s.paper);
        }
    }
    for paper in papers {
        let group: Vec<&ClaimStatus<'_>> = statuses.iter().filter(|s| s.paper == paper).collect();
        let title = if paper == "other" && group.iter().all(|s| s.entry.is_none()) {
            "Claim ids measured but missing from the catalog".to_string()
        } else {
            paper.to_string()
        };
        let _ = write!(
            h,
            "<tbody>\n<tr class=\"group\"><th colspan=\"7\">{} <span class=\"muted small\">({} claim{})</span></th></tr>\n",
            esc(&title),
            group.len(),
            if group.len() == 1 { "" } else { "s" }
        );
        for status in group {
            claim_row(h, status);
        }
        h.push_str("</tbody>\n");
    }
    h.push_str("</table></div>\n");
}

fn claim_row(h: &mut String, status: &ClaimStatus<'_>) {
    let what = status
        .entry
        .map(|e| esc(&e.what))
        .unwrap_or_else(|| "<span class=\"muted\">not in the catalog</span>".to_string());
    let paper = match status.entry {
        Some(e) => esc(&e.paper_value),
        None => {
            let values: Vec<String> = status
                .shown
                .iter()
                .filter_map(|s| s.row.paper_value.map(|v| format_value(v, &s.row.unit)))
                .collect();
            esc(&values.join("; "))
        }
    };

    let mut measured = String::new();
    for shown in &status.shown {
        let r = shown.row;
        let value = if r.verdict == Verdict::Failed && !r.value.is_finite() {
            "—".to_string()
        } else {
            format_value(r.value, &r.unit)
        };
        let mut context = Vec::new();
        if let Some((points, first, last)) = shown.series {
            context.push(format!("last of {points} points, steps {first}–{last}"));
        } else if let Some(step) = r.step {
            context.push(format!("@ step {step}"));
        }
        if !r.scheme.is_empty() {
            context.push(r.scheme.clone());
        }
        let per_row = if status.shown.len() > 1 {
            format!(" {}", verdict_badge(r.verdict))
        } else {
            String::new()
        };
        let _ = write!(
            measured,
            "<div class=\"m\"><span class=\"nw\"><code>{}</code> <strong>{}</strong>{per_row}</span><br><span class=\"muted small\">{} · <a href=\"#exp-{}\">{}</a></span></div>",
            esc(&r.metric),
            esc(&value),
            esc(&context.join(" · ")),
            slug(&r.experiment),
            esc(&r.experiment),
        );
    }
    if measured.is_empty() {
        measured = "<span class=\"muted\">—</span>".to_string();
    }

    let mut tolerances: Vec<&str> = Vec::new();
    let mut notes: Vec<&str> = Vec::new();
    for shown in &status.shown {
        if let Some(t) = shown.row.tolerance.as_deref().filter(|t| !t.is_empty())
            && !tolerances.contains(&t)
        {
            tolerances.push(t);
        }
        let note = shown.row.note.as_str();
        if !note.trim().is_empty() && !notes.contains(&note) {
            notes.push(note);
        }
    }
    let mut note_html: Vec<String> = notes.iter().map(|n| long_text(n)).collect();
    if let Some(reason) = status.reason.as_deref() {
        let reason_html = long_text(reason);
        note_html.push(match status.state {
            ClaimState::Failed => format!("<span class=\"err\">{reason_html}</span>"),
            _ => reason_html,
        });
    }

    let _ = writeln!(
        h,
        "<tr id=\"claim-{}\"><td class=\"id\">{}</td><td class=\"what\">{what}</td><td class=\"paper\">{paper}</td>\
         <td class=\"measured\">{measured}</td><td>{}</td><td>{}</td><td class=\"note\">{}</td></tr>",
        slug(status.id),
        esc(status.id),
        esc(&tolerances.join("; ")),
        claim_badge(status.state),
        note_html.join("<br>"),
    );
}

fn experiment_section(h: &mut String, e: &ExperimentRecord, charts: &[&ChartFile]) {
    let state = state_str(e.state);
    let _ = write!(
        h,
        "<section class=\"exp\" id=\"exp-{}\">\n<h3><code>{}</code> — {} <span class=\"badge st-{state}\">{state}</span></h3>\n<dl class=\"meta\">\n",
        slug(&e.id),
        esc(&e.id),
        esc(&e.title),
    );
    let mut item = |key: &str, value_html: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{value_html}</dd>", esc(key));
    };
    item("Paper", esc(&e.paper));
    item("Spec", format!("<code>{}</code>", esc(&e.spec_path)));
    item("State", state.to_string());
    item("Started", esc(&e.started));
    item("Elapsed", esc(&format_duration(e.elapsed_s)));
    if let Some(from) = &e.reused_from {
        item("Reused from", format!("run <code>{}</code>", esc(from)));
    }
    let insecure = e.security.to_ascii_lowercase().starts_with("insecure");
    item(
        "Security",
        if insecure {
            format!("<span class=\"insecure\">{}</span>", esc(&e.security))
        } else {
            esc(&e.security)
        },
    );
    item("Profile", esc(&e.profile));
    h.push_str("</dl>\n");

    let own_warnings = experiment_warnings(e);
    if !own_warnings.is_empty() {
        h.push_str("<div class=\"alert\" role=\"alert\"><h2>⚠ Warnings</h2><ul>\n");
        for w in own_warnings {
            let _ = writeln!(h, "<li>{}</li>", esc(&w));
        }
        h.push_str("</ul></div>\n");
    }
    if e.state != ExperimentState::Done {
        let _ = writeln!(
            h,
            "<div class=\"alert failed\"><h2>✖ Error</h2><pre>{}</pre></div>",
            esc(e.error.as_deref().unwrap_or("no error recorded"))
        );
    }

    measurement_table(h, e);

    let of_kind = |keep: fn(&ChartKind) -> bool| -> Vec<&ChartFile> {
        charts
            .iter()
            .copied()
            .filter(|c| keep(&c.spec.kind))
            .collect()
    };
    let series = of_kind(|k| matches!(k, ChartKind::Line(_)));
    let seeds = of_kind(|k| matches!(k, ChartKind::Distribution(_)));
    let timings = of_kind(|k| matches!(k, ChartKind::Bar(_) | ChartKind::GroupedBars(_)));
    if !series.is_empty() {
        h.push_str("<h4>Series</h4>\n");
        for chart in series {
            figure(h, chart);
            series_data(h, chart);
        }
    }
    if !seeds.is_empty() {
        h.push_str("<h4>Over seeds</h4>\n");
        for chart in seeds {
            figure(h, chart);
            distribution_data(h, chart);
        }
    }
    if !timings.is_empty() {
        h.push_str("<h4>Timings per stage</h4>\n");
        for chart in timings {
            figure(h, chart);
        }
    }
    h.push_str("</section>\n");
}

fn measurement_table(h: &mut String, e: &ExperimentRecord) {
    let rows: Vec<&Measurement> = e.measurements.iter().filter(|r| r.step.is_none()).collect();
    let series = e.measurements.len() - rows.len();
    h.push_str("<h4>Measurements</h4>\n");
    if rows.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"muted\">No single-value measurement{}.</p>",
            if series > 0 {
                " (the series are charted below)"
            } else {
                ""
            }
        );
        return;
    }
    h.push_str(
        "<div class=\"tablewrap\"><table class=\"rows\">\n<thead><tr><th>Metric</th><th>Stage</th>\
         <th class=\"num\">Value</th><th>Unit</th><th class=\"num\">Paper</th><th>Tolerance</th>\
         <th>Verdict</th><th>Security</th><th>Parameters</th><th class=\"num\">Threads</th><th>Note</th></tr></thead>\n<tbody>\n",
    );
    for r in rows {
        let claim = match r.claim.as_deref() {
            Some(c) => format!(
                "<br><a class=\"small\" href=\"#claim-{}\">{}</a>",
                slug(c),
                esc(c)
            ),
            None => String::new(),
        };
        let paper = r.paper_value.map(format_number).unwrap_or_default();
        let security_class = if r.security.to_ascii_lowercase().starts_with("insecure") {
            " class=\"sec-insecure\""
        } else {
            ""
        };
        let value = if r.value.is_finite() {
            format_number(r.value)
        } else if r.verdict == Verdict::Failed {
            "—".to_string()
        } else {
            format_number(r.value)
        };
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code>{claim}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td>{}</td><td{security_class}>{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&r.metric),
            esc(&r.stage),
            esc(&value),
            esc(&r.unit),
            esc(&paper),
            esc(r.tolerance.as_deref().unwrap_or("")),
            verdict_badge(r.verdict),
            esc(&r.security),
            parameters(&r.scheme, &r.parameters),
            r.threads,
            long_text(&r.note),
        );
    }
    h.push_str("</tbody></table></div>\n");
    if series > 0 {
        let _ = writeln!(
            h,
            "<p class=\"muted small\">{series} series point{} are charted below.</p>",
            if series == 1 { "" } else { "s" }
        );
    }
}

/// The scheme, with the parameters as pretty JSON behind a disclosure.
fn parameters(scheme: &str, parameters: &str) -> String {
    let trimmed = parameters.trim();
    if trimmed.is_empty() || trimmed == "{}" || trimmed == "null" {
        return esc(scheme);
    }
    let pretty = serde_json::from_str::<serde_json::Value>(trimmed)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| trimmed.to_string());
    format!(
        "<details><summary>{}</summary><pre>{}</pre></details>",
        esc(if scheme.is_empty() {
            "parameters"
        } else {
            scheme
        }),
        esc(&pretty)
    )
}

fn figure(h: &mut String, chart: &ChartFile) {
    let spec = &chart.spec;
    if let Some(error) = &chart.error {
        let _ = writeln!(
            h,
            "<div class=\"alert\"><strong>Chart “{}” could not be drawn:</strong> {}</div>",
            esc(&spec.title),
            esc(error)
        );
        return;
    }
    let _ = writeln!(
        h,
        "<figure><a href=\"{svg}\"><img src=\"{png}\" width=\"{}\" height=\"{}\" alt=\"{}\"></a>\
         <figcaption>{} · <a href=\"{svg}\">SVG</a> · <a href=\"{png}\">PNG</a></figcaption></figure>",
        spec.width,
        spec.height,
        esc(&spec.alt),
        esc(&spec.title),
        svg = esc(&chart.svg),
        png = esc(&chart.png),
    );
}

/// The numbers of a series chart as a table behind a disclosure.
fn series_data(h: &mut String, chart: &ChartFile) {
    let ChartKind::Line(line) = &chart.spec.kind else {
        return;
    };
    let mut steps: Vec<i64> = line
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    steps.sort_unstable();
    steps.dedup();
    h.push_str("<details class=\"small\"><summary>Data of this chart</summary><div class=\"tablewrap\"><table>\n<thead><tr><th class=\"num\">step</th>");
    for s in &line.series {
        let unit = if line.unit.is_empty() {
            String::new()
        } else {
            format!(" ({})", line.unit)
        };
        let _ = write!(h, "<th class=\"num\">{}{}</th>", esc(&s.label), esc(&unit));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for step in steps {
        let _ = write!(h, "<tr><td class=\"num\">{step}</td>");
        for s in &line.series {
            let value = s
                .points
                .iter()
                .rev()
                .find(|p| p.0 == step)
                .map(|p| format_number(p.1))
                .unwrap_or_default();
            let paper = line
                .paper
                .iter()
                .find(|p| p.step == step && p.metric == s.metric)
                .map(|p| format!(" (paper {})", format_number(p.value)))
                .unwrap_or_default();
            let _ = write!(h, "<td class=\"num\">{}{}</td>", esc(&value), esc(&paper));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div></details>\n");
}

/// The values of a distribution chart as a table behind a disclosure: one
/// row per column with its summary and every seed's value.
fn distribution_data(h: &mut String, chart: &ChartFile) {
    let ChartKind::Distribution(dist) = &chart.spec.kind else {
        return;
    };
    let unit = if dist.unit.is_empty() {
        String::new()
    } else {
        format!(" ({})", dist.unit)
    };
    let _ = write!(
        h,
        "<details class=\"small\"><summary>Data of this chart</summary><div class=\"tablewrap\"><table>\n\
         <thead><tr><th>metric{}</th><th class=\"num\">seeds</th><th class=\"num\">min</th>\
         <th class=\"num\">25th pct.</th><th class=\"num\">median</th><th class=\"num\">75th pct.</th>\
         <th class=\"num\">max</th><th class=\"num\">paper</th><th>per seed (index: value)</th></tr></thead>\n<tbody>\n",
        esc(&unit)
    );
    for column in &dist.columns {
        let s = &column.summary;
        let values: Vec<String> = column
            .values
            .iter()
            .map(|(seed, v)| format!("{seed}: {}", format_number(*v)))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&column.metric),
            column.values.len(),
            esc(&format_number(s.min)),
            esc(&format_number(s.q1)),
            esc(&format_number(s.median)),
            esc(&format_number(s.q3)),
            esc(&format_number(s.max)),
            esc(&column.paper.map(format_number).unwrap_or_default()),
            esc(&values.join(", ")),
        );
    }
    h.push_str("</tbody></table></div></details>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::claims::claim_statuses;
    use crate::report::testdata::sample_input;

    fn page() -> String {
        let input = sample_input();
        let statuses = claim_statuses(&input);
        render_page(&input, &statuses, &[], "2025-01-01T00:00:00Z")
    }

    #[test]
    fn every_claim_of_the_input_appears() {
        let input = sample_input();
        let html = page();
        for claim in &input.claims {
            assert!(
                html.contains(&format!("<tr id=\"claim-{}\">", slug(&claim.id))),
                "{} missing",
                claim.id
            );
            assert!(html.contains(&esc(&claim.what)));
            assert!(html.contains(&esc(&claim.paper_value)));
        }
        // Catalog order within a paper.
        let acc = html.find("claim-mu18-acc").unwrap();
        let curve = html.find("claim-mu18-curve").unwrap();
        let gpu = html.find("claim-mu18-gpu").unwrap();
        assert!(acc < curve && curve < gpu);
    }

    #[test]
    fn claim_states_and_reasons_are_shown() {
        let html = page();
        assert!(html.contains("needs a GPU &amp; CUDA"));
        assert!(html.contains("not run in this run"));
        assert!(html.contains("noise budget exhausted"));
        assert!(html.contains("fewer epochs in the quick profile &lt;5 vs 30&gt;"));
        for class in [
            "v-deviates",
            "v-reproduced",
            "v-failed",
            "v-not-attempted",
            "v-not-run",
        ] {
            assert!(html.contains(class), "{class} missing");
        }
    }

    #[test]
    fn text_is_escaped_and_nothing_is_external() {
        let html = page();
        assert!(html.contains("Test CPU &lt;x86&gt;"));
        assert!(!html.contains("Test CPU <x86>"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(html.contains("heml report 2025-01-01T00-00-00Z-abc"));
        assert!(html.contains("dirty"));
    }

    #[test]
    fn the_machine_block_names_cpu_kernel_and_baseline_class() {
        let html = page();
        assert!(
            html.contains("AuthenticAMD family 25 model 1 · SIMD features: avx2"),
            "{html}"
        );
        assert!(html.contains("<code id=\"arith-kernel\">avx2</code>"));
        assert!(html.contains("<code>authenticamd-f25-m1-avx2</code>"));
        assert!(!html.contains("Baseline class"));
        let mut input = sample_input();
        input.baseline_class = Some(input.run.machine.machine_class());
        let html = render_page(&input, &claim_statuses(&input), &[], "now");
        assert!(html.contains("<dt>Baseline class</dt><dd><code>authenticamd-f25-m1-avx2</code>"));
        // A run.json from before the kernel was recorded says so.
        let mut old = sample_input();
        old.run.machine.arith_kernel = None;
        old.run.machine.cpu_vendor.clear();
        old.run.machine.cpu_family = 0;
        let html = render_page(&old, &claim_statuses(&old), &[], "now");
        assert!(html.contains("<dt>Arithmetic kernel</dt><dd><span class=\"muted\">not recorded"));
        assert!(html.contains("<code>unknown-unknown-unknown</code>"));
    }

    #[test]
    fn warnings_are_listed_on_top_and_in_the_section() {
        let mut input = sample_input();
        input.experiments[1].security = "insecure: toy parameters".into();
        let list = warnings(&input);
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].text, "security level: insecure: toy parameters");
        let statuses = claim_statuses(&input);
        let html = render_page(&input, &statuses, &[], "now");
        let text = "insecure: reproduction only (integer-vector scheme)";
        assert_eq!(html.matches(text).count(), 2);
        let top = html.find("id=\"warnings\"").unwrap();
        let claims = html.find("id=\"claims\"").unwrap();
        assert!(top < claims);
    }
}
