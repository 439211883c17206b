//! The `heml` command line.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::data::{DataStore, Registry};
use crate::progress::Progress;
use crate::results::check::{Baseline as BaselineRun, CheckLimits, compare};
use crate::results::store::{RunDir, copy_run_atomic, list_baselines, resolve_run};
use crate::results::{ClaimEntry, ExperimentState};
use crate::runner::{RunOptions, run_specs};
use crate::spec::{Profile, load_spec};

#[derive(Parser, Debug)]
#[command(
    name = "heml",
    version,
    about = "Reproduce, measure and compare machine learning on homomorphically encrypted data",
    long_about = "heml runs the experiment specs in experiments/ (YAML), each reproducing claims of a \
                  paper: it trains plaintext baselines with tch, runs encrypted evaluation with heml's \
                  own engines, writes every measurement to results/<run-id>/ (Parquet and CSV) and \
                  draws reports/index.html with each claim beside its reproduction."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// No progress bars or messages (errors still go to stderr).
    #[arg(long, global = true)]
    pub quiet: bool,
    /// Print a machine-readable summary on stdout (implies --quiet).
    #[arg(long, global = true)]
    pub json: bool,
    /// Folder of the runs.
    #[arg(long, global = true, default_value = "results", env = "HEML_RESULTS")]
    pub results: PathBuf,
    /// Folder the HTML report is written to.
    #[arg(long, global = true, default_value = "reports", env = "HEML_REPORTS")]
    pub reports: PathBuf,
    /// A folder laid out like the data-set mirror (<dataset>/<file>); used
    /// instead of downloading. Every file is still verified by sha256.
    #[arg(long, global = true, env = "HEML_DATA_MIRROR")]
    pub data_mirror: Option<PathBuf>,
    /// Where downloaded data sets are cached.
    #[arg(
        long,
        global = true,
        env = "HEML_DATA_CACHE",
        default_value = "datasets/cache"
    )]
    pub data_cache: PathBuf,
    /// The data-set registry.
    #[arg(long, global = true, default_value = "datasets/registry.yaml")]
    pub registry: PathBuf,
    /// Threads for batch work (rayon, libtorch); default: all logical cores.
    #[arg(long, global = true, env = "HEML_THREADS")]
    pub threads: Option<u32>,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum ProfileArg {
    /// Small sizes for CI: minutes for all specs.
    Quick,
    /// The papers' sizes.
    Full,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Profile {
        match p {
            ProfileArg::Quick => Profile::Quick,
            ProfileArg::Full => Profile::Full,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the given spec files into a new run folder and write the report.
    Run {
        /// Spec files (YAML).
        #[arg(required = true)]
        specs: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "quick")]
        profile: ProfileArg,
        /// Rerun experiments even when an earlier run did them with the same spec and code.
        #[arg(long)]
        force: bool,
        /// Do not write reports/index.html.
        #[arg(long)]
        no_report: bool,
    },
    /// Run every spec under experiments/ (or those named by --only) and write the report.
    Reproduce {
        #[arg(long, value_enum, default_value = "full")]
        profile: ProfileArg,
        /// Only these experiment ids (or spec file names); repeatable.
        #[arg(long, num_args = 1..)]
        only: Vec<String>,
        /// Rerun experiments even when an earlier run did them with the same spec and code.
        #[arg(long)]
        force: bool,
        /// The folder of specs.
        #[arg(long, default_value = "experiments")]
        experiments: PathBuf,
        /// Do not write reports/index.html.
        #[arg(long)]
        no_report: bool,
    },
    /// Write reports/index.html (with PNG and SVG charts) for a run (default: the newest).
    Report {
        /// Run id under results/, or a run folder.
        run: Option<String>,
    },
    /// Compare a run (default: the newest) with the committed baselines; fails on regressions.
    ///
    /// Baselines belong to a machine class (CPU vendor, family, model and
    /// arithmetic kernel). Timings are compared, after calibration, only with the
    /// baseline of the run's own class; without one, heml's timings are judged by
    /// their ratio to the peer library measured in the same run (TenSEAL,
    /// python-paillier), and timings without a peer are reported as not judged.
    /// Accuracies, error counts and verdicts are always compared with a reference
    /// baseline: the run's class, else one of its kernel, else the first by name.
    /// Every row says which rule judged it.
    Check {
        run: Option<String>,
        /// Compare with this baseline run folder alone (its class decides how
        /// timings are judged) instead of choosing among --baselines.
        #[arg(long, conflicts_with = "baselines")]
        baseline: Option<PathBuf>,
        /// The folder of baselines, one run folder per machine class.
        #[arg(long, default_value = BASELINES_DIR)]
        baselines: PathBuf,
        /// A calibrated timing may be this many times the same-class baseline's,
        /// and a ratio to a peer this many times the baseline's ratio.
        #[arg(long, default_value_t = CheckLimits::default().time_factor)]
        time_factor: f64,
        /// Allowed accuracy drop in percentage points.
        #[arg(long, default_value_t = CheckLimits::default().quality_points)]
        quality_points: f64,
    },
    /// Copy a run (default: the newest) to results/baselines/<its machine class>/,
    /// the baseline `heml check` compares timings of that class with.
    ///
    /// The class is the run's CPU (vendor, family, model) and arithmetic kernel,
    /// e.g. `authenticamd-f25-m1-avx2`; make the baseline of another kernel on
    /// the same machine by running with `HEML_KERNEL` set.
    Baseline {
        run: Option<String>,
        /// The folder of baselines.
        #[arg(long, default_value = BASELINES_DIR)]
        baselines: PathBuf,
        /// Copy to this folder instead of the run's class folder.
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// The data sets of the registry: list, download and verify.
    #[command(subcommand)]
    Datasets(DatasetsCommand),
    /// Time heml against a peer library in the same run, same sizes, and print the ratios.
    #[command(subcommand)]
    Peers(PeersCommand),
}

#[derive(Subcommand, Debug)]
pub enum PeersCommand {
    /// python-paillier with gmpy2 (install: `just bench-peers`), one thread.
    Paillier {
        /// The Python that has `phe` and `gmpy2`.
        #[arg(long, default_value = ".venv/bin/python")]
        python: PathBuf,
        /// The peer's timing script.
        #[arg(long, default_value = "peers/paillier_peer.py")]
        script: PathBuf,
        #[arg(long, default_value_t = 2048)]
        key_bits: u32,
    },
    /// TenSEAL 0.3.18 (install: `just bench-peers`), one thread, the CKKS operation table.
    Ckks {
        /// The Python that has `tenseal`.
        #[arg(long, default_value = ".venv/bin/python")]
        python: PathBuf,
        /// The peer's timing script.
        #[arg(long, default_value = "peers/ckks_peer.py")]
        script: PathBuf,
        /// Ring degree N.
        #[arg(long, default_value_t = 8192)]
        poly_modulus_degree: usize,
        /// Bit sizes of the primes, special prime last (default: [60, 40, 40, 60]
        /// at N = 8192, [60, 40 x 6, 60] at N = 16384).
        #[arg(long, value_delimiter = ',')]
        coeff_mod_bit_sizes: Option<Vec<u32>>,
        #[arg(long, default_value_t = 40)]
        log2_scale: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum DatasetsCommand {
    /// Every data set of the registry, with its files and whether they are present.
    List,
    /// Download (or take from the mirror) and verify data sets (default: all in the mirror or online).
    Fetch { names: Vec<String> },
    /// Verify the sha256 of data sets already present.
    Verify { names: Vec<String> },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    // The arithmetic kernel serves the whole process and is chosen before any table.
    if let Err(e) = crate::he::math::kernel::init_from_env() {
        eprintln!("error: {e}");
        return 2;
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    }
}

fn threads(g: &Global) -> u32 {
    g.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1)
    })
}

fn setup_threads(n: u32) {
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n as usize)
        .build_global();
    tch::set_num_threads(n as i32);
}

fn data_store(g: &Global) -> Result<DataStore> {
    let registry = Registry::load(&g.registry)?;
    Ok(DataStore::with_registry(
        registry,
        &g.data_cache,
        g.data_mirror.clone(),
    )?)
}

fn dispatch(cli: Cli) -> Result<i32> {
    let g = cli.global.clone();
    let progress = Progress::new(g.quiet || g.json);
    // The command as a user would type it (no path of this machine).
    let command_line = std::iter::once("heml".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    match cli.command {
        Command::Run {
            specs,
            profile,
            force,
            no_report,
        } => run_and_report(
            &g,
            &progress,
            specs,
            profile.into(),
            force,
            no_report,
            command_line,
        ),
        Command::Reproduce {
            profile,
            only,
            force,
            experiments,
            no_report,
        } => {
            let specs = select_specs(&experiments, &only)?;
            run_and_report(
                &g,
                &progress,
                specs,
                profile.into(),
                force,
                no_report,
                command_line,
            )
        }
        Command::Report { run } => {
            let dir = resolve_run(&g.results, run.as_deref())?;
            let index = write_report(&dir, &g.reports, Path::new("experiments/claims.yaml"))?;
            if g.json {
                println!("{}", serde_json::json!({ "report": index }));
            } else {
                println!("report: {}", index.display());
            }
            Ok(0)
        }
        Command::Check {
            run,
            baseline,
            baselines,
            time_factor,
            quality_points,
        } => {
            let run = resolve_run(&g.results, run.as_deref())?;
            let run_info = run.read_info()?;
            let (dirs, source) = match &baseline {
                Some(b) => (vec![RunDir { root: b.clone() }], b.display().to_string()),
                None => (list_baselines(&baselines)?, baselines.display().to_string()),
            };
            let mut loaded = Vec::new();
            for dir in dirs {
                let info = dir.read_info().with_context(|| {
                    format!(
                        "reading the baseline {} (create it with `heml baseline RUN`)",
                        dir.root.display()
                    )
                })?;
                let experiments = dir.read_experiments()?;
                let name = if baseline.is_some() {
                    dir.root.display().to_string()
                } else {
                    dir.run_id()
                };
                loaded.push(BaselineRun {
                    name,
                    info,
                    experiments,
                });
            }
            let limits = CheckLimits {
                time_factor,
                quality_points,
                ..CheckLimits::default()
            };
            let report = compare(&run_info, &run.read_experiments()?, &loaded, limits)
                .with_context(|| format!("checking run {} against {source}", run_info.run_id))?;
            if g.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render());
            }
            Ok(if report.passed() { 0 } else { 1 })
        }
        Command::Baseline { run, baselines, to } => {
            let run = resolve_run(&g.results, run.as_deref())?;
            let info = run.read_info()?;
            let class = info.machine.machine_class();
            let to = to.unwrap_or_else(|| baselines.join(class.slug()));
            copy_run_atomic(&run.root, &to)?;
            if g.json {
                println!(
                    "{}",
                    serde_json::json!({ "run": run.root, "baseline": to, "class": class, "slug": class.slug() })
                );
            } else {
                println!(
                    "baseline of class {} ({class}): {} -> {}",
                    class.slug(),
                    run.root.display(),
                    to.display()
                );
                if !class.is_identified() {
                    println!(
                        "note: the run does not record its whole machine class (run.json from an \
                         older heml?): `heml check` uses it for accuracies and verdicts, never \
                         for timings"
                    );
                }
            }
            Ok(0)
        }
        Command::Datasets(cmd) => datasets(&g, &progress, cmd),
        Command::Peers(PeersCommand::Paillier {
            python,
            script,
            key_bits,
        }) => {
            progress.println(format!(
                "timing python-paillier and heml at {key_bits} bits, one thread..."
            ));
            let report = crate::peers::paillier(&python, &script, key_bits)?;
            save_peer_report(
                &g,
                &format!("paillier-{key_bits}"),
                &report,
                &report.render(),
            )
        }
        Command::Peers(PeersCommand::Ckks {
            python,
            script,
            poly_modulus_degree,
            coeff_mod_bit_sizes,
            log2_scale,
        }) => {
            let coeff_mod_bit_sizes = coeff_mod_bit_sizes.unwrap_or_else(|| {
                let middle = (poly_modulus_degree / 8192).max(1).ilog2() as usize * 4 + 2;
                let mut bits = vec![60];
                bits.extend(std::iter::repeat_n(40, middle));
                bits.push(60);
                bits
            });
            let literal = crate::he::ckks::CkksParametersLiteral {
                poly_modulus_degree,
                coeff_mod_bit_sizes,
                log2_scale,
                security: crate::he::ckks::SecurityLevel::Tc128,
            };
            let tag = format!(
                "{poly_modulus_degree}-{}",
                literal
                    .coeff_mod_bit_sizes
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join("_")
            );
            progress.println(format!(
                "timing TenSEAL and heml at N={poly_modulus_degree} {:?}, one thread...",
                literal.coeff_mod_bit_sizes
            ));
            let report = crate::peers::ckks(&python, &script, &literal)
                .with_context(|| format!("CKKS peers at N={poly_modulus_degree}"))?;
            save_peer_report(&g, &format!("ckks-{tag}"), &report, &report.render())
        }
    }
}

/// Writes a peer table to `results/peers/<name>-<time>.json` and prints it.
fn save_peer_report(
    g: &Global,
    name: &str,
    report: &impl serde::Serialize,
    table: &str,
) -> Result<i32> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let path = g.results.join("peers").join(format!("{name}-{stamp}.json"));
    crate::results::write_atomic(&path, &serde_json::to_vec_pretty(report)?)?;
    if g.json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{table}");
        println!("written to {}", path.display());
    }
    Ok(0)
}

fn run_and_report(
    g: &Global,
    progress: &Progress,
    specs: Vec<PathBuf>,
    profile: Profile,
    force: bool,
    no_report: bool,
    command: String,
) -> Result<i32> {
    let threads = threads(g);
    setup_threads(threads);
    let data = data_store(g)?;
    let opts = RunOptions {
        profile,
        force,
        results_dir: g.results.clone(),
        project_root: std::env::current_dir()?,
        data: &data,
        threads,
        progress,
        command,
    };
    let summary = run_specs(&specs, &opts)?;
    let report = if no_report {
        None
    } else {
        let dir = RunDir {
            root: summary.run_dir.clone(),
        };
        match write_report(&dir, &g.reports, Path::new("experiments/claims.yaml")) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("error: the report could not be written: {e:#}");
                None
            }
        }
    };
    if g.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "run": summary, "report": report }))?
        );
    } else if !g.quiet {
        println!(
            "run {} ({}): {}",
            summary.run_id,
            summary.profile,
            summary.run_dir.display()
        );
        for e in &summary.experiments {
            let state = match e.state {
                ExperimentState::Done if e.reused_from.is_some() => "reused".to_string(),
                s => format!("{s:?}").to_lowercase(),
            };
            println!("  {:<28} {:<8} {:>8.1} s", e.id, state, e.elapsed_s);
            for (claim, metric, value, verdict) in &e.claims {
                println!("      {claim:<22} {metric:<28} {value:>12.4}  {verdict}");
            }
            if let Some(err) = &e.error {
                println!("      error: {err}");
            }
        }
        if let Some(r) = &report {
            println!("report: {}", r.display());
        }
    }
    Ok(if summary.failed() == 0 { 0 } else { 1 })
}

/// Spec files under `dir`, filtered by `only` (ids or file stems).
fn select_specs(dir: &Path, only: &[String]) -> Result<Vec<PathBuf>> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing the specs in {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .filter(|p| p.file_name().and_then(|n| n.to_str()) != Some("claims.yaml"))
        .collect();
    specs.sort();
    if only.is_empty() {
        return Ok(specs);
    }
    let mut known = Vec::new();
    let mut picked = Vec::new();
    for p in &specs {
        let stem = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let id = load_spec(p).map(|s| s.id).unwrap_or_else(|_| stem.clone());
        if only.iter().any(|o| *o == id || *o == stem) {
            picked.push(p.clone());
        }
        known.push(id);
    }
    for o in only {
        let stems: Vec<String> = specs
            .iter()
            .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
            .collect();
        if !known.contains(o) && !stems.contains(o) {
            bail!(
                "--only {o}: no such experiment; the experiments are: {}",
                known.join(", ")
            );
        }
    }
    Ok(picked)
}

fn read_claims(path: &Path) -> Result<Vec<ClaimEntry>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Catalog {
        claims: Vec<ClaimEntry>,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let cat: Catalog =
        serde_yaml_ng::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(cat.claims)
}

/// The folder of baselines the report looks for the run's class in (as `heml
/// check` does by default).
const BASELINES_DIR: &str = "results/baselines";

/// Writes the report of `run` into `out`; returns the index.html path.
pub fn write_report(run: &RunDir, out: &Path, claims: &Path) -> Result<PathBuf> {
    let info = run.read_info()?;
    let class = info.machine.machine_class();
    // The baseline `heml check` would compare this run's timings with.
    let same_class = RunDir {
        root: Path::new(BASELINES_DIR).join(class.slug()),
    };
    let baseline_class = (class.is_identified()
        && same_class
            .read_info()
            .is_ok_and(|b| b.profile == info.profile && b.machine.machine_class() == class))
    .then_some(class);
    let input = crate::report::ReportInput {
        run: info,
        experiments: run.read_experiments()?,
        claims: read_claims(claims)?,
        baseline_note: None,
        baseline_class,
    };
    crate::report::write_report(&input, out).context("writing the report")?;
    Ok(out.join("index.html"))
}

/// Shows the data layer's downloads and hashing as indicatif bars.
struct Bars<'a> {
    progress: &'a Progress,
    bar: Option<indicatif::ProgressBar>,
}

impl crate::data::Progress for Bars<'_> {
    fn begin(&mut self, task: &crate::data::Task<'_>) {
        let verb = match task.action {
            crate::data::Action::Download => "downloading",
            crate::data::Action::Verify => "verifying",
        };
        let bar = self.progress.bar(
            task.total_bytes.unwrap_or(0),
            format!("{verb} {}/{}", task.dataset, task.file),
        );
        self.bar = Some(bar);
    }
    fn advance(&mut self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }
    fn end(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
    fn note(&mut self, message: &str) {
        self.progress.println(message);
    }
}

fn datasets(g: &Global, progress: &Progress, cmd: DatasetsCommand) -> Result<i32> {
    use crate::data::store::Location;
    let store = data_store(g)?;
    let all: Vec<String> = store
        .registry()
        .datasets()
        .iter()
        .map(|d| d.name.clone())
        .collect();
    let pick = |names: Vec<String>| -> Result<Vec<String>> {
        if names.is_empty() {
            return Ok(all.clone());
        }
        for n in &names {
            if !all.contains(n) {
                bail!(
                    "no data set `{n}` in {}; the data sets are: {}",
                    g.registry.display(),
                    all.join(", ")
                );
            }
        }
        Ok(names)
    };
    match cmd {
        DatasetsCommand::List => {
            let listing = store.list();
            if g.json {
                let rows: Vec<_> = listing
                    .iter()
                    .map(|d| {
                        serde_json::json!({
                            "name": d.name, "title": d.title, "status": format!("{:?}", d.status),
                            "papers": d.papers,
                            "files": d.files.iter().map(|f| serde_json::json!({
                                "path": f.path, "bytes": f.bytes, "sha256_known": f.has_sha256,
                                "location": match &f.location {
                                    Location::Mirror(p) | Location::Cache(p) => Some(p.display().to_string()),
                                    Location::Missing => None,
                                },
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for d in &listing {
                    let present = d
                        .files
                        .iter()
                        .filter(|f| f.location != Location::Missing)
                        .count();
                    println!(
                        "{:<24} {:<14} {}/{} files present  {}  [{}]",
                        d.name,
                        format!("{:?}", d.status).to_lowercase(),
                        present,
                        d.files.len(),
                        d.title,
                        d.papers.join(", ")
                    );
                }
            }
            Ok(0)
        }
        DatasetsCommand::Fetch { names } | DatasetsCommand::Verify { names } if false => {
            let _ = names;
            unreachable!()
        }
        cmd => {
            let fetch = matches!(cmd, DatasetsCommand::Fetch { .. });
            let names = match cmd {
                DatasetsCommand::Fetch { names } | DatasetsCommand::Verify { names } => {
                    pick(names)?
                }
                DatasetsCommand::List => unreachable!("handled above"),
            };
            let mut bars = Bars {
                progress,
                bar: None,
            };
            let mut failures = 0;
            let mut rows = Vec::new();
            for name in &names {
                let checks = if fetch {
                    store.fetch(name, &mut bars)
                } else {
                    store.verify(name, &mut bars)
                };
                let checks = match checks {
                    Ok(c) => c,
                    Err(e) => {
                        failures += 1;
                        rows.push(serde_json::json!({"dataset": name, "ok": false, "error": e.to_string()}));
                        if !g.json {
                            eprintln!("{name}: {e}");
                        }
                        continue;
                    }
                };
                for c in checks {
                    match &c.result {
                        Ok(r) => {
                            rows.push(serde_json::json!({"dataset": c.dataset, "file": c.file, "ok": true,
                                "path": r.path, "source": format!("{:?}", r.source), "verification": format!("{:?}", r.verification)}));
                            if !g.json && !g.quiet {
                                println!(
                                    "ok      {}/{} ({:?}, {:?})",
                                    c.dataset, c.file, r.source, r.verification
                                );
                            }
                        }
                        Err(e) => {
                            failures += 1;
                            rows.push(serde_json::json!({"dataset": c.dataset, "file": c.file, "ok": false, "error": e.to_string()}));
                            if !g.json {
                                eprintln!("FAILED  {}/{}: {e}", c.dataset, c.file);
                            }
                        }
                    }
                }
            }
            if g.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            }
            Ok(if failures == 0 { 0 } else { 1 })
        }
    }
}
