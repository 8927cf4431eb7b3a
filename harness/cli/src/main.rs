//! `sensibench`: compare medical-imaging models under controlled input changes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use sensibench_core::{PerturbationEntry, Registry};
use sensibench_metrics::SegMetric;
use sensibench_suite::{Catalog, load_suite};

mod evaluate;
mod regress;

/// Compare medical-imaging models under controlled input perturbations.
#[derive(Parser)]
#[command(name = "sensibench", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the registered perturbations, metrics, backends and the suites in ./suites.
    List {
        /// Folder of suite files to list.
        #[arg(long, default_value = "suites")]
        suites: PathBuf,
    },
    /// Check a suite file: every key, name, path and grid (errors give file:line:column).
    Validate {
        suite: PathBuf,
        /// Root of the real data sets [env: SENSIBENCH_DATA_ROOT; default: ../shared/data].
        #[arg(long)]
        data_root: Option<PathBuf>,
    },
    /// Run a suite, then write its HTML report; prints the report's path.
    Run {
        suite: PathBuf,
        /// Root of the real data sets [env: SENSIBENCH_DATA_ROOT; default: ../shared/data].
        #[arg(long)]
        data_root: Option<PathBuf>,
        /// Results root; the run goes to OUT/<suite>/<run id>/.
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Continue the newest run of this suite with the same suite file (or --run-id).
        #[arg(long)]
        resume: bool,
        /// Name of the run folder (default: a UTC timestamp).
        #[arg(long)]
        run_id: Option<String>,
        /// Worker threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// No progress bars.
        #[arg(long)]
        quiet: bool,
        /// Run only shard I of N (0-based, e.g. 0/4) of the run's parts; needs
        /// --run-id. Writes OUT/<suite>/<run id>/shards/I-of-N/; join the
        /// shards with `sensibench merge`.
        #[arg(long, value_name = "I/N", value_parser = parse_shard)]
        shard: Option<sensibench_runner::Shard>,
    },
    /// Join the shards of a run (`run --shard I/N`) into one run folder and
    /// write its report; prints the report's path.
    Merge {
        /// Every shard folder of the run (OUT/<suite>/<run id>/shards/*).
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Where to write the merged run (default: the run folder holding `shards/`).
        #[arg(long)]
        into: Option<PathBuf>,
    },
    /// (Re)write the HTML report of a run folder; prints its path.
    Report { run_dir: PathBuf },
    /// Run a suite (or take --from RUN) and save its baseline under
    /// results/baselines/<suite>/ (the suite's regression metrics per sample).
    Baseline(regress::BaselineArgs),
    /// Compare two runs (or a baseline and a run) sample by sample: paired
    /// differences with bootstrap CIs and tests, per model and perturbation;
    /// writes compare.json and compare.html, prints the page's path.
    Compare(regress::CompareArgs),
    /// Run suites, compare each with its committed baseline (and the
    /// criterion benches with theirs), write the regression report; exits
    /// non-zero when anything regressed.
    Nightly(regress::NightlyArgs),
    /// Save the criterion results (target/criterion) as the harness-speed baseline.
    BenchBaseline(regress::BenchBaselineArgs),
    /// Publish run folders as a static site: index of runs, their reports,
    /// a combined leaderboard and history charts; prints the index's path.
    Publish(regress::PublishArgs),
    /// The worker process of a model with `isolate: process` (started by
    /// the harness; speaks a binary protocol on stdin/stdout).
    #[command(hide = true)]
    Worker,
    /// Score prediction masks against reference masks without a suite (NIfTI or
    /// PNG files, or two folders matched by file name); prints JSON.
    Evaluate(evaluate::EvaluateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::List { suites } => list(&suites),
        Command::Validate { suite, data_root } => {
            let plan = load(&suite, data_root)?;
            println!(
                "{}: ok — {} dataset(s), {} model(s), {} perturbation(s) with {} points, {} metric(s)",
                suite.display(),
                plan.datasets.len(),
                plan.models.len(),
                plan.perturbations.len(),
                plan.perturbations
                    .iter()
                    .map(|p| p.points.len())
                    .sum::<usize>(),
                plan.metrics.len()
            );
            for s in &plan.skipped_datasets {
                println!("  skipped dataset `{}`: {}", s.name, s.reason);
            }
            Ok(())
        }
        Command::Run {
            suite,
            data_root,
            out,
            resume,
            run_id,
            threads,
            quiet,
            shard,
        } => {
            let plan = load(&suite, data_root)?;
            init_threads(threads)?;
            let summary = run_plan(&plan, &suite, out, run_id, resume, threads, quiet, shard)?;
            if let Some(s) = shard {
                // a shard's report would show a fraction of the run: merge first
                eprintln!(
                    "shard {}/{} finished; merge the shards with: sensibench merge {}",
                    s.index,
                    s.count,
                    summary
                        .run_dir
                        .parent()
                        .unwrap_or(Path::new("."))
                        .join("*")
                        .display()
                );
                println!("{}", summary.run_dir.display());
                return Ok(());
            }
            let path = sensibench_runner::publish::write_report(&summary.run_dir)?;
            println!("{}", path.display());
            Ok(())
        }
        Command::Merge { shards, into } => {
            let merged = sensibench_runner::merge(&shards, into.as_deref())?;
            eprintln!(
                "merged {} shard(s): {} file(s) into {}",
                merged.shards,
                merged.files,
                merged.run_dir.display()
            );
            let path = sensibench_runner::publish::write_report(&merged.run_dir)?;
            println!("{}", path.display());
            Ok(())
        }
        Command::Report { run_dir } => {
            let path = sensibench_runner::publish::write_report(&run_dir)?;
            println!("{}", path.display());
            Ok(())
        }
        Command::Evaluate(args) => evaluate::run(&args),
        Command::Baseline(args) => regress::baseline(args),
        Command::BenchBaseline(args) => regress::bench_baseline(args),
        Command::Publish(args) => regress::publish(args),
        Command::Nightly(args) => {
            if regress::nightly(args)? {
                Ok(())
            } else {
                bail!("the nightly benchmark found regressions (see the report above)")
            }
        }
        Command::Compare(args) => {
            if regress::compare(args)? {
                Ok(())
            } else {
                bail!("regressions found (--fail-on-regression)")
            }
        }
        Command::Worker => sensibench_runner::worker::serve_stdio().map_err(anyhow::Error::msg),
    }
}

fn parse_shard(s: &str) -> std::result::Result<sensibench_runner::Shard, String> {
    sensibench_runner::Shard::parse(s)
}

/// Sizes rayon's global pool (once per process; 0 = all cores).
fn init_threads(threads: usize) -> Result<()> {
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("configuring the worker threads")?;
    }
    Ok(())
}

/// Runs `plan` (from the file `suite`) and prints the summary to stderr.
#[allow(clippy::too_many_arguments)]
fn run_plan(
    plan: &sensibench_suite::plan::Plan,
    suite: &Path,
    out: PathBuf,
    run_id: Option<String>,
    resume: bool,
    threads: usize,
    quiet: bool,
    shard: Option<sensibench_runner::Shard>,
) -> Result<sensibench_runner::RunSummary> {
    for s in &plan.skipped_datasets {
        eprintln!("note: dataset `{}` skipped: {}", s.name, s.reason);
    }
    let opts = sensibench_runner::RunOptions {
        out,
        run_id,
        resume,
        threads,
        progress: !quiet,
        git_sha: git_sha(suite.parent().unwrap_or(Path::new("."))),
        shard,
    };
    let summary = sensibench_runner::run(plan, &registry()?, &opts)?;
    eprintln!(
        "{}: {} rows ({} failed) in {} part(s), {} part(s) resumed, {:.1} s",
        plan.name,
        summary.rows,
        summary.failed_rows,
        summary.parts_written,
        summary.parts_skipped,
        summary.seconds
    );
    for t in &summary.model_seconds {
        let overhead = if t.inference > 0.0 {
            format!("{:.1}%", 100.0 * t.pipeline / t.inference)
        } else {
            "n/a".into()
        };
        eprintln!(
            "  {:<16} {:>6} predictions: {:.2} s in the model, {:.2} s harness pre/post-processing (overhead {overhead})",
            t.model, t.predictions, t.inference, t.pipeline
        );
    }
    Ok(summary)
}

/// Every registered perturbation.
fn registry() -> Result<Registry<PerturbationEntry>> {
    Ok(sensibench_perturb::registry())
}

fn data_root(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("SENSIBENCH_DATA_ROOT").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/data"))
}

fn load(suite: &Path, data_root_flag: Option<PathBuf>) -> Result<sensibench_suite::plan::Plan> {
    let perturbations = registry()?;
    let metric_names: Vec<&str> = SegMetric::ALL.iter().map(|m| m.name()).collect();
    let class_metric_names: Vec<&str> = sensibench_metrics::ClassMetric::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    let resolve =
        |name: &str| sensibench_backends::native::resolve_plugin(name).map_err(|e| e.to_string());
    let catalog = Catalog {
        perturbations: &perturbations,
        metrics: &metric_names,
        classification_metrics: &class_metric_names,
        resolve_plugin: &resolve,
    };
    let root = data_root(data_root_flag);
    match load_suite(suite, &root, &catalog) {
        Ok(plan) => Ok(plan),
        Err(e) => bail!("{e}"),
    }
}

fn git_sha(dir: &Path) -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(sha) if !sha.is_empty() => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty { format!("{sha}-dirty") } else { sha }
        }
        _ => "unknown".into(),
    }
}

fn list(suites: &Path) -> Result<()> {
    println!(
        "Perturbations (swept parameter in brackets; those with a severity scale also take `severity: [1, 2, 3, 4, 5]`):"
    );
    for (name, e) in registry()?.iter() {
        let unit = if e.parameter.unit.is_empty() {
            String::new()
        } else {
            format!(", {}", e.parameter.unit)
        };
        println!("  {name:<16} [{}{unit}]  {}", e.parameter.name, e.summary);
        if let Some(sev) = &e.severity {
            for (i, level) in sev.levels.iter().enumerate() {
                println!("  {:<16}   severity {}: {level}", "", i + 1);
            }
        }
    }
    println!("\nMetrics:");
    for m in SegMetric::ALL {
        let unit = if m.unit().is_empty() { "" } else { m.unit() };
        let dir = if m.higher_is_better() {
            "higher is better"
        } else {
            "lower is better"
        };
        println!("  {:<16} {unit:<3} {dir:<17} {}", m.name(), m.summary());
    }
    println!("\nClassification metrics (`task: classification`; bootstrap CIs over images):");
    for m in sensibench_metrics::ClassMetric::ALL {
        let dir = if m.higher_is_better() {
            "higher is better"
        } else {
            "lower is better"
        };
        println!("  {:<18} {dir}", m.name());
    }
    println!(
        "\nSaliency methods (`saliency:` of a classification suite): crm (all-class), crm_class (predicted class), cam (ONNX with features + head), gradcam (TorchScript), occlusion (any)"
    );
    println!(
        "\nClinical measures (`measures:` of an efficiency study; Bland-Altman vs the reference):"
    );
    for m in sensibench_metrics::ClinicalMeasure::ALL {
        println!("  {:<16} {:<3} {}", m.name(), m.unit(), m.summary());
    }
    println!("\nBackends:");
    #[cfg(feature = "onnx")]
    println!(
        "  onnx             ONNX Runtime through `ort` (library from the onnxruntime==1.31 wheel: `make setup`)"
    );
    #[cfg(not(feature = "onnx"))]
    println!("  onnx             (not built: enable the `onnx` feature)");
    #[cfg(feature = "torch")]
    println!(
        "  torchscript      TorchScript through `tch` 0.26 / libtorch 2.13 (the torch==2.13.0 wheel: `make setup`); also fine-tunes `efficiency:` sources"
    );
    #[cfg(not(feature = "torch"))]
    println!(
        "  torchscript      (not built: enable the `torch` feature with LIBTORCH set, as `make suite` does)"
    );
    println!("  native           cdylib plugins through the versioned C ABI of plugins/sdk");
    println!("  null             returns the reference: measures the harness's own overhead");
    println!("\nSuites in {}:", suites.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(suites)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    files.sort();
    for f in files {
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let first = std::fs::read_to_string(&f)
            .ok()
            .and_then(|t| {
                t.lines()
                    .find(|l| l.starts_with("# "))
                    .map(|l| l[2..].to_string())
            })
            .unwrap_or_default();
        println!("  {name:<16} {first}");
    }
    Ok(())
}
